//! Rendering snapshots of the control room, built from fixed records, events and timestamps (no
//! real clock), drawn on ratatui's `TestBackend`. Review a change by reading the `.snap.new`
//! file; accept with `INSTA_UPDATE=always` once it is right.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use onair::cloud::ChannelState;
use onair::domain::{Catalog, Destination, DestinationId, Platform, Status, StreamKey};
use onair::engine::{
    DestinationMetrics, EngineEvent, FlowView, Level, LogEntry, MetricsSample, Observation, OpKind,
    Progress, QuotaUse,
};
use onair::tui::action::handle_key;
use onair::tui::state::AppState;
use onair::tui::{Theme, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use std::collections::HashMap;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-25 19:00 UTC);
/// "Now" in every snapshot: 1 h 23 min into the evening.
const NOW: OffsetDateTime = datetime!(2026-11-25 20:23:07 UTC);

/// Every stream key used here; none may appear in any snapshot.
const KEYS: [&str; 5] = [
    "yt-main-SECRET-4f9a-22c1",
    "yt-back-SECRET-8d02-77aa",
    "tw-live-SECRET-0b1c3d4e",
    "li-event-SECRET-5566",
    "typed-SECRET-key-9999",
];

fn record(name: &str, platform: Platform, key: &str, preset: &str, minute: i64) -> Destination {
    let mut d = Destination::new(
        name.into(),
        platform,
        platform
            .default_url()
            .unwrap_or("rtmps://1a2b3c.ingest.linkedin.example/live")
            .into(),
        StreamKey::new(key),
        preset.into(),
        T0 + Duration::minutes(minute),
    );
    // Fixed ids, so the details view (which shows the id) can be a snapshot.
    d.destination_id = DestinationId(uuid::Uuid::from_u128(
        0x5eed_0000_0000_4000_8000_0000_0000_0000 + minute as u128,
    ));
    d
}

fn observation(at: OffsetDateTime, i: usize, live: &Destination) -> Observation {
    // A gentle wave, with one missing datapoint in each series (CloudWatch gaps happen).
    let wave = ((i as f64) * 0.7).sin();
    let mut metrics = MetricsSample {
        at: Some(at),
        source_bitrate: (i != 20).then_some(8.4e6 + wave * 0.6e6),
        source_connected: Some(true),
        source_packet_loss_percent: Some(0.02),
        source_not_recovered_packets: Some(0.0),
        source_round_trip_ms: Some(38.0),
        destinations: HashMap::new(),
    };
    metrics.destinations.insert(
        live.destination_id,
        DestinationMetrics {
            bitrate: (i != 24).then_some(6.1e6 + wave * 0.4e6),
            active_outputs: Some(1.0),
        },
    );
    let mut channels = HashMap::new();
    channels.insert(live.destination_id, ChannelState::Running);
    Observation {
        watched: Vec::new(),
        at,
        flow: Some(FlowView {
            name: "onair-show-flow".into(),
            arn: "arn:aws:mediaconnect:us-east-1:111122223333:flow:1-abc:onair-show-flow".into(),
            status: "ACTIVE".into(),
            protocol: "SRT listener".into(),
            port: Some(9998),
            encryption: Some("AES-128".into()),
            outputs: 2,
        }),
        error: None,
        flow_error: None,
        table_error: None,
        channels_error: None,
        metrics_error: None,
        channels,
        quotas: QuotaUse {
            channels_used: 3,
            channels_allowed: 5,
            inputs_used: 4,
            inputs_allowed: 5,
        },
        metrics,
        alerts: Default::default(),
        unreadable: Vec::new(),
    }
}

/// Four destinations: running with history, idle, creating (step 3/5), error.
fn four_destinations() -> AppState {
    let mut live = record("YouTube main", Platform::Youtube, KEYS[0], "1080p30", 0);
    live.status = Status::Running;
    live.running_since = Some(NOW - Duration::seconds(3723));
    live.media_live_channel_id = Some("1234567".into());
    live.media_live_input_id = Some("7654321".into());
    live.media_connect_output_arn =
        Some("arn:aws:mediaconnect:us-east-1:111122223333:output:1-abc:onair-youtube-main".into());
    let idle = record("YouTube backup", Platform::Youtube, KEYS[1], "1080p30", 1);
    let mut idle = idle;
    idle.status = Status::Idle;
    idle.billed_run_minutes = 25;
    let creating = record("Twitch", Platform::Twitch, KEYS[2], "720p30", 2);
    let mut failed = record("LinkedIn event", Platform::Linkedin, KEYS[3], "1080p60", 3);
    failed.status = Status::Error;
    failed.last_error = Some(
        "CreateChannel failed: LimitExceededException: 5 of 5 channels in use; \
         input onair-linkedin-event-3f2a1b0c left in place"
            .into(),
    );

    let mut state = AppState::new(
        Arc::new(Catalog::builtin()),
        NOW,
        "demo · us-east-1 (simulated)",
    );
    state.demo = true;
    state.apply(EngineEvent::Loaded(vec![
        live.clone(),
        idle,
        creating.clone(),
        failed.clone(),
    ]));
    state.apply(EngineEvent::Progress(
        creating.destination_id,
        Progress {
            op: OpKind::Add,
            step: 3,
            of: 5,
            label: "creating channel".into(),
        },
    ));
    for i in 0..40 {
        let at = NOW - Duration::seconds(4 + 10 * (39 - i as i64));
        state.apply(EngineEvent::Observed(Box::new(observation(at, i, &live))));
    }
    let log = [
        (
            Level::Info,
            Some(live.destination_id),
            "started: channel 1234567 RUNNING",
        ),
        (
            Level::Info,
            Some(creating.destination_id),
            "created input 7654321",
        ),
        (
            Level::Error,
            Some(failed.destination_id),
            "CreateChannel failed: LimitExceededException",
        ),
        (
            Level::Info,
            Some(creating.destination_id),
            "creating channel 3/5",
        ),
    ];
    for (i, (level, destination, text)) in log.into_iter().enumerate() {
        state.apply(EngineEvent::Log(LogEntry {
            at: NOW - Duration::seconds(60 - 10 * i as i64),
            level,
            destination,
            text: text.into(),
        }));
    }
    state
}

