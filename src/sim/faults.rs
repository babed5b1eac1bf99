//! Injectable faults, for tests and the demo's `:fault` command line. Each one makes the
//! simulator misbehave the way AWS does on a bad day; the errors are built like real ones.

use super::Simulator;
use super::errors;
use super::world::Interval;
use crate::cloud::{ChannelState, CloudError, ErrorKind};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// An AWS service behind one of the cloud traits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    MediaLive,
    MediaConnect,
    CloudWatch,
    DynamoDb,
    Kms,
    ServiceQuotas,
    Sns,
    Scheduler,
}

impl Service {
    pub(crate) fn iam_prefix(self) -> &'static str {
        match self {
            Service::MediaLive => "medialive",
            Service::MediaConnect => "mediaconnect",
            Service::CloudWatch => "cloudwatch",
            Service::DynamoDb => "dynamodb",
            Service::Kms => "kms",
            Service::ServiceQuotas => "servicequotas",
            Service::Sns => "sns",
            Service::Scheduler => "scheduler",
        }
    }

    pub(crate) fn endpoint_prefix(self) -> &'static str {
        match self {
            Service::CloudWatch => "monitoring",
            other => other.iam_prefix(),
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "medialive" | "ml" => Service::MediaLive,
            "mediaconnect" | "mc" => Service::MediaConnect,
            "cloudwatch" | "cw" => Service::CloudWatch,
            "dynamodb" | "ddb" | "store" => Service::DynamoDb,
            "kms" => Service::Kms,
            "servicequotas" | "quotas" => Service::ServiceQuotas,
            "sns" => Service::Sns,
            "scheduler" | "eventbridge" => Service::Scheduler,
            _ => return None,
        })
    }
}

/// Every operation the simulator answers, by its AWS name.
pub const CALLS: &[(&str, Service)] = &[
    ("CreateInput", Service::MediaLive),
    ("DescribeInput", Service::MediaLive),
    ("ListInputs", Service::MediaLive),
    ("DeleteInput", Service::MediaLive),
    ("CreateChannel", Service::MediaLive),
    ("DescribeChannel", Service::MediaLive),
    ("ListChannels", Service::MediaLive),
    ("StartChannel", Service::MediaLive),
    ("StopChannel", Service::MediaLive),
    ("UpdateChannel", Service::MediaLive),
    ("DeleteChannel", Service::MediaLive),
    ("BatchStart", Service::MediaLive),
    ("BatchStop", Service::MediaLive),
    ("ListAlerts", Service::MediaLive),
    ("CreateInputSecurityGroup", Service::MediaLive),
    ("ListInputSecurityGroups", Service::MediaLive),
    ("DeleteInputSecurityGroup", Service::MediaLive),
    ("DescribeThumbnails", Service::MediaLive),
    ("DescribeFlow", Service::MediaConnect),
    ("AddFlowOutputs", Service::MediaConnect),
    ("RemoveFlowOutput", Service::MediaConnect),
    ("GetMetricData", Service::CloudWatch),
    ("GetItem", Service::DynamoDb),
    ("PutItem", Service::DynamoDb),
    ("UpdateItem", Service::DynamoDb),
    ("DeleteItem", Service::DynamoDb),
    ("Scan", Service::DynamoDb),
    ("Encrypt", Service::Kms),
    ("Decrypt", Service::Kms),
    ("DescribeKey", Service::Kms),
    ("PutMetricAlarm", Service::CloudWatch),
    ("DeleteAlarms", Service::CloudWatch),
    ("DescribeAlarms", Service::CloudWatch),
    ("ListTagsForResource", Service::CloudWatch),
    ("ListServiceQuotas", Service::ServiceQuotas),
    ("RequestServiceQuotaIncrease", Service::ServiceQuotas),
    (
        "ListRequestedServiceQuotaChangeHistory",
        Service::ServiceQuotas,
    ),
    ("GetTopicAttributes", Service::Sns),
    ("CreateSchedule", Service::Scheduler),
    ("GetSchedule", Service::Scheduler),
    ("ListSchedules", Service::Scheduler),
    ("DeleteSchedule", Service::Scheduler),
];

