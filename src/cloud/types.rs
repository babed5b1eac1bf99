//! Request and response shapes of the calls in [`super`], trimmed to the fields onair reads or
//! writes. Names follow the AWS API so the SDK backend maps them one to one.

use crate::domain::{EncoderPreset, StreamKey};
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub type Tags = BTreeMap<String, String>;

/// MediaLive channel states (DescribeChannel `State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelState {
    Creating,
    CreateFailed,
    Idle,
    Starting,
    Running,
    Recovering,
    Stopping,
    Deleting,
    Deleted,
    Updating,
    UpdateFailed,
}

impl ChannelState {
    pub fn as_aws(self) -> &'static str {
        match self {
            ChannelState::Creating => "CREATING",
            ChannelState::CreateFailed => "CREATE_FAILED",
            ChannelState::Idle => "IDLE",
            ChannelState::Starting => "STARTING",
            ChannelState::Running => "RUNNING",
            ChannelState::Recovering => "RECOVERING",
            ChannelState::Stopping => "STOPPING",
            ChannelState::Deleting => "DELETING",
            ChannelState::Deleted => "DELETED",
            ChannelState::Updating => "UPDATING",
            ChannelState::UpdateFailed => "UPDATE_FAILED",
        }
    }

    pub fn from_aws(s: &str) -> Option<Self> {
        Some(match s {
            "CREATING" => ChannelState::Creating,
            "CREATE_FAILED" => ChannelState::CreateFailed,
            "IDLE" => ChannelState::Idle,
            "STARTING" => ChannelState::Starting,
            "RUNNING" => ChannelState::Running,
            "RECOVERING" => ChannelState::Recovering,
            "STOPPING" => ChannelState::Stopping,
            "DELETING" => ChannelState::Deleting,
            "DELETED" => ChannelState::Deleted,
            "UPDATING" => ChannelState::Updating,
            "UPDATE_FAILED" => ChannelState::UpdateFailed,
            _ => return None,
        })
    }

    /// States that change by themselves: poll again later.
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            ChannelState::Creating
                | ChannelState::Starting
                | ChannelState::Stopping
                | ChannelState::Deleting
                | ChannelState::Updating
                | ChannelState::Recovering
        )
    }
}

/// MediaLive input states (DescribeInput `State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputState {
    Creating,
    Detached,
    Attached,
    Deleting,
    Deleted,
}

impl InputState {
    pub fn as_aws(self) -> &'static str {
        match self {
            InputState::Creating => "CREATING",
            InputState::Detached => "DETACHED",
            InputState::Attached => "ATTACHED",
            InputState::Deleting => "DELETING",
            InputState::Deleted => "DELETED",
        }
    }

    pub fn from_aws(s: &str) -> Option<Self> {
        Some(match s {
            "CREATING" => InputState::Creating,
            "DETACHED" => InputState::Detached,
            "ATTACHED" => InputState::Attached,
            "DELETING" => InputState::Deleting,
            "DELETED" => InputState::Deleted,
            _ => return None,
        })
    }
}

/// MediaLive's input `Type`, for the two kinds onair makes and any other it may find (another
/// tool's input, a type added to the API later): teardown and orphan checks decide on it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InputType {
    /// `MEDIACONNECT`: MediaLive adds and removes the input's flow output itself.
    MediaConnect,
    /// `RTP_PUSH`: the seed's wiring; onair adds and removes the flow output.
    RtpPush,
    /// Any other type, as AWS spells it (empty when AWS sent none).
    #[default]
    Unknown,
    Other(String),
}

impl InputType {
    pub fn from_aws(s: &str) -> Self {
        match s {
            "MEDIACONNECT" => InputType::MediaConnect,
            "RTP_PUSH" => InputType::RtpPush,
            "" => InputType::Unknown,
            other => InputType::Other(other.to_string()),
        }
    }

    pub fn as_aws(&self) -> &str {
        match self {
            InputType::MediaConnect => "MEDIACONNECT",
            InputType::RtpPush => "RTP_PUSH",
            InputType::Unknown => "",
            InputType::Other(other) => other,
        }
    }

    pub fn is_push(&self) -> bool {
        *self == InputType::RtpPush
    }
}

