//! A token bucket per caller (per token when tokens are configured, else per client address):
//! one busy script can't starve a dashboard or the operator's Stream Deck.

use std::collections::HashMap;
use std::sync::Mutex;
use tokio::time::Instant;

/// Callers remembered at most; the oldest are forgotten beyond it, so spoofed or many
/// addresses can't grow the map without bound.
const MAX_CALLERS: usize = 4096;

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// `per_second` requests a second, with bursts of twice that. 0 turns limiting off.
    pub fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second);
        Self {
            per_second,
            burst: (per_second * 2.0).max(1.0),
            buckets: Mutex::default(),
        }
    }

    /// `Ok` if `caller` may make a request now, else the whole seconds to wait.
    pub fn check(&self, caller: &str) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_CALLERS && !buckets.contains_key(caller) {
            let oldest = buckets
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                buckets.remove(&oldest);
            }
        }
        let (tokens, at) = buckets
            .entry(caller.to_string())
            .or_insert((self.burst, now));
        let refill = now.saturating_duration_since(*at).as_secs_f64() * self.per_second;
        *tokens = (*tokens + refill).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / self.per_second;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_caller_gets_its_burst_then_waits_while_others_go_on() {
        let limiter = RateLimiter::new(2);
        for _ in 0..4 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
        assert_eq!(limiter.check("a"), Err(1));
        assert_eq!(limiter.check("b"), Ok(()));
        tokio::time::advance(std::time::Duration::from_millis(500)).await;
        assert_eq!(limiter.check("a"), Ok(()));
        assert!(limiter.check("a").is_err());
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0);
        for _ in 0..1000 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
    }
}
