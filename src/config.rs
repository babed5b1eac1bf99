//! Configuration: `--config FILE`, else `$XDG_CONFIG_HOME/onair/config.toml`; each key can be
//! set by an environment variable, and command-line flags win over both (BRIEF §4).

use crate::domain::Wiring;
use crate::loader::{self, LoadError, line_of};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The keys a configuration has, written once: the file's top level and each named environment
/// take the same ones (the macro makes both structs and the overlay of one on the other).
macro_rules! config_keys {
    ( $( $(#[$doc:meta])* $field:ident : $ty:ty ),* $(,)? ) => {
        /// The config file as written. Unknown keys are refused so a typo can't silently do
        /// nothing.
        #[derive(Debug, Clone, Default, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct FileConfig {
            $( $(#[$doc])* pub $field: Option<$ty>, )*
            /// Named configurations (`[environments.show]`): each takes the keys above, plus
            /// `production` and `account_id`.
            pub environments: Option<BTreeMap<String, EnvConfig>>,
            /// The environment used without `--env` or `ONAIR_ENV`.
            pub default_env: Option<String>,
        }

        /// One named environment as written.
        #[derive(Debug, Clone, Default, Deserialize, PartialEq)]
        #[serde(deny_unknown_fields)]
        pub struct EnvConfig {
            $( $(#[$doc])* pub $field: Option<$ty>, )*
            /// A production environment is unmistakable on screen and named in every
            /// confirmation.
            pub production: Option<bool>,
            /// The AWS account this environment must act on: onair refuses to change anything
            /// in another one.
            pub account_id: Option<String>,
        }

        impl FileConfig {
            /// Lays `env`'s keys over the top level. Returns the keys set in both: a choice
            /// onair won't make for the operator.
            fn overlay(&mut self, env: &EnvConfig) -> Vec<&'static str> {
                let mut both = Vec::new();
                $(
                    if let Some(value) = &env.$field {
                        if self.$field.is_some() {
                            both.push(stringify!($field));
                        } else {
                            self.$field = Some(value.clone());
                        }
                    }
                )*
                both
            }
        }
    };
}

config_keys! {
    region: String,
    profile: String,
    table: String,
    flow_arn: String,
    medialive_role_arn: String,
    theme: String,
    readonly: bool,
    /// Seconds between refreshes of states and metrics (default 10).
    refresh_interval: u64,
    channel_quota: usize,
    input_quota: usize,
    /// A presets file laid over the built-in one.
    presets: PathBuf,
    bell: bool,
    /// How long an idle destination keeps its (billed) channel and input: "30m", "2h", "90s",
    /// or "never".
    park_after: String,
    /// How inputs are fed from the flow: "mediaconnect" (default) or "rtp-push" (the seed's).
    wiring: Wiring,
    /// KMS key (id, ARN, `alias/NAME` or alias ARN) that seals stream keys before they are
    /// written to the table. Unset: keys are stored in clear, as the seed does.
    stream_key_kms_key: String,
    /// How long a platform outage MediaLive rides out by retrying before it stops the channel
    /// ("5m" default; "30s" to "1h"): turned into the RTMP output's NumRetries and
    /// ConnectionRetryInterval. MediaLive bills the channel the whole time it retries.
    rtmp_reconnect_window: String,
    /// Start a destination again when its channel stopped outside onair while it should run
    /// (default true).
    auto_restart: bool,
    /// StartChannels tried for one drop before onair gives up and says so (default 3).
    restart_attempts: u32,
    /// Wait before the first restart, doubled for each further one (default "10s").
    restart_backoff: String,
    /// MediaLive channel ids onair did not make (the seed's primary HLS channel, …) to show
    /// read-only under the flow panel: state, output, alerts. Never started, stopped, edited
    /// or deleted.
    watch_channels: Vec<String>,
    /// How long to wait for a connection to an AWS endpoint (default "3s").
    aws_connect_timeout: String,
    /// How long one attempt of a read (describe, list, get, scan, metrics) may take before it
    /// is given up (default "10s"); with retries a read ends within three times that.
    aws_read_timeout: String,
    /// The same for a change (create, start, stop, update, delete; default "30s"): AWS answers
    /// those more slowly, and a request id makes a retry after a lost answer harmless.
    aws_write_timeout: String,
    /// SNS topic ARN that each destination's CloudWatch alarms (and the flow's lost-source
    /// alarm) notify. Unset: no alarms.
    alarm_topic_arn: String,
    /// Role EventBridge Scheduler assumes to start and stop onair's channels (go-live
    /// schedules and stop-by deadlines). Unset: no schedules, no deadlines.
    scheduler_role_arn: String,
    /// Stop-by deadline after every start ("12h" default; "off" for none): a stop schedule in
    /// AWS, so a forgotten channel stops even if onair never runs again.
    max_run: String,
    /// How long before a scheduled on-air time the channel is started ("10m" default; AWS:
    /// "up to 10 minutes is still normal" for a start).
    schedule_lead: String,
    /// `onair serve`'s bearer tokens: a file of `read TOKEN` / `operate TOKEN` lines (env
    /// ONAIR_API_TOKENS_FILE). Unset: no tokens, and only a loopback listener is allowed.
    api_tokens_file: PathBuf,
    /// Origins a browser dashboard may call `onair serve` from (CORS), e.g.
    /// ["https://dash.example.org"]. Unset: none.
    api_cors_origins: Vec<String>,
    /// Requests a second each token (or client address) may make to `onair serve` (default 20;
    /// 0: unlimited).
    api_rate_limit: u32,
}

/// The environment a configuration was chosen from, for the screen, confirmations and JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Environment {
    pub name: String,
    pub production: bool,
    /// The account this environment is pinned to, if any.
    pub account_id: Option<String>,
}

/// Deadlines on every AWS call, so an endpoint that accepts and never answers (or a closed
/// port) ends in an error naming it instead of a hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsTimeouts {
    pub connect: Duration,
    /// One attempt of a read; the whole call, retries included, gets three times this.
    pub read: Duration,
    /// One attempt of a change; the whole call gets three times this.
    pub write: Duration,
}

impl Default for AwsTimeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(3),
            read: Duration::from_secs(10),
            write: Duration::from_secs(30),
        }
    }
}

