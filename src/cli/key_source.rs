//! Where a command's stream key comes from. A key on the command line shows in `ps`, so a file
//! (or standard input) and, for `add` only, `ONAIR_STREAM_KEY` are offered; `edit` reads the
//! variable only when asked, so a key left in the environment by an add can't move onto another
//! destination. Every source is bounded: a key is a few dozen characters.

use super::CliError;
use std::io::Read;
use std::path::Path;

pub const ENV: &str = "ONAIR_STREAM_KEY";

/// More than any platform's key; a larger file is not a key file.
const MAX_BYTES: u64 = 4096;

/// `add`: `--key-file`, else `--key`, else the variable, else a refusal naming all three.
pub fn for_add(
    flag: Option<String>,
    file: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<String, CliError> {
    if let Some(path) = file {
        return read(path);
    }
    flag.or_else(|| env(ENV).filter(|v| !v.is_empty()))
        .ok_or_else(|| {
            CliError::Refused(format!(
                "a stream key is needed: --key-file FILE (`-` for standard input), {ENV}, or --key"
            ))
        })
}

/// `edit`: a new key only from what was asked for; `None` keeps the record's key.
pub fn for_edit(
    flag: Option<String>,
    file: Option<&Path>,
    from_env: bool,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<String>, CliError> {
    if let Some(path) = file {
        return read(path).map(Some);
    }
    if from_env {
        return env(ENV)
            .filter(|v| !v.is_empty())
            .map(Some)
            .ok_or_else(|| CliError::Refused(format!("--key-from-env: {ENV} is not set")));
    }
    Ok(flag)
}

/// Whether a key left in the environment is being ignored by an edit (worth a note on stderr).
pub fn ignored_by_edit(
    flag: &Option<String>,
    file: Option<&Path>,
    from_env: bool,
    env: impl Fn(&str) -> Option<String>,
) -> bool {
    flag.is_none() && file.is_none() && !from_env && env(ENV).is_some_and(|v| !v.is_empty())
}

/// The first line of `path` (`-`: standard input), without its line ending.
fn read(path: &Path) -> Result<String, CliError> {
    let name = path.display().to_string();
    let refuse = |why: String| CliError::Refused(format!("--key-file {name}: {why}"));
    let mut bytes = Vec::new();
    let result = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
    };
    result.map_err(|e| refuse(e.to_string()))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(refuse(format!(
            "longer than {MAX_BYTES} bytes: not a key file"
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| refuse("not UTF-8 text".into()))?;
    let line = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if line.is_empty() {
        return Err(refuse("the first line is empty".into()));
    }
    Ok(line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn with_key(k: &str) -> Option<String> {
        (k == ENV).then(|| "env-KEY-1234".to_string())
    }

    fn file(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("onair-key-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn an_edit_never_takes_the_environments_key_unasked() {
        assert_eq!(for_edit(None, None, false, with_key).ok(), Some(None));
        assert!(ignored_by_edit(&None, None, false, with_key));
        assert_eq!(
            for_edit(None, None, true, with_key).ok(),
            Some(Some("env-KEY-1234".to_string()))
        );
        assert!(for_edit(None, None, true, no_env).is_err());
        assert!(!ignored_by_edit(&None, None, true, with_key));
    }

    #[test]
    fn an_add_takes_file_then_flag_then_environment() {
        let path = file("add", "file-KEY-9999\nsecond line\n");
        assert_eq!(
            for_add(Some("flag".into()), Some(&path), with_key).ok(),
            Some("file-KEY-9999".to_string())
        );
        assert_eq!(
            for_add(Some("flag".into()), None, with_key).ok(),
            Some("flag".to_string())
        );
        assert_eq!(
            for_add(None, None, with_key).ok(),
            Some("env-KEY-1234".to_string())
        );
        let err = for_add(None, None, no_env).unwrap_err().to_string();
        assert!(err.contains("--key-file") && err.contains(ENV), "{err}");
    }

    #[test]
    fn a_key_file_is_bounded_and_must_hold_a_line() {
        let crlf = file("crlf", "crlf-KEY-1\r\n");
        assert_eq!(read(&crlf).ok(), Some("crlf-KEY-1".to_string()));
        let empty = file("empty", "\n");
        assert!(read(&empty).is_err());
        let huge = file("huge", &"x".repeat(10_000));
        let err = read(&huge).unwrap_err().to_string();
        assert!(err.contains("longer than"), "{err}");
        assert!(read(Path::new("/nonexistent/key")).is_err());
    }
}
