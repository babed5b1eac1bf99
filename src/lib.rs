//! onair: a terminal control room for live-event streaming on AWS Elemental MediaConnect and
//! MediaLive. See docs/architecture.md for the layers.

pub mod cli;
pub mod clock;
pub mod cloud;
pub mod config;
pub mod domain;
pub mod engine;
pub mod loader;
pub mod logging;
pub mod serve;
pub mod sim;
pub mod tui;