impl AwsTimeouts {
    /// How many attempt timeouts a whole call may take, retries and their backoff included.
    pub const ATTEMPTS_PER_CALL: u32 = 3;
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The file itself: unreadable, not TOML of the right shape, or a value breaking a rule.
    #[error(transparent)]
    File(#[from] LoadError),
    /// A value from the environment that the file would have refused: the variable is named,
    /// since that is where the operator has to fix it.
    #[error("{env}: {key}: {rule} (set in the environment; it overrides `{key}` in {file})")]
    InvalidEnv {
        env: &'static str,
        key: &'static str,
        rule: &'static str,
        file: String,
    },
    /// `--env`, `ONAIR_ENV` or `default_env` names an environment the file doesn't have.
    #[error("{from} names environment {name:?}, which {file} does not have ({known})")]
    UnknownEnv {
        name: String,
        from: &'static str,
        known: String,
        file: String,
    },
    /// The file has environments and none was chosen: onair won't guess which account to use.
    #[error(
        "{file} has environments ({known}): choose one with --env NAME, ONAIR_ENV or \
         `default_env = \"NAME\"`"
    )]
    EnvNotChosen { known: String, file: String },
    #[error("{key} is not set: put `{key} = \"…\"` in {file}, or set {env}")]
    Missing {
        key: &'static str,
        env: &'static str,
        file: String,
    },
}

/// Flags from the command line that override the file and the environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub readonly: bool,
    pub theme: Option<String>,
    /// `--env NAME`.
    pub env: Option<String>,
}

/// Everything resolved: file, then environment, then flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Where the config came from (or would be), for messages.
    pub file: PathBuf,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub table: Option<String>,
    pub flow_arn: Option<String>,
    pub medialive_role_arn: Option<String>,
    pub theme: Option<String>,
    pub readonly: bool,
    pub refresh_interval: Duration,
    pub channel_quota: usize,
    pub input_quota: usize,
    pub presets: Option<PathBuf>,
    pub bell: bool,
    pub park_after: Option<Duration>,
    pub wiring: Wiring,
    pub stream_key_kms_key: Option<String>,
    pub aws_timeouts: AwsTimeouts,
    /// The named environment these settings came from, when the file has environments.
    pub environment: Option<Environment>,
    /// Every environment the file names, sorted: what the control room's `:env` offers.
    pub environment_names: Vec<String>,
    pub rtmp_reconnect_window: Duration,
    pub auto_restart: bool,
    pub restart_attempts: u32,
    pub restart_backoff: Duration,
    pub watch_channels: Vec<String>,
    pub alarm_topic_arn: Option<String>,
    pub scheduler_role_arn: Option<String>,
    /// `None`: `max_run = "off"`.
    pub max_run: Option<Duration>,
    pub schedule_lead: Duration,
    pub api_tokens_file: Option<PathBuf>,
    pub api_cors_origins: Vec<String>,
    pub api_rate_limit: u32,
}

/// `$XDG_CONFIG_HOME/onair/config.toml`, or `~/.config/onair/config.toml`.
pub fn default_path() -> PathBuf {
    xdg_dir("XDG_CONFIG_HOME", ".config").join("onair/config.toml")
}

/// An XDG base directory from its variable, or `$HOME/<fallback>`.
pub fn xdg_dir(var: &str, fallback: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(fallback),
    }
}

