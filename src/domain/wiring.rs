//! How a destination's MediaLive input is fed from the MediaConnect flow.

use serde::Deserialize;

/// Config key `wiring`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Wiring {
    /// A `MEDIACONNECT` input: MediaLive adds the flow output itself and removes it with the
    /// input. Fewer resources, nothing for onair to leak.
    #[default]
    Mediaconnect,
    /// The seed's original wiring: an input security group admitting the flow's egress IP, an
    /// `RTP_PUSH` input, and an rtp-fec flow output onair adds to the input's first endpoint.
    /// Kept so that tables written by the seed's system can be run and cleaned up.
    RtpPush,
}

impl Wiring {
    pub fn as_str(self) -> &'static str {
        match self {
            Wiring::Mediaconnect => "mediaconnect",
            Wiring::RtpPush => "rtp-push",
        }
    }
}

impl std::str::FromStr for Wiring {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "mediaconnect" => Ok(Wiring::Mediaconnect),
            "rtp-push" => Ok(Wiring::RtpPush),
            _ => Err("must be \"mediaconnect\" or \"rtp-push\""),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_spellings_round_trip() {
        for w in [Wiring::Mediaconnect, Wiring::RtpPush] {
            assert_eq!(w.as_str().parse::<Wiring>(), Ok(w));
        }
        assert!("rtp_push".parse::<Wiring>().is_err());
        assert_eq!(Wiring::default(), Wiring::Mediaconnect);
    }
}
