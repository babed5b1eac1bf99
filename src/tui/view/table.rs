//! The destinations table. Columns have a fixed width and a rank; on a narrow terminal the
//! least useful columns go whole rather than every column being squeezed into nonsense.

use super::{fit, hms, mbps, money, spark_text};
use crate::domain::Status;
use crate::engine::IncidentPhase;
use crate::engine::cost::cost_so_far;
use crate::tui::action::Action;
use crate::tui::health::Health;
use crate::tui::keymap::{self, Scope};
use crate::tui::state::{AppState, Row};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Cell, Paragraph, Row as TableRow, Table, TableState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Mark,
    Name,
    Platform,
    Preset,
    State,
    Uptime,
    Output,
    Rate,
    Health,
    Cost,
}

impl Col {
    const ALL: [Col; 10] = [
        Col::Mark,
        Col::Name,
        Col::Platform,
        Col::Preset,
        Col::State,
        Col::Uptime,
        Col::Output,
        Col::Rate,
        Col::Health,
        Col::Cost,
    ];

    /// (title, width, rank): higher ranks are dropped first when space runs short.
    fn spec(self) -> (&'static str, u16, u8) {
        match self {
            Col::Mark => ("", 1, 0),
            Col::Name => ("NAME", NAME_MIN, 0),
            Col::Platform => ("PLATFORM", 8, 8),
            Col::Preset => ("PRESET", 7, 9),
            Col::State => ("STATE", 22, 0),
            Col::Uptime => ("UPTIME", 8, 6),
            Col::Output => ("OUTPUT", 12, 10),
            Col::Rate => ("Mb/s", 5, 7),
            // Health is what an operator looks for during a show: it outlives everything
            // but the name and state.
            Col::Health => ("HEALTH", 13, 4),
            Col::Cost => ("COST", 7, 5),
        }
    }

    fn right_aligned(self) -> bool {
        matches!(self, Col::Uptime | Col::Rate | Col::Cost)
    }
}

const NAME_MIN: u16 = 14;
const NAME_MAX: u16 = 24;
/// The STATE column grows to this on a wide terminal, so a step, its counter, its elapsed time
/// and AWS's usual duration are never cut ("◐ waiting for RUNNING 4/5 · 1:42, usually < 3 min").
const STATE_MAX: u16 = 52;

