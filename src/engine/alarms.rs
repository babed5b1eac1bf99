//! The CloudWatch alarms onair keeps, as pure functions: what each destination's channel gets,
//! what the flow gets, their names, and how a name is read back. The steps that write and delete
//! them are in `steps/alarms.rs`; `gc` and the details view read names with [`parse_name`].
//!
//! Why these and not others: MediaLive publishes `ActiveOutputs` (0 while the RTMP output is not
//! writing), `NetworkOut` (Mb/s) and `ActiveAlerts` per channel and pipeline, and nothing at all
//! while a channel is not running; RTMP failures arrive as alerts, and `Output4xx/5xxErrors`
//! exist only for HTTP outputs. MediaConnect publishes `SourceConnected` (1/0) per flow. Every
//! alarm treats missing data as not breaching: an idle (stopped) channel publishes nothing and
//! must not page anyone, and alarms exist only while the channel does.

use crate::cloud::{AlarmSpec, Comparison, RTMP_OUTPUT_GROUP, Stat, Tags, metrics};
use crate::domain::naming::{NAME_PREFIX, TAG_TABLE, resource_name, tags};
use crate::domain::{Destination, DestinationId};
use std::time::Duration;

/// What each destination alarm watches, the suffix of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmKind {
    /// ActiveOutputs below 1: the RTMP output is not writing to the platform.
    NotDelivering,
    /// NetworkOut far below what the preset sends.
    LowBitrate,
    /// ActiveAlerts at 1 or more: MediaLive says something is wrong.
    Alerts,
}

impl AlarmKind {
    pub const ALL: [AlarmKind; 3] = [
        AlarmKind::NotDelivering,
        AlarmKind::LowBitrate,
        AlarmKind::Alerts,
    ];

    pub fn suffix(self) -> &'static str {
        match self {
            AlarmKind::NotDelivering => "not-delivering",
            AlarmKind::LowBitrate => "low-bitrate",
            AlarmKind::Alerts => "alerts",
        }
    }

    /// Short words for the details view.
    pub fn label(self) -> &'static str {
        match self {
            AlarmKind::NotDelivering => "delivering",
            AlarmKind::LowBitrate => "bitrate",
            AlarmKind::Alerts => "alerts",
        }
    }
}

/// The suffix of the flow's lost-source alarm.
pub const SOURCE_LOST: &str = "source-lost";
/// Below this share of the preset's bitrate the output is "far below" it (slate is ~5 %).
pub const LOW_BITRATE_SHARE: f64 = 0.5;
/// The tag naming the flow a flow alarm watches.
pub const TAG_FLOW: &str = "onair:flow";

/// Periods in a row before each alarm fires: long enough to ride out a start or a platform's
/// brief hiccup, short enough that a lost show is known in minutes.
const NOT_DELIVERING_PERIODS: u32 = 2;
const LOW_BITRATE_PERIODS: u32 = 3;
const ALERTS_PERIODS: u32 = 2;
const SOURCE_LOST_PERIODS: u32 = 2;

/// What the alarms of one destination need besides the record.
#[derive(Debug, Clone)]
pub struct AlarmContext<'a> {
    pub table: &'a str,
    pub topic_arn: &'a str,
    pub period: Duration,
    /// Bits per second the destination's preset sends, if the preset is known.
    pub preset_bitrate: Option<u32>,
}

/// `onair-<slug>-<id8>-<what>`.
pub fn alarm_name(record: &Destination, kind: AlarmKind) -> String {
    format!(
        "{}-{}",
        resource_name(&record.name, &record.destination_id),
        kind.suffix()
    )
}

/// The names of every alarm the record has while its channel exists.
pub fn names_for(record: &Destination) -> Vec<String> {
    AlarmKind::ALL
        .iter()
        .map(|k| alarm_name(record, *k))
        .collect()
}

/// The first 8 characters of the destination id and the kind an onair alarm name carries, if it
/// is one.
pub fn parse_name(name: &str) -> Option<(&str, AlarmKind)> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    AlarmKind::ALL.iter().find_map(|kind| {
        let head = rest.strip_suffix(kind.suffix())?.strip_suffix('-')?;
        let (_, id8) = head.rsplit_once('-')?;
        (id8.len() == 8 && id8.chars().all(|c| c.is_ascii_hexdigit())).then_some((id8, *kind))
    })
}

