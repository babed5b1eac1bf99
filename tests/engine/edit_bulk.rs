//! Edit and bulk start/stop on the simulator, with realistic delays on tokio's paused clock.

use crate::common::rig::{Rig, draft};
use onair::cloud::{ChannelState, ErrorKind};
use onair::domain::Status;
use onair::engine::Refusal;
use onair::sim::SimConfig;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn editing_an_idle_destination_updates_its_channel_in_place() {
    let rig = Rig::new();
    let id = rig.add("Main").await;
    let before = rig.engine.record(id).unwrap();
    let mut change = draft("Main renamed", "twitch", 1);
    change.preset = "720p30".into();
    rig.engine.edit(id, change, false).unwrap();
    rig.engine.settle().await;
    let after = rig.engine.record(id).unwrap();
    assert_eq!(after.status, Status::Idle);
    assert_eq!(after.name, "Main renamed");
    assert_eq!(after.preset, "720p30");
    assert_eq!(after.rtmp_url, "rtmp://live.twitch.tv/app");
    assert_eq!(
        after.media_live_channel_id, before.media_live_channel_id,
        "same channel"
    );
    assert_eq!(rig.sim.call_counts().get("UpdateChannel"), Some(&1));
    let channel = &rig.sim.snapshot().channels[0];
    assert!(
        channel.name.starts_with("onair-main-renamed-"),
        "{}",
        channel.name
    );
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn an_edit_that_updates_the_channel_of_a_destination_in_error_clears_the_error() {
    let rig = Rig::new();
    let id = rig.add("Main").await;
    rig.sim.fail_next("StartChannel", ErrorKind::AccessDenied);
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    let failed = rig.engine.record(id).unwrap();
    assert_eq!(failed.status, Status::Error);
    assert!(failed.last_error.is_some());

    rig.engine
        .edit(id, draft("Main", "youtube", 2), false)
        .unwrap();
    rig.engine.settle().await;
    let after = rig.engine.record(id).unwrap();
    assert_eq!(after.status, Status::Idle, "{:?}", after.last_error);
    assert_eq!(after.last_error, None);
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn clearing_an_error_by_edit_closes_the_run_a_failed_stop_left_open() {
    // Found by engine_proptest: a stop whose wait failed leaves `error` with the run still open
    // on the record while the channel goes IDLE; the edit that clears the error must end it.
    let rig = Rig::new();
    let id = rig.add("Main").await;
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    rig.sim
        .fail_next("DescribeChannel", ErrorKind::AccessDenied);
    rig.engine.stop(id).unwrap();
    rig.engine.settle().await;
    let failed = rig.engine.record(id).unwrap();
    assert_eq!(failed.status, Status::Error);
    assert!(failed.running_since.is_some(), "the run is still open");
    tokio::time::sleep(Duration::from_secs(120)).await;

    rig.engine
        .edit(id, draft("Main", "youtube", 2), false)
        .unwrap();
    rig.engine.settle().await;
    let after = rig.engine.record(id).unwrap();
    assert_eq!(after.status, Status::Idle, "{:?}", after.last_error);
    assert_eq!(after.running_since, None);
    assert!(after.run_seconds >= 120, "{}", after.run_seconds);
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn editing_a_live_destination_asks_first_then_restarts_it() {
    let rig = Rig::new();
    let id = rig.add("Main").await;
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    rig.sim.reset_call_counts();

    let asked = rig
        .engine
        .edit(id, draft("Main", "youtube", 2), false)
        .unwrap_err();
    assert_eq!(
        asked,
        Refusal::NeedsRestart {
            name: "Main".into()
        }
    );
    assert!(
        rig.sim.call_counts().values().all(|n| *n == 0),
        "nothing changed before the answer"
    );

    rig.engine
        .edit(id, draft("Main", "youtube", 2), true)
        .unwrap();
    rig.engine.settle().await;
    let counts = rig.sim.call_counts();
    for call in ["StopChannel", "UpdateChannel", "StartChannel"] {
        assert_eq!(counts.get(call), Some(&1), "{call}: {counts:?}");
    }
    assert_eq!(rig.status(id), Some(Status::Running));
    assert_eq!(rig.sim.snapshot().channels[0].state, ChannelState::Running);
}

#[tokio::test(start_paused = true)]
async fn an_invalid_edit_changes_nothing() {
    let rig = Rig::new();
    let id = rig.add("Main").await;
    rig.add("Other").await;
    rig.sim.reset_call_counts();
    let mut bad = draft("Main", "youtube", 0);
    bad.url = "ftp://nope".into();
    assert!(matches!(
        rig.engine.edit(id, bad, false),
        Err(Refusal::Invalid(_))
    ));
    let dup = rig
        .engine
        .edit(id, draft("other", "youtube", 0), false)
        .unwrap_err();
    assert!(dup.to_string().contains("already called"), "{dup}");
    assert!(rig.sim.call_counts().values().all(|n| *n == 0));
    assert_eq!(rig.engine.record(id).unwrap().name, "Main");
}

#[tokio::test(start_paused = true)]
async fn bulk_start_uses_one_batch_call_and_takes_about_as_long_as_one_start() {
    let rig = Rig::with(SimConfig::default(), |c| c.channel_quota = 20);
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            rig.engine
                .add(draft(&format!("D{i}"), "youtube", i))
                .unwrap(),
        );
    }
    rig.engine.settle().await;
    rig.sim.reset_call_counts();
    let started = tokio::time::Instant::now();
    let results = rig.engine.start_many(&ids);
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    rig.engine.settle().await;
    let took = started.elapsed();
    for id in &ids {
        assert_eq!(rig.status(*id), Some(Status::Running));
    }
    let counts = rig.sim.call_counts();
    assert_eq!(counts.get("BatchStart"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("StartChannel"), None, "{counts:?}");
    // The batch waits on one shared ListChannels a round, not a DescribeChannel per channel
    // (begin_start reads nothing from MediaLive either).
    assert_eq!(counts.get("DescribeChannel"), None, "{counts:?}");
    let rounds = counts.get("ListChannels").copied().unwrap_or(0);
    assert!((1..=40).contains(&rounds), "{counts:?}");
    // One start takes 30–120 s of simulated AWS time.
    assert!(took < Duration::from_secs(130), "{took:?}");

    let results = rig.engine.stop_many(&ids);
    assert!(results.iter().all(|(_, r)| r.is_ok()));
    rig.engine.settle().await;
    assert_eq!(rig.sim.call_counts().get("BatchStop"), Some(&1));
    for id in &ids {
        assert_eq!(rig.status(*id), Some(Status::Idle));
    }
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn bulk_start_reports_each_row_and_refuses_the_ones_that_cannot_start() {
    let rig = Rig::new();
    let a = rig.add("A").await;
    let b = rig.add("B").await;
    let c = rig.add("C").await;
    rig.engine.start(a).unwrap();
    rig.engine.settle().await;
    let results = rig.engine.start_many(&[a, b, c]);
    assert!(
        matches!(results[0].1, Err(Refusal::NotNow(_))),
        "A is already running"
    );
    assert!(results[1].1.is_ok() && results[2].1.is_ok());
    rig.engine.settle().await;
    assert_eq!(rig.status(b), Some(Status::Running));
    assert_eq!(rig.status(c), Some(Status::Running));
}

#[tokio::test(start_paused = true)]
async fn a_channel_that_fails_inside_a_batch_fails_alone() {
    let rig = Rig::new();
    let a = rig.add("A").await;
    let b = rig.add("B").await;
    let channel_b = rig.engine.record(b).unwrap().media_live_channel_id.unwrap();
    rig.sim.fail_start(&channel_b).unwrap();
    rig.engine.start_many(&[a, b]);
    rig.engine.settle().await;
    assert_eq!(rig.status(a), Some(Status::Running));
    assert_eq!(rig.status(b), Some(Status::Error));
    assert!(rig.engine.record(b).unwrap().last_error.is_some());
}