fn render(state: &AppState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| view::draw(frame, state, &Theme::default_dark()))
        .expect("draw");
    terminal
}

fn press(state: &mut AppState, code: KeyCode) {
    handle_key(state, KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(state: &mut AppState, text: &str) {
    for c in text.chars() {
        press(state, KeyCode::Char(c));
    }
}

#[test]
fn main_screen_120x35() {
    let state = four_destinations();
    insta::assert_snapshot!("main_120x35", render(&state, 120, 35).backend());
}

#[test]
fn main_screen_80x24() {
    let state = four_destinations();
    insta::assert_snapshot!("main_80x24", render(&state, 80, 24).backend());
}

#[test]
fn main_screen_with_event_log_and_a_marked_row() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Char('l'));
    insta::assert_snapshot!("main_with_log_120x35", render(&state, 120, 35).backend());
}

#[test]
fn empty_table_hint() {
    let mut state = AppState::new(
        Arc::new(Catalog::builtin()),
        NOW,
        "demo · us-east-1 (simulated)",
    );
    state.demo = true;
    state.apply(EngineEvent::Loaded(Vec::new()));
    insta::assert_snapshot!("empty_80x24", render(&state, 80, 24).backend());
}

#[test]
fn add_form_with_validation_errors() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char('a'));
    // Platform LinkedIn (no default URL), a key typed, name left empty, 1080p60 above LinkedIn's
    // recommended bitrate.
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Right);
    press(&mut state, KeyCode::Right);
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Tab);
    type_text(&mut state, KEYS[4]);
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Right);
    press(&mut state, KeyCode::Enter);
    let terminal = render(&state, 80, 24);
    insta::assert_snapshot!("add_form_errors_80x24", terminal.backend());
}

/// `t` on a row: the schedule form, a bad stop time named in it, Enter asking the engine for a
/// go-live; a refusal keeps the form open with the engine's reason.
#[test]
fn schedule_form_from_the_row() {
    use onair::tui::action::{Effect, effect_done};
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char('t'));
    type_text(&mut state, "+45m");
    press(&mut state, KeyCode::Tab);
    type_text(&mut state, "soon");
    press(&mut state, KeyCode::Enter);
    insta::assert_snapshot!("schedule_form_80x24", render(&state, 80, 24).backend());
    for _ in 0..4 {
        press(&mut state, KeyCode::Backspace);
    }
    type_text(&mut state, "+2h");
    let effects = handle_key(
        &mut state,
        KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
    );
    let [
        effect @ Effect::Schedule {
            start: Some(_),
            stop: Some(_),
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("a go-live and a stop: {effects:?}");
    };
    effect_done(
        &mut state,
        effect,
        Err(onair::engine::Refusal::NotNow(
            "--start … is in the past".into(),
        )),
    );
    let text = format!("{}", render(&state, 80, 24).backend());
    assert!(
        text.contains("Schedule") && text.contains("in the past"),
        "{text}"
    );
    press(&mut state, KeyCode::Esc);
    assert!(!format!("{}", render(&state, 80, 24).backend()).contains("Schedule "));
}

#[test]
fn confirm_stop_of_a_live_destination() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char('x'));
    insta::assert_snapshot!("confirm_stop_120x35", render(&state, 120, 35).backend());
}

#[test]
fn help_overlay() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char('?'));
    insta::assert_snapshot!("help_80x24", render(&state, 80, 24).backend());
}

#[test]
fn details_popup() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Enter);
    let terminal = render(&state, 120, 35);
    let text = format!("{}", terminal.backend());
    // The id is random per run, so this one is checked by content rather than snapshot.
    assert!(text.contains("YouTube main"));
    assert!(text.contains("yt••••••••c1"), "masked key shown:\n{text}");
    assert!(!text.contains(KEYS[0]));
}

#[test]
fn stream_keys_never_reach_the_screen() {
    // Every screen that shows a row or the form, in every size.
    let mut screens = Vec::new();
    for (w, h) in [(120, 35), (80, 24), (200, 60)] {
        let mut state = four_destinations();
        screens.push(render(&state, w, h));
        press(&mut state, KeyCode::Enter);
        screens.push(render(&state, w, h));
        press(&mut state, KeyCode::Esc);
        press(&mut state, KeyCode::Char('a'));
        for _ in 0..3 {
            press(&mut state, KeyCode::Tab);
        }
        type_text(&mut state, KEYS[4]);
        screens.push(render(&state, w, h));
    }
    for terminal in screens {
        let text = format!("{}", terminal.backend());
        for key in KEYS {
            assert!(!text.contains(key), "stream key {key} on screen:\n{text}");
            assert!(
                !text.contains(&key[..12]),
                "part of {key} on screen:\n{text}"
            );
        }
    }
}

