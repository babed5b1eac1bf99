//! Stream keys at rest. With `stream_key_kms_key` set, an add or edit seals the typed key with
//! KMS before the record is written, and the record (in the table and in memory, where the TUI
//! reads it) holds only the ciphertext; [`Engine::channel_config`] opens it to build the one
//! request that needs it. Records already in clear (the seed's, or written before the key was
//! configured) stay readable and are sealed the next time they are edited.

use super::{Payload, StepCtx, StepResult, at};
use crate::cloud::{CloudError, ErrorKind, key_context};
use crate::domain::{Destination, DestinationId, StoredKey, StreamKey};
use crate::engine::{Engine, EngineEvent};

/// KMS's errors name neither KMS nor the key the operator configured: say both, so an `error`
/// row reads "Encrypt: access denied: KMS key alias/x: …" rather than a bare "access denied".
fn kms_error(key: &str, mut e: CloudError) -> CloudError {
    e.message = if e.message.is_empty() {
        format!("KMS key {key}")
    } else {
        format!("KMS key {key}: {}", e.message)
    };
    e
}

impl Engine {
    /// The key as the record should hold it: sealed under the configured KMS key, or in clear
    /// when none is configured.
    pub(crate) async fn seal(
        &self,
        id: DestinationId,
        key: StreamKey,
    ) -> Result<StoredKey, CloudError> {
        let Some(kms_key) = self.inner.config.stream_key_kms_key.clone() else {
            return Ok(StoredKey::Clear(key));
        };
        let kms = &self.inner.cloud.kms;
        let context = key_context(id);
        self.call(id, || kms.encrypt(&kms_key, &key, &context))
            .await
            .map(StoredKey::Sealed)
            .map_err(|e| kms_error(&kms_key, e))
    }

    /// The clear key for a channel request. Call it only while building one, and let the clear
    /// text go with that request.
    pub(crate) async fn unseal(&self, record: &Destination) -> Result<StreamKey, CloudError> {
        match &record.stream_key {
            StoredKey::Clear(key) => Ok(key.clone()),
            StoredKey::Sealed(sealed) => {
                let id = record.id();
                let kms = &self.inner.cloud.kms;
                let context = key_context(id);
                self.call(id, || kms.decrypt(sealed, &context))
                    .await
                    .map_err(|e| kms_error(&sealed.key_id, e))
            }
            StoredKey::Sealing => Err(CloudError::new(
                "Decrypt",
                ErrorKind::Validation,
                "the stream key is still being sealed with KMS",
            )),
        }
    }

    /// An add's first step with KMS: the record on screen says `Sealing` while the clear key
    /// exists only in the add's payload; on failure the row goes away, as when the first write
    /// fails (nothing was written, nothing created). An edit's typed key is sealed before the
    /// channel is stopped, so a KMS refusal changes nothing.
    pub(super) async fn seal_step(&self, ctx: &mut StepCtx<'_>) -> StepResult {
        let id = ctx.id;
        match &mut *ctx.payload {
            Payload::Add { clear } => {
                let Some(key) = clear.take() else {
                    return Ok(());
                };
                match self.seal(id, key).await {
                    Ok(sealed) => {
                        let record = {
                            let mut records = self.records_lock();
                            let Some(record) = records.get_mut(&id) else {
                                return Ok(());
                            };
                            record.stream_key = sealed;
                            record.clone()
                        };
                        self.emit(EngineEvent::Upserted(record));
                        Ok(())
                    }
                    Err(e) => {
                        self.records_lock().remove(&id);
                        self.emit(EngineEvent::Removed(id));
                        Err(at(&ctx.label)(e))
                    }
                }
            }
            Payload::Edit(change) => {
                if let StoredKey::Clear(clear) = &change.stream_key {
                    let sealed = self.seal(id, clear.clone()).await.map_err(at(&ctx.label))?;
                    *ctx.sealed = Some(sealed);
                }
                Ok(())
            }
            Payload::None | Payload::Schedule(_) => Ok(()),
        }
    }
}
