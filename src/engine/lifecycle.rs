//! The steps of add, start, stop and delete. Every step is idempotent: it looks at what the
//! record already holds (ids, request ids) before creating anything, treats "not found" on a
//! delete as done, and persists what it created before the next step runs.

use super::calls::{ChannelWatch, Wanted, retrying_n, wait_for_channel, wait_for_input};
use super::cost::close_run;
use super::{Engine, EngineEvent, Level, OpKind, Progress};
use crate::cloud::{
    ChannelConfig, ChannelEncoding, ChannelState, CloudError, CreateChannelRequest,
    CreateInputRequest, ErrorKind, Flow, Input, InputSource, InputState, RtmpDestination, Tags,
};
use crate::domain::naming::{TAG_DESTINATION_ID, resource_name, tags};
use crate::domain::{Desired, Destination, DestinationId, Status, Wiring};
use std::time::Duration;

pub(crate) const START_STEPS: u8 = 3;
pub(crate) const STOP_STEPS: u8 = 3;
const DELETE_STEPS: u8 = 5;
const INPUT_TIMEOUT: Duration = Duration::from_secs(60);

/// A step that failed: which one, and the call underneath.
#[derive(Debug, Clone)]
pub(crate) struct StepFailure {
    pub step: String,
    pub error: CloudError,
}

/// How a lost conditional write begins its message, so the CLI can report it as a refusal
/// (exit 2: nothing was changed by this operator) rather than a failure.
pub const LOST_RACE: &str = "another operator";

pub(crate) type StepResult<T = ()> = Result<T, StepFailure>;

pub(crate) fn at(step: &str) -> impl FnOnce(CloudError) -> StepFailure + '_ {
    move |error| StepFailure {
        step: step.to_string(),
        error,
    }
}

impl Engine {
    pub(crate) fn progress(
        &self,
        id: DestinationId,
        op: OpKind,
        step: u8,
        of: u8,
        label: &str,
    ) -> String {
        let progress = Progress {
            op,
            step,
            of,
            label: label.to_string(),
        };
        let text = progress.to_string();
        self.emit(EngineEvent::Progress(id, progress));
        text
    }

