//! Names and tags of the AWS resources onair creates. MediaLive rejects underscores in some
//! places and the seed learned it the hard way, so names are lowercase letters, digits and hyphens.

use super::DestinationId;

pub const TAG_MANAGED: &str = "onair:managed";
pub const TAG_DESTINATION_ID: &str = "onair:destination-id";
/// The DynamoDB table whose item owns the resource: `gc` deletes only its own table's orphans.
pub const TAG_TABLE: &str = "onair:table";
/// The table the docs, the CloudFormation template and the simulator use when none is named.
pub const DEFAULT_TABLE: &str = "onair-destinations";
pub const NAME_PREFIX: &str = "onair-";

/// The longest slug kept in a resource name; with the prefix and the id it stays under 64.
const SLUG_MAX: usize = 40;

/// `onair-<slug>-<first 8 of id>`.
pub fn resource_name(display_name: &str, id: &DestinationId) -> String {
    let slug = slug(display_name);
    let slug = if slug.is_empty() {
        "dest".to_string()
    } else {
        slug
    };
    format!("{NAME_PREFIX}{slug}-{}", id.short())
}

/// Lowercase ASCII letters and digits, every other run of characters one hyphen, no hyphen at
/// either end, at most 40 characters.
pub fn slug(display_name: &str) -> String {
    let mut out = String::new();
    let mut pending_hyphen = false;
    for c in display_name.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
        if out.len() >= SLUG_MAX {
            break;
        }
    }
    out.truncate(SLUG_MAX);
    out.trim_end_matches('-').to_string()
}

/// The tags every resource onair creates carries, so orphans can be found after a crash, and
/// so a second table's onair (or an older one) can prove the resource isn't its own.
pub fn tags(table: &str, id: &DestinationId) -> Vec<(String, String)> {
    vec![
        (TAG_MANAGED.to_string(), "true".to_string()),
        (TAG_TABLE.to_string(), table.to_string()),
        (TAG_DESTINATION_ID.to_string(), id.to_string()),
    ]
}

/// The description of a flow output onair adds (the seed's push wiring). MediaConnect outputs
/// carry no tags that DescribeFlow shows, so the owner is written where DescribeFlow shows it.
pub fn output_description(table: &str, id: &DestinationId, input_id: &str) -> String {
    format!("{TAG_TABLE}={table} {TAG_DESTINATION_ID}={id} feeds MediaLive input {input_id}")
}

/// The table and destination id an output's description names (each `None` when absent):
/// the reverse of [`output_description`].
pub fn output_owner(description: &str) -> (Option<&str>, Option<&str>) {
    let field = |key: &str| {
        description
            .split_whitespace()
            .find_map(|word| word.strip_prefix(key)?.strip_prefix('='))
            .filter(|v| !v.is_empty())
    };
    (field(TAG_TABLE), field(TAG_DESTINATION_ID))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_use_hyphens_and_the_short_id() {
        let id = DestinationId::new();
        let name = resource_name("YouTube #2 (backup)", &id);
        assert_eq!(name, format!("onair-youtube-2-backup-{}", id.short()));
    }

    #[test]
    fn a_name_without_ascii_letters_still_gets_a_valid_resource_name() {
        let id = DestinationId::new();
        assert!(resource_name("✨✨", &id).starts_with("onair-dest-"));
    }

    #[test]
    fn an_output_description_names_its_table_and_destination() {
        let id = DestinationId::new();
        let d = output_description("shows.b", &id, "1234567");
        let id_text = id.to_string();
        assert_eq!(output_owner(&d), (Some("shows.b"), Some(id_text.as_str())));
        assert_eq!(
            output_owner("onair: feeds MediaLive input 1234567"),
            (None, None),
            "an older onair's description names no owner"
        );
    }

    proptest! {
        #[test]
        fn any_display_name_gives_a_legal_medialive_name(name in ".{0,200}") {
            let n = resource_name(&name, &DestinationId::new());
            prop_assert!(n.len() <= 64);
            prop_assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            prop_assert!(!n.contains("--"));
            prop_assert!(!n.ends_with('-'));
        }
    }
}
