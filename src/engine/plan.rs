//! Planning: what an operation does, decided from the record and from what AWS last showed,
//! before anything is called. Pure: no clock, no AWS, no I/O — so every (operation × state)
//! combination is a unit test, and a start of a parked destination can't take the path of a
//! start of an idle one by accident.
//!
//! The executor (`executor.rs`) runs the steps in order, numbering progress from the plan's own
//! index and length; each step (`steps/`) is idempotent and re-reads the record and AWS, so a
//! plan made from a slightly stale observation still converges.

use crate::cloud::ChannelState;
use crate::domain::{Desired, Destination, Status, StoredKey, Wiring};

/// The operations a plan can be made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A new destination: the record, then its chain. `sealing`: the key is sealed with KMS first.
    Add {
        sealing: bool,
    },
    /// Finish an add a crash interrupted: the chain, without a new record.
    ResumeAdd,
    Start,
    Stop,
    /// `live`: the channel runs and is stopped, updated and started again. `sealing`: a typed
    /// key is sealed with KMS before anything is stopped.
    Edit {
        live: bool,
        sealing: bool,
    },
    Delete,
    /// Remove an idle destination's chain, keep the record.
    Park,
    /// Re-create a parked destination's chain, leave it idle.
    Unpark,
    /// Create, move or remove the operator's EventBridge schedules. `unpark`: the destination
    /// is parked and a go-live is asked for: its chain is re-created first, since the schedule
    /// must name the channel it starts.
    Schedule {
        unpark: bool,
    },
}

/// What AWS last showed of the record's channel (from the latest ListChannels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelSeen {
    /// No listing yet, or the listing failed: plan from the record alone.
    Unknown,
    /// The listing doesn't have the channel the record names (or shows it DELETED).
    Missing,
    State(ChannelState),
}

/// One step of a plan. Each has one implementation (in `steps/`), shared by every operation,
/// the reconciler and `gc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Encrypt the typed key with KMS (add, edit).
    SealKey,
    /// PutItem if absent: the new record.
    SaveNewRecord,
    /// The record names a channel AWS no longer has: drop the id and take a new request id, so
    /// the chain is built again.
    ForgetVanishedChannel,
    /// Look up a channel or input carrying the destination's tag that the record doesn't name
    /// (an add interrupted between a create and the write of its id).
    AdoptTagged,
    EnsureSecurityGroup,
    /// Create the input (or check that the one named exists), and wait until it is DETACHED.
    CreateInput,
    CreateChannel,
    /// Wait until a new channel is IDLE.
    AwaitChannelCreated,
    /// Write the flow output that feeds the input into the record (add one, for a push input).
    LinkFlowOutput,
    /// PutMetricAlarm of each of the channel's alarms (idempotent by name), and removal of the
    /// destination's alarms under an old name.
    EnsureAlarms,
    /// DeleteAlarms of the destination's alarms, before its channel goes.
    DeleteAlarms,
    /// Mark `starting` / desired running, then StartChannel (one BatchStart in a batch).
    StartChannel,
    AwaitRunning,
    /// `running` with the start of the run (the cost meter).
    SaveRunning,
    /// Mark `stopping` / desired idle, then StopChannel (waiting for RUNNING first if needed).
    StopChannel,
    /// Wait until IDLE and close the run on the record.
    AwaitIdle,
    /// `idle` (and the error cleared).
    SaveIdle,
    /// The edit's new fields into the record.
    SaveChanges,
    /// UpdateChannel with the whole configuration, and wait until it is IDLE again.
    UpdateChannel,
    /// Stop the channel if it runs (any way it got there), ready for its deletion.
    StopForDeletion,
    DeleteChannel,
    AwaitChannelGone,
    /// RemoveFlowOutput of the output onair added for a push input.
    RemoveFlowOutput,
    /// DeleteInput once it is DETACHED, and wait until it is DELETED (its flow output with it).
    DeleteInput,
    DeleteSecurityGroup,
    /// `parked`, with fresh request ids for the next chain.
    SaveParked,
    DeleteRecord,
    /// The stop-by deadline: a StopChannel schedule at now + `max_run` (replacing the last one).
    SetDeadline,
    /// Delete the stop-by deadline (a stop by hand: it has done its job).
    ClearDeadline,
    /// Delete every schedule of the destination, before its chain goes.
    DeleteSchedules,
    /// Create, move or remove the schedules the operator asked for (`schedule`, `unschedule`,
    /// `extend`).
    ApplySchedule,
}

