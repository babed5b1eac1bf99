//! Alerts: after each observation, a running destination that turned `failing` or a source that
//! was lost is announced once — flash, event-log line and a bell count — and announced again only
//! after it recovered. Re-alerting on every refresh would teach the operator to ignore it.

use super::health::Health;
use super::state::{AppState, FlashLevel};
use crate::engine::Level;

pub fn check(state: &mut AppState) {
    let source_lost = state.source.connected == Some(false);
    if source_lost != state.source_alarm {
        state.source_alarm = source_lost;
        if source_lost {
            let text = "source lost: the encoder's SRT feed is not arriving at the flow";
            raise(state, None, text.to_string());
        } else {
            state.log_line(
                Level::Info,
                None,
                "source back: the flow receives again".into(),
            );
        }
    }

    let verdicts: Vec<_> = state
        .rows
        .iter()
        .map(|row| (row.id(), row.alarm.clone(), state.health(row)))
        .collect();
    for (id, was, health) in verdicts {
        // The source has its own alert: rows that lose it only turn red, no second bell.
        let now = match &health {
            Health::Failing(why) => Some(why.clone()),
            // No data is no evidence either way: a raised alarm stays raised, none is cleared
            // as "recovered" on a throttled CloudWatch.
            Health::Unknown(_) | Health::Settling if was.is_some() => continue,
            _ => None,
        };
        if now == was {
            continue;
        }
        if let Some(row) = state.row_mut(id) {
            row.alarm = now.clone();
        }
        match (was, now) {
            (_, Some(why)) => {
                let name = state.destination_name(id).unwrap_or("?").to_string();
                state.log_line(Level::Error, Some(id), format!("failing: {why}"));
                state.flash(FlashLevel::Error, format!("{name} failing: {why}"));
                state.alerts += 1;
            }
            (Some(_), None) if health != Health::NotRunning => {
                state.log_line(Level::Info, Some(id), "recovered".into());
            }
            _ => {}
        }
    }
}

fn raise(state: &mut AppState, id: Option<crate::domain::DestinationId>, text: String) {
    state.log_line(Level::Error, id, text.clone());
    state.flash(FlashLevel::Error, text);
    state.alerts += 1;
}

#[cfg(test)]
mod tests {
    use crate::domain::{Platform, Status};
    use crate::engine::{DestinationMetrics, EngineEvent, MetricsSample, Observation, QuotaUse};
    use crate::tui::state::tests::{T0, record, state_with};
    use crate::tui::state::{AppState, FlashLevel};
    use std::collections::HashMap;

    fn observe(s: &mut AppState, connected: bool, bitrate: f64) {
        let mut m = MetricsSample {
            source_connected: Some(connected),
            ..MetricsSample::default()
        };
        for row in &s.rows {
            m.destinations.insert(
                row.id(),
                DestinationMetrics {
                    bitrate: Some(bitrate),
                    active_outputs: Some(1.0),
                },
            );
        }
        s.apply(EngineEvent::Observed(Box::new(Observation {
            watched: Vec::new(),
            at: T0,
            flow: None,
            error: None,
            flow_error: None,
            table_error: None,
            channels_error: None,
            metrics_error: None,
            channels: HashMap::new(),
            quotas: QuotaUse::default(),
            metrics: m,
            alerts: Default::default(),
            unreadable: Vec::new(),
        })));
    }

    fn errors_logged(s: &AppState) -> usize {
        s.log
            .iter()
            .filter(|e| e.level == crate::engine::Level::Error)
            .count()
    }

    #[test]
    fn a_silent_channel_alerts_once_on_the_second_refresh_and_again_after_recovery() {
        let mut s = state_with(vec![record("Main", Platform::Youtube, Status::Running, 0)]);
        observe(&mut s, true, 6e6);
        observe(&mut s, true, 0.0);
        assert_eq!(s.alerts, 0, "one silent sample is not yet an alarm");
        observe(&mut s, true, 0.0);
        assert_eq!(s.alerts, 1);
        assert!(s.flash.as_ref().unwrap().text.starts_with("Main failing"));
        assert_eq!(s.flash.as_ref().unwrap().level, FlashLevel::Error);
        observe(&mut s, true, 0.0);
        observe(&mut s, true, 0.0);
        assert_eq!(s.alerts, 1, "not every refresh");
        assert_eq!(errors_logged(&s), 1);
        observe(&mut s, true, 6e6);
        assert!(s.rows[0].alarm.is_none());
        observe(&mut s, true, 0.0);
        observe(&mut s, true, 0.0);
        assert_eq!(s.alerts, 2);
    }

    #[test]
    fn a_lost_source_alerts_once_and_turns_running_rows_to_source_lost() {
        let mut s = state_with(vec![
            record("Main", Platform::Youtube, Status::Running, 0),
            record("Spare", Platform::Twitch, Status::Idle, 1),
        ]);
        observe(&mut s, true, 6e6);
        observe(&mut s, false, 6e6);
        observe(&mut s, false, 6e6);
        assert_eq!(s.alerts, 1);
        assert!(s.flash.as_ref().unwrap().text.contains("source lost"));
        assert_eq!(s.health(&s.rows[0]).label(), "source lost");
        assert_eq!(s.health(&s.rows[1]).label(), "—");
        observe(&mut s, true, 6e6);
        assert!(!s.source_alarm);
        assert!(s.log.back().unwrap().text.contains("source back"));
    }
}