/// How the input receives the flow's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// `Type: MEDIACONNECT`: MediaLive adds (and on delete removes) the flow output itself.
    MediaConnect { flow_arn: String },
    /// `Type: RTP_PUSH` behind an input security group: the seed's wiring, where onair adds the
    /// flow output to the input's endpoint.
    RtpPush { security_group_ids: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInputRequest {
    pub name: String,
    /// Idempotency token: the same id twice makes one input.
    pub request_id: String,
    pub source: InputSource,
    pub role_arn: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub state: InputState,
    pub input_type: InputType,
    pub attached_channels: Vec<String>,
    /// Push endpoints (`rtp://ip:port`) for RTP_PUSH inputs.
    pub destinations: Vec<String>,
    pub flow_arns: Vec<String>,
    /// Input security groups of a push input (empty for MEDIACONNECT inputs).
    pub security_groups: Vec<String>,
    pub tags: Tags,
}

impl Input {
    /// Host and port of the first push endpoint (`rtp://10.1.2.3:5000`): where the flow output of
    /// the seed's wiring sends the stream.
    pub fn first_endpoint(&self) -> Option<(String, u16)> {
        push_endpoint(self.destinations.first()?)
    }
}

/// Host and port of a push endpoint URL (`rtp://10.1.2.3:5000`).
pub fn push_endpoint(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (host, port) = rest.trim_end_matches('/').rsplit_once(':')?;
    Some((host.to_string(), port.parse().ok()?))
}

/// CreateInputSecurityGroup: who may push to an input (here, the flow's egress IP as a /32).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateInputSecurityGroupRequest {
    pub allowed_cidrs: Vec<String>,
    pub tags: Tags,
}

/// A MediaLive input security group (the seed's wiring puts one in front of each push input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSecurityGroup {
    pub id: String,
    pub arn: String,
    /// `IDLE`, `IN_USE`, `UPDATING` or `DELETED`.
    pub state: String,
    pub allowed_cidrs: Vec<String>,
    /// The inputs that use it: AWS refuses to delete it while this is not empty.
    pub inputs: Vec<String>,
    pub tags: Tags,
}

/// The encoding a channel is created with, from an encoder preset.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelEncoding {
    pub width: u32,
    pub height: u32,
    pub framerate_numerator: u32,
    pub framerate_denominator: u32,
    pub video_bitrate: u32,
    pub gop_seconds: f64,
    pub audio_bitrate: u32,
    pub audio_sample_rate: u32,
}

impl From<&EncoderPreset> for ChannelEncoding {
    fn from(p: &EncoderPreset) -> Self {
        Self {
            width: p.width,
            height: p.height,
            framerate_numerator: p.framerate_numerator,
            framerate_denominator: p.framerate_denominator,
            video_bitrate: p.video_bitrate,
            gop_seconds: p.gop_seconds,
            audio_bitrate: p.audio_bitrate,
            audio_sample_rate: p.audio_sample_rate,
        }
    }
}

/// The channel's one RTMP destination: single pipeline means exactly one setting.
#[derive(Debug, Clone, PartialEq)]
pub struct RtmpDestination {
    pub url: String,
    pub stream_name: StreamKey,
}

/// Everything that defines a channel; CreateChannel and UpdateChannel both send all of it
/// (UpdateChannel replaces the configuration whole).
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelConfig {
    pub name: String,
    pub role_arn: String,
    pub input_id: String,
    pub input_attachment_name: String,
    pub destination: RtmpDestination,
    pub encoding: ChannelEncoding,
    /// How the RTMP output rides out a platform that refuses or drops it.
    pub reconnect: RtmpReconnect,
}

/// The RTMP output's reconnect settings (MediaLive user guide, "Fields for the RTMP
/// connection"): after a drop MediaLive waits `restart_delay`, then tries every
/// `retry_interval` seconds, `num_retries` times; "when the retries expire, this output stops.
/// The channel stops because the single output has lost its connection." So the window a
/// platform outage can last without the channel going IDLE is
/// `restart_delay + num_retries × retry_interval`.
///
/// Ranges from the MediaLive API model: ConnectionRetryInterval ≥ 1, NumRetries ≥ 0,
/// RestartDelay ≥ 0, CacheLength ≥ 30 (seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtmpReconnect {
    /// Seconds (RtmpGroupSettings.RestartDelay).
    pub restart_delay: u32,
    /// Seconds (RtmpOutputSettings.ConnectionRetryInterval).
    pub retry_interval: u32,
    /// RtmpOutputSettings.NumRetries.
    pub num_retries: u32,
    /// Seconds of output held while a server stalls (RtmpGroupSettings.CacheLength).
    pub cache_length: u32,
}

