//! Two operators on one DynamoDB table racing on one destination (issue 4), against moto's
//! server: every record write is conditional on `version`, so of two writers that read the same
//! version exactly one wins the transition; the other is told another operator got there first
//! (or, if it read the record after the winner's first write, is refused because the
//! destination is busy / already in that state). Each round both operators ask for the same
//! transition — two `start`s on an idle destination, then two `stop`s on a running one — which
//! is the race that could run a transition twice. After every round: exactly one succeeded,
//! `version` went up by exactly the winner's writes (a second writer would add more; a lost
//! update would be fewer), and the record's state is the channel's state in MediaLive.
//!
//! Two ways to run the two operators, 100 rounds each:
//! * two real `onair` processes per round, started together, as two control boxes would run
//!   them. Measured at about 0.1 s a round against moto (10 s for the 100), well under the
//!   minute that would have made a smaller number of process rounds necessary. Which of the two
//!   loses how depends on timing: most rounds are decided by the conditional write ("another
//!   operator … first"), the rest by a refusal (the loser read the record after the winner's
//!   first write: "busy", "already running", "not running"). The test prints the split.
//! * two `Engine`s in this process, each with its own SDK clients, `SdkRecordStore`, rate limiter
//!   and in-flight registry (nothing shared but the table and moto). Both engines load the
//!   record before either acts, so every one of these rounds is decided by the conditional write
//!   itself, and the loser must say so. (Slower, about 25 s: each engine keeps MediaLive's
//!   5 requests a second, where each new process starts with a fresh burst.)

use crate::common::rig::KEYS;
use crate::common::wire::{
    ROLE_ARN, TempDir, create_flow, onair, onair_env, patched_moto, sdk_config,
};
use aws_config::SdkConfig;
use onair::clock::Clock;
use onair::cloud::aws::from_sdk_config;
use onair::domain::{Catalog, Destination, DestinationDraft, DestinationId, StreamKey};
use onair::domain::{Desired, Status};
use onair::engine::{Engine, EngineConfig, EngineEvent, OpKind};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedReceiver;

const TABLE: &str = "onair-race";
const NAME: &str = "YT Main";
const PROCESS_ROUNDS: usize = 100;
const ENGINE_ROUNDS: usize = 100;
/// Record writes of a successful `start` on a destination with a channel: `starting`, then
/// `running` with the run's start time.
const START_WRITES: u64 = 2;
/// Of a `stop`: `stopping`, the run's time closed on IDLE, then `idle`.
const STOP_WRITES: u64 = 3;

async fn record(config: &SdkConfig, id: DestinationId) -> Destination {
    from_sdk_config(config.clone(), TABLE.to_string())
        .cloud
        .store
        .get(id)
        .await
        .expect("GetItem")
        .expect("the record is there")
}

async fn channel_state(config: &SdkConfig, channel_id: &str) -> String {
    aws_sdk_medialive::Client::new(config)
        .describe_channel()
        .channel_id(channel_id)
        .send()
        .await
        .expect("DescribeChannel")
        .state()
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

/// What every round checks once both operators are done.
struct Round {
    n: usize,
    start: bool,
    before: Destination,
}

impl Round {
    async fn check(&self, config: &SdkConfig, winners: usize, what: &str) -> Destination {
        let Round { n, start, before } = self;
        assert_eq!(winners, 1, "round {n}: exactly one operator wins: {what}");
        let after = record(config, before.id()).await;
        let writes = if *start { START_WRITES } else { STOP_WRITES };
        assert!(after.version > before.version, "round {n}: version went up");
        assert_eq!(
            after.version,
            before.version + writes,
            "round {n}: exactly the winner's {writes} writes landed: {what}"
        );
        let (status, desired, aws) = if *start {
            (Status::Running, Desired::Running, "RUNNING")
        } else {
            (Status::Idle, Desired::Idle, "IDLE")
        };
        assert_eq!(
            (after.status, after.desired),
            (status, desired),
            "round {n}"
        );
        assert_eq!(after.running_since.is_some(), *start, "round {n}");
        assert!(
            after.run_seconds >= before.run_seconds,
            "round {n}: no run lost"
        );
        let channel = after.media_live_channel_id.as_deref().expect("a channel");
        assert_eq!(
            channel_state(config, channel).await,
            aws,
            "round {n}: the record matches MediaLive"
        );
        assert_eq!(
            after.stream_key.clear().map(StreamKey::expose),
            Some(KEYS[0]),
            "round {n}: key kept"
        );
        after
    }
}

/// A loser's message: it lost the conditional write, or read the record after the winner's
/// first write and was refused.
fn is_losers_message(text: &str) -> bool {
    text.contains("another operator")
        || text.contains("is busy")
        || text.contains("already running")
        || text.contains("is not running")
}

#[tokio::test]
async fn two_processes_racing_start_and_stop_a_hundred_times_never_both_win() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let dir = TempDir::new("race-process");
    let env = onair_env(&moto, TABLE, &flow_arn, dir.path());
    let run_ok = |args: &[&str]| {
        let out = onair(args, &env)
            .env("ONAIR_STREAM_KEY", KEYS[0])
            .output()
            .expect("onair runs");
        assert!(out.status.success(), "{args:?}: {out:?}");
    };
    run_ok(&["init"]);
    run_ok(&["add", "--name", NAME, "--platform", "youtube"]);
    let scan = from_sdk_config(config.clone(), TABLE.to_string())
        .cloud
        .store
        .scan()
        .await
        .expect("Scan")
        .records;
    let id = scan[0].id();

    let began = Instant::now();
    let (mut lost_writes, mut refusals) = (0, 0);
    for n in 0..PROCESS_ROUNDS {
        let before = record(&config, id).await;
        let start = before.status == Status::Idle;
        let verb = if start { "start" } else { "stop" };
        let spawn = || {
            onair(&[verb, NAME], &env)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("onair starts")
        };
        let (a, b) = (spawn(), spawn());
        let outs = [
            a.wait_with_output().expect("a ends"),
            b.wait_with_output().expect("b ends"),
        ];
        let mut what = String::new();
        let mut winners = 0;
        for out in &outs {
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            what.push_str(&format!("[{:?}] {stdout}{stderr}", out.status.code()));
            assert!(
                !stdout.contains(KEYS[0]) && !stderr.contains(KEYS[0]),
                "a stream key in the output"
            );
            if out.status.success() {
                winners += 1;
                let done = if start { "is running" } else { "is idle" };
                assert!(stdout.contains(done), "round {n}: {what}");
            } else {
                assert!(is_losers_message(&stderr), "round {n}: {what}");
                // The loser changed nothing: a refusal, whichever way it lost.
                assert_eq!(out.status.code(), Some(2), "round {n}: {what}");
                if stderr.contains("another operator") {
                    lost_writes += 1;
                } else {
                    refusals += 1;
                }
            }
        }
        Round { n, start, before }
            .check(&config, winners, &what)
            .await;
    }
    eprintln!(
        "{PROCESS_ROUNDS} process rounds in {:.1} s: {lost_writes} lost the write, {refusals} refused",
        began.elapsed().as_secs_f64()
    );
}

