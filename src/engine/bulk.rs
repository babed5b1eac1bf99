//! Starting and stopping several destinations at once. Where more than one channel is involved,
//! one BatchStart / BatchStop call replaces N separate calls: under the account's 5 calls a
//! second, twenty destinations go live in the time of one instead of queueing for four seconds.

use super::calls::ChannelWatch;
use super::lifecycle::{START_STEPS, STOP_STEPS, StepFailure};
use super::registry::Claim;
use super::{Engine, OpKind, Refusal};
use crate::cloud::{BatchResult, CloudError, ErrorKind};
use crate::domain::{Destination, DestinationId};
use futures::future::join_all;
use std::sync::Arc;

type Accepted = Vec<(DestinationId, String, Claim)>;

impl Engine {
    /// Starts several destinations: one BatchStart for all their channels where there is more
    /// than one, then each waits for RUNNING on its own. Per destination: accepted or refused.
    pub fn start_many(&self, ids: &[DestinationId]) -> Vec<(DestinationId, Result<(), Refusal>)> {
        self.many(ids, OpKind::Start)
    }

    /// Stops several destinations (BatchStop where there is more than one).
    pub fn stop_many(&self, ids: &[DestinationId]) -> Vec<(DestinationId, Result<(), Refusal>)> {
        self.many(ids, OpKind::Stop)
    }

    fn many(&self, ids: &[DestinationId], op: OpKind) -> Vec<(DestinationId, Result<(), Refusal>)> {
        let mut results = Vec::new();
        let mut accepted: Accepted = Vec::new();
        for id in ids {
            let checked: Result<Destination, Refusal> = match op {
                OpKind::Start => self.startable(*id),
                _ => self.stoppable(*id),
            };
            let claimed = checked.and_then(|record| match self.inner.in_flight.claim(*id, op) {
                Ok(claim) => Ok((record, claim)),
                Err(doing) => Err(Refusal::Busy {
                    name: record.name,
                    doing: doing.verb(),
                }),
            });
            match claimed {
                Ok((record, claim)) => {
                    let channel = record.media_live_channel_id.unwrap_or_default();
                    accepted.push((*id, channel, claim));
                    results.push((*id, Ok(())));
                }
                Err(refusal) => results.push((*id, Err(refusal))),
            }
        }
        if accepted.len() == 1 {
            // One channel: the ordinary path, same calls as a single key press.
            let (id, _, claim) = accepted.remove(0);
            let engine = self.clone();
            tokio::spawn(async move {
                let result = match op {
                    OpKind::Start => engine.run_start(id).await,
                    _ => engine.run_stop(id).await,
                };
                engine.finish(id, op, result).await;
                drop(claim);
            });
        } else if !accepted.is_empty() {
            let engine = self.clone();
            tokio::spawn(async move { engine.run_batch(accepted, op).await });
        }
        results
    }

    async fn run_batch(&self, accepted: Accepted, op: OpKind) {
        let of = if op == OpKind::Start {
            START_STEPS
        } else {
            STOP_STEPS
        };
        // Every record says what is about to happen before the one call that does it.
        let begun = join_all(accepted.iter().map(|(id, _, _)| async move {
            match op {
                OpKind::Start => self.begin_start(*id, op, 1, of).await,
                _ => self.begin_stop(*id, op, 1, of).await,
            }
        }))
        .await;
        let mut ready = Vec::new();
        for ((id, channel, claim), begun) in accepted.into_iter().zip(begun) {
            match begun {
                Ok((_, step)) => ready.push((id, channel, claim, step)),
                Err(failure) => {
                    self.finish(id, op, Err(failure)).await;
                    drop(claim);
                }
            }
        }
        if ready.is_empty() {
            return;
        }
        let channel_ids: Vec<String> = ready.iter().map(|(_, c, _, _)| c.clone()).collect();
        let ml = &self.inner.cloud.medialive;
        let first = ready.first().map(|(id, ..)| *id).unwrap_or_default();
        let (call, answer) = match op {
            OpKind::Start => (
                "BatchStart",
                self.call(first, || ml.batch_start(&channel_ids)).await,
            ),
            _ => (
                "BatchStop",
                self.call(first, || ml.batch_stop(&channel_ids)).await,
            ),
        };
        let answer: Result<BatchResult, CloudError> = answer;
        // The whole batch waits on one ListChannels a round.
        let watch = ChannelWatch::spawn(Arc::clone(ml));
        join_all(ready.into_iter().map(|(id, channel, claim, step)| {
            let answer = &answer;
            let watch = &watch;
            async move {
                let result = match answer {
                    Err(e) => Err(StepFailure {
                        step: step.clone(),
                        error: e.clone(),
                    }),
                    Ok(batch) => match batch.failed.iter().find(|f| f.id == channel) {
                        // A channel already in the wanted state fails the batch with a conflict;
                        // the single-channel path decides whether that is progress.
                        Some(_) => match op {
                            OpKind::Start => self.start_channel_call(id, &channel, &step).await,
                            _ => self.stop_channel_call(id, &channel, &step).await,
                        }
                        .map_err(|mut f| {
                            if let Some(failed) = batch.failed.iter().find(|f| f.id == channel) {
                                f.error = CloudError::new(
                                    call,
                                    ErrorKind::Other,
                                    format!("{}: {}", failed.code, failed.message),
                                );
                            }
                            f
                        }),
                        None => Ok(()),
                    },
                };
                let result = match result {
                    Ok(()) => match op {
                        OpKind::Start => {
                            self.await_running(id, &channel, op, 2, of, Some(watch))
                                .await
                        }
                        _ => match self.await_idle(id, &channel, op, 2, of, Some(watch)).await {
                            Ok(()) => self.finish_stop(id, op, 3, of).await,
                            Err(e) => Err(e),
                        },
                    },
                    Err(e) => Err(e),
                };
                self.finish(id, op, result).await;
                drop(claim);
            }
        }))
        .await;
    }
}
