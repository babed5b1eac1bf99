//! The destination's CloudWatch alarms: written after its channel exists, deleted before it
//! goes. PutMetricAlarm replaces an alarm of the same name, so the write is idempotent and a
//! crash between "channel created" and "alarms created" converges when the chain is resumed.

use super::{StepCtx, StepResult, at};
use crate::cloud::{AlarmSpec, CloudError, Tags};
use crate::domain::naming::{NAME_PREFIX, TAG_DESTINATION_ID, TAG_TABLE};
use crate::domain::{Destination, DestinationId};
use crate::engine::Engine;
use crate::engine::alarms::{self, AlarmContext};

impl Engine {
    /// The alarms of `record`'s channel under this configuration (none when alarms are off or
    /// the record names no channel).
    pub(crate) fn alarm_specs(&self, record: &Destination) -> Vec<AlarmSpec> {
        let (Some(topic), Some(channel)) = (
            self.inner.config.alarm_topic_arn.as_deref(),
            record.media_live_channel_id.as_deref(),
        ) else {
            return Vec::new();
        };
        let ctx = AlarmContext {
            table: &self.inner.config.table,
            topic_arn: topic,
            period: self.inner.config.alarm_period,
            preset_bitrate: self
                .inner
                .catalog
                .get(&record.preset)
                .map(|p| p.total_bitrate()),
        };
        alarms::for_destination(record, channel, &ctx)
    }

    pub(super) async fn ensure_alarms_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let step = ctx.label.as_str();
        let record = self.current(id, step)?;
        let specs = self.alarm_specs(&record);
        if specs.is_empty() {
            return Ok(());
        }
        let cw = &self.inner.cloud.cloudwatch;
        for spec in &specs {
            self.call(id, || cw.put_metric_alarm(spec.clone()))
                .await
                .map_err(at(step))?;
        }
        // Alarms of this destination under another name (it was renamed, or its preset changed
        // the set) would watch the same channel twice: they go, once their tags prove them ours.
        let keep: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        let listed = self
            .call(id, || cw.describe_alarms(NAME_PREFIX))
            .await
            .map_err(at(step))?;
        let short = id.short();
        let mut stale = Vec::new();
        for alarm in listed {
            let ours_by_name = alarms::parse_name(&alarm.name).is_some_and(|(id8, _)| id8 == short);
            if !ours_by_name || keep.contains(&alarm.name.as_str()) {
                continue;
            }
            let tags = self
                .call(id, || cw.list_alarm_tags(&alarm.arn))
                .await
                .map_err(at(step))?;
            if self.owns_alarm(&tags, id) {
                stale.push(alarm.name);
            }
        }
        if !stale.is_empty() {
            self.call(id, || cw.delete_alarms(&stale))
                .await
                .map_err(at(step))?;
        }
        Ok(())
    }

    /// By name: deleting alarms that don't exist is not an error.
    pub(super) async fn delete_alarms_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let record = self.current(ctx.id, &ctx.label)?;
        self.delete_alarms_of(ctx.id, &alarms::names_for(&record))
            .await
            .map_err(at(&ctx.label))
    }

    pub(crate) async fn delete_alarms_of(
        &self,
        id: impl Into<Option<DestinationId>>,
        names: &[String],
    ) -> Result<(), CloudError> {
        let cw = &self.inner.cloud.cloudwatch;
        self.call(id, || cw.delete_alarms(names)).await
    }

    /// Whether an alarm's tags prove it belongs to destination `id` of this table.
    pub(crate) fn owns_alarm(&self, tags: &Tags, id: DestinationId) -> bool {
        tags.get(TAG_TABLE) == Some(&self.inner.config.table)
            && tags.get(TAG_DESTINATION_ID) == Some(&id.to_string())
    }
}