/// The columns that fit in `width`, with their widths: the name grows to NAME_MAX, the output
/// sparkline takes what is left.
/// `state_need`: the widest STATE text of the rows shown; the column grows to it (at most
/// STATE_MAX) before the sparkline takes the rest.
fn layout(width: u16, state_need: u16) -> Vec<(Col, u16)> {
    let mut cols: Vec<Col> = Col::ALL.to_vec();
    let total = |cols: &[Col]| -> u16 {
        cols.iter().map(|c| c.spec().1).sum::<u16>() + cols.len().saturating_sub(1) as u16
    };
    while total(&cols) > width {
        let Some(drop) = cols.iter().copied().max_by_key(|c| c.spec().2) else {
            break;
        };
        if drop.spec().2 == 0 {
            break;
        }
        cols.retain(|c| *c != drop);
    }
    let mut spare = width.saturating_sub(total(&cols));
    let mut out: Vec<(Col, u16)> = cols.iter().map(|c| (*c, c.spec().1)).collect();
    for (col, w) in &mut out {
        if *col == Col::Name {
            let grow = spare.min(NAME_MAX - NAME_MIN);
            *w += grow;
            spare -= grow;
        }
    }
    for (col, w) in &mut out {
        if *col == Col::State {
            let grow = spare.min(state_need.clamp(col.spec().1, STATE_MAX) - col.spec().1);
            *w += grow;
            spare -= grow;
        }
    }
    for (col, w) in &mut out {
        if *col == Col::Output {
            *w += spare;
            spare = 0;
        }
    }
    out
}

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let visible = state.visible();
    let mut title = vec![Span::styled(" Destinations ", theme.title)];
    let counts = if visible.len() == state.rows.len() {
        format!("{} ", state.rows.len())
    } else {
        format!("{} of {} ", visible.len(), state.rows.len())
    };
    title.push(Span::styled(counts, theme.dim));
    if !state.unreadable.is_empty() {
        title.push(Span::styled(
            format!("· {} unreadable ", state.unreadable.len()),
            theme.warn,
        ));
    }
    if !state.marked.is_empty() {
        title.push(Span::styled(
            format!("· {} marked ", state.marked.len()),
            theme.marked,
        ));
    }
    if !state.filter.value().is_empty() {
        title.push(Span::styled(
            format!("· /{} ", state.filter.value()),
            theme.warn,
        ));
    }
    let mut block = Block::bordered()
        .border_style(theme.border)
        .title(Line::from(title));
    if let Some(problem) = problem_line(state, theme, area.width.saturating_sub(4)) {
        block = block.title_bottom(problem);
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if visible.is_empty() && state.unreadable.is_empty() {
        // Key names from the registry; in read-only there is no key to add one.
        let key = |action| keymap::key_for(Scope::Main, action, state.readonly);
        let hint = if state.rows.is_empty() {
            match key(Action::Add) {
                Some(a) => format!("No destinations yet — press {a} to add one"),
                None => "No destinations yet".to_string(),
            }
        } else {
            let clear = key(Action::Close)
                .map(|esc| format!(" — {esc} clears the filter"))
                .unwrap_or_default();
            format!("No destination matches /{}{clear}", state.filter.value())
        };
        let y = inner.y + inner.height.saturating_sub(1) / 2;
        let line = Rect {
            y,
            height: 1,
            ..inner
        };
        frame.render_widget(
            Paragraph::new(Span::styled(hint, theme.dim)).alignment(Alignment::Center),
            line,
        );
        return;
    }

    // Each row's health once per frame: the STATE column's width and the rows both need it.
    let healths: Vec<Health> = visible.iter().map(|row| state.health(row)).collect();
    // Only a step's text, or a schedule's, is longer than the column's 22 ("● running",
    // "✖ error" are not).
    let state_need = visible
        .iter()
        .zip(&healths)
        .filter(|(row, _)| {
            row.progress.is_some()
                || row.incident.is_some()
                || !row.record.schedules.is_empty()
                || row.record.deadline_stopped_at.is_some()
        })
        .map(|(row, health)| {
            let (text, _) = state_text(row, health, state.now, usize::from(STATE_MAX), theme);
            u16::try_from(text.chars().count()).unwrap_or(STATE_MAX)
        })
        .max()
        .unwrap_or(0);
    let cols = layout(inner.width, state_need);
    let header = TableRow::new(
        cols.iter()
            .map(|(col, _)| aligned(Span::styled(col.spec().0, theme.table_header), *col)),
    );
    let stale = state.is_stale();
    let rows = visible.iter().zip(healths).map(|(row, health)| {
        let cells = cols
            .iter()
            .map(|(col, w)| aligned(cell(*col, *w, row, &health, state, theme), *col));
        // A failing row is red from end to end, so it is seen from across the room; stale data
        // is dimmed so nobody trusts it as live.
        let style = if health.is_alarm() {
            theme.error
        } else if stale {
            theme.dim
        } else {
            Style::default()
        };
        TableRow::new(cells).style(style)
    });
    // Under the rows and never selectable: the selection's index counts readable rows only.
    let unreadable = state.unreadable.iter().map(|u| {
        let cells = cols
            .iter()
            .map(|(col, w)| aligned(unreadable_cell(*col, *w, u, theme), *col));
        TableRow::new(cells).style(theme.warn)
    });
    let rows = rows.chain(unreadable);
    let table = Table::new(rows, cols.iter().map(|(_, w)| Constraint::Length(*w)))
        .header(header)
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut table_state = TableState::default().with_selected(state.selected_index());
    frame.render_stateful_widget(table, inner, &mut table_state);
}

