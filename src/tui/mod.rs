//! The terminal control room. Elm-shaped: [`state::AppState`] is the model, engine events fold
//! into it, keys become [`action::Action`]s whose pure `update` yields [`action::Effect`]s, and
//! [`view::draw`] renders the state. Only [`app`] talks to the engine and the terminal.

pub mod action;
pub mod alerts;
pub mod app;
pub mod command;
pub mod confirm;
pub mod costs;
pub mod form;
pub mod health;
pub mod keymap;
pub mod ops;
pub mod preview;
pub mod schedule_form;
pub mod stale;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod view;

pub use app::{FaultInjector, Session, SessionOpener, TuiOptions, run};
pub use theme::{BUILTIN_THEMES, Theme};
