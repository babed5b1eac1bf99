//! The details view of one destination: every record field (the key masked unless `v` revealed
//! it for a few seconds), the AWS ids, ARNs and console URLs as plain text to copy, the last
//! error, this destination's recent events, a chart of the bitrate history kept and a preview of
//! the running channel's picture.

use super::thumbnail::HalfBlocks;
use super::{fit, hms, money, when};
use crate::domain::text::safe;
use crate::domain::{Destination, Status};
use crate::engine::Level;
use crate::engine::cost::cost_so_far;
use crate::tui::action::Action;
use crate::tui::keymap::{self, Scope};
use crate::tui::preview::Preview;
use crate::tui::state::{AppState, Details, Row};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Clear, Dataset, GraphType, Paragraph, Widget, Wrap};

const LABEL: usize = 14;

pub fn draw(frame: &mut Frame, area: Rect, details: &Details, state: &AppState, theme: &Theme) {
    let Some(row) = state.row(details.id) else {
        return;
    };
    frame.render_widget(Clear, area);
    let title = format!(
        " {} · {} ",
        safe(&row.record.name),
        row.record.platform.label()
    );
    let mut block = Block::bordered()
        .border_style(theme.title)
        .title(Span::styled(title, theme.title))
        .style(theme.text);
    let inner = block.inner(area);
    let wide = inner.width >= 120;
    let fields_width = if wide {
        // The left column of the side-by-side layout (55 %, less the gap).
        (inner.width.saturating_sub(1)) * 55 / 100
    } else {
        inner.width
    };
    let lines = field_lines(row, details, state, theme, fields_width);
    let content = content_height(lines.len(), wide);
    let most = content.saturating_sub(inner.height);
    let scroll = details.scroll.min(most);
    // Taller than the screen: say where the rest is and which keys reach it.
    if most > 0 {
        let keys = [Action::Down, Action::Up]
            .map(|a| keymap::key_for(Scope::Details, a, state.readonly).unwrap_or_default());
        let text = format!(" {}/{} · {} {} scroll ", scroll, most, keys[0], keys[1]);
        block = block.title_bottom(Line::from(Span::styled(text, theme.dim)).right_aligned());
    }
    frame.render_widget(block, area);

    if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .spacing(1)
                .areas(inner);
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), left);
        let [preview_area, rest] = Layout::vertical([
            Constraint::Length(preview_rows(right.width, right.height)),
            Constraint::Min(0),
        ])
        .areas(right);
        let [chart_area, events_area] =
            Layout::vertical([Constraint::Percentage(60), Constraint::Min(3)]).areas(rest);
        let buf = frame.buffer_mut();
        if preview_area.height > 0 && preview_area.width > 0 {
            preview(buf, preview_area, row, details, theme);
        }
        if chart_area.height > 0 {
            chart(buf, chart_area, row, state, theme);
        }
        events(buf, events_area, row, state, theme);
        return;
    }

    // Stacked: fields, then the chart band (chart and preview), then the events, drawn on a
    // canvas as tall as they are and shown from `scroll` down, so at 80×24 every part is
    // reachable and nothing is squeezed.
    let height = content.max(inner.height);
    let mut canvas = Buffer::empty(Rect::new(0, 0, inner.width, height));
    canvas.set_style(canvas.area, theme.text);
    let fields_rows = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let [f, band, e] = Layout::vertical([
        Constraint::Length(fields_rows),
        Constraint::Length(CHART_ROWS),
        Constraint::Min(EVENT_ROWS),
    ])
    .areas(canvas.area);
    Paragraph::new(lines).render(f, &mut canvas);
    // The preview beside the chart, when both still have room.
    let preview_cols = if band.width >= 70 { PREVIEW_COLS } else { 0 };
    let [c, p] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(preview_cols)]).areas(band);
    if p.width > 0 {
        preview(&mut canvas, p, row, details, theme);
    }
    chart(&mut canvas, c, row, state, theme);
    events(&mut canvas, e, row, state, theme);
    let buf = frame.buffer_mut();
    for y in 0..inner.height {
        for x in 0..inner.width {
            let from = (x, y + scroll);
            if canvas.area.contains(from.into()) {
                buf[(inner.x + x, inner.y + y)] = canvas[from].clone();
            }
        }
    }
}

