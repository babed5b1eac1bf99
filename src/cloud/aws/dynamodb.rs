//! The destination table in DynamoDB, item by item in the seed's attribute names. Writes are
//! conditional on `version` (optimistic locking); records the seed wrote have no `version`
//! and count as version 0.

use super::errors::Endpoint;
use crate::cloud::keys::refuse_unsealed;
use crate::cloud::{CloudError, ErrorKind, RecordStore, TableScan};
use crate::domain::{
    Desired, Destination, DestinationId, Platform, ScheduleKind, ScheduleRef, SealedKey, Status,
    StoredKey, StreamKey, UnreadableRecord,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub const HASH_KEY: &str = "destinationId";
/// A sealed key's attributes; an item has either these or the seed's `streamKey`, never both.
pub const CIPHERTEXT: &str = "streamKeyCiphertext";
pub const KMS_KEY: &str = "streamKeyKmsKey";

pub struct SdkRecordStore {
    client: Client,
    table: String,
    endpoint: Endpoint,
}

impl SdkRecordStore {
    pub(crate) fn new(client: Client, table: impl Into<String>, endpoint: Endpoint) -> Self {
        Self {
            client,
            table: table.into(),
            endpoint,
        }
    }
}

type Item = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn time_text(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The item for a record. A clear key goes in the seed's `streamKey`; a key sealed by KMS goes in
/// `streamKeyCiphertext` (binary) with the key's ARN in `streamKeyKmsKey`, and `streamKey` is
/// absent (every write is a whole-item PutItem, so sealing a clear record removes it). A key
/// still being sealed writes neither: the stores refuse such a record before calling this.
pub fn to_item(r: &Destination) -> Item {
    let mut item = Item::new();
    item.insert(HASH_KEY.into(), s(r.destination_id.to_string()));
    item.insert("name".into(), s(&r.name));
    item.insert("platform".into(), s(r.platform.as_str()));
    item.insert("rtmpUrl".into(), s(&r.rtmp_url));
    match &r.stream_key {
        StoredKey::Clear(key) => {
            item.insert("streamKey".into(), s(key.expose()));
        }
        StoredKey::Sealed(sealed) => {
            item.insert(
                CIPHERTEXT.into(),
                AttributeValue::B(Blob::new(sealed.ciphertext.clone())),
            );
            item.insert(KMS_KEY.into(), s(&sealed.key_id));
        }
        StoredKey::Sealing => {}
    }
    item.insert("preset".into(), s(&r.preset));
    item.insert("status".into(), s(r.status.as_str()));
    item.insert("createdAt".into(), s(time_text(r.created_at)));
    item.insert("lastModified".into(), s(time_text(r.last_modified)));
    item.insert("desired".into(), s(r.desired.as_str()));
    item.insert("version".into(), n(r.version));
    item.insert("runSeconds".into(), n(r.run_seconds));
    item.insert("billedRunMinutes".into(), n(r.billed_run_minutes));
    let optional = [
        ("mediaLiveChannelId", &r.media_live_channel_id),
        ("mediaConnectOutputArn", &r.media_connect_output_arn),
        ("mediaLiveInputId", &r.media_live_input_id),
        ("inputSecurityGroupId", &r.input_security_group_id),
        ("lastError", &r.last_error),
        ("inputRequestId", &r.input_request_id),
        ("channelRequestId", &r.channel_request_id),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            item.insert(key.into(), s(v));
        }
    }
    if let Some(t) = r.running_since {
        item.insert("runningSince".into(), s(time_text(t)));
    }
    if !r.schedules.is_empty() {
        item.insert(SCHEDULES.into(), schedules_value(&r.schedules));
    }
    if let Some(t) = r.deadline_stopped_at {
        item.insert("deadlineStoppedAt".into(), s(time_text(t)));
    }
    item
}

/// The record's EventBridge schedules: a list of maps `{name, kind, firesAt[, onAirAt]}`.
/// Older items have no such attribute (no schedules).
pub const SCHEDULES: &str = "schedules";

fn schedules_value(schedules: &[ScheduleRef]) -> AttributeValue {
    AttributeValue::L(
        schedules
            .iter()
            .map(|sch| {
                let mut m = HashMap::new();
                m.insert("name".to_string(), s(&sch.name));
                m.insert("kind".to_string(), s(sch.kind.as_str()));
                m.insert("firesAt".to_string(), s(time_text(sch.fires_at)));
                if let Some(t) = sch.on_air_at {
                    m.insert("onAirAt".to_string(), s(time_text(t)));
                }
                AttributeValue::M(m)
            })
            .collect(),
    )
}

/// Reads `schedules`, naming what is wrong in one entry rather than guessing.
fn schedules_of(value: Option<&AttributeValue>) -> Result<Vec<ScheduleRef>, String> {
    let list = match value {
        None | Some(AttributeValue::Null(_)) => return Ok(Vec::new()),
        Some(AttributeValue::L(list)) => list,
        Some(other) => return Err(format!("is {}, not a list", kind(other))),
    };
    list.iter()
        .enumerate()
        .map(|(i, entry)| {
            let m = entry
                .as_m()
                .map_err(|_| format!("entry {i} is {}, not a map", kind(entry)))?;
            let field = |key: &str| -> Result<Option<&String>, String> {
                match m.get(key) {
                    None | Some(AttributeValue::Null(_)) => Ok(None),
                    Some(AttributeValue::S(v)) => Ok(Some(v)),
                    Some(other) => Err(format!("entry {i}: {key} is {}", kind(other))),
                }
            };
            let time_of = |key: &str| -> Result<Option<OffsetDateTime>, String> {
                field(key)?
                    .map(|t| {
                        OffsetDateTime::parse(t, &Rfc3339).map_err(|_| {
                            format!("entry {i}: {key} is {}, not an RFC 3339 time", quoted(t))
                        })
                    })
                    .transpose()
            };
            let name = field("name")?
                .cloned()
                .ok_or_else(|| format!("entry {i}: name is missing"))?;
            let kind_text = field("kind")?.cloned().unwrap_or_default();
            let kind = ScheduleKind::parse(&kind_text).ok_or_else(|| {
                format!(
                    "entry {i}: kind is {}, not start, stop or deadline",
                    quoted(&kind_text)
                )
            })?;
            let fires_at =
                time_of("firesAt")?.ok_or_else(|| format!("entry {i}: firesAt is missing"))?;
            Ok(ScheduleRef {
                name,
                kind,
                fires_at,
                on_air_at: time_of("onAirAt")?,
            })
        })
        .collect()
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("item {id}: attribute {key}: {rule}")]
pub struct ItemError {
    pub id: String,
    pub key: &'static str,
    pub rule: String,
}

/// The largest number onair reads from the table: 2^53 − 1, the largest integer every DynamoDB
/// client reads exactly (JavaScript's SDK reads numbers as doubles). A version above it could
/// not be written back as the same number by the seed, and one near `u64::MAX` would overflow.
pub const MAX_NUMBER: u64 = (1 << 53) - 1;

/// Statuses as onair writes them; another tool's upper- or mixed-case spelling of the same
/// word ("RUNNING", "Idle") means the same thing and is read. Anything else is not guessed.
fn status_of(text: &str) -> Option<Status> {
    const ALL: [Status; 8] = [
        Status::Creating,
        Status::Idle,
        Status::Starting,
        Status::Running,
        Status::Stopping,
        Status::Deleting,
        Status::Error,
        Status::Parked,
    ];
    ALL.into_iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(text))
}

