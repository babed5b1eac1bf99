//! AWS calls per refresh at N = 1, 10 and 100 destinations, counted on the simulator's call
//! counter, beside the naive refresh (DescribeFlow, then DescribeChannel and GetMetricData per
//! destination: 1 + 2N) made against the same simulated account in the same run.
//!
//! `cargo bench --bench aws_calls`

mod support;

use onair::cloud::{MetricDataRequest, MetricQuery, Stat, metrics};
use onair::domain::{Destination, Platform, Status, StreamKey};
use onair::sim::{SimConfig, Simulator};
use std::collections::BTreeMap;

fn main() {
    let rt = support::paused_runtime();
    rt.block_on(async {
        println!("AWS calls per refresh (simulator call counter)");
        println!(
            "{:>5} | {:<52} | {:>5} | {:>22} | {:>5}",
            "N", "onair: media + CloudWatch", "Scan", "naive 1 + 2N (counted)", "ratio"
        );
        for n in [1usize, 10, 100] {
            let rig = support::rig(SimConfig::unlimited(), n.max(5));
            let store = rig.sim.cloud().store;
            // One flow carries at most 50 outputs, so a hundred destinations can't all have
            // live chains: their records (with channel ids) drive every query all the same.
            for i in 0..n {
                let mut record = Destination::new(
                    format!("D{i}"),
                    Platform::Youtube,
                    "rtmp://a.rtmp.youtube.com/live2".into(),
                    StreamKey::new(format!("bench-{i}-key")),
                    "1080p30".into(),
                    rig.sim.now(),
                );
                // Parked, so reconciliation leaves these stand-in channel ids alone (as idle
                // records, the refresh would mark each one drifted: one table write, once).
                record.status = Status::Parked;
                record.media_live_channel_id = Some(format!("{}", 1_000_000 + i));
                store.put_if_absent(&record).await.expect("put record");
            }
            rig.sim.reset_call_counts();
            let seen = rig.engine.refresh().await;
            assert_eq!(seen.metrics.destinations.len(), n);
            let ours = rig.sim.call_counts();
            let media = sum(&ours, &["ListChannels", "DescribeFlow", "GetMetricData"]);
            let scans = sum(&ours, &["Scan"]);
            assert_eq!(ours.values().sum::<u64>(), media + scans, "{ours:?}");

            rig.sim.reset_call_counts();
            naive_refresh(&rig, &rig.engine.records()).await;
            let naive: u64 = rig.sim.call_counts().values().sum();
            println!(
                "{n:>5} | {:<52} | {scans:>5} | {naive:>22} | {:>4.0}x",
                format!("{media} ({})", names(&ours)),
                naive as f64 / media as f64
            );
        }
    });
}

/// What a refresh per destination would call: the flow, then each channel and its metrics.
async fn naive_refresh(rig: &support::Rig, records: &[Destination]) {
    let cloud = rig.sim.cloud();
    let _ = cloud.mediaconnect.describe_flow(Simulator::FLOW_ARN).await;
    let end = rig.sim.now();
    for r in records {
        let Some(channel) = &r.media_live_channel_id else {
            continue;
        };
        let _ = cloud.medialive.describe_channel(channel).await;
        let query = |id: &str, metric: &str| MetricQuery {
            id: id.into(),
            namespace: metrics::MEDIALIVE.into(),
            metric_name: metric.into(),
            dimensions: vec![
                ("ChannelId".into(), channel.clone()),
                ("Pipeline".into(), "0".into()),
            ],
            stat: Stat::Average,
            period_seconds: 10,
        };
        let _ = cloud
            .cloudwatch
            .get_metric_data(MetricDataRequest {
                queries: vec![
                    query("out", metrics::NETWORK_OUT),
                    query("active", metrics::ACTIVE_OUTPUTS),
                ],
                start: end - time::Duration::minutes(1),
                end,
            })
            .await;
    }
}

fn sum(counts: &BTreeMap<String, u64>, calls: &[&str]) -> u64 {
    calls
        .iter()
        .map(|c| counts.get(*c).copied().unwrap_or(0))
        .sum()
}

fn names(counts: &BTreeMap<String, u64>) -> String {
    counts
        .iter()
        .filter(|(name, _)| name.as_str() != "Scan")
        .map(|(name, n)| format!("{name} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
