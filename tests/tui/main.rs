//! Tier 2: the control room's screens drawn on ratatui's TestBackend (insta snapshots).
//!
//! One test binary per tier, so the AWS SDK is linked once for the tier instead of once per file.

#[path = "../common/mod.rs"]
mod common;

mod orphans;
mod snapshots;