/// A value quoted in a reason, cut short: reasons are shown on one line.
fn quoted(text: &str) -> String {
    let cut: String = text.chars().take(24).collect();
    if cut.len() < text.len() {
        format!("{cut:?}…")
    } else {
        format!("{cut:?}")
    }
}

/// What kind of DynamoDB value this is, for a reason.
fn kind(value: &AttributeValue) -> &'static str {
    match value {
        AttributeValue::S(_) => "a string",
        AttributeValue::N(_) => "a number",
        AttributeValue::B(_) => "binary",
        AttributeValue::Bool(_) => "a boolean",
        AttributeValue::Null(_) => "null",
        AttributeValue::L(_) => "a list",
        AttributeValue::M(_) => "a map",
        AttributeValue::Ss(_) => "a string set",
        AttributeValue::Ns(_) => "a number set",
        AttributeValue::Bs(_) => "a binary set",
        _ => "of an unknown type",
    }
}

/// A record from an item, tolerating what the seed's items lack (desired, version, …) and
/// reading nothing it would have to guess: an attribute present with the wrong type, a number
/// out of range or a word onair doesn't know is an error naming the attribute.
pub fn from_item(item: &Item) -> Result<Destination, ItemError> {
    let id_text = item
        .get(HASH_KEY)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let bad = |key: &'static str, rule: String| ItemError {
        id: id_text.clone(),
        key,
        rule,
    };
    // A string attribute: absent (or NULL) is `None`, another type is an error.
    let text = |key: &'static str| -> Result<Option<String>, ItemError> {
        match item.get(key) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(s)) => Ok(Some(s.clone())),
            Some(other) => Err(bad(key, format!("is {}, not a string", kind(other)))),
        }
    };
    let required = |key: &'static str| text(key)?.ok_or_else(|| bad(key, "is missing".into()));
    let number = |key: &'static str| -> Result<Option<u64>, ItemError> {
        let n = match item.get(key) {
            None | Some(AttributeValue::Null(_)) => return Ok(None),
            Some(AttributeValue::N(n)) => n,
            Some(other) => return Err(bad(key, format!("is {}, not a number", kind(other)))),
        };
        match n.parse::<u64>() {
            Ok(v) if v <= MAX_NUMBER => Ok(Some(v)),
            Ok(_) => Err(bad(
                key,
                format!("is {}, above 2^53 − 1 (the largest onair reads)", quoted(n)),
            )),
            Err(_) => Err(bad(
                key,
                format!("is {}, not a whole number from 0 to 2^53 − 1", quoted(n)),
            )),
        }
    };
    let when = |key: &'static str| -> Result<Option<OffsetDateTime>, ItemError> {
        text(key)?
            .map(|t| {
                OffsetDateTime::parse(&t, &Rfc3339)
                    .map_err(|_| bad(key, format!("is {}, not an RFC 3339 time", quoted(&t))))
            })
            .transpose()
    };
    let destination_id: DestinationId = required(HASH_KEY)?
        .parse()
        .map_err(|_| bad(HASH_KEY, "is not a UUID".into()))?;
    let platform_text = required("platform")?;
    let platform: Platform = platform_text.parse().map_err(|_| {
        bad(
            "platform",
            format!("is {}, not a known platform", quoted(&platform_text)),
        )
    })?;
    let status_text = required("status")?;
    let status = status_of(&status_text).ok_or_else(|| {
        bad(
            "status",
            format!("is {}, not a known status", quoted(&status_text)),
        )
    })?;
    let desired = match text("desired")?.as_deref() {
        Some("running") => Desired::Running,
        Some("absent") => Desired::Absent,
        Some("idle") => Desired::Idle,
        None if status == Status::Running => Desired::Running,
        None => Desired::Idle,
        Some(other) => {
            return Err(bad(
                "desired",
                format!("is {}, not idle, running or absent", quoted(other)),
            ));
        }
    };
    let created_at = when("createdAt")?.ok_or_else(|| bad("createdAt", "is missing".into()))?;
    let stream_key = match item.get(CIPHERTEXT) {
        Some(value) => {
            let blob = value
                .as_b()
                .map_err(|_| bad(CIPHERTEXT, format!("is {}, not binary", kind(value))))?;
            StoredKey::Sealed(SealedKey {
                key_id: text(KMS_KEY)?.unwrap_or_default(),
                ciphertext: blob.as_ref().to_vec(),
            })
        }
        // Never quoted: this is the secret.
        None => StoredKey::Clear(StreamKey::new(required("streamKey")?)),
    };
    Ok(Destination {
        destination_id,
        name: required("name")?,
        platform,
        rtmp_url: required("rtmpUrl")?,
        stream_key,
        preset: text("preset")?.unwrap_or_else(|| "1080p30".to_string()),
        status,
        media_live_channel_id: text("mediaLiveChannelId")?,
        media_connect_output_arn: text("mediaConnectOutputArn")?,
        media_live_input_id: text("mediaLiveInputId")?,
        input_security_group_id: text("inputSecurityGroupId")?,
        created_at,
        last_modified: when("lastModified")?.unwrap_or(created_at),
        desired,
        version: number("version")?.unwrap_or(0),
        last_error: text("lastError")?,
        running_since: when("runningSince")?,
        run_seconds: number("runSeconds")?.unwrap_or(0),
        billed_run_minutes: number("billedRunMinutes")?.unwrap_or(0),
        input_request_id: text("inputRequestId")?,
        channel_request_id: text("channelRequestId")?,
        schedules: schedules_of(item.get(SCHEDULES)).map_err(|rule| bad(SCHEDULES, rule))?,
        deadline_stopped_at: when("deadlineStoppedAt")?,
    })
}

