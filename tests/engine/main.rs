//! Tier 1: the engine on the simulator (paused tokio clock, no process, no network), and the loaders.
//!
//! One test binary per tier, so the AWS SDK is linked once for the tier instead of once per file.

#[path = "../common/mod.rs"]
mod common;

mod alarms;
mod edit_bulk;
mod fault_matrix;
mod kms;
mod lifecycle;
mod loaders_property;
mod matrix;
mod on_air;
mod ownership;
mod property;
mod recovery;
mod rtp_push;
mod schedules;
mod serve_api;
mod serve_events;
mod unreadable;
