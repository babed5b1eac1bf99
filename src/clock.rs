//! Wall-clock time that follows tokio's clock, so a test that pauses and advances tokio time
//! (`#[tokio::test(start_paused = true)]`) moves timestamps, uptimes, costs and simulated metrics
//! with it, and nothing in the engine or simulator reads the system clock directly.

use std::sync::Arc;
use time::OffsetDateTime;
use tokio::time::Instant;

#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Origin>,
}

#[derive(Debug)]
struct Origin {
    wall: OffsetDateTime,
    instant: Instant,
}

impl Clock {
    /// A clock starting at the real current time.
    pub fn system() -> Self {
        Self::starting_at(OffsetDateTime::now_utc())
    }

    /// A clock whose "now" is `wall` at the moment of creation (tests pin it for stable output).
    pub fn starting_at(wall: OffsetDateTime) -> Self {
        Self {
            inner: Arc::new(Origin {
                wall,
                instant: Instant::now(),
            }),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        let elapsed = Instant::now().saturating_duration_since(self.inner.instant);
        self.inner.wall + elapsed
    }

    pub fn instant(&self) -> Instant {
        Instant::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn follows_paused_tokio_time() {
        let start = time::macros::datetime!(2026-11-25 10:00 UTC);
        let clock = Clock::starting_at(start);
        tokio::time::advance(Duration::from_secs(90)).await;
        assert_eq!(clock.now(), start + Duration::from_secs(90));
    }
}
