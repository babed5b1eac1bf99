//! The bottom line: the filter or command being typed, else a flash message, else key hints
//! taken from the key registry.

use crate::tui::command;
use crate::tui::keymap::{self, BINDINGS};
use crate::tui::state::{AppState, FlashLevel, Mode};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_input::Input;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    match &state.mode {
        Mode::Filter => prompt(
            frame,
            area,
            "/",
            &state.filter,
            "Enter keep · Esc clear",
            theme,
        ),
        Mode::Command(input) => {
            // What Tab can complete to, so the operator sees the commands without `?`.
            let found = command::candidates(input.value(), state.demo);
            let help = match found.as_slice() {
                [] => "no such command · Esc cancel".to_string(),
                [one] if one == input.value() => "Enter run · Esc cancel".to_string(),
                _ if input.value().is_empty() => "Tab complete · Enter run · Esc cancel".into(),
                many => format!("Tab: {}", many.join(" · ")),
            };
            prompt(frame, area, ":", input, &help, theme)
        }
        _ => {
            let line = match &state.flash {
                Some(flash) => {
                    let (mark, style) = match flash.level {
                        FlashLevel::Info => ("ℹ", theme.info),
                        FlashLevel::Warn => ("⚠", theme.warn),
                        FlashLevel::Error => ("✖", theme.error),
                    };
                    Line::from(Span::styled(format!(" {mark} {}", flash.text), style))
                }
                None => hints(state, theme, usize::from(area.width)),
            };
            frame.render_widget(Paragraph::new(line), area);
        }
    }
}

fn prompt(frame: &mut Frame, area: Rect, sigil: &str, input: &Input, help: &str, theme: &Theme) {
    let help_width = help.chars().count() as u16 + 2;
    let field_width = area.width.saturating_sub(help_width + 2).max(1);
    let scroll = input.visual_scroll(usize::from(field_width));
    let shown: String = input.value().chars().skip(scroll).collect();
    let line = Line::from(vec![
        Span::styled(format!(" {sigil}"), theme.key),
        Span::styled(shown, theme.text),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(format!("{help} "), theme.dim)).right_aligned()),
        area,
    );
    let x = area.x + 2 + (input.visual_cursor().saturating_sub(scroll)) as u16;
    frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
}

/// As many registry hints as fit, in registry order; `? help` always stays.
fn hints<'a>(state: &AppState, theme: &Theme, width: usize) -> Line<'a> {
    let help = BINDINGS.iter().find(|b| b.hint == Some("help"));
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1 + help.map_or(0, |b| keymap::keys_label(b).chars().count() + 7);
    for b in BINDINGS {
        let Some(label) = b.hint else { continue };
        if b.hint == Some("help") || (state.readonly && b.dangerous) {
            continue;
        }
        let keys = keymap::keys_label(b);
        let w = keys.chars().count() + 1 + label.chars().count() + 3;
        if used + w > width {
            continue;
        }
        used += w;
        spans.push(Span::styled(keys, theme.key));
        spans.push(Span::styled(format!(" {label}   "), theme.dim));
    }
    if let Some(b) = help {
        spans.push(Span::styled(keymap::keys_label(b), theme.key));
        spans.push(Span::styled(" help", theme.dim));
    }
    Line::from(spans)
}