impl RtmpReconnect {
    /// The default window: rides out a two-minute platform outage with room to spare.
    pub const DEFAULT_WINDOW: std::time::Duration = std::time::Duration::from_secs(5 * 60);
    /// Shortest window accepted: below that a platform's routine ingest restart stops channels.
    pub const MIN_WINDOW: std::time::Duration = std::time::Duration::from_secs(30);
    /// Longest: MediaLive bills the channel the whole time it retries.
    pub const MAX_WINDOW: std::time::Duration = std::time::Duration::from_secs(60 * 60);
    /// 5 s before the first retry: a platform that just dropped the connection (an ingest
    /// server restarting) is rarely back sooner, and hammering it can get the key rate-limited.
    const RESTART_DELAY: u32 = 5;
    /// Retry every 5 s: a platform that comes back is streamed to again within 5 s, at 12
    /// connection attempts a minute, which no platform we know of throttles.
    const RETRY_INTERVAL: u32 = 5;
    /// The API model's minimum: a stalled server is given up on quickly, and the retry loop
    /// above (whose length onair controls) takes over.
    const CACHE_LENGTH: u32 = 30;

    /// The settings whose whole window (restart delay plus every retry) is `window`, clamped to
    /// [`Self::MIN_WINDOW`, `Self::MAX_WINDOW`].
    pub fn for_window(window: std::time::Duration) -> Self {
        let secs = window
            .clamp(Self::MIN_WINDOW, Self::MAX_WINDOW)
            .as_secs()
            .try_into()
            .unwrap_or(u32::MAX);
        let retrying = secs.saturating_sub(Self::RESTART_DELAY);
        Self {
            restart_delay: Self::RESTART_DELAY,
            retry_interval: Self::RETRY_INTERVAL,
            num_retries: retrying.div_ceil(Self::RETRY_INTERVAL).max(1),
            cache_length: Self::CACHE_LENGTH,
        }
    }

    /// How long after a drop the channel stops if the platform never takes the stream back.
    pub fn window(&self) -> std::time::Duration {
        std::time::Duration::from_secs(
            u64::from(self.restart_delay)
                + u64::from(self.num_retries) * u64::from(self.retry_interval),
        )
    }
}

