//! `onair serve`: reads the API's settings (tokens file, CORS, rate), refuses an open listener
//! without tokens (exit 2, before anything is built), builds the engine on AWS or the simulator
//! and hands it to [`crate::serve::run`].

use super::CliError;
use super::args::{DemoArgs, ServeArgs};
use crate::config::Settings;
use crate::serve::{self, ServeOptions, auth::Tokens};

/// The tokens file named by `api_tokens_file` / ONAIR_API_TOKENS_FILE, or none.
fn tokens(settings: &Settings) -> Result<Tokens, CliError> {
    let Some(path) = &settings.api_tokens_file else {
        return Ok(Tokens::none());
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::Refused(format!(
            "api_tokens_file {shown}: can't be read ({e}); fix it or unset api_tokens_file"
        ))
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            eprintln!(
                "onair: warning: {shown} can be read by other users: chmod 600 it (it holds API tokens)"
            );
        }
    }
    Tokens::parse(&text, &shown).map_err(CliError::Refused)
}

pub async fn run(args: ServeArgs, settings: &Settings) -> Result<(), CliError> {
    let tokens = tokens(settings)?;
    serve::check_listener(args.listen, &tokens).map_err(CliError::Refused)?;
    let mut options = ServeOptions::new(args.listen);
    options.tokens = tokens;
    options.cors_origins = settings.api_cors_origins.clone();
    options.rate_limit = settings.api_rate_limit;
    let (engine, events) = if args.demo {
        let demo = DemoArgs {
            sample: args.sample_size.is_none(),
            sample_size: args.sample_size,
            speed: args.speed,
        };
        let rig = super::demo::rig(&demo, settings)?;
        // The simulator lives as long as the engine's cloud handles do.
        (rig.engine, rig.events)
    } else {
        let aws = super::commands::connect(settings, true).await?;
        (aws.engine, aws.events)
    };
    serve::run(engine, events, options).await?;
    Ok(())
}
