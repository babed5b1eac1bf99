//! A property test of the engine on the simulator (issue 4): random sequences of operator
//! actions (add, start, stop, delete, edit, start_many, stop_many, a restart — the process is
//! killed wherever its operations are and a fresh engine runs `reconcile(true)` —, simulated
//! time passing) interleaved with injected faults (`fail_next` of a random call with a random
//! kind, `throttle_next`, `drop_source`, a platform rejecting a stream or revoking its key,
//! maintenance), each case on tokio's paused clock.
//!
//! After a final recovery (faults cleared, operations settled with their retries, a restart
//! with `reconcile(true)`, the operator deleting the `error` records it meant to delete):
//! - no leak: the simulator's channels and inputs are exactly the records' ids, one flow output
//!   per input, and the table holds exactly the engine's records;
//! - no duplicated chain: at most one channel and one input per destination id tag;
//! - every record is settled and says what AWS shows (idle / running over an IDLE / RUNNING
//!   channel, error with its lastError);
//! - no record lost: every destination whose record reached the table and that the operator
//!   never asked to delete still has its record;
//! - no panic, in the test or in any engine task.

use crate::common::invariants;
use crate::common::rig::{self, KEYS};
use crate::common::tap::Tap;
use onair::clock::Clock;
use onair::cloud::ErrorKind;
use onair::domain::{Catalog, DestinationDraft, DestinationId, Status, StreamKey};
use onair::engine::{Engine, EngineConfig, EngineEvent};
use onair::sim::{Service, SimConfig, Simulator};
use proptest::prelude::*;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::sync::{Arc, Once};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

// 512 cases by default (0.6 s in a debug build; 20,000 take 24 s); fewer missed bugs that
// 1,000–2,000 found while it was written. PROPTEST_CASES=20000 runs a longer search, as a nightly
// job should.
const CASES: u32 = 512;
const PATIENCE: Duration = Duration::from_secs(6 * 3600);
const NAMES: [&str; 6] = ["Main", "Backup", "Twitch", "LinkedIn", "Restream", "Spare"];
const PRESETS: [&str; 3] = ["720p30", "1080p30", "1080p60"];
const CALLS: [&str; 18] = [
    "CreateInput",
    "DescribeInput",
    "DeleteInput",
    "CreateChannel",
    "DescribeChannel",
    "ListChannels",
    "StartChannel",
    "StopChannel",
    "UpdateChannel",
    "DeleteChannel",
    "BatchStart",
    "BatchStop",
    "DescribeFlow",
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Scan",
];
const KINDS: [ErrorKind; 6] = [
    ErrorKind::Throttled,
    ErrorKind::Unavailable,
    ErrorKind::Timeout,
    ErrorKind::AccessDenied,
    ErrorKind::QuotaExceeded,
    ErrorKind::Conflict,
];
const SERVICES: [Service; 2] = [Service::MediaLive, Service::DynamoDb];

#[derive(Debug, Clone)]
enum Act {
    Add(usize),
    Start(usize),
    Stop(usize),
    Delete(usize),
    Edit(usize, usize, bool),
    StartMany(Vec<usize>),
    StopMany(Vec<usize>),
    /// A pass of the reconciler: the periodic one (which parks idle chains) or an immediate one.
    Reconcile(bool),
    Unpark(usize),
    Restart,
    Advance(u64),
    Settle,
    FailNext(usize, usize),
    Throttle(usize, u32),
    DropSource(u64),
    /// The platform refuses a destination's stream for that many seconds (issue 11): within
    /// the reconnect window MediaLive rides it out, beyond it the channel stops by itself.
    Reject(usize, u64),
    /// The platform refuses the destination's key on every connection (cleared at recovery).
    RevokeKey(usize),
    /// AWS maintenance: RUNNING → RECOVERING → RUNNING.
    Maintenance(usize),
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        4 => (0..NAMES.len()).prop_map(Act::Add),
        3 => any::<usize>().prop_map(Act::Start),
        2 => any::<usize>().prop_map(Act::Stop),
        2 => any::<usize>().prop_map(Act::Delete),
        1 => (any::<usize>(), 0..PRESETS.len(), any::<bool>())
            .prop_map(|(d, p, r)| Act::Edit(d, p, r)),
        1 => prop::collection::vec(any::<usize>(), 1..4).prop_map(Act::StartMany),
        1 => prop::collection::vec(any::<usize>(), 1..4).prop_map(Act::StopMany),
        2 => any::<bool>().prop_map(Act::Reconcile),
        1 => any::<usize>().prop_map(Act::Unpark),
        1 => Just(Act::Restart),
        2 => (1u64..400).prop_map(Act::Advance),
        1 => Just(Act::Settle),
        3 => (0..CALLS.len(), 0..KINDS.len()).prop_map(|(c, k)| Act::FailNext(c, k)),
        1 => (0..SERVICES.len(), 1u32..6).prop_map(|(s, n)| Act::Throttle(s, n)),
        1 => (1u64..120).prop_map(Act::DropSource),
        1 => (any::<usize>(), 10u64..900).prop_map(|(d, s)| Act::Reject(d, s)),
        1 => any::<usize>().prop_map(Act::RevokeKey),
        1 => any::<usize>().prop_map(Act::Maintenance),
    ]
}

