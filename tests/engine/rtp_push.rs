//! The seed's wiring (`wiring = "rtp-push"`) on the simulator: an input security group admitting
//! the flow's egress IP, an RTP_PUSH input behind it, and an rtp-fec flow output onair adds to
//! the input's first endpoint — created in that order, torn down in the reverse (RemoveFlowOutput
//! → DeleteInput → DeleteInputSecurityGroup), and records the seed's system wrote (no group id in
//! them) managed and removed as well. Faults at every step of these chains are in fault_matrix.

use crate::common::invariants;
use crate::common::rig::{KEYS, Rig, draft, progress_steps};
use crate::common::tap::Tap;
use onair::clock::Clock;
use onair::cloud::{
    AddFlowOutputRequest, ChannelConfig, ChannelEncoding, ChannelState, CreateChannelRequest,
    CreateInputRequest, CreateInputSecurityGroupRequest, InputSource, RtmpDestination,
};
use onair::domain::{Catalog, Destination, Platform, Status, StreamKey, Wiring};
use onair::engine::{Engine, EngineConfig};
use onair::sim::{SimConfig, Simulator};
use std::sync::Arc;
use std::time::Duration;

fn rtp_rig() -> Rig {
    Rig::with(SimConfig::unlimited(), |c| c.wiring = Wiring::RtpPush)
}

#[tokio::test(start_paused = true)]
async fn add_creates_group_push_input_channel_and_an_rtp_fec_output_to_the_inputs_endpoint() {
    let mut rig = rtp_rig();
    let id = rig.add("Seed YT").await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.status, Status::Idle, "{:?}", r.last_error);

    let snap = rig.sim.snapshot();
    let [group] = snap.security_groups.as_slice() else {
        panic!("one security group: {:?}", snap.security_groups);
    };
    let flow = rig
        .sim
        .cloud()
        .mediaconnect
        .describe_flow(Simulator::FLOW_ARN)
        .await
        .unwrap();
    let egress = flow.egress_ip.clone().unwrap();
    assert_eq!(group.allowed_cidrs, vec![format!("{egress}/32")]);
    assert_eq!(r.input_security_group_id.as_ref(), Some(&group.id));
    assert_eq!(
        group.tags.get("onair:destination-id"),
        Some(&id.to_string())
    );

    let [input] = snap.inputs.as_slice() else {
        panic!("one input: {:?}", snap.inputs);
    };
    assert_eq!(input.input_type, onair::cloud::InputType::RtpPush);
    assert_eq!(input.security_groups, vec![group.id.clone()]);
    assert_eq!(r.media_live_input_id.as_ref(), Some(&input.id));

    // The output goes to the input's first endpoint, by rtp-fec, and MediaLive made none.
    let [output] = snap.flow_outputs.as_slice() else {
        panic!("one flow output: {:?}", snap.flow_outputs);
    };
    let endpoint = input.destinations[0].trim_start_matches("rtp://");
    assert_eq!(
        format!(
            "{}:{}",
            output.destination.as_deref().unwrap(),
            output.port.unwrap()
        ),
        endpoint
    );
    assert_eq!(output.protocol.as_deref(), Some("rtp-fec"));
    assert_eq!(output.medialive_input_arn, None);
    assert_eq!(r.media_connect_output_arn.as_ref(), Some(&output.arn));
    invariants::check(&rig.sim, &rig.engine.records()).unwrap();

    let steps = progress_steps(&rig.drain());
    assert_eq!(
        steps,
        [
            "saving record 1/7",
            "creating security group 2/7",
            "creating input 3/7",
            "creating channel 4/7",
            "waiting for channel 5/7",
            "linking flow output 6/7",
            "saving 7/7",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_running_push_destination_streams_only_while_its_flow_output_feeds_it() {
    let rig = rtp_rig();
    let id = rig.add("Seed YT").await;
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Running));
    tokio::time::sleep(Duration::from_secs(60)).await;
    let seen = rig.engine.refresh().await;
    let bps = seen.metrics.destinations[&id].bitrate.expect("NetworkOut");
    assert!((5.5e6..7.0e6).contains(&bps), "fed: {bps}");

    // Someone removes the output in the console: the channel runs on slate.
    let arn = rig
        .engine
        .record(id)
        .unwrap()
        .media_connect_output_arn
        .unwrap();
    rig.sim
        .cloud()
        .mediaconnect
        .remove_flow_output(Simulator::FLOW_ARN, &arn)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let seen = rig.engine.refresh().await;
    let bps = seen.metrics.destinations[&id].bitrate.expect("NetworkOut");
    assert!(bps < 1e6, "unfed: {bps}");
}