fn aligned(span: Span<'static>, col: Col) -> Cell<'static> {
    let text = if col.right_aligned() {
        Text::from(Line::from(span).right_aligned())
    } else {
        Text::from(Line::from(span))
    };
    Cell::from(text)
}

fn cell(
    col: Col,
    width: u16,
    row: &Row,
    health: &Health,
    state: &AppState,
    theme: &Theme,
) -> Span<'static> {
    let r = &row.record;
    let w = usize::from(width);
    match col {
        Col::Mark => {
            // Not "●", the running glyph: a mark is a tick.
            if state.marked.contains(&row.id()) {
                Span::styled("✓", theme.marked)
            } else {
                Span::raw(" ")
            }
        }
        // A failing row names itself in the alarm style too (bold and underlined without
        // colour), not only in its HEALTH cell.
        Col::Name if health.is_alarm() => Span::styled(fit(&r.name, w), theme.error),
        Col::Name => Span::styled(fit(&r.name, w), theme.text),
        Col::Platform => Span::styled(r.platform.label(), theme.text),
        Col::Preset => Span::styled(fit(&r.preset, w), theme.dim),
        Col::State => {
            let (text, style) = state_text(row, health, state.now, w, theme);
            Span::styled(fit(&text, w), style)
        }
        Col::Uptime => match r.uptime(state.now) {
            Some(s) if r.status.is_live() => Span::styled(hms(s), theme.text),
            _ => Span::styled("—", theme.dim),
        },
        // Figures of a run under way only: a stopped, erroring or restarting row's last run is in
        // the details view, marked as past.
        Col::Output if !row.sends() => Span::raw(""),
        Col::Output => {
            let max = state
                .catalog
                .get(&r.preset)
                .map(|p| f64::from(p.total_bitrate()) * 1.25)
                .unwrap_or(0.0);
            let samples = row.bitrate.newest(w);
            let peak = samples.iter().flatten().copied().fold(max, f64::max);
            let style = if health.is_alarm() {
                theme.error
            } else {
                theme.spark
            };
            Span::styled(spark_text(&samples, w, peak), style)
        }
        Col::Rate if !row.sends() => Span::styled("—", theme.dim),
        Col::Rate => match row.bitrate.current() {
            Some(bps) => Span::styled(mbps(bps), theme.text),
            // Running, and no datapoint at the last refresh: not known, not zero.
            None => Span::styled("?", theme.dim),
        },
        Col::Health => health_cell(health, theme),
        Col::Cost => {
            let cost = cost_so_far(r, &state.catalog, state.now).total();
            let style = if cost > 0.0 { theme.text } else { theme.dim };
            Span::styled(money(cost, &state.catalog.pricing.currency), style)
        }
    }
}

/// A cell of an item onair can't read: its name (or id), "unreadable" and the attribute; what
/// it would cost or send is unknown, and shown as such.
fn unreadable_cell(
    col: Col,
    width: u16,
    u: &crate::domain::UnreadableRecord,
    theme: &Theme,
) -> Span<'static> {
    let w = usize::from(width);
    match col {
        Col::Mark => Span::styled("!", theme.warn),
        Col::Name => Span::styled(fit(&unreadable_label(u), w), theme.warn),
        Col::Platform | Col::Preset => Span::styled("?", theme.dim),
        Col::State => Span::styled(fit("⚠ unreadable", w), theme.warn),
        Col::Health => Span::styled(fit(&format!("? {}", u.attribute), w), theme.warn),
        Col::Uptime | Col::Rate | Col::Cost => Span::styled("—", theme.dim),
        Col::Output => Span::raw(""),
    }
}

/// An unreadable item's name, else its id.
fn unreadable_label(u: &crate::domain::UnreadableRecord) -> String {
    u.name
        .clone()
        .or_else(|| u.id.clone())
        .unwrap_or_else(|| "?".to_string())
}

