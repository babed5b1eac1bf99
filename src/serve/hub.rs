//! The fan-out of the engine's single event receiver: every [`EngineEvent`] is folded into the
//! latest view (what reads are answered from, so a read costs AWS nothing) and, turned into an
//! [`ApiEvent`], numbered, kept in a bounded ring for `Last-Event-ID` resume and broadcast to
//! every event-stream subscriber. A slow subscriber only loses its own place (it is told to
//! reload); it never slows the engine or the others.

use super::view;
use crate::cloud::AlarmState;
use crate::domain::{DestinationId, Status};
use crate::engine::AlarmBoard;
use crate::engine::quotas::QuotaReport;
use crate::engine::{EngineEvent, Incident, Level, Observation, Progress};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{broadcast, mpsc};

/// Events kept for `Last-Event-ID` resume.
pub const RING: usize = 1024;
/// Bitrate points kept per destination for the sparkline.
pub const HISTORY: usize = 60;

/// One event as the API sends it: its number, its SSE event name, and JSON without any stream
/// key (records are serialized masked; log lines and failures never hold one).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiEvent {
    pub id: u64,
    pub kind: &'static str,
    pub data: Value,
}

/// What the refreshes and operations last showed: the reads' only source.
#[derive(Debug, Default)]
pub struct Latest {
    pub observation: Option<Observation>,
    /// Newest last: (unix seconds, bits per second or a gap).
    pub history: HashMap<DestinationId, VecDeque<(i64, Option<f64>)>>,
    pub source_history: VecDeque<(i64, Option<f64>)>,
    pub incidents: HashMap<DestinationId, Incident>,
    /// The step each operation under way last reported.
    pub progress: HashMap<DestinationId, Progress>,
    /// Each destination's status as last announced, so a refresh announces only changes.
    statuses: HashMap<DestinationId, Status>,
    alerts: HashMap<DestinationId, Vec<String>>,
    /// Each destination's CloudWatch alarm states as last announced.
    pub alarms: HashMap<DestinationId, Vec<(&'static str, AlarmState)>>,
    /// The account's applied quotas, as last read.
    pub quotas: Option<QuotaReport>,
}

pub struct Hub {
    latest: Mutex<Latest>,
    ring: Mutex<VecDeque<ApiEvent>>,
    next_id: Mutex<u64>,
    sender: broadcast::Sender<ApiEvent>,
}

impl Hub {
    pub fn new() -> Arc<Self> {
        let (sender, _) = broadcast::channel(RING);
        Arc::new(Self {
            latest: Mutex::default(),
            ring: Mutex::new(VecDeque::with_capacity(RING)),
            next_id: Mutex::new(1),
            sender,
        })
    }

