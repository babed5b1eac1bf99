//! The command line of BRIEF §4, parsed by clap.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "onair",
    version,
    about = "A terminal control room for live-event streaming on AWS Elemental MediaConnect and MediaLive",
    long_about = "Run with no command for the control room against AWS, or `onair demo` for the same control room on a built-in simulator (no AWS account needed)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file (default: $XDG_CONFIG_HOME/onair/config.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// AWS profile (else AWS_PROFILE, else the config file).
    #[arg(long, global = true, value_name = "P")]
    pub profile: Option<String>,
    /// AWS region (else AWS_REGION, else the profile or config file).
    #[arg(long, global = true, value_name = "R")]
    pub region: Option<String>,
    /// Refuse every action that changes AWS or the table.
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Theme: default, light, high-contrast (built in) or a path to a theme .toml file.
    #[arg(long, global = true, value_name = "T")]
    pub theme: Option<String>,
    /// The named environment of the config file to use (else ONAIR_ENV, else `default_env`).
    #[arg(long, global = true, value_name = "NAME")]
    pub env: Option<String>,
    /// Log level for the log file (else RUST_LOG, else info), e.g. debug or onair=trace.
    #[arg(long, global = true, value_name = "L")]
    pub log_level: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The control room on the built-in simulator of AWS: no account needed.
    Demo(DemoArgs),
    /// Destinations with state, preset and platform (stream keys masked).
    List(JsonArg),
    /// Add a destination: creates its MediaLive input and channel.
    Add(AddArgs),
    /// Start destinations (by id, id prefix or name).
    Start(Targets),
    /// Stop destinations.
    Stop(Targets),
    /// Delete destinations and their whole AWS chain.
    Rm(RmArgs),
    /// Change a destination; a live one is restarted only with --restart.
    Edit(EditArgs),
    /// The MediaConnect flow and its outputs.
    Flow(JsonArg),
    /// Create the DynamoDB table (pay per request, point-in-time recovery on) if missing.
    Init,
    /// Bring AWS in line with the records now: finish or roll back anything interrupted.
    Reconcile,
    /// Pre-flight checks: credentials, region, table, flow, role, PassRole, quotas.
    Doctor {
        /// Check the built-in simulator instead of AWS.
        #[arg(long)]
        demo: bool,
    },
    /// Shell completions on standard output (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The man page (roff) on standard output.
    Man,
    /// List orphaned resources (onair's, owned by no record) and records whose resources vanished.
    Gc(GcArgs),
    /// Write the show's destinations (no stream keys) as a versioned file on stdout.
    Export(ExportArgs),
    /// Create a show's destinations from an export, all or none.
    Import(ImportArgs),
    /// The account's MediaLive quotas (Service Quotas) with their use; `request KIND N` files
    /// an increase.
    Quota(QuotaArgs),
    /// Put destinations on air at a time (and stop them) with onair closed: EventBridge
    /// Scheduler starts the channel a lead ahead (`schedule_lead`, 10 min). `--list` shows
    /// every schedule.
    Schedule(ScheduleArgs),
    /// Remove destinations' go-live and stop schedules.
    Unschedule(Targets),
    /// Move a destination's stop-by deadline later (e.g. `onair extend Main 2h`).
    Extend(ExtendArgs),
    /// The seed's REST API, an event stream and a read-only status page over the same engine,
    /// headless (tokens from api_tokens_file; without them only a loopback address).
    Serve(ServeArgs),
}

#[derive(Debug, Args, Clone, Default)]
pub struct QuotaArgs {
    #[arg(long)]
    pub json: bool,
    #[command(subcommand)]
    pub action: Option<QuotaAction>,
}

#[derive(Debug, Subcommand, Clone)]
pub enum QuotaAction {
    /// File an increase with Service Quotas: `onair quota request channels 20`.
    Request {
        /// channels, inputs or security-groups.
        kind: String,
        /// The value asked for (more than allowed now).
        value: u32,
    },
}

