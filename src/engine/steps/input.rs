//! The MediaLive input: created with the record's request id (a retry returns the input made
//! the first time), deleted once its channel is gone and it is DETACHED, and waited for until
//! DELETED, since its flow output exists (and is billed) until then.

use super::{StepCtx, StepResult, at};
use crate::cloud::{CloudError, CreateInputRequest, ErrorKind, Input, InputSource, InputState};
use crate::domain::naming::{resource_name, tags};
use crate::domain::{Destination, DestinationId, Wiring};
use crate::engine::Engine;
use crate::engine::calls::wait_for_input;

impl Engine {
    /// The input the record names, as DescribeInput shows it; `None` when it has none or AWS
    /// doesn't have it (any more).
    pub(crate) async fn described_input(
        &self,
        id: DestinationId,
        record: &Destination,
        step: &str,
    ) -> StepResult<Option<Input>> {
        let Some(input_id) = &record.media_live_input_id else {
            return Ok(None);
        };
        let ml = &self.inner.cloud.medialive;
        match self.call(id, || ml.describe_input(input_id)).await {
            Ok(input) if input.state != InputState::Deleted => Ok(Some(input)),
            Ok(_) => Ok(None),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(at(step)(e)),
        }
    }

    /// The record's input if it exists, else a new one (a vanished input needs a new
    /// idempotency token first); then wait until it is ready.
    pub(super) async fn create_input_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let step = ctx.label.as_str();
        let ml = &self.inner.cloud.medialive;
        let record = self.current(id, step)?;
        // An input on its way out (a park a crash or a cancelled start left DELETING) can't be
        // attached: it is as good as gone, and a new one is made beside it.
        let existing = self
            .described_input(id, &record, step)
            .await?
            .filter(|input| input.state != InputState::Deleting);
        if existing.is_none() && record.media_live_input_id.is_some() {
            self.modify(id, |r| {
                r.media_live_input_id = None;
                // The flow output fed the old input: the new one gets its own, linked later.
                r.media_connect_output_arn = None;
                r.input_request_id = Some(uuid::Uuid::new_v4().to_string());
            })
            .await
            .map_err(at(step))?;
        }
        let input = match existing {
            Some(input) => input,
            None => {
                let rtp = self.inner.config.wiring == Wiring::RtpPush;
                let source = if rtp {
                    // The EnsureSecurityGroup step ran first; this finds its group again.
                    let group = self.ensure_security_group(id, step).await?;
                    InputSource::RtpPush {
                        security_group_ids: vec![group],
                    }
                } else {
                    InputSource::MediaConnect {
                        flow_arn: self.inner.config.flow_arn.clone(),
                    }
                };
                let record = self.current(id, step)?;
                let request = CreateInputRequest {
                    name: resource_name(&record.name, &id),
                    request_id: record.input_request_id.clone().unwrap_or_default(),
                    // A push input takes no role: nothing acts on MediaConnect for it.
                    role_arn: (!rtp).then(|| self.inner.config.medialive_role_arn.clone()),
                    source,
                    tags: tags(&self.inner.config.table, &id).into_iter().collect(),
                };
                let input = self
                    .call(id, || ml.create_input(request.clone()))
                    .await
                    .map_err(at(step))?;
                let input_id = input.id.clone();
                self.modify(id, |r| r.media_live_input_id = Some(input_id.clone()))
                    .await
                    .map_err(|e| {
                        self.remember(id, |r| r.media_live_input_id = Some(input_id.clone()));
                        at(step)(e)
                    })?;
                input
            }
        };
        if input.state == InputState::Creating {
            let timeout = self.inner.config.input_timeout;
            let ready = wait_for_input(ml.as_ref(), &input.id, InputState::Detached, timeout)
                .await
                .map_err(at(step))?;
            if ready.is_none() {
                return Err(at(step)(CloudError::new(
                    "DescribeInput",
                    ErrorKind::NotFound,
                    format!("input {} vanished while it was being created", input.id),
                )));
            }
        }
        Ok(())
    }

    /// Deletes the record's input and waits until it is DELETED. A push input the plan didn't
    /// know was one (the seed's own, under `wiring = "mediaconnect"`) has its flow output and
    /// security groups removed here too, by what DescribeInput says it is.
    pub(super) async fn delete_input_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        let step = ctx.label.as_str();
        let record = self.current(id, step)?;
        let Some(input_id) = record.media_live_input_id.clone() else {
            return Ok(());
        };
        let input = self.described_input(id, &record, step).await?;
        let push = input.as_ref().is_some_and(|i| i.input_type.is_push());
        if push && record.media_connect_output_arn.is_some() {
            self.remove_push_output(id, &record, input.as_ref(), step)
                .await?;
        }
        let extra_groups: Vec<String> = input
            .iter()
            .filter(|_| push)
            .flat_map(|i| i.security_groups.iter().cloned())
            .filter(|g| record.input_security_group_id.as_deref() != Some(g.as_str()))
            .collect();
        self.delete_input_resource(Some(id), &input_id, input.map(|i| i.state))
            .await
            .map_err(at(step))?;
        self.modify(id, |r| {
            r.media_live_input_id = None;
            r.media_connect_output_arn = None;
            // The next input (a start after a park) needs a token of its own.
            r.input_request_id = Some(uuid::Uuid::new_v4().to_string());
        })
        .await
        .map_err(at(step))?;
        if !extra_groups.is_empty() {
            self.delete_security_groups(id, extra_groups, step).await?;
        }
        Ok(())
    }

    /// DeleteInput once the input is DETACHED (it detaches when its channel is deleted; earlier
    /// is a 409), then wait until it is DELETED. Already gone or being deleted is done.
    pub(crate) async fn delete_input_resource(
        &self,
        who: Option<DestinationId>,
        input_id: &str,
        state: Option<InputState>,
    ) -> Result<(), CloudError> {
        let ml = &self.inner.cloud.medialive;
        let timeout = self.inner.config.input_timeout;
        let needs_delete = match state {
            None | Some(InputState::Deleted) => return Ok(()),
            // A delete interrupted by a crash already asked; just wait for it.
            Some(InputState::Deleting) => false,
            Some(InputState::Detached) => true,
            Some(InputState::Creating | InputState::Attached) => {
                wait_for_input(ml.as_ref(), input_id, InputState::Detached, timeout)
                    .await?
                    .is_some()
            }
        };
        if needs_delete {
            match self.call(who, || ml.delete_input(input_id)).await {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                // A retry after a lost answer finds the input already being deleted.
                Err(e) if e.kind == ErrorKind::Conflict => {
                    let i = self.call(who, || ml.describe_input(input_id)).await?;
                    if !matches!(i.state, InputState::Deleting | InputState::Deleted) {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        // Until the input is DELETED its flow output still exists (and is billed).
        wait_for_input(ml.as_ref(), input_id, InputState::Deleted, timeout).await?;
        Ok(())
    }
}
