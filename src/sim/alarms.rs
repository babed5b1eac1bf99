//! CloudWatch alarms and the SNS topic they notify. Each alarm is evaluated on the simulator's
//! own metrics at every period boundary on its clock (lazily, when the next call arrives), with
//! CloudWatch's rules: `evaluation_periods` breaching periods in a row make ALARM; with
//! TreatMissingData `notBreaching` (onair's setting) missing periods count as good, otherwise
//! (`missing`) no data at all is INSUFFICIENT_DATA; every transition into ALARM or OK
//! publishes the alarm's description to its actions — recorded on the simulated topic for
//! tests to read.

use super::Simulator;
use super::errors::{not_found, validation};
use super::faults::Service;
use super::world::World;
use crate::cloud::{
    AlarmSpec, AlarmState, AlarmStatus, CloudError, ErrorKind, MetricQuery, Tags, TopicInfo, Topics,
};
use async_trait::async_trait;
use time::OffsetDateTime;

/// At most this many evaluations are caught up per call: a test that jumps hours ahead gets
/// the state of the last few periods, which is all CloudWatch's state depends on.
const MAX_CATCH_UP: i64 = 64;

#[derive(Debug, Clone)]
pub(crate) struct SimAlarm {
    pub spec: AlarmSpec,
    pub arn: String,
    pub state: AlarmState,
    pub reason: String,
    pub updated: OffsetDateTime,
    /// The last period boundary (unix seconds) this alarm was evaluated at.
    pub evaluated: i64,
}

/// One message published to a simulated SNS topic by an alarm action.
#[derive(Debug, Clone, PartialEq)]
pub struct SimNotification {
    pub at: OffsetDateTime,
    pub topic: String,
    pub alarm: String,
    pub state: AlarmState,
    /// The AlarmDescription, as the message carries it.
    pub description: String,
}

fn check_spec(spec: &AlarmSpec) -> Result<(), CloudError> {
    const CALL: &str = "PutMetricAlarm";
    if spec.name.is_empty() || spec.name.len() > 255 {
        return Err(validation(
            CALL,
            "AlarmName must be between 1 and 255 characters",
        ));
    }
    if spec.description.len() > 1024 {
        return Err(validation(
            CALL,
            "AlarmDescription must be at most 1024 characters",
        ));
    }
    // Standard-resolution metrics take periods of 60 s multiples (10 and 30 only for
    // high-resolution ones, which AWS/MediaLive's are not).
    if spec.period_seconds == 0
        || !spec.period_seconds.is_multiple_of(60) && !matches!(spec.period_seconds, 10 | 30)
    {
        return Err(validation(
            CALL,
            "Period must be 10, 30 or a multiple of 60",
        ));
    }
    if spec.evaluation_periods == 0 {
        return Err(validation(CALL, "EvaluationPeriods must be at least 1"));
    }
    if let Some(bad) = spec.actions.iter().find(|a| !a.starts_with("arn:aws:sns:")) {
        return Err(validation(CALL, format!("Invalid arn syntax: {bad}")));
    }
    Ok(())
}

impl World {
    fn put_alarm(&mut self, spec: AlarmSpec) -> Result<(), CloudError> {
        check_spec(&spec)?;
        let now = self.wall_now();
        let arn = format!(
            "arn:aws:cloudwatch:{}:{}:alarm:{}",
            Simulator::REGION,
            Simulator::ACCOUNT,
            spec.name
        );
        let period = i64::from(spec.period_seconds);
        let evaluated = now.unix_timestamp().div_euclid(period) * period;
        match self.alarms.get_mut(&spec.name) {
            // A put replaces the definition; CloudWatch keeps the state until the next
            // evaluation.
            Some(existing) => existing.spec = spec,
            None => {
                self.alarms.insert(
                    spec.name.clone(),
                    SimAlarm {
                        spec,
                        arn,
                        state: AlarmState::InsufficientData,
                        reason: "Unchecked: Initial alarm creation".to_string(),
                        updated: now,
                        evaluated,
                    },
                );
            }
        }
        Ok(())
    }

    /// Brings every alarm up to now, one evaluation per period boundary passed.
    pub(crate) fn evaluate_alarms(&mut self) {
        let now = self.wall_now().unix_timestamp();
        let names: Vec<String> = self.alarms.keys().cloned().collect();
        for name in names {
            let Some(alarm) = self.alarms.get(&name) else {
                continue;
            };
            let period = i64::from(alarm.spec.period_seconds).max(1);
            let last = now.div_euclid(period) * period;
            let mut at = alarm.evaluated + period;
            if last - at > MAX_CATCH_UP * period {
                at = last - MAX_CATCH_UP * period;
            }
            while at <= last {
                self.evaluate_one(&name, at);
                at += period;
            }
            if let Some(alarm) = self.alarms.get_mut(&name) {
                alarm.evaluated = alarm.evaluated.max(last);
            }
        }
    }

