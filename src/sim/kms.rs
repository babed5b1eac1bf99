//! AWS KMS in the simulator: one symmetric key (with an alias) that the demo and the tests can
//! seal stream keys with. A ciphertext is an opaque handle to what was sealed, never the key
//! itself; decrypting checks the key and the encryption context as KMS does, and a disabled key
//! refuses both calls.

use super::Simulator;
use super::errors;
use super::faults::Service;
use crate::cloud::{CloudError, ErrorKind, KeyContext, KeyInfo, KeyVault};
use crate::domain::{SealedKey, StreamKey};
use async_trait::async_trait;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

/// What a sim ciphertext starts with, so a foreign blob is told apart at once.
const MAGIC: &[u8] = b"onair-sim-kms:";

struct Sealed {
    key_arn: String,
    context: KeyContext,
    plaintext: StreamKey,
}

pub(crate) struct Kms {
    pub enabled: bool,
    sealed: HashMap<Vec<u8>, Sealed>,
    rng: SmallRng,
}

impl Kms {
    pub fn new(seed: u64) -> Self {
        Self {
            enabled: true,
            sealed: HashMap::new(),
            // Apart from the world's own generator, so sealing doesn't shift the ids it makes.
            rng: SmallRng::seed_from_u64(seed ^ 0x006b_6d73),
        }
    }

    /// The one key's ARN if `key` names it: key id, key ARN, alias name or alias ARN.
    fn resolve(call: &'static str, key: &str) -> Result<&'static str, CloudError> {
        let alias_arn = format!(
            "arn:aws:kms:{}:{}:{}",
            Simulator::REGION,
            Simulator::ACCOUNT,
            Simulator::KMS_KEY_ALIAS
        );
        if [
            Simulator::KMS_KEY_ID,
            Simulator::KMS_KEY_ARN,
            Simulator::KMS_KEY_ALIAS,
            alias_arn.as_str(),
        ]
        .contains(&key)
        {
            Ok(Simulator::KMS_KEY_ARN)
        } else {
            Err(errors::not_found(call, "Key", key))
        }
    }

    fn usable(&self, call: &'static str) -> Result<(), CloudError> {
        if self.enabled {
            Ok(())
        } else {
            Err(CloudError::new(
                call,
                ErrorKind::Validation,
                format!(
                    "KMSInvalidStateException: {} is disabled.",
                    Simulator::KMS_KEY_ARN
                ),
            ))
        }
    }

    fn encrypt(
        &mut self,
        key: &str,
        plaintext: &StreamKey,
        context: &KeyContext,
    ) -> Result<SealedKey, CloudError> {
        let key_arn = Self::resolve("Encrypt", key)?;
        self.usable("Encrypt")?;
        let mut ciphertext = MAGIC.to_vec();
        ciphertext.extend(self.rng.random::<[u8; 32]>());
        self.sealed.insert(
            ciphertext.clone(),
            Sealed {
                key_arn: key_arn.to_string(),
                context: context.clone(),
                plaintext: plaintext.clone(),
            },
        );
        Ok(SealedKey {
            key_id: key_arn.to_string(),
            ciphertext,
        })
    }

    fn decrypt(&self, sealed: &SealedKey, context: &KeyContext) -> Result<StreamKey, CloudError> {
        const CALL: &str = "Decrypt";
        let invalid = || {
            // KMS says no more than this, whether the blob or the context is wrong.
            CloudError::new(CALL, ErrorKind::Validation, "InvalidCiphertextException")
        };
        let entry = self.sealed.get(&sealed.ciphertext).ok_or_else(invalid)?;
        if !sealed.key_id.is_empty() && Self::resolve(CALL, &sealed.key_id)? != entry.key_arn {
            return Err(CloudError::new(
                CALL,
                ErrorKind::Validation,
                "IncorrectKeyException: the key ID in the request does not identify the key that encrypted the ciphertext",
            ));
        }
        self.usable(CALL)?;
        if entry.context != *context {
            return Err(invalid());
        }
        Ok(entry.plaintext.clone())
    }

    fn describe(&self, key: &str) -> Result<KeyInfo, CloudError> {
        let arn = Self::resolve("DescribeKey", key)?;
        Ok(KeyInfo {
            arn: arn.to_string(),
            state: if self.enabled { "Enabled" } else { "Disabled" }.to_string(),
            usage: "ENCRYPT_DECRYPT".to_string(),
            spec: "SYMMETRIC_DEFAULT".to_string(),
        })
    }
}

impl Simulator {
    /// The simulated account's KMS key for stream keys, and its alias.
    pub const KMS_KEY_ID: &'static str = "1234abcd-12ab-34cd-56ef-1234567890ab";
    pub const KMS_KEY_ARN: &'static str =
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    pub const KMS_KEY_ALIAS: &'static str = "alias/onair-stream-keys";

