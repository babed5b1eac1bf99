//! `onair demo`: the whole control room on the simulator, no AWS account needed.

use super::CliError;
use super::args::DemoArgs;
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::{DestinationDraft, StreamKey};
use crate::engine::{Engine, EngineConfig};
use crate::sim::{SimConfig, Simulator};
use crate::tui::{self, TuiOptions};
use std::sync::Arc;
use std::time::Duration;

/// The simulator, an engine on it, and the sample show loading in the background: what the
/// demo control room and `onair serve --demo` run on.
pub(super) struct DemoRig {
    pub(super) sim: Arc<Simulator>,
    pub(super) engine: Engine,
    pub(super) events: tokio::sync::mpsc::UnboundedReceiver<crate::engine::EngineEvent>,
}

pub async fn run(args: DemoArgs, settings: &Settings) -> Result<(), CliError> {
    let DemoRig {
        sim,
        engine,
        events,
    } = rig(&args, settings)?;
    let mut options = TuiOptions::new(format!("demo · {} (simulated)", Simulator::REGION));
    options.demo = true;
    options.readonly = settings.readonly;
    options.bell = settings.bell;
    options.theme = super::commands::theme(settings)?;
    let injector = Arc::clone(&sim);
    options.fault = Some(Arc::new(move |words: &str| {
        injector.apply_fault_command(words)
    }));
    tui::run(engine, events, options).await?;
    Ok(())
}

/// Builds the simulated account and its engine; starts loading the sample show if asked.
pub(super) fn rig(args: &DemoArgs, settings: &Settings) -> Result<DemoRig, CliError> {
    let mut sim_config = SimConfig::demo();
    if let Some(speed) = args.speed {
        if !(0.001..=10.0).contains(&speed) {
            return Err(CliError::Refused(
                "--speed: must be from 0.001 to 10 (1.0 = realistic AWS delays)".into(),
            ));
        }
        sim_config.speed = speed;
    }
    // `--sample-size N` needs room for N chains.
    let room = args.sample_size.map_or(0, usize::from);
    let channel_quota = settings.channel_quota.max(room);
    let input_quota = settings.input_quota.max(room);
    sim_config.channel_quota = channel_quota;
    sim_config.input_quota = input_quota;
    let sim_speed = sim_config.speed;
    let clock = Clock::system();
    let sim = Simulator::new(sim_config, clock.clone());
    let catalog = super::commands::catalog(settings)?;
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
    let catalog = Arc::new(catalog);
    // The sample show is the demo's set-up, not an operator's action: under --readonly it is
    // loaded by an engine of its own that may write (the control room's engine may not), so a
    // read-only demo shows a show rather than silently an empty table.
    let loader = if config.readonly && (args.sample || args.sample_size.is_some()) {
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

    if args.sample {
        // An item the seed's older system wrote, which onair can't read: shown, left alone.
        sim.insert_unreadable(crate::domain::UnreadableRecord {
            id: Some("5eed0000-0000-4000-8000-00000000f00d".into()),
            name: Some("Facebook (seed)".into()),
            attribute: "status".into(),
            reason: "is \"live\", not a known status".into(),
        });
        tokio::spawn(load_sample_show(loader.clone()));
    }
    if let Some(n) = args.sample_size {
        tokio::spawn(load_sized_show(loader.clone(), n));
    }
    Ok(DemoRig {
        sim,
        engine,
        events,
    })
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
