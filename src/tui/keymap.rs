//! The one registry of Normal-mode key bindings. It dispatches keys and generates the help
//! overlay and the status-bar hints, so what `?` shows is what the keys do. Bindings that change
//! AWS are `dangerous`: read-only mode refuses them here, with no second path around it.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Code(KeyCode),
}

impl Key {
    pub fn label(self) -> String {
        match self {
            Key::Char(' ') => "Space".into(),
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{c}"),
            Key::Code(code) => match code {
                KeyCode::Up => "↑".into(),
                KeyCode::Down => "↓".into(),
                KeyCode::Left => "←".into(),
                KeyCode::Right => "→".into(),
                KeyCode::Enter => "Enter".into(),
                KeyCode::Esc => "Esc".into(),
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
            Key::Ctrl(c) => {
                key.code == KeyCode::Char(c) && key.modifiers.contains(KeyModifiers::CONTROL)
            }
            Key::Code(code) => key.code == code && !ctrl_or_alt,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    /// What it does, for the help overlay.
    pub help: &'static str,
    /// A one-word label for the status bar, if the binding is worth a hint there.
    pub hint: Option<&'static str>,
    /// Changes AWS (and costs or interrupts a show): refused in read-only mode.
    pub dangerous: bool,
    pub section: Section,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Move,
    Destinations,
    View,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Destinations, Section::Move, Section::View];

    pub fn title(self) -> &'static str {
        match self {
            Section::Move => "Move",
            Section::Destinations => "Destinations",
            Section::View => "View",
        }
    }
}

const fn bind(
    section: Section,
    keys: &'static [Key],
    action: Action,
    help: &'static str,
    hint: Option<&'static str>,
    dangerous: bool,
) -> Binding {
    Binding {
        keys,
        action,
        help,
        hint,
        dangerous,
        section,
    }
}

use Key::{Char, Code, Ctrl};
use Section::{Destinations as D, Move as M, View as V};

pub const BINDINGS: &[Binding] = &[
    bind(
        D,
        &[Char('a')],
        Action::Add,
        "add a destination",
        Some("add"),
        true,
    ),
    bind(
        D,
        &[Char('s')],
        Action::Start,
        "start (marked or selected)",
        Some("start"),
        true,
    ),
    bind(
        D,
        &[Char('x')],
        Action::Stop,
        "stop (asks when live)",
        Some("stop"),
        true,
    ),
    bind(
        D,
        &[Char('d')],
        Action::Delete,
        "delete + AWS chain (asks)",
        Some("delete"),
        true,
    ),
    bind(D, &[Char('e')], Action::Edit, "edit", None, true),
    bind(
        D,
        &[Code(KeyCode::Enter)],
        Action::Details,
        "details of the row",
        Some("details"),
        false,
    ),
    bind(
        D,
        &[Char(' ')],
        Action::Mark,
        "mark row for s/x/d",
        Some("mark"),
        false,
    ),
    bind(
        D,
        &[Char('r')],
        Action::Refresh,
        "refresh and reconcile now",
        None,
        false,
    ),
    bind(
        M,
        &[Char('j'), Code(KeyCode::Down)],
        Action::Down,
        "next row",
        None,
        false,
    ),
    bind(
        M,
        &[Char('k'), Code(KeyCode::Up)],
        Action::Up,
        "previous row",
        None,
        false,
    ),
    bind(
        M,
        &[Char('g'), Code(KeyCode::Home)],
        Action::Top,
        "first row",
        None,
        false,
    ),
    bind(
        M,
        &[Char('G'), Code(KeyCode::End)],
        Action::Bottom,
        "last row",
        None,
        false,
    ),
    bind(
        M,
        &[Code(KeyCode::PageUp)],
        Action::LogUp,
        "scroll event log up",
        None,
        false,
    ),
    bind(
        M,
        &[Code(KeyCode::PageDown)],
        Action::LogDown,
        "scroll event log down",
        None,
        false,
    ),
    bind(
        V,
        &[Char('/')],
        Action::Filter,
        "filter rows",
        Some("filter"),
        false,
    ),
    bind(
        V,
        &[Char(':')],
        Action::Command,
        "command line (:q, :add…)",
        None,
        false,
    ),
    bind(
        V,
        &[Char('l')],
        Action::ToggleLog,
        "event log on/off",
        Some("log"),
        false,
    ),
    bind(V, &[Char('c')], Action::Cost, "cost", None, false),
    bind(
        V,
        &[Char('?')],
        Action::Help,
        "this help",
        Some("help"),
        false,
    ),
    bind(
        V,
        &[Code(KeyCode::Esc)],
        Action::Close,
        "close; clear marks/filter",
        None,
        false,
    ),
    bind(
        V,
        &[Char('q'), Ctrl('c')],
        Action::Quit,
        "quit (asks if busy)",
        Some("quit"),
        false,
    ),
];

pub fn lookup(key: &KeyEvent) -> Option<&'static Binding> {
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|k| k.matches(key)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
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
            assert_eq!(
                lookup(&press(code)).map(|b| b.action),
                Some(action),
                "{code:?}"
            );
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&ctrl_c).map(|b| b.action), Some(Action::Quit));
    }

    #[test]
    fn shifted_symbols_still_match_and_ctrl_letters_do_not_act() {
        let question = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&question).map(|b| b.action), Some(Action::Help));
        let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert!(lookup(&ctrl_d).is_none());
    }

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = HashSet::new();
        for b in BINDINGS {
            for k in b.keys {
                assert!(seen.insert(format!("{k:?}")), "{k:?} bound twice");
            }
        }
    }

    #[test]
    fn everything_that_changes_aws_is_dangerous() {
        for b in BINDINGS {
            let changes_aws = matches!(
                b.action,
                Action::Add | Action::Start | Action::Stop | Action::Delete | Action::Edit
            );
            assert_eq!(b.dangerous, changes_aws, "{:?}", b.action);
        }
    }
}