/// What `scan` reports for an item `from_item` refused: its id and name as stored (when they
/// are strings), the attribute and why.
pub fn unreadable(item: &Item, error: ItemError) -> UnreadableRecord {
    let raw = |key: &str| item.get(key).and_then(|v| v.as_s().ok()).cloned();
    UnreadableRecord {
        id: raw(HASH_KEY),
        name: raw("name"),
        attribute: error.key.to_string(),
        reason: error.rule,
    }
}

/// The condition for a write based on `expected`: the seed's items (no version) are version 0.
fn version_condition(expected: u64) -> &'static str {
    if expected == 0 {
        "attribute_exists(destinationId) AND (attribute_not_exists(#v) OR #v = :expected)"
    } else {
        "attribute_exists(destinationId) AND #v = :expected"
    }
}

#[async_trait]
impl RecordStore for SdkRecordStore {
    async fn get(&self, id: DestinationId) -> Result<Option<Destination>, CloudError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(HASH_KEY, s(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| self.endpoint.map("GetItem", e))?;
        out.item()
            .map(from_item)
            .transpose()
            .map_err(|e| CloudError::new("GetItem", ErrorKind::Validation, e.to_string()))
    }

    async fn put_if_absent(&self, record: &Destination) -> Result<(), CloudError> {
        refuse_unsealed("PutItem", record)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)))
            .condition_expression("attribute_not_exists(destinationId)")
            .send()
            .await
            .map_err(|e| self.endpoint.map("PutItem", e))?;
        Ok(())
    }

    async fn update_if_version(
        &self,
        record: &Destination,
        expected: u64,
    ) -> Result<(), CloudError> {
        refuse_unsealed("PutItem", record)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(record)))
            .condition_expression(version_condition(expected))
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected))
            .send()
            .await
            .map_err(|e| self.endpoint.map("PutItem", e))?;
        Ok(())
    }

    async fn delete_if_version(&self, id: DestinationId, expected: u64) -> Result<(), CloudError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(HASH_KEY, s(id.to_string()))
            .condition_expression(version_condition(expected))
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":expected", n(expected))
            .send()
            .await
            .map_err(|e| self.endpoint.map("DeleteItem", e))?;
        Ok(())
    }

    async fn scan(&self) -> Result<TableScan, CloudError> {
        let mut records = Vec::new();
        let mut unreadable_items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| self.endpoint.map("Scan", e))?;
            for item in out.items() {
                // One bad row must not hide the others during a show, nor vanish itself:
                // it is reported, and what it owns in AWS stays its own.
                match from_item(item) {
                    Ok(r) => records.push(r),
                    Err(e) => unreadable_items.push(unreadable(item, e)),
                }
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        records.sort_by_key(|r| (r.created_at, r.destination_id));
        unreadable_items.sort();
        Ok(TableScan {
            records,
            unreadable: unreadable_items,
        })
    }

    async fn delete_unreadable(&self, id: &str) -> Result<(), CloudError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(HASH_KEY, s(id))
            .condition_expression("attribute_exists(destinationId)")
            .send()
            .await
            .map_err(|e| self.endpoint.map("DeleteItem", e))?;
        Ok(())
    }
}

