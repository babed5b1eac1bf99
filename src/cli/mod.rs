//! The edges of the program: parse the command line, resolve the configuration, build the
//! engine on AWS or on the simulator, and hand it to the TUI or to a headless command.
//! Exit codes (BRIEF §4): 0 done, 2 bad input or refused (nothing changed), 1 AWS or other failure.

mod account;
pub mod args;
mod commands;
mod demo;
mod doctor;
mod key_source;
mod quota;
mod schedule;
mod serve;
mod show_file;

pub use args::Cli;

use crate::cloud::CloudError;
use crate::config::{ConfigError, Overrides, Settings};
use crate::engine::Refusal;
use args::Command;
use std::process::ExitCode;

/// Why a command ended without doing what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input or a refusal: nothing was changed. Exit 2.
    #[error("{0}")]
    Refused(String),
    /// AWS or something else failed part-way. Exit 1.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Refused(_) => ExitCode::from(2),
            CliError::Failed(_) => ExitCode::from(1),
        }
    }
}

impl From<Refusal> for CliError {
    fn from(r: Refusal) -> Self {
        CliError::Refused(r.to_string())
    }
}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::Refused(e.to_string())
    }
}

impl From<CloudError> for CliError {
    fn from(e: CloudError) -> Self {
        CliError::Failed(e.to_string())
    }
}

impl From<color_eyre::Report> for CliError {
    fn from(e: color_eyre::Report) -> Self {
        CliError::Failed(format!("{e:#}"))
    }
}

/// Runs the parsed command line to its exit code.
pub async fn run(cli: Cli) -> ExitCode {
    // The profile asked for, to name it when its credentials are missing.
    let profile = cli
        .global
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok());
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Messages quote names and AWS's words: each line is made safe for the terminal
            // (the line breaks between several destinations' results are onair's own).
            for line in e.to_string().split('\n') {
                eprintln!("onair: {}", crate::domain::for_terminal(line));
            }
            if let CliError::Failed(message) = &e
                && let Some(hint) = hint(message, profile.as_deref(), |k| std::env::var(k).ok())
            {
                eprintln!("onair: {hint}");
            }
            e.exit_code()
        }
    }
}

