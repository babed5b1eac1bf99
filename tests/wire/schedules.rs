//! Schedules and stop-by deadlines over the wire (issue 13): the real binary and the real SDK
//! against moto's EventBridge Scheduler, every schedule checked with the SDK directly, not
//! through onair. Moto 5.2.5 stores schedules and answers Create / Get / List / Delete like
//! AWS, but never fires them and ignores ClientToken (AWS makes a retried create idempotent
//! with it; onair's names are unique per destination, kind and time, so a retry is a
//! ConflictException it treats as done): firing is the simulator's to model (tests/engine).

use crate::common::rig::KEYS;
use crate::common::wire::{
    TempDir, create_flow, onair, onair_env, patched_moto, sdk_config, succeeded,
};
use serde_json::Value;
use std::process::Output;
use time::OffsetDateTime;

const TABLE: &str = "onair-destinations";
const SCHEDULER_ROLE: &str = "arn:aws:iam::123456789012:role/onair-scheduler";

fn run(args: &[&str], env: &[(String, String)]) -> Output {
    onair(args, env).output().expect("onair runs")
}

fn ok(args: &[&str], env: &[(String, String)]) -> String {
    succeeded(args, &run(args, env))
}

/// Exit 2 and the message on stderr.
fn refused(args: &[&str], env: &[(String, String)]) -> String {
    let out = run(args, env);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "onair {args:?}: {err}");
    err
}

async fn names(client: &aws_sdk_scheduler::Client) -> Vec<String> {
    let out = client.list_schedules().send().await.expect("ListSchedules");
    let mut names: Vec<String> = out
        .schedules()
        .iter()
        .filter_map(|s| s.name())
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

fn records(env: &[(String, String)]) -> Vec<Value> {
    let text = ok(&["list", "--json"], env);
    let v: Value = serde_json::from_str(&text).expect("list --json");
    v["destinations"].as_array().cloned().unwrap_or_default()
}

fn by_name<'a>(records: &'a [Value], name: &str) -> &'a Value {
    records.iter().find(|r| r["name"] == name).expect("listed")
}

fn parse(text: &str) -> OffsetDateTime {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).expect("rfc3339")
}

