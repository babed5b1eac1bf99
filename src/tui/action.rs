//! What the operator can ask for, and the pure `update` that turns it into state changes plus
//! [`Effect`]s for the shell to carry out against the engine. No engine calls here, so every
//! decision (what asks, what acts on which rows) is a unit test away.

use super::command;
use super::confirm::{Confirm, ConfirmOutcome, Pending};
use super::form::{AddForm, FormOutcome};
use super::keymap::{self, Resolved, Scope};
use super::ops;
use super::stale;
use super::state::{AppState, Details, FlashLevel, Mode, REVEAL_FOR};
use crate::domain::{DestinationDraft, DestinationId};
use crate::engine::Refusal;
use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

/// Lines PgUp/PgDn move the event log.
const LOG_PAGE: usize = 5;

/// What a key can mean. The main table's actions go through [`update`]; the rest belong to the
/// other modes (the registry says which scope each binding is in) and are handled there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    /// Main: open the add form. Form: add what it holds.
    Add,
    Start,
    Stop,
    Delete,
    Details,
    /// Main: open the edit form. Form: save the edit.
    Edit,
    Mark,
    Filter,
    Command,
    ToggleLog,
    /// The details' full URLs, ARNs and last error to the clipboard (OSC 52).
    Copy,
    LogUp,
    LogDown,
    Help,
    Cost,
    Refresh,
    Quit,
    /// Leave the mode (main: clear marks, then the filter).
    Close,
    /// Details: show the stream key for a few seconds.
    Reveal,
    /// Orphans view: remove what is listed (asks first).
    RemoveOrphans,
    /// Orphans view: scan AWS again.
    LookAgain,
    /// Form: next or previous field, by the key's direction.
    Focus,
    /// Form: the previous or next platform or preset, by the key's direction.
    Choose,
    /// Dialog: yes.
    Yes,
    /// Dialog: move focus to the other button.
    SwitchButton,
    /// Dialog: press the focused button.
    Press,
    /// Filter line: keep the filter and go back to the rows.
    KeepFilter,
    /// Command line: complete what is typed.
    Complete,
    /// Command line: run it.
    Run,
    /// The row's (or the details') go-live / stop schedule: opens `:schedule ` for it.
    Schedule,
    /// Move the row's stop-by deadline an hour later.
    Extend,
}

/// Work for the shell: each is one engine call (or the fault injector), which returns at once.
#[derive(Debug, Clone)]
pub enum Effect {
    Add(DestinationDraft),
    Start(DestinationId),
    Stop(DestinationId),
    /// Several at once: the engine batches them (BatchStart / BatchStop).
    StartMany(Vec<DestinationId>),
    StopMany(Vec<DestinationId>),
    Delete(DestinationId),
    Edit {
        id: DestinationId,
        draft: DestinationDraft,
        restart: bool,
    },
    /// Read AWS now (the stale-data guard).
    Refresh,
    /// `:gc`: look for orphaned resources.
    ScanOrphans,
    /// Remove the orphans the view showed (after confirmation).
    CleanOrphans(crate::engine::Orphans),
    /// Read AWS and converge every destination now (`r`, `:refresh`).
    Reconcile,
    Quit,
    /// `:fault …` in demo: words for the simulator's fault injector.
    Fault(String),
    /// `:env NAME`: the shell opens that environment's engine and swaps the screen for it.
    SwitchEnv(String),
    /// `:theme NAME`: the shell owns the theme (views take it as a parameter).
    Theme(String),
    /// Put this text on the terminal's clipboard (OSC 52, where the terminal allows it).
    Copy(String),
    /// `:schedule START [STOP]`: a go-live and/or a stop in EventBridge Scheduler.
    Schedule {
        id: DestinationId,
        start: Option<time::OffsetDateTime>,
        stop: Option<time::OffsetDateTime>,
    },
    /// `:unschedule`.
    Unschedule(DestinationId),
    /// `+`, `:extend DURATION`: the stop-by deadline later.
    Extend(DestinationId, std::time::Duration),
}

