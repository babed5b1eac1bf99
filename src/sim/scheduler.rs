//! EventBridge Scheduler in the simulated account: one-time schedules that fire on the
//! simulator's clock and call the simulated MediaLive's StartChannel / StopChannel as the role
//! they were given, then delete themselves (`ActionAfterCompletion: DELETE`).
//!
//! As in AWS: CreateSchedule with a role that doesn't exist is a ValidationException; a name in
//! use is a ConflictException. A role that exists but can't do the call (not trusted by
//! scheduler.amazonaws.com — the MediaLive role —, or a channel without the `onair:managed=true`
//! tag its policy is conditioned on) is only found out when the schedule fires: the target
//! invocation fails and is recorded (AWS counts it in `TargetErrorCount`), nothing is retried
//! into success. `:fault fail-schedule NAME` makes the next invocation on a channel fail.

use super::Simulator;
use super::errors::{conflict, not_found, validation};
use super::faults::Service;
use super::world::World;
use crate::cloud::{
    ChannelAction, CloudError, CreateScheduleRequest, ScheduleInfo, Scheduler, channel_of_input,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// A schedule waiting to fire.
#[derive(Debug, Clone, PartialEq)]
pub struct SimSchedule {
    pub name: String,
    pub at: OffsetDateTime,
    pub action: ChannelAction,
    pub target_arn: String,
    pub input: String,
    pub role_arn: String,
}

/// One time a schedule fired, and what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimInvocation {
    pub name: String,
    pub at: OffsetDateTime,
    pub action: ChannelAction,
    pub channel_id: Option<String>,
    /// `None`: the target call succeeded; otherwise why it failed.
    pub error: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct SchedulerState {
    pub schedules: BTreeMap<String, SimSchedule>,
    pub invocations: Vec<SimInvocation>,
    /// Channels whose next invocation fails (`:fault fail-schedule`).
    pub fail_next: BTreeSet<String>,
}

impl World {
    /// The schedule due first, if one is due at `now`.
    pub(crate) fn next_due_schedule(
        &self,
        now: OffsetDateTime,
    ) -> Option<(OffsetDateTime, String)> {
        self.scheduler
            .schedules
            .values()
            .filter(|s| s.at <= now)
            .map(|s| (s.at, s.name.clone()))
            .min()
    }

    /// Fires one schedule: the target call as MediaLive would answer it at the schedule's time,
    /// recorded either way, then the schedule is deleted.
    pub(crate) fn fire_schedule(&mut self, name: &str) {
        let Some(s) = self.scheduler.schedules.remove(name) else {
            return;
        };
        let channel_id = channel_of_input(&s.input);
        let error = self.invoke(&s, channel_id.as_deref()).err();
        self.scheduler.invocations.push(SimInvocation {
            name: s.name,
            at: s.at,
            action: s.action,
            channel_id,
            error,
        });
    }

    fn invoke(&mut self, s: &SimSchedule, channel_id: Option<&str>) -> Result<(), String> {
        if s.role_arn != Simulator::SCHEDULER_ROLE_ARN {
            return Err(format!(
                "AccessDenied: scheduler.amazonaws.com is not authorized to perform: \
                 sts:AssumeRole on resource: {}",
                s.role_arn
            ));
        }
        let Some(channel_id) = channel_id else {
            return Err("ValidationException: Input has no ChannelId".to_string());
        };
        let managed = self.channels.get(channel_id).is_some_and(|c| {
            c.tags
                .get(crate::domain::naming::TAG_MANAGED)
                .map(String::as_str)
                == Some("true")
        });
        if !managed {
            // The role's policy allows only channels tagged onair:managed=true (or the channel
            // does not exist, which IAM can't tell apart here either).
            return Err(format!(
                "AccessDenied: {} is not authorized to perform: medialive:{} on resource: \
                 channel {channel_id}",
                s.role_arn,
                match s.action {
                    ChannelAction::Start => "StartChannel",
                    ChannelAction::Stop => "StopChannel",
                }
            ));
        }
        if self.scheduler.fail_next.remove(channel_id) {
            return Err("InternalServerException: the target invocation failed".to_string());
        }
        let result = match s.action {
            ChannelAction::Start => self.start_channel("StartChannel", channel_id),
            ChannelAction::Stop => self.stop_channel("StopChannel", channel_id),
        };
        result.map(|_| ()).map_err(|e| e.to_string())
    }

    fn create_schedule(&mut self, req: CreateScheduleRequest) -> Result<(), CloudError> {
        const CALL: &str = "CreateSchedule";
        if !Simulator::ROLES.contains(&req.role_arn.as_str()) {
            return Err(validation(
                CALL,
                format!(
                    "The execution role you provide must allow AWS EventBridge Scheduler to \
                     assume the role: {} does not exist",
                    req.role_arn
                ),
            ));
        }
        if req.name.is_empty()
            || req.name.len() > 64
            || !req
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(validation(CALL, "name: must match [0-9a-zA-Z-_.]{1,64}"));
        }
        if self.scheduler.schedules.contains_key(&req.name) {
            return Err(conflict(
                CALL,
                format!("Schedule {} already exists.", req.name),
            ));
        }
        let schedule = SimSchedule {
            name: req.name.clone(),
            at: crate::cloud::parse_at_expression(&req.expression())
                .ok_or_else(|| validation(CALL, "Invalid Schedule Expression"))?,
            action: req.action,
            target_arn: req.action.target_arn().to_string(),
            input: req.input_json(),
            role_arn: req.role_arn,
        };
        self.scheduler.schedules.insert(req.name, schedule);
        Ok(())
    }
}

