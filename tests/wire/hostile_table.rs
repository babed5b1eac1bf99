//! A hostile table against moto (issue 10): items written straight into DynamoDB by "another
//! tool" — odd spellings, wrong types, numbers out of range, the seed's snake_case item — and
//! escape sequences, C1 and bidi controls in every text attribute. The real binary's `list`,
//! `list --json`, `reconcile` and `gc` are checked byte by byte: nothing from the records
//! reaches the terminal raw, JSON is exact, every unreadable item is listed with its attribute
//! and why, and no read rewrites an item.

use crate::common::wire::{TempDir, create_flow, onair, onair_env, patched_moto, sdk_config};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use onair::cloud::aws::{init_table, to_item};
use onair::domain::{Destination, Platform, Status, StreamKey};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::process::Output;

const TABLE: &str = "onair-hostile";

type Item = HashMap<String, AttributeValue>;

/// One of each: OSC title, OSC 52 clipboard write, clear screen, CR/LF, C1 (8-bit CSI, NEL),
/// DEL, and the bidi controls.
const HOSTILE: [&str; 8] = [
    "\x1b]0;pwned\x07",
    "\x1b]52;c;cHduZWQ=\x07",
    "\x1b[2J\x1b[H",
    "line\r\nbreak",
    "c1\u{9b}31m\u{85}",
    "del\x7f",
    "bidi\u{202e}evil\u{2066}\u{200f}\u{061c}",
    "\u{202a}\u{202b}\u{202c}\u{202d}\u{2067}\u{2068}\u{2069}\u{200e}",
];

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// The `i`-th hostile text, tagged so each attribute's text is told apart.
fn hostile(i: usize, tag: &str) -> String {
    format!("{tag}{}", HOSTILE[i % HOSTILE.len()])
}

/// A readable item with escape sequences in every text attribute onair keeps as it is.
fn hostile_record(i: usize) -> Item {
    let mut d = Destination::new(
        hostile(i, "name"),
        Platform::Custom,
        hostile(i + 1, "rtmp://"),
        StreamKey::new(hostile(i + 2, "key")),
        hostile(i + 3, "preset"),
        time::macros::datetime!(2026-11-25 18:00 UTC) + time::Duration::minutes(i as i64),
    );
    d.status = Status::Idle;
    d.version = 3;
    d.media_live_channel_id = Some(hostile(i + 4, "ch"));
    d.media_live_input_id = Some(hostile(i + 5, "in"));
    d.media_connect_output_arn = Some(hostile(i + 6, "arn"));
    d.input_security_group_id = Some(hostile(i + 7, "sg"));
    d.last_error = Some(hostile(i, "err"));
    d.input_request_id = Some(hostile(i + 1, "ireq"));
    d.channel_request_id = Some(hostile(i + 2, "creq"));
    to_item(&d)
}

