//! The fault matrix (issue 4): every lifecycle step × {throttle, 5xx, timeout, access denied,
//! quota exceeded, conflict, process killed} on the simulator.
//!
//! Steps are not listed by hand: each operation is run once without faults through a tap that
//! records its calls, and every call it makes (a run of polls of the same call counts as one
//! step, faulted at its first poll) becomes a row. The tap then injects the fault at exactly
//! that call in a fresh world: `fail_next` of the simulator's own `ErrorKind` (throttling 3×, the
//! most the engine's 4 attempts absorb; 5xx and timeout once — a simulated timeout applies the
//! call and loses the answer), or a kill: the process dies just before the call, or just after
//! it (AWS did it, nobody heard), and a fresh engine on the same simulator runs
//! `reconcile(true)`.
//!
//! After recovery every cell must hold: the simulator holds exactly the resources the records
//! name (one flow output per input), no destination has two channels or inputs, every record is
//! settled and says what AWS shows, and the operation reached what the operator asked for.
//! Recovery is the engine's own retries for throttle / 5xx / timeout (no operator help allowed);
//! for access denied / quota / conflict the failed operation must leave the record in `error`
//! naming the call, then the operator repeats the action (an add: deletes the failed
//! destination and adds it again); for a kill, the restart and `reconcile(true)` alone.
//!
//! Both wirings run: the default (`mediaconnect`, below) and the seed's (`rtp-push`: 74 steps,
//! 592 cells, over its security group and flow output calls too); 1024 cells in all.
//!
//! Alarms are on (`alarm_topic_arn`), so their calls are steps: PutMetricAlarm ×3 and
//! DescribeAlarms after the channel exists (add), PutMetricAlarm ×3 and DescribeAlarms before
//! StartChannel (start), DeleteAlarms first in a delete. With them the mediaconnect run is 54
//! steps and 432 cells, all converging (issue 13; before alarms: 42 steps, 336 cells), and
//! every cell also checks that each record with a channel has exactly its alarms. Before
//! the lost-answer look-up in `ensure_security_group`, CreateInputSecurityGroup × timeout left a
//! second group behind.
//!
//! Size (mediaconnect): 42 steps × 8 fault columns (killed counts twice: before and after the
//! call) = 336 cells.
//! - add, 10 steps: PutItem, CreateInput, UpdateItem (input id), DescribeInput (wait), CreateChannel,
//!   UpdateItem (channel id), DescribeChannel (wait IDLE), DescribeFlow, UpdateItem (output ARN),
//!   UpdateItem (idle);
//! - start, 4: UpdateItem (starting), StartChannel, DescribeChannel (wait RUNNING), UpdateItem;
//! - stop, 5: UpdateItem (stopping), StopChannel, DescribeChannel (wait IDLE), UpdateItem (run
//!   time), UpdateItem (idle);
//! - delete of an idle destination, 10: UpdateItem (deleting), DescribeChannel, DeleteChannel,
//!   DescribeChannel (wait gone), UpdateItem, DescribeInput, DeleteInput, DescribeInput (wait
//!   DELETED), UpdateItem, DeleteItem;
//! - delete of a running one, 13: the same plus StopChannel, its wait and its UpdateItem.
//!
//! Result: 336/336 converge — 126 through the engine's own retries (every throttle / 5xx /
//! timeout cell), 126 through the operator's retry after a visible `error` (every access
//! denied / quota / conflict cell), 84 through a restart + `reconcile(true)` (every kill).
//! Before the fixes in src/engine (same commit series), 52 cells failed: a lost answer (timeout) to UpdateItem,
//! PutItem, DeleteItem, DeleteChannel or DeleteInput turned the retry into a failure or a stuck
//! transitional record; an UpdateItem failing after CreateInput / CreateChannel left a billed
//! resource no record named; a delete interrupted while the channel was STOPPING, or after
//! DeleteInput, could never finish.

// Issue 13 (schedules): the engine runs with a scheduler role, so a start's CreateSchedule (its
// stop-by deadline), a stop's DeleteSchedule and a delete's DeleteSchedule + ListSchedules are
// steps too: 52 steps, 416 cells for mediaconnect, 72 steps, 576 cells for rtp-push (992 in all),
// every one converging. A kill between the channel start and the deadline's creation must end
// with the deadline set by the restart's reconcile (`invariants::schedules`). Before the fix in
// `replace_schedule`, UpdateItem × {access denied, quota, conflict} after CreateSchedule left a
// schedule no record named.

