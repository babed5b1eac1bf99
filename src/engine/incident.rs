//! Incidents: a destination whose desired state is running and whose channel stopped outside
//! any onair operation. `desired` is the operator's and drift never rewrites it: the stop is
//! shown at once and, where that is safe, the channel is started again with bounded backoff.
//!
//! Everything here is pure — what a stop was, and whether to restart now — so every case is a
//! unit test; `reconcile.rs` applies it.

use super::events::{Incident, IncidentPhase};
use std::time::Duration;
use time::OffsetDateTime;

/// What the refreshes saw of one running channel's output during its current run. Reset when
/// the channel is seen not running, so each run starts blank.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputWatch {
    /// Last time ActiveOutputs said the output was up.
    pub healthy_at: Option<OffsetDateTime>,
    /// Since when ActiveOutputs has said the output is down (cleared when it is up again).
    pub down_since: Option<OffsetDateTime>,
    /// The newest alert MediaLive had SET on the channel ("type: message").
    pub alert: Option<String>,
}

impl OutputWatch {
    /// Folds in one refresh's look at the running channel.
    pub fn observe(&mut self, at: OffsetDateTime, active_outputs: Option<f64>, alerts: &[String]) {
        match active_outputs {
            Some(n) if n >= 1.0 => {
                self.healthy_at = Some(at);
                self.down_since = None;
            }
            Some(_) => {
                self.down_since.get_or_insert(at);
            }
            // A gap in the metrics says nothing either way.
            None => {}
        }
        if let Some(first) = alerts.first() {
            self.alert = Some(first.clone());
        } else if self.down_since.is_none() {
            self.alert = None;
        }
    }
}

/// What a channel that stopped outside onair most likely was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// Its output was down or an alert was SET before it stopped: MediaLive gave up on the
    /// platform (the reason in MediaLive's words where it gave some).
    Dropped {
        reason: String,
        since: Option<OffsetDateTime>,
    },
    /// Healthy output and no alert up to the stop: a person stopped it (console, another tool).
    OnPurpose,
    /// onair saw nothing of this run (it wasn't watching): it can't be told apart.
    Unknown,
}

/// "0:12", "3:05", "1:02:03": time off air, as a row and a log line say it.
pub fn elapsed(d: time::Duration) -> String {
    let s = d.whole_seconds().max(0);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

pub const RETRIES_EXHAUSTED: &str = "RTMP retries exhausted";

/// Tells a drop from a stop on purpose by what AWS showed before it: MediaLive stops a channel
/// by itself only after its RTMP output has been down for the whole reconnect window, during
/// which ActiveOutputs is 0 and an alert is SET; a stop from the console comes with neither.
pub fn cause(watch: Option<&OutputWatch>) -> StopCause {
    let Some(w) = watch else {
        return StopCause::Unknown;
    };
    match (&w.alert, w.down_since, w.healthy_at) {
        (Some(alert), since, _) => StopCause::Dropped {
            reason: format!("{RETRIES_EXHAUSTED} ({alert})"),
            since,
        },
        (None, Some(since), _) => StopCause::Dropped {
            reason: format!("{RETRIES_EXHAUSTED} (no active output)"),
            since: Some(since),
        },
        (None, None, Some(_)) => StopCause::OnPurpose,
        (None, None, None) => StopCause::Unknown,
    }
}

/// Whether the run that just ended never sent anything: the platform refused it at once (a
/// revoked or wrong key does that on every connection).
pub fn refused_at_once(watch: Option<&OutputWatch>) -> bool {
    watch.is_some_and(|w| w.healthy_at.is_none() && (w.down_since.is_some() || w.alert.is_some()))
}

/// A restarted channel the platform has refused since its first second, for `grace` or more:
/// a revoked or wrong key. onair stops it then rather than let MediaLive bill the whole
/// reconnect window for nothing; the stop counts as the refusal it is.
pub fn refused_restart(
    incident: Option<&Incident>,
    watch: Option<&OutputWatch>,
    now: OffsetDateTime,
    grace: Duration,
) -> bool {
    let restarting =
        incident.is_some_and(|i| i.attempts >= 1 && i.phase == IncidentPhase::Restarting);
    restarting
        && watch.is_some_and(|w| {
            w.healthy_at.is_none() && w.down_since.is_some_and(|since| now - since >= grace)
        })
}

/// The restart settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub auto_restart: bool,
    pub attempts: u32,
    pub backoff: Duration,
    pub readonly: bool,
}

/// The wait before restart number `attempt + 1`: the first at once (every second off air
/// counts), then `backoff`, doubled each time.
pub fn wait_before(policy: &Policy, attempts_made: u32) -> Duration {
    match attempts_made {
        0 => Duration::ZERO,
        n => policy
            .backoff
            .saturating_mul(1u32.checked_shl(n - 1).unwrap_or(u32::MAX)),
    }
}

/// What to do about an incident now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Restart,
    Wait,
    Hold(String),
    GiveUp(String),
}

