//! Reconciliation, in the manner of a Kubernetes controller: level-triggered and idempotent.
//! It looks at the records (what the operator asked for, and how far each operation got) and
//! at what AWS reports, and takes the next step for each destination: finish an add or delete a
//! crash interrupted, follow a channel someone started or stopped outside onair, mark a record
//! whose resources vanished, park a chain that has idled too long. It never runs a second
//! operation on a destination that has one under way.

use super::{Engine, EngineEvent, Level, OpKind};
use crate::cloud::{
    Channel, ChannelState, CloudError, FlowOutput, Input, InputSecurityGroup, InputState,
};
use crate::domain::naming::{NAME_PREFIX, TAG_MANAGED, resource_name};
use crate::domain::{Desired, Destination, DestinationId, Status, Wiring};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// What one reconciliation did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReconcileReport {
    /// Operations resumed or started to converge, by destination.
    pub resumed: Vec<(DestinationId, OpKind)>,
    /// Records brought in line with AWS, and why.
    pub corrected: Vec<(DestinationId, String)>,
}

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
    /// Reads the table and the channel list and converges every destination now. `immediate`
    /// resumes interrupted operations at once (start-up, `r`, `onair reconcile`); the periodic
    /// pass leaves alone a transitional record younger than its operation's timeout, because
    /// another control box may be running that operation.
    pub async fn reconcile(&self, immediate: bool) -> Result<ReconcileReport, CloudError> {
        let records = self.load().await?;
        let records = self.adopt_unnamed(records).await;
        // One throttled answer must not cost the start-up reconciliation.
        let ml = &self.inner.cloud.medialive;
        let channels = super::calls::retrying(|| ml.list_channels(), |_, _| {}).await?;
        let states: HashMap<String, ChannelState> =
            channels.into_iter().map(|c| (c.id, c.state)).collect();
        Ok(self.reconcile_with(&records, &states, immediate).await)
    }

    /// A failed add may own a resource it never wrote down: records in `error` that lack a
    /// channel or input id look for one carrying their tag. Best effort; the next pass tries
    /// again. Returns the records as they are afterwards.
    pub(crate) async fn adopt_unnamed(&self, records: Vec<Destination>) -> Vec<Destination> {
        if self.inner.config.readonly {
            return records;
        }
        let unnamed: Vec<DestinationId> = records
            .iter()
            .filter(|r| r.status == Status::Error && self.inner.in_flight.get(r.id()).is_none())
            .filter(|r| r.media_live_channel_id.is_none() || r.media_live_input_id.is_none())
            .map(Destination::id)
            .collect();
        for id in &unnamed {
            let _ = self.adopt_tagged(*id, "reconcile").await;
        }
        if unnamed.is_empty() {
            records
        } else {
            self.records()
        }
    }

    pub(crate) async fn reconcile_with(
        &self,
        records: &[Destination],
        channels: &HashMap<String, ChannelState>,
        immediate: bool,
    ) -> ReconcileReport {
        let mut report = ReconcileReport::default();
        if self.inner.config.readonly {
            return report;
        }
        let now = self.inner.clock.now();
        for record in records {
            let id = record.id();
            if self.inner.in_flight.get(id).is_some() {
                continue;
            }
            let idle_for = Duration::try_from(now - record.last_modified).unwrap_or_default();
            let settled = |timeout: Duration| immediate || idle_for > timeout;
            let channel = record.media_live_channel_id.as_deref().map(|c| {
                channels
                    .get(c)
                    .copied()
                    .filter(|s| *s != ChannelState::Deleted)
            });
            let config = &self.inner.config;
            let op = match (record.status, record.desired) {
                (Status::Deleting, _) | (_, Desired::Absent) if settled(config.delete_timeout) => {
                    Some(OpKind::Delete)
                }
                (Status::Creating, _) if settled(config.create_timeout) => Some(OpKind::Add),
                (Status::Starting, _) if settled(config.start_timeout) => Some(OpKind::Start),
                (Status::Stopping, _) if settled(config.stop_timeout) => Some(OpKind::Stop),
                (Status::Running | Status::Idle, _) => {
                    if let Some(reason) = self.follow_aws(record, channel).await {
                        report.corrected.push((id, reason));
                        None
                    } else if record.status == Status::Idle
                        && config.park_after.is_some_and(|after| idle_for >= after)
                        && record.media_live_channel_id.is_some()
                    {
                        Some(OpKind::Park)
                    } else {
                        None
                    }
                }
                _ => None,
            };
            if let Some(op) = op
                && self.resume(record.clone(), op).is_ok()
            {
                report.resumed.push((id, op));
            }
        }
        report
    }

    /// Brings a settled record in line with its channel; says what changed, if anything.
    async fn follow_aws(
        &self,
        record: &Destination,
        channel: Option<Option<ChannelState>>,
    ) -> Option<String> {
        let id = record.id();
        let now = self.inner.clock.now();
        let reason = match (record.status, channel) {
            (_, None) => return None,
            (Status::Running, Some(Some(ChannelState::Idle))) => {
                "the channel was stopped outside onair".to_string()
            }
            (Status::Idle, Some(Some(ChannelState::Running))) => {
                "the channel was started outside onair".to_string()
            }
            (_, Some(None)) => format!(
                "channel {} vanished outside onair: start re-creates it, delete removes the record",
                record.media_live_channel_id.as_deref().unwrap_or("?")
            ),
            _ => return None,
        };
        let pricing = self.inner.catalog.pricing.clone();
        let written = self
            .modify(id, |r| match channel {
                Some(Some(ChannelState::Idle)) => {
                    super::cost::close_run(r, now, &pricing);
                    r.status = Status::Idle;
                    r.desired = Desired::Idle;
                }
                Some(Some(ChannelState::Running)) => {
                    r.running_since = Some(now);
                    r.status = Status::Running;
                    r.desired = Desired::Running;
                }
                _ => {
                    r.media_live_channel_id = None;
                    r.running_since = None;
                    r.status = Status::Error;
                    r.last_error = Some(reason.clone());
                }
            })
            .await;
        match written {
            Ok(_) => {
                self.log(Level::Warn, Some(id), reason.clone());
                Some(reason)
            }
            Err(e) => {
                self.log(Level::Warn, Some(id), format!("reconcile: {e}"));
                None
            }
        }
    }

    /// Runs `op` on a record found half-way through (or due for parking).
    fn resume(&self, record: Destination, op: OpKind) -> Result<(), ()> {
        let id = record.id();
        let claim = self.inner.in_flight.claim(id, op).map_err(|_| ())?;
        self.log(
            Level::Info,
            Some(id),
            format!("reconcile: {} (record was {})", op.verb(), record.status),
        );
        // The record is ours to write now: take the table's version of it.
        self.records_lock().insert(id, record);
        let engine = self.clone();
        tokio::spawn(async move {
            let result = match op {
                OpKind::Add => match engine
                    .build_chain(id, OpKind::Add, 2, 1 + engine.chain_steps())
                    .await
                {
                    Ok(()) => engine
                        .modify(id, |r| {
                            r.status = Status::Idle;
                            r.last_error = None;
                        })
                        .await
                        .map(|_| ())
                        .map_err(super::lifecycle::at("saving")),
                    Err(e) => Err(e),
                },
                OpKind::Start => engine.run_start(id).await,
                OpKind::Stop => engine.run_stop(id).await,
                OpKind::Park => engine.run_park(id).await,
                _ => engine.run_delete(id).await,
            };
            engine.finish(id, op, result).await;
            drop(claim);
        });
        Ok(())
    }

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
            || inputs.iter().any(|i| i.input_type == "RTP_PUSH");
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
    /// left without an input, then security groups (free once their inputs are gone). Drifted records are left to the operator (`rm` removes them).
    /// Returns a line per resource removed.
    pub async fn delete_orphans(&self, orphans: &Orphans) -> Result<Vec<String>, CloudError> {
        use super::calls::{Wanted, retrying, wait_for_channel, wait_for_input};
        self.writable("gc").map_err(|r| {
            CloudError::new("gc", crate::cloud::ErrorKind::AccessDenied, r.to_string())
        })?;
        let ml = &self.inner.cloud.medialive;
        let config = &self.inner.config;
        let mut removed = Vec::new();
        for c in &orphans.channels {
            if matches!(c.state, ChannelState::Running | ChannelState::Starting) {
                wait_for_channel(
                    ml.as_ref(),
                    &c.id,
                    Wanted::Channel(ChannelState::Running),
                    config.start_timeout,
                )
                .await?;
                retrying(|| ml.stop_channel(&c.id), |_, _| {}).await?;
                wait_for_channel(
                    ml.as_ref(),
                    &c.id,
                    Wanted::Channel(ChannelState::Idle),
                    config.stop_timeout,
                )
                .await?;
            }
            match retrying(|| ml.delete_channel(&c.id), |_, _| {}).await {
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
            wait_for_channel(
                ml.as_ref(),
                &c.id,
                Wanted::ChannelGone,
                config.delete_timeout,
            )
            .await?;
            removed.push(format!("channel {} ({})", c.id, c.name));
        }
        let timeout = Duration::from_secs(60);
        for i in &orphans.inputs {
            if wait_for_input(ml.as_ref(), &i.id, InputState::Detached, timeout)
                .await?
                .is_some()
            {
                match retrying(|| ml.delete_input(&i.id), |_, _| {}).await {
                    Ok(()) => {}
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e),
                }
                wait_for_input(ml.as_ref(), &i.id, InputState::Deleted, timeout).await?;
            }
            removed.push(format!("input {} ({})", i.id, i.name));
        }
        let mc = &self.inner.cloud.mediaconnect;
        for o in &orphans.flow_outputs {
            match retrying(
                || mc.remove_flow_output(&config.flow_arn, &o.arn),
                |_, _| {},
            )
            .await
            {
                Ok(()) => removed.push(format!("flow output {}", o.name)),
                // Deleting its input may already have taken it.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        for g in &orphans.security_groups {
            match retrying(|| ml.delete_input_security_group(&g.id), |_, _| {}).await {
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
