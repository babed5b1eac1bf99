//! Pop-ups drawn over the main screen: help (from the key registry), the add/edit form and the
//! confirm dialog.

use super::{centered, fit};
use crate::domain::validate::Field;
use crate::tui::confirm::{Button, Confirm};
use crate::tui::form::{self, AddForm, FIELDS};
use crate::tui::keymap::{self, BINDINGS, Section};
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Wrap};
use tui_input::Input;

pub(super) fn popup<'a>(title: &'a str, theme: &Theme) -> Block<'a> {
    Block::bordered()
        .border_style(theme.title)
        .title(Span::styled(format!(" {title} "), theme.title))
        .padding(Padding::horizontal(1))
        .style(theme.text)
}

pub fn help(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let key_width = BINDINGS
        .iter()
        .map(|b| keymap::keys_label(b).chars().count())
        .chain(form::KEYS.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(8);
    let entry = |keys: String, text: &str, dangerous: bool| {
        let key_style = if dangerous { theme.danger } else { theme.key };
        let mut text = text.to_string();
        if dangerous && state.readonly {
            text.push_str(" (off: read-only)");
        }
        Line::from(vec![
            Span::styled(format!("{keys:<key_width$} "), key_style),
            Span::styled(text, theme.text),
        ])
    };
    let section = |s: Section| {
        let mut lines = vec![Line::from(Span::styled(s.title(), theme.title))];
        lines.extend(
            BINDINGS
                .iter()
                .filter(|b| b.section == s)
                .map(|b| entry(keymap::keys_label(b), b.help, b.dangerous)),
        );
        lines.push(Line::raw(""));
        lines
    };
    let mut left = section(Section::Destinations);
    left.extend(section(Section::Move));
    let mut right = section(Section::View);
    right.push(Line::from(Span::styled("In the add form", theme.title)));
    right.extend(
        form::KEYS
            .iter()
            .map(|(k, h)| entry((*k).to_string(), h, false)),
    );
    right.push(Line::raw(""));
    right.push(Line::from(Span::styled("In a dialog", theme.title)));
    right.push(entry("y/n".into(), "confirm / cancel", false));
    right.push(entry("←/→ Enter".into(), "choose, press", false));
    let legend = Line::from(vec![
        Span::styled("red", theme.danger),
        Span::styled(" keys change AWS", theme.dim),
        Span::styled("   Esc/? close", theme.dim),
    ]);

    let column_width = 36;
    let height = left.len().max(right.len()) as u16 + 3;
    let outer = centered(area, column_width * 2 + 6, height);
    frame.render_widget(Clear, outer);
    let block = popup("Keys", theme);
    let inner = block.inner(outer);
    frame.render_widget(block, outer);
    let [body, footer] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)])
        .spacing(2)
        .areas(body);
    frame.render_widget(Paragraph::new(left), l);
    frame.render_widget(Paragraph::new(right), r);
    frame.render_widget(Paragraph::new(legend), footer);
}

/// Column where values (and their notes) start: a focus marker and the longest label.
const VALUE_X: usize = 13;

pub fn form(frame: &mut Frame, area: Rect, f: &AddForm, state: &AppState, theme: &Theme) {
    const WIDTH: u16 = 76;
    let warnings = f.warnings(&state.catalog);
    // Inside the border and padding; notes start under the values.
    let note_width = usize::from(WIDTH - 4).saturating_sub(VALUE_X);
    let notes: Vec<Option<(String, bool)>> = FIELDS
        .iter()
        .map(|field| match f.error(*field) {
            Some(rule) => Some((format!("✖ {rule}"), true)),
            None => hint(f, *field).map(|h| (h, false)),
        })
        .collect();
    // A long rule wraps onto a second line rather than being cut.
    let note_heights: Vec<u16> = notes
        .iter()
        .map(|n| match n {
            Some((text, _)) if text.chars().count() > note_width => 2,
            _ => 1,
        })
        .collect();
    let height = FIELDS.len() as u16 + note_heights.iter().sum::<u16>() + warnings.len() as u16 + 5;
    let outer = centered(area, WIDTH, height);
    frame.render_widget(Clear, outer);
    let block = popup(f.title(), theme);
    let inner = block.inner(outer);
    frame.render_widget(block, outer);

    let mut constraints = vec![Constraint::Length(1)];
    for h in &note_heights {
        constraints.push(Constraint::Length(1));
        constraints.push(Constraint::Length(*h));
    }
    constraints.extend(warnings.iter().map(|_| Constraint::Length(1)));
    constraints.push(Constraint::Min(0));
    constraints.push(Constraint::Length(1));
    let areas = Layout::vertical(constraints).split(inner);
    let value_width = inner.width.saturating_sub(VALUE_X as u16);

    for (i, field) in FIELDS.iter().enumerate() {
        let line_area = areas[1 + i * 2];
        let note_area = areas[2 + i * 2];
        let focused = f.focus == *field;
        let label_style = if f.error(*field).is_some() {
            theme.error
        } else if focused {
            theme.key
        } else {
            theme.dim
        };
        let marker = if focused { "›" } else { " " };
        let label = Span::styled(
            format!("{marker}{:<w$}", title(*field), w = VALUE_X - 1),
            label_style,
        );
        let value_style = if focused { theme.selected } else { theme.text };
        let mut spans = vec![label];
        match field {
            Field::Platform => spans.push(choice(f.platform.label(), value_style)),
            Field::Preset => spans.push(choice(f.preset_name(), value_style)),
            Field::Name | Field::Url | Field::StreamKey => {
                let input = text_input(f, *field);
                let (shown, cursor) = visible_text(input, *field, usize::from(value_width));
                let padded = format!("{shown:<w$}", w = usize::from(value_width));
                spans.push(Span::styled(padded, value_style));
                if focused {
                    let x = line_area.x + VALUE_X as u16 + cursor as u16;
                    frame.set_cursor_position(Position::new(
                        x.min(line_area.right().saturating_sub(1)),
                        line_area.y,
                    ));
                }
            }
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), line_area);

        if let Some((text, is_error)) = &notes[i] {
            let style = if *is_error { theme.error } else { theme.dim };
            let note_rect = Rect {
                x: note_area.x + VALUE_X as u16,
                width: note_area.width.saturating_sub(VALUE_X as u16),
                ..note_area
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text.clone(), style)).wrap(Wrap { trim: true }),
                note_rect,
            );
        }
    }
    for (i, warning) in warnings.iter().enumerate() {
        let a = areas[1 + FIELDS.len() * 2 + i];
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(&format!("⚠ {warning}"), usize::from(a.width)),
                theme.warn,
            )),
            a,
        );
    }
    let footer = areas[areas.len() - 1];
    let line = if f.submitted {
        let doing = if f.editing.is_some() {
            "saving…"
        } else {
            "adding…"
        };
        Line::from(Span::styled(doing, theme.transitional))
    } else {
        Line::from(
            f.keys()
                .iter()
                .flat_map(|(k, h)| {
                    [
                        Span::styled(*k, theme.key),
                        Span::styled(format!(" {h}   "), theme.dim),
                    ]
                })
                .collect::<Vec<_>>(),
        )
    };
    frame.render_widget(Paragraph::new(line), footer);
}