impl Step {
    /// What the row and the log say while the step runs.
    pub fn label(self) -> &'static str {
        match self {
            Step::SealKey => "sealing stream key with KMS",
            Step::SaveNewRecord => "saving record",
            Step::ForgetVanishedChannel => "forgetting vanished channel",
            Step::AdoptTagged => "looking for tagged resources",
            Step::EnsureSecurityGroup => "creating security group",
            Step::CreateInput => "creating input",
            Step::CreateChannel => "creating channel",
            Step::AwaitChannelCreated => "waiting for channel",
            Step::LinkFlowOutput => "linking flow output",
            Step::EnsureAlarms => "setting alarms",
            Step::DeleteAlarms => "deleting alarms",
            Step::StartChannel => "starting channel",
            Step::AwaitRunning => "waiting for RUNNING",
            Step::SaveRunning | Step::SaveIdle | Step::SaveParked => "saving",
            Step::StopChannel | Step::StopForDeletion => "stopping channel",
            Step::AwaitIdle => "waiting for IDLE",
            Step::SaveChanges => "saving changes",
            Step::UpdateChannel => "updating channel",
            Step::DeleteChannel => "deleting channel",
            Step::AwaitChannelGone => "waiting for deletion",
            Step::RemoveFlowOutput => "removing flow output",
            Step::DeleteInput => "deleting input",
            Step::DeleteSecurityGroup => "deleting security group",
            Step::DeleteRecord => "removing record",
            Step::SetDeadline => "setting stop-by deadline",
            Step::ClearDeadline => "removing stop-by deadline",
            Step::DeleteSchedules => "removing schedules",
            Step::ApplySchedule => "scheduling",
        }
    }

    /// Removes part of a chain: after it, the rest of the teardown is not cancelled.
    pub fn removes(self) -> bool {
        matches!(
            self,
            Step::DeleteAlarms
                | Step::DeleteChannel
                | Step::AwaitChannelGone
                | Step::RemoveFlowOutput
                | Step::DeleteInput
                | Step::DeleteSecurityGroup
        )
    }

    /// Waits change nothing in AWS: a cancellation may end one at once instead of at its end.
    pub fn is_wait(self) -> bool {
        matches!(
            self,
            Step::AwaitChannelCreated | Step::AwaitRunning | Step::AwaitIdle
        )
    }
}

/// What the executor writes before the first step (what the operator asked for, and the
/// transitional status a crash would be resumed from), then the steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub intent: Option<(Status, Desired)>,
    pub steps: Vec<Step>,
}

/// Why an operation can't be planned from this state. Refusals happen before any AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unplannable {
    AlreadyRunning,
    NotRunning,
    NoChannelToStop,
}

/// How new chains are built: the wiring, and whether channels get CloudWatch alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    pub wiring: Wiring,
    pub alarms: bool,
}

impl From<Wiring> for Shape {
    fn from(wiring: Wiring) -> Self {
        Shape {
            wiring,
            alarms: false,
        }
    }
}

