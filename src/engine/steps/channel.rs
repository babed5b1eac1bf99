//! The MediaLive channel: create, start, stop, update, delete, and the waits between. The
//! resource-level functions (`*_channel_resource`) take a channel id and no record, so `gc`
//! removes an orphan with the same code as a delete.

use super::{Payload, StepCtx, StepResult, at};
use crate::cloud::{
    ChannelConfig, ChannelEncoding, ChannelState, CloudError, CreateChannelRequest, ErrorKind,
    RtmpDestination, UpdateChannelRequest,
};
use crate::domain::naming::{resource_name, tags};
use crate::domain::{Desired, Destination, DestinationId, Status};
use crate::engine::Engine;
use crate::engine::calls::{ChannelWatch, Wanted, wait_for_channel};
use crate::engine::cost::close_run;
use crate::engine::executor::GateAnswer;
use std::time::Duration;

impl Engine {
    /// The whole channel, stream key included: the one place a sealed key is opened (see
    /// `steps::key`).
    pub(crate) async fn channel_config(
        &self,
        record: &Destination,
    ) -> Result<ChannelConfig, CloudError> {
        let preset = self.inner.catalog.get(&record.preset).ok_or_else(|| {
            CloudError::new(
                "CreateChannel",
                ErrorKind::Validation,
                format!("preset {:?} is not in presets.toml", record.preset),
            )
        })?;
        let name = resource_name(&record.name, &record.destination_id);
        let stream_name = self.unseal(record).await?;
        Ok(ChannelConfig {
            input_attachment_name: name.clone(),
            name,
            role_arn: self.inner.config.medialive_role_arn.clone(),
            input_id: record.media_live_input_id.clone().unwrap_or_default(),
            destination: RtmpDestination {
                url: record.rtmp_url.clone(),
                stream_name,
            },
            encoding: ChannelEncoding::from(preset),
            reconnect: self.inner.config.rtmp_reconnect,
        })
    }

    fn channel_of(&self, id: DestinationId, step: &str) -> StepResult<Option<String>> {
        Ok(self.current(id, step)?.media_live_channel_id)
    }

