//! The top bar: product, context (account or demo, region, profile), READ-ONLY, what is on air
//! (live · failing · starting · burn rate), flow, quotas, money spent, and how fresh the data is
//! — a part that failed to refresh says which, since when and why.

use super::{age, fit, money};
use crate::engine::cost::cost_so_far;
use crate::tui::costs;
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let brand = Span::styled(" onair ", theme.brand);
    // A production environment is a word on the bar, so it reads the same without colour.
    let banner = state.production.then(|| {
        Span::styled(
            " PRODUCTION ",
            theme
                .header
                .patch(theme.error)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
        )
    });
    let mut context = format!(" {}", state.context);
    if state.readonly {
        context.push_str(" · READ-ONLY");
    }
    let context_style = if state.readonly {
        theme.header.patch(theme.warn)
    } else {
        theme.header
    };

    // Right-hand pieces in reading order, each with a rank and its forms from longest to
    // shortest: when space runs out a piece takes a shorter form, and the highest-ranked go
    // first, so what is on air and how fresh it is survive at 80 columns.
    let mut right: Vec<(u8, Vec<Vec<Span>>)> = vec![(0, on_air(state, theme))];
    if let Some(forms) = nearest_deadline(state, theme) {
        right.push((1, forms));
    }
    if let Some(flow) = &state.flow {
        right.push((
            3,
            vec![vec![Span::styled(
                format!("flow {}", crate::domain::for_terminal(&flow.name)),
                theme.header,
            )]],
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
            2,
            vec![vec![
                Span::styled(
                    format!("channels {}/{}", q.channels_used, q.channels_allowed),
                    style(q.channels_used, q.channels_allowed),
                ),
                Span::styled("  ", theme.header),
                Span::styled(
                    format!("inputs {}/{}", q.inputs_used, q.inputs_allowed),
                    style(q.inputs_used, q.inputs_allowed),
                ),
                // The allowed counts are the config's, not the account's: Service Quotas
                // couldn't be read (the log says why).
                Span::styled(
                    match state.quota_report.as_ref().map(|r| &r.source) {
                        Some(crate::engine::quotas::QuotaSource::Config { .. }) => " (config)",
                        _ => "",
                    },
                    theme.header.patch(theme.dim),
                ),
            ]],
        ));
    }
    let spent = state
        .rows
        .iter()
        .map(|r| cost_so_far(&r.record, &state.catalog, state.now).total())
        // Not `sum`: an empty f64 sum is -0.0, which would print as "$-0.00".
        .fold(0.0, |total, cost| total + cost);
    right.push((
        4,
        vec![vec![Span::styled(
            format!("spent {}", money(spent, &state.catalog.pricing.currency)),
            theme.header,
        )]],
    ));
    right.push((1, freshness(state, theme)));
    right.push((
        5,
        vec![vec![Span::styled(
            format!("{} UTC", clock(state)),
            theme.header,
        )]],
    ));

    const SEP: &str = " │ ";
    /// The context keeps at least this much before it is cut with an ellipsis.
    // Room for an environment's name and the account id: "show · 111122223333".
    const CONTEXT_MIN: usize = 22;
    let width = usize::from(area.width);
    // The on-air summary and freshness may cut the context (account, region) short; nothing
    // else may.
    let context_width = context.chars().count();
    let banner_width = banner.as_ref().map_or(0, Span::width);
    let mut used: usize = brand.width() + banner_width + 1;
    let mut chosen: Vec<Option<usize>> = vec![None; right.len()];
    let mut by_rank: Vec<usize> = (0..right.len()).collect();
    by_rank.sort_by_key(|i| right[*i].0);
    let reserve = |rank: u8| {
        if rank <= 1 {
            CONTEXT_MIN.min(context_width)
        } else {
            context_width
        }
    };
    let width_of =
        |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>() + SEP.chars().count();
    // First the pieces that must stay (rank 0 and 1: what is on air, how fresh the data is) in
    // their shortest forms, so that neither is dropped for the other's long form; then every
    // piece, by rank, takes the longest form that still fits.
    for &i in &by_rank {
        let (rank, forms) = (right[i].0, &right[i].1);
        if rank <= 1
            && let Some(shortest) = forms.last()
            && used + reserve(rank) + width_of(shortest) <= width
        {
            used += width_of(shortest);
            chosen[i] = Some(forms.len() - 1);
        }
    }
    for &i in &by_rank {
        let (rank, forms) = (right[i].0, &right[i].1);
        let now = chosen[i].map_or(0, |f| width_of(&forms[f]));
        let limit = chosen[i].unwrap_or(forms.len());
        if let Some(form) =
            (0..limit).find(|f| used - now + width_of(&forms[*f]) + reserve(rank) <= width)
        {
            used = used - now + width_of(&forms[form]);
            chosen[i] = Some(form);
        }
    }
    let mut right_spans = Vec::new();
    for ((_, mut forms), form) in right.into_iter().zip(chosen) {
        let Some(form) = form else { continue };
        if !right_spans.is_empty() {
            right_spans.push(Span::styled(SEP, theme.header.patch(theme.dim)));
        }
        right_spans.extend(forms.swap_remove(form));
    }
    right_spans.push(Span::styled(" ", theme.header));
    let right_width: usize = right_spans.iter().map(Span::width).sum();
    let room = width.saturating_sub(brand.width() + banner_width + right_width + 1);
    let mut left = vec![brand];
    left.extend(banner);
    left.push(Span::styled(fit(&context, room), context_style));

    frame.render_widget(Paragraph::new(Line::from(left)).style(theme.header), area);
    // Only over its own cells: a paragraph's style covers its whole area, and over the full bar
    // it reset the colours of the left side (the PRODUCTION banner lost its red).
    let right_width = u16::try_from(right_width)
        .unwrap_or(u16::MAX)
        .min(area.width);
    let right_area = Rect {
        x: area.right().saturating_sub(right_width),
        width: right_width,
        ..area
    };
    frame.render_widget(
        Paragraph::new(Line::from(right_spans).right_aligned()).style(theme.header),
        right_area,
    );
}

