//! Stream keys sealed with KMS over the wire: the SDK backend and the real binary against a
//! private moto server with a KMS key, no AWS account. Moto's KMS encrypts with the encryption
//! context as authenticated data, as AWS does, so a wrong context fails to decrypt.

use crate::common::rig::KEYS;
use crate::common::wire::{
    ROLE_ARN, TempDir, create_flow, onair, onair_env, patched_moto, sdk_config,
};
use aws_config::SdkConfig;
use onair::clock::Clock;
use onair::cloud::aws::{CIPHERTEXT, KMS_KEY, from_sdk_config, init_table};
use onair::cloud::key_context;
use onair::domain::{Catalog, DestinationDraft, DestinationId, Status, StreamKey};
use onair::engine::{Engine, EngineConfig, EngineEvent};
use std::collections::HashMap;
use std::sync::Arc;

const TABLE: &str = "onair-destinations";
const ALIAS: &str = "alias/onair-stream-keys";

/// A symmetric key with an alias; returns the key's ARN.
async fn create_key(config: &SdkConfig) -> String {
    let kms = aws_sdk_kms::Client::new(config);
    let key = kms
        .create_key()
        .description("onair stream keys")
        .send()
        .await
        .expect("CreateKey on moto");
    let meta = key.key_metadata().expect("key metadata");
    kms.create_alias()
        .alias_name(ALIAS)
        .target_key_id(meta.key_id())
        .send()
        .await
        .expect("CreateAlias on moto");
    meta.arn().expect("a key ARN").to_string()
}

type Item = HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

