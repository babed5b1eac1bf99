//! The lifecycle engine on the simulator, with realistic AWS delays on tokio's paused clock.

use crate::common::rig::{KEYS, Rig, draft, progress_steps};
use onair::cloud::{ChannelState, ErrorKind, InputState};
use onair::domain::{Desired, Status};
use onair::engine::{EngineEvent, OpKind, Refusal};
use onair::sim::{Service, SimConfig};
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn add_creates_input_channel_and_flow_output_and_reports_each_step() {
    let mut rig = Rig::new();
    let id = rig.add("Main YouTube").await;

    let record = rig.engine.record(id).unwrap();
    assert_eq!(record.status, Status::Idle);
    assert_eq!(record.desired, Desired::Idle);
    assert!(record.last_error.is_none());
    let snap = rig.sim.snapshot();
    assert_eq!(snap.channels.len(), 1);
    let channel = &snap.channels[0];
    assert_eq!(Some(&channel.id), record.media_live_channel_id.as_ref());
    assert_eq!(channel.state, ChannelState::Idle);
    assert!(
        channel.name.starts_with("onair-main-youtube-"),
        "{}",
        channel.name
    );
    assert_eq!(
        channel.tags.get("onair:managed").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        channel.tags.get("onair:destination-id"),
        Some(&id.to_string())
    );
    assert_eq!(snap.inputs[0].state, InputState::Attached);
    let output = snap
        .flow_outputs
        .iter()
        .find(|o| o.medialive_input_arn.is_some())
        .expect("MediaLive added an output to the flow");
    assert_eq!(record.media_connect_output_arn.as_ref(), Some(&output.arn));
    rig.assert_consistent();

    let steps = progress_steps(&rig.drain());
    assert_eq!(
        steps,
        [
            "saving record 1/6",
            "creating input 2/6",
            "creating channel 3/6",
            "waiting for channel 4/6",
            "linking flow output 5/6",
            "saving 6/6"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn start_then_stop_runs_the_channel_and_meters_the_run() {
    let rig = Rig::new();
    let id = rig.add("Twitch").await;
    rig.engine.start(id).unwrap();
    assert_eq!(rig.engine.in_flight(id), Some(OpKind::Start));
    rig.engine.settle().await;
    let record = rig.engine.record(id).unwrap();
    assert_eq!(record.status, Status::Running);
    assert_eq!(record.desired, Desired::Running);
    assert!(record.running_since.is_some());
    assert_eq!(rig.sim.snapshot().channels[0].state, ChannelState::Running);

    tokio::time::sleep(Duration::from_secs(125)).await;
    rig.engine.stop(id).unwrap();
    rig.engine.settle().await;
    let record = rig.engine.record(id).unwrap();
    assert_eq!(record.status, Status::Idle);
    assert!(record.running_since.is_none());
    assert!(record.run_seconds >= 125, "{}", record.run_seconds);
    assert_eq!(
        record.billed_run_minutes, 10,
        "a short run bills the 10-minute minimum"
    );
    assert_eq!(rig.sim.snapshot().channels[0].state, ChannelState::Idle);
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn deleting_a_running_destination_stops_it_and_removes_the_whole_chain() {
    let mut rig = Rig::new();
    let id = rig.add("Backup").await;
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    rig.drain();

    rig.engine.delete(id).unwrap();
    rig.engine.settle().await;
    assert!(rig.engine.record(id).is_none());
    let snap = rig.sim.snapshot();
    assert!(snap.channels.is_empty(), "{:?}", snap.channels);
    assert!(snap.inputs.is_empty(), "{:?}", snap.inputs);
    assert!(
        snap.flow_outputs
            .iter()
            .all(|o| o.medialive_input_arn.is_none())
    );
    assert!(snap.records.is_empty());
    let events = rig.drain();
    assert!(events.contains(&EngineEvent::Removed(id)));
    assert!(events.iter().any(|e| matches!(
        e,
        EngineEvent::Finished {
            op: OpKind::Delete,
            result: Ok(()),
            ..
        }
    )));
}

#[tokio::test(start_paused = true)]
async fn a_failure_at_each_add_step_leaves_an_error_record_naming_the_call_and_delete_cleans_up() {
    for (call, kind) in [
        ("CreateInput", ErrorKind::AccessDenied),
        ("CreateChannel", ErrorKind::AccessDenied),
        ("CreateChannel", ErrorKind::QuotaExceeded),
        ("DescribeChannel", ErrorKind::Validation),
        ("DescribeFlow", ErrorKind::AccessDenied),
    ] {
        let rig = Rig::new();
        rig.sim.fail_next(call, kind);
        let id = rig.engine.add(draft("Main", "youtube", 0)).unwrap();
        rig.engine.settle().await;
        let record = rig
            .engine
            .record(id)
            .expect("the record stays to retry or delete");
        assert_eq!(record.status, Status::Error, "{call}");
        let error = record.last_error.clone().unwrap();
        assert!(error.contains(call), "{call}: {error}");
        assert!(
            error.contains("left in AWS") || error.contains("nothing left"),
            "{error}"
        );
        rig.assert_consistent();

        rig.engine.delete(id).unwrap();
        rig.engine.settle().await;
        assert!(
            rig.engine.record(id).is_none(),
            "{call}: delete after failure"
        );
        let snap = rig.sim.snapshot();
        assert!(
            snap.channels.is_empty() && snap.inputs.is_empty(),
            "{call}: {snap:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_put_of_the_first_record_creates_nothing_and_removes_the_row() {
    let mut rig = Rig::new();
    rig.sim.fail_next("PutItem", ErrorKind::AccessDenied);
    let id = rig.engine.add(draft("Main", "youtube", 0)).unwrap();
    rig.engine.settle().await;
    assert!(rig.engine.record(id).is_none());
    assert!(rig.drain().contains(&EngineEvent::Removed(id)));
    let snap = rig.sim.snapshot();
    assert!(snap.channels.is_empty() && snap.inputs.is_empty() && snap.records.is_empty());
}

#[tokio::test(start_paused = true)]
async fn failures_at_start_stop_and_delete_are_recorded_and_can_be_retried() {
    let rig = Rig::new();
    let id = rig.add("Main").await;

    rig.sim.fail_next("StartChannel", ErrorKind::AccessDenied);
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.status, Status::Error);
    assert!(r.last_error.unwrap().contains("StartChannel"));
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Running));

    rig.sim.fail_next("StopChannel", ErrorKind::Validation);
    rig.engine.stop(id).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Error));
    rig.engine.stop(id).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Idle));

    rig.sim.fail_next("DeleteChannel", ErrorKind::AccessDenied);
    rig.engine.delete(id).unwrap();
    rig.engine.settle().await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.status, Status::Error);
    assert!(r.last_error.unwrap().contains("DeleteChannel"));
    rig.assert_consistent();
    rig.engine.delete(id).unwrap();
    rig.engine.settle().await;
    assert!(rig.engine.record(id).is_none());
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn throttling_and_5xx_are_retried_without_failing_the_operation() {
    let rig = Rig::new();
    rig.sim.throttle_next(Service::MediaLive, 3);
    rig.sim.fail_next("CreateChannel", ErrorKind::Unavailable);
    let id = rig.add("Main").await;
    assert_eq!(rig.status(id), Some(Status::Idle));
    assert_eq!(
        rig.sim.snapshot().channels.len(),
        1,
        "a retried create made one channel"
    );
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn a_lost_create_answer_is_retried_with_the_same_request_id_and_makes_one_channel() {
    let rig = Rig::new();
    rig.sim.fail_next("CreateChannel", ErrorKind::Timeout);
    let id = rig.add("Main").await;
    assert_eq!(rig.status(id), Some(Status::Idle));
    assert_eq!(rig.sim.snapshot().channels.len(), 1);
    assert_eq!(rig.sim.call_counts().get("CreateChannel"), Some(&2));
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn operations_on_two_destinations_run_at_the_same_time() {
    let rig = Rig::new();
    let a = rig.add("A").await;
    let b = rig.add("B").await;
    let started = tokio::time::Instant::now();
    rig.engine.start(a).unwrap();
    rig.engine.start(b).unwrap();
    assert_eq!(rig.engine.in_flight(a), Some(OpKind::Start));
    assert_eq!(rig.engine.in_flight(b), Some(OpKind::Start));
    rig.engine.settle().await;
    let both = started.elapsed();
    assert_eq!(rig.status(a), Some(Status::Running));
    assert_eq!(rig.status(b), Some(Status::Running));
    // Each start takes 30–120 s of simulated AWS time; serial starts would take their sum.
    assert!(both < Duration::from_secs(130), "{both:?}");
}

#[tokio::test(start_paused = true)]
async fn operations_on_one_destination_are_serialized_and_a_repeated_key_is_harmless() {
    let rig = Rig::new();
    let id = rig.add("Main").await;
    rig.sim.reset_call_counts();
    rig.engine.start(id).unwrap();
    for _ in 0..5 {
        let again = rig.engine.start(id).unwrap_err();
        assert!(
            matches!(again, Refusal::Busy { doing: "start", .. }),
            "{again}"
        );
    }
    rig.engine.settle().await;
    assert_eq!(rig.sim.call_counts().get("StartChannel"), Some(&1));
    assert!(
        matches!(rig.engine.start(id), Err(Refusal::NotNow(_))),
        "already running"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stop_during_a_start_cancels_the_start_and_leaves_the_channel_idle() {
    let mut rig = Rig::new();
    let id = rig.add("Main").await;
    rig.drain();
    rig.engine.start(id).unwrap();
    // Let the start reach its wait for RUNNING: the channel is STARTING in AWS.
    tokio::time::sleep(Duration::from_secs(2)).await;
    rig.engine
        .stop(id)
        .expect("a stop is accepted while a start runs");
    rig.engine.settle().await;
    let record = rig.engine.record(id).unwrap();
    assert_eq!(record.status, Status::Idle);
    assert_eq!(record.desired, Desired::Idle);
    assert_eq!(record.last_error, None);
    let channel = record.media_live_channel_id.clone().unwrap();
    let snap = rig.sim.snapshot();
    let state = snap
        .channels
        .iter()
        .find(|c| c.id == channel)
        .unwrap()
        .state;
    assert_eq!(state, ChannelState::Idle);
    let events = rig.drain();
    let finished: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Finished { op, result, .. } => Some((*op, result.clone())),
            _ => None,
        })
        .collect();
    assert!(
        matches!(
            finished.as_slice(),
            [
                (
                    OpKind::Start,
                    Err(onair::engine::OpFailure {
                        kind: onair::engine::FailureKind::Cancelled { by: OpKind::Stop },
                        ..
                    })
                ),
                (OpKind::Stop, Ok(()))
            ]
        ),
        "{finished:?}"
    );
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn a_delete_during_a_start_removes_the_whole_chain() {
    let rig = Rig::new();
    let id = rig.add("Main").await;
    rig.engine.start(id).unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    rig.engine
        .delete(id)
        .expect("a delete is accepted while a start runs");
    rig.engine.settle().await;
    assert!(rig.engine.record(id).is_none());
    let snap = rig.sim.snapshot();
    assert!(
        snap.channels.is_empty() && snap.inputs.is_empty(),
        "{snap:?}"
    );
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn an_add_over_the_channel_quota_is_refused_before_any_call() {
    let rig = Rig::with(SimConfig::unlimited(), |c| c.channel_quota = 2);
    rig.add("One").await;
    rig.add("Two").await;
    rig.sim.reset_call_counts();
    let refused = rig.engine.add(draft("Three", "twitch", 1)).unwrap_err();
    assert_eq!(
        refused,
        Refusal::Quota {
            what: "channel",
            used: 2,
            allowed: 2
        }
    );
    assert!(refused.to_string().contains("2 of 2"));
    assert!(rig.sim.call_counts().values().all(|n| *n == 0));
    assert_eq!(rig.engine.records().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn invalid_drafts_and_duplicate_names_create_nothing() {
    let rig = Rig::new();
    rig.add("Main").await;
    rig.sim.reset_call_counts();
    let mut bad = draft("", "youtube", 0);
    bad.url = "http://example.com/live".into();
    let Err(Refusal::Invalid(errors)) = rig.engine.add(bad) else {
        panic!("refused")
    };
    assert_eq!(errors.len(), 2);
    let dup = rig.engine.add(draft("MAIN", "twitch", 1)).unwrap_err();
    assert!(dup.to_string().contains("already called"), "{dup}");
    assert!(rig.sim.call_counts().values().all(|n| *n == 0));
    assert_eq!(rig.engine.records().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn several_destinations_of_one_platform_are_independent() {
    let rig = Rig::new();
    let a = rig.add("YouTube 1").await;
    let b = rig.add("YouTube 2").await;
    rig.engine.start(a).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(a), Some(Status::Running));
    assert_eq!(rig.status(b), Some(Status::Idle));
    rig.engine.delete(b).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(a), Some(Status::Running));
    assert_eq!(rig.sim.snapshot().channels.len(), 1);
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn refresh_reads_states_flow_and_metrics_in_a_constant_number_of_calls() {
    for n in [1usize, 10] {
        let sim = SimConfig {
            channel_quota: 200,
            input_quota: 200,
            ..SimConfig::unlimited()
        };
        let rig = Rig::with(sim, |c| {
            c.channel_quota = 200;
            c.input_quota = 200;
        });
        let mut ids = Vec::new();
        for i in 0..n {
            ids.push(
                rig.engine
                    .add(draft(&format!("D{i}"), "youtube", i))
                    .unwrap(),
            );
        }
        rig.engine.settle().await;
        for id in &ids {
            rig.engine.start(*id).unwrap();
        }
        rig.engine.settle().await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        rig.sim.reset_call_counts();
        let seen = rig.engine.refresh().await;
        let counts = rig.sim.call_counts();
        let media_calls: u64 = ["ListChannels", "DescribeFlow", "GetMetricData"]
            .iter()
            .map(|c| counts.get(*c).copied().unwrap_or(0))
            .sum();
        assert_eq!(media_calls, 3, "{counts:?}");
        // Alerts are the exception: one ListAlerts per running channel, at most once a minute.
        assert_eq!(
            counts.get("ListAlerts").copied(),
            Some(n as u64),
            "{counts:?}"
        );
        assert_eq!(
            counts.values().sum::<u64>(),
            4 + n as u64,
            "plus one Scan: {counts:?}"
        );
        assert!(seen.alerts.is_empty(), "healthy channels have no alert SET");
        rig.sim.reset_call_counts();
        tokio::time::sleep(Duration::from_secs(10)).await;
        rig.engine.refresh().await;
        assert_eq!(
            rig.sim.call_counts().get("ListAlerts"),
            None,
            "not again within a minute"
        );
        assert_eq!(seen.channels.len(), n);
        assert!(seen.channels.values().all(|s| *s == ChannelState::Running));
        assert_eq!(seen.quotas.channels_used, n);
        let flow = seen.flow.expect("flow");
        assert_eq!(flow.port, Some(9998));
        assert_eq!(seen.metrics.source_connected, Some(true));
        for id in &ids {
            let m = seen.metrics.destinations[id];
            let bps = m.bitrate.expect("a running channel has NetworkOut");
            assert!((5.5e6..7.0e6).contains(&bps), "{bps}");
            assert_eq!(m.active_outputs, Some(1.0));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn an_idle_channel_has_no_bitrate_a_gap_not_a_zero() {
    let rig = Rig::new();
    let id = rig.add("Main").await;
    tokio::time::sleep(Duration::from_secs(60)).await;
    let seen = rig.engine.refresh().await;
    assert_eq!(seen.metrics.destinations[&id].bitrate, None);
}

#[tokio::test(start_paused = true)]
async fn no_event_or_record_debug_output_contains_a_stream_key() {
    let mut rig = Rig::new();
    let id = rig.engine.add(draft("Main", "youtube", 0)).unwrap();
    rig.engine.settle().await;
    rig.sim.fail_next("StartChannel", ErrorKind::AccessDenied);
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    rig.engine.refresh().await;
    let text = format!("{:?} {:?}", rig.drain(), rig.engine.records());
    for key in KEYS {
        assert!(!text.contains(key), "a stream key leaked");
    }
    assert!(text.contains("StartChannel"));
}

#[tokio::test(start_paused = true)]
async fn refresh_makes_three_calls_for_a_hundred_destinations() {
    // One flow carries at most 50 outputs (a hard MediaConnect limit the simulator models), so
    // a hundred destinations can't all have live chains; their records still drive every query.
    for n in [1usize, 10, 100] {
        let rig = Rig::new();
        let store = rig.sim.cloud().store;
        for i in 0..n {
            let mut record = onair::domain::Destination::new(
                format!("D{i}"),
                onair::domain::Platform::Youtube,
                "rtmp://a.rtmp.youtube.com/live2".into(),
                onair::domain::StreamKey::new(KEYS[0]),
                "1080p30".into(),
                rig.sim.now(),
            );
            // Running, so a channel that doesn't exist is an incident to record (an idle one
            // would be parked instead, which is not what this test counts).
            record.status = Status::Running;
            record.desired = Desired::Running;
            record.running_since = Some(rig.sim.now());
            record.media_live_channel_id = Some(format!("{}", 1_000_000 + i));
            store.put_if_absent(&record).await.unwrap();
        }
        rig.sim.reset_call_counts();
        let seen = rig.engine.refresh().await;
        let counts = rig.sim.call_counts();
        let media_calls: u64 = ["ListChannels", "DescribeFlow", "GetMetricData"]
            .iter()
            .map(|c| counts.get(*c).copied().unwrap_or(0))
            .sum();
        assert_eq!(media_calls, 3, "n={n}: {counts:?}");
        assert_eq!(counts.get("Scan"), Some(&1));
        // The channels these records name don't exist, so reconciliation marks each record
        // drifted, once: writes to the table, no extra AWS media calls.
        assert_eq!(counts.get("UpdateItem").copied().unwrap_or(0), n as u64);
        assert_eq!(
            counts.values().sum::<u64>(),
            4 + n as u64,
            "n={n}: {counts:?}"
        );
        assert_eq!(seen.metrics.destinations.len(), n);
        assert!(seen.error.is_none(), "{:?}", seen.error);
    }
}

#[tokio::test(start_paused = true)]
async fn a_channel_the_platform_refuses_shows_its_medialive_alert() {
    let rig = Rig::new();
    let id = rig.add("Refused").await;
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    let channel = rig
        .engine
        .record(id)
        .unwrap()
        .media_live_channel_id
        .unwrap();
    rig.sim.silence_channel(&channel).unwrap();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let seen = rig.engine.refresh().await;
    let alerts = &seen.alerts[&id];
    assert!(alerts[0].contains("RTMP"), "{alerts:?}");
    rig.sim.unsilence(&channel).unwrap();
    tokio::time::sleep(Duration::from_secs(61)).await;
    let seen = rig.engine.refresh().await;
    assert!(
        !seen.alerts.contains_key(&id),
        "cleared once the channel sends again"
    );
}
