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
    let [flow_line, source_line, spark_line] =
        Layout::vertical([Constraint::Length(1); 3]).areas(inner);

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
}
