//! Named environments (issue 15, first part) with the real binary against moto: one config file
//! with a rehearsal and a show environment (two tables, one account). What one adds the other
//! never lists, and an environment pinned to another account refuses every change, checked with
//! the SDK, not with onair.

use crate::common::rig::KEYS;
use crate::common::wire::{
    TempDir, create_flow, onair, onair_env, patched_moto, sdk_config, succeeded,
};
use serde_json::Value;

/// Moto answers GetCallerIdentity with this account.
const MOTO_ACCOUNT: &str = "123456789012";

fn names(listed: &Value) -> Vec<String> {
    listed["destinations"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn two_environments_in_one_account_never_mix_and_a_pinned_wrong_account_changes_nothing() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let dir = TempDir::new("environments");
    let mut env = onair_env(&moto, "unused", &flow_arn, dir.path());
    // The tables come from the environments, not from ONAIR_TABLE.
    env.retain(|(k, _)| k != "ONAIR_TABLE");
    let config_dir = dir.path().join("config/onair");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("config.toml"),
        format!(
            "default_env = \"rehearsal\"\n\n\
             [environments.rehearsal]\ntable = \"onair-rehearsal\"\n\n\
             [environments.show]\ntable = \"onair-show\"\nproduction = true\n\
             account_id = \"{MOTO_ACCOUNT}\"\n\n\
             [environments.elsewhere]\ntable = \"onair-elsewhere\"\naccount_id = \"999999999999\"\n"
        ),
    )
    .expect("config");
    let run = |args: &[&str]| onair(args, &env).output().expect("onair runs");
    let ok = |args: &[&str]| succeeded(args, &run(args));
    let json = |args: &[&str]| -> Value {
        let out = ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} ({e}): {out}"))
    };

    // The account's alias, as IAM gives it: list --json and the top bar name it with the id.
    aws_sdk_iam::Client::new(&config)
        .create_account_alias()
        .account_alias("acme-show")
        .send()
        .await
        .expect("CreateAccountAlias");
    ok(&["init"]);
    ok(&["--env", "show", "init"]);
    ok(&[
        "add",
        "--name",
        "Rehearsal feed",
        "--platform",
        "youtube",
        "--key",
        KEYS[0],
    ]);
    ok(&[
        "--env",
        "show",
        "add",
        "--name",
        "Show feed",
        "--platform",
        "twitch",
        "--key",
        KEYS[1],
    ]);

    let rehearsal = json(&["list", "--json"]);
    assert_eq!(names(&rehearsal), ["Rehearsal feed"]);
    assert_eq!(rehearsal["environment"]["name"], "rehearsal");
    let show = json(&["--env", "show", "list", "--json"]);
    assert_eq!(names(&show), ["Show feed"]);
    assert_eq!(show["environment"]["production"], true);
    assert_eq!(show["environment"]["account_id"], MOTO_ACCOUNT);
    // The account the credentials are (STS), not only the one the config pins.
    for listed in [&rehearsal, &show] {
        assert_eq!(listed["account"]["id"], MOTO_ACCOUNT, "{listed}");
        assert_eq!(listed["account"]["alias"], "acme-show", "{listed}");
    }
    let flow = json(&["--env", "show", "flow", "--json"]);
    assert_eq!(flow["environment"]["name"], "show");
    assert_eq!(flow["account"]["id"], MOTO_ACCOUNT);

    // Each table holds only its own environment's item (read with the SDK).
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    for (table, name) in [
        ("onair-rehearsal", "Rehearsal feed"),
        ("onair-show", "Show feed"),
    ] {
        let items = dynamodb
            .scan()
            .table_name(table)
            .send()
            .await
            .expect("Scan");
        let held: Vec<&str> = items
            .items()
            .iter()
            .filter_map(|i| {
                i.get("name")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
            })
            .collect();
        assert_eq!(held, [name], "{table}");
    }

    // An environment pinned to an account these credentials are not: changes are refused
    // before any call that changes AWS, naming both accounts; reads only warn.
    let medialive = aws_sdk_medialive::Client::new(&config);
    let channels_before = medialive
        .list_channels()
        .send()
        .await
        .expect("ListChannels")
        .channels()
        .len();
    let refused = run(&[
        "--env",
        "elsewhere",
        "add",
        "--name",
        "Wrong",
        "--platform",
        "youtube",
        "--key",
        KEYS[2],
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("999999999999") && stderr.contains(MOTO_ACCOUNT),
        "{stderr}"
    );
    let channels_after = medialive
        .list_channels()
        .send()
        .await
        .expect("ListChannels")
        .channels()
        .len();
    assert_eq!(channels_before, channels_after, "nothing created");
    let doctor = run(&["--env", "elsewhere", "doctor"]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        report
            .lines()
            .any(|l| l.starts_with("✗ credentials") && l.contains("pinned")),
        "{report}"
    );

    // Export from rehearsal, import into show, export again: the same document, keys aside.
    ok(&[
        "add",
        "--name",
        "Rehearsal backup",
        "--platform",
        "twitch",
        "--preset",
        "720p30",
        "--key",
        KEYS[1],
    ]);
    let exported = ok(&["export"]);
    assert!(
        !exported.contains(KEYS[0]) && !exported.contains(KEYS[1]),
        "{exported}"
    );
    let show_file = dir.path().join("show.toml");
    std::fs::write(&show_file, &exported).expect("write the export");
    let keys_file = dir.path().join("keys");
    let show_path = show_file.display().to_string();
    let keys_path = keys_file.display().to_string();
    // A keys file missing a name: refused, nothing created (checked with the SDK).
    std::fs::write(&keys_file, format!("Rehearsal feed {}\n", KEYS[2])).expect("keys");
    let items_in_show = |dynamodb: aws_sdk_dynamodb::Client| async move {
        dynamodb
            .scan()
            .table_name("onair-show")
            .send()
            .await
            .expect("Scan")
            .items()
            .len()
    };
    let before = items_in_show(dynamodb.clone()).await;
    let refused = run(&["--env", "show", "import", &show_path, "--keys", &keys_path]);
    assert_eq!(refused.status.code(), Some(2));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("Rehearsal backup") && why.contains("no stream key"),
        "{why}"
    );
    assert_eq!(
        items_in_show(dynamodb.clone()).await,
        before,
        "nothing created"
    );
    std::fs::write(
        &keys_file,
        format!("Rehearsal feed {}\nRehearsal backup {}\n", KEYS[2], KEYS[0]),
    )
    .expect("keys");
    ok(&["--env", "show", "import", &show_path, "--keys", &keys_path]);
    let show_export = ok(&["--env", "show", "export"]);
    let in_show = ok(&["--env", "show", "list", "--json"]);
    assert!(in_show.contains("Show feed"), "{in_show}");
    // The show's own destination is in its export too; without it the documents are equal.
    let without_show_feed: String = {
        let mut doc: toml::Table = toml::from_str(&show_export).expect("TOML");
        if let Some(toml::Value::Array(list)) = doc.get_mut("destinations") {
            list.retain(|d| d.get("name").and_then(|n| n.as_str()) != Some("Show feed"));
        }
        toml::to_string(&doc).expect("TOML")
    };
    let rehearsal_doc: toml::Table = toml::from_str(&exported).expect("TOML");
    assert_eq!(
        toml::to_string(&rehearsal_doc).expect("TOML"),
        without_show_feed
    );
    // Importing the same file again: refused for the names that exist, unless --replace.
    let again = run(&["--env", "show", "import", &show_path, "--keys", &keys_path]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--replace"));
    ok(&[
        "--env",
        "show",
        "import",
        &show_path,
        "--keys",
        &keys_path,
        "--replace",
    ]);

    // An environment the file doesn't have is a named error, exit 2.
    let unknown = run(&["--env", "prod", "list"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("\"prod\""));
}

/// Bad show and keys files against moto with the real binary: each is named, exits 2, and
/// nothing is created — no item, no input, no channel (read with the SDK, not with onair).
#[tokio::test]
async fn bad_show_and_keys_files_are_named_and_create_nothing() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let dir = TempDir::new("bad-imports");
    let env = onair_env(&moto, "onair-imports", &flow_arn, dir.path());
    let run = |args: &[&str]| onair(args, &env).output().expect("onair runs");
    succeeded(&["init"], &run(&["init"]));

    let good = "format = \"onair-show\"\nversion = 1\n\n\
                [[destinations]]\nname = \"Feed A\"\nplatform = \"youtube\"\n\
                rtmp_url = \"rtmp://a.rtmp.youtube.com/live2\"\npreset = \"1080p30\"\n\
                wiring = \"mediaconnect\"\n";
    let duplicate = format!(
        "{good}\n[[destinations]]\nname = \"feed a\"\nplatform = \"twitch\"\n\
         rtmp_url = \"rtmp://live.twitch.tv/app\"\npreset = \"720p30\"\nwiring = \"mediaconnect\"\n"
    );
    let cases: Vec<(&str, String, String, &str)> = vec![
        (
            "malformed",
            "format = \"onair-show\"\nversion = [\n".into(),
            format!("Feed A {}\n", KEYS[0]),
            "not an onair show file",
        ),
        (
            "truncated",
            good[..good.len() - 30].to_string(),
            format!("Feed A {}\n", KEYS[0]),
            "not an onair show file",
        ),
        (
            "unknown version",
            good.replace("version = 1", "version = 7"),
            format!("Feed A {}\n", KEYS[0]),
            "format version 7",
        ),
        (
            "a keys file with an extra name",
            good.to_string(),
            format!("Feed A {}\nFeed Z {}\n", KEYS[0], KEYS[1]),
            "Feed Z",
        ),
        (
            "a keys file missing a name",
            good.to_string(),
            "# no keys\n".into(),
            "no stream key",
        ),
        (
            "duplicate names",
            duplicate,
            format!("Feed A {}\n", KEYS[0]),
            "twice",
        ),
    ];
    for (what, show, keys, named) in cases {
        let show_path = dir.path().join("show.toml");
        let keys_path = dir.path().join("keys");
        std::fs::write(&show_path, show).expect("show file");
        std::fs::write(&keys_path, keys).expect("keys file");
        let out = run(&[
            "import",
            &show_path.display().to_string(),
            "--keys",
            &keys_path.display().to_string(),
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(named), "{what}: {stderr}");
        assert!(
            !stderr.contains(KEYS[0]) && !stderr.contains(KEYS[1]),
            "{what}: a key in the error: {stderr}"
        );
    }
    let items = aws_sdk_dynamodb::Client::new(&config)
        .scan()
        .table_name("onair-imports")
        .send()
        .await
        .expect("Scan");
    assert_eq!(items.count(), 0, "no item");
    let medialive = aws_sdk_medialive::Client::new(&config);
    let inputs = medialive.list_inputs().send().await.expect("ListInputs");
    assert!(inputs.inputs().is_empty(), "no input");
    let channels = medialive
        .list_channels()
        .send()
        .await
        .expect("ListChannels");
    assert!(channels.channels().is_empty(), "no channel");
}
