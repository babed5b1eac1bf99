//! MediaConnect: the one always-on flow and its outputs.

use super::Simulator;
use super::errors::{not_found, validation};
use super::faults::Service;
use super::world::World;
use crate::cloud::{AddFlowOutputRequest, CloudError, ErrorKind, Flow, FlowOutput, MediaConnect};
use async_trait::async_trait;

/// MediaConnect's hard limit of outputs per transport-stream flow.
pub(crate) const FLOW_OUTPUT_LIMIT: usize = 50;

impl World {
    fn check_flow(&self, call: &'static str, flow_arn: &str) -> Result<(), CloudError> {
        if flow_arn == self.flow.arn {
            Ok(())
        } else {
            Err(not_found(call, "Flow", flow_arn))
        }
    }

    fn add_flow_output(
        &mut self,
        flow_arn: &str,
        req: AddFlowOutputRequest,
    ) -> Result<FlowOutput, CloudError> {
        const CALL: &str = "AddFlowOutputs";
        self.check_flow(CALL, flow_arn)?;
        if req.name.is_empty() {
            return Err(validation(CALL, "outputs[0].name: required"));
        }
        if self.flow.outputs.iter().any(|o| o.name == req.name) {
            return Err(validation(
                CALL,
                format!(
                    "outputs[0].name: the flow already has an output named {}",
                    req.name
                ),
            ));
        }
        if self.flow.outputs.len() >= FLOW_OUTPUT_LIMIT {
            // MediaConnect answers 420 (AddFlowOutputs420Exception) at its output limit.
            return Err(CloudError::new(
                CALL,
                ErrorKind::QuotaExceeded,
                format!("the flow already has {FLOW_OUTPUT_LIMIT} outputs, the most it can have"),
            ));
        }
        let output = FlowOutput {
            arn: self.new_output_arn(&req.name),
            name: req.name,
            medialive_input_arn: None,
            destination: Some(req.destination),
            port: Some(req.port),
            protocol: Some(req.protocol),
            description: Some(req.description),
        };
        self.flow.outputs.push(output.clone());
        Ok(output)
    }

    fn remove_flow_output(&mut self, flow_arn: &str, output_arn: &str) -> Result<(), CloudError> {
        const CALL: &str = "RemoveFlowOutput";
        self.check_flow(CALL, flow_arn)?;
        let before = self.flow.outputs.len();
        self.flow.outputs.retain(|o| o.arn != output_arn);
        if self.flow.outputs.len() == before {
            return Err(not_found(CALL, "Output", output_arn));
        }
        Ok(())
    }
}

#[async_trait]
impl MediaConnect for Simulator {
    async fn describe_flow(&self, flow_arn: &str) -> Result<Flow, CloudError> {
        self.call("DescribeFlow", Service::MediaConnect, |w| {
            w.check_flow("DescribeFlow", flow_arn)?;
            Ok(w.flow.clone())
        })
    }

    async fn add_flow_output(
        &self,
        flow_arn: &str,
        output: AddFlowOutputRequest,
    ) -> Result<FlowOutput, CloudError> {
        self.call("AddFlowOutputs", Service::MediaConnect, |w| {
            w.add_flow_output(flow_arn, output)
        })
    }

    async fn remove_flow_output(&self, flow_arn: &str, output_arn: &str) -> Result<(), CloudError> {
        self.call("RemoveFlowOutput", Service::MediaConnect, |w| {
            w.remove_flow_output(flow_arn, output_arn)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    fn output(name: &str) -> AddFlowOutputRequest {
        AddFlowOutputRequest {
            name: name.to_string(),
            protocol: "rtp-fec".to_string(),
            destination: "10.0.0.7".to_string(),
            port: 5000,
            description: "test".to_string(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_flow_is_an_active_encrypted_srt_listener() {
        let sim = sim();
        let flow = sim.describe_flow(Simulator::FLOW_ARN).await.unwrap();
        assert_eq!(flow.status, crate::cloud::FlowStatus::Active);
        assert_eq!(flow.name, "onair-show");
        assert_eq!(flow.source.protocol, "srt-listener");
        assert_eq!(flow.source.ingest_port, Some(9998));
        assert_eq!(flow.source.encryption.as_deref(), Some("aes128"));
        let err = sim
            .describe_flow("arn:aws:mediaconnect:us-east-1:1:flow:1-x:other")
            .await;
        assert_eq!(err.unwrap_err().kind, ErrorKind::NotFound);
    }

    #[tokio::test(start_paused = true)]
    async fn outputs_are_added_and_removed_by_arn() {
        let sim = sim();
        let a = sim
            .add_flow_output(Simulator::FLOW_ARN, output("a"))
            .await
            .unwrap();
        let b = sim
            .add_flow_output(Simulator::FLOW_ARN, output("b"))
            .await
            .unwrap();
        assert_ne!(a.arn, b.arn);
        assert_eq!(a.port, Some(5000));
        let err = sim
            .add_flow_output(Simulator::FLOW_ARN, output("a"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        sim.remove_flow_output(Simulator::FLOW_ARN, &a.arn)
            .await
            .unwrap();
        let err = sim
            .remove_flow_output(Simulator::FLOW_ARN, &a.arn)
            .await
            .unwrap_err();
        assert_eq!(
            (err.call, err.kind),
            ("RemoveFlowOutput", ErrorKind::NotFound)
        );
        let flow = sim.describe_flow(Simulator::FLOW_ARN).await.unwrap();
        assert_eq!(flow.outputs, vec![b]);
    }
}
