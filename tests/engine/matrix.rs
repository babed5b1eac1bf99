//! Every operator operation from every record state, on the simulator: the outcome the runbook
//! promises — done (with the state it leads to), or refused with a reason before any AWS call —
//! and never `error` from a state the operation handles.

use crate::common::rig::{Rig, draft};
use onair::cloud::ErrorKind;
use onair::domain::{Destination, DestinationDraft, DestinationId, Status};
use onair::engine::{EngineEvent, FailureKind, OpKind, Refusal};
use onair::sim::SimConfig;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Running,
    Parked,
    /// A start failed: the record is `error`, its channel exists and is idle.
    Error,
    /// The channel vanished outside onair and the reconciler said so.
    ErrorNoChannel,
    /// Left transitional by another control box that died (no operation here).
    StaleCreating,
    StaleStarting,
    StaleStopping,
    StaleDeleting,
    /// An operation of this engine under way.
    Adding,
    Starting,
    Stopping,
    Deleting,
    Parking,
    Editing,
}

const STATES: [State; 15] = [
    State::Idle,
    State::Running,
    State::Parked,
    State::Error,
    State::ErrorNoChannel,
    State::StaleCreating,
    State::StaleStarting,
    State::StaleStopping,
    State::StaleDeleting,
    State::Adding,
    State::Starting,
    State::Stopping,
    State::Deleting,
    State::Parking,
    State::Editing,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Add,
    Start,
    Stop,
    Edit,
    Delete,
    BulkStart,
    BulkStop,
    StartAll,
    StopAll,
    Gc,
    /// A go-live in three hours (issue 13).
    Schedule,
    /// The stop-by deadline an hour later.
    Extend,
}

const OPERATIONS: [Operation; 12] = [
    Operation::Add,
    Operation::Start,
    Operation::Stop,
    Operation::Edit,
    Operation::Delete,
    Operation::BulkStart,
    Operation::BulkStop,
    Operation::StartAll,
    Operation::StopAll,
    Operation::Gc,
    Operation::Schedule,
    Operation::Extend,
];

/// What the runbook promises for the target destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Accepted, and the record ends in this status.
    Ends(Status),
    /// Accepted, and the record ends in one of these (a park cancelled where it was).
    EndsIn(&'static [Status]),
    /// Accepted; the record and its chain are gone.
    Gone,
    /// Refused with a reason, before any AWS call.
    Refused,
    /// Nothing asked of the target (add, gc): it stays as the setup left it, untouched.
    Untouched,
}

fn expect(state: State, op: Operation) -> Expect {
    use Expect::*;
    use Operation as O;
    use State as S;
    let busy = matches!(
        state,
        S::StaleCreating
            | S::StaleStarting
            | S::StaleStopping
            | S::StaleDeleting
            | S::Adding
            | S::Deleting
            | S::Editing
    );
    match op {
        O::Add | O::Gc => Untouched,
        O::Delete => match state {
            S::Deleting => Refused,
            _ => Gone,
        },
        O::Start | O::BulkStart | O::StartAll => match state {
            S::Idle | S::Parked | S::Error | S::ErrorNoChannel | S::Parking => {
                Ends(Status::Running)
            }
            S::Running | S::Starting | S::Stopping => Refused,
            _ if busy => Refused,
            _ => unreachable!(),
        },
        O::Stop | O::BulkStop | O::StopAll => match state {
            S::Running | S::Starting | S::Error => Ends(Status::Idle),
            // The park is cancelled where it got to; the stop then finds nothing running.
            S::Parking => EndsIn(&[Status::Idle, Status::Parked]),
            S::Idle | S::Parked | S::ErrorNoChannel | S::Stopping => Refused,
            _ if busy => Refused,
            _ => unreachable!(),
        },
        O::Schedule => match state {
            S::Idle => Ends(Status::Idle),
            // Scheduled; the error stays for the operator (its go-live would start the channel).
            S::Error => Ends(Status::Error),
            S::Running => Ends(Status::Running),
            // Its chain is re-created now, so the go-live has a channel to start.
            S::Parked => Ends(Status::Idle),
            S::ErrorNoChannel | S::Parking | S::Starting | S::Stopping => Refused,
            _ if busy => Refused,
            _ => unreachable!(),
        },
        O::Extend => match state {
            S::Running => Ends(Status::Running),
            S::Idle
            | S::Parked
            | S::Error
            | S::ErrorNoChannel
            | S::Parking
            | S::Starting
            | S::Stopping => Refused,
            _ if busy => Refused,
            _ => unreachable!(),
        },
        O::Edit => match state {
            S::Idle | S::Error => Ends(Status::Idle),
            S::Running => Ends(Status::Running),
            S::Parked => Ends(Status::Parked),
            // Saved; without a channel the chain is still broken until a start re-creates it.
            S::ErrorNoChannel => Ends(Status::Error),
            S::Parking => EndsIn(&[Status::Idle, Status::Parked]),
            S::Starting | S::Stopping => Refused,
            _ if busy => Refused,
            _ => unreachable!(),
        },
    }
}

