//! The simulated account's state, and the lazy clock that moves it: each resource keeps its one
//! pending transition (target state and deadline), and [`World::advance`] applies the due ones in
//! deadline order before any call looks at the world.

use super::faults::{FaultState, Service};
use super::ratelimit::TokenBucket;
use super::{SimChannel, SimConfig, SimInput, SimSnapshot, Simulator};
use crate::clock::Clock;
use crate::cloud::{
    Channel, ChannelConfig, ChannelState, CloudError, Flow, FlowSource, FlowStatus, Input,
    InputState, Tags,
};
use crate::domain::{Destination, DestinationId};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::time::Instant;

/// How long a DELETED channel or input stays describable before AWS forgets it (realistic
/// seconds, scaled by `speed` like every other delay).
const FORGET_AFTER_SECS: f64 = 300.0;

/// A span of wall time; `end: None` means "still going".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Interval {
    pub start: OffsetDateTime,
    pub end: Option<OffsetDateTime>,
}

impl Interval {
    pub fn contains(&self, t: OffsetDateTime) -> bool {
        self.start <= t && self.end.is_none_or(|end| t < end)
    }
}

pub(crate) fn any_contains(intervals: &[Interval], t: OffsetDateTime) -> bool {
    intervals.iter().any(|i| i.contains(t))
}

