//! The cost panel (`c`): per destination what running and idling have cost, the session and
//! month totals, a projection for the month beside the seed's always-on baseline, and where the
//! rates come from — rates are data in `presets.toml`, so their date is always shown.

use super::{centered, fit, money};
use crate::tui::costs::summarize;
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Padding, Paragraph, Row, Table, Wrap};

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let s = summarize(state);
    let cur = s.currency.as_str();
    let totals = vec![
        pair(
            "session",
            money(s.session, cur),
            "since onair started",
            theme,
        ),
        pair(
            "month to date",
            money(s.month_to_date, cur),
            "older destinations prorated",
            theme,
        ),
        pair(
            "projection",
            format!("{} / month", money(s.projection, cur)),
            &format!("vs {} / month always on", money(s.baseline, cur)),
            theme,
        ),
        Line::from(Span::styled(
            format!("rates as of {} · {}", s.as_of, s.source),
            theme.dim,
        )),
    ];
    let height = (s.lines.len().max(1) as u16 + 1) + totals.len() as u16 + 6;
    let outer = centered(area, 78, height);
    frame.render_widget(Clear, outer);
    let block = Block::bordered()
        .border_style(theme.title)
        .title(Span::styled(" Cost ", theme.title))
        .padding(Padding::horizontal(1))
        .style(theme.text);
    let inner = block.inner(outer);
    frame.render_widget(block, outer);
    let [table_area, _, totals_area] = Layout::vertical([
        Constraint::Length(s.lines.len().max(1) as u16 + 1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);

    let name_width = inner.width.saturating_sub(9 + 3 * 10 + 4).max(8);
    let right = |text: String| Cell::from(Line::from(text).right_aligned());
    let rows = s.lines.iter().map(|l| {
        Row::new(vec![
            Cell::from(fit(&l.name, usize::from(name_width))),
            Cell::from(l.platform),
            right(money(l.running, cur)),
            right(money(l.idle, cur)),
            right(money(l.running + l.idle, cur)),
        ])
    });
    let header = Row::new(
        ["DESTINATION", "PLATFORM", "RUNNING", "IDLE", "TOTAL"]
            .into_iter()
            .enumerate()
            .map(|(i, h)| {
                let line = Line::from(h);
                Cell::from(if i >= 2 { line.right_aligned() } else { line })
            }),
    )
    .style(theme.table_header);
    let widths = [
        Constraint::Length(name_width),
        Constraint::Length(9),
        Constraint::Length(10),
        Constraint::Length(10),
        Constraint::Length(10),
    ];
    if s.lines.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "no destinations: nothing is billed",
                theme.dim,
            )),
            table_area,
        );
    } else {
        frame.render_widget(
            Table::new(rows, widths).header(header).column_spacing(1),
            table_area,
        );
    }
    frame.render_widget(
        Paragraph::new(totals).wrap(Wrap { trim: true }),
        totals_area,
    );
}

fn pair<'a>(label: &str, value: String, note: &str, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<14}"), theme.dim),
        Span::styled(format!("{value:<18}"), theme.title),
        Span::styled(note.to_string(), theme.dim),
    ])
}
