//! What an operator can ask for: add, start, stop, edit, delete, unpark, one or many at a time.
//! Each checks what it can without AWS (read-only, validation, names, quota, state), plans from
//! the record and what AWS last showed, claims the destination and hands the plan to the
//! executor; it returns at once and progress arrives as events. Refusals come before any call.
//!
//! Operator intent wins over housekeeping and over a wrong start: a start, stop, edit or delete
//! on a destination being parked, a stop during a start, and a delete during anything else
//! cancel the operation under way at its next step boundary and run right after it, planned
//! from the record as that operation left it.

use super::executor::{BatchCall, BatchGate, Run};
use super::plan::{ChannelSeen, Op, Plan, Step, Unplannable, plan, seals};
use super::steps::Payload;
use super::{Engine, Level, OpKind, Refusal};
use crate::domain::validate::Field;
use crate::domain::{Destination, DestinationDraft, DestinationId, FieldError, Status, StoredKey};
use std::sync::Arc;

/// Builds an operation's run from the record as it is when the operation begins.
pub(crate) type Prepare = Box<dyn FnOnce(&Engine, &Destination) -> Result<Run, Refusal> + Send>;

/// What an operator's `op` does to the operation `current` under way on the same destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Preemption {
    /// Cancel it at its next step boundary, then run.
    Cancel,
    /// Let it finish, then run (planned from what it left).
    Follow,
    /// Refuse, naming what is under way.
    Refuse,
}

fn preemption(op: OpKind, current: OpKind) -> Preemption {
    match (op, current) {
        (OpKind::Delete, OpKind::Delete) => Preemption::Refuse,
        (OpKind::Delete, _) => Preemption::Cancel,
        // A start or unpark rebuilds whatever a cancelled park left.
        (OpKind::Start | OpKind::Unpark, OpKind::Park) => Preemption::Cancel,
        // A park cancelled between deleting the channel and the input would leave an idle row
        // without a channel (a stop or an edit builds nothing): the park, seconds long, ends
        // first, and the stop or edit runs on the parked record.
        (OpKind::Stop | OpKind::Edit, OpKind::Park) => Preemption::Follow,
        (OpKind::Stop, OpKind::Start | OpKind::Unpark) => Preemption::Cancel,
        _ => Preemption::Refuse,
    }
}

impl Engine {
    /// Validates the draft, checks names and quotas, and creates the chain in the background.
    /// Returns the new id at once; progress arrives as events.
    pub fn add(&self, draft: DestinationDraft) -> Result<DestinationId, Refusal> {
        self.writable("add")?;
        if let Some(refusal) = self.alarm_topic_refusal() {
            return Err(refusal);
        }
        let valid = draft
            .validate(&self.inner.catalog)
            .map_err(Refusal::Invalid)?;
        let records = self.records();
        if records
            .iter()
            .any(|r| r.name.eq_ignore_ascii_case(&valid.name))
        {
            return Err(Refusal::Invalid(vec![FieldError {
                field: Field::Name,
                rule: format!("another destination is already called {:?}", valid.name),
            }]));
        }
        self.check_quota(&records)?;
        let kms = self.inner.config.stream_key_kms_key.is_some();
        let sealing = seals(&valid.stream_key, kms);
        // With KMS configured the clear key goes to the add's payload only; the record
        // everyone else sees says `Sealing` until the ciphertext replaces it.
        let (stream_key, clear) = match valid.stream_key {
            StoredKey::Clear(key) if sealing => (StoredKey::Sealing, Some(key)),
            StoredKey::Clear(key) => (StoredKey::Clear(key), None),
            StoredKey::Sealed(_) | StoredKey::Sealing => {
                return Err(Refusal::Invalid(vec![FieldError {
                    field: Field::StreamKey,
                    rule: "belongs to another destination: type the key".into(),
                }]));
            }
        };
        let mut record = Destination::new(
            valid.name,
            valid.platform,
            valid.url,
            stream_key,
            valid.preset,
            self.inner.clock.now(),
        );
        // Idempotency tokens exist before the first call, so a retry can never create twice.
        record.input_request_id = Some(uuid::Uuid::new_v4().to_string());
        record.channel_request_id = Some(uuid::Uuid::new_v4().to_string());
        let id = record.id();
        let planned = plan(
            Op::Add { sealing },
            &record,
            ChannelSeen::Unknown,
            self.shape(),
        )
        .map_err(|u| self.unplannable(&record, u))?;
        let claim = self
            .inner
            .in_flight
            .claim(id, OpKind::Add)
            .map_err(|_| Refusal::NotNow("that destination id is in use".into()))?;
        for warning in &valid.warnings {
            self.log(Level::Warn, Some(id), warning.clone());
        }
        self.records_lock().insert(id, record.clone());
        self.emit(super::EngineEvent::Upserted(record));
        let run = Run::new(id, OpKind::Add, planned, Payload::Add { clear });
        self.spawn_run(claim, run);
        Ok(id)
    }

