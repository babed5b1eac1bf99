//! The binary's helper commands: doctor on the simulator, shell completions, the man page.

use std::process::Command;

fn onair(args: &[&str]) -> std::process::Output {
    let state = std::env::temp_dir().join(format!("onair-cli-tools-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_onair"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &state)
        .env("XDG_STATE_HOME", &state)
        .env("XDG_CONFIG_HOME", &state)
        .output()
        .expect("onair runs")
}

#[test]
fn doctor_checks_the_simulated_account_and_passes() {
    let out = onair(&["doctor", "--demo"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for check in [
        "credentials",
        "region",
        "table",
        "flow",
        "quotas",
        "MediaLive role",
    ] {
        assert!(
            text.contains(&format!("✓ {check}")),
            "{check} missing:\n{text}"
        );
    }
    assert!(
        text.contains("srt-listener:9998") && text.contains("aes128"),
        "{text}"
    );
    assert!(!text.contains('✗'));
}

#[test]
fn doctor_without_configuration_names_each_missing_key_and_fails() {
    let out = onair(&["doctor", "--region", "us-east-1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for key in ["ONAIR_TABLE", "ONAIR_FLOW_ARN", "ONAIR_MEDIALIVE_ROLE_ARN"] {
        assert!(text.contains(key), "{key}:\n{text}");
    }
}

#[test]
fn completions_and_man_page_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let out = onair(&["completions", shell]);
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("reconcile") && text.contains("demo"),
            "{shell}"
        );
    }
    let man = onair(&["man"]);
    assert!(man.status.success());
    let text = String::from_utf8_lossy(&man.stdout);
    assert!(text.contains(".TH onair"), "{text}");
}
