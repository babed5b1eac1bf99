//! The `:` command line: what it understands, and Tab completion among exactly those commands,
//! so the completion can't offer something that doesn't run.

use super::action::{Action, Effect, update};
use super::keymap::{self, Scope};
use super::ops;
use super::state::{AppState, FlashLevel};
use super::theme::theme_names;

/// Commands offered by completion, with the main-table action each is a form of: a command is
/// switched off in read-only mode exactly when that action's key is (the registry decides).
/// `fault …` only in demo (see [`candidates`]).
const COMMANDS: &[(&str, Option<Action>)] = &[
    ("add", Some(Action::Add)),
    ("start all", Some(Action::Start)),
    ("stop all", Some(Action::Stop)),
    ("gc", None),
    ("refresh", Some(Action::Refresh)),
    ("q", Some(Action::Quit)),
    ("schedule ", Some(Action::Schedule)),
    ("unschedule", Some(Action::Schedule)),
    ("extend ", Some(Action::Extend)),
];

/// Whether read-only mode has `command` switched off.
fn switched_off(command: &str, readonly: bool) -> bool {
    COMMANDS
        .iter()
        .find(|(c, _)| *c == command)
        .and_then(|(_, action)| *action)
        .and_then(|action| keymap::binding(Scope::Main, action))
        .is_some_and(|b| !keymap::permitted(b, readonly))
}

/// Every full command line that starts with `typed`, in a stable order; none that read-only
/// mode would refuse.
pub fn candidates(typed: &str, state: &AppState) -> Vec<String> {
    let mut all: Vec<String> = COMMANDS
        .iter()
        .filter(|(c, _)| !switched_off(c, state.readonly))
        .map(|(c, _)| (*c).to_string())
        .collect();
    all.extend(theme_names().into_iter().map(|n| format!("theme {n}")));
    all.extend(state.environments.iter().map(|n| format!("env {n}")));
    if state.demo {
        all.push("fault ".into());
    }
    let typed = typed.trim_start();
    all.into_iter().filter(|c| c.starts_with(typed)).collect()
}

/// Tab: the one candidate, or the longest prefix the candidates share.
pub fn complete(typed: &str, state: &AppState) -> Option<String> {
    let found = candidates(typed, state);
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
    let command = match (word, rest.trim()) {
        ("add", _) => "add",
        ("start", "all") => "start all",
        ("stop", "all") => "stop all",
        // `:start NAME` and `:stop NAME` change AWS as `start all` does.
        ("start", _) => "start all",
        ("stop", _) => "stop all",
        ("schedule", _) => "schedule ",
        ("unschedule", _) => "unschedule",
        ("extend", _) => "extend ",
        _ => "",
    };
    if switched_off(command, state.readonly) {
        state.flash(
            FlashLevel::Warn,
            format!("read-only: {line} is switched off"),
        );
        return Vec::new();
    }
    match (word, rest.trim()) {
        ("", _) => Vec::new(),
        ("q" | "quit", _) => update(state, Action::Quit),
        ("add", _) => update(state, Action::Add),
        ("refresh", _) => update(state, Action::Refresh),
        ("help", _) => update(state, Action::Help),
        ("start", "all") => ops::start_all(state),
        ("stop", "all") => ops::stop_all(state),
        ("start", name) if !name.is_empty() => ops::by_name(state, Action::Start, name),
        ("stop", name) if !name.is_empty() => ops::by_name(state, Action::Stop, name),
        ("schedule" | "unschedule" | "extend", args) => schedule(state, word, args),
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
        ("env", name) => switch_env(state, name),
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
            let mut known: Vec<&str> = COMMANDS
                .iter()
                .filter(|(c, _)| !switched_off(c, state.readonly))
                .map(|(c, _)| *c)
                .collect();
            known.push("theme");
            if !state.environments.is_empty() {
                known.push("env");
            }
            if state.demo {
                known.push("fault");
            }
            let tab = keymap::key_for(Scope::Command, Action::Complete, state.readonly)
                .unwrap_or_default();
            state.flash(
                FlashLevel::Error,
                format!(
                    "unknown command {word:?}: {tab} lists them ({})",
                    known.join(", ")
                ),
            );
            Vec::new()
        }
    }
}

