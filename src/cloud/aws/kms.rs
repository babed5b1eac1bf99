//! KMS through the SDK. The plaintext goes out in exactly one request (Encrypt) and comes back in
//! one answer (Decrypt); neither is ever put into an error: KMS's errors carry codes and ARNs.

use super::errors::Endpoint;
use crate::cloud::{CloudError, ErrorKind, KeyContext, KeyInfo, KeyVault};
use crate::domain::{SealedKey, StreamKey};
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use std::collections::HashMap;

pub struct SdkKeyVault {
    client: Client,
    endpoint: Endpoint,
}

impl SdkKeyVault {
    pub(crate) fn new(client: Client, endpoint: Endpoint) -> Self {
        Self { client, endpoint }
    }
}

fn context_map(context: &KeyContext) -> HashMap<String, String> {
    context
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[async_trait]
impl KeyVault for SdkKeyVault {
    async fn encrypt(
        &self,
        key: &str,
        plaintext: &StreamKey,
        context: &KeyContext,
    ) -> Result<SealedKey, CloudError> {
        const CALL: &str = "Encrypt";
        let out = self
            .client
            .encrypt()
            .key_id(key)
            .plaintext(Blob::new(plaintext.expose().as_bytes()))
            .set_encryption_context(Some(context_map(context)))
            .send()
            .await
            .map_err(|e| self.endpoint.map(CALL, e))?;
        let ciphertext = out
            .ciphertext_blob()
            .map(|b| b.as_ref().to_vec())
            .filter(|b| !b.is_empty())
            .ok_or_else(|| CloudError::new(CALL, ErrorKind::Other, "KMS returned no ciphertext"))?;
        Ok(SealedKey {
            // The answer names the key's ARN even when the request named an alias: the record
            // keeps pointing at the key if the alias is later moved.
            key_id: out.key_id().unwrap_or(key).to_string(),
            ciphertext,
        })
    }

    async fn decrypt(
        &self,
        sealed: &SealedKey,
        context: &KeyContext,
    ) -> Result<StreamKey, CloudError> {
        const CALL: &str = "Decrypt";
        let mut request = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(sealed.ciphertext.clone()))
            .set_encryption_context(Some(context_map(context)));
        // Naming the key makes KMS refuse a ciphertext sealed under any other key.
        if !sealed.key_id.is_empty() {
            request = request.key_id(&sealed.key_id);
        }
        let out = request
            .send()
            .await
            .map_err(|e| self.endpoint.map(CALL, e))?;
        let bytes = out
            .plaintext()
            .ok_or_else(|| CloudError::new(CALL, ErrorKind::Other, "KMS returned no plaintext"))?;
        let text = std::str::from_utf8(bytes.as_ref()).map_err(|_| {
            CloudError::new(
                CALL,
                ErrorKind::Validation,
                "the decrypted stream key is not UTF-8 text",
            )
        })?;
        Ok(StreamKey::new(text))
    }

    async fn describe_key(&self, key: &str) -> Result<KeyInfo, CloudError> {
        let out = self
            .client
            .describe_key()
            .key_id(key)
            .send()
            .await
            .map_err(|e| self.endpoint.map("DescribeKey", e))?;
        let meta = out.key_metadata().ok_or_else(|| {
            CloudError::new(
                "DescribeKey",
                ErrorKind::Other,
                "KMS returned no key metadata",
            )
        })?;
        Ok(KeyInfo {
            arn: meta.arn().unwrap_or(meta.key_id()).to_string(),
            state: meta
                .key_state()
                .map_or("unknown", |s| s.as_str())
                .to_string(),
            // Absent from moto's answer (AWS always sends them): empty, and the probe decides.
            usage: meta.key_usage().map_or("", |u| u.as_str()).to_string(),
            spec: meta.key_spec().map_or("", |s| s.as_str()).to_string(),
        })
    }
}
