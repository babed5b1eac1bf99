//! Memory over a long show: 100 destinations, 24 simulated hours, a refresh every 10 s
//! (8640 refreshes) folded into the TUI's `AppState` and drawn on a 160×50 `TestBackend`, on
//! tokio's paused clock. Prints the resident set as the hours pass, the peak (VmHWM) and the
//! length of every history the state keeps.
//!
//! A flow carries at most 50 outputs, so 50 destinations are real chains started through the
//! engine (one BatchStart) and 50 more are records with channel ids, as a second flow's worth
//! would be: every refresh asks CloudWatch for all 100, and every row keeps a history (the 50
//! without a channel keep gaps, which take the same room as values).
//!
//! `cargo bench --bench memory` (`-- --quick`: 1 simulated hour)

mod support;

use onair::domain::{Destination, Platform, Status, StreamKey};
use onair::sim::SimConfig;
use onair::tui::state::AppState;
use onair::tui::{Theme, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;
use std::time::Duration;

const CHAINS: usize = 50;
const RECORDS_ONLY: usize = 50;
const REFRESH: Duration = Duration::from_secs(10);

fn main() {
    let hours: u64 = if support::quick() { 1 } else { 24 };
    let refreshes = hours * 3600 / REFRESH.as_secs();
    let rt = support::paused_runtime();
    rt.block_on(async move {
        let mut rig = support::rig(SimConfig::unlimited(), CHAINS + RECORDS_ONLY);
        for i in 0..CHAINS {
            rig.engine.add(support::draft(i)).expect("add accepted");
        }
        rig.engine.settle().await;
        let ids: Vec<_> = rig.engine.records().iter().map(|r| r.id()).collect();
        rig.engine.start_many(&ids);
        rig.engine.settle().await;
        let store = rig.sim.cloud().store;
        for i in 0..RECORDS_ONLY {
            let mut record = Destination::new(
                format!("Second flow {i:02}"),
                Platform::Twitch,
                "rtmp://live.twitch.tv/app".into(),
                StreamKey::new(format!("bench-second-{i}-key")),
                "720p30".into(),
                rig.sim.now(),
            );
            record.status = Status::Idle;
            record.media_live_channel_id = Some(format!("{}", 2_000_000 + i));
            store.put_if_absent(&record).await.expect("put record");
        }

        let clock = rig.engine.clock().clone();
        let mut state = AppState::new(Arc::new(rig.engine.catalog().clone()), clock.now(), "bench");
        state.set_refresh_interval(REFRESH);
        let theme = Theme::default_dark();
        let mut terminal = Terminal::new(TestBackend::new(160, 50)).expect("test backend");
        rig.engine.load().await.expect("load");
        let mut folded = 0u64;
        let mut fold = |state: &mut AppState, rig: &mut support::Rig| {
            state.now = clock.now();
            while let Ok(event) = rig.events.try_recv() {
                state.apply(event);
                folded += 1;
            }
        };
        fold(&mut state, &mut rig);
        assert_eq!(state.rows.len(), CHAINS + RECORDS_ONLY);

        let start_kib = support::proc_status_kib("VmRSS:").unwrap_or(0);
        print!("VmRSS by simulated hour (MiB): 0h {:.1}", mib(start_kib));
        for i in 1..=refreshes {
            tokio::time::sleep(REFRESH).await;
            rig.engine.refresh().await;
            fold(&mut state, &mut rig);
            state.tick(clock.now());
            terminal
                .draw(|frame| view::draw(frame, &state, &theme))
                .expect("draw");
            if i % 360 == 0 {
                let rss = support::proc_status_kib("VmRSS:").unwrap_or(0);
                print!(" · {}h {:.1}", i / 360, mib(rss));
            }
        }
        println!();
        let running = state
            .rows
            .iter()
            .filter(|r| r.record.status == Status::Running)
            .count();
        let longest = state
            .rows
            .iter()
            .map(|r| r.bitrate.len())
            .max()
            .unwrap_or(0);
        let shortest = state
            .rows
            .iter()
            .map(|r| r.bitrate.len())
            .min()
            .unwrap_or(0);
        println!(
            "{refreshes} refreshes over {hours} simulated h, {folded} engine events folded; \
             {} rows ({running} running)",
            state.rows.len()
        );
        println!(
            "history: {shortest}–{longest} samples per row (limit {} at a 10 s refresh), \
             source {} samples, event log {} lines",
            state.history_len(),
            state.source.bitrate.len(),
            state.log.len()
        );
        println!(
            "peak resident set (VmHWM): {:.1} MiB; now (VmRSS): {:.1} MiB",
            mib(support::proc_status_kib("VmHWM:").unwrap_or(0)),
            mib(support::proc_status_kib("VmRSS:").unwrap_or(0))
        );
    });
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