/// How much later `+` moves a stop-by deadline.
pub const EXTEND_STEP: std::time::Duration = std::time::Duration::from_secs(3600);

/// The destination a schedule key acts on: the one in the details, else the selected row.
pub fn schedule_target(state: &AppState) -> Option<DestinationId> {
    match &state.mode {
        Mode::Details(d) => Some(d.id),
        _ => state.selected_id(),
    }
}

/// A key press: read-only's refusal (in one place, the registry's rule), then the binding of
/// the mode that has the keyboard. Keys no binding claims are text for the typing modes.
pub fn handle_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    if let Resolved::Act(b) = keymap::resolve(Scope::Anywhere, &key, state.readonly)
        && b.action == Action::Quit
    {
        // A second Ctrl-C while the quit question is open means it.
        if let Mode::Confirm(Confirm {
            pending: Pending::Quit,
            ..
        }) = state.mode
        {
            state.quit = true;
            return vec![Effect::Quit];
        }
        state.mode = Mode::Normal;
        return update(state, Action::Quit);
    }
    let action = match keymap::resolve(Scope::of(&state.mode), &key, state.readonly) {
        Resolved::SwitchedOff(b) => {
            state.flash(
                FlashLevel::Warn,
                format!("read-only: {} is switched off", b.help),
            );
            return Vec::new();
        }
        Resolved::Act(b) => Some(b.action),
        Resolved::Unbound => None,
    };
    match std::mem::take(&mut state.mode) {
        Mode::Normal => action.map_or_else(Vec::new, |a| update(state, a)),
        Mode::Form(mut form) => match form.handle_key(key, &state.catalog) {
            FormOutcome::Continue => {
                state.mode = Mode::Form(form);
                Vec::new()
            }
            FormOutcome::Submit(draft) => {
                let editing = form.editing.as_ref().map(|e| e.id);
                state.mode = Mode::Form(form);
                match editing {
                    Some(id) => ops::submit_edit(state, id, draft),
                    None => ops::submit_add(state, draft),
                }
            }
            FormOutcome::Cancel => Vec::new(),
        },
        Mode::Schedule(mut form) => {
            use crate::tui::schedule_form::ScheduleOutcome;
            match form.handle_key(key, action, state.now) {
                ScheduleOutcome::Continue => {
                    state.mode = Mode::Schedule(form);
                    Vec::new()
                }
                ScheduleOutcome::Submit { start, stop } => {
                    let id = form.id;
                    state.mode = Mode::Schedule(form);
                    vec![Effect::Schedule { id, start, stop }]
                }
                ScheduleOutcome::Cancel => Vec::new(),
            }
        }
        Mode::Confirm(mut dialog) => match dialog.handle_key(key) {
            ConfirmOutcome::Open => {
                state.mode = Mode::Confirm(dialog);
                Vec::new()
            }
            ConfirmOutcome::No => Vec::new(),
            ConfirmOutcome::Yes(pending) => ops::confirmed(state, pending),
        },
        Mode::Help { scroll } => {
            let most = crate::tui::view::help_scroll_limit(state.screen, state.readonly);
            match action {
                Some(Action::Close) => {}
                Some(Action::Down) => {
                    state.mode = Mode::Help {
                        scroll: (scroll + 1).min(most),
                    }
                }
                Some(Action::Up) => {
                    state.mode = Mode::Help {
                        scroll: scroll.saturating_sub(1),
                    }
                }
                _ => state.mode = Mode::Help { scroll },
            }
            Vec::new()
        }
        Mode::Details(mut details) => {
            match action {
                Some(Action::Close) => {}
                Some(a @ (Action::Schedule | Action::Extend)) => {
                    state.mode = Mode::Details(details);
                    return update(state, a);
                }
                // The only way to see the key in full, for a short while (a stream key leaked
                // on a shared screen has to be rotated at the platform).
                Some(Action::Reveal) => {
                    details.reveal_until = Some(state.now + REVEAL_FOR);
                    state.mode = Mode::Details(details);
                }
                Some(Action::Down) => {
                    let most = crate::tui::view::details_scroll_limit(state, &details);
                    details.scroll = (details.scroll + 1).min(most);
                    state.mode = Mode::Details(details);
                }
                Some(Action::Up) => {
                    details.scroll = details.scroll.saturating_sub(1);
                    state.mode = Mode::Details(details);
                }
                Some(Action::Copy) => {
                    let text = crate::tui::view::copy_text(state, details.id);
                    state.mode = Mode::Details(details);
                    if let Some(text) = text {
                        state.flash(
                            FlashLevel::Info,
                            "copied the URLs, ARNs and last error (OSC 52: where the terminal allows it)",
                        );
                        return vec![Effect::Copy(text)];
                    }
                }
                _ => state.mode = Mode::Details(details),
            }
            Vec::new()
        }
        Mode::Orphans => match action {
            Some(Action::Close) => Vec::new(),
            Some(Action::RemoveOrphans) => ops::ask_clean_orphans(state),
            Some(Action::LookAgain) => {
                state.orphans = None;
                state.mode = Mode::Orphans;
                vec![Effect::ScanOrphans]
            }
            _ => {
                state.mode = Mode::Orphans;
                Vec::new()
            }
        },
        Mode::Cost => {
            if action != Some(Action::Close) {
                state.mode = Mode::Cost;
            }
            Vec::new()
        }
        Mode::Filter => {
            match action {
                Some(Action::KeepFilter) => {}
                Some(Action::Close) => state.filter.reset(),
                _ => {
                    if let Some(request) = to_input_request(&Event::Key(key)) {
                        state.filter.handle(request);
                    }
                    state.mode = Mode::Filter;
                }
            }
            Vec::new()
        }
        Mode::Command(mut input) => match action {
            Some(Action::Run) => command::run(state, input.value()),
            Some(Action::Close) => Vec::new(),
            Some(Action::Complete) => {
                if let Some(done) = command::complete(input.value(), state) {
                    input = Input::new(done);
                }
                state.mode = Mode::Command(input);
                Vec::new()
            }
            _ => {
                if let Some(request) = to_input_request(&Event::Key(key)) {
                    input.handle(request);
                }
                state.mode = Mode::Command(input);
                Vec::new()
            }
        },
    }
}