#[derive(Debug, Default)]
pub(crate) struct FaultState {
    throttle: HashMap<Service, u32>,
    fail_next: HashMap<&'static str, VecDeque<ErrorKind>>,
}

impl FaultState {
    /// `Err`: the call fails before it does anything. `Ok(Some)`: it takes effect but its answer
    /// is lost (a timeout), which is what makes idempotency tokens necessary.
    pub fn check(
        &mut self,
        call: &'static str,
        service: Service,
        channel_quota: usize,
        input_quota: usize,
    ) -> Result<Option<CloudError>, CloudError> {
        if let Some(n) = self.throttle.get_mut(&service)
            && *n > 0
        {
            *n -= 1;
            return Err(errors::throttled(call, service));
        }
        let Some(kind) = self.fail_next.get_mut(call).and_then(VecDeque::pop_front) else {
            return Ok(None);
        };
        let err = errors::generic(call, service, kind, channel_quota, input_quota);
        if kind == ErrorKind::Timeout {
            Ok(Some(err))
        } else {
            Err(err)
        }
    }

    fn clear(&mut self) {
        self.throttle.clear();
        self.fail_next.clear();
    }
}

impl Simulator {
    /// The next `n` calls to `service` fail with `Throttled`.
    pub fn throttle_next(&self, service: Service, n: u32) {
        *self.lock().faults.throttle.entry(service).or_default() += n;
    }

    /// The next call of operation `call` (e.g. `"CreateChannel"`) fails with `kind`. Several
    /// queue up. A `Timeout` lets the call take effect and loses the answer.
    pub fn fail_next(&self, call: &'static str, kind: ErrorKind) {
        self.lock()
            .faults
            .fail_next
            .entry(call)
            .or_default()
            .push_back(kind);
    }

    /// The SRT source disconnects now, for `for_`.
    pub fn drop_source(&self, for_: Duration) {
        let mut w = self.lock();
        let start = w.wall_now();
        w.source_drops.push(Interval {
            start,
            end: Some(start + for_),
        });
    }

    /// The channel keeps running but sends nothing (NetworkOut ~0, ActiveOutputs 0), as when the
    /// platform refuses the stream.
    pub fn silence_channel(&self, channel_id: &str) -> Result<(), String> {
        let mut w = self.lock();
        w.advance();
        let now = w.wall_now();
        let ch = w
            .channels
            .get_mut(channel_id)
            .ok_or_else(|| format!("no channel {channel_id}"))?;
        if !ch.is_silenced() {
            ch.silenced.push(Interval {
                start: now,
                end: None,
            });
        }
        Ok(())
    }

    pub fn unsilence(&self, channel_id: &str) -> Result<(), String> {
        let mut w = self.lock();
        w.advance();
        let now = w.wall_now();
        let ch = w
            .channels
            .get_mut(channel_id)
            .ok_or_else(|| format!("no channel {channel_id}"))?;
        for i in ch.silenced.iter_mut().filter(|i| i.end.is_none()) {
            i.end = Some(now);
        }
        Ok(())
    }

    /// The channel's current or next start fails: STARTING ends in IDLE, not RUNNING.
    pub fn fail_start(&self, channel_id: &str) -> Result<(), String> {
        let mut w = self.lock();
        w.advance();
        let ch = w
            .channels
            .get_mut(channel_id)
            .ok_or_else(|| format!("no channel {channel_id}"))?;
        match &mut ch.pending {
            Some(p) if ch.state == ChannelState::Starting => p.to = ChannelState::Idle,
            _ => ch.fail_next_start = true,
        }
        Ok(())
    }