/// Rows of the events box in the stacked layout.
const EVENT_ROWS: u16 = 6;

/// How tall the details are: in the stacked layout every part, side by side the fields.
fn content_height(field_rows: usize, wide: bool) -> u16 {
    let fields = u16::try_from(field_rows).unwrap_or(u16::MAX);
    if wide {
        fields
    } else {
        fields.saturating_add(CHART_ROWS).saturating_add(EVENT_ROWS)
    }
}

/// How far the details view scrolls on a screen of `screen` (columns, rows), status line
/// excluded, for the key handler.
pub fn details_scroll_limit(state: &AppState, details: &Details) -> u16 {
    let Some(row) = state.row(details.id) else {
        return 0;
    };
    let (w, h) = state.screen;
    let inner = (w.saturating_sub(2), h.saturating_sub(3));
    let wide = inner.0 >= 120;
    let fields_width = if wide {
        inner.0.saturating_sub(1) * 55 / 100
    } else {
        inner.0
    };
    let lines = field_lines(row, details, state, &Theme::monochrome(), fields_width);
    content_height(lines.len(), wide).saturating_sub(inner.1)
}

/// The values the details cut to fit (console URLs, ARNs, ids), each whole on its own line:
/// what `y` puts on the clipboard.
pub fn copy_text(state: &AppState, id: crate::domain::DestinationId) -> Option<String> {
    let row = state.row(id)?;
    let r = &row.record;
    let aws = Aws::of(r, state);
    let lines: Vec<String> = [
        ("console", aws.channel_url),
        ("channel ARN", aws.channel_arn),
        ("input console", aws.input_url),
        ("flow output", r.media_connect_output_arn.clone()),
        ("URL", Some(r.rtmp_url.clone())),
        ("last error", r.last_error.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k}: {}", safe(&v))))
    .collect();
    Some(lines.join("\n"))
}

/// Rows of the chart band in the stacked layout.
const CHART_ROWS: u16 = 10;
/// Columns of the preview beside it: a 16:9 picture 8 rows (16 pixels) tall, plus borders.
const PREVIEW_COLS: u16 = 30;

/// Rows for a 16:9 preview as wide as the right column, borders included; at most two fifths of
/// the column, so the chart keeps its room.
fn preview_rows(width: u16, height: u16) -> u16 {
    let pixel_rows = u32::from(width.saturating_sub(2)) * 9 / 16;
    let rows = u16::try_from(pixel_rows.div_ceil(2)).unwrap_or(u16::MAX);
    rows.saturating_add(2).min(height * 2 / 5)
}

/// The running channel's current frame, or why there is none.
fn preview(buf: &mut Buffer, area: Rect, row: &Row, details: &Details, theme: &Theme) {
    let running = row.record.status == Status::Running;
    let (title, title_style) = match (&details.preview, running) {
        (
            Preview::Frame {
                taken_at, stale, ..
            },
            true,
        ) => {
            let at = taken_at
                .map(|t| format!(" {:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()))
                .unwrap_or_default();
            match stale {
                // The last good frame stays up; the title says it is old and why.
                Some(why) => (format!(" Preview{at} · stale: {why} "), theme.warn),
                None => (format!(" Preview{at} "), theme.title),
            }
        }
        _ => (" Preview ".to_string(), theme.title),
    };
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(title, title_style));
    let inner = block.inner(area);
    block.render(area, buf);
    let (text, style) = match (&details.preview, running) {
        (_, false) => ("the channel is not running".to_string(), theme.dim),
        (Preview::Frame { pixels, .. }, true) => {
            HalfBlocks::new(pixels)
                .mono(theme.is_monochrome())
                .render(inner, buf);
            return;
        }
        (Preview::Waiting, true) => ("waiting for the first frame…".to_string(), theme.dim),
        (Preview::NoFrame, true) => (
            "AWS has no frame: thumbnails are off in this channel, or it has only just started"
                .to_string(),
            theme.dim,
        ),
        (Preview::Failed(why), true) => (format!("no preview: {why}"), theme.warn),
    };
    let middle = Rect {
        y: inner.y + inner.height.saturating_sub(1) / 2,
        height: inner.height.min(3),
        ..inner
    };
    Paragraph::new(Span::styled(text, style))
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true })
        .render(middle, buf);
}