/// Plans `op` for `record`, given what AWS last showed of its channel and how new chains are
/// built. Each resource's steps appear only where the record names it or may own it untracked.
pub fn plan(
    op: Op,
    record: &Destination,
    channel: ChannelSeen,
    shape: impl Into<Shape>,
) -> Result<Plan, Unplannable> {
    let shape: Shape = shape.into();
    // A channel on its way out (a park cancelled after its DeleteChannel) is no channel to
    // start, stop or update: it is waited out, then built again.
    let going = matches!(
        channel,
        ChannelSeen::Missing | ChannelSeen::State(ChannelState::Deleting | ChannelState::Deleted)
    );
    let has_channel = record.media_live_channel_id.is_some() && !going;
    let plan = match op {
        Op::Add { sealing } => {
            let mut steps = Vec::new();
            if sealing {
                steps.push(Step::SealKey);
            }
            steps.push(Step::SaveNewRecord);
            steps.extend(chain(record, shape));
            steps.push(Step::SaveIdle);
            Plan {
                intent: None,
                steps,
            }
        }
        Op::ResumeAdd | Op::Unpark => {
            let mut steps = forget_vanished(record, channel);
            steps.extend(chain(record, shape));
            steps.push(Step::SaveIdle);
            Plan {
                intent: Some((Status::Creating, Desired::Idle)),
                steps,
            }
        }
        Op::Start => {
            if record.status == Status::Running && has_channel {
                return Err(Unplannable::AlreadyRunning);
            }
            let mut steps = Vec::new();
            let mut intent = None;
            if !has_channel {
                // A parked destination, one whose add stopped half-way, or one whose channel
                // vanished: its chain is built again first.
                steps.extend(forget_vanished(record, channel));
                steps.extend(chain(record, shape));
                intent = Some((Status::Creating, Desired::Running));
            } else if shape.alarms {
                // A channel made before the topic was configured (or whose alarms someone
                // deleted) gets them before it goes live: PutMetricAlarm is idempotent.
                steps.push(Step::EnsureAlarms);
            }
            steps.extend([
                Step::StartChannel,
                Step::AwaitRunning,
                Step::SaveRunning,
                Step::SetDeadline,
            ]);
            Plan { intent, steps }
        }
        Op::Stop => {
            if matches!(record.status, Status::Idle | Status::Parked) {
                return Err(Unplannable::NotRunning);
            }
            if has_channel {
                Plan {
                    intent: None,
                    steps: vec![
                        Step::StopChannel,
                        Step::AwaitIdle,
                        Step::SaveIdle,
                        Step::ClearDeadline,
                    ],
                }
            } else if matches!(record.status, Status::Creating | Status::Starting)
                && (record.media_live_input_id.is_some()
                    || record.input_security_group_id.is_some())
            {
                // A start cancelled while its chain was being built again: nothing runs, so
                // stopping means parking what was built.
                let mut steps = teardown(record, channel, shape);
                steps.push(Step::SaveParked);
                Plan {
                    intent: Some((record.status, Desired::Idle)),
                    steps,
                }
            } else {
                match record.status {
                    Status::Idle | Status::Parked | Status::Running => {
                        return Err(Unplannable::NotRunning);
                    }
                    Status::Error
                    | Status::Creating
                    | Status::Starting
                    | Status::Stopping
                    | Status::Deleting => return Err(Unplannable::NoChannelToStop),
                }
            }
        }
        Op::Edit { live, sealing } => {
            let mut steps = Vec::new();
            if sealing {
                steps.push(Step::SealKey);
            }
            let live = live && has_channel;
            if live {
                steps.extend([Step::StopChannel, Step::AwaitIdle]);
            }
            steps.push(Step::SaveChanges);
            if has_channel {
                steps.push(Step::UpdateChannel);
                if shape.alarms {
                    // A new name or preset changes the alarms' names and thresholds.
                    steps.push(Step::EnsureAlarms);
                }
                if !live && record.status == Status::Error {
                    // The channel took the whole new configuration: once its output is linked
                    // (a failed add may have stopped short of that) the row is idle again.
                    steps.extend([Step::LinkFlowOutput, Step::SaveIdle]);
                }
            }
            if live {
                steps.extend([Step::StartChannel, Step::AwaitRunning, Step::SaveRunning]);
            }
            Plan {
                intent: None,
                steps,
            }
        }
        Op::Delete => {
            // Schedules first: a go-live must not fire into a chain being deleted.
            let mut steps = vec![Step::DeleteSchedules];
            steps.extend(teardown(record, channel, shape));
            steps.push(Step::DeleteRecord);
            Plan {
                intent: Some((Status::Deleting, Desired::Absent)),
                steps,
            }
        }
        Op::Park => {
            let mut steps = teardown(record, channel, shape);
            steps.push(Step::SaveParked);
            Plan {
                intent: None,
                steps,
            }
        }
        Op::Schedule { unpark } => {
            let mut steps = Vec::new();
            let mut intent = None;
            if unpark {
                steps.extend(forget_vanished(record, channel));
                steps.extend(chain(record, shape));
                steps.push(Step::SaveIdle);
                intent = Some((Status::Creating, Desired::Idle));
            }
            steps.push(Step::ApplySchedule);
            Plan { intent, steps }
        }
    };
    Ok(plan)
}

