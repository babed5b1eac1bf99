//! The one registry of key bindings, for every mode of the control room: the main table, the
//! details view, the orphans view, the cost panel, the add/edit form, dialogs, the filter and
//! command lines, and the help itself. Dispatch, the help overlay and every hint line are read
//! from it, so what `?` and the bottom line show is what the keys do.
//!
//! Bindings that change AWS are `dangerous`; read-only mode switches them off in one place,
//! [`permitted`]: dispatch refuses them, and neither hints nor help offer them. A binding that
//! would do nothing in the current state (a row key on an empty table, `v` on a sealed key) is
//! not offered either ([`applies`]), so a hint line never names a dead key.

use super::action::Action;
use super::command;
use super::form::AddForm;
use super::state::{AppState, Mode};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    /// A letter in either case (dialogs: `y` and `Y` both confirm); shown lower-case.
    AnyCase(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::AnyCase(c) => c.to_ascii_lowercase().to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Code(code) => match code {
                KeyCode::Up => "↑".into(),
                KeyCode::Down => "↓".into(),
                KeyCode::Left => "←".into(),
                KeyCode::Right => "→".into(),
                KeyCode::Enter => "Enter".into(),
                KeyCode::Esc => "Esc".into(),
                KeyCode::Tab => "Tab".into(),
                KeyCode::BackTab => "S-Tab".into(),
                KeyCode::PageUp => "PgUp".into(),
                KeyCode::PageDown => "PgDn".into(),
                KeyCode::Home => "Home".into(),
                KeyCode::End => "End".into(),
                other => other.to_string(),
            },
        }
    }

    fn matches(self, key: &KeyEvent) -> bool {
        let ctrl_or_alt = key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match self {
            Key::Char(c) => key.code == KeyCode::Char(c) && !ctrl_or_alt,
            Key::AnyCase(c) => {
                matches!(key.code, KeyCode::Char(k) if k.eq_ignore_ascii_case(&c)) && !ctrl_or_alt
            }
            Key::Ctrl(c) => {
                key.code == KeyCode::Char(c) && key.modifiers.contains(KeyModifiers::CONTROL)
            }
            Key::Code(code) => key.code == code && !ctrl_or_alt,
        }
    }
}

/// What has the keyboard: each has its own bindings. `Anywhere` is consulted before the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Anywhere,
    Main,
    Details,
    Orphans,
    Cost,
    Form,
    Confirm,
    Filter,
    Command,
    Help,
    Schedule,
}

impl Scope {
    pub const ALL: [Scope; 11] = [
        Scope::Anywhere,
        Scope::Main,
        Scope::Details,
        Scope::Orphans,
        Scope::Cost,
        Scope::Form,
        Scope::Confirm,
        Scope::Filter,
        Scope::Command,
        Scope::Help,
        Scope::Schedule,
    ];

    /// The scope whose keys act in `mode`.
    pub fn of(mode: &Mode) -> Scope {
        match mode {
            Mode::Normal => Scope::Main,
            Mode::Form(_) => Scope::Form,
            Mode::Confirm(_) => Scope::Confirm,
            Mode::Help { .. } => Scope::Help,
            Mode::Filter => Scope::Filter,
            Mode::Command(_) => Scope::Command,
            Mode::Details(_) => Scope::Details,
            Mode::Cost => Scope::Cost,
            Mode::Orphans => Scope::Orphans,
            Mode::Schedule(_) => Scope::Schedule,
        }
    }
}

/// A heading of the help overlay. The main table's keys are split over three; every other scope
/// has one of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Destinations,
    Move,
    View,
    Anywhere,
    Details,
    Orphans,
    Cost,
    Form,
    Confirm,
    Filter,
    Command,
    Help,
    Schedule,
}

