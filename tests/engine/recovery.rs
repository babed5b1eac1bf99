//! Convergence after a crash, drift, parking, orphans, several operators and read-only mode,
//! on the simulator with realistic delays on tokio's paused clock.

use crate::common::rig::{KEYS, Rig, draft};
use onair::clock::Clock;
use onair::cloud::{ChannelState, CreateInputRequest, InputSource, InputState};
use onair::domain::naming::{resource_name, tags};
use onair::domain::{Catalog, Desired, Destination, Platform, Status, StreamKey};
use onair::engine::{Engine, EngineConfig, EngineEvent, OpKind, Refusal};
use onair::sim::{SimConfig, Simulator};
use std::sync::Arc;
use std::time::Duration;

/// A second engine (another process, or the same one after a restart) on the same account.
fn second_engine(
    rig: &Rig,
    tune: impl FnOnce(&mut EngineConfig),
) -> (Engine, tokio::sync::mpsc::UnboundedReceiver<EngineEvent>) {
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    tune(&mut config);
    Engine::new(
        rig.sim.cloud(),
        Arc::new(Catalog::builtin()),
        config,
        Clock::starting_at(rig.sim.now()),
    )
}

fn record(name: &str, now: time::OffsetDateTime) -> Destination {
    let mut r = Destination::new(
        name.into(),
        Platform::Youtube,
        "rtmp://a.rtmp.youtube.com/live2".into(),
        StreamKey::new(KEYS[0]),
        "1080p30".into(),
        now,
    );
    r.input_request_id = Some(uuid::Uuid::new_v4().to_string());
    r.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
    r
}

#[tokio::test(start_paused = true)]
async fn an_add_killed_after_create_input_is_finished_without_a_duplicate_input() {
    let rig = Rig::new();
    // The killed process wrote the record and called CreateInput, but died before writing the
    // input's id down.
    let r = record("Killed", rig.sim.now());
    rig.sim.cloud().store.put_if_absent(&r).await.unwrap();
    let cloud = rig.sim.cloud();
    cloud
        .medialive
        .create_input(CreateInputRequest {
            name: resource_name(&r.name, &r.destination_id),
            request_id: r.input_request_id.clone().unwrap(),
            source: InputSource::MediaConnect {
                flow_arn: Simulator::FLOW_ARN.into(),
            },
            role_arn: Some(Simulator::ROLE_ARN.into()),
            tags: tags(Simulator::TABLE, &r.destination_id)
                .into_iter()
                .collect(),
        })
        .await
        .unwrap();

    let (engine, _events) = second_engine(&rig, |_| {});
    let report = engine.reconcile(true).await.unwrap();
    assert_eq!(report.resumed, vec![(r.destination_id, OpKind::Add)]);
    engine.settle().await;
    let after = engine.record(r.destination_id).unwrap();
    assert_eq!(after.status, Status::Idle, "{:?}", after.last_error);
    let snap = rig.sim.snapshot();
    assert_eq!(
        snap.inputs.len(),
        1,
        "the persisted RequestId prevented a second input"
    );
    assert_eq!(snap.channels.len(), 1);
    assert_eq!(after.media_live_input_id.as_ref(), Some(&snap.inputs[0].id));
}

