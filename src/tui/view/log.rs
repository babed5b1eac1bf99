//! The event log panel: follows new lines at the bottom, holds still when scrolled up.

use crate::domain::text::safe;
use crate::engine::Level;
use crate::tui::action::Action;
use crate::tui::keymap::{self, Scope};
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let position = if state.log_scroll == 0 {
        Span::styled(" following ", theme.dim)
    } else {
        let follow = keymap::key_for(Scope::Main, Action::LogDown, state.readonly)
            .map(|k| format!(" · {k} to follow"))
            .unwrap_or_default();
        Span::styled(
            format!(" ↑ {} newer{follow} ", state.log_scroll),
            theme.warn,
        )
    };
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(" Event log ", theme.title))
        .title(Line::from(position).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let height = usize::from(inner.height);
    let end = state.log.len().saturating_sub(state.log_scroll);
    let start = end.saturating_sub(height);
    let lines: Vec<Line> = state
        .log
        .range(start..end)
        .map(|entry| {
            let (mark, style) = match entry.level {
                Level::Info => ("·", theme.text),
                Level::Warn => ("⚠", theme.warn),
                Level::Error => ("✖", theme.error),
            };
            let at = entry.at;
            let mut spans = vec![
                Span::styled(
                    format!("{:02}:{:02}:{:02} ", at.hour(), at.minute(), at.second()),
                    theme.dim,
                ),
                Span::styled(format!("{mark} "), style),
            ];
            if let Some(name) = entry.destination.and_then(|id| state.destination_name(id)) {
                spans.push(Span::styled(format!("{}: ", safe(name)), theme.title));
            }
            spans.push(Span::styled(safe(&entry.text), style));
            Line::from(spans)
        })
        .collect();
    if lines.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("nothing yet", theme.dim)),
            inner,
        );
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}