impl Section {
    /// In the order the help shows them: the main table first, it is what `?` is asked from.
    pub const ALL: [Section; 13] = [
        Section::Destinations,
        Section::Move,
        Section::View,
        Section::Anywhere,
        Section::Details,
        Section::Schedule,
        Section::Orphans,
        Section::Cost,
        Section::Form,
        Section::Confirm,
        Section::Filter,
        Section::Command,
        Section::Help,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Section::Destinations => "Destinations",
            Section::Move => "Move",
            Section::View => "View",
            Section::Anywhere => "Anywhere",
            Section::Details => "In the details",
            Section::Orphans => "In the orphans view (:gc)",
            Section::Cost => "In the cost panel",
            Section::Form => "In the add/edit form",
            Section::Confirm => "In a dialog",
            Section::Filter => "Typing a filter",
            Section::Command => "On the command line",
            Section::Help => "In this help",
            Section::Schedule => "In the schedule form",
        }
    }

    /// The title with the main-table key that opens the mode, where one does ("In the cost
    /// panel (c)"), taken from the registry so a rebinding can't leave it stale.
    pub fn heading(self) -> String {
        let opener = match self {
            Section::Details => Some(Action::Details),
            Section::Cost => Some(Action::Cost),
            Section::Filter => Some(Action::Filter),
            Section::Command => Some(Action::Command),
            Section::Schedule => Some(Action::Schedule),
            _ => None,
        };
        match opener.and_then(|a| binding(Scope::Main, a)) {
            Some(b) => format!("{} ({})", self.title(), keys_label(b)),
            None => self.title().to_string(),
        }
    }

    pub fn scope(self) -> Scope {
        match self {
            Section::Destinations | Section::Move | Section::View => Scope::Main,
            Section::Anywhere => Scope::Anywhere,
            Section::Details => Scope::Details,
            Section::Orphans => Scope::Orphans,
            Section::Cost => Scope::Cost,
            Section::Form => Scope::Form,
            Section::Confirm => Scope::Confirm,
            Section::Filter => Scope::Filter,
            Section::Command => Scope::Command,
            Section::Help => Scope::Help,
            Section::Schedule => Scope::Schedule,
        }
    }
}

