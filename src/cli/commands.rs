//! The control room against AWS, and the headless commands for scripts.

use super::CliError;
use super::account::Account;
use super::args::AddArgs;
use crate::clock::Clock;
use crate::cloud::aws::{self, AwsBackend, AwsOptions};
use crate::config::{Overrides, Settings};
use crate::domain::text::{json_for_terminal, safe};
use crate::domain::{
    Catalog, Destination, DestinationDraft, DestinationId, Status, StreamKey, UnreadableRecord,
};
use crate::engine::{Engine, EngineConfig, EngineEvent, OpKind};
use crate::tui::{self, BUILTIN_THEMES, Session, Theme, TuiOptions};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

/// The presets catalog: the built-in one, with the config's `presets` file laid over it.
pub fn catalog(settings: &Settings) -> Result<Catalog, CliError> {
    match &settings.presets {
        Some(path) => {
            Catalog::load_over_builtin(path).map_err(|e| CliError::Refused(e.to_string()))
        }
        None => Ok(Catalog::builtin()),
    }
}

/// `--theme` / `ONAIR_THEME` / `theme`: a built-in name or a path; NO_COLOR wins over all.
pub fn theme(settings: &Settings) -> Result<Theme, CliError> {
    let theme = match settings.theme.as_deref() {
        None => Theme::default_dark(),
        Some(name) => match BUILTIN_THEMES.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => Theme::parse(text, &format!("themes/{n}.toml"))
                .map_err(|e| CliError::Refused(e.to_string()))?,
            None if name.contains('/') || name.ends_with(".toml") => {
                Theme::load(Path::new(name)).map_err(|e| CliError::Refused(e.to_string()))?
            }
            None => {
                let names: Vec<&str> = BUILTIN_THEMES.iter().map(|(n, _)| *n).collect();
                return Err(CliError::Refused(format!(
                    "theme {name:?}: not a built-in theme ({}) nor a path to a .toml file",
                    names.join(", ")
                )));
            }
        },
    };
    Ok(Theme::honouring_no_color(theme))
}

/// What every AWS-mode command needs, checked before any AWS call.
pub(super) struct Aws {
    pub(super) backend: AwsBackend,
    pub(super) engine: Engine,
    pub(super) events: UnboundedReceiver<EngineEvent>,
    /// Read when a pin is checked, or when something shows it.
    account: Option<Account>,
}

pub(super) async fn connect(settings: &Settings, needs_chain: bool) -> Result<Aws, CliError> {
    let table = settings.require("table")?.to_string();
    let (flow_arn, role_arn) = if needs_chain {
        (
            settings.require("flow_arn")?.to_string(),
            settings.require("medialive_role_arn")?.to_string(),
        )
    } else {
        (
            settings.flow_arn.clone().unwrap_or_default(),
            settings.medialive_role_arn.clone().unwrap_or_default(),
        )
    };
    let catalog = catalog(settings)?;
    let backend = aws::connect(&AwsOptions {
        region: settings.region.clone(),
        profile: settings.profile.clone(),
        table: table.clone(),
        timeouts: settings.aws_timeouts,
    })
    .await;
    if backend.region.is_none() {
        return Err(CliError::Refused(format!(
            "region is not set: use --region, AWS_REGION, a profile with a region, or `region` in {}",
            settings.file.display()
        )));
    }
    let account = check_pinned_account(settings, &backend, needs_chain).await?;
    let mut config = EngineConfig::new(flow_arn, role_arn);
    // Every resource is tagged with the table, and gc deletes only this table's.
    config.table = table;
    config.refresh_interval = settings.refresh_interval;
    config.channel_quota = settings.channel_quota;
    config.input_quota = settings.input_quota;
    config.park_after = settings.park_after;
    config.wiring = settings.wiring;
    config.readonly = settings.readonly;
    config.stream_key_kms_key = settings.stream_key_kms_key.clone();
    config.call_attempts = 1;
    config.rtmp_reconnect = crate::cloud::RtmpReconnect::for_window(settings.rtmp_reconnect_window);
    config.auto_restart = settings.auto_restart;
    config.restart_attempts = settings.restart_attempts;
    config.restart_backoff = settings.restart_backoff;
    config.watch_channels = settings.watch_channels.clone();
    config.alarm_topic_arn = settings.alarm_topic_arn.clone();
    config.scheduler_role_arn = settings.scheduler_role_arn.clone();
    config.max_run = settings.max_run;
    config.schedule_lead = settings.schedule_lead;
    let (engine, events) = Engine::new(
        backend.cloud.clone(),
        Arc::new(catalog),
        config,
        Clock::system(),
    );
    Ok(Aws {
        backend,
        engine,
        events,
        account,
    })
}

