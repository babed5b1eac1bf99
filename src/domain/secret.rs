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
        if chars.len() < 8 {
            return "•".repeat(chars.len().max(4));
        }
        let head: String = chars[..2].iter().collect();
        let tail: String = chars[chars.len() - 2..].iter().collect();
        format!("{head}{}{tail}", "•".repeat(chars.len() - 4))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(key.masked(), "••••");
    }

    #[test]
    fn blank_key_is_empty() {
        assert!(StreamKey::new("  ").is_empty());
    }
}
