//! No stream key in anything onair or its tests write (issue 4): the suites' outputs are run past
//! a scan for every test stream key.
//!
//! The keys are found by convention, not listed again here: every string literal in tests/ that
//! is a dash-separated token with a `KEY` or `SECRET` part ("live-KEY-aaaa-1111",
//! "e2e-SECRET-key-9876"), plus every `KEY_PART` constant (the demo's sample keys are
//! "demo-N-xxxx-yyyy-zzzz"). A new test key written that way is scanned for without touching
//! this file; `the_convention_finds_the_suites_keys` fails if the convention stops finding the
//! keys the suites use.
//!
//! Scanned: the insta snapshots; a whole CLI show against moto with `--log-level trace` (every
//! file under its XDG_STATE_HOME, and every command's stdout and stderr, JSON and text);
//! failures with a key in play (MediaLive's 409 quoting the destination, a lost race on the
//! table, an unreachable endpoint); and `Debug`, `Display` and JSON of records, drafts and every
//! engine event of a lifecycle on the simulator.

use crate::common::rig::{self, KEYS, Rig};
use crate::common::wire::{TempDir, create_flow, onair, onair_env, patched_moto, sdk_config};
use onair::domain::{Destination, Platform, StreamKey};
use onair::engine::EngineEvent;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

const TABLE: &str = "onair-secrets";
/// This file's own key, for the commands that take one by flag.
const FLAG_KEY: &str = "scan-SECRET-flag-4242";

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// String literals on a line: the text between pairs of double quotes.
fn literals(line: &str) -> impl Iterator<Item = &str> {
    line.split('"').skip(1).step_by(2)
}

/// A test stream key by convention: one token (no spaces), dash-separated, with a `KEY` or
/// `SECRET` part.
fn looks_like_a_key(literal: &str) -> bool {
    let parts: Vec<&str> = literal.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts.iter().any(|p| *p == "KEY" || *p == "SECRET")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every test stream key in tests/, by the convention above.
fn test_keys() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&tests_dir(), &mut files);
    let mut keys: Vec<String> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("a test source");
        for line in text.lines() {
            let key_part = line.trim_start().starts_with("const KEY_PART");
            for literal in literals(line) {
                if (key_part || looks_like_a_key(literal)) && !keys.iter().any(|k| k == literal) {
                    keys.push(literal.to_string());
                }
            }
        }
    }
    keys.sort();
    keys
}

