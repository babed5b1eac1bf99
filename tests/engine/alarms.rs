//! CloudWatch alarms (issue 13) on the simulator: created with the channel, evaluated on its
//! metrics, notifying the simulated SNS topic; removed with the channel (delete, park); read
//! for every destination in one DescribeAlarms; stray ones found by `gc` by their tags; and a
//! kill between "channel created" and "alarms created" converging on restart. Also Service
//! Quotas: applied values, a denied API, an increase approved after a delay.

use crate::common::rig::{Rig, draft};
use async_trait::async_trait;
use onair::clock::Clock;
use onair::cloud::{
    AlarmSpec, AlarmState, AlarmStatus, Cloud, CloudError, CloudWatch, Comparison,
    MetricDataRequest, MetricSeries, Stat, Tags,
};
use onair::domain::naming::{TAG_DESTINATION_ID, TAG_MANAGED, TAG_TABLE};
use onair::domain::{Catalog, DestinationId, Status};
use onair::engine::alarms::names_for;
use onair::engine::quotas::{QuotaKind, QuotaSource};
use onair::engine::{Engine, EngineConfig, Refusal};
use onair::sim::{SimConfig, Simulator};
use std::sync::Arc;
use std::time::Duration;

fn alarmed() -> Rig {
    Rig::with(SimConfig::unlimited(), |c| {
        c.alarm_topic_arn = Some(Simulator::TOPIC_ARN.to_string());
        c.park_after = None;
    })
}

fn alarm_names(rig: &Rig) -> Vec<String> {
    let mut names: Vec<String> = rig.sim.alarms().into_iter().map(|(s, _)| s.name).collect();
    names.sort();
    names
}

fn states_of(rig: &Rig, id: DestinationId) -> Vec<(String, AlarmState)> {
    let record = rig.engine.record(id).expect("record");
    let names = names_for(&record);
    rig.sim
        .alarms()
        .into_iter()
        .filter(|(s, _)| names.contains(&s.name))
        .map(|(s, state)| (s.name, state))
        .collect()
}

async fn minutes(n: u64) {
    tokio::time::sleep(Duration::from_secs(60 * n)).await;
}

#[tokio::test(start_paused = true)]
async fn an_add_creates_the_alarms_with_the_channel_tagged_and_rm_removes_them() {
    let rig = alarmed();
    let id = rig.add("YouTube Main").await;
    let record = rig.engine.record(id).unwrap();
    assert_eq!(record.status, Status::Idle, "{:?}", record.last_error);
    let channel = record.media_live_channel_id.clone().unwrap();
    let alarms = rig.sim.alarms();
    assert_eq!(alarms.len(), 3, "{alarms:?}");
    for (spec, _) in &alarms {
        assert!(
            spec.name
                .starts_with(&format!("onair-youtube-main-{}-", id.short()))
        );
        assert_eq!(
            spec.tags.get(TAG_TABLE).map(String::as_str),
            Some(Simulator::TABLE)
        );
        assert_eq!(spec.tags.get(TAG_DESTINATION_ID), Some(&id.to_string()));
        assert!(
            spec.dimensions
                .contains(&("ChannelId".to_string(), channel.clone()))
        );
        assert!(spec.missing_data_not_breaching);
        assert_eq!(spec.actions, vec![Simulator::TOPIC_ARN.to_string()]);
        assert!(
            spec.description.contains("\"YouTube Main\""),
            "{}",
            spec.description
        );
    }
    rig.engine.delete(id).unwrap();
    rig.engine.settle().await;
    assert!(rig.engine.record(id).is_none());
    assert!(rig.sim.alarms().is_empty(), "{:?}", alarm_names(&rig));
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn a_silent_running_channel_alarms_and_the_topic_hears_which_destination() {
    let rig = alarmed();
    let id = rig.add("Twitch").await;
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Running));
    minutes(5).await;
    // Healthy and running: every alarm OK.
    assert!(
        states_of(&rig, id)
            .iter()
            .all(|(_, s)| *s == AlarmState::Ok),
        "{:?}",
        states_of(&rig, id)
    );
    let channel = rig
        .engine
        .record(id)
        .unwrap()
        .media_live_channel_id
        .unwrap();
    rig.sim.silence_channel(&channel).unwrap();
    minutes(4).await;
    let states = states_of(&rig, id);
    let delivering = states
        .iter()
        .find(|(n, _)| n.ends_with("-not-delivering"))
        .unwrap();
    assert_eq!(delivering.1, AlarmState::Alarm, "{states:?}");
    // MediaLive raises an output alert too (ListAlerts and ActiveAlerts agree).
    let alerts = states.iter().find(|(n, _)| n.ends_with("-alerts")).unwrap();
    assert_eq!(alerts.1, AlarmState::Alarm, "{states:?}");
    let fired: Vec<_> = rig
        .sim
        .notifications()
        .into_iter()
        .filter(|n| n.state == AlarmState::Alarm)
        .collect();
    assert!(
        fired.iter().any(|n| n.alarm == delivering.0
            && n.topic == Simulator::TOPIC_ARN
            && n.description.contains("\"Twitch\"")
            && n.description.contains("not delivering")),
        "{fired:?}"
    );
    // Back on air: OK again, and the topic hears that too.
    rig.sim.unsilence(&channel).unwrap();
    minutes(4).await;
    assert!(
        rig.sim
            .notifications()
            .iter()
            .any(|n| n.alarm == delivering.0 && n.state == AlarmState::Ok && n.at > fired[0].at),
        "no OK after recovery"
    );
}

