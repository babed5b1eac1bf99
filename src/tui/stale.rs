//! The stale-data guard. A mutating key (s, x, d, e) pressed on data older than two refresh
//! intervals does not act on what the screen shows: it asks for a refresh, remembers what it
//! was pressed on, and acts when the fresh observation arrives — only if those rows are still in
//! the state they were in. A stale "running" must never make `s` or `x` do the wrong thing
//! (lazydocker #836: a toggle acting on stale state did the opposite of what was meant).

use super::action::{Action, Effect};
use super::ops;
use super::state::{AppState, FlashLevel};
use crate::domain::{DestinationId, Status};
use crate::engine::Level;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq)]
pub struct PendingAction {
    pub action: Action,
    /// The rows the key was pressed on and the state the screen showed for each.
    pub targets: Vec<(DestinationId, Status)>,
    /// Only an observation made at or after this answers it.
    pub asked_at: OffsetDateTime,
}

/// Defers `action` if the data is stale: returns the refresh to run, else `None` (act now).
pub fn defer(
    state: &mut AppState,
    action: Action,
    targets: &[DestinationId],
) -> Option<Vec<Effect>> {
    if !state.is_stale() || targets.is_empty() {
        return None;
    }
    let targets = targets
        .iter()
        .filter_map(|id| state.row(*id).map(|r| (*id, r.record.status)))
        .collect();
    state.pending = Some(PendingAction {
        action,
        targets,
        asked_at: state.now,
    });
    state.flash(
        FlashLevel::Warn,
        format!("data is stale: refreshing before {}…", verb(action)),
    );
    Some(vec![Effect::Refresh])
}

/// After engine events were folded in: carries out the pending action if the fresh observation
/// has arrived and its rows are as they were; drops it, saying why, otherwise.
pub fn resume(state: &mut AppState) -> Vec<Effect> {
    let Some(pending) = &state.pending else {
        return Vec::new();
    };
    if state.observed_at.is_none_or(|at| at < pending.asked_at) {
        return Vec::new();
    }
    let Some(pending) = state.pending.take() else {
        return Vec::new();
    };
    let what = verb(pending.action);
    if let Some(error) = state.refresh_error.clone() {
        let text = format!("{what} not done: the refresh failed ({error})");
        state.log_line(Level::Warn, None, text.clone());
        state.flash(FlashLevel::Warn, text);
        return Vec::new();
    }
    for (id, was) in &pending.targets {
        let now = state.row(*id).map(|r| r.record.status);
        if now == Some(*was) {
            continue;
        }
        let name = state
            .destination_name(*id)
            .unwrap_or("a destination")
            .to_string();
        let text = match now {
            Some(is) => format!(
                "{what} not done: {name} is {is} now, not {was} as the stale screen showed — press again if still wanted"
            ),
            None => format!("{what} not done: a destination is gone since the stale screen"),
        };
        state.log_line(Level::Warn, Some(*id), text.clone());
        state.flash(FlashLevel::Warn, text);
        return Vec::new();
    }
    let ids: Vec<DestinationId> = pending.targets.iter().map(|(id, _)| *id).collect();
    ops::act(state, pending.action, ids)
}

fn verb(action: Action) -> &'static str {
    match action {
        Action::Start => "start",
        Action::Stop => "stop",
        Action::Delete => "delete",
        Action::Edit => "edit",
        _ => "that",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Platform;
    use crate::engine::{EngineEvent, MetricsSample, Observation, QuotaUse};
    use crate::tui::action::handle_key;
    use crate::tui::state::Mode;
    use crate::tui::state::tests::{T0, record, state_with};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::collections::HashMap;

    fn press(s: &mut AppState, c: char) -> Vec<Effect> {
        handle_key(s, KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    fn observed(s: &mut AppState, at: OffsetDateTime) {
        s.apply(EngineEvent::Observed(Box::new(Observation {
            watched: Vec::new(),
            at,
            flow: None,
            error: None,
            flow_error: None,
            table_error: None,
            channels_error: None,
            metrics_error: None,
            channels: HashMap::new(),
            quotas: QuotaUse::default(),
            metrics: MetricsSample::default(),
            alerts: Default::default(),
            unreadable: Vec::new(),
        })));
    }

    fn stale_idle_row() -> AppState {
        let mut s = state_with(vec![record("Main", Platform::Youtube, Status::Idle, 0)]);
        s.now = T0 + time::Duration::seconds(60);
        assert!(s.is_stale());
        s
    }

    #[test]
    fn a_key_on_stale_data_refreshes_first_then_acts_if_nothing_changed() {
        let mut s = stale_idle_row();
        let effects = press(&mut s, 's');
        assert!(matches!(effects.as_slice(), [Effect::Refresh]));
        assert!(resume(&mut s).is_empty(), "no fresh observation yet");
        let now = s.now;
        observed(&mut s, now);
        let effects = resume(&mut s);
        assert!(
            matches!(effects.as_slice(), [Effect::Start(_)]),
            "{effects:?}"
        );
        assert!(s.pending.is_none());
    }

    #[test]
    fn a_state_change_seen_by_the_refresh_drops_the_key() {
        let mut s = stale_idle_row();
        let id = s.rows[0].id();
        press(&mut s, 's');
        // Another operator started it meanwhile: the fresh records say running.
        let mut now_running = s.rows[0].record.clone();
        now_running.status = Status::Running;
        s.apply(EngineEvent::Loaded(vec![now_running]));
        let now = s.now;
        observed(&mut s, now);
        assert!(resume(&mut s).is_empty());
        assert!(s.pending.is_none());
        let flash = s.flash.clone().unwrap();
        assert!(flash.text.contains("Main is running now"), "{}", flash.text);
        assert_eq!(s.row(id).unwrap().requested, None);
    }

    #[test]
    fn a_stale_running_row_never_stops_without_a_fresh_look_and_still_asks() {
        let mut s = state_with(vec![record("Main", Platform::Youtube, Status::Running, 0)]);
        s.now = T0 + time::Duration::seconds(60);
        assert!(matches!(press(&mut s, 'x').as_slice(), [Effect::Refresh]));
        assert!(matches!(s.mode, Mode::Normal));
        let now = s.now;
        observed(&mut s, now);
        assert!(resume(&mut s).is_empty());
        assert!(
            matches!(s.mode, Mode::Confirm(_)),
            "stopping a live row still asks"
        );
    }

    #[test]
    fn a_failed_refresh_drops_the_key() {
        let mut s = stale_idle_row();
        press(&mut s, 'd');
        let mut o = Observation {
            watched: Vec::new(),
            at: s.now,
            flow: None,
            error: Some("ListChannels: throttled".into()),
            flow_error: None,
            table_error: None,
            channels_error: None,
            metrics_error: None,
            channels: HashMap::new(),
            quotas: QuotaUse::default(),
            metrics: MetricsSample::default(),
            alerts: Default::default(),
            unreadable: Vec::new(),
        };
        o.error = Some("ListChannels: throttled".into());
        s.apply(EngineEvent::Observed(Box::new(o)));
        assert!(resume(&mut s).is_empty());
        assert!(matches!(s.mode, Mode::Normal));
    }
}