/// An environment pinned to an account (`account_id`) acts only on that account: a profile
/// that points elsewhere looks exactly like the right one. The commands that change AWS (and the
/// control room) are refused, naming both accounts; the ones that only read say so on stderr.
/// Unpinned environments cost no call here.
async fn check_pinned_account(
    settings: &Settings,
    backend: &AwsBackend,
    changes_aws: bool,
) -> Result<Option<Account>, CliError> {
    let Some(env) = settings
        .environment
        .as_ref()
        .filter(|e| e.account_id.is_some())
    else {
        return Ok(None);
    };
    let account = Account::read(backend).await;
    match account.pin_problem(env) {
        None => {}
        Some(problem) if changes_aws => {
            return Err(CliError::Refused(format!("{problem}: nothing changed")));
        }
        Some(problem) => eprintln!("onair: warning: {problem}"),
    }
    Ok(Some(account))
}

impl Aws {
    /// The account behind the credentials, read at most once.
    async fn account(&mut self) -> &Account {
        let account = match self.account.take() {
            Some(account) => account,
            None => Account::read(&self.backend).await,
        };
        self.account.insert(account)
    }
}

pub(super) fn refuse_if_readonly(settings: &Settings, what: &str) -> Result<(), CliError> {
    if settings.readonly {
        return Err(CliError::Refused(format!("read-only mode: {what} refused")));
    }
    Ok(())
}

/// `onair`: the control room against AWS.
pub async fn tui(settings: &Settings, overrides: &Overrides) -> Result<(), CliError> {
    let session = aws_session(settings).await?;
    let mut options = TuiOptions {
        bell: settings.bell,
        theme: theme(settings)?,
        environments: settings.environment_names.clone(),
        ..TuiOptions::default()
    };
    if !options.environments.is_empty() {
        let overrides = overrides.clone();
        options.open_env = Some(Arc::new(move |name: String| {
            let overrides = Overrides {
                env: Some(name),
                ..overrides.clone()
            };
            Box::pin(async move {
                let settings = Settings::load(&overrides, |k| std::env::var(k).ok())
                    .map_err(|e| e.to_string())?;
                aws_session(&settings).await.map_err(|e| e.to_string())
            })
        }));
    }
    tui::run(session, options).await?;
    Ok(())
}

/// The control room's session on one environment: its engine, and a top bar naming the
/// environment, the account (read once), the region and the profile. A pinned environment
/// whose credentials are another account's is refused here, before anything is shown.
async fn aws_session(settings: &Settings) -> Result<Session, CliError> {
    let mut aws = connect(settings, true).await?;
    let region = aws.backend.region.clone().unwrap_or_default();
    let profile = settings.profile.clone().unwrap_or_else(|| "default".into());
    let account = aws.account().await.label();
    let place = format!("{account} · {region} · profile {profile}");
    let mut session = Session::new(aws.engine, aws.events, place);
    if let Some(env) = &settings.environment {
        session.context = format!("{} · {}", env.name, session.context);
        session.env = Some(env.name.clone());
        session.production = env.production;
    }
    Ok(session)
}

/// One destination as `list --json` and `add --json` print it: the record (whose stream key
/// serializes masked) plus its uptime.
fn json_of(records: &[Destination]) -> Result<String, CliError> {
    let json =
        serde_json::to_string_pretty(records).map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(json_for_terminal(&json).into_owned())
}