impl Settings {
    /// Reads the file (a missing default file is fine; a missing `--config` file is not), the
    /// environment via `env`, and the flags.
    pub fn load(
        overrides: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let (file, explicit) = match &overrides.config {
            Some(path) => (path.clone(), true),
            None => (default_path(), false),
        };
        let mut parsed = match std::fs::read_to_string(&file) {
            Ok(text) => parse_str(&text, &file)?,
            Err(e) if !explicit && e.kind() == std::io::ErrorKind::NotFound => {
                FileConfig::default()
            }
            Err(e) => return Err(LoadError::unreadable(&file.display().to_string(), &e).into()),
        };
        let environment_names: Vec<String> = parsed
            .environments
            .iter()
            .flat_map(|envs| envs.keys().cloned())
            .collect();
        let environment = choose_environment(&mut parsed, overrides, &env, &file)?;
        let pick = |flag: &Option<String>, var: &str, from_file: &Option<String>| {
            flag.clone()
                .or_else(|| env(var).filter(|v| !v.is_empty()))
                .or_else(|| from_file.clone())
        };
        // The environment gets the same checks as the file: a bad ONAIR_FLOW_ARN must be refused
        // here, naming the variable, not fail later as an AWS error naming neither.
        for (key, var) in CHECKED_ENV {
            if let Some(value) = env(var).filter(|v| !v.is_empty())
                && let Some(rule) = value_problem(key, &value)
            {
                return Err(ConfigError::InvalidEnv {
                    env: var,
                    key,
                    rule,
                    file: file.display().to_string(),
                });
            }
        }
        // A relative `presets` path is relative to the config file that names it, not to
        // wherever onair happens to be started from.
        let presets = parsed
            .presets
            .map(|p| match file.parent() {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p,
            })
            // Without the key, a presets.toml beside the config file is read if there is one.
            .or_else(|| {
                let beside = file.parent()?.join("presets.toml");
                beside.is_file().then_some(beside)
            });
        Ok(Settings {
            region: pick(&overrides.region, "AWS_REGION", &parsed.region),
            profile: pick(&overrides.profile, "AWS_PROFILE", &parsed.profile),
            table: pick(&None, "ONAIR_TABLE", &parsed.table),
            flow_arn: pick(&None, "ONAIR_FLOW_ARN", &parsed.flow_arn),
            medialive_role_arn: pick(
                &None,
                "ONAIR_MEDIALIVE_ROLE_ARN",
                &parsed.medialive_role_arn,
            ),
            theme: pick(&overrides.theme, "ONAIR_THEME", &parsed.theme),
            stream_key_kms_key: pick(
                &None,
                "ONAIR_STREAM_KEY_KMS_KEY",
                &parsed.stream_key_kms_key,
            ),
            readonly: overrides.readonly || parsed.readonly.unwrap_or(false),
            refresh_interval: Duration::from_secs(parsed.refresh_interval.unwrap_or(10)),
            channel_quota: parsed.channel_quota.unwrap_or(5),
            input_quota: parsed.input_quota.unwrap_or(5),
            presets,
            bell: parsed.bell.unwrap_or(false),
            park_after: match &parsed.park_after {
                Some(text) => parse_park_after(text).unwrap_or(None),
                None => Some(Duration::from_secs(30 * 60)),
            },
            wiring: parsed.wiring.unwrap_or_default(),
            rtmp_reconnect_window: parsed
                .rtmp_reconnect_window
                .as_deref()
                .and_then(|t| parse_reconnect_window(t).ok())
                .unwrap_or(crate::cloud::RtmpReconnect::DEFAULT_WINDOW),
            auto_restart: parsed.auto_restart.unwrap_or(true),
            restart_attempts: parsed.restart_attempts.unwrap_or(3),
            restart_backoff: parsed
                .restart_backoff
                .as_deref()
                .and_then(|t| parse_restart_backoff(t).ok())
                .unwrap_or(Duration::from_secs(10)),
            scheduler_role_arn: parsed.scheduler_role_arn.clone().filter(|r| !r.is_empty()),
            max_run: match &parsed.max_run {
                Some(text) => parse_max_run(text).unwrap_or(Some(DEFAULT_MAX_RUN)),
                None => Some(DEFAULT_MAX_RUN),
            },
            schedule_lead: parsed
                .schedule_lead
                .as_deref()
                .and_then(|t| parse_schedule_lead(t).ok())
                .unwrap_or(DEFAULT_SCHEDULE_LEAD),
            aws_timeouts: {
                let defaults = AwsTimeouts::default();
                let pick_timeout = |var: &str, from_file: &Option<String>, default: Duration| {
                    pick(&None, var, from_file)
                        .and_then(|t| parse_timeout(&t).ok())
                        .unwrap_or(default)
                };
                AwsTimeouts {
                    connect: pick_timeout(
                        "ONAIR_AWS_CONNECT_TIMEOUT",
                        &parsed.aws_connect_timeout,
                        defaults.connect,
                    ),
                    read: pick_timeout(
                        "ONAIR_AWS_READ_TIMEOUT",
                        &parsed.aws_read_timeout,
                        defaults.read,
                    ),
                    write: pick_timeout(
                        "ONAIR_AWS_WRITE_TIMEOUT",
                        &parsed.aws_write_timeout,
                        defaults.write,
                    ),
                }
            },
            watch_channels: parsed.watch_channels.clone().unwrap_or_default(),
            alarm_topic_arn: parsed.alarm_topic_arn.clone(),
            api_tokens_file: env("ONAIR_API_TOKENS_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| {
                    // Relative to the config file that names it, as `presets` is.
                    parsed.api_tokens_file.clone().map(|p| match file.parent() {
                        Some(dir) if p.is_relative() => dir.join(p),
                        _ => p,
                    })
                }),
            api_cors_origins: parsed.api_cors_origins.clone().unwrap_or_default(),
            api_rate_limit: parsed
                .api_rate_limit
                .unwrap_or(crate::serve::DEFAULT_RATE_LIMIT),
            environment,
            environment_names,
            file,
        })
    }

    /// A key the AWS mode can't run without, or a message saying where to set it.
    pub fn require(&self, key: &'static str) -> Result<&str, ConfigError> {
        let (value, env) = match key {
            "table" => (&self.table, "ONAIR_TABLE"),
            "flow_arn" => (&self.flow_arn, "ONAIR_FLOW_ARN"),
            "medialive_role_arn" => (&self.medialive_role_arn, "ONAIR_MEDIALIVE_ROLE_ARN"),
            "region" => (&self.region, "AWS_REGION"),
            _ => (&None, "?"),
        };
        value.as_deref().ok_or_else(|| ConfigError::Missing {
            key,
            env,
            file: self.file.display().to_string(),
        })
    }
}

