//! The MediaConnect flow and the encoder's source, which every destination depends on.

use super::{fit, mbps};
use crate::domain::text::safe;
use crate::tui::state::AppState;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};

/// Borders plus flow line, source line and sparkline.
pub const HEIGHT: u16 = 5;

/// At most this many watched channels get a line (the rest are summed up on the last one).
const WATCHED_LINES: usize = 4;

/// The panel's height: the flow's lines and one per watched channel.
pub fn height(state: &AppState) -> u16 {
    let watched = state.watched.len().min(WATCHED_LINES);
    HEIGHT + u16::try_from(watched).unwrap_or(0)
}

const SPARK_LABEL: &str = "source bitrate ";

pub fn draw(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    // A lost source takes every destination down with it: the whole panel says so.
    let lost = state.source.connected == Some(false);
    let block = Block::bordered()
        .border_style(if lost { theme.error } else { theme.border })
        .title(Span::styled(" Flow ", theme.title));
    let block = if lost {
        block.title(Line::from(Span::styled(" SOURCE LOST ", theme.error)).right_aligned())
    } else {
        block
    };
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = Layout::vertical(vec![
        Constraint::Length(1);
        3 + state.watched.len().min(WATCHED_LINES)
    ])
    .split(inner);
    let (flow_line, source_line, spark_line) = (rows[0], rows[1], rows[2]);
    for (i, area) in rows.iter().skip(3).enumerate() {
        let more = state.watched.len().saturating_sub(WATCHED_LINES);
        frame.render_widget(
            Paragraph::new(watched_line(state, i, more, theme, inner.width)),
            *area,
        );
    }

    frame.render_widget(
        Paragraph::new(flow_spans(state, theme, inner.width)),
        flow_line,
    );
    frame.render_widget(Paragraph::new(source_spans(state, theme)), source_line);

    let [label, spark] = Layout::horizontal([
        Constraint::Length(SPARK_LABEL.len() as u16),
        Constraint::Min(1),
    ])
    .areas(spark_line);
    frame.render_widget(Span::styled(SPARK_LABEL, theme.dim), label);
    // The widget draws its first `width` points: pad on the left with gaps so the newest sample
    // sits at the right edge, as in the table.
    let width = usize::from(spark.width);
    let newest = state.source.bitrate.newest(width);
    let mut data: Vec<Option<u64>> = vec![None; width - newest.len()];
    data.extend(
        newest
            .iter()
            .map(|s| s.map(|bps| (bps / 1000.0).max(0.0) as u64)),
    );
    frame.render_widget(
        Sparkline::default()
            .data(data)
            .style(theme.spark)
            .absent_value_symbol(" "),
        spark,
    );
}

/// One channel onair did not make: read-only, its state, output and alerts ("watching" says it
/// is not onair's to start or stop).
fn watched_line<'a>(
    state: &AppState,
    i: usize,
    more: usize,
    theme: &Theme,
    width: u16,
) -> Line<'a> {
    let Some(w) = state.watched.get(i) else {
        return Line::default();
    };
    let name = w.name.as_deref().map(safe).unwrap_or_else(|| "?".into());
    let (state_text, style) = match (w.state, w.missing) {
        (_, true) => ("not found".to_string(), theme.error),
        (None, false) => ("? unknown".to_string(), theme.dim),
        (Some(crate::cloud::ChannelState::Running), false) => {
            ("RUNNING".to_string(), theme.running)
        }
        (Some(s), false) => (s.as_aws().to_string(), theme.warn),
    };
    let figures = match (w.state, w.bitrate) {
        (Some(crate::cloud::ChannelState::Running), Some(b)) => format!("{} Mb/s", mbps(b)),
        (Some(crate::cloud::ChannelState::Running), None) => "? Mb/s".to_string(),
        _ => "—".to_string(),
    };
    let alert = w
        .alerts
        .first()
        .map(|a| format!("  ⚠ {}", safe(a)))
        .unwrap_or_default();
    let tail = if i + 1 == WATCHED_LINES && more > 0 {
        format!("  (+{more} more)")
    } else {
        String::new()
    };
    let text = format!("watching {name} ({})  ", safe(&w.id));
    let rest = format!("  {figures}{alert}{tail}");
    let used = text.chars().count() + state_text.chars().count();
    Line::from(vec![
        Span::styled(text, theme.dim),
        Span::styled(state_text, style),
        Span::styled(
            fit(&rest, usize::from(width).saturating_sub(used)),
            if w.alerts.is_empty() {
                theme.text
            } else {
                theme.warn
            },
        ),
    ])
}