#[tokio::test(start_paused = true)]
async fn an_idle_destination_never_pages_anyone() {
    let rig = alarmed();
    let id = rig.add("Idle on purpose").await;
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    rig.engine.stop(id).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Idle));
    // A stopped channel publishes nothing: missing data is not breaching.
    minutes(60).await;
    assert_eq!(states_of(&rig, id).len(), 3);
    assert!(
        states_of(&rig, id)
            .iter()
            .all(|(_, s)| *s == AlarmState::Ok),
        "{:?}",
        states_of(&rig, id)
    );
    assert!(
        rig.sim
            .notifications()
            .iter()
            .all(|n| n.state != AlarmState::Alarm),
        "{:?}",
        rig.sim.notifications()
    );
}

#[tokio::test(start_paused = true)]
async fn parking_removes_the_alarms_and_a_start_brings_them_back() {
    let mut rig = Rig::with(SimConfig::unlimited(), |c| {
        c.alarm_topic_arn = Some(Simulator::TOPIC_ARN.to_string());
        c.park_after = Some(Duration::from_secs(60));
    });
    let id = rig.add("Parked").await;
    assert_eq!(rig.sim.alarms().len(), 3);
    minutes(3).await;
    rig.engine.refresh().await;
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Parked));
    assert!(rig.sim.alarms().is_empty(), "{:?}", alarm_names(&rig));
    rig.drain();
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Running));
    let channel = rig
        .engine
        .record(id)
        .unwrap()
        .media_live_channel_id
        .unwrap();
    let alarms = rig.sim.alarms();
    assert_eq!(alarms.len(), 3);
    assert!(alarms.iter().all(|(s, _)| {
        s.dimensions
            .contains(&("ChannelId".to_string(), channel.clone()))
    }));
}

