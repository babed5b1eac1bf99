//! MediaConnect over the SDK: the flow onair reads, and the outputs of the seed's RTP wiring.

use super::errors::Endpoint;
use super::ratelimit::RateLimiter;
use crate::cloud::{
    AddFlowOutputRequest, CloudError, ErrorKind, Flow, FlowOutput, FlowSource, FlowStatus,
    MediaConnect,
};
use async_trait::async_trait;
use aws_sdk_mediaconnect::Client;
use aws_sdk_mediaconnect::types::{AddOutputRequest, Output, Protocol};
use std::sync::Arc;

pub struct SdkMediaConnect {
    /// For DescribeFlow: the shorter deadline.
    client: Client,
    /// For adding and removing outputs: the longer deadline.
    writes: Client,
    limiter: Arc<RateLimiter>,
    endpoint: Endpoint,
}

impl SdkMediaConnect {
    pub(crate) fn new(
        client: Client,
        writes: Client,
        limiter: Arc<RateLimiter>,
        endpoint: Endpoint,
    ) -> Self {
        Self {
            client,
            writes,
            limiter,
            endpoint,
        }
    }
}

fn output_of(o: &Output) -> FlowOutput {
    FlowOutput {
        arn: o.output_arn().unwrap_or_default().to_string(),
        name: o.name().unwrap_or_default().to_string(),
        medialive_input_arn: o.media_live_input_arn().map(str::to_string),
        destination: o.destination().map(str::to_string),
        port: o.port().and_then(|p| u16::try_from(p).ok()),
        protocol: o
            .transport()
            .and_then(|t| t.protocol())
            .map(|p| p.as_str().to_string()),
        description: o.description().map(str::to_string),
    }
}

#[async_trait]
impl MediaConnect for SdkMediaConnect {
    async fn describe_flow(&self, flow_arn: &str) -> Result<Flow, CloudError> {
        self.limiter.acquire().await;
        let out = self
            .client
            .describe_flow()
            .flow_arn(flow_arn)
            .send()
            .await
            .map_err(|e| self.endpoint.map("DescribeFlow", e))?;
        let flow = out.flow().ok_or_else(|| {
            CloudError::new(
                "DescribeFlow",
                ErrorKind::NotFound,
                format!("no flow {flow_arn}"),
            )
        })?;
        let source = flow.source();
        let status = flow.status().map(|s| s.as_str()).unwrap_or_default();
        Ok(Flow {
            arn: flow.flow_arn().unwrap_or(flow_arn).to_string(),
            name: flow.name().unwrap_or_default().to_string(),
            status: FlowStatus::from_aws(status).unwrap_or(FlowStatus::Error),
            source: FlowSource {
                name: source
                    .and_then(|s| s.name())
                    .unwrap_or_default()
                    .to_string(),
                protocol: source
                    .and_then(|s| s.transport())
                    .and_then(|t| t.protocol())
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                ingest_ip: source.and_then(|s| s.ingest_ip()).map(str::to_string),
                ingest_port: source
                    .and_then(|s| s.ingest_port())
                    .and_then(|p| u16::try_from(p).ok()),
                encryption: source
                    .and_then(|s| s.decryption())
                    .and_then(|d| d.algorithm())
                    .map(|a| a.as_str().to_string()),
            },
            egress_ip: flow.egress_ip().map(str::to_string),
            outputs: flow.outputs().iter().map(output_of).collect(),
        })
    }

    async fn add_flow_output(
        &self,
        flow_arn: &str,
        output: AddFlowOutputRequest,
    ) -> Result<FlowOutput, CloudError> {
        self.limiter.acquire().await;
        let request = AddOutputRequest::builder()
            .name(&output.name)
            .protocol(Protocol::from(output.protocol.as_str()))
            .destination(&output.destination)
            .port(i32::from(output.port))
            .description(&output.description)
            .build();
        let out = self
            .writes
            .add_flow_outputs()
            .flow_arn(flow_arn)
            .outputs(request)
            .send()
            .await
            .map_err(|e| self.endpoint.map("AddFlowOutputs", e))?;
        out.outputs()
            .iter()
            .find(|o| o.name() == Some(output.name.as_str()))
            .or_else(|| out.outputs().first())
            .map(output_of)
            .ok_or_else(|| {
                CloudError::new(
                    "AddFlowOutputs",
                    ErrorKind::Other,
                    "the answer has no output",
                )
            })
    }

    async fn remove_flow_output(&self, flow_arn: &str, output_arn: &str) -> Result<(), CloudError> {
        self.limiter.acquire().await;
        self.writes
            .remove_flow_output()
            .flow_arn(flow_arn)
            .output_arn(output_arn)
            .send()
            .await
            .map_err(|e| self.endpoint.map("RemoveFlowOutput", e))?;
        Ok(())
    }
}
