//! The `onair` binary: error reporting, the runtime, and the command line.

use clap::Parser;
use onair::cli::{self, Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    // color-eyre first: ratatui's own panic hook (installed when the TUI starts) chains to it,
    // so a panic restores the terminal before the report is printed.
    if let Err(e) = color_eyre::install() {
        eprintln!("onair: {e}");
    }
    // Before anything holds a stream key.
    onair::logging::forbid_core_dumps();
    // While this is the only thread: the local offset can't be read safely once others run.
    onair::domain::when::init_local_offset();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("onair: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(cli::run(cli))
}