/// Picks the named environment (`--env`, else `ONAIR_ENV`, else `default_env`) and lays its keys
/// over the top level of `parsed`. A file without environments works as it always did.
fn choose_environment(
    parsed: &mut FileConfig,
    overrides: &Overrides,
    env: &impl Fn(&str) -> Option<String>,
    file: &Path,
) -> Result<Option<Environment>, ConfigError> {
    let environments = parsed.environments.take().unwrap_or_default();
    let known = if environments.is_empty() {
        "it has none".to_string()
    } else {
        format!(
            "it has {}",
            environments.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    };
    let chosen = overrides
        .env
        .clone()
        .map(|name| (name, "--env"))
        .or_else(|| {
            env("ONAIR_ENV")
                .filter(|v| !v.is_empty())
                .map(|name| (name, "ONAIR_ENV"))
        })
        .or_else(|| parsed.default_env.clone().map(|name| (name, "default_env")));
    let Some((name, from)) = chosen else {
        if environments.is_empty() {
            return Ok(None);
        }
        return Err(ConfigError::EnvNotChosen {
            known: environments.keys().cloned().collect::<Vec<_>>().join(", "),
            file: file.display().to_string(),
        });
    };
    let Some(chosen) = environments.get(&name) else {
        return Err(ConfigError::UnknownEnv {
            name,
            from,
            known,
            file: file.display().to_string(),
        });
    };
    // Keys set in both places were refused when the file was parsed.
    let _ = parsed.overlay(chosen);
    Ok(Some(Environment {
        name,
        production: chosen.production.unwrap_or(false),
        account_id: chosen.account_id.clone(),
    }))
}

/// The keys whose values can also come from the environment, with their variables.
const CHECKED_ENV: [(&str, &str); 7] = [
    ("flow_arn", "ONAIR_FLOW_ARN"),
    ("medialive_role_arn", "ONAIR_MEDIALIVE_ROLE_ARN"),
    ("table", "ONAIR_TABLE"),
    ("stream_key_kms_key", "ONAIR_STREAM_KEY_KMS_KEY"),
    ("aws_connect_timeout", "ONAIR_AWS_CONNECT_TIMEOUT"),
    ("aws_read_timeout", "ONAIR_AWS_READ_TIMEOUT"),
    ("aws_write_timeout", "ONAIR_AWS_WRITE_TIMEOUT"),
];

const TIMEOUT_RULE: &str = "a duration from \"1s\" to \"10m\", such as \"3s\" or \"30s\"";

/// The rule a value of `key` breaks, if any: the one check for the file and the environment.
fn value_problem(key: &str, value: &str) -> Option<&'static str> {
    match key {
        "flow_arn" => (!value.starts_with("arn:aws")
            || !value.contains(":mediaconnect:")
            || !value.contains(":flow:"))
        .then_some("must be a MediaConnect flow ARN (arn:aws:mediaconnect:REGION:ACCOUNT:flow:…)"),
        "medialive_role_arn" => (!value.starts_with("arn:aws")
            || !value.contains(":iam::")
            || !value.contains(":role/"))
        .then_some("must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"),
        "table" => {
            let ok = (3..=255).contains(&value.len())
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            (!ok).then_some("a DynamoDB table name is 3 to 255 of a-z, A-Z, 0-9, '_', '-', '.'")
        }
        "aws_connect_timeout" | "aws_read_timeout" | "aws_write_timeout" => {
            parse_timeout(value).is_err().then_some(TIMEOUT_RULE)
        }
        "alarm_topic_arn" => (!sns_topic_arn(value)).then_some(
            "must be an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
        ),
        "stream_key_kms_key" => (!kms_key_name(value)).then_some(
            "must be a KMS key id, key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), alias/NAME or alias ARN",
        ),
        _ => None,
    }
}

/// `arn:PARTITION:sns:REGION:ACCOUNT:NAME` with a 12-digit account and a topic name of 1 to 256
/// letters, digits, '-' and '_': what CloudWatch accepts as an alarm action.
fn sns_topic_arn(value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "sns", region, account, name] => {
            partition.starts_with("aws")
                && !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && (1..=256).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        }
        _ => false,
    }
}

/// What KMS accepts as a `KeyId`: a key id (a UUID, or `mrk-…` for a multi-Region key), a key
/// ARN, `alias/NAME`, or an alias ARN. Checked here so a typo is refused before the first add
/// instead of failing that add at KMS.
fn kms_key_name(value: &str) -> bool {
    let id_like = |id: &str| {
        !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            || id
                .strip_prefix("mrk-")
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit()))
    };
    let alias_like = |name: &str| {
        name.strip_prefix("alias/").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
        })
    };
    if let Some(rest) = value.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        return match parts.as_slice() {
            [partition, "kms", region, account, resource]
                if partition.starts_with("aws")
                    && !region.is_empty()
                    && account.len() == 12
                    && account.chars().all(|c| c.is_ascii_digit()) =>
            {
                resource.strip_prefix("key/").is_some_and(id_like) || alias_like(resource)
            }
            _ => false,
        };
    }
    id_like(value) || alias_like(value)
}

/// Parses and checks the text of a config file; `file` is only named in messages.
pub fn parse_str(text: &str, file: &Path) -> Result<FileConfig, LoadError> {
    let name = file.display().to_string();
    let config: FileConfig = loader::parse(text, &name)?;
    check_values(&config, "", |key| line_of_key(text, key), &name)?;
    check_environments(&config, text, &name)?;
    Ok(config)
}