    fn evaluate_one(&mut self, name: &str, at: i64) {
        let Some(alarm) = self.alarms.get(name) else {
            return;
        };
        let spec = &alarm.spec;
        let period = i64::from(spec.period_seconds);
        let n = i64::from(spec.evaluation_periods);
        let query = MetricQuery {
            id: "a".to_string(),
            namespace: spec.namespace.clone(),
            metric_name: spec.metric_name.clone(),
            dimensions: spec.dimensions.clone(),
            stat: spec.stat,
            period_seconds: spec.period_seconds,
        };
        let (Ok(start), Ok(end)) = (
            OffsetDateTime::from_unix_timestamp(at - n * period),
            OffsetDateTime::from_unix_timestamp(at),
        ) else {
            return;
        };
        let points = match super::cloudwatch::resolve(self, &query) {
            Some(series) => self.points(&series, &query, start, end),
            None => Vec::new(),
        };
        // Missing periods are not breaching: ALARM needs every one of the last n present and
        // breaching.
        let breaching = points
            .iter()
            .filter(|p| spec.comparison.breaches(p.value, spec.threshold))
            .count();
        let state = if spec.missing_data_not_breaching {
            if i64::try_from(breaching).is_ok_and(|b| b >= n) {
                AlarmState::Alarm
            } else {
                AlarmState::Ok
            }
        } else if points.is_empty() {
            // TreatMissingData `missing`: no data at all is INSUFFICIENT_DATA.
            AlarmState::InsufficientData
        } else if breaching == points.len() {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
        if state == alarm.state {
            return;
        }
        let reason = match (state, points.last()) {
            (AlarmState::Alarm, Some(p)) => format!(
                "Threshold Crossed: {n} datapoint(s) were {} the threshold ({}); the last was {:.2}",
                spec.comparison.as_aws(),
                spec.threshold,
                p.value
            ),
            (_, None) => "Threshold Crossed: no datapoints were received; treated as not breaching"
                .to_string(),
            (_, Some(p)) => format!(
                "Threshold Crossed: the last datapoint ({:.2}) was not breaching the threshold ({})",
                p.value, spec.threshold
            ),
        };
        let Ok(when) = OffsetDateTime::from_unix_timestamp(at) else {
            return;
        };
        let actions = spec.actions.clone();
        let description = spec.description.clone();
        if let Some(alarm) = self.alarms.get_mut(name) {
            alarm.state = state;
            alarm.reason = reason;
            alarm.updated = when;
        }
        for topic in actions {
            // A topic that doesn't exist loses the message, as SNS would.
            if self.topics.contains(&topic) {
                self.notifications.push(SimNotification {
                    at: when,
                    topic,
                    alarm: name.to_string(),
                    state,
                    description: description.clone(),
                });
            }
        }
    }
}

impl Simulator {
    /// The SNS topic the simulated account has from the start (`alarm_topic_arn` of the demo).
    pub const TOPIC_ARN: &'static str = "arn:aws:sns:us-east-1:111122223333:onair-alarms";

    /// Every message alarm actions published, oldest first.
    pub fn notifications(&self) -> Vec<SimNotification> {
        let mut w = self.lock();
        w.advance();
        w.notifications.clone()
    }

    /// The alarms the account holds, with their state now.
    pub fn alarms(&self) -> Vec<(AlarmSpec, AlarmState)> {
        let mut w = self.lock();
        w.advance();
        w.alarms
            .values()
            .map(|a| (a.spec.clone(), a.state))
            .collect()
    }

    /// An alarm written as another tool (or another table's onair) would, for `gc` tests.
    pub fn put_foreign_alarm(&self, spec: AlarmSpec) {
        let mut w = self.lock();
        let _ = w.put_alarm(spec);
    }
}

#[async_trait]
impl Topics for Simulator {
    async fn get_topic_attributes(&self, topic_arn: &str) -> Result<TopicInfo, CloudError> {
        const CALL: &str = "GetTopicAttributes";
        self.call(CALL, Service::Sns, |w| {
            if !topic_arn.starts_with("arn:aws:sns:") {
                return Err(CloudError::new(
                    CALL,
                    ErrorKind::Validation,
                    "InvalidParameter: Invalid parameter: TopicArn",
                ));
            }
            if !w.topics.contains(topic_arn) {
                return Err(CloudError::new(
                    CALL,
                    ErrorKind::NotFound,
                    "NotFound: Topic does not exist",
                ));
            }
            Ok(TopicInfo {
                arn: topic_arn.to_string(),
                subscriptions_confirmed: Some(1),
            })
        })
    }
}

pub(crate) async fn put_metric_alarm(sim: &Simulator, spec: AlarmSpec) -> Result<(), CloudError> {
    sim.call("PutMetricAlarm", Service::CloudWatch, |w| w.put_alarm(spec))
}

pub(crate) async fn delete_alarms(sim: &Simulator, names: &[String]) -> Result<(), CloudError> {
    sim.call("DeleteAlarms", Service::CloudWatch, |w| {
        for name in names {
            w.alarms.remove(name);
        }
        Ok(())
    })
}

pub(crate) async fn describe_alarms(
    sim: &Simulator,
    prefix: &str,
) -> Result<Vec<AlarmStatus>, CloudError> {
    sim.call("DescribeAlarms", Service::CloudWatch, |w| {
        Ok(w.alarms
            .values()
            .filter(|a| a.spec.name.starts_with(prefix))
            .map(|a| AlarmStatus {
                name: a.spec.name.clone(),
                arn: a.arn.clone(),
                state: a.state,
                reason: a.reason.clone(),
                updated: Some(a.updated),
            })
            .collect())
    })
}

pub(crate) async fn list_alarm_tags(sim: &Simulator, arn: &str) -> Result<Tags, CloudError> {
    const CALL: &str = "ListTagsForResource";
    sim.call(CALL, Service::CloudWatch, |w| {
        w.alarms
            .values()
            .find(|a| a.arn == arn)
            .map(|a| a.spec.tags.clone())
            .ok_or_else(|| not_found(CALL, "Alarm", arn))
    })
}
