//! Ownership is proven, not guessed (issue 10): two onairs with different tables in one account
//! never take each other's resources, untagged onair-looking resources are never deleted, and
//! this table's resources whose destination id names no item are the orphans `gc` removes.

use crate::common::rig::{draft, start};
use onair::clock::Clock;
use onair::cloud::{
    Channel, ChannelConfig, ChannelEncoding, ChannelState, CreateChannelRequest,
    CreateInputRequest, InputSource, RtmpDestination, Tags,
};
use onair::domain::naming::{TAG_DESTINATION_ID, TAG_MANAGED, TAG_TABLE, resource_name, tags};
use onair::domain::{Catalog, DestinationId, Status, StreamKey, Wiring};
use onair::engine::{Engine, EngineConfig, EngineEvent, Orphans, ResourceKind};
use onair::sim::{SimConfig, Simulator};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

const A: &str = "shows-a";
const B: &str = "shows-b";

/// One simulated account and a clock both engines share.
fn account() -> (Arc<Simulator>, Clock) {
    let clock = Clock::starting_at(start());
    let sim = Simulator::new(SimConfig::unlimited(), clock.clone());
    (sim, clock)
}

/// An onair with its own table on the shared account.
fn onair(
    sim: &Arc<Simulator>,
    clock: &Clock,
    table: &str,
    wiring: Wiring,
) -> (Engine, UnboundedReceiver<EngineEvent>) {
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    config.table = table.to_string();
    config.wiring = wiring;
    config.park_after = None;
    Engine::new(
        sim.cloud_with_table(table),
        Arc::new(Catalog::builtin()),
        config,
        clock.clone(),
    )
}

async fn add(engine: &Engine, name: &str) -> DestinationId {
    let id = engine.add(draft(name, "youtube", 0)).expect("add accepted");
    engine.settle().await;
    let r = engine.record(id).expect("record");
    assert_eq!(r.status, Status::Idle, "{:?}", r.last_error);
    id
}

/// Ids of the channels and inputs the simulator holds whose tags name `table`.
fn tagged_with(sim: &Simulator, table: &str) -> BTreeSet<String> {
    let snap = sim.snapshot();
    let of_table = |t: &Tags| t.get(TAG_TABLE).map(String::as_str) == Some(table);
    snap.channels
        .iter()
        .filter(|c| of_table(&c.tags))
        .map(|c| format!("channel {}", c.id))
        .chain(
            snap.inputs
                .iter()
                .filter(|i| of_table(&i.tags))
                .map(|i| format!("input {}", i.id)),
        )
        .collect()
}

