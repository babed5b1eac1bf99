//! Encoder presets and the pricing table, loaded from `presets.toml` (data, not code).

use crate::loader::{self, LoadError, line_of};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The built-in catalog: the repository's own `presets.toml`.
pub const BUILTIN_PRESETS: &str = include_str!("../../presets.toml");

/// One encoder profile, as MediaLive will be asked to produce it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncoderPreset {
    #[serde(skip)]
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub framerate_numerator: u32,
    pub framerate_denominator: u32,
    /// Constant video bitrate, bits per second.
    pub video_bitrate: u32,
    pub gop_seconds: f64,
    pub audio_bitrate: u32,
    pub audio_sample_rate: u32,
    /// Which `[pricing.tier.*]` rate applies while the channel runs.
    pub price_tier: String,
}

impl EncoderPreset {
    pub fn fps(&self) -> f64 {
        f64::from(self.framerate_numerator) / f64::from(self.framerate_denominator.max(1))
    }

    /// Everything the channel sends, video and audio, in bits per second.
    pub fn total_bitrate(&self) -> u32 {
        self.video_bitrate.saturating_add(self.audio_bitrate)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceTier {
    pub running_per_hour: f64,
}

/// Rates with where they came from, so the cost panel can say how old they are.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pricing {
    pub currency: String,
    pub region: String,
    pub source: String,
    pub as_of: String,
    pub minimum_minutes_per_start: u32,
    pub idle_channel_per_hour: f64,
    pub idle_input_per_hour: f64,
    pub flow_per_hour: f64,
    pub always_on_baseline_per_month: f64,
    pub tier: BTreeMap<String, PriceTier>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetsFile {
    #[serde(default)]
    encoder: BTreeMap<String, EncoderPreset>,
    pricing: Option<Pricing>,
}

/// Encoder presets by name plus the pricing table.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    presets: BTreeMap<String, EncoderPreset>,
    pub pricing: Pricing,
}

impl Catalog {
    /// The catalog built into the binary.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN_PRESETS, "presets.toml (built in)")
            .expect("the built-in presets.toml is checked by a unit test")
    }

    /// The built-in catalog with a user file laid over it: same-named presets are replaced, and a
    /// `[pricing]` table replaces the built-in rates whole.
    pub fn load_over_builtin(path: &Path) -> Result<Self, LoadError> {
        let file = path.display().to_string();
        let text = loader::read(path)?;
        let user = parse_file(&text, &file)?;
        let mut catalog = Self::builtin();
        catalog.presets.extend(user.encoder);
        if let Some(pricing) = user.pricing {
            catalog.pricing = pricing;
        }
        catalog.check(&text, &file)?;
        Ok(catalog)
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, LoadError> {
        let parsed = parse_file(text, file)?;
        let pricing = parsed.pricing.ok_or_else(|| {
            LoadError::invalid(file, 1, "pricing", "a [pricing] table is required")
        })?;
        let catalog = Catalog {
            presets: parsed.encoder,
            pricing,
        };
        catalog.check(text, file)?;
        Ok(catalog)
    }

    pub fn get(&self, name: &str) -> Option<&EncoderPreset> {
        self.presets.get(name)
    }

    /// Preset names, built-in ones first in their natural order, then the user's.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.presets.keys().map(String::as_str).collect();
        names.sort_by_key(|n| (self.presets[*n].height, self.presets[*n].fps() as u32, *n));
        names
    }

    pub fn running_rate(&self, preset: &EncoderPreset) -> f64 {
        self.pricing
            .tier
            .get(&preset.price_tier)
            .map(|t| t.running_per_hour)
            .unwrap_or(0.0)
    }

