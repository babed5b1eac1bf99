//! The record in the table: conditional writes (on `version`), a lost race told as what the
//! other operator changed, and the steps that only write the record.

use super::{StepCtx, StepResult, at};
use crate::cloud::{ChannelState, CloudError, ErrorKind, InputState, Tags};
use crate::domain::naming::TAG_DESTINATION_ID;
use crate::domain::{Destination, DestinationId, Status};
use crate::engine::calls::retrying_n;
use crate::engine::cost::close_run;
use crate::engine::{Engine, EngineEvent, Level, Payload};

/// How a lost conditional write begins its message (kept for the log's wording; the typed
/// [`crate::engine::FailureKind::LostRace`] is what callers decide on).
pub const LOST_RACE: &str = "another operator";

impl Engine {
    /// Retries a cloud call, noting each retry in the event log (under the destination, if the
    /// call is for one).
    pub(crate) async fn call<T, F, Fut>(
        &self,
        who: impl Into<Option<DestinationId>>,
        f: F,
    ) -> Result<T, CloudError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CloudError>>,
    {
        let who = who.into();
        retrying_n(self.inner.config.call_attempts, f, |e, attempt| {
            self.log(Level::Warn, who, format!("{e} (retry {attempt})"))
        })
        .await
    }

    /// Writes the record with `change` applied, conditional on the version we hold.
    pub(crate) async fn modify(
        &self,
        id: DestinationId,
        change: impl FnOnce(&mut Destination),
    ) -> Result<Destination, CloudError> {
        let current = self.record(id).ok_or_else(|| {
            CloudError::new(
                "UpdateItem",
                ErrorKind::NotFound,
                format!("record {id} is gone"),
            )
        })?;
        let mut next = current.clone();
        change(&mut next);
        // A version at the top of its range can't be bumped: the record is refused, not wrapped.
        next.version = current.version.checked_add(1).ok_or_else(|| {
            CloudError::new(
                "UpdateItem",
                ErrorKind::Validation,
                format!("record {id} has version {}: out of range", current.version),
            )
        })?;
        next.last_modified = self.inner.clock.now();
        let store = &self.inner.cloud.store;
        let written = self
            .call(id, || store.update_if_version(&next, current.version))
            .await;
        match written {
            Ok(()) => {
                self.records_lock().insert(id, next.clone());
                self.emit(EngineEvent::Upserted(next.clone()));
                Ok(next)
            }
            Err(e) if e.kind == ErrorKind::ConditionFailed => {
                // A retry after a lost answer (a timeout) finds its own write already there.
                if self.stored(id).await.as_ref() == Some(&next) {
                    self.records_lock().insert(id, next.clone());
                    self.emit(EngineEvent::Upserted(next.clone()));
                    return Ok(next);
                }
                Err(self.lost_race(id, &current, e).await)
            }
            Err(e) => Err(e),
        }
    }

    /// A resource was created but writing its id down failed: keep the id in our copy of the
    /// record (same version as the table's), so the failure written next by `finish` names it
    /// and nothing billed in AWS is left without a record.
    pub(crate) fn remember(&self, id: DestinationId, change: impl FnOnce(&mut Destination)) {
        if let Some(r) = self.records_lock().get_mut(&id) {
            change(r);
        }
    }

    /// The record as the table holds it now; `None` when it is gone or can't be read.
    pub(crate) async fn stored(&self, id: DestinationId) -> Option<Destination> {
        let store = &self.inner.cloud.store;
        self.call(id, || store.get(id)).await.ok().flatten()
    }

