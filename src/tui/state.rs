//! Everything the screen shows, and how engine events fold into it. Pure: no clock, no I/O; the
//! app loop sets `now` from the engine's clock, so views and tests agree on time.

use super::alerts;
use super::confirm::Confirm;
use super::form::AddForm;
use super::health::{self, Health};
use super::preview::Preview;
use super::stale::PendingAction;
use crate::cloud::ChannelState;
use crate::domain::{Catalog, Destination, DestinationId};
use crate::engine::cost::cost_so_far;
use crate::engine::{
    EngineEvent, FlowView, Level, LogEntry, Observation, OpKind, Progress, QuotaUse,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use tui_input::Input;

/// How far back the bitrate history reaches (the details chart shows it all).
pub const HISTORY_SPAN: Duration = Duration::from_secs(30 * 60);
/// Samples kept per series at the default 10 s refresh: 30 minutes.
pub const HISTORY_LEN: usize = 180;
/// The most samples kept whatever the refresh interval (30 min at 2 s), so a fast refresh can't
/// grow memory without bound.
pub const HISTORY_MAX: usize = 900;
/// How long `v` in the details view shows the stream key in full.
pub const REVEAL_FOR: Duration = Duration::from_secs(10);
/// Event-log lines kept; older ones are in the tracing log.
pub const LOG_LEN: usize = 500;
/// How long a flash message stays.
pub const FLASH_FOR: Duration = Duration::from_secs(6);

/// A bounded series of samples; `None` is a gap (no datapoint), drawn blank, never as zero.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    samples: VecDeque<Option<f64>>,
    capacity: usize,
}

impl Default for History {
    fn default() -> Self {
        Self::with_capacity(HISTORY_LEN)
    }
}

impl History {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            samples: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn push(&mut self, sample: Option<f64>) {
        while self.samples.len() >= self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(sample);
    }

    /// Every sample kept, oldest first.
    pub fn all(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        self.samples.iter().copied()
    }

    /// The newest `n` samples, oldest first (sparklines draw their first points, so callers
    /// pass exactly what fits).
    pub fn newest(&self, n: usize) -> Vec<Option<f64>> {
        let skip = self.samples.len().saturating_sub(n);
        self.samples.iter().skip(skip).copied().collect()
    }

    /// The newest sample if it is not a gap.
    pub fn current(&self) -> Option<f64> {
        self.samples.back().copied().flatten()
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// One destination as the table shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub record: Destination,
    /// The step the engine reported last, while an operation runs.
    pub progress: Option<Progress>,
    /// When that step began (as this screen saw it), for its elapsed time.
    pub progress_since: Option<OffsetDateTime>,
    /// Asked of the engine, no step reported yet: shown at once so a key press is never silent.
    pub requested: Option<OpKind>,
    /// The MediaLive channel's own state at the last refresh.
    pub channel: Option<ChannelState>,
    /// Output bits per second.
    pub bitrate: History,
    pub active_outputs: Option<f64>,
    /// MediaLive alerts SET on the channel (RTMP failures arrive this way).
    pub alerts: Vec<String>,
    /// Operations that failed this session.
    pub failures: u32,
    /// The alarm raised for this row and not yet cleared, so an alert fires once per transition.
    pub alarm: Option<String>,
    /// Off air against its desired state, and what onair is doing about it.
    pub incident: Option<crate::engine::Incident>,
    /// When a bitrate datapoint last arrived for this row, so missing data shows its age.
    pub last_data: Option<OffsetDateTime>,
}

impl Row {
    pub fn new(record: Destination) -> Self {
        Self {
            record,
            progress: None,
            progress_since: None,
            requested: None,
            channel: None,
            bitrate: History::default(),
            active_outputs: None,
            alerts: Vec::new(),
            failures: 0,
            alarm: None,
            incident: None,
            last_data: None,
        }
    }

    fn with_history(record: Destination, samples: usize) -> Self {
        Self {
            bitrate: History::with_capacity(samples),
            ..Self::new(record)
        }
    }

    pub fn id(&self) -> DestinationId {
        self.record.destination_id
    }

    /// Seconds since a bitrate datapoint last arrived, if one did.
    pub fn data_age(&self, now: OffsetDateTime) -> Option<u64> {
        self.last_data
            .map(|at| (now - at).whole_seconds().max(0) as u64)
    }

    /// Whether the bitrate figures and sparkline describe a run under way. A row that is not
    /// running shows none: CloudWatch keeps answering the last run's datapoints for a while
    /// after a stop, and they must not pass for a live output.
    pub fn sends(&self) -> bool {
        self.record.status == crate::domain::Status::Running
    }

    /// Whether an operation is asked for or under way.
    pub fn busy(&self) -> bool {
        self.progress.is_some() || self.requested.is_some()
    }
}

/// What a refresh reads, each of which can fail alone (and be stale alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// The DynamoDB table (Scan): the rows themselves.
    Table,
    /// MediaLive's ListChannels: the channel states.
    Channels,
    /// MediaConnect's DescribeFlow.
    Flow,
    /// CloudWatch's GetMetricData: every bitrate, output count and source figure.
    Metrics,
}

