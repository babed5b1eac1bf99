//! Bad input (issue 4, BRIEF §6): every case gets a clear message naming the field, or the
//! file, line and key, and the rule; the command line exits 2; and nothing is created.
//!
//! The real binary runs with a clean environment (only PATH, and HOME / XDG directories in a
//! throwaway directory), so a developer's own AWS profile or onair config can't leak in. Cases
//! that must be refused before any AWS call point `AWS_ENDPOINT_URL` at a tripwire — a loopback
//! listener that counts connections — and assert it saw none, which proves nothing was created
//! anywhere. Cases that have to read AWS first (resolving target names, `add` through the whole
//! path) run against a private moto server, and afterwards DynamoDB, MediaLive's inputs and
//! its channels are checked to be exactly as before.

use crate::common::moto::Moto;
use crate::common::wire::TempDir;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use onair::cloud::aws::{from_sdk_config, init_table, to_item};
use onair::domain::presets::BUILTIN_PRESETS;
use onair::domain::validate::Field;
use onair::domain::{Catalog, Destination, Platform, Status, StreamKey};
use onair::tui::action::{Effect, handle_key};
use onair::tui::state::{AppState, Mode};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The stream key every case passes; it must never appear in what onair prints.
const KEY: &str = "live-SECRET-zq9x-7781";
const TABLE: &str = "onair-destinations";
const FLOW_ARN: &str = "arn:aws:mediaconnect:us-east-1:123456789012:flow:1-abcd:show-flow";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/MediaLiveAccessRole";
/// Longer than any refusal should take; a case that hits it failed (it probably reached AWS).
const TIMEOUT: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------------------------------------
// Running the binary

/// A loopback listener standing in for AWS: it accepts and drops every connection and counts
/// them. Zero connections after a case means onair made no AWS call at all.
struct Tripwire {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl Tripwire {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counter.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Tripwire { url, hits }
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// What one run of the binary did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Ran {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// The environment a case starts from: AWS pointed at `endpoint` with dummy credentials, a
/// complete and valid onair configuration in the environment, and private HOME / XDG dirs.
fn base_env(dir: &Path, endpoint: &str) -> Vec<(String, String)> {
    let d = dir.display();
    [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", format!("{d}/home")),
        ("XDG_CONFIG_HOME", format!("{d}/config")),
        ("XDG_STATE_HOME", format!("{d}/state")),
        ("AWS_CONFIG_FILE", format!("{d}/home/aws-config")),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            format!("{d}/home/aws-credentials"),
        ),
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("ONAIR_TABLE", TABLE.into()),
        ("ONAIR_FLOW_ARN", FLOW_ARN.into()),
        ("ONAIR_MEDIALIVE_ROLE_ARN", ROLE_ARN.into()),
        ("ONAIR_STREAM_KEY", KEY.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Runs `onair args` with exactly `env`, stdin closed, from `/` (so no relative path resolves
/// by accident against the crate), and kills it after `TIMEOUT`.
fn run(dir: &Path, args: &[&str], env: &[(String, String)]) -> Ran {
    let out = dir.join(format!("out-{}", std::process::id()));
    let err = dir.join(format!("err-{}", std::process::id()));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_onair"))
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("stdout file"))
        .stderr(std::fs::File::create(&err).expect("stderr file"))
        .spawn()
        .expect("onair starts");
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into();
    Ran {
        code,
        stdout: read(&out),
        stderr: read(&err),
        elapsed: started.elapsed(),
    }
}

/// `template` with `{dir}` replaced by the case's directory.
fn at(dir: &Path, template: &str) -> String {
    template.replace("{dir}", &dir.display().to_string())
}

/// One refusal: the files it needs, the arguments, environment changes, and the words the
/// message must contain.
#[derive(Default)]
struct Case<'a> {
    /// (name in the case's directory, content).
    files: &'a [(&'a str, &'a str)],
    /// Directories to create in the case's directory.
    dirs: &'a [&'a str],
    args: &'a [&'a str],
    set: &'a [(&'a str, &'a str)],
    unset: &'a [&'a str],
    /// Every one must appear in stderr (after `{dir}` substitution).
    expect: &'a [&'a str],
}