/// The table `onair list` prints. Every text from a record goes through [`safe`]: another
/// tool's name may hold escape sequences, and they must not reach the operator's terminal.
fn print_table(records: &[Destination], unreadable: &[UnreadableRecord]) {
    if records.is_empty() && unreadable.is_empty() {
        println!("no destinations (add one with `onair add`)");
        return;
    }
    println!(
        "{:<8}  {:<24}  {:<9}  {:<8}  {:<9}  {:<12}  CHANNEL",
        "ID", "NAME", "PLATFORM", "PRESET", "STATE", "KEY"
    );
    for r in records {
        println!(
            "{:<8}  {:<24}  {:<9}  {:<8}  {:<9}  {:<12}  {}",
            r.destination_id.short(),
            safe(&r.name),
            // Platform and Status implement Display with write!, which ignores the width: pad
            // their text instead, or every column after them shifts.
            r.platform.to_string(),
            safe(&r.preset),
            r.status.to_string(),
            // The mask keeps a key's first and last characters: they are outside text too.
            safe(&r.stream_key.masked()),
            safe(r.media_live_channel_id.as_deref().unwrap_or("-"))
        );
    }
    for u in unreadable {
        println!(
            "{:<8}  {:<24}  {:<9}  {:<8}  {:<9}  {}",
            safe(&u.short_id()),
            safe(u.name.as_deref().unwrap_or("?")),
            "?",
            "?",
            "UNREADABLE",
            safe(&u.problem())
        );
    }
    if !unreadable.is_empty() {
        println!(
            "{} item(s) can't be read and are left alone with whatever they own in AWS: fix the \
             attribute named, or `onair rm --force ID` removes the item only",
            unreadable.len()
        );
    }
}

/// `list --json`: the environment (when the config has named ones), the readable records, and
/// the items that can't be read with the attribute and why. Exact strings (serde escapes control
/// characters); stream keys masked.
fn list_json(
    settings: &Settings,
    account: &Account,
    records: &[Destination],
    unreadable: &[UnreadableRecord],
) -> Result<String, CliError> {
    let value = serde_json::json!({
        "environment": settings.environment,
        "account": account,
        "destinations": records,
        "unreadable": unreadable,
    });
    let json = serde_json::to_string_pretty(&value).map_err(|e| CliError::Failed(e.to_string()))?;
    Ok(json_for_terminal(&json).into_owned())
}

pub async fn list(settings: &Settings, json: bool) -> Result<(), CliError> {
    let mut aws = connect(settings, false).await?;
    let records = aws.engine.load().await?;
    let unreadable = aws.engine.unreadable();
    if json {
        let account = aws.account().await;
        println!("{}", list_json(settings, account, &records, &unreadable)?);
    } else {
        print_table(&records, &unreadable);
    }
    Ok(())
}

/// The operations the engine reported as failed (their `Finished` events), drained from its
/// event channel: destination, operation, message.
pub(super) fn finished(
    events: &mut UnboundedReceiver<EngineEvent>,
) -> Vec<(DestinationId, OpKind, crate::engine::OpFailure)> {
    let mut failed = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let EngineEvent::Finished {
            id,
            op,
            result: Err(failure),
        } = event
        {
            failed.push((id, op, failure));
        }
    }
    failed
}

/// The result of an operation the CLI waited for: the record's state afterwards.
///
/// The operation's own result decides, not the record's status: an operation that lost the
/// race to another operator writes nothing and takes the other operator's record (`starting`,
/// `running`), which is not `error`, and would otherwise be reported as done, exit 0, while the
/// other operator's command succeeds too.
pub(super) fn outcome(
    engine: &Engine,
    failed: &[(DestinationId, OpKind, crate::engine::OpFailure)],
    id: DestinationId,
    op: OpKind,
) -> Result<Destination, CliError> {
    let verb = op.verb();
    if let Some((_, _, message)) = failed.iter().find(|(i, o, _)| *i == id && *o == op) {
        let name = engine
            .record(id)
            .map(|r| safe(&r.name))
            .unwrap_or_else(|| id.short());
        let text = format!("{name}: {}", safe(&message.to_string()));
        // Losing a race to another operator changed nothing here: a refusal, exit 2.
        return Err(if message.changed_nothing() {
            CliError::Refused(text)
        } else {
            CliError::Failed(text)
        });
    }
    let record = engine
        .record(id)
        .ok_or_else(|| CliError::Failed(format!("{verb}: the record is gone")))?;
    if record.status == Status::Error {
        return Err(CliError::Failed(format!(
            "{verb} {}: {}",
            safe(&record.name),
            safe(record.last_error.as_deref().unwrap_or("failed"))
        )));
    }
    Ok(record)
}