fn forget_vanished(record: &Destination, channel: ChannelSeen) -> Vec<Step> {
    if record.media_live_channel_id.is_none() {
        return Vec::new();
    }
    match channel {
        ChannelSeen::Missing | ChannelSeen::State(ChannelState::Deleted) => {
            vec![Step::ForgetVanishedChannel]
        }
        ChannelSeen::State(ChannelState::Deleting) => vec![Step::AwaitChannelGone],
        ChannelSeen::Unknown | ChannelSeen::State(_) => Vec::new(),
    }
}

/// Input → channel → flow output → alarms, each created only if missing (the steps check).
fn chain(record: &Destination, shape: Shape) -> Vec<Step> {
    let mut steps = Vec::new();
    if shape.wiring == Wiring::RtpPush && record.media_live_input_id.is_none() {
        steps.push(Step::EnsureSecurityGroup);
    }
    steps.extend([
        Step::CreateInput,
        Step::CreateChannel,
        Step::AwaitChannelCreated,
        Step::LinkFlowOutput,
    ]);
    if shape.alarms {
        // After the channel exists (the alarms name its id); a crash before this step leaves
        // the record `creating`, and the resumed chain comes back here.
        steps.push(Step::EnsureAlarms);
    }
    steps
}

/// Whether a record may own a resource it never wrote down: an add (or a re-creation) that was
/// interrupted between a create and the write of its id.
fn may_own_untracked(record: &Destination) -> bool {
    matches!(
        record.status,
        Status::Creating | Status::Error | Status::Deleting
    ) && (record.media_live_channel_id.is_none() || record.media_live_input_id.is_none())
}

/// Alarms, channel, then input with its flow output, then the security group: the order AWS
/// allows (alarms first, so none is left watching a channel that no longer exists).
fn teardown(record: &Destination, channel: ChannelSeen, shape: Shape) -> Vec<Step> {
    let wiring = shape.wiring;
    let untracked = may_own_untracked(record);
    let mut steps = Vec::new();
    if untracked {
        steps.push(Step::AdoptTagged);
    }
    // By name, whatever the channel's state: a channel that vanished may have left its alarms.
    if shape.alarms && (record.media_live_channel_id.is_some() || untracked) {
        steps.push(Step::DeleteAlarms);
    }
    let channel_known_gone =
        channel == ChannelSeen::Missing || channel == ChannelSeen::State(ChannelState::Deleted);
    if record.media_live_channel_id.is_some() && !channel_known_gone || untracked {
        let stop_needed = !matches!(
            channel,
            ChannelSeen::State(
                ChannelState::Idle
                    | ChannelState::Creating
                    | ChannelState::CreateFailed
                    | ChannelState::Updating
                    | ChannelState::UpdateFailed
                    | ChannelState::Deleting
                    | ChannelState::Deleted
            )
        );
        if stop_needed {
            steps.push(Step::StopForDeletion);
        }
        steps.extend([Step::DeleteChannel, Step::AwaitChannelGone]);
    } else if record.media_live_channel_id.is_some() {
        // Known to be gone already: the step only drops the id from the record.
        steps.push(Step::AwaitChannelGone);
    }
    // The seed's wiring, or a push input made under it: onair added the flow output and the
    // group, so onair removes them. (DeleteInput also catches a push input the record doesn't
    // say is one, such as the seed's own, by what DescribeInput answers.)
    let push = wiring == Wiring::RtpPush || record.input_security_group_id.is_some();
    if record.media_live_input_id.is_some() || untracked {
        if push {
            steps.push(Step::RemoveFlowOutput);
        }
        steps.push(Step::DeleteInput);
    }
    if push {
        steps.push(Step::DeleteSecurityGroup);
    }
    steps
}

