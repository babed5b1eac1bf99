//! The bottom line: the filter or command being typed, else a flash message, else the hints of
//! the mode that has the keyboard — all taken from the key registry, so it never names a key
//! that does nothing there.

use crate::tui::command;
use crate::tui::keymap::{self, Binding, Hint, Scope};
use crate::tui::state::{AppState, FlashLevel, Mode};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let scope = Scope::of(&state.mode);
    let width = usize::from(area.width);
    match &state.mode {
        Mode::Filter => {
            let typed = state.filter.value().chars().count();
            let help = hints(scope, state, theme, width.saturating_sub(typed + 4));
            prompt(frame, area, "/", &state.filter, help, theme);
        }
        Mode::Command(input) => {
            let typed = input.value().chars().count();
            let mut help = hints(scope, state, theme, width.saturating_sub(typed + 4));
            // What Tab can complete to, so the operator sees the commands without `?`; it gives
            // way to the keys when the line is short.
            let room = width.saturating_sub(typed + 4 + spans_width(&help.spans) + 3);
            if let Some(lead) = completions(input.value(), state)
                && room > 8
            {
                let mut spans = vec![Span::styled(
                    format!("{}   ", super::fit(&lead, room)),
                    theme.dim,
                )];
                spans.append(&mut help.spans);
                help = Line::from(spans);
            }
            prompt(frame, area, ":", input, help, theme);
        }
        _ => {
            let line = match &state.flash {
                Some(flash) => {
                    let (mark, style) = match flash.level {
                        FlashLevel::Info => ("ℹ", theme.info),
                        FlashLevel::Warn => ("⚠", theme.warn),
                        FlashLevel::Error => ("✖", theme.error),
                    };
                    Line::from(Span::styled(
                        format!(" {mark} {}", crate::domain::for_terminal(&flash.text)),
                        style,
                    ))
                }
                None => {
                    let mut line = hints(scope, state, theme, width.saturating_sub(1));
                    line.spans.insert(0, Span::raw(" "));
                    line
                }
            };
            frame.render_widget(Paragraph::new(line), area);
        }
    }
}

/// The commands the typed text can still become, or that it is none of them.
fn completions(typed: &str, state: &AppState) -> Option<String> {
    let found = command::candidates(typed, state);
    match found.as_slice() {
        [one] if one == typed => None,
        [] => {
            // `theme FILE` and `fault WORDS…` run without being a candidate: only a first word
            // that nothing starts with is unknown.
            let word = typed.split_whitespace().next().unwrap_or_default();
            command::candidates(word, state)
                .is_empty()
                .then(|| "no such command".to_string())
        }
        _ if typed.trim().is_empty() => {
            // Everything: one word per command, not one per theme.
            let mut words: Vec<String> = Vec::new();
            for c in &found {
                let word = if c.starts_with("theme ") {
                    "theme"
                } else {
                    c.trim()
                };
                if !words.iter().any(|w| w == word) {
                    words.push(word.to_string());
                }
            }
            Some(words.join(" · "))
        }
        many => Some(many.join(" · ")),
    }
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| s.content.chars().count()).sum()
}

