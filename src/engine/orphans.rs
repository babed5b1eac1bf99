//! Orphans: AWS resources onair made that no record owns, flow outputs whose input is gone, and
//! records whose resources vanished. `delete_orphans` removes them with the same resource
//! functions a delete uses (`steps/`), in the order AWS allows.

use super::{Engine, EngineEvent, Level};
use crate::cloud::{
    Channel, ChannelState, CloudError, FlowOutput, Input, InputSecurityGroup, InputState,
};
use crate::domain::naming::{NAME_PREFIX, TAG_MANAGED, resource_name};
use crate::domain::{Destination, DestinationId, Status, Wiring};
use std::collections::HashSet;

/// AWS resources onair made that no record owns, and records whose resources vanished.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Orphans {
    pub channels: Vec<Channel>,
    pub inputs: Vec<Input>,
    /// Flow outputs for a MediaLive input that no longer exists, and `onair-*` push outputs
    /// (the seed's wiring) that feed no input.
    pub flow_outputs: Vec<FlowOutput>,
    /// Input security groups onair made that no input uses and no record names.
    pub security_groups: Vec<InputSecurityGroup>,
    /// Records whose channel or input is gone from AWS, with what is missing.
    pub drifted: Vec<(DestinationId, String)>,
}

impl Orphans {
    /// How many AWS resources `gc --delete` would remove (drifted records are not resources).
    pub fn resources(&self) -> usize {
        self.channels.len()
            + self.inputs.len()
            + self.flow_outputs.len()
            + self.security_groups.len()
    }

    pub fn is_empty(&self) -> bool {
        self.resources() == 0 && self.drifted.is_empty()
    }
}

fn is_ours(name: &str, tags: &crate::cloud::Tags) -> bool {
    tags.get(TAG_MANAGED).is_some_and(|v| v == "true") || name.starts_with(NAME_PREFIX)
}

impl Engine {
    /// Looks for orphans in the background; the answer arrives as [`EngineEvent::Orphans`].
    pub fn scan_orphans(&self) {
        let engine = self.clone();
        tokio::spawn(async move {
            let found = engine.find_orphans().await.map_err(|e| e.to_string());
            engine.emit(EngineEvent::Orphans(found));
        });
    }