impl Part {
    pub fn label(self) -> &'static str {
        match self {
            Part::Table => "table",
            Part::Channels => "channels",
            Part::Flow => "flow",
            Part::Metrics => "metrics",
        }
    }
}

/// A part whose last reads failed: what it shows is as of `since`.
#[derive(Debug, Clone, PartialEq)]
pub struct StalePart {
    pub part: Part,
    /// When this part last answered (or, if it never did, when it first failed).
    pub since: OffsetDateTime,
    /// The newest failure, e.g. "ListChannels: throttled".
    pub why: String,
}

/// How many of the newest log lines a repeat is folded into.
pub const FOLD_WITHIN: usize = 6;

/// A line of the event log, with the identical lines folded into it: a throttled refresh every
/// 2 s is one line "×40 since 21:14:03", not forty that push everything else out.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// The newest of the identical entries (its time is the newest).
    pub entry: LogEntry,
    /// How many identical entries this line stands for (1: no repeat).
    pub count: u32,
    /// When the first of them came.
    pub first: OffsetDateTime,
}

impl std::ops::Deref for LogLine {
    type Target = LogEntry;
    fn deref(&self) -> &LogEntry {
        &self.entry
    }
}

/// The upstream source as the flow reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Source {
    pub connected: Option<bool>,
    pub packet_loss_percent: Option<f64>,
    pub not_recovered: Option<f64>,
    pub round_trip_ms: Option<f64>,
    pub bitrate: History,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashLevel {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub level: FlashLevel,
    pub text: String,
    pub until: OffsetDateTime,
}

/// What has the keyboard.
#[derive(Debug, Clone, Default)]
pub enum Mode {
    #[default]
    Normal,
    Form(Box<AddForm>),
    Confirm(Confirm),
    /// The key list; `scroll` lines down where it is taller than the terminal.
    Help {
        scroll: usize,
    },
    /// Typing the filter; the filter stays applied after Enter.
    Filter,
    Command(Input),
    Details(Details),
    Cost,
    /// `:gc`: orphaned AWS resources and drifted records.
    Orphans,
    /// `t`: a destination's go-live and stop times.
    Schedule(Box<crate::tui::schedule_form::ScheduleForm>),
}

/// The details view of one destination.
#[derive(Debug, Clone, PartialEq)]
pub struct Details {
    pub id: DestinationId,
    /// While set and in the future, the stream key is drawn in full (`v`); the only place it is.
    pub reveal_until: Option<OffsetDateTime>,
    /// The running channel's current frame, as last fetched.
    pub preview: Preview,
    /// Lines scrolled down where the details are taller than the screen.
    pub scroll: u16,
}

impl Details {
    pub fn new(id: DestinationId) -> Self {
        Self {
            id,
            reveal_until: None,
            preview: Preview::Waiting,
            scroll: 0,
        }
    }

    pub fn revealed(&self, now: OffsetDateTime) -> bool {
        self.reveal_until.is_some_and(|until| now < until)
    }
}

/// The whole model of the control room.
#[derive(Debug, Clone)]
pub struct AppState {
    pub rows: Vec<Row>,
    /// Items in the table onair can't read: drawn under the rows, never selectable, so no key
    /// acts on them.
    pub unreadable: Vec<crate::domain::UnreadableRecord>,
    /// The last answer to `:gc`; `None` while the engine is still looking.
    pub orphans: Option<Result<crate::engine::Orphans, String>>,
    pub flow: Option<FlowView>,
    pub source: Source,
    pub quotas: Option<QuotaUse>,
    /// The last read of Service Quotas: where the allowed values come from.
    pub quota_report: Option<crate::engine::quotas::QuotaReport>,
    /// Every alarm's state from the last DescribeAlarms (`None`: alarms off or not read yet).
    pub alarms: Option<Result<crate::engine::AlarmBoard, String>>,
    /// When the last refresh looked at AWS.
    pub observed_at: Option<OffsetDateTime>,
    /// Why the last refresh or load could not read AWS.
    pub refresh_error: Option<String>,
    /// Why the last DescribeFlow failed, if it did.
    pub flow_error: Option<String>,
    /// Channels onair did not make, shown read-only under the flow (config `watch_channels`).
    pub watched: Vec<crate::engine::WatchedChannel>,
    /// The parts whose last refresh failed, in `Part` order, each with the age of what it shows.
    pub stale_parts: Vec<StalePart>,
    pub selected: Option<DestinationId>,
    pub marked: HashSet<DestinationId>,
    pub mode: Mode,
    pub filter: Input,
    pub log: VecDeque<LogLine>,
    /// Names of destinations deleted this session, so their log lines keep them.
    pub gone: HashMap<DestinationId, String>,
    /// Lines scrolled up from the newest; 0 follows new lines.
    pub log_scroll: usize,
    pub show_log: bool,
    /// The event log has the screen (between header and status line), not a panel.
    pub log_full: bool,
    pub flash: Option<Flash>,
    pub now: OffsetDateTime,
    pub demo: bool,
    /// `--readonly`: bindings that change AWS are refused in one place (the key registry).
    pub readonly: bool,
    /// The terminal's size (columns, rows) as last drawn, so a key can tell how far the help
    /// scrolls. Set by the app loop, like `now`.
    pub screen: (u16, u16),
    /// e.g. "demo · us-east-1 (simulated)".
    pub context: String,
    /// A production environment: the top bar carries a PRODUCTION banner, and every change is
    /// asked first, naming the environment.
    pub production: bool,
    /// The named environment on screen, when the config has environments.
    pub env_name: Option<String>,
    /// Every environment `:env` can switch to.
    pub environments: Vec<String>,
    pub catalog: Arc<Catalog>,
    /// Set when the operator has asked to quit and nothing stands in the way.
    pub quit: bool,
    /// The engine's refresh interval: data older than two of them is stale.
    pub refresh_interval: Duration,
    /// A mutating key pressed on stale data, waiting for the fresh observation.
    pub pending: Option<PendingAction>,
    /// When `r` asked for a refresh: the observation that answers it says it is done.
    pub refresh_asked: Option<OffsetDateTime>,
    /// Alerts raised so far; the app rings the bell when this grows (if `bell` is on).
    pub alerts: u64,
    /// Whether the source-lost alert is raised.
    pub source_alarm: bool,
    /// When this onair started, for the session cost.
    pub started_at: OffsetDateTime,
    /// Each destination's cost when this session first saw it; the session total is the growth.
    pub session_base: HashMap<DestinationId, f64>,
    /// Session cost of destinations deleted during the session.
    pub session_removed: f64,
}

