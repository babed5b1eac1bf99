//! The AWS backend over the wire (issue 3): the SDK implementations and the real binary against
//! a private moto server per test, no AWS account and nothing beyond loopback.
//!
//! Moto's DynamoDB and CloudWatch behave like AWS. Its MediaLive and MediaConnect are shallow;
//! where a test needs what AWS does, tests/moto_patches/sitecustomize.py adds it in a named
//! patch, and the test says what real AWS does.

use crate::common::moto::Moto;
use crate::common::rig::KEYS;
use crate::common::wire::{
    FLOW_NAME, TempDir, create_flow, onair, onair_env, patched_moto, sdk_config, succeeded,
};
use onair::cloud::aws::{from_sdk_config, init_table, to_item};
use onair::cloud::{ErrorKind, MetricDataRequest, MetricQuery, Stat, metrics};
use onair::domain::{Destination, Platform, Status, StreamKey};
use serde_json::Value;
use std::process::Output;
use time::OffsetDateTime;

const TABLE: &str = "onair-destinations";

fn record(name: &str, key: &str) -> Destination {
    let mut d = Destination::new(
        name.to_string(),
        Platform::Youtube,
        "rtmp://a.rtmp.youtube.com/live2".to_string(),
        StreamKey::new(key),
        "1080p30".to_string(),
        // DynamoDB keeps RFC 3339 text: whole seconds compare equal after the round trip.
        time::macros::datetime!(2026-11-25 18:00 UTC),
    );
    d.status = Status::Idle;
    d
}

// ---------------------------------------------------------------------------------------------
// DynamoDB through the real RecordStore

#[tokio::test]
async fn init_table_creates_a_pay_per_request_table_with_pitr_and_is_idempotent() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    assert!(init_table(&config, TABLE).await.expect("first init"));

    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let table = ddb
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .expect("DescribeTable");
    let table = table.table().expect("a table");
    assert_eq!(
        table
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str()),
        Some("PAY_PER_REQUEST")
    );
    let keys: Vec<(&str, &str)> = table
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(keys, [("destinationId", "HASH")]);
    let pitr = || async {
        ddb.describe_continuous_backups()
            .table_name(TABLE)
            .send()
            .await
            .expect("DescribeContinuousBackups")
            .continuous_backups_description()
            .and_then(|c| c.point_in_time_recovery_description())
            .and_then(|p| p.point_in_time_recovery_status())
            .map(|s| s.as_str().to_string())
    };
    assert_eq!(pitr().await.as_deref(), Some("ENABLED"));

    // A second run (another control box, or the same one again) changes nothing and succeeds.
    assert!(!init_table(&config, TABLE).await.expect("second init"));
    assert_eq!(pitr().await.as_deref(), Some("ENABLED"));
    let tables = ddb.list_tables().send().await.expect("ListTables");
    assert_eq!(tables.table_names(), [TABLE]);
}