fn field_lines<'a>(
    row: &Row,
    details: &Details,
    state: &AppState,
    theme: &Theme,
    width: u16,
) -> Vec<Line<'a>> {
    let r = &row.record;
    let none = || "—".to_string();
    let aws = Aws::of(r, state);
    let cost = cost_so_far(r, &state.catalog, state.now);
    let currency = &state.catalog.pricing.currency;
    let key = match r.stream_key.clear() {
        // The one place the key is drawn in full, and only for REVEAL_FOR after `v`.
        Some(clear) if details.revealed(state.now) => {
            format!("{}  (hidden again in a few seconds)", clear.expose())
        }
        Some(clear) => match keymap::key_for(Scope::Details, Action::Reveal, state.readonly) {
            Some(v) => format!("{}  ({v} reveals)", clear.masked()),
            None => clear.masked(),
        },
        // Sealed: the TUI never holds the clear text, so there is nothing to reveal.
        None => r.stream_key.masked(),
    };
    let mut pairs: Vec<(&str, String, Style)> = vec![(
        "state",
        format!("{} (wants {})", r.status, r.desired.as_str()),
        theme.status(r.status),
    )];
    if let Some(p) = &row.progress {
        pairs.push(("doing", p.to_string(), theme.transitional));
    }
    pairs.push(("health", state.health(row).reason(), theme.text));
    pairs.push(match &r.last_error {
        Some(e) => ("last error", e.clone(), theme.error),
        None => ("last error", none(), theme.text),
    });
    // Only while alarms are on (the engine has read them at least once).
    if let Some(board) = &state.alarms {
        pairs.push(alarm_pair(board, r, theme));
    }
    // Only where there is something scheduled (or a deadline stopped it): most rows have none.
    let offset = crate::domain::when::local_offset();
    let mut scheduled: Vec<String> = r
        .schedules
        .iter()
        .map(|s| crate::domain::schedule::summary(s, state.now, offset))
        .collect();
    if let Some(t) = r.deadline_stopped_at {
        scheduled.push(format!(
            "stopped by its deadline at {}",
            crate::domain::when::show(t, state.now, offset)
        ));
    }
    if !scheduled.is_empty() {
        pairs.push(("schedules", scheduled.join(", "), theme.info));
    }
    pairs.extend([
        (
            "channel",
            match (&r.media_live_channel_id, row.channel) {
                (Some(c), Some(s)) => format!("{c} · {}", s.as_aws()),
                (Some(c), None) => c.clone(),
                _ => none(),
            },
            theme.text,
        ),
        ("console", aws.channel_url.unwrap_or_else(none), theme.info),
        (
            "channel ARN",
            aws.channel_arn.unwrap_or_else(none),
            theme.text,
        ),
        (
            "input",
            r.media_live_input_id.clone().unwrap_or_else(none),
            theme.text,
        ),
        (
            "input console",
            aws.input_url.unwrap_or_else(none),
            theme.info,
        ),
        (
            "flow output",
            r.media_connect_output_arn.clone().unwrap_or_else(none),
            theme.text,
        ),
        ("URL", r.rtmp_url.clone(), theme.text),
        ("stream key", key, theme.text),
        ("preset", r.preset.clone(), theme.text),
        (
            "on air",
            match r.uptime(state.now) {
                Some(s) if r.status.is_live() => format!(
                    "{} since {}",
                    hms(s),
                    when(r.running_since.unwrap_or(r.created_at))
                ),
                _ => none(),
            },
            theme.text,
        ),
        (
            "cost so far",
            format!(
                "{} running · {} idle",
                money(cost.running, currency),
                money(cost.idle, currency)
            ),
            theme.text,
        ),
        ("created", when(r.created_at), theme.text),
        (
            "modified",
            format!("{} · version {}", when(r.last_modified), r.version),
            theme.text,
        ),
        ("id", r.destination_id.to_string(), theme.text),
    ]);
    // Only the seed's wiring (rtp-push) has one; most records would show a useless dash.
    if let Some(group) = &r.input_security_group_id {
        let at = pairs
            .iter()
            .position(|(k, _, _)| *k == "flow output")
            .unwrap_or(pairs.len());
        pairs.insert(at, ("input SG", group.clone(), theme.text));
    }
    // Each value on one line: a URL or an ARN is cut with an ellipsis, never wrapped mid-token
    // (a wrapped URL copies as two lines over SSH); `y` copies them whole. The last error and
    // the health are prose: they wrap at spaces and are read whole.
    let room = usize::from(width).saturating_sub(LABEL).max(8);
    let mut cut = false;
    let mut lines = Vec::new();
    for (k, v, style) in pairs {
        let v = safe(&v);
        if matches!(k, "last error" | "health") {
            for (i, part) in super::wrap_words(&v, room).into_iter().enumerate() {
                let label = if i == 0 { k } else { "" };
                lines.push(Line::from(vec![
                    Span::styled(format!("{label:<LABEL$}"), theme.dim),
                    Span::styled(part, style),
                ]));
            }
            continue;
        }
        let long = v.chars().count() > room;
        if long && v.chars().count() <= usize::from(width) {
            // Too long beside its label, short enough for a line of its own: whole, from the
            // first column, so a mouse selection copies it as one line.
            lines.push(Line::from(Span::styled(k.to_string(), theme.dim)));
            lines.push(Line::from(Span::styled(v, style)));
            continue;
        }
        cut |= long;
        lines.push(Line::from(vec![
            Span::styled(format!("{k:<LABEL$}"), theme.dim),
            Span::styled(fit(&v, room), style),
        ]));
    }
    if cut && let Some(y) = keymap::key_for(Scope::Details, Action::Copy, state.readonly) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<LABEL$}", ""), theme.dim),
            Span::styled(
                fit(
                    &format!("… cut to fit: {y} copies them whole (OSC 52)"),
                    room,
                ),
                theme.dim,
            ),
        ]));
    }
    lines
}