use crate::common::invariants;
use crate::common::rig::{self, draft};
use crate::common::tap::{Action, Tap};
use onair::clock::Clock;
use onair::cloud::ErrorKind;
use onair::domain::{Catalog, Desired, Destination, DestinationId, Status, Wiring};
use onair::engine::{Engine, EngineConfig, EngineEvent};
use onair::sim::{SimConfig, Simulator};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// Longest simulated wait for an operation to settle: far beyond every engine timeout.
const PATIENCE: Duration = Duration::from_secs(6 * 3600);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Add,
    Start,
    Stop,
    DeleteIdle,
    DeleteRunning,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Throttle,
    Unavailable,
    Timeout,
    AccessDenied,
    Quota,
    Conflict,
    KilledBefore,
    KilledAfter,
}

const FAULTS: [Fault; 8] = [
    Fault::Throttle,
    Fault::Unavailable,
    Fault::Timeout,
    Fault::AccessDenied,
    Fault::Quota,
    Fault::Conflict,
    Fault::KilledBefore,
    Fault::KilledAfter,
];

impl Fault {
    fn action(self) -> Action {
        match self {
            Fault::Throttle => Action::Fail(vec![ErrorKind::Throttled; 3]),
            Fault::Unavailable => Action::Fail(vec![ErrorKind::Unavailable]),
            Fault::Timeout => Action::Fail(vec![ErrorKind::Timeout]),
            Fault::AccessDenied => Action::Fail(vec![ErrorKind::AccessDenied]),
            Fault::Quota => Action::Fail(vec![ErrorKind::QuotaExceeded]),
            Fault::Conflict => Action::Fail(vec![ErrorKind::Conflict]),
            Fault::KilledBefore => Action::KillBefore,
            Fault::KilledAfter => Action::KillAfter,
        }
    }

    fn retryable(self) -> bool {
        matches!(self, Fault::Throttle | Fault::Unavailable | Fault::Timeout)
    }

    fn killed(self) -> bool {
        matches!(self, Fault::KilledBefore | Fault::KilledAfter)
    }
}

/// One step of an operation: the `nth` call of `call` it makes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Step {
    call: &'static str,
    nth: u32,
    /// How many times in a row the call is made there (a wait's polls).
    run: usize,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.call, self.nth)?;
        if self.run > 1 {
            write!(f, " (wait, {} polls)", self.run)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// The operation succeeded on its own: the engine's retries (or its tolerance of the
    /// answer) absorbed the fault.
    Absorbed,
    /// The operation failed visibly and the operator's retry converged.
    OperatorRetry,
    /// A fresh engine's `reconcile(true)` converged.
    Restart,
}

/// A fresh simulated account and an engine whose calls go through a tap.
struct World {
    sim: Arc<Simulator>,
    tap: Arc<Tap>,
    engine: Engine,
    _events: UnboundedReceiver<EngineEvent>,
}

fn config(wiring: Wiring) -> EngineConfig {
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    // Parking is not a step under test here.
    config.park_after = None;
    config.wiring = wiring;
    // Alarms on, so their calls (PutMetricAlarm, DescribeAlarms, DeleteAlarms) are steps too.
    config.alarm_topic_arn = Some(Simulator::TOPIC_ARN.to_string());
    // Every start sets a stop-by deadline and every delete removes the schedules: their
    // CreateSchedule / DeleteSchedule / ListSchedules calls are steps of the matrix too.
    config.scheduler_role_arn = Some(Simulator::SCHEDULER_ROLE_ARN.to_string());
    config
}

fn engine_on(
    sim: &Simulator,
    cloud: onair::cloud::Cloud,
    wiring: Wiring,
) -> (Engine, UnboundedReceiver<EngineEvent>) {
    Engine::new(
        cloud,
        Arc::new(Catalog::builtin()),
        config(wiring),
        Clock::starting_at(sim.now()),
    )
}

impl World {
    fn new(wiring: Wiring) -> Self {
        let sim = Simulator::new(SimConfig::unlimited(), Clock::starting_at(rig::start()));
        let tap = Tap::new(Arc::clone(&sim));
        let (engine, events) = engine_on(&sim, tap.cloud(), wiring);
        World {
            sim,
            tap,
            engine,
            _events: events,
        }
    }

    async fn settle(&self) -> Result<(), String> {
        tokio::time::timeout(PATIENCE, self.engine.settle())
            .await
            .map_err(|_| "the engine never settled".to_string())
    }

