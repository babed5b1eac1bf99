//! Keeping destinations on air (issue 11): a platform that refuses or drops a stream, MediaLive
//! stopping the channel when its RTMP retries run out, maintenance, a stop on purpose in the
//! console, a lost source, the quota, read-only mode and a second control box — on the
//! simulator with realistic delays on tokio's paused clock, refreshing every 10 s as onair does.

use crate::common::rig::{Rig, draft};
use onair::clock::Clock;
use onair::cloud::{ChannelState, ErrorKind, MediaLive, RtmpReconnect};
use onair::domain::{Catalog, Desired, DestinationId, Status};
use onair::engine::{Engine, EngineConfig, EngineEvent, IncidentPhase, Level};
use onair::sim::{SimConfig, Simulator};
use std::sync::Arc;
use std::time::Duration;

const REFRESH: Duration = Duration::from_secs(10);

/// Refreshes (and so reconciles) every 10 s for `secs` of simulated time, on every engine.
async fn run_for(engines: &[&Engine], secs: u64) {
    for _ in 0..secs.div_ceil(REFRESH.as_secs()) {
        tokio::time::sleep(REFRESH).await;
        for e in engines {
            e.refresh().await;
        }
    }
}

/// A destination started and streaming, watched by a few refreshes.
async fn on_air(rig: &Rig, platform: &str, key: usize) -> (DestinationId, String) {
    let id = rig
        .engine
        .add(draft("YT Main", platform, key))
        .expect("add accepted");
    rig.engine.settle().await;
    rig.engine.start(id).expect("start accepted");
    rig.engine.settle().await;
    run_for(&[&rig.engine], 30).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.status, Status::Running, "{:?}", r.last_error);
    (id, r.media_live_channel_id.unwrap())
}

fn starts(rig: &Rig) -> u64 {
    rig.sim
        .call_counts()
        .get("StartChannel")
        .copied()
        .unwrap_or(0)
}

async fn channel_state(rig: &Rig, ch: &str) -> ChannelState {
    rig.sim.describe_channel(ch).await.unwrap().state
}

fn logs(events: &[EngineEvent], level: Level) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Log(l) if l.level == level => Some(l.text.clone()),
            _ => None,
        })
        .collect()
}

fn window() -> u64 {
    RtmpReconnect::default().window().as_secs()
}

#[tokio::test(start_paused = true)]
async fn a_drop_shorter_than_the_reconnect_window_rides_out_without_a_restart() {
    let mut rig = Rig::new();
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    // Two minutes of platform trouble: the seed's 30 × 2 s stopped the channel after one.
    rig.sim
        .reject_stream(&ch, Duration::from_secs(120))
        .unwrap();
    run_for(&[&rig.engine], window() + 120).await;
    assert_eq!(channel_state(&rig, &ch).await, ChannelState::Running);
    let r = rig.engine.record(id).unwrap();
    assert_eq!((r.status, r.desired), (Status::Running, Desired::Running));
    assert_eq!(starts(&rig), 1, "no restart");
    assert_eq!(rig.engine.incident(id), None);
    let alerts = &rig.sim.snapshot().channels[0].alerts;
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].cleared_at.is_some(), "alert CLEARED");
    assert!(
        !rig.drain()
            .iter()
            .any(|e| matches!(e, EngineEvent::Incident(_, Some(_))))
    );
}

