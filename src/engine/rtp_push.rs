//! The seed's wiring (`wiring = "rtp-push"`): an input security group admitting the flow's
//! egress IP, an `RTP_PUSH` input behind it, and an rtp-fec flow output that onair adds to the
//! input's first endpoint and removes itself. Nothing here has an idempotency token, so every
//! create is preceded by a look for what an interrupted run may already have made: the group by
//! its destination tag, the output by its name or its endpoint.

use super::lifecycle::{StepResult, at};
use super::{Engine, Level};
use crate::cloud::{
    AddFlowOutputRequest, CloudError, CreateInputSecurityGroupRequest, ErrorKind, FlowOutput,
    Input, InputSecurityGroup,
};
use crate::domain::naming::{TAG_DESTINATION_ID, resource_name, tags};
use crate::domain::{Destination, DestinationId};
use std::sync::atomic::{AtomicBool, Ordering};

/// The protocol of the seed's flow outputs: RTP with forward error correction.
pub const PUSH_PROTOCOL: &str = "rtp-fec";

/// Whether `output` is the one onair added for `input` (the name it gives, or the endpoint).
fn feeds(output: &FlowOutput, name: &str, endpoint: Option<&(String, u16)>) -> bool {
    // MediaLive's own outputs (MEDIACONNECT inputs) are never ours to add or remove.
    output.medialive_input_arn.is_none()
        && (output.name == name || endpoint.is_some_and(|e| output.aims_at(e)))
}

fn tagged_for(group: &InputSecurityGroup, id: &DestinationId) -> bool {
    group.tags.get(TAG_DESTINATION_ID) == Some(&id.to_string())
}

impl Engine {
    /// The security group for a new push input: the one the record names, else one carrying the
    /// destination's tag (made by a run that died before writing it down), else a new one.
    pub(crate) async fn ensure_security_group(
        &self,
        id: DestinationId,
        step: &str,
    ) -> StepResult<String> {
        let ml = &self.inner.cloud.medialive;
        let groups = self
            .call(id, || ml.list_input_security_groups())
            .await
            .map_err(at(step))?;
        let named = self.record(id).and_then(|r| r.input_security_group_id);
        if let Some(group) = named
            .as_deref()
            .and_then(|g| groups.iter().find(|x| x.id == g))
            .or_else(|| groups.iter().find(|g| tagged_for(g, &id)))
        {
            let group_id = group.id.clone();
            if named.as_deref() != Some(group_id.as_str()) {
                self.modify(id, |r| r.input_security_group_id = Some(group_id.clone()))
                    .await
                    .map_err(at(step))?;
            }
            return Ok(group_id);
        }

        let flow = self.flow(id, step).await?;
        let egress = flow.egress_ip.ok_or_else(|| {
            at(step)(CloudError::new(
                "DescribeFlow",
                ErrorKind::Validation,
                format!(
                    "flow {} reports no egress IP, which an input security group must admit",
                    flow.name
                ),
            ))
        })?;
        let request = CreateInputSecurityGroupRequest {
            allowed_cidrs: vec![format!("{egress}/32")],
            tags: tags(&id).into_iter().collect(),
        };
        // No idempotency token: a retry first looks for the group a lost answer hid.
        let retry = AtomicBool::new(false);
        let group = self
            .call(id, || async {
                if retry.swap(true, Ordering::Relaxed)
                    && let Some(made) = ml
                        .list_input_security_groups()
                        .await?
                        .into_iter()
                        .find(|g| tagged_for(g, &id))
                {
                    return Ok(made);
                }
                ml.create_input_security_group(request.clone()).await
            })
            .await
            .map_err(at(step))?;
        let group_id = group.id.clone();
        self.modify(id, |r| r.input_security_group_id = Some(group_id.clone()))
            .await
            .map_err(|e| {
                self.remember(id, |r| r.input_security_group_id = Some(group_id.clone()));
                at(step)(e)
            })?;
        Ok(group.id)
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
                    description: format!("onair: feeds MediaLive input {}", input.id),
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

    /// Deletes the security groups of a deleted push input (and any still carrying this
    /// destination's tag). A group another input still uses is left, with a warning: the seed
    /// may have shared one between inputs.
    pub(crate) async fn delete_security_groups(
        &self,
        id: DestinationId,
        mut group_ids: Vec<String>,
        step: &str,
    ) -> StepResult {
        let ml = &self.inner.cloud.medialive;
        let groups = self
            .call(id, || ml.list_input_security_groups())
            .await
            .map_err(at(step))?;
        group_ids.extend(
            groups
                .iter()
                .filter(|g| tagged_for(g, &id))
                .map(|g| g.id.clone()),
        );
        group_ids.sort();
        group_ids.dedup();
        for group_id in group_ids {
            let Some(group) = groups.iter().find(|g| g.id == group_id) else {
                continue;
            };
            if !group.inputs.is_empty() {
                self.log(
                    Level::Warn,
                    Some(id),
                    format!(
                        "input security group {group_id} is left in place: inputs {} use it",
                        group.inputs.join(", ")
                    ),
                );
                continue;
            }
            match self
                .call(id, || ml.delete_input_security_group(&group_id))
                .await
            {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(at(step)(e)),
            }
        }
        if self
            .record(id)
            .is_some_and(|r| r.input_security_group_id.is_some())
        {
            self.modify(id, |r| r.input_security_group_id = None)
                .await
                .map_err(at(step))?;
        }
        Ok(())
    }
}