#[tokio::test]
async fn start_sets_a_deadline_schedule_and_schedule_unschedule_extend_rm_leave_nothing() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let dir = TempDir::new("schedules");
    let env = onair_env(&moto, TABLE, &flow_arn, dir.path());
    let scheduler = aws_sdk_scheduler::Client::new(&config);
    ok(&["init"], &env);
    for (name, key) in [("Main", KEYS[0]), ("Backup", KEYS[1])] {
        ok(
            &["add", "--name", name, "--platform", "youtube", "--key", key],
            &env,
        );
    }

    // Without a scheduler role: refused by name, nothing created; doctor says schedules are off.
    let err = refused(&["schedule", "Backup", "--start", "+2h"], &env);
    assert!(err.contains("scheduler_role_arn"), "{err}");
    assert!(names(&scheduler).await.is_empty());
    let out = String::from_utf8_lossy(&run(&["doctor"], &env).stdout).into_owned();
    assert!(
        out.lines()
            .any(|l| l.contains("scheduler role") && l.contains("not set")),
        "{out}"
    );

    let config_dir = dir.path().join("config/onair");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("config.toml"),
        format!("scheduler_role_arn = \"{SCHEDULER_ROLE}\"\n"),
    )
    .expect("config file");

    // doctor: the role must exist (it doesn't yet in moto's IAM), then passes.
    let doctor_line = |env: &[(String, String)]| {
        let out = String::from_utf8_lossy(&run(&["doctor"], env).stdout).into_owned();
        out.lines()
            .find(|l| l.contains("scheduler role"))
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no scheduler role check in {out}"))
    };
    let line = doctor_line(&env);
    assert!(
        line.starts_with('✗') && line.contains("does not exist"),
        "{line}"
    );
    aws_sdk_iam::Client::new(&config)
        .create_role()
        .role_name("onair-scheduler")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("CreateRole");
    let line = doctor_line(&env);
    assert!(
        line.starts_with('✓') && line.contains(SCHEDULER_ROLE),
        "{line}"
    );

    // add → start: a deadline at start + 12 h (max_run's default) that stops this channel.
    ok(&["start", "Main"], &env);
    let main = by_name(&records(&env), "Main").clone();
    let listed = names(&scheduler).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let id8 = &main["destinationId"].as_str().unwrap()[..8];
    assert!(
        listed[0].starts_with(&format!("onair-{id8}-deadline-")),
        "{listed:?}"
    );
    let got = scheduler
        .get_schedule()
        .name(&listed[0])
        .send()
        .await
        .expect("GetSchedule");
    let target = got.target().expect("a target");
    assert_eq!(
        target.arn(),
        "arn:aws:scheduler:::aws-sdk:medialive:stopChannel"
    );
    assert_eq!(target.role_arn(), SCHEDULER_ROLE);
    let input: Value = serde_json::from_str(target.input().unwrap_or("{}")).expect("JSON input");
    assert_eq!(input["ChannelId"], main["mediaLiveChannelId"]);
    assert_eq!(got.schedule_expression_timezone(), Some("UTC"));
    assert_eq!(
        got.flexible_time_window().map(|w| w.mode().as_str()),
        Some("OFF")
    );
    assert_eq!(
        got.action_after_completion().map(|a| a.as_str()),
        Some("DELETE")
    );
    let at = onair::cloud::parse_at_expression(got.schedule_expression().unwrap_or_default())
        .expect("at(…)");
    let since = parse(main["runningSince"].as_str().expect("running"));
    let expected = since + std::time::Duration::from_secs(12 * 3600);
    assert!(
        (at - expected).abs() <= time::Duration::seconds(1),
        "{at} vs {expected}"
    );

    // extend moves it: the old schedule is gone, the new one two hours later.
    ok(&["extend", "Main", "2h"], &env);
    let moved = names(&scheduler).await;
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_ne!(moved, listed);
    let got = scheduler
        .get_schedule()
        .name(&moved[0])
        .send()
        .await
        .expect("GetSchedule");
    let later = onair::cloud::parse_at_expression(got.schedule_expression().unwrap_or_default())
        .expect("at(…)");
    assert_eq!(later - at, time::Duration::hours(2));

    // Bad input: exit 2, nothing created.
    let before = names(&scheduler).await;
    for (args, says) in [
        (
            vec!["schedule", "Backup", "--start", "25:99"],
            "is not a time",
        ),
        (
            vec!["schedule", "Backup", "--start", "soon"],
            "is not a time",
        ),
        (
            vec!["schedule", "Backup", "--start", "2020-01-01T10:00:00Z"],
            "in the past",
        ),
        (
            vec!["schedule", "Backup", "--start", "+2h", "--stop", "+1h"],
            "is not after",
        ),
        (vec!["schedule", "Nobody", "--start", "+2h"], "Nobody"),
        (vec!["extend", "Backup", "2h"], "no stop-by deadline"),
        (vec!["extend", "Main", "later"], "not a duration"),
    ] {
        let err = refused(&args, &env);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(names(&scheduler).await, before, "nothing created");

    // schedule → list → unschedule.
    let out = ok(
        &["schedule", "Backup", "--start", "+2h", "--stop", "+4h"],
        &env,
    );
    assert!(
        out.contains("on air at") && out.contains("stops at"),
        "{out}"
    );
    let backup = by_name(&records(&env), "Backup").clone();
    let b8 = &backup["destinationId"].as_str().unwrap()[..8];
    let now = names(&scheduler).await;
    assert_eq!(now.len(), 3, "{now:?}");
    let start_name = now
        .iter()
        .find(|n| n.starts_with(&format!("onair-{b8}-start-")))
        .expect("the go-live");
    let got = scheduler
        .get_schedule()
        .name(start_name)
        .send()
        .await
        .expect("GetSchedule");
    assert_eq!(
        got.target().map(|t| t.arn()),
        Some("arn:aws:scheduler:::aws-sdk:medialive:startChannel")
    );
    let listing: Value =
        serde_json::from_str(&ok(&["schedule", "--list", "--json"], &env)).expect("JSON");
    let entries = listing["schedules"].as_array().expect("schedules");
    assert_eq!(entries.len(), 2, "{listing}");
    let mut kinds: Vec<String> = entries
        .iter()
        .flat_map(|e| e["schedules"].as_array().cloned().unwrap_or_default())
        .map(|s| s["kind"].as_str().unwrap_or("?").to_string())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["deadline", "start", "stop"], "{listing}");
    ok(&["unschedule", "Backup"], &env);
    assert_eq!(
        names(&scheduler).await,
        moved,
        "only Main's deadline is left"
    );

    // A stop by hand deletes the deadline.
    ok(&["stop", "Main"], &env);
    assert!(names(&scheduler).await.is_empty());

    // rm leaves no schedule behind.
    ok(&["start", "Main"], &env);
    ok(&["schedule", "Backup", "--start", "+3h"], &env);
    assert_eq!(names(&scheduler).await.len(), 2);
    ok(&["rm", "--yes", "Main", "Backup"], &env);
    assert!(
        names(&scheduler).await.is_empty(),
        "{:?}",
        names(&scheduler).await
    );
    assert!(records(&env).is_empty());
}