/// The rules every value must pass, at the top level (`prefix` "") or in an environment
/// (`prefix` "environments.NAME."); `line` finds where a key is written.
fn check_values(
    config: &FileConfig,
    prefix: &str,
    line: impl Fn(&str) -> usize,
    file: &str,
) -> Result<(), LoadError> {
    let invalid =
        |key: &str, rule: &str| LoadError::invalid(file, line(key), format!("{prefix}{key}"), rule);
    for (key, value) in [
        ("flow_arn", &config.flow_arn),
        ("medialive_role_arn", &config.medialive_role_arn),
        ("table", &config.table),
        ("stream_key_kms_key", &config.stream_key_kms_key),
        ("alarm_topic_arn", &config.alarm_topic_arn),
        ("aws_connect_timeout", &config.aws_connect_timeout),
        ("aws_read_timeout", &config.aws_read_timeout),
        ("aws_write_timeout", &config.aws_write_timeout),
    ] {
        if let Some(rule) = value.as_deref().and_then(|v| value_problem(key, v)) {
            return Err(invalid(key, rule));
        }
    }
    if let Some(text) = &config.park_after
        && parse_park_after(text).is_err()
    {
        return Err(invalid("park_after", PARK_AFTER_RULE));
    }
    if let Some(text) = &config.rtmp_reconnect_window
        && parse_reconnect_window(text).is_err()
    {
        return Err(invalid(
            "rtmp_reconnect_window",
            "a duration from \"30s\" to \"1h\", such as \"5m\"",
        ));
    }
    if let Some(text) = &config.restart_backoff
        && parse_restart_backoff(text).is_err()
    {
        return Err(invalid(
            "restart_backoff",
            "a duration from \"0s\" to \"10m\", such as \"10s\"",
        ));
    }
    if let Some(text) = &config.max_run
        && parse_max_run(text).is_err()
    {
        return Err(invalid(
            "max_run",
            "a duration from \"10m\" to \"48h\", such as \"12h\", or \"off\"",
        ));
    }
    if let Some(text) = &config.schedule_lead
        && parse_schedule_lead(text).is_err()
    {
        return Err(invalid(
            "schedule_lead",
            "a duration from \"0s\" to \"2h\", such as \"10m\"",
        ));
    }
    if let Some(role) = &config.scheduler_role_arn
        && !(role.starts_with("arn:aws") && role.contains(":iam::") && role.contains(":role/"))
    {
        return Err(invalid(
            "scheduler_role_arn",
            "an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME",
        ));
    }
    if config.restart_attempts.is_some_and(|n| n > 10) {
        return Err(invalid(
            "restart_attempts",
            "at most 10 (each restart bills at least 10 minutes)",
        ));
    }
    if let Some(ids) = &config.watch_channels {
        let channel_id =
            |id: &String| (1..=20).contains(&id.len()) && id.chars().all(|c| c.is_ascii_digit());
        if ids.len() > 20 || !ids.iter().all(channel_id) {
            return Err(invalid(
                "watch_channels",
                "at most 20 MediaLive channel ids, each the channel's digits (\"1234567\")",
            ));
        }
    }
    if config.refresh_interval == Some(0) {
        return Err(invalid("refresh_interval", "must be at least 1 second"));
    }
    if config.channel_quota == Some(0) {
        return Err(invalid("channel_quota", "must be at least 1"));
    }
    if config.input_quota == Some(0) {
        return Err(invalid("input_quota", "must be at least 1"));
    }
    Ok(())
}

/// Each `[environments.NAME]`: a name onair can show, keys not also set at the top level (which
/// one would win is a guess onair won't make), values that pass the same rules as at the top
/// level, a 12-digit `account_id`; and `default_env` naming one of them.
fn check_environments(config: &FileConfig, text: &str, file: &str) -> Result<(), LoadError> {
    let environments = config.environments.clone().unwrap_or_default();
    if let Some(default) = &config.default_env
        && !environments.contains_key(default)
    {
        return Err(LoadError::invalid(
            file,
            line_of_key(text, "default_env"),
            "default_env",
            format!("names {default:?}, which is not an [environments.…] table here"),
        ));
    }
    let mut top = config.clone();
    top.environments = None;
    for (name, env) in &environments {
        let table = format!("environments.{name}");
        let at = |key: &str| line_of(text, &table, key);
        let valid_name = !name.is_empty()
            && name.len() <= 32
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
        if !valid_name {
            return Err(LoadError::invalid(
                file,
                at(""),
                table,
                "an environment name is 1 to 32 of a-z, A-Z, 0-9, '-', '_'",
            ));
        }
        if let Some(key) = top.clone().overlay(env).first() {
            return Err(LoadError::invalid(
                file,
                at(key),
                format!("{table}.{key}"),
                format!(
                    "is also set at the top level (line {}): set it in one place",
                    line_of_key(text, key)
                ),
            ));
        }
        let mut values = FileConfig::default();
        let _ = values.overlay(env);
        check_values(&values, &format!("{table}."), at, file)?;
        if let Some(account) = &env.account_id
            && (account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(LoadError::invalid(
                file,
                at("account_id"),
                format!("{table}.account_id"),
                "an AWS account id is 12 digits",
            ));
        }
    }
    Ok(())
}

const PARK_AFTER_RULE: &str =
    "a duration such as \"30m\", \"2h\" or \"90s\" (at least a minute), or \"never\"";

/// A `park_after` value that is neither a duration of a minute or more nor "never".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadDuration;

/// "never" → `None`; "30m", "2h", "90s" → that long (a minute at least: parking sooner would
/// delete a chain between two songs).
pub fn parse_park_after(text: &str) -> Result<Option<Duration>, BadDuration> {
    if text.trim().eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    let d = parse_duration(text)?;
    if d < Duration::from_secs(60) {
        return Err(BadDuration);
    }
    Ok(Some(d))
}

/// An AWS timeout: "3s", "2m", from a second to ten minutes.
pub fn parse_timeout(text: &str) -> Result<Duration, BadDuration> {
    let d = parse_duration(text)?;
    if !(Duration::from_secs(1)..=Duration::from_secs(600)).contains(&d) {
        return Err(BadDuration);
    }
    Ok(d)
}

/// The RTMP reconnect window: 30 s to an hour (MediaLive bills every minute of it).
pub fn parse_reconnect_window(text: &str) -> Result<Duration, BadDuration> {
    let d = parse_duration(text)?;
    let range = crate::cloud::RtmpReconnect::MIN_WINDOW..=crate::cloud::RtmpReconnect::MAX_WINDOW;
    if !range.contains(&d) {
        return Err(BadDuration);
    }
    Ok(d)
}

/// The first restart's wait: up to ten minutes (longer is an outage of onair's own making).
pub fn parse_restart_backoff(text: &str) -> Result<Duration, BadDuration> {
    let d = parse_duration(text)?;
    if d > Duration::from_secs(600) {
        return Err(BadDuration);
    }
    Ok(d)
}

/// The stop-by deadline when `max_run` is not set.
pub const DEFAULT_MAX_RUN: Duration = Duration::from_secs(12 * 3600);
/// How long before its on-air time a scheduled start calls StartChannel, unless configured.
pub const DEFAULT_SCHEDULE_LEAD: Duration = Duration::from_secs(10 * 60);

