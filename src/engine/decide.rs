//! The reconciler's decision for one record, as a pure function of the record, what AWS showed
//! of its channel, the time, the configuration and whether an operation is under way. The
//! async part (`reconcile.rs`) only fetches and applies. Every (status × desired × channel)
//! combination is matched explicitly — no catch-all arm — so a new status or state can't fall
//! into a delete by default, and the table test below lists the decision for each.

use super::EngineConfig;
use super::OpKind;
use crate::cloud::ChannelState;
use crate::domain::{Desired, Destination, Status};
use std::time::Duration;
use time::OffsetDateTime;

/// How the `lastError` of a destination whose channel dropped begins: the mark that makes an
/// idle record that should run a restart, on any control box, after any restart of onair.
pub const DROPPED: &str = "dropped: ";

/// What the reconciler does with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Leave,
    /// Resume (or finish) an operation a crash or another box left half-way.
    Resume(OpKind),
    /// Bring the record in line with what happened to its channel outside onair.
    Follow(Drift),
    /// Delete the idle chain, keep the record.
    Park,
    /// The channel of a destination that should run stopped outside any onair operation: an
    /// incident (`incident.rs` tells a drop from a stop on purpose). `desired` stays.
    Dropped,
    /// A destination that should run sits idle after an incident: start it again, if the
    /// restart policy (`incident::verdict`) allows it now.
    Restart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drift {
    StoppedOutside,
    StartedOutside,
    ChannelVanished,
    /// The go-live schedule the operator set has fired: desired follows it, no incident.
    StartedBySchedule,
    /// The stop schedule or the stop-by deadline has fired: the same.
    StoppedBySchedule,
}

/// The channel as the decision needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The record names no channel.
    NoChannel,
    /// Named, but not in the listing (or DELETED).
    Missing,
    Idle,
    Running,
    /// On its way somewhere: creating, starting, stopping, updating, recovering.
    Moving,
    /// DELETING: on its way out (a park or delete under way here or on another control box, or
    /// one a crash interrupted).
    Going,
    /// CREATE_FAILED or UPDATE_FAILED.
    Failed,
}

impl Seen {
    /// From the record and the listing (`None`: not in it).
    pub fn of(record: &Destination, listed: Option<ChannelState>) -> Self {
        if record.media_live_channel_id.is_none() {
            return Seen::NoChannel;
        }
        match listed {
            None | Some(ChannelState::Deleted) => Seen::Missing,
            Some(ChannelState::Idle) => Seen::Idle,
            Some(ChannelState::Running) => Seen::Running,
            Some(
                ChannelState::Creating
                | ChannelState::Starting
                | ChannelState::Stopping
                | ChannelState::Updating
                | ChannelState::Recovering,
            ) => Seen::Moving,
            Some(ChannelState::Deleting) => Seen::Going,
            Some(ChannelState::CreateFailed | ChannelState::UpdateFailed) => Seen::Failed,
        }
    }
}

/// The timing the decision needs from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub create: Duration,
    pub start: Duration,
    pub stop: Duration,
    pub delete: Duration,
    pub park_after: Option<Duration>,
}

impl From<&EngineConfig> for Timing {
    fn from(c: &EngineConfig) -> Self {
        Self {
            create: c.create_timeout,
            start: c.start_timeout,
            stop: c.stop_timeout,
            delete: c.delete_timeout,
            park_after: c.park_after,
        }
    }
}

