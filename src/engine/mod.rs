//! The lifecycle engine: turns operator actions into AWS calls through the [`crate::cloud`]
//! traits, one serialized operation per destination, many destinations at once, and reports every
//! step as an [`EngineEvent`]. It knows neither the terminal nor the AWS SDK.

mod calls;
pub mod cost;
pub mod decide;
pub mod events;
mod executor;
mod ops;
mod orphans;
pub mod plan;
mod reconcile;
mod refresh;
mod registry;
mod steps;
mod thumbnail;

pub use events::*;
pub use orphans::{NotOurs, Orphans, ResourceKind};
pub use reconcile::ReconcileReport;
pub use steps::PUSH_PROTOCOL;
use steps::Payload;
pub use steps::record::LOST_RACE;

use crate::clock::Clock;
use crate::cloud::{Cloud, CloudError};
use crate::domain::{Catalog, Destination, DestinationId, FieldError, Status};
use registry::InFlight;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

/// Settings the engine needs from the configuration.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The DynamoDB table the records live in. Every resource onair creates is tagged with it,
    /// and `gc` treats as orphans only resources tagged with this table.
    pub table: String,
    pub flow_arn: String,
    pub medialive_role_arn: String,
    pub refresh_interval: Duration,
    /// Period asked of CloudWatch (MediaLive publishes every 10 s).
    pub metric_period: Duration,
    pub channel_quota: usize,
    pub input_quota: usize,
    /// Longest wait for a channel to become IDLE after CreateChannel, RUNNING after start, …
    pub create_timeout: Duration,
    pub start_timeout: Duration,
    pub stop_timeout: Duration,
    pub delete_timeout: Duration,
    /// An idle destination's channel and input are deleted after this long (they bill while
    /// stopped); the record stays, `parked`. `None`: never.
    pub park_after: Option<Duration>,
    /// Refuse every action that changes AWS or the table, in this one place.
    pub readonly: bool,
    /// KMS key (id, ARN or alias) that stream keys are sealed with before they are written.
    /// `None`: keys are written in clear, as the seed does.
    pub stream_key_kms_key: Option<String>,
    /// Tries of a throttled / 5xx / timed-out call. The AWS backend sets 1: the SDK's adaptive
    /// retry already does this, and stacking both made a dead endpoint take 20 tries.
    pub call_attempts: u32,
    /// How new inputs are fed from the flow. Teardown follows what each input is, not this.
    pub wiring: crate::domain::Wiring,
    /// Longest wait for an input to become DETACHED or DELETED (it follows its channel).
    pub input_timeout: Duration,
}

impl EngineConfig {
    pub fn new(flow_arn: impl Into<String>, medialive_role_arn: impl Into<String>) -> Self {
        Self {
            table: crate::domain::naming::DEFAULT_TABLE.to_string(),
            flow_arn: flow_arn.into(),
            medialive_role_arn: medialive_role_arn.into(),
            refresh_interval: Duration::from_secs(10),
            metric_period: Duration::from_secs(10),
            channel_quota: 5,
            input_quota: 5,
            create_timeout: Duration::from_secs(120),
            // AWS: "most channels start in 3 minutes or less, up to 10 is still normal".
            start_timeout: Duration::from_secs(15 * 60),
            stop_timeout: Duration::from_secs(5 * 60),
            delete_timeout: Duration::from_secs(5 * 60),
            park_after: Some(Duration::from_secs(30 * 60)),
            readonly: false,
            stream_key_kms_key: None,
            call_attempts: 4,
            wiring: crate::domain::Wiring::default(),
            input_timeout: Duration::from_secs(60),
        }
    }
}

/// Why an action was refused before anything was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("read-only mode: {0} refused")]
    ReadOnly(&'static str),
    #[error("{}", join_field_errors(.0))]
    Invalid(Vec<FieldError>),
    #[error("no destination named or numbered {0:?}")]
    Unknown(String),
    #[error("{0:?} matches several destinations: use the id")]
    Ambiguous(String),
    #[error("{name} is busy: {doing} is under way")]
    Busy { name: String, doing: &'static str },
    #[error("{0}")]
    NotNow(String),
    /// The change needs the running channel restarted: ask, then call again with `restart`.
    #[error("{name} is live: applying the change restarts its channel")]
    NeedsRestart { name: String },
    #[error(
        "MediaLive {what} quota reached: {used} of {allowed} in use (raise it in Service Quotas, or delete a destination)"
    )]
    Quota {
        what: &'static str,
        used: usize,
        allowed: usize,
    },
}

