//! Ownership is proven, not guessed (issue 10), with the real binary against moto: two tables in
//! one account, `gc --delete` of one leaves the other's chains, a chain whose item onair can't
//! read, and an untagged onair-looking resource; it still removes this table's real orphan. What
//! is left is checked with the SDK, not with onair.

use crate::common::rig::KEYS;
use crate::common::wire::{
    TempDir, create_flow, onair, onair_env, patched_moto, sdk_config, succeeded,
};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

const A: &str = "shows-a";
const B: &str = "shows-b";

struct Table {
    env: Vec<(String, String)>,
}

impl Table {
    fn ok(&self, args: &[&str]) -> String {
        let out = onair(args, &self.env).output().expect("onair runs");
        succeeded(args, &out)
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?} is JSON ({e}): {out}"))
    }

    /// Adds a destination and returns its record as `list --json` shows it.
    fn add(&self, name: &str, key: &str) -> Value {
        self.ok(&["add", "--name", name, "--platform", "youtube", "--key", key]);
        self.json(&["list", "--json"])["destinations"]
            .as_array()
            .expect("an array of destinations")
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} is listed"))
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The channel's state as DescribeChannel tells it ("DELETED" once gone; moto keeps it).
async fn channel_state(ml: &aws_sdk_medialive::Client, id: &str) -> String {
    ml.describe_channel()
        .channel_id(id)
        .send()
        .await
        .map(|c| {
            c.state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default()
        })
        .unwrap_or_else(|e| format!("gone: {e}"))
}

async fn input_state(ml: &aws_sdk_medialive::Client, id: &str) -> String {
    ml.describe_input()
        .input_id(id)
        .send()
        .await
        .map(|i| {
            i.state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default()
        })
        .unwrap_or_else(|e| format!("gone: {e}"))
}

/// `kind id` of every resource a `gc --json` lists under `notOurs`, with its reason.
fn not_ours(gc: &Value) -> Vec<(String, String, String)> {
    gc["notOurs"]
        .as_array()
        .expect("notOurs")
        .iter()
        .map(|n| (text(&n["kind"]), text(&n["id"]), text(&n["reason"])))
        .collect()
}

fn orphan_ids(gc: &Value, kind: &str) -> Vec<String> {
    gc[kind]
        .as_array()
        .expect("a list")
        .iter()
        .map(|o| text(&o["id"]))
        .collect()
}

#[tokio::test]
async fn gc_delete_of_table_a_leaves_table_bs_chain_an_unreadable_items_and_untagged_ones() {
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let ml = aws_sdk_medialive::Client::new(&config);
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let dir_a = TempDir::new("ownership-a");
    let dir_b = TempDir::new("ownership-b");
    let a = Table {
        env: onair_env(&moto, A, &flow_arn, dir_a.path()),
    };
    let b = Table {
        env: onair_env(&moto, B, &flow_arn, dir_b.path()),
    };
    a.ok(&["init"]);
    b.ok(&["init"]);

    let ours = a.add("A main", KEYS[0]);
    let theirs = b.add("B main", KEYS[1]);
    // An item onair can't read (another tool wrote its status) still owns its chain.
    let unreadable = a.add("A odd", KEYS[2]);
    ddb.update_item()
        .table_name(A)
        .key(
            "destinationId",
            AttributeValue::S(text(&unreadable["destinationId"])),
        )
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", AttributeValue::S("sideways".into()))
        .send()
        .await
        .expect("UpdateItem");
    // A real orphan of table a: its item is gone (a crash between the deletes, a manual rm).
    let stray = a.add("A stray", KEYS[0]);
    ddb.delete_item()
        .table_name(A)
        .key(
            "destinationId",
            AttributeValue::S(text(&stray["destinationId"])),
        )
        .send()
        .await
        .expect("DeleteItem");
    // An input an older onair made: managed, named onair-*, no onair:table tag.
    let legacy = ml
        .create_input()
        .name("onair-legacy-0badc0de")
        .r#type(aws_sdk_medialive::types::InputType::Mediaconnect)
        .media_connect_flows(
            aws_sdk_medialive::types::MediaConnectFlowRequest::builder()
                .flow_arn(&flow_arn)
                .build(),
        )
        .role_arn("arn:aws:iam::123456789012:role/MediaLiveAccessRole")
        .tags("onair:managed", "true")
        .send()
        .await
        .expect("CreateInput")
        .input()
        .and_then(|i| i.id())
        .expect("an input id")
        .to_string();

    let channel = |r: &Value| text(&r["mediaLiveChannelId"]);
    let input = |r: &Value| text(&r["mediaLiveInputId"]);

    // What gc of table a sees: the stray chain is its orphan; table b's chain, the unreadable
    // item's chain and the legacy input are not.
    let seen = a.json(&["gc", "--json"]);
    assert_eq!(seen["table"], A, "{seen:#}");
    assert_eq!(orphan_ids(&seen, "channels"), [channel(&stray)], "{seen:#}");
    assert_eq!(orphan_ids(&seen, "inputs"), [input(&stray)], "{seen:#}");
    let left_alone = not_ours(&seen);
    let table_b = format!("table {B}");
    for expected in [
        ("channel".to_string(), channel(&theirs), table_b.clone()),
        ("input".to_string(), input(&theirs), table_b.clone()),
        (
            "input".to_string(),
            legacy.clone(),
            "no onair:table tag".to_string(),
        ),
    ] {
        assert!(left_alone.contains(&expected), "{expected:?} in {seen:#}");
    }
    let shown = a.ok(&["gc"]);
    assert!(
        shown.contains("not ours, left alone") && shown.contains(&table_b),
        "{shown}"
    );
    assert!(shown.contains(&channel(&stray)), "{shown}");

    let removed = a.ok(&["gc", "--delete"]);
    assert!(removed.contains(&channel(&stray)), "{removed}");

    // Checked with the SDK: only the stray chain went.
    assert_eq!(channel_state(&ml, &channel(&stray)).await, "DELETED");
    assert_eq!(input_state(&ml, &input(&stray)).await, "DELETED");
    for (who, r) in [
        ("table b", &theirs),
        ("unreadable", &unreadable),
        ("ours", &ours),
    ] {
        assert_eq!(channel_state(&ml, &channel(r)).await, "IDLE", "{who}");
        assert_eq!(input_state(&ml, &input(r)).await, "DETACHED", "{who}");
    }
    assert_eq!(input_state(&ml, &legacy).await, "DETACHED", "legacy");

    // Table b's onair still works on its chain.
    let out = b.ok(&["start", "B main"]);
    assert!(out.contains("B main is running"), "{out}");
    // And table b's gc sees table a's chains as not ours, never as orphans.
    let seen_by_b = b.json(&["gc", "--json"]);
    assert!(
        orphan_ids(&seen_by_b, "channels").is_empty(),
        "{seen_by_b:#}"
    );
    assert!(
        not_ours(&seen_by_b).contains(&("channel".into(), channel(&ours), format!("table {A}"))),
        "{seen_by_b:#}"
    );
}

