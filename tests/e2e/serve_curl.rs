//! `onair serve --demo` as a real process, driven by real `curl`: the seed's verified command
//! unchanged, tokens from a file, the refusal of an open listener without tokens, and SIGTERM.

use crate::common::serve::{Server, curl, get_json, scratch, wait_for};
use std::process::Command;

/// The seed's verified test case, byte for byte but for the host (and its key: a test key).
const SEED_BODY: &str = r#"{"name": "Restream Test", "platform": "custom", "rtmp_url": "rtmp://live.restream.io/live", "stream_key": "seed-SECRET-key-0a1b", "preset": "1080p30"}"#;

#[test]
fn the_seeds_curl_command_works_unchanged_and_sigterm_stops_cleanly() {
    let server = Server::demo("seed", &["--speed", "0.01"], &[]);
    let url = server.url("/api/destinations");
    let out = curl(&[
        "-w",
        "\n%{http_code}",
        "-X",
        "POST",
        &url,
        "-H",
        "Content-Type: application/json",
        "-d",
        SEED_BODY,
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, code) = text.rsplit_once('\n').expect("body and status");
    assert_eq!(code, "201", "{text}");
    let record: serde_json::Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(record["name"], "Restream Test");
    assert_eq!(record["platform"], "custom");
    assert_eq!(record["rtmpUrl"], "rtmp://live.restream.io/live");
    assert!(!body.contains("seed-SECRET-key-0a1b"), "{body}");
    let id = record["destinationId"].as_str().expect("id").to_string();

    // The chain is built in the background; the list shows it idle once done.
    let path = format!("/api/destinations/{id}");
    // (Or parked already: the demo runs park_after sped up as well.)
    wait_for(&server, &path, 300, |d| {
        (d["status"] == "idle" || d["status"] == "parked") && d["operation"].is_null()
    });
    let list = get_json(&server, "/api/destinations", &[]);
    let names: Vec<&str> = list["destinations"]
        .as_array()
        .expect("destinations")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(names.contains(&"Restream Test"), "{names:?}");

    // Started through the API, it goes live.
    let started = curl(&[
        "-w",
        "%{http_code}",
        "-o",
        "/dev/null",
        "-X",
        "POST",
        &server.url(&format!("{path}/start")),
    ]);
    assert_eq!(String::from_utf8_lossy(&started.stdout), "202");
    wait_for(&server, &path, 300, |d| d["status"] == "running");

    let (status, stdout, stderr) = server.stop();
    assert!(status.success(), "exit {status:?}\n{stdout}\n{stderr}");
    assert!(stdout.contains("onair serve: stopped"), "{stdout}");
}

#[test]
fn tokens_come_from_the_file_config_names_and_are_enforced() {
    let dir = scratch("tokens-file");
    let file = dir.join("tokens");
    std::fs::write(
        &file,
        "read read-token-0123456789abcdef\noperate operate-token-0123456789abcdef\n",
    )
    .expect("write tokens");
    let server = Server::demo(
        "tokens",
        &[],
        &[("ONAIR_API_TOKENS_FILE", file.display().to_string())],
    );
    let code = |extra: &[&str]| {
        let out = curl(&[&["-o", "/dev/null", "-w", "%{http_code}"][..], extra].concat());
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let list = server.url("/api/destinations");
    assert_eq!(code(&[&list]), "401");
    assert_eq!(
        code(&[
            &list,
            "-H",
            "Authorization: Bearer read-token-0123456789abcdef"
        ]),
        "200"
    );
    assert_eq!(
        code(&[
            "-X",
            "POST",
            &list,
            "-H",
            "Content-Type: application/json",
            "-H",
            "Authorization: Bearer read-token-0123456789abcdef",
            "-d",
            SEED_BODY,
        ]),
        "403"
    );
    // The page itself loads without one.
    assert_eq!(code(&[&server.url("/")]), "200");
    let (status, _, _) = server.stop();
    assert!(status.success());
}

#[test]
fn an_open_listener_without_tokens_is_refused_at_start_up_with_the_reason() {
    let state = scratch("open-listener");
    let out = Command::new(env!("CARGO_BIN_EXE_onair"))
        .args(["serve", "--demo", "--listen", "0.0.0.0:0"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &state)
        .env("XDG_STATE_HOME", &state)
        .env("XDG_CONFIG_HOME", &state)
        .output()
        .expect("onair runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("without tokens") && stderr.contains("api_tokens_file"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "it must not have listened");
}