#[tokio::test(start_paused = true)]
async fn a_drop_longer_than_the_window_is_an_incident_and_the_restart_brings_it_back() {
    let mut rig = Rig::new();
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    rig.drain();
    rig.sim
        .reject_stream(&ch, Duration::from_secs(window() + 100))
        .unwrap();
    // Until the retries run out, MediaLive retries and the record is untouched.
    run_for(&[&rig.engine], window() - 20).await;
    assert_eq!(rig.engine.record(id).unwrap().status, Status::Running);
    assert_eq!(starts(&rig), 1);
    // Stopped by MediaLive: noticed within a refresh, StartChannel within two.
    let stopped_at = rig.sim.now() + Duration::from_secs(25);
    run_for(&[&rig.engine], 30).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.desired, Desired::Running, "desired is the operator's");
    let incident = rig.engine.incident(id).expect("an incident");
    assert!(
        incident.reason.contains("RTMP retries exhausted"),
        "{incident:?}"
    );
    assert!(incident.since < stopped_at);
    assert_eq!(starts(&rig), 2, "restarted");
    assert_eq!(incident.attempts, 1);
    assert_eq!(incident.phase, IncidentPhase::Restarting);
    run_for(&[&rig.engine], 400).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!((r.status, r.desired), (Status::Running, Desired::Running));
    assert_eq!(channel_state(&rig, &ch).await, ChannelState::Running);
    assert_eq!(rig.engine.incident(id), None, "back on air");
    let events = rig.drain();
    let errors = logs(&events, Level::Error);
    assert!(
        errors
            .iter()
            .any(|l| l.starts_with("dropped: RTMP retries exhausted")),
        "{errors:?}"
    );
    let info = logs(&events, Level::Info);
    assert!(
        info.iter()
            .any(|l| l.starts_with("back on air after 1 restart")),
        "{info:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_revoked_key_gives_up_after_the_attempts_and_says_what_to_do() {
    let rig = Rig::new();
    let (id, ch) = on_air(&rig, "twitch", 1).await;
    rig.sim.revoke_key(&ch).unwrap();
    run_for(&[&rig.engine], 3 * 3600).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.status, Status::Error);
    assert_eq!(r.desired, Desired::Running);
    assert_eq!(
        r.last_error.as_deref(),
        Some("Twitch refused the stream 3 times: check the stream key; `s` retries")
    );
    assert_eq!(starts(&rig), 1 + 3, "bounded by the attempts");
    // The first run rode MediaLive's whole window (a drop might have been short); each refused
    // restart was stopped within a minute of running, not billed for another window.
    let billed = r.run_seconds;
    let bound = 30 + window() + 60 + 3 * 60;
    assert!(billed <= bound, "ran {billed} s, bound {bound} s");
    assert_eq!(
        rig.sim.call_counts().get("StopChannel").copied(),
        Some(3),
        "each refused restart stopped by onair"
    );
    assert_eq!(
        channel_state(&rig, &ch).await,
        ChannelState::Idle,
        "not billing"
    );
    assert!(matches!(
        rig.engine.incident(id).map(|i| i.phase),
        Some(IncidentPhase::GaveUp(_))
    ));
    // The operator fixes the key and presses `s`: attempts are theirs again.
    rig.sim.restore_key(&ch).unwrap();
    rig.engine.start(id).expect("start accepted");
    rig.engine.settle().await;
    assert_eq!(rig.engine.incident(id), None);
    assert_eq!(rig.engine.record(id).unwrap().status, Status::Running);
}

#[tokio::test(start_paused = true)]
async fn maintenance_recovers_by_itself_without_a_restart() {
    let rig = Rig::new();
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    rig.sim.maintenance(&ch).unwrap();
    run_for(&[&rig.engine], 20).await;
    assert_eq!(channel_state(&rig, &ch).await, ChannelState::Recovering);
    run_for(&[&rig.engine], 120).await;
    assert_eq!(channel_state(&rig, &ch).await, ChannelState::Running);
    assert_eq!(rig.engine.record(id).unwrap().status, Status::Running);
    assert_eq!(starts(&rig), 1);
    assert_eq!(rig.engine.incident(id), None);
}

#[tokio::test(start_paused = true)]
async fn a_stop_in_the_console_with_healthy_output_is_followed_not_restarted() {
    let mut rig = Rig::new();
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    rig.drain();
    rig.sim.stop_channel(&ch).await.unwrap();
    run_for(&[&rig.engine], 120).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!((r.status, r.desired), (Status::Idle, Desired::Idle));
    assert_eq!(starts(&rig), 1);
    assert_eq!(rig.engine.incident(id), None);
    let warns = logs(&rig.drain(), Level::Warn);
    assert!(
        warns
            .iter()
            .any(|l| l.contains("taken as stopped on purpose")),
        "{warns:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_onair_never_saw_coming_is_assumed_a_drop_and_the_log_says_so() {
    let mut rig = Rig::new();
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    // A fresh engine (onair restarted) that never watched this run.
    let (fresh, mut events) = Engine::new(
        rig.sim.cloud(),
        Arc::new(Catalog::builtin()),
        EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN),
        Clock::starting_at(rig.sim.now()),
    );
    rig.sim.stop_channel(&ch).await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    fresh.refresh().await;
    let mut lines = Vec::new();
    while let Ok(e) = events.try_recv() {
        lines.push(e);
    }
    let errors = logs(&lines, Level::Error);
    assert!(
        errors.iter().any(|l| l.contains("assumed a drop")),
        "{errors:?}"
    );
    assert_eq!(fresh.record(id).unwrap().desired, Desired::Running);
    rig.drain();
}