    pub fn start(&self, id: DestinationId) -> Result<(), Refusal> {
        if let Some(refusal) = self.alarm_topic_refusal() {
            return Err(refusal);
        }
        self.operate(
            id,
            OpKind::Start,
            Box::new(|e, r| e.prepare(OpKind::Start, r)),
        )
    }

    pub fn stop(&self, id: DestinationId) -> Result<(), Refusal> {
        self.operate(
            id,
            OpKind::Stop,
            Box::new(|e, r| e.prepare(OpKind::Stop, r)),
        )
    }

    pub fn delete(&self, id: DestinationId) -> Result<(), Refusal> {
        self.operate(
            id,
            OpKind::Delete,
            Box::new(|e, r| e.prepare(OpKind::Delete, r)),
        )
    }

    /// Re-creates a parked destination's chain and leaves it idle, so a start later takes
    /// only AWS's start time.
    pub fn unpark(&self, id: DestinationId) -> Result<(), Refusal> {
        self.operate(
            id,
            OpKind::Unpark,
            Box::new(|e, r| e.prepare(OpKind::Unpark, r)),
        )
    }

    /// Changes a destination's name, platform, URL, key or preset. An idle channel is updated
    /// in place; a live one is refused with [`Refusal::NeedsRestart`] unless `restart` is set,
    /// in which case it is stopped, updated and started again.
    pub fn edit(
        &self,
        id: DestinationId,
        draft: DestinationDraft,
        restart: bool,
    ) -> Result<(), Refusal> {
        self.writable("edit")?;
        let record = self.known(id)?;
        let valid = draft
            .validate(&self.inner.catalog)
            .map_err(Refusal::Invalid)?;
        let taken = self
            .records()
            .iter()
            .any(|r| r.destination_id != id && r.name.eq_ignore_ascii_case(&valid.name));
        if taken {
            return Err(Refusal::Invalid(vec![FieldError {
                field: Field::Name,
                rule: format!("another destination is already called {:?}", valid.name),
            }]));
        }
        // A kept key is the record's own; a sealed key from anywhere else would not decrypt
        // under this destination's encryption context.
        if valid.stream_key.is_sealed() && valid.stream_key != record.stream_key {
            return Err(Refusal::Invalid(vec![FieldError {
                field: Field::StreamKey,
                rule: "belongs to another destination: type the key".into(),
            }]));
        }
        if record.status == Status::Running && !restart && self.in_flight(id).is_none() {
            return Err(Refusal::NeedsRestart { name: record.name });
        }
        let prepare: Prepare = Box::new(move |engine, record| {
            let live = match record.status {
                Status::Running => true,
                Status::Idle | Status::Error | Status::Parked => false,
                other => return Err(engine.busy(record, other)),
            };
            if live && !restart {
                return Err(Refusal::NeedsRestart {
                    name: record.name.clone(),
                });
            }
            let kms = engine.inner.config.stream_key_kms_key.is_some();
            let op = Op::Edit {
                live,
                sealing: seals(&valid.stream_key, kms),
            };
            let planned = engine.plan_for(op, record)?;
            Ok(Run::new(
                record.id(),
                OpKind::Edit,
                planned,
                Payload::Edit(Box::new(valid)),
            ))
        });
        self.operate(id, OpKind::Edit, prepare)
    }