fn close_open(intervals: &mut [Interval], at: OffsetDateTime) {
    for i in intervals.iter_mut().filter(|i| i.end.is_none()) {
        i.end = Some(at);
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending<S> {
    pub to: S,
    pub at: Instant,
}

#[derive(Debug)]
pub(crate) struct ChannelRec {
    /// Creation order, for stable listings.
    pub seq: u64,
    pub id: String,
    pub arn: String,
    /// Holds the stream key; only `StreamKey`'s masking Debug ever prints it.
    pub config: ChannelConfig,
    pub tags: Tags,
    pub state: ChannelState,
    pub pending: Option<Pending<ChannelState>>,
    /// When the channel was RUNNING: metrics exist only inside these.
    pub running: Vec<Interval>,
    /// When a fault made the running channel send nothing.
    pub silenced: Vec<Interval>,
    /// A fault: the next start ends back in IDLE instead of RUNNING.
    pub fail_next_start: bool,
    /// The RTMP output lost its platform and is retrying.
    pub outage: Option<super::rtmp::Outage>,
    /// Every alert raised on the channel, SET and CLEARED.
    pub alerts: Vec<super::rtmp::SimAlert>,
    /// After this, Describe says NotFound (set when DELETED).
    pub forget_at: Option<Instant>,
}

impl ChannelRec {
    pub fn to_channel(&self) -> Channel {
        Channel {
            id: self.id.clone(),
            arn: self.arn.clone(),
            name: self.config.name.clone(),
            state: self.state,
            input_ids: vec![self.config.input_id.clone()],
            destination_url: Some(self.config.destination.url.clone()),
            tags: self.tags.clone(),
        }
    }

    pub fn is_silenced(&self) -> bool {
        self.silenced.iter().any(|i| i.end.is_none())
    }

    /// Mb/s the channel sends when all is well: its video and audio bitrates.
    pub fn nominal_mbps(&self) -> f64 {
        let e = &self.config.encoding;
        (f64::from(e.video_bitrate) + f64::from(e.audio_bitrate)) / 1e6
    }
}

#[derive(Debug)]
pub(crate) struct InputRec {
    pub seq: u64,
    /// The input as Describe returns it; its `state` is the truth.
    pub input: Input,
    pub pending: Option<Pending<InputState>>,
    pub forget_at: Option<Instant>,
}

pub(crate) struct World {
    pub speed: f64,
    pub channel_quota: usize,
    pub input_quota: usize,
    pub medialive_resolution: Duration,
    pub seed: u64,
    origin_wall: OffsetDateTime,
    origin_instant: Instant,
    rng: SmallRng,
    seq: u64,
    pub channels: BTreeMap<String, ChannelRec>,
    pub inputs: BTreeMap<String, InputRec>,
    pub security_groups: BTreeMap<String, super::security_groups::SecurityGroupRec>,
    pub flow: Flow,
    /// When the flow's metrics begin: it was up long before the simulator started.
    pub flow_since: OffsetDateTime,
    /// When a fault disconnected the SRT source.
    pub source_drops: Vec<Interval>,
    /// Idempotency tokens already used, and what they made.
    pub channel_requests: HashMap<String, String>,
    pub input_requests: HashMap<String, String>,
    /// The default table's records ([`Simulator::TABLE`]).
    pub records: BTreeMap<DestinationId, Destination>,
    /// Every other table in the account, by name (two onairs, `ONAIR_TABLE=a` and `b`).
    pub other_tables: BTreeMap<String, BTreeMap<DestinationId, Destination>>,
    /// Items another tool wrote that onair can't read, by their stored id.
    pub unreadable: BTreeMap<String, crate::domain::UnreadableRecord>,
    pub calls: BTreeMap<String, u64>,
    pub faults: FaultState,
    /// Platforms refusing streams (`:fault reject`, `revoke-key`).
    pub refusals: Vec<super::rtmp::PlatformRefusal>,
    pub kms: super::kms::Kms,
    buckets: HashMap<Service, TokenBucket>,
    /// AWS's default is 5 input security groups per region, the same as push inputs.
    pub security_group_quota: usize,
    /// CloudWatch alarms by name.
    pub alarms: BTreeMap<String, super::alarms::SimAlarm>,
    /// SNS topics that exist, and what alarm actions published to them.
    pub topics: std::collections::BTreeSet<String>,
    pub notifications: Vec<super::alarms::SimNotification>,
    /// Service Quotas increase requests, and whether a fault denies the API.
    pub quota_requests: Vec<super::quotas::SimQuotaRequest>,
    pub quotas_denied: bool,
    /// EventBridge Scheduler's schedules and what their firings did.
    pub scheduler: super::scheduler::SchedulerState,
    /// While a schedule fires, "now" is its time, not the later call that noticed it was due:
    /// the channel it starts is RUNNING as long after the schedule as AWS would take.
    now_override: Option<Instant>,
}

impl World {
    pub fn new(config: &SimConfig, clock: Clock) -> Self {
        let now = clock.instant();
        let origin_wall = clock.now();
        let buckets = match config.rate_limit {
            Some(limit) => [Service::MediaLive, Service::MediaConnect]
                .into_iter()
                .map(|s| (s, TokenBucket::new(limit, now)))
                .collect(),
            None => HashMap::new(),
        };
        Self {
            speed: config.speed.max(0.0),
            channel_quota: config.channel_quota,
            input_quota: config.input_quota,
            medialive_resolution: config
                .medialive_metric_resolution
                .max(Duration::from_secs(1)),
            seed: config.seed,
            origin_wall,
            origin_instant: now,
            rng: SmallRng::seed_from_u64(config.seed),
            seq: 0,
            channels: BTreeMap::new(),
            inputs: BTreeMap::new(),
            security_groups: BTreeMap::new(),
            flow: Flow {
                arn: Simulator::FLOW_ARN.to_string(),
                name: config.flow_name.clone(),
                status: FlowStatus::Active,
                source: FlowSource {
                    name: "videon-edge".to_string(),
                    protocol: "srt-listener".to_string(),
                    ingest_ip: Some("3.224.17.98".to_string()),
                    ingest_port: Some(9998),
                    encryption: Some("aes128".to_string()),
                },
                egress_ip: Some("3.224.17.99".to_string()),
                outputs: Vec::new(),
            },
            flow_since: origin_wall - Duration::from_secs(24 * 3600),
            source_drops: Vec::new(),
            channel_requests: HashMap::new(),
            input_requests: HashMap::new(),
            records: BTreeMap::new(),
            other_tables: BTreeMap::new(),
            unreadable: BTreeMap::new(),
            calls: BTreeMap::new(),
            faults: FaultState::default(),
            refusals: Vec::new(),
            kms: super::kms::Kms::new(config.seed),
            buckets,
            security_group_quota: config.input_quota,
            alarms: BTreeMap::new(),
            topics: [Simulator::TOPIC_ARN.to_string()].into_iter().collect(),
            notifications: Vec::new(),
            quota_requests: Vec::new(),
            quotas_denied: false,
            scheduler: Default::default(),
            now_override: None,
        }
    }

    pub fn now(&self) -> Instant {
        self.now_override.unwrap_or_else(Instant::now)
    }

    /// The tokio instant of a wall time on this world's clock (times before its start are its
    /// start).
    fn instant_of(&self, wall: OffsetDateTime) -> Instant {
        let since = Duration::try_from(wall - self.origin_wall).unwrap_or_default();
        self.origin_instant + since
    }

    /// The wall time of a tokio instant, on the clock the simulator was created with.
    pub fn wall(&self, at: Instant) -> OffsetDateTime {
        if at >= self.origin_instant {
            self.origin_wall + (at - self.origin_instant)
        } else {
            self.origin_wall - (self.origin_instant - at)
        }
    }

    pub fn wall_now(&self) -> OffsetDateTime {
        self.wall(self.now())
    }

    /// A delay drawn from AWS's realistic range (seconds), scaled by `speed`.
    pub fn delay(&mut self, lo_secs: f64, hi_secs: f64) -> Duration {
        let secs = self.rng.random_range(lo_secs..=hi_secs);
        Duration::from_secs_f64(secs * self.speed)
    }

    pub fn after(&mut self, lo_secs: f64, hi_secs: f64) -> Instant {
        let d = self.delay(lo_secs, hi_secs);
        self.now() + d
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A fresh seven-digit id, the shape MediaLive uses for channels and inputs.
    pub fn new_medialive_id(&mut self) -> String {
        loop {
            let id = self.rng.random_range(1_000_000u32..10_000_000).to_string();
            if !self.channels.contains_key(&id) && !self.inputs.contains_key(&id) {
                return id;
            }
        }
    }

    pub fn random_hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from_digit(self.rng.random_range(0..16u32), 16).unwrap_or('0'))
            .collect()
    }

    pub fn random_octet(&mut self) -> u8 {
        self.rng.random_range(1..=254)
    }

    /// Counts the call, brings the world up to now, then lets the rate limit and the injected
    /// faults refuse it. `Ok(Some(err))` is a fault whose call still takes effect (a lost answer).
    pub fn begin(
        &mut self,
        call: &'static str,
        service: Service,
    ) -> Result<Option<CloudError>, CloudError> {
        *self.calls.entry(call.to_string()).or_default() += 1;
        self.advance();
        let now = self.now();
        if let Some(bucket) = self.buckets.get_mut(&service)
            && !bucket.try_take(now)
        {
            return Err(super::errors::throttled(call, service));
        }
        let (quota_channels, quota_inputs) = (self.channel_quota, self.input_quota);
        self.faults
            .check(call, service, quota_channels, quota_inputs)
    }

    /// Applies every pending transition whose deadline has passed, earliest first, so that
    /// knock-on effects (a DELETED channel detaching its input) happen in the right order.
    pub fn advance(&mut self) {
        let now = self.now();
        let wall_now = self.wall(now);
        loop {
            let next_channel = self
                .channels
                .values()
                .filter_map(|c| c.pending.map(|p| (p.at, c.id.clone())))
                .filter(|(at, _)| *at <= now)
                .min();
            let next_input = self
                .inputs
                .values()
                .filter_map(|i| i.pending.map(|p| (p.at, i.input.id.clone())))
                .filter(|(at, _)| *at <= now)
                .min();
            let next_schedule = self
                .next_due_schedule(wall_now)
                .map(|(at, name)| (self.instant_of(at), name));
            // A schedule fires after the transitions due before its time, and before later ones.
            let transition = match (&next_channel, &next_input) {
                (Some(c), Some(i)) => Some(c.0.min(i.0)),
                (Some(c), None) => Some(c.0),
                (None, Some(i)) => Some(i.0),
                (None, None) => None,
            };
            if let Some((at, name)) = next_schedule
                && transition.is_none_or(|t| at < t)
            {
                self.now_override = Some(at);
                self.fire_schedule(&name);
                self.now_override = None;
                continue;
            }
            match (next_channel, next_input) {
                (Some(c), Some(i)) if c.0 <= i.0 => self.finish_channel(&c.1),
                (_, Some(i)) => self.finish_input(&i.1),
                (Some(c), None) => self.finish_channel(&c.1),
                (None, None) => break,
            }
        }
        self.advance_rtmp();
        self.advance_quota_requests();
        self.evaluate_alarms();
    }

    fn finish_channel(&mut self, id: &str) {
        let Some(ch) = self.channels.get_mut(id) else {
            return;
        };
        let Some(p) = ch.pending.take() else {
            return;
        };
        ch.state = p.to;
        let at_wall = self.origin_wall + p.at.saturating_duration_since(self.origin_instant);
        match p.to {
            ChannelState::Running => ch.running.push(Interval {
                start: at_wall,
                end: None,
            }),
            ChannelState::Deleted => {
                let forget = FORGET_AFTER_SECS * self.speed;
                ch.forget_at = Some(p.at + Duration::from_secs_f64(forget));
                let input_id = ch.config.input_id.clone();
                self.detach(&input_id, id);
            }
            _ => {}
        }
    }

    fn finish_input(&mut self, id: &str) {
        let Some(rec) = self.inputs.get_mut(id) else {
            return;
        };
        let Some(p) = rec.pending.take() else {
            return;
        };
        rec.input.state = match p.to {
            // A channel may have been created on the input while it was still being created.
            InputState::Detached if !rec.input.attached_channels.is_empty() => InputState::Attached,
            other => other,
        };
        if rec.input.state == InputState::Deleted {
            rec.forget_at = Some(p.at + Duration::from_secs_f64(FORGET_AFTER_SECS * self.speed));
            // MediaLive removes the flow output it added for a MEDIACONNECT input.
            let arn = rec.input.arn.clone();
            self.flow
                .outputs
                .retain(|o| o.medialive_input_arn.as_deref() != Some(arn.as_str()));
        }
    }

    pub fn attach(&mut self, input_id: &str, channel_id: &str) {
        if let Some(rec) = self.inputs.get_mut(input_id) {
            rec.input.attached_channels.push(channel_id.to_string());
            if rec.input.state == InputState::Detached {
                rec.input.state = InputState::Attached;
            }
        }
    }

    pub fn detach(&mut self, input_id: &str, channel_id: &str) {
        if let Some(rec) = self.inputs.get_mut(input_id) {
            rec.input.attached_channels.retain(|c| c != channel_id);
            if rec.input.attached_channels.is_empty() && rec.input.state == InputState::Attached {
                rec.input.state = InputState::Detached;
            }
        }
    }

    /// Stops the running interval of a channel that leaves RUNNING now.
    pub fn end_running(&mut self, channel_id: &str) {
        let now = self.wall_now();
        if let Some(ch) = self.channels.get_mut(channel_id) {
            close_open(&mut ch.running, now);
            close_open(&mut ch.silenced, now);
            // A stopped channel's alerts are cleared and its output's retries end.
            ch.outage = None;
            for a in ch.alerts.iter_mut().filter(|a| a.cleared_at.is_none()) {
                a.cleared_at = Some(now);
            }
        }
    }

    /// A channel Describe can still see (DELETED ones until AWS forgets them).
    pub fn visible_channel(&self, id: &str) -> Option<&ChannelRec> {
        let now = self.now();
        self.channels
            .get(id)
            .filter(|c| c.forget_at.is_none_or(|f| now < f))
    }

    pub fn visible_input(&self, id: &str) -> Option<&InputRec> {
        let now = self.now();
        self.inputs
            .get(id)
            .filter(|i| i.forget_at.is_none_or(|f| now < f))
    }

    /// Channels that count against the quota and show in ListChannels.
    pub fn live_channels(&self) -> impl Iterator<Item = &ChannelRec> {
        self.channels
            .values()
            .filter(|c| c.state != ChannelState::Deleted)
    }

    pub fn live_inputs(&self) -> impl Iterator<Item = &InputRec> {
        self.inputs
            .values()
            .filter(|i| i.input.state != InputState::Deleted)
    }

    pub fn source_dropped(&self, t: OffsetDateTime) -> bool {
        any_contains(&self.source_drops, t)
    }

    pub fn snapshot(&self) -> SimSnapshot {
        let mut channels: Vec<&ChannelRec> = self.live_channels().collect();
        channels.sort_by_key(|c| c.seq);
        let mut inputs: Vec<&InputRec> = self.live_inputs().collect();
        inputs.sort_by_key(|i| i.seq);
        SimSnapshot {
            channels: channels
                .into_iter()
                .map(|c| SimChannel {
                    id: c.id.clone(),
                    name: c.config.name.clone(),
                    state: c.state,
                    tags: c.tags.clone(),
                    input_ids: vec![c.config.input_id.clone()],
                    silenced: c.is_silenced(),
                    alerts: c.alerts.clone(),
                })
                .collect(),
            inputs: inputs
                .into_iter()
                .map(|i| SimInput {
                    id: i.input.id.clone(),
                    name: i.input.name.clone(),
                    state: i.input.state,
                    input_type: i.input.input_type.clone(),
                    attached_channels: i.input.attached_channels.clone(),
                    destinations: i.input.destinations.clone(),
                    security_groups: i.input.security_groups.clone(),
                    tags: i.input.tags.clone(),
                })
                .collect(),
            flow_outputs: self.flow.outputs.clone(),
            security_groups: self.list_input_security_groups(),
            records: self.records.keys().copied().collect(),
        }
    }
}
