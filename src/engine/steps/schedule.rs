//! The destination's EventBridge schedules: the stop-by deadline a start sets and a stop by
//! hand removes, the operator's go-live / stop schedules, and their removal with the
//! destination. Each create is named `onair-<id8>-<kind>-<epoch>` and written into the record
//! before the schedule it replaces is deleted, so a crash leaves at worst a stray of ours that
//! the reconciler deletes (it lists `onair-<id8>-`), never a schedule no record can explain.

use super::{StepCtx, StepFailure, StepResult, at};
use crate::cloud::{ChannelAction, CloudError, CreateScheduleRequest, ErrorKind};
use crate::domain::schedule::{
    ScheduleKind, ScheduleRef, kind_of_name, name_prefix, schedule_name, whole_seconds,
};
use crate::domain::{DestinationId, when};
use crate::engine::{Engine, Level, Payload};
use std::time::Duration;
use time::OffsetDateTime;

/// What the operator asked of a destination's schedules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleChange {
    /// A go-live (`on_air`, fired at `fires`) and/or a stop.
    Set {
        start: Option<StartAt>,
        stop: Option<OffsetDateTime>,
    },
    /// Remove the go-live and stop schedules (the deadline stays: it guards a running channel).
    Clear,
    /// Move the stop-by deadline later by this much.
    Extend(Duration),
}

/// A go-live: when the destination must be on air, and when StartChannel is called for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartAt {
    pub on_air: OffsetDateTime,
    pub fires: OffsetDateTime,
}

fn missing(step: &str, what: String) -> StepFailure {
    StepFailure {
        step: step.to_string(),
        error: CloudError::new("CreateSchedule", ErrorKind::Validation, what),
    }
}