/// Whether and how a binding shows in its mode's hint line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hint {
    /// In the help only.
    No,
    /// In the hint line while there is room, in registry order.
    Shown(&'static str),
    /// Always in the hint line, at its end: the way out of the mode (or into the help), which
    /// must survive a narrow terminal.
    Always(&'static str),
}

impl Hint {
    pub fn label(self) -> Option<&'static str> {
        match self {
            Hint::No => None,
            Hint::Shown(label) | Hint::Always(label) => Some(label),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub section: Section,
    pub keys: &'static [Key],
    pub action: Action,
    /// What it does, for the help overlay.
    pub help: &'static str,
    pub hint: Hint,
    /// Changes AWS (and costs or interrupts a show): switched off in read-only mode.
    pub dangerous: bool,
}

impl Binding {
    pub fn scope(&self) -> Scope {
        self.section.scope()
    }
}

const fn bind(
    section: Section,
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    hint: Hint,
    dangerous: bool,
) -> Binding {
    Binding {
        section,
        keys,
        action,
        help,
        hint,
        dangerous,
    }
}

use Hint::{Always, No, Shown};
use Key::{AnyCase, Char, Code, Ctrl};

const SAFE: bool = false;
const DANGER: bool = true;

pub const BINDINGS: &[Binding] = &[
    // The main table.
    bind(
        Section::Destinations,
        &[Char('a')],
        Action::Add,
        "add a destination",
        Shown("add"),
        DANGER,
    ),
    bind(
        Section::Destinations,
        &[Char('s')],
        Action::Start,
        "start (marked or selected)",
        Shown("start"),
        DANGER,
    ),
    bind(
        Section::Destinations,
        &[Char('x')],
        Action::Stop,
        "stop (asks when live)",
        Shown("stop"),
        DANGER,
    ),
    bind(
        Section::Destinations,
        &[Char('d')],
        Action::Delete,
        "delete + AWS chain (asks)",
        Shown("delete"),
        DANGER,
    ),
    bind(
        Section::Destinations,
        &[Char('e')],
        Action::Edit,
        "edit",
        No,
        DANGER,
    ),
    bind(
        Section::Destinations,
        &[Char('t')],
        Action::Schedule,
        "schedule go-live",
        No,
        DANGER,
    ),
    bind(
        Section::Destinations,
        &[Char('+')],
        Action::Extend,
        "stop-by deadline +1 h",
        No,
        DANGER,
    ),
    bind(
        Section::Destinations,
        &[Code(KeyCode::Enter)],
        Action::Details,
        "details of the row",
        Shown("details"),
        SAFE,
    ),
    bind(
        Section::Destinations,
        &[Char(' ')],
        Action::Mark,
        "mark for s/x/d, go down",
        Shown("mark"),
        SAFE,
    ),
    bind(
        Section::Destinations,
        &[Char('r')],
        Action::Refresh,
        "refresh and reconcile now",
        No,
        SAFE,
    ),
    bind(
        Section::Move,
        &[Char('j'), Code(KeyCode::Down)],
        Action::Down,
        "next row",
        No,
        SAFE,
    ),
    bind(
        Section::Move,
        &[Char('k'), Code(KeyCode::Up)],
        Action::Up,
        "previous row",
        No,
        SAFE,
    ),
    bind(
        Section::Move,
        &[Char('g'), Code(KeyCode::Home)],
        Action::Top,
        "first row",
        No,
        SAFE,
    ),
    bind(
        Section::Move,
        &[Char('G'), Code(KeyCode::End)],
        Action::Bottom,
        "last row",
        No,
        SAFE,
    ),
    bind(
        Section::Move,
        &[Code(KeyCode::PageUp)],
        Action::LogUp,
        "scroll event log up",
        No,
        SAFE,
    ),
    bind(
        Section::Move,
        &[Code(KeyCode::PageDown)],
        Action::LogDown,
        "scroll event log down",
        No,
        SAFE,
    ),
    bind(
        Section::View,
        &[Char('/')],
        Action::Filter,
        "filter rows",
        Shown("filter"),
        SAFE,
    ),
    bind(
        Section::View,
        &[Char(':')],
        Action::Command,
        "command line (:q, :add…)",
        No,
        SAFE,
    ),
    bind(
        Section::View,
        &[Char('l')],
        Action::ToggleLog,
        "event log panel/full/off",
        Shown("log"),
        SAFE,
    ),
    bind(Section::View, &[Char('c')], Action::Cost, "cost", No, SAFE),
    bind(
        Section::View,
        &[Char('?')],
        Action::Help,
        "this help",
        Always("help"),
        SAFE,
    ),
    bind(
        Section::View,
        &[Code(KeyCode::Esc)],
        Action::Close,
        "close; clear marks/filter",
        No,
        SAFE,
    ),
    bind(
        Section::View,
        &[Char('q')],
        Action::Quit,
        "quit (asks if busy)",
        Shown("quit"),
        SAFE,
    ),
    // Every mode.
    bind(
        Section::Anywhere,
        &[Ctrl('c')],
        Action::Quit,
        "quit (twice: at once)",
        No,
        SAFE,
    ),
    // The details view.
    bind(
        Section::Details,
        &[Char('v')],
        Action::Reveal,
        "show the stream key 10 s",
        Shown("show the key 10 s"),
        SAFE,
    ),
    bind(
        Section::Details,
        &[Char('j'), Code(KeyCode::Down)],
        Action::Down,
        "scroll down",
        No,
        SAFE,
    ),
    bind(
        Section::Details,
        &[Char('k'), Code(KeyCode::Up)],
        Action::Up,
        "scroll up",
        No,
        SAFE,
    ),
    bind(
        Section::Details,
        &[Char('t')],
        Action::Schedule,
        "schedule go-live",
        No,
        DANGER,
    ),
    bind(
        Section::Details,
        &[Char('+')],
        Action::Extend,
        "stop-by deadline +1 h",
        No,
        DANGER,
    ),
    bind(
        Section::Details,
        &[Char('y')],
        Action::Copy,
        "copy URLs, ARNs, error",
        Shown("copy"),
        SAFE,
    ),
    bind(
        Section::Details,
        &[Code(KeyCode::Esc), Char('q'), Code(KeyCode::Enter)],
        Action::Close,
        "close",
        Always("close"),
        SAFE,
    ),
    // The orphans view.
    bind(
        Section::Orphans,
        &[Char('d')],
        Action::RemoveOrphans,
        "remove the listed (asks)",
        Shown("remove resources"),
        DANGER,
    ),
    bind(
        Section::Orphans,
        &[Char('r')],
        Action::LookAgain,
        "look again",
        Shown("look again"),
        SAFE,
    ),
    bind(
        Section::Orphans,
        &[Code(KeyCode::Esc), Char('q')],
        Action::Close,
        "close",
        Always("close"),
        SAFE,
    ),
    // The cost panel.
    bind(
        Section::Cost,
        &[Code(KeyCode::Esc), Char('q'), Char('c')],
        Action::Close,
        "close",
        Always("close"),
        SAFE,
    ),
    // The add and edit form. Enter is bound twice: adding and saving are one key, told apart by
    // the form (see `applies`), so the hint says which it is.
    bind(
        Section::Form,
        &[Code(KeyCode::Tab), Code(KeyCode::BackTab)],
        Action::Focus,
        "next/prev field",
        Shown("next/prev field"),
        SAFE,
    ),
    bind(
        Section::Form,
        &[Code(KeyCode::Down), Code(KeyCode::Up)],
        Action::Focus,
        "next/prev field",
        No,
        SAFE,
    ),
    bind(
        Section::Form,
        &[Code(KeyCode::Left), Code(KeyCode::Right)],
        Action::Choose,
        "choose platform, preset",
        Shown("choose"),
        SAFE,
    ),
    bind(
        Section::Form,
        &[Code(KeyCode::Enter)],
        Action::Add,
        "add the destination",
        Shown("add"),
        DANGER,
    ),
    bind(
        Section::Form,
        &[Code(KeyCode::Enter)],
        Action::Edit,
        "save the edit",
        Shown("save"),
        DANGER,
    ),
    bind(
        Section::Form,
        &[Code(KeyCode::Esc)],
        Action::Close,
        "cancel",
        Always("cancel"),
        SAFE,
    ),
    // The schedule form.
    bind(
        Section::Schedule,
        &[
            Code(KeyCode::Tab),
            Code(KeyCode::BackTab),
            Code(KeyCode::Down),
            Code(KeyCode::Up),
        ],
        Action::Focus,
        "other field",
        Shown("other field"),
        SAFE,
    ),
    bind(
        Section::Schedule,
        &[Code(KeyCode::Enter)],
        Action::Schedule,
        "schedule it in EventBridge",
        Shown("schedule"),
        DANGER,
    ),
    bind(
        Section::Schedule,
        &[Code(KeyCode::Esc)],
        Action::Close,
        "cancel",
        Always("cancel"),
        SAFE,
    ),
    // Dialogs. Confirming only carries out what an allowed key asked, so it is not dangerous
    // itself (the quit question must stay answerable in read-only mode).
    bind(
        Section::Confirm,
        &[AnyCase('y')],
        Action::Yes,
        "confirm",
        Shown("confirm"),
        SAFE,
    ),
    bind(
        Section::Confirm,
        &[Code(KeyCode::Left), Code(KeyCode::Right)],
        Action::SwitchButton,
        "switch button",
        Shown("switch"),
        SAFE,
    ),
    bind(
        Section::Confirm,
        &[Code(KeyCode::Tab), Code(KeyCode::BackTab)],
        Action::SwitchButton,
        "switch button",
        No,
        SAFE,
    ),
    bind(
        Section::Confirm,
        &[Code(KeyCode::Enter)],
        Action::Press,
        "press it (Cancel first)",
        Shown("press"),
        SAFE,
    ),
    bind(
        Section::Confirm,
        &[AnyCase('n'), Code(KeyCode::Esc)],
        Action::Close,
        "cancel",
        Always("cancel"),
        SAFE,
    ),
    // The filter line.
    bind(
        Section::Filter,
        &[Code(KeyCode::Enter)],
        Action::KeepFilter,
        "keep it, back to the rows",
        Shown("keep"),
        SAFE,
    ),
    bind(
        Section::Filter,
        &[Code(KeyCode::Esc)],
        Action::Close,
        "clear it",
        Always("clear"),
        SAFE,
    ),
    // The command line.
    bind(
        Section::Command,
        &[Code(KeyCode::Tab)],
        Action::Complete,
        "complete",
        Shown("complete"),
        SAFE,
    ),
    bind(
        Section::Command,
        &[Code(KeyCode::Enter)],
        Action::Run,
        "run",
        Shown("run"),
        SAFE,
    ),
    bind(
        Section::Command,
        &[Code(KeyCode::Esc)],
        Action::Close,
        "cancel",
        Always("cancel"),
        SAFE,
    ),
    // The help.
    bind(
        Section::Help,
        &[Char('j'), Code(KeyCode::Down)],
        Action::Down,
        "scroll down",
        No,
        SAFE,
    ),
    bind(
        Section::Help,
        &[Char('k'), Code(KeyCode::Up)],
        Action::Up,
        "scroll up",
        No,
        SAFE,
    ),
    bind(
        Section::Help,
        &[
            Code(KeyCode::Esc),
            Char('?'),
            Char('q'),
            Code(KeyCode::Enter),
        ],
        Action::Close,
        "close",
        Always("close"),
        SAFE,
    ),
];

/// The read-only rule, the one place it is decided: whatever changes AWS is switched off.
pub fn permitted(binding: &Binding, readonly: bool) -> bool {
    !(binding.dangerous && readonly)
}

/// Whether the binding does something in the state the screen shows. Pressing a binding that
/// doesn't apply is harmless (at most a flash saying why); it is only not offered.
pub fn applies(binding: &Binding, state: &AppState) -> bool {
    let form = |check: fn(&AddForm) -> bool| match &state.mode {
        Mode::Form(form) => check(form),
        _ => false,
    };
    match (binding.scope(), binding.action) {
        (
            Scope::Main,
            Action::Start
            | Action::Stop
            | Action::Delete
            | Action::Edit
            | Action::Details
            | Action::Mark
            | Action::Schedule,
        ) => state.selected_id().is_some(),
        // Only a destination that has a deadline (or runs, and so gets one) can move it.
        (Scope::Main | Scope::Details, Action::Extend) => super::action::schedule_target(state)
            .and_then(|id| state.row(id))
            .is_some_and(|r| {
                r.record.status == crate::domain::Status::Running
                    || r.record
                        .schedule(crate::domain::ScheduleKind::Deadline)
                        .is_some()
            }),
        (Scope::Main, Action::LogUp | Action::LogDown) => state.show_log,
        (Scope::Main, Action::Close) => {
            !state.marked.is_empty() || !state.filter.value().is_empty()
        }
        // A sealed key never reaches the TUI in clear: there is nothing to show.
        (Scope::Details, Action::Reveal) => match &state.mode {
            Mode::Details(d) => state
                .row(d.id)
                .is_some_and(|r| r.record.stream_key.clear().is_some()),
            _ => false,
        },
        (Scope::Orphans, Action::RemoveOrphans) => {
            matches!(&state.orphans, Some(Ok(found)) if found.resources() > 0)
        }
        // While the form waits for the engine it takes no keys.
        (Scope::Form, Action::Add) => form(|f| !f.submitted && f.editing.is_none()),
        (Scope::Form, Action::Edit) => form(|f| !f.submitted && f.editing.is_some()),
        (Scope::Form, Action::Choose) => form(|f| !f.submitted && f.is_choice(f.focus)),
        (Scope::Form, _) => form(|f| !f.submitted),
        (Scope::Command, Action::Complete) => match &state.mode {
            Mode::Command(input) => command::complete(input.value(), state).is_some(),
            _ => false,
        },
        (Scope::Command, Action::Run) => match &state.mode {
            Mode::Command(input) => !input.value().trim().is_empty(),
            _ => false,
        },
        _ => true,
    }
}

/// Permitted and applying: what a hint line may name.
pub fn offered(binding: &Binding, state: &AppState) -> bool {
    permitted(binding, state.readonly) && applies(binding, state)
}

/// The first binding of `scope` for `key`.
pub fn lookup(scope: Scope, key: &KeyEvent) -> Option<&'static Binding> {
    BINDINGS
        .iter()
        .find(|b| b.scope() == scope && b.keys.iter().any(|k| k.matches(key)))
}

/// What a key press means in `scope`.
#[derive(Debug, Clone, Copy)]
pub enum Resolved {
    Act(&'static Binding),
    /// Bound, but read-only mode has it switched off.
    SwitchedOff(&'static Binding),
    /// Not a key of this scope (text for a typing mode, nothing for the others).
    Unbound,
}

/// Dispatch: the binding for `key` in `scope`, gated by the read-only rule.
pub fn resolve(scope: Scope, key: &KeyEvent, readonly: bool) -> Resolved {
    match lookup(scope, key) {
        Some(b) if !permitted(b, readonly) => Resolved::SwitchedOff(b),
        Some(b) => Resolved::Act(b),
        None => Resolved::Unbound,
    }
}

/// The bindings `scope`'s hint line offers now: those shown while there is room, in registry
/// order, then those always shown.
pub fn hints(scope: Scope, state: &AppState) -> Vec<&'static Binding> {
    let offered: Vec<&'static Binding> = BINDINGS
        .iter()
        .filter(|b| b.scope() == scope && b.hint != Hint::No && offered(b, state))
        .collect();
    let (always, shown): (Vec<_>, Vec<_>) = offered
        .into_iter()
        .partition(|b| matches!(b.hint, Hint::Always(_)));
    shown.into_iter().chain(always).collect()
}

/// The bindings the help lists under `section`: everything the mode has, less what read-only
/// switches off.
pub fn help_entries(section: Section, readonly: bool) -> impl Iterator<Item = &'static Binding> {
    BINDINGS
        .iter()
        .filter(move |b| b.section == section && permitted(b, readonly))
}

/// The binding of `action` in `scope`, for text that names its key ("press a to add one").
pub fn binding(scope: Scope, action: Action) -> Option<&'static Binding> {
    BINDINGS
        .iter()
        .find(|b| b.scope() == scope && b.action == action)
}

