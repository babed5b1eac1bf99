//! The rules a destination must satisfy before anything is created (BRIEF §6). Every message
//! names the field and the rule, so the form can mark the field and the CLI can print it.

use super::naming::slug;
use super::{Catalog, Platform, StoredKey, StreamKey};
use std::fmt;

/// The fields of the add / edit form and of `onair add`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Platform,
    Url,
    StreamKey,
    Preset,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Platform => "platform",
            Field::Url => "url",
            Field::StreamKey => "stream key",
            Field::Preset => "preset",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub rule: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field.label(), self.rule)
    }
}

/// What the operator typed, before validation.
#[derive(Debug, Clone, Default)]
pub struct DestinationDraft {
    pub name: String,
    pub platform: String,
    pub url: String,
    /// A typed key in clear, or, in an edit that keeps the key, the record's own (which may be
    /// sealed: its clear text is not needed to keep it).
    pub stream_key: StoredKey,
    pub preset: String,
}

/// The fields an edit gives; what it leaves out stays as the record has it.
#[derive(Debug, Default)]
pub struct DraftChanges {
    pub name: Option<String>,
    pub platform: Option<String>,
    pub url: Option<String>,
    pub stream_key: Option<StoredKey>,
    pub preset: Option<String>,
}

impl DestinationDraft {
    /// `current` with `changes` applied, as the form, the CLI and the API edit: the URL follows
    /// a platform change unless it is given, and a kept key is kept as stored (perhaps sealed:
    /// keeping a key needs no clear text).
    pub fn edit_of(current: &super::Destination, changes: DraftChanges) -> Self {
        let platform_changed = changes.platform.is_some();
        Self {
            name: changes.name.unwrap_or_else(|| current.name.clone()),
            platform: changes
                .platform
                .unwrap_or_else(|| current.platform.as_str().to_string()),
            url: changes.url.unwrap_or_else(|| {
                if platform_changed {
                    String::new()
                } else {
                    current.rtmp_url.clone()
                }
            }),
            stream_key: changes
                .stream_key
                .unwrap_or_else(|| current.stream_key.clone()),
            preset: changes.preset.unwrap_or_else(|| current.preset.clone()),
        }
    }
}

/// A draft that passed every rule, with the URL filled from the platform where it was blank.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidDestination {
    pub name: String,
    pub platform: Platform,
    pub url: String,
    pub stream_key: StoredKey,
    pub preset: String,
    /// Not errors: e.g. a preset above what the platform recommends.
    pub warnings: Vec<String>,
}

pub const NAME_MAX: usize = 40;
const URL_MAX: usize = 512;
const KEY_MAX: usize = 256;

impl DestinationDraft {
    /// Every rule, all at once, so the form can mark every bad field in one go.
    pub fn validate(&self, catalog: &Catalog) -> Result<ValidDestination, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, rule: &str| {
            errors.push(FieldError {
                field,
                rule: rule.to_string(),
            })
        };

        let name = self.name.trim().to_string();
        if name.is_empty() {
            fail(Field::Name, "is required");
        } else if name.chars().count() > NAME_MAX {
            fail(Field::Name, "is at most 40 characters");
        } else if name.chars().any(char::is_control) {
            fail(Field::Name, "must not contain control characters");
        } else if slug(&name).is_empty() {
            fail(
                Field::Name,
                "needs at least one letter or digit (a-z, 0-9) to become a MediaLive name",
            );
        }

        let platform = match self.platform.parse::<Platform>() {
            Ok(p) => Some(p),
            Err(e) => {
                fail(Field::Platform, &e.to_string());
                None
            }
        };

        let typed_url = self.url.trim();
        let url = match (
            typed_url.is_empty(),
            platform.and_then(Platform::default_url),
        ) {
            (true, Some(default)) => default.to_string(),
            _ => typed_url.to_string(),
        };
        if url.is_empty() {
            if platform.is_some() {
                fail(
                    Field::Url,
                    "is required for this platform (it gives one URL per event)",
                );
            }
        } else if let Some(rule) = url_problem(&url) {
            fail(Field::Url, rule);
        }

        // A sealed key was checked when it was typed; only KMS can read it now.
        let stream_key = match &self.stream_key {
            StoredKey::Clear(key) => {
                let key = key.expose();
                if key.trim().is_empty() {
                    fail(Field::StreamKey, "is required");
                } else if key.chars().any(char::is_whitespace) {
                    fail(Field::StreamKey, "must not contain spaces or line breaks");
                } else if key.len() > KEY_MAX {
                    fail(Field::StreamKey, "is at most 256 characters");
                }
                StoredKey::Clear(StreamKey::new(key.trim()))
            }
            StoredKey::Sealed(sealed) => StoredKey::Sealed(sealed.clone()),
            StoredKey::Sealing => {
                fail(
                    Field::StreamKey,
                    "is still being sealed with KMS: try again",
                );
                StoredKey::Sealing
            }
        };