pub async fn add(settings: &Settings, args: AddArgs) -> Result<(), CliError> {
    // Validate before any AWS call: bad input exits 2 having touched nothing.
    let catalog = catalog(settings)?;
    let draft = DestinationDraft {
        name: args.name,
        platform: args.platform,
        url: args.url.unwrap_or_default(),
        stream_key: StreamKey::new(super::key_source::for_add(
            args.key,
            args.key_file.as_deref(),
            |k| std::env::var(k).ok(),
        )?)
        .into(),
        preset: args.preset,
    };
    let valid = draft
        .validate(&catalog)
        .map_err(|errors| CliError::Refused(crate::engine::Refusal::Invalid(errors).to_string()))?;
    for warning in &valid.warnings {
        eprintln!("onair: warning: {warning}");
    }
    refuse_if_readonly(settings, "add")?;
    let mut aws = connect(settings, true).await?;
    // A topic that doesn't exist refuses the add before anything is created (exit 2).
    aws.engine.check_alarm_topic().await?;
    // The quota check counts against what AWS applies (the config's values if it can't say).
    aws.engine.read_quotas().await;
    aws.engine.load().await?;
    let id = aws.engine.add(draft)?;
    aws.engine.settle().await;
    let mut record = outcome(&aws.engine, &finished(&mut aws.events), id, OpKind::Add)?;
    if args.start {
        aws.engine.start(id)?;
        aws.engine.settle().await;
        record = outcome(&aws.engine, &finished(&mut aws.events), id, OpKind::Start)?;
    }
    if args.json {
        println!("{}", json_of(std::slice::from_ref(&record))?);
    } else {
        println!(
            "{} {} ({}) is {}",
            record.destination_id,
            safe(&record.name),
            record.platform,
            record.status
        );
    }
    Ok(())
}

/// Resolves every target before acting on any, so one typo changes nothing.
pub(super) fn resolve_all(
    engine: &Engine,
    targets: &[String],
) -> Result<Vec<DestinationId>, CliError> {
    targets
        .iter()
        .map(|t| engine.resolve(t).map_err(CliError::from))
        .collect()
}

pub async fn start_stop(
    settings: &Settings,
    targets: &[String],
    start: bool,
) -> Result<(), CliError> {
    let verb = if start { "start" } else { "stop" };
    let op = if start { OpKind::Start } else { OpKind::Stop };
    refuse_if_readonly(settings, verb)?;
    let mut aws = connect(settings, true).await?;
    if start {
        aws.engine.check_alarm_topic().await?;
    }
    aws.engine.load().await?;
    // Plans go by what AWS has: a channel that vanished is re-created, not started.
    aws.engine.look_at_channels().await?;
    let ids = resolve_all(&aws.engine, targets)?;
    for id in &ids {
        let asked = if start {
            aws.engine.start(*id)
        } else {
            aws.engine.stop(*id)
        };
        asked?;
    }
    aws.engine.settle().await;
    let failed = finished(&mut aws.events);
    let mut failures = Vec::new();
    for id in ids {
        match outcome(&aws.engine, &failed, id, op) {
            Ok(r) => println!(
                "{} {} is {}",
                r.destination_id.short(),
                safe(&r.name),
                r.status
            ),
            Err(e) => failures.push(e),
        }
    }
    combine(failures)
}

/// `rm`'s question on the terminal; without a terminal to ask on, or without a "y", nothing is
/// removed (exit 2).
fn confirm_removal(settings: &Settings, question: &str) -> Result<(), CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Refused(
            "rm asks before deleting: pass --yes when there is no terminal to ask on".into(),
        ));
    }
    // Named environments name themselves in the question, production loudest.
    let place = match &settings.environment {
        Some(env) if env.production => format!("[{} · PRODUCTION] ", env.name),
        Some(env) => format!("[{}] ", env.name),
        None => String::new(),
    };
    print!("{place}{question} [y/N] ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if answer.trim().eq_ignore_ascii_case("y") {
        Ok(())
    } else {
        Err(CliError::Refused("nothing deleted".into()))
    }
}

/// Several destinations' results as one: a failure if any failed, a refusal (exit 2) if every
/// one that didn't succeed was refused.
pub(super) fn combine(failures: Vec<CliError>) -> Result<(), CliError> {
    if failures.is_empty() {
        return Ok(());
    }
    let all_refused = failures.iter().all(|f| matches!(f, CliError::Refused(_)));
    let text = failures
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    Err(if all_refused {
        CliError::Refused(text)
    } else {
        CliError::Failed(text)
    })
}

