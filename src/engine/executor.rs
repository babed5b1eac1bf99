//! The one executor: runs a [`Plan`]'s steps in order for one destination, writes the plan's
//! intent before the first step, numbers progress from the plan's own index and length, ends
//! at a step boundary when an operator's later operation cancels it (at once during a wait,
//! which changes nothing in AWS), and reports how the operation ended as one typed event.

use super::calls::ChannelWatch;
use super::plan::Plan;
use super::registry::{Cancel, Claim};
use super::steps::{Payload, StepCtx, StepFailure, at};
use super::{Engine, EngineEvent, FailureKind, Level, OpFailure, OpKind, Progress};
use crate::cloud::{CloudError, ErrorKind, MediaLive};
use crate::domain::{DestinationId, Status, StoredKey};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// One operation ready to run: its plan and what it brings.
pub(crate) struct Run {
    pub id: DestinationId,
    pub op: OpKind,
    pub plan: Plan,
    pub payload: Payload,
    pub batch: Option<Arc<BatchGate>>,
    pub watch: Option<ChannelWatch>,
}

impl Run {
    pub(crate) fn new(id: DestinationId, op: OpKind, plan: Plan, payload: Payload) -> Self {
        Self {
            id,
            op,
            plan,
            payload,
            batch: None,
            watch: None,
        }
    }
}

/// How a run ended, short of done.
pub(crate) enum Ended {
    Failed(StepFailure),
    Cancelled { step: String },
}

impl From<StepFailure> for Ended {
    fn from(f: StepFailure) -> Self {
        Ended::Failed(f)
    }
}

impl Engine {
    /// Runs `run` in a task of its own; the claim frees the destination when it ends.
    pub(crate) fn spawn_run(&self, claim: Claim, run: Run) {
        let engine = self.clone();
        tokio::spawn(async move {
            let (id, op) = (run.id, run.op);
            let result = engine.execute(claim.cancel(), run).await;
            engine.finish(id, op, result).await;
            drop(claim);
        });
    }

    /// Runs the plan's steps. A panic in one (a bug) ends the run as a failure of that
    /// operation — logged, and on the row as its error — instead of killing the task silently
    /// and leaving the row busy for ever.
    pub(crate) async fn execute(&self, cancel: &Cancel, run: Run) -> Result<(), Ended> {
        use futures::FutureExt;
        let op = run.op;
        match std::panic::AssertUnwindSafe(self.execute_steps(cancel, run))
            .catch_unwind()
            .await
        {
            Ok(result) => result,
            Err(panic) => {
                let what = crate::logging::panic_text(panic.as_ref());
                tracing::error!(op = op.verb(), "a {} panicked: {what}", op.verb());
                Err(Ended::Failed(StepFailure {
                    step: "onair itself".into(),
                    error: CloudError::new(
                        "onair",
                        ErrorKind::Other,
                        format!("internal error (a bug, please report it): {what}"),
                    ),
                }))
            }
        }
    }

    async fn execute_steps(&self, cancel: &Cancel, run: Run) -> Result<(), Ended> {
        let Run {
            id,
            op,
            plan,
            mut payload,
            batch,
            watch,
        } = run;
        // A batch member that ends before its StartChannel / StopChannel must not hold up the
        // others' one call.
        let _leave = batch.as_ref().map(|gate| Leave(Arc::clone(gate), id));
        let of = u8::try_from(plan.steps.len()).unwrap_or(u8::MAX);
        let label = |i: usize, text: &str| {
            let step = u8::try_from(i + 1).unwrap_or(u8::MAX);
            self.progress(id, op, step, of, text)
        };
        if let Some((status, desired)) = plan.intent {
            let first = plan.steps.first().map_or("saving", |s| s.label());
            let step = label(0, first);
            self.modify(id, |r| {
                r.status = status;
                r.desired = desired;
            })
            .await
            .map_err(at(&step))?;
        }
        let mut sealed: Option<StoredKey> = None;
        // Once a teardown has removed something, it runs to its end: stopped half-way it would
        // leave a row that looks idle with no channel to start.
        let mut committed = false;
        for (i, step) in plan.steps.iter().enumerate() {
            let text = label(i, step.label());
            if cancel.is_cancelled() && !committed {
                return Err(Ended::Cancelled { step: text });
            }
            let mut ctx = StepCtx {
                id,
                label: text.clone(),
                payload: &mut payload,
                sealed: &mut sealed,
                batch: batch.as_ref(),
                watch: watch.as_ref(),
            };
            if step.is_wait() && !committed {
                tokio::select! {
                    done = self.run_step(*step, &mut ctx) => done?,
                    () = cancel.cancelled() => return Err(Ended::Cancelled { step: text }),
                }
            } else {
                self.run_step(*step, &mut ctx).await?;
            }
            committed |= step.removes();
        }
        Ok(())
    }

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

