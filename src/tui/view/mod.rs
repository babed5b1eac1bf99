//! Rendering: pure functions of `&AppState` and `&Theme` (no clock, no I/O), so every screen is
//! a `TestBackend` snapshot away.

mod cost;
mod details;
mod flow;
mod header;
mod log;
mod orphans;
mod overlay;
mod schedule;
mod status;
mod table;
mod thumbnail;

pub use details::{copy_text, details_scroll_limit};
pub use overlay::help_scroll_limit;

use super::state::{AppState, Mode};
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

/// Rows of the event log panel, borders included.
const LOG_HEIGHT: u16 = 9;

pub fn draw(frame: &mut Frame, state: &AppState, theme: &Theme) {
    let area = frame.area();
    if state.show_log && state.log_full {
        // The log has the screen: long errors wrap whole and many lines fit.
        let [header_area, log_area, status_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(area);
        header::draw(frame, header_area, state, theme);
        log::draw(frame, log_area, state, theme);
        status::draw(frame, status_area, state, theme);
        overlays(frame, area, state, theme);
        return;
    }
    // The panel grows with the terminal: a quarter of it, never under LOG_HEIGHT.
    let log_height = if state.show_log {
        (area.height / 4).max(LOG_HEIGHT)
    } else {
        0
    };
    let [header_area, flow_area, table_area, log_area, status_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(flow::height(state)),
        Constraint::Min(4),
        Constraint::Length(log_height),
        Constraint::Length(1),
    ])
    .areas(area);

    header::draw(frame, header_area, state, theme);
    flow::draw(frame, flow_area, state, theme);
    table::draw(frame, table_area, state, theme);
    if state.show_log {
        log::draw(frame, log_area, state, theme);
    }
    status::draw(frame, status_area, state, theme);
    overlays(frame, area, state, theme);
}

fn overlays(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    // Overlays leave the status line alone: it carries their keys, flashes and alerts.
    let above_status = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    match &state.mode {
        Mode::Help { scroll } => overlay::help(frame, above_status, *scroll, state, theme),
        Mode::Form(form) => overlay::form(frame, area, form, state, theme),
        Mode::Confirm(dialog) => overlay::confirm(frame, area, dialog, theme),
        Mode::Details(details) => details::draw(frame, above_status, details, state, theme),
        Mode::Cost => cost::draw(frame, area, state, theme),
        Mode::Orphans => orphans::draw(frame, area, state, theme),
        Mode::Schedule(form) => schedule::draw(frame, area, form, theme),
        Mode::Normal | Mode::Filter | Mode::Command(_) => {}
    }
    scrub(frame.buffer_mut());
}

/// The last line of defence: no cell carries a control or bidi character to the terminal.
/// Views show outside text through [`fit`] or [`crate::domain::for_terminal`], which replace
/// such characters visibly; ratatui itself drops control characters but appends zero-width
/// ones (U+202E and the other bidi controls) to the cell before them, so a text a view forgot
/// would still reorder the line. Here they are dropped.
fn scrub(buffer: &mut ratatui::buffer::Buffer) {
    for cell in &mut buffer.content {
        if cell.symbol().chars().any(crate::domain::text::is_unsafe) {
            let clean: String = cell
                .symbol()
                .chars()
                .filter(|c| !crate::domain::text::is_unsafe(*c))
                .collect();
            cell.set_symbol(if clean.is_empty() { " " } else { &clean });
        }
    }
}

/// A `width`×`height` rectangle centred in `area`, clipped to it.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// `text` made safe for the terminal ([`crate::domain::for_terminal`]) and cut to `width`
/// characters, with an ellipsis when something was cut.
fn fit(text: &str, width: usize) -> String {
    let text = crate::domain::for_terminal(text);
    let text = text.as_ref();
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// `text` in lines of at most `width` characters, broken at spaces; a word longer than a line
/// (a URL, an ARN) is cut at the width, the only way it fits.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        let gap = usize::from(used > 0);
        if used + gap + word.len() <= width {
            if gap == 1 {
                line.push(' ');
            }
            line.extend(word.iter());
            used += gap + word.len();
            continue;
        }
        if used > 0 {
            lines.push(std::mem::take(&mut line));
        }
        while word.len() > width {
            let rest = word.split_off(width);
            lines.push(word.into_iter().collect());
            word = rest;
        }
        used = word.len();
        line = word.into_iter().collect();
    }
    if used > 0 || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// h:mm:ss, the way a broadcast clock reads.
