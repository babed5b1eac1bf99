//! Tier 4: the real binary end to end, in tmux (and its helper commands).
//!
//! One test binary per tier, so the AWS SDK is linked once for the tier instead of once per file.

#[path = "../common/mod.rs"]
mod common;

mod cli_tools;
mod demo_tmux;
mod room_tmux;
mod serve_curl;
mod serve_robust;
mod status_page;
mod tui_wire_tmux;