/// Creates the destination table (pay per request, hash key `destinationId`) if it is missing,
/// waits for it, and turns point-in-time recovery on. Returns whether it created the table.
pub async fn init_table(
    sdk_config: &aws_config::SdkConfig,
    table: &str,
) -> Result<bool, CloudError> {
    use aws_sdk_dynamodb::client::Waiters;
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType,
        PointInTimeRecoverySpecification, ScalarAttributeType,
    };
    let client = Client::new(sdk_config);
    let endpoint = Endpoint::of(sdk_config, "dynamodb");
    let exists = match client.describe_table().table_name(table).send().await {
        Ok(_) => true,
        Err(e) => {
            let e = endpoint.map("DescribeTable", e);
            if !e.is_not_found() {
                return Err(e);
            }
            false
        }
    };
    if !exists {
        let attribute = AttributeDefinition::builder()
            .attribute_name(HASH_KEY)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(|e| CloudError::new("CreateTable", ErrorKind::Validation, e.to_string()))?;
        let key = KeySchemaElement::builder()
            .attribute_name(HASH_KEY)
            .key_type(KeyType::Hash)
            .build()
            .map_err(|e| CloudError::new("CreateTable", ErrorKind::Validation, e.to_string()))?;
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute)
            .key_schema(key)
            .send()
            .await
            .map_err(|e| endpoint.map("CreateTable", e))?;
        client
            .wait_until_table_exists()
            .table_name(table)
            .wait(std::time::Duration::from_secs(120))
            .await
            .map_err(|e| CloudError::new("DescribeTable", ErrorKind::Timeout, e.to_string()))?;
    }
    let pitr = PointInTimeRecoverySpecification::builder()
        .point_in_time_recovery_enabled(true)
        .build()
        .map_err(|e| {
            CloudError::new(
                "UpdateContinuousBackups",
                ErrorKind::Validation,
                e.to_string(),
            )
        })?;
    client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(pitr)
        .send()
        .await
        .map_err(|e| endpoint.map("UpdateContinuousBackups", e))?;
    Ok(!exists)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn main() -> Destination {
        Destination::new(
            "Main".into(),
            Platform::Youtube,
            "rtmp://a.rtmp.youtube.com/live2".into(),
            StreamKey::new("abcd-efgh-ijkl"),
            "1080p30".into(),
            time::macros::datetime!(2026-11-25 10:00 UTC),
        )
    }

    #[test]
    fn items_round_trip_with_the_key_in_clear() {
        let mut d = main();
        d.media_live_channel_id = Some("1234567".into());
        let back = from_item(&to_item(&d)).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn schedules_round_trip_and_an_item_without_them_has_none() {
        let mut d = main();
        let item = to_item(&d);
        assert!(!item.contains_key(SCHEDULES));
        assert!(from_item(&item).unwrap().schedules.is_empty());
        d.schedules = vec![
            ScheduleRef {
                name: "onair-12345678-start-1".into(),
                kind: ScheduleKind::Start,
                fires_at: time::macros::datetime!(2026-11-25 19:20 UTC),
                on_air_at: Some(time::macros::datetime!(2026-11-25 19:30 UTC)),
            },
            ScheduleRef {
                name: "onair-12345678-deadline-2".into(),
                kind: ScheduleKind::Deadline,
                fires_at: time::macros::datetime!(2026-11-26 07:30 UTC),
                on_air_at: None,
            },
        ];
        d.deadline_stopped_at = Some(time::macros::datetime!(2026-11-25 12:00 UTC));
        assert_eq!(from_item(&to_item(&d)).unwrap(), d);

        let mut wrong = to_item(&d);
        wrong.insert(SCHEDULES.into(), s("soon"));
        assert_eq!(from_item(&wrong).unwrap_err().key, SCHEDULES);
        let mut unknown_kind = to_item(&d);
        if let Some(AttributeValue::L(list)) = unknown_kind.get_mut(SCHEDULES)
            && let Some(AttributeValue::M(m)) = list.first_mut()
        {
            m.insert("kind".into(), s("reboot"));
        }
        let err = from_item(&unknown_kind).unwrap_err();
        assert!(err.rule.contains("reboot"), "{err}");
    }

    #[test]
    fn a_seed_item_without_the_new_attributes_reads_as_version_0() {
        let mut item = to_item(&Destination::new(
            "Seed".into(),
            Platform::Twitch,
            "rtmp://live.twitch.tv/app".into(),
            StreamKey::new("k"),
            "720p30".into(),
            time::macros::datetime!(2026-11-25 10:00 UTC),
        ));
        for key in [
            "desired",
            "version",
            "runSeconds",
            "billedRunMinutes",
            "lastModified",
        ] {
            item.remove(key);
        }
        item.insert("status".into(), s("running"));
        let r = from_item(&item).unwrap();
        assert_eq!((r.version, r.desired), (0, Desired::Running));
    }

    #[test]
    fn a_sealed_key_is_stored_as_ciphertext_and_never_in_clear() {
        let sealed = SealedKey {
            key_id: "arn:aws:kms:us-east-1:111122223333:key/k".into(),
            ciphertext: vec![0, 1, 2, 250, 251],
        };
        let d = Destination::new(
            "Main".into(),
            Platform::Youtube,
            "rtmp://a.rtmp.youtube.com/live2".into(),
            StoredKey::Sealed(sealed.clone()),
            "1080p30".into(),
            time::macros::datetime!(2026-11-25 10:00 UTC),
        );
        let item = to_item(&d);
        assert!(!item.contains_key("streamKey"), "{item:?}");
        assert_eq!(
            item.get(CIPHERTEXT)
                .and_then(|v| v.as_b().ok())
                .map(|b| b.as_ref()),
            Some(&sealed.ciphertext[..])
        );
        assert_eq!(from_item(&item).unwrap(), d);

        let mut not_binary = item.clone();
        not_binary.insert(CIPHERTEXT.into(), s("text"));
        assert_eq!(from_item(&not_binary).unwrap_err().key, CIPHERTEXT);
    }

    #[test]
    fn a_seed_item_keeps_its_clear_key() {
        let d = Destination::new(
            "Seed".into(),
            Platform::Twitch,
            "rtmp://live.twitch.tv/app".into(),
            StreamKey::new("live_123"),
            "720p30".into(),
            time::macros::datetime!(2026-11-25 10:00 UTC),
        );
        let back = from_item(&to_item(&d)).unwrap();
        assert_eq!(
            back.stream_key.clear().map(StreamKey::expose),
            Some("live_123")
        );
    }

    fn good_item() -> Item {
        let mut d = main();
        d.version = 7;
        d.media_live_channel_id = Some("1234567".into());
        to_item(&d)
    }

    fn with(key: &str, value: AttributeValue) -> Item {
        let mut item = good_item();
        item.insert(key.into(), value);
        item
    }

    fn without(key: &str) -> Item {
        let mut item = good_item();
        item.remove(key);
        item
    }

    fn n_text(v: &str) -> AttributeValue {
        AttributeValue::N(v.into())
    }

    #[test]
    fn another_tools_spelling_of_a_status_is_read_and_nothing_else_is_guessed() {
        for (text, status) in [
            ("RUNNING", Status::Running),
            ("Idle", Status::Idle),
            ("STOPPING", Status::Stopping),
            ("parked", Status::Parked),
        ] {
            assert_eq!(from_item(&with("status", s(text))).unwrap().status, status);
        }
        for text in ["live", "ON_AIR", "running ", "", "idle\u{1b}"] {
            let err = from_item(&with("status", s(text))).unwrap_err();
            assert_eq!(err.key, "status", "{text:?}");
        }
        assert_eq!(from_item(&with("status", n(7))).unwrap_err().key, "status");
        let err = from_item(&with("desired", s("sideways"))).unwrap_err();
        assert_eq!((err.key, err.rule.contains("sideways")), ("desired", true));
        assert_eq!(
            from_item(&without("createdAt")).unwrap_err().key,
            "createdAt"
        );
    }

    #[test]
    fn versions_out_of_range_or_of_another_type_are_unreadable() {
        for bad in [
            n_text("18446744073709551615"),
            n_text("18446744073709551616"),
            n_text(&(MAX_NUMBER + 1).to_string()),
            n_text("3.5"),
            n_text("3.0"),
            n_text("-1"),
            n_text("1e3"),
            s("3"),
            AttributeValue::Bool(true),
        ] {
            let err = from_item(&with("version", bad.clone())).unwrap_err();
            assert_eq!(err.key, "version", "{bad:?}");
        }
        let top = from_item(&with("version", n(MAX_NUMBER))).unwrap();
        assert_eq!(top.version, MAX_NUMBER);
        assert!(top.version.checked_add(1).is_some());
        for key in ["runSeconds", "billedRunMinutes"] {
            assert_eq!(from_item(&with(key, s("12"))).unwrap_err().key, key);
            assert_eq!(
                from_item(&with(key, n_text("18446744073709551615")))
                    .unwrap_err()
                    .key,
                key
            );
        }
    }

    #[test]
    fn times_and_counters_at_the_ends_of_their_range_cost_no_panic() {
        let catalog = crate::domain::Catalog::builtin();
        for (created, since) in [
            (
                "9999-12-31T23:59:59.999999999Z",
                "0000-01-01T00:00:00-23:59",
            ),
            ("0000-01-01T00:00:00-23:59", "9999-12-31T23:59:59Z"),
        ] {
            let mut item = with("createdAt", s(created));
            item.insert("runningSince".into(), s(since));
            item.insert("runSeconds".into(), n(MAX_NUMBER));
            item.insert("billedRunMinutes".into(), n(MAX_NUMBER));
            let mut r = from_item(&item).unwrap();
            for now in [
                time::macros::datetime!(9999-12-31 23:59:59 UTC),
                time::macros::datetime!(0000-01-01 00:00 UTC),
            ] {
                let cost = crate::engine::cost::cost_so_far(&r, &catalog, now);
                assert!(cost.total().is_finite());
                assert!(r.uptime(now).is_some());
            }
            crate::engine::cost::close_run(
                &mut r,
                time::macros::datetime!(9999-12-31 23:59:59 UTC),
                &catalog.pricing,
            );
            assert_eq!(r.running_since, None);
        }
    }

    #[test]
    fn a_text_attribute_of_another_type_is_unreadable_not_absent() {
        // Read as absent, the channel id would be dropped by the next write.
        let err = from_item(&with("mediaLiveChannelId", n(1234567))).unwrap_err();
        assert_eq!(err.key, "mediaLiveChannelId");
        assert_eq!(from_item(&with("name", n(1))).unwrap_err().key, "name");
        // NULL is absent: the seed writes it for "no channel yet".
        let r = from_item(&with("mediaLiveChannelId", AttributeValue::Null(true))).unwrap();
        assert_eq!(r.media_live_channel_id, None);
    }

    #[test]
    fn the_seeds_snake_case_item_is_unreadable() {
        let mut item = Item::new();
        item.insert(HASH_KEY.into(), s("0a1b2c3d-1111-4222-8333-444455556666"));
        for (k, v) in [
            ("name", "Seed FB"),
            ("platform", "facebook"),
            ("rtmp_url", "rtmps://live-api-s.facebook.com:443/rtmp/"),
            ("stream_key", "FB-123"),
            ("status", "idle"),
            ("created_at", "2026-01-01T00:00:00Z"),
        ] {
            item.insert(k.into(), s(v));
        }
        let err = from_item(&item).unwrap_err();
        let u = unreadable(&item, err);
        assert_eq!(
            u.id.as_deref(),
            Some("0a1b2c3d-1111-4222-8333-444455556666")
        );
        assert_eq!(u.name.as_deref(), Some("Seed FB"));
        assert!(!u.attribute.is_empty() && !u.reason.is_empty(), "{u:?}");
    }

    #[test]
    fn a_reason_never_quotes_the_stream_key() {
        let mut item = with("streamKey", n(12345));
        item.remove(CIPHERTEXT);
        let err = from_item(&item).unwrap_err();
        assert_eq!(err.key, "streamKey");
        assert!(!err.rule.contains("12345"), "{}", err.rule);
    }

    mod property {
        use super::*;
        use proptest::prelude::*;

        const NAMES: [&str; 23] = [
            HASH_KEY,
            "name",
            "platform",
            "rtmpUrl",
            "streamKey",
            CIPHERTEXT,
            KMS_KEY,
            "preset",
            "status",
            "createdAt",
            "lastModified",
            "desired",
            "version",
            "runSeconds",
            "billedRunMinutes",
            "mediaLiveChannelId",
            "mediaConnectOutputArn",
            "mediaLiveInputId",
            "inputSecurityGroupId",
            "lastError",
            "inputRequestId",
            "channelRequestId",
            "runningSince",
        ];

        fn name() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => proptest::sample::select(NAMES.to_vec()).prop_map(String::from),
                1 => proptest::sample::select(vec![
                    "destination_id", "stream_key", "created_at", "media_live_channel_id", "Status",
                ])
                .prop_map(String::from),
                1 => "[a-zA-Z_\\x00-\\x1f]{0,12}",
            ]
        }

        fn text() -> impl Strategy<Value = String> {
            prop_oneof![
                proptest::sample::select(vec![
                    "running",
                    "RUNNING",
                    "Idle",
                    "live",
                    "sideways",
                    "absent",
                    "youtube",
                    "twitch",
                    "custom",
                    "1080p30",
                    "2026-11-25T10:00:00Z",
                    "2026-11-25T10:00:00.5+05:30",
                    "2026-13-45T99:00:00Z",
                    "0a1b2c3d-1111-4222-8333-444455556666",
                    "",
                    "9999-12-31T23:59:59.999999999Z",
                    "0000-01-01T00:00:00-23:59",
                ])
                .prop_map(String::from),
                "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}a-z0-9 \\]\\[;]{0,16}",
                any::<String>(),
            ]
        }

        fn number() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<u64>().prop_map(|v| v.to_string()),
                (0..=MAX_NUMBER + 2).prop_map(|v| v.to_string()),
                proptest::sample::select(vec![
                    "18446744073709551615",
                    "18446744073709551616",
                    "-1",
                    "1.5",
                    "3.0",
                    "1e400",
                    "-0",
                    "+5",
                    "0x10",
                    "99999999999999999999999999999999999999",
                    "",
                ])
                .prop_map(String::from),
                any::<f64>().prop_map(|v| v.to_string()),
            ]
        }

        fn value() -> impl Strategy<Value = AttributeValue> {
            prop_oneof![
                4 => text().prop_map(AttributeValue::S),
                3 => number().prop_map(AttributeValue::N),
                1 => proptest::collection::vec(any::<u8>(), 0..8)
                    .prop_map(|b| AttributeValue::B(Blob::new(b))),
                1 => any::<bool>().prop_map(AttributeValue::Bool),
                1 => Just(AttributeValue::Null(true)),
                1 => Just(AttributeValue::L(vec![])),
                1 => Just(AttributeValue::M(HashMap::new())),
                1 => Just(AttributeValue::Ss(vec!["a".into()])),
            ]
        }

        /// A good item with a few attributes replaced or removed, or an arbitrary map.
        fn item() -> impl Strategy<Value = Item> {
            let edited = (
                proptest::collection::vec((name(), value()), 0..4),
                proptest::collection::vec(proptest::sample::select(NAMES.to_vec()), 0..3),
            )
                .prop_map(|(set, removed)| {
                    let mut item = good_item();
                    for key in removed {
                        item.remove(key);
                    }
                    item.extend(set);
                    item
                });
            let arbitrary = proptest::collection::hash_map(name(), value(), 0..24);
            prop_oneof![3 => edited, 1 => arbitrary]
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

            #[test]
            fn from_item_reads_or_names_an_attribute_and_never_panics(item in item()) {
                match from_item(&item) {
                    Ok(record) => {
                        prop_assert!(record.version <= MAX_NUMBER);
                        prop_assert!(record.run_seconds <= MAX_NUMBER);
                        prop_assert!(record.billed_run_minutes <= MAX_NUMBER);
                        let written = to_item(&record);
                        let back = from_item(&written);
                        prop_assert_eq!(back.as_ref(), Ok(&record));
                        prop_assert_eq!(to_item(&back.unwrap()), written);
                        // The engine's arithmetic on what was read: never a panic.
                        let catalog = crate::domain::Catalog::builtin();
                        for now in [
                            time::macros::datetime!(2026-11-25 10:00 UTC),
                            time::macros::datetime!(9999-12-31 23:59:59 UTC),
                            time::macros::datetime!(0000-01-01 00:00 UTC),
                        ] {
                            let _ = crate::engine::cost::cost_so_far(&record, &catalog, now);
                            let mut closed = record.clone();
                            crate::engine::cost::close_run(&mut closed, now, &catalog.pricing);
                        }
                    }
                    Err(e) => {
                        prop_assert!(NAMES.contains(&e.key), "{:?}", e);
                        prop_assert!(!e.rule.is_empty());
                        let u = unreadable(&item, e);
                        prop_assert!(!u.problem().is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn a_bad_item_names_the_attribute() {
        let mut item = Item::new();
        item.insert(HASH_KEY.into(), s("not-a-uuid"));
        let err = from_item(&item).unwrap_err();
        assert_eq!(err.key, HASH_KEY);
    }
}