/// What to do about a call that never reached AWS, told apart by cause: no credentials (for
/// which profile), or no connection (to which endpoint, and where that came from). The SDK's
/// own words ("dispatch failure") name neither.
fn hint(
    message: &str,
    profile: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Option<String> {
    if message.contains("no AWS credentials") {
        return Some(match profile.filter(|p| !p.is_empty()) {
            Some(p) => format!(
                "no credentials for profile {p:?}: check that it exists \
                 (`aws configure list-profiles`) and that its login is current \
                 (`aws sso login --profile {p}`)"
            ),
            None => "no AWS credentials found: name a profile (--profile, AWS_PROFILE or \
                     `profile` in config.toml), run `aws sso login`, or set \
                     AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                .to_string(),
        });
    }
    if !message.contains("dispatch failure") {
        return None;
    }
    Some(match env("AWS_ENDPOINT_URL").filter(|u| !u.is_empty()) {
        Some(url) => format!(
            "AWS could not be reached at AWS_ENDPOINT_URL={url}: check it, or unset it to use \
             AWS's own endpoints"
        ),
        None => "AWS could not be reached: check the network, the region and any \
                 AWS_ENDPOINT_URL_* variables"
            .to_string(),
    })
}

const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// `--log-level`: a level, or comma-separated `target=level` directives. tracing's own parser
/// takes a bare word as a target name, so `--log-level verbose` would silently log nothing and a
/// malformed one only cost the log file: both are refused here, before anything runs.
fn check_log_level(level: &str) -> Result<(), CliError> {
    let refuse = |why: String| {
        CliError::Refused(format!(
            "--log-level {level:?}: {why}; use one of {} or target=level (e.g. onair=debug)",
            LEVELS.join(", ")
        ))
    };
    if level.trim().is_empty() {
        return Err(refuse("is empty".into()));
    }
    for directive in level.split(',').map(str::trim) {
        let word = directive
            .rsplit_once('=')
            .map_or(directive, |(_, level)| level);
        if !LEVELS.iter().any(|l| l.eq_ignore_ascii_case(word.trim())) {
            return Err(refuse(format!("{word:?} is not a level")));
        }
    }
    tracing_subscriber::EnvFilter::try_new(level).map_err(|e| refuse(e.to_string()))?;
    Ok(())
}

async fn dispatch(cli: Cli) -> Result<(), CliError> {
    let overrides = Overrides {
        config: cli.global.config.clone(),
        profile: cli.global.profile.clone(),
        region: cli.global.region.clone(),
        readonly: cli.global.readonly,
        theme: cli.global.theme.clone(),
        env: cli.global.env.clone(),
    };
    if let Some(level) = cli.global.log_level.as_deref() {
        check_log_level(level)?;
    }
    let settings = Settings::load(&overrides, |k| std::env::var(k).ok())?;
    // Without a log file onair still runs: say so once, on stderr, before the TUI takes over.
    if let Err(e) = crate::logging::init(cli.global.log_level.as_deref()) {
        eprintln!("onair: no log file: {e}");
    }
    match cli.command {
        Some(Command::Demo(args)) => demo::run(args, &settings, &overrides).await,
        None => commands::tui(&settings, &overrides).await,
        Some(Command::List(args)) => commands::list(&settings, args.json).await,
        Some(Command::Add(args)) => commands::add(&settings, args).await,
        Some(Command::Start(t)) => commands::start_stop(&settings, &t.targets, true).await,
        Some(Command::Stop(t)) => commands::start_stop(&settings, &t.targets, false).await,
        Some(Command::Rm(args)) if args.force => {
            commands::rm_unreadable(&settings, &args.targets, args.yes).await
        }
        Some(Command::Rm(args)) => commands::rm(&settings, &args.targets, args.yes).await,
        Some(Command::Flow(args)) => commands::flow(&settings, args.json).await,
        Some(Command::Edit(args)) => commands::edit(&settings, args).await,
        Some(Command::Init) => commands::init(&settings).await,
        Some(Command::Reconcile) => commands::reconcile(&settings).await,
        Some(Command::Doctor { demo }) => doctor::run(&settings, demo).await,
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut text = Vec::new();
            clap_complete::generate(shell, &mut command, "onair", &mut text);
            print_all(&text)
        }
        Some(Command::Man) => {
            let command = <Cli as clap::CommandFactory>::command();
            let mut text = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut text)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            print_all(&text)
        }
        Some(Command::Gc(args)) => commands::gc(&settings, args.delete, args.json).await,
        Some(Command::Export(args)) => commands::export(&settings, args).await,
        Some(Command::Import(args)) => commands::import(&settings, args).await,
        Some(Command::Quota(args)) => quota::run(&settings, args).await,
        Some(Command::Schedule(args)) if args.list => schedule::list(&settings, args.json).await,
        Some(Command::Schedule(args)) => schedule::schedule(&settings, args).await,
        Some(Command::Unschedule(t)) => schedule::unschedule(&settings, &t.targets).await,
        Some(Command::Extend(args)) => schedule::extend(&settings, args).await,
        Some(Command::Serve(args)) => serve::run(args, &settings).await,
    }
}

/// Writes to standard output; a reader that went away early (`| head`) is not an error.
fn print_all(bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    match std::io::stdout().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::Failed(e.to_string()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn missing_credentials_are_not_called_unreachable_and_name_the_profile() {
        let message = "Scan: access denied: no AWS credentials (dispatch failure: other: \
                       no providers in chain provided credentials)";
        let named = hint(message, Some("nosuch"), no_env).unwrap();
        assert!(
            named.contains("\"nosuch\"") && !named.contains("reached"),
            "{named}"
        );
        let unnamed = hint(message, None, no_env).unwrap();
        assert!(unnamed.contains("AWS_PROFILE"), "{unnamed}");
    }

    #[test]
    fn an_unreachable_endpoint_names_where_it_came_from() {
        let message = "Scan: service unavailable: http://127.0.0.1:9 could not be reached \
                       (dispatch failure: io error: Connection refused)";
        let from_env = |k: &str| (k == "AWS_ENDPOINT_URL").then(|| "http://127.0.0.1:9".into());
        let h = hint(message, None, from_env).unwrap();
        assert!(h.contains("AWS_ENDPOINT_URL=http://127.0.0.1:9"), "{h}");
        assert!(hint("Scan: throttled", None, no_env).is_none());
    }
}
