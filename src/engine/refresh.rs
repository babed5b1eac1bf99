//! One refresh: the channel list, the flow and every metric in three calls, whatever the number
//! of destinations (MediaLive and MediaConnect allow 5 calls a second per account, shared by
//! every tool in it), folded into one [`Observation`].

use super::{DestinationMetrics, Engine, EngineEvent, FlowView, Level, MetricsSample, Observation};
use crate::cloud::{
    ChannelState, MetricDataRequest, MetricQuery, MetricSeries, RTMP_OUTPUT_GROUP, Stat, metrics,
};
use crate::domain::{Destination, DestinationId};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

/// How often one running channel's alerts are read.
const ALERTS_EVERY: Duration = Duration::from_secs(60);
/// How often the applied quotas are read again: they change only when AWS approves a request.
const QUOTAS_EVERY: Duration = Duration::from_secs(3600);
/// GetMetricData takes at most 500 queries a call.
const QUERIES_PER_CALL: usize = 500;

impl Engine {
    /// One refresh now: records, channel states, flow and metrics, emitted as
    /// [`EngineEvent::Observed`].
    pub async fn refresh(&self) -> Observation {
        self.observe(false).await
    }

    /// A refresh whose reconciliation is `immediate`: the first one after start-up, which
    /// finishes or rolls back whatever a crash interrupted at once, from the same answers (one
    /// Scan and one ListChannels, not a second set for a separate reconcile pass).
    async fn observe(&self, immediate: bool) -> Observation {
        let now = self.inner.clock.now();
        let mut errors = Vec::new();
        let mut table_error = None;
        if let Err(e) = self.load().await {
            errors.push(e.to_string());
            table_error = Some(e.to_string());
        }
        let mut records = self.records();
        if immediate {
            records = self.adopt_unnamed(records).await;
        }
        let ml = &self.inner.cloud.medialive;
        let mc = &self.inner.cloud.mediaconnect;
        let flow_arn = self.inner.config.flow_arn.clone();
        let list_channels = async {
            if immediate {
                // One throttled answer must not cost the start-up reconciliation.
                super::calls::retrying(|| ml.list_channels(), |_, _| {}).await
            } else {
                ml.list_channels().await
            }
        };

        let (channels, flow, series) = tokio::join!(
            list_channels,
            mc.describe_flow(&flow_arn),
            self.fetch_metrics(&records)
        );

        let mut quotas = *self.inner.quotas.lock().unwrap_or_else(|e| e.into_inner());
        let mut states = HashMap::new();
        let mut by_channel: Option<HashMap<String, ChannelState>> = None;
        let mut channels_error = None;
        // Channels onair did not make, watched read-only: their name and state from the same
        // listing (None: the listing failed, so nothing is known of them this time).
        let mut watched_listed: Option<HashMap<String, (String, ChannelState)>> = None;
        match channels {
            Ok(channels) => {
                watched_listed = Some(
                    channels
                        .iter()
                        .filter(|c| self.inner.config.watch_channels.contains(&c.id))
                        .map(|c| (c.id.clone(), (c.name.clone(), c.state)))
                        .collect(),
                );
                let listed: HashMap<String, ChannelState> =
                    channels.iter().map(|c| (c.id.clone(), c.state)).collect();
                self.remember_channels(&listed);
                by_channel = Some(listed);
                let live: Vec<_> = channels
                    .iter()
                    .filter(|c| c.state != ChannelState::Deleted)
                    .collect();
                quotas.channels_used = live.len();
                let by_id: HashMap<&str, ChannelState> =
                    live.iter().map(|c| (c.id.as_str(), c.state)).collect();
                for r in &records {
                    if let Some(state) = r
                        .media_live_channel_id
                        .as_deref()
                        .and_then(|id| by_id.get(id))
                    {
                        states.insert(r.id(), *state);
                    }
                }
            }
            Err(e) => {
                errors.push(e.to_string());
                channels_error = Some(e.to_string());
            }
        }
        let mut flow_error = None;
        let flow = match flow {
            Ok(flow) => {
                // Every MEDIACONNECT input has its output on the flow: the input count we need
                // for the quota, without a ListInputs call.
                quotas.inputs_used = flow
                    .outputs
                    .iter()
                    .filter(|o| o.medialive_input_arn.is_some())
                    .count()
                    .max(
                        records
                            .iter()
                            .filter(|r| r.media_live_input_id.is_some())
                            .count(),
                    );
                Some(FlowView {
                    name: flow.name,
                    arn: flow.arn,
                    status: flow.status.as_aws().to_string(),
                    protocol: protocol_label(&flow.source.protocol),
                    port: flow.source.ingest_port,
                    encryption: flow.source.encryption.as_deref().map(encryption_label),
                    outputs: flow.outputs.len(),
                })
            }
            Err(e) => {
                errors.push(e.to_string());
                flow_error = Some(e.to_string());
                None
            }
        };
        let mut metrics_error = None;
        let mut watched_figures: HashMap<String, (Option<f64>, Option<f64>)> = HashMap::new();
        if let Ok(series) = &series {
            for (i, id) in self.inner.config.watch_channels.iter().enumerate() {
                watched_figures.insert(
                    id.clone(),
                    (
                        newest_point(series, &format!("w{i}out")).map(|mbps| mbps * 1e6),
                        newest_point(series, &format!("w{i}active")),
                    ),
                );
            }
        }
        let metrics = match series {
            Ok(series) => sample_from(&records, &series, now),
            Err(e) => {
                errors.push(e.to_string());
                metrics_error = Some(e.to_string());
                MetricsSample::default()
            }
        };
        quotas.channels_allowed = self.allowed(super::quotas::QuotaKind::Channels);
        quotas.inputs_allowed = self.allowed(super::quotas::QuotaKind::PushInputs);
        *self.inner.quotas.lock().unwrap_or_else(|e| e.into_inner()) = quotas;

        let watched_running: Vec<String> = watched_listed
            .iter()
            .flat_map(|l| l.iter())
            .filter(|(_, (_, state))| *state == ChannelState::Running)
            .map(|(id, _)| id.clone())
            .collect();
        let (alerts, watched_alerts) = self.read_alerts(&records, &states, &watched_running).await;
        self.watch_outputs(&records, &states, &metrics, &alerts);
        let watched = self.watched(watched_listed, &watched_figures, &watched_alerts);
        let error = (!errors.is_empty()).then(|| errors.join("; "));
        if let Some(e) = &error {
            self.log(Level::Warn, None, format!("refresh: {e}"));
        }
        let observation = Observation {
            at: now,
            flow,
            error,
            flow_error,
            table_error,
            channels_error,
            metrics_error,
            channels: states,
            quotas,
            metrics,
            alerts,
            unreadable: self.unreadable(),
            watched,
        };
        self.emit(EngineEvent::Observed(Box::new(observation.clone())));
        // The same answers drive reconciliation: no extra calls per refresh.
        if let Some(by_channel) = by_channel {
            self.reconcile_with(&records, &by_channel, immediate).await;
        }
        observation
    }