#[tokio::test]
async fn the_record_store_writes_conditionally_and_keeps_the_stream_key() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    init_table(&config, TABLE).await.expect("init");
    let store = from_sdk_config(config.clone(), TABLE.to_string())
        .cloud
        .store;

    let first = record("Main", KEYS[0]);
    let id = first.id();
    store.put_if_absent(&first).await.expect("first put");
    let again = store.put_if_absent(&first).await.unwrap_err();
    assert_eq!(again.kind, ErrorKind::ConditionFailed, "{again}");
    assert_eq!(again.call, "PutItem");

    // The key round-trips: in clear in the item (the seed's schema), whole in the record.
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let item = ddb
        .get_item()
        .table_name(TABLE)
        .key(
            "destinationId",
            aws_sdk_dynamodb::types::AttributeValue::S(id.to_string()),
        )
        .send()
        .await
        .expect("GetItem");
    let item = item.item().expect("the item");
    assert_eq!(item["streamKey"].as_s().map(String::as_str), Ok(KEYS[0]));
    assert_eq!(item["version"].as_n().map(String::as_str), Ok("1"));
    let stored = store.get(id).await.expect("get").expect("the record");
    assert_eq!(
        stored.stream_key.clear().map(StreamKey::expose),
        Some(KEYS[0])
    );
    assert_eq!(stored, first);

    // Version 1 → 2 with the right expectation.
    let mut second = stored.clone();
    second.version = 2;
    second.status = Status::Running;
    store.update_if_version(&second, 1).await.expect("update");

    // A writer still holding version 1 loses, and the stored record is unchanged.
    let mut stale = stored.clone();
    stale.version = 2;
    stale.name = "Overwritten".into();
    stale.stream_key = StreamKey::new(KEYS[1]).into();
    let lost = store.update_if_version(&stale, 1).await.unwrap_err();
    assert_eq!(lost.kind, ErrorKind::ConditionFailed, "{lost}");
    assert_eq!(store.get(id).await.expect("get"), Some(second.clone()));

    // Deletes are conditional too.
    let lost = store.delete_if_version(id, 1).await.unwrap_err();
    assert_eq!(lost.kind, ErrorKind::ConditionFailed, "{lost}");
    assert_eq!(store.scan().await.expect("scan").records, vec![second]);
    store.delete_if_version(id, 2).await.expect("delete");
    assert_eq!(store.get(id).await.expect("get"), None);

    // An item the seed wrote has no `version`: it counts as version 0.
    let mut seed_item = to_item(&record("Seed", KEYS[2]));
    seed_item.remove("version");
    let seed_id = seed_item["destinationId"].as_s().unwrap().clone();
    ddb.put_item()
        .table_name(TABLE)
        .set_item(Some(seed_item))
        .send()
        .await
        .expect("PutItem seed");
    let seed = store.scan().await.expect("scan").records.remove(0);
    assert_eq!(
        (seed.destination_id.to_string(), seed.version),
        (seed_id, 0)
    );
    let mut next = seed.clone();
    next.version = 1;
    store
        .update_if_version(&next, 0)
        .await
        .expect("a seed item takes a write expecting version 0");
    assert_eq!(store.get(seed.id()).await.expect("get"), Some(next));
}

// ---------------------------------------------------------------------------------------------
// CloudWatch: every series of a refresh in one GetMetricData