#[tokio::test(start_paused = true)]
async fn delete_removes_the_output_then_the_input_then_the_group() {
    let sim = Simulator::new(
        SimConfig::unlimited(),
        Clock::starting_at(crate::common::rig::start()),
    );
    let tap = Tap::new(Arc::clone(&sim));
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    config.wiring = Wiring::RtpPush;
    let (engine, _events) = Engine::new(
        tap.cloud(),
        Arc::new(Catalog::builtin()),
        config,
        Clock::starting_at(sim.now()),
    );
    let id = engine.add(draft("Seed YT", "youtube", 0)).unwrap();
    engine.settle().await;
    engine.start(id).unwrap();
    engine.settle().await;

    tap.record();
    engine.delete(id).unwrap();
    engine.settle().await;
    assert!(engine.record(id).is_none());
    let snap = sim.snapshot();
    assert!(
        snap.channels.is_empty()
            && snap.inputs.is_empty()
            && snap.flow_outputs.is_empty()
            && snap.security_groups.is_empty()
            && snap.records.is_empty(),
        "{snap:?}"
    );
    let log = tap.log();
    let at = |call: &str| {
        log.iter()
            .position(|c| *c == call)
            .unwrap_or_else(|| panic!("no {call} in {log:?}"))
    };
    assert!(at("DeleteChannel") < at("RemoveFlowOutput"), "{log:?}");
    assert!(at("RemoveFlowOutput") < at("DeleteInput"), "{log:?}");
    assert!(
        at("DeleteInput") < at("DeleteInputSecurityGroup"),
        "{log:?}"
    );
}