/// `max_run`: "off" → `None`; else 10 minutes to 48 hours (Twitch's longest stream).
pub fn parse_max_run(text: &str) -> Result<Option<Duration>, BadDuration> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let d = parse_duration(text)?;
    if !(Duration::from_secs(600)..=Duration::from_secs(48 * 3600)).contains(&d) {
        return Err(BadDuration);
    }
    Ok(Some(d))
}

/// `schedule_lead`: up to two hours (AWS advises starting that early for high-value events).
pub fn parse_schedule_lead(text: &str) -> Result<Duration, BadDuration> {
    let d = parse_duration(text)?;
    if d > Duration::from_secs(2 * 3600) {
        return Err(BadDuration);
    }
    Ok(d)
}

/// A duration an operator types (`onair extend NAME 2h`): "90s", "45m", "2h".
pub fn parse_operator_duration(text: &str) -> Result<Duration, BadDuration> {
    let d = parse_duration(text)?;
    if d.is_zero() {
        return Err(BadDuration);
    }
    Ok(d)
}

/// "90s", "30m", "2h": a whole number and a unit.
fn parse_duration(text: &str) -> Result<Duration, BadDuration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| BadDuration)?;
    let seconds = match unit.trim() {
        "s" => number,
        "m" | "min" => number.saturating_mul(60),
        "h" => number.saturating_mul(3600),
        _ => return Err(BadDuration),
    };
    Ok(Duration::from_secs(seconds))
}

