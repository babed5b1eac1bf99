//! The operator's schedules: `schedule` (a go-live a lead ahead of its on-air time, and/or a
//! stop), `unschedule`, and `extend` (the stop-by deadline later). Each is checked here without
//! AWS — a time in the past, a stop before the start, no scheduler role, a parked destination
//! that can't be re-created in time — and refused before anything is created; then it runs as
//! an operation like any other (`OpKind::Schedule`), through the plan and the executor.
//!
//! A parked destination has no channel for a schedule to start: its chain is re-created now,
//! in the same operation, and the reconciler won't park it again while a go-live is pending
//! (`decide`). One whose start would fire before a chain can be built is refused.

use super::executor::Run;
use super::plan::Op;
use super::steps::Payload;
use super::steps::schedule::{ScheduleChange, StartAt};
use super::{Engine, OpKind, Refusal};
use crate::domain::{Destination, DestinationId, ScheduleKind, Status, when};
use std::time::Duration;
use time::OffsetDateTime;

/// The least time between now and a schedule's firing: EventBridge needs a moment, and a
/// schedule that fires as it is created is a start by another name.
pub const MIN_AHEAD: Duration = Duration::from_secs(60);

/// `10 min`, or `18 s` under a minute (the demo's lead, at its speed).
pub fn minutes(d: time::Duration) -> String {
    match d.whole_minutes() {
        0 => format!("{} s", d.whole_seconds().max(0)),
        m => format!("{m} min"),
    }
}

/// Why a schedule was refused: each names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleProblem {
    #[error(
        "scheduler_role_arn is not set: schedules and stop-by deadlines need the role EventBridge Scheduler starts and stops channels with (docs/aws/foundation.yaml creates it; set `scheduler_role_arn` in the config)"
    )]
    NoRole,
    #[error("nothing to schedule: give --start TIME and/or --stop TIME")]
    Nothing,
    #[error("--start {0} is in the past")]
    StartInPast(String),
    #[error("--stop {0} is in the past")]
    StopInPast(String),
    #[error("--stop {stop} is not after --start {start}")]
    StopBeforeStart { start: String, stop: String },
    #[error(
        "{name} is parked and its chain takes up to {build} min to re-create: on air at {on_air} is too soon (start it now, or schedule {earliest} or later)"
    )]
    TooSoonToUnpark {
        name: String,
        build: u64,
        on_air: String,
        earliest: String,
    },
    #[error("{0} has no stop-by deadline to extend (it is not running, or max_run is off)")]
    NoDeadline(String),
}

/// What `schedule` will create, checked against the clock and the record: the go-live fires a
/// lead before its on-air time (never sooner than a minute from now), the stop after it.
pub fn plan_schedule(
    record: &Destination,
    start: Option<OffsetDateTime>,
    stop: Option<OffsetDateTime>,
    now: OffsetDateTime,
    lead: Duration,
    build: Duration,
) -> Result<ScheduleChange, ScheduleProblem> {
    let offset = when::local_offset();
    let show = |t| when::show(t, now, offset);
    if start.is_none() && stop.is_none() {
        return Err(ScheduleProblem::Nothing);
    }
    let earliest = now + MIN_AHEAD;
    if let Some(t) = start
        && t <= now
    {
        return Err(ScheduleProblem::StartInPast(show(t)));
    }
    if let Some(t) = stop
        && t <= now
    {
        return Err(ScheduleProblem::StopInPast(show(t)));
    }
    if let (Some(a), Some(b)) = (start, stop)
        && b <= a
    {
        return Err(ScheduleProblem::StopBeforeStart {
            start: show(a),
            stop: show(b),
        });
    }
    let start = start.map(|on_air| StartAt {
        on_air,
        fires: (on_air - lead).max(earliest),
    });
    if record.status == Status::Parked
        && let Some(s) = start
        && s.fires < now + build
    {
        let build_min = build.as_secs().div_ceil(60);
        return Err(ScheduleProblem::TooSoonToUnpark {
            name: record.name.clone(),
            build: build_min,
            on_air: show(s.on_air),
            earliest: show(now + build + lead),
        });
    }
    let stop = stop.map(|t| t.max(earliest));
    Ok(ScheduleChange::Set { start, stop })
}

impl Engine {
    /// Schedules a go-live (`start`: when it must be on air) and/or a stop for a destination.
    pub fn schedule(
        &self,
        id: DestinationId,
        start: Option<OffsetDateTime>,
        stop: Option<OffsetDateTime>,
    ) -> Result<(), Refusal> {
        let change = self.check_schedule(id, start, stop)?;
        self.run_schedule(id, change)
    }

    /// Everything `schedule` checks, without doing it: the CLI checks every destination
    /// before it schedules any, so a refusal changes nothing.
    pub fn check_schedule(
        &self,
        id: DestinationId,
        start: Option<OffsetDateTime>,
        stop: Option<OffsetDateTime>,
    ) -> Result<ScheduleChange, Refusal> {
        self.writable("schedule")?;
        let record = self.known(id)?;
        self.scheduler_configured()?;
        if let Some(doing) = self.in_flight(id) {
            return Err(Refusal::Busy {
                name: record.name,
                doing: doing.verb(),
            });
        }
        plan_schedule(
            &record,
            start,
            stop,
            self.inner.clock.now(),
            self.inner.config.schedule_lead,
            self.inner.config.create_timeout,
        )
        .map_err(|p| Refusal::NotNow(p.to_string()))
    }

