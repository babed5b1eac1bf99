//! The one implementation of each step of a plan, a module per thing it acts on: the record,
//! the stream key, the input security group, the input, the channel and the flow output.
//! Every step is idempotent: it re-reads the record (ids and request ids) and asks AWS before it
//! creates or deletes anything, treats "not found" on a delete as done, and persists what it
//! created before the next step runs. Operator operations, the reconciler and `gc` share them.

mod alarms;
mod channel;
mod flow_output;
mod input;
mod key;
pub(crate) mod record;
pub(crate) mod schedule;
mod security_group;

pub use flow_output::PUSH_PROTOCOL;

use super::Engine;
use super::calls::ChannelWatch;
use super::plan::Step;
use crate::cloud::CloudError;
use crate::domain::validate::ValidDestination;
use crate::domain::{DestinationId, StoredKey, StreamKey};
use std::sync::Arc;

/// A step that failed: which one, and the call underneath.
#[derive(Debug, Clone)]
pub(crate) struct StepFailure {
    pub step: String,
    pub error: CloudError,
}

pub(crate) type StepResult<T = ()> = Result<T, StepFailure>;

/// Names the step on a failed call.
pub(crate) fn at(step: &str) -> impl FnOnce(CloudError) -> StepFailure + '_ {
    move |error| StepFailure {
        step: step.to_string(),
        error,
    }
}

/// What an operation brings with it beyond the record.
#[derive(Default)]
pub(crate) enum Payload {
    #[default]
    None,
    /// An add's clear key, when it is to be sealed with KMS before the record is written.
    Add {
        clear: Option<StreamKey>,
    },
    Edit(Box<ValidDestination>),
    /// What a schedule, unschedule or extend asked for.
    Schedule(schedule::ScheduleChange),
}

/// What a step needs besides the engine: whose operation, its label for failures, the batch it
/// is part of, and the payload.
pub(crate) struct StepCtx<'a> {
    pub id: DestinationId,
    /// "creating channel 3/5": the label with the plan's own numbering.
    pub label: String,
    pub payload: &'a mut Payload,
    /// The key a SealKey step produced, for the step that saves it.
    pub sealed: &'a mut Option<StoredKey>,
    pub batch: Option<&'a Arc<super::executor::BatchGate>>,
    pub watch: Option<&'a ChannelWatch>,
}

impl Engine {
    pub(crate) async fn run_step(&self, step: Step, ctx: &mut StepCtx<'_>) -> StepResult {
        match step {
            Step::SealKey => self.seal_step(ctx).await,
            Step::SaveNewRecord => self.save_new_record(ctx).await,
            Step::ForgetVanishedChannel => self.forget_vanished_channel(ctx).await,
            Step::AdoptTagged => self.adopt_tagged(ctx.id, &ctx.label).await,
            Step::EnsureSecurityGroup => self
                .ensure_security_group(ctx.id, &ctx.label)
                .await
                .map(|_| ()),
            Step::CreateInput => self.create_input_step(ctx).await,
            Step::CreateChannel => self.create_channel_step(ctx).await,
            Step::AwaitChannelCreated => self.await_channel_created(ctx).await,
            Step::LinkFlowOutput => self.ensure_linked(ctx.id, &ctx.label).await,
            Step::EnsureAlarms => self.ensure_alarms_step(ctx).await,
            Step::DeleteAlarms => self.delete_alarms_step(ctx).await,
            Step::StartChannel => self.start_channel_step(ctx).await,
            Step::AwaitRunning => self.await_running(ctx).await,
            Step::SaveRunning => self.save_running(ctx).await,
            Step::StopChannel => self.stop_channel_step(ctx).await,
            Step::AwaitIdle => self.await_idle(ctx).await,
            Step::SaveIdle => self.save_idle(ctx).await,
            Step::SaveChanges => self.save_changes(ctx).await,
            Step::UpdateChannel => self.update_channel_step(ctx).await,
            Step::StopForDeletion => self.stop_for_deletion(ctx).await,
            Step::DeleteChannel => self.delete_channel_step(ctx).await,
            Step::AwaitChannelGone => self.await_channel_gone(ctx).await,
            Step::RemoveFlowOutput => self.remove_flow_output_step(ctx).await,
            Step::DeleteInput => self.delete_input_step(ctx).await,
            Step::DeleteSecurityGroup => self.delete_security_group_step(ctx).await,
            Step::SaveParked => self.save_parked(ctx).await,
            Step::DeleteRecord => self.delete_record(ctx).await,
            Step::SetDeadline => self.set_deadline_step(ctx).await,
            Step::ClearDeadline => self.clear_deadline_step(ctx).await,
            Step::DeleteSchedules => self.delete_schedules_step(ctx).await,
            Step::ApplySchedule => self.apply_schedule_step(ctx).await,
        }
    }
}
