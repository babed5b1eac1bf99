//! The flow output that feeds a destination's input. For a MEDIACONNECT input MediaLive adds
//! and removes it, and onair only writes its ARN down; for the seed's push input onair adds an
//! rtp-fec output aimed at the input's first endpoint and removes it again. Outputs have no
//! idempotency token: an add first looks for one already aimed at the endpoint or named for it.

use super::{StepCtx, StepResult, at};
use crate::cloud::{AddFlowOutputRequest, CloudError, ErrorKind, Flow, FlowOutput, Input};
use crate::domain::naming::{output_description, resource_name};
use crate::domain::{Destination, DestinationId};
use crate::engine::{Engine, Level};

/// The protocol of the seed's flow outputs: RTP with forward error correction.
pub const PUSH_PROTOCOL: &str = "rtp-fec";

/// Whether `output` is the one onair added for `input` (the name it gives, or the endpoint).
fn feeds(output: &FlowOutput, name: &str, endpoint: Option<&(String, u16)>) -> bool {
    // MediaLive's own outputs (MEDIACONNECT inputs) are never ours to add or remove.
    output.medialive_input_arn.is_none()
        && (output.name == name || endpoint.is_some_and(|e| output.aims_at(e)))
}

impl Engine {
    /// The flow as DescribeFlow shows it now.
    pub(crate) async fn flow(&self, id: DestinationId, step: &str) -> StepResult<Flow> {
        let mc = &self.inner.cloud.mediaconnect;
        let flow_arn = self.inner.config.flow_arn.clone();
        self.call(id, || mc.describe_flow(&flow_arn))
            .await
            .map_err(at(step))
    }

    /// Writes the flow output MediaLive made for the input into the record.
    async fn link_output(&self, id: DestinationId, input: &Input, step: &str) -> StepResult {
        let flow = self.flow(id, step).await?;
        let output_arn = flow
            .outputs
            .iter()
            .find(|o| o.medialive_input_arn.as_deref() == Some(input.arn.as_str()))
            .map(|o| o.arn.clone());
        if output_arn.is_none() {
            self.log(
                Level::Warn,
                Some(id),
                format!("the flow shows no output for input {}", input.id),
            );
        }
        self.modify(id, |r| r.media_connect_output_arn = output_arn)
            .await
            .map_err(at(step))?;
        Ok(())
    }

    /// An add that failed at its last step left the record without its flow output: link it
    /// before a start or stop makes the record say the chain is whole again.
    pub(crate) async fn ensure_linked(&self, id: DestinationId, step: &str) -> StepResult {
        let Some(record) = self.record(id) else {
            return Ok(());
        };
        let (None, Some(input_id)) = (
            &record.media_connect_output_arn,
            &record.media_live_input_id,
        ) else {
            return Ok(());
        };
        let ml = &self.inner.cloud.medialive;
        let input = self
            .call(id, || ml.describe_input(input_id))
            .await
            .map_err(at(step))?;
        if input.input_type.is_push() {
            self.link_push_output(id, &input, step).await
        } else {
            self.link_output(id, &input, step).await
        }
    }
    /// Sends the flow to the push input's first endpoint, adopting an output that already does,
    /// and writes the output's ARN into the record.
    pub(crate) async fn link_push_output(
        &self,
        id: DestinationId,
        input: &Input,
        step: &str,
    ) -> StepResult {
        let endpoint = input.first_endpoint().ok_or_else(|| {
            at(step)(CloudError::new(
                "DescribeInput",
                ErrorKind::Other,
                format!(
                    "push input {} has no endpoint to send the flow to",
                    input.id
                ),
            ))
        })?;
        let flow = self.flow(id, step).await?;
        let name = input.name.clone();
        let arn = match flow
            .outputs
            .iter()
            .find(|o| feeds(o, &name, Some(&endpoint)))
        {
            Some(existing) => existing.arn.clone(),
            None => {
                let (destination, port) = endpoint;
                let request = AddFlowOutputRequest {
                    name: name.clone(),
                    protocol: PUSH_PROTOCOL.to_string(),
                    destination,
                    port,
                    description: output_description(&self.inner.config.table, &id, &input.id),
                };
                let mc = &self.inner.cloud.mediaconnect;
                let flow_arn = self.inner.config.flow_arn.clone();
                let added = self
                    .call(id, || mc.add_flow_output(&flow_arn, request.clone()))
                    .await;
                match added {
                    Ok(output) => output.arn,
                    // A retry after a lost answer: the name is taken by our own output.
                    Err(e) if e.kind == ErrorKind::Validation => {
                        let flow = self.flow(id, step).await?;
                        flow.outputs
                            .iter()
                            .find(|o| feeds(o, &name, None))
                            .map(|o| o.arn.clone())
                            .ok_or_else(|| at(step)(e))?
                    }
                    Err(e) => return Err(at(step)(e)),
                }
            }
        };
        self.modify(id, |r| r.media_connect_output_arn = Some(arn.clone()))
            .await
            .map_err(|e| {
                self.remember(id, |r| r.media_connect_output_arn = Some(arn.clone()));
                at(step)(e)
            })?;
        Ok(())
    }

    /// Removes the flow output that feeds a push input (the record's, else the one named or
    /// aimed at it). MediaLive's own outputs are left to MediaLive.
    pub(crate) async fn remove_push_output(
        &self,
        id: DestinationId,
        record: &Destination,
        input: Option<&Input>,
        step: &str,
    ) -> StepResult {
        let flow = self.flow(id, step).await?;
        let name = input.map_or_else(|| resource_name(&record.name, &id), |i| i.name.clone());
        let endpoint = input.and_then(Input::first_endpoint);
        let doomed: Vec<String> = flow
            .outputs
            .iter()
            .filter(|o| {
                o.medialive_input_arn.is_none()
                    && (record.media_connect_output_arn.as_deref() == Some(o.arn.as_str())
                        || feeds(o, &name, endpoint.as_ref()))
            })
            .map(|o| o.arn.clone())
            .collect();
        let mc = &self.inner.cloud.mediaconnect;
        let flow_arn = self.inner.config.flow_arn.clone();
        for arn in doomed {
            match self
                .call(id, || mc.remove_flow_output(&flow_arn, &arn))
                .await
            {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(at(step)(e)),
            }
        }
        self.modify(id, |r| r.media_connect_output_arn = None)
            .await
            .map_err(at(step))?;
        Ok(())
    }

    /// The seed's wiring: the output onair added goes first (an output aimed at a deleted input
    /// would stream into nothing, billed). A MEDIACONNECT input's output is MediaLive's to remove.
    pub(super) async fn remove_flow_output_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let record = self.current(id, &ctx.label)?;
        let input = self.described_input(id, &record, &ctx.label).await?;
        if input.as_ref().is_some_and(|i| !i.input_type.is_push()) {
            return Ok(());
        }
        self.remove_push_output(id, &record, input.as_ref(), &ctx.label)
            .await
    }
}
