//! Bulk start of 20 destinations against one start, on the simulator with realistic AWS delays
//! (a channel takes 30–120 s to start, drawn per channel) and the 5 calls/s token bucket
//! (burst 30), in virtual time on tokio's paused clock. Three ways, each from a full bucket:
//! one `start`, `start_many` of 20 (one BatchStart) and 20 `start` calls at once.
//!
//! A watcher reads the simulator's state every 100 ms of virtual time (not an AWS call) to find
//! when AWS itself had each channel RUNNING: that floor is what no client can beat, and the time
//! above it is the engine's (polling, retries of throttled calls).
//!
//! `cargo bench --bench bulk_start` (5 seeds; `-- --quick`: 1 seed)

mod support;

use onair::cloud::ChannelState;
use onair::domain::{DestinationId, Status};
use onair::engine::Engine;
use onair::sim::{SimConfig, Simulator};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const N: usize = 20;

#[derive(Clone, Copy)]
enum How {
    One,
    Batch,
    Singles,
}

struct Timed {
    /// Until the engine reported every destination running.
    done: Duration,
    /// Until AWS had the slowest of the channels RUNNING.
    floor: Duration,
    /// MediaLive calls made (throttled ones included): starts and the polls that wait for
    /// RUNNING (DescribeChannel per channel, or the batch's shared ListChannels).
    calls: u64,
}

fn main() {
    let seeds: Vec<u64> = if support::quick() {
        vec![1]
    } else {
        (1..=5).collect()
    };
    println!(
        "Start in virtual time (SimConfig::default(): speed 1.0, 5 TPS bucket, burst 30); \
         in brackets: when AWS had the slowest channel RUNNING; MediaLive calls"
    );
    println!(
        "{:>4} | {:>22} | {:>22} | {:>22} | {:>9} | {:>9} | {:>10} | {:>15}",
        "seed",
        "one start",
        "start_many 20",
        "20 starts at once",
        "bulk/one",
        "floor/one",
        "bulk/floor",
        "bulk−floor/one−floor"
    );
    for seed in seeds {
        let rt = support::paused_runtime();
        rt.block_on(async move {
            let config = SimConfig {
                seed,
                ..SimConfig::default()
            };
            let rig = support::rig(config, N);
            for i in 0..N {
                rig.engine.add(support::draft(i)).expect("add accepted");
            }
            rig.engine.settle().await;
            for r in rig.engine.records() {
                if r.status != Status::Idle {
                    println!("add of {}: {} {:?}", r.name, r.status, r.last_error);
                }
            }
            let ids: Vec<DestinationId> = rig.engine.records().iter().map(|r| r.id()).collect();
            assert_eq!(ids.len(), N);

            let one = timed(&rig.sim, &rig.engine, &ids[..1], How::One).await;
            stop_all(&rig.engine, &ids[..1]).await;
            let batch = timed(&rig.sim, &rig.engine, &ids, How::Batch).await;
            stop_all(&rig.engine, &ids).await;
            let singles = timed(&rig.sim, &rig.engine, &ids, How::Singles).await;
            // Deletion: one running destination and one idle one. Own time is what the engine
            // adds after AWS has the channel and the input DELETED (the floor).
            let running = timed_delete(&rig.sim, &rig.engine, ids[0]).await;
            stop_all(&rig.engine, &ids[1..2]).await;
            let idle = timed_delete(&rig.sim, &rig.engine, ids[1]).await;
            println!(
                "{seed:>4} | delete running: {} (AWS done {}, own {}) | delete idle: {} (AWS done {}, own {})",
                secs(running.done),
                secs(running.floor),
                secs(running.done.saturating_sub(running.floor)),
                secs(idle.done),
                secs(idle.floor),
                secs(idle.done.saturating_sub(idle.floor)),
            );

            let cell =
                |t: &Timed| format!("{} ({}) {}", secs(t.done), secs(t.floor), t.calls);
            println!(
                "{seed:>4} | {:>22} | {:>22} | {:>22} | {:>9.2} | {:>9.2} | {:>10.2} | {:>7} / {:>5}",
                cell(&one),
                cell(&batch),
                cell(&singles),
                batch.done.as_secs_f64() / one.done.as_secs_f64(),
                batch.floor.as_secs_f64() / one.floor.as_secs_f64(),
                batch.done.as_secs_f64() / batch.floor.as_secs_f64(),
                secs(batch.done.saturating_sub(batch.floor)),
                secs(one.done.saturating_sub(one.floor)),
            );
        });
    }
}