    /// Refreshes every `refresh_interval` until nobody listens to the engine's events.
    pub fn spawn_refresh_loop(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(engine.inner.config.refresh_interval);
            tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
            // The first tick is at once; its pass finishes or rolls back, at once, whatever a
            // crash interrupted.
            let mut immediate = true;
            let mut alarms_read: Option<tokio::time::Instant> = None;
            let mut quotas_read: Option<tokio::time::Instant> = None;
            loop {
                tick.tick().await;
                if engine.inner.events.is_closed() {
                    return;
                }
                let seen = engine.observe(immediate).await;
                if immediate {
                    engine.start_up_alarms(seen.flow.as_ref()).await;
                }
                immediate = false;
                // Outside the refresh's three calls, at their own slower cadences.
                let now = tokio::time::Instant::now();
                let due = |last: Option<tokio::time::Instant>, every: Duration| {
                    last.is_none_or(|at| now.duration_since(at) >= every)
                };
                if engine.inner.config.alarms_on() && due(alarms_read, engine.alarm_read_every()) {
                    alarms_read = Some(now);
                    let _ = engine.read_alarms().await;
                }
                if due(quotas_read, QUOTAS_EVERY) {
                    quotas_read = Some(now);
                    engine.read_quotas().await;
                }
            }
        })
    }

    /// How often the alarms' states are read: half an alarm period (an alarm changes at most
    /// once a period), never more often than the refresh.
    fn alarm_read_every(&self) -> Duration {
        (self.inner.config.alarm_period / 2).max(self.inner.config.refresh_interval)
    }

    /// Once per process, while alarms are on: is the topic there, and the flow's own alarm.
    async fn start_up_alarms(&self, flow: Option<&FlowView>) {
        if !self.inner.config.alarms_on() || self.inner.config.readonly {
            return;
        }
        if let Err(refusal) = self.check_alarm_topic().await {
            self.log(Level::Error, None, refusal.to_string());
            return;
        }
        let name = flow.map(|f| f.name.as_str()).unwrap_or("flow");
        if let Err(e) = self.ensure_flow_alarm(name).await {
            self.log(
                Level::Warn,
                None,
                format!("the flow's lost-source alarm could not be written: {e}"),
            );
        }
    }

    /// SET alerts of the running channels, each channel read at most once a minute (ListAlerts
    /// is one call per channel: the one per-destination call a refresh may make).
    async fn read_alerts(
        &self,
        records: &[Destination],
        states: &HashMap<DestinationId, ChannelState>,
        watched_running: &[String],
    ) -> (
        HashMap<DestinationId, Vec<String>>,
        HashMap<String, Vec<String>>,
    ) {
        let now = tokio::time::Instant::now();
        let running: Vec<(DestinationId, String)> = records
            .iter()
            .filter(|r| states.get(&r.id()) == Some(&ChannelState::Running))
            .filter_map(|r| r.media_live_channel_id.clone().map(|c| (r.id(), c)))
            .collect();
        // Watched channels ride on the same once-a-minute cadence and cache.
        let all: Vec<&String> = running
            .iter()
            .map(|(_, c)| c)
            .chain(watched_running.iter())
            .collect();
        let due: Vec<String> = {
            let cache = self.inner.alerts.lock().unwrap_or_else(|e| e.into_inner());
            all.iter()
                .filter(|c| {
                    cache
                        .get(c.as_str())
                        .is_none_or(|(at, _)| now.duration_since(*at) >= ALERTS_EVERY)
                })
                .map(|c| (*c).clone())
                .collect()
        };
        let ml = &self.inner.cloud.medialive;
        let answers = futures::future::join_all(due.iter().map(|c| ml.list_alerts(c))).await;
        let mut cache = self.inner.alerts.lock().unwrap_or_else(|e| e.into_inner());
        for (channel, answer) in due.into_iter().zip(answers) {
            // A failed read keeps the last answer; the next minute tries again.
            if let Ok(alerts) = answer {
                let lines = alerts
                    .into_iter()
                    .map(|a| format!("{}: {}", a.alert_type, a.message))
                    .collect();
                cache.insert(channel, (now, lines));
            }
        }
        let keep: std::collections::HashSet<&String> = all.iter().copied().collect();
        cache.retain(|c, _| keep.contains(c));
        let of = |c: &String| {
            cache
                .get(c)
                .filter(|(_, lines)| !lines.is_empty())
                .map(|(_, lines)| lines.clone())
        };
        let destinations = running
            .iter()
            .filter_map(|(id, c)| of(c).map(|lines| (*id, lines)))
            .collect();
        let watched = watched_running
            .iter()
            .filter_map(|c| of(c).map(|lines| (c.clone(), lines)))
            .collect();
        (destinations, watched)
    }

    /// The watched channels as the panel shows them, in the configured order; a transition out
    /// of RUNNING is logged once, as an incident onair can only report (it never acts on them).
    fn watched(
        &self,
        listed: Option<HashMap<String, (String, ChannelState)>>,
        figures: &HashMap<String, (Option<f64>, Option<f64>)>,
        alerts: &HashMap<String, Vec<String>>,
    ) -> Vec<super::WatchedChannel> {
        let mut last = self
            .inner
            .watched_states
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for id in &self.inner.config.watch_channels {
            let seen = listed.as_ref().map(|l| l.get(id).cloned());
            let (bitrate, active_outputs) = figures.get(id).copied().unwrap_or_default();
            let state = match &seen {
                Some(Some((_, state))) => Some(*state),
                _ => None,
            };
            if let Some(Some((name, now_state))) = &seen {
                if last.get(id) == Some(&ChannelState::Running)
                    && *now_state != ChannelState::Running
                {
                    self.log(
                        Level::Warn,
                        None,
                        format!(
                            "watched channel {} ({id}) left RUNNING: it is {} (onair does not start \
                             channels it did not make)",
                            crate::domain::for_terminal(name),
                            now_state.as_aws()
                        ),
                    );
                }
                last.insert(id.clone(), *now_state);
            }
            out.push(super::WatchedChannel {
                id: id.clone(),
                name: match &seen {
                    Some(Some((name, _))) => Some(name.clone()),
                    _ => None,
                },
                state,
                // Known missing only when the listing answered without it.
                missing: matches!(seen, Some(None)),
                bitrate,
                active_outputs,
                alerts: alerts.get(id).cloned().unwrap_or_default(),
            });
        }
        out
    }

    async fn fetch_metrics(
        &self,
        records: &[Destination],
    ) -> Result<Vec<MetricSeries>, crate::cloud::CloudError> {
        let period = self.inner.config.metric_period;
        let mut queries = metric_queries(&self.inner.config.flow_arn, records, period);
        queries.extend(watched_queries(&self.inner.config.watch_channels, period));
        let end = self.inner.clock.now();
        // A few periods back: CloudWatch publishes with a delay, and a gap must stay a gap.
        let start = end - period * 6;
        let mut all = Vec::with_capacity(queries.len());
        for chunk in queries.chunks(QUERIES_PER_CALL) {
            let request = MetricDataRequest {
                queries: chunk.to_vec(),
                start,
                end,
            };
            all.extend(self.inner.cloud.cloudwatch.get_metric_data(request).await?);
        }
        Ok(all)
    }
}

