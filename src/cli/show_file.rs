//! `onair export` / `onair import`: a show's destinations as a documented, versioned file.
//!
//! ```toml
//! format = "onair-show"
//! version = 1
//!
//! [[destinations]]
//! name = "YouTube main"
//! platform = "youtube"
//! rtmp_url = "rtmp://a.rtmp.youtube.com/live2"
//! preset = "1080p30"
//! wiring = "mediaconnect"
//! ```
//!
//! No stream key is ever written, except with `--sealed`: then a sealed key's KMS ciphertext
//! (hex), its key ARN and the destination id it is bound to (KMS's encryption context) go with
//! it, as a backup of the table. Keys come back on import from a keys file of `NAME KEY` lines.
//! The same document is written as JSON with `--json`; import reads either.
//!
//! Everything here is pure: parsing and checking a whole file before anything is created.

use crate::domain::{Catalog, Destination, DestinationDraft, StoredKey, StreamKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const FORMAT: &str = "onair-show";
pub const VERSION: u32 = 1;

/// A show file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowFile {
    pub format: String,
    pub version: u32,
    #[serde(default)]
    pub destinations: Vec<ShowEntry>,
}

/// One destination: what it takes to create it again, never its stream key in clear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShowEntry {
    pub name: String,
    pub platform: String,
    pub rtmp_url: String,
    pub preset: String,
    /// "mediaconnect", or "rtp-push" for a destination built the seed's way.
    pub wiring: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_key: Option<SealedEntry>,
}

/// A KMS-sealed stream key, exported only with `--sealed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedEntry {
    /// The destination the ciphertext is bound to: it decrypts for that id only.
    pub destination_id: String,
    pub kms_key: String,
    pub ciphertext_hex: String,
}

/// The show file of `records`, sorted by name so two exports of the same show are the same.
pub fn export(records: &[Destination], sealed: bool) -> ShowFile {
    let mut destinations: Vec<ShowEntry> = records
        .iter()
        .map(|r| ShowEntry {
            name: r.name.clone(),
            platform: r.platform.as_str().to_string(),
            rtmp_url: r.rtmp_url.clone(),
            preset: r.preset.clone(),
            wiring: if r.input_security_group_id.is_some() {
                "rtp-push"
            } else {
                "mediaconnect"
            }
            .to_string(),
            sealed_key: match (&r.stream_key, sealed) {
                (StoredKey::Sealed(key), true) => Some(SealedEntry {
                    destination_id: r.destination_id.to_string(),
                    kms_key: key.key_id.clone(),
                    ciphertext_hex: key.ciphertext.iter().map(|b| format!("{b:02x}")).collect(),
                }),
                _ => None,
            },
        })
        .collect();
    destinations.sort_by_key(|d| d.name.to_lowercase());
    ShowFile {
        format: FORMAT.into(),
        version: VERSION,
        destinations,
    }
}

/// Reads a show file (JSON if it starts with `{`, else TOML), checking its format and version.
pub fn parse(text: &str, file: &str) -> Result<ShowFile, String> {
    let show: ShowFile = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| format!("{file}: not an onair show file: {e}"))?
    } else {
        toml::from_str(text).map_err(|e| format!("{file}: not an onair show file: {e}"))?
    };
    if show.format != FORMAT {
        return Err(format!(
            "{file}: format is {:?}, not {FORMAT:?}",
            show.format
        ));
    }
    if show.version != VERSION {
        return Err(format!(
            "{file}: format version {} is not one this onair reads (it reads {VERSION})",
            show.version
        ));
    }
    Ok(show)
}

/// A keys file: `NAME KEY` a line (the key is the last word; a name may have spaces); blank lines
/// and `#` comments are skipped. A name given twice is refused.
pub fn parse_keys(text: &str, file: &str) -> Result<BTreeMap<String, StreamKey>, String> {
    let mut keys = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, key)) = line.rsplit_once(char::is_whitespace) else {
            return Err(format!("{file}:{}: a line is `NAME KEY`", i + 1));
        };
        let name = name.trim().to_string();
        if keys.insert(name.clone(), StreamKey::new(key)).is_some() {
            return Err(format!("{file}:{}: {name:?} has a key already", i + 1));
        }
    }
    Ok(keys)
}

