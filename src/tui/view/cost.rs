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
            "now",
            format!("{} / h", money(s.per_hour, cur)),
            "at this minute's states, flow included",
            theme,
        ),
        pair(
            "session",
            money(s.session, cur),
            "since onair started, flow included",
            theme,
        ),
        pair(
            "month to date",
            money(s.month_to_date, cur),
            "flow since the 1st; older rows prorated",
            theme,
        ),
        pair(
            "projection",
            format!("{} / month", money(s.projection, cur)),
            &format!(
                "destinations scaled; flow {}/h all month",
                money(s.flow.per_hour, cur)
            ),
            theme,
        ),
        pair(
            "baseline",
            format!("{} / month", money(s.baseline, cur)),
            "the seed's always-on channels",
            theme,
        ),
        Line::from(Span::styled(
            format!("rates as of {} · {}", s.as_of, s.source),
            theme.dim,
        )),
    ];
    // One line per destination, the flow's, the header.
    let table_rows = s.lines.len() as u16 + 2;
    let height = table_rows + totals.len() as u16 + 5;
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
        Constraint::Length(table_rows),
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
    // The flow bills around the clock, usually the largest line: this month's share of it.
    let flow = Row::new(vec![
        Cell::from(fit(
            &format!("{} (this month)", s.flow.name),
            usize::from(name_width),
        )),
        Cell::from("24/7 flow"),
        right(money(s.flow.month_to_date, cur)),
        right(money(0.0, cur)),
        right(money(s.flow.month_to_date, cur)),
    ])
    .style(theme.dim);
    let rows = rows.chain(std::iter::once(flow));
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
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        table_area,
    );
    frame.render_widget(
        Paragraph::new(totals).wrap(Wrap { trim: true }),
        totals_area,
    );
}

fn pair<'a>(label: &str, value: String, note: &str, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<14}"), theme.dim),
        Span::styled(format!("{value:<16}"), theme.title),
        Span::styled(note.to_string(), theme.dim),
    ])
}
