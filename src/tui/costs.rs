//! The cost panel's numbers, from the engine's meter (`engine::cost::cost_so_far`) and the
//! pricing table in `presets.toml`. Pure: the same state gives the same figures.

use super::state::AppState;
use crate::domain::DestinationId;
use crate::engine::cost::cost_so_far;
use time::{Date, OffsetDateTime, Time};

#[derive(Debug, Clone, PartialEq)]
pub struct CostLine {
    pub id: DestinationId,
    pub name: String,
    pub platform: &'static str,
    pub running: f64,
    pub idle: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CostSummary {
    pub lines: Vec<CostLine>,
    /// What accrued while this onair ran.
    pub session: f64,
    pub month_to_date: f64,
    /// Month to date scaled to the whole month.
    pub projection: f64,
    /// The seed's always-on set-up, for comparison.
    pub baseline: f64,
    /// The flow, which bills around the clock whatever the destinations do: its name, its rate,
    /// its cost this month (taken as up since the month began) and over the whole month. Both
    /// are in `month_to_date` and `projection` too.
    pub flow: FlowCost,
    /// The burn rate now, flow included (see [`on_air`]).
    pub per_hour: f64,
    pub currency: String,
    pub as_of: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlowCost {
    pub name: String,
    pub per_hour: f64,
    pub session: f64,
    pub month_to_date: f64,
    pub month: f64,
}

pub fn summarize(state: &AppState) -> CostSummary {
    let pricing = &state.catalog.pricing;
    let now = state.now;
    let month_start = month_start(now);
    let mut lines = Vec::new();
    let mut session = state.session_removed;
    let mut month_to_date = 0.0;
    for row in &state.rows {
        let r = &row.record;
        let cost = cost_so_far(r, &state.catalog, now);
        session +=
            (cost.total() - state.session_base.get(&r.destination_id).unwrap_or(&0.0)).max(0.0);
        month_to_date += cost.total() * share_this_month(r.created_at, month_start, now);
        lines.push(CostLine {
            id: r.destination_id,
            name: r.name.clone(),
            platform: r.platform.label(),
            running: cost.running,
            idle: cost.idle,
        });
    }
    let hours = |from: OffsetDateTime| (now - from).as_seconds_f64().max(0.0) / 3600.0;
    let days = time::util::days_in_month(now.month(), now.year());
    let flow = FlowCost {
        name: state
            .flow
            .as_ref()
            .map_or_else(|| "flow".to_string(), |f| f.name.clone()),
        per_hour: pricing.flow_per_hour,
        session: hours(state.started_at) * pricing.flow_per_hour,
        month_to_date: hours(month_start) * pricing.flow_per_hour,
        month: f64::from(days) * 24.0 * pricing.flow_per_hour,
    };
    CostSummary {
        lines,
        session: session + flow.session,
        month_to_date: month_to_date + flow.month_to_date,
        // The destinations' month to date scaled to the month; the flow's whole month at its
        // rate (it never stops, so nothing needs scaling).
        projection: project(month_to_date, month_start, now) + flow.month,
        per_hour: on_air(state).per_hour,
        flow,
        baseline: pricing.always_on_baseline_per_month,
        currency: pricing.currency.clone(),
        as_of: pricing.as_of.clone(),
        source: pricing.source.clone(),
    }
}

/// What is on air now, for the header: one glance tells what is live, failing and costing.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OnAir {
    /// Channels running (sending and billed at the running rate), failing ones included.
    pub live: usize,
    /// Running rows whose health is an alarm (failing, source lost), and rows in `error` that
    /// are meant to run.
    pub failing: usize,
    /// Rows on their way to air: creating, starting, or a start under way.
    pub starting: usize,
    /// The burn rate now, per hour: each running channel at its tier's rate, each stopped chain
    /// at the idle channel and input rates, and the flow, which bills around the clock.
    pub per_hour: f64,
}

pub fn on_air(state: &AppState) -> OnAir {
    use crate::domain::{Desired, Status};
    let pricing = &state.catalog.pricing;
    let mut out = OnAir {
        per_hour: pricing.flow_per_hour,
        ..OnAir::default()
    };
    for row in &state.rows {
        let r = &row.record;
        let starting_op = row
            .progress
            .as_ref()
            .map(|p| p.op)
            .or(row.requested)
            .is_some_and(|op| matches!(op, crate::engine::OpKind::Start));
        if r.status.is_live() {
            out.live += 1;
            if state.health(row).is_alarm() {
                out.failing += 1;
            }
        } else if r.status == Status::Error && r.desired == Desired::Running {
            out.failing += 1;
        } else if r.status == Status::Starting
            || (r.status == Status::Creating && r.desired == Desired::Running)
            || starting_op
        {
            out.starting += 1;
        }
        out.per_hour += if r.status.is_live() || r.running_since.is_some() {
            state
                .catalog
                .get(&r.preset)
                .map(|p| state.catalog.running_rate(p))
                .unwrap_or(0.0)
        } else if r.media_live_channel_id.is_some() {
            pricing.idle_channel_per_hour + pricing.idle_input_per_hour
        } else {
            0.0
        };
    }
    out
}

fn month_start(now: OffsetDateTime) -> OffsetDateTime {
    let first = Date::from_calendar_date(now.year(), now.month(), 1).unwrap_or(now.date());
    first.with_time(Time::MIDNIGHT).assume_offset(now.offset())
}

/// The part of a record's cost that falls in this month. The meter keeps totals, not a ledger,
/// so a record older than the month is prorated by time — an estimate, said so on the panel.
fn share_this_month(
    created: OffsetDateTime,
    month_start: OffsetDateTime,
    now: OffsetDateTime,
) -> f64 {
    if created >= month_start {
        return 1.0;
    }
    let alive = (now - created).as_seconds_f64();
    if alive <= 0.0 {
        return 0.0;
    }
    ((now - month_start).as_seconds_f64() / alive).clamp(0.0, 1.0)
}

/// Month to date scaled to the month's length. The first hour is taken as an hour, so a few
/// minutes into the month don't project a fortune.
fn project(month_to_date: f64, month_start: OffsetDateTime, now: OffsetDateTime) -> f64 {
    let days = time::util::days_in_month(now.month(), now.year());
    let month = f64::from(days) * 86_400.0;
    let elapsed = (now - month_start).as_seconds_f64().max(3600.0);
    month_to_date * month / elapsed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Platform, Status};
    use crate::tui::state::tests::{T0, record, state_with};
    use time::macros::datetime;