pub async fn rm(settings: &Settings, targets: &[String], yes: bool) -> Result<(), CliError> {
    refuse_if_readonly(settings, "rm")?;
    let mut aws = connect(settings, true).await?;
    aws.engine.load().await?;
    aws.engine.look_at_channels().await?;
    let ids = resolve_all(&aws.engine, targets)?;
    let names: Vec<String> = ids
        .iter()
        .filter_map(|id| aws.engine.record(*id))
        .map(|r| format!("{} ({}, {})", safe(&r.name), r.platform, r.status))
        .collect();
    if !yes {
        confirm_removal(
            settings,
            &format!("Delete {} and its AWS resources?", names.join(", ")),
        )?;
    }
    for id in &ids {
        aws.engine.delete(*id)?;
    }
    aws.engine.settle().await;
    let failed = finished(&mut aws.events);
    let mut failures = Vec::new();
    for (id, name) in ids.iter().zip(&names) {
        if let Some((_, _, message)) = failed
            .iter()
            .find(|(i, o, _)| i == id && *o == OpKind::Delete)
        {
            let text = format!("rm {name}: {}", safe(&message.to_string()));
            failures.push(if message.changed_nothing() {
                CliError::Refused(text)
            } else {
                CliError::Failed(text)
            });
            continue;
        }
        match aws.engine.record(*id) {
            None => println!("deleted {name}"),
            Some(r) => failures.push(CliError::Failed(format!(
                "rm {}: {}",
                safe(&r.name),
                safe(r.last_error.as_deref().unwrap_or("not deleted"))
            ))),
        }
    }
    combine(failures)
}

/// `rm --force`: deletes items onair can't read from the table, and nothing else. Whatever AWS
/// resources they name stay: the operator is told how to find them.
pub async fn rm_unreadable(
    settings: &Settings,
    targets: &[String],
    yes: bool,
) -> Result<(), CliError> {
    refuse_if_readonly(settings, "rm --force")?;
    let aws = connect(settings, false).await?;
    aws.engine.load().await?;
    // Every target resolved before any is removed, so one typo removes nothing.
    let items = targets
        .iter()
        .map(|t| aws.engine.resolve_unreadable(t).map_err(CliError::from))
        .collect::<Result<Vec<_>, _>>()?;
    let label = |u: &UnreadableRecord| {
        format!(
            "{} ({})",
            safe(u.id.as_deref().unwrap_or("?")),
            safe(u.name.as_deref().unwrap_or("no name"))
        )
    };
    if !yes {
        let labels: Vec<String> = items.iter().map(label).collect();
        confirm_removal(
            settings,
            &format!(
                "Remove the unreadable item(s) {} from the table (AWS resources are left)?",
                labels.join(", ")
            ),
        )?;
    }
    for item in &items {
        aws.engine.remove_unreadable(item).await?;
        let id = safe(item.id.as_deref().unwrap_or("?"));
        println!("removed the unreadable item {} from the table", label(item));
        println!(
            "  AWS resources it may own were left alone: they are tagged {}={id} and named \
             onair-*-{}; `onair gc` lists them once no item owns them",
            crate::domain::naming::TAG_DESTINATION_ID,
            safe(&item.short_id())
        );
    }
    Ok(())
}