thread_local! {
    static PANICS: Cell<u32> = const { Cell::new(0) };
}

/// Counts panics on this thread (engine tasks run on the test's current-thread runtime), so a
/// panic inside a spawned task — which tokio would swallow — fails the case too.
fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.with(|p| p.set(p.get() + 1));
            default(info);
        }));
    });
}

/// One control-room process: an engine whose calls go through its own tap, so killing the
/// process stops every operation it had under way wherever it was.
struct Process {
    tap: Arc<Tap>,
    engine: Engine,
    _events: UnboundedReceiver<EngineEvent>,
}

impl Process {
    fn start(sim: &Arc<Simulator>) -> Self {
        let tap = Tap::new(Arc::clone(sim));
        let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
        // Short enough that random runs park (and then start, edit, delete parked chains).
        config.park_after = Some(Duration::from_secs(5 * 60));
        let (engine, events) = Engine::new(
            tap.cloud(),
            Arc::new(Catalog::builtin()),
            config,
            Clock::starting_at(sim.now()),
        );
        Process {
            tap,
            engine,
            _events: events,
        }
    }
}

/// What the operator did, as far as the table could have seen it.
#[derive(Default)]
struct Intent {
    added: BTreeSet<DestinationId>,
    /// Added destinations whose record was seen in the table.
    persisted: BTreeSet<DestinationId>,
    /// Destinations the operator asked to delete (the request was accepted).
    deleted: BTreeSet<DestinationId>,
}

fn pick(engine: &Engine, n: usize) -> Option<DestinationId> {
    let records = engine.records();
    (!records.is_empty()).then(|| records[n % records.len()].id())
}

fn draft(name: &str, preset: &str, key: usize) -> DestinationDraft {
    DestinationDraft {
        name: name.to_string(),
        platform: "youtube".to_string(),
        url: String::new(),
        stream_key: StreamKey::new(KEYS[key % KEYS.len()]).into(),
        preset: preset.to_string(),
    }
}

async fn settle(engine: &Engine) -> Result<(), String> {
    tokio::time::timeout(PATIENCE, engine.settle())
        .await
        .map_err(|_| "the engine never settled".to_string())
}

async fn restart(sim: &Arc<Simulator>, old: Process) -> Process {
    old.tap.kill();
    drop(old);
    let fresh = Process::start(sim);
    // A failed start-up reconciliation (a fault hit its Scan) is what an operator would see;
    // the next one (refresh, `r`) tries again.
    let _ = fresh.engine.reconcile(true).await;
    fresh
}