impl Simulator {
    /// The role EventBridge Scheduler may assume to start and stop onair's channels.
    pub const SCHEDULER_ROLE_ARN: &'static str = "arn:aws:iam::111122223333:role/onair-scheduler";
    /// The roles that exist in the simulated account.
    pub const ROLES: [&'static str; 2] = [Self::ROLE_ARN, Self::SCHEDULER_ROLE_ARN];

    /// The schedules waiting to fire, by name.
    pub fn schedules(&self) -> Vec<SimSchedule> {
        let mut w = self.lock();
        w.advance();
        w.scheduler.schedules.values().cloned().collect()
    }

    /// Every invocation so far, oldest first.
    pub fn invocations(&self) -> Vec<SimInvocation> {
        let mut w = self.lock();
        w.advance();
        w.scheduler.invocations.clone()
    }

    /// The next schedule that fires on `channel_id` fails at its target.
    pub fn fail_next_invocation(&self, channel_id: &str) {
        self.lock()
            .scheduler
            .fail_next
            .insert(channel_id.to_string());
    }
}

#[async_trait]
impl Scheduler for Simulator {
    async fn create_schedule(&self, req: CreateScheduleRequest) -> Result<(), CloudError> {
        self.call("CreateSchedule", Service::Scheduler, |w| {
            w.create_schedule(req)
        })
    }

    async fn get_schedule(&self, name: &str) -> Result<ScheduleInfo, CloudError> {
        self.call("GetSchedule", Service::Scheduler, |w| {
            let s = w
                .scheduler
                .schedules
                .get(name)
                .ok_or_else(|| not_found("GetSchedule", "Schedule", name))?;
            Ok(ScheduleInfo {
                name: s.name.clone(),
                expression: CreateScheduleRequest {
                    name: s.name.clone(),
                    at: s.at,
                    action: s.action,
                    channel_id: String::new(),
                    role_arn: String::new(),
                    description: String::new(),
                }
                .expression(),
                target_arn: s.target_arn.clone(),
                channel_id: channel_of_input(&s.input),
                role_arn: s.role_arn.clone(),
            })
        })
    }

    async fn list_schedules(&self, prefix: &str) -> Result<Vec<String>, CloudError> {
        self.call("ListSchedules", Service::Scheduler, |w| {
            Ok(w.scheduler
                .schedules
                .keys()
                .filter(|n| n.starts_with(prefix))
                .cloned()
                .collect())
        })
    }