/// The decision for `record`. `immediate` (start-up, `r`, `onair reconcile`) resumes a
/// transitional record at once; the periodic pass waits until it is older than its operation's
/// timeout, since another control box may be running that operation.
pub fn decide(
    record: &Destination,
    seen: Seen,
    now: OffsetDateTime,
    timing: &Timing,
    in_flight: bool,
    immediate: bool,
) -> Decision {
    if in_flight {
        return Decision::Leave;
    }
    let idle_for = Duration::try_from(now - record.last_modified).unwrap_or_default();
    let settled = |timeout: Duration| immediate || idle_for > timeout;
    let resume_if = |timeout: Duration, op: OpKind| {
        if settled(timeout) {
            Decision::Resume(op)
        } else {
            Decision::Leave
        }
    };
    // Whatever is left of the chain: what parking would remove.
    let has_chain = record.media_live_channel_id.is_some()
        || record.media_live_input_id.is_some()
        || record.input_security_group_id.is_some();
    let dropped = record
        .last_error
        .as_deref()
        .is_some_and(|e| e.starts_with(DROPPED));
    // A schedule is the operator's request: once it has fired, what its channel did is theirs.
    let fired = |stops: bool| {
        record
            .schedules
            .iter()
            .any(|s| s.kind.stops() == stops && s.fires_at <= now)
    };
    // A pending go-live needs its chain: never parked from under it.
    let go_live_pending = record
        .schedules
        .iter()
        .any(|s| s.kind == crate::domain::ScheduleKind::Start);
    let park_due =
        timing.park_after.is_some_and(|after| idle_for >= after) && has_chain && !go_live_pending;
    match (record.status, record.desired, seen) {
        (Status::Deleting, _, _) => resume_if(timing.delete, OpKind::Delete),
        (
            Status::Creating
            | Status::Idle
            | Status::Starting
            | Status::Running
            | Status::Stopping
            | Status::Error
            | Status::Parked,
            Desired::Absent,
            _,
        ) => resume_if(timing.delete, OpKind::Delete),
        // A start that was re-creating a parked chain goes on to start it; an add finishes idle.
        (Status::Creating, Desired::Running, _) => resume_if(timing.create, OpKind::Start),
        (Status::Creating, Desired::Idle, _) => resume_if(timing.create, OpKind::Add),
        (Status::Starting, Desired::Idle | Desired::Running, _) => {
            resume_if(timing.start, OpKind::Start)
        }
        (Status::Stopping, Desired::Idle | Desired::Running, _) => {
            resume_if(timing.stop, OpKind::Stop)
        }
        // Only a record another box was stopping is Running with desired idle (the stop writes
        // `stopping` first): the channel did stop, follow it.
        (Status::Running, Desired::Idle, Seen::Idle) => Decision::Follow(Drift::StoppedOutside),
        // desired is the operator's, never drift's: a channel that stopped under a running
        // destination is an incident, not a new desired state.
        (Status::Running, Desired::Running, Seen::Idle) if fired(true) => {
            Decision::Follow(Drift::StoppedBySchedule)
        }
        (Status::Running, Desired::Running, Seen::Idle) => Decision::Dropped,
        (Status::Running, Desired::Idle | Desired::Running, Seen::Missing) => {
            Decision::Follow(Drift::ChannelVanished)
        }
        (
            Status::Running,
            Desired::Idle | Desired::Running,
            Seen::NoChannel | Seen::Running | Seen::Moving | Seen::Failed | Seen::Going,
        ) => Decision::Leave,
        (Status::Idle, Desired::Idle | Desired::Running, Seen::Running) if fired(false) => {
            Decision::Follow(Drift::StartedBySchedule)
        }
        (Status::Idle, Desired::Idle | Desired::Running, Seen::Running) => {
            Decision::Follow(Drift::StartedOutside)
        }
        // A drop this or another control box recorded (`lastError` says so): bring it back,
        // never park it. Other idle records that still say running (an edit that repaired an
        // error, say) wait for the operator as before.
        (Status::Idle, Desired::Running, Seen::Idle) if dropped => Decision::Restart,
        (Status::Idle, Desired::Idle | Desired::Running, Seen::Idle) => {
            if park_due {
                Decision::Park
            } else {
                Decision::Leave
            }
        }
        // Idle without a channel is no state onair leaves a record in: a park a crash cut short
        // after the channel went (no intent is written for a park). Finishing the park at once
        // makes the row say what it is; a start re-creates the chain either way.
        (Status::Idle, Desired::Idle | Desired::Running, Seen::NoChannel) => Decision::Park,
        // An idle chain whose channel is gone or going (a park a crash interrupted, or a channel
        // deleted in the console) can't be started as it is: parking removes the rest at once,
        // and a start re-creates it. (Another box parking it too is harmless: every step is
        // idempotent and the second record write loses its race quietly.)
        (Status::Idle, Desired::Idle | Desired::Running, Seen::Missing | Seen::Going) => {
            Decision::Park
        }
        (Status::Idle, Desired::Idle | Desired::Running, Seen::Moving | Seen::Failed) => {
            Decision::Leave
        }
        // An error that only wanted to be idle, whose channel is gone: the same repair.
        (Status::Error, Desired::Idle, Seen::Missing) => Decision::Park,
        // One that wanted to run is an incident: the row says the channel vanished.
        (Status::Error, Desired::Running, Seen::Missing) => {
            Decision::Follow(Drift::ChannelVanished)
        }
        // Otherwise an error waits for the operator (start re-creates, edit repairs, delete
        // removes).
        (
            Status::Error,
            Desired::Idle | Desired::Running,
            Seen::NoChannel
            | Seen::Idle
            | Seen::Running
            | Seen::Moving
            | Seen::Failed
            | Seen::Going,
        ) => Decision::Leave,
        (Status::Parked, Desired::Idle | Desired::Running, _) => Decision::Leave,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, ScheduleKind, StoredKey, StreamKey};

    const STATUSES: [Status; 8] = [
        Status::Creating,
        Status::Idle,
        Status::Starting,
        Status::Running,
        Status::Stopping,
        Status::Deleting,
        Status::Error,
        Status::Parked,
    ];
    const DESIRED: [Desired; 3] = [Desired::Idle, Desired::Running, Desired::Absent];
    const SEEN: [Seen; 7] = [
        Seen::NoChannel,
        Seen::Missing,
        Seen::Idle,
        Seen::Running,
        Seen::Moving,
        Seen::Failed,
        Seen::Going,
    ];

    fn timing() -> Timing {
        Timing {
            create: Duration::from_secs(120),
            start: Duration::from_secs(900),
            stop: Duration::from_secs(300),
            delete: Duration::from_secs(300),
            park_after: Some(Duration::from_secs(1800)),
        }
    }

    fn record(status: Status, desired: Desired, seen: Seen) -> Destination {
        let mut r = Destination::new(
            "A".into(),
            Platform::Twitch,
            "rtmp://live.twitch.tv/app".into(),
            StoredKey::Clear(StreamKey::new("k")),
            "720p30".into(),
            OffsetDateTime::UNIX_EPOCH,
        );
        r.status = status;
        r.desired = desired;
        if seen != Seen::NoChannel {
            r.media_live_channel_id = Some("c1".into());
            r.media_live_input_id = Some("i1".into());
        }
        r
    }

    /// One letter per decision: . leave, A/S/T/D resume add/start/stop/delete, o stopped
    /// outside, i started outside, v vanished, p park, x dropped (an incident), R restart.
    fn letter(d: Decision) -> char {
        match d {
            Decision::Leave => '.',
            Decision::Resume(OpKind::Add) => 'A',
            Decision::Resume(OpKind::Start) => 'S',
            Decision::Resume(OpKind::Stop) => 'T',
            Decision::Resume(OpKind::Delete) => 'D',
            Decision::Resume(other) => panic!("resumes {other:?}"),
            Decision::Follow(Drift::StoppedOutside) => 'o',
            Decision::Follow(Drift::StartedOutside) => 'i',
            Decision::Follow(Drift::ChannelVanished) => 'v',
            Decision::Follow(Drift::StartedBySchedule) => 'g',
            Decision::Follow(Drift::StoppedBySchedule) => 'h',
            Decision::Park => 'p',
            Decision::Dropped => 'x',
            Decision::Restart => 'R',
        }
    }

    /// Rows: status × desired (idle, running, absent); columns: no channel, missing, idle,
    /// running, moving, failed, going. Settled records (older than every timeout and than
    /// park_after).
    const SETTLED: [(&str, [&str; 3]); 8] = [
        ("creating", ["AAAAAAA", "SSSSSSS", "DDDDDDD"]),
        ("idle", ["pppi..p", "ppRi..p", "DDDDDDD"]),
        ("starting", ["SSSSSSS", "SSSSSSS", "DDDDDDD"]),
        ("running", [".vo....", ".vx....", "DDDDDDD"]),
        ("stopping", ["TTTTTTT", "TTTTTTT", "DDDDDDD"]),
        ("deleting", ["DDDDDDD", "DDDDDDD", "DDDDDDD"]),
        ("error", [".p.....", ".v.....", "DDDDDDD"]),
        ("parked", [".......", ".......", "DDDDDDD"]),
    ];

    #[test]
    fn every_status_desired_and_channel_has_its_settled_decision() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(3600);
        let mut cases = 0;
        for (status, (name, rows)) in STATUSES.iter().zip(SETTLED) {
            assert_eq!(status.as_str(), name);
            for (desired, row) in DESIRED.iter().zip(rows) {
                let got: String = SEEN
                    .iter()
                    .map(|seen| {
                        let mut r = record(*status, *desired, *seen);
                        if *status == Status::Idle && *desired == Desired::Running {
                            // What a recorded drop leaves (without it: parked as before).
                            r.last_error = Some(format!("{DROPPED}RTMP retries exhausted"));
                        }
                        if *seen == Seen::NoChannel && *status == Status::Idle {
                            // An idle record whose channel parking already took keeps its input
                            // only if a park was cancelled: that is what parking finishes.
                            r.media_live_input_id = Some("i1".into());
                        }
                        cases += 1;
                        letter(decide(&r, *seen, now, &timing(), false, false))
                    })
                    .collect();
                assert_eq!(got, row, "{name} desired {}", desired.as_str());
            }
        }
        assert_eq!(cases, 8 * 3 * 7);
    }

    #[test]
    fn a_fresh_transitional_record_is_left_to_whoever_runs_it_unless_immediate() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(10);
        for status in [
            Status::Creating,
            Status::Starting,
            Status::Stopping,
            Status::Deleting,
        ] {
            let r = record(status, Desired::Idle, Seen::Idle);
            assert_eq!(
                decide(&r, Seen::Idle, now, &timing(), false, false),
                Decision::Leave,
                "{status}"
            );
            assert!(matches!(
                decide(&r, Seen::Idle, now, &timing(), false, true),
                Decision::Resume(_)
            ));
        }
    }

    #[test]
    fn nothing_is_decided_while_an_operation_is_under_way() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(3600);
        for status in STATUSES {
            for desired in DESIRED {
                for seen in SEEN {
                    let r = record(status, desired, seen);
                    assert_eq!(
                        decide(&r, seen, now, &timing(), true, true),
                        Decision::Leave
                    );
                }
            }
        }
    }

    #[test]
    fn a_destination_that_should_run_is_restarted_at_once_and_never_parked() {
        // Fresh or settled, park due or not: the decision is the restart policy's to time.
        for secs in [1, 3600] {
            let now = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(secs);
            let mut r = record(Status::Idle, Desired::Running, Seen::Idle);
            r.last_error = Some(format!("{DROPPED}RTMP retries exhausted"));
            assert_eq!(
                decide(&r, Seen::Idle, now, &timing(), false, false),
                Decision::Restart
            );
            // Without the mark it is no incident: parked when due, as before.
            r.last_error = None;
            let expected = if secs > 1800 {
                Decision::Park
            } else {
                Decision::Leave
            };
            assert_eq!(
                decide(&r, Seen::Idle, now, &timing(), false, false),
                expected
            );
            let r = record(Status::Running, Desired::Running, Seen::Idle);
            assert_eq!(
                decide(&r, Seen::Idle, now, &timing(), false, false),
                Decision::Dropped
            );
        }
    }

    fn with_schedule(
        mut r: Destination,
        kind: ScheduleKind,
        fires_at: OffsetDateTime,
    ) -> Destination {
        r.schedules.push(crate::domain::ScheduleRef {
            name: format!("onair-x-{}-1", kind.as_str()),
            kind,
            fires_at,
            on_air_at: None,
        });
        r
    }

    #[test]
    fn a_fired_schedule_is_followed_as_the_operators_request_not_an_incident() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(3600);
        let past = now - Duration::from_secs(60);
        let future = now + Duration::from_secs(600);
        let decide_now = |r: &Destination, seen| decide(r, seen, now, &timing(), false, false);
        let idle = record(Status::Idle, Desired::Idle, Seen::Running);
        assert_eq!(
            decide_now(
                &with_schedule(idle.clone(), ScheduleKind::Start, past),
                Seen::Running
            ),
            Decision::Follow(Drift::StartedBySchedule)
        );
        // A go-live not yet due leaves a channel started by someone else what it was.
        assert_eq!(
            decide_now(
                &with_schedule(idle, ScheduleKind::Start, future),
                Seen::Running
            ),
            Decision::Follow(Drift::StartedOutside)
        );
        let running = record(Status::Running, Desired::Running, Seen::Idle);
        for kind in [ScheduleKind::Stop, ScheduleKind::Deadline] {
            assert_eq!(
                decide_now(&with_schedule(running.clone(), kind, past), Seen::Idle),
                Decision::Follow(Drift::StoppedBySchedule),
                "{kind:?}"
            );
            assert_eq!(
                decide_now(&with_schedule(running.clone(), kind, future), Seen::Idle),
                Decision::Dropped,
                "{kind:?}"
            );
        }
    }

    #[test]
    fn an_idle_chain_with_a_pending_go_live_is_never_parked() {
        let later = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(3600);
        let r = record(Status::Idle, Desired::Idle, Seen::Idle);
        assert_eq!(
            decide(&r, Seen::Idle, later, &timing(), false, false),
            Decision::Park
        );
        let r = with_schedule(r, ScheduleKind::Start, later + Duration::from_secs(7200));
        assert_eq!(
            decide(&r, Seen::Idle, later, &timing(), false, false),
            Decision::Leave
        );
    }

    #[test]
    fn an_idle_chain_parks_only_after_park_after_and_never_when_it_is_off() {
        let r = record(Status::Idle, Desired::Idle, Seen::Idle);
        let soon = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(60);
        assert_eq!(
            decide(&r, Seen::Idle, soon, &timing(), false, false),
            Decision::Leave
        );
        let later = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(3600);
        let never = Timing {
            park_after: None,
            ..timing()
        };
        assert_eq!(
            decide(&r, Seen::Idle, later, &never, false, false),
            Decision::Leave
        );
        // Idle with no channel (a park a crash cut short): parked at once, due or not.
        let bare = record(Status::Idle, Desired::Idle, Seen::NoChannel);
        assert_eq!(
            decide(&bare, Seen::NoChannel, soon, &never, false, false),
            Decision::Park
        );
    }
}