/// What `engine`'s chain for `id` is, as `kind id` lines.
fn chain_of(engine: &Engine, id: DestinationId) -> BTreeSet<String> {
    let r = engine.record(id).expect("record");
    [
        r.media_live_channel_id.map(|c| format!("channel {c}")),
        r.media_live_input_id.map(|i| format!("input {i}")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

fn not_ours(found: &Orphans) -> BTreeSet<(ResourceKind, String, String)> {
    found
        .not_ours
        .iter()
        .map(|n| (n.kind, n.id.clone(), n.reason.clone()))
        .collect()
}

/// Removes the record from the table behind the engine's back (a crashed add's, or an `rm`
/// of the record only): its chain is left without an owner.
async fn forget(sim: &Arc<Simulator>, table: &str, engine: &Engine, id: DestinationId) {
    let store = sim.cloud_with_table(table).store;
    let current = store.get(id).await.unwrap().expect("stored");
    store.delete_if_version(id, current.version).await.unwrap();
    engine.load().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn every_resource_carries_its_table_and_destination() {
    let (sim, clock) = account();
    let (a, _ea) = onair(&sim, &clock, A, Wiring::RtpPush);
    let id = add(&a, "Tagged").await;
    let snap = sim.snapshot();
    let expected: Tags = tags(A, &id).into_iter().collect();
    assert_eq!(snap.channels[0].tags, expected);
    assert_eq!(snap.inputs[0].tags, expected);
    assert_eq!(snap.security_groups[0].tags, expected);
    let push = snap
        .flow_outputs
        .iter()
        .find(|o| o.medialive_input_arn.is_none())
        .expect("the push output");
    let description = push.description.as_deref().unwrap_or_default();
    assert!(
        description.contains(&format!("onair:table={A}"))
            && description.contains(&format!("onair:destination-id={id}")),
        "{description:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn each_tables_gc_lists_the_others_resources_as_not_ours_and_no_orphans() {
    let (sim, clock) = account();
    let (a, _ea) = onair(&sim, &clock, A, Wiring::Mediaconnect);
    let (b, _eb) = onair(&sim, &clock, B, Wiring::Mediaconnect);
    let in_a = add(&a, "Main").await;
    let in_b = add(&b, "Backup").await;

    let seen_by_a = a.find_orphans().await.unwrap();
    assert_eq!(seen_by_a.resources(), 0, "{seen_by_a:?}");
    assert!(seen_by_a.is_empty(), "{seen_by_a:?}");
    let rb = b.record(in_b).unwrap();
    let expected: BTreeSet<(ResourceKind, String, String)> = [
        (
            ResourceKind::Channel,
            rb.media_live_channel_id.clone().unwrap(),
            format!("table {B}"),
        ),
        (
            ResourceKind::Input,
            rb.media_live_input_id.clone().unwrap(),
            format!("table {B}"),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(not_ours(&seen_by_a), expected);

    let seen_by_b = b.find_orphans().await.unwrap();
    assert!(seen_by_b.is_empty(), "{seen_by_b:?}");
    let ra = a.record(in_a).unwrap();
    assert!(
        seen_by_b
            .not_ours
            .iter()
            .any(|n| Some(&n.id) == ra.media_live_channel_id.as_ref()
                && n.reason == format!("table {A}")),
        "{seen_by_b:?}"
    );
    // Nothing happened to anyone.
    assert_eq!(tagged_with(&sim, A), chain_of(&a, in_a));
    assert_eq!(tagged_with(&sim, B), chain_of(&b, in_b));
}

#[tokio::test(start_paused = true)]
async fn gc_of_one_table_leaves_the_others_chain_whole_and_its_start_works() {
    let (sim, clock) = account();
    let (a, _ea) = onair(&sim, &clock, A, Wiring::Mediaconnect);
    let (b, _eb) = onair(&sim, &clock, B, Wiring::Mediaconnect);
    let kept = add(&a, "Kept").await;
    let stray = add(&a, "Stray").await;
    let stray_chain = chain_of(&a, stray);
    forget(&sim, A, &a, stray).await;
    let theirs = add(&b, "Theirs").await;
    let their_chain = chain_of(&b, theirs);

    let found = a.find_orphans().await.unwrap();
    let listed: BTreeSet<String> = found
        .channels
        .iter()
        .map(|c| format!("channel {}", c.id))
        .chain(found.inputs.iter().map(|i| format!("input {}", i.id)))
        .collect();
    assert_eq!(listed, stray_chain, "only this table's stray chain");
    let removed = a.delete_orphans(&found).await.unwrap();
    assert_eq!(removed.len(), 2, "{removed:?}");
    tokio::time::sleep(Duration::from_secs(30)).await;

    assert_eq!(
        tagged_with(&sim, B),
        their_chain,
        "table b's chain is whole"
    );
    assert_eq!(tagged_with(&sim, A), chain_of(&a, kept));
    b.start(theirs).unwrap();
    b.settle().await;
    let r = b.record(theirs).unwrap();
    assert_eq!(r.status, Status::Running, "{:?}", r.last_error);
}

#[tokio::test(start_paused = true)]
async fn a_list_naming_another_tables_resources_still_deletes_none_of_them() {
    let (sim, clock) = account();
    let (a, _ea) = onair(&sim, &clock, A, Wiring::Mediaconnect);
    let (b, _eb) = onair(&sim, &clock, B, Wiring::Mediaconnect);
    let theirs = add(&b, "Theirs").await;
    let their_chain = chain_of(&b, theirs);
    // A list made by hand (or by an older onair) that names table b's resources as orphans.
    let listed = sim.cloud().medialive;
    let forged = Orphans {
        channels: listed.list_channels().await.unwrap(),
        inputs: listed.list_inputs().await.unwrap(),
        ..Orphans::default()
    };
    assert_eq!(forged.resources(), 2);
    let removed = a.delete_orphans(&forged).await.unwrap();
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(tagged_with(&sim, B), their_chain);
}

/// A channel and an input named and tagged the way an older onair (or the seed's system) made
/// them: `onair:managed` and a destination id, no `onair:table`.
async fn legacy_chain(sim: &Arc<Simulator>) -> (String, String) {
    let id = DestinationId::new();
    let legacy_tags: Tags = [
        (TAG_MANAGED.to_string(), "true".to_string()),
        (TAG_DESTINATION_ID.to_string(), id.to_string()),
    ]
    .into_iter()
    .collect();
    chain_tagged(sim, &resource_name("Legacy", &id), legacy_tags).await
}

/// A channel and its input made straight in the account with these tags.
async fn chain_tagged(sim: &Arc<Simulator>, name: &str, legacy_tags: Tags) -> (String, String) {
    let ml = sim.cloud().medialive;
    let name = name.to_string();
    let input = ml
        .create_input(CreateInputRequest {
            name: name.clone(),
            request_id: uuid::Uuid::new_v4().to_string(),
            source: InputSource::MediaConnect {
                flow_arn: Simulator::FLOW_ARN.into(),
            },
            role_arn: Some(Simulator::ROLE_ARN.into()),
            tags: legacy_tags.clone(),
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let catalog = Catalog::builtin();
    let channel: Channel = ml
        .create_channel(CreateChannelRequest {
            config: ChannelConfig {
                name: name.clone(),
                role_arn: Simulator::ROLE_ARN.into(),
                input_id: input.id.clone(),
                input_attachment_name: name,
                destination: RtmpDestination {
                    url: "rtmp://a.rtmp.youtube.com/live2".into(),
                    stream_name: StreamKey::new("live-KEY-aaaa-1111"),
                },
                encoding: ChannelEncoding::from(catalog.get("1080p30").unwrap()),
                reconnect: onair::cloud::RtmpReconnect::default(),
            },
            request_id: uuid::Uuid::new_v4().to_string(),
            tags: legacy_tags,
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(30)).await;
    (channel.id, input.id)
}

#[tokio::test(start_paused = true)]
async fn a_managed_resource_without_a_table_tag_is_listed_and_never_deleted() {
    let (sim, clock) = account();
    let (a, _ea) = onair(&sim, &clock, A, Wiring::Mediaconnect);
    let (channel, input) = legacy_chain(&sim).await;

    let found = a.find_orphans().await.unwrap();
    assert_eq!(found.resources(), 0, "{found:?}");
    let expected: BTreeSet<(ResourceKind, String, String)> = [
        (
            ResourceKind::Channel,
            channel.clone(),
            "no onair:table tag".to_string(),
        ),
        (
            ResourceKind::Input,
            input.clone(),
            "no onair:table tag".to_string(),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(not_ours(&found), expected);
    // Nor when a list names them.
    let ml = sim.cloud().medialive;
    let forged = Orphans {
        channels: ml.list_channels().await.unwrap(),
        inputs: ml.list_inputs().await.unwrap(),
        ..Orphans::default()
    };
    assert!(a.delete_orphans(&forged).await.unwrap().is_empty());
    let snap = sim.snapshot();
    assert_eq!(snap.channels.len(), 1);
    assert_eq!(snap.channels[0].id, channel);
    assert_eq!(snap.inputs.len(), 1);

    // Adopted (the operator guide's `aws medialive create-tags`; the simulator has no tagging
    // call, so the listing is given the tag), it is this table's: its destination id names no
    // item, so gc removes it.
    let adopted = |mut tags: Tags| {
        tags.insert(TAG_TABLE.to_string(), A.to_string());
        tags
    };
    let forged_adopted = Orphans {
        channels: ml
            .list_channels()
            .await
            .unwrap()
            .into_iter()
            .map(|mut c| {
                c.tags = adopted(c.tags);
                c
            })
            .collect(),
        ..Orphans::default()
    };
    assert_eq!(forged_adopted.channels.len(), 1);
    let removed = a.delete_orphans(&forged_adopted).await.unwrap();
    assert_eq!(
        removed,
        [format!(
            "channel {channel} ({})",
            forged_adopted.channels[0].name
        )]
    );
}

#[tokio::test(start_paused = true)]
async fn this_tables_resource_whose_destination_names_no_item_is_an_orphan_and_removed() {
    let (sim, clock) = account();
    let (a, _ea) = onair(&sim, &clock, A, Wiring::Mediaconnect);
    let kept = add(&a, "Kept").await;
    let stray = add(&a, "Stray").await;
    a.start(stray).unwrap();
    a.settle().await;
    let stray_chain = chain_of(&a, stray);
    forget(&sim, A, &a, stray).await;

    let found = a.find_orphans().await.unwrap();
    assert!(found.not_ours.is_empty(), "{found:?}");
    assert_eq!(found.channels.len(), 1, "{found:?}");
    assert_eq!(found.inputs.len(), 1, "{found:?}");
    let removed = a.delete_orphans(&found).await.unwrap();
    assert_eq!(removed.len(), 2, "{removed:?}");
    tokio::time::sleep(Duration::from_secs(30)).await;
    let left = tagged_with(&sim, A);
    assert!(left.is_disjoint(&stray_chain), "{left:?}");
    assert_eq!(left, chain_of(&a, kept));
    assert!(a.find_orphans().await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn with_the_seeds_wiring_the_other_tables_group_and_push_output_are_left_alone() {
    let (sim, clock) = account();
    let (a, _ea) = onair(&sim, &clock, A, Wiring::RtpPush);
    let (b, _eb) = onair(&sim, &clock, B, Wiring::RtpPush);
    let stray = add(&a, "Stray").await;
    forget(&sim, A, &a, stray).await;
    let theirs = add(&b, "Theirs").await;
    let rb = b.record(theirs).unwrap();

    let found = a.find_orphans().await.unwrap();
    let kinds: Vec<ResourceKind> = found.not_ours.iter().map(|n| n.kind).collect();
    for kind in [
        ResourceKind::Channel,
        ResourceKind::Input,
        ResourceKind::FlowOutput,
        ResourceKind::SecurityGroup,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} of table b: {found:?}");
    }
    assert!(
        found
            .not_ours
            .iter()
            .all(|n| n.reason == format!("table {B}")),
        "{found:?}"
    );
    assert_eq!(
        (
            found.channels.len(),
            found.inputs.len(),
            found.flow_outputs.len(),
            found.security_groups.len()
        ),
        (1, 1, 0, 0),
        "table a's stray chain (its output and group still serve its input): {found:?}"
    );
    a.delete_orphans(&found).await.unwrap();
    tokio::time::sleep(Duration::from_secs(30)).await;
    // Once the input is gone, its output and group are orphans of their own; b's still aren't.
    let found = a.find_orphans().await.unwrap();
    assert_eq!(
        (
            found.channels.len(),
            found.inputs.len(),
            found.flow_outputs.len(),
            found.security_groups.len()
        ),
        (0, 0, 1, 1),
        "{found:?}"
    );
    assert_eq!(found.not_ours.len(), 4, "{found:?}");
    a.delete_orphans(&found).await.unwrap();

    let snap = sim.snapshot();
    assert_eq!(tagged_with(&sim, B), chain_of(&b, theirs));
    assert_eq!(tagged_with(&sim, A), BTreeSet::new());
    assert_eq!(
        snap.security_groups
            .iter()
            .map(|g| g.id.clone())
            .collect::<Vec<_>>(),
        [rb.input_security_group_id.clone().unwrap()]
    );
    assert!(
        snap.flow_outputs
            .iter()
            .any(|o| Some(&o.arn) == rb.media_connect_output_arn.as_ref()),
        "b's push output is still there"
    );
    b.start(theirs).unwrap();
    b.settle().await;
    let r = b.record(theirs).unwrap();
    assert_eq!(r.status, Status::Running, "{:?}", r.last_error);
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_its_settled_record_doesnt_name_is_an_orphan_but_one_a_failed_add_may_adopt_is_not()
 {
    let (sim, clock) = account();
    let (a, _ea) = onair(&sim, &clock, A, Wiring::Mediaconnect);
    // A lost answer without idempotency: the record (idle, readable) took another chain, and
    // this one, tagged for it, is proven not its own.
    let settled = add(&a, "Settled").await;
    let name = resource_name("Settled", &settled);
    let (dup_channel, dup_input) =
        chain_tagged(&sim, &name, tags(A, &settled).into_iter().collect()).await;
    // A failed add whose CreateChannel answer was lost: the record names no channel yet, and a
    // start or reconcile adopts the tagged one, so it is not gc's to take.
    let mut failed = onair::domain::Destination::new(
        "Failed".into(),
        onair::domain::Platform::Youtube,
        "rtmp://a.rtmp.youtube.com/live2".into(),
        StreamKey::new("live-KEY-aaaa-1111"),
        "1080p30".into(),
        sim.now(),
    );
    failed.status = Status::Error;
    sim.cloud_with_table(A)
        .store
        .put_if_absent(&failed)
        .await
        .unwrap();
    let failed_id = failed.id();
    let (kept_channel, kept_input) = chain_tagged(
        &sim,
        &resource_name("Failed", &failed_id),
        tags(A, &failed_id).into_iter().collect(),
    )
    .await;

    let found = a.find_orphans().await.unwrap();
    let channels: Vec<&str> = found.channels.iter().map(|c| c.id.as_str()).collect();
    let inputs: Vec<&str> = found.inputs.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(channels, [dup_channel.as_str()], "{found:?}");
    assert_eq!(inputs, [dup_input.as_str()], "{found:?}");
    a.delete_orphans(&found).await.unwrap();
    tokio::time::sleep(Duration::from_secs(30)).await;
    let left = tagged_with(&sim, A);
    let mut expected = chain_of(&a, settled);
    expected.insert(format!("channel {kept_channel}"));
    expected.insert(format!("input {kept_input}"));
    assert_eq!(left, expected);
}

#[tokio::test(start_paused = true)]
async fn a_watched_channel_is_shown_read_only_and_never_touched() {
    // The seed's always-running primary channel: not onair's, watched (config watch_channels).
    let sim = Simulator::new(SimConfig::unlimited(), Clock::starting_at(start()));
    let (channel, _input) = chain_tagged(&sim, "seed-primary-hls", Tags::default()).await;
    let ml = sim.cloud().medialive;
    ml.start_channel(&channel).await.unwrap();
    tokio::time::sleep(Duration::from_secs(120)).await;
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    config.watch_channels = vec![channel.clone(), "9999999".into()];
    let (engine, mut events) = Engine::new(
        sim.cloud(),
        Arc::new(Catalog::builtin()),
        config,
        Clock::starting_at(sim.now()),
    );
    let seen = engine.refresh().await;
    assert_eq!(seen.watched.len(), 2);
    assert_eq!(seen.watched[0].name.as_deref(), Some("seed-primary-hls"));
    assert_eq!(seen.watched[0].state, Some(ChannelState::Running));
    assert!(
        seen.watched[1].missing,
        "an id the account lacks is said to be missing"
    );
    // Stopped in the console: reported, and onair neither restarts nor deletes it.
    ml.stop_channel(&channel).await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    sim.reset_call_counts();
    let seen = engine.refresh().await;
    engine.reconcile(true).await.unwrap();
    engine.settle().await;
    assert_eq!(seen.watched[0].state, Some(ChannelState::Idle));
    let counts = sim.call_counts();
    for call in [
        "StartChannel",
        "StopChannel",
        "DeleteChannel",
        "UpdateChannel",
        "BatchStart",
    ] {
        assert_eq!(counts.get(call), None, "{call}: {counts:?}");
    }
    let mut warned = false;
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::Log(entry) = event
            && entry.text.contains("watched channel seed-primary-hls")
            && entry.text.contains("left RUNNING")
        {
            warned = true;
        }
    }
    assert!(warned, "the stop of a watched channel is in the log");
    // Its metrics ride in the refresh's one GetMetricData call.
    assert_eq!(counts.get("GetMetricData"), Some(&1), "{counts:?}");
}