    /// The stream key the channel was last created or updated with: how a test sees that a
    /// sealed key reached MediaLive's request in clear (and only there).
    pub fn channel_stream_name(&self, channel_id: &str) -> Option<StreamKey> {
        self.lock()
            .channels
            .get(channel_id)
            .map(|c| c.config.destination.stream_name.clone())
    }

    /// Disables (or enables again) the KMS key: Encrypt and Decrypt then fail as AWS's do.
    pub fn set_kms_key_enabled(&self, enabled: bool) {
        self.lock().kms.enabled = enabled;
    }
}

#[async_trait]
impl KeyVault for Simulator {
    async fn encrypt(
        &self,
        key: &str,
        plaintext: &StreamKey,
        context: &KeyContext,
    ) -> Result<SealedKey, CloudError> {
        self.call("Encrypt", Service::Kms, |w| {
            w.kms.encrypt(key, plaintext, context)
        })
    }

    async fn decrypt(
        &self,
        sealed: &SealedKey,
        context: &KeyContext,
    ) -> Result<StreamKey, CloudError> {
        self.call("Decrypt", Service::Kms, |w| w.kms.decrypt(sealed, context))
    }

    async fn describe_key(&self, key: &str) -> Result<KeyInfo, CloudError> {
        self.call("DescribeKey", Service::Kms, |w| w.kms.describe(key))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::cloud::key_context;
    use crate::domain::DestinationId;

    #[tokio::test(start_paused = true)]
    async fn a_sealed_key_is_opaque_and_opens_only_with_its_context() {
        let sim = sim();
        let (a, b) = (DestinationId::new(), DestinationId::new());
        let key = StreamKey::new(KEY);
        let sealed = sim
            .encrypt(Simulator::KMS_KEY_ALIAS, &key, &key_context(a))
            .await
            .unwrap();
        assert_eq!(sealed.key_id, Simulator::KMS_KEY_ARN);
        let blob = String::from_utf8_lossy(&sealed.ciphertext);
        assert!(!blob.contains(KEY) && !blob.contains("SECRET"), "{blob}");

        let opened = sim.decrypt(&sealed, &key_context(a)).await.unwrap();
        assert_eq!(opened.expose(), KEY);
        let swapped = sim.decrypt(&sealed, &key_context(b)).await.unwrap_err();
        assert_eq!(
            (swapped.call, swapped.kind),
            ("Decrypt", ErrorKind::Validation)
        );
        assert!(!swapped.to_string().contains(KEY));

        let forged = SealedKey {
            ciphertext: KEY.as_bytes().to_vec(),
            ..sealed.clone()
        };
        assert!(sim.decrypt(&forged, &key_context(a)).await.is_err());
        assert_eq!(sim.call_counts().get("Decrypt"), Some(&3));
    }

    #[tokio::test(start_paused = true)]
    async fn every_name_of_the_key_works_and_others_are_not_found() {
        let sim = sim();
        let alias_arn = "arn:aws:kms:us-east-1:111122223333:alias/onair-stream-keys";
        for name in [
            Simulator::KMS_KEY_ID,
            Simulator::KMS_KEY_ARN,
            Simulator::KMS_KEY_ALIAS,
            alias_arn,
        ] {
            let info = sim.describe_key(name).await.unwrap();
            assert_eq!(info.arn, Simulator::KMS_KEY_ARN);
            assert_eq!(info.problem(), None);
        }
        let err = sim
            .encrypt("alias/nope", &StreamKey::new(KEY), &KeyContext::new())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
    }

    #[tokio::test(start_paused = true)]
    async fn a_disabled_key_refuses_both_calls_and_faults_apply() {
        let sim = sim();
        let ctx = key_context(DestinationId::new());
        let key = StreamKey::new(KEY);
        let sealed = sim
            .encrypt(Simulator::KMS_KEY_ARN, &key, &ctx)
            .await
            .unwrap();
        sim.set_kms_key_enabled(false);
        let err = sim.decrypt(&sealed, &ctx).await.unwrap_err();
        assert!(err.message.contains("KMSInvalidState"), "{err}");
        assert!(
            sim.encrypt(Simulator::KMS_KEY_ARN, &key, &ctx)
                .await
                .is_err()
        );
        assert!(
            sim.describe_key(Simulator::KMS_KEY_ARN)
                .await
                .unwrap()
                .problem()
                .is_some()
        );
        sim.set_kms_key_enabled(true);

        sim.fail_next("Encrypt", ErrorKind::AccessDenied);
        let err = sim
            .encrypt(Simulator::KMS_KEY_ARN, &key, &ctx)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::AccessDenied);
        assert!(err.message.contains("kms:Encrypt"), "{err}");
        assert_eq!(sim.decrypt(&sealed, &ctx).await.unwrap().expose(), KEY);
    }
}
