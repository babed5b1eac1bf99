//! Crash recovery over the wire (issue 4): the real binary against moto's server, killed with
//! SIGKILL at the two moments where a crash leaves AWS and the table disagreeing, then a second
//! run of the CLI (`onair reconcile`) converges and `onair gc` finds nothing to clean up.
//!
//! * `onair add` killed inside CreateChannel: the channel exists in MediaLive, the record
//!   (`creating`) doesn't know its id. The record holds the `channelRequestId` it sent; the
//!   resumed add sends it again and AWS answers with the same channel instead of a second one.
//!   Moto ignores RequestId, so tests/moto_patches/sitecustomize.py
//!   (`medialive_request_id_is_idempotent`) does what AWS does; the last test turns that off and
//!   shows the duplicate moto then makes is found and removed by `gc --delete`.
//! * `onair rm` killed between DeleteChannel and DeleteInput: the channel is gone, the input and
//!   its flow output are still billed, the record (`deleting`) still names the input.
//!
//! * `onair add` killed between "channel created" and "alarms created" (alarm_topic_arn set): the
//!   record (`creating`) names its channel, CloudWatch has no alarm; `onair reconcile` resumes
//!   the chain, whose alarm step writes them (PutMetricAlarm is idempotent by name).
//!
//! The kill lands at the right moment because tests/moto_patches/test_hooks.py holds the first
//! request of the named call (`ONAIR_MOTO_SLOW`) and marks it in a file; the test waits for the
//! mark and checks moto's state and the table before it kills. Nothing waits a fixed time.

use crate::common::moto::Moto;
use crate::common::rig::KEYS;
use crate::common::wire::{
    TempDir, create_flow, onair, onair_env, patched_moto, sdk_config, succeeded,
};
use aws_config::SdkConfig;
use onair::cloud::aws::from_sdk_config;
use onair::domain::{Desired, Destination, Status, StreamKey};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

const TABLE: &str = "onair-crash";
const NAME: &str = "YT Main";

struct Show {
    // Dropped in this order: the moto server, then the directory.
    _moto: Moto,
    config: SdkConfig,
    env: Vec<(String, String)>,
    marks: PathBuf,
    /// Everything the binary printed, checked for the stream key at the end.
    printed: String,
    dir: TempDir,
}

impl Show {
    /// Patched moto holding the first request of each of `slow`, its flow, and an initialized
    /// table.
    async fn new(name: &str, slow: &str, extra: &[(&str, String)]) -> Show {
        let dir = TempDir::new(name);
        let marks = dir.path().join("marks");
        std::fs::create_dir_all(&marks).expect("marks dir");
        let mut env = vec![
            ("ONAIR_MOTO_SLOW", slow.to_string()),
            ("ONAIR_MOTO_SLOW_MARKS", marks.display().to_string()),
        ];
        env.extend(extra.iter().cloned());
        let moto = patched_moto(&env);
        let config = sdk_config(&moto);
        let flow_arn = create_flow(&config).await;
        let env = onair_env(&moto, TABLE, &flow_arn, dir.path());
        let mut show = Show {
            _moto: moto,
            config,
            env,
            marks,
            printed: String::new(),
            dir,
        };
        show.ok(&["init"]);
        show
    }

