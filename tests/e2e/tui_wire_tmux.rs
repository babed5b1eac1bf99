//! The real TUI against moto (issue 3), in tmux at 120×35: the flow panel shows the flow, and a
//! destination added from the CLI appears in the table within a refresh (refresh_interval = 1).
//! Moto is patched as in aws_wire.rs (tests/moto_patches): the flow source's protocol, the flow
//! outputs of MEDIACONNECT inputs, and CloudWatch's rpcv2Cbor protocol, which the refresh uses.

use crate::common::rig::KEYS;
use crate::common::tmux::{Tmux, line_with};
use crate::common::wire::{
    FLOW_NAME, TempDir, create_flow, onair, onair_env, patched_moto, sdk_config,
};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// `'…'` for sh, so ARNs and paths pass through tmux's shell unchanged.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[tokio::test]
async fn the_tui_shows_the_flow_and_a_destination_added_from_the_cli() {
    let moto = patched_moto(&[]);
    let flow_arn = create_flow(&sdk_config(&moto)).await;
    let dir = TempDir::new("tui");
    let env = onair_env(&moto, "onair-tui", &flow_arn, dir.path());
    let init = onair(&["init"], &env).output().expect("onair init");
    assert!(init.status.success(), "{init:?}");

    let config = dir.path().join("onair.toml");
    std::fs::write(&config, "refresh_interval = 1\n").expect("config file");
    // tmux runs the command in its server's environment: pass onair's explicitly.
    let command = format!(
        "env -i {} {} --config {}",
        env.iter()
            .map(|(k, v)| format!("{k}={}", quoted(v)))
            .collect::<Vec<_>>()
            .join(" "),
        quoted(env!("CARGO_BIN_EXE_onair")),
        quoted(&config.display().to_string())
    );
    let tui = Tmux::start("wire-tui", 120, 35, &command);

    let screen = tui.wait_text(FLOW_NAME, WAIT);
    assert!(
        screen.contains("9998"),
        "the flow panel shows the SRT port:\n{screen}"
    );
    assert!(
        !screen.contains("Wire Show"),
        "nothing there yet:\n{screen}"
    );

    let added = onair(
        &["add", "--name", "Wire Show", "--platform", "twitch"],
        &env,
    )
    .env("ONAIR_STREAM_KEY", KEYS[1])
    .output()
    .expect("onair add");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    // Another process wrote the table: the next refresh (1 s) shows the row.
    tui.wait_for("the new destination's row", WAIT, |s| {
        line_with(s, "Wire Show").is_some_and(|row| row.contains("idle"))
    });
    // The quota counts come from the refresh too (ListChannels; inputs from the flow's outputs
    // and the records).
    let screen = tui.wait_for("the refreshed quotas", WAIT, |s| {
        s.contains("channels 1/5") && s.contains("inputs 1/5")
    });
    let row = line_with(&screen, "Wire Show").unwrap_or_default();
    assert!(row.to_lowercase().contains("twitch"), "{row}");
    assert!(
        !screen.contains(KEYS[1]),
        "no stream key on screen:\n{screen}"
    );
    assert!(!tui.exited(), "the TUI is still running:\n{screen}");

    tui.keys(&["q"]);
    tui.wait_for("the TUI to quit", WAIT, |_| tui.exited());
}