/// `:env NAME`: the shell opens the other environment and swaps the whole screen for it (what
/// runs here finishes here). `:env` alone says where this is and where it can go.
fn switch_env(state: &mut AppState, name: &str) -> Vec<Effect> {
    let here = state.env_name.as_deref();
    if state.environments.is_empty() {
        state.flash(
            FlashLevel::Warn,
            "the config file has no [environments.NAME]: nothing to switch to",
        );
        return Vec::new();
    }
    let known = state.environments.join(", ");
    if name.is_empty() {
        let text = match here {
            Some(here) => format!("environment {here}; :env NAME switches ({known})"),
            None => format!(":env NAME switches ({known})"),
        };
        state.flash(FlashLevel::Info, text);
        return Vec::new();
    }
    if here == Some(name) {
        state.flash(FlashLevel::Info, format!("already in environment {name}"));
        return Vec::new();
    }
    if !state.environments.iter().any(|n| n == name) {
        // The name is the operator's typing: shown through the view's safe text like any other.
        state.flash(
            FlashLevel::Error,
            format!("no environment {name:?} in the config ({known})"),
        );
        return Vec::new();
    }
    state.flash(FlashLevel::Info, format!("opening environment {name}…"));
    vec![Effect::SwitchEnv(name.to_string())]
}