#[tokio::test]
async fn get_metric_data_returns_every_series_oldest_first_in_one_call() {
    use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
    let recording = TempDir::new("cw-recording");
    let log = recording.path().join("requests.jsonl");
    // Patched moto: the Rust SDK speaks CloudWatch's rpcv2Cbor protocol, which moto 5.2.5 does
    // not route (tests/moto_patches/cloudwatch_cbor.py). Its request recorder writes one JSON
    // line per request the server answers.
    let moto = patched_moto(&[
        ("MOTO_ENABLE_RECORDING", "true".to_string()),
        ("MOTO_RECORDER_FILEPATH", log.display().to_string()),
    ]);
    let config = sdk_config(&moto);
    let flow_arn = "arn:aws:mediaconnect:us-east-1:123456789012:flow:1-abc:show-flow";
    let channels = ["1111111", "2222222", "3333333"];

    // Six one-minute buckets, ten minutes back, on a minute boundary.
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let base = now - now % 60 - 600;
    let at = |minute: i64| aws_smithy_types::DateTime::from_secs(base + minute * 60);
    let mut data = Vec::new();
    let dim = |n: &str, v: &str| Dimension::builder().name(n).value(v).build();
    // Channel 1 has a gap at minute 2; channel 2 sends every minute; channel 3 never sent.
    for (c, minutes) in [(0, vec![0, 1, 3, 4, 5]), (1, vec![0, 1, 2, 3, 4, 5])] {
        for m in minutes {
            data.push((
                metrics::MEDIALIVE,
                MetricDatum::builder()
                    .metric_name(metrics::NETWORK_OUT)
                    .dimensions(dim("ChannelId", channels[c]))
                    .dimensions(dim("Pipeline", "0"))
                    .timestamp(at(m))
                    .value((c * 100) as f64 + m as f64 + 0.5)
                    .unit(StandardUnit::MegabitsSecond)
                    .build(),
            ));
        }
    }
    for m in 0..6 {
        data.push((
            metrics::MEDIACONNECT,
            MetricDatum::builder()
                .metric_name(metrics::SOURCE_BITRATE)
                .dimensions(dim("FlowARN", flow_arn))
                .timestamp(at(m))
                .value(8_000_000.0 + m as f64)
                .unit(StandardUnit::BitsSecond)
                .build(),
        ));
    }
    let cw = aws_sdk_cloudwatch::Client::new(&config);
    for (namespace, datum) in data {
        cw.put_metric_data()
            .namespace(namespace)
            .metric_data(datum)
            .send()
            .await
            .expect("PutMetricData");
    }

    let query = |id: &str, namespace: &str, metric: &str, dims: Vec<(&str, &str)>| MetricQuery {
        id: id.to_string(),
        namespace: namespace.to_string(),
        metric_name: metric.to_string(),
        dimensions: dims
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        stat: Stat::Average,
        period_seconds: 60,
    };
    let mut queries = vec![query(
        "fbitrate",
        metrics::MEDIACONNECT,
        metrics::SOURCE_BITRATE,
        vec![("FlowARN", flow_arn)],
    )];
    for (i, c) in channels.iter().enumerate() {
        queries.push(query(
            &format!("d{i}out"),
            metrics::MEDIALIVE,
            metrics::NETWORK_OUT,
            vec![("ChannelId", c), ("Pipeline", "0")],
        ));
    }
    let request = MetricDataRequest {
        queries,
        start: OffsetDateTime::from_unix_timestamp(base).unwrap(),
        end: OffsetDateTime::from_unix_timestamp(base + 360).unwrap(),
    };

    std::fs::write(&log, "").expect("reset the recording");
    let cloudwatch = from_sdk_config(config, TABLE.to_string()).cloud.cloudwatch;
    let series = cloudwatch
        .get_metric_data(request)
        .await
        .expect("GetMetricData");
    let calls = std::fs::read_to_string(&log).expect("the recording");
    assert_eq!(
        calls.lines().count(),
        1,
        "every series in one HTTP call; recorded:\n{calls}"
    );
    assert!(
        calls.contains("GetMetricData") || recorded_body(&calls).contains("GetMetricData"),
        "{calls}"
    );

    let ids: Vec<&str> = series.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        ["fbitrate", "d0out", "d1out", "d2out"],
        "in query order"
    );
    let minutes_and_values = |i: usize| -> Vec<(i64, f64)> {
        series[i]
            .points
            .iter()
            .map(|p| ((p.timestamp.unix_timestamp() - base) / 60, p.value))
            .collect()
    };
    assert_eq!(
        minutes_and_values(0),
        (0..6)
            .map(|m| (m, 8_000_000.0 + m as f64))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        minutes_and_values(1),
        [(0, 0.5), (1, 1.5), (3, 3.5), (4, 4.5), (5, 5.5)],
        "oldest first, and the gap at minute 2 stays a gap"
    );
    assert_eq!(
        minutes_and_values(2),
        (0..6).map(|m| (m, 100.5 + m as f64)).collect::<Vec<_>>()
    );
    assert!(series[3].points.is_empty(), "no data is no points");
}