    /// Retries a cloud call, noting each retry in the event log.
    pub(crate) async fn call<T, F, Fut>(&self, id: DestinationId, f: F) -> Result<T, CloudError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CloudError>>,
    {
        retrying_n(self.inner.config.call_attempts, f, |e, attempt| {
            self.log(Level::Warn, Some(id), format!("{e} (retry {attempt})"))
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
        next.version = current.version + 1;
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
    async fn stored(&self, id: DestinationId) -> Option<Destination> {
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

    /// The whole channel, stream key included: the one place a sealed key is opened (see
    /// `engine::keys`).
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
        })
    }

    /// Ends an operation: an error goes into the record (`error`, `lastError`) and the log.
    pub(crate) async fn finish(&self, id: DestinationId, op: OpKind, result: StepResult) {
        let name = self
            .record(id)
            .map(|r| r.name)
            .unwrap_or_else(|| id.short());
        let result = match result {
            Ok(()) => {
                self.log(Level::Info, Some(id), format!("{} done", op.verb()));
                Ok(())
            }
            Err(failure) => {
                let left = self.left_behind(id);
                let message = format!(
                    "{} failed at {}: {}{left}",
                    op.verb(),
                    failure.step,
                    failure.error
                );
                self.log(Level::Error, Some(id), message.clone());
                // A lost race is not a broken chain: the other operator's record stands.
                let lost_race = failure.error.kind == ErrorKind::ConditionFailed;
                if self.record(id).is_some() && !lost_race {
                    let saved = self
                        .modify(id, |r| {
                            r.status = Status::Error;
                            r.last_error = Some(message.clone());
                        })
                        .await;
                    if let Err(e) = saved {
                        self.log(
                            Level::Error,
                            Some(id),
                            format!("{name}: could not record the failure: {e}"),
                        );
                    }
                }
                Err(message)
            }
        };
        self.emit(EngineEvent::Finished { id, op, result });
    }

    /// "; left in AWS: input 123, channel 456" — what exists for the operator to retry or delete.
    fn left_behind(&self, id: DestinationId) -> String {
        let Some(r) = self.record(id) else {
            return String::new();
        };
        let mut parts = Vec::new();
        if let Some(input) = &r.media_live_input_id {
            parts.push(format!("input {input}"));
        }
        if let Some(channel) = &r.media_live_channel_id {
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

    pub(crate) async fn run_add(&self, record: Destination) -> StepResult {
        let id = record.id();
        let (first, of) = self.add_steps();
        let step = self.progress(id, OpKind::Add, first, of, "saving record");
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
            // Nothing was created: the row goes away again.
            self.records_lock().remove(&id);
            self.emit(EngineEvent::Removed(id));
            return Err(at(&step)(e));
        }
        self.build_chain(id, OpKind::Add, first + 1, of).await?;
        self.modify(id, |r| {
            r.status = Status::Idle;
            r.last_error = None;
        })
        .await
        .map_err(at("saving"))?;
        Ok(())
    }

    /// Where an add's "saving record" step is and how many steps the add reports: sealing the
    /// key with KMS (when configured) comes first, the chain after the record.
    pub(crate) fn add_steps(&self) -> (u8, u8) {
        let sealing = u8::from(self.inner.config.stream_key_kms_key.is_some());
        (1 + sealing, 1 + sealing + self.chain_steps())
    }

    /// How many progress steps [`Engine::build_chain`] reports: the seed's wiring has one more,
    /// its input security group.
    pub(crate) fn chain_steps(&self) -> u8 {
        match self.inner.config.wiring {
            Wiring::Mediaconnect => 4,
            Wiring::RtpPush => 5,
        }
    }

    /// Creates whatever of input → channel → flow-output link the record doesn't have yet, so
    /// the same steps finish an add interrupted by a crash and re-create a parked chain. The
    /// persisted request ids make a repeated create return the resource made the first time.
    /// Takes [`Engine::chain_steps`] steps, numbered from `first`.
    pub(crate) async fn build_chain(
        &self,
        id: DestinationId,
        op: OpKind,
        first: u8,
        of: u8,
    ) -> StepResult {
        let ml = &self.inner.cloud.medialive;
        let record = self.record(id).ok_or_else(|| {
            at("creating input")(CloudError::new(
                "GetItem",
                ErrorKind::NotFound,
                "the record is gone",
            ))
        })?;
        let name = resource_name(&record.name, &id);
        let rtp = self.inner.config.wiring == Wiring::RtpPush;
        let first = if rtp { first + 1 } else { first };

        // With the seed's wiring a new input needs its security group first.
        let step = if rtp && record.media_live_input_id.is_none() {
            self.progress(id, op, first - 1, of, "creating security group")
        } else {
            self.progress(id, op, first, of, "creating input")
        };
        let existing = match &record.media_live_input_id {
            Some(input_id) => match self.call(id, || ml.describe_input(input_id)).await {
                Ok(input) if input.state != InputState::Deleted => Some(input),
                Ok(_) => None,
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(at(&step)(e)),
            },
            None => None,
        };
        if existing.is_none() && record.media_live_input_id.is_some() {
            // The input vanished: a new one needs a new idempotency token.
            self.modify(id, |r| {
                r.media_live_input_id = None;
                r.input_request_id = Some(uuid::Uuid::new_v4().to_string());
            })
            .await
            .map_err(at(&step))?;
        }
        let record = self.record(id).unwrap_or(record);
        let input = match existing {
            Some(input) => input,
            None => {
                let source = if rtp {
                    let group = self.ensure_security_group(id, &step).await?;
                    InputSource::RtpPush {
                        security_group_ids: vec![group],
                    }
                } else {
                    InputSource::MediaConnect {
                        flow_arn: self.inner.config.flow_arn.clone(),
                    }
                };
                let step = if rtp {
                    self.progress(id, op, first, of, "creating input")
                } else {
                    step.clone()
                };
                let request = CreateInputRequest {
                    name: name.clone(),
                    request_id: record.input_request_id.clone().unwrap_or_default(),
                    // A push input takes no role: nothing acts on MediaConnect for it.
                    role_arn: (!rtp).then(|| self.inner.config.medialive_role_arn.clone()),
                    source,
                    tags: tags(&id).into_iter().collect(),
                };
                let input = self
                    .call(id, || ml.create_input(request.clone()))
                    .await
                    .map_err(at(&step))?;
                let input_id = input.id.clone();
                self.modify(id, |r| r.media_live_input_id = Some(input_id.clone()))
                    .await
                    .map_err(|e| {
                        self.remember(id, |r| r.media_live_input_id = Some(input_id.clone()));
                        at(&step)(e)
                    })?;
                input
            }
        };
        if input.state == InputState::Creating {
            let ready = wait_for_input(ml.as_ref(), &input.id, InputState::Detached, INPUT_TIMEOUT)
                .await
                .map_err(at(&step))?;
            if ready.is_none() {
                return Err(at(&step)(CloudError::new(
                    "DescribeInput",
                    ErrorKind::NotFound,
                    format!("input {} vanished while it was being created", input.id),
                )));
            }
        }

        let step = self.progress(id, op, first + 1, of, "creating channel");
        let current = self.record(id).unwrap_or(record);
        let channel_id = match &current.media_live_channel_id {
            Some(channel_id) => channel_id.clone(),
            None => {
                let request = CreateChannelRequest {
                    config: self.channel_config(&current).await.map_err(at(&step))?,
                    request_id: current.channel_request_id.clone().unwrap_or_default(),
                    tags: tags(&id).into_iter().collect(),
                };
                let channel = self
                    .call(id, || ml.create_channel(request.clone()))
                    .await
                    .map_err(at(&step))?;
                self.modify(id, |r| r.media_live_channel_id = Some(channel.id.clone()))
                    .await
                    .map_err(|e| {
                        self.remember(id, |r| r.media_live_channel_id = Some(channel.id.clone()));
                        at(&step)(e)
                    })?;
                channel.id
            }
        };

        let step = self.progress(id, op, first + 2, of, "waiting for channel");
        wait_for_channel(
            ml.as_ref(),
            &channel_id,
            Wanted::Channel(ChannelState::Idle),
            self.inner.config.create_timeout,
        )
        .await
        .map_err(at(&step))?;

        let step = self.progress(id, op, first + 3, of, "linking flow output");
        if input.input_type == "RTP_PUSH" {
            self.link_push_output(id, &input, &step).await
        } else {
            self.link_output(id, &input, &step).await
        }
    }

    /// The flow as DescribeFlow shows it now.
    pub(crate) async fn flow(&self, id: DestinationId, step: &str) -> StepResult<Flow> {
        let mc = &self.inner.cloud.mediaconnect;
        let flow_arn = self.inner.config.flow_arn.clone();
        self.call(id, || mc.describe_flow(&flow_arn))
            .await
            .map_err(at(step))
    }

    /// Writes the flow output MediaLive made for the input into the record.
    async fn link_output(&self, id: DestinationId, input: &Input, step: &str) -> StepResult {
        let flow = self.flow(id, step).await?;
        let output_arn = flow
            .outputs
            .iter()
            .find(|o| o.medialive_input_arn.as_deref() == Some(input.arn.as_str()))
            .map(|o| o.arn.clone());
        if output_arn.is_none() {
            self.log(
                Level::Warn,
                Some(id),
                format!("the flow shows no output for input {}", input.id),
            );
        }
        self.modify(id, |r| r.media_connect_output_arn = output_arn)
            .await
            .map_err(at(step))?;
        Ok(())
    }

    /// An add that failed at its last step left the record without its flow output: link it
    /// before a start or stop makes the record say the chain is whole again.
    pub(crate) async fn ensure_linked(&self, id: DestinationId, step: &str) -> StepResult {
        let Some(record) = self.record(id) else {
            return Ok(());
        };
        let (None, Some(input_id)) = (
            &record.media_connect_output_arn,
            &record.media_live_input_id,
        ) else {
            return Ok(());
        };
        let ml = &self.inner.cloud.medialive;
        let input = self
            .call(id, || ml.describe_input(input_id))
            .await
            .map_err(at(step))?;
        if input.input_type == "RTP_PUSH" {
            self.link_push_output(id, &input, step).await
        } else {
            self.link_output(id, &input, step).await
        }
    }

    pub(crate) async fn run_start(&self, id: DestinationId) -> StepResult {
        let has_channel = self
            .record(id)
            .is_some_and(|r| r.media_live_channel_id.is_some());
        // A parked destination (or one whose add failed half-way) gets its chain first.
        let (first, of) = if has_channel {
            (1, START_STEPS)
        } else {
            self.modify(id, |r| {
                r.status = Status::Creating;
                r.desired = Desired::Running;
            })
            .await
            .map_err(at("creating"))?;
            let chain = self.chain_steps();
            self.build_chain(id, OpKind::Start, 1, START_STEPS + chain)
                .await?;
            (chain + 1, START_STEPS + chain)
        };
        let (channel_id, step) = self.begin_start(id, OpKind::Start, first, of).await?;
        self.start_channel_call(id, &channel_id, &step).await?;
        self.await_running(id, &channel_id, OpKind::Start, first + 1, of, None)
            .await
    }

    /// Deletes an idle destination's channel and input and keeps its record as `parked`, with
    /// fresh request ids for when it is started again.
    pub(crate) async fn run_park(&self, id: DestinationId) -> StepResult {
        self.teardown(id, OpKind::Park, 5).await?;
        let step = self.progress(id, OpKind::Park, 5, 5, "saving");
        self.modify(id, |r| {
            r.status = Status::Parked;
            r.input_request_id = Some(uuid::Uuid::new_v4().to_string());
            r.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
        })
        .await
        .map_err(at(&step))?;
        Ok(())
    }

    /// Marks the record `starting` (desired running); returns the channel id and the step label.
    pub(crate) async fn begin_start(
        &self,
        id: DestinationId,
        op: OpKind,
        step_no: u8,
        of: u8,
    ) -> StepResult<(String, String)> {
        let step = self.progress(id, op, step_no, of, "starting channel");
        self.begin_transition(id, step, Status::Starting, Desired::Running)
            .await
    }

    /// Writes what is about to happen (and what the operator wants) before the call that does
    /// it, after making sure the record names its flow output.
    async fn begin_transition(
        &self,
        id: DestinationId,
        step: String,
        status: Status,
        desired: Desired,
    ) -> StepResult<(String, String)> {
        self.ensure_linked(id, &step).await?;
        let record = self
            .modify(id, |r| {
                r.status = status;
                r.desired = desired;
                r.last_error = None;
            })
            .await
            .map_err(at(&step))?;
        Ok((record.media_live_channel_id.unwrap_or_default(), step))
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
            id,
            channel_id,
            step,
            answer,
            &[ChannelState::Starting, ChannelState::Running],
        )
        .await
    }

    /// A 409 from a start or stop means the channel is in another state than the call expects:
    /// if it is already where the call leads (a retried call, another operator), that is
    /// progress; otherwise the conflict stands.
    async fn conflict_is_progress<T>(
        &self,
        id: DestinationId,
        channel_id: &str,
        step: &str,
        answer: Result<T, CloudError>,
        already: &[ChannelState],
    ) -> StepResult {
        match answer {
            Ok(_) => Ok(()),
            Err(e) if e.kind == ErrorKind::Conflict => {
                let ml = &self.inner.cloud.medialive;
                let c = self
                    .call(id, || ml.describe_channel(channel_id))
                    .await
                    .map_err(at(step))?;
                if already.contains(&c.state) {
                    Ok(())
                } else {
                    Err(at(step)(e))
                }
            }
            Err(e) => Err(at(step)(e)),
        }
    }

    /// Waits for RUNNING and records the start of the run (for the cost meter).
    /// Waits for RUNNING (through a batch's shared watch when there is one) and records the run.
    pub(crate) async fn await_running(
        &self,
        id: DestinationId,
        channel_id: &str,
        op: OpKind,
        step_no: u8,
        of: u8,
        watch: Option<&ChannelWatch>,
    ) -> StepResult {
        let step = self.progress(id, op, step_no, of, "waiting for RUNNING");
        let timeout = self.inner.config.start_timeout;
        self.wait_channel(channel_id, ChannelState::Running, timeout, watch)
            .await
            .map_err(at(&step))?;

        let step = self.progress(id, op, step_no + 1, of, "saving");
        let now = self.inner.clock.now();
        self.modify(id, |r| {
            r.status = Status::Running;
            r.running_since = Some(now);
        })
        .await
        .map_err(at(&step))?;
        Ok(())
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

    pub(crate) async fn run_stop(&self, id: DestinationId) -> StepResult {
        let (channel_id, step) = self.begin_stop(id, OpKind::Stop, 1, STOP_STEPS).await?;
        self.stop_channel(id, &channel_id, &step, 2, STOP_STEPS, OpKind::Stop)
            .await?;
        self.finish_stop(id, OpKind::Stop, 3, STOP_STEPS).await
    }

    /// StopChannel, wait for IDLE, and close the run on the record (for the cost meter).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn stop_channel(
        &self,
        id: DestinationId,
        channel_id: &str,
        step: &str,
        wait_step: u8,
        of: u8,
        op: OpKind,
    ) -> StepResult {
        self.stop_channel_call(id, channel_id, step).await?;
        self.await_idle(id, channel_id, op, wait_step, of, None)
            .await
    }

    /// StopChannel; "already stopping or stopped" is progress.
    pub(crate) async fn stop_channel_call(
        &self,
        id: DestinationId,
        channel_id: &str,
        step: &str,
    ) -> StepResult {
        let ml = &self.inner.cloud.medialive;
        let answer = self.call(id, || ml.stop_channel(channel_id)).await;
        self.conflict_is_progress(
            id,
            channel_id,
            step,
            answer,
            &[ChannelState::Stopping, ChannelState::Idle],
        )
        .await
    }

    /// Waits for IDLE and closes the run on the record.
    /// Waits for IDLE (through a batch's shared watch when there is one) and closes the run on
    /// the record, for the cost meter.
    pub(crate) async fn await_idle(
        &self,
        id: DestinationId,
        channel_id: &str,
        op: OpKind,
        wait_step: u8,
        of: u8,
        watch: Option<&ChannelWatch>,
    ) -> StepResult {
        let step = self.progress(id, op, wait_step, of, "waiting for IDLE");
        let timeout = self.inner.config.stop_timeout;
        self.wait_channel(channel_id, ChannelState::Idle, timeout, watch)
            .await
            .map_err(at(&step))?;
        let now = self.inner.clock.now();
        let pricing = self.inner.catalog.pricing.clone();
        self.modify(id, |r| close_run(r, now, &pricing))
            .await
            .map_err(at(&step))?;
        Ok(())
    }

    /// Marks the record `stopping` (desired idle); returns the channel id and the step label.
    pub(crate) async fn begin_stop(
        &self,
        id: DestinationId,
        op: OpKind,
        step_no: u8,
        of: u8,
    ) -> StepResult<(String, String)> {
        let step = self.progress(id, op, step_no, of, "stopping channel");
        self.begin_transition(id, step, Status::Stopping, Desired::Idle)
            .await
    }

    /// After IDLE: the record says so.
    pub(crate) async fn finish_stop(
        &self,
        id: DestinationId,
        op: OpKind,
        step_no: u8,
        of: u8,
    ) -> StepResult {
        let step = self.progress(id, op, step_no, of, "saving");
        self.modify(id, |r| r.status = Status::Idle)
            .await
            .map_err(at(&step))?;
        Ok(())
    }

    pub(crate) async fn run_delete(&self, id: DestinationId) -> StepResult {
        self.modify(id, |r| {
            r.status = Status::Deleting;
            r.desired = Desired::Absent;
        })
        .await
        .map_err(at("deleting"))?;
        self.teardown(id, OpKind::Delete, DELETE_STEPS).await?;

        let step = self.progress(id, OpKind::Delete, 5, DELETE_STEPS, "removing record");
        let version = self.record(id).map(|r| r.version).unwrap_or(0);
        let store = &self.inner.cloud.store;
        match self.call(id, || store.delete_if_version(id, version)).await {
            Ok(()) => {}
            // Already gone: a retry after a lost answer, or nothing left to remove.
            Err(e) if e.kind == ErrorKind::ConditionFailed && self.stored(id).await.is_none() => {}
            Err(e) => return Err(at(&step)(e)),
        }
        self.records_lock().remove(&id);
        self.emit(EngineEvent::Removed(id));
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

    /// Stops the channel if it runs, deletes it, waits until it is gone, deletes the input and
    /// waits until it (and so its flow output) is gone: four steps, numbered from 1. Each
    /// resource that is already gone counts as done.
    pub(crate) async fn teardown(&self, id: DestinationId, op: OpKind, of: u8) -> StepResult {
        let ml = &self.inner.cloud.medialive;
        let step = self.progress(id, op, 1, of, "stopping channel");
        self.adopt_tagged(id, &step).await?;
        let record = self.record(id).ok_or_else(|| {
            at(&step)(CloudError::new(
                "GetItem",
                ErrorKind::NotFound,
                "the record is gone",
            ))
        })?;

        if let Some(channel_id) = record.media_live_channel_id.clone() {
            let state = match self.call(id, || ml.describe_channel(&channel_id)).await {
                Ok(c) => Some(c.state),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(at(&step)(e)),
            };
            if matches!(
                state,
                Some(ChannelState::Running | ChannelState::Starting | ChannelState::Recovering)
            ) {
                if state == Some(ChannelState::Starting) {
                    // A channel can only be stopped once it runs.
                    wait_for_channel(
                        ml.as_ref(),
                        &channel_id,
                        Wanted::Channel(ChannelState::Running),
                        self.inner.config.start_timeout,
                    )
                    .await
                    .map_err(at(&step))?;
                }
                self.stop_channel(id, &channel_id, &step, 1, of, op).await?;
            }

            let step = self.progress(id, op, 2, of, "deleting channel");
            if matches!(
                state,
                Some(ChannelState::Creating | ChannelState::Updating | ChannelState::Stopping)
            ) {
                // A channel still being created, updated or stopped (a stop interrupted by a
                // crash or a failed wait) can't be deleted yet (409).
                wait_for_channel(
                    ml.as_ref(),
                    &channel_id,
                    Wanted::Channel(ChannelState::Idle),
                    self.inner.config.create_timeout,
                )
                .await
                .map_err(at(&step))?;
            }
            // Already on its way out (a delete interrupted by a crash): just wait for it.
            let gone = matches!(
                state,
                None | Some(ChannelState::Deleting | ChannelState::Deleted)
            );
            if !gone {
                match self.call(id, || ml.delete_channel(&channel_id)).await {
                    Ok(_) => {}
                    Err(e) if e.is_not_found() => {}
                    // A retry after a lost answer finds the channel already on its way out.
                    Err(e) if e.kind == ErrorKind::Conflict => {
                        let c = self
                            .call(id, || ml.describe_channel(&channel_id))
                            .await
                            .map_err(at(&step))?;
                        if !matches!(c.state, ChannelState::Deleting | ChannelState::Deleted) {
                            return Err(at(&step)(e));
                        }
                    }
                    Err(e) => return Err(at(&step)(e)),
                }
            }
            let step = self.progress(id, op, 3, of, "waiting for deletion");
            wait_for_channel(
                ml.as_ref(),
                &channel_id,
                Wanted::ChannelGone,
                self.inner.config.delete_timeout,
            )
            .await
            .map_err(at(&step))?;
            self.modify(id, |r| {
                r.media_live_channel_id = None;
                r.running_since = None;
            })
            .await
            .map_err(at(&step))?;
        }

        let step = self.progress(id, op, 4, of, "deleting input");
        let mut groups: Vec<String> = record.input_security_group_id.iter().cloned().collect();
        let mut push =
            record.input_security_group_id.is_some() || self.inner.config.wiring == Wiring::RtpPush;
        if let Some(input_id) = record.media_live_input_id.clone() {
            let input = match self.call(id, || ml.describe_input(&input_id)).await {
                Ok(i) => Some(i),
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(at(&step)(e)),
            };
            let state = input.as_ref().map(|i| i.state);
            let push_input = input.as_ref().is_some_and(|i| i.input_type == "RTP_PUSH");
            if let Some(i) = &input {
                groups.extend(i.security_groups.iter().cloned());
            }
            // The seed's wiring: onair added the flow output, so onair removes it, first (an
            // output aimed at a deleted input would stream into nothing, billed). An input
            // already gone may have been a push input: its record's output is looked for too.
            if push_input || (input.is_none() && record.media_connect_output_arn.is_some()) {
                push |= push_input;
                let step = self.progress(id, op, 4, of, "removing flow output");
                let fresh = self.record(id).unwrap_or_else(|| record.clone());
                self.remove_push_output(id, &fresh, input.as_ref(), &step)
                    .await?;
                self.progress(id, op, 4, of, "deleting input");
            }
            // Deleting: a delete interrupted by a crash already asked; just wait for it.
            let exists = !matches!(state, None | Some(InputState::Deleted));
            let needs_delete = match state {
                None | Some(InputState::Deleted | InputState::Deleting) => false,
                Some(InputState::Detached) => true,
                // The input detaches once its channel is deleted; deleting it earlier is a 409.
                Some(_) => {
                    wait_for_input(ml.as_ref(), &input_id, InputState::Detached, INPUT_TIMEOUT)
                        .await
                        .map_err(at(&step))?
                        .is_some()
                }
            };
            if needs_delete {
                match self.call(id, || ml.delete_input(&input_id)).await {
                    Ok(()) => {}
                    Err(e) if e.is_not_found() => {}
                    // A retry after a lost answer finds the input already being deleted.
                    Err(e) if e.kind == ErrorKind::Conflict => {
                        let i = self
                            .call(id, || ml.describe_input(&input_id))
                            .await
                            .map_err(at(&step))?;
                        if !matches!(i.state, InputState::Deleting | InputState::Deleted) {
                            return Err(at(&step)(e));
                        }
                    }
                    Err(e) => return Err(at(&step)(e)),
                }
            }
            if exists {
                // Until the input is DELETED its flow output still exists (and is billed).
                wait_for_input(ml.as_ref(), &input_id, InputState::Deleted, INPUT_TIMEOUT)
                    .await
                    .map_err(at(&step))?;
            }
            self.modify(id, |r| {
                r.media_live_input_id = None;
                r.media_connect_output_arn = None;
            })
            .await
            .map_err(at(&step))?;
        }
        if push {
            // Only once the input is DELETED: AWS refuses to delete a group an input uses.
            let step = self.progress(id, op, 4, of, "deleting security group");
            self.delete_security_groups(id, groups, &step).await?;
        }

        Ok(())
    }
}
