//! Full-frame render of the main screen: 50 destinations with 120 refreshes of history each, at
//! 160×50 on ratatui's `TestBackend` (view, buffer diff and the backend's copy; no terminal I/O).
//! The state is built the way `tests/tui/snapshots.rs` builds it: records, then observations
//! folded in through `AppState::apply`.
//!
//! `cargo bench --bench render` (add `-- --quick` for a short run).

use criterion::{Criterion, criterion_group, criterion_main};
use onair::cloud::ChannelState;
use onair::cloud::Thumbnail;
use onair::domain::{Catalog, Destination, Platform, Status, StreamKey};
use onair::engine::{
    DestinationMetrics, EngineEvent, FlowView, MetricsSample, Observation, OpKind, Progress,
    QuotaUse,
};
use onair::tui::preview::{Preview, decode};
use onair::tui::state::{AppState, Details, Mode};
use onair::tui::{Theme, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-25 19:00 UTC);
const SAMPLES: usize = 120;

/// `n` destinations, most running with `SAMPLES` points of bitrate history, a few idle, one
/// starting and one in error: every column has something to draw.
pub fn busy_state(n: usize) -> AppState {
    let platforms = [Platform::Youtube, Platform::Twitch, Platform::Facebook];
    let presets = ["1080p30", "720p30", "1080p60"];
    let now = T0 + Duration::seconds(10 * SAMPLES as i64);
    let records: Vec<Destination> = (0..n)
        .map(|i| {
            let platform = platforms[i % platforms.len()];
            let mut d = Destination::new(
                format!("Destination {i:02}"),
                platform,
                platform
                    .default_url()
                    .unwrap_or("rtmp://ingest.example.com/live")
                    .into(),
                StreamKey::new(format!("bench-key-{i}")),
                presets[i % presets.len()].into(),
                T0 + Duration::seconds(i as i64),
            );
            d.status = match i % 10 {
                8 => Status::Idle,
                9 => Status::Error,
                _ => Status::Running,
            };
            if d.status == Status::Running {
                d.running_since = Some(T0 + Duration::seconds(i as i64));
            }
            if d.status == Status::Error {
                d.last_error = Some("StartChannel failed: throttled".into());
            }
            d
        })
        .collect();
    let mut state = AppState::new(Arc::new(Catalog::builtin()), now, "bench · us-east-1");
    state.apply(EngineEvent::Loaded(records.clone()));
    for s in 0..SAMPLES {
        let at = T0 + Duration::seconds(10 * s as i64);
        let wave = (s as f64 * 0.3).sin();
        let mut metrics = MetricsSample {
            at: Some(at),
            source_bitrate: Some(8.4e6 + wave * 0.6e6),
            source_connected: Some(true),
            source_packet_loss_percent: Some(0.02),
            source_not_recovered_packets: Some(0.0),
            source_round_trip_ms: Some(38.0),
            destinations: HashMap::new(),
        };
        let mut channels = HashMap::new();
        for (i, d) in records.iter().enumerate() {
            if d.status == Status::Running {
                channels.insert(d.destination_id, ChannelState::Running);
                metrics.destinations.insert(
                    d.destination_id,
                    DestinationMetrics {
                        // A gap now and then, as CloudWatch has.
                        bitrate: ((s + i) % 37 != 0)
                            .then_some(5.5e6 + wave * 0.5e6 + i as f64 * 1e4),
                        active_outputs: Some(1.0),
                    },
                );
            }
        }
        state.apply(EngineEvent::Observed(Box::new(Observation {
            watched: Vec::new(),
            at,
            flow: Some(FlowView {
                name: "onair-show".into(),
                arn: "arn:aws:mediaconnect:us-east-1:111122223333:flow:1-abc:onair-show".into(),
                status: "ACTIVE".into(),
                protocol: "SRT listener".into(),
                port: Some(9998),
                encryption: Some("AES-128".into()),
                outputs: n,
            }),
            error: None,
            flow_error: None,
            table_error: None,
            channels_error: None,
            metrics_error: None,
            channels,
            quotas: QuotaUse {
                channels_used: n,
                channels_allowed: n,
                inputs_used: n,
                inputs_allowed: n,
            },
            metrics,
            alerts: Default::default(),
            unreadable: Vec::new(),
        })));
    }
    if let Some(first_idle) = records.iter().find(|d| d.status == Status::Idle) {
        state.apply(EngineEvent::Progress(
            first_idle.destination_id,
            Progress {
                op: OpKind::Start,
                step: 2,
                of: 3,
                label: "starting channel".into(),
            },
        ));
    }
    state.now = now;
    state
}

fn render(c: &mut Criterion) {
    let theme = Theme::default_dark();
    let mut group = c.benchmark_group("render");
    for (n, width, height) in [(50usize, 160u16, 50u16), (20, 120, 35)] {
        let state = busy_state(n);
        assert!(
            state.rows.iter().all(|r| r.bitrate.len() == SAMPLES),
            "every row has {SAMPLES} points of history"
        );
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        group.bench_function(format!("main_{n}dest_{width}x{height}"), |b| {
            b.iter(|| {
                terminal
                    .draw(|frame| view::draw(frame, black_box(&state), &theme))
                    .expect("draw");
            })
        });
    }
    // The details view of a running row with a preview frame, and the decode that happens once
    // per frame when its event arrives (never per draw).
    let jpeg = test_card_jpeg();
    let mut state = busy_state(50);
    let id = state.rows[0].record.destination_id;
    state.mode = Mode::Details(Details::new(id));
    state.apply(EngineEvent::Thumbnail {
        id,
        result: Ok(Some(Thumbnail {
            body: jpeg.clone(),
            content_type: "image/jpeg".into(),
            taken_at: Some(state.now),
        })),
    });
    assert!(matches!(
        &state.mode,
        Mode::Details(d) if matches!(d.preview, Preview::Frame { .. })
    ));
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).expect("test backend");
    group.bench_function("details_preview_160x50", |b| {
        b.iter(|| {
            terminal
                .draw(|frame| view::draw(frame, black_box(&state), &theme))
                .expect("draw");
        })
    });
    group.bench_function("preview_decode_320x180_jpeg", |b| {
        b.iter(|| decode(black_box(&jpeg)).expect("decodes"))
    });
    group.finish();
}

/// A 320×180 JPEG of vertical colour bars with a gradient, about what MediaLive serves.
fn test_card_jpeg() -> Vec<u8> {
    let (w, h) = (320u32, 180u32);
    let rgb: Vec<u8> = (0..h)
        .flat_map(|y| {
            (0..w).flat_map(move |x| {
                let bar = (x * 7 / w) as u8;
                [bar * 36, (y * 255 / h) as u8, 255 - bar * 36]
            })
        })
        .collect();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .expect("encode");
    out
}

criterion_group!(benches, render);
criterion_main!(benches);
