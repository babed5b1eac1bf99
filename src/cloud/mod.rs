//! The narrow, SDK-shaped interface between the engine and AWS. Each trait mirrors the calls of
//! one service that onair makes, with plain Rust types in and out; the SDK backend (the only code
//! that imports `aws-sdk-*`) and the simulator both implement them.

pub mod aws;
pub mod error;
pub mod keys;
pub mod types;

use async_trait::async_trait;
use std::sync::Arc;

pub use error::{CloudError, ErrorKind};
pub use keys::{KeyContext, KeyInfo, KeyVault, key_context};
pub use types::*;

use crate::domain::{Destination, DestinationId};

/// AWS Elemental MediaLive: inputs and single-pipeline channels.
#[async_trait]
pub trait MediaLive: Send + Sync {
    async fn create_input(&self, req: CreateInputRequest) -> Result<Input, CloudError>;
    async fn describe_input(&self, input_id: &str) -> Result<Input, CloudError>;
    async fn list_inputs(&self) -> Result<Vec<Input>, CloudError>;
    async fn delete_input(&self, input_id: &str) -> Result<(), CloudError>;

    async fn create_channel(&self, req: CreateChannelRequest) -> Result<Channel, CloudError>;
    async fn describe_channel(&self, channel_id: &str) -> Result<Channel, CloudError>;
    /// Every channel in the region, all pages: one call per refresh for the whole table.
    async fn list_channels(&self) -> Result<Vec<Channel>, CloudError>;
    async fn start_channel(&self, channel_id: &str) -> Result<Channel, CloudError>;
    async fn stop_channel(&self, channel_id: &str) -> Result<Channel, CloudError>;
    async fn update_channel(&self, req: UpdateChannelRequest) -> Result<Channel, CloudError>;
    async fn delete_channel(&self, channel_id: &str) -> Result<Channel, CloudError>;
    async fn batch_start(&self, channel_ids: &[String]) -> Result<BatchResult, CloudError>;
    async fn batch_stop(&self, channel_ids: &[String]) -> Result<BatchResult, CloudError>;
    /// The channel's alerts that are SET now.
    async fn list_alerts(&self, channel_id: &str) -> Result<Vec<Alert>, CloudError>;

    /// Input security groups exist only for the seed's `rtp-push` wiring. CreateInputSecurityGroup
    /// has no idempotency token: the engine looks for its tag before creating one.
    async fn create_input_security_group(
        &self,
        req: CreateInputSecurityGroupRequest,
    ) -> Result<InputSecurityGroup, CloudError>;
    async fn list_input_security_groups(&self) -> Result<Vec<InputSecurityGroup>, CloudError>;
    /// Refused (400) while an input uses the group.
    async fn delete_input_security_group(&self, group_id: &str) -> Result<(), CloudError>;
    /// The current frame of the channel's pipeline "0". `Ok(None)` when AWS has none to give: the
    /// channel isn't running, or thumbnails are off in its encoder settings.
    async fn describe_thumbnails(&self, channel_id: &str) -> Result<Option<Thumbnail>, CloudError>;
}

/// AWS Elemental MediaConnect: the always-on flow and its outputs.
#[async_trait]
pub trait MediaConnect: Send + Sync {
    async fn describe_flow(&self, flow_arn: &str) -> Result<Flow, CloudError>;
    async fn add_flow_output(
        &self,
        flow_arn: &str,
        output: AddFlowOutputRequest,
    ) -> Result<FlowOutput, CloudError>;
    async fn remove_flow_output(&self, flow_arn: &str, output_arn: &str) -> Result<(), CloudError>;
}

/// Amazon CloudWatch: many series in one `GetMetricData` call, and the alarms onair keeps on
/// each destination's channel and on the flow.
#[async_trait]
pub trait CloudWatch: Send + Sync {
    async fn get_metric_data(
        &self,
        req: MetricDataRequest,
    ) -> Result<Vec<MetricSeries>, CloudError>;
    /// Creates the alarm, or replaces the one of the same name whole (idempotent by name), with
    /// its tags.
    async fn put_metric_alarm(&self, spec: AlarmSpec) -> Result<(), CloudError>;
    /// Deletes the named alarms; names that don't exist are not an error.
    async fn delete_alarms(&self, names: &[String]) -> Result<(), CloudError>;
    /// Every metric alarm whose name starts with `prefix`, all pages.
    async fn describe_alarms(&self, prefix: &str) -> Result<Vec<AlarmStatus>, CloudError>;
    /// An alarm's tags (ListTagsForResource): the proof of ownership `gc` needs.
    async fn list_alarm_tags(&self, alarm_arn: &str) -> Result<Tags, CloudError>;
}