#[test]
fn no_snapshot_file_contains_a_stream_key() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tui/snapshots");
    let entries = std::fs::read_dir(&dir).expect("tests/tui/snapshots exists");
    let mut scanned = 0;
    for entry in entries {
        let path = entry.expect("readable entry").path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !name.contains(".snap") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable snapshot");
        for key in KEYS {
            assert!(!text.contains(key), "{name} contains stream key {key}");
            assert!(
                !text.contains("SECRET"),
                "{name} contains part of a stream key"
            );
        }
        scanned += 1;
    }
    assert!(
        scanned >= 6,
        "only {scanned} snapshots found in {}",
        dir.display()
    );
}

// ---- The control room's newer screens: each at 80×24 and 160×50 in the default theme, and the
// monochrome (NO_COLOR) theme checked to draw the same text with its emphasis snapshotted.

fn render_with(state: &AppState, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| view::draw(frame, state, theme))
        .expect("draw");
    terminal
}

/// One letter per cell for the emphasis the monochrome theme relies on: R reversed, B bold,
/// U underlined, I italic, `.` plain. What NO_COLOR users see apart from the text.
fn emphasis_map(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let m = buffer[(x, y)].modifier;
            out.push(if m.contains(Modifier::REVERSED) {
                'R'
            } else if m.contains(Modifier::BOLD) {
                'B'
            } else if m.contains(Modifier::UNDERLINED) {
                'U'
            } else if m.contains(Modifier::ITALIC) {
                'I'
            } else {
                '.'
            });
        }
        out.push('\n');
    }
    out
}

fn assert_no_key(text: &str) {
    for key in KEYS {
        assert!(
            !text.contains(&key[..12]),
            "part of {key} on screen:\n{text}"
        );
    }
}

/// Snapshots `state` at both sizes; the monochrome theme must draw the same text, and its
/// emphasis at 80×24 is a snapshot of its own.
fn screens(name: &str, state: &AppState) {
    for (w, h) in [(80, 24), (160, 50)] {
        let colour = render_with(state, w, h, &Theme::default_dark());
        let mono = render_with(state, w, h, &Theme::monochrome());
        let text = format!("{}", colour.backend());
        assert_no_key(&text);
        assert_eq!(
            text,
            format!("{}", mono.backend()),
            "{name}: mono draws other text"
        );
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), colour.backend());
        if w == 80 {
            insta::assert_snapshot!(format!("{name}_mono_{w}x{h}"), emphasis_map(&mono));
        }
    }
}

fn observe_live(state: &mut AppState, connected: bool, bitrate: f64, at: OffsetDateTime) {
    let live = state.rows[0].record.clone();
    let mut o = observation(at, 0, &live);
    o.metrics.source_connected = Some(connected);
    if !connected {
        o.metrics.source_bitrate = None;
    }
    if let Some(m) = o.metrics.destinations.get_mut(&live.destination_id) {
        m.bitrate = Some(bitrate);
    }
    state.apply(EngineEvent::Observed(Box::new(o)));
}

#[test]
fn details_view() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Enter);
    screens("details", &state);
}

#[test]
fn details_view_shows_the_key_only_after_v_and_only_for_ten_seconds() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Enter);
    press(&mut state, KeyCode::Char('v'));
    let shown = format!("{}", render(&state, 160, 50).backend());
    assert!(shown.contains(KEYS[0]), "v reveals the key:\n{shown}");
    state.tick(NOW + Duration::seconds(10));
    let hidden = format!("{}", render(&state, 160, 50).backend());
    assert!(!hidden.contains(&KEYS[0][..12]), "hidden again:\n{hidden}");
    // The console URL is whole on a line of its own where it fits, never wrapped; `y` copies
    // it whole wherever it is cut.
    assert!(
        hidden.contains(
            "https://console.aws.amazon.com/medialive/home?region=us-east-1#/channels/1234567"
        ),
        "{hidden}"
    );
    let narrow = format!("{}", render(&state, 80, 24).backend());
    assert!(narrow.contains("copies them whole"), "{narrow}");
    let copied = onair::tui::view::copy_text(&state, state.rows[0].record.destination_id)
        .unwrap_or_default();
    assert!(
        copied.contains("#/channels/1234567\n"),
        "console URL:\n{copied}"
    );
}

#[test]
fn details_name_the_input_security_group_of_the_seeds_wiring_only_when_there_is_one() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Enter);
    let plain = format!("{}", render(&state, 160, 50).backend());
    assert!(!plain.contains("input SG"), "{plain}");
    let mut record = state.rows[0].record.clone();
    record.input_security_group_id = Some("5843210".into());
    state.apply(EngineEvent::Upserted(record));
    let seed = format!("{}", render(&state, 160, 50).backend());
    let line = seed
        .lines()
        .find(|l| l.contains("input SG"))
        .unwrap_or_else(|| panic!("no security group line:\n{seed}"));
    assert!(line.contains("5843210"), "{line}");
}

#[test]
fn cost_panel() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char('c'));
    screens("cost", &state);
}

#[test]
fn bulk_start_confirm() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Char(' '));
    press(&mut state, KeyCode::Char('s'));
    screens("bulk_confirm", &state);
}

#[test]
fn edit_form() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Char('e'));
    screens("edit_form", &state);
}

#[test]
fn filter_typed() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char('/'));
    type_text(&mut state, "you");
    screens("filter", &state);
}

#[test]
fn command_line_with_completion() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char(':'));
    type_text(&mut state, "s");
    press(&mut state, KeyCode::Tab);
    screens("command_completion", &state);
}

#[test]
fn failing_row() {
    let mut state = four_destinations();
    observe_live(&mut state, true, 0.0, NOW - Duration::seconds(2));
    observe_live(&mut state, true, 0.0, NOW - Duration::seconds(1));
    assert_eq!(state.alerts, 1);
    screens("failing_row", &state);
}

