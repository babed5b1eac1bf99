//! Shared by the table-printing benches: a runtime on tokio's paused clock, an engine on the
//! simulator, the quick mode and the process's peak memory.
#![allow(dead_code)]

use onair::clock::Clock;
use onair::domain::{Catalog, DestinationDraft, StreamKey};
use onair::engine::{Engine, EngineConfig, EngineEvent};
use onair::sim::{SimConfig, Simulator};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs these binaries without it, and
/// `--quick` asks for the short run CI makes: both get the quick mode (same code, fewer rounds).
pub fn quick() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--quick") || !args.iter().any(|a| a == "--bench")
}

/// A current-thread runtime whose clock starts paused: simulated AWS minutes in milliseconds.
pub fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("tokio runtime")
}

pub struct Rig {
    pub sim: Arc<Simulator>,
    pub engine: Engine,
    pub events: UnboundedReceiver<EngineEvent>,
}

/// An engine on a simulator with `sim_config`, quotas raised to `quota`. Call inside the runtime.
pub fn rig(sim_config: SimConfig, quota: usize) -> Rig {
    rig_with(sim_config, quota, |_| {})
}

/// [`rig`], with the engine's configuration tuned by `tune`.
pub fn rig_with(
    mut sim_config: SimConfig,
    quota: usize,
    tune: impl FnOnce(&mut EngineConfig),
) -> Rig {
    sim_config.channel_quota = quota;
    sim_config.input_quota = quota;
    let clock = Clock::starting_at(time::macros::datetime!(2026-11-25 18:00 UTC));
    let sim = Simulator::new(sim_config, clock.clone());
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    config.channel_quota = quota;
    config.input_quota = quota;
    tune(&mut config);
    let (engine, events) = Engine::new(sim.cloud(), Arc::new(Catalog::builtin()), config, clock);
    Rig {
        sim,
        engine,
        events,
    }
}

pub fn draft(i: usize) -> DestinationDraft {
    DestinationDraft {
        name: format!("Feed {i:03}"),
        platform: "youtube".into(),
        url: String::new(),
        stream_key: StreamKey::new(format!("bench-{i}-key-xxxx")).into(),
        preset: "1080p30".into(),
    }
}

/// A field of /proc/self/status in KiB (VmHWM: peak resident set; VmRSS: now).
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