    fn records(&self) -> Vec<Destination> {
        self.engine.records()
    }
}

/// The world an operation starts from, and the destination it acts on (none for an add).
async fn prepared(op: Op, wiring: Wiring) -> (World, Option<DestinationId>) {
    let w = World::new(wiring);
    if op == Op::Add {
        return (w, None);
    }
    let id = w.engine.add(draft("Main", "youtube", 0)).expect("add");
    w.settle().await.expect("setup add");
    if matches!(op, Op::Stop | Op::DeleteRunning) {
        w.engine.start(id).expect("start");
        w.settle().await.expect("setup start");
    }
    let want = match op {
        Op::Stop | Op::DeleteRunning => Status::Running,
        _ => Status::Idle,
    };
    assert_eq!(
        w.engine.record(id).map(|r| r.status),
        Some(want),
        "setup of {op:?}"
    );
    (w, Some(id))
}

fn issue(w: &World, op: Op, id: Option<DestinationId>) -> Result<DestinationId, String> {
    let refused = |e| format!("{op:?} refused: {e}");
    match (op, id) {
        (Op::Add, _) => w.engine.add(draft("Main", "youtube", 0)).map_err(refused),
        (Op::Start, Some(id)) => w.engine.start(id).map(|()| id).map_err(refused),
        (Op::Stop, Some(id)) => w.engine.stop(id).map(|()| id).map_err(refused),
        (Op::DeleteIdle | Op::DeleteRunning, Some(id)) => {
            w.engine.delete(id).map(|()| id).map_err(refused)
        }
        (_, None) => Err(format!("{op:?} needs a destination")),
    }
}

/// Whether the operation got what the operator asked for.
fn reached(op: Op, records: &[Destination], id: DestinationId) -> Result<(), String> {
    let record = records.iter().find(|r| r.id() == id);
    let describe = |r: Option<&Destination>| match r {
        None => "no record".to_string(),
        Some(r) => format!("{} ({:?})", r.status, r.last_error),
    };
    let ok = match op {
        Op::Add => record.is_some_and(|r| r.status == Status::Idle) && records.len() == 1,
        Op::Start => record.is_some_and(|r| r.status == Status::Running),
        Op::Stop => record.is_some_and(|r| r.status == Status::Idle),
        Op::DeleteIdle | Op::DeleteRunning => record.is_none(),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{op:?} did not converge: {}", describe(record)))
    }
}

/// After a restart: every record is where its `desired` says, and none was lost.
fn desired_met(op: Op, records: &[Destination], id: Option<DestinationId>) -> Result<(), String> {
    for r in records {
        let ok = match r.desired {
            Desired::Running => r.status == Status::Running,
            Desired::Idle => matches!(r.status, Status::Idle | Status::Parked),
            Desired::Absent => false,
        };
        if !ok {
            return Err(format!(
                "{} is {} but desired {} ({:?})",
                r.name,
                r.status,
                r.desired.as_str(),
                r.last_error
            ));
        }
    }
    let deleting = matches!(op, Op::DeleteIdle | Op::DeleteRunning);
    if let Some(id) = id
        && !deleting
        && !records.iter().any(|r| r.id() == id)
    {
        return Err("the record was lost".into());
    }
    Ok(())
}

/// Runs the operation without faults and turns the calls it makes into steps.
async fn steps_of(op: Op, wiring: Wiring) -> Vec<Step> {
    let (w, id) = prepared(op, wiring).await;
    w.tap.record();
    let id = issue(&w, op, id).expect("accepted");
    w.settle().await.expect("fault-free run");
    reached(op, &w.records(), id).expect("fault-free run converges");
    let log = w.tap.log();
    let mut steps: Vec<Step> = Vec::new();
    let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
    for (i, call) in log.iter().enumerate() {
        let n = seen.entry(call).or_default();
        *n += 1;
        // Polls (a wait's repeated Describe) are one step; repeated writes are separate steps.
        if i > 0 && log[i - 1] == *call && call.starts_with("Describe") {
            if let Some(last) = steps.last_mut() {
                last.run += 1;
            }
            continue;
        }
        steps.push(Step {
            call,
            nth: *n,
            run: 1,
        });
    }
    steps
}