#[test]
fn source_lost() {
    let mut state = four_destinations();
    observe_live(&mut state, false, 6.1e6, NOW - Duration::seconds(1));
    screens("source_lost", &state);
}

#[test]
fn monochrome_keeps_the_selected_row_visible() {
    // crossterm 0.29 under NO_COLOR resets attributes when a colour is set: the monochrome theme
    // sets none, so the selection must show by modifiers alone.
    let state = four_destinations();
    let terminal = render_with(&state, 120, 35, &Theme::monochrome());
    let buffer = terminal.backend().buffer();
    let y = (0..buffer.area.height)
        .find(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, *y)].symbol().to_string())
                .collect::<String>()
                .contains("YouTube main")
        })
        .expect("the selected row is drawn");
    for x in 1..buffer.area.width - 1 {
        let cell = &buffer[(x, y)];
        assert!(
            cell.modifier
                .intersects(Modifier::REVERSED | Modifier::BOLD),
            "cell {x} of the selected row has no emphasis: {cell:?}"
        );
        assert!(matches!(cell.fg, ratatui::style::Color::Reset));
    }
}

#[test]
fn the_event_log_holds_still_when_scrolled_up_and_follows_at_the_bottom() {
    let mut state = four_destinations();
    press(&mut state, KeyCode::Char('l'));
    let log_text = |state: &AppState| {
        let t = format!("{}", render(state, 120, 35).backend());
        t.lines()
            .skip_while(|l| !l.contains("Event log"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let line = |state: &mut AppState, text: &str| {
        state.apply(EngineEvent::Log(LogEntry {
            at: NOW,
            level: Level::Info,
            destination: None,
            text: text.into(),
        }));
    };
    for i in 0..12 {
        line(&mut state, &format!("filler {i}"));
    }
    // At the bottom: a new line shows at once.
    line(&mut state, "newest at the bottom");
    assert!(log_text(&state).contains("newest at the bottom"));
    // Scrolled up: new lines don't move what is being read.
    press(&mut state, KeyCode::PageUp);
    let before = log_text(&state);
    line(&mut state, "arrives while reading");
    let after = log_text(&state);
    let body = |t: &str| t.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(body(&before), body(&after));
    assert!(!after.contains("arrives while reading"));
    // Back at the bottom (a page is 5 lines; one more arrived) it follows again.
    press(&mut state, KeyCode::PageDown);
    press(&mut state, KeyCode::PageDown);
    assert_eq!(state.log_scroll, 0);
    assert!(log_text(&state).contains("arrives while reading"));
}

/// A 16:9 picture of four bars, red, green, blue and white, as MediaLive would serve it.
fn four_bars_jpeg() -> Vec<u8> {
    const BARS: [[u8; 3]; 4] = [[220, 20, 20], [20, 220, 20], [20, 20, 220], [240, 240, 240]];
    let (w, h) = (320u32, 180u32);
    let rgb: Vec<u8> = (0..h)
        .flat_map(|_| (0..w).flat_map(|x| BARS[(x * 4 / w) as usize]))
        .collect();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .expect("encode");
    out
}

fn with_frame(state: &mut AppState, body: Vec<u8>) {
    let id = state.rows[0].record.destination_id;
    state.apply(EngineEvent::Thumbnail {
        id,
        result: Ok(Some(onair::cloud::Thumbnail {
            body,
            content_type: "image/jpeg".into(),
            taken_at: Some(NOW - Duration::seconds(3)),
        })),
    });
}

/// The cells drawn with a half block, as (x, y, foreground, background).
fn half_blocks(
    terminal: &Terminal<TestBackend>,
) -> Vec<(u16, u16, ratatui::style::Color, ratatui::style::Color)> {
    let buffer = terminal.backend().buffer();
    let mut out = Vec::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            if cell.symbol() == "▀" {
                out.push((x, y, cell.fg, cell.bg));
            }
        }
    }
    out
}

#[test]
fn details_view_with_a_preview_frame() {
    use ratatui::style::Color;
    let mut state = four_destinations();
    press(&mut state, KeyCode::Enter);
    with_frame(&mut state, four_bars_jpeg());

    let colour = render(&state, 160, 50);
    let text = format!("{}", colour.backend());
    assert_no_key(&text);
    assert!(text.contains("Preview 20:23:04"), "{text}");
    insta::assert_snapshot!("details_preview_160x50", colour.backend());

    // The picture is in truecolour, bars left to right: reddest cells left of greenest of
    // bluest; top and bottom halves agree (the bars are vertical).
    let cells = half_blocks(&colour);
    assert!(cells.len() > 500, "{} half-block cells", cells.len());
    let rgb = |c: Color| match c {
        Color::Rgb(r, g, b) => (r, g, b),
        other => panic!("not truecolour: {other:?}"),
    };
    let x_of = |pick: fn((u8, u8, u8)) -> bool| {
        let xs: Vec<u16> = cells
            .iter()
            .filter(|(_, _, fg, bg)| pick(rgb(*fg)) && pick(rgb(*bg)))
            .map(|(x, ..)| *x)
            .collect();
        assert!(!xs.is_empty());
        xs.iter().map(|x| f64::from(*x)).sum::<f64>() / xs.len() as f64
    };
    let red = x_of(|(r, g, b)| r > 180 && g < 80 && b < 80);
    let green = x_of(|(r, g, b)| g > 180 && r < 80 && b < 80);
    let blue = x_of(|(r, g, b)| b > 180 && r < 80 && g < 80);
    assert!(red < green && green < blue, "{red} {green} {blue}");

    // Monochrome: no colour at all, shades instead of half blocks.
    let mono = render_with(&state, 160, 50, &Theme::monochrome());
    assert!(half_blocks(&mono).is_empty());
    let mono_text = format!("{}", mono.backend());
    assert!(
        mono_text.contains('▓') || mono_text.contains('▒'),
        "{mono_text}"
    );
    insta::assert_snapshot!("details_preview_mono_160x50", mono.backend());
}

#[test]
fn details_preview_placeholders() {
    // A broken image: a placeholder and one log line, however often it comes.
    let mut state = four_destinations();
    press(&mut state, KeyCode::Enter);
    let before = state.log.len();
    with_frame(&mut state, b"\xFF\xD8 truncated".to_vec());
    with_frame(&mut state, b"\xFF\xD8 truncated".to_vec());
    let text = format!("{}", render(&state, 160, 50).backend());
    assert!(text.contains("no preview"), "{text}");
    assert!(half_blocks(&render(&state, 160, 50)).is_empty());
    assert_eq!(state.log.len(), before + 1);
    assert_eq!(state.log.back().map(|e| e.level), Some(Level::Warn));

    // A frame arriving after the view closed is dropped.
    press(&mut state, KeyCode::Esc);
    with_frame(&mut state, four_bars_jpeg());
    press(&mut state, KeyCode::Enter);
    let text = format!("{}", render(&state, 160, 50).backend());
    assert!(text.contains("waiting for the first frame"), "{text}");

    // An idle destination has no preview to wait for.
    press(&mut state, KeyCode::Esc);
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Enter);
    let text = format!("{}", render(&state, 160, 50).backend());
    assert!(text.contains("the channel is not running"), "{text}");
}