/// "● running", "◐ creating channel 3/5 · 0:04", "✖ error": the in-flight step wins over the
/// record; an incident says how long the destination has been off air and what onair is doing;
/// a running row whose health is an alarm says so in its glyph and style ("✖ running").
fn state_text(
    row: &Row,
    health: &Health,
    now: time::OffsetDateTime,
    width: usize,
    theme: &Theme,
) -> (String, Style) {
    if let Some(i) = &row.incident {
        let ago = crate::engine::incident::elapsed(now - i.since);
        return match &i.phase {
            IncidentPhase::Restarting | IncidentPhase::Waiting { .. } if i.attempts > 0 => (
                format!("◐ recovering {}/{} {ago}", i.attempts, i.of),
                theme.transitional,
            ),
            _ => (format!("✖ dropped {ago} ago"), theme.error),
        };
    }
    if let Some(p) = &row.progress {
        return step_text(p, row.progress_since.map(|t| now - t), width, theme);
    }
    if let Some(op) = row.requested {
        return (format!("◐ {} requested", op.verb()), theme.transitional);
    }
    let status = row.record.status;
    if health.is_alarm() {
        return (format!("✖ {status}"), theme.error);
    }
    let icon = match status {
        Status::Running => "●",
        Status::Idle => "○",
        Status::Error => "✖",
        Status::Parked => "◇",
        Status::Creating | Status::Starting | Status::Stopping | Status::Deleting => "◐",
    };
    let plain = format!("{icon} {status}");
    // What is scheduled (or what stopped it), in the longest form the column has room for.
    let text = schedule_note(&row.record)
        .into_iter()
        .flatten()
        .map(|note| format!("{plain} · {note}"))
        .find(|t| t.chars().count() <= width)
        .unwrap_or(plain);
    (text, theme.status(status))
}

/// "on air at 19:30 (starts 19:20)" / "on air 19:30", "stops at 22:30" / "stop 22:30",
/// "stop-by 07:30", "stopped by deadline 22:30" / "deadline stop": the one that matters next,
/// long form then short, in the control box's local time.
fn schedule_note(r: &crate::domain::Destination) -> Option<[String; 2]> {
    use crate::domain::ScheduleKind;
    use crate::domain::when::{clock_time, local_offset};
    let offset = local_offset();
    let at = |t| clock_time(t, offset);
    if let Some(s) = r.schedule(ScheduleKind::Start) {
        let on_air = s.on_air_at.unwrap_or(s.fires_at);
        return Some([
            format!("on air at {} (starts {})", at(on_air), at(s.fires_at)),
            format!("on air {}", at(on_air)),
        ]);
    }
    if let Some(s) = r.schedule(ScheduleKind::Stop) {
        return Some([
            format!("stops at {}", at(s.fires_at)),
            format!("stop {}", at(s.fires_at)),
        ]);
    }
    if let Some(s) = r.schedule(ScheduleKind::Deadline) {
        return Some([
            format!("stop-by {}", at(s.fires_at)),
            format!("⏱{}", at(s.fires_at)),
        ]);
    }
    r.deadline_stopped_at
        .filter(|_| r.status != Status::Running)
        .map(|t| {
            [
                format!("stopped by deadline {}", at(t)),
                "deadline stop".to_string(),
            ]
        })
}

/// MediaLive's own figure for a start: "most channels start in 3 minutes or less" (up to 10 is
/// still normal), so a wait for RUNNING says how it compares.
const USUAL_START: std::time::Duration = std::time::Duration::from_secs(180);