fn title(field: Field) -> &'static str {
    match field {
        Field::Name => "Name",
        Field::Platform => "Platform",
        Field::Url => "URL",
        Field::StreamKey => "Stream key",
        Field::Preset => "Preset",
    }
}

/// A value picked with ←/→: the arrows say it is a choice, not a text field.
fn choice<'a>(value: &str, style: Style) -> Span<'a> {
    Span::styled(format!("‹ {value} ›"), style)
}

fn text_input(f: &AddForm, field: Field) -> &Input {
    match field {
        Field::Url => &f.url,
        Field::StreamKey => &f.key,
        _ => &f.name,
    }
}

/// The part of the value that fits, and the cursor column within it. The stream key is drawn
/// as one dot per character: its clear text never reaches the screen buffer.
fn visible_text(input: &Input, field: Field, width: usize) -> (String, usize) {
    let width = width.max(1);
    let scroll = input.visual_scroll(width);
    let cursor = input.visual_cursor().saturating_sub(scroll);
    let shown: String = if field == Field::StreamKey {
        "•".repeat(
            input
                .value()
                .chars()
                .count()
                .saturating_sub(scroll)
                .min(width),
        )
    } else {
        input.value().chars().skip(scroll).take(width).collect()
    };
    (shown, cursor)
}

fn hint(f: &AddForm, field: Field) -> Option<String> {
    match field {
        Field::Url if f.url.value().is_empty() => Some(format!(
            "{} gives one URL per event: paste it here (rtmp:// or rtmps://)",
            f.platform.label()
        )),
        Field::StreamKey => Some(match &f.editing {
            // The masked key only: enough to recognise it, never enough to use it.
            Some(e) if f.key.value().is_empty() => {
                format!("empty keeps the current key {}", e.current_key.masked())
            }
            _ => "kept secret: shown as dots, never logged".into(),
        }),
        _ => None,
    }
}

pub fn confirm(frame: &mut Frame, area: Rect, dialog: &Confirm, theme: &Theme) {
    let text_width = (dialog
        .question
        .chars()
        .count()
        .max(dialog.detail.chars().count())
        .max(30) as u16)
        .min(area.width.saturating_sub(6));
    // A bulk question lists every name: it wraps, and the dialog grows to hold it.
    let wrapped = |text: &str| {
        let lines = text
            .chars()
            .count()
            .div_ceil(usize::from(text_width.max(1))) as u16;
        // Word wrapping can take a line more than the character count says.
        if lines > 1 { lines + 1 } else { lines }
    };
    let height = 6 + wrapped(&dialog.question).max(1) + wrapped(&dialog.detail).max(1);
    let outer = centered(area, text_width + 6, height);
    frame.render_widget(Clear, outer);
    let block = popup(&dialog.title, theme);
    let inner = block.inner(outer);
    frame.render_widget(block, outer);
    let button = |label: &str, which: Button| {
        let style = if dialog.focus == which {
            theme.button_focus
        } else {
            theme.dim
        };
        Span::styled(format!("[ {label} ]"), style)
    };
    let lines = vec![
        Line::raw(""),
        Line::from(Span::styled(dialog.question.clone(), theme.title)),
        Line::from(Span::styled(dialog.detail.clone(), theme.text)),
        Line::raw(""),
        Line::from(vec![
            button("Cancel", Button::Cancel),
            Span::raw("   "),
            button(dialog.verb, Button::Confirm),
            Span::styled("   y/n", theme.dim),
        ])
        .centered(),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