fn unreadable_items() -> Vec<onair::domain::UnreadableRecord> {
    vec![
        onair::domain::UnreadableRecord {
            id: Some("0a1b2c3d-1111-4222-8333-444455556666".into()),
            name: Some("Facebook (seed)".into()),
            attribute: "status".into(),
            reason: "is \"live\", not a known status".into(),
        },
        onair::domain::UnreadableRecord {
            id: Some("not-a-uuid".into()),
            name: None,
            attribute: "destinationId".into(),
            reason: "is not a UUID".into(),
        },
    ]
}

/// Three readable rows (none in error) and two items the table holds that onair can't read,
/// folded in from a refresh as the engine reports them.
fn with_unreadable_items() -> AppState {
    let mut state = four_destinations();
    state.rows.retain(|r| r.record.status != Status::Error);
    let live = state.rows[0].record.clone();
    let mut o = observation(NOW, 40, &live);
    o.unreadable = unreadable_items();
    state.apply(EngineEvent::Observed(Box::new(o)));
    state
}

#[test]
fn unreadable_rows_80x24() {
    let state = with_unreadable_items();
    let terminal = render(&state, 80, 24);
    let text = format!("{}", terminal.backend());
    assert!(text.contains("2 unreadable"), "{text}");
    assert!(text.contains("⚠ unreadable"), "{text}");
    assert!(
        text.contains("status is \"live\", not a known status"),
        "the footer names the attribute and why:\n{text}"
    );
    insta::assert_snapshot!("unreadable_80x24", terminal.backend());
}

#[test]
fn unreadable_rows_are_never_selected() {
    let mut state = with_unreadable_items();
    for _ in 0..10 {
        press(&mut state, KeyCode::Down);
    }
    let selected = state.selected_id().expect("a row is selected");
    assert_eq!(
        Some(selected),
        state.rows.last().map(|r| r.record.destination_id)
    );
}

/// Every control, escape sequence and bidi control an outside text can hold.
const HOSTILE: [&str; 8] = [
    "\x1b]0;pwned\x07",
    "\x1b]52;c;cHduZWQ=\x07",
    "\x1b[2J",
    "a\rb\nc",
    "c1\u{9b}31m\u{85}",
    "del\x7f",
    "bidi\u{202e}evil\u{2066}\u{200f}\u{061c}",
    "\u{202a}\u{202b}\u{202c}\u{202d}\u{2067}\u{2068}\u{2069}\u{200e}",
];

fn hostile_state() -> AppState {
    let mut state = four_destinations();
    for (i, row) in state.rows.iter_mut().enumerate() {
        let r = &mut row.record;
        r.name = format!("{}{i}", HOSTILE[i % HOSTILE.len()]);
        r.preset = HOSTILE[(i + 1) % HOSTILE.len()].into();
        r.media_live_channel_id = Some(HOSTILE[(i + 2) % HOSTILE.len()].into());
        r.media_live_input_id = Some(HOSTILE[(i + 3) % HOSTILE.len()].into());
        r.media_connect_output_arn = Some(HOSTILE[(i + 4) % HOSTILE.len()].into());
        r.rtmp_url = HOSTILE[(i + 5) % HOSTILE.len()].into();
        r.last_error = Some(HOSTILE.join(" "));
    }
    let live = state.rows[0].record.clone();
    let mut o = observation(NOW, 40, &live);
    if let Some(flow) = o.flow.as_mut() {
        flow.name = HOSTILE[0].into();
        flow.status = HOSTILE[6].into();
    }
    o.error = Some(HOSTILE[1].into());
    o.unreadable = vec![onair::domain::UnreadableRecord {
        id: Some(HOSTILE[2].into()),
        name: Some(HOSTILE[6].into()),
        attribute: "status".into(),
        reason: format!("is {:?}, not a known status", HOSTILE[0]),
    }];
    state.apply(EngineEvent::Observed(Box::new(o)));
    for text in HOSTILE {
        state.apply(EngineEvent::Log(LogEntry {
            at: NOW,
            level: Level::Warn,
            destination: Some(live.destination_id),
            text: text.into(),
        }));
    }
    state
}