impl AppState {
    pub fn new(catalog: Arc<Catalog>, now: OffsetDateTime, context: impl Into<String>) -> Self {
        Self {
            rows: Vec::new(),
            unreadable: Vec::new(),
            orphans: None,
            flow: None,
            source: Source::default(),
            quotas: None,
            quota_report: None,
            alarms: None,
            observed_at: None,
            refresh_error: None,
            flow_error: None,
            watched: Vec::new(),
            stale_parts: Vec::new(),
            selected: None,
            marked: HashSet::new(),
            mode: Mode::Normal,
            filter: Input::default(),
            log: VecDeque::new(),
            gone: HashMap::new(),
            log_scroll: 0,
            show_log: false,
            log_full: false,
            flash: None,
            now,
            demo: false,
            readonly: false,
            screen: (80, 24),
            context: context.into(),
            production: false,
            env_name: None,
            environments: Vec::new(),
            catalog,
            quit: false,
            refresh_interval: Duration::from_secs(10),
            pending: None,
            refresh_asked: None,
            alerts: 0,
            source_alarm: false,
            started_at: now,
            session_base: HashMap::new(),
            session_removed: 0.0,
        }
    }

    /// Opens a question. In a production environment its title names the environment, so a
    /// change meant for the rehearsal can't be confirmed on the show by habit.
    pub fn ask(&mut self, mut question: super::confirm::Confirm) {
        if self.production {
            question.title = format!(
                "{} · {} · PRODUCTION",
                question.title,
                self.env_name.as_deref().unwrap_or("this environment")
            );
        }
        self.mode = Mode::Confirm(question);
    }

    /// Sets the refresh interval and sizes new histories to keep HISTORY_SPAN of samples.
    pub fn set_refresh_interval(&mut self, interval: Duration) {
        self.refresh_interval = interval;
    }

    /// Samples per history: HISTORY_SPAN at the refresh interval, at most HISTORY_MAX.
    pub fn history_len(&self) -> usize {
        let interval = self.refresh_interval.as_secs_f64().max(0.1);
        ((HISTORY_SPAN.as_secs_f64() / interval).ceil() as usize).clamp(1, HISTORY_MAX)
    }

    /// Older than two refresh intervals (or never observed): shown dimmed, and a mutating key
    /// refreshes before it acts.
    pub fn is_stale(&self) -> bool {
        match self.observed_at {
            None => true,
            Some(at) => (self.now - at) > self.refresh_interval * 2,
        }
    }

    /// The row's health from its history, outputs and the flow's source.
    pub fn health(&self, row: &Row) -> Health {
        let preset_bitrate = self
            .catalog
            .get(&row.record.preset)
            .map(|p| f64::from(p.total_bitrate()));
        health::assess(&health::Inputs {
            status: row.record.status,
            recent: &row.bitrate.newest(2),
            active_outputs: row.active_outputs,
            alerts: &row.alerts,
            source_connected: self.source.connected,
            preset_bitrate,
            running_for: row.record.uptime(self.now).map(Duration::from_secs),
            data_age: row.data_age(self.now),
        })
    }

