//! Shared test rigs. Each test binary uses a part of this module.
#![allow(dead_code)]

pub mod invariants;
pub mod moto;
pub mod rig;
pub mod tap;
pub mod tmux;
pub mod wire;
