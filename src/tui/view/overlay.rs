//! Pop-ups drawn over the main screen: help (from the key registry), the add/edit form and the
//! confirm dialog. Their keys are hinted on the status line, from the same registry.

use super::{centered, fit};
use crate::domain::text::safe;
use crate::domain::validate::Field;
use crate::tui::action::Action;
use crate::tui::confirm::{Button, Confirm};
use crate::tui::form::{AddForm, FIELDS};
use crate::tui::keymap::{self, Binding, Scope, Section};
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

/// Width of one column of the help.
const HELP_COLUMN: u16 = 36;
/// Columns at most: four hold every section at 160 columns.
const HELP_COLUMNS: u16 = 4;
/// Key labels are padded to at most this ("Tab/S-Tab"), so a text of 26 still fits a column.
const HELP_KEY_WIDTH: usize = 9;

/// One line of the help.
#[derive(Debug, Clone, Copy)]
enum HelpLine {
    Title(Section),
    /// A binding, its keys padded to the column's key width.
    Entry(&'static Binding, usize),
    Blank,
}

/// The help cut into columns for a `width`×`height` area: every mode's section, whole, the main
/// table's first; the columns about equally long. Also the box's size and how far it scrolls.
struct HelpLayout {
    columns: Vec<Vec<HelpLine>>,
    width: u16,
    height: u16,
    /// Lines of the body that show at once.
    body: usize,
    max_scroll: usize,
}

fn help_layout(width: u16, height: u16, readonly: bool) -> HelpLayout {
    let n = (width.saturating_sub(2) / (HELP_COLUMN + 2)).clamp(1, HELP_COLUMNS);
    let sections: Vec<Vec<HelpLine>> = Section::ALL
        .iter()
        .filter_map(|s| {
            let entries: Vec<&'static Binding> = keymap::help_entries(*s, readonly).collect();
            if entries.is_empty() {
                return None;
            }
            let mut lines = vec![HelpLine::Title(*s)];
            lines.extend(entries.into_iter().map(|b| HelpLine::Entry(b, 0)));
            lines.push(HelpLine::Blank);
            Some(lines)
        })
        .collect();
    let total: usize = sections.iter().map(Vec::len).sum();
    // Sections whole, in order, a new column once one would pass `target` lines.
    let pack = |target: usize| {
        let mut columns: Vec<Vec<HelpLine>> = vec![Vec::new()];
        for section in &sections {
            let full = columns
                .last()
                .is_some_and(|c| !c.is_empty() && c.len() + section.len() > target);
            if full && columns.len() < usize::from(n) {
                columns.push(Vec::new());
            }
            if let Some(column) = columns.last_mut() {
                column.extend(section.iter().copied());
            }
        }
        columns
    };
    let longest_of = |columns: &[Vec<HelpLine>]| columns.iter().map(Vec::len).max().unwrap_or(0);
    // About equally long columns; but where whole sections leave the last one too long for
    // the screen while filling each column to the screen's height would fit them all, that.
    let room = usize::from(height.saturating_sub(3));
    let mut columns = pack(total.div_ceil(usize::from(n)));
    if longest_of(&columns) > room {
        let filled = pack(room);
        if longest_of(&filled) <= room {
            columns = filled;
        }
    }
    for column in &mut columns {
        if matches!(column.last(), Some(HelpLine::Blank)) {
            column.pop();
        }
        // One key width per column keeps its texts aligned; the few longer key lists (Esc/q/
        // Enter) push their own text along rather than squeeze every other text.
        let widest = column
            .iter()
            .filter_map(|l| match l {
                HelpLine::Entry(b, _) => Some(keymap::keys_label(b).chars().count()),
                _ => None,
            })
            .max()
            .unwrap_or(0)
            .min(HELP_KEY_WIDTH);
        for line in column.iter_mut() {
            if let HelpLine::Entry(_, width) = line {
                *width = widest;
            }
        }
    }
    let longest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let box_width = (HELP_COLUMN + 2) * columns.len() as u16 + 2;
    // Borders and the legend line.
    let box_height = (longest as u16 + 3).min(height);
    let body = usize::from(box_height.saturating_sub(3));
    HelpLayout {
        columns,
        width: box_width.min(width),
        height: box_height,
        body,
        max_scroll: longest.saturating_sub(body),
    }
}

/// How far the help scrolls on a terminal of `screen` (columns, rows): the status line stays.
pub fn help_scroll_limit(screen: (u16, u16), readonly: bool) -> usize {
    help_layout(screen.0, screen.1.saturating_sub(1), readonly).max_scroll
}

/// Every mode's keys from the registry, a section per mode; scrolled `scroll` lines where the
/// terminal is too short for them all.
pub fn help(frame: &mut Frame, area: Rect, scroll: usize, state: &AppState, theme: &Theme) {
    let layout = help_layout(area.width, area.height, state.readonly);
    let scroll = scroll.min(layout.max_scroll);
    let line = |l: &HelpLine| match l {
        HelpLine::Title(s) => Line::from(Span::styled(s.heading(), theme.title)),
        HelpLine::Entry(b, width) => {
            let key_style = if b.dangerous { theme.danger } else { theme.key };
            Line::from(vec![
                Span::styled(format!("{:<width$} ", keymap::keys_label(b)), key_style),
                Span::styled(b.help, theme.text),
            ])
        }
        HelpLine::Blank => Line::raw(""),
    };
    let mut legend = if state.readonly {
        vec![Span::styled(
            "read-only: the keys that change AWS are off and not listed",
            theme.dim,
        )]
    } else {
        vec![
            Span::styled("red", theme.danger),
            Span::styled(" keys change AWS", theme.dim),
        ]
    };
    // Where it scrolls, say so with the registry's keys: more below, or back up.
    let more = [
        (Action::Down, scroll < layout.max_scroll),
        (Action::Up, scroll > 0),
    ];
    for (action, applies) in more {
        if let Some(b) = keymap::binding(Scope::Help, action).filter(|_| applies) {
            legend.push(Span::styled("   ", theme.dim));
            legend.push(Span::styled(keymap::keys_label(b), theme.key));
            legend.push(Span::styled(format!(" {}", b.help), theme.dim));
        }
    }

    let outer = centered(area, layout.width, layout.height);
    frame.render_widget(Clear, outer);
    let block = popup("Keys", theme);
    let inner = block.inner(outer);
    frame.render_widget(block, outer);
    let [body, footer] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let columns = Layout::horizontal(vec![Constraint::Fill(1); layout.columns.len()])
        .spacing(2)
        .split(body);
    for (lines, column_area) in layout.columns.iter().zip(columns.iter()) {
        let shown: Vec<Line> = lines
            .iter()
            .skip(scroll)
            .take(layout.body)
            .map(line)
            .collect();
        frame.render_widget(Paragraph::new(shown), *column_area);
    }
    frame.render_widget(Paragraph::new(Line::from(legend)), footer);
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
    // In production the form says where it will add, as the question after it does.
    let heading = match (&state.env_name, state.production) {
        (Some(env), true) => format!("{} · {env} · PRODUCTION", f.title()),
        _ => f.title().to_string(),
    };
    let block = popup(&heading, theme);
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
    // While the engine has it the keys do nothing (the status line offers none): say why.
    if f.submitted {
        let doing = if f.editing.is_some() {
            "saving…"
        } else {
            "adding…"
        };
        let footer = areas[areas.len() - 1];
        frame.render_widget(
            Paragraph::new(Span::styled(doing, theme.transitional)),
            footer,
        );
    }
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
        // The title names a production environment: it must not be cut.
        .max(dialog.title.chars().count() + 2)
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
        Line::from(Span::styled(safe(&dialog.question), theme.title)),
        Line::from(Span::styled(safe(&dialog.detail), theme.text)),
        Line::raw(""),
        Line::from(vec![
            button("Cancel", Button::Cancel),
            Span::raw("   "),
            button(dialog.verb, Button::Confirm),
        ])
        .centered(),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, Status};
    use crate::tui::keymap::BINDINGS;
    use crate::tui::state::Mode;
    use crate::tui::state::tests::{record, state_with};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn screen(state: &AppState, width: u16, height: u16) -> Vec<String> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|f| crate::tui::view::draw(f, state, &Theme::default_dark()))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..height)
            .map(|y| (0..width).map(|x| buffer[(x, y)].symbol()).collect())
            .collect()
    }

    /// Every line the help shows at `width`×`height`, scrolled through to its end.
    fn all_help_lines(readonly: bool, width: u16, height: u16) -> (Vec<String>, usize) {
        let mut state = state_with(vec![record("Main", Platform::Youtube, Status::Idle, 0)]);
        state.readonly = readonly;
        let most = help_scroll_limit((width, height), readonly);
        let mut lines = Vec::new();
        for scroll in 0..=most {
            state.mode = Mode::Help { scroll };
            lines.extend(screen(&state, width, height));
        }
        (lines, most)
    }

    /// A line with `keys`, then at least one space, then `help`.
    fn has_entry(lines: &[String], keys: &str, help: &str) -> bool {
        lines.iter().any(|line| {
            line.match_indices(keys).any(|(at, _)| {
                let rest = &line[at + keys.len()..];
                rest.starts_with(' ') && rest.trim_start().starts_with(help)
            })
        })
    }

    #[test]
    fn help_lists_every_binding_of_every_mode_under_its_section() {
        for (width, height) in [(160, 50), (120, 35), (80, 24)] {
            let (lines, most) = all_help_lines(false, width, height);
            for section in Section::ALL {
                assert!(
                    lines.iter().any(|l| l.contains(&section.heading())),
                    "{width}x{height}: no {}",
                    section.heading()
                );
            }
            for b in BINDINGS {
                assert!(
                    has_entry(&lines, &keymap::keys_label(b), b.help),
                    "{width}x{height}: {} {} missing",
                    keymap::keys_label(b),
                    b.help
                );
            }
            // Where it all fits nothing scrolls (and no scroll key is offered).
            let fits = width >= 120;
            assert_eq!(most == 0, fits, "{width}x{height}: scrolls {most}");
            let legend_offers_scrolling = lines
                .iter()
                .filter(|l| l.contains("keys change AWS"))
                .any(|l| l.contains("scroll down"));
            assert_eq!(legend_offers_scrolling, !fits, "{width}x{height}");
        }
    }

    #[test]
    fn read_only_help_lists_no_binding_that_changes_aws() {
        let (lines, _) = all_help_lines(true, 80, 24);
        for b in BINDINGS {
            let listed = has_entry(&lines, &keymap::keys_label(b), b.help);
            assert_eq!(listed, !b.dangerous, "{} {}", keymap::keys_label(b), b.help);
        }
        assert!(lines.iter().any(|l| l.contains("read-only")));
    }

    #[test]
    fn the_help_leaves_the_status_line_to_its_keys() {
        let mut state = state_with(vec![]);
        state.mode = Mode::Help { scroll: 0 };
        let lines = screen(&state, 80, 24);
        assert!(lines[23].contains("close"), "{}", lines[23]);
    }
}