    /// Folds one engine event in.
    pub fn apply(&mut self, event: EngineEvent) {
        match event {
            EngineEvent::Loaded(records) => self.load(records),
            EngineEvent::Upserted(record) => self.upsert(record),
            EngineEvent::Removed(id) => self.remove(id),
            EngineEvent::Progress(id, progress) => {
                let now = self.now;
                if let Some(row) = self.row_mut(id) {
                    row.requested = None;
                    if row.progress.as_ref() != Some(&progress) {
                        row.progress_since = Some(now);
                    }
                    row.progress = Some(progress);
                }
            }
            EngineEvent::Finished { id, op, result } => self.finished(id, op, result),
            EngineEvent::Observed(observation) => self.observed(*observation),
            EngineEvent::Orphans(found) => self.orphans = Some(found),
            EngineEvent::Log(entry) => self.push_log(entry),
            EngineEvent::Thumbnail { id, result } => self.thumbnail(id, result),
            EngineEvent::Incident(id, incident) => self.incident(id, incident),
            EngineEvent::Quotas(report) => self.quota_report = Some(report),
            // A failed read keeps the states last read: the details view says they are old.
            EngineEvent::Alarms(Err(e)) if matches!(self.alarms, Some(Ok(_))) => {
                tracing::debug!("alarms not read: {e}");
            }
            EngineEvent::Alarms(board) => self.alarms = Some(board),
        }
    }

    /// A preview frame for the open details view; one for a view since closed is dropped.
    fn thumbnail(
        &mut self,
        id: DestinationId,
        result: Result<Option<crate::cloud::Thumbnail>, String>,
    ) {
        let Mode::Details(details) = &mut self.mode else {
            return;
        };
        if details.id != id {
            return;
        }
        let preview = Preview::from_answer(result).after(&details.preview);
        let failure = preview
            .new_failure(&details.preview)
            .map(|why| format!("preview: {why}"));
        details.preview = preview;
        if let Some(text) = failure {
            self.log_line(Level::Warn, Some(id), text);
        }
    }

    /// The clock moved on: expire the flash. Returns whether anything on screen changes (uptimes
    /// and the data age move with the clock whenever there is data).
    pub fn tick(&mut self, now: OffsetDateTime) -> bool {
        self.now = now;
        if self.flash.as_ref().is_some_and(|f| f.until <= now) {
            self.flash = None;
            return true;
        }
        if let Mode::Details(d) = &mut self.mode
            && d.reveal_until.is_some_and(|until| until <= now)
        {
            d.reveal_until = None;
            return true;
        }
        self.observed_at.is_some() || self.rows.iter().any(|r| r.record.running_since.is_some())
    }

    fn load(&mut self, records: Vec<Destination>) {
        let mut old: HashMap<DestinationId, Row> =
            self.rows.drain(..).map(|r| (r.id(), r)).collect();
        for record in records {
            let row = match old.remove(&record.destination_id) {
                Some(mut row) => {
                    row.record = record;
                    row
                }
                None => Row::with_history(record, self.history_len()),
            };
            self.rows.push(row);
        }
        self.sort_rows();
        self.forget_missing();
        self.note_session_base();
    }

    /// Remembers what each newly seen destination had cost, so the session total counts only
    /// what this onair watched accrue. Destinations created during the session start at zero.
    fn note_session_base(&mut self) {
        for row in &self.rows {
            let r = &row.record;
            self.session_base
                .entry(r.destination_id)
                .or_insert_with(|| {
                    if r.created_at >= self.started_at {
                        0.0
                    } else {
                        cost_so_far(r, &self.catalog, self.now).total()
                    }
                });
        }
    }

    fn upsert(&mut self, record: Destination) {
        match self.row_mut(record.destination_id) {
            Some(row) => row.record = record,
            None => {
                self.rows
                    .push(Row::with_history(record, self.history_len()));
                self.sort_rows();
                self.note_session_base();
            }
        }
    }

    fn remove(&mut self, id: DestinationId) {
        // Keep the cursor near where it was rather than jumping to the top.
        if self.selected == Some(id) {
            let visible = self.visible_ids();
            let at = visible.iter().position(|v| *v == id).unwrap_or(0);
            self.selected = visible
                .get(at + 1)
                .or_else(|| at.checked_sub(1).and_then(|i| visible.get(i)))
                .copied();
        }
        let cost = self
            .row(id)
            .map(|row| cost_so_far(&row.record, &self.catalog, self.now).total());
        if let Some(cost) = cost {
            let base = self.session_base.remove(&id).unwrap_or(0.0);
            self.session_removed += (cost - base).max(0.0);
        }
        if let Some(name) = self.destination_name(id).map(str::to_string) {
            self.gone.insert(id, name);
        }
        self.rows.retain(|r| r.id() != id);
        self.forget_missing();
    }

    fn finished(
        &mut self,
        id: DestinationId,
        op: OpKind,
        result: Result<(), crate::engine::OpFailure>,
    ) {
        let Some(row) = self.row_mut(id) else {
            return;
        };
        row.progress = None;
        row.progress_since = None;
        row.requested = None;
        let name = row.record.name.clone();
        match result {
            Ok(()) => self.flash(FlashLevel::Info, format!("{name}: {} done", op.verb())),
            // Ended by the operator's own later operation: not a failure of the row.
            Err(failure)
                if matches!(failure.kind, crate::engine::FailureKind::Cancelled { .. }) =>
            {
                self.flash(FlashLevel::Info, format!("{name}: {failure}"))
            }
            Err(failure) => {
                row.failures += 1;
                self.flash(
                    FlashLevel::Error,
                    format!("{name}: {} failed: {failure}", op.verb()),
                );
            }
        }
    }

