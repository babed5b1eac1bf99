//! The one error type of onair's TOML loaders (config, presets, themes): a file that can't be
//! read, isn't TOML of the right shape, or holds a value that breaks a rule. Each names the file
//! and, where known, the line, as `file:line: message` — the form editors and terminals turn into
//! a jump to the spot — so an operator reads every loader's complaint the same way.

use serde::de::DeserializeOwned;
use std::fmt;
use std::path::Path;

/// A file onair can't use, and where in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    /// As the operator gave it (or a name such as "presets.toml (built in)").
    pub file: String,
    /// 1-based; `None` when the problem has no place (an unreadable file).
    pub line: Option<usize>,
    /// 1-based, in characters; only toml's own errors know it.
    pub column: Option<usize>,
    pub what: Problem,
}

/// What is wrong with the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Missing, a directory, no permission: the OS's reason.
    Unreadable(String),
    /// Not TOML, or not the shape the loader expects (unknown key, wrong type, missing key):
    /// toml's message, with the key path in front when toml knows it.
    Syntax(String),
    /// A value of the right type that breaks one of onair's rules; `key` is the full dotted
    /// path (`encoder.720p30.height`, `colors.running`, `flow_arn`).
    Invalid { key: String, rule: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable(reason) => write!(f, "cannot read: {reason}"),
            Problem::Syntax(message) => f.write_str(message),
            Problem::Invalid { key, rule } => write!(f, "{key}: {rule}"),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.what),
            None => write!(f, "{}: {}", self.file, self.what),
        }
    }
}

impl LoadError {
    pub fn unreadable(file: &str, err: &std::io::Error) -> Self {
        Self {
            file: file.to_string(),
            line: None,
            column: None,
            what: Problem::Unreadable(err.to_string()),
        }
    }

    /// A value at `line` that breaks `rule`.
    pub fn invalid(
        file: &str,
        line: usize,
        key: impl Into<String>,
        rule: impl Into<String>,
    ) -> Self {
        Self {
            file: file.to_string(),
            line: Some(line),
            column: None,
            what: Problem::Invalid {
                key: key.into(),
                rule: rule.into(),
            },
        }
    }

    /// toml's error, placed by its span in `text`.
    pub fn toml(file: &str, text: &str, err: &toml::de::Error) -> Self {
        let message = err.message().trim().to_string();
        // toml only prints the key path when it has no input to quote, so ask it for that
        // rendering and take the path from there.
        let mut bare = err.clone();
        bare.set_input(None);
        let rendered = bare.to_string();
        let key = rendered
            .lines()
            .find_map(|l| l.strip_prefix("in `").and_then(|k| k.strip_suffix('`')));
        let message = match key {
            Some(key) if !key.is_empty() => format!("{key}: {message}"),
            _ => message,
        };
        let (line, column) = match err.span() {
            Some(span) => {
                let (line, column) = position(text, span.start);
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        Self {
            file: file.to_string(),
            line,
            column,
            what: Problem::Syntax(message),
        }
    }
}

/// The file's text, or why it can't be had.
pub fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path)
        .map_err(|e| LoadError::unreadable(&path.display().to_string(), &e))
}

/// `text` as a `T`; `file` is only named in the error.
pub fn parse<T: DeserializeOwned>(text: &str, file: &str) -> Result<T, LoadError> {
    toml::from_str(text).map_err(|e| LoadError::toml(file, text, &e))
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    // Bytes, not a str slice: a span need not fall on a character boundary.
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |at| at + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// The line of `key` inside `[table]` (the top level when `table` is empty), else of the table's
/// header, else 1: for error messages only, so a best guess is enough.
pub fn line_of(text: &str, table: &str, key: &str) -> usize {
    let header = format!("[{table}]");
    let mut in_table = table.is_empty();
    let mut header_line = 1;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_table = trimmed == header;
            if in_table {
                header_line = i + 1;
            }
            continue;
        }
        if in_table
            && !key.is_empty()
            && let Some((k, _)) = trimmed.split_once('=')
            && k.trim() == key
        {
            return i + 1;
        }
    }
    header_line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        name: String,
        #[serde(default)]
        size: Option<u32>,
    }

    #[test]
    fn every_kind_reads_file_line_message() {
        let err = parse::<Doc>("name = \"x\"\nsize = \"big\"\n", "d.toml").unwrap_err();
        assert_eq!((err.line, err.column), (Some(2), Some(8)));
        let text = err.to_string();
        assert!(text.starts_with("d.toml:2: size: invalid type"), "{text}");

        let err = LoadError::invalid("d.toml", 7, "colors.running", "is not a colour");
        assert_eq!(err.to_string(), "d.toml:7: colors.running: is not a colour");

        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let err = LoadError::unreadable("d.toml", &io);
        assert_eq!(err.to_string(), "d.toml: cannot read: No such file");
    }

    #[test]
    fn syntax_errors_name_the_line_and_unknown_keys_the_key() {
        let err = parse::<Doc>("name = \"x\"\nsize = = 3\n", "d.toml").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(matches!(err.what, Problem::Syntax(_)));
        let err = parse::<Doc>("name = \"x\"\nsise = 3\n", "d.toml").unwrap_err();
        assert!(err.to_string().starts_with("d.toml:2: "), "{err}");
        assert!(err.to_string().contains("sise"), "{err}");
    }

    #[test]
    fn positions_count_characters_and_survive_odd_offsets() {
        assert_eq!(position("é = 1\nab", 8), (2, 2));
        assert_eq!(position("é = 1", 3), (1, 3), "é is one column");
        // Inside a multi-byte character, and past the end: no panic, a sensible place.
        assert_eq!(position("é", 1).0, 1);
        assert_eq!(position("a\nb", 99), (2, 2));
    }

    #[test]
    fn line_of_finds_keys_in_their_table_or_at_the_top_level() {
        let text = "top = 1\n[a]\nkey = 2\n[b]\nkey = 3\n";
        assert_eq!(line_of(text, "", "top"), 1);
        assert_eq!(line_of(text, "a", "key"), 3);
        assert_eq!(line_of(text, "b", "key"), 5);
        assert_eq!(
            line_of(text, "b", "missing"),
            4,
            "the header when the key is absent"
        );
        assert_eq!(line_of(text, "c", "key"), 1);
    }
}
