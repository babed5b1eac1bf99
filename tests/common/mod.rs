//! Shared test rigs. Each test binary uses a part of this module.
#![allow(dead_code)]

pub mod invariants;
pub mod moto;
pub mod rig;
pub mod serve;
pub mod tap;
pub mod tmux;
pub mod wire;

/// PROPTEST_CASES if set, else `default`: an explicit `cases` in a ProptestConfig would otherwise
/// silently shadow the variable, and a longer search asked for would run the default.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
