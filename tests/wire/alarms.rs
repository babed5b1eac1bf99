//! Alarms and quotas with the real binary against moto (issue 13). What onair leaves in AWS is
//! checked with the SDK, not with onair.
//!
//! Moto: CloudWatch alarms work, reached over the RPC v2 CBOR protocol the Rust SDK speaks
//! through the named patch `cloudwatch_speaks_rpcv2_cbor` (tests/moto_patches/cloudwatch_cbor.py,
//! which now routes PutMetricAlarm, DescribeAlarms, DeleteAlarms and ListTagsForResource too).
//! Moto does not evaluate alarms (they stay in their initial state), so states are the
//! simulator's to test. SNS topics work unpatched. Service Quotas in moto 5.2.5 knows only the
//! `vpc` service and has no ListServiceQuotas: onair falls back to the config with a note,
//! which is what an account whose policy denies Service Quotas gets too.

use crate::common::rig::KEYS;
use crate::common::wire::{
    TempDir, create_flow, onair, onair_env, patched_moto, sdk_config, succeeded,
};
use aws_sdk_cloudwatch::types::{Dimension, Tag};
use serde_json::Value;
use std::collections::BTreeMap;

const TABLE: &str = "onair-destinations";

struct Show {
    env: Vec<(String, String)>,
    _dir: TempDir,
}

impl Show {
    /// A table, the flow, the alarm topic, and a config file naming the topic.
    async fn new(moto: &crate::common::moto::Moto, name: &str, topic: Option<&str>) -> Self {
        let config = sdk_config(moto);
        let flow_arn = create_flow(&config).await;
        let dir = TempDir::new(name);
        let env = onair_env(moto, TABLE, &flow_arn, dir.path());
        let file = dir.path().join("config/onair/config.toml");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let text = topic
            .map(|t| format!("alarm_topic_arn = \"{t}\"\n"))
            .unwrap_or_default();
        std::fs::write(&file, text).unwrap();
        let show = Show { env, _dir: dir };
        show.ok(&["init"]);
        show
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = onair(args, &self.env).output().expect("onair runs");
        succeeded(args, &out)
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        onair(args, &self.env).output().expect("onair runs")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} is JSON ({e}): {out}"))
    }
}

async fn create_topic(config: &aws_config::SdkConfig, name: &str) -> String {
    aws_sdk_sns::Client::new(config)
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("CreateTopic on moto")
        .topic_arn()
        .expect("a topic ARN")
        .to_string()
}

/// Every alarm whose name starts with `onair-`, by name, with its tags — read with the SDK.
async fn alarms(
    cw: &aws_sdk_cloudwatch::Client,
) -> BTreeMap<
    String,
    (
        aws_sdk_cloudwatch::types::MetricAlarm,
        BTreeMap<String, String>,
    ),
> {
    let out = cw
        .describe_alarms()
        .alarm_name_prefix("onair-")
        .send()
        .await
        .expect("DescribeAlarms");
    let mut all = BTreeMap::new();
    for a in out.metric_alarms() {
        let tags = cw
            .list_tags_for_resource()
            .resource_arn(a.alarm_arn().unwrap())
            .send()
            .await
            .expect("ListTagsForResource")
            .tags()
            .iter()
            .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
            .collect();
        all.insert(a.alarm_name().unwrap().to_string(), (a.clone(), tags));
    }
    all
}

#[tokio::test]
async fn add_and_start_create_the_alarms_and_rm_leaves_none_behind() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let topic = create_topic(&config, "onair-alarms").await;
    let show = Show::new(&moto, "alarms-lifecycle", Some(&topic)).await;
    let cw = aws_sdk_cloudwatch::Client::new(&config);

    show.ok(&[
        "add",
        "--name",
        "YT Main",
        "--platform",
        "youtube",
        "--key",
        KEYS[0],
        "--start",
    ]);
    let listed = show.json(&["list", "--json"]);
    let record = &listed["destinations"][0];
    let id = record["destinationId"].as_str().unwrap().to_string();
    let channel = record["mediaLiveChannelId"].as_str().unwrap().to_string();

    let found = alarms(&cw).await;
    let destination_alarms: Vec<&String> = found
        .keys()
        .filter(|n| !n.starts_with("onair-flow-"))
        .collect();
    assert_eq!(destination_alarms.len(), 3, "{:?}", found.keys());
    for name in destination_alarms {
        let (alarm, tags) = &found[name];
        assert!(
            name.starts_with(&format!("onair-yt-main-{}-", &id[..8])),
            "{name}"
        );
        assert_eq!(alarm.alarm_actions(), std::slice::from_ref(&topic));
        assert_eq!(alarm.ok_actions(), std::slice::from_ref(&topic));
        assert_eq!(alarm.treat_missing_data(), Some("notBreaching"));
        assert!(
            alarm
                .dimensions()
                .iter()
                .any(|d| d.name() == Some("ChannelId") && d.value() == Some(channel.as_str())),
            "{alarm:?}"
        );
        assert!(alarm.alarm_description().unwrap().contains("\"YT Main\""));
        assert!(!alarm.alarm_description().unwrap().contains(KEYS[0]));
        assert_eq!(tags.get("onair:table").map(String::as_str), Some(TABLE));
        assert_eq!(tags.get("onair:destination-id"), Some(&id));
        assert_eq!(tags.get("onair:managed").map(String::as_str), Some("true"));
    }

    show.ok(&["rm", "--yes", "YT Main"]);
    let left: Vec<String> = alarms(&cw)
        .await
        .into_keys()
        .filter(|n| !n.starts_with("onair-flow-"))
        .collect();
    assert!(left.is_empty(), "rm left alarms behind: {left:?}");
}

