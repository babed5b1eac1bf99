//! Changing a destination. The channel's whole configuration is sent again (UpdateChannel
//! replaces it), which MediaLive only accepts while the channel is not running: a live
//! destination is stopped, updated and started again, and only when the operator said so.

use super::lifecycle::{StepResult, at};
use super::{Engine, OpKind, Refusal};
use crate::cloud::{ChannelState, UpdateChannelRequest};
use crate::domain::validate::{Field, ValidDestination};
use crate::domain::{DestinationDraft, DestinationId, FieldError, Status, StoredKey};

impl Engine {
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
        self.refuse_if_busy(&record)?;
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
        let live = match record.status {
            Status::Running => true,
            Status::Idle | Status::Error | Status::Parked => false,
            other => return Err(self.busy(&record, other)),
        };
        if live && !restart {
            return Err(Refusal::NeedsRestart { name: record.name });
        }
        let claim = self
            .inner
            .in_flight
            .claim(id, OpKind::Edit)
            .map_err(|doing| Refusal::Busy {
                name: record.name.clone(),
                doing: doing.verb(),
            })?;
        let engine = self.clone();
        tokio::spawn(async move {
            let result = engine.run_edit(id, valid, live).await;
            engine.finish(id, OpKind::Edit, result).await;
            drop(claim);
        });
        Ok(())
    }

    async fn run_edit(
        &self,
        id: DestinationId,
        change: ValidDestination,
        live: bool,
    ) -> StepResult {
        // Sealed before the channel is stopped: a KMS refusal then changes nothing.
        let seals = u8::from(
            matches!(change.stream_key, StoredKey::Clear(_))
                && self.inner.config.stream_key_kms_key.is_some(),
        );
        let of = if live { 6 } else { 2 } + seals;
        let stream_key = self.key_for_edit(id, change.stream_key.clone(), of).await?;
        let mut step_no = 1 + seals;
        let channel = self.record(id).and_then(|r| r.media_live_channel_id);
        if let (true, Some(channel_id)) = (live, &channel) {
            let (_, step) = self.begin_stop(id, OpKind::Edit, step_no, of).await?;
            self.stop_channel(id, channel_id, &step, step_no + 1, of, OpKind::Edit)
                .await?;
            step_no += 2;
        }

        let step = self.progress(id, OpKind::Edit, step_no, of, "saving changes");
        let updated = self
            .modify(id, |r| {
                r.name = change.name.clone();
                r.platform = change.platform;
                r.rtmp_url = change.url.clone();
                r.stream_key = stream_key.clone();
                r.preset = change.preset.clone();
                if r.status == Status::Stopping {
                    r.status = Status::Idle;
                }
            })
            .await
            .map_err(at(&step))?;
        step_no += 1;

        if let Some(channel_id) = &channel {
            let step = self.progress(id, OpKind::Edit, step_no, of, "updating channel");
            let ml = &self.inner.cloud.medialive;
            let request = UpdateChannelRequest {
                channel_id: channel_id.clone(),
                config: self.channel_config(&updated).await.map_err(at(&step))?,
            };
            let answer = self
                .call(id, || ml.update_channel(request.clone()))
                .await
                .map_err(at(&step))?;
            if answer.state == ChannelState::Updating {
                super::calls::wait_for_channel(
                    ml.as_ref(),
                    channel_id,
                    super::calls::Wanted::Channel(ChannelState::Idle),
                    self.inner.config.create_timeout,
                )
                .await
                .map_err(at(&step))?;
            }
            step_no += 1;
            // A destination in error whose channel just took the whole new configuration (a
            // bad key or URL fixed by the edit) says idle again — once its flow output is
            // linked too, since a failed add may have stopped short of that. Without a channel
            // the chain is still broken; start re-creates it.
            if !live && updated.status == Status::Error {
                self.ensure_linked(id, &step).await?;
                // UpdateChannel only takes a channel that isn't running: a run a failure left
                // open on the record ends here.
                let now = self.inner.clock.now();
                let pricing = self.inner.catalog.pricing.clone();
                self.modify(id, |r| {
                    super::cost::close_run(r, now, &pricing);
                    r.status = Status::Idle;
                    r.last_error = None;
                })
                .await
                .map_err(at(&step))?;
            }
            if live {
                let (_, step) = self.begin_start(id, OpKind::Edit, step_no, of).await?;
                self.start_channel_call(id, channel_id, &step).await?;
                self.await_running(id, channel_id, OpKind::Edit, step_no + 1, of, None)
                    .await?;
            }
        }
        Ok(())
    }
}