/// A config file has only top-level keys.
fn line_of_key(text: &str, key: &str) -> usize {
    line_of(text, "", key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("onair-config-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn load(path: PathBuf, env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load(
            &Overrides {
                config: Some(path),
                ..Overrides::default()
            },
            move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
        )
    }

    #[test]
    fn environment_beats_the_file_and_flags_beat_both() {
        let path = write("order", "table = \"from-file\"\ntheme = \"light\"\n");
        let s = load(path.clone(), &[("ONAIR_TABLE", "from-env")]).unwrap();
        assert_eq!(s.table.as_deref(), Some("from-env"));
        let s = Settings::load(
            &Overrides {
                config: Some(path),
                theme: Some("high-contrast".into()),
                ..Overrides::default()
            },
            |k| (k == "ONAIR_THEME").then(|| "dark".to_string()),
        )
        .unwrap();
        assert_eq!(s.theme.as_deref(), Some("high-contrast"));
    }

    #[test]
    fn a_missing_key_says_where_to_set_it() {
        let path = write("missing", "");
        let s = load(path, &[]).unwrap();
        let err = s.require("flow_arn").unwrap_err().to_string();
        assert!(
            err.contains("flow_arn") && err.contains("ONAIR_FLOW_ARN"),
            "{err}"
        );
        assert!(err.contains("config.toml"), "{err}");
    }

    #[test]
    fn unknown_keys_wrong_types_and_bad_arns_name_file_line_and_key() {
        let cases = [
            (
                "unknown",
                "region = \"eu-west-1\"\ntabel = \"x\"\n",
                "tabel",
            ),
            (
                "type",
                "refresh_interval = \"ten\"\n",
                ":1: refresh_interval: invalid type",
            ),
            (
                "arn",
                "\n\nflow_arn = \"arn:aws:s3:::bucket\"\n",
                ":3: flow_arn",
            ),
            (
                "role",
                "medialive_role_arn = \"role/x\"\n",
                ":1: medialive_role_arn",
            ),
            ("table", "table = \"a b\"\n", "table"),
            ("zero", "refresh_interval = 0\n", "refresh_interval"),
        ];
        for (name, text, needle) in cases {
            let err = load(write(name, text), &[]).unwrap_err().to_string();
            assert!(err.contains("config.toml"), "{name}: {err}");
            assert!(err.contains(needle), "{name}: {err}");
        }
    }

    #[test]
    fn the_reconnect_window_and_restart_keys_are_checked_and_default_to_riding_out_two_minutes() {
        let s = load(write("defaults", ""), &[]).unwrap();
        assert_eq!(s.rtmp_reconnect_window, Duration::from_secs(300));
        assert!(s.auto_restart);
        assert_eq!(s.restart_attempts, 3);
        assert_eq!(s.restart_backoff, Duration::from_secs(10));
        let text = "rtmp_reconnect_window = \"2m\"\nauto_restart = false\nrestart_attempts = 5\nrestart_backoff = \"30s\"\n";
        let s = load(write("restart", text), &[]).unwrap();
        assert_eq!(s.rtmp_reconnect_window, Duration::from_secs(120));
        assert!(!s.auto_restart);
        assert_eq!(s.restart_attempts, 5);
        assert_eq!(s.restart_backoff, Duration::from_secs(30));
        for (bad, key) in [
            (
                "rtmp_reconnect_window = \"10s\"\n",
                ":1: rtmp_reconnect_window",
            ),
            (
                "rtmp_reconnect_window = \"2h\"\n",
                ":1: rtmp_reconnect_window",
            ),
            ("restart_backoff = \"1h\"\n", ":1: restart_backoff"),
            ("restart_attempts = 50\n", ":1: restart_attempts"),
        ] {
            let err = load(write("bad-restart", bad), &[])
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{bad}: {err}");
        }
    }

    #[test]
    fn park_after_takes_durations_and_never() {
        assert_eq!(parse_park_after("30m"), Ok(Some(Duration::from_secs(1800))));
        assert_eq!(parse_park_after("2h"), Ok(Some(Duration::from_secs(7200))));
        assert_eq!(parse_park_after("never"), Ok(None));
        assert!(parse_park_after("10s").is_err());
        assert!(parse_park_after("soon").is_err());
        let err = load(write("park", "park_after = \"soon\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(":1: park_after"), "{err}");
        let s = load(write("park-default", ""), &[]).unwrap();
        assert_eq!(s.park_after, Some(Duration::from_secs(1800)));
    }

    const TWO_SHOWS: &str = "region = \"eu-west-1\"\n\
        default_env = \"rehearsal\"\n\
        \n\
        [environments.rehearsal]\n\
        table = \"onair-rehearsal\"\n\
        \n\
        [environments.show]\n\
        table = \"onair-show\"\n\
        production = true\n\
        account_id = \"123456789012\"\n";

    fn load_env(
        path: PathBuf,
        flag: Option<&str>,
        env: &[(&str, &str)],
    ) -> Result<Settings, ConfigError> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load(
            &Overrides {
                config: Some(path),
                env: flag.map(str::to_string),
                ..Overrides::default()
            },
            move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
        )
    }

    #[test]
    fn an_environment_is_chosen_by_flag_then_variable_then_default_env() {
        let path = write("envs", TWO_SHOWS);
        let s = load_env(path.clone(), None, &[]).unwrap();
        assert_eq!(s.table.as_deref(), Some("onair-rehearsal"));
        assert_eq!(
            s.region.as_deref(),
            Some("eu-west-1"),
            "top-level keys stay"
        );
        let env = s.environment.unwrap();
        assert_eq!((env.name.as_str(), env.production), ("rehearsal", false));
        let s = load_env(path.clone(), None, &[("ONAIR_ENV", "show")]).unwrap();
        assert_eq!(s.table.as_deref(), Some("onair-show"));
        let env = s.environment.unwrap();
        assert!(env.production);
        assert_eq!(env.account_id.as_deref(), Some("123456789012"));
        let s = load_env(path.clone(), Some("rehearsal"), &[("ONAIR_ENV", "show")]).unwrap();
        assert_eq!(s.table.as_deref(), Some("onair-rehearsal"), "the flag wins");
        // The environment's variables still beat the file, as for any key.
        let s = load_env(path, Some("show"), &[("ONAIR_TABLE", "from-env")]).unwrap();
        assert_eq!(s.table.as_deref(), Some("from-env"));
    }

    #[test]
    fn a_file_without_environments_works_as_before_and_names_none_chosen() {
        let path = write("no-envs", "table = \"plain\"\n");
        let s = load_env(path.clone(), None, &[]).unwrap();
        assert_eq!(s.environment, None);
        let err = load_env(path, Some("show"), &[]).unwrap_err().to_string();
        assert!(
            err.contains("--env") && err.contains("\"show\"") && err.contains("has none"),
            "{err}"
        );
    }

    #[test]
    fn unknown_unchosen_and_doubly_set_environments_are_named_errors() {
        let err = load_env(write("env-unknown", TWO_SHOWS), Some("prod"), &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"prod\"") && err.contains("rehearsal, show"),
            "{err}"
        );
        let err = load_env(
            write("env-var-unknown", TWO_SHOWS),
            None,
            &[("ONAIR_ENV", "x")],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("ONAIR_ENV"), "{err}");
        let no_default = TWO_SHOWS.replace("default_env = \"rehearsal\"\n", "");
        let err = load_env(write("env-unchosen", &no_default), None, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("choose one") && err.contains("rehearsal, show"),
            "{err}"
        );
        let both = TWO_SHOWS.replace("region = \"eu-west-1\"\n", "table = \"top\"\n");
        let err = load_env(write("env-both", &both), None, &[])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":5: environments.rehearsal.table") && err.contains("top level (line 1)"),
            "{err}"
        );
        let bad_default =
            TWO_SHOWS.replace("default_env = \"rehearsal\"", "default_env = \"prod\"");
        let err = load_env(write("env-default", &bad_default), None, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2: default_env"), "{err}");
        let bad_account = TWO_SHOWS.replace("123456789012", "1234");
        let err = load_env(write("env-account", &bad_account), None, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(":10: environments.show.account_id"), "{err}");
        let bad_value = TWO_SHOWS.replace("table = \"onair-show\"", "park_after = \"soon\"");
        let err = load_env(write("env-value", &bad_value), None, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(":8: environments.show.park_after"), "{err}");
        let unknown_key = TWO_SHOWS.replace("production = true", "prodution = true");
        let err = load_env(write("env-key", &unknown_key), None, &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(":9:") && err.contains("prodution"), "{err}");
    }

    #[test]
    fn watch_channels_take_channel_ids_only() {
        let s = load(write("watch", "watch_channels = [\"1234567\"]\n"), &[]).unwrap();
        assert_eq!(s.watch_channels, ["1234567"]);
        let err = load(
            write("watch-bad", "\nwatch_channels = [\"prod-hls\"]\n"),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(":2: watch_channels"), "{err}");
    }

    #[test]
    fn a_presets_file_beside_the_config_is_read_without_the_key() {
        let path = write("presets-beside", "");
        let s = load(path.clone(), &[]).unwrap();
        assert_eq!(s.presets, None);
        let beside = path.parent().unwrap().join("presets.toml");
        std::fs::write(&beside, "").unwrap();
        let s = load(path.clone(), &[]).unwrap();
        assert_eq!(s.presets.as_deref(), Some(beside.as_path()));
        let _ = std::fs::remove_file(beside);
    }

    #[test]
    fn aws_timeouts_default_per_kind_of_call_and_come_from_file_or_environment() {
        let s = load(write("timeouts-default", ""), &[]).unwrap();
        assert_eq!(s.aws_timeouts, AwsTimeouts::default());
        assert!(s.aws_timeouts.read < s.aws_timeouts.write);
        let s = load(
            write(
                "timeouts",
                "aws_connect_timeout = \"2s\"\naws_read_timeout = \"5s\"\n",
            ),
            &[
                ("ONAIR_AWS_READ_TIMEOUT", "7s"),
                ("ONAIR_AWS_WRITE_TIMEOUT", "1m"),
            ],
        )
        .unwrap();
        assert_eq!(s.aws_timeouts.connect, Duration::from_secs(2));
        assert_eq!(s.aws_timeouts.read, Duration::from_secs(7));
        assert_eq!(s.aws_timeouts.write, Duration::from_secs(60));
        let err = load(write("timeouts-bad", "\naws_read_timeout = \"0s\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2: aws_read_timeout"), "{err}");
        let err = load(
            write("timeouts-env", ""),
            &[("ONAIR_AWS_CONNECT_TIMEOUT", "forever")],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("ONAIR_AWS_CONNECT_TIMEOUT"), "{err}");
    }

    #[test]
    fn wiring_defaults_to_mediaconnect_and_takes_the_seeds_rtp_push() {
        let s = load(write("wiring-default", ""), &[]).unwrap();
        assert_eq!(s.wiring, Wiring::Mediaconnect);
        let s = load(write("wiring-rtp", "wiring = \"rtp-push\"\n"), &[]).unwrap();
        assert_eq!(s.wiring, Wiring::RtpPush);
        let err = load(write("wiring-bad", "wiring = \"rtp\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("wiring"), "{err}");
        assert!(
            err.contains("rtp-push"),
            "the allowed values are named: {err}"
        );
    }

    #[test]
    fn environment_values_get_the_same_checks_as_the_file_and_name_the_variable() {
        let cases = [
            ("ONAIR_FLOW_ARN", "arn:aws:s3:::bucket", "flow_arn"),
            (
                "ONAIR_MEDIALIVE_ROLE_ARN",
                "MediaLiveAccessRole",
                "medialive_role_arn",
            ),
            ("ONAIR_TABLE", "a b", "table"),
        ];
        for (var, value, key) in cases {
            let path = write(&format!("env-{key}"), "");
            let err = load(path, &[(var, value)]).unwrap_err();
            assert!(
                matches!(err, ConfigError::InvalidEnv { .. }),
                "{var}: {err:?}"
            );
            let text = err.to_string();
            assert!(text.starts_with(&format!("{var}: {key}: ")), "{text}");
        }
    }

    #[test]
    fn a_relative_presets_path_is_relative_to_the_config_file() {
        let path = write("presets-rel", "presets = \"mine.toml\"\n");
        let s = load(path.clone(), &[]).unwrap();
        assert_eq!(s.presets, Some(path.parent().unwrap().join("mine.toml")));
    }

    #[test]
    fn an_explicit_config_file_that_does_not_exist_is_an_error() {
        let err = load(PathBuf::from("/nonexistent/onair.toml"), &[]).unwrap_err();
        assert!(
            matches!(
                &err,
                ConfigError::File(LoadError {
                    what: loader::Problem::Unreadable(_),
                    ..
                })
            ),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .starts_with("/nonexistent/onair.toml: cannot read: "),
            "{err}"
        );
    }

    #[test]
    fn the_kms_key_comes_from_the_file_or_the_environment_and_is_checked() {
        let path = write("kms", "stream_key_kms_key = \"alias/onair-stream-keys\"\n");
        let s = load(path.clone(), &[]).unwrap();
        assert_eq!(
            s.stream_key_kms_key.as_deref(),
            Some("alias/onair-stream-keys")
        );
        let arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let s = load(path, &[("ONAIR_STREAM_KEY_KMS_KEY", arn)]).unwrap();
        assert_eq!(s.stream_key_kms_key.as_deref(), Some(arn));
        assert_eq!(
            load(write("kms-none", ""), &[]).unwrap().stream_key_kms_key,
            None
        );

        for good in [
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "mrk-1234abcd12ab34cd56ef1234567890ab",
            "alias/show_keys",
            "arn:aws:kms:us-east-1:123456789012:alias/show-keys",
            "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ] {
            assert!(kms_key_name(good), "{good}");
        }
        for bad in [
            "onair-keys",
            "alias/",
            "alias/has space",
            "arn:aws:s3:::bucket",
            "arn:aws:kms:us-east-1:123:key/abc",
            "",
        ] {
            assert!(!kms_key_name(bad), "{bad}");
        }
        let err = load(write("kms-bad", "\nstream_key_kms_key = \"my key\"\n"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2: stream_key_kms_key"), "{err}");
        let err = load(
            write("kms-env", ""),
            &[("ONAIR_STREAM_KEY_KMS_KEY", "oops")],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("ONAIR_STREAM_KEY_KMS_KEY: stream_key_kms_key: "),
            "{err}"
        );
    }

    #[test]
    fn the_alarm_topic_is_an_sns_topic_arn_or_nothing() {
        let arn = "arn:aws:sns:us-east-1:111122223333:onair-alarms";
        let s = load(
            write("topic", &format!("alarm_topic_arn = \"{arn}\"\n")),
            &[],
        )
        .unwrap();
        assert_eq!(s.alarm_topic_arn.as_deref(), Some(arn));
        assert_eq!(
            load(write("topic-none", ""), &[]).unwrap().alarm_topic_arn,
            None
        );
        for bad in [
            "onair-alarms",
            "arn:aws:sns:us-east-1:111122223333",
            "arn:aws:sns:us-east-1:1111:onair-alarms",
            "arn:aws:sqs:us-east-1:111122223333:onair-alarms",
            "arn:aws:sns:us-east-1:111122223333:has space",
            "arn:aws:sns::111122223333:t",
        ] {
            assert!(!sns_topic_arn(bad), "{bad}");
        }
        let err = load(
            write(
                "topic-bad",
                "\n\nalarm_topic_arn = \"arn:aws:sns:us-east-1:1:t\"\n",
            ),
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains(":3: alarm_topic_arn"), "{err}");
        assert!(err.contains("SNS topic ARN"), "{err}");
    }
}
