//! Issue 4: "The TOML loaders are fuzzed or property-tested: no input makes them panic."
//! `Catalog::parse` (presets.toml), `Theme::parse` (themes/*.toml) and the config parser get
//! arbitrary strings, arbitrary TOML-shaped documents built from their own keys, and their
//! real files with a line changed, cut short or garbled. Each must return Ok or an error that
//! names the file — never panic.

use onair::config::{Overrides, Settings, parse_str};
use onair::domain::Catalog;
use onair::domain::presets::BUILTIN_PRESETS;
use onair::tui::Theme;
use onair::tui::theme::BUILTIN_THEME;
use proptest::prelude::*;
use std::path::Path;

const PRESETS_FILE: &str = "fuzz/presets.toml";
const THEME_FILE: &str = "fuzz/theme.toml";
const CONFIG_FILE: &str = "fuzz/config.toml";

/// Every key the three loaders know, plus near misses.
const KEYS: &[&str] = &[
    "width",
    "height",
    "framerate_numerator",
    "framerate_denominator",
    "video_bitrate",
    "gop_seconds",
    "audio_bitrate",
    "audio_sample_rate",
    "price_tier",
    "currency",
    "region",
    "source",
    "as_of",
    "minimum_minutes_per_start",
    "idle_channel_per_hour",
    "idle_input_per_hour",
    "flow_per_hour",
    "always_on_baseline_per_month",
    "running_per_hour",
    "text",
    "running",
    "selected_bg",
    "header_bg",
    "table",
    "flow_arn",
    "medialive_role_arn",
    "theme",
    "readonly",
    "refresh_interval",
    "channel_quota",
    "input_quota",
    "presets",
    "bell",
    "profile",
    "widht",
    "é",
    "\"quoted key\"",
];

const TABLES: &[&str] = &[
    "encoder.720p30",
    "encoder.x",
    "encoder.\"a b\"",
    "encoder.é",
    "pricing",
    "pricing.tier.hd-upto30",
    "pricing.tier.nope",
    "colors",
    "encoder",
    "[encoder.x]",
    "",
];

fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u32>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        Just("1e400".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        ".{0,12}".prop_map(|s| format!("{s:?}")),
        "#[0-9a-fA-Fé]{0,8}".prop_map(|s| format!("{s:?}")),
        Just("\"arn:aws:mediaconnect:us-east-1:1:flow:x\"".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        Just("'''multi\nline'''".to_string()),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..3).prop_map(|kv| {
                let parts: Vec<String> = kv.iter().map(|(k, v)| format!("{k} = {v}")).collect();
                format!("{{ {} }}", parts.join(", "))
            }),
        ]
    })
}

/// A document of table headers and `key = value` lines, sometimes with a garbled line.
fn toml_shaped() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        4 => (prop::sample::select(KEYS), value()).prop_map(|(k, v)| format!("{k} = {v}")),
        2 => prop::sample::select(TABLES).prop_map(|t| format!("[{t}]")),
        1 => prop::sample::select(TABLES).prop_map(|t| format!("[[{t}]]")),
        1 => ".{0,20}",
        1 => Just(String::new()),
        1 => Just("# comment ☃".to_string()),
    ];
    prop::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

/// A real file with one change: a line replaced by a shaped or random one, cut at a random
/// character, or a random string inserted.
fn mangled(original: &'static str) -> impl Strategy<Value = String> {
    let lines = original.lines().count();
    prop_oneof![
        (0..lines, (prop::sample::select(KEYS), value()))
            .prop_map(move |(at, (k, v))| replace_line(original, at, &format!("{k} = {v}"))),
        (0..lines, value()).prop_map(move |(at, v)| {
            // Keep the key, change the value: reaches the per-key checks.
            let line = original.lines().nth(at).unwrap_or_default();
            match line.split_once('=') {
                Some((k, _)) => replace_line(original, at, &format!("{k}= {v}")),
                None => original.to_string(),
            }
        }),
        (0..lines, ".{0,30}").prop_map(move |(at, s)| replace_line(original, at, &s)),
        any::<prop::sample::Index>().prop_map(move |i| {
            let cut = original
                .char_indices()
                .map(|(i, _)| i)
                .nth(i.index(original.chars().count()))
                .unwrap_or(0);
            original[..cut].to_string()
        }),
        (any::<prop::sample::Index>(), ".{1,10}").prop_map(move |(i, s)| {
            let at = original
                .char_indices()
                .map(|(i, _)| i)
                .nth(i.index(original.chars().count()))
                .unwrap_or(0);
            format!("{}{s}{}", &original[..at], &original[at..])
        }),
    ]
}

