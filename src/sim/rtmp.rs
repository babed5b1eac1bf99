//! Platforms that refuse or drop a channel's RTMP push, and what MediaLive then does, per the
//! MediaLive user guide ("Fields for the RTMP connection"): after a drop the output waits the
//! channel's *Restart delay*, then retries every *Connection retry interval*, *Num retries*
//! times; "when the retries expire, this output stops. The channel stops because the single
//! output has lost its connection." While it retries, ActiveOutputs is 0, NetworkOut falls to
//! nothing and an alert is SET; a platform that takes the stream back before the retries run
//! out is streamed to again at the next retry and the alert is CLEARED. Maintenance (or a
//! pipeline fault) takes a running channel through RECOVERING and back to RUNNING by itself.
//!
//! Every time here is AWS's, scaled by the simulator's `speed` like its other delays.

use super::world::{ChannelRec, Interval, World};
use crate::cloud::{ChannelState, RtmpReconnect};
use crate::domain::StreamKey;
use std::time::Duration;
use time::OffsetDateTime;

/// The alert MediaLive raises when an output can't reach its destination. The wording is the
/// `alert_type` of the MediaLive user guide's example alert event ("JSON for an alert event":
/// "Failed to Create Output File or Socket"), the one alert name of the guide's that could be
/// checked here; the message follows that example's shape, naming the URL and never the key.
pub const OUTPUT_ALERT: &str = "Failed to Create Output File or Socket";

/// A platform refusing one stream (its URL and key), from `start` until `end` (`None`: until
/// the key is restored). A revoked key is refused at once on every connection attempt.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlatformRefusal {
    pub url: String,
    pub key: StreamKey,
    pub start: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
    pub revoked: bool,
}

impl PlatformRefusal {
    fn refuses(&self, ch: &ChannelRec) -> bool {
        self.url == ch.config.destination.url
            && self.key.expose() == ch.config.destination.stream_name.expose()
    }
}

/// An RTMP output that lost its platform and is retrying.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Outage {
    pub start: OffsetDateTime,
    pub revoked: bool,
}

/// One alert of a channel, SET at `set_at` and CLEARED at `cleared_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAlert {
    pub alert_type: String,
    pub message: String,
    pub set_at: OffsetDateTime,
    pub cleared_at: Option<OffsetDateTime>,
}

/// Seconds of AWS time as simulated time.
fn scaled(speed: f64, secs: u64) -> Duration {
    Duration::from_secs_f64(secs as f64 * speed)
}

/// When each retry of an outage that began at `start` happens.
fn retries(speed: f64, start: OffsetDateTime, r: &RtmpReconnect) -> Vec<OffsetDateTime> {
    (1..=u64::from(r.num_retries))
        .map(|k| {
            start
                + scaled(
                    speed,
                    u64::from(r.restart_delay) + k * u64::from(r.retry_interval),
                )
        })
        .collect()
}

impl World {
    /// Applies what the platforms did to every running channel up to now: outages begin,
    /// recover at a retry, or stop the channel when its retries run out.
    pub(crate) fn advance_rtmp(&mut self) {
        let now = self.wall_now();
        let speed = self.speed;
        let ids: Vec<String> = self
            .channels
            .values()
            .filter(|c| c.state == ChannelState::Running)
            .map(|c| c.id.clone())
            .collect();
        for id in ids {
            let refusals: Vec<PlatformRefusal> = match self.channels.get(&id) {
                Some(ch) => self
                    .refusals
                    .iter()
                    .filter(|r| r.refuses(ch))
                    .cloned()
                    .collect(),
                None => continue,
            };
            let Some(ch) = self.channels.get_mut(&id) else {
                continue;
            };
            let Some(running_since) = ch
                .running
                .last()
                .filter(|i| i.end.is_none())
                .map(|i| i.start)
            else {
                continue;
            };
            if ch.outage.is_none() {
                // The first moment of this run, after its last recovery, that a platform
                // refused it.
                let from = ch
                    .alerts
                    .iter()
                    .filter_map(|a| a.cleared_at)
                    .max()
                    .map_or(running_since, |t| t.max(running_since));
                let start = refusals
                    .iter()
                    .map(|r| (r, r.start.max(from)))
                    .filter(|(r, t)| *t <= now && r.end.is_none_or(|e| *t < e))
                    .map(|(_, t)| t)
                    .min();
                let Some(start) = start else { continue };
                let revoked = refusals.iter().any(|r| r.revoked && r.start <= start);
                let url = ch.config.destination.url.clone();
                ch.outage = Some(Outage { start, revoked });
                ch.silenced.push(Interval { start, end: None });
                ch.alerts.push(SimAlert {
                    alert_type: OUTPUT_ALERT.into(),
                    message: if revoked {
                        format!("RTMP muxer unable to open output or stream [{url}]: the server rejected the stream name")
                    } else {
                        format!("RTMP muxer lost the connection to [{url}]: retrying")
                    },
                    set_at: start,
                    cleared_at: None,
                });
            }
            let Some(outage) = ch.outage else { continue };
            // A retry succeeds once no refusal covers it.
            let refused_at = |t: OffsetDateTime| {
                refusals
                    .iter()
                    .any(|r| r.start <= t && r.end.is_none_or(|e| t <= e))
            };
            let times = retries(speed, outage.start, &ch.config.reconnect);
            let stop_at = times.last().copied().unwrap_or(
                outage.start + scaled(speed, u64::from(ch.config.reconnect.restart_delay)),
            );
            let back_at = times.iter().copied().find(|t| !refused_at(*t));
            match back_at {
                Some(t) if t <= now => {
                    for i in ch.silenced.iter_mut().filter(|i| i.end.is_none()) {
                        i.end = Some(t);
                    }
                    for a in ch.alerts.iter_mut().filter(|a| a.cleared_at.is_none()) {
                        a.cleared_at = Some(t);
                    }
                    ch.outage = None;
                }
                Some(_) => {}
                None if stop_at <= now => {
                    // The retries ran out: the output stops, and with it the channel.
                    for i in ch.running.iter_mut().chain(ch.silenced.iter_mut()) {
                        if i.end.is_none() {
                            i.end = Some(stop_at);
                        }
                    }
                    for a in ch.alerts.iter_mut().filter(|a| a.cleared_at.is_none()) {
                        a.cleared_at = Some(stop_at);
                    }
                    ch.outage = None;
                    ch.state = ChannelState::Idle;
                    ch.pending = None;
                }
                None => {}
            }
        }
    }