async fn run(acts: Vec<Act>) -> Result<(), String> {
    let sim = Simulator::new(SimConfig::unlimited(), Clock::starting_at(rig::start()));
    let mut p = Process::start(&sim);
    let mut intent = Intent::default();
    for act in acts {
        let e = &p.engine;
        match act {
            Act::Add(n) => {
                if let Ok(id) = e.add(draft(NAMES[n], "1080p30", n)) {
                    intent.added.insert(id);
                }
            }
            Act::Start(n) => {
                if let Some(id) = pick(e, n) {
                    let _ = e.start(id);
                }
            }
            Act::Stop(n) => {
                if let Some(id) = pick(e, n) {
                    let _ = e.stop(id);
                }
            }
            Act::Delete(n) => {
                if let Some(id) = pick(e, n)
                    && e.delete(id).is_ok()
                {
                    intent.deleted.insert(id);
                }
            }
            Act::Edit(n, preset, restart) => {
                if let Some(r) = pick(e, n).and_then(|id| e.record(id)) {
                    let _ = e.edit(r.id(), draft(&r.name, PRESETS[preset], n), restart);
                }
            }
            Act::StartMany(ns) | Act::StopMany(ns) if e.records().is_empty() => {
                let _ = ns;
            }
            Act::StartMany(ns) => {
                let ids: Vec<_> = ns.iter().filter_map(|n| pick(e, *n)).collect();
                let _ = e.start_many(&ids);
            }
            Act::StopMany(ns) => {
                let ids: Vec<_> = ns.iter().filter_map(|n| pick(e, *n)).collect();
                let _ = e.stop_many(&ids);
            }
            Act::Reconcile(immediate) => {
                let _ = e.reconcile(immediate).await;
            }
            Act::Unpark(n) => {
                if let Some(id) = pick(e, n) {
                    let _ = e.unpark(id);
                }
            }
            Act::Restart => p = restart(&sim, p).await,
            Act::Advance(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            Act::Settle => settle(e).await?,
            Act::FailNext(c, k) => sim.fail_next(CALLS[c], KINDS[k]),
            Act::Throttle(s, n) => sim.throttle_next(SERVICES[s], n),
            Act::DropSource(secs) => sim.drop_source(Duration::from_secs(secs)),
            Act::Reject(n, secs) => {
                if let Some(ch) = pick(e, n).and_then(|id| e.record(id)?.media_live_channel_id) {
                    let _ = sim.reject_stream(&ch, Duration::from_secs(secs));
                }
            }
            Act::RevokeKey(n) => {
                if let Some(ch) = pick(e, n).and_then(|id| e.record(id)?.media_live_channel_id) {
                    let _ = sim.revoke_key(&ch);
                }
            }
            Act::Maintenance(n) => {
                if let Some(ch) = pick(e, n).and_then(|id| e.record(id)?.media_live_channel_id) {
                    let _ = sim.maintenance(&ch);
                }
            }
        }
        // Let the operations just started make their first calls.
        tokio::task::yield_now().await;
        let stored: BTreeSet<DestinationId> = sim.snapshot().records.into_iter().collect();
        intent
            .persisted
            .extend(intent.added.intersection(&stored).copied());
    }

    // Recovery: the faults pass, what is under way finishes (or fails), the control room is
    // restarted and reconciles, the operator removes the failed rows it meant to delete.
    sim.clear_faults();
    settle(&p.engine).await?;
    p = restart(&sim, p).await;
    settle(&p.engine).await?;
    p.engine
        .reconcile(true)
        .await
        .map_err(|e| format!("reconcile: {e}"))?;
    settle(&p.engine).await?;
    for r in p.engine.records() {
        if r.status == Status::Error && intent.deleted.contains(&r.id()) {
            p.engine
                .delete(r.id())
                .map_err(|e| format!("deleting {}: {e}", r.name))?;
        }
    }
    settle(&p.engine).await?;

    let records = p.engine.records();
    let describe = || {
        records
            .iter()
            .map(|r| format!("{} {} {:?}", r.name, r.status, r.last_error))
            .collect::<Vec<_>>()
            .join("; ")
    };
    invariants::check(&sim, &records).map_err(|e| format!("{e}\n  records: {}", describe()))?;
    let present: BTreeSet<DestinationId> = records.iter().map(|r| r.id()).collect();
    let lost: Vec<_> = intent
        .persisted
        .difference(&intent.deleted)
        .filter(|id| !present.contains(id))
        .collect();
    if !lost.is_empty() {
        return Err(format!("records lost: {lost:?}\n  records: {}", describe()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: crate::common::proptest_cases(CASES),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_actions_and_faults_leak_nothing_duplicate_nothing_and_lose_no_record(
        acts in prop::collection::vec(act(), 8..40)
    ) {
        count_panics();
        let before = PANICS.with(Cell::get);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        let outcome = rt.block_on(run(acts));
        // Killed processes leave tasks waiting forever; dropping the runtime ends them.
        drop(rt);
        prop_assert_eq!(PANICS.with(Cell::get), before, "an engine task panicked");
        if let Err(why) = outcome {
            prop_assert!(false, "{}", why);
        }
    }
}

/// A case the search found (at a few thousand cases): an add refused, a start that rebuilds the
/// chain cancelled by a stop (which deletes the new input) while the table throttles, then a
/// restart: the resumed build found the input DELETING, took it as its own and failed to attach
/// it, leaving the record naming an input AWS no longer had.
#[test]
fn a_resumed_build_makes_a_new_input_beside_one_still_deleting() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let acts = vec![
        Act::FailNext(0, 3),
        Act::Add(3),
        Act::Start(0),
        Act::Throttle(1, 3),
        Act::Stop(0),
        Act::Reconcile(false),
        Act::Restart,
        Act::Add(0),
    ];
    let outcome = rt.block_on(run(acts));
    drop(rt);
    outcome.unwrap();
}