    /// Removes a destination's go-live and stop schedules.
    pub fn unschedule(&self, id: DestinationId) -> Result<(), Refusal> {
        self.writable("unschedule")?;
        let record = self.known(id)?;
        if !record
            .schedules
            .iter()
            .any(|s| matches!(s.kind, ScheduleKind::Start | ScheduleKind::Stop))
        {
            return Err(Refusal::NotNow(format!(
                "{} has no go-live or stop schedule",
                record.name
            )));
        }
        self.run_schedule(id, ScheduleChange::Clear)
    }

    /// Moves a running destination's stop-by deadline `by` later.
    pub fn extend(&self, id: DestinationId, by: Duration) -> Result<(), Refusal> {
        self.writable("extend")?;
        let record = self.known(id)?;
        self.scheduler_configured()?;
        if record.schedule(ScheduleKind::Deadline).is_none() && record.status != Status::Running {
            return Err(Refusal::NotNow(
                ScheduleProblem::NoDeadline(record.name).to_string(),
            ));
        }
        self.run_schedule(id, ScheduleChange::Extend(by))
    }

    fn scheduler_configured(&self) -> Result<(), Refusal> {
        match self.inner.config.scheduler_role_arn {
            Some(_) => Ok(()),
            None => Err(Refusal::NotNow(ScheduleProblem::NoRole.to_string())),
        }
    }

    fn run_schedule(&self, id: DestinationId, change: ScheduleChange) -> Result<(), Refusal> {
        let prepare = Box::new(move |engine: &Engine, record: &Destination| {
            let unpark = record.status == Status::Parked
                && matches!(change, ScheduleChange::Set { start: Some(_), .. });
            match record.status {
                // A chain whose channel is gone has nothing a schedule could start or stop.
                Status::Idle | Status::Running | Status::Error
                    if record.media_live_channel_id.is_none() =>
                {
                    return Err(Refusal::NotNow(format!(
                        "{} has no channel (start re-creates it, delete removes the record)",
                        record.name
                    )));
                }
                Status::Idle | Status::Running | Status::Error => {}
                Status::Parked if unpark => {}
                Status::Parked => {
                    // A stop or an extend of a parked destination: there is no channel to stop.
                    return Err(Refusal::NotNow(format!(
                        "{} is parked: it has no channel to stop",
                        record.name
                    )));
                }
                other => return Err(engine.busy(record, other)),
            }
            let planned = engine.plan_for(Op::Schedule { unpark }, record)?;
            Ok(Run::new(
                record.id(),
                OpKind::Schedule,
                planned,
                Payload::Schedule(change),
            ))
        });
        self.operate(id, OpKind::Schedule, prepare)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, StreamKey};
    use time::macros::datetime;

    const LEAD: Duration = Duration::from_secs(600);
    const BUILD: Duration = Duration::from_secs(120);

    fn record(status: Status) -> Destination {
        let mut r = Destination::new(
            "Main".into(),
            Platform::Twitch,
            "rtmp://live.twitch.tv/app".into(),
            StreamKey::new("k"),
            "720p30".into(),
            datetime!(2026-12-06 10:00 UTC),
        );
        r.status = status;
        r
    }

    #[test]
    fn a_go_live_fires_a_lead_early_but_never_within_a_minute() {
        let now = datetime!(2026-12-06 18:00 UTC);
        let at = datetime!(2026-12-06 19:30 UTC);
        let change = plan_schedule(&record(Status::Idle), Some(at), None, now, LEAD, BUILD);
        assert_eq!(
            change,
            Ok(ScheduleChange::Set {
                start: Some(StartAt {
                    on_air: at,
                    fires: datetime!(2026-12-06 19:20 UTC)
                }),
                stop: None
            })
        );
        let soon = now + Duration::from_secs(300);
        let Ok(ScheduleChange::Set { start: Some(s), .. }) =
            plan_schedule(&record(Status::Idle), Some(soon), None, now, LEAD, BUILD)
        else {
            panic!("plannable");
        };
        assert_eq!(s.fires, now + MIN_AHEAD);
    }

    #[test]
    fn bad_schedules_are_named() {
        let now = datetime!(2026-12-06 18:00 UTC);
        let r = record(Status::Idle);
        let past = datetime!(2026-12-06 17:00 UTC);
        let later = datetime!(2026-12-06 20:00 UTC);
        let p = |start, stop| plan_schedule(&r, start, stop, now, LEAD, BUILD).unwrap_err();
        assert!(matches!(
            p(Some(past), None),
            ScheduleProblem::StartInPast(_)
        ));
        assert!(matches!(
            p(None, Some(past)),
            ScheduleProblem::StopInPast(_)
        ));
        assert!(matches!(
            p(Some(later), Some(later)),
            ScheduleProblem::StopBeforeStart { .. }
        ));
        assert_eq!(p(None, None), ScheduleProblem::Nothing);
    }

    #[test]
    fn a_parked_destination_is_refused_when_its_chain_cannot_be_built_in_time() {
        let now = datetime!(2026-12-06 18:00 UTC);
        let parked = record(Status::Parked);
        // Fires at now + 1 min (the lead is longer than what is left): no time to build.
        let soon = now + Duration::from_secs(5 * 60);
        let err = plan_schedule(&parked, Some(soon), None, now, LEAD, BUILD).unwrap_err();
        assert!(
            matches!(err, ScheduleProblem::TooSoonToUnpark { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("parked"), "{err}");
        let later = now + Duration::from_secs(3600);
        assert!(plan_schedule(&parked, Some(later), None, now, LEAD, BUILD).is_ok());
    }
}
