//! A destination's schedules in EventBridge Scheduler: a go-live (StartChannel, fired a lead
//! ahead of the on-air time), a planned stop, and the stop-by deadline every start sets. The
//! record keeps each schedule's name and times (attribute `schedules`, absent = none), so a
//! fired schedule is known to be the operator's request and not drift.
//!
//! Names prove ownership: `onair-<first 8 of the id>-<kind>-<unix seconds it fires>`. `rm` and
//! `gc` delete only names the record holds or that carry its id and kind this way.

use super::DestinationId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    /// StartChannel a lead before the on-air time.
    Start,
    /// StopChannel at a time the operator chose.
    Stop,
    /// StopChannel at start + `max_run`: a forgotten channel stops even if onair never runs.
    Deadline,
}

impl ScheduleKind {
    pub const ALL: [ScheduleKind; 3] = [
        ScheduleKind::Start,
        ScheduleKind::Stop,
        ScheduleKind::Deadline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleKind::Start => "start",
            ScheduleKind::Stop => "stop",
            ScheduleKind::Deadline => "deadline",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether it stops the channel when it fires.
    pub fn stops(self) -> bool {
        matches!(self, ScheduleKind::Stop | ScheduleKind::Deadline)
    }
}

/// One schedule the record holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRef {
    pub name: String,
    pub kind: ScheduleKind,
    /// When EventBridge calls MediaLive (UTC, whole seconds).
    #[serde(with = "time::serde::rfc3339")]
    pub fires_at: OffsetDateTime,
    /// For a start: when the destination must be on air (`fires_at` is a lead earlier).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_air_at: Option<OffsetDateTime>,
}

/// `onair-<id8>-`: every schedule of one destination begins with it.
pub fn name_prefix(id: &DestinationId) -> String {
    format!("{}{}-", super::naming::NAME_PREFIX, id.short())
}

/// `onair-<id8>-<kind>-<epoch>`: at most 6 + 9 + 9 + 11 characters, inside Scheduler's 64.
pub fn schedule_name(id: &DestinationId, kind: ScheduleKind, fires_at: OffsetDateTime) -> String {
    format!(
        "{}{}-{}",
        name_prefix(id),
        kind.as_str(),
        fires_at.unix_timestamp()
    )
}

/// The kind a name of this destination's carries, if it is one of onair's for it.
pub fn kind_of_name(id: &DestinationId, name: &str) -> Option<ScheduleKind> {
    let rest = name.strip_prefix(&name_prefix(id))?;
    let (kind, epoch) = rest.split_once('-')?;
    epoch.parse::<i64>().ok()?;
    ScheduleKind::parse(kind)
}

/// Drops the sub-second part: `at()` has whole seconds, and the name carries them.
pub fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// How a schedule reads on a row, in the CLI and in the log: `on air at 19:30 UTC (starts
/// 19:20)`, `stops at 22:30 UTC`, `stop-by 07:30 UTC`.
pub fn summary(s: &ScheduleRef, now: OffsetDateTime, offset: time::UtcOffset) -> String {
    use super::when::{clock_time, show};
    match (s.kind, s.on_air_at) {
        (ScheduleKind::Start, Some(on_air)) => format!(
            "on air at {} (starts {})",
            show(on_air, now, offset),
            clock_time(s.fires_at, offset)
        ),
        (ScheduleKind::Start, None) => format!("starts at {}", show(s.fires_at, now, offset)),
        (ScheduleKind::Stop, _) => format!("stops at {}", show(s.fires_at, now, offset)),
        (ScheduleKind::Deadline, _) => format!("stop-by {}", show(s.fires_at, now, offset)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_destination_kind_and_time_and_fit_scheduler() {
        let id = DestinationId::new();
        let at = time::macros::datetime!(2026-12-06 19:20 UTC);
        let name = schedule_name(&id, ScheduleKind::Deadline, at);
        assert!(name.len() <= 64, "{name}");
        assert!(name.starts_with(&format!("onair-{}-deadline-", id.short())));
        assert_eq!(kind_of_name(&id, &name), Some(ScheduleKind::Deadline));
        assert_eq!(kind_of_name(&DestinationId::new(), &name), None);
        assert_eq!(
            kind_of_name(&id, &format!("{}start-x", name_prefix(&id))),
            None
        );
        assert_eq!(
            kind_of_name(&id, &format!("{}other-1", name_prefix(&id))),
            None
        );
    }
}