/// Service Quotas: the account's applied MediaLive quotas, and increase requests.
#[async_trait]
pub trait ServiceQuotas: Send + Sync {
    /// The applied quotas of a service (ListServiceQuotas, all pages).
    async fn list_service_quotas(&self, service: &str) -> Result<Vec<ServiceQuota>, CloudError>;
    async fn request_increase(
        &self,
        service: &str,
        quota_code: &str,
        desired: f64,
    ) -> Result<QuotaRequest, CloudError>;
    /// Increase requests filed for the service (ListRequestedServiceQuotaChangeHistory).
    async fn list_requests(&self, service: &str) -> Result<Vec<QuotaRequest>, CloudError>;
}

/// Amazon SNS, only as far as onair needs it: does the alarm topic exist.
#[async_trait]
pub trait Topics: Send + Sync {
    async fn get_topic_attributes(&self, topic_arn: &str) -> Result<TopicInfo, CloudError>;
}

/// The destination table (DynamoDB). Every write after the first is conditional on the version
/// the writer read, so two control boxes sharing the table can't overwrite each other.
#[async_trait]
pub trait RecordStore: Send + Sync {
    async fn get(&self, id: DestinationId) -> Result<Option<Destination>, CloudError>;
    /// Fails with [`ErrorKind::ConditionFailed`] if a record with this id exists.
    async fn put_if_absent(&self, record: &Destination) -> Result<(), CloudError>;
    /// Writes `record` (whose `version` is the new one) if the stored version is `expected`.
    async fn update_if_version(
        &self,
        record: &Destination,
        expected: u64,
    ) -> Result<(), CloudError>;
    async fn delete_if_version(&self, id: DestinationId, expected: u64) -> Result<(), CloudError>;
    /// Every item: the records it can read and, never silently dropped, those it can't.
    async fn scan(&self) -> Result<TableScan, CloudError>;
    /// Removes one item that can't be read, by its stored `destinationId`, whatever its version
    /// (`onair rm --force`). Nothing else: what the item may own in AWS is left alone.
    async fn delete_unreadable(&self, id: &str) -> Result<(), CloudError>;
}

/// Amazon EventBridge Scheduler: one-time schedules that call MediaLive's StartChannel /
/// StopChannel themselves, so a go-live or a stop-by deadline happens with onair closed. Every
/// schedule onair makes is in the default group and named `onair-<id8>-<kind>-<epoch>`
/// ([`crate::domain::schedule`]), which is how it is told from anyone else's.
#[async_trait]
pub trait Scheduler: Send + Sync {
    /// A ConflictException when the name exists; a ValidationException when the role doesn't.
    async fn create_schedule(&self, req: CreateScheduleRequest) -> Result<(), CloudError>;
    /// NotFound when there is no such schedule (it fired and deleted itself, or never was).
    async fn get_schedule(&self, name: &str) -> Result<ScheduleInfo, CloudError>;
    /// Every schedule whose name begins with `prefix`, all pages.
    async fn list_schedules(&self, prefix: &str) -> Result<Vec<String>, CloudError>;
    async fn delete_schedule(&self, name: &str) -> Result<(), CloudError>;
}

/// The services behind one handle, as the engine sees them.
#[derive(Clone)]
pub struct Cloud {
    pub medialive: Arc<dyn MediaLive>,
    pub mediaconnect: Arc<dyn MediaConnect>,
    pub cloudwatch: Arc<dyn CloudWatch>,
    pub store: Arc<dyn RecordStore>,
    /// Seals stream keys at rest when `stream_key_kms_key` is set (and opens sealed ones).
    pub kms: Arc<dyn KeyVault>,
    /// The account's applied quotas (read rarely; config values when denied).
    pub quotas: Arc<dyn ServiceQuotas>,
    /// The SNS topic alarms notify (`alarm_topic_arn`).
    pub sns: Arc<dyn Topics>,
    /// Go-live schedules and stop-by deadlines that run without onair (EventBridge Scheduler).
    pub scheduler: Arc<dyn Scheduler>,
}