#[tokio::test(start_paused = true)]
async fn every_destinations_alarms_are_read_in_one_describe_alarms() {
    let rig = alarmed();
    let ids = [
        rig.add("One").await,
        rig.add("Two").await,
        rig.add("Three").await,
    ];
    minutes(2).await;
    rig.sim.reset_call_counts();
    let board = rig.engine.read_alarms().await.unwrap();
    let calls = rig.sim.call_counts();
    assert_eq!(calls.get("DescribeAlarms"), Some(&1), "{calls:?}");
    assert_eq!(calls.values().sum::<u64>(), 1, "{calls:?}");
    for id in ids {
        let lights = &board.destinations[&id];
        let what: Vec<&str> = lights.iter().map(|l| l.what).collect();
        assert_eq!(what, ["delivering", "bitrate", "alerts"]);
        assert!(
            lights.iter().all(|l| l.state == AlarmState::Ok),
            "{lights:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_refresh_makes_no_alarm_or_quota_call() {
    let rig = alarmed();
    rig.add("One").await;
    rig.sim.reset_call_counts();
    rig.engine.refresh().await;
    let calls = rig.sim.call_counts();
    for call in ["DescribeAlarms", "PutMetricAlarm", "ListServiceQuotas"] {
        assert_eq!(calls.get(call), None, "{calls:?}");
    }
}

fn foreign_alarm(name: &str, table: &str, destination: &str) -> AlarmSpec {
    let mut tags = Tags::new();
    tags.insert(TAG_MANAGED.into(), "true".into());
    tags.insert(TAG_TABLE.into(), table.into());
    tags.insert(TAG_DESTINATION_ID.into(), destination.into());
    AlarmSpec {
        name: name.into(),
        description: "left behind".into(),
        namespace: "AWS/MediaLive".into(),
        metric_name: "ActiveOutputs".into(),
        dimensions: vec![("ChannelId".into(), "1234567".into())],
        stat: Stat::Minimum,
        period_seconds: 60,
        evaluation_periods: 2,
        threshold: 1.0,
        comparison: Comparison::LessThanThreshold,
        missing_data_not_breaching: true,
        actions: vec![Simulator::TOPIC_ARN.into()],
        tags,
    }
}

#[tokio::test(start_paused = true)]
async fn gc_finds_a_stray_alarm_of_this_table_and_leaves_another_tables_alone() {
    let rig = alarmed();
    let kept = rig.add("Kept").await;
    let gone = DestinationId::default();
    let stray = format!("onair-gone-{}-not-delivering", gone.short());
    let other = DestinationId::default();
    let theirs = format!("onair-theirs-{}-alerts", other.short());
    rig.sim
        .put_foreign_alarm(foreign_alarm(&stray, Simulator::TABLE, &gone.to_string()));
    rig.sim
        .put_foreign_alarm(foreign_alarm(&theirs, "another-table", &other.to_string()));
    let orphans = rig.engine.find_orphans().await.unwrap();
    let found: Vec<&str> = orphans.alarms.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(found, [stray.as_str()]);
    assert!(
        orphans
            .not_ours
            .iter()
            .any(|n| n.id == theirs && n.reason == "table another-table"),
        "{:?}",
        orphans.not_ours
    );
    let removed = rig.engine.delete_orphans(&orphans).await.unwrap();
    assert_eq!(removed, vec![format!("alarm {stray}")]);
    let left = alarm_names(&rig);
    assert!(left.contains(&theirs), "{left:?}");
    assert!(!left.contains(&stray));
    // The kept destination's own alarms are untouched.
    let record = rig.engine.record(kept).unwrap();
    for name in names_for(&record) {
        assert!(left.contains(&name), "{name} gone: {left:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_topic_that_does_not_exist_refuses_the_add_before_anything_is_created() {
    let rig = Rig::with(SimConfig::unlimited(), |c| {
        c.alarm_topic_arn = Some("arn:aws:sns:us-east-1:111122223333:no-such-topic".into());
    });
    let refusal = rig.engine.check_alarm_topic().await.unwrap_err();
    let text = refusal.to_string();
    assert!(text.starts_with("alarm_topic_arn: "), "{text}");
    assert!(text.contains("no-such-topic"), "{text}");
    assert!(matches!(
        rig.engine.add(draft("Main", "youtube", 0)),
        Err(Refusal::NotNow(_))
    ));
    rig.engine.settle().await;
    let snap = rig.sim.snapshot();
    assert!(snap.channels.is_empty() && snap.inputs.is_empty() && snap.records.is_empty());
    assert!(rig.sim.alarms().is_empty());
}

/// CloudWatch as a process that dies at its first PutMetricAlarm: the call never answers.
struct DiesAtAlarms(Arc<Simulator>);

#[async_trait]
impl CloudWatch for DiesAtAlarms {
    async fn get_metric_data(&self, r: MetricDataRequest) -> Result<Vec<MetricSeries>, CloudError> {
        self.0.get_metric_data(r).await
    }
    async fn put_metric_alarm(&self, _: AlarmSpec) -> Result<(), CloudError> {
        std::future::pending().await
    }
    async fn delete_alarms(&self, names: &[String]) -> Result<(), CloudError> {
        self.0.delete_alarms(names).await
    }
    async fn describe_alarms(&self, prefix: &str) -> Result<Vec<AlarmStatus>, CloudError> {
        self.0.describe_alarms(prefix).await
    }
    async fn list_alarm_tags(&self, arn: &str) -> Result<Tags, CloudError> {
        self.0.list_alarm_tags(arn).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_kill_between_channel_created_and_alarms_created_converges_on_restart() {
    let sim = Simulator::new(
        SimConfig::unlimited(),
        Clock::starting_at(crate::common::rig::start()),
    );
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    config.alarm_topic_arn = Some(Simulator::TOPIC_ARN.to_string());
    config.park_after = None;
    let dying = Cloud {
        cloudwatch: Arc::new(DiesAtAlarms(Arc::clone(&sim))),
        ..sim.cloud()
    };
    let (first, _events) = Engine::new(
        dying,
        Arc::new(Catalog::builtin()),
        config.clone(),
        Clock::starting_at(sim.now()),
    );
    let id = first.add(draft("Main", "youtube", 0)).unwrap();
    minutes(10).await;
    // Dead at the alarms: the channel exists, the record says so and is still `creating`.
    let stored = sim.cloud().store.get(id).await.unwrap().unwrap();
    assert_eq!(stored.status, Status::Creating);
    assert!(stored.media_live_channel_id.is_some());
    assert!(sim.alarms().is_empty());
    drop(first);

    let (restarted, _events) = Engine::new(
        sim.cloud(),
        Arc::new(Catalog::builtin()),
        config,
        Clock::starting_at(sim.now()),
    );
    restarted.reconcile(true).await.unwrap();
    restarted.settle().await;
    let after = restarted.record(id).unwrap();
    assert_eq!(after.status, Status::Idle, "{:?}", after.last_error);
    assert_eq!(sim.snapshot().channels.len(), 1, "no second channel");
    let mut names: Vec<String> = sim.alarms().into_iter().map(|(s, _)| s.name).collect();
    names.sort();
    let mut want = names_for(&after);
    want.sort();
    assert_eq!(names, want);
}

#[tokio::test(start_paused = true)]
async fn the_applied_quota_is_what_add_checks_and_an_approved_increase_raises_it() {
    let rig = Rig::with(
        SimConfig {
            channel_quota: 2,
            ..SimConfig::unlimited()
        },
        // The config believes AWS's default; the account applies 2.
        |c| c.channel_quota = 5,
    );
    let report = rig.engine.read_quotas().await;
    assert_eq!(report.source, QuotaSource::Applied);
    assert_eq!(report.allowed(QuotaKind::Channels), Some(2));
    rig.add("A").await;
    rig.add("B").await;
    rig.engine.refresh().await;
    let refused = rig.engine.add(draft("C", "youtube", 1)).unwrap_err();
    assert!(
        matches!(
            refused,
            Refusal::Quota {
                what: "channel",
                used: 2,
                allowed: 2
            }
        ),
        "{refused:?}"
    );
    let request = rig
        .engine
        .request_quota_increase(QuotaKind::Channels, 4)
        .await
        .unwrap();
    assert_eq!(request.status, "PENDING");
    assert_eq!(rig.engine.read_quotas().await.pending.len(), 1);
    // Not above the quota: refused before any request.
    assert!(
        rig.engine
            .request_quota_increase(QuotaKind::Channels, 2)
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_secs(2 * 3600)).await;
    let report = rig.engine.read_quotas().await;
    assert_eq!(report.allowed(QuotaKind::Channels), Some(4));
    assert!(report.pending.is_empty());
    assert_eq!(rig.sim.quota_requests()[0].status, "APPROVED");
    rig.add("C").await;
    assert_eq!(rig.engine.records().len(), 3);
    assert!(
        rig.engine
            .records()
            .iter()
            .all(|r| r.status == Status::Idle)
    );
}

#[tokio::test(start_paused = true)]
async fn a_denied_quotas_api_falls_back_to_the_config_and_says_so() {
    let mut rig = Rig::with(SimConfig::unlimited(), |c| c.channel_quota = 1);
    rig.sim.deny_quotas_api(true);
    let report = rig.engine.read_quotas().await;
    let QuotaSource::Config { note } = &report.source else {
        panic!("{report:?}");
    };
    assert!(note.contains("not authorized"), "{note}");
    assert_eq!(report.allowed(QuotaKind::Channels), Some(1));
    let logged = rig.drain().into_iter().any(
        |e| matches!(e, onair::engine::EngineEvent::Log(l) if l.text.contains("channel_quota")),
    );
    assert!(logged, "the fallback is said in the log");
    rig.add("A").await;
    assert!(matches!(
        rig.engine.add(draft("B", "youtube", 1)),
        Err(Refusal::Quota { allowed: 1, .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn renaming_a_destination_renames_its_alarms_and_leaves_no_old_one() {
    let rig = alarmed();
    let id = rig.add("Old Name").await;
    let before = alarm_names(&rig);
    assert_eq!(before.len(), 3);
    assert!(
        before.iter().all(|n| n.contains("-old-name-")),
        "{before:?}"
    );
    let record = rig.engine.record(id).unwrap();
    let mut renamed = draft("New Name", "youtube", 0);
    renamed.stream_key = record.stream_key.clone();
    rig.engine.edit(id, renamed, false).unwrap();
    rig.engine.settle().await;
    let record = rig.engine.record(id).unwrap();
    assert_eq!(record.status, Status::Idle, "{:?}", record.last_error);
    let mut want = names_for(&record);
    want.sort();
    assert_eq!(alarm_names(&rig), want);
    assert!(want.iter().all(|n| n.contains("-new-name-")), "{want:?}");
}
