//! `onair demo`: the whole control room on the simulator, no AWS account needed.

use super::CliError;
use super::args::DemoArgs;
use crate::clock::Clock;
use crate::config::{Overrides, Settings};
use crate::domain::{DestinationDraft, StreamKey};
use crate::engine::{Engine, EngineConfig};
use crate::sim::{SimConfig, Simulator};
use crate::tui::{self, Session, TuiOptions};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub async fn run(
    args: DemoArgs,
    settings: &Settings,
    overrides: &Overrides,
) -> Result<(), CliError> {
    check_speed(&args)?;
    let clock = Clock::system();
    let (session, sim) =
        new_world(&args, settings, clock.clone(), true).map_err(CliError::Refused)?;
    let mut options = TuiOptions {
        demo: true,
        bell: settings.bell,
        theme: super::commands::theme(settings)?,
        environments: settings.environment_names.clone(),
        open_env: None,
    };
    if !options.environments.is_empty() {
        // Each environment of the config gets a simulated account of its own, kept for the
        // whole demo: switching back finds the show as it was left.
        let worlds = Arc::new(Mutex::new(HashMap::new()));
        if let Some(env) = &settings.environment {
            lock(&worlds).insert(env.name.clone(), sim);
        }
        let overrides = overrides.clone();
        options.open_env = Some(Arc::new(move |name: String| {
            let overrides = Overrides {
                env: Some(name.clone()),
                ..overrides.clone()
            };
            let (args, clock, worlds) = (args.clone(), clock.clone(), Arc::clone(&worlds));
            Box::pin(async move {
                let settings = Settings::load(&overrides, |k| std::env::var(k).ok())
                    .map_err(|e| e.to_string())?;
                let known = lock(&worlds).get(&name).cloned();
                let (session, sim) = match known {
                    Some(sim) => (session_on(&sim, &args, &settings, clock, false)?, sim),
                    None => new_world(&args, &settings, clock, false)?,
                };
                lock(&worlds).insert(name, sim);
                Ok(session)
            })
        }));
    }
    tui::run(session, options).await?;
    Ok(())
}

fn check_speed(args: &DemoArgs) -> Result<(), CliError> {
    match args.speed {
        Some(speed) if !(0.001..=10.0).contains(&speed) => Err(CliError::Refused(
            "--speed: must be from 0.001 to 10 (1.0 = realistic AWS delays)".into(),
        )),
        _ => Ok(()),
    }
}

/// An engine on a new simulated account with the sample show loading in the background: what
/// `onair serve --demo` runs on (the simulator lives as long as the engine's cloud handles).
pub(super) struct DemoRig {
    pub(super) engine: Engine,
    pub(super) events: tokio::sync::mpsc::UnboundedReceiver<crate::engine::EngineEvent>,
}