    /// Another operator wrote the record first: take their version, show it, and say what they
    /// changed, so the refusal makes sense to whoever sees it.
    async fn lost_race(&self, id: DestinationId, ours: &Destination, e: CloudError) -> CloudError {
        let store = &self.inner.cloud.store;
        let theirs = match self.call(id, || store.get(id)).await {
            Ok(theirs) => theirs,
            Err(_) => return e,
        };
        let what = match theirs {
            None => {
                self.records_lock().remove(&id);
                self.emit(EngineEvent::Removed(id));
                "deleted the destination".to_string()
            }
            Some(theirs) => {
                let mut changes = Vec::new();
                let mut note = |field: &str, a: String, b: String| {
                    if a != b {
                        changes.push(format!("{field} {a} → {b}"));
                    }
                };
                note("status", ours.status.to_string(), theirs.status.to_string());
                note(
                    "desired",
                    ours.desired.as_str().into(),
                    theirs.desired.as_str().into(),
                );
                note("name", ours.name.clone(), theirs.name.clone());
                note("preset", ours.preset.clone(), theirs.preset.clone());
                note("url", ours.rtmp_url.clone(), theirs.rtmp_url.clone());
                if ours.stream_key != theirs.stream_key {
                    changes.push("stream key".into());
                }
                self.records_lock().insert(id, theirs.clone());
                self.emit(EngineEvent::Upserted(theirs));
                if changes.is_empty() {
                    "changed it".to_string()
                } else {
                    format!("changed {}", changes.join(", "))
                }
            }
        };
        CloudError::new(
            e.call,
            ErrorKind::ConditionFailed,
            format!("{LOST_RACE} {what} first; nothing was written"),
        )
    }

    /// The record as the engine holds it, or a failure naming the step.
    pub(crate) fn current(&self, id: DestinationId, step: &str) -> StepResult<Destination> {
        self.record(id).ok_or_else(|| {
            at(step)(CloudError::new(
                "GetItem",
                ErrorKind::NotFound,
                "the record is gone",
            ))
        })
    }

    /// PutItem if absent. On failure nothing was created: the row goes away again.
    pub(super) async fn save_new_record(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let record = self.current(id, &ctx.label)?;
        let store = &self.inner.cloud.store;
        let put = match self.call(id, || store.put_if_absent(&record)).await {
            // The first attempt landed and its answer was lost: the record is ours.
            Err(e)
                if e.kind == ErrorKind::ConditionFailed
                    && self.stored(id).await.as_ref() == Some(&record) =>
            {
                Ok(())
            }
            other => other,
        };
        if let Err(e) = put {
            self.records_lock().remove(&id);
            self.emit(EngineEvent::Removed(id));
            return Err(at(&ctx.label)(e));
        }
        Ok(())
    }

    /// The channel the record names is gone from AWS (DescribeChannel says so too): forget it,
    /// with a new idempotency token, so the chain is built again instead of failing for ever.
    pub(super) async fn forget_vanished_channel(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let record = self.current(id, &ctx.label)?;
        let Some(channel_id) = record.media_live_channel_id else {
            return Ok(());
        };
        let ml = &self.inner.cloud.medialive;
        let gone = match self.call(id, || ml.describe_channel(&channel_id)).await {
            Ok(c) => c.state == ChannelState::Deleted,
            Err(e) if e.is_not_found() => true,
            Err(e) => return Err(at(&ctx.label)(e)),
        };
        if !gone {
            return Ok(());
        }
        self.log(
            Level::Warn,
            Some(id),
            format!("channel {channel_id} is gone from AWS: building the chain again"),
        );
        self.modify(id, |r| {
            r.media_live_channel_id = None;
            r.running_since = None;
            r.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
        })
        .await
        .map_err(at(&ctx.label))?;
        Ok(())
    }

    /// A record that doesn't name its channel or input (an add interrupted between a create and
    /// the write of its id, or whose create's answer was lost and its retries exhausted) may
    /// still own one: look it up by its destination-id tag and write it into the record, so a
    /// teardown removes it instead of leaking it and the row shows what is billed.
    pub(crate) async fn adopt_tagged(&self, id: DestinationId, step: &str) -> StepResult {
        let Some(record) = self.record(id) else {
            return Ok(());
        };
        let ml = &self.inner.cloud.medialive;
        let tag = id.to_string();
        let mine = |tags: &Tags| tags.get(TAG_DESTINATION_ID) == Some(&tag);
        let channel = match record.media_live_channel_id {
            Some(_) => None,
            None => self
                .call(id, || ml.list_channels())
                .await
                .map_err(at(step))?
                .into_iter()
                .find(|c| mine(&c.tags) && c.state != ChannelState::Deleted)
                .map(|c| c.id),
        };
        let input = match record.media_live_input_id {
            Some(_) => None,
            None => self
                .call(id, || ml.list_inputs())
                .await
                .map_err(at(step))?
                .into_iter()
                .find(|i| mine(&i.tags) && i.state != InputState::Deleted)
                .map(|i| i.id),
        };
        if channel.is_none() && input.is_none() {
            return Ok(());
        }
        let found: Vec<String> = [("channel", &channel), ("input", &input)]
            .iter()
            .filter_map(|(what, res)| res.as_ref().map(|r| format!("{what} {r}")))
            .collect();
        self.log(
            Level::Warn,
            Some(id),
            format!(
                "found {} by its tag: the record names it now",
                found.join(" and ")
            ),
        );
        self.modify(id, |r| {
            if channel.is_some() {
                r.media_live_channel_id = channel.clone();
            }
            if input.is_some() {
                r.media_live_input_id = input.clone();
            }
        })
        .await
        .map_err(at(step))?;
        Ok(())
    }