    /// The platform behind the channel's destination refuses its stream now, for `for_` of AWS
    /// time (scaled by the simulator's speed like every other delay): a running channel loses
    /// its output and retries; a start during the refusal connects to nothing.
    pub fn reject_stream(&self, channel_id: &str, for_: Duration) -> Result<(), String> {
        self.refuse(channel_id, Some(for_), false)
    }

    /// The platform revokes the channel's stream key: every connection is refused at once, until
    /// [`Simulator::restore_key`].
    pub fn revoke_key(&self, channel_id: &str) -> Result<(), String> {
        self.refuse(channel_id, None, true)
    }

    /// The key is valid again: the revocation ends now.
    pub fn restore_key(&self, channel_id: &str) -> Result<(), String> {
        let mut w = self.lock();
        w.advance();
        let now = w.wall_now();
        let ch = w
            .channels
            .get(channel_id)
            .ok_or_else(|| format!("no channel {channel_id}"))?;
        let (url, key) = (
            ch.config.destination.url.clone(),
            ch.config.destination.stream_name.expose().to_string(),
        );
        for r in w.refusals.iter_mut() {
            if r.revoked && r.url == url && r.key.expose() == key && r.end.is_none() {
                r.end = Some(now);
            }
        }
        Ok(())
    }

    fn refuse(
        &self,
        channel_id: &str,
        for_: Option<Duration>,
        revoked: bool,
    ) -> Result<(), String> {
        let mut w = self.lock();
        w.advance();
        let now = w.wall_now();
        let speed = w.speed;
        let ch = w
            .channels
            .get(channel_id)
            .ok_or_else(|| format!("no channel {channel_id}"))?;
        let refusal = super::rtmp::PlatformRefusal {
            url: ch.config.destination.url.clone(),
            key: ch.config.destination.stream_name.clone(),
            start: now,
            end: for_.map(|d| now + d.mul_f64(speed)),
            revoked,
        };
        w.refusals.push(refusal);
        w.advance();
        Ok(())
    }

    /// AWS maintenance or a pipeline fault: a running channel goes RECOVERING and comes back to
    /// RUNNING by itself within a minute (AWS time), sending nothing meanwhile.
    pub fn maintenance(&self, channel_id: &str) -> Result<(), String> {
        let mut w = self.lock();
        w.advance();
        let state = w
            .channels
            .get(channel_id)
            .map(|c| c.state)
            .ok_or_else(|| format!("no channel {channel_id}"))?;
        if state != ChannelState::Running {
            return Err(format!(
                "channel {channel_id} is {}, not RUNNING",
                state.as_aws()
            ));
        }
        let at = w.after(20.0, 60.0);
        w.end_running(channel_id);
        let ch = w
            .channels
            .get_mut(channel_id)
            .ok_or_else(|| format!("no channel {channel_id}"))?;
        ch.state = ChannelState::Recovering;
        ch.pending = Some(super::world::Pending {
            to: ChannelState::Running,
            at,
        });
        Ok(())
    }

    /// Removes every pending fault, reconnects the source, unsilences every channel, ends every
    /// platform refusal and maintenance, and enables the KMS key again.
    pub fn clear_faults(&self) {
        let mut w = self.lock();
        w.advance();
        let now = w.wall_now();
        w.faults.clear();
        w.kms.enabled = true;
        w.quotas_denied = false;
        w.scheduler.fail_next.clear();
        for r in w.refusals.iter_mut() {
            if r.end.is_none_or(|end| end > now) {
                r.end = Some(now.max(r.start));
            }
        }
        for d in w.source_drops.iter_mut() {
            if d.end.is_none_or(|end| end > now) {
                d.end = Some(now.max(d.start));
            }
        }
        let instant = w.now();
        for ch in w.channels.values_mut() {
            ch.fail_next_start = false;
            // Maintenance under way ends now: the channel is RUNNING again.
            if ch.state == ChannelState::Recovering
                && let Some(p) = ch.pending.as_mut()
            {
                p.at = p.at.min(instant);
            }
            for i in ch.silenced.iter_mut().filter(|i| i.end.is_none()) {
                i.end = Some(now);
            }
        }
    }

