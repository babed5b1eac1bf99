//! The orphans view (`:gc`): AWS resources of this table that no item owns, flow outputs whose
//! input is gone, and records whose resources vanished — what a crash or a console change
//! leaves behind, and what still bills. Below them, what looks like onair's but belongs to
//! another table (or to no table): listed, never removed. Its keys are on the status line, from the registry.

use super::centered;
use crate::domain::text::safe;
use crate::tui::action::Action;
use crate::tui::keymap::{self, Scope};
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let mut lines: Vec<Line> = Vec::new();
    match &state.orphans {
        None => lines.push(Line::from(Span::styled("looking at AWS…", theme.dim))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(
            safe(&format!("gc failed: {e}")),
            theme.error,
        ))),
        Some(Ok(found)) if found.is_empty() => {
            lines.push(Line::from(Span::styled(
                "no orphans: every resource of this table belongs to a destination",
                theme.text,
            )));
            not_ours(&mut lines, found, theme);
        }
        Some(Ok(found)) => {
            for c in &found.channels {
                lines.push(Line::from(safe(&format!(
                    "channel  {}  {}  {}",
                    c.id,
                    c.name,
                    c.state.as_aws()
                ))));
            }
            for i in &found.inputs {
                lines.push(Line::from(safe(&format!(
                    "input    {}  {}  {}",
                    i.id,
                    i.name,
                    i.state.as_aws()
                ))));
            }
            for o in &found.flow_outputs {
                lines.push(Line::from(safe(&format!("output   {}", o.name))));
            }
            for g in &found.security_groups {
                lines.push(Line::from(safe(&format!(
                    "group    {}  {}",
                    g.id,
                    g.allowed_cidrs.join(", ")
                ))));
            }
            for a in &found.alarms {
                lines.push(Line::from(safe(&format!("alarm    {}", a.name))));
            }
            for (id, why) in &found.drifted {
                let name = state
                    .rows
                    .iter()
                    .find(|r| r.record.destination_id == *id)
                    .map(|r| r.record.name.clone())
                    .unwrap_or_else(|| id.short());
                // Deleting the row is the cure, where read-only allows it.
                let cure = keymap::key_for(Scope::Main, Action::Delete, state.readonly)
                    .map(|d| format!(" ({d} on its row removes it)"))
                    .unwrap_or_default();
                lines.push(Line::from(Span::styled(
                    safe(&format!("record   {name}: {why}{cure}")),
                    theme.warn,
                )));
            }
            not_ours(&mut lines, found, theme);
        }
    }
    let height = (lines.len() as u16 + 4).min(area.height);
    let outer = centered(area, 90, height);
    frame.render_widget(Clear, outer);
    let block = Block::bordered()
        .border_style(theme.title)
        .title(Span::styled(" Orphans ", theme.title))
        .padding(Padding::horizontal(1))
        .style(theme.text);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        outer,
    );
}

/// What looks like onair's but isn't this table's (another table's, an older onair's): listed so
/// nobody wonders, never removed.
fn not_ours<'a>(lines: &mut Vec<Line<'a>>, found: &crate::engine::Orphans, theme: &Theme) {
    if found.not_ours.is_empty() {
        return;
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "not ours, left alone (never removed):",
        theme.dim,
    )));
    for n in &found.not_ours {
        lines.push(Line::from(Span::styled(format!("  {n}"), theme.dim)));
    }
}