fn flow_spans<'a>(state: &AppState, theme: &Theme, width: u16) -> Line<'a> {
    let Some(flow) = &state.flow else {
        // The flow's own error only: a failed Scan or ListChannels says nothing about it.
        return match &state.flow_error {
            Some(e) => Line::from(Span::styled(
                fit(&format!("flow cannot be read: {e}"), usize::from(width)),
                theme.error,
            )),
            None => Line::from(Span::styled("flow not read yet", theme.dim)),
        };
    };
    let status_style = if flow.status == "ACTIVE" {
        theme.running
    } else {
        theme.warn
    };
    let listener = match flow.port {
        Some(port) => format!("{} :{port}", safe(&flow.protocol)),
        None => safe(&flow.protocol),
    };
    let (encryption, enc_style) = match &flow.encryption {
        Some(e) => (safe(e), theme.text),
        None => ("unencrypted".to_string(), theme.warn),
    };
    Line::from(vec![
        Span::styled(safe(&flow.name), theme.title),
        Span::raw("  "),
        Span::styled(safe(&flow.status), status_style),
        Span::raw("  "),
        Span::styled(listener, theme.text),
        Span::raw("  "),
        Span::styled(encryption, enc_style),
        Span::styled(format!("  outputs {}", flow.outputs), theme.dim),
    ])
}

fn source_spans<'a>(state: &AppState, theme: &Theme) -> Line<'a> {
    let s = &state.source;
    let mut spans = vec![Span::styled("source ", theme.dim)];
    spans.push(match s.connected {
        Some(true) => Span::styled("● connected", theme.running),
        Some(false) => Span::styled("✖ source lost", theme.error),
        None => Span::styled("? unknown", theme.dim),
    });
    // Lost: the flow's last figures describe a feed that is gone. None is shown, rather than
    // numbers that still look live.
    if s.connected == Some(false) {
        spans.push(Span::styled("  — Mb/s  no figures while lost", theme.dim));
        return Line::from(spans);
    }
    let value = |text: String| Span::styled(text, theme.text);
    spans.push(Span::raw("  "));
    spans.push(match s.bitrate.current() {
        Some(bps) => value(format!("{} Mb/s", mbps(bps))),
        None => Span::styled("— Mb/s", theme.dim),
    });
    if let Some(loss) = s.packet_loss_percent {
        spans.push(Span::styled("  loss ", theme.dim));
        let style = if loss > 0.0 { theme.warn } else { theme.text };
        spans.push(Span::styled(format!("{loss:.2}%"), style));
    }
    if let Some(lost) = s.not_recovered {
        spans.push(Span::styled("  not recovered ", theme.dim));
        let style = if lost > 0.0 { theme.error } else { theme.text };
        spans.push(Span::styled(format!("{lost:.0}"), style));
    }
    if let Some(rtt) = s.round_trip_ms {
        spans.push(Span::styled("  rtt ", theme.dim));
        spans.push(value(format!("{rtt:.0} ms")));
    }
    // Unknown because CloudWatch did not answer: say since when.
    if let Some(stale) = state
        .stale_parts
        .iter()
        .find(|p| p.part == crate::tui::state::Part::Metrics)
    {
        let secs = (state.now - stale.since).whole_seconds().max(0);
        spans.push(Span::styled(
            format!("  (no metrics for {}:{:02})", secs / 60, secs % 60),
            theme.dim,
        ));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use crate::tui::theme::Theme;

    fn screen(state: &crate::tui::state::AppState) -> String {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 24)).unwrap();
        terminal
            .draw(|f| crate::tui::view::draw(f, state, &Theme::default_dark()))
            .unwrap();
        format!("{:?}", terminal.backend().buffer())
    }

    #[test]
    fn the_flow_panel_names_the_flows_own_error_and_never_blames_the_table() {
        let mut state = crate::tui::state::tests::state_with(vec![]);
        state.refresh_error = Some("Scan: throttled".into());
        let shown = screen(&state);
        assert!(shown.contains("flow not read yet"), "{shown}");
        assert!(!shown.contains("flow cannot be read: Scan"), "{shown}");
        state.flow_error = Some("DescribeFlow: access denied".into());
        let shown = screen(&state);
        assert!(
            shown.contains("flow cannot be read: DescribeFlow: access denied"),
            "{shown}"
        );
    }

    #[test]
    fn a_watched_channel_gets_a_read_only_line_with_its_state_output_and_alert() {
        use crate::engine::WatchedChannel;
        let mut state = crate::tui::state::tests::state_with(vec![]);
        state.watched = vec![
            WatchedChannel {
                id: "1234567".into(),
                name: Some("seed-primary".into()),
                state: Some(crate::cloud::ChannelState::Running),
                missing: false,
                bitrate: Some(5.2e6),
                active_outputs: Some(1.0),
                alerts: vec!["Failed to Create Output File or Socket: refused".into()],
            },
            WatchedChannel {
                id: "7654321".into(),
                name: None,
                state: None,
                missing: true,
                bitrate: None,
                active_outputs: None,
                alerts: vec![],
            },
        ];
        assert_eq!(super::height(&state), super::HEIGHT + 2);
        let shown = screen(&state);
        assert!(
            shown.contains("watching seed-primary (1234567)  RUNNING  5.2"),
            "{shown}"
        );
        assert!(shown.contains("⚠ Failed to Create Output"), "{shown}");
        assert!(shown.contains("watching ? (7654321)  not found"), "{shown}");
    }
}
