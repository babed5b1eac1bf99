//! Stream keys are credentials: whoever has one can broadcast on the operator's channel.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A platform stream key. `Debug` and `Display` never show it; the only way to the clear text is
/// [`StreamKey::expose`], which is called where a request to AWS is built and nowhere else.
///
/// Serializing writes the masked form too, so a record can go to JSON, a log or a snapshot
/// without leaking; the stores that must keep the key call `expose` explicitly.
#[derive(Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(transparent)]
pub struct StreamKey(String);

impl Serialize for StreamKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl StreamKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The clear text, for building the AWS request or the DynamoDB item only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// At most the first two and last two characters, the rest as dots; short keys show nothing.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        // Always MASK_WIDTH columns: the length of the key is not shown either, and a huge key
        // from the table can't push the columns after it off the screen.
        if chars.len() < MASK_WIDTH {
            return "•".repeat(MASK_WIDTH);
        }
        let head: String = chars[..2].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{head}{}{tail}", "•".repeat(MASK_WIDTH - 4))
    }
}

/// The width of a masked key, whatever the key's length.
pub const MASK_WIDTH: usize = 12;

impl fmt::Debug for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamKey({})", self.masked())
    }
}

impl fmt::Display for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A stream key as a destination record holds it. With `stream_key_kms_key` configured the record
/// (in the table and in memory) only ever has the sealed form; the engine decrypts it in the one
/// step that builds a channel request and drops the clear text with that request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredKey {
    /// In clear: the seed's items, and every record written while no KMS key was configured.
    Clear(StreamKey),
    Sealed(SealedKey),
    /// An add with a KMS key configured, until its key is sealed: the add's task holds the clear
    /// text meanwhile, so the row on screen never does. The stores refuse to write it.
    Sealing,
}

impl Default for StoredKey {
    fn default() -> Self {
        StoredKey::Clear(StreamKey::default())
    }
}

impl From<StreamKey> for StoredKey {
    fn from(key: StreamKey) -> Self {
        StoredKey::Clear(key)
    }
}

impl StoredKey {
    /// The clear key, when the record holds it in clear.
    pub fn clear(&self) -> Option<&StreamKey> {
        match self {
            StoredKey::Clear(key) => Some(key),
            StoredKey::Sealed(_) | StoredKey::Sealing => None,
        }
    }

    pub fn sealed(&self) -> Option<&SealedKey> {
        match self {
            StoredKey::Sealed(sealed) => Some(sealed),
            StoredKey::Clear(_) | StoredKey::Sealing => None,
        }
    }

    pub fn is_sealed(&self) -> bool {
        matches!(self, StoredKey::Sealed(_))
    }

    /// What a screen or a listing may show: the masked key, or that KMS holds it. Short enough
    /// for the 12-column KEY of `onair list`.
    pub fn masked(&self) -> String {
        match self {
            StoredKey::Clear(key) => key.masked(),
            StoredKey::Sealed(_) => "•••• (KMS)".to_string(),
            StoredKey::Sealing => "sealing…".to_string(),
        }
    }
}

impl fmt::Display for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for StoredKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl<'de> Deserialize<'de> for StoredKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        StreamKey::deserialize(deserializer).map(StoredKey::Clear)
    }
}

/// A stream key encrypted by KMS Encrypt, bound to its destination by the encryption context
/// (so a ciphertext copied onto another record does not decrypt).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedKey {
    /// The key's ARN as KMS reported it (the config may name an alias).
    pub key_id: String,
    pub ciphertext: Vec<u8>,
}

impl fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedKey")
            .field("key_id", &self.key_id)
            .field(
                "ciphertext",
                &format_args!("<{} bytes>", self.ciphertext.len()),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_keys_mask_every_form() {
        let clear = StoredKey::from(StreamKey::new("abcd-efgh-ijkl-mnop"));
        let sealed = StoredKey::Sealed(SealedKey {
            key_id: "arn:aws:kms:us-east-1:111122223333:key/k".into(),
            ciphertext: b"abcd-efgh-ijkl-mnop".to_vec(),
        });
        for key in [&clear, &sealed, &StoredKey::Sealing] {
            let shown = format!("{key} {key:?} {}", serde_json::to_string(key).unwrap());
            assert!(!shown.contains("efgh"), "{shown}");
        }
        assert_eq!(
            clear.clear().map(StreamKey::expose),
            Some("abcd-efgh-ijkl-mnop")
        );
        assert!(sealed.clear().is_none() && sealed.is_sealed());
        assert!(sealed.masked().contains("KMS"));
        for key in [&sealed, &StoredKey::Sealing] {
            assert!(key.masked().chars().count() <= 12, "{key}");
        }
    }

    #[test]
    fn debug_and_display_never_show_the_key() {
        let key = StreamKey::new("abcd-efgh-ijkl-mnop");
        let shown = format!("{key} {key:?} {:?}", Some(&key));
        assert!(!shown.contains("efgh"), "{shown}");
        assert!(shown.contains("ab") && shown.contains("op"));
    }

    #[test]
    fn serializing_masks_the_key() {
        let json = serde_json::to_string(&StreamKey::new("abcd-efgh-ijkl-mnop")).unwrap();
        assert!(!json.contains("efgh"), "{json}");
    }

    #[test]
    fn short_keys_show_no_characters() {
        let key = StreamKey::new("abc");
        assert_eq!(key.masked(), "•".repeat(MASK_WIDTH));
        assert_eq!(
            StreamKey::new("abcdefghijk").masked(),
            "•".repeat(MASK_WIDTH)
        );
    }

    #[test]
    fn every_mask_has_the_same_width_whatever_the_length_of_the_key() {
        // A 10 KB key from the table printed 10,236 bullets and pushed every column after it.
        for len in [0, 1, 11, 12, 40, 10_240] {
            let key = StreamKey::new("k".repeat(len));
            assert_eq!(key.masked().chars().count(), MASK_WIDTH, "length {len}");
        }
        assert_eq!(
            StreamKey::new("live-KEY-abcd-1234").masked(),
            "li••••••••34"
        );
    }

    #[test]
    fn blank_key_is_empty() {
        assert!(StreamKey::new("  ").is_empty());
    }
}
