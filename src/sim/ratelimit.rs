//! AWS's per-account API rate limit (MediaLive and MediaConnect: 5 TPS steady, 30 burst), as a
//! token bucket on tokio time.

use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second.
    pub per_second: f64,
    /// Bucket size: how many calls may go at once after a quiet spell.
    pub burst: u32,
}

impl RateLimit {
    pub const AWS: RateLimit = RateLimit {
        per_second: 5.0,
        burst: 30,
    };
}

#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    limit: RateLimit,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    pub fn new(limit: RateLimit, now: Instant) -> Self {
        Self {
            limit,
            tokens: f64::from(limit.burst),
            at: now,
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens =
            (self.tokens + elapsed * self.limit.per_second).min(f64::from(self.limit.burst));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn burst_then_steady_rate() {
        let mut b = TokenBucket::new(RateLimit::AWS, Instant::now());
        let granted = (0..31).filter(|_| b.try_take(Instant::now())).count();
        assert_eq!(granted, 30);
        tokio::time::advance(Duration::from_secs(1)).await;
        let granted = (0..10).filter(|_| b.try_take(Instant::now())).count();
        assert_eq!(granted, 5);
    }
}
