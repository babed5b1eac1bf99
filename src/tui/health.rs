//! Health of one destination at a glance, from what the last refreshes saw. Pure, so every rule
//! is a unit test: a running channel that sends (almost) nothing is `failing`, never green, and a
//! channel whose metrics did not arrive is `unknown`, never `degraded` — a verdict needs
//! evidence (datapoints that arrived and say so, or a SET alert).

use crate::domain::Status;
use std::time::Duration;

/// Below this share of its preset's bitrate a running channel is as good as silent.
pub const SILENT_SHARE: f64 = 0.05;
/// Below this share the output is thin: worth a look, not an alarm.
pub const THIN_SHARE: f64 = 0.5;
/// How long after a start the bitrate can't be judged. CloudWatch publishes MediaLive's
/// standard-resolution metrics per 1-minute period once the period has closed, and usually
/// within another minute: a channel's first full datapoint lands 1–2 minutes after RUNNING,
/// and what arrives before is a partial minute (low, or missing). Two minutes covers one
/// period plus the publishing delay; meanwhile only a SET alert or a lost source is a verdict,
/// and a healthy datapoint that does arrive is taken as `ok` at once.
pub const GRACE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, PartialEq)]
pub enum Health {
    /// Not running: nothing to judge ("—").
    NotRunning,
    Ok,
    /// Started less than [`GRACE`] ago and no healthy datapoint yet: not judged.
    Settling,
    /// Running, and no datapoint arrived at the last refresh (CloudWatch throttled, a gap):
    /// not a verdict. Seconds since the last datapoint that did arrive, if one did.
    Unknown(Option<u64>),
    /// Running, and the datapoints say something is off (one silent sample, a thin output).
    Degraded(String),
    /// Running and not reaching the platform.
    Failing(String),
    /// Running, but the flow's source (the encoder) is gone: every running row depends on it.
    SourceLost,
}

impl Health {
    /// The table cell's word.
    pub fn label(&self) -> &'static str {
        match self {
            Health::NotRunning => "—",
            Health::Ok => "ok",
            Health::Settling => "settling",
            Health::Unknown(_) => "no data",
            Health::Degraded(_) => "degraded",
            Health::Failing(_) => "failing",
            Health::SourceLost => "source lost",
        }
    }

    /// Whether the row is red and an alert is due.
    pub fn is_alarm(&self) -> bool {
        matches!(self, Health::Failing(_) | Health::SourceLost)
    }

    /// Why, for the flash and the event log.
    pub fn reason(&self) -> String {
        match self {
            Health::NotRunning => "not running".into(),
            Health::Ok => "ok".into(),
            Health::Settling => format!(
                "started under {} min ago: not judged before CloudWatch has a full minute",
                GRACE.as_secs() / 60
            ),
            Health::Unknown(None) => "no metrics have arrived for this channel".into(),
            Health::Unknown(Some(age)) => format!("no metrics arrived for {age}s"),
            Health::Degraded(why) | Health::Failing(why) => why.clone(),
            Health::SourceLost => "source lost: the encoder's SRT feed is not arriving".into(),
        }
    }
}

/// What the rules look at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inputs<'a> {
    pub status: Status,
    /// Newest samples of the output bitrate (bits/s), oldest first; `None` is a gap.
    pub recent: &'a [Option<f64>],
    pub active_outputs: Option<f64>,
    /// MediaLive alerts SET on the channel.
    pub alerts: &'a [String],
    /// The flow's SourceConnected; `None` when unknown.
    pub source_connected: Option<bool>,
    /// The preset's video + audio bitrate (bits/s); `None` for an unknown preset.
    pub preset_bitrate: Option<f64>,
    /// How long the channel has been running; `None` when the record doesn't say.
    pub running_for: Option<Duration>,
    /// Seconds since the last bitrate datapoint arrived, if one ever did.
    pub data_age: Option<u64>,
}

