//! The destination table in DynamoDB, item by item in the seed's attribute names. Writes are
//! conditional on `version` (optimistic locking); records the seed wrote have no `version`
//! and count as version 0.

use super::errors::Endpoint;
use crate::cloud::keys::refuse_unsealed;
use crate::cloud::{CloudError, ErrorKind, RecordStore};
use crate::domain::{
    Desired, Destination, DestinationId, Platform, SealedKey, Status, StoredKey, StreamKey,
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
    item
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("item {id}: attribute {key}: {rule}")]
pub struct ItemError {
    pub id: String,
    pub key: &'static str,
    pub rule: &'static str,
}

/// A record from an item, tolerating what the seed's items lack (desired, version, …).
pub fn from_item(item: &Item) -> Result<Destination, ItemError> {
    let text = |key: &str| item.get(key).and_then(|v| v.as_s().ok()).cloned();
    let number = |key: &str| {
        item.get(key)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<u64>().ok())
    };
    let id_text = text(HASH_KEY).unwrap_or_default();
    let bad = |key: &'static str, rule: &'static str| ItemError {
        id: id_text.clone(),
        key,
        rule,
    };
    let required = |key: &'static str| text(key).ok_or_else(|| bad(key, "is missing"));
    let when = |key: &'static str| -> Result<Option<OffsetDateTime>, ItemError> {
        text(key)
            .map(|t| {
                OffsetDateTime::parse(&t, &Rfc3339).map_err(|_| bad(key, "is not an RFC 3339 time"))
            })
            .transpose()
    };
    let destination_id: DestinationId = id_text
        .parse()
        .map_err(|_| bad(HASH_KEY, "is not a UUID"))?;
    let platform: Platform = required("platform")?
        .parse()
        .map_err(|_| bad("platform", "is not a known platform"))?;
    let status = match required("status")?.as_str() {
        "creating" => Status::Creating,
        "idle" => Status::Idle,
        "starting" => Status::Starting,
        "running" => Status::Running,
        "stopping" => Status::Stopping,
        "deleting" => Status::Deleting,
        "error" => Status::Error,
        "parked" => Status::Parked,
        _ => return Err(bad("status", "is not a known status")),
    };
    let desired = match text("desired").as_deref() {
        Some("running") => Desired::Running,
        Some("absent") => Desired::Absent,
        Some("idle") => Desired::Idle,
        None if status == Status::Running => Desired::Running,
        None => Desired::Idle,
        Some(_) => return Err(bad("desired", "is not idle, running or absent")),
    };
    let created_at = when("createdAt")?.ok_or_else(|| bad("createdAt", "is missing"))?;
    let stream_key = match item.get(CIPHERTEXT) {
        Some(value) => {
            let blob = value.as_b().map_err(|_| bad(CIPHERTEXT, "is not binary"))?;
            StoredKey::Sealed(SealedKey {
                key_id: text(KMS_KEY).unwrap_or_default(),
                ciphertext: blob.as_ref().to_vec(),
            })
        }
        None => StoredKey::Clear(StreamKey::new(required("streamKey")?)),
    };
    Ok(Destination {
        destination_id,
        name: required("name")?,
        platform,
        rtmp_url: required("rtmpUrl")?,
        stream_key,
        preset: text("preset").unwrap_or_else(|| "1080p30".to_string()),
        status,
        media_live_channel_id: text("mediaLiveChannelId"),
        media_connect_output_arn: text("mediaConnectOutputArn"),
        media_live_input_id: text("mediaLiveInputId"),
        input_security_group_id: text("inputSecurityGroupId"),
        created_at,
        last_modified: when("lastModified")?.unwrap_or(created_at),
        desired,
        version: number("version").unwrap_or(0),
        last_error: text("lastError"),
        running_since: when("runningSince")?,
        run_seconds: number("runSeconds").unwrap_or(0),
        billed_run_minutes: number("billedRunMinutes").unwrap_or(0),
        input_request_id: text("inputRequestId"),
        channel_request_id: text("channelRequestId"),
    })
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

    async fn scan(&self) -> Result<Vec<Destination>, CloudError> {
        let mut records = Vec::new();
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
                match from_item(item) {
                    Ok(r) => records.push(r),
                    // One bad row must not hide the others during a show.
                    Err(e) => tracing::warn!("skipping a destination item: {e}"),
                }
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        records.sort_by_key(|r| (r.created_at, r.destination_id));
        Ok(records)
    }

    /// A Scan of the key alone: every item's id, however the rest of it reads.
    async fn item_ids(&self) -> Result<Vec<String>, CloudError> {
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .consistent_read(true)
                .projection_expression("#id")
                .expression_attribute_names("#id", HASH_KEY)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| self.endpoint.map("Scan", e))?;
            ids.extend(
                out.items()
                    .iter()
                    .filter_map(|item| match item.get(HASH_KEY)? {
                        AttributeValue::S(id) => Some(id.clone()),
                        AttributeValue::N(id) => Some(id.clone()),
                        _ => None,
                    }),
            );
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        Ok(ids)
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

    #[test]
    fn items_round_trip_with_the_key_in_clear() {
        let mut d = Destination::new(
            "Main".into(),
            Platform::Youtube,
            "rtmp://a.rtmp.youtube.com/live2".into(),
            StreamKey::new("abcd-efgh-ijkl"),
            "1080p30".into(),
            time::macros::datetime!(2026-11-25 10:00 UTC),
        );
        d.media_live_channel_id = Some("1234567".into());
        let back = from_item(&to_item(&d)).unwrap();
        assert_eq!(back, d);
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

    #[test]
    fn a_bad_item_names_the_attribute() {
        let mut item = Item::new();
        item.insert(HASH_KEY.into(), s("not-a-uuid"));
        let err = from_item(&item).unwrap_err();
        assert_eq!(err.key, HASH_KEY);
    }
}