impl Engine {
    /// The deadline of a start: now + `max_run`, when deadlines are on and a scheduler role is
    /// configured (without one the start says so, and goes on without a deadline).
    pub(super) async fn set_deadline_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let Some(max_run) = self.inner.config.max_run else {
            return Ok(());
        };
        if self.inner.config.scheduler_role_arn.is_none() {
            self.log(
                Level::Warn,
                Some(ctx.id),
                "no stop-by deadline: scheduler_role_arn is not set (max_run needs it)".into(),
            );
            return Ok(());
        }
        let fires = self.inner.clock.now() + max_run;
        // The channel is on air: that is what the operator asked for, and a failed deadline
        // must not turn it into an error. The reconciler sets a missing deadline every pass.
        if let Err(f) = self
            .replace_schedule(ctx.id, ScheduleKind::Deadline, fires, None, &ctx.label)
            .await
        {
            self.log(
                Level::Warn,
                Some(ctx.id),
                format!(
                    "on air without a stop-by deadline yet ({}); onair sets it at its next \
                     reconcile",
                    f.error
                ),
            );
        }
        Ok(())
    }

    /// A stop by hand: the deadline has nothing left to guard. The channel is stopped either
    /// way; one that can't be deleted now is deleted by the reconciler (firing on an idle
    /// channel, it would only fail).
    pub(super) async fn clear_deadline_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        if let Err(f) = self
            .remove_schedules(ctx.id, &[ScheduleKind::Deadline], &ctx.label)
            .await
        {
            self.log(
                Level::Warn,
                Some(ctx.id),
                format!("stopped; its stop-by deadline is left for now: {}", f.error),
            );
        }
        Ok(())
    }

    /// Every schedule the record names, and any stray of ours for it (a crash between a create
    /// and the record's write): a deleted destination leaves nothing behind in Scheduler.
    pub(super) async fn delete_schedules_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        if self.inner.config.scheduler_role_arn.is_none()
            && self.record(ctx.id).is_none_or(|r| r.schedules.is_empty())
        {
            // No scheduler configured and nothing recorded: no call to a service the operator
            // may not be allowed to use.
            return Ok(());
        }
        self.remove_schedules(ctx.id, &ScheduleKind::ALL, &ctx.label)
            .await?;
        let scheduler = &self.inner.cloud.scheduler;
        let prefix = name_prefix(&ctx.id);
        let strays = self
            .call(ctx.id, || scheduler.list_schedules(&prefix))
            .await
            .map_err(at(&ctx.label))?;
        for name in strays
            .into_iter()
            .filter(|n| kind_of_name(&ctx.id, n).is_some())
        {
            if self.stray_is_ours(ctx.id, &name).await {
                self.delete_schedule_named(ctx.id, &name, &ctx.label)
                    .await?;
            }
        }
        Ok(())
    }

    /// Whether a schedule named for this destination (and not in its record) is provably its:
    /// its target is the record's channel. The name's eight hex digits could, rarely, be another
    /// table's destination's too; that one is left alone (one-time, it deletes itself).
    pub(crate) async fn stray_is_ours(&self, id: DestinationId, name: &str) -> bool {
        let Some(channel) = self.record(id).and_then(|r| r.media_live_channel_id) else {
            return false;
        };
        let scheduler = &self.inner.cloud.scheduler;
        match self.call(id, || scheduler.get_schedule(name)).await {
            Ok(info) if info.channel_id.as_deref() == Some(channel.as_str()) => true,
            Ok(info) => {
                self.log(
                    Level::Warn,
                    Some(id),
                    format!(
                        "schedule {name} is named for this destination but starts or stops \
                         channel {}: left alone",
                        info.channel_id.as_deref().unwrap_or("?")
                    ),
                );
                false
            }
            Err(_) => false,
        }
    }

    pub(super) async fn apply_schedule_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let Payload::Schedule(change) = &*ctx.payload else {
            return Ok(());
        };
        let change = change.clone();
        match change {
            ScheduleChange::Set { start, stop } => {
                if let Some(start) = start {
                    self.replace_schedule(
                        ctx.id,
                        ScheduleKind::Start,
                        start.fires,
                        Some(start.on_air),
                        &ctx.label,
                    )
                    .await?;
                }
                if let Some(stop) = stop {
                    self.replace_schedule(ctx.id, ScheduleKind::Stop, stop, None, &ctx.label)
                        .await?;
                }
            }
            ScheduleChange::Clear => {
                self.remove_schedules(
                    ctx.id,
                    &[ScheduleKind::Start, ScheduleKind::Stop],
                    &ctx.label,
                )
                .await?;
            }
            ScheduleChange::Extend(by) => {
                let now = self.inner.clock.now();
                let from = self
                    .record(ctx.id)
                    .and_then(|r| r.schedule(ScheduleKind::Deadline).map(|s| s.fires_at))
                    .unwrap_or(now)
                    .max(now);
                self.replace_schedule(ctx.id, ScheduleKind::Deadline, from + by, None, &ctx.label)
                    .await?;
            }
        }
        Ok(())
    }

    /// Creates the schedule of `kind` firing at `fires` (whole seconds), writes it into the
    /// record in place of the one of that kind it held, then deletes that one. Idempotent: the
    /// name is the destination, kind and time, so a retry after a lost answer finds its own
    /// schedule (Conflict) and goes on.
    pub(crate) async fn replace_schedule(
        &self,
        id: DestinationId,
        kind: ScheduleKind,
        fires: OffsetDateTime,
        on_air: Option<OffsetDateTime>,
        step: &str,
    ) -> StepResult<ScheduleRef> {
        let fires = whole_seconds(fires);
        let record = self
            .record(id)
            .ok_or_else(|| missing(step, format!("record {id} is gone")))?;
        let role = self
            .inner
            .config
            .scheduler_role_arn
            .clone()
            .ok_or_else(|| missing(step, "scheduler_role_arn is not set".to_string()))?;
        let channel_id = record
            .media_live_channel_id
            .clone()
            .ok_or_else(|| missing(step, format!("{} has no channel to schedule", record.name)))?;
        let name = schedule_name(&id, kind, fires);
        let new = ScheduleRef {
            name: name.clone(),
            kind,
            fires_at: fires,
            on_air_at: on_air.map(whole_seconds),
        };
        let old = record.schedule(kind).cloned();
        if old.as_ref() == Some(&new) {
            return Ok(new);
        }
        let action = if kind.stops() {
            ChannelAction::Stop
        } else {
            ChannelAction::Start
        };
        let request = CreateScheduleRequest {
            name: name.clone(),
            at: fires,
            action,
            channel_id,
            role_arn: role,
            description: format!("onair {} of destination {id}", kind.as_str()),
        };
        let scheduler = &self.inner.cloud.scheduler;
        match self
            .call(id, || scheduler.create_schedule(request.clone()))
            .await
        {
            Ok(()) => {}
            // Ours from an earlier try whose answer was lost: the name says what it does.
            Err(e) if e.kind == ErrorKind::Conflict => {}
            Err(e) => return Err(at(step)(e)),
        }
        let written = new.clone();
        let saved = self
            .modify(id, move |r| {
                r.schedules.retain(|s| s.kind != kind);
                r.schedules.push(written);
            })
            .await;
        if let Err(e) = saved {
            // No record names it: take it back rather than leave a schedule nobody can explain
            // (if this fails too, the next immediate reconcile deletes it as a stray).
            let _ = self.delete_schedule_named(id, &name, step).await;
            return Err(at(step)(e));
        }
        if let Some(old) = old
            && old.name != name
        {
            self.delete_schedule_named(id, &old.name, step).await?;
        }
        let offset = when::local_offset();
        let now = self.inner.clock.now();
        let text = match (kind, new.on_air_at) {
            (ScheduleKind::Start, Some(on_air)) => format!(
                "on air at {} (StartChannel at {}, {} ahead)",
                when::show(on_air, now, offset),
                when::show(fires, now, offset),
                crate::engine::schedules::minutes(on_air - fires)
            ),
            (ScheduleKind::Deadline, _) => {
                format!("stop-by deadline {}", when::show(fires, now, offset))
            }
            _ => format!("stops at {}", when::show(fires, now, offset)),
        };
        self.log(Level::Info, Some(id), text);
        Ok(new)
    }

    /// Deletes the schedules of these kinds the record names, then drops them from it.
    pub(crate) async fn remove_schedules(
        &self,
        id: DestinationId,
        kinds: &[ScheduleKind],
        step: &str,
    ) -> StepResult {
        let Some(record) = self.record(id) else {
            return Ok(());
        };
        let doomed: Vec<ScheduleRef> = record
            .schedules
            .iter()
            .filter(|s| kinds.contains(&s.kind))
            .cloned()
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        for s in &doomed {
            self.delete_schedule_named(id, &s.name, step).await?;
        }
        let kinds = kinds.to_vec();
        self.modify(id, move |r| {
            r.schedules.retain(|s| !kinds.contains(&s.kind))
        })
        .await
        .map_err(at(step))?;
        Ok(())
    }

    /// DeleteSchedule; one already gone (it fired and deleted itself) is done.
    pub(crate) async fn delete_schedule_named(
        &self,
        id: DestinationId,
        name: &str,
        step: &str,
    ) -> StepResult {
        let scheduler = &self.inner.cloud.scheduler;
        match self.call(id, || scheduler.delete_schedule(name)).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(at(step)(e)),
        }
    }
}
