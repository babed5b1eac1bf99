//! The preview frame of a running destination, for the details view. Paced here rather than by
//! the caller: however often the view asks, one destination costs at most one DescribeThumbnails
//! per refresh interval (and never two at once), out of the account's 5 MediaLive calls a second.

use super::{Engine, EngineEvent};
use crate::domain::{DestinationId, Status};
use std::time::Duration;
use tokio::time::Instant;

/// MediaLive makes a new thumbnail every 2 s: asking more often only repeats the frame.
const FRAME_EVERY: Duration = Duration::from_secs(2);

impl Engine {
    /// Fetches the current frame of the destination's running channel in the background; the
    /// answer arrives as [`EngineEvent::Thumbnail`]. Returns whether a call was made: not for a
    /// destination that isn't running, nor within a refresh interval of the previous call.
    pub fn fetch_thumbnail(&self, id: DestinationId) -> bool {
        let Some(record) = self.record(id) else {
            return false;
        };
        let Some(channel_id) = record.media_live_channel_id.clone() else {
            return false;
        };
        if record.status != Status::Running {
            return false;
        }
        let every = self.inner.config.refresh_interval.max(FRAME_EVERY);
        let now = Instant::now();
        {
            let mut last = self
                .inner
                .thumbnails
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if last.get(&id).is_some_and(|at| now < *at + every) {
                return false;
            }
            // Stamped at the call, not the answer, so a slow answer can't let a second call in.
            last.insert(id, now);
        }
        let engine = self.clone();
        tokio::spawn(async move {
            // No retries: the next frame is one refresh away anyway.
            let result = engine
                .inner
                .cloud
                .medialive
                .describe_thumbnails(&channel_id)
                .await
                .map_err(|e| {
                    tracing::warn!(destination = %id, "preview: {e}");
                    e.to_string()
                });
            engine.emit(EngineEvent::Thumbnail { id, result });
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::cloud::{ChannelState, MediaLive};
    use crate::domain::{Catalog, DestinationDraft, StreamKey};
    use crate::engine::EngineConfig;
    use crate::sim::{SimConfig, Simulator};
    use std::sync::Arc;
    use tokio::sync::mpsc::UnboundedReceiver;

    async fn running_and_idle() -> (
        Engine,
        UnboundedReceiver<EngineEvent>,
        Arc<Simulator>,
        DestinationId,
        DestinationId,
    ) {
        let clock = Clock::starting_at(time::macros::datetime!(2026-11-25 10:00 UTC));
        let sim = Simulator::new(SimConfig::unlimited(), clock.clone());
        let (engine, rx) = Engine::new(
            sim.cloud(),
            Arc::new(Catalog::builtin()),
            EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN),
            clock,
        );
        let draft = |name: &str| DestinationDraft {
            name: name.into(),
            platform: "youtube".into(),
            url: String::new(),
            stream_key: StreamKey::new("abcd-efgh-ijkl-mnop").into(),
            preset: "1080p30".into(),
        };
        let live = engine.add(draft("live")).unwrap();
        let idle = engine.add(draft("idle")).unwrap();
        engine.settle().await;
        engine.start(live).unwrap();
        engine.settle().await;
        assert_eq!(engine.record(live).unwrap().status, Status::Running);
        assert_eq!(engine.record(idle).unwrap().status, Status::Idle);
        let channel = engine.record(live).unwrap().media_live_channel_id.unwrap();
        assert_eq!(
            sim.describe_channel(&channel).await.unwrap().state,
            ChannelState::Running
        );
        sim.reset_call_counts();
        (engine, rx, sim, live, idle)
    }

    async fn thumbnail_events(
        rx: &mut UnboundedReceiver<EngineEvent>,
    ) -> Vec<(
        DestinationId,
        Result<Option<crate::cloud::Thumbnail>, String>,
    )> {
        // Let spawned fetches answer.
        tokio::time::sleep(Duration::from_millis(10)).await;
        let mut out = Vec::new();
        while let Ok(event) = rx.try_recv() {
            if let EngineEvent::Thumbnail { id, result } = event {
                out.push((id, result));
            }
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn a_running_destination_gets_a_frame_and_an_idle_one_nothing() {
        let (engine, mut rx, sim, live, idle) = running_and_idle().await;
        while rx.try_recv().is_ok() {}

        assert!(engine.fetch_thumbnail(live));
        let events = thumbnail_events(&mut rx).await;
        assert_eq!(events.len(), 1);
        let (id, result) = &events[0];
        assert_eq!(*id, live);
        let frame = result.as_ref().unwrap().as_ref().expect("a frame");
        assert!(image::load_from_memory_with_format(&frame.body, image::ImageFormat::Jpeg).is_ok());

        assert!(!engine.fetch_thumbnail(idle));
        assert!(thumbnail_events(&mut rx).await.is_empty());
        assert_eq!(sim.call_counts().get("DescribeThumbnails"), Some(&1));
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_one_call_per_refresh_interval() {
        let (engine, mut rx, sim, live, _) = running_and_idle().await;
        let every = engine.config().refresh_interval;
        // The view asks on every one-second tick for a minute.
        let mut made = 0;
        for _ in 0..60 {
            if engine.fetch_thumbnail(live) {
                made += 1;
            }
            tokio::time::advance(Duration::from_secs(1)).await;
        }
        let expected = 60 / every.as_secs();
        assert_eq!(made, expected);
        assert_eq!(sim.call_counts().get("DescribeThumbnails"), Some(&expected));
        assert_eq!(thumbnail_events(&mut rx).await.len() as u64, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_call_reports_the_error() {
        let (engine, mut rx, sim, live, _) = running_and_idle().await;
        while rx.try_recv().is_ok() {}
        sim.fail_next("DescribeThumbnails", crate::cloud::ErrorKind::AccessDenied);
        assert!(engine.fetch_thumbnail(live));
        let events = thumbnail_events(&mut rx).await;
        let (_, result) = &events[0];
        let message = result.as_ref().unwrap_err();
        assert!(message.contains("DescribeThumbnails"), "{message}");
    }
}