/// Fails naming each key found in a text, where, and what came just before it.
fn assert_clean(keys: &[String], texts: &[(String, String)]) {
    let mut leaks = Vec::new();
    for (source, text) in texts {
        for key in keys {
            if let Some(at) = text.find(key.as_str()) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(120)
                    .map_or(0, |(i, _)| i);
                leaks.push(format!("{key} in {source}, after …{}", &text[from..at]));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "stream keys leaked:\n{}",
        leaks.join("\n")
    );
}

/// Every file under `dir`, as text (lossy: a binary file is scanned too).
fn files_under(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

#[test]
fn the_convention_finds_the_suites_keys() {
    let keys = test_keys();
    for key in KEYS {
        assert!(keys.iter().any(|k| k == key), "{key} (rig) in {keys:?}");
    }
    for key in [
        "e2e-SECRET-key-9876",      // tests/e2e_demo_tmux.rs
        "xxxx-yyyy",                // tests/e2e_room_tmux.rs, part of the demo's keys
        "live-KEY-shape-9f3a-7c21", // tests/aws_request_shape.rs
        "yt-main-SECRET-4f9a-22c1", // tests/tui_snapshots.rs
        "typed-SECRET-key-9999",    // tests/tui_snapshots.rs
        FLAG_KEY,
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
    }
    // And not the AWS credentials' variable names or other prose.
    assert!(!keys.iter().any(|k| k.contains('_') || k.contains(' ')));
    assert!(keys.len() >= 12, "{keys:?}");
}

#[test]
fn no_snapshot_holds_a_stream_key() {
    let keys = test_keys();
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(tests_dir().join("tui/snapshots"))
        .expect("tests/snapshots")
        .flatten()
    {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "snap") {
            let text = std::fs::read_to_string(&path).expect("a snapshot");
            texts.push((path.display().to_string(), text));
        }
    }
    assert!(
        texts.len() >= 20,
        "the snapshots are there: {}",
        texts.len()
    );
    assert_clean(&keys, &texts);
}

#[tokio::test(start_paused = true)]
async fn debug_display_and_json_of_records_drafts_and_engine_events_mask_the_key() {
    let keys = test_keys();
    let mut texts = Vec::new();
    let mut record = Destination::new(
        "Main".into(),
        Platform::Youtube,
        "rtmp://a.rtmp.youtube.com/live2".into(),
        StreamKey::new(KEYS[0]),
        "1080p30".into(),
        rig::start(),
    );
    record.last_error = Some("CreateChannel failed".into());
    texts.push(("record {:?}".into(), format!("{record:?}")));
    texts.push(("record {:#?}".into(), format!("{record:#?}")));
    texts.push((
        "record JSON".into(),
        serde_json::to_string(&record).expect("JSON"),
    ));
    texts.push(("key {}".into(), format!("{}", record.stream_key)));
    texts.push(("key {:?}".into(), format!("{:?}", record.stream_key)));
    texts.push((
        "draft {:#?}".into(),
        format!("{:#?}", rig::draft("Main", "youtube", 1)),
    ));
    texts.push((
        "event {:?}".into(),
        format!("{:?}", EngineEvent::Upserted(record.clone())),
    ));

    // A whole lifecycle on the simulator, every event the engine emitted.
    let mut rig = Rig::new();
    let id = rig.add("Main").await;
    let other = rig
        .engine
        .add(rig::draft("Backup", "twitch", 2))
        .expect("add");
    rig.engine.settle().await;
    rig.engine.start(id).expect("start");
    rig.engine.settle().await;
    rig.engine.refresh().await;
    rig.engine.stop(id).expect("stop");
    rig.engine.settle().await;
    rig.engine.delete(id).expect("delete");
    rig.engine.delete(other).expect("delete");
    rig.engine.settle().await;
    let events = rig.drain();
    assert!(events.len() > 20, "{} events", events.len());
    for (i, event) in events.iter().enumerate() {
        texts.push((format!("event {i} {{:?}}"), format!("{event:?}")));
        texts.push((format!("event {i} {{:#?}}"), format!("{event:#?}")));
    }
    assert_clean(&keys, &texts);
}

#[tokio::test(start_paused = true)]
async fn a_lifecycle_with_keys_sealed_by_kms_and_kms_failures_leaks_no_key() {
    let keys = test_keys();
    let mut rig = Rig::with(onair::sim::SimConfig::unlimited(), |c| {
        c.stream_key_kms_key = Some(onair::sim::Simulator::KMS_KEY_ALIAS.to_string())
    });
    let id = rig.add("Main").await;
    rig.sim
        .fail_next("Encrypt", onair::cloud::ErrorKind::AccessDenied);
    let refused = rig
        .engine
        .add(rig::draft("Backup", "twitch", 2))
        .expect("add");
    rig.engine.settle().await;
    assert!(rig.engine.record(refused).is_none());
    rig.engine.start(id).expect("start");
    rig.engine.settle().await;
    rig.engine.stop(id).expect("stop");
    rig.engine.settle().await;
    // An edit whose Decrypt fails: the error row and its log lines hold no key.
    rig.sim.set_kms_key_enabled(false);
    let mut draft = rig::draft("Main", "youtube", 1);
    draft.preset = "720p30".into();
    rig.engine.edit(id, draft, false).expect("edit");
    rig.engine.settle().await;
    rig.sim.set_kms_key_enabled(true);
    let record = rig.engine.record(id).expect("kept");
    assert!(record.last_error.is_some());
    rig.engine.delete(id).expect("delete");
    rig.engine.settle().await;

    let mut texts = vec![
        ("sealed record {:#?}".to_string(), format!("{record:#?}")),
        (
            "sealed record JSON".to_string(),
            serde_json::to_string(&record).expect("JSON"),
        ),
        (
            "sealed item {:?}".to_string(),
            format!("{:?}", onair::cloud::aws::to_item(&record)),
        ),
    ];
    for (i, event) in rig.drain().iter().enumerate() {
        texts.push((format!("event {i} {{:#?}}"), format!("{event:#?}")));
    }
    assert_clean(&keys, &texts);
}

/// The real binary with `--log-level trace`, everything it prints kept for the scan.
struct Cli {
    env: Vec<(String, String)>,
    printed: Vec<(String, String)>,
}

impl Cli {
    fn run(&mut self, args: &[&str], set: &[(&str, &str)]) -> Output {
        let mut all = vec!["--log-level", "trace"];
        all.extend_from_slice(args);
        let mut command = onair(&all, &self.env);
        command.envs(set.iter().copied());
        let out = command.output().expect("onair runs");
        self.keep(args, &out);
        out
    }

    fn keep(&mut self, args: &[&str], out: &Output) {
        // The command line may hold a key (`--key`): only what the binary wrote counts.
        let shown: Vec<&str> = args
            .iter()
            .map(|a| if *a == FLAG_KEY { "…" } else { a })
            .collect();
        let name = format!("onair {}", shown.join(" "));
        self.printed.push((
            format!("stdout of {name}"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
        self.printed.push((
            format!("stderr of {name}"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }

    fn ok(&mut self, args: &[&str], set: &[(&str, &str)]) -> String {
        let out = self.run(args, set);
        assert!(out.status.success(), "onair {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A command that must fail with exit 1 (AWS failed); returns its stderr.
    fn fails(&mut self, args: &[&str], set: &[(&str, &str)]) -> String {
        let out = self.run(args, set);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "onair {args:?}: {stderr}");
        stderr
    }
}

#[tokio::test]
async fn a_cli_show_with_trace_logging_and_failures_writes_no_stream_key() {
    let keys = test_keys();
    let dir = TempDir::new("secrets");
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let mut cli = Cli {
        env: onair_env(&moto, TABLE, &flow_arn, dir.path()),
        printed: Vec::new(),
    };

    cli.ok(&["init"], &[]);
    cli.ok(
        &["add", "--name", "Main", "--platform", "youtube", "--json"],
        &[("ONAIR_STREAM_KEY", KEYS[0])],
    );
    cli.ok(
        &[
            "add",
            "--name",
            "Backup",
            "--platform",
            "custom",
            "--url",
            "rtmps://live.example.com:443/app",
            "--key",
            FLAG_KEY,
            "--start",
        ],
        &[],
    );
    let listed = cli.ok(&["list", "--json"], &[]);
    assert!(
        listed.contains("Backup"),
        "the scan sees the records: {listed}"
    );
    cli.ok(&["list"], &[]);
    cli.ok(&["start", "Main"], &[]);
    cli.ok(&["stop", "Main"], &[]);
    cli.ok(&["flow", "--json"], &[]);
    cli.ok(&["flow"], &[]);
    cli.ok(&["gc", "--json"], &[]);
    cli.ok(&["gc"], &[]);
    cli.ok(&["reconcile"], &[]);

    // A lost race on the table: two starts at once, one loses the conditional write (or is
    // refused, if it read the record after the winner's first write).
    let spawn = || {
        onair(&["--log-level", "trace", "start", "Main"], &cli.env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("onair starts")
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let out = child.wait_with_output().expect("ends");
        cli.keep(&["start", "Main", "(racing)"], &out);
    }
    cli.ok(&["stop", "Main"], &[]);

    // An unreachable endpoint, with the key in the environment of the command that fails.
    let unreachable = {
        // A loopback port nothing listens on.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let err = cli.fails(
        &["add", "--name", "Lost", "--platform", "youtube"],
        &[
            ("ONAIR_STREAM_KEY", KEYS[1]),
            ("AWS_ENDPOINT_URL", &unreachable),
        ],
    );
    assert!(err.contains("Scan"), "{err}");

    cli.ok(&["rm", "--yes", "Main", "Backup"], &[]);

    // MediaLive answers CreateChannel with a 409 that quotes the destination, stream name and
    // all (tests/moto_patches/test_hooks.py, ONAIR_MOTO_CONFLICT): the error the CLI prints, the
    // record's lastError and the log file must carry the masked key only.
    let conflicting = patched_moto(&[("ONAIR_MOTO_CONFLICT", "CreateChannel".to_string())]);
    let conflict_flow = create_flow(&sdk_config(&conflicting)).await;
    let mut env = onair_env(&conflicting, TABLE, &conflict_flow, dir.path());
    std::mem::swap(&mut cli.env, &mut env);
    cli.ok(&["init"], &[]);
    let err = cli.fails(
        &["add", "--name", "Clash", "--platform", "youtube"],
        &[("ONAIR_STREAM_KEY", KEYS[2])],
    );
    assert!(
        err.contains("ConflictException") && err.contains("already in use"),
        "the 409 is reported: {err}"
    );
    let listed = cli.ok(&["list", "--json"], &[]);
    assert!(listed.contains("ConflictException"), "{listed}");
    cli.ok(&["rm", "--yes", "Clash"], &[]);

    // Scan: every command's output, and every file the binary wrote under XDG_STATE_HOME.
    let mut texts = cli.printed.clone();
    let before = texts.len();
    files_under(&dir.path().join("state"), &mut texts);
    assert!(texts.len() > before, "the binary wrote a log file");
    let log: String = texts[before..].iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        log.contains("TRACE") && log.contains("CreateChannel"),
        "the log has the trace-level lines of the whole show"
    );
    assert_clean(&keys, &texts);
}

/// The API (issue 14): a destination added through `onair serve` with a recognisable key, then
/// every read route, the event stream, an edit with a new key, a refused add and a bulk start,
/// with trace logging: no answer, no event and no log line holds either key.
#[test]
fn the_api_answers_streams_and_logs_no_stream_key() {
    use crate::common::serve::{Server, curl, wait_for};
    const API_KEY: &str = "serve-SECRET-key-5d2b";
    const NEW_KEY: &str = "serve-SECRET-edit-77c3";
    // Nothing under way, idle (or parked already: the demo's park_after is sped up too).
    let settled = |d: &serde_json::Value| {
        (d["status"] == "idle" || d["status"] == "parked") && d["operation"].is_null()
    };
    let keys = test_keys();
    assert!(keys.iter().any(|k| k == API_KEY) && keys.iter().any(|k| k == NEW_KEY));
    let server = Server::demo("secrets", &["--speed", "0.01", "--log-level", "trace"], &[]);
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut keep = |what: &str, out: std::process::Output| {
        texts.push((
            format!("{what} (stdout)"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
        texts.push((
            format!("{what} (stderr)"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    };
    // The event stream, read while everything below happens.
    let events_thread = {
        let url = server.url("/api/events");
        std::thread::spawn(move || {
            std::process::Command::new("curl")
                .args(["-sS", "-N", "--max-time", "6", &url])
                .output()
        })
    };
    let body = format!(
        r#"{{"name": "Scan Test", "platform": "custom", "rtmp_url": "rtmp://live.restream.io/live", "stream_key": "{API_KEY}", "preset": "1080p30"}}"#
    );
    let added = curl(&[
        "-X",
        "POST",
        &server.url("/api/destinations"),
        "-H",
        "Content-Type: application/json",
        "-d",
        &body,
    ]);
    let record: serde_json::Value = serde_json::from_slice(&added.stdout).expect("JSON");
    keep("add", added);
    let id = record["destinationId"].as_str().expect("id").to_string();
    wait_for(&server, &format!("/api/destinations/{id}"), 300, settled);
    // A refused add quoting the key back would leak it in an error.
    let refused = format!(
        r#"{{"name": "Scan Test", "platform": "custom", "rtmp_url": "ftp://x", "stream_key": "{API_KEY}"}}"#
    );
    keep(
        "refused add",
        curl(&[
            "-X",
            "POST",
            &server.url("/api/destinations"),
            "-H",
            "Content-Type: application/json",
            "-d",
            &refused,
        ]),
    );
    let edit = format!(r#"{{"stream_key": "{NEW_KEY}"}}"#);
    keep(
        "edit",
        curl(&[
            "-X",
            "PUT",
            &server.url(&format!("/api/destinations/{id}")),
            "-H",
            "Content-Type: application/json",
            "-d",
            &edit,
        ]),
    );
    wait_for(&server, &format!("/api/destinations/{id}"), 300, settled);
    let bulk = curl(&[
        "-X",
        "POST",
        &server.url("/api/destinations/start"),
        "-H",
        "Content-Type: application/json",
        "-d",
        &format!(r#"{{"ids": ["{id}"]}}"#),
    ]);
    let answer = String::from_utf8_lossy(&bulk.stdout).into_owned();
    assert!(answer.contains("\"accepted\":true"), "{answer}");
    keep("bulk start", bulk);
    wait_for(&server, &format!("/api/destinations/{id}"), 300, |d| {
        d["status"] == "running"
    });
    for path in [
        "/api/destinations".to_string(),
        format!("/api/destinations/{id}"),
        format!("/api/destinations/{id}/metrics"),
        "/api/mediaconnect/flow/status".to_string(),
        "/api/openapi.json".to_string(),
        "/".to_string(),
    ] {
        keep(&format!("GET {path}"), curl(&["-i", &server.url(&path)]));
    }
    let streamed = events_thread
        .join()
        .expect("the events thread")
        .expect("curl runs");
    let stream_text = String::from_utf8_lossy(&streamed.stdout).into_owned();
    assert!(
        stream_text.contains("event: destination") && stream_text.contains("Scan Test"),
        "the stream saw nothing: {stream_text}"
    );
    texts.push(("GET /api/events".into(), stream_text));
    let state = server.state.clone();
    let (status, stdout, stderr) = server.stop();
    let mut logs = Vec::new();
    files_under(&state, &mut logs);
    assert!(status.success(), "{stderr}");
    texts.push(("server stdout".into(), stdout));
    texts.push(("server stderr".into(), stderr));
    assert!(
        logs.iter()
            .any(|(_, text)| text.contains("/api/destinations")),
        "no access log in {logs:?}"
    );
    texts.extend(logs);
    assert_clean(&keys, &texts);
}