    /// Runs one line of the demo's `:fault` command language and says what it did.
    pub fn apply_fault_command(&self, line: &str) -> Result<String, String> {
        let words = split_words(line)?;
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["throttle", service, rest @ ..] if rest.len() <= 1 => {
                let service = Service::parse(service)
                    .ok_or_else(|| format!("unknown service {service:?}\n{FAULT_USAGE}"))?;
                let n = match rest.first() {
                    Some(n) => n
                        .parse()
                        .map_err(|_| format!("not a count: {n:?}\n{FAULT_USAGE}"))?,
                    None => 1,
                };
                self.throttle_next(service, n);
                Ok(format!(
                    "next {n} {} call(s) will be throttled",
                    service.iam_prefix()
                ))
            }
            ["fail", call, rest @ ..] if rest.len() <= 1 => {
                let call = CALLS
                    .iter()
                    .map(|(name, _)| *name)
                    .find(|name| name.eq_ignore_ascii_case(call))
                    .ok_or_else(|| format!("unknown operation {call:?}\n{FAULT_USAGE}"))?;
                let kind = match rest.first() {
                    Some(k) => parse_kind(k)
                        .ok_or_else(|| format!("unknown failure {k:?}\n{FAULT_USAGE}"))?,
                    None => ErrorKind::Unavailable,
                };
                self.fail_next(call, kind);
                Ok(format!("next {call} will fail: {}", kind.as_str()))
            }
            ["drop-source", rest @ ..] if rest.len() <= 1 => {
                let secs: u64 = match rest.first() {
                    Some(s) => s
                        .parse()
                        .map_err(|_| format!("not a number of seconds: {s:?}\n{FAULT_USAGE}"))?,
                    None => 30,
                };
                self.drop_source(Duration::from_secs(secs));
                Ok(format!("SRT source disconnected for {secs} s"))
            }
            [verb @ ("silence" | "unsilence" | "fail-start"), target] => {
                let id = self.resolve_channel(target)?;
                match *verb {
                    "silence" => self.silence_channel(&id)?,
                    "unsilence" => self.unsilence(&id)?,
                    _ => self.fail_start(&id)?,
                }
                Ok(match *verb {
                    "silence" => format!("channel {id} now sends nothing"),
                    "unsilence" => format!("channel {id} sends again"),
                    _ => format!("channel {id} will fail to start"),
                })
            }
            ["reject", target, rest @ ..] if rest.len() <= 1 => {
                let secs: u64 = match rest.first() {
                    Some(s) => s
                        .parse()
                        .map_err(|_| format!("not a number of seconds: {s:?}\n{FAULT_USAGE}"))?,
                    None => 60,
                };
                let id = self.resolve_channel(target)?;
                self.reject_stream(&id, Duration::from_secs(secs))?;
                Ok(format!(
                    "the platform refuses channel {id}'s stream for {secs} s; MediaLive retries"
                ))
            }
            [
                verb @ ("revoke-key" | "restore-key" | "maintenance"),
                target,
            ] => {
                let id = self.resolve_channel(target)?;
                match *verb {
                    "revoke-key" => self.revoke_key(&id)?,
                    "restore-key" => self.restore_key(&id)?,
                    _ => self.maintenance(&id)?,
                }
                Ok(match *verb {
                    "revoke-key" => format!("the platform refuses channel {id}'s key at once"),
                    "restore-key" => format!("channel {id}'s key is accepted again"),
                    _ => format!("channel {id} is RECOVERING (maintenance)"),
                })
            }
            ["fail-schedule", target] => {
                let id = self.resolve_channel(target)?;
                self.fail_next_invocation(&id);
                Ok(format!(
                    "the next schedule that fires on channel {id} fails (its target is refused)"
                ))
            }
            [verb @ ("disable-key" | "enable-key")] => {
                let enabled = *verb == "enable-key";
                self.set_kms_key_enabled(enabled);
                Ok(format!(
                    "KMS key {} {}",
                    Self::KMS_KEY_ALIAS,
                    if enabled { "enabled" } else { "disabled" }
                ))
            }
            [verb @ ("deny-quotas" | "allow-quotas")] => {
                let denied = *verb == "deny-quotas";
                self.deny_quotas_api(denied);
                Ok(if denied {
                    "the Service Quotas API now answers AccessDenied".to_string()
                } else {
                    "the Service Quotas API answers again".to_string()
                })
            }
            ["clear"] => {
                self.clear_faults();
                Ok("all faults cleared".to_string())
            }
            ["help"] => Ok(FAULT_USAGE.to_string()),
            _ => Err(FAULT_USAGE.to_string()),
        }
    }

    /// A channel id, or a unique case-insensitive substring of a live channel's name.
    fn resolve_channel(&self, target: &str) -> Result<String, String> {
        let mut w = self.lock();
        w.advance();
        if w.channels.contains_key(target) {
            return Ok(target.to_string());
        }
        // A destination's own name (spaces and all, quoted on the command line) first.
        let by_record: Vec<String> = w
            .records
            .values()
            .filter(|r| r.name.eq_ignore_ascii_case(target))
            .filter_map(|r| r.media_live_channel_id.clone())
            .collect();
        if let [id] = by_record.as_slice() {
            return Ok(id.clone());
        }
        let slug = crate::domain::naming::slug(target);
        let needle = target.to_ascii_lowercase();
        let found: Vec<(String, String)> = w
            .live_channels()
            .filter(|c| {
                let name = c.config.name.to_ascii_lowercase();
                name.contains(&needle) || (!slug.is_empty() && name.contains(&slug))
            })
            .map(|c| (c.id.clone(), c.config.name.clone()))
            .collect();
        match found.as_slice() {
            [(id, _)] => Ok(id.clone()),
            [] => Err(format!("no channel matches {target:?}")),
            many => Err(format!(
                "{target:?} matches several channels: {}",
                many.iter()
                    .map(|(id, name)| format!("{name} ({id})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// Words of a command line; "double quotes" keep a name with spaces in one word.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if quoted {
        return Err(format!("unclosed quote in {line:?}"));
    }
    if started {
        words.push(word);
    }
    Ok(words)
}

fn parse_kind(word: &str) -> Option<ErrorKind> {
    Some(match word.to_ascii_lowercase().as_str() {
        "throttle" | "throttled" | "429" => ErrorKind::Throttled,
        "5xx" | "500" | "503" | "unavailable" => ErrorKind::Unavailable,
        "denied" | "403" => ErrorKind::AccessDenied,
        "quota" | "limit" => ErrorKind::QuotaExceeded,
        "conflict" | "409" => ErrorKind::Conflict,
        "timeout" => ErrorKind::Timeout,
        "notfound" | "404" => ErrorKind::NotFound,
        "invalid" | "400" | "422" => ErrorKind::Validation,
        _ => return None,
    })
}

/// Kept within 60 columns: the control room shows it in the event log, beside a time stamp.
pub const FAULT_USAGE: &str = "\
fault commands (NAME: a destination, \"quoted\" with spaces)
 reject NAME [SECS]   platform refuses the stream (60 s)
 revoke-key NAME      platform refuses the key at once
 restore-key NAME     the key is accepted again
 maintenance NAME     channel RECOVERING, then RUNNING
 silence | unsilence NAME   channel sends nothing / again
 fail-start NAME      its next start ends in IDLE
 drop-source [SECS]   SRT source disconnects (30 s)
 throttle SERVICE [N] next N calls get 429: medialive,
                      mediaconnect cloudwatch dynamodb kms
                      servicequotas sns
                      scheduler
 fail-schedule NAME   next schedule on it fails to fire
 fail OPERATION [KIND]  next call fails: throttle 5xx
                      denied quota conflict timeout
                      notfound invalid (5xx)
 disable-key | enable-key   KMS key off / on
 deny-quotas | allow-quotas  Service Quotas off / on
 clear                remove every fault
SECS are AWS seconds, run at the simulator's speed.";

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{RateLimit, SimConfig};
    use super::*;
    use crate::cloud::{CloudWatch, MediaConnect, MediaLive, RecordStore};

    #[tokio::test(start_paused = true)]
    async fn throttle_next_hits_one_service_only() {
        let sim = sim();
        sim.throttle_next(Service::MediaLive, 2);
        for _ in 0..2 {
            let err = sim.list_channels().await.unwrap_err();
            assert_eq!((err.call, err.kind), ("ListChannels", ErrorKind::Throttled));
            assert_eq!(err.message, "Too Many Requests");
        }
        sim.describe_flow(Simulator::FLOW_ARN).await.unwrap();
        sim.list_channels().await.unwrap();
        assert_eq!(sim.call_counts().get("ListChannels"), Some(&3));
        sim.reset_call_counts();
        assert!(sim.call_counts().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn fail_next_refuses_one_call_and_changes_nothing() {
        let sim = sim();
        let input = sim.create_input(input_req("a", "ri")).await.unwrap();
        sim.fail_next("CreateChannel", ErrorKind::AccessDenied);
        sim.fail_next("CreateChannel", ErrorKind::Unavailable);
        let err = sim
            .create_channel(channel_req("a", &input.id, "rc"))
            .await
            .unwrap_err();
        assert_eq!(
            (err.call, err.kind),
            ("CreateChannel", ErrorKind::AccessDenied)
        );
        assert!(err.message.contains("iam:PassRole"), "{err}");
        let err = sim
            .create_channel(channel_req("a", &input.id, "rc"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unavailable);
        assert!(err.is_retryable());
        assert!(sim.snapshot().channels.is_empty());
        sim.create_channel(channel_req("a", &input.id, "rc"))
            .await
            .unwrap();
        assert_eq!(sim.call_counts().get("CreateChannel"), Some(&3));
    }

    #[tokio::test(start_paused = true)]
    async fn an_injected_quota_error_reads_like_the_real_one() {
        let sim = sim_with(SimConfig {
            channel_quota: 1,
            ..SimConfig::unlimited()
        });
        let a = sim.create_input(input_req("a", "ra")).await.unwrap();
        let b = sim.create_input(input_req("b", "rb")).await.unwrap();
        sim.fail_next("CreateChannel", ErrorKind::QuotaExceeded);
        let injected = sim
            .create_channel(channel_req("a", &a.id, "r1"))
            .await
            .unwrap_err();
        sim.create_channel(channel_req("a", &a.id, "r1"))
            .await
            .unwrap();
        let real = sim
            .create_channel(channel_req("b", &b.id, "r2"))
            .await
            .unwrap_err();
        assert_eq!(injected, real);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_loses_the_answer_but_the_call_took_effect() {
        let sim = sim();
        let input = sim.create_input(input_req("a", "ri")).await.unwrap();
        sim.fail_next("CreateChannel", ErrorKind::Timeout);
        let err = sim
            .create_channel(channel_req("a", &input.id, "rc"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout);
        assert_eq!(sim.snapshot().channels.len(), 1);
        // The retry with the same token finds the channel instead of making a second one.
        let ch = sim
            .create_channel(channel_req("a", &input.id, "rc"))
            .await
            .unwrap();
        assert_eq!(sim.snapshot().channels[0].id, ch.id);
        assert_eq!(sim.snapshot().channels.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn fail_start_ends_back_in_idle() {
        let sim = sim();
        let (_, ch) = idle_channel(&sim, "a").await;
        sim.fail_start(&ch).unwrap();
        sim.start_channel(&ch).await.unwrap();
        secs(20.0).await;
        assert_eq!(
            sim.describe_channel(&ch).await.unwrap().state,
            ChannelState::Starting
        );
        secs(101.0).await;
        assert_eq!(
            sim.describe_channel(&ch).await.unwrap().state,
            ChannelState::Idle
        );
        // Only that start: the next one succeeds.
        sim.start_channel(&ch).await.unwrap();
        secs(121.0).await;
        assert_eq!(
            sim.describe_channel(&ch).await.unwrap().state,
            ChannelState::Running
        );
        assert!(sim.fail_start("0000000").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn fail_start_during_starting_applies_to_that_start() {
        let sim = sim();
        let (_, ch) = idle_channel(&sim, "a").await;
        sim.start_channel(&ch).await.unwrap();
        sim.fail_start(&ch).unwrap();
        secs(121.0).await;
        assert_eq!(
            sim.describe_channel(&ch).await.unwrap().state,
            ChannelState::Idle
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_rate_limit_allows_a_burst_of_thirty_then_five_a_second() {
        let sim = sim_with(SimConfig {
            rate_limit: Some(RateLimit::AWS),
            ..SimConfig::default()
        });
        let results = futures::future::join_all((0..31).map(|_| sim.list_channels())).await;
        let throttled = results
            .iter()
            .filter(|r| r.as_ref().is_err_and(|e| e.kind == ErrorKind::Throttled))
            .count();
        assert!(throttled >= 1);
        assert_eq!(throttled, 1);
        // Other services have their own bucket (or none).
        sim.get_metric_data(crate::cloud::MetricDataRequest {
            queries: vec![],
            start: sim.now() - std::time::Duration::from_secs(60),
            end: sim.now(),
        })
        .await
        .unwrap();
        sim.describe_flow(Simulator::FLOW_ARN).await.unwrap();
        secs(1.0).await;
        let ok = futures::future::join_all((0..10).map(|_| sim.list_channels()))
            .await
            .into_iter()
            .filter(Result::is_ok)
            .count();
        assert_eq!(ok, 5);
    }

    #[tokio::test(start_paused = true)]
    async fn the_command_line_drives_every_fault() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "main-youtube").await;
        assert!(sim.apply_fault_command("throttle medialive 3").is_ok());
        for _ in 0..3 {
            assert_eq!(
                sim.list_inputs().await.unwrap_err().kind,
                ErrorKind::Throttled
            );
        }
        sim.list_inputs().await.unwrap();

        let msg = sim
            .apply_fault_command("fail deletechannel conflict")
            .unwrap();
        assert!(msg.contains("DeleteChannel"), "{msg}");
        assert_eq!(
            sim.delete_channel("1").await.unwrap_err().kind,
            ErrorKind::Conflict
        );

        sim.apply_fault_command("fail Scan throttle").unwrap();
        assert_eq!(sim.scan().await.unwrap_err().kind, ErrorKind::Throttled);

        sim.apply_fault_command("silence youtube").unwrap();
        assert!(sim.snapshot().channels[0].silenced);
        sim.apply_fault_command(&format!("unsilence {ch}")).unwrap();
        assert!(!sim.snapshot().channels[0].silenced);

        sim.apply_fault_command("drop-source 30").unwrap();
        sim.apply_fault_command("silence main").unwrap();
        sim.apply_fault_command("throttle cloudwatch 5").unwrap();
        sim.apply_fault_command("clear").unwrap();
        assert!(!sim.snapshot().channels[0].silenced);
        {
            let w = sim.lock();
            assert!(!w.source_dropped(w.wall_now()));
        }
        sim.describe_flow(Simulator::FLOW_ARN).await.unwrap();

        for bad in [
            "",
            "throttle",
            "throttle s3 1",
            "fail NoSuchCall",
            "fail CreateChannel oops",
            "drop-source soon",
            "silence nobody",
            "explode",
        ] {
            assert!(
                sim.apply_fault_command(bad).is_err(),
                "{bad:?} was accepted"
            );
        }
        assert!(
            sim.apply_fault_command("help")
                .unwrap()
                .contains("drop-source")
        );
    }
}