/// What the seed's system left in a table: its own wiring, its record without the attributes
/// onair adds (no group id, no version history).
async fn seed_destination(sim: &Arc<Simulator>) -> Destination {
    let cloud = sim.cloud();
    let ml = &cloud.medialive;
    let group = ml
        .create_input_security_group(CreateInputSecurityGroupRequest {
            allowed_cidrs: vec!["3.224.17.99/32".into()],
            tags: Default::default(),
        })
        .await
        .unwrap();
    let input = ml
        .create_input(CreateInputRequest {
            name: "seed-twitch-input".into(),
            request_id: String::new(),
            source: InputSource::RtpPush {
                security_group_ids: vec![group.id.clone()],
            },
            role_arn: None,
            tags: Default::default(),
        })
        .await
        .unwrap();
    let (host, port) = input.first_endpoint().unwrap();
    let output = cloud
        .mediaconnect
        .add_flow_output(
            Simulator::FLOW_ARN,
            AddFlowOutputRequest {
                name: "seed-twitch-output".into(),
                protocol: "rtp-fec".into(),
                destination: host,
                port,
                description: "made by the seed".into(),
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut record = Destination::new(
        "Seed Twitch".into(),
        Platform::Twitch,
        "rtmp://live.twitch.tv/app".into(),
        StreamKey::new(KEYS[1]),
        "1080p30".into(),
        sim.now(),
    );
    record.media_live_input_id = Some(input.id.clone());
    record.media_connect_output_arn = Some(output.arn.clone());
    let catalog = Catalog::builtin();
    let config = ChannelConfig {
        name: "seed-twitch-channel".into(),
        role_arn: Simulator::ROLE_ARN.into(),
        input_id: input.id.clone(),
        input_attachment_name: "seed-twitch-input".into(),
        destination: RtmpDestination {
            url: record.rtmp_url.clone(),
            stream_name: StreamKey::new(KEYS[1]),
        },
        encoding: ChannelEncoding::from(catalog.get("1080p30").unwrap()),
        reconnect: onair::cloud::RtmpReconnect::default(),
    };
    let channel = ml
        .create_channel(CreateChannelRequest {
            config,
            request_id: String::new(),
            tags: Default::default(),
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(10)).await;
    record.media_live_channel_id = Some(channel.id.clone());
    record.status = Status::Idle;
    cloud.store.put_if_absent(&record).await.unwrap();
    record
}

#[tokio::test(start_paused = true)]
async fn a_record_the_seed_wrote_is_started_stopped_and_removed_with_its_whole_wiring() {
    let sim = Simulator::new(
        SimConfig::unlimited(),
        Clock::starting_at(crate::common::rig::start()),
    );
    let seed = seed_destination(&sim).await;
    // An operator who never set `wiring`: teardown follows what the input is, not the config.
    let (engine, _events) = Engine::new(
        sim.cloud(),
        Arc::new(Catalog::builtin()),
        EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN),
        Clock::starting_at(sim.now()),
    );
    engine.load().await.unwrap();
    let id = seed.id();
    engine.start(id).unwrap();
    engine.settle().await;
    let r = engine.record(id).unwrap();
    assert_eq!(r.status, Status::Running, "{:?}", r.last_error);
    let snap = sim.snapshot();
    assert_eq!(snap.channels[0].state, ChannelState::Running);
    engine.stop(id).unwrap();
    engine.settle().await;
    assert_eq!(engine.record(id).unwrap().status, Status::Idle);

    engine.delete(id).unwrap();
    engine.settle().await;
    let snap = sim.snapshot();
    assert!(engine.record(id).is_none());
    assert!(
        snap.channels.is_empty()
            && snap.inputs.is_empty()
            && snap.flow_outputs.is_empty()
            && snap.security_groups.is_empty(),
        "the seed's group and output went with the input: {snap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_add_killed_after_creating_the_group_reuses_it_and_gc_finds_a_stray_one() {
    let rig = rtp_rig();
    // A process that died after CreateInputSecurityGroup, before writing the group's id: the
    // group carries the destination's tag, and the record exists.
    let mut r = Destination::new(
        "Killed".into(),
        Platform::Youtube,
        "rtmp://a.rtmp.youtube.com/live2".into(),
        StreamKey::new(KEYS[0]),
        "1080p30".into(),
        rig.sim.now(),
    );
    r.input_request_id = Some(uuid::Uuid::new_v4().to_string());
    r.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
    let cloud = rig.sim.cloud();
    cloud.store.put_if_absent(&r).await.unwrap();
    let tags = onair::domain::naming::tags(Simulator::TABLE, &r.destination_id);
    let made = cloud
        .medialive
        .create_input_security_group(CreateInputSecurityGroupRequest {
            allowed_cidrs: vec!["3.224.17.99/32".into()],
            tags: tags.into_iter().collect(),
        })
        .await
        .unwrap();
    // And a group some other crash left with no record at all.
    let stray = cloud
        .medialive
        .create_input_security_group(CreateInputSecurityGroupRequest {
            allowed_cidrs: vec!["3.224.17.99/32".into()],
            tags: onair::domain::naming::tags(
                Simulator::TABLE,
                &onair::domain::DestinationId::new(),
            )
            .into_iter()
            .collect(),
        })
        .await
        .unwrap();

    rig.engine.reconcile(true).await.unwrap();
    rig.engine.settle().await;
    let after = rig.engine.record(r.destination_id).unwrap();
    assert_eq!(after.status, Status::Idle, "{:?}", after.last_error);
    assert_eq!(after.input_security_group_id.as_ref(), Some(&made.id));

    let orphans = rig.engine.find_orphans().await.unwrap();
    let found: Vec<&str> = orphans
        .security_groups
        .iter()
        .map(|g| g.id.as_str())
        .collect();
    assert_eq!(found, [stray.id.as_str()], "{orphans:?}");
    rig.engine.delete_orphans(&orphans).await.unwrap();
    invariants::check(&rig.sim, &rig.engine.records()).unwrap();
}