/// "SRT listener" for `srt-listener`: the panel speaks to people, not to the API.
fn protocol_label(protocol: &str) -> String {
    match protocol {
        "srt-listener" => "SRT listener".into(),
        "srt-caller" => "SRT caller".into(),
        "rtp-fec" => "RTP-FEC".into(),
        "zixi-push" => "Zixi push".into(),
        "rist" => "RIST".into(),
        other => other.to_uppercase(),
    }
}

fn encryption_label(algorithm: &str) -> String {
    match algorithm {
        "aes128" => "AES-128".into(),
        "aes192" => "AES-192".into(),
        "aes256" => "AES-256".into(),
        other => other.to_uppercase(),
    }
}

const FLOW_SERIES: [(&str, &str); 5] = [
    ("fbitrate", metrics::SOURCE_BITRATE),
    ("fconnected", metrics::SOURCE_CONNECTED),
    ("floss", metrics::SOURCE_PACKET_LOSS),
    ("fnotrecovered", metrics::SOURCE_NOT_RECOVERED),
    ("frtt", metrics::SOURCE_RTT),
];

/// Query ids: flow series by name, destination series `d<index>out` / `d<index>active`.
fn metric_queries(flow_arn: &str, records: &[Destination], period: Duration) -> Vec<MetricQuery> {
    let period_seconds = period.as_secs().max(1) as u32;
    let mut queries: Vec<MetricQuery> = FLOW_SERIES
        .iter()
        .map(|(id, metric)| MetricQuery {
            id: (*id).to_string(),
            namespace: metrics::MEDIACONNECT.to_string(),
            metric_name: (*metric).to_string(),
            dimensions: vec![("FlowARN".to_string(), flow_arn.to_string())],
            stat: Stat::Average,
            period_seconds,
        })
        .collect();
    for (i, r) in records.iter().enumerate() {
        let Some(channel) = &r.media_live_channel_id else {
            continue;
        };
        let base = vec![
            ("ChannelId".to_string(), channel.clone()),
            ("Pipeline".to_string(), "0".to_string()),
        ];
        queries.push(MetricQuery {
            id: format!("d{i}out"),
            namespace: metrics::MEDIALIVE.to_string(),
            metric_name: metrics::NETWORK_OUT.to_string(),
            dimensions: base.clone(),
            stat: Stat::Average,
            period_seconds,
        });
        let mut with_group = base;
        with_group.push(("OutputGroupName".to_string(), RTMP_OUTPUT_GROUP.to_string()));
        queries.push(MetricQuery {
            id: format!("d{i}active"),
            namespace: metrics::MEDIALIVE.to_string(),
            metric_name: metrics::ACTIVE_OUTPUTS.to_string(),
            dimensions: with_group,
            stat: Stat::Minimum,
            period_seconds,
        });
    }
    queries
}