/// Runs a case that must be refused before any AWS call: exit 2, the expected words on stderr,
/// no stream key anywhere, and not one connection to the tripwire standing in for AWS.
/// Returns a description of what went wrong, so rows can be collected.
fn check_refused_offline(name: &str, case: &Case) -> Result<(), String> {
    let dir = TempDir::new(&format!("bad-{name}"));
    let tripwire = Tripwire::new();
    for sub in case.dirs {
        std::fs::create_dir_all(dir.path().join(sub)).expect("case dir");
    }
    for (file, text) in case.files {
        std::fs::write(dir.path().join(file), at(dir.path(), text)).expect("case file");
    }
    let mut env = base_env(dir.path(), &tripwire.url);
    env.retain(|(k, _)| !case.unset.contains(&k.as_str()));
    for (k, v) in case.set {
        env.retain(|(have, _)| have != k);
        env.push((k.to_string(), at(dir.path(), v)));
    }
    let args: Vec<String> = case.args.iter().map(|a| at(dir.path(), a)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = run(dir.path(), &args, &env);
    let mut problems = Vec::new();
    if ran.code != Some(2) {
        problems.push(format!("exit {:?}, not 2", ran.code));
    }
    for needle in case.expect {
        let needle = at(dir.path(), needle);
        if !ran.stderr.contains(&needle) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    if ran.all().contains(KEY) || ran.all().contains("zq9x") {
        problems.push("the stream key was printed".into());
    }
    if tripwire.hits() > 0 {
        problems.push(format!(
            "{} connection(s) to AWS before refusing",
            tripwire.hits()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name}: {} (onair {args:?} → stdout {:?} stderr {:?})",
            problems.join("; "),
            ran.stdout,
            ran.stderr
        ))
    }
}

fn refused_offline(name: &str, case: Case) {
    if let Err(e) = check_refused_offline(name, &case) {
        panic!("{e}");
    }
}

/// A valid `add`: with a bad configuration around it, it must still change nothing.
const ADD_OK: &[&str] = &["add", "--name", "Main", "--platform", "youtube"];

// ---------------------------------------------------------------------------------------------
// The command line itself

#[test]
fn cli_unknown_subcommand() {
    refused_offline(
        "unknown-subcommand",
        Case {
            args: &["frobnicate"],
            expect: &["unrecognized subcommand 'frobnicate'"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_unknown_flag() {
    refused_offline(
        "unknown-flag",
        Case {
            args: &["list", "--jsn"],
            expect: &["unexpected argument '--jsn'"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_add_without_platform() {
    refused_offline(
        "add-no-platform",
        Case {
            args: &["add", "--name", "Main"],
            expect: &["--platform"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_add_without_any_key() {
    refused_offline(
        "add-no-key",
        Case {
            args: ADD_OK,
            unset: &["ONAIR_STREAM_KEY"],
            expect: &["--key"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_demo_speed_zero() {
    refused_offline(
        "demo-speed-0",
        Case {
            args: &["demo", "--speed", "0"],
            expect: &["--speed", "0.001 to 10"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_demo_speed_not_a_number() {
    refused_offline(
        "demo-speed-nan",
        Case {
            args: &["demo", "--speed", "NaN"],
            expect: &["--speed", "0.001 to 10"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_demo_speed_garbage() {
    refused_offline(
        "demo-speed-fast",
        Case {
            args: &["demo", "--speed", "fast"],
            expect: &["'fast'", "--speed"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_log_level_unknown_word() {
    // tracing would take "loud" for a target name and log nothing at all.
    refused_offline(
        "log-level-word",
        Case {
            args: &["--log-level", "loud", "list"],
            expect: &["--log-level", "\"loud\" is not a level", "onair=debug"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_log_level_bad_directive() {
    refused_offline(
        "log-level-directive",
        Case {
            args: &["--log-level", "onair=shouty", "list"],
            expect: &["--log-level", "\"shouty\" is not a level"],
            ..Case::default()
        },
    );
}

#[test]
fn cli_theme_unknown_name() {
    refused_offline(
        "theme-name",
        Case {
            args: &["demo", "--theme", "neon"],
            expect: &["theme \"neon\"", "default"],
            ..Case::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Theme files (`--theme path.toml`): file, line, key and rule; the parser never panics

/// The built-in theme with one line replaced.
fn theme_with(from: &str, to: &str) -> String {
    let text = onair::tui::theme::BUILTIN_THEME;
    assert!(text.contains(from), "themes/default.toml has {from:?}");
    text.replacen(from, to, 1)
}

/// The 1-based line of `needle` in `text`.
fn line_in(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} in the text"))
}

fn theme_case(name: &str, text: &str, expect: &[&str]) {
    refused_offline(
        name,
        Case {
            files: &[("theme.toml", text)],
            args: &["demo", "--theme", "{dir}/theme.toml"],
            expect,
            ..Case::default()
        },
    );
}

#[test]
fn theme_bad_colour_name() {
    let text = theme_with("running = \"green\"", "running = \"chartreuse-ish\"");
    let at = format!(
        "theme.toml:{}: colors.running",
        line_in(&text, "chartreuse")
    );
    theme_case("theme-colour", &text, &[&at, "not a colour"]);
}

#[test]
fn theme_short_hex() {
    let text = theme_with("running = \"green\"", "running = \"#ff\"");
    let at = format!("theme.toml:{}: colors.running", line_in(&text, "#ff\""));
    theme_case("theme-short-hex", &text, &[&at, "#rrggbb"]);
}

#[test]
fn theme_unknown_key() {
    let text = theme_with(
        "running = \"green\"",
        "running = \"green\"\nrunnin = \"red\"",
    );
    let line = format!("theme.toml:{}:", line_in(&text, "runnin ="));
    theme_case("theme-unknown-key", &text, &[&line, "runnin"]);
}

#[test]
fn theme_wrong_type() {
    let text = theme_with("running = \"green\"", "running = 3");
    let line = format!("theme.toml:{}:", line_in(&text, "running = 3"));
    theme_case(
        "theme-type",
        &text,
        &[&line, "colors.running: invalid type", "string"],
    );
}

#[test]
fn theme_syntax_error() {
    theme_case(
        "theme-syntax",
        "[colors]\ntext = \"red\"\ndim = = \"x\"\n",
        &["theme.toml:3"],
    );
}

#[test]
fn theme_missing_key() {
    let text = theme_with("running = \"green\"\n", "");
    theme_case("theme-missing", &text, &["theme.toml", "running"]);
}

#[test]
fn theme_file_that_does_not_exist() {
    refused_offline(
        "theme-dangling",
        Case {
            args: &["demo", "--theme", "{dir}/nope.toml"],
            expect: &["{dir}/nope.toml: cannot read"],
            ..Case::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Config files: the key, the file and line, the rule; where to set a missing value

fn config_case(name: &str, config: &str, args: &[&str], expect: &[&str]) {
    refused_offline(
        name,
        Case {
            files: &[("config.toml", config)],
            args: &[&["--config", "{dir}/config.toml"], args].concat(),
            expect,
            ..Case::default()
        },
    );
}

#[test]
fn config_syntax_error() {
    config_case(
        "config-syntax",
        "region = \"us-east-1\"\ntable = \n",
        ADD_OK,
        &["{dir}/config.toml:2"],
    );
}

#[test]
fn config_unknown_key() {
    config_case(
        "config-unknown",
        "region = \"us-east-1\"\ntabel = \"x\"\n",
        ADD_OK,
        &["{dir}/config.toml:2", "tabel"],
    );
}

#[test]
fn config_wrong_type() {
    config_case(
        "config-type",
        "readonly = \"yes\"\n",
        ADD_OK,
        &["{dir}/config.toml:1: readonly: invalid type", "boolean"],
    );
}

#[test]
fn config_negative_refresh_interval() {
    config_case(
        "config-negative",
        "\nrefresh_interval = -5\n",
        ADD_OK,
        &[
            "{dir}/config.toml:2: refresh_interval: invalid value",
            "u64",
        ],
    );
}

#[test]
fn config_refresh_interval_zero() {
    config_case(
        "config-refresh-0",
        "\nrefresh_interval = 0\n",
        &["list"],
        &["{dir}/config.toml:2: refresh_interval: must be at least 1 second"],
    );
}

#[test]
fn config_channel_quota_zero() {
    config_case(
        "config-quota-0",
        "channel_quota = 0\n",
        &["list"],
        &["{dir}/config.toml:1: channel_quota: must be at least 1"],
    );
}

#[test]
fn config_bad_flow_arn() {
    config_case(
        "config-flow",
        "region = \"us-east-1\"\nflow_arn = \"arn:aws:s3:::bucket\"\n",
        ADD_OK,
        &["{dir}/config.toml:2: flow_arn: must be a MediaConnect flow ARN"],
    );
}

#[test]
fn config_bad_role_arn() {
    config_case(
        "config-role",
        "medialive_role_arn = \"MediaLiveAccessRole\"\n",
        ADD_OK,
        &["{dir}/config.toml:1: medialive_role_arn: must be an IAM role ARN"],
    );
}

#[test]
fn config_bad_table_name() {
    config_case(
        "config-table",
        "table = \"my table!\"\n",
        &["list"],
        &["{dir}/config.toml:1: table: a DynamoDB table name is 3 to 255"],
    );
}

#[test]
fn config_that_is_a_directory() {
    refused_offline(
        "config-dir",
        Case {
            args: &["--config", "{dir}", "list"],
            expect: &["{dir}: cannot read"],
            ..Case::default()
        },
    );
}

#[test]
fn config_that_does_not_exist() {
    refused_offline(
        "config-dangling",
        Case {
            args: &["--config", "{dir}/missing/config.toml", "list"],
            expect: &["{dir}/missing/config.toml: cannot read", "No such file"],
            ..Case::default()
        },
    );
}

#[test]
fn config_default_file_that_is_a_directory() {
    // $XDG_CONFIG_HOME/onair/config.toml exists but can't be read: not "fine, no config".
    refused_offline(
        "config-default-dir",
        Case {
            dirs: &["xdg/onair/config.toml"],
            args: &["list"],
            set: &[("XDG_CONFIG_HOME", "{dir}/xdg")],
            expect: &["{dir}/xdg/onair/config.toml: cannot read"],
            ..Case::default()
        },
    )
}

#[test]
fn missing_table_names_the_key_the_file_and_the_variable() {
    refused_offline(
        "missing-table",
        Case {
            files: &[("config.toml", "region = \"us-east-1\"\n")],
            args: &["--config", "{dir}/config.toml", "list"],
            unset: &["ONAIR_TABLE"],
            expect: &[
                "table is not set",
                "`table = \"…\"` in {dir}/config.toml",
                "ONAIR_TABLE",
            ],
            ..Case::default()
        },
    );
}

#[test]
fn missing_flow_arn_names_the_key_the_file_and_the_variable() {
    refused_offline(
        "missing-flow",
        Case {
            args: ADD_OK,
            unset: &["ONAIR_FLOW_ARN"],
            expect: &[
                "flow_arn is not set",
                "{dir}/config/onair/config.toml",
                "ONAIR_FLOW_ARN",
            ],
            ..Case::default()
        },
    );
}

#[test]
fn missing_role_arn_names_the_key_the_file_and_the_variable() {
    refused_offline(
        "missing-role",
        Case {
            args: ADD_OK,
            unset: &["ONAIR_MEDIALIVE_ROLE_ARN"],
            expect: &["medialive_role_arn is not set", "ONAIR_MEDIALIVE_ROLE_ARN"],
            ..Case::default()
        },
    );
}

#[test]
fn missing_region_says_where_to_set_it() {
    refused_offline(
        "missing-region",
        Case {
            args: &["list"],
            unset: &["AWS_REGION"],
            expect: &["region is not set", "--region", "AWS_REGION"],
            ..Case::default()
        },
    );
}

#[test]
fn env_bad_flow_arn_names_the_variable() {
    refused_offline(
        "env-flow",
        Case {
            args: ADD_OK,
            set: &[("ONAIR_FLOW_ARN", "arn:aws:s3:::bucket")],
            expect: &["ONAIR_FLOW_ARN: flow_arn: must be a MediaConnect flow ARN"],
            ..Case::default()
        },
    );
}

#[test]
fn env_bad_role_arn_names_the_variable() {
    refused_offline(
        "env-role",
        Case {
            args: ADD_OK,
            set: &[("ONAIR_MEDIALIVE_ROLE_ARN", "MediaLiveAccessRole")],
            expect: &["ONAIR_MEDIALIVE_ROLE_ARN: medialive_role_arn: must be an IAM role ARN"],
            ..Case::default()
        },
    );
}

#[test]
fn env_bad_table_names_the_variable() {
    refused_offline(
        "env-table",
        Case {
            args: &["list"],
            set: &[("ONAIR_TABLE", "x")],
            expect: &["ONAIR_TABLE: table: a DynamoDB table name is 3 to 255"],
            ..Case::default()
        },
    );
}

// ---------------------------------------------------------------------------------------------
// presets.toml through the config's `presets` key and the real binary

/// A user presets file with one preset, `key = value` on its own line (or more lines).
fn preset_file(overrides: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("width", "960"),
        ("height", "540"),
        ("framerate_numerator", "30"),
        ("framerate_denominator", "1"),
        ("video_bitrate", "2_500_000"),
        ("gop_seconds", "2.0"),
        ("audio_bitrate", "128_000"),
        ("audio_sample_rate", "48_000"),
        ("price_tier", "\"hd-upto30\""),
    ];
    for (k, v) in overrides {
        match fields.iter_mut().find(|(have, _)| have == k) {
            Some(field) => field.1 = v,
            None => fields.push((k, v)),
        }
    }
    let mut text = String::from("# my presets\n[encoder.church]\n");
    for (k, v) in fields {
        text.push_str(&format!("{k} = {v}\n"));
    }
    text
}

/// Runs `add --preset church` with `presets = "presets.toml"` (relative to the config file),
/// expecting a refusal naming `presets.toml:LINE: KEY` with LINE the line of `line_of`.
fn presets_row(name: &str, text: &str, line_of: &str, expect: &[&str]) -> Result<(), String> {
    let mut expect: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
    if !line_of.is_empty() {
        let line = text
            .lines()
            .position(|l| l.contains(line_of))
            .map(|i| i + 1)
            .ok_or_else(|| format!("{name}: the case has no {line_of:?}"))?;
        expect.push(format!("{{dir}}/presets.toml:{line}: "));
    }
    let expect: Vec<&str> = expect.iter().map(String::as_str).collect();
    check_refused_offline(
        name,
        &Case {
            files: &[
                ("config.toml", "presets = \"presets.toml\"\n"),
                ("presets.toml", text),
            ],
            args: &[
                "--config",
                "{dir}/config.toml",
                "add",
                "--name",
                "Main",
                "--platform",
                "custom",
                "--url",
                "rtmp://live.example.com/app",
                "--preset",
                "church",
            ],
            expect: &expect,
            ..Case::default()
        },
    )
}

#[test]
fn presets_files_with_bad_values_are_refused_naming_file_line_key_and_rule() {
    let negative_rate = format!(
        "{}\n{}",
        preset_file(&[]),
        BUILTIN_PRESETS[BUILTIN_PRESETS.find("[pricing]").expect("[pricing]")..]
            .replace("running_per_hour = ", "running_per_hour = -")
    );
    // (row, file, the text on the offending line, words of the message)
    let rows: Vec<(&str, String, &str, Vec<&str>)> = vec![
        (
            "presets-syntax",
            preset_file(&[("width", "= 960")]),
            "",
            vec!["{dir}/presets.toml:3"],
        ),
        (
            "presets-unknown-key",
            preset_file(&[("widht", "960")]),
            "",
            vec!["{dir}/presets.toml:12", "widht"],
        ),
        (
            "presets-wrong-type",
            preset_file(&[("width", "\"wide\"")]),
            "",
            vec![
                "{dir}/presets.toml:3: encoder.church.width: invalid type",
                "u32",
            ],
        ),
        (
            "presets-width",
            preset_file(&[("width", "961")]),
            "width = 961",
            vec!["encoder.church.width: must be an even number"],
        ),
        (
            "presets-height",
            preset_file(&[("height", "4320")]),
            "height = 4320",
            vec!["encoder.church.height: must be an even number of pixels from 16 to 2160"],
        ),
        (
            "presets-framerate-denominator",
            preset_file(&[("framerate_denominator", "0")]),
            "framerate_denominator = 0",
            vec!["encoder.church.framerate_denominator: must be at least 1"],
        ),
        (
            "presets-framerate",
            preset_file(&[("framerate_numerator", "120")]),
            "framerate_numerator = 120",
            vec!["encoder.church.framerate_numerator: the frame rate must be 1 to 60 fps"],
        ),
        (
            "presets-video-bitrate",
            preset_file(&[("video_bitrate", "5000")]),
            "video_bitrate = 5000",
            vec!["encoder.church.video_bitrate: must be 100000 to 80000000"],
        ),
        (
            "presets-gop",
            preset_file(&[("gop_seconds", "0.1")]),
            "gop_seconds = 0.1",
            vec!["encoder.church.gop_seconds: must be 0.5 to 10 seconds"],
        ),
        (
            "presets-audio-bitrate",
            preset_file(&[("audio_bitrate", "100_000")]),
            "audio_bitrate = 100_000",
            vec!["encoder.church.audio_bitrate: must be one of 64000"],
        ),
        (
            "presets-sample-rate",
            preset_file(&[("audio_sample_rate", "22_050")]),
            "audio_sample_rate = 22_050",
            vec!["encoder.church.audio_sample_rate: must be 32000, 44100 or 48000"],
        ),
        (
            "presets-unknown-price-tier",
            preset_file(&[("price_tier", "\"uhd-cheap\"")]),
            "price_tier =",
            vec!["encoder.church.price_tier: must name a [pricing.tier.*] table"],
        ),
        (
            "presets-negative-rate",
            negative_rate.clone(),
            "running_per_hour = -",
            vec!["pricing.tier.hd-upto30.running_per_hour: a rate is a number of currency units"],
        ),
        (
            "presets-missing-file",
            String::new(),
            "",
            vec!["{dir}/presets.toml: cannot read"],
        ),
    ];
    let mut failures = Vec::new();
    for (name, text, line_of, expect) in &rows {
        let result = if *name == "presets-missing-file" {
            check_refused_offline(
                name,
                &Case {
                    files: &[("config.toml", "presets = \"presets.toml\"\n")],
                    args: &["--config", "{dir}/config.toml", "list"],
                    expect,
                    ..Case::default()
                },
            )
        } else {
            presets_row(name, text, line_of, expect)
        };
        if let Err(e) = result {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// presets.toml through `Catalog` (the built-in file mangled)

#[test]
fn catalog_refuses_bad_files_naming_line_and_key() {
    let pricing_at = BUILTIN_PRESETS.find("[pricing]").expect("[pricing]");
    let rows: Vec<(&str, String, &str)> = vec![
        (
            "catalog-missing-pricing",
            BUILTIN_PRESETS[..pricing_at].to_string(),
            "x.toml:1: pricing: a [pricing] table is required",
        ),
        (
            "catalog-negative-idle-rate",
            BUILTIN_PRESETS.replacen("idle_channel_per_hour = ", "idle_channel_per_hour = -", 1),
            "pricing.idle_channel_per_hour: a rate is a number",
        ),
        (
            "catalog-nan-rate",
            BUILTIN_PRESETS.replacen(
                &BUILTIN_PRESETS[BUILTIN_PRESETS.find("flow_per_hour = ").unwrap()..]
                    .lines()
                    .next()
                    .unwrap()
                    .to_string(),
                "flow_per_hour = nan",
                1,
            ),
            "pricing.flow_per_hour: a rate is a number",
        ),
        (
            "catalog-bad-preset-name",
            BUILTIN_PRESETS.replacen("[encoder.720p30]", "[encoder.\"720p 30!\"]", 1),
            "encoder.720p 30!.: a preset name is 1 to 32",
        ),
    ];
    let mut failures = Vec::new();
    for (name, text, expect) in &rows {
        match Catalog::parse(text, "x.toml") {
            Ok(_) => failures.push(format!("{name}: accepted")),
            Err(e) if !e.to_string().contains(expect) => {
                failures.push(format!("{name}: {e} lacks {expect:?}"))
            }
            Err(e) if !e.to_string().starts_with("x.toml") => {
                failures.push(format!("{name}: {e} doesn't name the file"))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The add form, as the operator drives it: `a`, keys, Enter

fn press(state: &mut AppState, code: KeyCode) -> Vec<Effect> {
    handle_key(state, KeyEvent::new(code, KeyModifiers::NONE))
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

/// What the operator types into the form; `None` leaves a field as the form starts it.
#[derive(Default)]
struct Typed<'a> {
    name: &'a str,
    /// Presses of → on the platform field (youtube, twitch, linkedin, facebook, custom).
    platform_steps: usize,
    /// Replaces the URL when set.
    url: Option<&'a str>,
    key: &'a str,
}

/// Fills the form, presses Enter, and returns the rule the form shows on `field`, having
/// checked that the form stayed open and nothing was sent to the engine.
fn form_refuses(typed: Typed, field: Field) -> String {
    let mut state = AppState::new(
        Arc::new(Catalog::builtin()),
        time::OffsetDateTime::UNIX_EPOCH,
        "bad input",
    );
    press(&mut state, KeyCode::Char('a'));
    type_text(&mut state, typed.name);
    press(&mut state, KeyCode::Tab);
    for _ in 0..typed.platform_steps {
        press(&mut state, KeyCode::Right);
    }
    press(&mut state, KeyCode::Tab);
    if let Some(url) = typed.url {
        // Clear what the platform filled in, then type.
        for _ in 0..80 {
            press(&mut state, KeyCode::Backspace);
        }
        type_text(&mut state, url);
    }
    press(&mut state, KeyCode::Tab);
    type_text(&mut state, typed.key);
    let effects = press(&mut state, KeyCode::Enter);
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Add(_))),
        "the form sent {effects:?}"
    );
    let Mode::Form(form) = &state.mode else {
        panic!("the form closed on bad input")
    };
    assert_eq!(form.focus, field, "the cursor goes to the bad field");
    form.error(field)
        .unwrap_or_else(|| panic!("no error on {field:?}: {:?}", form.errors))
        .to_string()
}

#[test]
fn form_empty_name() {
    let rule = form_refuses(
        Typed {
            key: KEY,
            ..Typed::default()
        },
        Field::Name,
    );
    assert_eq!(rule, "is required");
}

#[test]
fn form_overlong_name() {
    let name = "n".repeat(41);
    let rule = form_refuses(
        Typed {
            name: &name,
            key: KEY,
            ..Typed::default()
        },
        Field::Name,
    );
    assert_eq!(rule, "is at most 40 characters");
}

#[test]
fn form_name_that_cannot_become_a_medialive_name() {
    let rule = form_refuses(
        Typed {
            name: "✨ ★ ✨",
            key: KEY,
            ..Typed::default()
        },
        Field::Name,
    );
    assert!(rule.contains("MediaLive name"), "{rule}");
}

#[test]
fn form_http_url() {
    let rule = form_refuses(
        Typed {
            name: "Restream",
            platform_steps: 4,
            url: Some("http://live.restream.io/live"),
            key: KEY,
        },
        Field::Url,
    );
    assert_eq!(rule, "must start with rtmp:// or rtmps://");
}

#[test]
fn form_url_with_spaces() {
    let rule = form_refuses(
        Typed {
            name: "Restream",
            platform_steps: 4,
            url: Some("rtmp://live.restream.io/my app"),
            key: KEY,
        },
        Field::Url,
    );
    assert_eq!(rule, "must not contain spaces");
}

#[test]
fn form_linkedin_without_url() {
    let rule = form_refuses(
        Typed {
            name: "LinkedIn event",
            platform_steps: 2,
            key: KEY,
            ..Typed::default()
        },
        Field::Url,
    );
    assert!(rule.contains("is required for this platform"), "{rule}");
}

#[test]
fn form_empty_stream_key() {
    let rule = form_refuses(
        Typed {
            name: "Main",
            ..Typed::default()
        },
        Field::StreamKey,
    );
    assert_eq!(rule, "is required");
}

#[test]
fn form_stream_key_with_a_space() {
    let rule = form_refuses(
        Typed {
            name: "Main",
            key: "abcd efgh",
            ..Typed::default()
        },
        Field::StreamKey,
    );
    assert!(rule.contains("spaces"), "{rule}");
    assert!(!rule.contains("abcd"), "the rule shows the key: {rule}");
}

// ---------------------------------------------------------------------------------------------
// Against moto: `onair add` with bad input, and target names that need the table

/// What onair may have created: items in the table, MediaLive inputs and channels.
async fn created(config: &aws_config::SdkConfig) -> (usize, usize, usize) {
    let items = aws_sdk_dynamodb::Client::new(config)
        .scan()
        .table_name(TABLE)
        .send()
        .await
        .expect("Scan")
        .count() as usize;
    let medialive = aws_sdk_medialive::Client::new(config);
    let inputs = medialive
        .list_inputs()
        .send()
        .await
        .expect("ListInputs")
        .inputs()
        .len();
    let channels = medialive
        .list_channels()
        .send()
        .await
        .expect("ListChannels")
        .channels()
        .len();
    (items, inputs, channels)
}

/// Runs one row against moto: exit 2, the words expected, no key printed.
fn moto_row(
    dir: &Path,
    env: &[(String, String)],
    name: &str,
    args: &[&str],
    expect: &[&str],
) -> Result<(), String> {
    let ran = run(dir, args, env);
    let mut problems = Vec::new();
    if ran.code != Some(2) {
        problems.push(format!("exit {:?}, not 2", ran.code));
    }
    for needle in expect {
        if !ran.stderr.contains(needle) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    if ran.all().contains(KEY) || ran.all().contains("zq9x") {
        problems.push("the stream key was printed".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name}: {} (onair {args:?} → stdout {:?} stderr {:?})",
            problems.join("; "),
            ran.stdout,
            ran.stderr
        ))
    }
}

fn sdk_config(moto: &Moto) -> aws_config::SdkConfig {
    crate::common::wire::sdk_config(moto)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_with_bad_input_is_refused_and_creates_nothing_in_aws() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    init_table(&config, TABLE).await.expect("init");
    let dir = TempDir::new("bad-add");
    let env = base_env(dir.path(), &moto.url);
    let long_name = "n".repeat(41);
    let long_key = "k".repeat(257);
    let add = |name: &'static str, platform: &'static str| -> Vec<&'static str> {
        vec!["add", "--name", name, "--platform", platform]
    };
    let with = |mut base: Vec<&'static str>, more: &[&'static str]| {
        base.extend_from_slice(more);
        base
    };
    let long_name: &'static str = Box::leak(long_name.into_boxed_str());
    let long_key: &'static str = Box::leak(long_key.into_boxed_str());
    // (row, arguments, words of the message)
    let rows: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "add-empty-name",
            add("", "youtube"),
            vec!["name: is required"],
        ),
        (
            "add-blank-name",
            add("   ", "youtube"),
            vec!["name: is required"],
        ),
        (
            "add-overlong-name",
            add(long_name, "youtube"),
            vec!["name: is at most 40 characters"],
        ),
        (
            "add-unsluggable-name",
            add("★★★", "youtube"),
            vec!["name: needs at least one letter or digit"],
        ),
        (
            "add-control-character-in-name",
            add("Main\u{7}", "youtube"),
            vec!["name: must not contain control characters"],
        ),
        (
            "add-unknown-platform",
            add("Main", "myspace"),
            vec!["platform: unknown platform \"myspace\"", "youtube, twitch"],
        ),
        (
            "add-unknown-preset",
            with(add("Main", "youtube"), &["--preset", "4k"]),
            vec!["preset: unknown preset \"4k\"", "720p30, 1080p30, 1080p60"],
        ),
        (
            "add-http-url",
            with(
                add("Main", "custom"),
                &["--url", "http://live.example.com/app"],
            ),
            vec!["url: must start with rtmp:// or rtmps://"],
        ),
        (
            "add-srt-url",
            with(
                add("Main", "custom"),
                &["--url", "srt://live.example.com:9000"],
            ),
            vec!["url: must start with rtmp:// or rtmps://"],
        ),
        (
            "add-url-with-spaces",
            with(
                add("Main", "custom"),
                &["--url", "rtmp://live.example.com/my app"],
            ),
            vec!["url: must not contain spaces"],
        ),
        (
            "add-url-without-server",
            with(add("Main", "custom"), &["--url", "rtmps:///app"]),
            vec!["url: must name a server"],
        ),
        (
            "add-linkedin-without-url",
            add("Main", "linkedin"),
            vec!["url: is required for this platform"],
        ),
        (
            "add-custom-without-url",
            add("Main", "custom"),
            vec!["url: is required for this platform"],
        ),
        (
            "add-empty-key",
            with(add("Main", "youtube"), &["--key", ""]),
            vec!["stream key: is required"],
        ),
        (
            "add-blank-key",
            with(add("Main", "youtube"), &["--key", "   "]),
            vec!["stream key: is required"],
        ),
        (
            "add-key-with-space",
            with(add("Main", "youtube"), &["--key", "live SECRET zq9x"]),
            vec!["stream key: must not contain spaces"],
        ),
        (
            "add-overlong-key",
            with(add("Main", "youtube"), &["--key", long_key]),
            vec!["stream key: is at most 256 characters"],
        ),
        (
            "add-everything-wrong-at-once",
            with(
                add("", "youtube"),
                &["--url", "http://x", "--key", "", "--preset", "4k"],
            ),
            vec![
                "name: is required",
                "url: must start",
                "stream key: is required",
                "preset: unknown",
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (name, args, expect) in &rows {
        if let Err(e) = moto_row(dir.path(), &env, name, args, expect) {
            failures.push(e);
        }
        let now = created(&config).await;
        if now != (0, 0, 0) {
            failures.push(format!(
                "{name}: created (items, inputs, channels) = {now:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

fn stored(name: &str, channel: &str) -> Destination {
    let mut d = Destination::new(
        name.to_string(),
        Platform::Twitch,
        "rtmp://live.twitch.tv/app".to_string(),
        StreamKey::new(KEY),
        "1080p30".to_string(),
        time::macros::datetime!(2026-11-25 18:00 UTC),
    );
    d.status = Status::Idle;
    d.media_live_channel_id = Some(channel.to_string());
    d.media_live_input_id = Some(format!("{channel}0"));
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ambiguous_and_unconfirmed_targets_change_nothing() {
    let moto = Moto::start();
    let config = sdk_config(&moto);
    init_table(&config, TABLE).await.expect("init");
    let store = from_sdk_config(config.clone(), TABLE.to_string())
        .cloud
        .store;
    // Two control boxes on one table each have a "twitch"; and one "Main".
    let records = [
        stored("Main", "1111111"),
        stored("Twitch", "2222222"),
        stored("twitch", "3333333"),
    ];
    for r in &records {
        let ddb = aws_sdk_dynamodb::Client::new(&config);
        ddb.put_item()
            .table_name(TABLE)
            .set_item(Some(to_item(r)))
            .send()
            .await
            .expect("PutItem");
    }
    let before = store.scan().await.expect("scan");
    let dir = TempDir::new("bad-targets");
    let env = base_env(dir.path(), &moto.url);
    let rows: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "rm-without-yes-and-no-terminal",
            vec!["rm", "Main"],
            vec!["pass --yes when there is no terminal"],
        ),
        (
            "start-unknown-name",
            vec!["start", "nope"],
            vec!["no destination named or numbered \"nope\""],
        ),
        (
            "rm-unknown-name",
            vec!["rm", "--yes", "nope"],
            vec!["no destination named or numbered \"nope\""],
        ),
        (
            "rm-one-typo-among-good-names",
            vec!["rm", "--yes", "Main", "Mian"],
            vec!["\"Mian\""],
        ),
        (
            "start-ambiguous-name",
            vec!["start", "TWITCH"],
            vec![
                "\"TWITCH\" matches several destinations (a name, or the start of more than one id): use the whole id",
            ],
        ),
        (
            "stop-ambiguous-name",
            vec!["stop", "twitch"],
            vec!["matches several destinations"],
        ),
        (
            "rm-ambiguous-name",
            vec!["rm", "--yes", "Twitch"],
            vec!["matches several destinations"],
        ),
        ("start-without-targets", vec!["start"], vec!["<ID_OR_NAME>"]),
    ];
    let mut failures = Vec::new();
    for (name, args, expect) in &rows {
        if let Err(e) = moto_row(dir.path(), &env, name, args, expect) {
            failures.push(e);
        }
        let after = store.scan().await.expect("scan");
        if after != before {
            failures.push(format!("{name}: the table changed"));
        }
        let (_, inputs, channels) = created(&config).await;
        if (inputs, channels) != (0, 0) {
            failures.push(format!(
                "{name}: created {inputs} inputs, {channels} channels"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// An endpoint where nothing listens

#[test]
fn an_endpoint_where_nothing_listens_fails_naming_the_call_and_the_endpoint() {
    let dir = TempDir::new("bad-endpoint");
    // Port 9 (discard) on loopback: nothing listens, every connection is refused at once.
    let env = base_env(dir.path(), "http://127.0.0.1:9");
    let ran = run(dir.path(), &["list"], &env);
    assert_eq!(ran.code, Some(1), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("Scan"),
        "names the call: {}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("Connection refused")
            && ran.stderr.contains("AWS_ENDPOINT_URL=http://127.0.0.1:9"),
        "names the endpoint problem: {}",
        ran.stderr
    );
    // Connection refused is retried as "unavailable" by both the engine (4 tries) and the SDK
    // (adaptive, 5 tries): about 37 s on the reference machine. Not minutes; the figure is
    // reported as a finding.
    assert!(
        ran.elapsed < Duration::from_secs(60),
        "took {:?}: {}",
        ran.elapsed,
        ran.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// An endpoint that accepts and never answers, and a closed port, for every command

/// A loopback listener that accepts every connection and never answers: the black hole a hung
/// proxy or a firewalled emulator makes. Connections are held until the test ends.
fn black_hole() -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let handle = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).expect("nonblocking");
        let started = Instant::now();
        // Bounded: the commands below end long before this.
        while started.elapsed() < TIMEOUT {
            match listener.accept() {
                Ok((stream, _)) => held.push(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (url, handle)
}

#[test]
fn every_command_ends_within_its_deadline_naming_the_endpoint_that_did_not_answer() {
    let dir = TempDir::new("black-hole");
    let (hole, _holder) = black_hole();
    let commands: [&[&str]; 12] = [
        &["list"],
        &["list", "--json"],
        &["add", "--name", "Main", "--platform", "youtube"],
        &["start", "Main"],
        &["stop", "Main"],
        &["rm", "--yes", "Main"],
        &["edit", "Main", "--name", "Other"],
        &["flow"],
        &["reconcile"],
        &["gc"],
        &["init"],
        &["doctor"],
    ];
    // Short deadlines so the whole matrix takes seconds: one attempt of a read 1 s, of a
    // change 2 s, three attempts a call at most.
    let mut cases = Vec::new();
    for (endpoint, what) in [
        (hole.as_str(), "black hole"),
        ("http://127.0.0.1:9", "closed"),
    ] {
        for (i, args) in commands.iter().enumerate() {
            let sub = dir.path().join(format!("{}-{i}", what.replace(' ', "-")));
            std::fs::create_dir_all(&sub).expect("case dir");
            let mut env = base_env(&sub, endpoint);
            env.push(("ONAIR_AWS_CONNECT_TIMEOUT".into(), "1s".into()));
            env.push(("ONAIR_AWS_READ_TIMEOUT".into(), "1s".into()));
            env.push(("ONAIR_AWS_WRITE_TIMEOUT".into(), "2s".into()));
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            let endpoint = endpoint.to_string();
            cases.push(std::thread::spawn(move || {
                let argv: Vec<&str> = args.iter().map(String::as_str).collect();
                let ran = run(&sub, &argv, &env);
                (what, args.join(" "), endpoint, ran)
            }));
        }
    }
    let mut failures = Vec::new();
    for case in cases {
        let (what, args, endpoint, ran) = case.join().expect("case thread");
        let text = format!("{}{}", ran.stdout, ran.stderr);
        if ran.code.is_none() {
            failures.push(format!(
                "{what}: `{args}` was still running after {TIMEOUT:?}"
            ));
        } else if ran.code == Some(0) && args != "doctor" {
            failures.push(format!(
                "{what}: `{args}` succeeded against nothing: {text}"
            ));
        } else if !text.contains(&endpoint) {
            failures.push(format!("{what}: `{args}` never names {endpoint}: {text}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