    /// The alerts SET on a channel now.
    pub(crate) fn set_alerts(&self, ch: &ChannelRec) -> Vec<SimAlert> {
        let now = self.wall_now();
        ch.alerts
            .iter()
            .filter(|a| a.set_at <= now && a.cleared_at.is_none())
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::cloud::MediaLive;

    async fn state(sim: &super::super::Simulator, id: &str) -> ChannelState {
        sim.describe_channel(id).await.unwrap().state
    }

    #[tokio::test(start_paused = true)]
    async fn a_drop_shorter_than_the_window_recovers_and_clears_its_alert() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "a").await;
        sim.reject_stream(&ch, Duration::from_secs(90)).unwrap();
        secs(1.0).await;
        let alerts = sim.list_alerts(&ch).await.unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].alert_type, OUTPUT_ALERT);
        assert!(sim.snapshot().channels[0].silenced);
        secs(100.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Running);
        assert!(sim.list_alerts(&ch).await.unwrap().is_empty());
        let snap = sim.snapshot();
        assert!(!snap.channels[0].silenced);
        assert!(snap.channels[0].alerts[0].cleared_at.is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_drop_longer_than_the_window_stops_the_channel_when_the_retries_run_out() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "a").await;
        let window = RtmpReconnect::default().window();
        sim.reject_stream(&ch, window * 2).unwrap();
        tokio::time::advance(window - Duration::from_secs(1)).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Running);
        secs(2.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Idle);
        assert!(sim.list_alerts(&ch).await.unwrap().is_empty());
        // A start while the platform still refuses connects to nothing: it stops again.
        sim.start_channel(&ch).await.unwrap();
        secs(121.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Running);
        assert_eq!(sim.list_alerts(&ch).await.unwrap().len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_revoked_key_is_refused_on_every_start_until_it_is_restored() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "a").await;
        sim.revoke_key(&ch).unwrap();
        let window = RtmpReconnect::default().window();
        tokio::time::advance(window + Duration::from_secs(1)).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Idle);
        sim.start_channel(&ch).await.unwrap();
        secs(121.0).await;
        assert!(sim.snapshot().channels[0].silenced, "refused at once");
        tokio::time::advance(window).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Idle);
        sim.restore_key(&ch).unwrap();
        sim.start_channel(&ch).await.unwrap();
        secs(121.0).await;
        assert!(!sim.snapshot().channels[0].silenced);
        tokio::time::advance(window * 2).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Running);
    }

    #[tokio::test(start_paused = true)]
    async fn maintenance_goes_through_recovering_back_to_running() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "a").await;
        sim.apply_fault_command(&format!("maintenance {ch}"))
            .unwrap();
        assert_eq!(state(&sim, &ch).await, ChannelState::Recovering);
        secs(61.0).await;
        assert_eq!(state(&sim, &ch).await, ChannelState::Running);
        let idle = idle_channel(&sim, "b").await.1;
        assert!(sim.maintenance(&idle).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn fault_names_may_be_quoted_and_help_fits_the_event_log_at_eighty_columns() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "onair-yt-main-1234").await;
        let msg = sim.apply_fault_command("reject \"YT Main\" 30").unwrap();
        assert!(msg.contains(&ch), "{msg}");
        assert!(sim.apply_fault_command("reject \"YT Main 30").is_err());
        let help = sim.apply_fault_command("help").unwrap();
        for line in help.lines() {
            assert!(line.chars().count() <= 60, "{line:?}");
        }
        for verb in ["reject", "revoke-key", "restore-key", "maintenance"] {
            assert!(help.contains(verb), "{verb}");
        }
    }
}