#[tokio::test]
async fn the_seeds_wiring_of_table_b_names_its_table_and_gc_of_table_a_leaves_its_group_and_output()
{
    // Table b builds the seed's way: an input security group (tagged like every resource) and a
    // flow output onair adds, whose owner only its description can say (MediaConnect shows no
    // tags for outputs). Moto keeps what AddFlowOutputs sent (patched, see sitecustomize.py).
    let moto = patched_moto(&[]);
    let config = sdk_config(&moto);
    let flow_arn = create_flow(&config).await;
    let ml = aws_sdk_medialive::Client::new(&config);
    let mc = aws_sdk_mediaconnect::Client::new(&config);
    let dir_a = TempDir::new("ownership-rtp-a");
    let dir_b = TempDir::new("ownership-rtp-b");
    let config_b = dir_b.path().join("config/onair");
    std::fs::create_dir_all(&config_b).expect("config dir");
    std::fs::write(config_b.join("config.toml"), "wiring = \"rtp-push\"\n").expect("config");
    let a = Table {
        env: onair_env(&moto, A, &flow_arn, dir_a.path()),
    };
    let b = Table {
        env: onair_env(&moto, B, &flow_arn, dir_b.path()),
    };
    a.ok(&["init"]);
    b.ok(&["init"]);
    let theirs = b.add("B seed", KEYS[1]);
    let id = text(&theirs["destinationId"]);
    let output_arn = text(&theirs["mediaConnectOutputArn"]);

    // The SDK sent the owner in the output's description, and DescribeFlow gives it back.
    let flow = mc
        .describe_flow()
        .flow_arn(&flow_arn)
        .send()
        .await
        .expect("DescribeFlow");
    let outputs = flow.flow().map(|f| f.outputs()).unwrap_or_default();
    let output = outputs
        .iter()
        .find(|o| o.output_arn() == Some(output_arn.as_str()))
        .unwrap_or_else(|| panic!("{output_arn} in {outputs:?}"));
    let description = output.description().unwrap_or_default();
    assert!(
        description.contains(&format!("onair:table={B}"))
            && description.contains(&format!("onair:destination-id={id}")),
        "{description:?}"
    );
    let groups = ml
        .list_input_security_groups()
        .send()
        .await
        .expect("ListInputSecurityGroups");
    let [group] = groups.input_security_groups() else {
        panic!("one group: {groups:?}");
    };
    let group_id = group.id().unwrap_or_default().to_string();
    assert_eq!(
        group
            .tags()
            .and_then(|t| t.get("onair:table"))
            .map(String::as_str),
        Some(B)
    );

    let seen = a.json(&["gc", "--json"]);
    let left_alone = not_ours(&seen);
    let table_b = format!("table {B}");
    for expected in [
        ("group".to_string(), group_id.clone(), table_b.clone()),
        ("output".to_string(), output_arn.clone(), table_b.clone()),
        ("input".to_string(), input_of(&theirs), table_b.clone()),
    ] {
        assert!(left_alone.contains(&expected), "{expected:?} in {seen:#}");
    }
    for kind in ["channels", "inputs", "flowOutputs", "securityGroups"] {
        assert_eq!(seen[kind], Value::Array(vec![]), "{kind} in {seen:#}");
    }
    a.ok(&["gc", "--delete"]);

    // Checked with the SDK: b's group and output are still there, and b still streams.
    let groups = ml
        .list_input_security_groups()
        .send()
        .await
        .expect("ListInputSecurityGroups");
    assert_eq!(groups.input_security_groups().len(), 1, "{groups:?}");
    let flow = mc
        .describe_flow()
        .flow_arn(&flow_arn)
        .send()
        .await
        .expect("DescribeFlow");
    assert!(
        flow.flow()
            .map(|f| f.outputs())
            .unwrap_or_default()
            .iter()
            .any(|o| o.output_arn() == Some(output_arn.as_str())),
        "{flow:?}"
    );
    let out = b.ok(&["start", "B seed"]);
    assert!(out.contains("B seed is running"), "{out}");
}

fn input_of(r: &Value) -> String {
    text(&r["mediaLiveInputId"])
}