    /// Starts several destinations. Each is planned on its own (a parked one re-creates its
    /// chain first); those whose channel exists share one BatchStart and one ListChannels poll.
    pub fn start_many(&self, ids: &[DestinationId]) -> Vec<(DestinationId, Result<(), Refusal>)> {
        self.many(ids, OpKind::Start)
    }

    /// Stops several destinations (one BatchStop where more than one channel stops).
    pub fn stop_many(&self, ids: &[DestinationId]) -> Vec<(DestinationId, Result<(), Refusal>)> {
        self.many(ids, OpKind::Stop)
    }

    fn many(&self, ids: &[DestinationId], op: OpKind) -> Vec<(DestinationId, Result<(), Refusal>)> {
        let batch_step = match op {
            OpKind::Start => Step::StartChannel,
            _ => Step::StopChannel,
        };
        let mut results = Vec::new();
        let mut batchable = Vec::new();
        for id in ids {
            let id = *id;
            let accepted = (|| {
                self.writable(op.verb())?;
                let record = self.known(id)?;
                if let Some(current) = self.inner.in_flight.get(id) {
                    let how = preemption(op, current);
                    if how != Preemption::Refuse {
                        let prepare: Prepare = Box::new(move |e, r| e.prepare(op, r));
                        self.queue(id, op, current, how, prepare);
                        return Ok(None);
                    }
                    return Err(Refusal::Busy {
                        name: record.name,
                        doing: current.verb(),
                    });
                }
                let run = self.prepare(op, &record)?;
                let claim = self
                    .inner
                    .in_flight
                    .claim(id, op)
                    .map_err(|doing| Refusal::Busy {
                        name: record.name.clone(),
                        doing: doing.verb(),
                    })?;
                Ok(Some((run, claim)))
            })();
            match accepted {
                Ok(Some((run, claim))) if run.plan.steps.first() == Some(&batch_step) => {
                    batchable.push((run, claim));
                    results.push((id, Ok(())));
                }
                Ok(Some((run, claim))) => {
                    self.spawn_run(claim, run);
                    results.push((id, Ok(())));
                }
                Ok(None) => results.push((id, Ok(()))),
                Err(refusal) => results.push((id, Err(refusal))),
            }
        }
        if batchable.len() > 1 {
            let members: Vec<DestinationId> = batchable.iter().map(|(run, _)| run.id).collect();
            let call = if op == OpKind::Start {
                BatchCall::Start
            } else {
                BatchCall::Stop
            };
            let gate = BatchGate::new(self, call, &members);
            // The whole batch waits on one ListChannels a round.
            let watch = super::calls::ChannelWatch::spawn(Arc::clone(&self.inner.cloud.medialive));
            for (mut run, claim) in batchable {
                run.batch = Some(Arc::clone(&gate));
                run.watch = Some(watch.clone());
                self.spawn_run(claim, run);
            }
        } else {
            for (run, claim) in batchable {
                self.spawn_run(claim, run);
            }
        }
        results
    }