fn assert_clean(terminal: &Terminal<TestBackend>, what: &str) {
    for cell in terminal.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(onair::domain::text::is_unsafe),
            "{what}: {:?} reaches the terminal",
            cell.symbol()
        );
    }
}

#[test]
fn hostile_text_from_outside_never_reaches_the_terminal_raw() {
    for (w, h) in [(80, 24), (120, 35)] {
        let mut state = hostile_state();
        let main = render(&state, w, h);
        assert_clean(&main, "main");
        let text = format!("{}", main.backend());
        assert!(text.contains("␛]0;pwned␇"), "shown visibly:\n{text}");
        press(&mut state, KeyCode::Char('l'));
        assert_clean(&render(&state, w, h), "event log");
        press(&mut state, KeyCode::Char('l'));
        press(&mut state, KeyCode::Enter);
        let details = render(&state, w, h);
        assert_clean(&details, "details");
        press(&mut state, KeyCode::Esc);
        press(&mut state, KeyCode::Char('x'));
        assert_clean(&render(&state, w, h), "confirm stop");
        press(&mut state, KeyCode::Esc);
        press(&mut state, KeyCode::Char('e'));
        assert_clean(&render(&state, w, h), "edit form");
    }
}

// ---- Issue 12: the screen never lies during a show.

/// A refresh at `at` like the fixture's, with `edit` applied (a failure, a gap, …).
fn observe_with(state: &mut AppState, at: OffsetDateTime, edit: impl FnOnce(&mut Observation)) {
    let live = state.rows[0].record.clone();
    let mut o = observation(at, 40, &live);
    edit(&mut o);
    state.apply(EngineEvent::Observed(Box::new(o)));
}

fn log(state: &mut AppState, at: OffsetDateTime, level: Level, text: &str) {
    state.apply(EngineEvent::Log(LogEntry {
        at,
        level,
        destination: None,
        text: text.into(),
    }));
}

/// CloudWatch throttled for 40 s: every datapoint is missing. The healthy running row is
/// unknown with the age of its last datapoint, never degraded; the header names the stale part.
#[test]
fn throttled_cloudwatch() {
    let mut state = four_destinations();
    let since = NOW - Duration::seconds(4);
    for i in 0..4 {
        let at = since + Duration::seconds(10 * i);
        observe_with(&mut state, at, |o| {
            o.metrics = MetricsSample::default();
            o.metrics_error = Some("GetMetricData: throttled: Rate exceeded".into());
            o.error = o.metrics_error.clone();
        });
        log(
            &mut state,
            at,
            Level::Warn,
            "refresh: GetMetricData: throttled: Rate exceeded",
        );
    }
    state.tick(since + Duration::seconds(31));
    let health = state.health(&state.rows[0]);
    assert_eq!(health.label(), "no data", "{health:?}");
    let text = format!("{}", render(&state, 160, 50).backend());
    assert!(!text.contains("degraded"), "{text}");
    assert!(text.contains("metrics stale 0:"), "{text}");
    assert!(text.contains("? no data"), "{text}");
    press(&mut state, KeyCode::Char('l'));
    screens("throttled_cloudwatch", &state);
}

/// MediaLive's ListChannels throttled: the channel states are the stale part, said with since
/// when; the repeated log line is one folded line.
#[test]
fn throttled_medialive() {
    let mut state = four_destinations();
    // The fixture's last good refresh was at NOW - 4 s; ListChannels fails from then on.
    let since = NOW - Duration::seconds(4);
    for i in 1..=20 {
        let at = since + Duration::seconds(2 * i);
        observe_with(&mut state, at, |o| {
            o.channels.clear();
            o.channels_error = Some("ListChannels: throttled: Rate exceeded".into());
            o.error = o.channels_error.clone();
        });
        log(
            &mut state,
            at,
            Level::Warn,
            "refresh: ListChannels: throttled: Rate exceeded",
        );
    }
    state.tick(since + Duration::seconds(41));
    let text = format!("{}", render(&state, 160, 50).backend());
    assert!(
        text.contains("channels stale 0:41"),
        "the header names the part and its age:\n{text}"
    );
    assert!(!text.contains("refresh failed"), "{text}");
    press(&mut state, KeyCode::Char('l'));
    let text = format!("{}", render(&state, 160, 50).backend());
    assert!(text.contains("×20 since 20:23:05"), "folded:\n{text}");
    assert_eq!(
        text.matches("ListChannels: throttled").count(),
        1,
        "one folded line:\n{text}"
    );
    screens("throttled_medialive", &state);
}

/// Stopped 5 s ago: CloudWatch still answers the last run's datapoint, and the row shows no
/// figure and no sparkline.
#[test]
fn stopped_row_within_15s_of_its_stop() {
    let mut state = four_destinations();
    let mut stopped = state.rows[0].record.clone();
    stopped.status = Status::Idle;
    let catalog = Catalog::builtin();
    onair::engine::cost::close_run(&mut stopped, NOW - Duration::seconds(5), &catalog.pricing);
    state.apply(EngineEvent::Upserted(stopped));
    observe_with(&mut state, NOW - Duration::seconds(3), |_| {});
    observe_with(&mut state, NOW - Duration::seconds(1), |_| {});
    let text = format!("{}", render(&state, 160, 50).backend());
    let row = text
        .lines()
        .find(|l| l.contains("YouTube main"))
        .expect("row")
        .to_string();
    assert!(row.contains("○ idle"), "{row}");
    assert!(!row.chars().any(|c| "▁▂▃▄▅▆▇█".contains(c)), "{row}");
    assert!(!row.contains("6."), "{row}");
    screens("stopped_row", &state);
}