/// `:schedule START [STOP]`, `:unschedule`, `:extend DURATION` for the selected row (or the
/// destination whose details were open). Times as the CLI reads them, in local time.
fn schedule(state: &mut AppState, word: &str, args: &str) -> Vec<Effect> {
    use crate::domain::when;
    let Some(id) = super::action::schedule_target(state) else {
        state.flash(
            FlashLevel::Warn,
            format!("{word}: select a destination first"),
        );
        return Vec::new();
    };
    let words: Vec<&str> = args.split_whitespace().collect();
    let offset = when::local_offset();
    let time = |text: &str| when::parse_time(text, state.now, offset);
    let effect = match (word, words.as_slice()) {
        ("unschedule", []) => Ok(Effect::Unschedule(id)),
        ("extend", [span]) => when::parse_span(span)
            .map(|by| Effect::Extend(id, by))
            .ok_or_else(|| format!("{span:?} is not a duration: 30m, 2h, 1h30m")),
        ("schedule", [start]) => time(start)
            .map(|t| Effect::Schedule {
                id,
                start: Some(t),
                stop: None,
            })
            .map_err(|e| e.to_string()),
        ("schedule", [start, stop]) => time(start)
            .and_then(|a| time(stop).map(|b| (a, b)))
            .map(|(a, b)| Effect::Schedule {
                id,
                start: Some(a),
                stop: Some(b),
            })
            .map_err(|e| e.to_string()),
        ("schedule", _) => Err("schedule START [STOP]: 19:30, +45m or an RFC 3339 time".into()),
        ("extend", _) => Err("extend DURATION: 30m, 2h, 1h30m".into()),
        _ => Err("unschedule takes no words".into()),
    };
    match effect {
        Ok(effect) => {
            state.mode = crate::tui::state::Mode::Normal;
            vec![effect]
        }
        Err(why) => {
            state.flash(FlashLevel::Error, why);
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::state::tests::state_with;

    fn room(demo: bool, readonly: bool) -> AppState {
        let mut s = state_with(vec![]);
        s.demo = demo;
        s.readonly = readonly;
        s
    }

    #[test]
    fn tab_completes_a_unique_command_and_the_shared_prefix_of_several() {
        let s = room(false, false);
        assert_eq!(complete("sta", &s).as_deref(), Some("start all"));
        assert_eq!(complete("s", &s), None, "schedule/start/stop share only s");
        assert_eq!(complete("sc", &s).as_deref(), Some("schedule "));
        assert_eq!(
            complete("sto", &s).as_deref(),
            Some("stop all"),
            "start/stop part at the third letter"
        );
        assert_eq!(complete("st", &s).as_deref(), None);
        assert_eq!(complete("th", &s).as_deref(), Some("theme "));
        assert_eq!(complete("theme l", &s).as_deref(), Some("theme light"));
        assert_eq!(complete("f", &room(true, false)).as_deref(), Some("fault "));
        assert_eq!(complete("f", &s), None, "fault is demo-only");
    }

    #[test]
    fn candidates_list_what_matches() {
        let s = room(false, false);
        assert_eq!(candidates("st", &s), vec!["start all", "stop all"]);
        assert!(candidates("", &room(true, false)).contains(&"fault ".to_string()));
        assert!(candidates("theme ", &s).contains(&"theme high-contrast".to_string()));
    }

    #[test]
    fn read_only_neither_offers_nor_runs_the_commands_that_change_aws() {
        let mut s = room(false, true);
        assert!(
            candidates("", &s)
                .iter()
                .all(|c| !matches!(c.as_str(), "add" | "start all" | "stop all"))
        );
        assert_eq!(complete("st", &s), None, "nothing to complete to");
        assert!(candidates("", &s).contains(&"gc".to_string()));
        for line in ["add", "start all", "stop all"] {
            assert!(run(&mut s, line).is_empty(), "{line}");
            assert!(
                s.flash
                    .as_ref()
                    .is_some_and(|f| f.text.starts_with("read-only")),
                "{line}"
            );
            assert!(matches!(s.mode, crate::tui::state::Mode::Normal));
        }
        run(&mut s, "bogus");
        let text = &s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
        assert!(
            text.contains("Tab lists them (gc, refresh, q, theme)"),
            "{text}"
        );
    }

    fn with_environments(here: &str) -> AppState {
        let mut s = room(false, true);
        s.environments = vec!["rehearsal".into(), "show".into()];
        s.env_name = Some(here.into());
        s
    }

    fn flash(s: &AppState) -> String {
        s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default()
    }

    #[test]
    fn env_completes_the_configs_environments_and_switches_only_to_another_known_one() {
        let mut s = with_environments("rehearsal");
        // Switching changes nothing in AWS: offered in read-only mode too.
        assert_eq!(complete("e", &s).as_deref(), Some("env "));
        assert_eq!(complete("env s", &s).as_deref(), Some("env show"));
        assert!(matches!(
            run(&mut s, "env show").as_slice(),
            [Effect::SwitchEnv(name)] if name == "show"
        ));
        assert!(run(&mut s, "env rehearsal").is_empty());
        assert!(flash(&s).contains("already in environment rehearsal"));
        assert!(run(&mut s, "env prod").is_empty());
        assert!(flash(&s).contains("no environment \"prod\" in the config (rehearsal, show)"));
        assert!(run(&mut s, "env").is_empty());
        assert!(flash(&s).contains("environment rehearsal; :env NAME switches"));
    }

    #[test]
    fn without_environments_env_is_neither_offered_nor_run() {
        let mut s = room(false, false);
        assert!(candidates("e", &s).iter().all(|c| !c.starts_with("env")));
        assert!(run(&mut s, "env show").is_empty());
        assert!(
            flash(&s).contains("no [environments.NAME]"),
            "{}",
            flash(&s)
        );
    }

    #[test]
    fn schedule_commands_act_on_the_selected_row_and_name_a_bad_time() {
        use crate::domain::{Platform, Status};
        use crate::tui::state::tests::record;
        let mut s = state_with(vec![record("Main", Platform::Youtube, Status::Idle, 0)]);
        let id = s.rows[0].id();
        s.selected = Some(id);
        let effects = run(&mut s, "schedule +45m +2h");
        let want_start = s.now + std::time::Duration::from_secs(45 * 60);
        let want_stop = s.now + std::time::Duration::from_secs(2 * 3600);
        assert!(
            matches!(effects.as_slice(), [Effect::Schedule { id: i, start: Some(a), stop: Some(b) }]
                if *i == id && *a == want_start && *b == want_stop),
            "{effects:?}"
        );
        assert!(matches!(
            run(&mut s, "extend 90m").as_slice(),
            [Effect::Extend(i, by)] if *i == id && by.as_secs() == 5400
        ));
        assert!(
            matches!(run(&mut s, "unschedule").as_slice(), [Effect::Unschedule(i)] if *i == id)
        );
        assert!(run(&mut s, "schedule soon").is_empty());
        let text = s.flash.as_ref().map(|f| f.text.clone()).unwrap_or_default();
        assert!(text.contains("is not a time"), "{text}");
        // Read-only: switched off like the keys.
        s.readonly = true;
        assert!(run(&mut s, "schedule +45m").is_empty());
        assert!(
            candidates("", &s)
                .iter()
                .all(|c| !c.starts_with("schedule"))
        );
    }
}