/// Whether an add's key needs sealing under this configuration.
pub fn seals(key: &StoredKey, kms_configured: bool) -> bool {
    kms_configured && matches!(key, StoredKey::Clear(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, StreamKey};

    fn record(status: Status) -> Destination {
        let mut r = Destination::new(
            "A".into(),
            Platform::Twitch,
            "rtmp://live.twitch.tv/app".into(),
            StoredKey::Clear(StreamKey::new("k")),
            "720p30".into(),
            time::OffsetDateTime::UNIX_EPOCH,
        );
        r.status = status;
        r
    }

    fn chained(status: Status) -> Destination {
        let mut r = record(status);
        r.media_live_input_id = Some("i1".into());
        r.media_live_channel_id = Some("c1".into());
        r.media_connect_output_arn = Some("arn:out".into());
        r
    }

    fn steps(op: Op, r: &Destination, seen: ChannelSeen) -> Vec<Step> {
        plan(op, r, seen, Wiring::Mediaconnect)
            .expect("plannable")
            .steps
    }

    #[test]
    fn a_start_of_a_parked_destination_rebuilds_its_chain_first() {
        let p = plan(
            Op::Start,
            &record(Status::Parked),
            ChannelSeen::Unknown,
            Wiring::Mediaconnect,
        )
        .unwrap();
        assert_eq!(p.intent, Some((Status::Creating, Desired::Running)));
        assert_eq!(
            p.steps,
            vec![
                Step::CreateInput,
                Step::CreateChannel,
                Step::AwaitChannelCreated,
                Step::LinkFlowOutput,
                Step::StartChannel,
                Step::AwaitRunning,
                Step::SaveRunning,
                Step::SetDeadline
            ]
        );
    }

    #[test]
    fn a_start_of_an_idle_destination_only_starts_its_channel() {
        let seen = ChannelSeen::State(ChannelState::Idle);
        assert_eq!(
            steps(Op::Start, &chained(Status::Idle), seen),
            vec![
                Step::StartChannel,
                Step::AwaitRunning,
                Step::SaveRunning,
                Step::SetDeadline
            ]
        );
    }

    #[test]
    fn every_start_sets_a_deadline_and_a_stop_by_hand_clears_it() {
        let running = ChannelSeen::State(ChannelState::Running);
        let stop = steps(Op::Stop, &chained(Status::Running), running);
        assert_eq!(stop.last(), Some(&Step::ClearDeadline));
        for r in [record(Status::Parked), chained(Status::Idle)] {
            assert_eq!(
                steps(Op::Start, &r, ChannelSeen::Unknown).last(),
                Some(&Step::SetDeadline)
            );
        }
    }

    #[test]
    fn a_schedule_on_a_parked_destination_rebuilds_its_chain_before_scheduling() {
        let p = plan(
            Op::Schedule { unpark: true },
            &record(Status::Parked),
            ChannelSeen::Unknown,
            Wiring::Mediaconnect,
        )
        .unwrap();
        assert_eq!(p.intent, Some((Status::Creating, Desired::Idle)));
        assert_eq!(p.steps.first(), Some(&Step::CreateInput));
        assert_eq!(
            &p.steps[p.steps.len() - 2..],
            &[Step::SaveIdle, Step::ApplySchedule]
        );
        let idle = steps(
            Op::Schedule { unpark: false },
            &chained(Status::Idle),
            ChannelSeen::Unknown,
        );
        assert_eq!(idle, vec![Step::ApplySchedule]);
    }

    #[test]
    fn a_start_whose_channel_vanished_forgets_it_and_rebuilds() {
        let s = steps(Op::Start, &chained(Status::Error), ChannelSeen::Missing);
        assert_eq!(s[0], Step::ForgetVanishedChannel);
        assert!(s.contains(&Step::CreateChannel));
    }

    #[test]
    fn a_start_after_a_cancelled_park_waits_out_the_deletion_and_rebuilds() {
        let s = steps(
            Op::Start,
            &chained(Status::Idle),
            ChannelSeen::State(ChannelState::Deleting),
        );
        assert_eq!(
            &s[..3],
            &[
                Step::AwaitChannelGone,
                Step::CreateInput,
                Step::CreateChannel
            ]
        );
    }

    #[test]
    fn the_seeds_wiring_adds_a_security_group_before_a_new_input() {
        let p = plan(
            Op::Start,
            &record(Status::Parked),
            ChannelSeen::Unknown,
            Wiring::RtpPush,
        )
        .unwrap();
        assert_eq!(p.steps[0], Step::EnsureSecurityGroup);
        let p = plan(
            Op::Delete,
            &chained(Status::Idle),
            ChannelSeen::Unknown,
            Wiring::RtpPush,
        )
        .unwrap();
        assert_eq!(
            p.steps,
            vec![
                Step::DeleteSchedules,
                Step::StopForDeletion,
                Step::DeleteChannel,
                Step::AwaitChannelGone,
                Step::RemoveFlowOutput,
                Step::DeleteInput,
                Step::DeleteSecurityGroup,
                Step::DeleteRecord
            ]
        );
    }

    #[test]
    fn a_delete_of_a_parked_record_only_removes_the_record() {
        assert_eq!(
            steps(Op::Delete, &record(Status::Parked), ChannelSeen::Unknown),
            vec![Step::DeleteSchedules, Step::DeleteRecord]
        );
    }

    #[test]
    fn a_delete_of_an_idle_channel_does_not_stop_it() {
        let s = steps(
            Op::Delete,
            &chained(Status::Idle),
            ChannelSeen::State(ChannelState::Idle),
        );
        // Its schedules go first: a go-live must not fire into a chain being deleted.
        assert_eq!(&s[..2], &[Step::DeleteSchedules, Step::DeleteChannel]);
    }

    #[test]
    fn a_failed_add_looks_for_what_it_never_wrote_down() {
        let s = steps(Op::Delete, &record(Status::Error), ChannelSeen::Unknown);
        assert_eq!(s[1], Step::AdoptTagged);
        assert!(s.contains(&Step::DeleteChannel) && s.contains(&Step::DeleteInput));
    }

    #[test]
    fn stop_is_refused_with_its_reason_where_nothing_runs() {
        for status in [Status::Idle, Status::Parked] {
            assert_eq!(
                plan(
                    Op::Stop,
                    &record(status),
                    ChannelSeen::Unknown,
                    Wiring::Mediaconnect
                ),
                Err(Unplannable::NotRunning)
            );
        }
        assert_eq!(
            plan(
                Op::Stop,
                &record(Status::Error),
                ChannelSeen::Unknown,
                Wiring::Mediaconnect
            ),
            Err(Unplannable::NoChannelToStop)
        );
    }

    #[test]
    fn stopping_a_half_rebuilt_chain_parks_it() {
        let mut r = record(Status::Creating);
        r.media_live_input_id = Some("i1".into());
        let p = plan(Op::Stop, &r, ChannelSeen::Unknown, Wiring::Mediaconnect).unwrap();
        assert_eq!(p.steps.last(), Some(&Step::SaveParked));
        assert!(p.steps.contains(&Step::DeleteInput));
    }

    #[test]
    fn an_edit_of_a_live_destination_restarts_it_and_numbers_every_step() {
        let p = plan(
            Op::Edit {
                live: true,
                sealing: true,
            },
            &chained(Status::Running),
            ChannelSeen::State(ChannelState::Running),
            Wiring::Mediaconnect,
        )
        .unwrap();
        assert_eq!(
            p.steps,
            vec![
                Step::SealKey,
                Step::StopChannel,
                Step::AwaitIdle,
                Step::SaveChanges,
                Step::UpdateChannel,
                Step::StartChannel,
                Step::AwaitRunning,
                Step::SaveRunning
            ]
        );
    }

    #[test]
    fn an_edit_of_a_parked_destination_only_saves() {
        assert_eq!(
            steps(
                Op::Edit {
                    live: false,
                    sealing: false
                },
                &record(Status::Parked),
                ChannelSeen::Unknown
            ),
            vec![Step::SaveChanges]
        );
    }

    #[test]
    fn an_edit_clears_an_error_once_the_channel_took_the_change() {
        assert_eq!(
            steps(
                Op::Edit {
                    live: false,
                    sealing: false
                },
                &chained(Status::Error),
                ChannelSeen::State(ChannelState::Idle)
            ),
            vec![
                Step::SaveChanges,
                Step::UpdateChannel,
                Step::LinkFlowOutput,
                Step::SaveIdle
            ]
        );
    }

    #[test]
    fn park_tears_down_and_keeps_the_record() {
        let s = steps(
            Op::Park,
            &chained(Status::Idle),
            ChannelSeen::State(ChannelState::Idle),
        );
        assert_eq!(
            s,
            vec![
                Step::DeleteChannel,
                Step::AwaitChannelGone,
                Step::DeleteInput,
                Step::SaveParked
            ]
        );
    }

    #[test]
    fn unpark_builds_the_chain_and_leaves_it_idle() {
        let p = plan(
            Op::Unpark,
            &record(Status::Parked),
            ChannelSeen::Unknown,
            Wiring::Mediaconnect,
        )
        .unwrap();
        assert_eq!(p.steps.last(), Some(&Step::SaveIdle));
        assert!(p.steps.contains(&Step::CreateChannel));
        assert!(!p.steps.contains(&Step::StartChannel));
    }

    fn alarmed() -> Shape {
        Shape {
            wiring: Wiring::Mediaconnect,
            alarms: true,
        }
    }

    #[test]
    fn with_a_topic_the_chain_sets_alarms_once_the_channel_exists() {
        let p = plan(
            Op::Add { sealing: false },
            &record(Status::Creating),
            ChannelSeen::Unknown,
            alarmed(),
        )
        .unwrap();
        let created = p.steps.iter().position(|s| *s == Step::AwaitChannelCreated);
        let alarms = p.steps.iter().position(|s| *s == Step::EnsureAlarms);
        assert!(created.is_some() && alarms > created, "{:?}", p.steps);
        // Without a topic, no alarm step at all.
        let p = plan(
            Op::Add { sealing: false },
            &record(Status::Creating),
            ChannelSeen::Unknown,
            Wiring::Mediaconnect,
        )
        .unwrap();
        assert!(!p.steps.contains(&Step::EnsureAlarms));
    }

    #[test]
    fn a_resumed_add_sets_the_alarms_a_crash_left_unset() {
        let p = plan(
            Op::ResumeAdd,
            &chained(Status::Creating),
            ChannelSeen::State(ChannelState::Idle),
            alarmed(),
        )
        .unwrap();
        assert_eq!(p.steps.last(), Some(&Step::SaveIdle));
        assert!(p.steps.contains(&Step::EnsureAlarms));
    }

    #[test]
    fn a_start_of_an_idle_channel_makes_sure_of_its_alarms_first() {
        let p = plan(
            Op::Start,
            &chained(Status::Idle),
            ChannelSeen::State(ChannelState::Idle),
            alarmed(),
        )
        .unwrap();
        assert_eq!(
            p.steps,
            vec![
                Step::EnsureAlarms,
                Step::StartChannel,
                Step::AwaitRunning,
                Step::SaveRunning,
                Step::SetDeadline
            ]
        );
    }

    #[test]
    fn park_and_delete_remove_the_alarms_before_the_channel() {
        for op in [Op::Park, Op::Delete] {
            let p = plan(
                op,
                &chained(Status::Idle),
                ChannelSeen::State(ChannelState::Idle),
                alarmed(),
            )
            .unwrap();
            // A delete removes its schedules first (a go-live must not fire into it), then the
            // alarms, before the channel.
            let alarms = p.steps.iter().position(|s| *s == Step::DeleteAlarms);
            let channel = p.steps.iter().position(|s| *s == Step::DeleteChannel);
            assert!(
                alarms.is_some() && alarms < channel,
                "{op:?}: {:?}",
                p.steps
            );
            assert!(
                p.steps[..alarms.unwrap_or(0)]
                    .iter()
                    .all(|s| *s == Step::DeleteSchedules)
            );
        }
        // A parked record has no channel and so no alarms (its schedules still go).
        let p = plan(
            Op::Delete,
            &record(Status::Parked),
            ChannelSeen::Unknown,
            alarmed(),
        )
        .unwrap();
        assert_eq!(p.steps, vec![Step::DeleteSchedules, Step::DeleteRecord]);
    }

    #[test]
    fn an_edit_of_an_idle_channel_rewrites_its_alarms() {
        let p = plan(
            Op::Edit {
                live: false,
                sealing: false,
            },
            &chained(Status::Idle),
            ChannelSeen::State(ChannelState::Idle),
            alarmed(),
        )
        .unwrap();
        assert_eq!(
            p.steps,
            vec![Step::SaveChanges, Step::UpdateChannel, Step::EnsureAlarms]
        );
    }

    #[test]
    fn every_operation_is_planned_from_every_status_without_panicking() {
        let statuses = [
            Status::Creating,
            Status::Idle,
            Status::Starting,
            Status::Running,
            Status::Stopping,
            Status::Deleting,
            Status::Error,
            Status::Parked,
        ];
        let ops = [
            Op::Add { sealing: true },
            Op::ResumeAdd,
            Op::Start,
            Op::Stop,
            Op::Edit {
                live: true,
                sealing: false,
            },
            Op::Delete,
            Op::Park,
            Op::Unpark,
        ];
        let seen = [
            ChannelSeen::Unknown,
            ChannelSeen::Missing,
            ChannelSeen::State(ChannelState::Running),
            ChannelSeen::State(ChannelState::Idle),
        ];
        for status in statuses {
            for r in [record(status), chained(status)] {
                for op in ops {
                    for s in seen {
                        let shapes = [Wiring::Mediaconnect, Wiring::RtpPush]
                            .into_iter()
                            .flat_map(|wiring| {
                                [false, true].map(|alarms| Shape { wiring, alarms })
                            });
                        for shape in shapes {
                            if let Ok(p) = plan(op, &r, s, shape) {
                                // Every plan is short enough to number with a u8 and never
                                // repeats a step.
                                assert!(p.steps.len() < 16);
                                let mut seen_steps = p.steps.clone();
                                seen_steps.dedup();
                                assert_eq!(seen_steps.len(), p.steps.len(), "{op:?} {status:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}