    /// CreateChannel with the record's request id (a retry returns the channel made the first
    /// time), unless the record names one already.
    pub(super) async fn create_channel_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let step = ctx.label.as_str();
        let current = self.current(id, step)?;
        if current.media_live_channel_id.is_some() {
            return Ok(());
        }
        let ml = &self.inner.cloud.medialive;
        let request = CreateChannelRequest {
            config: self.channel_config(&current).await.map_err(at(step))?,
            request_id: current.channel_request_id.clone().unwrap_or_default(),
            tags: tags(&self.inner.config.table, &id).into_iter().collect(),
        };
        let channel = self
            .call(id, || ml.create_channel(request.clone()))
            .await
            .map_err(at(step))?;
        self.modify(id, |r| r.media_live_channel_id = Some(channel.id.clone()))
            .await
            .map_err(|e| {
                self.remember(id, |r| r.media_live_channel_id = Some(channel.id.clone()));
                at(step)(e)
            })?;
        Ok(())
    }

    pub(super) async fn await_channel_created(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let Some(channel_id) = self.channel_of(ctx.id, &ctx.label)? else {
            return Ok(());
        };
        let ml = &self.inner.cloud.medialive;
        wait_for_channel(
            ml.as_ref(),
            &channel_id,
            Wanted::Channel(ChannelState::Idle),
            self.inner.config.create_timeout,
        )
        .await
        .map_err(at(&ctx.label))?;
        self.note_channel(&channel_id, Some(ChannelState::Idle));
        Ok(())
    }

    /// Writes what is about to happen (and what the operator wants) before the call that does
    /// it, after making sure the record names its flow output. Returns the channel id.
    async fn begin_transition(
        &self,
        id: DestinationId,
        step: &str,
        status: Status,
        desired: Desired,
    ) -> StepResult<String> {
        self.ensure_linked(id, step).await?;
        let record = self
            .modify(id, |r| {
                r.status = status;
                r.desired = desired;
                r.last_error = None;
            })
            .await
            .map_err(at(step))?;
        record.media_live_channel_id.ok_or_else(|| {
            at(step)(CloudError::new(
                "GetItem",
                ErrorKind::NotFound,
                "the record names no channel",
            ))
        })
    }

    /// `starting`, then StartChannel — or this channel's part of one BatchStart.
    pub(super) async fn start_channel_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let channel_id = self
            .begin_transition(id, &ctx.label, Status::Starting, Desired::Running)
            .await?;
        match ctx.batch {
            None => self.start_channel_call(id, &channel_id, &ctx.label).await,
            Some(gate) => match gate.arrive(id, channel_id.clone()).await {
                Ok(()) => Ok(()),
                Err(answer) => {
                    self.batch_fallback(answer, &ctx.label, || {
                        self.start_channel_call(id, &channel_id, &ctx.label)
                    })
                    .await
                }
            },
        }
    }

    /// A channel the batch call failed for (already in the wanted state fails it with a
    /// conflict) goes the single-channel way, which decides whether that is progress; if that
    /// fails too, the batch's words for it are what the operator reads.
    async fn batch_fallback<F, Fut>(&self, answer: GateAnswer, step: &str, single: F) -> StepResult
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = StepResult>,
    {
        match answer {
            GateAnswer::Call(e) => Err(at(step)(e)),
            GateAnswer::Failed {
                call,
                code,
                message,
            } => single().await.map_err(|mut f| {
                f.error = CloudError::new(call, ErrorKind::Other, format!("{code}: {message}"));
                f
            }),
        }
    }

    /// StartChannel; "already starting or running" (a retried call, another operator) is
    /// progress, not failure.
    pub(crate) async fn start_channel_call(
        &self,
        id: DestinationId,
        channel_id: &str,
        step: &str,
    ) -> StepResult {
        let ml = &self.inner.cloud.medialive;
        let answer = self.call(id, || ml.start_channel(channel_id)).await;
        self.conflict_is_progress(
            Some(id),
            channel_id,
            step,
            answer,
            &[ChannelState::Starting, ChannelState::Running],
        )
        .await
        .map(|_| ())
    }

    /// A 409 from a start or stop means the channel is in another state than the call expects:
    /// if it is already where the call leads (a retried call, another operator), that is
    /// progress; otherwise the conflict stands. Returns the state a conflict found.
    async fn conflict_is_progress<T>(
        &self,
        who: Option<DestinationId>,
        channel_id: &str,
        step: &str,
        answer: Result<T, CloudError>,
        already: &[ChannelState],
    ) -> StepResult<Option<ChannelState>> {
        match answer {
            Ok(_) => Ok(None),
            Err(e) if e.kind == ErrorKind::Conflict => {
                let ml = &self.inner.cloud.medialive;
                let c = self
                    .call(who, || ml.describe_channel(channel_id))
                    .await
                    .map_err(at(step))?;
                if already.contains(&c.state) {
                    Ok(Some(c.state))
                } else {
                    Err(at(step)(e))
                }
            }
            Err(e) => Err(at(step)(e)),
        }
    }

    async fn wait_channel(
        &self,
        channel_id: &str,
        wanted: ChannelState,
        timeout: Duration,
        watch: Option<&ChannelWatch>,
    ) -> Result<(), CloudError> {
        match watch {
            Some(watch) => watch.wait(channel_id, wanted, timeout).await,
            None => {
                let ml = &self.inner.cloud.medialive;
                wait_for_channel(ml.as_ref(), channel_id, Wanted::Channel(wanted), timeout)
                    .await
                    .map(|_| ())
            }
        }
    }

    /// Waits for RUNNING (through a batch's shared watch when there is one).
    pub(super) async fn await_running(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let Some(channel_id) = self.channel_of(ctx.id, &ctx.label)? else {
            return Ok(());
        };
        let timeout = self.inner.config.start_timeout;
        self.wait_channel(&channel_id, ChannelState::Running, timeout, ctx.watch)
            .await
            .map_err(at(&ctx.label))
    }

    /// `stopping`, then StopChannel — or this channel's part of one BatchStop.
    pub(super) async fn stop_channel_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let channel_id = self
            .begin_transition(id, &ctx.label, Status::Stopping, Desired::Idle)
            .await?;
        match ctx.batch {
            None => {
                self.stop_channel_call(Some(id), &channel_id, &ctx.label)
                    .await
            }
            Some(gate) => match gate.arrive(id, channel_id.clone()).await {
                Ok(()) => Ok(()),
                Err(answer) => {
                    self.batch_fallback(answer, &ctx.label, || {
                        self.stop_channel_call(Some(id), &channel_id, &ctx.label)
                    })
                    .await
                }
            },
        }
    }

    /// StopChannel; "already stopping or stopped" is progress, and a channel still STARTING (a
    /// stop that cancelled a start) is stopped once it runs: MediaLive refuses it before.
    pub(crate) async fn stop_channel_call(
        &self,
        who: Option<DestinationId>,
        channel_id: &str,
        step: &str,
    ) -> StepResult {
        let ml = &self.inner.cloud.medialive;
        let answer = self.call(who, || ml.stop_channel(channel_id)).await;
        let found = self
            .conflict_is_progress(
                who,
                channel_id,
                step,
                answer,
                &[
                    ChannelState::Stopping,
                    ChannelState::Idle,
                    ChannelState::Starting,
                ],
            )
            .await?;
        if found == Some(ChannelState::Starting) {
            wait_for_channel(
                ml.as_ref(),
                channel_id,
                Wanted::Channel(ChannelState::Running),
                self.inner.config.start_timeout,
            )
            .await
            .map_err(at(step))?;
            let again = self.call(who, || ml.stop_channel(channel_id)).await;
            self.conflict_is_progress(
                who,
                channel_id,
                step,
                again,
                &[ChannelState::Stopping, ChannelState::Idle],
            )
            .await?;
        }
        Ok(())
    }

    /// Waits for IDLE (through a batch's shared watch when there is one) and closes the run on
    /// the record, for the cost meter.
    pub(super) async fn await_idle(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let Some(channel_id) = self.channel_of(id, &ctx.label)? else {
            return Ok(());
        };
        let timeout = self.inner.config.stop_timeout;
        self.wait_channel(&channel_id, ChannelState::Idle, timeout, ctx.watch)
            .await
            .map_err(at(&ctx.label))?;
        self.close_run_now(id, &ctx.label).await
    }

    async fn close_run_now(&self, id: DestinationId, step: &str) -> StepResult {
        let now = self.inner.clock.now();
        let pricing = self.inner.catalog.pricing.clone();
        self.modify(id, |r| close_run(r, now, &pricing))
            .await
            .map_err(at(step))?;
        Ok(())
    }

    /// UpdateChannel with the whole configuration (MediaLive replaces it), then wait until the
    /// channel is IDLE again.
    pub(super) async fn update_channel_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        if !matches!(ctx.payload, Payload::Edit(_)) {
            return Ok(());
        }
        let step = ctx.label.as_str();
        let updated = self.current(ctx.id, step)?;
        let Some(channel_id) = updated.media_live_channel_id.clone() else {
            return Ok(());
        };
        let ml = &self.inner.cloud.medialive;
        let request = UpdateChannelRequest {
            channel_id: channel_id.clone(),
            config: self.channel_config(&updated).await.map_err(at(step))?,
        };
        let answer = self
            .call(ctx.id, || ml.update_channel(request.clone()))
            .await
            .map_err(at(step))?;
        if answer.state == ChannelState::Updating {
            wait_for_channel(
                ml.as_ref(),
                &channel_id,
                Wanted::Channel(ChannelState::Idle),
                self.inner.config.create_timeout,
            )
            .await
            .map_err(at(step))?;
        }
        Ok(())
    }

    /// Before a deletion: a channel that runs (or is on its way there) is stopped and its run
    /// closed; any other is left as it is.
    pub(super) async fn stop_for_deletion(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let Some(channel_id) = self.channel_of(id, &ctx.label)? else {
            return Ok(());
        };
        let stopped = self
            .stop_channel_resource(Some(id), &channel_id)
            .await
            .map_err(at(&ctx.label))?;
        if stopped {
            self.close_run_now(id, &ctx.label).await?;
        }
        Ok(())
    }

    /// Stops a channel that runs, starts or recovers, and waits until it is IDLE. Returns
    /// whether it had to stop it.
    pub(crate) async fn stop_channel_resource(
        &self,
        who: Option<DestinationId>,
        channel_id: &str,
    ) -> Result<bool, CloudError> {
        let ml = &self.inner.cloud.medialive;
        let state = match self.call(who, || ml.describe_channel(channel_id)).await {
            Ok(c) => c.state,
            Err(e) if e.is_not_found() => return Ok(false),
            Err(e) => return Err(e),
        };
        if !matches!(
            state,
            ChannelState::Running | ChannelState::Starting | ChannelState::Recovering
        ) {
            return Ok(false);
        }
        self.stop_channel_call(who, channel_id, "stopping channel")
            .await
            .map_err(|f| f.error)?;
        wait_for_channel(
            ml.as_ref(),
            channel_id,
            Wanted::Channel(ChannelState::Idle),
            self.inner.config.stop_timeout,
        )
        .await?;
        Ok(true)
    }

    pub(super) async fn delete_channel_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let Some(channel_id) = self.channel_of(ctx.id, &ctx.label)? else {
            return Ok(());
        };
        self.delete_channel_resource(Some(ctx.id), &channel_id)
            .await
            .map_err(at(&ctx.label))
    }

    /// DeleteChannel once the channel can be deleted; already gone or on its way out is done.
    pub(crate) async fn delete_channel_resource(
        &self,
        who: Option<DestinationId>,
        channel_id: &str,
    ) -> Result<(), CloudError> {
        let ml = &self.inner.cloud.medialive;
        let state = match self.call(who, || ml.describe_channel(channel_id)).await {
            Ok(c) => c.state,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        match state {
            ChannelState::Deleting | ChannelState::Deleted => return Ok(()),
            // A channel still being created, updated or stopped (a stop interrupted by a crash
            // or a failed wait) can't be deleted yet (409).
            ChannelState::Creating | ChannelState::Updating | ChannelState::Stopping => {
                wait_for_channel(
                    ml.as_ref(),
                    channel_id,
                    Wanted::Channel(ChannelState::Idle),
                    self.inner.config.create_timeout,
                )
                .await?;
            }
            ChannelState::Idle
            | ChannelState::CreateFailed
            | ChannelState::UpdateFailed
            | ChannelState::Starting
            | ChannelState::Running
            | ChannelState::Recovering => {}
        }
        match self.call(who, || ml.delete_channel(channel_id)).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            // A retry after a lost answer finds the channel already on its way out.
            Err(e) if e.kind == ErrorKind::Conflict => {
                let c = self.call(who, || ml.describe_channel(channel_id)).await?;
                if matches!(c.state, ChannelState::Deleting | ChannelState::Deleted) {
                    Ok(())
                } else {
                    Err(e)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Waits until the channel is DELETED (or gone from the API) and drops it from the record.
    pub(super) async fn await_channel_gone(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let Some(channel_id) = self.channel_of(id, &ctx.label)? else {
            return Ok(());
        };
        self.await_channel_gone_resource(&channel_id)
            .await
            .map_err(at(&ctx.label))?;
        self.note_channel(&channel_id, None);
        let now = self.inner.clock.now();
        let pricing = self.inner.catalog.pricing.clone();
        self.modify(id, |r| {
            // A run still open (a channel stopped outside onair) is billed up to now.
            close_run(r, now, &pricing);
            r.media_live_channel_id = None;
            // The next channel (a start after a park) needs a token of its own.
            r.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
        })
        .await
        .map_err(at(&ctx.label))?;
        Ok(())
    }

    pub(crate) async fn await_channel_gone_resource(
        &self,
        channel_id: &str,
    ) -> Result<(), CloudError> {
        let ml = &self.inner.cloud.medialive;
        wait_for_channel(
            ml.as_ref(),
            channel_id,
            Wanted::ChannelGone,
            self.inner.config.delete_timeout,
        )
        .await
        .map(|_| ())
    }
}
