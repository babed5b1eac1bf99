//! Synthetic CloudWatch data: what each series would have recorded at one instant. Values come
//! from the world's history (running intervals, faults) plus a jitter hashed from the series and
//! the timestamp, so asking twice, or with another period, gives the same numbers.

use super::world::{World, any_contains};
use std::time::Duration;
use time::OffsetDateTime;

/// What a channel sends while the source is gone: `InputLossAction: EMIT_OUTPUT` sends slate.
pub(crate) const SLATE_MBPS: f64 = 0.3;
/// The contribution encode the Videon pushes into the flow.
pub(crate) const SOURCE_BPS: f64 = 12e6;
pub(crate) const SOURCE_RTT_MS: f64 = 40.0;

/// A series the simulator has data for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Series {
    NetworkOut {
        channel_id: String,
    },
    ActiveOutputs {
        channel_id: String,
    },
    /// Alerts SET on the channel: published only while it runs, as MediaLive does.
    ActiveAlerts {
        channel_id: String,
    },
    SourceBitRate,
    SourceConnected,
    SourcePacketLoss,
    SourceNotRecovered,
    SourceRtt,
    OutputBitrate {
        output_arn: String,
    },
}

impl Series {
    fn key(&self) -> String {
        format!("{self:?}")
    }

    pub fn is_medialive(&self) -> bool {
        matches!(
            self,
            Series::NetworkOut { .. } | Series::ActiveOutputs { .. } | Series::ActiveAlerts { .. }
        )
    }
}

impl World {
    /// How often the series' service publishes a datapoint.
    pub(crate) fn resolution(&self, series: &Series) -> Duration {
        if series.is_medialive() {
            self.medialive_resolution
        } else {
            Duration::from_secs(1)
        }
    }

    /// The datapoint published at `t`, or `None` where the service published nothing.
    pub(crate) fn sample(&self, series: &Series, t: OffsetDateTime) -> Option<f64> {
        let j = jitter(self.seed, &series.key(), t.unix_timestamp());
        let connected = !self.source_dropped(t);
        match series {
            Series::ActiveAlerts { channel_id } => {
                let ch = self.channels.get(channel_id)?;
                if !any_contains(&ch.running, t) {
                    return None;
                }
                let set = ch
                    .alerts
                    .iter()
                    .filter(|a| a.set_at <= t && a.cleared_at.is_none_or(|c| t < c))
                    .count();
                // A silenced channel reads as one output alert, as ListAlerts says.
                let silenced = usize::from(set == 0 && any_contains(&ch.silenced, t));
                Some((set + silenced) as f64)
            }
            Series::NetworkOut { channel_id } | Series::ActiveOutputs { channel_id } => {
                let ch = self.channels.get(channel_id)?;
                if !any_contains(&ch.running, t) {
                    return None;
                }
                let silenced = any_contains(&ch.silenced, t);
                // A push input hears only what a flow output sends it. This looks at the
                // outputs as they are now, not at `t`: history of outputs isn't kept.
                let fed = self.input_is_fed(&ch.config.input_id);
                Some(match series {
                    Series::ActiveOutputs { .. } => f64::from(u8::from(!silenced)),
                    _ if silenced => 0.0,
                    _ if !connected || !fed => SLATE_MBPS * (1.0 + 0.05 * j),
                    _ => ch.nominal_mbps() * (1.0 + 0.03 * j),
                })
            }
            _ if t < self.flow_since => None,
            Series::SourceConnected => Some(f64::from(u8::from(connected))),
            // Everything else about the source has no data while it is disconnected: a gap.
            _ if !connected => None,
            Series::SourceBitRate => Some(SOURCE_BPS * (1.0 + 0.04 * j)),
            Series::SourcePacketLoss => Some(0.15 * (1.0 + j)),
            Series::SourceNotRecovered => {
                // Now and then a packet that ARQ could not recover.
                let h = hash(self.seed ^ 0x5eed, &series.key(), t.unix_timestamp());
                Some(if h.is_multiple_of(40) {
                    (1 + h / 40 % 3) as f64
                } else {
                    0.0
                })
            }
            Series::SourceRtt => Some(SOURCE_RTT_MS * (1.0 + 0.1 * j)),
            Series::OutputBitrate { output_arn } => self
                .flow
                .outputs
                .iter()
                .any(|o| &o.arn == output_arn)
                .then_some(SOURCE_BPS * (1.0 + 0.04 * j)),
        }
    }
}

impl World {
    /// Whether the input receives the flow's stream: a MEDIACONNECT input always does (MediaLive
    /// made its output); an RTP_PUSH input only while a flow output points at its first endpoint.
    pub(crate) fn input_is_fed(&self, input_id: &str) -> bool {
        let Some(rec) = self.inputs.get(input_id) else {
            return false;
        };
        if !rec.input.input_type.is_push() {
            return true;
        }
        let Some(endpoint) = rec.input.first_endpoint() else {
            return false;
        };
        self.flow.outputs.iter().any(|o| o.aims_at(&endpoint))
    }
}

/// A deterministic value in [-1, 1] for one series at one second.
pub(crate) fn jitter(seed: u64, key: &str, t: i64) -> f64 {
    let h = hash(seed, key, t);
    (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// FNV-1a over the key and time, finished with splitmix64: stable across Rust versions, unlike
/// the std hasher.
fn hash(seed: u64, key: &str, t: i64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in key.bytes().chain(t.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_stable_and_bounded() {
        for t in 0..1000 {
            let a = jitter(7, "NetworkOut", t);
            assert_eq!(a, jitter(7, "NetworkOut", t));
            assert!((-1.0..=1.0).contains(&a));
        }
        assert_ne!(jitter(7, "a", 1), jitter(7, "b", 1));
    }
}