fn replace_line(text: &str, at: usize, with: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, l)| if i == at { with } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

const CONFIG: &str = "region = \"eu-west-1\"\ntable = \"onair-destinations\"\n\
flow_arn = \"arn:aws:mediaconnect:eu-west-1:123456789012:flow:1-abc:show\"\n\
medialive_role_arn = \"arn:aws:iam::123456789012:role/MediaLiveAccessRole\"\n\
theme = \"default\"\nreadonly = false\nrefresh_interval = 10\nchannel_quota = 5\n\
input_quota = 5\npresets = \"presets.toml\"\nbell = true\n";

/// Every loader on one text: Ok, or an error naming its file. A panic fails the property.
fn all_loaders(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = Catalog::parse(text, PRESETS_FILE) {
        prop_assert!(e.to_string().starts_with(PRESETS_FILE), "{e}");
    }
    if let Err(e) = Theme::parse(text, THEME_FILE) {
        prop_assert!(e.to_string().starts_with(THEME_FILE), "{e}");
    }
    if let Err(e) = parse_str(text, Path::new(CONFIG_FILE)) {
        prop_assert!(e.to_string().starts_with(CONFIG_FILE), "{e}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: crate::common::proptest_cases(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_strings_never_panic(text in ".{0,300}") {
        all_loaders(&text)?;
    }

    #[test]
    fn arbitrary_bytes_as_lossy_text_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        all_loaders(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn toml_shaped_documents_never_panic(text in toml_shaped()) {
        all_loaders(&text)?;
    }

    #[test]
    fn mangled_presets_files_never_panic(text in mangled(BUILTIN_PRESETS)) {
        if let Err(e) = Catalog::parse(&text, PRESETS_FILE) {
            prop_assert!(e.to_string().starts_with(PRESETS_FILE), "{e}");
        }
    }

    #[test]
    fn mangled_theme_files_never_panic(text in mangled(BUILTIN_THEME)) {
        if let Err(e) = Theme::parse(&text, THEME_FILE) {
            prop_assert!(e.to_string().starts_with(THEME_FILE), "{e}");
        }
    }

    #[test]
    fn mangled_config_files_never_panic(text in mangled(CONFIG)) {
        if let Err(e) = parse_str(&text, Path::new(CONFIG_FILE)) {
            prop_assert!(e.to_string().starts_with(CONFIG_FILE), "{e}");
        }
    }

    /// The whole of `Settings::load`: a real file on disk and arbitrary environment values for
    /// the keys the environment can set.
    #[test]
    fn settings_load_never_panics(
        text in mangled(CONFIG),
        table in ".{0,20}",
        flow in ".{0,40}",
        role in ".{0,40}",
    ) {
        let dir = std::env::temp_dir().join(format!("onair-proptest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(format!("config-{:?}.toml", std::thread::current().id()));
        std::fs::write(&path, &text).expect("config file");
        let overrides = Overrides { config: Some(path.clone()), ..Overrides::default() };
        let result = Settings::load(&overrides, |k| match k {
            "ONAIR_TABLE" => Some(table.clone()),
            "ONAIR_FLOW_ARN" => Some(flow.clone()),
            "ONAIR_MEDIALIVE_ROLE_ARN" => Some(role.clone()),
            _ => None,
        });
        let _ = std::fs::remove_file(&path);
        if let Err(e) = result {
            let shown = e.to_string();
            prop_assert!(
                shown.contains(&path.display().to_string()),
                "names the file: {shown}"
            );
        }
    }
}

#[test]
fn the_real_files_still_load() {
    // The properties above are only worth something if the unmangled inputs pass.
    Catalog::parse(BUILTIN_PRESETS, PRESETS_FILE).expect("presets.toml");
    Theme::parse(BUILTIN_THEME, THEME_FILE).expect("themes/default.toml");
    parse_str(CONFIG, Path::new(CONFIG_FILE)).expect("the sample config");
}