    /// Runs until the engine drops its sender: folds and fans out every event.
    pub fn spawn(self: &Arc<Self>, mut events: mpsc::UnboundedReceiver<EngineEvent>) {
        let hub = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                hub.apply(event);
            }
        });
    }

    pub fn latest(&self) -> MutexGuard<'_, Latest> {
        self.latest.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new subscriber: the events after `last_seen` still in the ring (or `None` when some
    /// were already dropped from it, so the client must reload), and the live receiver. Taken
    /// under the ring's lock, so no event falls between the two.
    pub fn subscribe(
        &self,
        last_seen: Option<u64>,
    ) -> (Option<Vec<ApiEvent>>, broadcast::Receiver<ApiEvent>) {
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let receiver = self.sender.subscribe();
        let backlog = match last_seen {
            None => Some(Vec::new()),
            Some(seen) => {
                let oldest = ring.front().map(|e| e.id);
                let next = *self.next_id.lock().unwrap_or_else(|e| e.into_inner());
                match oldest {
                    // Asked for a place the ring no longer holds (or never issued).
                    Some(oldest) if seen.saturating_add(1) < oldest => None,
                    _ if seen >= next => None,
                    _ => Some(ring.iter().filter(|e| e.id > seen).cloned().collect()),
                }
            }
        };
        (backlog, receiver)
    }

    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    fn publish(&self, kind: &'static str, data: Value) {
        let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        let id = {
            let mut next = self.next_id.lock().unwrap_or_else(|e| e.into_inner());
            let id = *next;
            *next = next.saturating_add(1);
            id
        };
        let event = ApiEvent { id, kind, data };
        if ring.len() == RING {
            ring.pop_front();
        }
        ring.push_back(event.clone());
        // No subscriber is fine.
        let _ = self.sender.send(event);
    }

    /// Folds one engine event into the latest view and publishes what an observer needs.
    pub fn apply(&self, event: EngineEvent) {
        match event {
            EngineEvent::Loaded(records) => {
                let changed: Vec<_> = {
                    let mut latest = self.latest();
                    let changed = records
                        .iter()
                        .filter(|r| latest.statuses.get(&r.id()) != Some(&r.status))
                        .cloned()
                        .collect();
                    latest.statuses = records.iter().map(|r| (r.id(), r.status)).collect();
                    changed
                };
                for record in changed {
                    self.publish("destination", view::record_event(&record));
                }
            }
            EngineEvent::Upserted(record) => {
                self.latest().statuses.insert(record.id(), record.status);
                self.publish("destination", view::record_event(&record));
            }
            EngineEvent::Removed(id) => {
                {
                    let mut latest = self.latest();
                    latest.statuses.remove(&id);
                    latest.history.remove(&id);
                    latest.incidents.remove(&id);
                    latest.progress.remove(&id);
                }
                self.publish("removed", serde_json::json!({ "destinationId": id }));
            }
            EngineEvent::Progress(id, progress) => {
                self.latest().progress.insert(id, progress.clone());
                self.publish("progress", view::progress_event(id, &progress));
            }
            EngineEvent::Finished { id, op, result } => {
                self.latest().progress.remove(&id);
                self.publish("finished", view::finished_event(id, op, &result));
            }
            EngineEvent::Observed(observation) => self.observed(*observation),
            EngineEvent::Log(entry) => {
                let level = match entry.level {
                    Level::Info => "info",
                    Level::Warn => "warn",
                    Level::Error => "error",
                };
                self.publish(
                    "log",
                    serde_json::json!({
                        "at": view::rfc3339(entry.at),
                        "level": level,
                        "destinationId": entry.destination,
                        "text": entry.text,
                    }),
                );
            }
            EngineEvent::Incident(id, incident) => {
                {
                    let mut latest = self.latest();
                    match &incident {
                        Some(i) => latest.incidents.insert(id, i.clone()),
                        None => latest.incidents.remove(&id),
                    };
                }
                self.publish("incident", view::incident_event(id, incident.as_ref()));
            }
            EngineEvent::Alarms(Ok(board)) => self.alarms(&board),
            // A failed read changes no state: the last states stand, and the log says why.
            EngineEvent::Alarms(Err(_)) => {}
            EngineEvent::Quotas(report) => {
                let data = serde_json::to_value(&report).unwrap_or(Value::Null);
                self.latest().quotas = Some(report);
                self.publish("quotas", data);
            }
            // Answers to the TUI's own questions: nobody asks them through the API.
            EngineEvent::Orphans(_) | EngineEvent::Thumbnail { .. } => {}
        }
    }

    /// Announces each destination whose CloudWatch alarms changed state (an alarm firing is
    /// news to a dashboard even while the TUI is closed).
    fn alarms(&self, board: &AlarmBoard) {
        let changed: Vec<(DestinationId, Vec<(&'static str, AlarmState)>)> = {
            let mut latest = self.latest();
            let now: HashMap<DestinationId, Vec<(&'static str, AlarmState)>> = board
                .destinations
                .iter()
                .map(|(id, lights)| (*id, lights.iter().map(|l| (l.what, l.state)).collect()))
                .collect();
            let changed = now
                .iter()
                .filter(|(id, states)| latest.alarms.get(id) != Some(states))
                .map(|(id, states)| (*id, states.clone()))
                .collect();
            latest.alarms = now;
            changed
        };
        for (id, states) in changed {
            let alarms: Vec<Value> = states
                .iter()
                .map(|(what, state)| serde_json::json!({ "what": what, "state": state.as_aws() }))
                .collect();
            self.publish(
                "alarms",
                serde_json::json!({ "destinationId": id, "alarms": alarms }),
            );
        }
    }

    fn observed(&self, observation: Observation) {
        let at = observation.at.unix_timestamp();
        let mut new_alerts = Vec::new();
        {
            let mut latest = self.latest();
            for (id, metrics) in &observation.metrics.destinations {
                let series = latest.history.entry(*id).or_default();
                if series.len() == HISTORY {
                    series.pop_front();
                }
                series.push_back((at, metrics.bitrate));
            }
            if latest.source_history.len() == HISTORY {
                latest.source_history.pop_front();
            }
            latest
                .source_history
                .push_back((at, observation.metrics.source_bitrate));
            for (id, alerts) in &observation.alerts {
                if latest.alerts.get(id) != Some(alerts) {
                    new_alerts.push((*id, alerts.clone()));
                }
            }
            latest.alerts = observation.alerts.clone();
            latest.observation = Some(observation);
        }
        for (id, alerts) in new_alerts {
            self.publish(
                "alert",
                serde_json::json!({ "destinationId": id, "alerts": alerts }),
            );
        }
        let summary = view::observed_event(&self.latest());
        self.publish("observed", summary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::AlarmLight;

    fn board(id: DestinationId, state: AlarmState) -> AlarmBoard {
        AlarmBoard {
            destinations: HashMap::from([(
                id,
                vec![AlarmLight {
                    what: "delivering",
                    state,
                    reason: String::new(),
                }],
            )]),
            flow: None,
        }
    }

    /// An alarm's change of state is an event; the same states read again are not.
    #[test]
    fn alarm_states_are_announced_when_they_change() {
        let hub = Hub::new();
        let (_, mut live) = hub.subscribe(None);
        let id = DestinationId::new();
        for state in [AlarmState::Ok, AlarmState::Ok, AlarmState::Alarm] {
            hub.apply(EngineEvent::Alarms(Ok(board(id, state))));
        }
        hub.apply(EngineEvent::Alarms(Err("throttled".into())));
        let mut seen = Vec::new();
        while let Ok(event) = live.try_recv() {
            seen.push((event.kind, event.data["alarms"][0]["state"].clone()));
        }
        assert_eq!(
            seen,
            vec![("alarms", "OK".into()), ("alarms", "ALARM".into())]
        );
    }
}