/// What an import will do for one entry, once the whole file has passed.
#[derive(Debug, Clone)]
pub enum Planned {
    Add(DestinationDraft),
    /// `--replace`: edit the destination of that name in place (`None` keeps its key).
    Replace {
        name: String,
        draft: DestinationDraft,
    },
}

/// What the table holds now, as an import needs it.
pub struct Existing<'a> {
    pub records: &'a [Destination],
    /// Channels and inputs that may still be created.
    pub channels_free: usize,
    pub inputs_free: usize,
}

/// Checks every entry of `show` against the catalog, the keys, the table and the quota, and
/// returns what to do — or every problem found, each naming its entry, so nothing is created
/// unless the whole file is right.
pub fn plan_import(
    show: &ShowFile,
    keys: &BTreeMap<String, StreamKey>,
    catalog: &Catalog,
    existing: &Existing<'_>,
    replace: bool,
) -> Result<Vec<Planned>, Vec<String>> {
    let mut problems = Vec::new();
    let mut planned = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, entry) in show.destinations.iter().enumerate() {
        let at = format!("entry {} ({:?})", i + 1, entry.name);
        if !seen.insert(entry.name.to_lowercase()) {
            problems.push(format!("{at}: the name is in the file twice"));
            continue;
        }
        if !matches!(entry.wiring.as_str(), "mediaconnect" | "rtp-push") {
            problems.push(format!(
                "{at}: wiring {:?} is neither \"mediaconnect\" nor \"rtp-push\"",
                entry.wiring
            ));
        }
        let current = existing
            .records
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(&entry.name));
        let key = keys.get(&entry.name).cloned();
        let stream_key = match (key, current) {
            (Some(key), _) => StoredKey::Clear(key),
            (None, Some(current)) if replace => current.stream_key.clone(),
            (None, _) if entry.sealed_key.is_some() => {
                problems.push(format!(
                    "{at}: a sealed key only decrypts for the destination it was sealed for: \
                     give the key in the keys file"
                ));
                continue;
            }
            (None, _) => {
                problems.push(format!("{at}: no stream key in the keys file"));
                continue;
            }
        };
        let draft = DestinationDraft {
            name: entry.name.clone(),
            platform: entry.platform.clone(),
            url: entry.rtmp_url.clone(),
            stream_key,
            preset: entry.preset.clone(),
        };
        if let Err(errors) = draft.validate(catalog) {
            for e in errors {
                problems.push(format!("{at}: {e}"));
            }
            continue;
        }
        match current {
            Some(r) if !replace => problems.push(format!(
                "{at}: a destination of that name exists ({}): --replace edits it in place",
                r.destination_id.short()
            )),
            Some(r)
                if r.status != crate::domain::Status::Idle
                    && r.status != crate::domain::Status::Parked =>
            {
                problems.push(format!(
                    "{at}: {} is {}: stop it before replacing it",
                    r.name, r.status
                ));
            }
            Some(r) => planned.push(Planned::Replace {
                name: r.name.clone(),
                draft,
            }),
            None => planned.push(Planned::Add(draft)),
        }
    }
    let named: BTreeSet<&str> = show.destinations.iter().map(|d| d.name.as_str()).collect();
    for name in keys.keys() {
        if !named.contains(name.as_str()) {
            problems.push(format!(
                "the keys file names {name:?}, which the show file doesn't have"
            ));
        }
    }
    let adds = planned
        .iter()
        .filter(|p| matches!(p, Planned::Add(_)))
        .count();
    if adds > existing.channels_free || adds > existing.inputs_free {
        problems.push(format!(
            "{adds} new destinations need {adds} channels and inputs; the quota leaves {} \
             channels and {} inputs",
            existing.channels_free, existing.inputs_free
        ));
    }
    if problems.is_empty() {
        Ok(planned)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Platform;

    fn record(name: &str) -> Destination {
        Destination::new(
            name.into(),
            Platform::Youtube,
            "rtmp://a.rtmp.youtube.com/live2".into(),
            StreamKey::new("secret-KEY-0000"),
            "1080p30".into(),
            time::OffsetDateTime::UNIX_EPOCH,
        )
    }

    fn room<'a>(records: &'a [Destination]) -> Existing<'a> {
        Existing {
            records,
            channels_free: 5,
            inputs_free: 5,
        }
    }

    const SHOW: &str = "format = \"onair-show\"\nversion = 1\n\n[[destinations]]\n\
        name = \"YT\"\nplatform = \"youtube\"\nrtmp_url = \"rtmp://a.rtmp.youtube.com/live2\"\n\
        preset = \"1080p30\"\nwiring = \"mediaconnect\"\n";

    #[test]
    fn an_export_holds_no_key_and_reads_back_the_same_in_toml_and_json() {
        let records = [record("b"), record("A")];
        let show = export(&records, false);
        assert_eq!(show.destinations[0].name, "A", "sorted by name");
        let toml_text = toml::to_string(&show).unwrap();
        let json_text = serde_json::to_string_pretty(&show).unwrap();
        for text in [&toml_text, &json_text] {
            assert!(!text.contains("secret-KEY"), "{text}");
            assert_eq!(parse(text, "f").unwrap(), show);
        }
    }

    #[test]
    fn malformed_truncated_and_unknown_versions_are_named() {
        assert!(
            parse("format = \"onair-show\"\nversion = ", "f")
                .unwrap_err()
                .contains("f:")
        );
        let truncated = &SHOW[..SHOW.len() - 20];
        assert!(parse(truncated, "f").is_err());
        let v2 = SHOW.replace("version = 1", "version = 2");
        assert!(parse(&v2, "f").unwrap_err().contains("version 2"));
        let other = SHOW.replace("onair-show", "something");
        assert!(parse(&other, "f").unwrap_err().contains("format"));
        let extra = SHOW.replace("wiring", "stream_key = \"x\"\nwiring");
        assert!(parse(&extra, "f").unwrap_err().contains("stream_key"));
    }

    #[test]
    fn keys_files_are_name_then_key_and_names_are_unique() {
        let keys = parse_keys("# keys\nYT main live-KEY-1\n\nTwitch live-KEY-2\n", "k").unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys["YT main"].expose(), "live-KEY-1");
        assert!(parse_keys("A k1\nA k2\n", "k").unwrap_err().contains("k:2"));
        assert!(parse_keys("lonely\n", "k").unwrap_err().contains("k:1"));
    }

    #[test]
    fn a_whole_file_is_checked_before_anything_and_every_problem_named() {
        let show = parse(SHOW, "f").unwrap();
        let catalog = Catalog::builtin();
        let mut keys = BTreeMap::new();
        // No key: refused.
        let err = plan_import(&show, &keys, &catalog, &room(&[]), false).unwrap_err();
        assert!(err[0].contains("no stream key"), "{err:?}");
        keys.insert("YT".to_string(), StreamKey::new("live-KEY-1"));
        assert!(matches!(
            plan_import(&show, &keys, &catalog, &room(&[]), false).unwrap()[..],
            [Planned::Add(_)]
        ));
        // A key for a name the file doesn't have.
        let mut extra = keys.clone();
        extra.insert("Ghost".to_string(), StreamKey::new("live-KEY-2"));
        let err = plan_import(&show, &extra, &catalog, &room(&[]), false).unwrap_err();
        assert!(err.iter().any(|e| e.contains("Ghost")), "{err:?}");
        // The same name in the table: refused unless --replace.
        let mut yt = record("yt");
        yt.status = crate::domain::Status::Idle;
        let existing = [yt];
        let err = plan_import(&show, &keys, &catalog, &room(&existing), false).unwrap_err();
        assert!(err[0].contains("--replace"), "{err:?}");
        assert!(matches!(
            plan_import(&show, &keys, &catalog, &room(&existing), true).unwrap()[..],
            [Planned::Replace { .. }]
        ));
        // Duplicates, a bad preset and the quota, all reported at once.
        let mut twice = show.clone();
        twice.destinations.push(show.destinations[0].clone());
        let mut bad = show.destinations[0].clone();
        bad.name = "Bad".into();
        bad.preset = "8k".into();
        twice.destinations.push(bad);
        keys.insert("Bad".to_string(), StreamKey::new("live-KEY-3"));
        let full = Existing {
            records: &[],
            channels_free: 0,
            inputs_free: 0,
        };
        let err = plan_import(&twice, &keys, &catalog, &full, false).unwrap_err();
        assert!(err.iter().any(|e| e.contains("twice")), "{err:?}");
        assert!(
            err.iter()
                .any(|e| e.contains("entry 3") && e.contains("8k")),
            "{err:?}"
        );
        assert!(err.iter().any(|e| e.contains("quota")), "{err:?}");
    }
}
