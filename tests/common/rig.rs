//! An engine on the simulator with tokio's paused clock: realistic AWS delays, instant tests.

use onair::clock::Clock;
use onair::domain::{Catalog, DestinationDraft, DestinationId, Status, StreamKey};
use onair::engine::{Engine, EngineConfig, EngineEvent};
use onair::sim::{SimConfig, Simulator};
use std::collections::BTreeSet;
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedReceiver;

/// Stream keys used by tests: the secrets scan looks for these.
pub const KEYS: [&str; 3] = [
    "live-KEY-aaaa-1111",
    "live-KEY-bbbb-2222",
    "live-KEY-cccc-3333",
];

pub struct Rig {
    pub sim: Arc<Simulator>,
    pub engine: Engine,
    pub events: UnboundedReceiver<EngineEvent>,
}

pub fn start() -> Time {
    time::macros::datetime!(2026-11-25 18:00 UTC)
}

pub type Time = time::OffsetDateTime;

impl Rig {
    pub fn new() -> Self {
        Self::with(SimConfig::unlimited(), |_| {})
    }

    pub fn with(sim_config: SimConfig, tune: impl FnOnce(&mut EngineConfig)) -> Self {
        let clock = Clock::starting_at(start());
        let sim = Simulator::new(sim_config, clock.clone());
        let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
        tune(&mut config);
        let (engine, events) =
            Engine::new(sim.cloud(), Arc::new(Catalog::builtin()), config, clock);
        Rig {
            sim,
            engine,
            events,
        }
    }

    pub fn drain(&mut self) -> Vec<EngineEvent> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }

    /// Adds a destination and waits for the chain to be created.
    pub async fn add(&self, name: &str) -> DestinationId {
        let id = self
            .engine
            .add(draft(name, "youtube", 0))
            .expect("add accepted");
        self.engine.settle().await;
        id
    }

    pub fn status(&self, id: DestinationId) -> Option<Status> {
        self.engine.record(id).map(|r| r.status)
    }

    /// The simulator holds exactly the resources the records name, and the table holds exactly
    /// the engine's records: nothing leaked, nothing lost.
    pub fn assert_consistent(&self) {
        let snap = self.sim.snapshot();
        let records = self.engine.records();
        let channels: BTreeSet<String> = snap.channels.iter().map(|c| c.id.clone()).collect();
        let recorded_channels: BTreeSet<String> = records
            .iter()
            .filter_map(|r| r.media_live_channel_id.clone())
            .collect();
        assert_eq!(channels, recorded_channels, "channels in AWS vs records");
        let inputs: BTreeSet<String> = snap.inputs.iter().map(|i| i.id.clone()).collect();
        let recorded_inputs: BTreeSet<String> = records
            .iter()
            .filter_map(|r| r.media_live_input_id.clone())
            .collect();
        assert_eq!(inputs, recorded_inputs, "inputs in AWS vs records");
        let outputs = snap
            .flow_outputs
            .iter()
            .filter(|o| o.medialive_input_arn.is_some())
            .count();
        assert_eq!(outputs, inputs.len(), "one flow output per input");
        let stored: BTreeSet<DestinationId> = snap.records.iter().copied().collect();
        let ours: BTreeSet<DestinationId> = records.iter().map(|r| r.id()).collect();
        assert_eq!(stored, ours, "table vs engine");
    }
}

/// The progress steps among `events`, as the TUI shows them ("creating channel 3/5").
pub fn progress_steps(events: &[EngineEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Progress(_, p) => Some(p.to_string()),
            _ => None,
        })
        .collect()
}

pub fn draft(name: &str, platform: &str, key: usize) -> DestinationDraft {
    DestinationDraft {
        name: name.to_string(),
        platform: platform.to_string(),
        url: String::new(),
        stream_key: StreamKey::new(KEYS[key % KEYS.len()]).into(),
        preset: "1080p30".to_string(),
    }
}