fn period_secs(period: Duration) -> u32 {
    // CloudWatch takes 10, 30 or multiples of 60 for these metrics.
    u32::try_from(period.as_secs()).unwrap_or(60).max(10)
}

/// The alarms of a destination whose channel is `channel_id`.
pub fn for_destination(
    record: &Destination,
    channel_id: &str,
    ctx: &AlarmContext<'_>,
) -> Vec<AlarmSpec> {
    let id: DestinationId = record.destination_id;
    let tags: Tags = tags(ctx.table, &id).into_iter().collect();
    let period = period_secs(ctx.period);
    let minutes = |n: u32| {
        let secs = u64::from(period) * u64::from(n);
        if secs >= 60 {
            format!("{} min", secs / 60)
        } else {
            format!("{secs} s")
        }
    };
    let who = format!(
        "onair destination {:?} (id {}, MediaLive channel {channel_id}, table {})",
        record.name, id, ctx.table
    );
    let channel_dims = vec![
        ("ChannelId".to_string(), channel_id.to_string()),
        ("Pipeline".to_string(), "0".to_string()),
    ];
    let spec = |kind: AlarmKind,
                metric: &str,
                dims: Vec<(String, String)>,
                stat: Stat,
                n: u32,
                threshold: f64,
                comparison: Comparison,
                description: String| AlarmSpec {
        name: alarm_name(record, kind),
        description,
        namespace: metrics::MEDIALIVE.to_string(),
        metric_name: metric.to_string(),
        dimensions: dims,
        stat,
        period_seconds: period,
        evaluation_periods: n,
        threshold,
        comparison,
        missing_data_not_breaching: true,
        actions: vec![ctx.topic_arn.to_string()],
        tags: tags.clone(),
    };
    let mut with_group = channel_dims.clone();
    with_group.push(("OutputGroupName".to_string(), RTMP_OUTPUT_GROUP.to_string()));
    let mut out = vec![spec(
        AlarmKind::NotDelivering,
        metrics::ACTIVE_OUTPUTS,
        with_group,
        Stat::Minimum,
        NOT_DELIVERING_PERIODS,
        1.0,
        Comparison::LessThanThreshold,
        format!(
            "{who} is running but not delivering to its platform (ActiveOutputs below 1 for {}). \
             Check the platform's ingest (event started, stream key valid) and the channel's \
             alerts in onair's details view; MediaLive retries, then stops the channel.",
            minutes(NOT_DELIVERING_PERIODS)
        ),
    )];
    if let Some(bitrate) = ctx.preset_bitrate {
        // NetworkOut is in Mb/s.
        let threshold = f64::from(bitrate) / 1e6 * LOW_BITRATE_SHARE;
        out.push(spec(
            AlarmKind::LowBitrate,
            metrics::NETWORK_OUT,
            channel_dims.clone(),
            Stat::Average,
            LOW_BITRATE_PERIODS,
            threshold,
            Comparison::LessThanThreshold,
            format!(
                "{who} sends under {threshold:.1} Mb/s, less than half of its preset {:?} \
                 ({:.1} Mb/s), for {}: it is probably sending slate. Check the encoder and the \
                 flow's source in onair's flow panel.",
                record.preset,
                f64::from(bitrate) / 1e6,
                minutes(LOW_BITRATE_PERIODS)
            ),
        ));
    }
    out.push(spec(
        AlarmKind::Alerts,
        metrics::ACTIVE_ALERTS,
        channel_dims,
        Stat::Maximum,
        ALERTS_PERIODS,
        1.0,
        Comparison::GreaterThanOrEqualToThreshold,
        format!(
            "{who} has MediaLive alerts set for {}. Open its details in onair to read them \
             (RTMP connection failures arrive as alerts).",
            minutes(ALERTS_PERIODS)
        ),
    ));
    out
}