    /// `running`, and when the run began (the cost meter).
    pub(super) async fn save_running(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let now = self.inner.clock.now();
        self.modify(ctx.id, |r| {
            r.status = Status::Running;
            r.running_since = Some(now);
            r.deadline_stopped_at = None;
        })
        .await
        .map_err(at(&ctx.label))?;
        Ok(())
    }

    /// `idle`, the error cleared, and any run a failure left open on the record closed.
    pub(super) async fn save_idle(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let now = self.inner.clock.now();
        let pricing = self.inner.catalog.pricing.clone();
        self.modify(ctx.id, |r| {
            close_run(r, now, &pricing);
            r.status = Status::Idle;
            r.last_error = None;
        })
        .await
        .map_err(at(&ctx.label))?;
        Ok(())
    }

    /// `parked`, with fresh request ids for when it is started again.
    pub(super) async fn save_parked(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        self.modify(ctx.id, |r| {
            r.status = Status::Parked;
            r.last_error = None;
            r.input_request_id = Some(uuid::Uuid::new_v4().to_string());
            r.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
        })
        .await
        .map_err(at(&ctx.label))?;
        Ok(())
    }

    /// An edit's fields into the record (the key as sealed by an earlier step, if it was).
    pub(super) async fn save_changes(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let Payload::Edit(change) = &*ctx.payload else {
            return Ok(());
        };
        let stream_key = ctx
            .sealed
            .clone()
            .unwrap_or_else(|| change.stream_key.clone());
        self.modify(ctx.id, |r| {
            r.name = change.name.clone();
            r.platform = change.platform;
            r.rtmp_url = change.url.clone();
            r.stream_key = stream_key;
            r.preset = change.preset.clone();
            if r.status == Status::Stopping {
                r.status = Status::Idle;
            }
        })
        .await
        .map_err(at(&ctx.label))?;
        Ok(())
    }

    /// DeleteItem conditional on the version; already gone counts as done.
    pub(super) async fn delete_record(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let version = self.record(id).map(|r| r.version).unwrap_or(0);
        let store = &self.inner.cloud.store;
        match self.call(id, || store.delete_if_version(id, version)).await {
            Ok(()) => {}
            // Already gone: a retry after a lost answer, or nothing left to remove.
            Err(e) if e.kind == ErrorKind::ConditionFailed && self.stored(id).await.is_none() => {}
            Err(e) => return Err(at(&ctx.label)(e)),
        }
        self.records_lock().remove(&id);
        self.emit(EngineEvent::Removed(id));
        Ok(())
    }

    /// "; left in AWS: input 123, channel 456" — what the record says exists, for the operator
    /// to retry or delete.
    pub(crate) fn left_behind(&self, id: DestinationId) -> String {
        let Some(r) = self.record(id) else {
            return String::new();
        };
        let mut parts = Vec::new();
        if let Some(input) = &r.media_live_input_id {
            parts.push(format!("input {input}"));
        }
        // Only a channel AWS may still have: one the last listing lacks is not "left".
        if let Some(channel) = &r.media_live_channel_id
            && self.channel_seen(&r) != crate::engine::plan::ChannelSeen::Missing
        {
            parts.push(format!("channel {channel}"));
        }
        if let Some(group) = &r.input_security_group_id {
            parts.push(format!("input security group {group}"));
        }
        if parts.is_empty() {
            "; nothing left in AWS".to_string()
        } else {
            format!("; left in AWS: {}", parts.join(", "))
        }
    }
}
