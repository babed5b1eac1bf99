//! What a destination's channel has cost so far.
//!
//! Stand-in until `engine::cost` (empty today) has the shared meter; the CLI and the TUI should
//! then call the same function. Counts the running rate only: finished runs as billed (rounded
//! up, a minimum per start), the current run rounded the same way. Idle channel/input hours and
//! the flow are left out.

use crate::domain::{Catalog, Destination};
use time::OffsetDateTime;

pub fn cost_so_far(record: &Destination, catalog: &Catalog, now: OffsetDateTime) -> f64 {
    let Some(preset) = catalog.get(&record.preset) else {
        return 0.0;
    };
    let rate_per_hour = catalog.running_rate(preset);
    let minimum = u64::from(catalog.pricing.minimum_minutes_per_start);
    let current = record
        .uptime(now)
        .map(|seconds| seconds.div_ceil(60).max(minimum))
        .unwrap_or(0);
    rate_per_hour * (record.billed_run_minutes + current) as f64 / 60.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, StreamKey};
    use time::macros::datetime;

    #[test]
    fn a_short_run_is_billed_the_minimum_and_finished_runs_add_up() {
        let c = Catalog::builtin();
        let start = datetime!(2026-11-25 19:00 UTC);
        let mut d = Destination::new(
            "A".into(),
            Platform::Youtube,
            String::new(),
            StreamKey::new("k"),
            "1080p30".into(),
            start,
        );
        assert_eq!(cost_so_far(&d, &c, start), 0.0);
        d.running_since = Some(start);
        let after_a_minute = cost_so_far(&d, &c, start + time::Duration::seconds(61));
        assert!((after_a_minute - 0.528 * 10.0 / 60.0).abs() < 1e-9);
        d.billed_run_minutes = 60;
        let an_hour_more = cost_so_far(&d, &c, start + time::Duration::seconds(61));
        assert!((an_hour_more - after_a_minute - 0.528).abs() < 1e-9);
    }
}