/// "j/↓" for a binding's keys.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join("/")
}

/// The keys of `action` in `scope` as text ("PgDn"), if it is bound and read-only allows it: a
/// message naming a switched-off key would send the operator to a refusal.
pub fn key_for(scope: Scope, action: Action, readonly: bool) -> Option<String> {
    binding(scope, action)
        .filter(|b| permitted(b, readonly))
        .map(keys_label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, Status};
    use crate::tui::state::Details;
    use crate::tui::state::tests::{record, state_with};
    use std::collections::HashSet;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn main_action(code: KeyCode) -> Option<Action> {
        lookup(Scope::Main, &press(code)).map(|b| b.action)
    }

    #[test]
    fn the_brief_keys_map_to_their_actions() {
        let cases = [
            (KeyCode::Char('j'), Action::Down),
            (KeyCode::Down, Action::Down),
            (KeyCode::Char('k'), Action::Up),
            (KeyCode::Up, Action::Up),
            (KeyCode::Char('a'), Action::Add),
            (KeyCode::Char('s'), Action::Start),
            (KeyCode::Char('x'), Action::Stop),
            (KeyCode::Char('d'), Action::Delete),
            (KeyCode::Enter, Action::Details),
            (KeyCode::Char('e'), Action::Edit),
            (KeyCode::Char(' '), Action::Mark),
            (KeyCode::Char('/'), Action::Filter),
            (KeyCode::Char(':'), Action::Command),
            (KeyCode::Char('l'), Action::ToggleLog),
            (KeyCode::Char('?'), Action::Help),
            (KeyCode::Char('c'), Action::Cost),
            (KeyCode::Char('r'), Action::Refresh),
            (KeyCode::Char('q'), Action::Quit),
            (KeyCode::Esc, Action::Close),
        ];
        for (code, action) in cases {
            assert_eq!(main_action(code), Some(action), "{code:?}");
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            lookup(Scope::Anywhere, &ctrl_c).map(|b| b.action),
            Some(Action::Quit)
        );
    }

    #[test]
    fn shifted_symbols_still_match_and_ctrl_letters_do_not_act() {
        let question = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(
            lookup(Scope::Main, &question).map(|b| b.action),
            Some(Action::Help)
        );
        let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert!(lookup(Scope::Main, &ctrl_d).is_none());
        let big_y = KeyEvent::new(KeyCode::Char('Y'), KeyModifiers::SHIFT);
        assert_eq!(
            lookup(Scope::Confirm, &big_y).map(|b| b.action),
            Some(Action::Yes)
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_a_scope_but_the_forms_enter() {
        let mut seen = HashSet::new();
        for b in BINDINGS {
            for k in b.keys {
                let twice = !seen.insert((b.scope(), format!("{k:?}")));
                // Add and save share Enter; `applies` offers exactly one of them at a time.
                let shared = b.scope() == Scope::Form && b.action == Action::Edit;
                assert!(!twice || shared, "{k:?} bound twice in {:?}", b.scope());
            }
        }
    }

    #[test]
    fn everything_that_changes_aws_is_dangerous() {
        for b in BINDINGS {
            let changes_aws = matches!(
                b.action,
                Action::Add
                    | Action::Start
                    | Action::Stop
                    | Action::Delete
                    | Action::Edit
                    | Action::RemoveOrphans
                    | Action::Schedule
                    | Action::Extend
            );
            assert_eq!(
                b.dangerous,
                changes_aws,
                "{:?} in {:?}",
                b.action,
                b.scope()
            );
        }
    }

    #[test]
    fn every_scope_has_bindings_and_every_mode_but_main_a_way_out_that_is_always_hinted() {
        for scope in Scope::ALL {
            let mine: Vec<_> = BINDINGS.iter().filter(|b| b.scope() == scope).collect();
            assert!(!mine.is_empty(), "{scope:?} has no keys");
            if matches!(scope, Scope::Anywhere | Scope::Main) {
                continue;
            }
            assert!(
                mine.iter()
                    .any(|b| b.action == Action::Close && matches!(b.hint, Hint::Always(_))),
                "{scope:?} has no always-hinted way out"
            );
        }
        // Every section belongs to a scope the help shows.
        for b in BINDINGS {
            assert!(Section::ALL.contains(&b.section));
        }
    }

    #[test]
    fn read_only_switches_off_every_dangerous_binding_in_every_scope_and_nothing_else() {
        for b in BINDINGS {
            assert_eq!(permitted(b, true), !b.dangerous, "{:?}", b.action);
            assert!(permitted(b, false));
            for key in b.keys {
                let event = match key {
                    Key::Char(c) | Key::AnyCase(c) => press(KeyCode::Char(*c)),
                    Key::Ctrl(c) => KeyEvent::new(KeyCode::Char(*c), KeyModifiers::CONTROL),
                    Key::Code(code) => press(*code),
                };
                let resolved = resolve(b.scope(), &event, true);
                // The form's Enter resolves to its first binding (add); both are dangerous.
                match resolved {
                    Resolved::SwitchedOff(found) => assert!(found.dangerous),
                    Resolved::Act(found) => assert!(!found.dangerous),
                    Resolved::Unbound => panic!("{key:?} unbound in {:?}", b.scope()),
                }
            }
        }
    }

    #[test]
    fn read_only_hints_and_help_name_no_dangerous_binding_in_any_scope() {
        let mut s = state_with(vec![record("Main", Platform::Youtube, Status::Idle, 0)]);
        s.readonly = true;
        for section in Section::ALL {
            assert!(help_entries(section, true).all(|b| !b.dangerous));
        }
        // Each mode with a dangerous key, in the state where that key would apply.
        s.mode = Mode::Normal;
        assert!(hints(Scope::Main, &s).iter().all(|b| !b.dangerous));
        s.orphans = Some(Ok(orphans_with_a_channel()));
        s.mode = Mode::Orphans;
        let orphans = hints(Scope::Orphans, &s);
        assert!(orphans.iter().all(|b| !b.dangerous), "{orphans:?}");
        assert!(
            orphans
                .iter()
                .all(|b| b.hint.label() != Some("remove resources")),
            "the orphans view must not offer remove in read-only"
        );
        s.mode = Mode::Form(Box::new(AddForm::new(&s.catalog)));
        assert!(hints(Scope::Form, &s).iter().all(|b| !b.dangerous));
        assert_eq!(key_for(Scope::Main, Action::Add, true), None);
        assert_eq!(
            key_for(Scope::Main, Action::Add, false).as_deref(),
            Some("a")
        );

        // And with read-only off, the same states do offer them: the test above can fail.
        s.readonly = false;
        s.mode = Mode::Orphans;
        assert!(hints(Scope::Orphans, &s).iter().any(|b| b.dangerous));
        s.mode = Mode::Normal;
        assert!(hints(Scope::Main, &s).iter().any(|b| b.dangerous));
    }

    fn orphans_with_a_channel() -> crate::engine::Orphans {
        crate::engine::Orphans {
            channels: vec![crate::cloud::Channel {
                id: "7654321".into(),
                arn: "arn:aws:medialive:us-east-1:111122223333:channel:7654321".into(),
                name: "onair-stray".into(),
                state: crate::cloud::ChannelState::Idle,
                input_ids: vec![],
                destination_url: None,
                tags: Default::default(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn hints_offer_only_keys_that_do_something_now() {
        // No rows: nothing to start, stop, delete, open or mark.
        let mut s = state_with(vec![]);
        let labels = |s: &AppState, scope| -> Vec<&str> {
            hints(scope, s)
                .iter()
                .filter_map(|b| b.hint.label())
                .collect()
        };
        assert_eq!(
            labels(&s, Scope::Main),
            ["add", "filter", "log", "quit", "help"]
        );
        let mut s2 = state_with(vec![record("Main", Platform::Youtube, Status::Idle, 0)]);
        assert_eq!(
            labels(&s2, Scope::Main),
            [
                "add", "start", "stop", "delete", "details", "mark", "filter", "log", "quit",
                "help"
            ]
        );

        // Details: `v` only while the key is held in clear.
        let id = s2.rows[0].id();
        s2.mode = Mode::Details(Details::new(id));
        assert_eq!(
            labels(&s2, Scope::Details),
            ["show the key 10 s", "copy", "close"]
        );
        s2.rows[0].record.stream_key = crate::domain::StoredKey::Sealed(crate::domain::SealedKey {
            key_id: "arn:aws:kms:us-east-1:111122223333:key/k".into(),
            ciphertext: vec![1, 2, 3],
        });
        assert_eq!(labels(&s2, Scope::Details), ["copy", "close"]);

        // Orphans: remove only when something is listed.
        s.mode = Mode::Orphans;
        assert_eq!(labels(&s, Scope::Orphans), ["look again", "close"]);
        s.orphans = Some(Ok(orphans_with_a_channel()));
        assert_eq!(
            labels(&s, Scope::Orphans),
            ["remove resources", "look again", "close"]
        );

        // The form: add or save, and choose only on a choice field.
        let mut form = AddForm::new(&s.catalog);
        s.mode = Mode::Form(Box::new(form.clone()));
        assert_eq!(
            labels(&s, Scope::Form),
            ["next/prev field", "add", "cancel"]
        );
        form.focus = crate::domain::validate::Field::Platform;
        form.editing = Some(crate::tui::form::Editing {
            id,
            current_key: crate::domain::StreamKey::new("k").into(),
        });
        s.mode = Mode::Form(Box::new(form.clone()));
        assert_eq!(
            labels(&s, Scope::Form),
            ["next/prev field", "choose", "save", "cancel"]
        );
        form.submitted = true;
        s.mode = Mode::Form(Box::new(form));
        assert!(labels(&s, Scope::Form).is_empty(), "waiting: no keys act");

        // The command line: Tab only when it completes, Enter only with something to run.
        // Empty, Tab has nothing to add (the line lists the commands instead).
        s.mode = Mode::Command(tui_input::Input::default());
        assert_eq!(labels(&s, Scope::Command), ["cancel"]);
        s.mode = Mode::Command(tui_input::Input::new("st".into()));
        assert_eq!(labels(&s, Scope::Command), ["run", "cancel"]);
        s.mode = Mode::Command(tui_input::Input::new("sta".into()));
        assert_eq!(labels(&s, Scope::Command), ["complete", "run", "cancel"]);
    }

    #[test]
    fn key_names_in_messages_come_from_the_registry() {
        assert_eq!(
            key_for(Scope::Main, Action::LogDown, false).as_deref(),
            Some("PgDn")
        );
        assert_eq!(
            key_for(Scope::Main, Action::ToggleLog, true).as_deref(),
            Some("l")
        );
        assert_eq!(
            key_for(Scope::Details, Action::Reveal, true).as_deref(),
            Some("v")
        );
        assert_eq!(
            keys_label(binding(Scope::Confirm, Action::Close).unwrap()),
            "n/Esc"
        );
        assert_eq!(
            keys_label(binding(Scope::Form, Action::Focus).unwrap()),
            "Tab/S-Tab"
        );
    }
}
