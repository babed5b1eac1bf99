//! CloudWatch over the SDK: every series of a refresh in one GetMetricData call (more pages only
//! past what one answer holds), and the alarms onair keeps per destination and on the flow.

use super::errors::Endpoint;
use crate::cloud::{
    AlarmSpec, AlarmState, AlarmStatus, CloudError, CloudWatch, ErrorKind, MetricDataRequest,
    MetricPoint, MetricSeries, Tags,
};
use async_trait::async_trait;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{
    AlarmType, ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, ScanBy,
    Statistic, Tag,
};
use aws_smithy_types::DateTime;
use std::collections::HashMap;
use time::OffsetDateTime;

pub struct SdkCloudWatch {
    client: Client,
    endpoint: Endpoint,
}

impl SdkCloudWatch {
    pub(crate) fn new(client: Client, endpoint: Endpoint) -> Self {
        Self { client, endpoint }
    }
}

fn to_smithy(t: OffsetDateTime) -> DateTime {
    DateTime::from_secs(t.unix_timestamp())
}

fn from_smithy(t: &DateTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.secs()).ok()
}

#[async_trait]
impl CloudWatch for SdkCloudWatch {
    async fn get_metric_data(
        &self,
        req: MetricDataRequest,
    ) -> Result<Vec<MetricSeries>, CloudError> {
        let queries: Vec<MetricDataQuery> = req
            .queries
            .iter()
            .map(|q| {
                let metric = Metric::builder()
                    .namespace(&q.namespace)
                    .metric_name(&q.metric_name)
                    .set_dimensions(Some(
                        q.dimensions
                            .iter()
                            .map(|(name, value)| {
                                Dimension::builder().name(name).value(value).build()
                            })
                            .collect(),
                    ))
                    .build();
                MetricDataQuery::builder()
                    .id(&q.id)
                    .metric_stat(
                        MetricStat::builder()
                            .metric(metric)
                            .period(i32::try_from(q.period_seconds).unwrap_or(60))
                            .stat(q.stat.as_aws())
                            .build(),
                    )
                    .return_data(true)
                    .build()
            })
            .collect();
        let mut points: HashMap<String, Vec<MetricPoint>> = HashMap::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(to_smithy(req.start))
                .end_time(to_smithy(req.end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.endpoint.map("GetMetricData", e))?;
            for result in out.metric_data_results() {
                let id = result.id().unwrap_or_default().to_string();
                let series = points.entry(id).or_default();
                for (t, v) in result.timestamps().iter().zip(result.values()) {
                    if let Some(timestamp) = from_smithy(t) {
                        series.push(MetricPoint {
                            timestamp,
                            value: *v,
                        });
                    }
                }
            }
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(req
            .queries
            .iter()
            .map(|q| {
                let mut series = points.remove(&q.id).unwrap_or_default();
                series.sort_by_key(|p| p.timestamp);
                MetricSeries {
                    id: q.id.clone(),
                    points: series,
                }
            })
            .collect())
    }

    async fn put_metric_alarm(&self, spec: AlarmSpec) -> Result<(), CloudError> {
        const CALL: &str = "PutMetricAlarm";
        let period = i32::try_from(spec.period_seconds)
            .map_err(|_| CloudError::new(CALL, ErrorKind::Validation, "period out of range"))?;
        let evaluation = i32::try_from(spec.evaluation_periods).map_err(|_| {
            CloudError::new(
                CALL,
                ErrorKind::Validation,
                "evaluation periods out of range",
            )
        })?;
        self.client
            .put_metric_alarm()
            .alarm_name(&spec.name)
            .alarm_description(&spec.description)
            .namespace(&spec.namespace)
            .metric_name(&spec.metric_name)
            .set_dimensions(Some(
                spec.dimensions
                    .iter()
                    .map(|(name, value)| Dimension::builder().name(name).value(value).build())
                    .collect(),
            ))
            .statistic(Statistic::from(spec.stat.as_aws()))
            .period(period)
            .evaluation_periods(evaluation)
            .threshold(spec.threshold)
            .comparison_operator(ComparisonOperator::from(spec.comparison.as_aws()))
            .treat_missing_data(if spec.missing_data_not_breaching {
                "notBreaching"
            } else {
                "missing"
            })
            .actions_enabled(true)
            .set_alarm_actions(Some(spec.actions.clone()))
            .set_ok_actions(Some(spec.actions.clone()))
            .set_tags(Some(
                spec.tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| self.endpoint.map(CALL, e))?;
        Ok(())
    }

    async fn delete_alarms(&self, names: &[String]) -> Result<(), CloudError> {
        const CALL: &str = "DeleteAlarms";
        // DeleteAlarms takes at most 100 names a call.
        for chunk in names.chunks(100) {
            match self
                .client
                .delete_alarms()
                .set_alarm_names(Some(chunk.to_vec()))
                .send()
                .await
            {
                Ok(_) => {}
                // AWS answers ResourceNotFound when a named alarm doesn't exist (and then
                // deletes none of the batch): delete the rest one by one.
                Err(e) => {
                    let error = self.endpoint.map(CALL, e);
                    if !error.is_not_found() {
                        return Err(error);
                    }
                    for name in chunk {
                        if let Err(e) = self.client.delete_alarms().alarm_names(name).send().await {
                            let error = self.endpoint.map(CALL, e);
                            if !error.is_not_found() {
                                return Err(error);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn describe_alarms(&self, prefix: &str) -> Result<Vec<AlarmStatus>, CloudError> {
        const CALL: &str = "DescribeAlarms";
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .describe_alarms()
                .alarm_name_prefix(prefix)
                .alarm_types(AlarmType::MetricAlarm)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.endpoint.map(CALL, e))?;
            for alarm in page.metric_alarms() {
                out.push(AlarmStatus {
                    name: alarm.alarm_name().unwrap_or_default().to_string(),
                    arn: alarm.alarm_arn().unwrap_or_default().to_string(),
                    state: AlarmState::from_aws(
                        alarm.state_value().map(|s| s.as_str()).unwrap_or_default(),
                    ),
                    reason: alarm.state_reason().unwrap_or_default().to_string(),
                    updated: alarm.state_updated_timestamp().and_then(from_smithy),
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn list_alarm_tags(&self, alarm_arn: &str) -> Result<Tags, CloudError> {
        let out = self
            .client
            .list_tags_for_resource()
            .resource_arn(alarm_arn)
            .send()
            .await
            .map_err(|e| self.endpoint.map("ListTagsForResource", e))?;
        Ok(out
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect())
    }
}
