//! What the engine tells its observers (the TUI, the CLI, tests). Events are facts that already
//! happened; the observer folds them into its own state.

use crate::cloud::ChannelState;
use crate::domain::{Destination, DestinationId};
use std::collections::HashMap;
use time::OffsetDateTime;

/// The lifecycle operations an operator can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    Add,
    Start,
    Stop,
    Delete,
    Edit,
    /// Delete an idle destination's channel and input, keep the record.
    Park,
    /// Re-create a parked destination's chain and leave it idle (ready to start at once).
    Unpark,
    /// Finish or roll back what a crash interrupted, or follow what changed in AWS.
    Reconcile,
    /// Create, move or remove a destination's EventBridge schedules.
    Schedule,
}

impl OpKind {
    /// Housekeeping runs in the background on the engine's own account; an operator's
    /// operation preempts it.
    pub fn is_housekeeping(self) -> bool {
        matches!(self, OpKind::Park | OpKind::Reconcile)
    }

    pub fn verb(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Start => "start",
            OpKind::Stop => "stop",
            OpKind::Delete => "delete",
            OpKind::Edit => "edit",
            OpKind::Park => "park",
            OpKind::Unpark => "unpark",
            OpKind::Reconcile => "reconcile",
            OpKind::Schedule => "schedule",
        }
    }
}

/// Why an operation ended without doing what it set out to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureKind {
    /// A call failed: AWS's kind of error.
    Cloud(crate::cloud::ErrorKind),
    /// Another operator wrote the record first: nothing was written, their change stands.
    LostRace,
    /// An operator's later operation ended this one at a step boundary.
    Cancelled { by: OpKind },
    /// A queued operation found, once it could run, that the record's state refuses it.
    Refused,
}

/// How an operation failed: the step it was on, what kind of failure, and the message (naming
/// the call, AWS's words and what is left in AWS). Never holds a stream key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpFailure {
    pub step: String,
    pub kind: FailureKind,
    pub message: String,
}

impl OpFailure {
    /// Nothing was changed by this operator (a lost race or a cancellation): a refusal for the
    /// CLI's exit code, not a failure.
    pub fn changed_nothing(&self) -> bool {
        matches!(
            self.kind,
            FailureKind::LostRace | FailureKind::Cancelled { .. } | FailureKind::Refused
        )
    }
}

impl std::fmt::Display for OpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// One line of the event log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub at: OffsetDateTime,
    pub level: Level,
    pub destination: Option<DestinationId>,
    pub text: String,
}

/// The step an operation is on, e.g. "creating channel", 3 of 5.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub op: OpKind,
    pub step: u8,
    pub of: u8,
    pub label: String,
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}/{}", self.label, self.step, self.of)
    }
}

/// A channel onair did not make, watched read-only (config `watch_channels`).
#[derive(Debug, Clone, PartialEq)]
pub struct WatchedChannel {
    pub id: String,
    /// As ListChannels names it; `None` when the listing failed or lacks it.
    pub name: Option<String>,
    pub state: Option<crate::cloud::ChannelState>,
    /// The listing answered and the channel is not in it.
    pub missing: bool,
    /// NetworkOut in bits per second; `None` is a gap.
    pub bitrate: Option<f64>,
    pub active_outputs: Option<f64>,
    /// MediaLive's SET alerts ("type: message"), read at most once a minute.
    pub alerts: Vec<String>,
}

/// The flow as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowView {
    pub name: String,
    pub arn: String,
    /// AWS status, e.g. `ACTIVE`.
    pub status: String,
    pub protocol: String,
    pub port: Option<u16>,
    pub encryption: Option<String>,
    pub outputs: usize,
}

/// One refresh's newest datapoint of each series; `None` is a gap (no data), never a zero.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricsSample {
    pub at: Option<OffsetDateTime>,
    /// Bits per second arriving at the flow.
    pub source_bitrate: Option<f64>,
    pub source_connected: Option<bool>,
    pub source_packet_loss_percent: Option<f64>,
    pub source_not_recovered_packets: Option<f64>,
    pub source_round_trip_ms: Option<f64>,
    pub destinations: HashMap<DestinationId, DestinationMetrics>,
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DestinationMetrics {
    /// Bits per second the channel sends (CloudWatch NetworkOut, converted from Mb/s).
    pub bitrate: Option<f64>,
    pub active_outputs: Option<f64>,
}

