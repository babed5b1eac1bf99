//! A client-side token bucket per service, shared by everything in the process. MediaLive and
//! MediaConnect allow 5 calls a second per account and region (burst 30), not increasable, and
//! every tool in the account shares that budget: onair spends at most its share and queues the
//! rest instead of provoking throttling. (Hand-written: a dozen lines, where a rate-limiting
//! crate would bring a dependency tree for one counter.)

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

#[derive(Debug)]
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: f64) -> Self {
        Self {
            per_second,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// Waits until a call may go out.
    pub async fn acquire(&self) {
        let mut state = self.state.lock().await;
        let (tokens, last) = &mut *state;
        let now = Instant::now();
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens < 1.0 {
            let wait = Duration::from_secs_f64((1.0 - *tokens) / self.per_second);
            // Holding the lock while sleeping keeps callers in order.
            tokio::time::sleep(wait).await;
            *tokens = 1.0;
            *last = Instant::now();
        }
        *tokens -= 1.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces_at_the_rate() {
        let limiter = RateLimiter::new(5.0, 30.0);
        let start = Instant::now();
        for _ in 0..30 {
            limiter.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(10));
        for _ in 0..10 {
            limiter.acquire().await;
        }
        let paced = start.elapsed();
        assert!(
            paced >= Duration::from_millis(1990) && paced <= Duration::from_millis(2100),
            "{paced:?}"
        );
    }
}
