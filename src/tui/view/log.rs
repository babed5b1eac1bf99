//! The event log: a panel under the table, or the whole screen between the header and the status
//! line. Follows new lines at the bottom, holds still when scrolled up, wraps long lines (an
//! error is read whole, never cut), and shows identical lines folded ("×40 since 21:14:03").

use crate::domain::text::safe;
use crate::engine::Level;
use crate::tui::action::Action;
use crate::tui::keymap::{self, Scope};
use crate::tui::state::{AppState, LogLine};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

/// "21:14:03 ⚠ ": what continuation lines are indented by.
const INDENT: usize = 11;

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
    let title = if state.log_full {
        " Event log (full screen) "
    } else {
        " Event log "
    };
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(title, theme.title))
        .title(Line::from(position).right_aligned());
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    let end = state.log.len().saturating_sub(state.log_scroll);
    // From the newest shown upwards, whole entries until the pane is full; the oldest of them
    // may show only its last lines.
    let mut lines: Vec<Line> = Vec::new();
    for entry in state.log.range(..end).rev() {
        if lines.len() >= height {
            break;
        }
        let mut wrapped = entry_lines(entry, state, theme, width);
        wrapped.extend(lines);
        lines = wrapped;
    }
    let skip = lines.len().saturating_sub(height);
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
    if lines.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("nothing yet", theme.dim)),
            inner,
        );
    } else {
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

fn entry_lines<'a>(
    entry: &LogLine,
    state: &AppState,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'a>> {
    let (mark, style) = match entry.level {
        Level::Info => ("·", theme.text),
        Level::Warn => ("⚠", theme.warn),
        Level::Error => ("✖", theme.error),
    };
    let at = entry.at;
    let mut first = vec![
        Span::styled(
            format!("{:02}:{:02}:{:02} ", at.hour(), at.minute(), at.second()),
            theme.dim,
        ),
        Span::styled(format!("{mark} "), style),
    ];
    let mut pieces: Vec<(String, Style)> = Vec::new();
    if let Some(name) = entry.destination.and_then(|id| state.log_name(id)) {
        pieces.push((format!("{}: ", safe(name)), theme.title));
    }
    pieces.push((safe(&entry.text), style));
    if entry.count > 1 {
        let f = entry.first;
        pieces.push((
            format!(
                " ×{} since {:02}:{:02}:{:02}",
                entry.count,
                f.hour(),
                f.minute(),
                f.second()
            ),
            theme.warn,
        ));
    }
    // Wrap the message (name, text, fold) by characters, preferring a break after a space.
    let room = width.saturating_sub(INDENT).max(1);
    let mut out = Vec::new();
    let mut current: Vec<Span<'a>> = Vec::new();
    let mut used = 0;
    for (text, style) in pieces {
        let mut rest: &str = &text;
        while !rest.is_empty() {
            let left = room - used;
            let count = rest.chars().count();
            let take = if count <= left {
                count
            } else {
                // Break at the last space within reach when the word it pushes down fits a
                // line of its own: a URL or an ARN is cut only when it is longer than a line.
                let cut: String = rest.chars().take(left).collect();
                let word = |from: usize| rest.chars().skip(from).take_while(|c| *c != ' ').count();
                match cut.rfind(' ') {
                    Some(i) if word(cut[..i].chars().count() + 1) <= room => {
                        cut[..i].chars().count() + 1
                    }
                    _ => left,
                }
            };
            let byte = rest.char_indices().nth(take).map_or(rest.len(), |(i, _)| i);
            current.push(Span::styled(rest[..byte].to_string(), style));
            used += take;
            rest = &rest[byte..];
            // Something of this piece is left: the line is full (to the width, or to the
            // space it broke at).
            if !rest.is_empty() {
                let spans = std::mem::take(&mut current);
                if out.is_empty() {
                    first.extend(spans);
                    out.push(Line::from(std::mem::take(&mut first)));
                } else {
                    let mut line = vec![Span::raw(" ".repeat(INDENT))];
                    line.extend(spans);
                    out.push(Line::from(line));
                }
                used = 0;
            }
        }
    }
    if out.is_empty() {
        first.extend(current);
        out.push(Line::from(first));
    } else if !current.is_empty() {
        let mut line = vec![Span::raw(" ".repeat(INDENT))];
        line.extend(current);
        out.push(Line::from(line));
    }
    out
}