fn prompt(frame: &mut Frame, area: Rect, sigil: &str, input: &Input, help: Line, theme: &Theme) {
    let help_width = spans_width(&help.spans) as u16 + 2;
    let field_width = area.width.saturating_sub(help_width + 2).max(1);
    let scroll = input.visual_scroll(usize::from(field_width));
    let shown: String = input.value().chars().skip(scroll).collect();
    let line = Line::from(vec![
        Span::styled(format!(" {sigil}"), theme.key),
        Span::styled(shown, theme.text),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    let mut help = help;
    help.spans.push(Span::raw(" "));
    frame.render_widget(Paragraph::new(help.right_aligned()), area);
    let x = area.x + 2 + (input.visual_cursor().saturating_sub(scroll)) as u16;
    frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
}

/// The hint line of `scope`: as many of its shown hints as fit in `width`, in registry order,
/// then the ones always shown (the way out, or into the help), which are never dropped.
pub fn hints<'a>(scope: Scope, state: &AppState, theme: &Theme, width: usize) -> Line<'a> {
    let offered = keymap::hints(scope, state);
    let label = |b: &Binding| b.hint.label().unwrap_or_default();
    let entry = |b: &Binding| keymap::keys_label(b).chars().count() + 1 + label(b).chars().count();
    let always: Vec<&&Binding> = offered
        .iter()
        .filter(|b| matches!(b.hint, Hint::Always(_)))
        .collect();
    let mut used: usize = always.iter().map(|b| entry(b) + 2).sum();
    let mut spans = Vec::new();
    for b in offered.iter().filter(|b| matches!(b.hint, Hint::Shown(_))) {
        let w = entry(b) + 3;
        if used + w > width {
            continue;
        }
        used += w;
        spans.push(Span::styled(keymap::keys_label(b), theme.key));
        spans.push(Span::styled(format!(" {}   ", label(b)), theme.dim));
    }
    for (i, b) in always.iter().enumerate() {
        let gap = if i + 1 < always.len() { "   " } else { "" };
        spans.push(Span::styled(keymap::keys_label(b), theme.key));
        spans.push(Span::styled(format!(" {}{gap}", label(b)), theme.dim));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, Status};
    use crate::tui::state::Details;
    use crate::tui::state::tests::{record, state_with};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn bottom_line(state: &AppState, width: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, 24)).unwrap();
        terminal
            .draw(|f| crate::tui::view::draw(f, state, &Theme::default_dark()))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..width)
            .map(|x| buffer[(x, 23)].symbol().to_string())
            .collect::<String>()
    }

    /// The "KEYS label" pairs a hint line shows, split on its three-space gaps.
    fn pairs(line: &str) -> Vec<String> {
        line.split("   ")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect()
    }

    /// What the registry says `scope` offers now, as the line writes it.
    fn expected(scope: Scope, state: &AppState) -> Vec<String> {
        keymap::hints(scope, state)
            .iter()
            .map(|b| {
                format!(
                    "{} {}",
                    keymap::keys_label(b),
                    b.hint.label().unwrap_or_default()
                )
            })
            .collect()
    }

    /// One state per mode, each where its keys would apply.
    fn every_mode() -> Vec<(&'static str, AppState)> {
        let base = state_with(vec![record("Main", Platform::Youtube, Status::Running, 0)]);
        let id = base.rows[0].id();
        let catalog = base.catalog.clone();
        let with = |mode: Mode| {
            let mut s = base.clone();
            s.mode = mode;
            s
        };
        let mut orphans = with(Mode::Orphans);
        orphans.orphans = Some(Ok(crate::engine::Orphans {
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
        let mut form = crate::tui::form::AddForm::new(&catalog);
        form.focus = crate::domain::validate::Field::Platform;
        vec![
            ("main", with(Mode::Normal)),
            ("details", with(Mode::Details(Details::new(id)))),
            ("orphans", orphans),
            ("cost", with(Mode::Cost)),
            ("help", with(Mode::Help { scroll: 0 })),
            ("form", with(Mode::Form(Box::new(form)))),
            (
                "confirm",
                with(Mode::Confirm(crate::tui::confirm::Confirm::new(
                    "Stop",
                    "Stop Main (youtube)?".into(),
                    "It is live.".into(),
                    crate::tui::confirm::Pending::Stop(vec![id]),
                ))),
            ),
        ]
    }

    #[test]
    fn every_modes_hint_line_is_the_registrys_and_names_nothing_else() {
        for readonly in [false, true] {
            for (name, mut state) in every_mode() {
                state.readonly = readonly;
                let scope = Scope::of(&state.mode);
                let shown = pairs(&bottom_line(&state, 160));
                assert_eq!(
                    shown,
                    expected(scope, &state),
                    "{name}, read-only {readonly}"
                );
                assert!(!shown.is_empty(), "{name}: no hints at all");
            }
        }
    }

    #[test]
    fn a_narrow_line_drops_hints_but_keeps_the_way_out() {
        for (name, state) in every_mode() {
            let scope = Scope::of(&state.mode);
            let shown = pairs(&bottom_line(&state, 40));
            let expected = expected(scope, &state);
            assert!(
                shown.iter().all(|p| expected.contains(p)),
                "{name}: {shown:?}"
            );
            let last = expected.last().cloned().unwrap_or_default();
            assert_eq!(shown.last(), Some(&last), "{name}: the way out is kept");
        }
    }

    #[test]
    fn the_details_line_offers_no_main_table_keys() {
        let (_, state) = every_mode().swap_remove(1);
        let line = bottom_line(&state, 160);
        assert!(
            !line.contains("x stop") && !line.contains("a add"),
            "{line}"
        );
        assert!(line.contains("v show the key"), "{line}");
    }

    #[test]
    fn read_only_orphans_view_offers_no_remove_anywhere_on_screen() {
        let (_, mut state) = every_mode().swap_remove(2);
        let screen = |state: &AppState| {
            let mut terminal = Terminal::new(TestBackend::new(120, 30)).unwrap();
            terminal
                .draw(|f| crate::tui::view::draw(f, state, &Theme::default_dark()))
                .unwrap();
            format!("{:?}", terminal.backend().buffer())
        };
        assert!(screen(&state).contains("d remove"), "offered when allowed");
        state.readonly = true;
        let shown = screen(&state);
        assert!(!shown.contains("remove"), "{shown}");
    }

    #[test]
    fn the_filter_and_command_lines_show_the_registrys_keys() {
        let mut s = state_with(vec![]);
        s.mode = Mode::Filter;
        assert_eq!(
            pairs(&bottom_line(&s, 80)),
            ["/", "Enter keep", "Esc clear"]
        );
        s.mode = Mode::Command(Input::new("sto".into()));
        let shown = pairs(&bottom_line(&s, 80));
        assert_eq!(
            shown,
            [
                ":sto",
                "stop all",
                "Tab complete",
                "Enter run",
                "Esc cancel"
            ]
        );
        s.mode = Mode::Command(Input::new("bogus".into()));
        let shown = pairs(&bottom_line(&s, 80));
        assert_eq!(
            shown,
            [":bogus", "no such command", "Enter run", "Esc cancel"]
        );
    }
}
