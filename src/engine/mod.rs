//! The lifecycle engine: turns operator actions into AWS calls through the [`crate::cloud`]
//! traits, one serialized operation per destination, many destinations at once, and reports every
//! step as an [`EngineEvent`]. It knows neither the terminal nor the AWS SDK.

mod alarm_board;
pub mod alarms;
mod calls;
pub mod cost;
pub mod decide;
pub mod events;
mod executor;
pub mod incident;
mod ops;
mod orphans;
pub mod plan;
pub mod quotas;
mod reconcile;
mod refresh;
mod registry;
pub mod schedules;
mod steps;
mod thumbnail;

pub use alarm_board::{AlarmBoard, AlarmLight};
pub use events::*;
pub use orphans::{NotOurs, Orphans, ResourceKind};
pub use reconcile::ReconcileReport;
pub use steps::PUSH_PROTOCOL;
use steps::Payload;
pub use steps::record::LOST_RACE;
pub use steps::schedule::{ScheduleChange, StartAt};

use crate::clock::Clock;
use crate::cloud::{Cloud, CloudError};
use crate::domain::{Catalog, Destination, DestinationId, FieldError, Status, UnreadableRecord};
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
    /// What every channel onair creates or updates is told about RTMP reconnects (config
    /// `rtmp_reconnect_window`).
    pub rtmp_reconnect: crate::cloud::RtmpReconnect,
    /// Start a destination again when its channel stopped outside onair while it should run
    /// (config `auto_restart`).
    pub auto_restart: bool,
    /// StartChannels onair tries for one drop before it gives up (config `restart_attempts`).
    pub restart_attempts: u32,
    /// Wait before the first restart; doubled for each further one (config `restart_backoff`).
    pub restart_backoff: Duration,
    /// Channels onair did not make, shown read-only and never acted on.
    pub watch_channels: Vec<String>,
    /// SNS topic the CloudWatch alarms notify (config `alarm_topic_arn`). `None`: no alarms.
    pub alarm_topic_arn: Option<String>,
    /// The period each alarm evaluates (60 s; the demo shortens it to be watched).
    pub alarm_period: Duration,
    /// Role EventBridge Scheduler starts and stops channels with (config
    /// `scheduler_role_arn`). `None`: schedules are refused and starts set no deadline.
    pub scheduler_role_arn: Option<String>,
    /// Stop-by deadline after every start (config `max_run`); `None`: off.
    pub max_run: Option<Duration>,
    /// How long before its on-air time a scheduled start fires (config `schedule_lead`).
    pub schedule_lead: Duration,
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
            rtmp_reconnect: crate::cloud::RtmpReconnect::default(),
            auto_restart: true,
            restart_attempts: 3,
            restart_backoff: Duration::from_secs(10),
            watch_channels: Vec::new(),
            alarm_topic_arn: None,
            alarm_period: Duration::from_secs(60),
            scheduler_role_arn: None,
            max_run: Some(crate::config::DEFAULT_MAX_RUN),
            schedule_lead: crate::config::DEFAULT_SCHEDULE_LEAD,
        }
    }

    /// Whether destinations get CloudWatch alarms.
    pub fn alarms_on(&self) -> bool {
        self.alarm_topic_arn.is_some()
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
    #[error(
        "{0:?} matches several destinations (a name, or the start of more than one id): use the whole id"
    )]
    Ambiguous(String),
    #[error("{name} is busy: {doing} is under way")]
    Busy { name: String, doing: &'static str },
    #[error("{0}")]
    NotNow(String),
    /// The item is in the table but can't be read: nothing but `rm --force` touches it.
    #[error(
        "{label} can't be read from the table (attribute {attribute}: {reason}); onair leaves it and what it owns in AWS alone: fix the item, or `onair rm --force {id}` removes the item only"
    )]
    Unreadable {
        label: String,
        id: String,
        attribute: String,
        reason: String,
    },
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
    /// Items the last Scan could not read: shown, refused, never acted on.
    unreadable: Mutex<Vec<UnreadableRecord>>,
    in_flight: Arc<InFlight>,
    /// Region-wide use from the last refresh (other tools' channels count against the quota too).
    quotas: Mutex<QuotaUse>,
    /// Per channel: when its alerts were last read, and what was SET then.
    alerts: Mutex<std::collections::HashMap<String, (tokio::time::Instant, Vec<String>)>>,
    /// Per destination: when its preview frame was last asked for.
    thumbnails: Mutex<std::collections::HashMap<DestinationId, tokio::time::Instant>>,
    /// Destinations off air against their desired state, and what is being done about it.
    incidents: Mutex<std::collections::HashMap<DestinationId, Incident>>,
    /// What the refreshes saw of each running channel's output this run.
    watches: Mutex<std::collections::HashMap<DestinationId, incident::OutputWatch>>,
    /// Each watched channel's state at the last refresh that listed it.
    watched_states: Mutex<std::collections::HashMap<String, crate::cloud::ChannelState>>,
    /// Whether the last refresh found the flow's source disconnected.
    source_lost: std::sync::atomic::AtomicBool,
    /// Every channel's state in the latest ListChannels that answered: what plans are made from.
    channels_seen: Mutex<Option<std::collections::HashMap<String, crate::cloud::ChannelState>>>,
    /// The last read of Service Quotas (`None` until the first).
    applied_quotas: Mutex<Option<quotas::QuotaReport>>,
    /// Whether the alarm topic exists, once asked (GetTopicAttributes): `Err` says why not.
    alarm_topic: Mutex<Option<Result<(), String>>>,
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
            unreadable: Mutex::default(),
            in_flight: Arc::default(),
            quotas: Mutex::new(quotas),
            alerts: Mutex::default(),
            thumbnails: Mutex::default(),
            incidents: Mutex::default(),
            watches: Mutex::default(),
            source_lost: std::sync::atomic::AtomicBool::new(false),
            watched_states: Mutex::default(),
            channels_seen: Mutex::default(),
            applied_quotas: Mutex::default(),
            alarm_topic: Mutex::default(),
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

    /// Reads every record from the table and emits [`EngineEvent::Loaded`]. The items it can't
    /// read are kept apart ([`Engine::unreadable`]): shown, and refused by every operation.
    pub async fn load(&self) -> Result<Vec<Destination>, CloudError> {
        let attempts = self.inner.config.call_attempts;
        let scan = calls::retrying_n(attempts, || self.inner.cloud.store.scan(), |_, _| {}).await?;
        let records = scan.records;
        let appeared: Vec<UnreadableRecord> = {
            let mut known = self.unreadable_lock();
            let appeared = scan
                .unreadable
                .iter()
                .filter(|u| !known.contains(u))
                .cloned()
                .collect();
            *known = scan.unreadable;
            appeared
        };
        // Once per item, not on every refresh: the row and its footer say it from then on.
        for u in appeared {
            self.log(
                Level::Warn,
                None,
                format!(
                    "item {} ({}) can't be read: {}; left alone",
                    u.id.as_deref().unwrap_or("?"),
                    u.name.as_deref().unwrap_or("no name"),
                    u.problem()
                ),
            );
        }
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

    /// The items the last Scan could not read, by id.
    pub fn unreadable(&self) -> Vec<UnreadableRecord> {
        self.unreadable_lock().clone()
    }

    /// The unreadable item `wanted` names (id, id prefix or name), for `rm --force`: refused in
    /// read-only mode, when nothing or several match, or when it names a readable record.
    pub fn resolve_unreadable(&self, wanted: &str) -> Result<UnreadableRecord, Refusal> {
        self.writable("rm --force")?;
        let wanted = wanted.trim();
        let matching: Vec<UnreadableRecord> = self
            .unreadable()
            .into_iter()
            .filter(|u| u.is_named_by(wanted))
            .collect();
        match matching.as_slice() {
            [one] if one.id.is_some() => Ok(one.clone()),
            [_] => Err(Refusal::NotNow(format!(
                "{wanted:?} names an item without a string id: remove it with another tool"
            ))),
            [] => match self.resolve(wanted) {
                Ok(id) => Err(Refusal::NotNow(format!(
                    "{} is readable: --force removes only items onair can't read; `onair rm {}` \
                     deletes it and its AWS resources",
                    id.short(),
                    id.short()
                ))),
                Err(refusal) => Err(refusal),
            },
            _ => Err(Refusal::Ambiguous(wanted.to_string())),
        }
    }

    /// Deletes an unreadable item from the table, and nothing else: whatever AWS resources it
    /// names are left as they are.
    pub async fn remove_unreadable(&self, item: &UnreadableRecord) -> Result<(), CloudError> {
        let Some(id) = item.id.as_deref() else {
            return Ok(());
        };
        self.inner.cloud.store.delete_unreadable(id).await?;
        self.unreadable_lock()
            .retain(|u| u.id.as_deref() != Some(id));
        self.log(
            Level::Warn,
            None,
            format!(
                "removed the unreadable item {id} from the table ({}); its AWS resources, if any, \
                 are left alone",
                item.problem()
            ),
        );
        Ok(())
    }

    /// The refusal for an operation on `wanted` when it names an unreadable item.
    fn unreadable_refusal(&self, matches: impl Fn(&UnreadableRecord) -> bool) -> Option<Refusal> {
        self.unreadable_lock()
            .iter()
            .find(|u| matches(u))
            .map(|u| Refusal::Unreadable {
                label: match (&u.name, &u.id) {
                    (Some(name), _) => format!("{name:?}"),
                    (None, Some(id)) => id.clone(),
                    (None, None) => "an item".to_string(),
                },
                id: u.id.clone().unwrap_or_default(),
                attribute: u.attribute.clone(),
                reason: u.reason.clone(),
            })
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
        let unreadable = self.unreadable_refusal(|u| u.is_named_by(wanted));
        match (by_name.as_slice(), by_id.as_slice(), unreadable) {
            // A name that is also another destination's id prefix names neither for sure:
            // `rm cf301a7a` must not delete the one *called* that by surprise.
            ([named], ids, None) if ids.iter().all(|r| r.id() == named.id()) => Ok(named.id()),
            ([], [one], None) => Ok(one.id()),
            ([], [], Some(refusal)) => Err(refusal),
            ([], [], None) => Err(Refusal::Unknown(wanted.to_string())),
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
        self.record(id).ok_or_else(|| {
            let text = id.to_string();
            self.unreadable_refusal(|u| u.id.as_deref() == Some(text.as_str()))
                .unwrap_or(Refusal::Unknown(text))
        })
    }

    fn unreadable_lock(&self) -> MutexGuard<'_, Vec<UnreadableRecord>> {
        self.inner
            .unreadable
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// How new chains are built, for every plan.
    pub(crate) fn shape(&self) -> plan::Shape {
        plan::Shape {
            wiring: self.inner.config.wiring,
            alarms: self.inner.config.alarms_on(),
        }
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
        let allowed = self.allowed(quotas::QuotaKind::Channels);
        if channels >= allowed {
            return Err(Refusal::Quota {
                what: "channel",
                used: channels,
                allowed,
            });
        }
        let inputs = seen.inputs_used.max(ours);
        let allowed = self.allowed(quotas::QuotaKind::PushInputs);
        if inputs >= allowed {
            return Err(Refusal::Quota {
                what: "input",
                used: inputs,
                allowed,
            });
        }
        Ok(())
    }

    /// Notes every channel's state from a ListChannels answer, for the next plans.
    /// One ListChannels, remembered for planning: the CLI asks before it operates, so a start
    /// of a record whose channel vanished re-creates it instead of failing at StartChannel.
    pub async fn look_at_channels(&self) -> Result<(), CloudError> {
        let ml = &self.inner.cloud.medialive;
        let channels = calls::retrying_n(
            self.inner.config.call_attempts,
            || ml.list_channels(),
            |_, _| {},
        )
        .await?;
        let states = channels.into_iter().map(|c| (c.id, c.state)).collect();
        self.remember_channels(&states);
        Ok(())
    }

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