    async fn delete_schedule(&self, name: &str) -> Result<(), CloudError> {
        self.call("DeleteSchedule", Service::Scheduler, |w| {
            w.scheduler
                .schedules
                .remove(name)
                .map(|_| ())
                .ok_or_else(|| not_found("DeleteSchedule", "Schedule", name))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::cloud::{ChannelState, ErrorKind, MediaLive};
    use std::time::Duration;

    fn req(
        name: &str,
        at: OffsetDateTime,
        action: ChannelAction,
        channel: &str,
    ) -> CreateScheduleRequest {
        CreateScheduleRequest {
            name: name.to_string(),
            at,
            action,
            channel_id: channel.to_string(),
            role_arn: Simulator::SCHEDULER_ROLE_ARN.to_string(),
            description: String::new(),
        }
    }

    async fn idle_channel(sim: &std::sync::Arc<Simulator>) -> String {
        let input = sim.create_input(input_req("a", "ri")).await.unwrap();
        secs(5.0).await;
        let ch = sim
            .create_channel(channel_req("a", &input.id, "rc"))
            .await
            .unwrap();
        secs(30.0).await;
        ch.id
    }

    #[tokio::test(start_paused = true)]
    async fn a_schedule_fires_on_the_clock_starts_the_channel_and_deletes_itself() {
        let sim = sim();
        let ch = idle_channel(&sim).await;
        let at = sim.now() + Duration::from_secs(600);
        sim.create_schedule(req("onair-x-start-1", at, ChannelAction::Start, &ch))
            .await
            .unwrap();
        secs(599.0).await;
        assert_eq!(
            sim.describe_channel(&ch).await.unwrap().state,
            ChannelState::Idle
        );
        secs(2.0).await;
        assert_ne!(
            sim.describe_channel(&ch).await.unwrap().state,
            ChannelState::Idle
        );
        assert!(sim.schedules().is_empty());
        let fired = sim.invocations();
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].error, None);
        let err = sim.get_schedule("onair-x-start-1").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
    }

    #[tokio::test(start_paused = true)]
    async fn a_role_that_does_not_exist_is_refused_and_one_that_cannot_act_fails_when_fired() {
        let sim = sim();
        let ch = idle_channel(&sim).await;
        let at = sim.now() + Duration::from_secs(60);
        let mut missing = req("onair-x-start-1", at, ChannelAction::Start, &ch);
        missing.role_arn = "arn:aws:iam::111122223333:role/nope".into();
        let err = sim.create_schedule(missing).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Validation);
        assert!(sim.schedules().is_empty());

        let mut wrong = req("onair-x-start-2", at, ChannelAction::Start, &ch);
        wrong.role_arn = Simulator::ROLE_ARN.into();
        sim.create_schedule(wrong).await.unwrap();
        secs(61.0).await;
        assert_eq!(
            sim.describe_channel(&ch).await.unwrap().state,
            ChannelState::Idle
        );
        let fired = sim.invocations();
        assert!(
            fired[0]
                .error
                .as_deref()
                .unwrap_or("")
                .contains("AssumeRole"),
            "{fired:?}"
        );
        assert!(
            sim.schedules().is_empty(),
            "deleted after completion, failed or not"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_name_in_use_is_a_conflict_and_a_fault_fails_the_next_invocation() {
        let sim = sim();
        let ch = idle_channel(&sim).await;
        let at = sim.now() + Duration::from_secs(60);
        sim.create_schedule(req("n1", at, ChannelAction::Start, &ch))
            .await
            .unwrap();
        let err = sim
            .create_schedule(req("n1", at, ChannelAction::Start, &ch))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Conflict);
        sim.apply_fault_command(&format!("fail-schedule {ch}"))
            .unwrap();
        secs(61.0).await;
        assert_eq!(
            sim.describe_channel(&ch).await.unwrap().state,
            ChannelState::Idle
        );
        assert!(sim.invocations()[0].error.is_some());
    }
}