#[tokio::test(start_paused = true)]
async fn start_up_reads_the_table_and_the_channels_once_and_still_resumes_a_killed_add() {
    let rig = Rig::new();
    rig.add("Standing").await;
    let r = record("Killed", rig.sim.now());
    rig.sim.cloud().store.put_if_absent(&r).await.unwrap();
    rig.sim.reset_call_counts();

    // What the TUI does at start: the refresh loop, whose first pass reconciles at once.
    let (engine, _events) = second_engine(&rig, |_| {});
    let refresh_loop = engine.spawn_refresh_loop();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let counts = rig.sim.call_counts();
    assert_eq!(counts.get("Scan"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("ListChannels"), Some(&1), "{counts:?}");
    engine.settle().await;
    refresh_loop.abort();
    let after = engine.record(r.destination_id).unwrap();
    assert_eq!(after.status, Status::Idle, "{:?}", after.last_error);
    assert_eq!(rig.sim.snapshot().channels.len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_delete_killed_between_delete_channel_and_delete_input_is_finished() {
    let rig = Rig::new();
    let id = rig.add("Doomed").await;
    let r = rig.engine.record(id).unwrap();
    let ml = rig.sim.cloud().medialive;
    // The killed process had marked the record and deleted the channel.
    let mut marked = r.clone();
    marked.status = Status::Deleting;
    marked.desired = Desired::Absent;
    marked.version += 1;
    rig.sim
        .cloud()
        .store
        .update_if_version(&marked, r.version)
        .await
        .unwrap();
    ml.delete_channel(r.media_live_channel_id.as_deref().unwrap())
        .await
        .unwrap();

    let (engine, _events) = second_engine(&rig, |_| {});
    engine.reconcile(true).await.unwrap();
    engine.settle().await;
    assert!(engine.record(id).is_none());
    let snap = rig.sim.snapshot();
    assert!(
        snap.channels.is_empty() && snap.inputs.is_empty() && snap.records.is_empty(),
        "{snap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_periodic_pass_leaves_a_fresh_transitional_record_to_whoever_is_running_it() {
    let rig = Rig::new();
    let r = record("Elsewhere", rig.sim.now());
    rig.sim.cloud().store.put_if_absent(&r).await.unwrap();
    let (engine, _events) = second_engine(&rig, |_| {});
    engine.refresh().await;
    assert_eq!(engine.in_flight(r.destination_id), None);
    assert!(rig.sim.snapshot().inputs.is_empty());
    // Long after any add could still be running, the same pass finishes it.
    tokio::time::sleep(Duration::from_secs(600)).await;
    engine.refresh().await;
    engine.settle().await;
    assert_eq!(
        engine.record(r.destination_id).unwrap().status,
        Status::Idle
    );
}

#[tokio::test(start_paused = true)]
async fn a_channel_stopped_or_deleted_outside_onair_is_followed() {
    let rig = Rig::new();
    let a = rig.add("A").await;
    let b = rig.add("B").await;
    rig.engine.start(a).unwrap();
    rig.engine.settle().await;
    let ml = rig.sim.cloud().medialive;
    ml.stop_channel(
        rig.engine
            .record(a)
            .unwrap()
            .media_live_channel_id
            .as_deref()
            .unwrap(),
    )
    .await
    .unwrap();
    ml.delete_channel(
        rig.engine
            .record(b)
            .unwrap()
            .media_live_channel_id
            .as_deref()
            .unwrap(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    rig.engine.refresh().await;
    let a = rig.engine.record(a).unwrap();
    assert_eq!(a.status, Status::Idle);
    assert!(a.running_since.is_none() && a.run_seconds > 0);
    // An idle destination whose channel vanished can't start as it is: what is left of its
    // chain is parked (a start re-creates it), and the log says why.
    rig.engine.settle().await;
    let b_record = rig.engine.record(b).unwrap();
    assert_eq!(b_record.status, Status::Parked);
    assert!(b_record.media_live_channel_id.is_none() && b_record.media_live_input_id.is_none());
    let a_input = a.media_live_input_id.clone();
    let inputs: Vec<Option<String>> = rig
        .sim
        .snapshot()
        .inputs
        .iter()
        .filter(|i| i.state != InputState::Deleted)
        .map(|i| Some(i.id.clone()))
        .collect();
    assert_eq!(inputs, vec![a_input], "B's input went with the park");
}

#[tokio::test(start_paused = true)]
async fn an_idle_destination_is_parked_after_park_after_and_start_recreates_its_chain() {
    let rig = Rig::new();
    let id = rig.add("Later").await;
    let old_channel = rig.engine.record(id).unwrap().media_live_channel_id;
    tokio::time::sleep(Duration::from_secs(29 * 60)).await;
    rig.engine.refresh().await;
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Idle), "not yet");
    tokio::time::sleep(Duration::from_secs(2 * 60)).await;
    rig.engine.refresh().await;
    rig.engine.settle().await;
    let parked = rig.engine.record(id).unwrap();
    assert_eq!(parked.status, Status::Parked);
    assert!(parked.media_live_channel_id.is_none() && parked.media_live_input_id.is_none());
    let snap = rig.sim.snapshot();
    assert!(
        snap.channels.is_empty() && snap.inputs.is_empty(),
        "nothing billed while parked"
    );
    assert_eq!(snap.records.len(), 1, "the record stays");

    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    let running = rig.engine.record(id).unwrap();
    assert_eq!(running.status, Status::Running, "{:?}", running.last_error);
    assert_ne!(running.media_live_channel_id, old_channel, "a new channel");
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn park_after_never_keeps_the_chain() {
    let rig = Rig::with(SimConfig::unlimited(), |c| c.park_after = None);
    let id = rig.add("Kept").await;
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    rig.engine.refresh().await;
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Idle));
    assert_eq!(rig.sim.snapshot().channels.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn orphans_are_found_and_removed_in_order_and_records_are_untouched() {
    let rig = Rig::new();
    let kept = rig.add("Kept").await;
    // A crashed add left a tagged input and a running channel that no record owns.
    let stray = rig.add("Stray").await;
    let stray_record = rig.engine.record(stray).unwrap();
    rig.engine.start(stray).unwrap();
    rig.engine.settle().await;
    let store = rig.sim.cloud().store;
    let current = store.get(stray).await.unwrap().unwrap();
    store
        .delete_if_version(stray, current.version)
        .await
        .unwrap();
    rig.engine.load().await.unwrap();

    let orphans = rig.engine.find_orphans().await.unwrap();
    assert_eq!(orphans.channels.len(), 1);
    assert_eq!(
        Some(&orphans.channels[0].id),
        stray_record.media_live_channel_id.as_ref()
    );
    assert_eq!(orphans.inputs.len(), 1);
    assert!(orphans.drifted.is_empty());
    let removed = rig.engine.delete_orphans(&orphans).await.unwrap();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(rig.engine.find_orphans().await.unwrap().is_empty());
    assert_eq!(rig.status(kept), Some(Status::Idle));
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn a_record_whose_resources_vanished_is_listed_as_drifted() {
    let rig = Rig::with(SimConfig::unlimited(), |c| c.park_after = None);
    let id = rig.add("Gone").await;
    let r = rig.engine.record(id).unwrap();
    let ml = rig.sim.cloud().medialive;
    ml.delete_channel(r.media_live_channel_id.as_deref().unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let orphans = rig.engine.find_orphans().await.unwrap();
    assert_eq!(orphans.drifted.len(), 1);
    assert!(
        orphans.drifted[0].1.contains("channel"),
        "{:?}",
        orphans.drifted
    );
}

#[tokio::test(start_paused = true)]
async fn a_second_operator_who_wrote_first_wins_and_the_loser_is_told_what_changed() {
    let mut rig = Rig::new();
    let id = rig.add("Shared").await;
    let (other, _events) = second_engine(&rig, |_| {});
    other.load().await.unwrap();
    // The first control box starts it; the second still shows it idle and presses start too.
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    rig.drain();
    other.start(id).unwrap();
    other.settle().await;
    assert_eq!(rig.sim.call_counts().get("StartChannel"), Some(&1));
    let seen = other.record(id).unwrap();
    assert_eq!(
        seen.status,
        Status::Running,
        "the loser now shows the winner's record"
    );
    assert!(
        seen.last_error.is_none(),
        "a lost race is not an error on the record"
    );
    rig.engine.load().await.unwrap();
    assert_eq!(rig.status(id), Some(Status::Running));
}

#[tokio::test(start_paused = true)]
async fn the_lost_race_message_says_what_the_other_operator_changed() {
    let rig = Rig::new();
    let id = rig.add("Shared").await;
    let (other, mut events) = second_engine(&rig, |_| {});
    other.load().await.unwrap();
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    other.start(id).unwrap();
    other.settle().await;
    let mut message = None;
    while let Ok(e) = events.try_recv() {
        if let EngineEvent::Finished { result: Err(m), .. } = e {
            message = Some(m.message);
        }
    }
    let message = message.expect("the second start failed");
    assert!(message.contains("another operator"), "{message}");
    assert!(message.contains("status idle → running"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn read_only_mode_refuses_every_change_and_reconciles_nothing() {
    let rig = Rig::new();
    let id = rig.add("Main").await;
    let (ro, _events) = second_engine(&rig, |c| c.readonly = true);
    ro.load().await.unwrap();
    rig.sim.reset_call_counts();
    assert_eq!(
        ro.add(draft("New", "twitch", 1)),
        Err(Refusal::ReadOnly("add"))
    );
    assert_eq!(ro.start(id), Err(Refusal::ReadOnly("start")));
    assert_eq!(ro.stop(id), Err(Refusal::ReadOnly("stop")));
    assert_eq!(ro.delete(id), Err(Refusal::ReadOnly("delete")));
    assert_eq!(
        ro.edit(id, draft("X", "youtube", 0), true),
        Err(Refusal::ReadOnly("edit"))
    );
    assert!(ro.start_many(&[id]).iter().all(|(_, r)| r.is_err()));
    tokio::time::sleep(Duration::from_secs(3600)).await;
    ro.refresh().await;
    ro.settle().await;
    let writes: u64 = [
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "CreateInput",
        "CreateChannel",
        "DeleteChannel",
        "DeleteInput",
        "StartChannel",
        "StopChannel",
    ]
    .iter()
    .map(|c| rig.sim.call_counts().get(*c).copied().unwrap_or(0))
    .sum();
    assert_eq!(writes, 0, "{:?}", rig.sim.call_counts());
    assert_eq!(
        ro.record(id).unwrap().status,
        Status::Idle,
        "not parked in read-only mode"
    );
    let _ = ChannelState::Idle;
}

#[tokio::test(start_paused = true)]
async fn a_panic_in_an_operation_is_an_error_on_its_row_and_the_engine_goes_on() {
    let rig = Rig::new();
    let tap = crate::common::tap::Tap::new(Arc::clone(&rig.sim));
    let (engine, mut events) = Engine::new(
        tap.cloud(),
        Arc::new(Catalog::builtin()),
        EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN),
        Clock::starting_at(rig.sim.now()),
    );
    let a = engine.add(draft("A", "twitch", 0)).unwrap();
    let b = engine.add(draft("B", "youtube", 1)).unwrap();
    engine.settle().await;
    tap.arm("StartChannel", 1, crate::common::tap::Action::Panic);
    engine.start(a).unwrap();
    engine.settle().await;
    let failed = engine.record(a).unwrap();
    assert_eq!(failed.status, Status::Error);
    let error = failed.last_error.unwrap_or_default();
    assert!(
        error.contains("internal error") && error.contains("StartChannel"),
        "{error}"
    );
    let mut finished = None;
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::Finished { id, result, .. } = event
            && id == a
        {
            finished = Some(result);
        }
    }
    assert!(matches!(finished, Some(Err(_))), "{finished:?}");
    // The destination is free again and the engine still works.
    assert_eq!(engine.in_flight(a), None);
    engine.start(b).unwrap();
    engine.settle().await;
    assert_eq!(engine.record(b).unwrap().status, Status::Running);
}

#[tokio::test(start_paused = true)]
async fn a_name_that_is_another_destinations_id_prefix_is_refused_as_ambiguous() {
    let rig = Rig::new();
    let a = rig.add("A").await;
    let prefix = a.to_string()[..8].to_string();
    let b = rig.add(&prefix).await;
    assert_ne!(a, b);
    assert!(matches!(
        rig.engine.resolve(&prefix),
        Err(Refusal::Ambiguous(_))
    ));
    // The whole id still names each one, and a name nobody's id starts with still works.
    assert_eq!(rig.engine.resolve(&a.to_string()).ok(), Some(a));
    assert_eq!(rig.engine.resolve(&b.to_string()).ok(), Some(b));
    assert_eq!(rig.engine.resolve("A").ok(), Some(a));
}

#[tokio::test(start_paused = true)]
async fn a_record_whose_preset_this_catalog_lacks_is_refused_before_any_call() {
    let rig = Rig::new();
    let mut parked = record("Church", rig.sim.now());
    parked.preset = "4k-church".into();
    parked.status = Status::Parked;
    rig.sim.cloud().store.put_if_absent(&parked).await.unwrap();
    rig.engine.load().await.unwrap();
    rig.sim.reset_call_counts();
    let refused = rig.engine.start(parked.id()).unwrap_err().to_string();
    assert!(
        refused.contains("4k-church") && refused.contains("preset"),
        "{refused}"
    );
    rig.engine.settle().await;
    let counts = rig.sim.call_counts();
    assert_eq!(counts.get("CreateInput"), None, "{counts:?}");
    assert_eq!(rig.status(parked.id()), Some(Status::Parked));
    // Deleting it needs no preset and still works.
    rig.engine.delete(parked.id()).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.engine.record(parked.id()), None);
}

#[tokio::test(start_paused = true)]
async fn a_start_after_a_look_at_the_channels_re_creates_one_that_vanished() {
    let rig = Rig::new();
    let a = rig.add("A").await;
    let old = rig.engine.record(a).unwrap().media_live_channel_id.unwrap();
    rig.sim
        .cloud()
        .medialive
        .delete_channel(&old)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    // What `onair start` does: read the table, list the channels once, then plan.
    rig.engine.load().await.unwrap();
    rig.engine.look_at_channels().await.unwrap();
    rig.engine.start(a).unwrap();
    rig.engine.settle().await;
    let r = rig.engine.record(a).unwrap();
    assert_eq!(r.status, Status::Running, "{:?}", r.last_error);
    assert_ne!(r.media_live_channel_id.as_deref(), Some(old.as_str()));
}

#[tokio::test(start_paused = true)]
async fn a_chain_built_again_after_its_input_went_records_the_new_inputs_flow_output() {
    // Found by the property test: a delete that cancelled an add and then failed at DeleteInput
    // left an error row; the start that rebuilt its input kept the old input's output ARN.
    let rig = Rig::new();
    let a = rig.add("A").await;
    let old = rig.engine.record(a).unwrap();
    let ml = rig.sim.cloud().medialive;
    let channel = old.media_live_channel_id.clone().unwrap();
    ml.delete_channel(&channel).await.unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    ml.delete_input(old.media_live_input_id.as_deref().unwrap())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    rig.engine.load().await.unwrap();
    rig.engine.look_at_channels().await.unwrap();
    rig.engine.start(a).unwrap();
    rig.engine.settle().await;
    let r = rig.engine.record(a).unwrap();
    assert_eq!(r.status, Status::Running, "{:?}", r.last_error);
    assert_ne!(r.media_live_input_id, old.media_live_input_id);
    assert_ne!(r.media_connect_output_arn, old.media_connect_output_arn);
    rig.assert_consistent();
}