/// NetworkOut and ActiveOutputs of each watched channel (pipeline 0), in the same call.
fn watched_queries(channels: &[String], period: Duration) -> Vec<MetricQuery> {
    let period_seconds = period.as_secs().max(1) as u32;
    let mut queries = Vec::new();
    for (i, channel) in channels.iter().enumerate() {
        let base = vec![
            ("ChannelId".to_string(), channel.clone()),
            ("Pipeline".to_string(), "0".to_string()),
        ];
        queries.push(MetricQuery {
            id: format!("w{i}out"),
            namespace: metrics::MEDIALIVE.to_string(),
            metric_name: metrics::NETWORK_OUT.to_string(),
            dimensions: base.clone(),
            stat: Stat::Average,
            period_seconds,
        });
        queries.push(MetricQuery {
            id: format!("w{i}active"),
            namespace: metrics::MEDIALIVE.to_string(),
            metric_name: metrics::ACTIVE_OUTPUTS.to_string(),
            dimensions: base,
            stat: Stat::Minimum,
            period_seconds,
        });
    }
    queries
}

/// The newest point of the series `id`; none (a gap) when it has no points or isn't there.
fn newest_point(series: &[MetricSeries], id: &str) -> Option<f64> {
    series
        .iter()
        .find(|s| s.id == id)
        .and_then(|s| s.points.last())
        .map(|p| p.value)
}

