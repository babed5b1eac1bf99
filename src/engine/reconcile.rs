//! Reconciliation, in the manner of a Kubernetes controller: level-triggered and idempotent.
//! It fetches the records and the channel list, asks [`decide`] what each record needs, and
//! applies that: resume an operation a crash interrupted, follow a channel someone started or
//! stopped outside onair, mark a record whose channel vanished, park a chain that has idled too
//! long. It never runs a second operation on a destination that has one under way, and never
//! one on a destination an operator's operation is queued for.

use super::decide::{Decision, Drift, Seen, Timing, decide};
use super::executor::Run;
use super::plan::{ChannelSeen, Op, plan};
use super::steps::Payload;
use super::{Engine, Level, OpKind};
use crate::cloud::{ChannelState, CloudError};
use crate::domain::{Desired, Destination, DestinationId, Status};
use std::collections::HashMap;

/// What one reconciliation did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReconcileReport {
    /// Operations resumed or started to converge, by destination.
    pub resumed: Vec<(DestinationId, OpKind)>,
    /// Records brought in line with AWS, and why.
    pub corrected: Vec<(DestinationId, String)>,
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
        self.remember_channels(&states);
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
        let timing = Timing::from(&self.inner.config);
        for record in records {
            let id = record.id();
            let listed = record
                .media_live_channel_id
                .as_deref()
                .and_then(|c| channels.get(c).copied());
            let busy = self.inner.in_flight.get(id).is_some() || self.inner.in_flight.is_queued(id);
            let seen = Seen::of(record, listed);
            match decide(record, seen, now, &timing, busy, immediate) {
                Decision::Leave => {}
                Decision::Follow(drift) => {
                    if let Some(reason) = self.follow_aws(record, drift).await {
                        report.corrected.push((id, reason));
                    }
                }
                Decision::Park => {
                    if self.resume(record.clone(), OpKind::Park, listed) {
                        if matches!(seen, Seen::Missing | Seen::Going) {
                            let reason = format!(
                                "channel {} is gone from AWS (a park cut short, or a delete \
                                 outside onair): parking what is left; a start re-creates it",
                                record.media_live_channel_id.as_deref().unwrap_or("?")
                            );
                            self.log(Level::Warn, Some(id), reason.clone());
                            report.corrected.push((id, reason));
                        }
                        report.resumed.push((id, OpKind::Park));
                    }
                }
                Decision::Resume(op) => {
                    if self.resume(record.clone(), op, listed) {
                        report.resumed.push((id, op));
                    }
                }
            }
        }
        report
    }

    /// Brings a settled record in line with its channel; says what changed, if anything.
    async fn follow_aws(&self, record: &Destination, drift: Drift) -> Option<String> {
        let id = record.id();
        let now = self.inner.clock.now();
        let reason = match drift {
            Drift::StoppedOutside => "the channel was stopped outside onair".to_string(),
            Drift::StartedOutside => "the channel was started outside onair".to_string(),
            Drift::ChannelVanished => format!(
                "channel {} vanished outside onair: start re-creates it, delete removes the record",
                record.media_live_channel_id.as_deref().unwrap_or("?")
            ),
        };
        let pricing = self.inner.catalog.pricing.clone();
        let written = self
            .modify(id, |r| match drift {
                Drift::StoppedOutside => {
                    super::cost::close_run(r, now, &pricing);
                    r.status = Status::Idle;
                    r.desired = Desired::Idle;
                }
                Drift::StartedOutside => {
                    r.running_since = Some(now);
                    r.status = Status::Running;
                    r.desired = Desired::Running;
                }
                Drift::ChannelVanished => {
                    super::cost::close_run(r, now, &pricing);
                    r.media_live_channel_id = None;
                    // A new channel needs a new idempotency token.
                    r.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
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

    /// Runs `op` on a record found half-way through (or due for parking), as housekeeping: it
    /// gives way to any operator's operation. Returns whether it started.
    fn resume(&self, record: Destination, op: OpKind, listed: Option<ChannelState>) -> bool {
        let id = record.id();
        let planned = match op {
            OpKind::Add => Op::ResumeAdd,
            OpKind::Start => Op::Start,
            OpKind::Stop => Op::Stop,
            OpKind::Delete => Op::Delete,
            OpKind::Park => Op::Park,
            OpKind::Unpark => Op::Unpark,
            OpKind::Edit | OpKind::Reconcile => return false,
        };
        let seen = match listed {
            Some(state) => ChannelSeen::State(state),
            None if record.media_live_channel_id.is_some() => ChannelSeen::Missing,
            None => ChannelSeen::Unknown,
        };
        let Ok(plan) = plan(planned, &record, seen, self.inner.config.wiring) else {
            return false;
        };
        if let Some(why) = self.missing_preset(&record, &plan) {
            self.log(
                Level::Warn,
                Some(id),
                format!("reconcile: {} left: {why}", op.verb()),
            );
            return false;
        }
        let Some(claim) = self.inner.in_flight.claim_housekeeping(id, op) else {
            return false;
        };
        self.log(
            Level::Info,
            Some(id),
            format!("reconcile: {} (record was {})", op.verb(), record.status),
        );
        // The record is ours to write now: take the table's version of it.
        self.records_lock().insert(id, record);
        self.spawn_run(claim, Run::new(id, op, plan, Payload::None));
        true
    }
}