/// The step with its counter and elapsed time, in the longest form that fits `width`:
/// "◐ waiting for RUNNING 4/5 · 1:42, usually < 3 min", "◐ waiting for RUNNING 4/5 · 1:42",
/// "◐ start 4/5 · 1:42". Past the usual duration it turns to the warning style.
fn step_text(
    p: &crate::engine::Progress,
    elapsed: Option<time::Duration>,
    width: usize,
    theme: &Theme,
) -> (String, Style) {
    let secs = elapsed.map(|e| e.whole_seconds().max(0) as u64);
    let clock = secs
        .map(|s| format!(" · {}:{:02}", s / 60, s % 60))
        .unwrap_or_default();
    let waits_for_running = p.op == crate::engine::OpKind::Start
        && p.label == crate::engine::plan::Step::AwaitRunning.label();
    let late = waits_for_running && secs.is_some_and(|s| s >= USUAL_START.as_secs());
    let style = if late { theme.warn } else { theme.transitional };
    let usual = if waits_for_running && secs.is_some() {
        format!(", usually < {} min", USUAL_START.as_secs() / 60)
    } else {
        String::new()
    };
    let forms = [
        format!("◐ {} {}/{}{clock}{usual}", p.label, p.step, p.of),
        format!("◐ {} {}/{}{clock}", p.label, p.step, p.of),
        format!("◐ {} {}/{}{clock}", p.op.verb(), p.step, p.of),
    ];
    let text = forms
        .iter()
        .find(|f| f.chars().count() <= width)
        .unwrap_or(&forms[2])
        .clone();
    (text, style)
}

fn health_cell(health: &Health, theme: &Theme) -> Span<'static> {
    let (mark, style) = match health {
        Health::NotRunning => ("", theme.dim),
        Health::Ok => ("✔ ", theme.running),
        // Not verdicts: dim, with a question mark and how old the newest datapoint is.
        Health::Settling => ("… ", theme.dim),
        Health::Unknown(age) => {
            let text = match age {
                Some(s) => format!(
                    "? no data {}",
                    super::age(i64::try_from(*s).unwrap_or(i64::MAX))
                ),
                None => "? no data".to_string(),
            };
            return Span::styled(text, theme.dim);
        }
        Health::Degraded(_) => ("⚠ ", theme.warn),
        Health::Failing(_) | Health::SourceLost => ("✖ ", theme.error),
    };
    Span::styled(format!("{mark}{}", health.label()), style)
}

