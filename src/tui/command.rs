//! The `:` command line: what it understands, and Tab completion among exactly those commands,
//! so the completion can't offer something that doesn't run.

use super::action::{Action, Effect, update};
use super::ops;
use super::state::{AppState, FlashLevel};
use super::theme::theme_names;

/// Commands offered by completion. `fault …` only in demo (see [`candidates`]).
const COMMANDS: &[&str] = &["add", "start all", "stop all", "gc", "refresh", "q"];

/// Every full command line that starts with `typed`, in a stable order.
pub fn candidates(typed: &str, demo: bool) -> Vec<String> {
    let mut all: Vec<String> = COMMANDS.iter().map(|c| (*c).to_string()).collect();
    all.extend(theme_names().into_iter().map(|n| format!("theme {n}")));
    if demo {
        all.push("fault ".into());
    }
    let typed = typed.trim_start();
    all.into_iter().filter(|c| c.starts_with(typed)).collect()
}

/// Tab: the one candidate, or the longest prefix the candidates share.
pub fn complete(typed: &str, demo: bool) -> Option<String> {
    let found = candidates(typed, demo);
    let first = found.first()?;
    let shared = found.iter().fold(first.clone(), |prefix, c| {
        prefix
            .chars()
            .zip(c.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect()
    });
    (shared.len() > typed.trim_start().len()).then_some(shared)
}

pub fn run(state: &mut AppState, line: &str) -> Vec<Effect> {
    let line = line.trim();
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    match (word, rest.trim()) {
        ("", _) => Vec::new(),
        ("q" | "quit", _) => update(state, Action::Quit),
        ("add", _) | ("start" | "stop", "all") if state.readonly => {
            state.flash(
                FlashLevel::Warn,
                format!("read-only: {line} is switched off"),
            );
            Vec::new()
        }
        ("add", _) => update(state, Action::Add),
        ("refresh", _) => update(state, Action::Refresh),
        ("help", _) => update(state, Action::Help),
        ("start", "all") => ops::start_all(state),
        ("stop", "all") => ops::stop_all(state),
        ("gc", _) => {
            state.orphans = None;
            state.mode = crate::tui::state::Mode::Orphans;
            vec![Effect::ScanOrphans]
        }
        ("theme", "") => {
            state.flash(
                FlashLevel::Warn,
                format!("theme needs a name: {}", theme_names().join(", ")),
            );
            Vec::new()
        }
        ("theme", name) => vec![Effect::Theme(name.to_string())],
        ("fault", words) if state.demo && !words.is_empty() => vec![Effect::Fault(words.into())],
        ("fault", "") => {
            state.flash(
                FlashLevel::Warn,
                "fault needs words, e.g. :fault drop-source 30 (:fault help lists them)",
            );
            Vec::new()
        }
        ("fault", _) => {
            state.flash(FlashLevel::Error, "fault injection is only for onair demo");
            Vec::new()
        }
        _ => {
            state.flash(
                FlashLevel::Error,
                format!(
                    "unknown command {word:?}: Tab lists them (add, start all, stop all, gc, theme, refresh, q{})",
                    if state.demo { ", fault" } else { "" }
                ),
            );
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_completes_a_unique_command_and_the_shared_prefix_of_several() {
        assert_eq!(complete("sta", false).as_deref(), Some("start all"));
        assert_eq!(
            complete("s", false).as_deref(),
            Some("st"),
            "start/stop share st"
        );
        assert_eq!(complete("st", false).as_deref(), None);
        assert_eq!(complete("th", false).as_deref(), Some("theme "));
        assert_eq!(complete("theme l", false).as_deref(), Some("theme light"));
        assert_eq!(complete("f", true).as_deref(), Some("fault "));
        assert_eq!(complete("f", false), None, "fault is demo-only");
    }

    #[test]
    fn candidates_list_what_matches() {
        assert_eq!(candidates("st", false), vec!["start all", "stop all"]);
        assert!(candidates("", true).contains(&"fault ".to_string()));
        assert!(candidates("theme ", false).contains(&"theme high-contrast".to_string()));
    }
}
