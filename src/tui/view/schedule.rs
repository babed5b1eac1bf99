//! The schedule form's popup: two time fields, how a time is typed (with this box's zone), and
//! the refusal of the last Enter, if any.

use super::overlay::popup;
use super::{centered, fit};
use crate::domain::when;
use crate::tui::schedule_form::{ScheduleField, ScheduleForm};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

const WIDTH: u16 = 64;
const LABEL: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect, f: &ScheduleForm, theme: &Theme) {
    let outer = centered(area, WIDTH, 12);
    frame.render_widget(Clear, outer);
    let title = format!("Schedule {}", fit(&f.name, 40));
    let block = popup(&title, theme);
    let inner = block.inner(outer);
    frame.render_widget(block, outer);
    let width = usize::from(inner.width);
    let value_width = width.saturating_sub(LABEL);
    let mut lines = Vec::new();
    let mut cursor = None;
    for (row, (field, label)) in [
        (ScheduleField::Start, "on air at"),
        (ScheduleField::Stop, "stop at"),
    ]
    .into_iter()
    .enumerate()
    {
        let focused = f.focus == field;
        let input = f.input(field);
        let value = fit(input.value(), value_width);
        if focused {
            let x = (LABEL + input.visual_cursor()).min(width.saturating_sub(1));
            cursor = Some((x, row));
        }
        let marker = if focused { "›" } else { " " };
        lines.push(Line::from(vec![
            Span::styled(
                format!("{marker}{label:<w$}", w = LABEL - 1),
                if focused { theme.key } else { theme.dim },
            ),
            Span::styled(
                format!("{value:<value_width$}"),
                if focused { theme.selected } else { theme.text },
            ),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        format!(
            "19:30 (next, local {}), +45m or RFC 3339; empty: none. StartChannel \
             goes out schedule_lead before the on-air time.",
            when::zone_label(when::local_offset())
        ),
        theme.dim,
    )));
    if let Some(error) = &f.error {
        lines.push(Line::from(Span::styled(format!("✖ {error}"), theme.error)));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
    if let Some((x, y)) = cursor {
        let x = inner.x.saturating_add(u16::try_from(x).unwrap_or(0));
        let y = inner.y.saturating_add(u16::try_from(y).unwrap_or(0));
        frame.set_cursor_position(Position::new(x, y));
    }
}
