//! The edges of the program: parse the command line, resolve the configuration, build the
//! engine on AWS or on the simulator, and hand it to the TUI or to a headless command.
//! Exit codes (BRIEF §4): 0 done, 2 bad input or refused (nothing changed), 1 AWS or other failure.

pub mod args;
mod commands;
mod demo;
mod doctor;

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
    match dispatch(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("onair: {e}");
            e.exit_code()
        }
    }
}

async fn dispatch(cli: Cli) -> Result<(), CliError> {
    let overrides = Overrides {
        config: cli.global.config.clone(),
        profile: cli.global.profile.clone(),
        region: cli.global.region.clone(),
        readonly: cli.global.readonly,
        theme: cli.global.theme.clone(),
    };
    let settings = Settings::load(&overrides, |k| std::env::var(k).ok())?;
    // Without a log file onair still runs: say so once, on stderr, before the TUI takes over.
    if let Err(e) = crate::logging::init(cli.global.log_level.as_deref()) {
        eprintln!("onair: no log file: {e}");
    }
    match cli.command {
        Some(Command::Demo(args)) => demo::run(args, &settings).await,
        None => commands::tui(&settings).await,
        Some(Command::List(args)) => commands::list(&settings, args.json).await,
        Some(Command::Add(args)) => commands::add(&settings, args).await,
        Some(Command::Start(t)) => commands::start_stop(&settings, &t.targets, true).await,
        Some(Command::Stop(t)) => commands::start_stop(&settings, &t.targets, false).await,
        Some(Command::Rm(args)) => commands::rm(&settings, &args.targets, args.yes).await,
        Some(Command::Flow(args)) => commands::flow(&settings, args.json).await,
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