/// "live 3 · failing 1 · starting 1 · $4.21/h": failing and starting only when there are any
/// (the short form drops the words).
fn on_air<'a>(state: &AppState, theme: &Theme) -> Vec<Vec<Span<'a>>> {
    let o = costs::on_air(state);
    let rate = format!("{}/h", money(o.per_hour, &state.catalog.pricing.currency));
    let form = |long: bool| {
        let mut spans = vec![Span::styled(
            if long {
                format!("live {}", o.live)
            } else {
                format!("● {}", o.live)
            },
            if o.live > 0 {
                theme.header.patch(theme.running)
            } else {
                theme.header
            },
        )];
        let sep = || Span::styled(" · ", theme.header);
        if o.failing > 0 {
            spans.push(sep());
            spans.push(Span::styled(
                if long {
                    format!("failing {}", o.failing)
                } else {
                    format!("✖ {}", o.failing)
                },
                theme.header.patch(theme.error),
            ));
        }
        if o.starting > 0 {
            spans.push(sep());
            spans.push(Span::styled(
                if long {
                    format!("starting {}", o.starting)
                } else {
                    format!("◐ {}", o.starting)
                },
                theme.header.patch(theme.transitional),
            ));
        }
        spans.push(sep());
        spans.push(Span::styled(rate.clone(), theme.header));
        spans
    };
    vec![form(true), form(false)]
}

/// How fresh the data is, part by part: "channels stale 0:40 (ListChannels: throttled)" names
/// what is old, since when and why, rather than blaming the whole screen.
fn freshness<'a>(state: &AppState, theme: &Theme) -> Vec<Vec<Span<'a>>> {
    if !state.stale_parts.is_empty() {
        let long = state
            .stale_parts
            .iter()
            .map(|p| {
                let age = mmss((state.now - p.since).whole_seconds().max(0));
                format!("{} stale {age} ({})", p.part.label(), short_why(&p.why))
            })
            .collect::<Vec<_>>()
            .join(" · ");
        let short = state
            .stale_parts
            .iter()
            .map(|p| {
                let age = mmss((state.now - p.since).whole_seconds().max(0));
                format!("{} stale {age}", p.part.label())
            })
            .collect::<Vec<_>>()
            .join(" · ");
        let style = theme.header.patch(theme.error);
        return vec![
            vec![Span::styled(
                crate::domain::for_terminal(&long).into_owned(),
                style,
            )],
            vec![Span::styled(short, style)],
        ];
    }
    if state.refresh_error.is_some() {
        let text = match state.data_age() {
            Some(s) => format!("refresh failed · data {} old", age(s)),
            None => "load failed".to_string(),
        };
        return vec![vec![Span::styled(text, theme.header.patch(theme.error))]];
    }
    vec![match state.data_age() {
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
    }]
}