/// The flow's one alarm: its SRT source lost.
pub fn for_flow(flow_arn: &str, flow_name: &str, ctx: &AlarmContext<'_>) -> AlarmSpec {
    let mut tags = Tags::new();
    tags.insert(
        crate::domain::naming::TAG_MANAGED.to_string(),
        "true".to_string(),
    );
    tags.insert(TAG_TABLE.to_string(), ctx.table.to_string());
    tags.insert(TAG_FLOW.to_string(), flow_arn.to_string());
    let slug = crate::domain::naming::slug(flow_name);
    let slug = if slug.is_empty() {
        "flow".to_string()
    } else {
        slug
    };
    let period = period_secs(ctx.period);
    AlarmSpec {
        name: format!("{NAME_PREFIX}flow-{slug}-{SOURCE_LOST}"),
        description: format!(
            "onair: the MediaConnect flow {flow_name:?} ({flow_arn}) has lost its source \
             (SourceConnected below 1 for {} periods of {period} s). Every destination is \
             sending slate: check the encoder, its network and the SRT listener.",
            SOURCE_LOST_PERIODS
        ),
        namespace: metrics::MEDIACONNECT.to_string(),
        metric_name: metrics::SOURCE_CONNECTED.to_string(),
        dimensions: vec![("FlowARN".to_string(), flow_arn.to_string())],
        stat: Stat::Minimum,
        period_seconds: period,
        evaluation_periods: SOURCE_LOST_PERIODS,
        threshold: 1.0,
        comparison: Comparison::LessThanThreshold,
        missing_data_not_breaching: true,
        actions: vec![ctx.topic_arn.to_string()],
        tags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, StoredKey, StreamKey};

    fn record(name: &str) -> Destination {
        Destination::new(
            name.into(),
            Platform::Twitch,
            "rtmp://live.twitch.tv/app".into(),
            StoredKey::Clear(StreamKey::new("live_secret_key_123")),
            "1080p30".into(),
            time::OffsetDateTime::UNIX_EPOCH,
        )
    }

    fn ctx() -> AlarmContext<'static> {
        AlarmContext {
            table: "t",
            topic_arn: "arn:aws:sns:us-east-1:111122223333:onair-alarms",
            period: Duration::from_secs(60),
            preset_bitrate: Some(6_128_000),
        }
    }

    #[test]
    fn names_follow_the_resource_name_and_read_back() {
        let r = record("YouTube #1");
        let names = names_for(&r);
        let id8 = r.destination_id.short();
        assert_eq!(names[0], format!("onair-youtube-1-{id8}-not-delivering"));
        for (name, kind) in names.iter().zip(AlarmKind::ALL) {
            assert_eq!(parse_name(name), Some((id8.as_str(), kind)));
        }
        assert_eq!(parse_name("onair-flow-show-source-lost"), None);
        assert_eq!(parse_name("other-youtube-1-0123abcd-alerts"), None);
    }

    #[test]
    fn every_alarm_is_quiet_without_data_notifies_the_topic_and_names_the_destination() {
        let r = record("Twitch");
        let specs = for_destination(&r, "1234567", &ctx());
        assert_eq!(specs.len(), 3);
        for s in &specs {
            assert!(s.missing_data_not_breaching, "{}", s.name);
            assert_eq!(s.actions, vec![ctx().topic_arn.to_string()]);
            assert!(s.description.contains("\"Twitch\""));
            assert!(s.description.contains(&r.destination_id.to_string()));
            assert!(!s.description.contains("live_secret_key_123"));
            assert_eq!(s.tags.get(TAG_TABLE).map(String::as_str), Some("t"));
            assert!(s.description.len() <= 1024);
        }
        let low = &specs[1];
        assert_eq!(low.metric_name, metrics::NETWORK_OUT);
        assert!((low.threshold - 3.064).abs() < 1e-9);
    }

    #[test]
    fn an_unknown_preset_gets_no_bitrate_alarm() {
        let mut c = ctx();
        c.preset_bitrate = None;
        let specs = for_destination(&record("A"), "1", &c);
        assert!(specs.iter().all(|s| s.metric_name != metrics::NETWORK_OUT));
    }
}
