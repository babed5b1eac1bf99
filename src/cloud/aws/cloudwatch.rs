//! CloudWatch over the SDK: every series of a refresh in one GetMetricData call (more pages only
//! past what one answer holds).

use super::errors::Endpoint;
use crate::cloud::{CloudError, CloudWatch, MetricDataRequest, MetricPoint, MetricSeries};
use async_trait::async_trait;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
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
}
