//! An item in the destination table that onair can't read as a [`super::Destination`]: another
//! tool's spelling, a missing attribute, a number out of range. It is shown (never left out, so
//! nobody thinks its AWS resources are free to take) and never acted on: only `onair rm --force`
//! removes the item, and nothing touches what it may own in AWS.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnreadableRecord {
    /// The item's `destinationId` as it is stored (perhaps not a UUID).
    #[serde(rename = "destinationId")]
    pub id: Option<String>,
    /// The item's `name`, when it is a string.
    pub name: Option<String>,
    /// The attribute that could not be read.
    pub attribute: String,
    /// Why, e.g. "is not a known status".
    pub reason: String,
}

impl UnreadableRecord {
    /// The first eight characters of the id, as the tables show ids; `?` without one.
    pub fn short_id(&self) -> String {
        match &self.id {
            Some(id) => id.chars().take(8).collect(),
            None => "?".to_string(),
        }
    }

    /// "attribute status: is not a known status"
    pub fn problem(&self) -> String {
        format!("attribute {}: {}", self.attribute, self.reason)
    }

    /// Whether an operator's `wanted` names this item: its whole id, an id prefix of four or
    /// more characters, or its name (case-insensitive), the way readable records are named.
    pub fn is_named_by(&self, wanted: &str) -> bool {
        let wanted = wanted.trim();
        let by_id = self.id.as_deref().is_some_and(|id| {
            id == wanted
                || (wanted.chars().count() >= 4
                    && id
                        .to_ascii_lowercase()
                        .starts_with(&wanted.to_ascii_lowercase()))
        });
        let by_name = self
            .name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(wanted));
        by_id || by_name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_named_by_id_prefix_or_name() {
        let u = UnreadableRecord {
            id: Some("0a1b2c3d-0000-0000-0000-000000000000".into()),
            name: Some("Old Twitch".into()),
            attribute: "status".into(),
            reason: "is not a known status".into(),
        };
        assert!(u.is_named_by("0a1b"));
        assert!(u.is_named_by("0A1B2C3D"));
        assert!(u.is_named_by("old twitch"));
        assert!(!u.is_named_by("0a1"));
        assert!(!u.is_named_by("other"));
        assert_eq!(u.short_id(), "0a1b2c3d");
        let json = serde_json::to_value(&u).unwrap();
        assert_eq!(
            json["destinationId"],
            "0a1b2c3d-0000-0000-0000-000000000000"
        );
        assert_eq!(json["attribute"], "status");
    }
}