    fn observed(&mut self, o: Observation) {
        let previous = self.observed_at;
        let failed = [
            (Part::Table, &o.table_error),
            (Part::Channels, &o.channels_error),
            (Part::Flow, &o.flow_error),
            (Part::Metrics, &o.metrics_error),
        ];
        let mut stale = Vec::new();
        for (part, error) in failed {
            let Some(why) = error else { continue };
            // Still failing: what it shows dates from when it last answered. Newly failing: it
            // answered at the previous refresh.
            let since = self
                .stale_parts
                .iter()
                .find(|p| p.part == part)
                .map(|p| p.since)
                .or(previous)
                .unwrap_or(o.at);
            stale.push(StalePart {
                part,
                since,
                why: why.clone(),
            });
        }
        self.stale_parts = stale;
        if self.refresh_asked.is_some_and(|asked| o.at >= asked) {
            self.refresh_asked = None;
            match &o.error {
                None => self.flash(FlashLevel::Info, "refresh done: everything read just now"),
                Some(e) => self.flash(FlashLevel::Warn, format!("refresh done, but {e}")),
            }
        }
        self.observed_at = Some(o.at);
        self.refresh_error = o.error;
        self.flow_error = o.flow_error;
        // A watched channel that leaves RUNNING is an incident onair can only report: one flash
        // and one bell, as for a destination's drop.
        for now in &o.watched {
            let was_running = self
                .watched
                .iter()
                .any(|w| w.id == now.id && w.state == Some(crate::cloud::ChannelState::Running));
            let left = now
                .state
                .is_some_and(|s| s != crate::cloud::ChannelState::Running)
                || now.missing;
            if was_running && left {
                let name = now.name.as_deref().unwrap_or(now.id.as_str());
                self.flash(
                    FlashLevel::Error,
                    format!(
                        "watched channel {} left RUNNING (not onair's: nothing is done to it)",
                        crate::domain::text::safe(name)
                    ),
                );
                self.alerts += 1;
            }
        }
        self.watched = o.watched;
        if o.flow.is_some() {
            self.flow = o.flow;
        }
        self.quotas = Some(o.quotas);
        self.unreadable = o.unreadable;
        let m = o.metrics;
        self.source.connected = m.source_connected;
        self.source.packet_loss_percent = m.source_packet_loss_percent;
        self.source.not_recovered = m.source_not_recovered_packets;
        self.source.round_trip_ms = m.source_round_trip_ms;
        // While the source is lost its last datapoint still answers for a while: the outage is
        // a gap in the history, as long as it lasts.
        let source_bitrate = if m.source_connected == Some(false) {
            None
        } else {
            m.source_bitrate
        };
        self.source.bitrate.push(source_bitrate);
        for row in &mut self.rows {
            let id = row.id();
            row.channel = o.channels.get(&id).copied();
            let metrics = m.destinations.get(&id).copied().unwrap_or_default();
            // Only a running row's datapoints are its output; after a stop the history keeps
            // the last run (for the details view) followed by gaps.
            let bitrate = metrics.bitrate.filter(|_| row.sends());
            if bitrate.is_some() {
                row.last_data = Some(o.at);
            }
            row.bitrate.push(bitrate);
            row.active_outputs = metrics.active_outputs;
            row.alerts = o.alerts.get(&id).cloned().unwrap_or_default();
        }
        alerts::check(self);
    }

    fn push_log(&mut self, entry: LogEntry) {
        // The same line again among the newest few: fold it in and bring it to the bottom.
        let same = |l: &LogLine| {
            l.entry.level == entry.level
                && l.entry.destination == entry.destination
                && l.entry.text == entry.text
        };
        let newest = self.log.len().saturating_sub(FOLD_WITHIN);
        if let Some(at) = (newest..self.log.len()).rev().find(|i| same(&self.log[*i]))
            && let Some(mut line) = self.log.remove(at)
        {
            line.count = line.count.saturating_add(1);
            line.entry = entry;
            self.log.push_back(line);
            return;
        }
        if self.log.len() == LOG_LEN {
            self.log.pop_front();
        }
        self.log.push_back(LogLine {
            first: entry.at,
            entry,
            count: 1,
        });
        // Scrolled up, the operator is reading: keep the same lines in view.
        if self.log_scroll > 0 {
            self.log_scroll = (self.log_scroll + 1).min(self.log.len().saturating_sub(1));
        }
    }

    /// Records a line of the TUI's own (refusals, command results) in the event log too.
    pub fn log_line(&mut self, level: Level, destination: Option<DestinationId>, text: String) {
        self.push_log(LogEntry {
            at: self.now,
            level,
            destination,
            text,
        });
    }

