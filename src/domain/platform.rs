//! Streaming platforms and what each expects of an RTMP push.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Youtube,
    Twitch,
    Linkedin,
    Facebook,
    Custom,
}

impl Platform {
    pub const ALL: [Platform; 5] = [
        Platform::Youtube,
        Platform::Twitch,
        Platform::Linkedin,
        Platform::Facebook,
        Platform::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Youtube => "youtube",
            Platform::Twitch => "twitch",
            Platform::Linkedin => "linkedin",
            Platform::Facebook => "facebook",
            Platform::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Platform::Youtube => "YouTube",
            Platform::Twitch => "Twitch",
            Platform::Linkedin => "LinkedIn",
            Platform::Facebook => "Facebook",
            Platform::Custom => "Custom",
        }
    }

    /// The ingest URL the platform publishes for everyone. LinkedIn hands out one URL per event
    /// and a custom server is the operator's own, so those two have none and the URL is required.
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            Platform::Youtube => Some("rtmp://a.rtmp.youtube.com/live2"),
            Platform::Twitch => Some("rtmp://live.twitch.tv/app"),
            Platform::Facebook => Some("rtmps://live-api-s.facebook.com:443/rtmp/"),
            Platform::Linkedin | Platform::Custom => None,
        }
    }

    /// The highest video bitrate the platform recommends for RTMP ingest, in bits per second.
    /// Above it the platform may drop or re-encode the stream. `None`: the operator's server.
    pub fn max_video_bitrate(self) -> Option<u32> {
        match self {
            Platform::Youtube => Some(12_000_000),
            Platform::Twitch => Some(6_000_000),
            Platform::Linkedin => Some(6_000_000),
            Platform::Facebook => Some(8_000_000),
            Platform::Custom => None,
        }
    }

    pub fn next(self) -> Platform {
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn prev(self) -> Platform {
        let i = Self::ALL.iter().position(|p| *p == self).unwrap_or(0);
        Self::ALL[(i + Self::ALL.len() - 1) % Self::ALL.len()]
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform {0:?}: expected one of youtube, twitch, linkedin, facebook, custom")]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPlatform(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_rejects_unknown() {
        assert_eq!("YouTube".parse::<Platform>(), Ok(Platform::Youtube));
        let err = "myspace".parse::<Platform>().unwrap_err();
        assert!(err.to_string().contains("myspace"));
    }

    #[test]
    fn cycling_visits_every_platform() {
        let mut p = Platform::Youtube;
        for _ in 0..5 {
            p = p.next();
        }
        assert_eq!(p, Platform::Youtube);
        assert_eq!(Platform::Youtube.prev(), Platform::Custom);
    }

    #[test]
    fn linkedin_and_custom_need_a_url() {
        assert!(Platform::Linkedin.default_url().is_none());
        assert!(Platform::Custom.default_url().is_none());
        assert!(
            Platform::Facebook
                .default_url()
                .unwrap()
                .starts_with("rtmps://")
        );
    }
}
