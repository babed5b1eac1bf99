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

/// The shell line that runs onair with exactly `env` and `--config CONFIG`: tmux runs a command
/// in its server's environment, so onair's is passed explicitly.
fn onair_line(env: &[(String, String)], config: &str) -> String {
    format!(
        "env -i {} {} --config {}",
        env.iter()
            .map(|(k, v)| format!("{k}={}", quoted(v)))
            .collect::<Vec<_>>()
            .join(" "),
        quoted(env!("CARGO_BIN_EXE_onair")),
        quoted(config)
    )
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
    let command = onair_line(&env, &config.display().to_string());
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

/// Issue 15 in a real terminal against moto: the top bar names the environment, the account
/// (STS) and its alias (IAM) and says PRODUCTION in words; `:env` swaps the whole screen for
/// another environment's table; an environment pinned to another account is refused and the
/// screen stays where it was.
#[tokio::test]
async fn the_bar_names_the_account_and_production_and_env_switches_the_whole_screen() {
    const MOTO_ACCOUNT: &str = "123456789012";
    let moto = patched_moto(&[]);
    let sdk = sdk_config(&moto);
    let flow_arn = create_flow(&sdk).await;
    aws_sdk_iam::Client::new(&sdk)
        .create_account_alias()
        .account_alias("acme-show")
        .send()
        .await
        .expect("CreateAccountAlias");
    let dir = TempDir::new("tui-env");
    let mut env = onair_env(&moto, "unused", &flow_arn, dir.path());
    env.retain(|(k, _)| k != "ONAIR_TABLE");
    let config = dir.path().join("onair.toml");
    std::fs::write(
        &config,
        format!(
            "refresh_interval = 1\ndefault_env = \"rehearsal\"\n\n\
             [environments.rehearsal]\ntable = \"onair-rehearsal\"\n\n\
             [environments.show]\ntable = \"onair-show\"\nproduction = true\n\
             account_id = \"{MOTO_ACCOUNT}\"\n\n\
             [environments.elsewhere]\ntable = \"onair-elsewhere\"\naccount_id = \"999999999999\"\n"
        ),
    )
    .expect("config file");
    let config_arg = config.display().to_string();
    for (name, feed, platform) in [
        ("rehearsal", "Rehearsal feed", "youtube"),
        ("show", "Show feed", "twitch"),
    ] {
        let run = |args: &[&str]| {
            let mut all = vec!["--config", config_arg.as_str(), "--env", name];
            all.extend_from_slice(args);
            let out = onair(&all, &env)
                .env("ONAIR_STREAM_KEY", KEYS[1])
                .output()
                .expect("onair");
            assert!(out.status.success(), "{all:?}: {out:?}");
        };
        run(&["init"]);
        run(&["add", "--name", feed, "--platform", platform]);
    }

    let command = format!("{} --env show", onair_line(&env, &config_arg));
    let tui = Tmux::start("wire-tui-env", 160, 40, &command);
    let screen = tui.wait_for("the show's row", WAIT, |s| {
        line_with(s, "Show feed").is_some()
    });
    let bar = screen.lines().next().unwrap_or_default();
    assert!(bar.contains("PRODUCTION"), "{bar}");
    assert!(
        bar.contains(&format!("show · {MOTO_ACCOUNT} (acme-show) · us-east-1")),
        "{bar}"
    );
    assert!(!screen.contains("Rehearsal feed"), "{screen}");

    // Another environment: the whole screen is its own, and not production.
    tui.keys(&[":"]);
    tui.type_text("env reh");
    tui.keys(&["Tab", "Enter"]);
    let screen = tui.wait_for("the rehearsal's row", WAIT, |s| {
        line_with(s, "Rehearsal feed").is_some()
    });
    let bar = screen.lines().next().unwrap_or_default();
    assert!(!bar.contains("PRODUCTION"), "{bar}");
    assert!(
        bar.contains(&format!("rehearsal · {MOTO_ACCOUNT}")),
        "{bar}"
    );
    assert!(
        !screen.contains("Show feed"),
        "never two environments at once:\n{screen}"
    );

    // Pinned to an account these credentials are not: refused, and the screen stays.
    tui.keys(&[":"]);
    tui.type_text("env elsewhere");
    tui.keys(&["Enter"]);
    let screen = tui.wait_text("pinned to account 999999999999", WAIT);
    assert!(line_with(&screen, "Rehearsal feed").is_some(), "{screen}");
    assert!(
        screen
            .lines()
            .next()
            .unwrap_or_default()
            .contains("rehearsal"),
        "{screen}"
    );
    assert!(
        !screen.contains(KEYS[1]),
        "no stream key on screen:\n{screen}"
    );

    tui.keys(&["q"]);
    tui.wait_for("the TUI to quit", WAIT, |_| tui.exited());

    // The CLI's question names the environment too, production loudest; "n" deletes nothing.
    let rm = Tmux::start("wire-rm-env", 160, 10, &format!("{command} rm 'Show feed'"));
    rm.wait_text("[show · PRODUCTION] Delete Show feed", WAIT);
    rm.keys(&["n", "Enter"]);
    assert_eq!(rm.wait_exit_status(WAIT), Ok(2), "{}", rm.screen());
    let listed = onair(&["--config", &config_arg, "--env", "show", "list"], &env)
        .output()
        .expect("onair list");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("Show feed"));
}