    pub fn flash(&mut self, level: FlashLevel, text: impl Into<String>) {
        self.flash = Some(Flash {
            level,
            text: text.into(),
            until: self.now + FLASH_FOR,
        });
    }

    fn sort_rows(&mut self) {
        self.rows.sort_by(|a, b| {
            (a.record.created_at, &a.record.name).cmp(&(b.record.created_at, &b.record.name))
        });
    }

    fn forget_missing(&mut self) {
        let ids: HashSet<DestinationId> = self.rows.iter().map(Row::id).collect();
        self.marked.retain(|id| ids.contains(id));
        if self.selected.is_some_and(|id| !ids.contains(&id)) {
            self.selected = None;
        }
    }

    pub fn row(&self, id: DestinationId) -> Option<&Row> {
        self.rows.iter().find(|r| r.id() == id)
    }

    /// A new incident flashes once and rings the bell (when `bell = true`); its later phases
    /// only change the row. The engine's log lines say the rest.
    fn incident(&mut self, id: DestinationId, incident: Option<crate::engine::Incident>) {
        let Some(row) = self.row_mut(id) else { return };
        let new = row.incident.is_none() && incident.is_some();
        row.incident = incident;
        if new {
            let name = self.destination_name(id).unwrap_or("?").to_string();
            let why = self
                .row(id)
                .and_then(|r| r.incident.as_ref())
                .map(|i| i.reason.clone())
                .unwrap_or_default();
            self.flash(FlashLevel::Error, format!("{name} dropped: {why}"));
            self.alerts += 1;
        }
    }

    pub fn row_mut(&mut self, id: DestinationId) -> Option<&mut Row> {
        self.rows.iter_mut().find(|r| r.id() == id)
    }

    /// The rows the filter lets through, in table order.
    pub fn visible(&self) -> Vec<&Row> {
        let needle = self.filter.value().trim().to_lowercase();
        self.rows
            .iter()
            .filter(|r| needle.is_empty() || matches_filter(r, &needle))
            .collect()
    }

    pub fn visible_ids(&self) -> Vec<DestinationId> {
        self.visible().iter().map(|r| r.id()).collect()
    }

    /// The highlighted row: the remembered one if still visible, else the first visible. Kept by
    /// id, not index, so a row appearing above never redirects a key to another destination.
    pub fn selected_id(&self) -> Option<DestinationId> {
        let visible = self.visible_ids();
        match self.selected {
            Some(id) if visible.contains(&id) => Some(id),
            _ => visible.first().copied(),
        }
    }

    pub fn selected_index(&self) -> Option<usize> {
        let id = self.selected_id()?;
        self.visible_ids().iter().position(|v| *v == id)
    }

    /// What `s`/`x`/`d` act on: every marked row that is visible, else the selected row.
    pub fn targets(&self) -> Vec<DestinationId> {
        let visible = self.visible_ids();
        let marked: Vec<DestinationId> = visible
            .iter()
            .copied()
            .filter(|id| self.marked.contains(id))
            .collect();
        if marked.is_empty() {
            self.selected_id().into_iter().collect()
        } else {
            marked
        }
    }

    /// Operations asked for or under way, for the quit question.
    pub fn operations_running(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.busy() || r.record.status.is_transitional())
            .count()
    }

    /// Seconds since the last refresh, if there was one.
    pub fn data_age(&self) -> Option<i64> {
        self.observed_at
            .map(|at| (self.now - at).whole_seconds().max(0))
    }

    pub fn destination_name(&self, id: DestinationId) -> Option<&str> {
        self.row(id).map(|r| r.record.name.as_str())
    }

    /// A destination's name for a log line: a row's, or that of one deleted this session.
    pub fn log_name(&self, id: DestinationId) -> Option<&str> {
        self.destination_name(id)
            .or_else(|| self.gone.get(&id).map(String::as_str))
    }
}