fn join_field_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A cheap, cloneable handle to the engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    cloud: Cloud,
    catalog: Arc<Catalog>,
    config: EngineConfig,
    clock: Clock,
    events: mpsc::UnboundedSender<EngineEvent>,
    /// The records as last read or written: the versions conditional writes are based on.
    records: Mutex<BTreeMap<DestinationId, Destination>>,
    in_flight: Arc<InFlight>,
    /// Region-wide use from the last refresh (other tools' channels count against the quota too).
    quotas: Mutex<QuotaUse>,
    /// Per channel: when its alerts were last read, and what was SET then.
    alerts: Mutex<std::collections::HashMap<String, (tokio::time::Instant, Vec<String>)>>,
    /// Per destination: when its preview frame was last asked for.
    thumbnails: Mutex<std::collections::HashMap<DestinationId, tokio::time::Instant>>,
    /// Every channel's state in the latest ListChannels that answered: what plans are made from.
    channels_seen: Mutex<Option<std::collections::HashMap<String, crate::cloud::ChannelState>>>,
}

impl Engine {
    /// A new engine and the receiving end of its events.
    pub fn new(
        cloud: Cloud,
        catalog: Arc<Catalog>,
        config: EngineConfig,
        clock: Clock,
    ) -> (Self, mpsc::UnboundedReceiver<EngineEvent>) {
        let (events, rx) = mpsc::unbounded_channel();
        let quotas = QuotaUse {
            channels_allowed: config.channel_quota,
            inputs_allowed: config.input_quota,
            ..QuotaUse::default()
        };
        let inner = Arc::new(Inner {
            cloud,
            catalog,
            config,
            clock,
            events,
            records: Mutex::default(),
            in_flight: Arc::default(),
            quotas: Mutex::new(quotas),
            alerts: Mutex::default(),
            thumbnails: Mutex::default(),
            channels_seen: Mutex::default(),
        });
        (Self { inner }, rx)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Reads every record from the table and emits [`EngineEvent::Loaded`].
    pub async fn load(&self) -> Result<Vec<Destination>, CloudError> {
        let attempts = self.inner.config.call_attempts;
        let records =
            calls::retrying_n(attempts, || self.inner.cloud.store.scan(), |_, _| {}).await?;
        {
            let mut cache = self.records_lock();
            let busy: Vec<DestinationId> = cache
                .keys()
                .copied()
                .filter(|id| self.inner.in_flight.get(*id).is_some())
                .collect();
            // A record with an operation under way is this process's to write; keep our copy
            // unless the table has a newer version.
            let mut fresh: BTreeMap<DestinationId, Destination> =
                records.iter().map(|r| (r.id(), r.clone())).collect();
            for id in busy {
                let Some(ours) = cache.get(&id) else { continue };
                let newer = fresh
                    .get(&id)
                    .is_none_or(|theirs| ours.version > theirs.version);
                if newer {
                    fresh.insert(id, ours.clone());
                }
            }
            *cache = fresh;
        }
        let records = self.records();
        self.emit(EngineEvent::Loaded(records.clone()));
        Ok(records)
    }

    /// The operation under way on this destination, if any.
    pub fn in_flight(&self, id: DestinationId) -> Option<OpKind> {
        self.inner.in_flight.get(id)
    }

    /// Records as the engine last saw them, oldest first.
    pub fn records(&self) -> Vec<Destination> {
        let mut records: Vec<Destination> = self.records_lock().values().cloned().collect();
        records.sort_by_key(|r| (r.created_at, r.destination_id));
        records
    }

    pub fn record(&self, id: DestinationId) -> Option<Destination> {
        self.records_lock().get(&id).cloned()
    }

    /// An id, a unique id prefix (at least 4 characters), or a unique name (case-insensitive).
    pub fn resolve(&self, id_or_name: &str) -> Result<DestinationId, Refusal> {
        let wanted = id_or_name.trim();
        let records = self.records();
        let by_name: Vec<&Destination> = records
            .iter()
            .filter(|r| r.name.eq_ignore_ascii_case(wanted))
            .collect();
        let by_id: Vec<&Destination> = records
            .iter()
            .filter(|r| {
                wanted.len() >= 4
                    && r.destination_id
                        .to_string()
                        .starts_with(&wanted.to_ascii_lowercase())
            })
            .collect();
        match (by_name.as_slice(), by_id.as_slice()) {
            ([one], _) | ([], [one]) => Ok(one.id()),
            ([], []) => Err(Refusal::Unknown(wanted.to_string())),
            _ => Err(Refusal::Ambiguous(wanted.to_string())),
        }
    }

    /// Waits until no operation is under way (the CLI and tests).
    pub async fn settle(&self) {
        self.inner.in_flight.settle().await
    }

    // ---- internals shared by the lifecycle and refresh modules ----

    fn records_lock(&self) -> MutexGuard<'_, BTreeMap<DestinationId, Destination>> {
        self.inner.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn known(&self, id: DestinationId) -> Result<Destination, Refusal> {
        self.record(id)
            .ok_or_else(|| Refusal::Unknown(id.to_string()))
    }

    /// Read-only mode refuses every change here, so there is no second path to one.
    pub(crate) fn writable(&self, what: &'static str) -> Result<(), Refusal> {
        if self.inner.config.readonly {
            Err(Refusal::ReadOnly(what))
        } else {
            Ok(())
        }
    }

    pub(crate) fn busy(&self, record: &Destination, status: Status) -> Refusal {
        let doing = self
            .inner
            .in_flight
            .get(record.id())
            .map(OpKind::verb)
            .unwrap_or(status.as_str());
        Refusal::Busy {
            name: record.name.clone(),
            doing,
        }
    }

    fn check_quota(&self, records: &[Destination]) -> Result<(), Refusal> {
        let seen = *self.inner.quotas.lock().unwrap_or_else(|e| e.into_inner());
        let ours = records
            .iter()
            .filter(|r| r.status != Status::Parked)
            .count();
        let channels = seen.channels_used.max(ours);
        if channels >= self.inner.config.channel_quota {
            return Err(Refusal::Quota {
                what: "channel",
                used: channels,
                allowed: self.inner.config.channel_quota,
            });
        }
        let inputs = seen.inputs_used.max(ours);
        if inputs >= self.inner.config.input_quota {
            return Err(Refusal::Quota {
                what: "input",
                used: inputs,
                allowed: self.inner.config.input_quota,
            });
        }
        Ok(())
    }

    /// Notes every channel's state from a ListChannels answer, for the next plans.
    pub(crate) fn remember_channels(
        &self,
        states: &std::collections::HashMap<String, crate::cloud::ChannelState>,
    ) {
        *self
            .inner
            .channels_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(states.clone());
    }

    /// A channel this engine just saw settle (created, deleted): later plans needn't wait for
    /// the next listing to know it.
    pub(crate) fn note_channel(&self, channel_id: &str, state: Option<crate::cloud::ChannelState>) {
        let mut seen = self
            .inner
            .channels_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(states) = seen.as_mut() {
            match state {
                Some(state) => states.insert(channel_id.to_string(), state),
                None => states.remove(channel_id),
            };
        }
    }

    /// What AWS last showed of the record's channel.
    pub(crate) fn channel_seen(&self, record: &Destination) -> plan::ChannelSeen {
        let Some(channel) = &record.media_live_channel_id else {
            return plan::ChannelSeen::Unknown;
        };
        let seen = self
            .inner
            .channels_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match seen.as_ref() {
            None => plan::ChannelSeen::Unknown,
            Some(states) => match states.get(channel) {
                Some(state) => plan::ChannelSeen::State(*state),
                None => plan::ChannelSeen::Missing,
            },
        }
    }

    fn emit(&self, event: EngineEvent) {
        // Nobody listening (a CLI that only awaits settle) is fine.
        let _ = self.inner.events.send(event);
    }

    /// An event-log line. Lines about a destination don't repeat its name: the observer has the
    /// id (the TUI shows the name beside it), and the log file gets both as fields.
    fn log(&self, level: Level, destination: Option<DestinationId>, text: String) {
        let id = destination.map(|d| d.to_string());
        let name = destination.and_then(|d| self.record(d)).map(|r| r.name);
        match level {
            Level::Info => tracing::info!(destination = id, name, "{text}"),
            Level::Warn => tracing::warn!(destination = id, name, "{text}"),
            Level::Error => tracing::error!(destination = id, name, "{text}"),
        }
        self.emit(EngineEvent::Log(LogEntry {
            at: self.inner.clock.now(),
            level,
            destination,
            text,
        }));
    }
}