#[derive(Debug, Args, Clone)]
pub struct ScheduleArgs {
    /// Ids, id prefixes (4+ characters) or names.
    #[arg(value_name = "ID_OR_NAME", required_unless_present = "list")]
    pub targets: Vec<String>,
    /// When to be on air: 19:30 (next occurrence, local time), +45m, or RFC 3339.
    #[arg(long, value_name = "TIME", required_unless_present_any = ["list", "stop"])]
    pub start: Option<String>,
    /// When to stop: the same forms.
    #[arg(long, value_name = "TIME")]
    pub stop: Option<String>,
    /// Every destination's schedules.
    #[arg(long, conflicts_with_all = ["start", "stop", "targets"])]
    pub list: bool,
    /// With --list: JSON.
    #[arg(long, requires = "list")]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ExtendArgs {
    #[arg(value_name = "ID_OR_NAME")]
    pub target: String,
    /// How much later: 30m, 2h, 1h30m.
    #[arg(value_name = "DURATION")]
    pub by: String,
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR", default_value = crate::serve::DEFAULT_LISTEN)]
    pub listen: std::net::SocketAddr,
    /// Serve the built-in simulator (with the demo's sample show) instead of AWS.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: multiply simulated AWS delays (default 0.03).
    #[arg(long, value_name = "FACTOR", requires = "demo")]
    pub speed: Option<f64>,
    /// With --demo: N destinations instead of the sample show, all started.
    #[arg(long, value_name = "N", requires = "demo", value_parser = clap::value_parser!(u16).range(1..=50))]
    pub sample_size: Option<u16>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ExportArgs {
    /// JSON instead of TOML.
    #[arg(long)]
    pub json: bool,
    /// Include KMS-sealed keys as their ciphertext (a backup: they decrypt only for the
    /// destination they were sealed for).
    #[arg(long)]
    pub sealed: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    /// The show file (TOML or JSON, as `onair export` writes it).
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,
    /// Stream keys: one `NAME KEY` line per destination (never on the command line).
    #[arg(long, value_name = "FILE")]
    pub keys: Option<std::path::PathBuf>,
    /// Edit destinations that already have a name from the file, in place.
    #[arg(long)]
    pub replace: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct DemoArgs {
    /// Preload a sample show: two YouTube feeds, Twitch and a custom RTMP server.
    #[arg(long)]
    pub sample: bool,
    /// Preload N destinations instead and start them all (a load for measurements; the
    /// simulated channel and input quotas are raised to fit, at most 50: one flow's outputs).
    #[arg(long, value_name = "N", conflicts_with = "sample", value_parser = clap::value_parser!(u16).range(1..=50))]
    pub sample_size: Option<u16>,
    /// Multiply simulated AWS delays (1.0 = realistic minutes; default 0.03 = seconds).
    #[arg(long, value_name = "FACTOR")]
    pub speed: Option<f64>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct JsonArg {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct AddArgs {
    #[arg(long, value_name = "N")]
    pub name: String,
    /// youtube, twitch, linkedin, facebook or custom.
    #[arg(long, value_name = "P")]
    pub platform: String,
    /// RTMP(S) ingest URL (default: the platform's; required for linkedin and custom).
    #[arg(long, value_name = "U")]
    pub url: Option<String>,
    /// Stream key. A flag shows in the process list: prefer --key-file, or ONAIR_STREAM_KEY,
    /// which add reads when neither --key nor --key-file is given.
    #[arg(long, value_name = "K", conflicts_with = "key_file")]
    pub key: Option<String>,
    /// Read the stream key from FILE's first line (`-`: standard input).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<std::path::PathBuf>,
    /// 720p30, 1080p30, 1080p60 or a preset from presets.toml.
    #[arg(long, value_name = "P", default_value = "1080p30")]
    pub preset: String,
    /// Start it once created.
    #[arg(long)]
    pub start: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GcArgs {
    /// Remove the orphaned resources (records are left: `onair rm` removes a drifted one).
    #[arg(long)]
    pub delete: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct EditArgs {
    /// Id, id prefix or name.
    #[arg(value_name = "ID_OR_NAME")]
    pub target: String,
    #[arg(long, value_name = "N")]
    pub name: Option<String>,
    #[arg(long, value_name = "P")]
    pub platform: Option<String>,
    #[arg(long, value_name = "U")]
    pub url: Option<String>,
    /// New stream key. A flag shows in the process list: prefer --key-file or --key-from-env.
    /// Without one of the three the key is left as it is.
    #[arg(long, value_name = "K", conflicts_with_all = ["key_file", "key_from_env"])]
    pub key: Option<String>,
    /// Read the new stream key from FILE's first line (`-`: standard input).
    #[arg(long, value_name = "FILE", conflicts_with = "key_from_env")]
    pub key_file: Option<std::path::PathBuf>,
    /// Take the new stream key from ONAIR_STREAM_KEY (edit never reads it unasked, so a key
    /// left in the environment by an add can't move onto another destination).
    #[arg(long)]
    pub key_from_env: bool,
    #[arg(long, value_name = "P")]
    pub preset: Option<String>,
    /// Apply to a live destination by restarting its channel.
    #[arg(long)]
    pub restart: bool,
}

#[derive(Debug, Args, Clone)]
pub struct Targets {
    /// Ids, id prefixes (4+ characters) or names.
    #[arg(required = true, value_name = "ID_OR_NAME")]
    pub targets: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub struct RmArgs {
    #[arg(required = true, value_name = "ID_OR_NAME")]
    pub targets: Vec<String>,
    /// Don't ask.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Remove items onair can't read (`list` marks them UNREADABLE) from the table: the item
    /// only, never the AWS resources it may own.
    #[arg(long)]
    pub force: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_anywhere() {
        let cli =
            Cli::try_parse_from(["onair", "list", "--json", "--region", "eu-west-1"]).unwrap();
        assert_eq!(cli.global.region.as_deref(), Some("eu-west-1"));
        assert!(matches!(
            cli.command,
            Some(Command::List(JsonArg { json: true }))
        ));
    }
}