/// The odd items: (what, item, the attribute onair must name, or None when it reads it).
fn odd_items() -> Vec<(String, Item, Option<&'static str>)> {
    let mut out: Vec<(String, Item, Option<&'static str>)> = Vec::new();
    let mut i = 0usize;
    let mut odd = |what: &str, attribute: Option<&'static str>, change: &dyn Fn(&mut Item)| {
        let mut item = hostile_record(i);
        change(&mut item);
        out.push((what.to_string(), item, attribute));
        i += 1;
    };
    // Read: another tool's spelling of a known status, and NULL for "no channel".
    odd("status RUNNING", None, &|it| {
        it.insert("status".into(), s("RUNNING"));
    });
    odd("status Idle", None, &|it| {
        it.insert("status".into(), s("Idle"));
    });
    odd("status STOPPING", None, &|it| {
        it.insert("status".into(), s("STOPPING"));
    });
    odd("channel NULL", None, &|it| {
        it.insert("mediaLiveChannelId".into(), AttributeValue::Null(true));
    });
    // Not read: everything onair would have to guess.
    odd("status live", Some("status"), &|it| {
        it.insert("status".into(), s("live"));
    });
    odd("status 7", Some("status"), &|it| {
        it.insert("status".into(), n("7"));
    });
    odd("status with escapes", Some("status"), &|it| {
        it.insert("status".into(), s("idle\x1b[2J"));
    });
    odd("no status", Some("status"), &|it| {
        it.remove("status");
    });
    odd("no createdAt", Some("createdAt"), &|it| {
        it.remove("createdAt");
    });
    odd("createdAt yesterday", Some("createdAt"), &|it| {
        it.insert("createdAt".into(), s("yesterday"));
    });
    odd("lastModified not a time", Some("lastModified"), &|it| {
        it.insert("lastModified".into(), s("\x1b]0;t\x07"));
    });
    odd("desired sideways", Some("desired"), &|it| {
        it.insert("desired".into(), s("sideways"));
    });
    odd("desired RUNNING", Some("desired"), &|it| {
        it.insert("desired".into(), s("RUNNING"));
    });
    odd("version as a string", Some("version"), &|it| {
        it.insert("version".into(), s("3"));
    });
    odd("version as a float", Some("version"), &|it| {
        it.insert("version".into(), n("3.5"));
    });
    odd("version u64::MAX", Some("version"), &|it| {
        it.insert("version".into(), n("18446744073709551615"));
    });
    odd("version 2^53", Some("version"), &|it| {
        it.insert("version".into(), n("9007199254740992"));
    });
    odd("version -1", Some("version"), &|it| {
        it.insert("version".into(), n("-1"));
    });
    odd("runSeconds as a string", Some("runSeconds"), &|it| {
        it.insert("runSeconds".into(), s("3600"));
    });
    odd("billedRunMinutes huge", Some("billedRunMinutes"), &|it| {
        it.insert("billedRunMinutes".into(), n("99999999999999999999"));
    });
    odd(
        "channel id as a number",
        Some("mediaLiveChannelId"),
        &|it| {
            it.insert("mediaLiveChannelId".into(), n("1234567"));
        },
    );
    odd("platform myspace", Some("platform"), &|it| {
        it.insert("platform".into(), s("myspace\u{202e}"));
    });
    odd("no rtmpUrl", Some("rtmpUrl"), &|it| {
        it.remove("rtmpUrl");
    });
    odd("ciphertext as text", Some("streamKeyCiphertext"), &|it| {
        it.insert("streamKeyCiphertext".into(), s("AQID"));
    });
    odd("id not a UUID", Some("destinationId"), &|it| {
        it.insert("destinationId".into(), s("\x1b]0;id\x07-not-a-uuid"));
    });
    odd("name as a number", Some("name"), &|it| {
        it.insert("name".into(), n("42"));
    });
    // The seed's snake_case item: only its key has onair's spelling.
    odd("the seed's snake_case item", Some("platform"), &|it| {
        let id = it["destinationId"].clone();
        it.clear();
        it.insert("destinationId".into(), id);
        it.insert("name".into(), s("Seed \x1b[31mFB"));
        it.insert("platform_name".into(), s("facebook"));
        it.insert(
            "rtmp_url".into(),
            s("rtmps://live-api-s.facebook.com:443/rtmp/"),
        );
        it.insert("stream_key".into(), s("FB-0000"));
        it.insert("created_at".into(), s("2026-01-01T00:00:00Z"));
        it.insert(
            "key_blob".into(),
            AttributeValue::B(Blob::new(vec![0x1b, 0x07])),
        );
    });
    out
}

/// Every item in the table by id, exactly as stored.
async fn items(ddb: &aws_sdk_dynamodb::Client) -> BTreeMap<String, Item> {
    let out = ddb
        .scan()
        .table_name(TABLE)
        .consistent_read(true)
        .send()
        .await
        .expect("Scan");
    out.items()
        .iter()
        .map(|item| {
            let id = item["destinationId"].as_s().expect("a string key").clone();
            (id, item.clone())
        })
        .collect()
}

fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// The raw bytes of a stream carry no ESC, BEL or CR, and no C1, DEL or bidi code point.
fn assert_clean(what: &str, bytes: &[u8]) {
    for (byte, name) in [(0x1b, "ESC"), (0x07, "BEL"), (b'\r', "CR"), (0x7f, "DEL")] {
        assert!(
            !bytes.contains(&byte),
            "{what}: {name} reaches the terminal:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{what}: not UTF-8: {e}"));
    for c in text.chars() {
        assert!(
            !('\u{80}'..='\u{9f}').contains(&c) && !is_bidi(c),
            "{what}: U+{:04X} reaches the terminal:\n{text}",
            u32::from(c)
        );
    }
}

fn run(args: &[&str], env: &[(String, String)]) -> Output {
    let out = onair(args, env).output().expect("onair runs");
    assert_clean(&format!("onair {args:?} stdout"), &out.stdout);
    assert_clean(&format!("onair {args:?} stderr"), &out.stderr);
    out
}