fn matches_filter(row: &Row, needle: &str) -> bool {
    let r = &row.record;
    [
        r.name.as_str(),
        r.platform.as_str(),
        r.preset.as_str(),
        r.status.as_str(),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{Platform, Status, StreamKey};
    use crate::engine::{DestinationMetrics, MetricsSample};
    use time::macros::datetime;

    pub const T0: OffsetDateTime = datetime!(2026-11-25 19:00 UTC);

    pub fn record(name: &str, platform: Platform, status: Status, minute: i64) -> Destination {
        let mut d = Destination::new(
            name.into(),
            platform,
            platform
                .default_url()
                .unwrap_or("rtmp://ingest.example.com/live")
                .into(),
            StreamKey::new(format!("sk-{}-SECRETKEY", name.len())),
            "1080p30".into(),
            T0 + time::Duration::minutes(minute),
        );
        d.status = status;
        d
    }

    pub fn state_with(records: Vec<Destination>) -> AppState {
        let mut s = AppState::new(Arc::new(Catalog::builtin()), T0, "test");
        s.apply(EngineEvent::Loaded(records));
        // Fresh data, so keys act at once (stale data is tested on its own).
        s.observed_at = Some(T0);
        s
    }

    fn observation(at: OffsetDateTime, metrics: MetricsSample) -> Observation {
        Observation {
            watched: Vec::new(),
            at,
            flow: None,
            error: None,
            flow_error: None,
            table_error: None,
            channels_error: None,
            metrics_error: None,
            channels: HashMap::new(),
            quotas: QuotaUse::default(),
            metrics,
            alerts: Default::default(),
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn history_is_bounded_and_keeps_gaps() {
        let mut h = History::default();
        for i in 0..HISTORY_LEN + 5 {
            h.push(if i % 2 == 0 { Some(i as f64) } else { None });
        }
        assert_eq!(h.len(), HISTORY_LEN);
        let newest = h.newest(3);
        assert_eq!(newest.len(), 3);
        assert_eq!(newest[2], Some((HISTORY_LEN + 4) as f64));
        assert_eq!(newest[1], None);
    }

    #[test]
    fn rows_keep_their_history_across_a_reload() {
        let a = record("A", Platform::Youtube, Status::Running, 0);
        let mut s = state_with(vec![a.clone()]);
        let mut m = MetricsSample::default();
        m.destinations.insert(
            a.destination_id,
            DestinationMetrics {
                bitrate: Some(6e6),
                active_outputs: Some(1.0),
            },
        );
        s.apply(EngineEvent::Observed(Box::new(observation(T0, m))));
        s.apply(EngineEvent::Observed(Box::new(observation(
            T0,
            MetricsSample::default(),
        ))));
        s.apply(EngineEvent::Loaded(vec![a.clone()]));
        let row = s.row(a.destination_id).unwrap();
        assert_eq!(row.bitrate.newest(10), vec![Some(6e6), None]);
    }

    #[test]
    fn a_stopped_row_keeps_its_last_run_but_takes_no_new_datapoints() {
        let mut a = record("A", Platform::Youtube, Status::Running, 0);
        let mut s = state_with(vec![a.clone()]);
        let sample = |bitrate| {
            let mut m = MetricsSample::default();
            m.destinations.insert(
                a.destination_id,
                DestinationMetrics {
                    bitrate: Some(bitrate),
                    active_outputs: Some(1.0),
                },
            );
            m
        };
        s.apply(EngineEvent::Observed(Box::new(observation(
            T0,
            sample(6e6),
        ))));
        a.status = Status::Idle;
        s.apply(EngineEvent::Upserted(a.clone()));
        // CloudWatch still answers the last run's datapoint after the stop.
        s.apply(EngineEvent::Observed(Box::new(observation(
            T0,
            sample(5.9e6),
        ))));
        let row = s.row(a.destination_id).unwrap();
        assert_eq!(row.bitrate.newest(10), vec![Some(6e6), None]);
        assert!(!row.sends());
        assert_eq!(row.bitrate.current(), None);
    }

    #[test]
    fn a_lost_source_is_a_gap_in_its_history_while_it_lasts() {
        let mut s = state_with(vec![]);
        let mut m = MetricsSample {
            source_bitrate: Some(8e6),
            source_connected: Some(true),
            ..Default::default()
        };
        s.apply(EngineEvent::Observed(Box::new(observation(T0, m.clone()))));
        // The flow's last datapoint still answers while the source is gone.
        m.source_connected = Some(false);
        for _ in 0..3 {
            s.apply(EngineEvent::Observed(Box::new(observation(T0, m.clone()))));
        }
        assert_eq!(
            s.source.bitrate.newest(10),
            vec![Some(8e6), None, None, None]
        );
    }

    #[test]
    fn a_failing_part_is_stale_since_it_last_answered_and_clears_when_it_answers() {
        let mut s = state_with(vec![]);
        let t = |secs| T0 + time::Duration::seconds(secs);
        s.apply(EngineEvent::Observed(Box::new(observation(
            t(0),
            MetricsSample::default(),
        ))));
        for secs in [2, 4, 6] {
            let mut o = observation(t(secs), MetricsSample::default());
            o.channels_error = Some("ListChannels: throttled".into());
            o.error = o.channels_error.clone();
            s.apply(EngineEvent::Observed(Box::new(o)));
        }
        assert_eq!(
            s.stale_parts,
            vec![StalePart {
                part: Part::Channels,
                since: t(0),
                why: "ListChannels: throttled".into()
            }]
        );
        s.apply(EngineEvent::Observed(Box::new(observation(
            t(8),
            MetricsSample::default(),
        ))));
        assert!(s.stale_parts.is_empty());
    }

    #[test]
    fn progress_then_failure_clears_the_step_and_flashes() {
        let a = record("Twitch", Platform::Twitch, Status::Idle, 0);
        let id = a.destination_id;
        let mut s = state_with(vec![a]);
        s.apply(EngineEvent::Progress(
            id,
            Progress {
                op: OpKind::Start,
                step: 1,
                of: 2,
                label: "starting channel".into(),
            },
        ));
        assert!(s.row(id).unwrap().busy());
        s.apply(EngineEvent::Finished {
            id,
            op: OpKind::Start,
            result: Err(crate::engine::OpFailure {
                step: "starting channel 1/2".into(),
                kind: crate::engine::FailureKind::Cloud(crate::cloud::ErrorKind::Throttled),
                message: "start failed at starting channel 1/2: StartChannel: throttled".into(),
            }),
        });
        let row = s.row(id).unwrap();
        assert!(!row.busy());
        assert_eq!(row.failures, 1);
        let flash = s.flash.as_ref().unwrap();
        assert_eq!(flash.level, FlashLevel::Error);
        assert!(flash.text.contains("StartChannel"));
    }

    #[test]
    fn removing_the_selected_row_selects_its_neighbour_and_unmarks_it() {
        let a = record("A", Platform::Youtube, Status::Idle, 0);
        let b = record("B", Platform::Youtube, Status::Idle, 1);
        let mut s = state_with(vec![a.clone(), b.clone()]);
        s.selected = Some(a.destination_id);
        s.marked.insert(a.destination_id);
        s.apply(EngineEvent::Removed(a.destination_id));
        assert_eq!(s.selected_id(), Some(b.destination_id));
        assert!(s.marked.is_empty());
    }

    #[test]
    fn the_log_is_bounded_and_holds_its_place_when_scrolled_up() {
        let mut s = state_with(vec![]);
        for i in 0..LOG_LEN + 3 {
            s.log_line(Level::Info, None, format!("line {i}"));
        }
        assert_eq!(s.log.len(), LOG_LEN);
        assert_eq!(s.log_scroll, 0);
        s.log_scroll = 4;
        s.log_line(Level::Info, None, "new".into());
        assert_eq!(s.log_scroll, 5);
    }

    #[test]
    fn identical_log_lines_fold_into_one_with_a_count_and_the_first_time() {
        let mut s = state_with(vec![]);
        for i in 0..40 {
            s.now = T0 + time::Duration::seconds(2 * i);
            s.log_line(Level::Warn, None, "refresh: ListChannels: throttled".into());
            if i == 10 {
                s.log_line(Level::Info, None, "something else".into());
            }
        }
        assert_eq!(s.log.len(), 2, "{:?}", s.log);
        let folded = s.log.back().unwrap();
        assert_eq!(folded.count, 40);
        assert_eq!(folded.first, T0);
        assert_eq!(folded.at, T0 + time::Duration::seconds(78));
        assert_eq!(s.log[0].text, "something else");
        // A different level or destination is a different line.
        s.log_line(
            Level::Error,
            None,
            "refresh: ListChannels: throttled".into(),
        );
        assert_eq!(s.log.len(), 3);
    }

    #[test]
    fn a_deleted_destination_keeps_its_name_in_the_log() {
        let a = record("Main", Platform::Youtube, Status::Idle, 0);
        let mut s = state_with(vec![a.clone()]);
        s.apply(EngineEvent::Removed(a.destination_id));
        assert_eq!(s.destination_name(a.destination_id), None);
        assert_eq!(s.log_name(a.destination_id), Some("Main"));
    }

    #[test]
    fn r_says_done_when_its_refresh_answers() {
        let mut s = state_with(vec![]);
        s.now = T0 + time::Duration::seconds(5);
        crate::tui::action::update(&mut s, crate::tui::action::Action::Refresh);
        assert!(s.flash.as_ref().unwrap().text.contains("refreshing"));
        // An older observation does not answer it.
        s.apply(EngineEvent::Observed(Box::new(observation(
            T0,
            MetricsSample::default(),
        ))));
        assert!(s.flash.as_ref().unwrap().text.contains("refreshing"));
        s.apply(EngineEvent::Observed(Box::new(observation(
            s.now,
            MetricsSample::default(),
        ))));
        assert!(
            s.flash.as_ref().unwrap().text.contains("refresh done"),
            "{:?}",
            s.flash
        );
        assert_eq!(s.refresh_asked, None);
    }

    #[test]
    fn flashes_expire_on_tick() {
        let mut s = state_with(vec![]);
        // No data: only the flash can change the screen.
        s.observed_at = None;
        s.flash(FlashLevel::Warn, "hello");
        assert!(!s.tick(T0 + time::Duration::seconds(1)));
        assert!(s.flash.is_some());
        assert!(s.tick(T0 + time::Duration::seconds(7)));
        assert!(s.flash.is_none());
    }

    #[test]
    fn filter_matches_name_platform_preset_and_state() {
        let mut s = state_with(vec![
            record("Main", Platform::Youtube, Status::Running, 0),
            record("Backup", Platform::Twitch, Status::Idle, 1),
        ]);
        s.filter = Input::new("TWITCH".into());
        let names: Vec<&str> = s.visible().iter().map(|r| r.record.name.as_str()).collect();
        assert_eq!(names, vec!["Backup"]);
        s.filter = Input::new("running".into());
        assert_eq!(s.visible().len(), 1);
        assert_eq!(s.selected_id(), Some(s.visible()[0].id()));
    }
}
