//! AWS KMS as onair uses it: stream keys are encrypted with `Encrypt` before a record is written
//! and decrypted with `Decrypt` only to build a channel request. A stream key is far below KMS's
//! 4 KiB plaintext limit, so KMS encrypts it directly: no data key, no local cipher to get wrong.

use super::CloudError;
use crate::domain::{Destination, DestinationId, SealedKey, StoredKey, StreamKey};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// KMS's encryption context: authenticated, not secret, and required again to decrypt.
pub type KeyContext = BTreeMap<String, String>;

/// The context a destination's key is sealed with: a ciphertext copied onto another record (or
/// a restored one) fails to decrypt instead of sending one destination's key to another.
pub fn key_context(id: DestinationId) -> KeyContext {
    KeyContext::from([("destinationId".to_string(), id.to_string())])
}

/// The stores' guard: a record whose key is still being sealed has no key to write, and writing
/// it would lose the key.
pub fn refuse_unsealed(call: &'static str, record: &Destination) -> Result<(), CloudError> {
    if record.stream_key == StoredKey::Sealing {
        Err(CloudError::new(
            call,
            super::ErrorKind::Validation,
            "the stream key is not sealed with KMS yet; nothing was written",
        ))
    } else {
        Ok(())
    }
}

/// What `DescribeKey` says about a key, for `onair doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub arn: String,
    /// `Enabled`, `Disabled`, `PendingDeletion`, …
    pub state: String,
    /// `ENCRYPT_DECRYPT` is the only usage that can seal a stream key; empty when not reported
    /// (emulators), in which case the Encrypt probe decides.
    pub usage: String,
    /// `SYMMETRIC_DEFAULT` for the keys `Encrypt` works with directly; empty when not reported.
    pub spec: String,
}

impl KeyInfo {
    /// Why this key can't seal stream keys, if it can't.
    pub fn problem(&self) -> Option<String> {
        if self.state != "Enabled" {
            Some(format!("the key is {}", self.state))
        } else if !self.usage.is_empty() && self.usage != "ENCRYPT_DECRYPT" {
            Some(format!(
                "the key is for {}, not ENCRYPT_DECRYPT",
                self.usage
            ))
        } else if !self.spec.is_empty() && self.spec != "SYMMETRIC_DEFAULT" {
            Some(format!("the key is {}, not SYMMETRIC_DEFAULT", self.spec))
        } else {
            None
        }
    }
}

/// AWS KMS: the three calls onair makes.
#[async_trait]
pub trait KeyVault: Send + Sync {
    /// `Encrypt` of `plaintext` under `key` (key id, key ARN, alias name or alias ARN).
    async fn encrypt(
        &self,
        key: &str,
        plaintext: &StreamKey,
        context: &KeyContext,
    ) -> Result<SealedKey, CloudError>;
    /// `Decrypt`, naming the key the ciphertext was sealed with; fails unless `context` is the
    /// one it was sealed with.
    async fn decrypt(
        &self,
        sealed: &SealedKey,
        context: &KeyContext,
    ) -> Result<StreamKey, CloudError>;
    async fn describe_key(&self, key: &str) -> Result<KeyInfo, CloudError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_enabled_symmetric_encryption_key_will_do() {
        let good = KeyInfo {
            arn: "arn:aws:kms:us-east-1:111122223333:key/k".into(),
            state: "Enabled".into(),
            usage: "ENCRYPT_DECRYPT".into(),
            spec: "SYMMETRIC_DEFAULT".into(),
        };
        assert_eq!(good.problem(), None);
        let disabled = KeyInfo {
            state: "Disabled".into(),
            ..good.clone()
        };
        assert!(disabled.problem().unwrap().contains("Disabled"));
        let signing = KeyInfo {
            usage: "SIGN_VERIFY".into(),
            ..good
        };
        assert!(signing.problem().unwrap().contains("SIGN_VERIFY"));
    }
}
