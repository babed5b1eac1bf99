//! Reading the alarms back for the control room, checking the topic they notify, and the flow's
//! own alarm. One DescribeAlarms (prefix `onair-`) answers for every destination at once, at a
//! slower cadence than the refresh and outside its three calls.

use super::alarms::{self, AlarmContext, SOURCE_LOST};
use super::{Engine, EngineEvent, Level, Refusal};
use crate::cloud::{AlarmState, CloudError, ErrorKind};
use crate::domain::DestinationId;
use crate::domain::naming::NAME_PREFIX;
use std::collections::HashMap;

/// One alarm as the details view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmLight {
    /// "delivering", "bitrate", "alerts", "source".
    pub what: &'static str,
    pub state: AlarmState,
    pub reason: String,
}

/// Every onair alarm's state, by destination, from one DescribeAlarms.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AlarmBoard {
    pub destinations: HashMap<DestinationId, Vec<AlarmLight>>,
    pub flow: Option<AlarmLight>,
}

impl Engine {
    /// One DescribeAlarms for all destinations, emitted as [`EngineEvent::Alarms`].
    pub async fn read_alarms(&self) -> Result<AlarmBoard, CloudError> {
        let answer = self
            .inner
            .cloud
            .cloudwatch
            .describe_alarms(NAME_PREFIX)
            .await;
        let board = answer.map(|listed| {
            let by_short: HashMap<String, DestinationId> = self
                .records()
                .iter()
                .map(|r| (r.destination_id.short(), r.destination_id))
                .collect();
            let mut board = AlarmBoard::default();
            for alarm in listed {
                if alarm.name.ends_with(SOURCE_LOST) {
                    board.flow = Some(AlarmLight {
                        what: "source",
                        state: alarm.state,
                        reason: alarm.reason,
                    });
                    continue;
                }
                let Some((id8, kind)) = alarms::parse_name(&alarm.name) else {
                    continue;
                };
                // Only names that belong to a record of this table; others are another
                // table's (or strays, which `gc` shows).
                let Some(record) = by_short
                    .get(id8)
                    .and_then(|id| self.record(*id))
                    .filter(|r| alarms::names_for(r).contains(&alarm.name))
                else {
                    continue;
                };
                board
                    .destinations
                    .entry(record.destination_id)
                    .or_default()
                    .push(AlarmLight {
                        what: kind.label(),
                        state: alarm.state,
                        reason: alarm.reason,
                    });
            }
            for lights in board.destinations.values_mut() {
                lights.sort_by_key(|l| {
                    alarms::AlarmKind::ALL
                        .iter()
                        .position(|k| k.label() == l.what)
                });
            }
            board
        });
        self.emit(EngineEvent::Alarms(
            board.clone().map_err(|e| e.to_string()),
        ));
        board
    }

    /// Whether the alarm topic exists (GetTopicAttributes), asked once per process: a missing
    /// topic refuses every operation that would point alarms at it, before anything is made.
    pub async fn check_alarm_topic(&self) -> Result<(), Refusal> {
        let Some(topic) = self.inner.config.alarm_topic_arn.clone() else {
            return Ok(());
        };
        if let Some(known) = self
            .inner
            .alarm_topic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return known.map_err(Refusal::NotNow);
        }
        let answer = self.inner.cloud.sns.get_topic_attributes(&topic).await;
        let verdict = match answer {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.kind, ErrorKind::NotFound | ErrorKind::Validation) => {
                Err(format!(
                    "alarm_topic_arn: the SNS topic {topic} does not exist ({e}); create it or fix the key"
                ))
            }
            // Denied or unreachable: say so, but don't hold the show hostage to SNS — the
            // alarms are written all the same and `doctor` names the problem.
            Err(e) => {
                self.log(
                    Level::Warn,
                    None,
                    format!("alarm topic could not be checked: {e}"),
                );
                return Ok(());
            }
        };
        *self
            .inner
            .alarm_topic
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(verdict.clone());
        verdict.map_err(Refusal::NotNow)
    }

    /// The topic check as known so far, for the synchronous operations (`None`: not asked yet).
    pub(crate) fn alarm_topic_refusal(&self) -> Option<Refusal> {
        self.inner
            .alarm_topic
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .and_then(|known| known.err())
            .map(Refusal::NotNow)
    }

    /// The flow's lost-source alarm, written at start-up while alarms are on (idempotent by
    /// name: each start rewrites the same alarm).
    pub async fn ensure_flow_alarm(&self, flow_name: &str) -> Result<(), CloudError> {
        let Some(topic) = self.inner.config.alarm_topic_arn.as_deref() else {
            return Ok(());
        };
        let ctx = AlarmContext {
            table: &self.inner.config.table,
            topic_arn: topic,
            period: self.inner.config.alarm_period,
            preset_bitrate: None,
        };
        let spec = alarms::for_flow(&self.inner.config.flow_arn, flow_name, &ctx);
        let cw = &self.inner.cloud.cloudwatch;
        self.call(None, || cw.put_metric_alarm(spec.clone())).await
    }
}
