//! The destination record: one place the show goes out to, and the AWS chain that feeds it.
//! Attribute names are the seed's DynamoDB schema (BRIEF §5), so both tools share one table.

use super::{Platform, StoredKey};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DestinationId(pub Uuid);

impl DestinationId {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// The first eight hex digits: enough to tell destinations apart in names and on screen.
    pub fn short(&self) -> String {
        self.0.simple().to_string()[..8].to_string()
    }
}

impl Default for DestinationId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for DestinationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for DestinationId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// Where the destination's chain is, as last written. Transitional states mean an operation is
/// (or was, before a crash) under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Creating,
    Idle,
    Starting,
    Running,
    Stopping,
    Deleting,
    Error,
    /// Record kept, AWS resources removed while unused (so nothing is billed).
    Parked,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Creating => "creating",
            Status::Idle => "idle",
            Status::Starting => "starting",
            Status::Running => "running",
            Status::Stopping => "stopping",
            Status::Deleting => "deleting",
            Status::Error => "error",
            Status::Parked => "parked",
        }
    }

    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            Status::Creating | Status::Starting | Status::Stopping | Status::Deleting
        )
    }

    /// Whether the chain sends to the platform (and is billed at the running rate).
    pub fn is_live(self) -> bool {
        matches!(self, Status::Running | Status::Stopping)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the operator asked for; the engine works the record towards it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Desired {
    Idle,
    Running,
    Absent,
}

impl Desired {
    pub fn as_str(self) -> &'static str {
        match self {
            Desired::Idle => "idle",
            Desired::Running => "running",
            Desired::Absent => "absent",
        }
    }
}

/// One destination record. Every write bumps `version` and is conditional on the previous one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    pub destination_id: DestinationId,
    pub name: String,
    pub platform: Platform,
    pub rtmp_url: String,
    pub stream_key: StoredKey,
    pub preset: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_live_channel_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_connect_output_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_live_input_id: Option<String>,
    /// The input security group in front of an `rtp-push` input (the seed's wiring), written
    /// before the input is created so a crash in between can't leak the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_security_group_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_modified: OffsetDateTime,
    pub desired: Desired,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub running_since: Option<OffsetDateTime>,
    /// Seconds of finished runs, for the cost meter (the current run is `now - running_since`).
    #[serde(default)]
    pub run_seconds: u64,
    /// Billable minutes of finished runs: each run rounded up to the minute, ten at least.
    #[serde(default)]
    pub billed_run_minutes: u64,
    /// Idempotency tokens for CreateInput / CreateChannel, written before the call so that a retry
    /// (or a restart after a crash) reuses them and AWS never makes a second resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_request_id: Option<String>,
    /// EventBridge schedules this destination owns (go-live, stop, stop-by deadline). Absent in
    /// older items: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<super::ScheduleRef>,
    /// When its stop-by deadline stopped it (the row and the log say so); cleared by a start.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deadline_stopped_at: Option<OffsetDateTime>,
}

impl Destination {
    /// The record as first written, before any AWS call.
    pub fn new(
        name: String,
        platform: Platform,
        rtmp_url: String,
        stream_key: impl Into<StoredKey>,
        preset: String,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            destination_id: DestinationId::new(),
            name,
            platform,
            rtmp_url,
            stream_key: stream_key.into(),
            preset,
            status: Status::Creating,
            media_live_channel_id: None,
            media_connect_output_arn: None,
            media_live_input_id: None,
            input_security_group_id: None,
            created_at: now,
            last_modified: now,
            desired: Desired::Idle,
            version: 1,
            last_error: None,
            running_since: None,
            run_seconds: 0,
            billed_run_minutes: 0,
            input_request_id: None,
            channel_request_id: None,
            schedules: Vec::new(),
            deadline_stopped_at: None,
        }
    }

    /// The schedule of `kind` the record holds, if any (one of each at most).
    pub fn schedule(&self, kind: super::ScheduleKind) -> Option<&super::ScheduleRef> {
        self.schedules.iter().find(|s| s.kind == kind)
    }

    pub fn id(&self) -> DestinationId {
        self.destination_id
    }

    /// Seconds on air in the current run, if any.
    pub fn uptime(&self, now: OffsetDateTime) -> Option<u64> {
        self.running_since
            .map(|since| (now - since).whole_seconds().max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StreamKey;

    fn sample() -> Destination {
        Destination::new(
            "Main YouTube".into(),
            Platform::Youtube,
            "rtmp://a.rtmp.youtube.com/live2".into(),
            StreamKey::new("abcd-1234-efgh-5678"),
            "1080p30".into(),
            time::macros::datetime!(2026-11-25 10:00 UTC),
        )
    }

    #[test]
    fn serializes_with_the_seed_attribute_names() {
        let json = serde_json::to_value(sample()).unwrap();
        for key in [
            "destinationId",
            "name",
            "platform",
            "rtmpUrl",
            "streamKey",
            "preset",
            "status",
            "createdAt",
            "lastModified",
            "desired",
            "version",
            "runSeconds",
        ] {
            assert!(json.get(key).is_some(), "missing {key} in {json}");
        }
        assert_eq!(json["status"], "creating");
        assert_eq!(json["platform"], "youtube");
    }

    #[test]
    fn round_trips_through_json_except_the_masked_key() {
        let d = sample();
        let back: Destination = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(
            back.stream_key.clear().map(StreamKey::expose),
            Some(d.stream_key.masked().as_str())
        );
        assert_eq!(
            Destination {
                stream_key: d.stream_key.clone(),
                ..back
            },
            d
        );
    }

    #[test]
    fn debug_output_masks_the_stream_key() {
        assert!(!format!("{:?}", sample()).contains("1234-efgh"));
    }
}
