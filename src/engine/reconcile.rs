//! Reconciliation, in the manner of a Kubernetes controller: level-triggered and idempotent.
//! It fetches the records and the channel list, asks [`decide`] what each record needs, and
//! applies that: resume an operation a crash interrupted, follow a channel someone started or
//! stopped outside onair, mark a record whose channel vanished, park a chain that has idled too
//! long. It never runs a second operation on a destination that has one under way, and never
//! one on a destination an operator's operation is queued for.

use super::decide::{Decision, Drift, Seen, Timing, decide};
use super::executor::Run;
use super::incident::{self, OutputWatch, StopCause, Verdict};
use super::plan::{ChannelSeen, Op, plan};
use super::steps::Payload;
use super::{Engine, Level, OpKind};
use super::{Incident, IncidentPhase};
use crate::cloud::{ChannelState, CloudError};
use crate::domain::schedule::kind_of_name;
use crate::domain::{Desired, Destination, DestinationId, ScheduleKind, Status, when};
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
        let now = self.inner.clock.now();
        let timing = Timing::from(&self.inner.config);
        let readonly = self.inner.config.readonly;
        for record in records {
            let id = record.id();
            let listed = record
                .media_live_channel_id
                .as_deref()
                .and_then(|c| channels.get(c).copied());
            let busy = self.inner.in_flight.get(id).is_some() || self.inner.in_flight.is_queued(id);
            let seen = Seen::of(record, listed);
            if !busy {
                self.restart_failed(record).await;
                if !readonly && seen == Seen::Running && self.cut_refused_restart(record).await {
                    continue;
                }
            }
            let decision = decide(record, seen, now, &timing, busy, immediate);
            if readonly {
                // Read-only changes nothing, but a drop is still shown, with why nothing is done.
                if matches!(decision, Decision::Dropped | Decision::Restart) {
                    self.note_drop_readonly(record);
                }
                continue;
            }
            match decision {
                Decision::Leave => {}
                Decision::Dropped => {
                    if let Some(reason) = self.dropped(record).await {
                        report.corrected.push((id, reason));
                        // Every second off air counts: the restart goes in the same pass.
                        if let Some(now_idle) = self.record(id)
                            && now_idle.status == Status::Idle
                            && now_idle.desired == Desired::Running
                            && self.restart(&now_idle, listed).await
                        {
                            report.resumed.push((id, OpKind::Start));
                        }
                    }
                }
                Decision::Restart => {
                    if self.restart(record, listed).await {
                        report.resumed.push((id, OpKind::Start));
                    }
                }
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
        if !readonly {
            self.tend_schedules(channels, immediate, &mut report).await;
        }
        report
    }

    /// Brings a settled record in line with its channel; says what changed, if anything.
    async fn follow_aws(&self, record: &Destination, drift: Drift) -> Option<String> {
        let id = record.id();
        let now = self.inner.clock.now();
        let reason = match drift {
            Drift::StoppedOutside if record.desired == Desired::Running => {
                "the channel was stopped outside onair with its output healthy and no alert up \
                 to the stop: taken as stopped on purpose (desired is now idle)"
                    .to_string()
            }
            Drift::StoppedOutside => "the channel was stopped outside onair".to_string(),
            Drift::StartedOutside => "the channel was started outside onair".to_string(),
            Drift::StartedBySchedule => match record
                .schedule(ScheduleKind::Start)
                .and_then(|s| s.on_air_at)
            {
                Some(on_air) => format!(
                    "on air: started by its go-live schedule for {}",
                    when::show(on_air, now, when::local_offset())
                ),
                None => "on air: started by its go-live schedule".to_string(),
            },
            Drift::StoppedBySchedule => match record
                .schedules
                .iter()
                .find(|s| s.kind == ScheduleKind::Deadline && s.fires_at <= now)
            {
                Some(deadline) => format!(
                    "stopped by its stop-by deadline at {} (max_run; `onair extend` moves it)",
                    when::show(deadline.fires_at, now, when::local_offset())
                ),
                None => "stopped by its stop schedule".to_string(),
            },
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
                Drift::StartedBySchedule => {
                    r.running_since = Some(now);
                    r.status = Status::Running;
                    r.desired = Desired::Running;
                    r.deadline_stopped_at = None;
                    r.schedules
                        .retain(|s| !(s.kind == ScheduleKind::Start && s.fires_at <= now));
                }
                Drift::StoppedBySchedule => {
                    super::cost::close_run(r, now, &pricing);
                    r.status = Status::Idle;
                    r.desired = Desired::Idle;
                    r.deadline_stopped_at = r
                        .schedules
                        .iter()
                        .find(|s| s.kind == ScheduleKind::Deadline && s.fires_at <= now)
                        .map(|s| s.fires_at);
                    r.schedules
                        .retain(|s| !(s.kind.stops() && s.fires_at <= now));
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
        // What the operator scheduled is news, not a warning; a deadline's stop is worth one.
        let level = match drift {
            Drift::StartedBySchedule => Level::Info,
            Drift::StoppedBySchedule if !reason.contains("deadline") => Level::Info,
            _ => Level::Warn,
        };
        match written {
            Ok(_) => {
                self.log(level, Some(id), reason.clone());
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
            OpKind::Edit | OpKind::Reconcile | OpKind::Schedule => return false,
        };
        let seen = match listed {
            Some(state) => ChannelSeen::State(state),
            None if record.media_live_channel_id.is_some() => ChannelSeen::Missing,
            None => ChannelSeen::Unknown,
        };
        let Ok(plan) = plan(planned, &record, seen, self.shape()) else {
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

    fn restart_policy(&self) -> incident::Policy {
        let c = &self.inner.config;
        incident::Policy {
            auto_restart: c.auto_restart,
            attempts: c.restart_attempts,
            backoff: c.restart_backoff,
            readonly: c.readonly,
        }
    }

    fn incidents_lock(&self) -> std::sync::MutexGuard<'_, HashMap<DestinationId, Incident>> {
        self.inner
            .incidents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn watches_lock(&self) -> std::sync::MutexGuard<'_, HashMap<DestinationId, OutputWatch>> {
        self.inner.watches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The destination's incident, if it has one.
    pub fn incident(&self, id: DestinationId) -> Option<Incident> {
        self.incidents_lock().get(&id).cloned()
    }

    fn set_incident(&self, id: DestinationId, incident: Option<Incident>) {
        {
            let mut all = self.incidents_lock();
            match &incident {
                Some(i) => {
                    if all.get(&id) == Some(i) {
                        return;
                    }
                    all.insert(id, i.clone());
                }
                None => {
                    if all.remove(&id).is_none() {
                        return;
                    }
                }
            }
        }
        self.emit(super::EngineEvent::Incident(id, incident));
    }

    /// An operator's operation takes over from the reconciler: the incident ends here (a start
    /// after a give-up gets its attempts back).
    pub(crate) fn end_incident(&self, id: DestinationId, op: OpKind) {
        if self.incident(id).is_some() {
            self.log(
                Level::Info,
                Some(id),
                format!("incident handed to the operator's {}", op.verb()),
            );
            self.set_incident(id, None);
        }
    }

    /// Folds one refresh into what onair knows of each running channel's output, notes
    /// whether the source is lost, and ends the incidents of destinations back on air.
    pub(crate) fn watch_outputs(
        &self,
        records: &[Destination],
        states: &HashMap<DestinationId, ChannelState>,
        metrics: &super::MetricsSample,
        alerts: &HashMap<DestinationId, Vec<String>>,
    ) {
        let now = self.inner.clock.now();
        if let Some(connected) = metrics.source_connected {
            self.inner
                .source_lost
                .store(!connected, std::sync::atomic::Ordering::Relaxed);
        }
        let mut back = Vec::new();
        {
            let mut watches = self.watches_lock();
            for r in records {
                let id = r.id();
                if states.get(&id) == Some(&ChannelState::Running) {
                    let active = metrics.destinations.get(&id).and_then(|m| m.active_outputs);
                    let set = alerts.get(&id).map(Vec::as_slice).unwrap_or_default();
                    watches.entry(id).or_default().observe(now, active, set);
                    if active.is_some_and(|n| n >= 1.0) && r.status == Status::Running {
                        back.push(id);
                    }
                } else if r.status != Status::Running {
                    // This run is over (the decision on its stop has been made): the next
                    // starts blank.
                    watches.remove(&id);
                }
            }
        }
        for id in back {
            if let Some(i) = self.incident(id) {
                let off = incident::elapsed(now - i.since);
                self.log(
                    Level::Info,
                    Some(id),
                    format!(
                        "back on air after {} restart(s); off air for {off}",
                        i.attempts
                    ),
                );
                self.set_incident(id, None);
            }
        }
    }

    /// A channel that should run stopped outside onair: a drop (an incident; the record keeps
    /// `desired = running`), or, when its output was healthy with no alert up to the stop, a
    /// stop on purpose that the record follows. Says what it recorded.
    async fn dropped(&self, record: &Destination) -> Option<String> {
        let id = record.id();
        let now = self.inner.clock.now();
        let watch = self.watches_lock().get(&id).cloned();
        let (reason, since, assumed) = match incident::cause(watch.as_ref()) {
            StopCause::OnPurpose => {
                self.watches_lock().remove(&id);
                return self.follow_aws(record, Drift::StoppedOutside).await;
            }
            StopCause::Dropped { reason, since } => (reason, since, false),
            StopCause::Unknown => (incident::RETRIES_EXHAUSTED.to_string(), None, true),
        };
        let pricing = self.inner.catalog.pricing.clone();
        let text = format!("{}{reason}", super::decide::DROPPED);
        let written = self
            .modify(id, |r| {
                super::cost::close_run(r, now, &pricing);
                r.status = Status::Idle;
                r.last_error = Some(text.clone());
            })
            .await;
        if let Err(e) = written {
            self.log(Level::Warn, Some(id), format!("reconcile: {e}"));
            return None;
        }
        let refused = incident::refused_at_once(watch.as_ref());
        self.watches_lock().remove(&id);
        let policy = self.restart_policy();
        let (incident, line) = match self.incident(id) {
            Some(mut i) => {
                i.refused_at_once += u32::from(refused);
                i.reason = reason.clone();
                i.phase = IncidentPhase::Waiting {
                    until: now + incident::wait_before(&policy, i.attempts),
                };
                let line = format!(
                    "dropped again after restart {}/{}: {reason}",
                    i.attempts, i.of
                );
                (i, line)
            }
            None => {
                let i = Incident {
                    since: since.unwrap_or(now),
                    reason: reason.clone(),
                    attempts: 0,
                    of: policy.attempts,
                    refused_at_once: 0,
                    phase: IncidentPhase::Waiting { until: now },
                };
                let line = if assumed {
                    "channel stopped outside onair, and onair saw nothing of its output before \
                     the stop (it wasn't watching): assumed a drop, since desired is running"
                        .to_string()
                } else {
                    format!("dropped: {reason}; desired stays running")
                };
                (i, line)
            }
        };
        self.log(Level::Error, Some(id), line.clone());
        self.set_incident(id, Some(incident));
        Some(line)
    }

    /// An idle destination that should run: restart it if the policy allows it now, hold with
    /// the reason, or give up saying what to do. Returns whether a restart began.
    async fn restart(&self, record: &Destination, listed: Option<ChannelState>) -> bool {
        let id = record.id();
        let now = self.inner.clock.now();
        let policy = self.restart_policy();
        let source_lost = self
            .inner
            .source_lost
            .load(std::sync::atomic::Ordering::Relaxed);
        // Found after a restart of onair, or written by another control box: the record says it.
        let mut incident = self.incident(id).unwrap_or_else(|| Incident {
            since: record.last_modified,
            reason: record
                .last_error
                .as_deref()
                .map(|e| e.trim_start_matches(super::decide::DROPPED).to_string())
                .unwrap_or_else(|| incident::RETRIES_EXHAUSTED.to_string()),
            attempts: 0,
            of: policy.attempts,
            refused_at_once: 0,
            phase: IncidentPhase::Waiting { until: now },
        });
        match incident::verdict(
            &incident,
            &policy,
            now,
            source_lost,
            record.platform.label(),
        ) {
            Verdict::Wait => {
                self.set_incident(id, Some(incident));
                false
            }
            Verdict::Hold(why) => {
                if incident.phase != IncidentPhase::Held(why.clone()) {
                    self.log(
                        Level::Warn,
                        Some(id),
                        format!("dropped, not restarting: {why}"),
                    );
                    incident.phase = IncidentPhase::Held(why);
                    self.set_incident(id, Some(incident));
                }
                false
            }
            Verdict::GiveUp(what) => {
                let text = what.clone();
                let written = self
                    .modify(id, |r| {
                        r.status = Status::Error;
                        r.last_error = Some(text.clone());
                    })
                    .await;
                if let Err(e) = written {
                    self.log(Level::Warn, Some(id), format!("reconcile: {e}"));
                    return false;
                }
                self.log(Level::Error, Some(id), what.clone());
                incident.phase = IncidentPhase::GaveUp(what);
                self.set_incident(id, Some(incident));
                false
            }
            Verdict::Restart => {
                if !self.resume(record.clone(), OpKind::Start, listed) {
                    return false;
                }
                incident.attempts += 1;
                incident.phase = IncidentPhase::Restarting;
                let ago = incident::elapsed(now - incident.since);
                self.log(
                    Level::Warn,
                    Some(id),
                    format!(
                        "restarting: attempt {}/{}, {ago} since the drop",
                        incident.attempts, incident.of
                    ),
                );
                self.set_incident(id, Some(incident));
                true
            }
        }
    }

    /// A restarted channel refused since its first second (a revoked key) is stopped now, not
    /// billed for the rest of MediaLive's reconnect window. The record is left running: the next
    /// pass finds the channel stopped, a drop like the ones before, refused at once. Says
    /// whether it stopped it.
    async fn cut_refused_restart(&self, record: &Destination) -> bool {
        let id = record.id();
        if record.status != Status::Running || record.desired != Desired::Running {
            return false;
        }
        let now = self.inner.clock.now();
        // Three refreshes without a single active output: long past a platform's handshake.
        let grace = self.inner.config.refresh_interval * 3;
        let watch = self.watches_lock().get(&id).cloned();
        let incident = self.incident(id);
        if !incident::refused_restart(incident.as_ref(), watch.as_ref(), now, grace) {
            return false;
        }
        let Some(channel) = record.media_live_channel_id.clone() else {
            return false;
        };
        let Some(_claim) = self.inner.in_flight.claim_housekeeping(id, OpKind::Stop) else {
            return false;
        };
        let step = "stopping a refused restart";
        match self.stop_channel_call(Some(id), &channel, step).await {
            Ok(()) => {
                self.log(
                    Level::Warn,
                    Some(id),
                    "the platform refused the restarted channel from its first second: \
                     stopped now rather than billed while MediaLive retries"
                        .to_string(),
                );
                true
            }
            Err(e) => {
                self.log(Level::Warn, Some(id), format!("{step}: {}", e.error));
                false
            }
        }
    }

    /// A restart that failed (quota, access, the channel gone) leaves the record in error: the
    /// incident ends there, with the failure, for the operator.
    async fn restart_failed(&self, record: &Destination) {
        let id = record.id();
        let Some(mut incident) = self.incident(id) else {
            return;
        };
        if record.status != Status::Error || matches!(incident.phase, IncidentPhase::GaveUp(_)) {
            return;
        }
        let why = record.last_error.clone().unwrap_or_default();
        incident.phase = IncidentPhase::GaveUp(format!("restart failed: {why}; `s` retries"));
        self.set_incident(id, Some(incident));
    }

    /// Read-only: the drop is shown, nothing is written or started.
    fn note_drop_readonly(&self, record: &Destination) {
        let id = record.id();
        if self.incident(id).is_some() {
            return;
        }
        let now = self.inner.clock.now();
        let watch = self.watches_lock().get(&id).cloned();
        let (reason, since) = match incident::cause(watch.as_ref()) {
            StopCause::Dropped { reason, since } => (reason, since),
            StopCause::OnPurpose | StopCause::Unknown => {
                ("channel stopped outside onair".to_string(), None)
            }
        };
        let why = "read-only mode: onair doesn't restart it".to_string();
        self.log(
            Level::Error,
            Some(id),
            format!("dropped: {reason}; not restarting: {why}"),
        );
        self.set_incident(
            id,
            Some(Incident {
                since: since.unwrap_or(now),
                reason,
                attempts: 0,
                of: self.inner.config.restart_attempts,
                refused_at_once: 0,
                phase: IncidentPhase::Held(why),
            }),
        );
    }
}

/// How long a run already past `max_run` gets when its lost deadline is set again.
const LATE_DEADLINE_GRACE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

impl Engine {
    /// The schedules' part of a pass (with a scheduler role configured): a running destination
    /// without its stop-by deadline (a crash between "channel started" and the deadline's
    /// creation, or a go-live that fired) gets one, at its run's start + `max_run`; a stopped
    /// one's deadline is removed; a schedule that fired long ago without its effect is dropped
    /// from the record, saying so; and on an immediate pass, schedules of ours that no record
    /// names (a crash between a create and the record's write) are deleted.
    async fn tend_schedules(
        &self,
        channels: &HashMap<String, ChannelState>,
        immediate: bool,
        report: &mut ReconcileReport,
    ) {
        if self.inner.config.scheduler_role_arn.is_none() {
            return;
        }
        let now = self.inner.clock.now();
        let step = "reconcile: schedules";
        for record in self.records() {
            let id = record.id();
            if self.inner.in_flight.get(id).is_some() || self.inner.in_flight.is_queued(id) {
                continue;
            }
            let listed = record
                .media_live_channel_id
                .as_deref()
                .and_then(|c| channels.get(c).copied());
            let running = record.status == Status::Running
                && record.desired == Desired::Running
                && listed == Some(ChannelState::Running);
            if running
                && record.schedule(ScheduleKind::Deadline).is_none()
                && let Some(max_run) = self.inner.config.max_run
            {
                let since = record.running_since.unwrap_or(now);
                // A run already past max_run (its deadline lost to a crash while onair was
                // away) is not cut at once: it gets ten minutes, and the log says so, for
                // whoever is watching to extend it.
                let grace = now + LATE_DEADLINE_GRACE;
                let due = (since + max_run).max(grace);
                match self
                    .replace_schedule(id, ScheduleKind::Deadline, due, None, step)
                    .await
                {
                    Ok(_) => {
                        let text = if due == grace {
                            format!(
                                "running past max_run without a stop-by deadline: it stops at \
                                 {} unless extended",
                                when::show(due, now, when::local_offset())
                            )
                        } else {
                            "running without a stop-by deadline: set".to_string()
                        };
                        if due == grace {
                            self.log(Level::Warn, Some(id), text.clone());
                        }
                        report.corrected.push((id, text));
                    }
                    Err(f) => self.log(Level::Warn, Some(id), format!("{step}: {}", f.error)),
                }
            }
            let stopped = matches!(record.status, Status::Idle | Status::Parked)
                && record.desired != Desired::Running;
            if stopped
                && record.schedule(ScheduleKind::Deadline).is_some()
                && let Err(f) = self
                    .remove_schedules(id, &[ScheduleKind::Deadline], step)
                    .await
            {
                self.log(Level::Warn, Some(id), format!("{step}: {}", f.error));
            }
            // Fired, and what it should have done never came (the target call failed: a role
            // that can't act, a channel in the wrong state).
            let grace = self.inner.config.start_timeout;
            let stale: Vec<_> = self
                .record(id)
                .map(|r| r.schedules)
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s.fires_at + grace < now)
                .collect();
            if !stale.is_empty() {
                let names: Vec<String> = stale.iter().map(|s| s.name.clone()).collect();
                let written = self
                    .modify(id, |r| r.schedules.retain(|s| !names.contains(&s.name)))
                    .await;
                if written.is_ok() {
                    for s in stale {
                        let text = format!(
                            "schedule {} ({}) fired at {} without effect: its StartChannel / \
                             StopChannel failed (EventBridge Scheduler counts it in \
                             TargetErrorCount; check scheduler_role_arn)",
                            s.name,
                            s.kind.as_str(),
                            when::show(s.fires_at, now, when::local_offset())
                        );
                        self.log(Level::Warn, Some(id), text.clone());
                        report.corrected.push((id, text));
                    }
                }
            }
        }
        if immediate {
            self.delete_stray_schedules(step).await;
        }
    }

    /// Schedules named for a destination of this table that its record doesn't hold.
    async fn delete_stray_schedules(&self, step: &str) {
        let scheduler = &self.inner.cloud.scheduler;
        let prefix = crate::domain::naming::NAME_PREFIX;
        let names = match self.call(None, || scheduler.list_schedules(prefix)).await {
            Ok(names) => names,
            Err(e) => {
                self.log(Level::Warn, None, format!("{step}: {e}"));
                return;
            }
        };
        for record in self.records() {
            let id = record.id();
            if self.inner.in_flight.get(id).is_some() {
                continue;
            }
            for name in names.iter().filter(|n| kind_of_name(&id, n).is_some()) {
                if record.schedules.iter().any(|s| &s.name == name) {
                    continue;
                }
                if !self.stray_is_ours(id, name).await {
                    continue;
                }
                if self.delete_schedule_named(id, name, step).await.is_ok() {
                    self.log(
                        Level::Warn,
                        Some(id),
                        format!("deleted schedule {name}: left by an interrupted change"),
                    );
                }
            }
        }
    }
}