/// The header's on-air summary: live, failing, starting and the burn rate with the flow.
#[test]
fn header_summary() {
    let mut state = four_destinations();
    // The creating row is a start now (step 2/3 for 1:42), the error row wants to run.
    let mut starting = state.rows[2].record.clone();
    starting.status = Status::Starting;
    starting.desired = onair::domain::Desired::Running;
    let id = starting.destination_id;
    state.apply(EngineEvent::Upserted(starting));
    state.now = NOW - Duration::seconds(102);
    state.apply(EngineEvent::Progress(
        id,
        Progress {
            op: OpKind::Start,
            step: 2,
            of: 3,
            label: "waiting for RUNNING".into(),
        },
    ));
    state.now = NOW;
    let mut failed = state.rows[3].record.clone();
    failed.desired = onair::domain::Desired::Running;
    state.apply(EngineEvent::Upserted(failed));
    let text = format!("{}", render(&state, 160, 50).backend());
    let header = text.lines().next().unwrap_or_default().to_string();
    assert!(
        header.contains("live 1 · failing 1 · starting 1 · $"),
        "{header}"
    );
    assert!(
        text.contains("◐ waiting for RUNNING 2/3 · 1:42, usually < 3 min"),
        "{text}"
    );
    screens("header_summary", &state);
}

/// The event log full screen (l twice): long lines wrap whole.
#[test]
fn event_log_full_screen() {
    let mut state = four_destinations();
    log(
        &mut state,
        NOW,
        Level::Error,
        "start failed at starting channel 2/3: StartChannel: invalid: The channel's destination \
         rtmp://a.rtmp.youtube.com/live2 refused the connection; the input \
         arn:aws:medialive:us-east-1:111122223333:input:7654321 is left in place",
    );
    press(&mut state, KeyCode::Char('l'));
    press(&mut state, KeyCode::Char('l'));
    let text = format!("{}", render(&state, 80, 24).backend());
    assert!(text.contains("Event log (full screen)"), "{text}");
    assert!(
        text.contains("arn:aws:medialive:us-east-1:111122223333:input:7654321 is left in"),
        "wrapped whole, never mid-ARN:\n{text}"
    );
    screens("event_log_full", &state);
}

/// The details of the row in error at 80×24: the last error whole (wrapped at spaces), and the
/// view scrolls down to the chart and the events.
#[test]
fn details_of_an_error_row_scrolled() {
    let mut state = four_destinations();
    for _ in 0..3 {
        press(&mut state, KeyCode::Down);
    }
    press(&mut state, KeyCode::Enter);
    let top = format!("{}", render(&state, 80, 24).backend());
    assert!(top.contains("left in place"), "the whole error:\n{top}");
    for _ in 0..40 {
        press(&mut state, KeyCode::Char('j'));
    }
    let bottom = format!("{}", render(&state, 80, 24).backend());
    assert!(bottom.contains("Recent events"), "{bottom}");
    assert!(bottom.contains("Output Mb/s"), "{bottom}");
    for (w, h) in [(80, 24)] {
        insta::assert_snapshot!(
            format!("details_error_scrolled_{w}x{h}"),
            render(&state, w, h).backend()
        );
    }
}

/// Without colour a failing row still stands out when it is not the selected one: its state
/// glyph is ✖, and its name and state are bold and underlined (the monochrome alarm style).
#[test]
fn a_failing_row_is_unmistakable_without_colour() {
    let mut state = four_destinations();
    observe_live(&mut state, true, 0.0, NOW - Duration::seconds(2));
    observe_live(&mut state, true, 0.0, NOW - Duration::seconds(1));
    press(&mut state, KeyCode::Down);
    let terminal = render_with(&state, 80, 24, &Theme::monochrome());
    let buffer = terminal.backend().buffer();
    let y = (0..buffer.area.height)
        .find(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, *y)].symbol().to_string())
                .collect::<String>()
                .contains("YouTube main")
        })
        .expect("the failing row is drawn");
    let line: String = (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_string())
        .collect();
    assert!(line.contains("✖ running"), "{line}");
    let x = line
        .find("YouTube")
        .map(|b| line[..b].chars().count())
        .unwrap_or(0) as u16;
    for dx in 0..12 {
        let cell = &buffer[(x + dx, y)];
        assert!(
            cell.modifier
                .contains(Modifier::BOLD | Modifier::UNDERLINED),
            "name cell {dx} plain: {cell:?}"
        );
    }
    insta::assert_snapshot!("failing_row_unselected_mono_80x24", emphasis_map(&terminal));
}

/// The same show in a named environment as the AWS mode's bar reads it: environment, account id
/// and alias, region, profile; `production` puts the PRODUCTION banner on it.
fn in_environment(name: &str, production: bool) -> AppState {
    let mut state = four_destinations();
    state.demo = false;
    state.context = format!("{name} · 111122223333 (acme-{name}) · eu-west-1 · profile {name}");
    state.env_name = Some(name.into());
    state.environments = vec!["rehearsal".into(), "show".into()];
    state.production = production;
    state
}

