//! CloudWatch GetMetricData over the synthetic series: one answer per query, in query order,
//! with a point for each period bucket that holds data and a gap for the rest.

use super::Simulator;
use super::errors::validation;
use super::faults::Service;
use super::metrics::Series;
use super::world::World;
use crate::cloud::metrics as m;
use crate::cloud::{
    CloudError, CloudWatch, MetricDataRequest, MetricPoint, MetricQuery, MetricSeries, Stat,
};
use async_trait::async_trait;
use std::collections::HashSet;
use time::OffsetDateTime;

const CALL: &str = "GetMetricData";
const MAX_QUERIES: usize = 500;
const MAX_DATAPOINTS: i64 = 100_800;
/// Raw datapoints aggregated per bucket at most; longer periods sample evenly.
const MAX_SAMPLES_PER_BUCKET: i64 = 60;

impl World {
    fn get_metric_data(&self, req: &MetricDataRequest) -> Result<Vec<MetricSeries>, CloudError> {
        if req.queries.len() > MAX_QUERIES {
            return Err(validation(
                CALL,
                format!(
                    "The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
                ),
            ));
        }
        if req.end <= req.start {
            return Err(validation(
                CALL,
                "The parameter StartTime must be less than EndTime.",
            ));
        }
        let mut seen = HashSet::new();
        let mut datapoints = 0i64;
        for q in &req.queries {
            let id_ok = q.id.starts_with(|c: char| c.is_ascii_lowercase())
                && q.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !id_ok {
                return Err(validation(
                    CALL,
                    format!(
                        "Invalid metric data query id {:?}: it must start with a lowercase letter and contain only letters, digits and underscores",
                        q.id
                    ),
                ));
            }
            if !seen.insert(q.id.as_str()) {
                return Err(validation(
                    CALL,
                    format!(
                        "The values for parameter id in MetricDataQueries are not unique: {}",
                        q.id
                    ),
                ));
            }
            if q.period_seconds == 0 {
                return Err(validation(CALL, "The parameter Period must be at least 1."));
            }
            let span = (req.end - req.start).whole_seconds().max(1);
            datapoints += span / i64::from(q.period_seconds) + 1;
        }
        if datapoints > MAX_DATAPOINTS {
            return Err(validation(
                CALL,
                format!("Too many datapoints requested: at most {MAX_DATAPOINTS} per call"),
            ));
        }
        Ok(req
            .queries
            .iter()
            .map(|q| MetricSeries {
                id: q.id.clone(),
                points: match resolve(self, q) {
                    Some(series) => self.points(&series, q, req.start, req.end),
                    None => Vec::new(),
                },
            })
            .collect())
    }

    fn points(
        &self,
        series: &Series,
        q: &MetricQuery,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Vec<MetricPoint> {
        let res = self.resolution(series).as_secs().max(1) as i64;
        let period = i64::from(q.period_seconds).max(res);
        let per_bucket = (period + res - 1) / res;
        let stride = res * ((per_bucket + MAX_SAMPLES_PER_BUCKET - 1) / MAX_SAMPLES_PER_BUCKET);
        let now = self.wall_now().unix_timestamp();
        let end = end.unix_timestamp().min(now + 1);
        let mut out = Vec::new();
        // Buckets align to multiples of the period, as CloudWatch rounds the start time down.
        let mut bucket = start.unix_timestamp().div_euclid(period) * period;
        while bucket < end {
            let mut values = Vec::new();
            let mut t = (bucket + res - 1).div_euclid(res) * res;
            while t < bucket + period && t <= now {
                if let Ok(at) = OffsetDateTime::from_unix_timestamp(t)
                    && let Some(v) = self.sample(series, at)
                {
                    values.push(v);
                }
                t += stride;
            }
            if let (Some(value), Ok(timestamp)) = (
                aggregate(q.stat, &values),
                OffsetDateTime::from_unix_timestamp(bucket),
            ) {
                out.push(MetricPoint { timestamp, value });
            }
            bucket += period;
        }
        out
    }
}

/// The series a query names, if the simulator has one; unknown metrics or dimensions get an
/// empty answer, as on CloudWatch.
fn resolve(w: &World, q: &MetricQuery) -> Option<Series> {
    let dim = |name: &str| {
        q.dimensions
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let names: HashSet<&str> = q.dimensions.iter().map(|(k, _)| k.as_str()).collect();
    match q.namespace.as_str() {
        m::MEDIALIVE => {
            let channel_id = dim("ChannelId")?.to_string();
            if dim("Pipeline") != Some("0") {
                return None;
            }
            let expected: &[&str] = match q.metric_name.as_str() {
                m::NETWORK_OUT => &["ChannelId", "Pipeline"],
                // Any output group name: the channel has exactly one.
                m::ACTIVE_OUTPUTS if names.contains("OutputGroupName") => {
                    &["ChannelId", "Pipeline", "OutputGroupName"]
                }
                m::ACTIVE_OUTPUTS => &["ChannelId", "Pipeline"],
                _ => return None,
            };
            if names.len() != expected.len() || q.dimensions.len() != expected.len() {
                return None;
            }
            Some(match q.metric_name.as_str() {
                m::NETWORK_OUT => Series::NetworkOut { channel_id },
                _ => Series::ActiveOutputs { channel_id },
            })
        }
        m::MEDIACONNECT => {
            if dim("FlowARN")? != w.flow.arn {
                return None;
            }
            if q.metric_name == m::OUTPUT_BITRATE {
                let output_arn = dim("OutputARN")?.to_string();
                return (q.dimensions.len() == 2).then_some(Series::OutputBitrate { output_arn });
            }
            if q.dimensions.len() != 1 {
                return None;
            }
            Some(match q.metric_name.as_str() {
                m::SOURCE_BITRATE => Series::SourceBitRate,
                m::SOURCE_CONNECTED => Series::SourceConnected,
                m::SOURCE_PACKET_LOSS => Series::SourcePacketLoss,
                m::SOURCE_NOT_RECOVERED => Series::SourceNotRecovered,
                m::SOURCE_RTT => Series::SourceRtt,
                _ => return None,
            })
        }
        _ => None,
    }
}

fn aggregate(stat: Stat, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let it = values.iter().copied();
    Some(match stat {
        Stat::Average => it.sum::<f64>() / values.len() as f64,
        Stat::Sum => it.sum(),
        Stat::Maximum => it.fold(f64::NEG_INFINITY, f64::max),
        Stat::Minimum => it.fold(f64::INFINITY, f64::min),
    })
}

#[async_trait]
impl CloudWatch for Simulator {
    async fn get_metric_data(
        &self,
        req: MetricDataRequest,
    ) -> Result<Vec<MetricSeries>, CloudError> {
        self.call(CALL, Service::CloudWatch, |w| w.get_metric_data(&req))
    }
}