#[tokio::test(start_paused = true)]
async fn a_lost_source_holds_the_restart_with_the_reason_until_it_is_back() {
    let rig = Rig::new();
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    rig.sim.drop_source(Duration::from_secs(window() + 300));
    rig.sim
        .reject_stream(&ch, Duration::from_secs(window() + 60))
        .unwrap();
    run_for(&[&rig.engine], window() + 60).await;
    let incident = rig.engine.incident(id).expect("an incident");
    assert!(
        matches!(&incident.phase, IncidentPhase::Held(why) if why.contains("source lost")),
        "{incident:?}"
    );
    assert_eq!(starts(&rig), 1, "no restart while the source is lost");
    run_for(&[&rig.engine], 400).await;
    assert_eq!(starts(&rig), 2, "restarted once the source is back");
    assert_eq!(rig.engine.record(id).unwrap().status, Status::Running);
}

#[tokio::test(start_paused = true)]
async fn a_restart_the_quota_refuses_ends_with_the_reason_and_is_not_retried() {
    let rig = Rig::new();
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    rig.sim
        .reject_stream(&ch, Duration::from_secs(window() + 600))
        .unwrap();
    run_for(&[&rig.engine], window() - 20).await;
    rig.sim.fail_next("StartChannel", ErrorKind::QuotaExceeded);
    run_for(&[&rig.engine], 600).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!((r.status, r.desired), (Status::Error, Desired::Running));
    assert_eq!(starts(&rig), 2, "one refused restart, no more");
    let phase = rig.engine.incident(id).map(|i| i.phase);
    assert!(
        matches!(&phase, Some(IncidentPhase::GaveUp(why)) if why.contains("restart failed") && why.to_lowercase().contains("quota")),
        "{phase:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn read_only_shows_the_drop_and_writes_and_starts_nothing() {
    let rig = Rig::new();
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    config.readonly = true;
    let (ro, _events) = Engine::new(
        rig.sim.cloud(),
        Arc::new(Catalog::builtin()),
        config,
        Clock::starting_at(rig.sim.now()),
    );
    rig.sim
        .reject_stream(&ch, Duration::from_secs(window() + 600))
        .unwrap();
    // Only the read-only box is watching.
    run_for(&[&ro], window() + 60).await;
    let incident = ro.incident(id).expect("the drop is shown");
    assert!(
        matches!(&incident.phase, IncidentPhase::Held(why) if why.contains("read-only")),
        "{incident:?}"
    );
    assert_eq!(starts(&rig), 1);
    let stored = rig.sim.cloud().store.get(id).await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Running, "nothing written");
}

#[tokio::test(start_paused = true)]
async fn a_second_control_box_restarting_too_makes_no_duplicate_start() {
    let rig = Rig::with(SimConfig::unlimited(), |_| {});
    let (id, ch) = on_air(&rig, "youtube", 0).await;
    // Another machine: its clock is never the same to the nanosecond as this one's (a write
    // identical to ours, timestamp included, is how `modify` recognises its own lost answer).
    let (other, _events) = Engine::new(
        rig.sim.cloud(),
        Arc::new(Catalog::builtin()),
        EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN),
        Clock::starting_at(rig.sim.now() + Duration::from_millis(3)),
    );
    other.refresh().await;
    rig.sim
        .reject_stream(&ch, Duration::from_secs(window() + 100))
        .unwrap();
    run_for(&[&rig.engine, &other], window() + 600).await;
    assert_eq!(starts(&rig), 2, "one restart between the two boxes");
    for e in [&rig.engine, &other] {
        let r = e.record(id).unwrap();
        assert_eq!((r.status, r.desired), (Status::Running, Desired::Running));
    }
    assert_eq!(channel_state(&rig, &ch).await, ChannelState::Running);
}