/// "delivering OK · bitrate ALARM · alerts OK", red when one is in ALARM.
fn alarm_pair(
    board: &Result<crate::engine::AlarmBoard, String>,
    r: &Destination,
    theme: &Theme,
) -> (&'static str, String, Style) {
    use crate::cloud::AlarmState;
    let board = match board {
        Ok(board) => board,
        Err(e) => return ("alarms", format!("not read: {e}"), theme.warn),
    };
    match board.destinations.get(&r.destination_id) {
        Some(lights) if !lights.is_empty() => {
            let text = lights
                .iter()
                .map(|l| format!("{} {}", l.what, l.state.as_aws()))
                .collect::<Vec<_>>()
                .join(" · ");
            let style = if lights.iter().any(|l| l.state == AlarmState::Alarm) {
                theme.error
            } else {
                theme.text
            };
            ("alarms", text, style)
        }
        _ if r.media_live_channel_id.is_none() => {
            ("alarms", "none while there is no channel".into(), theme.dim)
        }
        _ => (
            "alarms",
            "none yet (set with the channel)".into(),
            theme.dim,
        ),
    }
}

/// The AWS ids this record implies, and where they are in the console. The region and account
/// come from an ARN onair already has (the flow output's, else the flow's).
struct Aws {
    channel_arn: Option<String>,
    channel_url: Option<String>,
    input_url: Option<String>,
}

impl Aws {
    fn of(r: &Destination, state: &AppState) -> Self {
        let arn = r
            .media_connect_output_arn
            .as_deref()
            .or(state.flow.as_ref().map(|f| f.arn.as_str()));
        let (region, account) = arn.and_then(region_and_account).unzip();
        let console = |what: &str, id: &str| {
            region
                .as_ref()
                .map(|region| format!("{}?region={region}#/{what}/{id}", CONSOLE))
        };
        let channel = r.media_live_channel_id.as_deref();
        Self {
            channel_arn: channel.and_then(|id| {
                Some(format!(
                    "arn:aws:medialive:{}:{}:channel:{id}",
                    region.as_ref()?,
                    account.as_ref()?
                ))
            }),
            channel_url: channel.and_then(|id| console("channels", id)),
            input_url: r
                .media_live_input_id
                .as_deref()
                .and_then(|id| console("inputs", id)),
        }
    }
}

const CONSOLE: &str = "https://console.aws.amazon.com/medialive/home";