    fn note(&mut self, args: &[&str], out: &Output) {
        self.printed.push_str(&format!(
            "$ onair {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }

    /// Runs a command that must succeed; returns its stdout.
    fn ok(&mut self, args: &[&str]) -> String {
        let out = onair(args, &self.env).output().expect("onair runs");
        self.note(args, &out);
        succeeded(args, &out)
    }

    fn json(&mut self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} prints JSON ({e}): {out}"))
    }

    /// Starts a command in the background (the key by environment, as a script would pass it).
    fn spawn(&self, args: &[&str]) -> Child {
        onair(args, &self.env)
            .env("ONAIR_STREAM_KEY", KEYS[0])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("onair starts")
    }

    /// Waits until moto holds `call` (its mark file exists); fails if the CLI ends first.
    async fn wait_held(&self, call: &str, child: &mut Child) {
        let mark = self.marks.join(call);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !mark.exists() {
            if let Some(status) = child.try_wait().expect("try_wait") {
                panic!("onair ended ({status}) before moto held {call}");
            }
            assert!(Instant::now() < deadline, "moto never held {call}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no destructor, no signal handler, nothing persisted after this instant.
    fn kill(&mut self, mut child: Child, args: &[&str]) {
        child.kill().expect("kill -9");
        let out = child.wait_with_output().expect("reaped");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&out.status),
            Some(9),
            "killed by SIGKILL, not ended on its own"
        );
        self.note(args, &out);
    }

    /// The table as the engine reads it (the real SDK store on moto's DynamoDB).
    async fn records(&self) -> Vec<Destination> {
        from_sdk_config(self.config.clone(), TABLE.to_string())
            .cloud
            .store
            .scan()
            .await
            .expect("Scan")
            .records
    }

    fn medialive(&self) -> aws_sdk_medialive::Client {
        aws_sdk_medialive::Client::new(&self.config)
    }

    /// Channels not DELETED (moto keeps deleted ones listed, as AWS does for a while): id, state.
    async fn channels(&self) -> Vec<(String, String)> {
        let out = self
            .medialive()
            .list_channels()
            .send()
            .await
            .expect("ListChannels");
        out.channels()
            .iter()
            .map(|c| {
                (
                    c.id().unwrap_or_default().to_string(),
                    c.state()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .filter(|(_, state)| state != "DELETED")
            .collect()
    }

    /// Inputs not DELETED: id, state.
    async fn inputs(&self) -> Vec<(String, String)> {
        let out = self
            .medialive()
            .list_inputs()
            .send()
            .await
            .expect("ListInputs");
        out.inputs()
            .iter()
            .map(|i| {
                (
                    i.id().unwrap_or_default().to_string(),
                    i.state()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .filter(|(_, state)| state != "DELETED")
            .collect()
    }

    /// `gc --json` finds nothing: no orphan channel, input or flow output, no drifted record.
    fn assert_no_orphans(&mut self) {
        let gc = self.json(&["gc", "--json"]);
        for kind in ["channels", "inputs", "flowOutputs", "drifted"] {
            assert_eq!(gc[kind], Value::Array(vec![]), "{kind} in {gc:#}");
        }
    }

    /// The records and moto agree: every live channel and input belongs to a record and every
    /// record's channel and input is live, and the flow has one output per input.
    async fn assert_agree(&mut self) {
        let listed = self.json(&["list", "--json"]);
        let listed = listed["destinations"].as_array().expect("an array");
        let mut recorded_channels: Vec<String> = listed
            .iter()
            .filter_map(|r| r["mediaLiveChannelId"].as_str().map(str::to_string))
            .collect();
        let mut recorded_inputs: Vec<String> = listed
            .iter()
            .filter_map(|r| r["mediaLiveInputId"].as_str().map(str::to_string))
            .collect();
        let mut channels: Vec<String> = self.channels().await.into_iter().map(|c| c.0).collect();
        let mut inputs: Vec<String> = self.inputs().await.into_iter().map(|i| i.0).collect();
        for v in [
            &mut recorded_channels,
            &mut recorded_inputs,
            &mut channels,
            &mut inputs,
        ] {
            v.sort();
        }
        assert_eq!(channels, recorded_channels, "channels in moto vs records");
        assert_eq!(inputs, recorded_inputs, "inputs in moto vs records");
        let flow = self.json(&["flow", "--json"]);
        assert_eq!(
            flow["outputs"].as_array().map(Vec::len),
            Some(inputs.len()),
            "one flow output per input: {flow:#}"
        );
    }

    /// Nothing the binary printed holds the stream key, nor does its log file.
    fn assert_no_key(&self) {
        let dir = self.dir.path();
        let mut texts = vec![("output".to_string(), self.printed.clone())];
        if let Ok(entries) = std::fs::read_dir(dir.join("state/onair")) {
            for entry in entries.flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                texts.push((entry.path().display().to_string(), text));
            }
        }
        for (source, text) in texts {
            assert!(!text.contains(KEYS[0]), "the stream key is in {source}");
        }
    }
}

const ADD: &[&str] = &["add", "--name", NAME, "--platform", "youtube"];
const RM: &[&str] = &["rm", "--yes", NAME];

#[tokio::test]
async fn add_killed_inside_create_channel_is_finished_by_reconcile_without_a_second_channel() {
    let mut show = Show::new("crash-add", "CreateChannel", &[]).await;
    let mut child = show.spawn(ADD);
    show.wait_held("CreateChannel", &mut child).await;

    // The crash point: MediaLive has the channel, the record doesn't know it.
    let channels = show.channels().await;
    assert_eq!(channels.len(), 1, "{channels:?}");
    let records = show.records().await;
    assert_eq!(records.len(), 1, "{records:?}");
    let before = &records[0];
    assert_eq!(before.status, Status::Creating);
    assert_eq!(before.media_live_channel_id, None, "{before:?}");
    assert!(before.media_live_input_id.is_some(), "{before:?}");
    assert!(
        before.channel_request_id.is_some(),
        "persisted before the call"
    );
    show.kill(child, ADD);

    // The second run: reconcile finishes the add with the same RequestId.
    let out = show.ok(&["reconcile"]);
    assert!(out.contains("add done, now idle"), "{out}");
    let records = show.records().await;
    assert_eq!(records.len(), 1, "{records:?}");
    let after = &records[0];
    assert_eq!(after.status, Status::Idle, "{after:?}");
    assert_eq!(after.desired, Desired::Idle);
    assert_eq!(
        after.media_live_channel_id.as_deref(),
        Some(channels[0].0.as_str()),
        "the channel made before the crash, not a second one"
    );
    assert_eq!(after.media_live_input_id, before.media_live_input_id);
    assert!(after.media_connect_output_arn.is_some(), "{after:?}");
    assert_eq!(
        after.stream_key.clear().map(StreamKey::expose),
        Some(KEYS[0])
    );
    assert_eq!(show.channels().await.len(), 1);
    assert_eq!(show.inputs().await.len(), 1);
    show.assert_agree().await;
    show.assert_no_orphans();

    // And the destination works: it starts on the recovered chain.
    let out = show.ok(&["start", NAME]);
    assert!(out.contains("is running"), "{out}");
    show.assert_agree().await;
    show.assert_no_key();
}

#[tokio::test]
async fn rm_killed_between_delete_channel_and_delete_input_is_finished_by_reconcile() {
    let mut show = Show::new("crash-rm", "DeleteInput", &[]).await;
    let out = onair(ADD, &show.env)
        .env("ONAIR_STREAM_KEY", KEYS[0])
        .output()
        .expect("onair runs");
    show.note(ADD, &out);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let added = show.records().await.remove(0);
    let input_id = added.media_live_input_id.clone().expect("an input");
    let flow = show.json(&["flow", "--json"]);
    assert_eq!(flow["outputs"].as_array().map(Vec::len), Some(1));

    let mut child = show.spawn(RM);
    show.wait_held("DeleteInput", &mut child).await;

    // The crash point: the channel is deleted, the input (and its flow output) is not, and the
    // record says so.
    assert!(show.channels().await.is_empty(), "the channel is gone");
    assert_eq!(show.inputs().await.len(), 1);
    let records = show.records().await;
    assert_eq!(records.len(), 1, "{records:?}");
    let before = &records[0];
    assert_eq!(before.status, Status::Deleting);
    assert_eq!(before.desired, Desired::Absent);
    assert_eq!(before.media_live_channel_id, None, "{before:?}");
    assert_eq!(
        before.media_live_input_id.as_deref(),
        Some(input_id.as_str())
    );
    show.kill(child, RM);

    // gc sees the half-deleted destination as busy, not as drift, while its record says
    // `deleting`; reconcile finishes the delete.
    let out = show.ok(&["reconcile"]);
    assert!(out.contains("delete done, record removed"), "{out}");
    assert!(show.records().await.is_empty());
    assert!(show.channels().await.is_empty());
    assert!(show.inputs().await.is_empty(), "{:?}", show.inputs().await);
    let listed = show.json(&["list", "--json"]);
    assert_eq!(listed["destinations"], Value::Array(vec![]));
    assert_eq!(listed["unreadable"], Value::Array(vec![]));
    show.assert_agree().await;
    show.assert_no_orphans();
    show.assert_no_key();
}

#[tokio::test]
async fn without_request_id_idempotency_the_duplicate_channel_is_an_orphan_gc_removes() {
    // Moto's own behaviour, RequestId ignored: what AWS would do if onair sent a fresh RequestId
    // on resume. The record takes the second channel; the first, tagged with the destination's
    // id, belongs to no record once the add is done, and gc finds and removes it.
    let mut show = Show::new(
        "crash-dup",
        "CreateChannel",
        &[("ONAIR_MOTO_IGNORE_REQUEST_ID", "1".to_string())],
    )
    .await;
    let mut child = show.spawn(ADD);
    show.wait_held("CreateChannel", &mut child).await;
    let first = show.channels().await;
    assert_eq!(first.len(), 1, "{first:?}");
    show.kill(child, ADD);

    show.ok(&["reconcile"]);
    let channels = show.channels().await;
    assert_eq!(
        channels.len(),
        2,
        "moto made a second channel: {channels:?}"
    );
    let record = show.records().await.remove(0);
    let owned = record.media_live_channel_id.clone().expect("a channel");
    assert_ne!(owned, first[0].0, "the record owns the second channel");

    let gc = show.json(&["gc", "--json"]);
    let orphans: Vec<&str> = gc["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(orphans, [first[0].0.as_str()], "{gc:#}");
    let out = show.ok(&["gc", "--delete"]);
    assert!(
        out.contains(&format!("removed channel {}", first[0].0)),
        "{out}"
    );
    assert_eq!(show.channels().await, [(owned, "IDLE".to_string())]);
    show.assert_agree().await;
    show.assert_no_orphans();
    show.assert_no_key();
}

#[tokio::test]
async fn add_killed_between_channel_created_and_alarms_created_is_finished_by_reconcile() {
    let mut show = Show::new("crash-alarms", "PutMetricAlarm", &[]).await;
    let topic = aws_sdk_sns::Client::new(&show.config)
        .create_topic()
        .name("onair-alarms")
        .send()
        .await
        .expect("CreateTopic")
        .topic_arn()
        .expect("a topic ARN")
        .to_string();
    let file = show.dir.path().join("config/onair/config.toml");
    std::fs::create_dir_all(file.parent().expect("a parent")).expect("config dir");
    std::fs::write(&file, format!("alarm_topic_arn = \"{topic}\"\n")).expect("config");
    let mut child = show.spawn(ADD);
    show.wait_held("PutMetricAlarm", &mut child).await;

    // The crash point: the channel exists and the record names it; no alarm exists yet.
    let cw = aws_sdk_cloudwatch::Client::new(&show.config);
    let alarm_names =
        |out: aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput| {
            out.metric_alarms()
                .iter()
                .filter_map(|a| a.alarm_name().map(str::to_string))
                .collect::<Vec<_>>()
        };
    let before = show.records().await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0].status, Status::Creating);
    assert!(before[0].media_live_channel_id.is_some(), "{:?}", before[0]);
    let none = alarm_names(cw.describe_alarms().send().await.expect("DescribeAlarms"));
    assert!(none.is_empty(), "{none:?}");
    show.kill(child, ADD);

    let out = show.ok(&["reconcile"]);
    assert!(out.contains("add done, now idle"), "{out}");
    let after = show.records().await;
    assert_eq!(after[0].status, Status::Idle, "{:?}", after[0]);
    assert_eq!(
        after[0].media_live_channel_id,
        before[0].media_live_channel_id
    );
    let names = alarm_names(
        cw.describe_alarms()
            .alarm_name_prefix("onair-")
            .send()
            .await
            .expect("DescribeAlarms"),
    );
    let short = &after[0].destination_id.to_string()[..8];
    let ours: Vec<&String> = names.iter().filter(|n| n.contains(short)).collect();
    assert_eq!(ours.len(), 3, "{names:?}");
    assert!(
        names.iter().any(|n| n.ends_with("-source-lost")),
        "reconcile writes the flow's alarm: {names:?}"
    );
    assert_eq!(show.channels().await.len(), 1);
    show.assert_agree().await;
    show.assert_no_orphans();
    let gc = show.json(&["gc", "--json"]);
    assert_eq!(gc["alarms"], Value::Array(vec![]), "{gc:#}");
    show.assert_no_key();
}