/// The recorded request bodies, decoded (the recorder keeps binary bodies in base64).
fn recorded_body(recording: &str) -> String {
    recording
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["body"].as_str().map(str::to_string))
        .map(|b| {
            aws_smithy_types::base64::decode(&b)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or(b)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// MediaLive and MediaConnect errors through the SDK implementations

#[tokio::test]
async fn unknown_ids_are_not_found() {
    // Real AWS answers an unknown channel or input id with NotFoundException (HTTP 404), and an
    // unknown flow with NotFoundException; moto needs the `medialive_unknown_ids_are_404` patch
    // for the first (it answers HTTP 500).
    let moto = patched_moto(&[]);
    let cloud = from_sdk_config(sdk_config(&moto), TABLE.to_string()).cloud;
    let errors = [
        cloud
            .medialive
            .describe_channel("9999999")
            .await
            .unwrap_err(),
        cloud.medialive.delete_channel("9999999").await.unwrap_err(),
        cloud.medialive.describe_input("8888888").await.unwrap_err(),
        cloud.medialive.delete_input("8888888").await.unwrap_err(),
        cloud
            .mediaconnect
            .describe_flow("arn:aws:mediaconnect:us-east-1:123456789012:flow:1-nope:gone")
            .await
            .unwrap_err(),
    ];
    let calls: Vec<&str> = errors.iter().map(|e| e.call).collect();
    assert_eq!(
        calls,
        [
            "DescribeChannel",
            "DeleteChannel",
            "DescribeInput",
            "DeleteInput",
            "DescribeFlow"
        ]
    );
    for e in errors {
        assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
        assert!(e.to_string().contains("NotFoundException"), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// The real binary: init, add, list, start, stop, rm, flow, and the exit codes

struct Cli {
    env: Vec<(String, String)>,
    /// Everything the binary printed, for the secrets check at the end.
    printed: String,
}

impl Cli {
    fn run_with(&mut self, args: &[&str], set: &[(&str, &str)], unset: &[&str]) -> Output {
        let mut command = onair(args, &self.env);
        for (k, v) in set {
            command.env(k, v);
        }
        for k in unset {
            command.env_remove(k);
        }
        let out = command.output().expect("onair runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // The command line itself may hold a key (`--key`): only what the binary wrote counts.
        let shown: Vec<&str> = args
            .iter()
            .map(|a| if KEYS.contains(a) { "KEY" } else { a })
            .collect();
        self.printed
            .push_str(&format!("$ onair {}\n{stdout}{stderr}", shown.join(" ")));
        out
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&mut self, args: &[&str], set: &[(&str, &str)]) -> String {
        let out = self.run_with(args, set, &[]);
        succeeded(args, &out)
    }

    /// Runs a command that must be refused (exit 2); returns its stderr.
    fn refused(&mut self, args: &[&str], set: &[(&str, &str)], unset: &[&str]) -> String {
        let out = self.run_with(args, set, unset);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "onair {args:?}: {stderr}");
        stderr
    }

    fn list(&mut self) -> Vec<Value> {
        let out = self.ok(&["list", "--json"], &[]);
        serde_json::from_str::<Value>(&out)
            .unwrap_or_else(|e| panic!("list --json is JSON ({e}): {out}"))["destinations"]
            .as_array()
            .expect("an array of destinations")
            .clone()
    }

    fn flow(&mut self) -> Value {
        let out = self.ok(&["flow", "--json"], &[]);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("flow --json ({e}): {out}"))
    }
}

fn by_name<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {records:?}"))
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_cli_runs_a_show_against_moto() {
    // Patched moto: a MEDIACONNECT input adds its output to the flow and DeleteInput removes it
    // (as MediaLive does in AWS), unknown MediaLive ids are 404s, and the flow source reports its
    // protocol under Transport (as AWS does). See tests/moto_patches/sitecustomize.py.
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let dir = TempDir::new("cli");
    let mut cli = Cli {
        env: onair_env(&moto, TABLE, &flow_arn, dir.path()),
        printed: String::new(),
    };
    let medialive = aws_sdk_medialive::Client::new(&config);

    // A missing table setting is refused, naming the key and where to set it.
    let err = cli.refused(&["list"], &[], &["ONAIR_TABLE"]);
    assert!(
        err.contains("table") && err.contains("ONAIR_TABLE"),
        "{err}"
    );

    let out = cli.ok(&["init"], &[]);
    assert!(out.contains(TABLE), "{out}");
    let out = cli.ok(&["init"], &[]);
    assert!(out.contains("exists"), "a second init is harmless: {out}");

    // Bad input: exit 2, the field named, nothing created anywhere.
    let err = cli.refused(
        &["add", "--name", "Bad", "--platform", "myspace"],
        &[("ONAIR_STREAM_KEY", KEYS[0])],
        &[],
    );
    assert!(err.contains("platform"), "{err}");
    let err = cli.refused(
        &[
            "add",
            "--name",
            "Bad",
            "--platform",
            "custom",
            "--url",
            "http://x",
            "--key",
            KEYS[0],
        ],
        &[],
        &[],
    );
    assert!(err.contains("url") && err.contains("rtmp://"), "{err}");
    assert!(cli.list().is_empty());
    let inputs = medialive.list_inputs().send().await.expect("ListInputs");
    assert!(inputs.inputs().is_empty(), "{inputs:?}");

    // Three destinations: two YouTube feeds and Twitch, keys by environment and by flag.
    cli.ok(
        &["add", "--name", "YT Main", "--platform", "youtube"],
        &[("ONAIR_STREAM_KEY", KEYS[0])],
    );
    cli.ok(
        &[
            "add",
            "--name",
            "YT Backup",
            "--platform",
            "youtube",
            "--preset",
            "720p30",
            "--key",
            KEYS[1],
        ],
        &[],
    );
    cli.ok(
        &["add", "--name", "Twitch", "--platform", "twitch"],
        &[("ONAIR_STREAM_KEY", KEYS[2])],
    );
    let records = cli.list();
    assert_eq!(records.len(), 3, "{records:?}");
    for r in &records {
        assert_eq!(r["status"], "idle", "{r}");
        assert!(!text(&r["mediaLiveChannelId"]).is_empty(), "{r}");
        assert!(!text(&r["mediaLiveInputId"]).is_empty(), "{r}");
        assert!(text(&r["streamKey"]).contains('•'), "masked: {r}");
        // The output MediaLive added to the flow for this input (patched moto).
        assert!(
            text(&r["mediaConnectOutputArn"]).contains(":output:"),
            "{r}"
        );
    }
    assert_eq!(by_name(&records, "YT Backup")["preset"], "720p30");
    assert_eq!(by_name(&records, "Twitch")["platform"], "twitch");

    let flow = cli.flow();
    assert_eq!(flow["name"], FLOW_NAME);
    assert_eq!(flow["source"]["protocol"], "srt-listener");
    assert_eq!(flow["source"]["ingestPort"], 9998);
    assert_eq!(flow["source"]["encryption"], "aes128");
    let mut outputs: Vec<&str> = flow["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .map(|o| text(&o["arn"]))
        .collect();
    let mut recorded: Vec<&str> = records
        .iter()
        .map(|r| text(&r["mediaConnectOutputArn"]))
        .collect();
    outputs.sort();
    recorded.sort();
    assert_eq!(outputs, recorded, "one flow output per destination");

    // The channels are what §3 asks for: SINGLE_PIPELINE, one destination with one setting.
    for r in &records {
        let channel = medialive
            .describe_channel()
            .channel_id(text(&r["mediaLiveChannelId"]))
            .send()
            .await
            .expect("DescribeChannel");
        assert_eq!(
            channel.channel_class().map(|c| c.as_str()),
            Some("SINGLE_PIPELINE")
        );
        assert_eq!(channel.destinations().len(), 1);
        assert_eq!(channel.destinations()[0].settings().len(), 1);
        assert_eq!(
            channel.input_attachments()[0].input_id(),
            Some(text(&r["mediaLiveInputId"]))
        );
    }

    // Start one; the others stay idle.
    let out = cli.ok(&["start", "yt main"], &[]);
    assert!(out.contains("YT Main is running"), "{out}");
    let records = cli.list();
    let main = by_name(&records, "YT Main");
    assert_eq!(main["status"], "running");
    assert_eq!(main["desired"], "running");
    assert!(main["runningSince"].is_string(), "{main}");
    assert_eq!(by_name(&records, "YT Backup")["status"], "idle");
    assert_eq!(by_name(&records, "Twitch")["status"], "idle");
    let state = medialive
        .describe_channel()
        .channel_id(text(&main["mediaLiveChannelId"]))
        .send()
        .await
        .expect("DescribeChannel")
        .state()
        .map(|s| s.as_str().to_string());
    assert_eq!(state.as_deref(), Some("RUNNING"));

    let out = cli.ok(&["stop", "YT Main"], &[]);
    assert!(out.contains("YT Main is idle"), "{out}");
    let records = cli.list();
    assert_eq!(by_name(&records, "YT Main")["status"], "idle");
    assert!(by_name(&records, "YT Main")["runningSince"].is_null());

    // Unknown and ambiguous names are refused before anything happens. A second control box
    // on the shared table may have a "twitch" of its own (an item written straight into the
    // table, pointing at MediaLive ids that no longer exist).
    let err = cli.refused(&["start", "nope"], &[], &[]);
    assert!(err.contains("nope"), "{err}");
    let mut other = record("twitch", KEYS[2]);
    other.platform = Platform::Twitch;
    other.media_live_channel_id = Some("9999999".into());
    other.media_live_input_id = Some("8888888".into());
    aws_sdk_dynamodb::Client::new(&config)
        .put_item()
        .table_name(TABLE)
        .set_item(Some(to_item(&other)))
        .send()
        .await
        .expect("PutItem");
    let err = cli.refused(&["start", "Twitch"], &[], &[]);
    assert!(err.contains("several"), "{err}");
    let err = cli.refused(&["rm", "Twitch"], &[], &[]);
    assert!(err.contains("several"), "{err}");
    assert_eq!(cli.list().len(), 4);

    // `rm` asks unless --yes; without a terminal it refuses.
    let other_id = other.destination_id.to_string();
    let err = cli.refused(&["rm", &other_id], &[], &[]);
    assert!(err.contains("--yes"), "{err}");
    // Its resources vanished: AWS says 404 (patched moto too), and rm removes just the record.
    cli.ok(&["rm", "--yes", &other_id], &[]);

    // Delete one real destination: record, channel, input and flow output all go.
    let backup = by_name(&cli.list(), "YT Backup").clone();
    let out = cli.ok(&["rm", "--yes", "YT Backup"], &[]);
    assert!(out.contains("deleted YT Backup"), "{out}");
    let records = cli.list();
    let mut names: Vec<&str> = records.iter().map(|r| text(&r["name"])).collect();
    names.sort();
    assert_eq!(names, ["Twitch", "YT Main"]);
    let channel = medialive
        .describe_channel()
        .channel_id(text(&backup["mediaLiveChannelId"]))
        .send()
        .await
        .expect("moto keeps deleted channels, as DELETED");
    assert_eq!(channel.state().map(|s| s.as_str()), Some("DELETED"));
    let input = medialive
        .describe_input()
        .input_id(text(&backup["mediaLiveInputId"]))
        .send()
        .await
        .expect("DescribeInput");
    assert_eq!(input.state().map(|s| s.as_str()), Some("DELETED"));
    let flow = cli.flow();
    let outputs: Vec<&str> = flow["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .map(|o| text(&o["arn"]))
        .collect();
    assert_eq!(outputs.len(), 2, "{flow}");
    assert!(!outputs.contains(&text(&backup["mediaConnectOutputArn"])));

    // The human table too.
    let table = cli.ok(&["list"], &[]);
    // Columns line up: a word's column is counted in characters (the masked key has dots).
    let column = |line: &str, word: &str| line.find(word).map(|i| line[..i].chars().count());
    let header = table.lines().next().unwrap_or_default();
    for name in ["YT Main", "Twitch"] {
        let row = table.lines().find(|l| l.contains(name)).expect("a row");
        assert_eq!(
            column(row, "twitch").or(column(row, "youtube")),
            column(header, "PLATFORM"),
            "{table}"
        );
        assert_eq!(column(row, "idle"), column(header, "STATE"), "{table}");
    }

    // No stream key, anywhere the binary wrote: stdout, stderr, the log file.
    let mut written = vec![("stdout and stderr".to_string(), cli.printed.clone())];
    for entry in std::fs::read_dir(dir.path().join("state/onair"))
        .expect("the log directory")
        .flatten()
    {
        let path = entry.path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        written.push((path.display().to_string(), text));
    }
    assert!(written.len() > 1, "a log file was written");
    for (source, text) in &written {
        assert!(text.contains("YT Main"), "the check sees {source}");
        for key in KEYS {
            let at = text.find(key).map(|i| &text[i.saturating_sub(300)..i]);
            assert!(at.is_none(), "stream key {key} in {source}, after: {at:?}");
        }
    }
}

#[tokio::test]
async fn the_cli_edits_a_destination_in_place_and_restarts_a_live_one_only_when_told() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let dir = TempDir::new("cli-edit");
    let mut cli = Cli {
        env: onair_env(&moto, TABLE, &flow_arn, dir.path()),
        printed: String::new(),
    };
    cli.ok(&["init"], &[]);
    cli.ok(
        &[
            "add",
            "--name",
            "YT",
            "--platform",
            "youtube",
            "--key",
            KEYS[0],
        ],
        &[],
    );
    let out = cli.ok(
        &["edit", "YT", "--name", "YT two", "--preset", "720p30"],
        &[],
    );
    assert!(out.contains("YT two") && out.contains("720p30"), "{out}");
    let records = cli.list();
    let r = by_name(&records, "YT two");
    assert_eq!(text(&r["preset"]), "720p30");
    assert_eq!(text(&r["status"]), "idle");

    // A key left in the environment (by an add of another destination) is not taken by an edit
    // unless asked for: the stored key is checked with the SDK, not with onair.
    let id = text(&r["destinationId"]).to_string();
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let stored_key = |dynamodb: aws_sdk_dynamodb::Client, id: String| async move {
        let item = dynamodb
            .get_item()
            .table_name(TABLE)
            .key(
                "destinationId",
                aws_sdk_dynamodb::types::AttributeValue::S(id),
            )
            .send()
            .await
            .expect("GetItem");
        item.item()
            .and_then(|i| i.get("streamKey"))
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    let out = cli.run_with(
        &["edit", "YT two", "--preset", "720p30"],
        &[("ONAIR_STREAM_KEY", KEYS[1])],
        &[],
    );
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ONAIR_STREAM_KEY is set and not used"),
        "{stderr}"
    );
    assert_eq!(stored_key(dynamodb.clone(), id.clone()).await, KEYS[0]);
    cli.ok(
        &["edit", "YT two", "--key-from-env"],
        &[("ONAIR_STREAM_KEY", KEYS[1])],
    );
    assert_eq!(stored_key(dynamodb.clone(), id.clone()).await, KEYS[1]);

    cli.ok(&["start", "YT two"], &[]);
    let err = cli.refused(&["edit", "YT two", "--preset", "1080p60"], &[], &[]);
    assert!(err.contains("--restart"), "{err}");
    assert_eq!(
        text(&by_name(&cli.list(), "YT two")["preset"]),
        "720p30",
        "nothing changed"
    );
    let out = cli.ok(&["edit", "YT two", "--preset", "1080p60", "--restart"], &[]);
    assert!(out.contains("running"), "{out}");
    assert_eq!(text(&by_name(&cli.list(), "YT two")["preset"]), "1080p60");
    assert!(!cli.printed.contains(KEYS[0]), "a stream key was printed");
}

#[tokio::test]
async fn the_cli_runs_a_destination_wired_the_seeds_way_against_moto() {
    // `wiring = "rtp-push"`: an input security group for the flow's egress IP, an RTP_PUSH
    // input behind it, and an rtp-fec flow output onair adds to the input's first endpoint;
    // `rm` removes the output, the input, then the group. Moto has no security groups and
    // replaces a flow's outputs on AddFlowOutputs: two named patches give it AWS's behaviour
    // (tests/moto_patches/sitecustomize.py).
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let dir = TempDir::new("rtp");
    let config_dir = dir.path().join("config/onair");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(config_dir.join("config.toml"), "wiring = \"rtp-push\"\n").expect("config");
    let mut cli = Cli {
        env: onair_env(&moto, TABLE, &flow_arn, dir.path()),
        printed: String::new(),
    };
    let medialive = aws_sdk_medialive::Client::new(&config);
    let mediaconnect = aws_sdk_mediaconnect::Client::new(&config);

    cli.ok(&["init"], &[]);
    cli.ok(
        &[
            "add",
            "--name",
            "Seed YT",
            "--platform",
            "youtube",
            "--preset",
            "1080p30",
        ],
        &[("ONAIR_STREAM_KEY", KEYS[0])],
    );

    let groups = medialive
        .list_input_security_groups()
        .send()
        .await
        .expect("ListInputSecurityGroups");
    let [group] = groups.input_security_groups() else {
        panic!("one group: {groups:?}");
    };
    let cidrs: Vec<&str> = group
        .whitelist_rules()
        .iter()
        .filter_map(|r| r.cidr())
        .collect();
    assert_eq!(cidrs, ["127.0.0.1/32"], "moto's flow egress IP");
    let inputs = medialive.list_inputs().send().await.expect("ListInputs");
    let [input] = inputs.inputs() else {
        panic!("one input: {inputs:?}");
    };
    assert_eq!(input.r#type().map(|t| t.as_str()), Some("RTP_PUSH"));
    assert_eq!(input.security_groups(), [group.id().unwrap_or_default()]);
    let endpoint = input.destinations()[0]
        .url()
        .unwrap_or_default()
        .to_string();

    let flow = mediaconnect
        .describe_flow()
        .flow_arn(&flow_arn)
        .send()
        .await
        .expect("DescribeFlow");
    let outputs = flow.flow().map(|f| f.outputs()).unwrap_or_default();
    let [output] = outputs else {
        panic!("one flow output: {outputs:?}");
    };
    assert_eq!(
        format!(
            "rtp://{}:{}",
            output.destination().unwrap_or_default(),
            output.port().unwrap_or_default()
        ),
        endpoint
    );
    assert_eq!(
        output
            .transport()
            .and_then(|t| t.protocol())
            .map(|p| p.as_str()),
        Some("rtp-fec")
    );
    let listed = cli.list();
    let record = by_name(&listed, "Seed YT");
    assert_eq!(text(&record["status"]), "idle", "{record}");
    assert_eq!(
        text(&record["mediaConnectOutputArn"]),
        output.output_arn().unwrap_or_default()
    );

    cli.ok(&["start", "Seed YT"], &[]);
    assert_eq!(text(&by_name(&cli.list(), "Seed YT")["status"]), "running");
    cli.ok(&["stop", "Seed YT"], &[]);
    cli.ok(&["rm", "--yes", "Seed YT"], &[]);

    assert!(cli.list().is_empty());
    let groups = medialive
        .list_input_security_groups()
        .send()
        .await
        .expect("ListInputSecurityGroups");
    assert!(groups.input_security_groups().is_empty(), "{groups:?}");
    let flow = mediaconnect
        .describe_flow()
        .flow_arn(&flow_arn)
        .send()
        .await
        .expect("DescribeFlow");
    assert!(
        flow.flow()
            .map(|f| f.outputs())
            .unwrap_or_default()
            .is_empty(),
        "{flow:?}"
    );
    let live: Vec<_> = medialive
        .list_inputs()
        .send()
        .await
        .expect("ListInputs")
        .inputs()
        .iter()
        .filter(|i| i.state().map(|s| s.as_str()) != Some("DELETED"))
        .cloned()
        .collect();
    assert!(live.is_empty(), "{live:?}");
    assert!(!cli.printed.contains(KEYS[0]), "{}", cli.printed);
}