/// Used and allowed counts of the MediaLive quotas onair checks before creating anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuotaUse {
    pub channels_used: usize,
    pub channels_allowed: usize,
    pub inputs_used: usize,
    pub inputs_allowed: usize,
}

/// What one refresh saw in AWS.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub at: OffsetDateTime,
    pub flow: Option<FlowView>,
    /// Why the flow or the channel list could not be read, if so.
    pub error: Option<String>,
    /// Why DescribeFlow failed, if it did: the flow panel names its own cause, not the table's.
    pub flow_error: Option<String>,
    /// Why the table's Scan failed, if it did (the records shown are the last ones read).
    pub table_error: Option<String>,
    /// Why ListChannels failed, if it did (the channel states shown are the last ones read).
    pub channels_error: Option<String>,
    /// Why GetMetricData failed, if it did (this observation carries no datapoint at all).
    pub metrics_error: Option<String>,
    /// AWS state of each destination's channel; absent when it has none.
    pub channels: HashMap<DestinationId, ChannelState>,
    pub quotas: QuotaUse,
    pub metrics: MetricsSample,
    /// MediaLive alerts SET on running channels ("type: message"), read at most once a minute
    /// per channel.
    pub alerts: HashMap<DestinationId, Vec<String>>,
    /// Items in the table onair can't read (as of the last Scan that answered): shown as such,
    /// never acted on.
    /// The channels of `watch_channels`, in the configured order.
    pub watched: Vec<WatchedChannel>,
    pub unreadable: Vec<crate::domain::UnreadableRecord>,
}

// A few events a second: boxing the record would buy nothing measurable.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum EngineEvent {
    /// Every record, after the table was read (start-up, refresh).
    Loaded(Vec<Destination>),
    /// A record was written.
    Upserted(Destination),
    /// A record was deleted.
    Removed(DestinationId),
    /// An operation moved to its next step.
    Progress(DestinationId, Progress),
    /// An operation ended; `Err` says at which step, what kind of failure, and its message.
    Finished {
        id: DestinationId,
        op: OpKind,
        result: Result<(), OpFailure>,
    },
    Observed(Box<Observation>),
    /// The answer to [`crate::engine::Engine::scan_orphans`]: what was found, or why not.
    Orphans(Result<crate::engine::Orphans, String>),
    Log(LogEntry),
    /// The answer to [`crate::engine::Engine::fetch_thumbnail`]: the running channel's current
    /// frame, `None` when AWS has none, `Err` naming the call that failed.
    Thumbnail {
        id: DestinationId,
        result: Result<Option<crate::cloud::Thumbnail>, String>,
    },
    /// What the last read of Service Quotas gave (at start, then hourly).
    Quotas(crate::engine::quotas::QuotaReport),
    /// The alarms' states, from one DescribeAlarms (every few refreshes while alarms are on),
    /// or why they could not be read.
    Alarms(Result<crate::engine::AlarmBoard, String>),
    /// A destination's incident began or changed (`Some`), or it is back on air or the
    /// operator took over (`None`).
    Incident(DestinationId, Option<Incident>),
}

/// A destination that should be on air and whose channel stopped outside any onair operation
/// (MediaLive gave up reconnecting to the platform, or someone stopped it where onair couldn't
/// tell): shown until it is back, restarted by the reconciler where that is safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// When the output was first seen down (or, failing that, when the stop was noticed).
    pub since: OffsetDateTime,
    /// Why: MediaLive's alert in its own words, or "RTMP retries exhausted".
    pub reason: String,
    /// Restarts issued for this incident so far, and how many are allowed.
    pub attempts: u32,
    pub of: u32,
    /// Restarts whose channel was refused from its first second (never sent anything).
    pub refused_at_once: u32,
    pub phase: IncidentPhase,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentPhase {
    /// Waiting to restart (backoff), or about to.
    Waiting { until: OffsetDateTime },
    /// A restart (StartChannel) is under way.
    Restarting,
    /// Not restarting, for the reason given (read-only, auto_restart off, source lost): the
    /// operator decides.
    Held(String),
    /// Attempts used up, or the restart itself failed: what to do next.
    GaveUp(String),
}