    fn check(&self, text: &str, file: &str) -> Result<(), LoadError> {
        for (name, p) in &self.presets {
            let table = format!("encoder.{name}");
            let bad = |key: &str, rule: &str| {
                LoadError::invalid(
                    file,
                    line_of(text, &table, key),
                    format!("{table}.{key}"),
                    rule,
                )
            };
            if !(16..=4096).contains(&p.width) || p.width % 2 != 0 {
                return Err(bad(
                    "width",
                    "must be an even number of pixels from 16 to 4096",
                ));
            }
            if !(16..=2160).contains(&p.height) || p.height % 2 != 0 {
                return Err(bad(
                    "height",
                    "must be an even number of pixels from 16 to 2160",
                ));
            }
            if p.framerate_denominator == 0 {
                return Err(bad("framerate_denominator", "must be at least 1"));
            }
            if !(1.0..=60.0).contains(&p.fps()) {
                return Err(bad(
                    "framerate_numerator",
                    "the frame rate must be 1 to 60 fps",
                ));
            }
            if !(100_000..=80_000_000).contains(&p.video_bitrate) {
                return Err(bad(
                    "video_bitrate",
                    "must be 100000 to 80000000 bits per second",
                ));
            }
            if !(0.5..=10.0).contains(&p.gop_seconds) {
                return Err(bad("gop_seconds", "must be 0.5 to 10 seconds"));
            }
            if ![64_000, 96_000, 128_000, 160_000, 192_000, 256_000, 320_000]
                .contains(&p.audio_bitrate)
            {
                return Err(bad(
                    "audio_bitrate",
                    "must be one of 64000, 96000, 128000, 160000, 192000, 256000, 320000",
                ));
            }
            if ![32_000, 44_100, 48_000].contains(&p.audio_sample_rate) {
                return Err(bad("audio_sample_rate", "must be 32000, 44100 or 48000"));
            }
            if !self.pricing.tier.contains_key(&p.price_tier) {
                return Err(bad("price_tier", "must name a [pricing.tier.*] table"));
            }
            if !is_preset_name(name) {
                return Err(bad(
                    "",
                    "a preset name is 1 to 32 letters, digits, '-' or '_'",
                ));
            }
        }
        let rates = [
            ("idle_channel_per_hour", self.pricing.idle_channel_per_hour),
            ("idle_input_per_hour", self.pricing.idle_input_per_hour),
            ("flow_per_hour", self.pricing.flow_per_hour),
            (
                "always_on_baseline_per_month",
                self.pricing.always_on_baseline_per_month,
            ),
        ];
        let rates = rates
            .into_iter()
            .map(|(key, rate)| ("pricing".to_string(), key, rate));
        // A tier's rate lives in its own table: name that table and its line, not [pricing].
        let tier_rates = self.pricing.tier.iter().map(|(name, t)| {
            (
                format!("pricing.tier.{name}"),
                "running_per_hour",
                t.running_per_hour,
            )
        });
        for (table, key, rate) in rates.chain(tier_rates) {
            if !rate.is_finite() || rate < 0.0 {
                return Err(LoadError::invalid(
                    file,
                    line_of(text, &table, key),
                    format!("{table}.{key}"),
                    "a rate is a number of currency units, 0 or more",
                ));
            }
        }
        Ok(())
    }
}

fn is_preset_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn parse_file(text: &str, file: &str) -> Result<PresetsFile, LoadError> {
    let mut parsed: PresetsFile = loader::parse(text, file)?;
    for (name, preset) in parsed.encoder.iter_mut() {
        preset.name = name.clone();
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::Problem;

    #[test]
    fn builtin_catalog_loads_with_the_three_standard_presets() {
        let c = Catalog::builtin();
        assert_eq!(c.names(), vec!["720p30", "1080p30", "1080p60"]);
        let p = c.get("1080p60").unwrap();
        assert_eq!((p.width, p.height, p.fps()), (1920, 1080, 60.0));
        assert_eq!(p.gop_seconds, 2.0);
        assert_eq!(p.audio_bitrate, 128_000);
        assert!(c.running_rate(p) > c.running_rate(c.get("720p30").unwrap()));
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let err = Catalog::parse("[encoder.x]\nwidth = = 3\n", "my.toml").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("my.toml:2: "), "{text}");
    }

    #[test]
    fn bad_value_names_file_line_and_key() {
        let text = BUILTIN_PRESETS.replace("height = 720", "height = 721");
        let err = Catalog::parse(&text, "presets.toml").unwrap_err();
        let LoadError {
            line: Some(line),
            what: Problem::Invalid { key, .. },
            ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(key, "encoder.720p30.height");
        assert_eq!(text.lines().nth(line - 1).unwrap().trim(), "height = 721");
        assert!(
            err.to_string()
                .starts_with(&format!("presets.toml:{line}: encoder.720p30.height: "))
        );
    }

    #[test]
    fn unknown_key_is_refused() {
        let text = BUILTIN_PRESETS.replace("width = 1280", "width = 1280\nwidht = 3");
        let err = Catalog::parse(&text, "presets.toml").unwrap_err();
        assert!(err.to_string().contains("widht"), "{err}");
    }

    #[test]
    fn unknown_price_tier_is_refused() {
        let text =
            BUILTIN_PRESETS.replacen("price_tier = \"hd-upto30\"", "price_tier = \"nope\"", 1);
        let err = Catalog::parse(&text, "presets.toml").unwrap_err();
        assert!(err.to_string().contains("price_tier"), "{err}");
    }

    #[test]
    fn user_file_adds_presets_over_the_builtin_ones() {
        let dir = std::env::temp_dir().join(format!("onair-presets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("presets.toml");
        std::fs::write(
            &path,
            "[encoder.church-540p]\nwidth = 960\nheight = 540\nframerate_numerator = 30\n\
             framerate_denominator = 1\nvideo_bitrate = 2_500_000\ngop_seconds = 2.0\n\
             audio_bitrate = 128_000\naudio_sample_rate = 48_000\nprice_tier = \"hd-upto30\"\n",
        )
        .unwrap();
        let c = Catalog::load_over_builtin(&path).unwrap();
        assert_eq!(c.names().len(), 4);
        assert_eq!(c.names()[0], "church-540p");
    }
}