pub fn assess(i: &Inputs) -> Health {
    if i.status != Status::Running {
        return Health::NotRunning;
    }
    if i.source_connected == Some(false) {
        return Health::SourceLost;
    }
    if let Some(alert) = i.alerts.first() {
        return Health::Failing(format!("alert: {alert}"));
    }
    // A preset we don't know still must not pass a silent channel: 0 is silent whatever it is.
    let silent_below = i.preset_bitrate.map_or(1.0, |b| b * SILENT_SHARE);
    let thin_below = i.preset_bitrate.map_or(1.0, |b| b * THIN_SHARE);
    let last = i.recent.last().copied().flatten();
    if i.running_for.is_some_and(|d| d < GRACE) {
        // A partial first minute reads low: not judged, until the channel has shown it can
        // deliver. After a healthy datapoint, a silence is evidence like any other.
        let delivered = i.recent.iter().flatten().any(|b| *b >= thin_below);
        match last {
            Some(b) if b >= thin_below => return Health::Ok,
            _ if !delivered => return Health::Settling,
            _ => {}
        }
    }
    if i.active_outputs == Some(0.0) {
        return Health::Failing("0 active outputs: the platform is not receiving".into());
    }
    let silent = |s: &Option<f64>| s.is_some_and(|b| b < silent_below);
    let last_two = &i.recent[i.recent.len().saturating_sub(2)..];
    if last_two.len() == 2 && last_two.iter().all(silent) {
        let kbps = last_two[1].unwrap_or_default() / 1000.0;
        return Health::Failing(format!("sending {kbps:.0} kb/s for two refreshes"));
    }
    match last {
        None => Health::Unknown(i.data_age),
        Some(b) if b < silent_below => Health::Degraded("output dropped".into()),
        Some(b) if b < thin_below => Health::Degraded(format!("thin output: {:.1} Mb/s", b / 1e6)),
        Some(_) => Health::Ok,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRESET: f64 = 6.128e6;

    fn running(recent: &[Option<f64>]) -> Inputs<'_> {
        Inputs {
            status: Status::Running,
            recent,
            active_outputs: Some(1.0),
            alerts: &[],
            source_connected: Some(true),
            preset_bitrate: Some(PRESET),
            running_for: Some(Duration::from_secs(600)),
            data_age: Some(0),
        }
    }

    #[test]
    fn not_running_is_a_dash_whatever_the_metrics() {
        for status in [
            Status::Idle,
            Status::Starting,
            Status::Error,
            Status::Parked,
        ] {
            let i = Inputs {
                status,
                ..running(&[Some(0.0), Some(0.0)])
            };
            assert_eq!(assess(&i), Health::NotRunning);
            assert_eq!(assess(&i).label(), "—");
        }
    }

    #[test]
    fn a_set_alert_is_failing_even_with_a_bitrate() {
        let recent = [Some(PRESET), Some(PRESET)];
        let alerts = ["RTMP Connection Failure: refused".to_string()];
        let i = Inputs {
            alerts: &alerts,
            ..running(&recent)
        };
        let h = assess(&i);
        assert!(
            matches!(&h, Health::Failing(why) if why.contains("RTMP")),
            "{h:?}"
        );
    }

    #[test]
    fn a_healthy_channel_is_ok() {
        assert_eq!(assess(&running(&[Some(6e6), Some(6.1e6)])), Health::Ok);
    }

    #[test]
    fn zero_for_two_refreshes_is_failing_never_green() {
        let h = assess(&running(&[Some(6e6), Some(0.0), Some(0.0)]));
        assert!(matches!(h, Health::Failing(_)), "{h:?}");
        assert!(h.is_alarm());
        assert!(h.reason().contains("0 kb/s"));
    }

    #[test]
    fn under_five_percent_counts_as_silent() {
        let trickle = PRESET * 0.04;
        let h = assess(&running(&[Some(trickle), Some(trickle)]));
        assert!(matches!(h, Health::Failing(_)), "{h:?}");
    }

    #[test]
    fn one_silent_sample_is_degraded_not_yet_an_alarm() {
        let h = assess(&running(&[Some(6e6), Some(0.0)]));
        assert_eq!(h, Health::Degraded("output dropped".into()));
        assert!(!h.is_alarm());
    }

    #[test]
    fn zero_active_outputs_is_failing_at_once() {
        let i = Inputs {
            active_outputs: Some(0.0),
            alerts: &[],
            ..running(&[Some(6e6), Some(6e6)])
        };
        assert!(matches!(assess(&i), Health::Failing(_)));
    }

    #[test]
    fn a_lost_source_shows_on_every_running_row() {
        let i = Inputs {
            source_connected: Some(false),
            ..running(&[Some(6e6), Some(6e6)])
        };
        assert_eq!(assess(&i), Health::SourceLost);
        assert_eq!(assess(&i).label(), "source lost");
    }

    #[test]
    fn thin_output_is_degraded() {
        assert!(matches!(
            assess(&running(&[Some(2e6), Some(2e6)])),
            Health::Degraded(_)
        ));
    }

    #[test]
    fn missing_metrics_are_unknown_with_their_age_never_a_verdict() {
        // CloudWatch throttled: the last refresh brought no datapoint for a healthy channel.
        let i = Inputs {
            data_age: Some(40),
            ..running(&[Some(6e6), Some(6e6), None])
        };
        let h = assess(&i);
        assert_eq!(h, Health::Unknown(Some(40)));
        assert!(!h.is_alarm());
        assert_ne!(h.label(), "degraded");
        assert!(h.reason().contains("40s"), "{}", h.reason());
        // Nothing ever arrived: still unknown, not degraded.
        let never = Inputs {
            data_age: None,
            ..running(&[])
        };
        assert_eq!(assess(&never), Health::Unknown(None));
        // Gaps, even two of them, are no evidence of silence.
        assert!(matches!(
            assess(&running(&[None, None])),
            Health::Unknown(_)
        ));
    }

    #[test]
    fn a_fresh_start_is_settling_not_degraded_until_the_grace_ends() {
        let fresh = |recent, secs| Inputs {
            running_for: Some(Duration::from_secs(secs)),
            data_age: None,
            active_outputs: None,
            ..running(recent)
        };
        // No datapoint yet, or a partial first minute: not judged.
        assert_eq!(assess(&fresh(&[], 5)), Health::Settling);
        assert_eq!(
            assess(&fresh(&[Some(0.0), Some(0.0)], 60)),
            Health::Settling
        );
        assert_eq!(
            assess(&Inputs {
                active_outputs: Some(0.0),
                ..fresh(&[Some(0.0)], 60)
            }),
            Health::Settling
        );
        // A healthy datapoint is taken at once.
        assert_eq!(assess(&fresh(&[Some(6e6)], 30)), Health::Ok);
        // And once one came, a silence after it is judged: no "settling" over a dead output.
        assert!(matches!(
            assess(&fresh(&[Some(6e6), Some(0.0), Some(0.0)], 60)),
            Health::Failing(_)
        ));
        // An alert or a lost source is evidence even then.
        let alerts = ["RTMP Connection Failure: refused".to_string()];
        assert!(matches!(
            assess(&Inputs {
                alerts: &alerts,
                ..fresh(&[], 5)
            }),
            Health::Failing(_)
        ));
        assert_eq!(
            assess(&Inputs {
                source_connected: Some(false),
                ..fresh(&[], 5)
            }),
            Health::SourceLost
        );
        // After the grace the same silence is a verdict.
        assert!(matches!(
            assess(&fresh(&[Some(0.0), Some(0.0)], GRACE.as_secs())),
            Health::Failing(_)
        ));
        assert_eq!(assess(&fresh(&[], GRACE.as_secs())), Health::Unknown(None));
    }

    #[test]
    fn an_unknown_preset_still_fails_a_silent_channel() {
        let i = Inputs {
            preset_bitrate: None,
            ..running(&[Some(0.0), Some(0.0)])
        };
        assert!(matches!(assess(&i), Health::Failing(_)));
    }
}
