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
/// CloudWatch keeps sub-minute datapoints for 3 hours and one-minute ones for 15 days; older
/// buckets come back empty. This also bounds the work of a query over a long span.
const HIGH_RES_RETENTION_SECS: i64 = 3 * 3600;
const MINUTE_RETENTION_SECS: i64 = 15 * 24 * 3600;
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

    pub(crate) fn points(
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
        let retention = if period < 60 {
            HIGH_RES_RETENTION_SECS
        } else {
            MINUTE_RETENTION_SECS
        };
        let start = start.unix_timestamp().max(now - retention);
        // Buckets align to multiples of the period, as CloudWatch rounds the start time down.
        let mut bucket = start.div_euclid(period) * period;
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
pub(crate) fn resolve(w: &World, q: &MetricQuery) -> Option<Series> {
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
                m::NETWORK_OUT | m::ACTIVE_ALERTS => &["ChannelId", "Pipeline"],
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
                m::ACTIVE_ALERTS => Series::ActiveAlerts { channel_id },
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

    async fn put_metric_alarm(&self, spec: crate::cloud::AlarmSpec) -> Result<(), CloudError> {
        super::alarms::put_metric_alarm(self, spec).await
    }

    async fn delete_alarms(&self, names: &[String]) -> Result<(), CloudError> {
        super::alarms::delete_alarms(self, names).await
    }

    async fn describe_alarms(
        &self,
        prefix: &str,
    ) -> Result<Vec<crate::cloud::AlarmStatus>, CloudError> {
        super::alarms::describe_alarms(self, prefix).await
    }

    async fn list_alarm_tags(&self, alarm_arn: &str) -> Result<crate::cloud::Tags, CloudError> {
        super::alarms::list_alarm_tags(self, alarm_arn).await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::cloud::MediaLive;
    use std::time::Duration;

    fn channel_query(id: &str, metric: &str, channel: &str, period: u32) -> MetricQuery {
        let mut dimensions = vec![
            ("ChannelId".to_string(), channel.to_string()),
            ("Pipeline".to_string(), "0".to_string()),
        ];
        if metric == m::ACTIVE_OUTPUTS {
            dimensions.push(("OutputGroupName".to_string(), "rtmp".to_string()));
        }
        MetricQuery {
            id: id.to_string(),
            namespace: m::MEDIALIVE.to_string(),
            metric_name: metric.to_string(),
            dimensions,
            stat: Stat::Average,
            period_seconds: period,
        }
    }

    fn flow_query(id: &str, metric: &str, period: u32) -> MetricQuery {
        MetricQuery {
            id: id.to_string(),
            namespace: m::MEDIACONNECT.to_string(),
            metric_name: metric.to_string(),
            dimensions: vec![("FlowARN".to_string(), Simulator::FLOW_ARN.to_string())],
            stat: Stat::Average,
            period_seconds: period,
        }
    }

    async fn fetch(
        sim: &Simulator,
        queries: Vec<MetricQuery>,
        from: OffsetDateTime,
        to: OffsetDateTime,
    ) -> Vec<MetricSeries> {
        sim.get_metric_data(MetricDataRequest {
            queries,
            start: from,
            end: to,
        })
        .await
        .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn channel_metrics_exist_only_while_running() {
        let sim = sim();
        let t0 = sim.now();
        let (_, ch) = idle_channel(&sim, "yt1").await;
        sim.start_channel(&ch).await.unwrap();
        secs(120.0).await;
        // Running from somewhere in the last 90 s; let it run five minutes, then stop.
        secs(300.0).await;
        sim.stop_channel(&ch).await.unwrap();
        let stopped_at = sim.now();
        secs(200.0).await;

        let queries = vec![
            channel_query("out", m::NETWORK_OUT, &ch, 10),
            channel_query("active", m::ACTIVE_OUTPUTS, &ch, 10),
        ];
        let series = fetch(&sim, queries, t0, sim.now()).await;
        assert_eq!(series.len(), 2);
        assert_eq!(
            (series[0].id.as_str(), series[1].id.as_str()),
            ("out", "active")
        );
        let out = &series[0].points;
        // At least the five minutes after the start settled, at most the whole start window.
        assert!((30..=40).contains(&out.len()), "{} points", out.len());
        assert!(out.windows(2).all(|w| w[0].timestamp < w[1].timestamp));
        assert!(out.first().unwrap().timestamp >= t0 + Duration::from_secs(10 + 30));
        assert!(out.last().unwrap().timestamp < stopped_at);
        for p in out {
            let ratio = p.value / NOMINAL_MBPS;
            assert!((0.96..=1.04).contains(&ratio), "{}", p.value);
        }
        assert!(series[1].points.iter().all(|p| p.value == 1.0));
        assert_eq!(series[1].points.len(), out.len());

        let again = fetch(
            &sim,
            vec![channel_query("out", m::NETWORK_OUT, &ch, 10)],
            t0,
            sim.now(),
        )
        .await;
        assert_eq!(&again[0].points, out, "repeated queries agree");
    }

    #[tokio::test(start_paused = true)]
    async fn the_period_is_clamped_to_the_resolution() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "yt1").await;
        secs(60.0).await;
        let from = sim.now() - Duration::from_secs(60);
        let s = fetch(
            &sim,
            vec![channel_query("a", m::NETWORK_OUT, &ch, 1)],
            from,
            sim.now(),
        )
        .await;
        assert_eq!(s[0].points.len(), 6);
        let gap = s[0].points[1].timestamp - s[0].points[0].timestamp;
        assert_eq!(gap, Duration::from_secs(10));
        let s = fetch(
            &sim,
            vec![flow_query("b", m::SOURCE_BITRATE, 1)],
            from,
            sim.now(),
        )
        .await;
        assert_eq!(s[0].points.len(), 60);
    }

    #[tokio::test(start_paused = true)]
    async fn flow_metrics_and_a_source_drop() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "yt1").await;
        let before = sim.now();
        secs(30.0).await;
        sim.drop_source(Duration::from_secs(60));
        secs(90.0).await;
        let end = sim.now();
        let queries = vec![
            flow_query("bitrate", m::SOURCE_BITRATE, 10),
            flow_query("connected", m::SOURCE_CONNECTED, 10),
            flow_query("loss", m::SOURCE_PACKET_LOSS, 10),
            flow_query("rtt", m::SOURCE_RTT, 10),
            flow_query("lost", m::SOURCE_NOT_RECOVERED, 10),
            channel_query("out", m::NETWORK_OUT, &ch, 10),
        ];
        let s = fetch(&sim, queries, before, end).await;
        // 120 s in 10 s buckets; the six during the drop have no bitrate.
        assert_eq!(s[0].points.len(), 6);
        for p in &s[0].points {
            assert!((11.5e6..=12.5e6).contains(&p.value), "{}", p.value);
        }
        let connected: Vec<f64> = s[1].points.iter().map(|p| p.value).collect();
        assert_eq!(connected.len(), 12);
        assert_eq!(connected.iter().filter(|v| **v == 0.0).count(), 6);
        assert!(s[2].points.iter().all(|p| (0.0..=0.3).contains(&p.value)));
        assert!(s[3].points.iter().all(|p| (36.0..=44.0).contains(&p.value)));
        assert!(s[4].points.iter().all(|p| p.value >= 0.0));
        let slate = s[5].points.iter().filter(|p| p.value < 0.5).count();
        let full = s[5].points.iter().filter(|p| p.value > 5.0).count();
        assert_eq!((slate, full), (6, 6));
    }

    #[tokio::test(start_paused = true)]
    async fn a_silenced_channel_sends_nothing() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "yt1").await;
        sim.silence_channel(&ch).unwrap();
        assert!(sim.snapshot().channels[0].silenced);
        secs(60.0).await;
        let from = sim.now() - Duration::from_secs(60);
        let queries = vec![
            channel_query("out", m::NETWORK_OUT, &ch, 10),
            channel_query("active", m::ACTIVE_OUTPUTS, &ch, 10),
        ];
        let s = fetch(&sim, queries.clone(), from, sim.now()).await;
        assert_eq!(s[0].points.len(), 6);
        assert!(s[0].points.iter().all(|p| p.value == 0.0));
        assert!(s[1].points.iter().all(|p| p.value == 0.0));
        sim.unsilence(&ch).unwrap();
        secs(60.0).await;
        let from = sim.now() - Duration::from_secs(60);
        let s = fetch(&sim, queries, from, sim.now()).await;
        assert!(s[0].points.iter().all(|p| p.value > 5.0));
        assert!(s[1].points.iter().all(|p| p.value == 1.0));
        assert_eq!(s[1].points.len(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_series_are_empty_and_bad_requests_are_refused() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "yt1").await;
        secs(60.0).await;
        let from = sim.now() - Duration::from_secs(60);
        let mut other_flow = flow_query("c", m::SOURCE_BITRATE, 10);
        other_flow.dimensions[0].1 = "arn:aws:mediaconnect:us-east-1:1:flow:x:y".into();
        let mut no_pipeline = channel_query("d", m::NETWORK_OUT, &ch, 10);
        no_pipeline.dimensions.pop();
        let queries = vec![
            channel_query("a", "DroppedFrames", &ch, 10),
            channel_query("b", m::NETWORK_OUT, "1111111", 10),
            other_flow,
            no_pipeline,
            channel_query("e", m::NETWORK_OUT, &ch, 10),
        ];
        let s = fetch(&sim, queries, from, sim.now()).await;
        let ids: Vec<&str> = s.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c", "d", "e"]);
        assert!(s[..4].iter().all(|s| s.points.is_empty()));
        assert_eq!(s[4].points.len(), 6);

        let day_ago = sim.now() - Duration::from_secs(24 * 3600);
        let s = fetch(
            &sim,
            vec![flow_query("old", m::SOURCE_CONNECTED, 1)],
            day_ago,
            sim.now(),
        )
        .await;
        assert_eq!(s[0].points.len(), 3 * 3600, "1 s data is kept for 3 hours");
        let s = fetch(
            &sim,
            vec![flow_query("old", m::SOURCE_CONNECTED, 60)],
            day_ago,
            sim.now(),
        )
        .await;
        assert_eq!(s[0].points.len(), 24 * 60 + 1, "1 min data for the day");

        let too_many: Vec<MetricQuery> = (0..501)
            .map(|i| flow_query(&format!("q{i}"), m::SOURCE_CONNECTED, 60))
            .collect();
        let bad_id = vec![flow_query("Bad", m::SOURCE_CONNECTED, 60)];
        for queries in [too_many, bad_id] {
            let err = sim
                .get_metric_data(MetricDataRequest {
                    queries,
                    start: from,
                    end: sim.now(),
                })
                .await
                .unwrap_err();
            assert_eq!(
                (err.call, err.kind),
                (CALL, crate::cloud::ErrorKind::Validation)
            );
        }
    }
}