/// `arn:aws:SERVICE:REGION:ACCOUNT:…` → (region, account).
fn region_and_account(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.split(':');
    let (_, _, _, region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (!region.is_empty()).then(|| (region.to_string(), account.to_string()))
}

/// The bitrate history kept (up to 30 minutes), in Mb/s against minutes ago. Gaps split the
/// line rather than being drawn as zero.
fn chart(buf: &mut Buffer, area: Rect, row: &Row, state: &AppState, theme: &Theme) {
    let step = state.refresh_interval.as_secs_f64() / 60.0;
    let samples: Vec<Option<f64>> = row.bitrate.all().collect();
    let n = samples.len();
    let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (i, sample) in samples.iter().enumerate() {
        let x = -((n - 1 - i) as f64) * step;
        match sample {
            Some(bps) => segments.last_mut().map_or((), |s| s.push((x, bps / 1e6))),
            None if segments.last().is_some_and(|s| !s.is_empty()) => segments.push(Vec::new()),
            None => {}
        }
    }
    let preset = state
        .catalog
        .get(&row.record.preset)
        .map_or(0.0, |p| f64::from(p.total_bitrate()) / 1e6);
    let peak = samples
        .iter()
        .flatten()
        .fold(0.0_f64, |m, v| m.max(v / 1e6));
    let top = (preset * 1.25).max(peak).max(1.0).ceil();
    let span = ((n.max(2) - 1) as f64 * step).max(step);
    let datasets: Vec<Dataset> = segments
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.spark)
                .data(s)
        })
        .collect();
    // Minutes for a long history, seconds while it is young (no "-0m").
    let minutes = |m: f64| {
        if span >= 2.0 {
            format!("-{}m", m.round())
        } else {
            format!("-{}s", (m * 60.0).round())
        }
    };
    let chart = Chart::new(datasets)
        .block(
            Block::bordered()
                .border_style(theme.border)
                .title(if row.sends() {
                    Span::styled(" Output Mb/s ", theme.title)
                } else if row.bitrate.all().any(|s| s.is_some()) {
                    // Not running: what is drawn is a past run, not the present.
                    Span::styled(" Output Mb/s · past run, not running now ", theme.dim)
                } else {
                    Span::styled(" Output Mb/s · not running ", theme.dim)
                }),
        )
        .x_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([-span, 0.0])
                .labels([minutes(span), minutes(span / 2.0), "now".to_string()]),
        )
        .y_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([0.0, top])
                .labels(["0".to_string(), format!("{top:.0}")]),
        );
    chart.render(area, buf);
}

fn events(buf: &mut Buffer, area: Rect, row: &Row, state: &AppState, theme: &Theme) {
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(" Recent events ", theme.title));
    let inner = block.inner(area);
    block.render(area, buf);
    let id = row.id();
    let mine: Vec<_> = state
        .log
        .iter()
        .filter(|e| e.destination == Some(id))
        .collect();
    let newest = &mine[mine.len().saturating_sub(usize::from(inner.height))..];
    let lines: Vec<Line> = newest
        .iter()
        .map(|e| {
            let style = match e.level {
                Level::Info => theme.text,
                Level::Warn => theme.warn,
                Level::Error => theme.error,
            };
            Line::from(vec![
                Span::styled(
                    format!(
                        "{:02}:{:02}:{:02} ",
                        e.at.hour(),
                        e.at.minute(),
                        e.at.second()
                    ),
                    theme.dim,
                ),
                Span::styled(safe(&e.text), style),
                Span::styled(
                    if e.count > 1 {
                        format!(" ×{}", e.count)
                    } else {
                        String::new()
                    },
                    theme.warn,
                ),
            ])
        })
        .collect();
    if lines.is_empty() {
        Paragraph::new(Span::styled("none yet", theme.dim)).render(inner, buf);
    } else {
        Paragraph::new(lines).render(inner, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_and_account_come_from_an_arn() {
        assert_eq!(
            region_and_account("arn:aws:mediaconnect:eu-west-1:123456789012:flow:1-x:show"),
            Some(("eu-west-1".into(), "123456789012".into()))
        );
        assert_eq!(region_and_account("nonsense"), None);
    }
}