async fn timed(sim: &Arc<Simulator>, engine: &Engine, ids: &[DestinationId], how: How) -> Timed {
    // Start from a full bucket, as after a quiet spell.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let channels: Vec<String> = ids
        .iter()
        .filter_map(|id| engine.record(*id)?.media_live_channel_id)
        .collect();
    sim.reset_call_counts();
    let t0 = Instant::now();
    match how {
        How::One | How::Singles => {
            for id in ids {
                engine.start(*id).expect("start accepted");
            }
        }
        How::Batch => {
            let results = engine.start_many(ids);
            assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
        }
    }
    let waiter = engine.clone();
    let settled = tokio::spawn(async move {
        waiter.settle().await;
        Instant::now()
    });
    let mut running_at: BTreeMap<String, Duration> = BTreeMap::new();
    while !settled.is_finished() {
        for c in sim.snapshot().channels {
            if c.state == ChannelState::Running && channels.contains(&c.id) {
                running_at.entry(c.id).or_insert_with(|| t0.elapsed());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let done = settled.await.expect("settle") - t0;
    for id in ids {
        assert_eq!(engine.record(*id).map(|r| r.status), Some(Status::Running));
    }
    assert_eq!(
        running_at.len(),
        channels.len(),
        "every channel seen RUNNING"
    );
    let counts = sim.call_counts();
    let calls = counts
        .iter()
        .filter(|(name, _)| {
            [
                "StartChannel",
                "BatchStart",
                "DescribeChannel",
                "ListChannels",
            ]
            .contains(&name.as_str())
        })
        .map(|(_, n)| *n)
        .sum();
    Timed {
        done,
        floor: running_at.values().copied().max().unwrap_or_default(),
        calls,
    }
}

/// Deletes `id` and times it: until the record is gone, and until AWS had both the channel and
/// the input DELETED (or gone from the snapshot).
async fn timed_delete(sim: &Arc<Simulator>, engine: &Engine, id: DestinationId) -> Timed {
    tokio::time::sleep(Duration::from_secs(10)).await;
    let record = engine.record(id).expect("a record to delete");
    let (channel, input) = (record.media_live_channel_id, record.media_live_input_id);
    let t0 = Instant::now();
    engine.delete(id).expect("delete accepted");
    let waiter = engine.clone();
    let settled = tokio::spawn(async move {
        waiter.settle().await;
        Instant::now()
    });
    let mut floor = None;
    while !settled.is_finished() {
        let snap = sim.snapshot();
        let channel_gone = channel.as_ref().is_none_or(|c| {
            snap.channels
                .iter()
                .all(|ch| &ch.id != c || ch.state == ChannelState::Deleted)
        });
        let input_gone = input.as_ref().is_none_or(|i| {
            snap.inputs
                .iter()
                .all(|inp| &inp.id != i || inp.state == onair::cloud::InputState::Deleted)
        });
        if channel_gone && input_gone && floor.is_none() {
            floor = Some(t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let done = settled.await.expect("settle") - t0;
    assert!(engine.record(id).is_none(), "deleted");
    Timed {
        done,
        floor: floor.unwrap_or(done),
        calls: 0,
    }
}

async fn stop_all(engine: &Engine, ids: &[DestinationId]) {
    if ids.len() == 1 {
        engine.stop(ids[0]).expect("stop accepted");
    } else {
        engine.stop_many(ids);
    }
    engine.settle().await;
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}