    /// Removes `orphans` in the background (see [`Engine::delete_orphans`]), then looks again.
    pub fn clean_orphans(&self, orphans: Orphans) -> Result<(), super::Refusal> {
        self.writable("gc")?;
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = engine.delete_orphans(&orphans).await {
                engine.log(Level::Error, None, format!("gc: {e}"));
            }
            let found = engine.find_orphans().await.map_err(|e| e.to_string());
            engine.emit(EngineEvent::Orphans(found));
        });
        Ok(())
    }

    /// Resources tagged as onair's (or named `onair-*`) that no record owns, flow outputs whose
    /// MediaLive input is gone, and records whose resources vanished.
    pub async fn find_orphans(&self) -> Result<Orphans, CloudError> {
        let records = self.load().await?;
        let ml = &self.inner.cloud.medialive;
        let flow_arn = self.inner.config.flow_arn.clone();
        let (channels, inputs, flow) = tokio::join!(
            ml.list_channels(),
            ml.list_inputs(),
            self.inner.cloud.mediaconnect.describe_flow(&flow_arn)
        );
        let channels: Vec<Channel> = channels?
            .into_iter()
            .filter(|c| c.state != ChannelState::Deleted)
            .collect();
        let inputs: Vec<Input> = inputs?
            .into_iter()
            .filter(|i| i.state != InputState::Deleted)
            .collect();
        let flow = flow?;
        let busy = |r: &Destination| {
            self.inner.in_flight.get(r.id()).is_some()
                || matches!(r.status, Status::Creating | Status::Deleting)
        };
        let owned_channels: HashSet<&str> = records
            .iter()
            .filter_map(|r| r.media_live_channel_id.as_deref())
            .collect();
        let owned_inputs: HashSet<&str> = records
            .iter()
            .filter_map(|r| r.media_live_input_id.as_deref())
            .collect();
        // A record being created may own a resource it hasn't written down yet: its tag says so.
        let creating: HashSet<String> = records
            .iter()
            .filter(|r| busy(r))
            .map(|r| r.id().to_string())
            .collect();
        let claimed_by_busy = |tags: &crate::cloud::Tags| {
            tags.get(crate::domain::naming::TAG_DESTINATION_ID)
                .is_some_and(|d| creating.contains(d))
        };
        let mut orphans = Orphans {
            channels: channels
                .iter()
                .filter(|c| is_ours(&c.name, &c.tags))
                .filter(|c| !owned_channels.contains(c.id.as_str()) && !claimed_by_busy(&c.tags))
                .cloned()
                .collect(),
            inputs: inputs
                .iter()
                .filter(|i| is_ours(&i.name, &i.tags))
                .filter(|i| !owned_inputs.contains(i.id.as_str()) && !claimed_by_busy(&i.tags))
                .cloned()
                .collect(),
            ..Orphans::default()
        };
        let input_arns: HashSet<&str> = inputs.iter().map(|i| i.arn.as_str()).collect();
        let endpoints: HashSet<(String, u16)> =
            inputs.iter().filter_map(Input::first_endpoint).collect();
        let owned_outputs: HashSet<&str> = records
            .iter()
            .filter_map(|r| r.media_connect_output_arn.as_deref())
            .collect();
        let busy_names: HashSet<String> = records
            .iter()
            .filter(|r| busy(r))
            .map(|r| resource_name(&r.name, &r.id()))
            .collect();
        orphans.flow_outputs = flow
            .outputs
            .iter()
            .filter(|o| match o.medialive_input_arn.as_deref() {
                Some(arn) => !input_arns.contains(arn),
                // A push output of the seed's wiring: ours by name, feeding no input.
                None => {
                    o.name.starts_with(NAME_PREFIX)
                        && !owned_outputs.contains(o.arn.as_str())
                        && !busy_names.contains(&o.name)
                        && !o
                            .destination
                            .as_ref()
                            .zip(o.port)
                            .is_some_and(|(host, port)| endpoints.contains(&(host.clone(), port)))
                }
            })
            .cloned()
            .collect();
        // Security groups exist only with the seed's wiring: don't ask for them otherwise.
        let push_in_use = self.inner.config.wiring == Wiring::RtpPush
            || records.iter().any(|r| r.input_security_group_id.is_some())
            || inputs.iter().any(|i| i.input_type.is_push());
        if push_in_use {
            let owned_groups: HashSet<&str> = records
                .iter()
                .filter_map(|r| r.input_security_group_id.as_deref())
                .collect();
            orphans.security_groups = ml
                .list_input_security_groups()
                .await?
                .into_iter()
                .filter(|g| g.tags.get(TAG_MANAGED).is_some_and(|v| v == "true"))
                .filter(|g| g.inputs.is_empty() && !owned_groups.contains(g.id.as_str()))
                .filter(|g| !claimed_by_busy(&g.tags))
                .collect();
        }
        let live_channels: HashSet<&str> = channels.iter().map(|c| c.id.as_str()).collect();
        let live_inputs: HashSet<&str> = inputs.iter().map(|i| i.id.as_str()).collect();
        for r in records.iter().filter(|r| !busy(r)) {
            let mut missing = Vec::new();
            if let Some(c) = r.media_live_channel_id.as_deref()
                && !live_channels.contains(c)
            {
                missing.push(format!("channel {c}"));
            }
            if let Some(i) = r.media_live_input_id.as_deref()
                && !live_inputs.contains(i)
            {
                missing.push(format!("input {i}"));
            }
            if !missing.is_empty() {
                orphans.drifted.push((
                    r.id(),
                    format!("{} is gone from AWS", missing.join(" and ")),
                ));
            }
        }
        Ok(orphans)
    }

    /// Removes orphaned resources in the order AWS allows: stop running channels, delete the
    /// channels, then the inputs (which takes their flow outputs with them), then flow outputs
    /// left without an input, then security groups (free once their inputs are gone). Drifted
    /// records are left to the operator (`rm` removes them). Returns a line per resource removed.
    pub async fn delete_orphans(&self, orphans: &Orphans) -> Result<Vec<String>, CloudError> {
        self.writable("gc").map_err(|r| {
            CloudError::new("gc", crate::cloud::ErrorKind::AccessDenied, r.to_string())
        })?;
        let ml = &self.inner.cloud.medialive;
        let config = &self.inner.config;
        let mut removed = Vec::new();
        for c in &orphans.channels {
            self.stop_channel_resource(None, &c.id).await?;
            self.delete_channel_resource(None, &c.id).await?;
            self.await_channel_gone_resource(&c.id).await?;
            removed.push(format!("channel {} ({})", c.id, c.name));
        }
        for i in &orphans.inputs {
            // Its state now: the channel deletions above detach it.
            let state = match self.call(None, || ml.describe_input(&i.id)).await {
                Ok(now) => Some(now.state),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(e),
            };
            self.delete_input_resource(None, &i.id, state).await?;
            removed.push(format!("input {} ({})", i.id, i.name));
        }
        let mc = &self.inner.cloud.mediaconnect;
        for o in &orphans.flow_outputs {
            match self
                .call(None, || mc.remove_flow_output(&config.flow_arn, &o.arn))
                .await
            {
                Ok(()) => removed.push(format!("flow output {}", o.name)),
                // Deleting its input may already have taken it.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        for g in &orphans.security_groups {
            match self
                .call(None, || ml.delete_input_security_group(&g.id))
                .await
            {
                Ok(()) => removed.push(format!("input security group {}", g.id)),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        for line in &removed {
            self.log(Level::Info, None, format!("gc: removed {line}"));
        }
        Ok(removed)
    }
}