    /// One operator operation on one destination: refused, run now, or (preempting the
    /// operation under way) run right after it.
    pub(crate) fn operate(
        &self,
        id: DestinationId,
        op: OpKind,
        prepare: Prepare,
    ) -> Result<(), Refusal> {
        self.writable(op.verb())?;
        let record = self.known(id)?;
        if let Some(current) = self.inner.in_flight.get(id) {
            let how = preemption(op, current);
            if how != Preemption::Refuse {
                self.queue(id, op, current, how, prepare);
                self.end_incident(id, op);
                return Ok(());
            }
            return Err(Refusal::Busy {
                name: record.name,
                doing: current.verb(),
            });
        }
        let run = prepare(self, &record)?;
        let claim = self
            .inner
            .in_flight
            .claim(id, op)
            .map_err(|doing| Refusal::Busy {
                name: record.name.clone(),
                doing: doing.verb(),
            })?;
        self.spawn_run(claim, run);
        self.end_incident(id, op);
        Ok(())
    }

    /// Cancels `current` (or lets it finish) and runs `op` once it has ended, planned from the
    /// record it left.
    fn queue(
        &self,
        id: DestinationId,
        op: OpKind,
        current: OpKind,
        how: Preemption,
        prepare: Prepare,
    ) {
        let when = if how == Preemption::Cancel {
            self.inner.in_flight.preempt(id, op);
            "ends at its next step"
        } else {
            self.inner.in_flight.follow(id);
            "finishes"
        };
        self.log(
            Level::Info,
            Some(id),
            format!(
                "{} asked for: the {} under way {when}, then the {} runs",
                op.verb(),
                current.verb(),
                op.verb()
            ),
        );
        let engine = self.clone();
        tokio::spawn(async move {
            let claim = engine.inner.in_flight.claim_queued(id, op).await;
            let Some(record) = engine.record(id) else {
                // The cancelled operation removed the record (a delete): nothing left to do.
                engine.finish(id, op, Ok(())).await;
                return;
            };
            // The cancelled operation changed the channel: plan from what it is now.
            engine.look_at_channel(&record).await;
            match prepare(&engine, &record) {
                Ok(run) => {
                    let result = engine.execute(claim.cancel(), run).await;
                    engine.finish(id, op, result).await;
                }
                // A start cancelled before its channel started: nothing runs, the stop holds.
                Err(Refusal::NotNow(reason)) if op == OpKind::Stop => {
                    engine.log(Level::Info, Some(id), reason);
                    engine.finish(id, op, Ok(())).await;
                }
                Err(refusal) => {
                    engine.log(Level::Warn, Some(id), format!("{}: {refusal}", op.verb()));
                    let failure = super::OpFailure {
                        step: "planning".into(),
                        kind: super::FailureKind::Refused,
                        message: refusal.to_string(),
                    };
                    engine.emit(super::EngineEvent::Finished {
                        id,
                        op,
                        result: Err(failure),
                    });
                }
            }
            drop(claim);
        });
    }

    /// Notes the record's channel as DescribeChannel shows it now (best effort: a failed
    /// look leaves the last listing's word).
    async fn look_at_channel(&self, record: &Destination) {
        let Some(channel_id) = &record.media_live_channel_id else {
            return;
        };
        let ml = &self.inner.cloud.medialive;
        match self
            .call(record.id(), || ml.describe_channel(channel_id))
            .await
        {
            Ok(c) => self.note_channel(channel_id, Some(c.state)),
            Err(e) if e.is_not_found() => self.note_channel(channel_id, None),
            Err(_) => {}
        }
    }