    /// Ends an operation: a failure goes into the record (`error`, `lastError`) and the log; a
    /// lost race or a cancellation writes nothing (the other operator's or the next operation's
    /// record stands).
    pub(crate) async fn finish(&self, id: DestinationId, op: OpKind, result: Result<(), Ended>) {
        let name = self
            .record(id)
            .map(|r| r.name)
            .unwrap_or_else(|| id.short());
        let result = match result {
            Ok(()) => {
                self.log(Level::Info, Some(id), format!("{} done", op.verb()));
                Ok(())
            }
            Err(Ended::Cancelled { step }) => {
                let by = self.inner.in_flight.cancelled_by(id).unwrap_or(op);
                let message = format!(
                    "{} cancelled at {step}: a {} was asked for",
                    op.verb(),
                    by.verb()
                );
                self.log(Level::Info, Some(id), message.clone());
                Err(OpFailure {
                    step,
                    kind: FailureKind::Cancelled { by },
                    message,
                })
            }
            Err(Ended::Failed(failure)) => {
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
                Err(OpFailure {
                    step: failure.step,
                    kind: if lost_race {
                        FailureKind::LostRace
                    } else {
                        FailureKind::Cloud(failure.error.kind)
                    },
                    message,
                })
            }
        };
        self.emit(EngineEvent::Finished { id, op, result });
    }
}

/// Which batch call a gate makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchCall {
    Start,
    Stop,
}

/// Why a member's channel is not in the batch call's success.
#[derive(Debug, Clone)]
pub(crate) enum GateAnswer {
    /// The whole call failed.
    Call(CloudError),
    /// The call named this channel as failed.
    Failed {
        call: &'static str,
        code: String,
        message: String,
    },
}

type Waiter = (String, oneshot::Sender<Result<(), GateAnswer>>);

#[derive(Default)]
struct GateState {
    members: HashSet<DestinationId>,
    arrived: HashSet<DestinationId>,
    waiting: Vec<Waiter>,
    fired: bool,
}

/// Gathers the StartChannel (or StopChannel) of a bulk operation's members into one BatchStart
/// (BatchStop): under the account's 5 calls a second, twenty destinations go live in the time of
/// one. Each member runs its own plan; the call is made when every member has arrived at its
/// start step or left (failed or cancelled before it).
pub(crate) struct BatchGate {
    call: BatchCall,
    engine: Engine,
    state: Mutex<GateState>,
}

impl BatchGate {
    pub(crate) fn new(engine: &Engine, call: BatchCall, members: &[DestinationId]) -> Arc<Self> {
        Arc::new(Self {
            call,
            engine: engine.clone(),
            state: Mutex::new(GateState {
                members: members.iter().copied().collect(),
                ..GateState::default()
            }),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the batch call and says how it went for this member's channel.
    pub(crate) async fn arrive(
        self: &Arc<Self>,
        id: DestinationId,
        channel_id: String,
    ) -> Result<(), GateAnswer> {
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.state();
            state.arrived.insert(id);
            state.waiting.push((channel_id, tx));
            self.fire_if_complete(&mut state);
        }
        rx.await.unwrap_or_else(|_| {
            Err(GateAnswer::Call(CloudError::new(
                self.call_name(),
                ErrorKind::Other,
                "the batch call was dropped",
            )))
        })
    }

    fn leave(&self, id: DestinationId) {
        let mut state = self.state();
        if state.arrived.contains(&id) {
            return;
        }
        state.members.remove(&id);
        self.fire_if_complete(&mut state);
    }

    fn call_name(&self) -> &'static str {
        match self.call {
            BatchCall::Start => "BatchStart",
            BatchCall::Stop => "BatchStop",
        }
    }

    fn fire_if_complete(&self, state: &mut GateState) {
        if state.fired || state.waiting.is_empty() || state.arrived.len() < state.members.len() {
            return;
        }
        state.fired = true;
        let waiting = std::mem::take(&mut state.waiting);
        let first = state.arrived.iter().next().copied();
        let engine = self.engine.clone();
        let (call, name) = (self.call, self.call_name());
        tokio::spawn(async move {
            let ids: Vec<String> = waiting.iter().map(|(c, _)| c.clone()).collect();
            let ml: Arc<dyn MediaLive> = Arc::clone(&engine.inner.cloud.medialive);
            let answer = match call {
                BatchCall::Start => engine.call(first, || ml.batch_start(&ids)).await,
                BatchCall::Stop => engine.call(first, || ml.batch_stop(&ids)).await,
            };
            for (channel, tx) in waiting {
                let result = match &answer {
                    Err(e) => Err(GateAnswer::Call(e.clone())),
                    Ok(batch) => match batch.failed.iter().find(|f| f.id == channel) {
                        Some(f) => Err(GateAnswer::Failed {
                            call: name,
                            code: f.code.clone(),
                            message: f.message.clone(),
                        }),
                        None => Ok(()),
                    },
                };
                // A member that went away no longer listens: nothing to tell it.
                let _ = tx.send(result);
            }
        });
    }
}

/// Leaves the gate when a member's run ends, whichever way (a no-op once it arrived).
struct Leave(Arc<BatchGate>, DestinationId);

impl Drop for Leave {
    fn drop(&mut self) {
        self.0.leave(self.1);
    }
}
