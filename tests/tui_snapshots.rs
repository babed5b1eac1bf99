//! Rendering snapshots of the control room, built from fixed records, events and timestamps (no
//! real clock), drawn on ratatui's `TestBackend`. Review a change by reading the `.snap.new`
//! file; accept with `INSTA_UPDATE=always` once it is right.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use onair::cloud::ChannelState;
use onair::domain::{Catalog, Destination, Platform, Status, StreamKey};
use onair::engine::{
    DestinationMetrics, EngineEvent, FlowView, Level, LogEntry, MetricsSample, Observation, OpKind,
    Progress, QuotaUse,
};
use onair::tui::action::handle_key;
use onair::tui::state::AppState;
use onair::tui::{Theme, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
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
    Destination::new(
        name.into(),
        platform,
        platform
            .default_url()
            .unwrap_or("rtmps://1a2b3c.ingest.linkedin.example/live")
            .into(),
        StreamKey::new(key),
        preset.into(),
        T0 + Duration::minutes(minute),
    )
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
        channels,
        quotas: QuotaUse {
            channels_used: 3,
            channels_allowed: 5,
            inputs_used: 4,
            inputs_allowed: 5,
        },
        metrics,
    }
}

/// Four destinations: running with history, idle, creating (step 3/5), error.
fn four_destinations() -> AppState {
    let mut live = record("YouTube main", Platform::Youtube, KEYS[0], "1080p30", 0);
    live.status = Status::Running;
    live.running_since = Some(NOW - Duration::seconds(3723));
    live.media_live_channel_id = Some("1234567".into());
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
    assert!(
        text.contains("yt••••••••••••••••••••c1"),
        "masked key shown:\n{text}"
    );
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
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let entries = std::fs::read_dir(&dir).expect("tests/snapshots exists");
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