#[tokio::test]
async fn gc_finds_a_stray_alarm_of_this_table_and_leaves_another_tables_alone() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let topic = create_topic(&config, "onair-alarms").await;
    let show = Show::new(&moto, "alarms-gc", Some(&topic)).await;
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    show.ok(&[
        "add",
        "--name",
        "Kept",
        "--platform",
        "youtube",
        "--key",
        KEYS[0],
    ]);

    // A stray of this table (its destination id names no item) and another table's alarm, as a
    // crashed onair and a colleague's onair would leave them.
    let put = |name: &'static str, table: &'static str, id: &'static str| {
        cw.put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/MediaLive")
            .metric_name("ActiveOutputs")
            .dimensions(
                Dimension::builder()
                    .name("ChannelId")
                    .value("7654321")
                    .build(),
            )
            .statistic(aws_sdk_cloudwatch::types::Statistic::Minimum)
            .period(60)
            .evaluation_periods(2)
            .threshold(1.0)
            .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::LessThanThreshold)
            .tags(Tag::builder().key("onair:managed").value("true").build())
            .tags(Tag::builder().key("onair:table").value(table).build())
            .tags(Tag::builder().key("onair:destination-id").value(id).build())
            .send()
    };
    let stray = "onair-gone-0123abcd-not-delivering";
    let theirs = "onair-theirs-89abcdef-alerts";
    put(stray, TABLE, "0123abcd-0000-4000-8000-000000000000")
        .await
        .expect("PutMetricAlarm");
    put(
        theirs,
        "another-table",
        "89abcdef-0000-4000-8000-000000000000",
    )
    .await
    .expect("PutMetricAlarm");

    let gc = show.json(&["gc", "--json"]);
    let orphan_alarms: Vec<&str> = gc["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(orphan_alarms, [stray], "{gc:#}");
    assert!(
        gc["notOurs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "alarm"
                && n["id"] == theirs
                && n["reason"] == "table another-table"),
        "{gc:#}"
    );
    let out = show.ok(&["gc", "--delete"]);
    assert!(out.contains(&format!("removed alarm {stray}")), "{out}");
    let left = alarms(&cw).await;
    assert!(!left.contains_key(stray), "{:?}", left.keys());
    assert!(
        left.contains_key(theirs),
        "another table's alarm was touched: {:?}",
        left.keys()
    );
    let kept = left.keys().filter(|n| n.contains("-kept-")).count();
    assert_eq!(
        kept,
        3,
        "the kept destination's own alarms: {:?}",
        left.keys()
    );
}

#[tokio::test]
async fn a_missing_or_malformed_topic_is_refused_with_exit_2_and_nothing_is_created() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let ml = aws_sdk_medialive::Client::new(&config);
    let cw = aws_sdk_cloudwatch::Client::new(&config);

    // Well-formed, but no such topic in the account.
    let missing = "arn:aws:sns:us-east-1:123456789012:no-such-topic";
    let show = Show::new(&moto, "alarms-missing-topic", Some(missing)).await;
    let out = show.run(&[
        "add",
        "--name",
        "Main",
        "--platform",
        "youtube",
        "--key",
        KEYS[0],
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("alarm_topic_arn") && err.contains("no-such-topic"),
        "{err}"
    );

    // Malformed: refused as the config is read, naming the key and its line.
    let bad = Show::new(&moto, "alarms-bad-topic", None).await;
    let file = bad._dir.path().join("config/onair/config.toml");
    std::fs::write(&file, "alarm_topic_arn = \"onair-alarms\"\n").unwrap();
    let out = bad.run(&[
        "add",
        "--name",
        "Main",
        "--platform",
        "youtube",
        "--key",
        KEYS[0],
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(":1: alarm_topic_arn") && err.contains("SNS topic ARN"),
        "{err}"
    );

    // Nothing anywhere: no record, no input, no channel, no alarm.
    assert!(
        show.json(&["list", "--json"])["destinations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(ml.list_inputs().send().await.unwrap().inputs().is_empty());
    assert!(
        ml.list_channels()
            .send()
            .await
            .unwrap()
            .channels()
            .is_empty()
    );
    let described = cw.describe_alarms().send().await.unwrap();
    assert!(described.metric_alarms().is_empty(), "{described:?}");
}

#[tokio::test]
async fn quota_falls_back_to_the_config_and_says_why_when_service_quotas_cannot_answer() {
    // Moto's Service Quotas has no ListServiceQuotas (AWS answers it with the applied values
    // of every MediaLive quota): onair must fall back exactly as for a denied API.
    let moto = patched_moto(&[]);
    let show = Show::new(&moto, "quota-fallback", None).await;
    let quota = show.json(&["quota", "--json"]);
    assert_eq!(quota["source"], "config", "{quota:#}");
    assert!(
        quota["note"]
            .as_str()
            .unwrap()
            .contains("ListServiceQuotas"),
        "{quota:#}"
    );
    let channels = quota["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["kind"] == "channels")
        .unwrap();
    assert_eq!(channels["allowed"], 5);
    assert_eq!(channels["used"], 0);
    // No quota code to raise without Service Quotas: refused, exit 2, nothing filed.
    let out = show.run(&["quota", "request", "channels", "20"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = show.run(&["quota", "request", "widgets", "20"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("widgets"));
}