async fn raw_item(config: &SdkConfig, id: DestinationId) -> Option<Item> {
    aws_sdk_dynamodb::Client::new(config)
        .get_item()
        .table_name(TABLE)
        .key(
            "destinationId",
            aws_sdk_dynamodb::types::AttributeValue::S(id.to_string()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("GetItem")
        .item()
        .cloned()
}

/// Every attribute's bytes (strings, numbers and binaries), to search for a key in.
fn item_bytes(item: &Item) -> Vec<u8> {
    let mut all = Vec::new();
    for (name, value) in item {
        all.extend(name.as_bytes());
        if let Ok(s) = value.as_s() {
            all.extend(s.as_bytes());
        } else if let Ok(n) = value.as_n() {
            all.extend(n.as_bytes());
        } else if let Ok(b) = value.as_b() {
            all.extend(b.as_ref());
        }
        all.push(0);
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The stream name of the channel as moto stored it (what CreateChannel sent).
async fn channel_stream_name(config: &SdkConfig, channel_id: &str) -> Option<String> {
    let channel = aws_sdk_medialive::Client::new(config)
        .describe_channel()
        .channel_id(channel_id)
        .send()
        .await
        .expect("DescribeChannel");
    channel
        .destinations()
        .first()
        .and_then(|d| d.settings().first())
        .and_then(|s| s.stream_name())
        .map(str::to_string)
}

#[tokio::test]
async fn a_destination_added_with_a_kms_key_is_sealed_in_dynamodb_and_clear_only_in_medialive() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    init_table(&config, TABLE).await.expect("init");
    let key_arn = create_key(&config).await;

    let backend = from_sdk_config(config.clone(), TABLE.to_string());
    let mut engine_config = EngineConfig::new(&flow_arn, ROLE_ARN);
    engine_config.stream_key_kms_key = Some(ALIAS.to_string());
    let (engine, mut events) = Engine::new(
        backend.cloud.clone(),
        Arc::new(Catalog::builtin()),
        engine_config,
        Clock::system(),
    );
    let id = engine
        .add(DestinationDraft {
            name: "Main YouTube".into(),
            platform: "youtube".into(),
            url: String::new(),
            stream_key: StreamKey::new(KEYS[0]).into(),
            preset: "1080p30".into(),
        })
        .expect("add accepted");
    engine.settle().await;
    let record = engine.record(id).expect("the record");
    assert_eq!(record.status, Status::Idle, "{:?}", record.last_error);

    let item = raw_item(&config, id).await.expect("the item");
    assert!(!item.contains_key("streamKey"), "{item:?}");
    assert!(!contains(&item_bytes(&item), KEYS[0]), "{item:?}");
    assert_eq!(
        item.get(KMS_KEY).and_then(|v| v.as_s().ok()),
        Some(&key_arn),
        "the key's ARN, not the alias"
    );
    let ciphertext = item
        .get(CIPHERTEXT)
        .and_then(|v| v.as_b().ok())
        .expect("a binary ciphertext");
    assert!(ciphertext.as_ref().len() > KEYS[0].len());

    let channel_id = record.media_live_channel_id.clone().expect("a channel");
    assert_eq!(
        channel_stream_name(&config, &channel_id).await.as_deref(),
        Some(KEYS[0])
    );

    // KMS itself refuses the ciphertext under another destination's context.
    let sealed = record
        .stream_key
        .sealed()
        .expect("sealed in memory too")
        .clone();
    let wrong = backend
        .cloud
        .kms
        .decrypt(&sealed, &key_context(DestinationId::new()))
        .await
        .expect_err("another destination's context");
    assert_eq!(wrong.call, "Decrypt");
    let right = backend
        .cloud
        .kms
        .decrypt(&sealed, &key_context(id))
        .await
        .expect("its own context");
    assert_eq!(right.expose(), KEYS[0]);

    let mut seen = String::new();
    while let Ok(event) = events.try_recv() {
        seen.push_str(&format!("{event:?}\n"));
        if let EngineEvent::Upserted(r) = &event {
            assert!(r.stream_key.clear().is_none(), "{:?}", r.stream_key);
        }
    }
    assert!(!seen.contains(KEYS[0]), "{seen}");

    // Delete removes the chain and the item.
    engine.delete(id).expect("delete accepted");
    engine.settle().await;
    assert!(engine.record(id).is_none());
    assert!(raw_item(&config, id).await.is_none());
    let channels = aws_sdk_medialive::Client::new(&config)
        .list_channels()
        .send()
        .await
        .expect("ListChannels");
    assert!(
        channels
            .channels()
            .iter()
            .all(|c| c.state().map(|s| s.as_str()) == Some("DELETED")),
        "{channels:?}"
    );
}

#[tokio::test]
async fn the_cli_seals_with_onair_stream_key_kms_key_and_doctor_checks_the_key() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let key_arn = create_key(&config).await;
    let dir = TempDir::new("kms-cli");
    let mut env = onair_env(&moto, TABLE, &flow_arn, dir.path());
    env.push(("ONAIR_STREAM_KEY_KMS_KEY".into(), ALIAS.into()));

    let run = |args: &[&str], env: &[(String, String)]| {
        let out = onair(args, env).output().expect("onair runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, _, err) = run(&["init"], &env);
    assert_eq!(code, Some(0), "{err}");

    // Doctor: other checks may fail on moto (IAM simulation); this line must pass.
    let (_, out, _) = run(&["doctor"], &env);
    let line = out
        .lines()
        .find(|l| l.contains("stream key encryption"))
        .unwrap_or_else(|| panic!("no KMS check in {out}"));
    assert!(line.starts_with('✓') && line.contains(&key_arn), "{out}");

    let mut bad = env.clone();
    bad.retain(|(k, _)| k != "ONAIR_STREAM_KEY_KMS_KEY");
    bad.push(("ONAIR_STREAM_KEY_KMS_KEY".into(), "alias/nope".into()));
    let (_, out, _) = run(&["doctor"], &bad);
    let line = out
        .lines()
        .find(|l| l.contains("stream key encryption"))
        .unwrap_or_else(|| panic!("no KMS check in {out}"));
    assert!(line.starts_with('✗') && line.contains("KMS"), "{out}");

    let mut with_key = env.clone();
    with_key.push(("ONAIR_STREAM_KEY".into(), KEYS[1].into()));
    let (code, out, err) = run(
        &["add", "--name", "Twitch", "--platform", "twitch"],
        &with_key,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!format!("{out}{err}").contains(KEYS[1]));
    let (code, out, err) = run(&["list", "--json"], &env);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("•••• (KMS)") && !out.contains(KEYS[1]),
        "{out}"
    );

    let listed: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let records = &listed["destinations"];
    let id: DestinationId = records[0]["destinationId"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("an id");
    let item = raw_item(&config, id).await.expect("the item");
    assert!(!contains(&item_bytes(&item), KEYS[1]), "{item:?}");
    let channel = records[0]["mediaLiveChannelId"]
        .as_str()
        .expect("a channel");
    assert_eq!(
        channel_stream_name(&config, channel).await.as_deref(),
        Some(KEYS[1])
    );
    // Logs are written under XDG_STATE_HOME: the key is in none of them.
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(!contains(&bytes, KEYS[1]), "{}", entry.display());
    }

    let (code, _, err) = run(&["rm", "Twitch", "--yes"], &env);
    assert_eq!(code, Some(0), "{err}");
    assert!(raw_item(&config, id).await.is_none());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