fn hms(seconds: u64) -> String {
    format!(
        "{}:{:02}:{:02}",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

/// 2026-11-25 19:00:00 UTC
fn when(t: time::OffsetDateTime) -> String {
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn mbps(bits_per_second: f64) -> String {
    format!("{:.1}", bits_per_second / 1e6)
}

/// "4s", "3m", "2h": how old the data is.
fn age(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}

/// [`money`] for the rest of the TUI (dialogs): "$1.23".
pub fn money_text(amount: f64, currency: &str) -> String {
    money(amount, currency)
}

fn money(amount: f64, currency: &str) -> String {
    match currency {
        "USD" => format!("${amount:.2}"),
        "EUR" => format!("€{amount:.2}"),
        other => format!("{amount:.2} {other}"),
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A one-line sparkline of the newest `width` samples, right-aligned so the newest is always at
/// the right edge. Gaps (no datapoint) are blank, never drawn as zero.
fn spark_text(samples: &[Option<f64>], width: usize, max: f64) -> String {
    let newest = &samples[samples.len().saturating_sub(width)..];
    let mut out = " ".repeat(width - newest.len());
    for sample in newest {
        out.push(match sample {
            None => ' ',
            Some(v) if max <= 0.0 => {
                if *v > 0.0 {
                    BARS[7]
                } else {
                    BARS[0]
                }
            }
            Some(v) => {
                let level = ((v / max) * 7.0).round().clamp(0.0, 7.0) as usize;
                BARS[level]
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_text_keeps_the_newest_right_aligned_with_gaps_blank() {
        let s = spark_text(&[Some(0.0), None, Some(10.0)], 5, 10.0);
        assert_eq!(s, "  ▁ █");
        let s = spark_text(&[Some(1.0), Some(2.0), Some(10.0)], 2, 10.0);
        assert_eq!(s.chars().count(), 2);
        assert!(s.ends_with('█'));
    }

    /// Key names views might write by hand; every one must come from the registry instead.
    const KEY_WORDS: [&str; 9] = [
        "Esc", "Enter", "PgDn", "PgUp", "Tab", "Space", "Ctrl-", "y/n", "←/→",
    ];

    /// The string literals of a source file's non-test code, roughly (enough for views).
    fn literals(source: &str) -> Vec<String> {
        let code = source.split("#[cfg(test)]").next().unwrap_or_default();
        code.lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .flat_map(|l| {
                l.split('"')
                    .skip(1)
                    .step_by(2)
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn no_view_writes_a_key_name_by_hand() {
        let views = [
            ("cost", include_str!("cost.rs")),
            ("details", include_str!("details.rs")),
            ("flow", include_str!("flow.rs")),
            ("header", include_str!("header.rs")),
            ("log", include_str!("log.rs")),
            ("mod", include_str!("mod.rs")),
            ("orphans", include_str!("orphans.rs")),
            ("overlay", include_str!("overlay.rs")),
            ("status", include_str!("status.rs")),
            ("table", include_str!("table.rs")),
            ("thumbnail", include_str!("thumbnail.rs")),
        ];
        for (name, source) in views {
            for literal in literals(source) {
                for word in KEY_WORDS {
                    assert!(
                        !literal.contains(word),
                        "view/{name}.rs writes {word:?} by hand in {literal:?}: take it from the key registry"
                    );
                }
            }
        }
        // The check can fail: the footer the orphans view used to write would be caught.
        let old = "        .title_bottom(Span::styled(\" d remove resources · r look again · Esc close \", theme.dim))";
        assert!(literals(old).iter().any(|l| l.contains("Esc")));
    }

    #[test]
    fn words_wrap_at_spaces_and_only_an_overlong_token_is_cut() {
        assert_eq!(
            wrap_words("input arn:aws:medialive:x is left", 20),
            vec!["input", "arn:aws:medialive:x", "is left"]
        );
        assert_eq!(wrap_words("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap_words("", 4), vec![""]);
    }

    #[test]
    fn formats() {
        assert_eq!(hms(3 * 3600 + 62), "3:01:02");
        assert_eq!(fit("YouTube backup", 8), "YouTube…");
        assert_eq!(fit("abc", 8), "abc");
        assert_eq!(age(75), "1m");
        assert_eq!(money(1.234, "USD"), "$1.23");
    }
}