async fn cell(op: Op, wiring: Wiring, step: Step, fault: Fault) -> Result<Outcome, String> {
    let (w, id) = prepared(op, wiring).await;
    w.tap.arm(step.call, step.nth, fault.action());
    let id = issue(&w, op, id)?;

    if fault.killed() {
        let waited = tokio::time::timeout(PATIENCE, async {
            while !w.tap.dead() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        if waited.is_err() {
            return Err("the process was never killed at that step".into());
        }
        let World { sim, engine, .. } = w;
        drop(engine);
        let (engine, _events) = engine_on(&sim, sim.cloud(), wiring);
        engine
            .reconcile(true)
            .await
            .map_err(|e| format!("reconcile: {e}"))?;
        tokio::time::timeout(PATIENCE, engine.settle())
            .await
            .map_err(|_| "the restarted engine never settled".to_string())?;
        let records = engine.records();
        invariants::check(&sim, &records)?;
        invariants::alarms_complete(&sim, &records)?;
        // A crash between "channel started" and "deadline created": the restart sets it.
        invariants::schedules(&sim, &records, true)?;
        // An add killed before its first write leaves nothing, not even the record.
        let never_written = op == Op::Add && step.call == "PutItem" && fault == Fault::KilledBefore;
        desired_met(op, &records, (!never_written).then_some(id))?;
        return Ok(Outcome::Restart);
    }

    w.settle().await?;
    if !w.tap.fired() {
        return Err("the fault was never injected".into());
    }
    let records = w.records();
    if reached(op, &records, id).is_ok() {
        invariants::check(&w.sim, &records)?;
        invariants::alarms_complete(&w.sim, &records)?;
        invariants::schedules(&w.sim, &records, false)?;
        return Ok(Outcome::Absorbed);
    }
    if fault.retryable() {
        let why = reached(op, &records, id).unwrap_err();
        return Err(format!("the engine's retries did not absorb it: {why}"));
    }

    // The failure shows: the record is in error and names the call (an add whose first write
    // failed has no record at all).
    match records.iter().find(|r| r.id() == id) {
        None if op == Op::Add && step.call == "PutItem" => {}
        None => return Err("the record vanished after a failure".into()),
        Some(r) => {
            let said = r.last_error.as_deref().unwrap_or_default();
            if r.status != Status::Error || !said.contains(step.call) {
                return Err(format!(
                    "after the failure the record is {} with lastError {said:?}",
                    r.status
                ));
            }
        }
    }

    // Nothing is in AWS that the records don't show, even before anyone acts. (A record may
    // still name a resource that is already gone: the retry finds it gone.)
    invariants::unrecorded(&w.sim.snapshot(), &records)
        .map_err(|e| format!("after the failure: {e}"))?;

    // The operator tries again.
    w.sim.clear_faults();
    let id = match op {
        Op::Add => {
            if w.engine.record(id).is_some() {
                w.engine
                    .delete(id)
                    .map_err(|e| format!("delete refused: {e}"))?;
                w.settle().await?;
                if w.engine.record(id).is_some() {
                    return Err("deleting the failed add did not remove it".into());
                }
                invariants::check(&w.sim, &w.records())
                    .map_err(|e| format!("after deleting the failed add: {e}"))?;
            }
            issue(&w, op, None)?
        }
        _ => issue(&w, op, Some(id))?,
    };
    w.settle().await?;
    let records = w.records();
    reached(op, &records, id).map_err(|e| format!("after the operator's retry: {e}"))?;
    invariants::check(&w.sim, &records)?;
    invariants::alarms_complete(&w.sim, &records)?;
    invariants::schedules(&w.sim, &records, false)?;
    Ok(Outcome::OperatorRetry)
}

/// Runs every step × fault of one operation and fails naming every cell that didn't converge.
async fn matrix(op: Op, wiring: Wiring, must_cover: &[&str]) {
    let steps = steps_of(op, wiring).await;
    for call in must_cover {
        assert!(
            steps.iter().any(|s| s.call == *call),
            "{op:?} makes no {call} call: {steps:?}"
        );
    }
    let mut outcomes: BTreeMap<Outcome, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for step in &steps {
        for fault in FAULTS {
            match cell(op, wiring, *step, fault).await {
                Ok(outcome) => *outcomes.entry(outcome).or_default() += 1,
                Err(why) => failures.push(format!(
                    "{op:?} ({}) × {step} × {fault:?}: {why}",
                    wiring.as_str()
                )),
            }
        }
    }
    let cells = steps.len() * FAULTS.len();
    println!(
        "{op:?} ({}): {} steps × {} faults = {cells} cells, {outcomes:?}, {} failed",
        wiring.as_str(),
        steps.len(),
        FAULTS.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {cells} cells did not converge:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(start_paused = true)]
async fn add_converges_under_every_fault_at_every_step() {
    matrix(
        Op::Add,
        Wiring::Mediaconnect,
        &[
            "PutItem",
            "CreateInput",
            "DescribeInput",
            "UpdateItem",
            "CreateChannel",
            "DescribeChannel",
            "DescribeFlow",
            "PutMetricAlarm",
            "DescribeAlarms",
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn start_converges_under_every_fault_at_every_step() {
    matrix(
        Op::Start,
        Wiring::Mediaconnect,
        &[
            "PutMetricAlarm",
            "UpdateItem",
            "StartChannel",
            "DescribeChannel",
            "CreateSchedule",
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn stop_converges_under_every_fault_at_every_step() {
    matrix(
        Op::Stop,
        Wiring::Mediaconnect,
        &[
            "UpdateItem",
            "StopChannel",
            "DescribeChannel",
            "DeleteSchedule",
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn delete_of_an_idle_destination_converges_under_every_fault_at_every_step() {
    matrix(
        Op::DeleteIdle,
        Wiring::Mediaconnect,
        &[
            "UpdateItem",
            "DescribeChannel",
            "DeleteAlarms",
            "DeleteChannel",
            "DescribeInput",
            "DeleteInput",
            "DeleteItem",
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn delete_of_a_running_destination_converges_under_every_fault_at_every_step() {
    matrix(
        Op::DeleteRunning,
        Wiring::Mediaconnect,
        &[
            "UpdateItem",
            "DeleteSchedule",
            "ListSchedules",
            "DescribeChannel",
            "StopChannel",
            "DeleteChannel",
            "DescribeInput",
            "DeleteInput",
            "DeleteItem",
        ],
    )
    .await;
}

/// The checks can fail: a channel no record names, or a record that says running over an idle
/// channel, is reported.
#[tokio::test(start_paused = true)]
async fn the_invariants_catch_a_leak_and_a_lying_record() {
    let (w, id) = prepared(Op::Start, Wiring::Mediaconnect).await;
    let id = id.unwrap();
    invariants::check(&w.sim, &w.records()).expect("a clean world passes");
    let mut lying = w.engine.record(id).unwrap();
    lying.status = Status::Running;
    lying.running_since = Some(w.sim.now());
    let err = invariants::check(&w.sim, &[lying]).unwrap_err();
    assert!(
        err.contains("is running but its channel is Some(Idle)"),
        "{err}"
    );
    let err = invariants::check(&w.sim, &[]).unwrap_err();
    assert!(err.contains("channels in AWS"), "{err}");
}

// The seed's wiring (`wiring = "rtp-push"`): the same matrix over its extra calls — the input
// security group, the flow output onair adds and removes itself, and their look-ups.

#[tokio::test(start_paused = true)]
async fn rtp_push_add_converges_under_every_fault_at_every_step() {
    matrix(
        Op::Add,
        Wiring::RtpPush,
        &[
            "ListInputSecurityGroups",
            "CreateInputSecurityGroup",
            "CreateInput",
            "CreateChannel",
            "AddFlowOutputs",
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn rtp_push_start_and_stop_converge_under_every_fault_at_every_step() {
    matrix(
        Op::Start,
        Wiring::RtpPush,
        &["UpdateItem", "StartChannel", "DescribeChannel"],
    )
    .await;
    matrix(
        Op::Stop,
        Wiring::RtpPush,
        &["UpdateItem", "StopChannel", "DescribeChannel"],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn rtp_push_delete_of_an_idle_destination_converges_under_every_fault_at_every_step() {
    matrix(
        Op::DeleteIdle,
        Wiring::RtpPush,
        &[
            "DeleteChannel",
            "RemoveFlowOutput",
            "DeleteInput",
            "ListInputSecurityGroups",
            "DeleteInputSecurityGroup",
            "DeleteItem",
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn rtp_push_delete_of_a_running_destination_converges_under_every_fault_at_every_step() {
    matrix(
        Op::DeleteRunning,
        Wiring::RtpPush,
        &[
            "StopChannel",
            "DeleteChannel",
            "RemoveFlowOutput",
            "DeleteInput",
            "DeleteInputSecurityGroup",
            "DeleteItem",
        ],
    )
    .await;
}