impl Default for RtmpReconnect {
    fn default() -> Self {
        Self::for_window(Self::DEFAULT_WINDOW)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateChannelRequest {
    pub config: ChannelConfig,
    /// Idempotency token, persisted in the record before the call.
    pub request_id: String,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateChannelRequest {
    pub channel_id: String,
    pub config: ChannelConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub state: ChannelState,
    pub input_ids: Vec<String>,
    /// The destination URL without the stream name (the key is never read back).
    pub destination_url: Option<String>,
    pub tags: Tags,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchResult {
    pub successful: Vec<String>,
    pub failed: Vec<BatchFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchFailure {
    pub id: String,
    pub code: String,
    pub message: String,
}

/// MediaConnect flow status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowStatus {
    Standby,
    Active,
    Updating,
    Deleting,
    Starting,
    Stopping,
    Error,
}

impl FlowStatus {
    pub fn as_aws(self) -> &'static str {
        match self {
            FlowStatus::Standby => "STANDBY",
            FlowStatus::Active => "ACTIVE",
            FlowStatus::Updating => "UPDATING",
            FlowStatus::Deleting => "DELETING",
            FlowStatus::Starting => "STARTING",
            FlowStatus::Stopping => "STOPPING",
            FlowStatus::Error => "ERROR",
        }
    }

    pub fn from_aws(s: &str) -> Option<Self> {
        Some(match s {
            "STANDBY" => FlowStatus::Standby,
            "ACTIVE" => FlowStatus::Active,
            "UPDATING" => FlowStatus::Updating,
            "DELETING" => FlowStatus::Deleting,
            "STARTING" => FlowStatus::Starting,
            "STOPPING" => FlowStatus::Stopping,
            "ERROR" => FlowStatus::Error,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSource {
    pub name: String,
    /// e.g. `srt-listener`.
    pub protocol: String,
    pub ingest_ip: Option<String>,
    pub ingest_port: Option<u16>,
    /// e.g. `aes128`; `None` when the source is not encrypted.
    pub encryption: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowOutput {
    pub arn: String,
    pub name: String,
    /// Set on the outputs MediaLive adds for a MEDIACONNECT input.
    pub medialive_input_arn: Option<String>,
    pub destination: Option<String>,
    pub port: Option<u16>,
    pub protocol: Option<String>,
    /// What the output's adder wrote; onair's own push outputs name their table and destination
    /// here (see [`crate::domain::naming::output_description`]), as outputs show no tags.
    pub description: Option<String>,
}

impl FlowOutput {
    /// Whether this is an output onair-style wiring aims at a push endpoint (MediaLive's own
    /// outputs for MEDIACONNECT inputs never are).
    pub fn aims_at(&self, (host, port): &(String, u16)) -> bool {
        self.medialive_input_arn.is_none()
            && self.destination.as_deref() == Some(host.as_str())
            && self.port == Some(*port)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub arn: String,
    pub name: String,
    pub status: FlowStatus,
    pub source: FlowSource,
    pub egress_ip: Option<String>,
    pub outputs: Vec<FlowOutput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddFlowOutputRequest {
    pub name: String,
    pub protocol: String,
    pub destination: String,
    pub port: u16,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stat {
    Average,
    Sum,
    Maximum,
    Minimum,
}

impl Stat {
    pub fn as_aws(self) -> &'static str {
        match self {
            Stat::Average => "Average",
            Stat::Sum => "Sum",
            Stat::Maximum => "Maximum",
            Stat::Minimum => "Minimum",
        }
    }
}

/// One series to fetch. `id` must start with a lowercase letter (a GetMetricData rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricQuery {
    pub id: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub stat: Stat,
    pub period_seconds: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricDataRequest {
    pub queries: Vec<MetricQuery>,
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricPoint {
    pub timestamp: OffsetDateTime,
    pub value: f64,
}

/// The datapoints of one query, oldest first. A bucket with no data has no point (a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSeries {
    pub id: String,
    pub points: Vec<MetricPoint>,
}

/// Metric names and namespaces onair reads.
pub mod metrics {
    pub const MEDIALIVE: &str = "AWS/MediaLive";
    pub const MEDIACONNECT: &str = "AWS/MediaConnect";
    /// Mb/s sent by the channel: the best "is it pushing" signal.
    pub const NETWORK_OUT: &str = "NetworkOut";
    pub const ACTIVE_OUTPUTS: &str = "ActiveOutputs";
    /// b/s arriving at the flow.
    pub const SOURCE_BITRATE: &str = "SourceBitRate";
    pub const SOURCE_CONNECTED: &str = "SourceConnected";
    pub const SOURCE_PACKET_LOSS: &str = "SourcePacketLossPercent";
    pub const SOURCE_NOT_RECOVERED: &str = "SourceNotRecoveredPackets";
    pub const SOURCE_RTT: &str = "SourceRoundTripTime";
    pub const OUTPUT_BITRATE: &str = "OutputBitrate";
    /// Alerts SET on a running channel (dimensions ChannelId, Pipeline; no data when it isn't
    /// running): the only metric for what arrives as alerts, RTMP failures among them.
    pub const ACTIVE_ALERTS: &str = "ActiveAlerts";
}

/// The name of the one RTMP output group in every channel onair builds (CloudWatch's
/// ActiveOutputs is reported per output group). At most 32 characters, by MediaLive's rule.
pub const RTMP_OUTPUT_GROUP: &str = "rtmp";

/// A MediaLive channel alert in state SET (ListAlerts): how RTMP failures show up, since there is
/// no RTMP metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub alert_type: String,
    pub message: String,
    pub set_at: Option<OffsetDateTime>,
}

/// The pipeline a single-pipeline channel runs on; DescribeThumbnails asks for it by id.
pub const SINGLE_PIPELINE_ID: &str = "0";

/// The newest preview frame of a running channel's pipeline (DescribeThumbnails,
/// `CURRENT_ACTIVE`). MediaLive replaces it every couple of seconds while the channel runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    /// The image itself, already base64-decoded: a JPEG on AWS.
    pub body: Vec<u8>,
    /// e.g. `image/jpeg`.
    pub content_type: String,
    /// When MediaLive took the frame.
    pub taken_at: Option<OffsetDateTime>,
}

/// One read of the whole destination table: the records onair can read, and the items it
/// can't, each naming the attribute and why. Both are shown; only the records are acted on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableScan {
    /// Oldest first.
    pub records: Vec<crate::domain::Destination>,
    /// By id.
    pub unreadable: Vec<crate::domain::UnreadableRecord>,
}

/// How an alarm compares its statistic with the threshold (PutMetricAlarm's `ComparisonOperator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    LessThanThreshold,
    GreaterThanOrEqualToThreshold,
}

impl Comparison {
    pub fn as_aws(self) -> &'static str {
        match self {
            Comparison::LessThanThreshold => "LessThanThreshold",
            Comparison::GreaterThanOrEqualToThreshold => "GreaterThanOrEqualToThreshold",
        }
    }

    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::LessThanThreshold => value < threshold,
            Comparison::GreaterThanOrEqualToThreshold => value >= threshold,
        }
    }
}

/// A CloudWatch metric alarm as onair writes it. PutMetricAlarm replaces an alarm of the same
/// name whole, so writing the same spec twice is harmless: that is what makes the step
/// idempotent.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmSpec {
    pub name: String,
    /// AlarmDescription: what the SNS message says — the destination and what to do.
    pub description: String,
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<(String, String)>,
    pub stat: Stat,
    pub period_seconds: u32,
    /// How many consecutive periods must breach before the alarm fires.
    pub evaluation_periods: u32,
    pub threshold: f64,
    pub comparison: Comparison,
    /// Always `notBreaching` for onair's alarms: a channel that is not running publishes
    /// nothing, and an idle destination must not page anyone.
    pub missing_data_not_breaching: bool,
    /// AlarmActions and OKActions: the SNS topic.
    pub actions: Vec<String>,
    pub tags: Tags,
}

/// An alarm's state as DescribeAlarms reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmState {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmState {
    pub fn as_aws(self) -> &'static str {
        match self {
            AlarmState::Ok => "OK",
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
        }
    }