pub(super) fn rig(args: &DemoArgs, settings: &Settings) -> Result<DemoRig, CliError> {
    check_speed(args)?;
    let (session, _sim) =
        new_world(args, settings, Clock::system(), true).map_err(CliError::Refused)?;
    Ok(DemoRig {
        engine: session.engine,
        events: session.events,
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The simulated account's quotas: room for `--sample-size N` chains.
fn quotas(args: &DemoArgs, settings: &Settings) -> (usize, usize) {
    let room = args.sample_size.map_or(0, usize::from);
    (
        settings.channel_quota.max(room),
        settings.input_quota.max(room),
    )
}

/// A new simulated account for `settings` (an environment, or the config without any) and the
/// control room's session on it; `first` loads the sample show asked for.
fn new_world(
    args: &DemoArgs,
    settings: &Settings,
    clock: Clock,
    first: bool,
) -> Result<(Session, Arc<Simulator>), String> {
    let mut sim_config = SimConfig::demo();
    if let Some(speed) = args.speed {
        sim_config.speed = speed;
    }
    (sim_config.channel_quota, sim_config.input_quota) = quotas(args, settings);
    let sim = Simulator::new(sim_config, clock.clone());
    let session = session_on(&sim, args, settings, clock, first)?;
    Ok((session, sim))
}

/// The control room's session on `sim`, configured from `settings`.
fn session_on(
    sim: &Arc<Simulator>,
    args: &DemoArgs,
    settings: &Settings,
    clock: Clock,
    first: bool,
) -> Result<Session, String> {
    let sim_speed = sim.config().speed;
    let (channel_quota, input_quota) = quotas(args, settings);
    let catalog = super::commands::catalog(settings).map_err(|e| e.to_string())?;
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    // The configured table's name is the simulated table's too: the resources show the tag a
    // real run would give them.
    if let Some(table) = &settings.table {
        config.table = table.clone();
    }
    // The simulator publishes a datapoint a second: refresh often enough to watch it move.
    config.refresh_interval = Duration::from_secs(2);
    config.metric_period = Duration::from_secs(2);
    config.channel_quota = channel_quota;
    config.input_quota = input_quota;
    config.readonly = settings.readonly;
    // A configured key names a real account's key, which the simulator doesn't have: the demo
    // seals with the simulated account's own key instead, so the sealing can be watched.
    if settings.stream_key_kms_key.is_some() {
        config.stream_key_kms_key = Some(Simulator::KMS_KEY_ALIAS.to_string());
    }
    // Demo time runs ~30× fast: park after a demo minute, as a show would after half an hour.
    config.park_after = settings.park_after.map(|d| d.mul_f64(sim_speed));
    config.wiring = settings.wiring;
    // The window is AWS time: the simulator runs it at its own speed, as it does every delay.
    config.rtmp_reconnect = crate::cloud::RtmpReconnect::for_window(settings.rtmp_reconnect_window);
    config.auto_restart = settings.auto_restart;
    config.restart_attempts = settings.restart_attempts;
    config.restart_backoff = settings.restart_backoff.mul_f64(sim_speed);
    config.watch_channels = settings.watch_channels.clone();
    // Alarms are always on in the demo, on the simulated account's own topic (a configured one
    // names a real account's), with 10 s periods so a fault turns one red within the minute.
    config.alarm_topic_arn = Some(Simulator::TOPIC_ARN.to_string());
    config.alarm_period = Duration::from_secs(10);
    // The simulated account's scheduler role: schedules fire on the demo's clock (wall time),
    // and the deadline and lead are AWS time, run at the simulator's speed like every delay.
    config.scheduler_role_arn = Some(Simulator::SCHEDULER_ROLE_ARN.to_string());
    config.max_run = settings.max_run.map(|d| d.mul_f64(sim_speed));
    config.schedule_lead = settings.schedule_lead.mul_f64(sim_speed);
    let catalog = Arc::new(catalog);
    let sample = first && (args.sample || args.sample_size.is_some());
    // The sample show is the demo's set-up, not an operator's action: under --readonly it is
    // loaded by an engine of its own that may write (the control room's engine may not), so a
    // read-only demo shows a show rather than silently an empty table.
    let loader = if config.readonly && sample {
        let mut writable = config.clone();
        writable.readonly = false;
        let cloud = sim.cloud_with_table(&writable.table);
        let (loader, events) = Engine::new(cloud, Arc::clone(&catalog), writable, clock.clone());
        // Nobody reads its events: the control room sees the records through its own refresh.
        drop(events);
        Some(loader)
    } else {
        None
    };
    let cloud = sim.cloud_with_table(&config.table);
    let (engine, events) = Engine::new(cloud, catalog, config, clock);
    let loader = loader.unwrap_or_else(|| engine.clone());

    if first && args.sample {
        // An item the seed's older system wrote, which onair can't read: shown, left alone.
        sim.insert_unreadable(crate::domain::UnreadableRecord {
            id: Some("5eed0000-0000-4000-8000-00000000f00d".into()),
            name: Some("Facebook (seed)".into()),
            attribute: "status".into(),
            reason: "is \"live\", not a known status".into(),
        });
        tokio::spawn(load_sample_show(loader.clone()));
    }
    if let Some(n) = args.sample_size.filter(|_| first) {
        tokio::spawn(load_sized_show(loader.clone(), n));
    }

    let place = format!("{} (simulated)", Simulator::REGION);
    let mut session = Session::new(engine, events, format!("demo · {place}"));
    if let Some(env) = &settings.environment {
        // As the AWS mode's bar reads, with the simulated account's id.
        session.context = format!("{} · demo {} · {place}", env.name, Simulator::ACCOUNT);
        session.env = Some(env.name.clone());
        session.production = env.production;
    }
    let injector = Arc::clone(sim);
    session.fault = Some(Arc::new(move |words: &str| {
        injector.apply_fault_command(words)
    }));
    Ok(session)
}

/// Two YouTube feeds, Twitch and a custom RTMP server; the main YouTube feed and Twitch go live.
async fn load_sample_show(engine: Engine) {
    let show = [
        ("YouTube main", "youtube", "", "1080p30", true),
        ("YouTube backup", "youtube", "", "720p30", false),
        ("Twitch", "twitch", "", "1080p30", true),
        (
            "Restream",
            "custom",
            "rtmp://live.restream.io/live",
            "1080p60",
            false,
        ),
    ];
    let mut to_start = Vec::new();
    for (i, (name, platform, url, preset, live)) in show.into_iter().enumerate() {
        let draft = DestinationDraft {
            name: name.into(),
            platform: platform.into(),
            url: url.into(),
            stream_key: StreamKey::new(format!("demo-{i}-xxxx-yyyy-zzzz")).into(),
            preset: preset.into(),
        };
        match engine.add(draft) {
            Ok(id) if live => to_start.push(id),
            Ok(_) => {}
            Err(e) => tracing::warn!("sample show: {e}"),
        }
    }
    engine.settle().await;
    for id in to_start {
        if let Err(e) = engine.start(id) {
            tracing::warn!("sample show: {e}");
        }
    }
}

/// `--sample-size N`: N YouTube feeds, all started with one bulk start once created.
async fn load_sized_show(engine: Engine, n: u16) {
    let presets = ["1080p30", "720p30", "1080p60"];
    for i in 0..n {
        let draft = DestinationDraft {
            name: format!("Feed {:02}", i + 1),
            platform: "youtube".into(),
            url: String::new(),
            stream_key: StreamKey::new(format!("demo-{i}-xxxx-yyyy-zzzz")).into(),
            preset: presets[usize::from(i) % presets.len()].into(),
        };
        if let Err(e) = engine.add(draft) {
            tracing::warn!("sample show: {e}");
        }
    }
    engine.settle().await;
    let ids: Vec<_> = engine.records().iter().map(|r| r.id()).collect();
    for (_, result) in engine.start_many(&ids) {
        if let Err(e) = result {
            tracing::warn!("sample show: {e}");
        }
    }
}