    /// The run for start, stop, delete or unpark from the record's state.
    fn prepare(&self, op: OpKind, record: &Destination) -> Result<Run, Refusal> {
        let planned = match op {
            OpKind::Start => match record.status {
                Status::Running | Status::Idle | Status::Error | Status::Parked => {
                    self.plan_for(Op::Start, record)?
                }
                // A start cancelled by this very operation's predecessor is finished by it.
                Status::Creating | Status::Starting
                    if self.inner.in_flight.get(record.id()) == Some(OpKind::Start) =>
                {
                    self.plan_for(Op::Start, record)?
                }
                other => return Err(self.busy(record, other)),
            },
            OpKind::Stop => match record.status {
                Status::Idle | Status::Parked | Status::Running | Status::Error => {
                    self.plan_for(Op::Stop, record)?
                }
                // What a cancelled start or unpark left: stop from there.
                Status::Creating | Status::Starting
                    if self.inner.in_flight.get(record.id()) == Some(OpKind::Stop) =>
                {
                    self.plan_for(Op::Stop, record)?
                }
                other => return Err(self.busy(record, other)),
            },
            OpKind::Delete => self.plan_for(Op::Delete, record)?,
            OpKind::Unpark => match record.status {
                Status::Parked => self.plan_for(Op::Unpark, record)?,
                _ => {
                    return Err(Refusal::NotNow(format!(
                        "{} is not parked: its chain exists",
                        record.name
                    )));
                }
            },
            OpKind::Add | OpKind::Edit | OpKind::Park | OpKind::Reconcile | OpKind::Schedule => {
                return Err(Refusal::NotNow(format!(
                    "{} is planned elsewhere",
                    op.verb()
                )));
            }
        };
        Ok(Run::new(record.id(), op, planned, Payload::None))
    }

    /// The plan for `op`, with what AWS last showed of the record's channel.
    pub(crate) fn plan_for(&self, op: Op, record: &Destination) -> Result<Plan, Refusal> {
        let seen = self.channel_seen(record);
        let planned =
            plan(op, record, seen, self.shape()).map_err(|u| self.unplannable(record, u))?;
        match self.missing_preset(record, &planned) {
            Some(why) => Err(Refusal::NotNow(why)),
            None => Ok(planned),
        }
    }

    /// A plan that builds or updates a channel needs the record's preset; one another tool (or
    /// an older presets file) named and this catalog lacks is refused before any call, instead
    /// of failing at CreateChannel with an input already made.
    pub(crate) fn missing_preset(&self, record: &Destination, planned: &Plan) -> Option<String> {
        let builds = planned
            .steps
            .iter()
            .any(|s| matches!(s, Step::CreateChannel | Step::UpdateChannel));
        (builds && self.inner.catalog.get(&record.preset).is_none()).then(|| {
            format!(
                "{}'s preset {:?} is not in presets.toml: choose one with `e` (or onair edit \
                 --preset), or add it to your presets file",
                crate::domain::text::for_terminal(&record.name),
                crate::domain::text::for_terminal(&record.preset)
            )
        })
    }

    fn unplannable(&self, record: &Destination, why: Unplannable) -> Refusal {
        Refusal::NotNow(match why {
            Unplannable::AlreadyRunning => format!("{} is already running", record.name),
            Unplannable::NotRunning => format!("{} is not running", record.name),
            Unplannable::NoChannelToStop => format!("{} has no channel to stop", record.name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_intent_preempts_housekeeping_and_a_stop_preempts_a_start() {
        for op in [OpKind::Start, OpKind::Unpark, OpKind::Delete] {
            assert_eq!(preemption(op, OpKind::Park), Preemption::Cancel, "{op:?}");
        }
        // Nothing of theirs would rebuild what a cancelled park had removed.
        for op in [OpKind::Stop, OpKind::Edit] {
            assert_eq!(preemption(op, OpKind::Park), Preemption::Follow, "{op:?}");
        }
        assert_eq!(preemption(OpKind::Stop, OpKind::Start), Preemption::Cancel);
        assert_eq!(
            preemption(OpKind::Delete, OpKind::Start),
            Preemption::Cancel
        );
        assert_eq!(preemption(OpKind::Delete, OpKind::Add), Preemption::Cancel);
        assert_eq!(
            preemption(OpKind::Delete, OpKind::Delete),
            Preemption::Refuse
        );
        assert_eq!(preemption(OpKind::Start, OpKind::Start), Preemption::Refuse);
        assert_eq!(preemption(OpKind::Start, OpKind::Stop), Preemption::Refuse);
        assert_eq!(preemption(OpKind::Park, OpKind::Start), Preemption::Refuse);
    }
}