    pub fn from_aws(s: &str) -> Self {
        match s {
            "OK" => AlarmState::Ok,
            "ALARM" => AlarmState::Alarm,
            _ => AlarmState::InsufficientData,
        }
    }
}

/// One alarm from DescribeAlarms.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmStatus {
    pub name: String,
    pub arn: String,
    pub state: AlarmState,
    /// CloudWatch's reason for the state, in its words.
    pub reason: String,
    pub updated: Option<OffsetDateTime>,
}

/// One applied quota from Service Quotas.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceQuota {
    pub code: String,
    pub name: String,
    pub value: f64,
    pub adjustable: bool,
}

/// An increase request, as RequestServiceQuotaIncrease / ListRequestedServiceQuotaChangeHistory
/// report it. `status`: PENDING, CASE_OPENED, APPROVED, DENIED, CASE_CLOSED, …
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaRequest {
    pub id: String,
    pub quota_code: String,
    pub quota_name: String,
    pub desired: f64,
    pub status: String,
    pub created: Option<OffsetDateTime>,
}

impl QuotaRequest {
    /// Still waiting for AWS to decide.
    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "PENDING" | "CASE_OPENED")
    }
}

/// What GetTopicAttributes says of the alarm topic (`onair doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub arn: String,
    pub subscriptions_confirmed: Option<u64>,
}

/// What a schedule asks MediaLive to do when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelAction {
    Start,
    Stop,
}

impl ChannelAction {
    /// The Scheduler universal target for the call (`aws-sdk:medialive:startChannel`).
    pub fn target_arn(self) -> &'static str {
        match self {
            ChannelAction::Start => "arn:aws:scheduler:::aws-sdk:medialive:startChannel",
            ChannelAction::Stop => "arn:aws:scheduler:::aws-sdk:medialive:stopChannel",
        }
    }

    pub fn from_target_arn(arn: &str) -> Option<Self> {
        [ChannelAction::Start, ChannelAction::Stop]
            .into_iter()
            .find(|a| a.target_arn() == arn)
    }
}

/// CreateSchedule as onair makes it: one time (`at(…)` in UTC), no flexible window, deleted
/// after it fires, calling StartChannel / StopChannel on one channel with the role given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateScheduleRequest {
    pub name: String,
    /// When it fires, whole seconds (the expression has no fraction).
    pub at: OffsetDateTime,
    pub action: ChannelAction,
    pub channel_id: String,
    pub role_arn: String,
    pub description: String,
}

impl CreateScheduleRequest {
    /// `at(yyyy-mm-ddThh:mm:ss)`, read in the `ScheduleExpressionTimezone` UTC.
    pub fn expression(&self) -> String {
        let t = self.at.to_offset(time::UtcOffset::UTC);
        format!(
            "at({:04}-{:02}-{:02}T{:02}:{:02}:{:02})",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }

    /// The target's `Input`: the request body of StartChannel / StopChannel.
    pub fn input_json(&self) -> String {
        serde_json::json!({ "ChannelId": self.channel_id }).to_string()
    }
}

/// GetSchedule, trimmed to what onair checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleInfo {
    pub name: String,
    /// `at(…)` as written.
    pub expression: String,
    pub target_arn: String,
    /// The channel the target's Input names, when it is a JSON object with a `ChannelId`.
    pub channel_id: Option<String>,
    pub role_arn: String,
}

/// Parses `at(yyyy-mm-ddThh:mm:ss)` (UTC) back into a time.
pub fn parse_at_expression(expr: &str) -> Option<OffsetDateTime> {
    let inner = expr.strip_prefix("at(")?.strip_suffix(')')?;
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(inner, &format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// The channel id in a target's Input JSON.
pub fn channel_of_input(input: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(input).ok()?;
    value.get("ChannelId")?.as_str().map(str::to_string)
}
