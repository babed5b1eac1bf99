//! Times an operator types for a schedule, and how they are shown. Typed: `19:30` (its next
//! occurrence in the control box's local time), `+45m` / `+2h` / `+1h30m` (from now), or an
//! RFC 3339 time. Stored in UTC; shown in the control box's local time with its offset, since
//! the operator and the platform's event page think in local time.

use std::sync::OnceLock;
use time::{OffsetDateTime, UtcOffset};

/// Why a typed time can't be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a time: use 19:30 (next occurrence, local time), +45m, or an RFC 3339 time such as 2026-12-06T19:30:00Z"
)]
pub struct BadTime {
    pub text: String,
}

static LOCAL: OnceLock<UtcOffset> = OnceLock::new();

/// Reads the control box's UTC offset once. Call it before any other thread starts: the `time`
/// crate refuses to read the offset in a multi-threaded process (the C library's time zone
/// functions are not thread-safe), and onair then shows UTC.
pub fn init_local_offset() {
    let offset = UtcOffset::current_local_offset().unwrap_or(UtcOffset::UTC);
    let _ = LOCAL.set(offset);
}

/// The control box's offset as read at start-up (UTC when it couldn't be read).
pub fn local_offset() -> UtcOffset {
    LOCAL.get().copied().unwrap_or(UtcOffset::UTC)
}

/// `UTC` or `UTC+01:00`.
pub fn zone_label(offset: UtcOffset) -> String {
    if offset == UtcOffset::UTC {
        return "UTC".to_string();
    }
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// `19:30`, in `offset`.
pub fn clock_time(t: OffsetDateTime, offset: UtcOffset) -> String {
    let local = t.to_offset(offset);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// `19:30 UTC+01:00`, with the date in front when it isn't `now`'s date: `Dec 07 19:30 UTC`.
pub fn show(t: OffsetDateTime, now: OffsetDateTime, offset: UtcOffset) -> String {
    let local = t.to_offset(offset);
    let today = now.to_offset(offset).date();
    let day = if local.date() == today {
        String::new()
    } else {
        let month = local.month().to_string();
        format!("{} {:02} ", &month[..3.min(month.len())], local.day())
    };
    format!("{day}{} {}", clock_time(t, offset), zone_label(offset))
}

/// A typed time, relative to `now`, with `offset` the control box's.
pub fn parse_time(
    text: &str,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> Result<OffsetDateTime, BadTime> {
    let trimmed = text.trim();
    let bad = || BadTime {
        text: trimmed.chars().take(40).collect(),
    };
    if let Some(rest) = trimmed.strip_prefix('+') {
        let d = parse_span(rest).ok_or_else(bad)?;
        let d = time::Duration::try_from(d).map_err(|_| bad())?;
        return now.checked_add(d).ok_or_else(bad);
    }
    if let Ok(t) = OffsetDateTime::parse(trimmed, &time::format_description::well_known::Rfc3339) {
        return Ok(t.to_offset(UtcOffset::UTC));
    }
    let (h, m) = trimmed.split_once(':').ok_or_else(bad)?;
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.chars().all(|c| c.is_ascii_digit());
    if !all_digits(h) || m.len() != 2 || !all_digits(m) {
        return Err(bad());
    }
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let clock = time::Time::from_hms(h, m, 0).map_err(|_| bad())?;
    let local_now = now.to_offset(offset);
    let today = local_now.replace_time(clock);
    let next = if today > local_now {
        today
    } else {
        today.checked_add(time::Duration::DAY).ok_or_else(bad)?
    };
    Ok(next.to_offset(UtcOffset::UTC))
}

/// `45m`, `2h`, `90s`, `1h30m`: whole numbers, each with a unit, largest first or not.
pub fn parse_span(text: &str) -> Option<std::time::Duration> {
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut any = false;
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        any = true;
    }
    (number.is_empty() && any && total > 0).then(|| std::time::Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn a_clock_time_is_its_next_occurrence_in_local_time() {
        let now = datetime!(2026-12-06 18:00 UTC);
        let cet = offset!(+1);
        // 19:30 CET is 18:30 UTC, still ahead today.
        assert_eq!(
            parse_time("19:30", now, cet),
            Ok(datetime!(2026-12-06 18:30 UTC))
        );
        // 18:30 CET (17:30 UTC) has passed: tomorrow's.
        assert_eq!(
            parse_time("18:30", now, cet),
            Ok(datetime!(2026-12-07 17:30 UTC))
        );
        assert_eq!(
            parse_time("9:05", now, UtcOffset::UTC),
            Ok(datetime!(2026-12-07 09:05 UTC))
        );
    }

    #[test]
    fn relative_and_rfc3339_times_are_read_and_stored_in_utc() {
        let now = datetime!(2026-12-06 18:00 UTC);
        assert_eq!(
            parse_time("+45m", now, offset!(+1)),
            Ok(datetime!(2026-12-06 18:45 UTC))
        );
        assert_eq!(
            parse_time("+1h30m", now, offset!(+1)),
            Ok(datetime!(2026-12-06 19:30 UTC))
        );
        let t = parse_time("2026-12-06T21:30:00+01:00", now, UtcOffset::UTC).unwrap();
        assert_eq!(t, datetime!(2026-12-06 20:30 UTC));
        assert_eq!(t.offset(), UtcOffset::UTC);
    }

    #[test]
    fn unreadable_times_are_named() {
        let now = datetime!(2026-12-06 18:00 UTC);
        for text in [
            "",
            "soon",
            "25:00",
            "19:3",
            "19:30:00",
            "+",
            "+0m",
            "+5x",
            "+m",
            "tomorrow 9",
        ] {
            let err = parse_time(text, now, UtcOffset::UTC).unwrap_err();
            assert!(err.to_string().contains("is not a time"), "{text}: {err}");
        }
    }

    #[test]
    fn times_are_shown_in_local_time_with_the_offset_and_a_date_when_not_today() {
        let now = datetime!(2026-12-06 18:00 UTC);
        let t = datetime!(2026-12-06 18:30 UTC);
        assert_eq!(show(t, now, offset!(+1)), "19:30 UTC+01:00");
        assert_eq!(show(t, now, UtcOffset::UTC), "18:30 UTC");
        assert_eq!(
            show(t + time::Duration::DAY, now, UtcOffset::UTC),
            "Dec 07 18:30 UTC"
        );
        assert_eq!(zone_label(offset!(-5:30)), "UTC-05:30");
    }
}
