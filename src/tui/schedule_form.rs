//! The schedule form (`t` on a row or in the details): when the destination must be on air and
//! when it stops, typed as the CLI reads them (`19:30`, `+45m`, RFC 3339, local time). Both
//! empty is refused in the form; everything else is the engine's to check (past, order, role,
//! parked), and its refusal is shown in the form, which stays open.

use super::action::Action;
use crate::domain::schedule::ScheduleKind;
use crate::domain::{Destination, DestinationId, when};
use crossterm::event::{Event, KeyEvent};
use time::OffsetDateTime;
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleField {
    Start,
    Stop,
}

#[derive(Debug, Clone)]
pub struct ScheduleForm {
    pub id: DestinationId,
    pub name: String,
    pub start: Input,
    pub stop: Input,
    pub focus: ScheduleField,
    /// Why the last Enter was refused (by the form or by the engine).
    pub error: Option<String>,
}

pub enum ScheduleOutcome {
    Continue,
    Submit {
        start: Option<OffsetDateTime>,
        stop: Option<OffsetDateTime>,
    },
    Cancel,
}

impl ScheduleForm {
    /// Prefilled with what is scheduled now, in local time.
    pub fn new(record: &Destination) -> Self {
        let offset = when::local_offset();
        let time_of = |kind| {
            record
                .schedule(kind)
                .map(|s| when::clock_time(s.on_air_at.unwrap_or(s.fires_at), offset))
                .unwrap_or_default()
        };
        Self {
            id: record.id(),
            name: record.name.clone(),
            start: Input::new(time_of(ScheduleKind::Start)),
            stop: Input::new(time_of(ScheduleKind::Stop)),
            focus: ScheduleField::Start,
            error: None,
        }
    }

    pub fn input(&self, field: ScheduleField) -> &Input {
        match field {
            ScheduleField::Start => &self.start,
            ScheduleField::Stop => &self.stop,
        }
    }

    /// A key, with the action the registry bound it to in this form (if any).
    pub fn handle_key(
        &mut self,
        key: KeyEvent,
        action: Option<Action>,
        now: OffsetDateTime,
    ) -> ScheduleOutcome {
        match action {
            Some(Action::Close) => ScheduleOutcome::Cancel,
            Some(Action::Focus) => {
                self.focus = match self.focus {
                    ScheduleField::Start => ScheduleField::Stop,
                    ScheduleField::Stop => ScheduleField::Start,
                };
                ScheduleOutcome::Continue
            }
            Some(Action::Schedule) => self.submit(now),
            _ => {
                if let Some(request) = to_input_request(&Event::Key(key)) {
                    match self.focus {
                        ScheduleField::Start => self.start.handle(request),
                        ScheduleField::Stop => self.stop.handle(request),
                    };
                    self.error = None;
                }
                ScheduleOutcome::Continue
            }
        }
    }

    fn submit(&mut self, now: OffsetDateTime) -> ScheduleOutcome {
        let offset = when::local_offset();
        let read = |label: &str, input: &Input| -> Result<Option<OffsetDateTime>, String> {
            let text = input.value().trim();
            if text.is_empty() {
                return Ok(None);
            }
            when::parse_time(text, now, offset)
                .map(Some)
                .map_err(|e| format!("{label}: {e}"))
        };
        let parsed =
            read("on air at", &self.start).and_then(|a| Ok((a, read("stop at", &self.stop)?)));
        match parsed {
            Ok((None, None)) => {
                self.error = Some("give an on-air time, a stop time, or both".into());
                ScheduleOutcome::Continue
            }
            Ok((start, stop)) => ScheduleOutcome::Submit { start, stop },
            Err(why) => {
                self.error = Some(why);
                ScheduleOutcome::Continue
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, Status};
    use crate::tui::state::tests::record;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn typed_times_are_submitted_and_bad_or_empty_ones_are_named_in_the_form() {
        let r = record("Main", Platform::Youtube, Status::Idle, 0);
        let now = r.created_at;
        let mut f = ScheduleForm::new(&r);
        assert!(matches!(
            f.handle_key(key('x'), Some(Action::Schedule), now),
            ScheduleOutcome::Continue
        ));
        assert!(
            f.error
                .as_deref()
                .unwrap_or("")
                .contains("give an on-air time")
        );
        for c in "+45m".chars() {
            f.handle_key(key(c), None, now);
        }
        f.handle_key(key('\t'), Some(Action::Focus), now);
        for c in "soon".chars() {
            f.handle_key(key(c), None, now);
        }
        assert!(matches!(
            f.handle_key(key('x'), Some(Action::Schedule), now),
            ScheduleOutcome::Continue
        ));
        assert!(
            f.error.as_deref().unwrap_or("").starts_with("stop at:"),
            "{:?}",
            f.error
        );
        f.stop = Input::new("+2h".into());
        match f.handle_key(key('x'), Some(Action::Schedule), now) {
            ScheduleOutcome::Submit { start, stop } => {
                assert_eq!(start, Some(now + std::time::Duration::from_secs(45 * 60)));
                assert_eq!(stop, Some(now + std::time::Duration::from_secs(2 * 3600)));
            }
            _ => panic!("submitted"),
        }
        assert!(matches!(
            f.handle_key(key('x'), Some(Action::Close), now),
            ScheduleOutcome::Cancel
        ));
    }
}
