//! The lifecycle engine: turns operator actions into AWS calls through the [`crate::cloud`]
//! traits, one serialized operation per destination, many destinations at once, and reports every
//! step as an [`EngineEvent`]. It knows neither the terminal nor the AWS SDK.

mod bulk;
mod calls;
pub mod cost;
mod edit;
pub mod events;
mod keys;
mod lifecycle;
mod reconcile;
mod refresh;
mod registry;
mod rtp_push;
mod thumbnail;

pub use events::*;
pub use lifecycle::LOST_RACE;
pub use reconcile::{Orphans, ReconcileReport};

use crate::clock::Clock;
use crate::cloud::{Cloud, CloudError};
use crate::domain::validate::Field;
use crate::domain::{
    Catalog, Destination, DestinationDraft, DestinationId, FieldError, Status, StoredKey,
};
use registry::InFlight;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc;

/// Settings the engine needs from the configuration.
#[derive(Debug, Clone)]
pub struct EngineConfig {
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
}

impl EngineConfig {
    pub fn new(flow_arn: impl Into<String>, medialive_role_arn: impl Into<String>) -> Self {
        Self {
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

    /// Validates the draft, checks names and quotas, and creates the chain in the background.
    /// Returns the new id at once; progress arrives as events.
    pub fn add(&self, draft: DestinationDraft) -> Result<DestinationId, Refusal> {
        self.writable("add")?;
        let valid = draft
            .validate(&self.inner.catalog)
            .map_err(Refusal::Invalid)?;
        let records = self.records();
        if records
            .iter()
            .any(|r| r.name.eq_ignore_ascii_case(&valid.name))
        {
            return Err(Refusal::Invalid(vec![FieldError {
                field: Field::Name,
                rule: format!("another destination is already called {:?}", valid.name),
            }]));
        }
        self.check_quota(&records)?;
        // With KMS configured the clear key goes to the add's task only; the record everyone
        // else sees says `Sealing` until the ciphertext replaces it.
        let (stream_key, clear) = match valid.stream_key {
            StoredKey::Clear(key) if self.inner.config.stream_key_kms_key.is_some() => {
                (StoredKey::Sealing, Some(key))
            }
            StoredKey::Clear(key) => (StoredKey::Clear(key), None),
            StoredKey::Sealed(_) | StoredKey::Sealing => {
                return Err(Refusal::Invalid(vec![FieldError {
                    field: Field::StreamKey,
                    rule: "belongs to another destination: type the key".into(),
                }]));
            }
        };
        let mut record = Destination::new(
            valid.name,
            valid.platform,
            valid.url,
            stream_key,
            valid.preset,
            self.inner.clock.now(),
        );
        // Idempotency tokens exist before the first call, so a retry can never create twice.
        record.input_request_id = Some(uuid::Uuid::new_v4().to_string());
        record.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
        let id = record.id();
        let claim = self
            .inner
            .in_flight
            .claim(id, OpKind::Add)
            .map_err(|_| Refusal::NotNow("that destination id is in use".into()))?;
        for warning in &valid.warnings {
            self.log(Level::Warn, Some(id), warning.clone());
        }
        self.records_lock().insert(id, record.clone());
        self.emit(EngineEvent::Upserted(record.clone()));
        let engine = self.clone();
        tokio::spawn(async move {
            let result = match engine.seal_new(record, clear).await {
                Ok(record) => engine.run_add(record).await,
                Err(failure) => Err(failure),
            };
            engine.finish(id, OpKind::Add, result).await;
            drop(claim);
        });
        Ok(id)
    }

    pub fn start(&self, id: DestinationId) -> Result<(), Refusal> {
        let record = self.startable(id)?;
        self.spawn_op(record, OpKind::Start)
    }

    /// The record, if it can be started now.
    fn startable(&self, id: DestinationId) -> Result<Destination, Refusal> {
        self.writable("start")?;
        let record = self.known(id)?;
        self.refuse_if_busy(&record)?;
        match record.status {
            Status::Running => Err(Refusal::NotNow(format!(
                "{} is already running",
                record.name
            ))),
            // A parked (or half-built) destination gets its chain re-created first.
            Status::Idle | Status::Error | Status::Parked => Ok(record),
            other => Err(self.busy(&record, other)),
        }
    }

    pub fn stop(&self, id: DestinationId) -> Result<(), Refusal> {
        let record = self.stoppable(id)?;
        self.spawn_op(record, OpKind::Stop)
    }

    /// The record, if it can be stopped now.
    fn stoppable(&self, id: DestinationId) -> Result<Destination, Refusal> {
        self.writable("stop")?;
        let record = self.known(id)?;
        self.refuse_if_busy(&record)?;
        match record.status {
            Status::Idle | Status::Parked => {
                Err(Refusal::NotNow(format!("{} is not running", record.name)))
            }
            Status::Running | Status::Error if record.media_live_channel_id.is_some() => Ok(record),
            Status::Error => Err(Refusal::NotNow(format!(
                "{} has no channel to stop",
                record.name
            ))),
            other => Err(self.busy(&record, other)),
        }
    }

    pub fn delete(&self, id: DestinationId) -> Result<(), Refusal> {
        self.writable("delete")?;
        let record = self.known(id)?;
        self.refuse_if_busy(&record)?;
        self.spawn_op(record, OpKind::Delete)
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

    /// An operation under way wins over whatever the record says: its first write may not have
    /// landed yet.
    fn refuse_if_busy(&self, record: &Destination) -> Result<(), Refusal> {
        match self.inner.in_flight.get(record.id()) {
            Some(op) => Err(Refusal::Busy {
                name: record.name.clone(),
                doing: op.verb(),
            }),
            None => Ok(()),
        }
    }

    fn busy(&self, record: &Destination, status: Status) -> Refusal {
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

    fn spawn_op(&self, record: Destination, op: OpKind) -> Result<(), Refusal> {
        let id = record.id();
        let claim = self
            .inner
            .in_flight
            .claim(id, op)
            .map_err(|doing| Refusal::Busy {
                name: record.name.clone(),
                doing: doing.verb(),
            })?;
        let engine = self.clone();
        tokio::spawn(async move {
            let result = match op {
                OpKind::Add | OpKind::Edit | OpKind::Reconcile => {
                    unreachable!("add, edit and reconcile have their own entry points")
                }
                OpKind::Park => engine.run_park(id).await,
                OpKind::Start => engine.run_start(id).await,
                OpKind::Stop => engine.run_stop(id).await,
                OpKind::Delete => engine.run_delete(id).await,
            };
            engine.finish(id, op, result).await;
            drop(claim);
        });
        Ok(())
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