pub async fn flow(settings: &Settings, json: bool) -> Result<(), CliError> {
    let flow_arn = settings.require("flow_arn")?.to_string();
    let mut aws = connect(settings, false).await?;
    let flow = aws
        .backend
        .cloud
        .mediaconnect
        .describe_flow(&flow_arn)
        .await?;
    if json {
        let outputs: Vec<serde_json::Value> = flow
            .outputs
            .iter()
            .map(|o| {
                serde_json::json!({
                    "name": o.name, "arn": o.arn,
                    "mediaLiveInputArn": o.medialive_input_arn,
                    "destination": o.destination, "port": o.port, "protocol": o.protocol,
                })
            })
            .collect();
        let value = serde_json::json!({
            "name": flow.name, "arn": flow.arn, "status": flow.status.as_aws(),
            "source": {
                "name": flow.source.name, "protocol": flow.source.protocol,
                "ingestIp": flow.source.ingest_ip, "ingestPort": flow.source.ingest_port,
                "encryption": flow.source.encryption,
            },
            "egressIp": flow.egress_ip,
            "outputs": outputs,
            "environment": settings.environment,
            "account": aws.account().await,
        });
        println!("{}", json_for_terminal(&format!("{value:#}")));
    } else {
        println!("{}  {}", safe(&flow.name), flow.status.as_aws());
        println!("  arn     {}", safe(&flow.arn));
        println!(
            "  source  {} {}:{} encryption {}",
            safe(&flow.source.protocol),
            safe(flow.source.ingest_ip.as_deref().unwrap_or("-")),
            flow.source
                .ingest_port
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
            safe(flow.source.encryption.as_deref().unwrap_or("none"))
        );
        println!("  outputs {}", flow.outputs.len());
        for o in &flow.outputs {
            println!(
                "    {}  {}{}",
                safe(&o.name),
                safe(&o.arn),
                o.medialive_input_arn
                    .as_deref()
                    .map(|a| format!("  ← MediaLive input {}", safe(a)))
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

pub async fn init(settings: &Settings) -> Result<(), CliError> {
    refuse_if_readonly(settings, "init")?;
    let table = settings.require("table")?.to_string();
    let backend = aws::connect(&AwsOptions {
        region: settings.region.clone(),
        profile: settings.profile.clone(),
        table: table.clone(),
        timeouts: settings.aws_timeouts,
    })
    .await;
    let created = aws::init_table(&backend.sdk_config, &table).await?;
    if created {
        println!("created table {table} (pay per request, point-in-time recovery on)");
    } else {
        println!("table {table} exists; point-in-time recovery is on");
    }
    Ok(())
}

pub async fn reconcile(settings: &Settings) -> Result<(), CliError> {
    refuse_if_readonly(settings, "reconcile")?;
    let aws = connect(settings, true).await?;
    aws.engine.check_alarm_topic().await?;
    let report = aws.engine.reconcile(true).await?;
    // The flow's lost-source alarm is written here and at the control room's start-up.
    if aws.engine.config().alarm_topic_arn.is_some() {
        let name = aws
            .backend
            .cloud
            .mediaconnect
            .describe_flow(&aws.engine.config().flow_arn)
            .await
            .map(|f| f.name)
            .unwrap_or_else(|_| "flow".to_string());
        if let Err(e) = aws.engine.ensure_flow_alarm(&name).await {
            eprintln!("onair: warning: the flow's lost-source alarm could not be written: {e}");
        }
    }
    aws.engine.settle().await;
    for (id, reason) in &report.corrected {
        println!("{} {}", id.short(), safe(reason));
    }
    let mut failures = Vec::new();
    for (id, op) in &report.resumed {
        match aws.engine.record(*id) {
            Some(r) if r.status == Status::Error => failures.push(format!(
                "{} {}: {}",
                op.verb(),
                safe(&r.name),
                safe(r.last_error.as_deref().unwrap_or("failed"))
            )),
            Some(r) => println!(
                "{} {}: {} done, now {}",
                id.short(),
                safe(&r.name),
                op.verb(),
                r.status
            ),
            None => println!("{}: {} done, record removed", id.short(), op.verb()),
        }
    }
    let unreadable = aws.engine.unreadable();
    for u in &unreadable {
        println!(
            "{} {}: left alone, can't be read ({})",
            safe(&u.short_id()),
            safe(u.name.as_deref().unwrap_or("?")),
            safe(&u.problem())
        );
    }
    if report.resumed.is_empty() && report.corrected.is_empty() {
        println!("nothing to do: AWS matches the records");
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(failures.join("\n")))
    }
}

pub async fn gc(settings: &Settings, delete: bool, json: bool) -> Result<(), CliError> {
    if delete {
        refuse_if_readonly(settings, "gc --delete")?;
    }
    let aws = connect(settings, true).await?;
    let orphans = aws.engine.find_orphans().await?;
    if json {
        let value = serde_json::json!({
            "channels": orphans.channels.iter().map(|c| serde_json::json!({"id": c.id, "name": c.name, "state": c.state.as_aws()})).collect::<Vec<_>>(),
            "inputs": orphans.inputs.iter().map(|i| serde_json::json!({"id": i.id, "name": i.name, "state": i.state.as_aws()})).collect::<Vec<_>>(),
            "flowOutputs": orphans.flow_outputs.iter().map(|o| serde_json::json!({"arn": o.arn, "name": o.name, "mediaLiveInputArn": o.medialive_input_arn})).collect::<Vec<_>>(),
            "securityGroups": orphans.security_groups.iter().map(|g| serde_json::json!({"id": g.id, "arn": g.arn, "allowedCidrs": g.allowed_cidrs})).collect::<Vec<_>>(),
            "alarms": orphans.alarms.iter().map(|a| serde_json::json!({"name": a.name, "arn": a.arn})).collect::<Vec<_>>(),
            "drifted": orphans.drifted.iter().map(|(id, why)| serde_json::json!({"destinationId": id.to_string(), "problem": why})).collect::<Vec<_>>(),
            "table": aws.engine.config().table,
            "notOurs": orphans.not_ours.iter().map(|n| serde_json::json!({"kind": n.kind.as_str(), "id": n.id, "name": n.name, "reason": n.reason})).collect::<Vec<_>>(),
        });
        println!("{}", json_for_terminal(&format!("{value:#}")));
    } else if orphans.is_empty() {
        println!(
            "no orphans: every resource of table {} belongs to an item",
            aws.engine.config().table
        );
    } else {
        for c in &orphans.channels {
            println!(
                "orphan channel  {}  {}  {}",
                safe(&c.id),
                safe(&c.name),
                c.state.as_aws()
            );
        }
        for i in &orphans.inputs {
            println!(
                "orphan input    {}  {}  {}",
                safe(&i.id),
                safe(&i.name),
                i.state.as_aws()
            );
        }
        for o in &orphans.flow_outputs {
            println!("orphan output   {}  {}", safe(&o.name), safe(&o.arn));
        }
        for g in &orphans.security_groups {
            println!(
                "orphan group    {}  {}",
                safe(&g.id),
                safe(&g.allowed_cidrs.join(", "))
            );
        }
        for a in &orphans.alarms {
            println!("orphan alarm    {}", safe(&a.name));
        }
        for (id, why) in &orphans.drifted {
            let name = aws
                .engine
                .record(*id)
                .map(|r| safe(&r.name))
                .unwrap_or_default();
            println!(
                "drifted record  {}  {name}: {} (onair rm removes it)",
                id.short(),
                safe(why)
            );
        }
    }
    if !json && !orphans.not_ours.is_empty() {
        println!("not ours, left alone (gc never deletes these):");
        for n in &orphans.not_ours {
            println!("  {n}");
        }
    }
    if delete && orphans.resources() > 0 {
        let removed = aws.engine.delete_orphans(&orphans).await?;
        for line in removed {
            println!("removed {}", safe(&line));
        }
    }
    Ok(())
}

pub async fn edit(settings: &Settings, args: super::args::EditArgs) -> Result<(), CliError> {
    refuse_if_readonly(settings, "edit")?;
    let env = |k: &str| std::env::var(k).ok();
    if super::key_source::ignored_by_edit(
        &args.key,
        args.key_file.as_deref(),
        args.key_from_env,
        env,
    ) {
        eprintln!(
            "onair: note: {} is set and not used: the key stays as it is (--key-from-env takes it)",
            super::key_source::ENV
        );
    }
    let new_key =
        super::key_source::for_edit(args.key, args.key_file.as_deref(), args.key_from_env, env)?;
    let mut aws = connect(settings, true).await?;
    aws.engine.load().await?;
    aws.engine.look_at_channels().await?;
    let id = aws.engine.resolve(&args.target)?;
    let current = aws
        .engine
        .record(id)
        .ok_or_else(|| CliError::Refused(format!("no destination {:?}", args.target)))?;
    let draft = DestinationDraft::edit_of(
        &current,
        crate::domain::DraftChanges {
            name: args.name,
            platform: args.platform,
            url: args.url,
            stream_key: new_key.map(|k| StreamKey::new(k).into()),
            preset: args.preset,
        },
    );
    match aws.engine.edit(id, draft, args.restart) {
        Err(crate::engine::Refusal::NeedsRestart { name }) => {
            return Err(CliError::Refused(format!(
                "{name} is live: pass --restart to stop, update and start it again"
            )));
        }
        other => other?,
    }
    aws.engine.settle().await;
    let failed = finished(&mut aws.events);
    let record = outcome(&aws.engine, &failed, id, OpKind::Edit)?;
    println!(
        "{} {} ({}, {}) is {}",
        record.destination_id.short(),
        safe(&record.name),
        record.platform,
        safe(&record.preset),
        record.status
    );
    Ok(())
}

/// `onair export`: the show's destinations as a versioned file (docs: `src/cli/show_file.rs`),
/// sorted by name, without stream keys.
pub async fn export(settings: &Settings, args: super::args::ExportArgs) -> Result<(), CliError> {
    let aws = connect(settings, false).await?;
    let records = aws.engine.load().await?;
    let show = super::show_file::export(&records, args.sealed);
    let text = if args.json {
        serde_json::to_string_pretty(&show).map_err(|e| CliError::Failed(e.to_string()))?
    } else {
        toml::to_string(&show).map_err(|e| CliError::Failed(e.to_string()))?
    };
    let text = if args.json {
        json_for_terminal(&text).into_owned()
    } else {
        safe_lines(&text)
    };
    println!("{}", text.trim_end());
    Ok(())
}

/// Each line of `text` made safe for the terminal (TOML keeps its line breaks).
fn safe_lines(text: &str) -> String {
    text.lines().map(safe).collect::<Vec<_>>().join("\n")
}

/// `onair import FILE [--keys FILE] [--replace]`: the whole file is checked first (format,
/// platforms, presets, URLs, names, duplicates, keys, quota) and nothing is created if any entry
/// is wrong; then each destination is added idle (its chain created, as `add` does).
pub async fn import(settings: &Settings, args: super::args::ImportArgs) -> Result<(), CliError> {
    use super::show_file::{Existing, Planned, parse, parse_keys, plan_import};
    refuse_if_readonly(settings, "import")?;
    let read = |path: &Path| {
        let meta = std::fs::metadata(path)
            .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))?;
        // A show file is a few KB; a huge one is not a show file.
        if meta.len() > 4 * 1024 * 1024 {
            return Err(CliError::Refused(format!(
                "{}: larger than 4 MiB: not an onair show file",
                path.display()
            )));
        }
        std::fs::read_to_string(path)
            .map_err(|e| CliError::Refused(format!("{}: {e}", path.display())))
    };
    let file = args.file.display().to_string();
    let show = parse(&read(&args.file)?, &file).map_err(CliError::Refused)?;
    let keys = match &args.keys {
        Some(path) => {
            parse_keys(&read(path)?, &path.display().to_string()).map_err(CliError::Refused)?
        }
        None => Default::default(),
    };
    let mut aws = connect(settings, true).await?;
    let records = aws.engine.load().await?;
    let catalog = catalog(settings)?;
    let in_use = records
        .iter()
        .filter(|r| r.status != Status::Parked)
        .count();
    let existing = Existing {
        records: &records,
        channels_free: settings.channel_quota.saturating_sub(in_use),
        inputs_free: settings.input_quota.saturating_sub(in_use),
    };
    let planned =
        plan_import(&show, &keys, &catalog, &existing, args.replace).map_err(|problems| {
            CliError::Refused(format!(
                "{file}: nothing imported:\n  {}",
                problems
                    .iter()
                    .map(|p| safe(p))
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ))
        })?;
    let mut ids = Vec::new();
    for step in planned {
        match step {
            Planned::Add(draft) => ids.push((aws.engine.add(draft)?, OpKind::Add)),
            Planned::Replace { name, draft } => {
                let id = aws.engine.resolve(&name)?;
                aws.engine.edit(id, draft, false)?;
                ids.push((id, OpKind::Edit));
            }
        }
    }
    aws.engine.settle().await;
    let failed = finished(&mut aws.events);
    let mut failures = Vec::new();
    for (id, op) in ids {
        match outcome(&aws.engine, &failed, id, op) {
            Ok(r) => println!(
                "{} {} ({}, {}) is {}",
                r.destination_id.short(),
                safe(&r.name),
                r.platform,
                r.preset,
                r.status
            ),
            Err(e) => failures.push(e),
        }
    }
    combine(failures)
}
