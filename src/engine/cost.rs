//! The cost meter: what a destination has cost so far, from its record and the pricing table.
//! MediaLive bills each run rounded up to the minute with a minimum per start, and bills a
//! stopped channel and its idle input by the hour: both parts are shown.

use crate::domain::{Catalog, Destination, Pricing};
use time::OffsetDateTime;

/// Billable minutes of one run of `seconds`: rounded up, never below the minimum per start.
pub fn billed_minutes(seconds: u64, pricing: &Pricing) -> u64 {
    seconds
        .div_ceil(60)
        .max(u64::from(pricing.minimum_minutes_per_start))
}

/// Ends the record's current run at `now`, if it has one: its seconds and billable minutes
/// join the finished runs (for the cost meter).
pub fn close_run(r: &mut Destination, now: OffsetDateTime, pricing: &Pricing) {
    if let Some(seconds) = r.uptime(now) {
        // Both come from the table: saturate rather than overflow on another tool's number.
        r.run_seconds = r.run_seconds.saturating_add(seconds);
        r.billed_run_minutes = r
            .billed_run_minutes
            .saturating_add(billed_minutes(seconds, pricing));
    }
    r.running_since = None;
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CostSoFar {
    /// Running channel: finished runs as billed plus the current run.
    pub running: f64,
    /// Stopped channel and idle input while the chain exists but does not run.
    pub idle: f64,
}

impl CostSoFar {
    pub fn total(&self) -> f64 {
        self.running + self.idle
    }
}

/// What `record` has cost since it was created, at `now`.
pub fn cost_so_far(record: &Destination, catalog: &Catalog, now: OffsetDateTime) -> CostSoFar {
    let pricing = &catalog.pricing;
    let rate = catalog
        .get(&record.preset)
        .map(|p| catalog.running_rate(p))
        .unwrap_or(0.0);
    let current_run = record.uptime(now).unwrap_or(0);
    let current_billed = if record.running_since.is_some() {
        billed_minutes(current_run, pricing)
    } else {
        0
    };
    let running = record.billed_run_minutes.saturating_add(current_billed) as f64 / 60.0 * rate;

    let alive = (now - record.created_at).whole_seconds().max(0) as u64;
    let idle_seconds = if record.media_live_channel_id.is_some() {
        alive.saturating_sub(record.run_seconds.saturating_add(current_run))
    } else {
        0
    };
    let idle_rate = pricing.idle_channel_per_hour + pricing.idle_input_per_hour;
    CostSoFar {
        running,
        idle: idle_seconds as f64 / 3600.0 * idle_rate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, Status, StreamKey};
    use std::time::Duration;
    use time::macros::datetime;

    fn record() -> Destination {
        let mut d = Destination::new(
            "yt".into(),
            Platform::Youtube,
            "rtmp://a.rtmp.youtube.com/live2".into(),
            StreamKey::new("k"),
            "1080p30".into(),
            datetime!(2026-11-25 10:00 UTC),
        );
        d.status = Status::Idle;
        d.media_live_channel_id = Some("123".into());
        d
    }

    #[test]
    fn a_short_run_is_billed_ten_minutes() {
        let catalog = Catalog::builtin();
        let mut d = record();
        d.running_since = Some(datetime!(2026-11-25 10:00 UTC));
        let cost = cost_so_far(
            &d,
            &catalog,
            datetime!(2026-11-25 10:00 UTC) + Duration::from_secs(30),
        );
        let rate = catalog.running_rate(catalog.get("1080p30").unwrap());
        assert!((cost.running - rate * 10.0 / 60.0).abs() < 1e-9, "{cost:?}");
    }

    #[test]
    fn runs_round_up_to_the_minute() {
        let pricing = Catalog::builtin().pricing;
        assert_eq!(billed_minutes(0, &pricing), 10);
        assert_eq!(billed_minutes(601, &pricing), 11);
        assert_eq!(billed_minutes(3600, &pricing), 60);
    }

    #[test]
    fn an_idle_chain_costs_the_idle_rates_only() {
        let catalog = Catalog::builtin();
        let d = record();
        let cost = cost_so_far(&d, &catalog, datetime!(2026-11-25 12:00 UTC));
        let expected =
            2.0 * (catalog.pricing.idle_channel_per_hour + catalog.pricing.idle_input_per_hour);
        assert_eq!(cost.running, 0.0);
        assert!((cost.idle - expected).abs() < 1e-9);
    }

    #[test]
    fn a_record_without_a_channel_costs_nothing() {
        let catalog = Catalog::builtin();
        let mut d = record();
        d.media_live_channel_id = None;
        assert_eq!(
            cost_so_far(&d, &catalog, datetime!(2026-11-25 12:00 UTC)).total(),
            0.0
        );
    }
}
