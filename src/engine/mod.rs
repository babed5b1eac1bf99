//! The lifecycle engine: turns operator actions into AWS calls through the [`crate::cloud`]
//! traits, one serialized operation per destination, many destinations at once, and reports every
//! step as an [`EngineEvent`]. It knows neither the terminal nor the AWS SDK.

pub mod cost;
pub mod events;

pub use events::*;

use crate::clock::Clock;
use crate::cloud::Cloud;
use crate::domain::{Catalog, Destination, DestinationDraft, DestinationId, FieldError};
use std::sync::Arc;
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
        }
    }
}

/// Why an action was refused before anything was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
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
    #[error("MediaLive {what} quota reached: {used} of {allowed} in use (raise it in Service Quotas, or delete a destination)")]
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
        let inner = Arc::new(Inner {
            cloud,
            catalog,
            config,
            clock,
            events,
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
    pub async fn load(&self) -> Result<Vec<Destination>, crate::cloud::CloudError> {
        todo!()
    }

    /// Validates the draft, checks quotas and names, writes the record and starts creating its
    /// chain in the background. Returns the new id at once.
    pub fn add(&self, draft: DestinationDraft) -> Result<DestinationId, Refusal> {
        let _ = draft;
        todo!()
    }

    pub fn start(&self, id: DestinationId) -> Result<(), Refusal> {
        let _ = id;
        todo!()
    }

    pub fn stop(&self, id: DestinationId) -> Result<(), Refusal> {
        let _ = id;
        todo!()
    }

    pub fn delete(&self, id: DestinationId) -> Result<(), Refusal> {
        let _ = id;
        todo!()
    }

    /// The operation under way on this destination, if any.
    pub fn in_flight(&self, id: DestinationId) -> Option<OpKind> {
        let _ = id;
        todo!()
    }

    /// Records as the engine last saw them.
    pub fn records(&self) -> Vec<Destination> {
        todo!()
    }

    /// An id, a unique id prefix, or a unique name (case-insensitive).
    pub fn resolve(&self, id_or_name: &str) -> Result<DestinationId, Refusal> {
        let _ = id_or_name;
        todo!()
    }

    /// One refresh now: flow, channel states and metrics, emitted as [`EngineEvent::Observed`].
    pub async fn refresh(&self) -> Observation {
        todo!()
    }

    /// Refreshes every `refresh_interval` until the engine's receiver is dropped.
    pub fn spawn_refresh_loop(&self) -> tokio::task::JoinHandle<()> {
        todo!()
    }

    /// Waits until no operation is under way (the CLI and tests).
    pub async fn settle(&self) {
        todo!()
    }
}