/// The top line's text, then each run of cells with one style: columns, colours, modifiers.
/// What the text snapshot can't show: that production is set apart in colour as well as words.
fn header_styles(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut line = String::new();
    let mut runs: Vec<(u16, u16, String)> = Vec::new();
    for x in 0..buffer.area.width {
        let cell = &buffer[(x, 0)];
        line.push_str(cell.symbol());
        let style = format!("fg={:?} bg={:?} {:?}", cell.fg, cell.bg, cell.modifier);
        match runs.last_mut() {
            Some((_, end, s)) if *s == style => *end = x,
            _ => runs.push((x, x, style)),
        }
    }
    let mut out = format!("{line}\n");
    for (start, end, style) in runs {
        let text: String = (start..=end).map(|x| buffer[(x, 0)].symbol()).collect();
        out.push_str(&format!("{start:>3}..{end:<3} {style:<48} {text:?}\n"));
    }
    out
}

/// The header of a production and of a rehearsal environment at 80×24 and 160×50, colour and
/// NO_COLOR: the environment, the account and its alias are on it, and production says so in a
/// word that survives the loss of colour.
#[test]
fn header_names_the_environment_and_account_and_production_is_unmistakable() {
    for (name, production) in [("show", true), ("rehearsal", false)] {
        let state = in_environment(name, production);
        let mut styles = String::new();
        for (w, h) in [(80, 24), (160, 50)] {
            for (theme_name, theme) in [
                ("colour", Theme::default_dark()),
                ("mono", Theme::monochrome()),
            ] {
                let terminal = render_with(&state, w, h, &theme);
                let top = format!("{}", terminal.backend());
                let top = top.lines().next().unwrap_or_default();
                assert_eq!(
                    top.contains("PRODUCTION"),
                    production,
                    "{name} {w} {theme_name}: {top}"
                );
                assert!(top.contains(name), "{name} {w}: {top}");
                if w == 160 {
                    assert!(
                        top.contains("111122223333 (acme-"),
                        "{name} {theme_name}: the account and alias: {top}"
                    );
                }
                if production && theme_name == "colour" {
                    // Red in colour too: the banner's cells are the theme's error colour,
                    // reversed into a block, not the bar's own.
                    let x = top
                        .find("PRODUCTION")
                        .map_or(0, |b| top[..b].chars().count());
                    let cell = &terminal.backend().buffer()[(x as u16, 0)];
                    assert_eq!(cell.fg, ratatui::style::Color::LightRed, "{w}");
                    assert!(cell.modifier.contains(Modifier::REVERSED), "{w}");
                }
                styles.push_str(&format!("── {name} {w}x{h} {theme_name}\n"));
                styles.push_str(&header_styles(&terminal));
            }
        }
        screens(&format!("header_{name}"), &state);
        insta::assert_snapshot!(format!("header_{name}_styles"), styles);
    }
}

/// In production every change is asked first, naming the environment: here a single start,
/// which outside production goes without a question.
#[test]
fn a_production_question_names_the_environment() {
    let mut state = in_environment("show", true);
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Char('s'));
    let text = format!("{}", render(&state, 80, 24).backend());
    assert!(text.contains("Start · show · PRODUCTION"), "{text}");
    insta::assert_snapshot!("production_start_confirm_80x24", text);
    let mut rehearsal = in_environment("rehearsal", false);
    press(&mut rehearsal, KeyCode::Down);
    press(&mut rehearsal, KeyCode::Char('s'));
    let text = format!("{}", render(&rehearsal, 80, 24).backend());
    assert!(
        !text.contains("Start ·"),
        "no question outside production:\n{text}"
    );
}

#[test]
fn details_view_shows_each_alarms_state_when_alarms_are_on() {
    use onair::cloud::AlarmState;
    use onair::engine::{AlarmBoard, AlarmLight};
    let mut state = four_destinations();
    press(&mut state, KeyCode::Enter);
    // Alarms off (never read): no alarm line at all.
    let off = format!("{}", render(&state, 160, 50).backend());
    assert!(!off.contains("alarms"), "{off}");
    let id = state.rows[0].record.destination_id;
    let light = |what, state: AlarmState| AlarmLight {
        what,
        state,
        reason: String::new(),
    };
    let mut board = AlarmBoard::default();
    board.destinations.insert(
        id,
        vec![
            light("delivering", AlarmState::Alarm),
            light("bitrate", AlarmState::Ok),
            light("alerts", AlarmState::Ok),
        ],
    );
    state.apply(EngineEvent::Alarms(Ok(board)));
    screens("details_alarms", &state);
    let shown = format!("{}", render(&state, 160, 50).backend());
    let line = shown
        .lines()
        .find(|l| l.contains("alarms"))
        .unwrap_or_else(|| panic!("no alarm line:\n{shown}"));
    assert!(
        line.contains("delivering ALARM · bitrate OK · alerts OK"),
        "{line}"
    );
    // A failed read later keeps the states last read.
    state.apply(EngineEvent::Alarms(Err("DescribeAlarms: throttled".into())));
    let again = format!("{}", render(&state, 160, 50).backend());
    assert!(again.contains("delivering ALARM"), "{again}");
}

#[test]
fn the_header_says_when_the_quotas_are_the_configs_not_the_accounts() {
    use onair::cloud::{CloudError, ErrorKind};
    use onair::engine::quotas::report_from;
    let mut state = four_destinations();
    let plain = format!("{}", render(&state, 160, 50).backend());
    assert!(!plain.contains("(config)"), "{plain}");
    let denied = CloudError::new("ListServiceQuotas", ErrorKind::AccessDenied, "denied");
    state.apply(EngineEvent::Quotas(report_from(
        Err(denied),
        Vec::new(),
        5,
        5,
    )));
    let shown = format!("{}", render(&state, 160, 50).backend());
    let header = shown.lines().next().unwrap_or_default();
    assert!(header.contains("(config)"), "{header}");
}
