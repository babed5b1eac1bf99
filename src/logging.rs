//! The log file: JSON lines under `$XDG_STATE_HOME/onair/`, created with mode 0600 because it
//! names the operator's resources. The terminal belongs to the TUI, so nothing logs to it.

use crate::config::xdg_dir;
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

pub fn log_dir() -> PathBuf {
    xdg_dir("XDG_STATE_HOME", ".local/state").join("onair")
}

/// Targets held at DEBUG when TRACE is asked for (a lower level stays as asked). At TRACE the SDK's orchestrator logs
/// every HTTP response whole (and the operation's output), unless the service marks that output
/// sensitive; MediaLive doesn't mark a channel's destination, so `--log-level trace` (or
/// `RUST_LOG=trace`) wrote each channel's stream key into the log file with every CreateChannel,
/// DescribeChannel and ListChannels answer, and MediaLive's error bodies that quote it.
const NEVER_TRACED: [&str; 2] = [
    "aws_smithy_runtime::client::orchestrator=debug",
    "aws_smithy_runtime::client::orchestrator::http=debug",
];

/// Installs the global subscriber; `level` (from `--log-level`) beats `RUST_LOG`, default info.
/// Returns the file's path, or an error message if the file could not be opened (onair runs on
/// without a log file rather than refusing to start during a show).
pub fn init(level: Option<&str>) -> Result<PathBuf, String> {
    let dir = log_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("onair.log");
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut filter = match level {
        Some(level) => {
            EnvFilter::try_new(level).map_err(|e| format!("--log-level {level}: {e}"))?
        }
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    if filter
        .max_level_hint()
        .is_none_or(|max| max == LevelFilter::TRACE)
    {
        for directive in NEVER_TRACED {
            let directive = directive.parse().map_err(|e| format!("{directive}: {e}"))?;
            filter = filter.add_directive(directive);
        }
    }
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(path)
}

/// A panic's message: its payload when it is text (`panic!("…")`, `expect`), else a placeholder.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Keeps stream keys out of core dumps: the process is marked not dumpable (no core file, and
/// no ptrace attach by other processes of the same user) and its core size limit is zero. A
/// failure is logged, not fatal: onair still runs on a kernel that refuses.
pub fn forbid_core_dumps() {
    #[cfg(target_os = "linux")]
    if let Err(e) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        tracing::warn!("could not mark the process not dumpable: {e}");
    }
    let zero = rustix::process::Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    if let Err(e) = rustix::process::setrlimit(rustix::process::Resource::Core, zero) {
        tracing::warn!("could not set the core size limit to 0: {e}");
    }
}