        let preset = catalog.get(self.preset.trim());
        if preset.is_none() {
            let names = catalog.names().join(", ");
            fail(
                Field::Preset,
                &format!(
                    "unknown preset {:?}: expected one of {names}",
                    self.preset.trim()
                ),
            );
        }

        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(platform), Some(preset)) = (platform, preset) else {
            unreachable!("both were checked above")
        };
        let mut warnings = Vec::new();
        if let Some(max) = platform.max_video_bitrate()
            && preset.video_bitrate > max
        {
            warnings.push(format!(
                "preset {} sends {:.1} Mb/s of video, above the {:.1} Mb/s {} recommends",
                preset.name,
                f64::from(preset.video_bitrate) / 1e6,
                f64::from(max) / 1e6,
                platform.label()
            ));
        }
        Ok(ValidDestination {
            name,
            platform,
            url,
            stream_key,
            preset: preset.name.clone(),
            warnings,
        })
    }
}

fn url_problem(url: &str) -> Option<&'static str> {
    if url.len() > URL_MAX {
        return Some("is at most 512 characters");
    }
    if url.chars().any(char::is_whitespace) {
        return Some("must not contain spaces");
    }
    let rest = url
        .strip_prefix("rtmp://")
        .or_else(|| url.strip_prefix("rtmps://"));
    let Some(rest) = rest else {
        return Some("must start with rtmp:// or rtmps://");
    };
    let host = rest.split(['/', ':']).next().unwrap_or("");
    if host.is_empty() {
        return Some("must name a server after rtmp:// or rtmps://");
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Some("has a server name with characters a host name can't have");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DestinationDraft {
        DestinationDraft {
            name: "Main YouTube".into(),
            platform: "youtube".into(),
            url: String::new(),
            stream_key: StreamKey::new("abcd-efgh-ijkl").into(),
            preset: "1080p30".into(),
        }
    }

    fn errors_of(d: DestinationDraft) -> Vec<FieldError> {
        d.validate(&Catalog::builtin()).unwrap_err()
    }

    #[test]
    fn a_good_draft_gets_the_platform_url() {
        let v = draft().validate(&Catalog::builtin()).unwrap();
        assert_eq!(v.url, "rtmp://a.rtmp.youtube.com/live2");
        assert!(v.warnings.is_empty());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errors = errors_of(DestinationDraft {
            name: "".into(),
            platform: "youtube".into(),
            url: "http://x".into(),
            stream_key: StreamKey::new("").into(),
            preset: "4k".into(),
        });
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            vec![Field::Name, Field::Url, Field::StreamKey, Field::Preset]
        );
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(DestinationDraft, Field, &str)> = vec![
            (
                DestinationDraft {
                    name: "   ".into(),
                    ..draft()
                },
                Field::Name,
                "required",
            ),
            (
                DestinationDraft {
                    name: "x".repeat(41),
                    ..draft()
                },
                Field::Name,
                "40",
            ),
            (
                DestinationDraft {
                    name: "★★★".into(),
                    ..draft()
                },
                Field::Name,
                "MediaLive",
            ),
            (
                DestinationDraft {
                    platform: "myspace".into(),
                    ..draft()
                },
                Field::Platform,
                "myspace",
            ),
            (
                DestinationDraft {
                    platform: "linkedin".into(),
                    ..draft()
                },
                Field::Url,
                "required",
            ),
            (
                DestinationDraft {
                    url: "http://a/b".into(),
                    ..draft()
                },
                Field::Url,
                "rtmp://",
            ),
            (
                DestinationDraft {
                    url: "rtmp://".into(),
                    ..draft()
                },
                Field::Url,
                "server",
            ),
            (
                DestinationDraft {
                    url: "rtmp://a b/x".into(),
                    ..draft()
                },
                Field::Url,
                "spaces",
            ),
            (
                DestinationDraft {
                    stream_key: StreamKey::new("a b").into(),
                    ..draft()
                },
                Field::StreamKey,
                "spaces",
            ),
            (
                DestinationDraft {
                    preset: "4k".into(),
                    ..draft()
                },
                Field::Preset,
                "720p30",
            ),
        ];
        for (d, field, needle) in cases {
            let errors = errors_of(d.clone());
            assert_eq!(errors.len(), 1, "{d:?}: {errors:?}");
            assert_eq!(errors[0].field, field);
            assert!(errors[0].rule.contains(needle), "{}", errors[0]);
        }
    }

    #[test]
    fn a_preset_above_the_platform_maximum_warns() {
        let v = DestinationDraft {
            platform: "twitch".into(),
            preset: "1080p60".into(),
            ..draft()
        }
        .validate(&Catalog::builtin())
        .unwrap();
        assert_eq!(v.warnings.len(), 1);
        assert!(v.warnings[0].contains("Twitch"));
    }

    #[test]
    fn errors_never_contain_the_key() {
        let errors = errors_of(DestinationDraft {
            stream_key: StreamKey::new("secret key-with-space").into(),
            ..draft()
        });
        assert!(!format!("{errors:?}").contains("secret"));
    }

    #[test]
    fn a_kept_sealed_key_passes_as_it_is() {
        let sealed = StoredKey::Sealed(crate::domain::SealedKey {
            key_id: "arn:aws:kms:us-east-1:111122223333:key/k".into(),
            ciphertext: vec![1, 2, 3],
        });
        let v = DestinationDraft {
            stream_key: sealed.clone(),
            ..draft()
        }
        .validate(&Catalog::builtin())
        .unwrap();
        assert_eq!(v.stream_key, sealed);
        let errors = errors_of(DestinationDraft {
            stream_key: StoredKey::Sealing,
            ..draft()
        });
        assert_eq!(errors[0].field, Field::StreamKey);
    }
}