/// "ListChannels throttled" from "ListChannels: throttled: Rate exceeded": the call and the
/// kind, which is what the header has room for (the event log has the whole message).
fn short_why(why: &str) -> String {
    let mut parts = why.splitn(3, ": ");
    match (parts.next(), parts.next()) {
        (Some(call), Some(kind)) => format!("{call} {kind}"),
        _ => why.to_string(),
    }
}

/// 0:40, 12:05, 1:02:03
fn mmss(seconds: i64) -> String {
    let s = seconds.max(0);
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn clock(state: &AppState) -> String {
    let t = state.now;
    format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())
}

/// Within the last hour before a stop-by deadline: "⏱ stop-by 21:30 (in 12 min)", the nearest
/// one; its row says whose (a name here would make the bar the first line naming it).
fn nearest_deadline(state: &AppState, theme: &Theme) -> Option<Vec<Vec<Span<'static>>>> {
    use crate::domain::ScheduleKind;
    use crate::domain::when::{clock_time, local_offset};
    let hour = time::Duration::hours(1);
    let at = state
        .rows
        .iter()
        .filter_map(|r| {
            r.record
                .schedule(ScheduleKind::Deadline)
                .map(|d| d.fires_at)
        })
        .filter(|at| *at >= state.now && *at - state.now <= hour)
        .min()?;
    let minutes = (at - state.now).whole_minutes();
    let clock = clock_time(at, local_offset());
    let style = theme.header.patch(theme.warn);
    Some(vec![
        vec![Span::styled(
            format!("⏱ stop-by {clock} (in {minutes} min)"),
            style,
        )],
        vec![Span::styled(format!("⏱ {clock}"), style)],
    ])
}

#[cfg(test)]
mod tests {
    use crate::tui::theme::Theme;

    fn top_line(state: &crate::tui::state::AppState, width: u16) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, 24)).unwrap();
        terminal
            .draw(|f| crate::tui::view::draw(f, state, &Theme::monochrome()))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..width)
            .map(|x| buffer[(x, 0)].symbol().to_string())
            .collect()
    }

    #[test]
    fn a_production_environment_says_so_in_words_at_every_width() {
        let mut state = crate::tui::state::tests::state_with(vec![]);
        state.context = "show · 111122223333 (acme-show) · eu-west-1 · profile show".into();
        for width in [80, 160] {
            assert!(!top_line(&state, width).contains("PRODUCTION"));
        }
        state.production = true;
        for width in [80, 160] {
            let line = top_line(&state, width);
            assert!(line.contains(" PRODUCTION  show"), "{width}: {line}");
            // The account id survives the narrowest bar: it is what tells two profiles apart.
            assert!(line.contains("show · 111122223333"), "{width}: {line}");
            assert!(line.contains("data"), "and so does the data's age: {line}");
        }
    }

    #[test]
    fn the_nearest_deadline_shows_only_in_its_last_hour() {
        use crate::domain::{Platform, ScheduleKind, ScheduleRef, Status};
        use crate::tui::state::tests::{record, state_with};
        let mut r = record("Main", Platform::Youtube, Status::Running, 0);
        let now = r.created_at;
        r.schedules.push(ScheduleRef {
            name: "onair-x-deadline-1".into(),
            kind: ScheduleKind::Deadline,
            fires_at: now + std::time::Duration::from_secs(2 * 3600),
            on_air_at: None,
        });
        let mut state = state_with(vec![r]);
        state.now = now;
        assert!(!top_line(&state, 160).contains('⏱'), "two hours away");
        state.now = now + std::time::Duration::from_secs(3600 + 48 * 60);
        let line = top_line(&state, 160);
        assert!(
            line.contains("⏱ stop-by") && line.contains("(in 12 min)"),
            "{line}"
        );
    }
}
