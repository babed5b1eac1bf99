//! The top bar: product, context (account or demo, region, profile), READ-ONLY, flow, quotas,
//! money spent, and how fresh the data is — stale data says so.

use super::{age, money};
use crate::engine::cost::cost_so_far;
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let mut left = vec![
        Span::styled(" onair ", theme.brand),
        Span::styled(format!(" {}", state.context), theme.header),
    ];
    if state.readonly {
        left.push(Span::styled(" · READ-ONLY", theme.header.patch(theme.warn)));
    }

    // Right-hand pieces in reading order, each with a rank: when space runs out the
    // highest-ranked go first, so freshness and quotas survive at 80 columns.
    let mut right: Vec<(u8, Vec<Span>)> = Vec::new();
    if let Some(flow) = &state.flow {
        right.push((
            2,
            vec![Span::styled(
                format!("flow {}", crate::domain::for_terminal(&flow.name)),
                theme.header,
            )],
        ));
    }
    if let Some(q) = state.quotas {
        let style = |used: usize, allowed: usize| {
            if allowed > 0 && used >= allowed {
                theme.header.patch(theme.warn)
            } else {
                theme.header
            }
        };
        right.push((
            1,
            vec![
                Span::styled(
                    format!("channels {}/{}", q.channels_used, q.channels_allowed),
                    style(q.channels_used, q.channels_allowed),
                ),
                Span::styled("  ", theme.header),
                Span::styled(
                    format!("inputs {}/{}", q.inputs_used, q.inputs_allowed),
                    style(q.inputs_used, q.inputs_allowed),
                ),
            ],
        ));
    }
    let spent = state
        .rows
        .iter()
        .map(|r| cost_so_far(&r.record, &state.catalog, state.now).total())
        // Not `sum`: an empty f64 sum is -0.0, which would print as "$-0.00".
        .fold(0.0, |total, cost| total + cost);
    right.push((
        3,
        vec![Span::styled(
            format!("spent {}", money(spent, &state.catalog.pricing.currency)),
            theme.header,
        )],
    ));
    right.push((0, freshness(state, theme)));
    right.push((
        4,
        vec![Span::styled(format!("{} UTC", clock(state)), theme.header)],
    ));

    const SEP: &str = " │ ";
    let width = usize::from(area.width);
    let mut used: usize = left.iter().map(Span::width).sum::<usize>() + 2;
    let mut keep = vec![false; right.len()];
    let mut by_rank: Vec<usize> = (0..right.len()).collect();
    by_rank.sort_by_key(|i| right[*i].0);
    for i in by_rank {
        let w = right[i].1.iter().map(Span::width).sum::<usize>() + SEP.chars().count();
        if used + w <= width {
            used += w;
            keep[i] = true;
        }
    }
    let mut right_spans = Vec::new();
    for (_, piece) in right
        .into_iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(p))
    {
        if !right_spans.is_empty() {
            right_spans.push(Span::styled(SEP, theme.header.patch(theme.dim)));
        }
        right_spans.extend(piece);
    }
    right_spans.push(Span::styled(" ", theme.header));

    frame.render_widget(Paragraph::new(Line::from(left)).style(theme.header), area);
    frame.render_widget(
        Paragraph::new(Line::from(right_spans).right_aligned()).style(theme.header),
        area,
    );
}

fn freshness<'a>(state: &AppState, theme: &Theme) -> Vec<Span<'a>> {
    if state.refresh_error.is_some() {
        let text = match state.data_age() {
            Some(s) => format!("refresh failed · data {} old", age(s)),
            None => "load failed".to_string(),
        };
        return vec![Span::styled(text, theme.header.patch(theme.error))];
    }
    match state.data_age() {
        // The first answer hasn't come: say how long onair has been waiting for it (every AWS
        // call has a deadline, so this ends in data or in an error naming the endpoint).
        None => vec![Span::styled(
            format!(
                "waiting for AWS ({})",
                age((state.now - state.started_at).whole_seconds().max(0))
            ),
            theme.header.patch(theme.warn),
        )],
        // Older than two refresh intervals: the screen may no longer be the truth.
        Some(s) if state.is_stale() => vec![Span::styled(
            format!("stale · data {} old", age(s)),
            theme.header.patch(theme.warn),
        )],
        Some(s) => vec![Span::styled(format!("data {} ago", age(s)), theme.header)],
    }
}

fn clock(state: &AppState) -> String {
    let t = state.now;
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}