struct Case {
    rig: Rig,
    target: DestinationId,
    /// An idle and a running destination beside the target, for the bulk operations.
    idle: DestinationId,
    live: DestinationId,
}

async fn stale(rig: &Rig, id: DestinationId, status: Status) {
    // Another control box wrote this and died: the table says so, nothing runs here.
    let mut r: Destination = rig.engine.record(id).unwrap();
    let cloud = rig.sim.cloud();
    let version = r.version;
    r.version += 1;
    r.status = status;
    cloud.store.update_if_version(&r, version).await.unwrap();
    rig.engine.load().await.unwrap();
}

async fn setup(state: State) -> Case {
    let rig = Rig::with(SimConfig::unlimited(), |c| {
        c.park_after = Some(Duration::from_secs(600));
        c.scheduler_role_arn = Some(onair::sim::Simulator::SCHEDULER_ROLE_ARN.to_string());
    });
    let idle = rig.add("Idle").await;
    let live = rig.add("Live").await;
    rig.engine.start(live).unwrap();
    rig.engine.settle().await;
    let target = match state {
        State::Adding => {
            let id = rig.engine.add(draft("Target", "twitch", 1)).unwrap();
            tokio::time::sleep(Duration::from_millis(1500)).await;
            id
        }
        _ => rig.add("Target").await,
    };
    let engine = &rig.engine;
    match state {
        State::Idle | State::Adding => {}
        State::Running => {
            engine.start(target).unwrap();
            engine.settle().await;
        }
        State::Parked | State::Parking => {
            tokio::time::sleep(Duration::from_secs(700)).await;
            // Keep the idle destination from being parked too.
            engine.start(idle).unwrap();
            engine.settle().await;
            engine.stop(idle).unwrap();
            engine.settle().await;
            engine.reconcile(false).await.unwrap();
            if state == State::Parked {
                engine.settle().await;
                assert_eq!(rig.status(target), Some(Status::Parked));
            } else {
                tokio::time::sleep(Duration::from_millis(300)).await;
                assert_eq!(engine.in_flight(target), Some(OpKind::Park));
            }
        }
        State::Error => {
            rig.sim.fail_next("StartChannel", ErrorKind::Validation);
            engine.start(target).unwrap();
            engine.settle().await;
            assert_eq!(rig.status(target), Some(Status::Error));
        }
        State::ErrorNoChannel => {
            // A running destination whose channel was stopped and deleted outside onair: an
            // incident (an idle one would simply be parked).
            engine.start(target).unwrap();
            engine.settle().await;
            let channel = engine
                .record(target)
                .unwrap()
                .media_live_channel_id
                .unwrap();
            let cloud = rig.sim.cloud();
            cloud.medialive.stop_channel(&channel).await.unwrap();
            tokio::time::sleep(Duration::from_secs(120)).await;
            cloud.medialive.delete_channel(&channel).await.unwrap();
            tokio::time::sleep(Duration::from_secs(120)).await;
            engine.reconcile(true).await.unwrap();
            engine.settle().await;
            let r = engine.record(target).unwrap();
            assert_eq!(r.status, Status::Error);
            assert_eq!(r.media_live_channel_id, None);
        }
        State::StaleCreating => stale(&rig, target, Status::Creating).await,
        State::StaleStarting => stale(&rig, target, Status::Starting).await,
        State::StaleStopping => stale(&rig, target, Status::Stopping).await,
        State::StaleDeleting => stale(&rig, target, Status::Deleting).await,
        State::Starting => {
            engine.start(target).unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        State::Stopping => {
            engine.start(target).unwrap();
            engine.settle().await;
            engine.stop(target).unwrap();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        State::Deleting => {
            engine.delete(target).unwrap();
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        State::Editing => {
            let mut change: DestinationDraft = draft("Target", "twitch", 1);
            change.preset = "720p30".into();
            engine.edit(target, change, true).unwrap();
        }
    }
    Case {
        rig,
        target,
        idle,
        live,
    }
}

fn edited() -> DestinationDraft {
    let mut change = draft("Target", "twitch", 1);
    change.preset = "1080p60".into();
    change
}

/// Runs `op`; the target's answer (accepted or refused).
async fn run(case: &Case, op: Operation) -> Result<(), Refusal> {
    let engine = &case.rig.engine;
    let (t, idle, live) = (case.target, case.idle, case.live);
    let pick = |results: Vec<(DestinationId, Result<(), Refusal>)>| {
        results
            .into_iter()
            .find(|(id, _)| *id == t)
            .map(|(_, r)| r)
            .unwrap_or(Err(Refusal::Unknown("target not in the batch".into())))
    };
    match op {
        Operation::Add => engine.add(draft("Third", "youtube", 2)).map(|_| ()),
        Operation::Start => engine.start(t),
        Operation::Stop => engine.stop(t),
        Operation::Edit => engine.edit(t, edited(), true),
        Operation::Delete => engine.delete(t),
        // With another destination, so the batch has two channels where the target has one.
        Operation::BulkStart => pick(engine.start_many(&[t, idle])),
        Operation::BulkStop => pick(engine.stop_many(&[t, live])),
        Operation::StartAll => {
            let ids: Vec<DestinationId> = engine.records().iter().map(|r| r.id()).collect();
            pick(engine.start_many(&ids))
        }
        Operation::StopAll => {
            let ids: Vec<DestinationId> = engine.records().iter().map(|r| r.id()).collect();
            pick(engine.stop_many(&ids))
        }
        Operation::Gc => {
            let orphans = engine.find_orphans().await.unwrap();
            engine.delete_orphans(&orphans).await.unwrap();
            Ok(())
        }
        Operation::Schedule => {
            let at = case.rig.sim.now() + Duration::from_secs(3 * 3600);
            engine.schedule(t, Some(at), None)
        }
        Operation::Extend => engine.extend(t, Duration::from_secs(3600)),
    }
}

fn verb(op: Operation) -> Option<OpKind> {
    match op {
        Operation::Start | Operation::BulkStart | Operation::StartAll => Some(OpKind::Start),
        Operation::Stop | Operation::BulkStop | Operation::StopAll => Some(OpKind::Stop),
        Operation::Edit => Some(OpKind::Edit),
        Operation::Delete => Some(OpKind::Delete),
        Operation::Schedule | Operation::Extend => Some(OpKind::Schedule),
        Operation::Add | Operation::Gc => None,
    }
}

#[tokio::test(start_paused = true)]
async fn every_operation_from_every_state_does_what_the_runbook_promises() {
    let mut cases = 0;
    let mut failures = Vec::new();
    for state in STATES {
        for op in OPERATIONS {
            cases += 1;
            let mut case = setup(state).await;
            let wanted = expect(state, op);
            let in_flight = case.rig.engine.in_flight(case.target).is_some();
            let before = case.rig.engine.record(case.target);
            case.rig.drain();
            case.rig.sim.reset_call_counts();
            let answer = run(&case, op).await;
            let calls_at_refusal = case.rig.sim.call_counts();
            case.rig.engine.settle().await;
            let events = case.rig.drain();
            let record = case.rig.engine.record(case.target);
            let status = record.as_ref().map(|r| r.status);
            let mut fail = |why: String| failures.push(format!("{state:?} × {op:?}: {why}"));
            match (wanted, &answer) {
                (Expect::Refused, Err(_)) => {
                    // Refused before any AWS call (an operation already under way may call).
                    let mutating = calls_at_refusal
                        .keys()
                        .filter(|c| !c.starts_with("Describe") && !c.starts_with("List"))
                        .count();
                    let others_acted = matches!(
                        op,
                        Operation::BulkStart
                            | Operation::BulkStop
                            | Operation::StartAll
                            | Operation::StopAll
                    );
                    if !in_flight && !others_acted && mutating > 0 {
                        fail(format!("refused after calls {calls_at_refusal:?}"));
                    }
                }
                (Expect::Refused, Ok(())) => fail("accepted, expected a refusal".into()),
                (_, Err(refusal)) => fail(format!("refused: {refusal}")),
                (Expect::Gone, Ok(())) => {
                    if record.is_some() {
                        fail(format!("record left, {status:?}"));
                    }
                }
                (Expect::Ends(s), Ok(())) => {
                    if status != Some(s) {
                        fail(format!("ended {status:?}, expected {s:?}"));
                    }
                }
                (Expect::EndsIn(any), Ok(())) => {
                    if !status.is_some_and(|s| any.contains(&s)) {
                        fail(format!("ended {status:?}, expected one of {any:?}"));
                    }
                }
                (Expect::Untouched, Ok(())) => {
                    let survived = match (&before, &record) {
                        (Some(_), Some(after)) => {
                            // gc never takes a resource a record names.
                            let snap = case.rig.sim.snapshot();
                            after
                                .media_live_channel_id
                                .as_ref()
                                .is_none_or(|c| snap.channels.iter().any(|x| &x.id == c))
                        }
                        (None, _) => true,
                        (Some(_), None) => {
                            state == State::Deleting || state == State::StaleDeleting
                        }
                    };
                    if !survived {
                        fail("its chain was touched".into());
                    }
                }
            }
            // The operation's own result, where it ran: done, or cancelled by a later one.
            if let (Some(kind), Ok(())) = (verb(op), &answer) {
                let mine = events.iter().rev().find_map(|e| match e {
                    EngineEvent::Finished { id, op, result }
                        if *id == case.target && *op == kind =>
                    {
                        Some(result.clone())
                    }
                    _ => None,
                });
                match mine {
                    Some(Ok(())) => {}
                    Some(Err(f)) if matches!(f.kind, FailureKind::Cancelled { .. }) => {}
                    other => fail(format!("{kind:?} finished {other:?}")),
                }
            }
            // Never `error` from a state the operation handles.
            // An edit of a record whose channel vanished can only save the fields: it stays red.
            // A schedule of a record in error adds the schedule and leaves the error to the operator.
            let stays_in_error = (state == State::ErrorNoChannel && op == Operation::Edit)
                || (state == State::Error && op == Operation::Schedule);
            let handled = !matches!(wanted, Expect::Refused | Expect::Untouched) && !stays_in_error;
            if handled && status == Some(Status::Error) {
                fail(format!(
                    "error: {:?}",
                    record.as_ref().and_then(|r| r.last_error.clone())
                ));
            }
            case.rig.assert_consistent();
        }
    }
    println!(
        "matrix: {} states × {} operations = {cases} cases",
        STATES.len(),
        OPERATIONS.len()
    );
    assert_eq!(cases, 180);
    assert!(
        failures.is_empty(),
        "{} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