/// The newest point of each series; a series without points is a gap.
fn sample_from(
    records: &[Destination],
    series: &[MetricSeries],
    now: time::OffsetDateTime,
) -> MetricsSample {
    let newest = |id: &str| newest_point(series, id);
    let mut destinations: HashMap<DestinationId, DestinationMetrics> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if r.media_live_channel_id.is_none() {
            continue;
        }
        destinations.insert(
            r.id(),
            DestinationMetrics {
                // NetworkOut is in Mb/s; the UI speaks bits per second everywhere.
                bitrate: newest(&format!("d{i}out")).map(|mbps| mbps * 1e6),
                active_outputs: newest(&format!("d{i}active")),
            },
        );
    }
    MetricsSample {
        at: Some(now),
        source_bitrate: newest("fbitrate"),
        source_connected: newest("fconnected").map(|v| v >= 0.5),
        source_packet_loss_percent: newest("floss"),
        source_not_recovered_packets: newest("fnotrecovered"),
        source_round_trip_ms: newest("frtt"),
        destinations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, StreamKey};

    #[test]
    fn query_ids_start_with_a_lowercase_letter_and_are_unique() {
        let mut records = Vec::new();
        for i in 0..3 {
            let mut d = Destination::new(
                format!("d{i}"),
                Platform::Twitch,
                "rtmp://live.twitch.tv/app".into(),
                StreamKey::new("k"),
                "720p30".into(),
                time::OffsetDateTime::UNIX_EPOCH,
            );
            d.media_live_channel_id = Some(format!("{i}"));
            records.push(d);
        }
        let q = metric_queries("arn:flow", &records, Duration::from_secs(10));
        assert_eq!(q.len(), 5 + 2 * 3);
        let mut ids: Vec<&str> = q.iter().map(|q| q.id.as_str()).collect();
        assert!(
            ids.iter()
                .all(|id| id.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        );
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), q.len());
    }
}