/// One operator intent, in Normal mode.
pub fn update(state: &mut AppState, action: Action) -> Vec<Effect> {
    match action {
        Action::Up => move_selection(state, |at, _| at.saturating_sub(1)),
        Action::Down => move_selection(state, |at, len| (at + 1).min(len.saturating_sub(1))),
        Action::Top => move_selection(state, |_, _| 0),
        Action::Bottom => move_selection(state, |_, len| len.saturating_sub(1)),
        Action::Add => {
            state.mode = Mode::Form(Box::new(AddForm::new(&state.catalog)));
            Vec::new()
        }
        Action::Start | Action::Stop | Action::Delete | Action::Edit => row_action(state, action),
        Action::Schedule => {
            if let Some(row) = schedule_target(state).and_then(|id| state.row(id)) {
                let form = crate::tui::schedule_form::ScheduleForm::new(&row.record);
                state.mode = Mode::Schedule(Box::new(form));
            }
            Vec::new()
        }
        Action::Extend => match schedule_target(state) {
            Some(id) => vec![Effect::Extend(id, EXTEND_STEP)],
            None => Vec::new(),
        },
        Action::Details => {
            if let Some(id) = state.selected_id() {
                state.mode = Mode::Details(Details::new(id));
            }
            Vec::new()
        }
        Action::Mark => {
            if let Some(id) = state.selected_id() {
                if !state.marked.remove(&id) {
                    state.marked.insert(id);
                }
                move_selection(state, |at, len| (at + 1).min(len.saturating_sub(1)));
            }
            Vec::new()
        }
        Action::Filter => {
            state.mode = Mode::Filter;
            Vec::new()
        }
        Action::Command => {
            state.mode = Mode::Command(Input::default());
            Vec::new()
        }
        // Off → panel → full screen → off.
        Action::ToggleLog => {
            (state.show_log, state.log_full) = match (state.show_log, state.log_full) {
                (false, _) => (true, false),
                (true, false) => (true, true),
                (true, true) => (false, false),
            };
            state.log_scroll = 0;
            Vec::new()
        }
        Action::LogUp | Action::LogDown => {
            if !state.show_log {
                let toggle = keymap::key_for(Scope::Main, Action::ToggleLog, state.readonly)
                    .unwrap_or_default();
                state.flash(
                    FlashLevel::Info,
                    format!("the event log is hidden: press {toggle}"),
                );
            } else if action == Action::LogUp {
                let most = state.log.len().saturating_sub(1);
                state.log_scroll = (state.log_scroll + LOG_PAGE).min(most);
            } else {
                state.log_scroll = state.log_scroll.saturating_sub(LOG_PAGE);
            }
            Vec::new()
        }
        Action::Help => {
            state.mode = Mode::Help { scroll: 0 };
            Vec::new()
        }
        Action::Cost => {
            state.mode = Mode::Cost;
            Vec::new()
        }
        Action::Refresh => {
            state.flash(FlashLevel::Info, "refreshing and reconciling…");
            // The observation that answers it says "done" (AppState::observed).
            state.refresh_asked = Some(state.now);
            vec![Effect::Reconcile]
        }
        Action::Quit => {
            let running = state.operations_running();
            // Channels outlive onair and bill meanwhile; the demo's die with it.
            let live = if state.demo {
                0
            } else {
                state
                    .rows
                    .iter()
                    .filter(|r| r.record.status.is_live())
                    .count()
            };
            if running == 0 && live == 0 {
                state.quit = true;
                return vec![Effect::Quit];
            }
            let ops = if running == 1 {
                "1 operation is".to_string()
            } else {
                format!("{running} operations are")
            };
            let billing = format!(
                "{live} still live, billing {}/h",
                crate::tui::view::money_text(
                    crate::tui::costs::on_air(state).per_hour,
                    &state.catalog.pricing.currency
                )
            );
            let question = match (running, live) {
                (0, _) => format!("Quit with {billing}?"),
                _ => format!("Quit while {ops} under way?"),
            };
            let mut detail = if running == 0 {
                String::new()
            } else if state.demo {
                "The demo's simulated AWS ends with onair: nothing of it is kept.".to_string()
            } else {
                "They stop where they are; onair picks them up when it next starts.".to_string()
            };
            if live > 0 {
                if !detail.is_empty() {
                    detail.push(' ');
                }
                if running > 0 {
                    detail.push_str(&format!("{billing}: "));
                }
                detail.push_str("live channels keep running, and billing, after onair quits.");
            }
            state.ask(Confirm::new("Quit", question, detail, Pending::Quit));
            Vec::new()
        }
        Action::Close => {
            if !state.marked.is_empty() {
                state.marked.clear();
            } else if !state.filter.value().is_empty() {
                state.filter.reset();
            }
            Vec::new()
        }
        // The other modes' actions: the registry binds none of them in the main table.
        Action::Reveal
        | Action::Copy
        | Action::RemoveOrphans
        | Action::LookAgain
        | Action::Focus
        | Action::Choose
        | Action::Yes
        | Action::SwitchButton
        | Action::Press
        | Action::KeepFilter
        | Action::Complete
        | Action::Run => Vec::new(),
    }
}