fn engine(config: &SdkConfig, flow_arn: &str) -> (Engine, UnboundedReceiver<EngineEvent>) {
    Engine::new(
        from_sdk_config(config.clone(), TABLE.to_string()).cloud,
        Arc::new(Catalog::builtin()),
        EngineConfig::new(flow_arn, ROLE_ARN),
        Clock::system(),
    )
}

/// The `Finished` results an engine reported for `op` since the last call.
fn finished(events: &mut UnboundedReceiver<EngineEvent>, op: OpKind) -> Vec<Result<(), String>> {
    let mut results = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::Finished { op: o, result, .. } = event
            && o == op
        {
            results.push(result.map_err(|failure| failure.message));
        }
    }
    results
}

#[tokio::test]
async fn two_engines_racing_start_and_stop_a_hundred_times_never_both_win() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    onair::cloud::aws::init_table(&config, TABLE)
        .await
        .expect("init");
    let (a, mut a_events) = engine(&config, &flow_arn);
    let (b, mut b_events) = engine(&config, &flow_arn);
    let id = a
        .add(DestinationDraft {
            name: NAME.to_string(),
            platform: "youtube".to_string(),
            url: String::new(),
            stream_key: StreamKey::new(KEYS[0]).into(),
            preset: "1080p30".to_string(),
        })
        .expect("add accepted");
    a.settle().await;
    assert_eq!(finished(&mut a_events, OpKind::Add), [Ok(())]);

    let began = Instant::now();
    for n in 0..ENGINE_ROUNDS {
        // Both operators see the same version before either acts.
        a.load().await.expect("a loads");
        b.load().await.expect("b loads");
        let before = record(&config, id).await;
        assert_eq!(a.record(id), Some(before.clone()));
        assert_eq!(b.record(id), Some(before.clone()));
        let start = before.status == Status::Idle;
        let (op, asked) = if start {
            (OpKind::Start, [a.start(id), b.start(id)])
        } else {
            (OpKind::Stop, [a.stop(id), b.stop(id)])
        };
        assert_eq!(asked, [Ok(()), Ok(())], "round {n}: both accepted");
        tokio::join!(a.settle(), b.settle());
        let results: Vec<Result<(), String>> = finished(&mut a_events, op)
            .into_iter()
            .chain(finished(&mut b_events, op))
            .collect();
        assert_eq!(results.len(), 2, "round {n}: {results:?}");
        let winners = results.iter().filter(|r| r.is_ok()).count();
        let what = format!("{results:?}");
        for lost in results.iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                lost.contains("another operator") && lost.contains("first"),
                "round {n}: the loser lost the conditional write: {lost}"
            );
            assert!(!lost.contains(KEYS[0]), "a stream key in {lost}");
        }
        Round { n, start, before }
            .check(&config, winners, &what)
            .await;
    }
    eprintln!(
        "{ENGINE_ROUNDS} engine rounds in {:.1} s",
        began.elapsed().as_secs_f64()
    );
}
