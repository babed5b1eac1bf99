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
}

impl Service {
    pub(crate) fn iam_prefix(self) -> &'static str {
        match self {
            Service::MediaLive => "medialive",
            Service::MediaConnect => "mediaconnect",
            Service::CloudWatch => "cloudwatch",
            Service::DynamoDb => "dynamodb",
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
    ("DescribeFlow", Service::MediaConnect),
    ("AddFlowOutputs", Service::MediaConnect),
    ("RemoveFlowOutput", Service::MediaConnect),
    ("GetMetricData", Service::CloudWatch),
    ("GetItem", Service::DynamoDb),
    ("PutItem", Service::DynamoDb),
    ("UpdateItem", Service::DynamoDb),
    ("DeleteItem", Service::DynamoDb),
    ("Scan", Service::DynamoDb),
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

    /// Removes every pending fault, reconnects the source and unsilences every channel.
    pub fn clear_faults(&self) {
        let mut w = self.lock();
        w.advance();
        let now = w.wall_now();
        w.faults.clear();
        for d in w.source_drops.iter_mut() {
            if d.end.is_none_or(|end| end > now) {
                d.end = Some(now.max(d.start));
            }
        }
        for ch in w.channels.values_mut() {
            ch.fail_next_start = false;
            for i in ch.silenced.iter_mut().filter(|i| i.end.is_none()) {
                i.end = Some(now);
            }
        }
    }

    /// Runs one line of the demo's `:fault` command language and says what it did.
    pub fn apply_fault_command(&self, words: &str) -> Result<String, String> {
        let words: Vec<&str> = words.split_whitespace().collect();
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
        let needle = target.to_ascii_lowercase();
        let found: Vec<(String, String)> = w
            .live_channels()
            .filter(|c| c.config.name.to_ascii_lowercase().contains(&needle))
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

pub const FAULT_USAGE: &str = "fault commands:
  throttle medialive|mediaconnect|cloudwatch|dynamodb [N]   next N calls get 429
  fail OPERATION [throttle|5xx|denied|quota|conflict|timeout|notfound|invalid]
                                     next OPERATION (e.g. CreateChannel) fails (default 5xx;
                                     timeout: the call takes effect, the answer is lost)
  drop-source [SECONDS]              SRT source disconnects (default 30 s)
  silence CHANNEL | unsilence CHANNEL   running channel sends nothing / sends again
  fail-start CHANNEL                 the channel's next start ends in IDLE
  clear                              remove every fault
CHANNEL is a channel id or part of its name";