    #[test]
    fn the_month_is_prorated_for_old_records_and_projected_to_its_length() {
        let start = datetime!(2026-11-01 00:00 UTC);
        let now = datetime!(2026-11-16 00:00 UTC);
        assert_eq!(
            share_this_month(datetime!(2026-11-10 00:00 UTC), start, now),
            1.0
        );
        let half = share_this_month(datetime!(2026-10-17 00:00 UTC), start, now);
        assert!((half - 0.5).abs() < 1e-9, "{half}");
        // Half of November gone: the projection doubles the month to date.
        assert!((project(10.0, start, now) - 20.0).abs() < 1e-9);
        assert_eq!(month_start(datetime!(2026-11-25 19:00 UTC)), start);
    }

    #[test]
    fn on_air_counts_live_failing_starting_and_burns_the_flow_too() {
        let mut live = record("Main", Platform::Youtube, Status::Running, 0);
        live.running_since = Some(T0);
        live.media_live_channel_id = Some("1".into());
        let mut stopped = record("Backup", Platform::Youtube, Status::Idle, 1);
        stopped.media_live_channel_id = Some("2".into());
        let starting = record("Twitch", Platform::Twitch, Status::Starting, 2);
        let mut broken = record("LinkedIn", Platform::Linkedin, Status::Error, 3);
        broken.desired = crate::domain::Desired::Running;
        let mut s = state_with(vec![live, stopped, starting, broken]);
        s.now = T0 + time::Duration::minutes(30);
        let o = on_air(&s);
        assert_eq!((o.live, o.failing, o.starting), (1, 1, 1));
        let p = &s.catalog.pricing;
        let rate = s.catalog.running_rate(s.catalog.get("1080p30").unwrap());
        let expected = p.flow_per_hour + rate + p.idle_channel_per_hour + p.idle_input_per_hour;
        assert!((o.per_hour - expected).abs() < 1e-9, "{o:?}");
        // Nothing at all: the flow still bills.
        assert_eq!(on_air(&state_with(vec![])).per_hour, p.flow_per_hour);
    }

    #[test]
    fn the_session_counts_only_what_accrued_while_onair_ran() {
        let mut live = record("Main", Platform::Youtube, Status::Running, 0);
        live.running_since = Some(T0);
        live.media_live_channel_id = Some("1".into());
        let mut s = state_with(vec![live]);
        s.now = T0 + time::Duration::hours(1);
        let summary = summarize(&s);
        let line = &summary.lines[0];
        assert!(line.running > 0.0);
        assert_eq!(
            summary.baseline,
            s.catalog.pricing.always_on_baseline_per_month
        );
        assert!(summary.projection >= summary.month_to_date);
        // The flow bills in every total, the whole month in the projection.
        let flow = &summary.flow;
        assert!((flow.session - s.catalog.pricing.flow_per_hour).abs() < 1e-9);
        assert!((summary.session - line.running - line.idle - flow.session).abs() < 1e-9);
        assert!(summary.projection >= flow.month);
    }
}
