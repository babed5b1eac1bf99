//! Stream keys at rest. With `stream_key_kms_key` set, an add or edit seals the typed key with
//! KMS before the record is written, and the record (in the table and in memory, where the TUI
//! reads it) holds only the ciphertext; [`Engine::channel_config`] opens it to build the one
//! request that needs it. Records already in clear (the seed's, or written before the key was
//! configured) stay readable and are sealed the next time they are edited.

use super::lifecycle::{StepResult, at};
use super::{Engine, EngineEvent, OpKind};
use crate::cloud::{CloudError, ErrorKind, key_context};
use crate::domain::{Destination, DestinationId, StoredKey, StreamKey};

const SEALING: &str = "sealing stream key with KMS";

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

    /// An add's first step when a KMS key is configured: the record on screen says `Sealing`
    /// while the clear key exists only here. On failure the row goes away, as when the first
    /// write fails: nothing was written and nothing created.
    pub(crate) async fn seal_new(
        &self,
        mut record: Destination,
        clear: Option<StreamKey>,
    ) -> StepResult<Destination> {
        let Some(key) = clear else {
            return Ok(record);
        };
        let id = record.id();
        let step = self.progress(id, OpKind::Add, 1, self.add_steps().1, SEALING);
        match self.seal(id, key).await {
            Ok(sealed) => {
                record.stream_key = sealed;
                self.records_lock().insert(id, record.clone());
                self.emit(EngineEvent::Upserted(record.clone()));
                Ok(record)
            }
            Err(e) => {
                self.records_lock().remove(&id);
                self.emit(EngineEvent::Removed(id));
                Err(at(&step)(e))
            }
        }
    }

    /// An edit's key: a typed key (or a kept clear one) is sealed when a KMS key is configured;
    /// a kept sealed key stays as it is, with no KMS call.
    pub(crate) async fn key_for_edit(
        &self,
        id: DestinationId,
        key: StoredKey,
        of: u8,
    ) -> StepResult<StoredKey> {
        match key {
            StoredKey::Clear(clear) if self.inner.config.stream_key_kms_key.is_some() => {
                let step = self.progress(id, OpKind::Edit, 1, of, SEALING);
                self.seal(id, clear).await.map_err(at(&step))
            }
            other => Ok(other),
        }
    }
}