/// Under the table: the selected row's last error, else the first row in error, so a problem
/// is on screen without opening anything.
fn problem_line(state: &AppState, theme: &Theme, width: u16) -> Option<Line<'static>> {
    let selected = state.selected_id().and_then(|id| state.row(id));
    // An incident first: it is what the operator must see during a show.
    if let Some((row, i)) = selected
        .and_then(|r| r.incident.as_ref().map(|i| (r, i)))
        .or_else(|| {
            state
                .rows
                .iter()
                .find_map(|r| r.incident.as_ref().map(|i| (r, i)))
        })
    {
        let doing = match &i.phase {
            IncidentPhase::Waiting { .. } if i.attempts == 0 => "restarting".to_string(),
            IncidentPhase::Waiting { .. } => format!("restart {}/{} next", i.attempts + 1, i.of),
            IncidentPhase::Restarting => format!("restart {}/{} under way", i.attempts, i.of),
            IncidentPhase::Held(why) | IncidentPhase::GaveUp(why) => why.clone(),
        };
        // What onair does (or what to do) first: at 80 columns the reason is what gets cut.
        let text = format!(" ✖ {}: {doing} · dropped — {} ", row.record.name, i.reason);
        return Some(Line::from(Span::styled(
            fit(&text, usize::from(width)),
            theme.error,
        )));
    }
    let with_error = |r: &&Row| r.record.last_error.is_some() && r.record.status == Status::Error;
    let row = selected
        .filter(with_error)
        .or_else(|| state.rows.iter().find(with_error));
    let Some(row) = row else {
        // No row in error: an item that can't be read says which attribute, why, and that it
        // is left alone.
        let u = state.unreadable.first()?;
        let more = match state.unreadable.len() {
            1 => String::new(),
            n => format!(" · {} more", n - 1),
        };
        let text = format!(
            " ⚠ {}: {} {} · left alone{more} · `onair rm --force` removes the item ",
            unreadable_label(u),
            u.attribute,
            u.reason
        );
        return Some(Line::from(Span::styled(
            fit(&text, usize::from(width)),
            theme.warn,
        )));
    };
    let message = row.record.last_error.as_deref().unwrap_or_default();
    let text = format!(" ✖ {}: {} ", row.record.name, message);
    let width = usize::from(width);
    // Cut, and the row is the selected one: say which key reads it whole.
    let whole = keymap::key_for(Scope::Main, Action::Details, state.readonly)
        .map(|k| format!("· {k} reads it whole "))
        .filter(|_| state.selected_id() == Some(row.id()))
        .filter(|_| crate::domain::for_terminal(&text).chars().count() > width);
    let Some(whole) = whole else {
        return Some(Line::from(Span::styled(fit(&text, width), theme.error)));
    };
    let room = width.saturating_sub(whole.chars().count());
    Some(Line::from(vec![
        Span::styled(fit(&text, room), theme.error),
        Span::styled(whole, theme.dim),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(width: u16) -> Vec<Col> {
        layout(width, 0).into_iter().map(|(c, _)| c).collect()
    }

    fn screen(state: &AppState) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        terminal
            .draw(|f| crate::tui::view::draw(f, state, &Theme::default_dark()))
            .unwrap();
        format!("{:?}", terminal.backend().buffer())
    }

    #[test]
    fn the_empty_table_names_the_add_key_only_where_it_works() {
        let mut state = crate::tui::state::tests::state_with(vec![]);
        assert!(screen(&state).contains("No destinations yet — press a to add one"));
        state.readonly = true;
        let shown = screen(&state);
        assert!(shown.contains("No destinations yet"), "{shown}");
        assert!(!shown.contains("press a"), "{shown}");
    }

    #[test]
    fn wide_terminals_show_every_column() {
        assert_eq!(names(118), Col::ALL.to_vec());
        let total: u16 = layout(118, 0).iter().map(|(_, w)| *w + 1).sum::<u16>() - 1;
        assert_eq!(total, 118);
    }

    #[test]
    fn at_80_columns_the_sparkline_preset_and_platform_go_first_health_stays() {
        let cols = names(78);
        for gone in [Col::Output, Col::Platform, Col::Preset] {
            assert!(!cols.contains(&gone), "{gone:?}");
        }
        for kept in [
            Col::Name,
            Col::Health,
            Col::State,
            Col::Uptime,
            Col::Rate,
            Col::Cost,
        ] {
            assert!(cols.contains(&kept), "{kept:?}");
        }
    }

    #[test]
    fn at_200_columns_the_state_column_holds_a_whole_step_with_its_time() {
        let w = layout(198, 60)
            .into_iter()
            .find(|(c, _)| *c == Col::State)
            .map(|(_, w)| w);
        assert_eq!(w, Some(STATE_MAX));
        let long = "◐ waiting for RUNNING 4/5 · 12:42, usually < 3 min";
        assert!(long.chars().count() <= usize::from(STATE_MAX), "{long}");
    }

    #[test]
    fn a_step_shows_its_counter_and_elapsed_time_in_the_form_that_fits() {
        let theme = Theme::default_dark();
        let p = crate::engine::Progress {
            op: crate::engine::OpKind::Start,
            step: 4,
            of: 5,
            label: crate::engine::plan::Step::AwaitRunning.label().into(),
        };
        let at = |s| Some(time::Duration::seconds(s));
        let (wide, style) = step_text(&p, at(102), 52, &theme);
        assert_eq!(wide, "◐ waiting for RUNNING 4/5 · 1:42, usually < 3 min");
        assert_eq!(style, theme.transitional);
        assert_eq!(step_text(&p, at(102), 22, &theme).0, "◐ start 4/5 · 1:42");
        assert_eq!(step_text(&p, at(240), 52, &theme).1, theme.warn);
    }

    #[test]
    fn never_drops_name_or_state() {
        let cols = names(20);
        assert!(cols.contains(&Col::Name) && cols.contains(&Col::State));
    }

    #[test]
    fn an_incident_flashes_once_rings_once_and_the_row_says_recovering_and_since_when() {
        use crate::engine::{EngineEvent, Incident};
        use crate::tui::state::tests::{T0, record, state_with};
        let r = record(
            "YT Main",
            crate::domain::Platform::Youtube,
            crate::domain::Status::Idle,
            0,
        );
        let id = r.destination_id;
        let mut state = state_with(vec![r]);
        state.now = T0 + std::time::Duration::from_secs(42);
        let mut incident = Incident {
            since: T0,
            reason: "RTMP retries exhausted (no active output)".into(),
            attempts: 0,
            of: 3,
            refused_at_once: 0,
            phase: IncidentPhase::Waiting { until: T0 },
        };
        state.apply(EngineEvent::Incident(id, Some(incident.clone())));
        assert_eq!(state.alerts, 1);
        let shown = screen(&state);
        assert!(shown.contains("dropped 0:42 ago"), "{shown}");
        assert!(
            shown.contains("YT Main: restarting · dropped — RTMP retries"),
            "{shown}"
        );
        incident.attempts = 2;
        incident.phase = IncidentPhase::Restarting;
        state.apply(EngineEvent::Incident(id, Some(incident)));
        assert_eq!(state.alerts, 1, "one bell per incident");
        let shown = screen(&state);
        assert!(shown.contains("recovering 2/3"), "{shown}");
        state.apply(EngineEvent::Incident(id, None));
        let shown = screen(&state);
        assert!(
            !shown.contains("recovering") && !shown.contains("dropped —"),
            "{shown}"
        );
    }

    #[test]
    fn a_scheduled_row_says_when_it_goes_on_air_and_a_deadline_stop_says_so() {
        use crate::domain::{Platform, ScheduleKind, ScheduleRef};
        use crate::tui::state::tests::{record, state_with};
        let mut r = record("Main", Platform::Youtube, Status::Idle, 0);
        let now = r.created_at;
        r.schedules.push(ScheduleRef {
            name: "onair-x-start-1".into(),
            kind: ScheduleKind::Start,
            fires_at: now + std::time::Duration::from_secs(3000),
            on_air_at: Some(now + std::time::Duration::from_secs(3600)),
        });
        let mut stopped = record("Other", Platform::Twitch, Status::Idle, 1);
        stopped.deadline_stopped_at = Some(now);
        let s = state_with(vec![r, stopped]);
        let text = screen(&s);
        let on_air = crate::domain::when::clock_time(
            now + std::time::Duration::from_secs(3600),
            crate::domain::when::local_offset(),
        );
        // 80 columns: the short form.
        assert!(
            text.contains(&format!("○ idle · on air {on_air}")),
            "{text}"
        );
        assert!(text.contains("○ idle · deadline stop"), "{text}");
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 24)).unwrap();
        terminal
            .draw(|f| crate::tui::view::draw(f, &s, &Theme::default_dark()))
            .unwrap();
        let text = format!("{:?}", terminal.backend().buffer());
        let (on_air, starts) = (
            crate::domain::when::clock_time(
                now + std::time::Duration::from_secs(3600),
                crate::domain::when::local_offset(),
            ),
            crate::domain::when::clock_time(
                now + std::time::Duration::from_secs(3000),
                crate::domain::when::local_offset(),
            ),
        );
        assert!(
            text.contains(&format!("on air at {on_air} (starts {starts})")),
            "{text}"
        );
        assert!(text.contains("stopped by deadline"), "{text}");
    }
}