pub fn verdict(
    incident: &Incident,
    policy: &Policy,
    now: OffsetDateTime,
    source_lost: bool,
    platform: &str,
) -> Verdict {
    if policy.readonly {
        return Verdict::Hold("read-only mode: onair doesn't restart it".into());
    }
    if !policy.auto_restart {
        return Verdict::Hold("auto_restart is off: `s` starts it".into());
    }
    if source_lost {
        // The channel would only send slate: wait for the encoder rather than bill for that.
        return Verdict::Hold("source lost: not restarting until the encoder is back".into());
    }
    if incident.attempts >= incident.of {
        let n = incident.attempts;
        return Verdict::GiveUp(if n > 0 && incident.refused_at_once >= n {
            format!("{platform} refused the stream {n} times: check the stream key; `s` retries")
        } else if n == 0 {
            "restart_attempts is 0: `s` starts it".into()
        } else {
            format!(
                "{platform} dropped again after {n} restarts ({}): `s` retries",
                incident.reason
            )
        });
    }
    match incident.phase {
        IncidentPhase::Waiting { until } if now < until => Verdict::Wait,
        // Another restart is under way (here, or its Finished not yet folded in).
        IncidentPhase::Restarting => Verdict::Wait,
        _ => Verdict::Restart,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;

    fn policy() -> Policy {
        Policy {
            auto_restart: true,
            attempts: 3,
            backoff: Duration::from_secs(10),
            readonly: false,
        }
    }

    fn incident(attempts: u32, refused: u32, phase: IncidentPhase) -> Incident {
        Incident {
            since: T0,
            reason: RETRIES_EXHAUSTED.into(),
            attempts,
            of: 3,
            refused_at_once: refused,
            phase,
        }
    }

    #[test]
    fn a_stop_is_a_drop_only_with_evidence_and_unknown_without_any() {
        assert_eq!(cause(None), StopCause::Unknown);
        let mut w = OutputWatch::default();
        assert_eq!(cause(Some(&w)), StopCause::Unknown);
        w.observe(T0, Some(1.0), &[]);
        assert_eq!(cause(Some(&w)), StopCause::OnPurpose);
        let later = T0 + Duration::from_secs(10);
        w.observe(later, Some(0.0), &[]);
        assert!(matches!(cause(Some(&w)), StopCause::Dropped { since: Some(t), .. } if t == later));
        w.observe(
            later,
            Some(0.0),
            &["Failed to Create Output File or Socket: x".into()],
        );
        let StopCause::Dropped { reason, .. } = cause(Some(&w)) else {
            panic!()
        };
        assert!(
            reason.contains("Failed to Create Output File or Socket"),
            "{reason}"
        );
        // Up again: the alert cleared with it.
        w.observe(later, Some(1.0), &[]);
        assert_eq!(cause(Some(&w)), StopCause::OnPurpose);
        assert!(!refused_at_once(Some(&w)));
        let refused = OutputWatch {
            down_since: Some(T0),
            ..OutputWatch::default()
        };
        assert!(refused_at_once(Some(&refused)));
    }

    #[test]
    fn a_restart_refused_from_its_first_second_is_cut_short_after_the_grace() {
        let grace = Duration::from_secs(30);
        let i = incident(1, 0, IncidentPhase::Restarting);
        let refused = OutputWatch {
            down_since: Some(T0),
            ..OutputWatch::default()
        };
        let later = T0 + grace;
        assert!(refused_restart(Some(&i), Some(&refused), later, grace));
        assert!(
            !refused_restart(Some(&i), Some(&refused), T0, grace),
            "not yet"
        );
        let healthy_once = OutputWatch {
            healthy_at: Some(T0),
            ..refused.clone()
        };
        assert!(!refused_restart(
            Some(&i),
            Some(&healthy_once),
            later,
            grace
        ));
        // The first run (no restart yet) is MediaLive's to retry: its window is the operator's.
        let first = incident(0, 0, IncidentPhase::Waiting { until: T0 });
        assert!(!refused_restart(Some(&first), Some(&refused), later, grace));
        assert!(!refused_restart(None, Some(&refused), later, grace));
    }

    #[test]
    fn restarts_at_once_then_backs_off_doubling() {
        let p = policy();
        assert_eq!(wait_before(&p, 0), Duration::ZERO);
        assert_eq!(wait_before(&p, 1), Duration::from_secs(10));
        assert_eq!(wait_before(&p, 2), Duration::from_secs(20));
        assert!(
            wait_before(&p, 40) > Duration::from_secs(1 << 30),
            "saturates"
        );
        let waiting = |secs| IncidentPhase::Waiting {
            until: T0 + Duration::from_secs(secs),
        };
        assert_eq!(
            verdict(&incident(0, 0, waiting(0)), &p, T0, false, "Twitch"),
            Verdict::Restart
        );
        assert_eq!(
            verdict(&incident(1, 0, waiting(10)), &p, T0, false, "Twitch"),
            Verdict::Wait
        );
        assert_eq!(
            verdict(
                &incident(1, 0, IncidentPhase::Restarting),
                &p,
                T0,
                false,
                "Twitch"
            ),
            Verdict::Wait
        );
    }

    #[test]
    fn gives_up_with_what_to_do_and_holds_with_the_reason() {
        let p = policy();
        let phase = IncidentPhase::Waiting { until: T0 };
        let Verdict::GiveUp(m) = verdict(&incident(3, 3, phase.clone()), &p, T0, false, "Twitch")
        else {
            panic!()
        };
        assert_eq!(
            m,
            "Twitch refused the stream 3 times: check the stream key; `s` retries"
        );
        let Verdict::GiveUp(m) = verdict(&incident(3, 1, phase.clone()), &p, T0, false, "Twitch")
        else {
            panic!()
        };
        assert!(m.contains("dropped again after 3 restarts"), "{m}");
        for (policy, lost, word) in [
            (
                Policy {
                    readonly: true,
                    ..p
                },
                false,
                "read-only",
            ),
            (
                Policy {
                    auto_restart: false,
                    ..p
                },
                false,
                "auto_restart is off",
            ),
            (p, true, "source lost"),
        ] {
            let Verdict::Hold(why) =
                verdict(&incident(0, 0, phase.clone()), &policy, T0, lost, "X")
            else {
                panic!("{word}")
            };
            assert!(why.contains(word), "{why}");
        }
    }
}