/// s, x, d, e: on the marked rows (e: the selected one), after a refresh if the data is stale.
fn row_action(state: &mut AppState, action: Action) -> Vec<Effect> {
    let targets = if action == Action::Edit {
        state.selected_id().into_iter().collect()
    } else {
        state.targets()
    };
    if let Some(refresh) = stale::defer(state, action, &targets) {
        return refresh;
    }
    ops::act(state, action, targets)
}

fn move_selection(state: &mut AppState, to: impl Fn(usize, usize) -> usize) -> Vec<Effect> {
    let visible = state.visible_ids();
    if let Some(at) = state.selected_index() {
        state.selected = visible.get(to(at, visible.len())).copied();
    }
    Vec::new()
}

/// The engine's answer to an effect: refusals are flashed (and marked in the form for an add or
/// an edit), an accepted add or edit closes the form. Batches answer through `ops::batch_done`.
pub fn effect_done(state: &mut AppState, effect: &Effect, result: Result<(), Refusal>) {
    match (effect, result) {
        (Effect::Add(draft), Ok(())) => {
            state.mode = Mode::Normal;
            state.flash(FlashLevel::Info, format!("adding {}…", draft.name.trim()));
        }
        (Effect::Edit { draft, .. }, Ok(())) => {
            state.mode = Mode::Normal;
            state.flash(FlashLevel::Info, format!("saving {}…", draft.name.trim()));
        }
        // The row went live between the screen and the call: ask before restarting it.
        (Effect::Edit { id, draft, .. }, Err(Refusal::NeedsRestart { .. })) => {
            ops::ask_restart(state, *id, draft.clone());
        }
        (Effect::Add(_) | Effect::Edit { .. }, Err(refusal)) => {
            let message = refusal.to_string();
            match (&mut state.mode, refusal) {
                (Mode::Form(form), Refusal::Invalid(errors)) => form.refused(errors),
                (Mode::Form(form), _) => form.submitted = false,
                _ => {}
            }
            state.flash(FlashLevel::Error, message);
        }
        (Effect::Schedule { .. } | Effect::Unschedule(_) | Effect::Extend(..), Ok(())) => {
            if matches!(state.mode, Mode::Schedule(_)) {
                state.mode = Mode::Normal;
            }
            state.flash(FlashLevel::Info, "scheduling in EventBridge…");
        }
        (Effect::Schedule { .. } | Effect::Unschedule(_) | Effect::Extend(..), Err(refusal)) => {
            // The form stays open with the engine's reason in it (a time past, no role, …).
            if let Mode::Schedule(form) = &mut state.mode {
                form.error = Some(refusal.to_string());
            }
            state.flash(FlashLevel::Error, refusal.to_string());
        }
        (Effect::Start(id) | Effect::Stop(id) | Effect::Delete(id), Err(refusal)) => {
            if let Some(row) = state.row_mut(*id) {
                row.requested = None;
            }
            let level = match refusal {
                // A repeated key while the first press is being served: not a failure.
                Refusal::Busy { .. } => FlashLevel::Warn,
                _ => FlashLevel::Error,
            };
            state.flash(level, refusal.to_string());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::Field;
    use crate::domain::{Platform, Status};
    use crate::engine::OpKind;
    use crate::tui::state::tests::{record, state_with};
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn press(state: &mut AppState, code: KeyCode) -> Vec<Effect> {
        handle_key(state, key(code))
    }

    fn typed(state: &mut AppState, text: &str) {
        for c in text.chars() {
            press(state, KeyCode::Char(c));
        }
    }

    fn two_rows() -> AppState {
        state_with(vec![
            record("YouTube #1", Platform::Youtube, Status::Running, 0),
            record("Twitch", Platform::Twitch, Status::Idle, 1),
        ])
    }

    #[test]
    fn a_repeated_s_asks_the_engine_each_time_and_shows_the_row_in_flight() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Char('j'));
        let id = s.selected_id().unwrap();
        for _ in 0..3 {
            let effects = press(&mut s, KeyCode::Char('s'));
            assert!(matches!(effects.as_slice(), [Effect::Start(x)] if *x == id));
        }
        assert_eq!(s.row(id).unwrap().requested, Some(OpKind::Start));
    }

    #[test]
    fn stopping_a_live_row_asks_naming_it_and_cancel_is_the_default() {
        let mut s = two_rows();
        assert!(press(&mut s, KeyCode::Char('x')).is_empty());
        let Mode::Confirm(dialog) = &s.mode else {
            panic!("no confirm")
        };
        assert_eq!(dialog.question, "Stop YouTube #1 (youtube)?");
        assert_eq!(dialog.detail, "It is live.");
        assert!(press(&mut s, KeyCode::Enter).is_empty());
        assert!(matches!(s.mode, Mode::Normal));
        press(&mut s, KeyCode::Char('x'));
        let effects = press(&mut s, KeyCode::Char('y'));
        assert!(matches!(effects.as_slice(), [Effect::Stop(_)]));
    }

    #[test]
    fn stopping_an_idle_row_does_not_ask() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Down);
        assert!(matches!(
            press(&mut s, KeyCode::Char('x')).as_slice(),
            [Effect::Stop(_)]
        ));
    }

    #[test]
    fn delete_always_asks() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Down);
        assert!(press(&mut s, KeyCode::Char('d')).is_empty());
        let Mode::Confirm(dialog) = &s.mode else {
            panic!("no confirm")
        };
        assert_eq!(dialog.question, "Delete Twitch (twitch)?");
        assert!(matches!(
            press(&mut s, KeyCode::Char('y')).as_slice(),
            [Effect::Delete(_)]
        ));
    }

    #[test]
    fn marked_rows_are_the_targets_and_the_marks_clear_after() {
        let mut s = state_with(vec![
            record("A", Platform::Youtube, Status::Idle, 0),
            record("B", Platform::Youtube, Status::Idle, 1),
            record("C", Platform::Youtube, Status::Idle, 2),
        ]);
        press(&mut s, KeyCode::Char(' '));
        press(&mut s, KeyCode::Char(' '));
        assert_eq!(s.marked.len(), 2);
        press(&mut s, KeyCode::Char('s'));
        let effects = press(&mut s, KeyCode::Char('y'));
        assert!(matches!(effects.as_slice(), [Effect::StartMany(ids)] if ids.len() == 2));
        assert!(s.marked.is_empty());
    }

    #[test]
    fn v_in_the_details_reveals_the_key_for_ten_seconds_only() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Enter);
        let Mode::Details(d) = &s.mode else {
            panic!("no details")
        };
        assert!(!d.revealed(s.now));
        press(&mut s, KeyCode::Char('v'));
        let Mode::Details(d) = &s.mode else {
            panic!("closed")
        };
        assert!(d.revealed(s.now + time::Duration::seconds(9)));
        assert!(!d.revealed(s.now + time::Duration::seconds(10)));
        assert!(
            s.tick(s.now + time::Duration::seconds(11)),
            "redraw to hide it"
        );
        let Mode::Details(d) = &s.mode else {
            panic!("closed")
        };
        assert!(d.reveal_until.is_none());
        press(&mut s, KeyCode::Esc);
        assert!(matches!(s.mode, Mode::Normal));
    }

    #[test]
    fn tab_completes_on_the_command_line() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Char(':'));
        typed(&mut s, "sto");
        press(&mut s, KeyCode::Tab);
        let Mode::Command(input) = &s.mode else {
            panic!("closed")
        };
        assert_eq!(input.value(), "stop all");
        press(&mut s, KeyCode::Enter);
        assert!(matches!(s.mode, Mode::Confirm(_)), "stop all asks");
    }

    #[test]
    fn the_cost_panel_opens_and_esc_closes_it() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Char('c'));
        assert!(matches!(s.mode, Mode::Cost));
        press(&mut s, KeyCode::Esc);
        assert!(matches!(s.mode, Mode::Normal));
    }

    #[test]
    fn quit_reminds_of_live_channels_outside_the_demo_only() {
        let mut s = two_rows();
        assert!(s.rows.iter().any(|r| r.record.status.is_live()));
        assert!(press(&mut s, KeyCode::Char('q')).is_empty());
        let Mode::Confirm(dialog) = &s.mode else {
            panic!("no reminder")
        };
        assert!(
            dialog
                .question
                .starts_with("Quit with 1 still live, billing $"),
            "{}",
            dialog.question
        );
        assert!(dialog.detail.contains("keep running"), "{}", dialog.detail);
        // The demo's channels end with it: nothing to remind of.
        let mut s = two_rows();
        s.demo = true;
        assert!(matches!(
            press(&mut s, KeyCode::Char('q')).as_slice(),
            [Effect::Quit]
        ));
    }

    #[test]
    fn the_demos_quit_dialog_promises_nothing_it_loses() {
        let mut s = two_rows();
        s.demo = true;
        press(&mut s, KeyCode::Char('j'));
        press(&mut s, KeyCode::Char('s'));
        press(&mut s, KeyCode::Char('q'));
        let Mode::Confirm(dialog) = &s.mode else {
            panic!("no dialog")
        };
        assert!(
            !dialog.detail.contains("picks them up"),
            "{}",
            dialog.detail
        );
        assert!(
            dialog.detail.contains("nothing of it is kept"),
            "{}",
            dialog.detail
        );
    }

    #[test]
    fn quit_asks_only_while_operations_run() {
        let mut s = two_rows();
        s.demo = true;
        assert!(matches!(
            press(&mut s, KeyCode::Char('q')).as_slice(),
            [Effect::Quit]
        ));
        let mut s = two_rows();
        press(&mut s, KeyCode::Char('j'));
        press(&mut s, KeyCode::Char('s'));
        assert!(press(&mut s, KeyCode::Char('q')).is_empty());
        assert!(matches!(s.mode, Mode::Confirm(_)));
        assert!(!s.quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(matches!(
            handle_key(&mut s, ctrl_c).as_slice(),
            [Effect::Quit]
        ));
    }

    #[test]
    fn a_form_with_errors_yields_no_add_and_marks_fields() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Char('a'));
        let effects = press(&mut s, KeyCode::Enter);
        assert!(effects.is_empty());
        let Mode::Form(form) = &s.mode else {
            panic!("the form closed")
        };
        assert!(form.error(Field::Name).is_some());
        assert!(form.error(Field::StreamKey).is_some());
    }

    #[test]
    fn an_engine_refusal_keeps_the_form_and_marks_the_field() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Char('a'));
        typed(&mut s, "Main");
        for _ in 0..3 {
            press(&mut s, KeyCode::Tab);
        }
        typed(&mut s, "key-123456");
        let effects = press(&mut s, KeyCode::Enter);
        let [effect @ Effect::Add(_)] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let refusal = Refusal::Invalid(vec![crate::domain::FieldError {
            field: Field::Name,
            rule: "is already taken".into(),
        }]);
        effect_done(&mut s, effect, Err(refusal));
        let Mode::Form(form) = &s.mode else {
            panic!("the form closed")
        };
        assert_eq!(form.error(Field::Name), Some("is already taken"));
        assert!(!form.submitted);
        effect_done(&mut s, effect, Ok(()));
        assert!(matches!(s.mode, Mode::Normal));
    }

    #[test]
    fn read_only_refuses_every_dangerous_binding() {
        let mut s = two_rows();
        s.readonly = true;
        for c in ['a', 's', 'x', 'd', 'e'] {
            assert!(press(&mut s, KeyCode::Char(c)).is_empty());
            assert!(matches!(s.mode, Mode::Normal), "{c}");
        }
        assert!(s.flash.unwrap().text.starts_with("read-only"));
    }

    #[test]
    fn read_only_refuses_the_dangerous_keys_of_every_mode_too() {
        let mut s = two_rows();
        s.readonly = true;
        s.orphans = Some(Ok(crate::engine::Orphans {
            flow_outputs: vec![crate::cloud::FlowOutput {
                name: "onair-stray".into(),
                arn: "arn:aws:mediaconnect:us-east-1:111122223333:output:1-x:onair-stray".into(),
                medialive_input_arn: None,
                destination: None,
                port: None,
                protocol: None,
                description: None,
            }],
            ..Default::default()
        }));
        s.mode = Mode::Orphans;
        assert!(press(&mut s, KeyCode::Char('d')).is_empty());
        assert!(matches!(s.mode, Mode::Orphans), "no question asked");
        assert!(
            s.flash
                .as_ref()
                .is_some_and(|f| f.text.starts_with("read-only"))
        );
        // The look-again key still works: it only reads.
        assert!(matches!(
            press(&mut s, KeyCode::Char('r')).as_slice(),
            [Effect::ScanOrphans]
        ));
        // A form opened before (it can't be opened in read-only) can't submit.
        s.mode = Mode::Form(Box::new(AddForm::new(&s.catalog)));
        s.flash = None;
        assert!(press(&mut s, KeyCode::Enter).is_empty());
        assert!(
            s.flash
                .as_ref()
                .is_some_and(|f| f.text.starts_with("read-only"))
        );
        // The quit question stays answerable.
        s.mode = Mode::Normal;
        press(&mut s, KeyCode::Char('j'));
        s.rows[1].requested = Some(crate::engine::OpKind::Stop);
        press(&mut s, KeyCode::Char('q'));
        assert!(matches!(
            press(&mut s, KeyCode::Char('y')).as_slice(),
            [Effect::Quit]
        ));
    }

    #[test]
    fn main_table_keys_do_nothing_in_the_details_view() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Enter);
        for c in ['x', 's', 'd', 'a'] {
            assert!(press(&mut s, KeyCode::Char(c)).is_empty(), "{c}");
            assert!(matches!(s.mode, Mode::Details(_)), "{c}");
        }
    }

    #[test]
    fn the_help_scrolls_only_as_far_as_the_terminal_needs() {
        let mut s = two_rows();
        s.screen = (80, 24);
        let most = crate::tui::view::help_scroll_limit(s.screen, false);
        assert!(most > 0, "80x24 can't hold every mode's keys");
        press(&mut s, KeyCode::Char('?'));
        for _ in 0..most + 10 {
            press(&mut s, KeyCode::Char('j'));
        }
        assert!(matches!(s.mode, Mode::Help { scroll } if scroll == most));
        press(&mut s, KeyCode::Up);
        assert!(matches!(s.mode, Mode::Help { scroll } if scroll == most - 1));
        press(&mut s, KeyCode::Esc);
        assert!(matches!(s.mode, Mode::Normal));
        s.screen = (160, 50);
        press(&mut s, KeyCode::Char('?'));
        press(&mut s, KeyCode::Char('j'));
        assert!(matches!(s.mode, Mode::Help { scroll: 0 }), "it all fits");
    }

    #[test]
    fn filter_narrows_the_rows_and_esc_clears_it() {
        let mut s = two_rows();
        press(&mut s, KeyCode::Char('/'));
        typed(&mut s, "twi");
        assert_eq!(s.visible().len(), 1);
        press(&mut s, KeyCode::Enter);
        assert!(matches!(s.mode, Mode::Normal));
        assert_eq!(s.visible().len(), 1, "the filter stays after Enter");
        assert_eq!(s.selected_id(), Some(s.visible()[0].id()));
        press(&mut s, KeyCode::Esc);
        assert_eq!(s.visible().len(), 2);
    }

    #[test]
    fn commands() {
        let mut s = two_rows();
        s.demo = true;
        press(&mut s, KeyCode::Char(':'));
        typed(&mut s, "fault throttle CreateChannel");
        let effects = press(&mut s, KeyCode::Enter);
        assert!(matches!(effects.as_slice(), [Effect::Fault(w)] if w == "throttle CreateChannel"));
        press(&mut s, KeyCode::Char(':'));
        typed(&mut s, "refresh");
        assert!(matches!(
            press(&mut s, KeyCode::Enter).as_slice(),
            [Effect::Reconcile]
        ));
        press(&mut s, KeyCode::Char(':'));
        typed(&mut s, "bogus");
        press(&mut s, KeyCode::Enter);
        assert_eq!(s.flash.as_ref().unwrap().level, FlashLevel::Error);
        press(&mut s, KeyCode::Char(':'));
        typed(&mut s, "q");
        assert!(matches!(
            press(&mut s, KeyCode::Enter).as_slice(),
            [Effect::Quit]
        ));
    }

    #[test]
    fn a_busy_refusal_clears_the_request_and_warns() {
        let mut s = two_rows();
        let id = s.selected_id().unwrap();
        let effects = press(&mut s, KeyCode::Char('s'));
        effect_done(
            &mut s,
            &effects[0],
            Err(Refusal::Busy {
                name: "YouTube #1".into(),
                doing: "stop",
            }),
        );
        assert!(s.row(id).unwrap().requested.is_none());
        assert_eq!(s.flash.unwrap().level, FlashLevel::Warn);
    }
}