#[tokio::test]
async fn a_hostile_table_is_listed_safely_exactly_and_without_a_write() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    init_table(&config, TABLE).await.expect("init");
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let odd = odd_items();
    assert!(odd.len() >= 20);
    for (_, item, _) in &odd {
        ddb.put_item()
            .table_name(TABLE)
            .set_item(Some(item.clone()))
            .send()
            .await
            .expect("PutItem");
    }
    let dir = TempDir::new("hostile-table");
    let env = onair_env(&moto, TABLE, &flow_arn, dir.path());
    let before = items(&ddb).await;
    assert_eq!(before.len(), odd.len());

    // `list`: a line per item, the unreadable ones marked with the attribute and why.
    let out = run(&["list"], &env);
    assert_eq!(out.status.code(), Some(0));
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        listed.contains("␛]0;pwned␇"),
        "escapes are shown visibly:\n{listed}"
    );
    assert!(
        listed.contains("<U+202E>"),
        "bidi controls are named:\n{listed}"
    );
    let unreadable_lines: Vec<&str> = listed
        .lines()
        .filter(|l| l.contains("UNREADABLE"))
        .collect();
    let expected_unreadable: Vec<&(String, Item, Option<&str>)> =
        odd.iter().filter(|(_, _, a)| a.is_some()).collect();
    assert_eq!(
        unreadable_lines.len(),
        expected_unreadable.len(),
        "every unreadable item is listed once:\n{listed}"
    );
    for (what, _, attribute) in &expected_unreadable {
        let attribute = attribute.expect("unreadable");
        assert!(
            unreadable_lines
                .iter()
                .any(|l| l.contains(&format!("attribute {attribute}:"))),
            "{what}: attribute {attribute} named:\n{listed}"
        );
    }
    let readable = odd.iter().filter(|(_, _, a)| a.is_none()).count();
    assert_eq!(
        listed.lines().count(),
        1 + readable + expected_unreadable.len() + 1,
        "one line per item (a name's LF is shown, not printed):\n{listed}"
    );

    // `list --json`: exact strings, and the unreadable items with attribute and reason.
    let out = run(&["list", "--json"], &env);
    assert_eq!(out.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&out.stdout).expect("list --json is JSON");
    let destinations = json["destinations"].as_array().expect("destinations");
    assert_eq!(destinations.len(), readable);
    for d in destinations {
        let id = d["destinationId"].as_str().expect("an id");
        let stored = &before[id];
        for attribute in [
            "name",
            "rtmpUrl",
            "preset",
            "mediaLiveInputId",
            "mediaConnectOutputArn",
            "lastError",
        ] {
            assert_eq!(
                d[attribute].as_str(),
                stored[attribute].as_s().ok().map(String::as_str),
                "{attribute} round-trips exactly"
            );
        }
    }
    let unreadable = json["unreadable"].as_array().expect("unreadable");
    assert_eq!(unreadable.len(), expected_unreadable.len(), "{json:#}");
    for (what, item, attribute) in &expected_unreadable {
        let id = item["destinationId"].as_s().expect("id");
        let entry = unreadable
            .iter()
            .find(|u| u["destinationId"].as_str() == Some(id.as_str()))
            .unwrap_or_else(|| panic!("{what} is in --json: {json:#}"));
        assert_eq!(entry["attribute"].as_str(), *attribute, "{what}: {entry}");
        assert!(
            entry["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{what}: {entry}"
        );
        assert_eq!(
            entry["name"].as_str(),
            item.get("name")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str),
            "{what}: the raw name, exactly"
        );
    }
    // Never a key, not even part of one, in the JSON.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("FB-0000"));

    // `gc` (a read): clean, and nothing written.
    let out = run(&["gc"], &env);
    assert!(out.status.code().is_some());
    assert_eq!(items(&ddb).await, before, "no item is rewritten by a read");

    // Starting, stopping or deleting an unreadable item is refused before anything is done.
    let (_, item, _) = expected_unreadable
        .iter()
        .find(|(what, _, _)| what == "status live")
        .expect("status live");
    let id = item["destinationId"].as_s().expect("id").clone();
    for verb in ["start", "stop"] {
        let out = run(&[verb, &id], &env);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{verb}: {err}");
        assert!(
            err.contains("status") && err.contains("rm --force"),
            "{verb}: {err}"
        );
    }
    let out = run(&["rm", "--yes", &id], &env);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(items(&ddb).await, before, "refusals write nothing");

    // `reconcile` acts on the readable records only: every unreadable item stays as it was.
    let out = run(&["reconcile"], &env);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("left alone"), "{said}");
    let after = items(&ddb).await;
    for (what, item, _) in &expected_unreadable {
        let id = item["destinationId"].as_s().expect("id");
        assert_eq!(
            after.get(id),
            Some(item),
            "{what}: reconcile left it as it was"
        );
    }

    // `rm --force` removes that item only, and says what it leaves.
    let out = run(&["rm", "--force", "--yes", &id], &env);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("left alone"), "{said}");
    let mut expected = after.clone();
    expected.remove(&id);
    assert_eq!(items(&ddb).await, expected);
}
