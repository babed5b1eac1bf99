//! Tier 3: the real AWS SDK over HTTP: request shapes, and the real binary against moto's server.
//!
//! One test binary per tier, so the AWS SDK is linked once for the tier instead of once per file.

#[path = "../common/mod.rs"]
mod common;

mod alarms;
mod aws;
mod bad_input;
mod crash;
mod environments;
mod hostile_table;
mod kms;
mod ownership;
mod race;
mod request_shape;
mod schedules;
mod secrets_scan;
