//! `onair schedule NAME… --start TIME [--stop TIME]`, `schedule --list [--json]`,
//! `unschedule NAME…` and `extend NAME DURATION`. Times are read before anything connects, and
//! every destination is checked before any is scheduled: bad input changes nothing (exit 2).

use super::CliError;
use super::args::{ExtendArgs, ScheduleArgs};
use super::commands::{combine, connect, finished, outcome, refuse_if_readonly, resolve_all};
use crate::config::Settings;
use crate::domain::schedule::summary;
use crate::domain::text::{json_for_terminal, safe};
use crate::domain::{Destination, when};
use crate::engine::OpKind;
use time::OffsetDateTime;

fn read_time(
    flag: &str,
    text: Option<&str>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, CliError> {
    text.map(|t| {
        when::parse_time(t, now, when::local_offset())
            .map_err(|e| CliError::Refused(format!("--{flag}: {e}")))
    })
    .transpose()
}

/// `name: on air at 19:30 UTC (starts 19:20), stop-by 07:30 UTC`
fn line(r: &Destination, now: OffsetDateTime) -> String {
    let offset = when::local_offset();
    let parts: Vec<String> = r
        .schedules
        .iter()
        .map(|s| summary(s, now, offset))
        .collect();
    let text = if parts.is_empty() {
        "no schedules".to_string()
    } else {
        parts.join(", ")
    };
    format!("{} {}: {}", r.destination_id.short(), safe(&r.name), text)
}

pub async fn schedule(settings: &Settings, args: ScheduleArgs) -> Result<(), CliError> {
    refuse_if_readonly(settings, "schedule")?;
    let now = OffsetDateTime::now_utc();
    let start = read_time("start", args.start.as_deref(), now)?;
    let stop = read_time("stop", args.stop.as_deref(), now)?;
    let mut aws = connect(settings, true).await?;
    aws.engine.load().await?;
    aws.engine.look_at_channels().await?;
    let ids = resolve_all(&aws.engine, &args.targets)?;
    // All checked first: one refusal schedules nothing.
    let refusals: Vec<CliError> = ids
        .iter()
        .filter_map(|id| aws.engine.check_schedule(*id, start, stop).err())
        .map(CliError::from)
        .collect();
    combine(refusals)?;
    for id in &ids {
        aws.engine.schedule(*id, start, stop)?;
    }
    aws.engine.settle().await;
    let failed = finished(&mut aws.events);
    let mut failures = Vec::new();
    let now = aws.engine.clock().now();
    for id in ids {
        match outcome(&aws.engine, &failed, id, OpKind::Schedule) {
            Ok(r) => println!("{}", line(&r, now)),
            Err(e) => failures.push(e),
        }
    }
    combine(failures)
}

pub async fn unschedule(settings: &Settings, targets: &[String]) -> Result<(), CliError> {
    refuse_if_readonly(settings, "unschedule")?;
    let mut aws = connect(settings, false).await?;
    aws.engine.load().await?;
    let ids = resolve_all(&aws.engine, targets)?;
    for id in &ids {
        aws.engine.unschedule(*id)?;
    }
    aws.engine.settle().await;
    let failed = finished(&mut aws.events);
    let now = aws.engine.clock().now();
    let mut failures = Vec::new();
    for id in ids {
        match outcome(&aws.engine, &failed, id, OpKind::Schedule) {
            Ok(r) => println!("{}", line(&r, now)),
            Err(e) => failures.push(e),
        }
    }
    combine(failures)
}

pub async fn extend(settings: &Settings, args: ExtendArgs) -> Result<(), CliError> {
    refuse_if_readonly(settings, "extend")?;
    let by = when::parse_span(&args.by).ok_or_else(|| {
        CliError::Refused(format!(
            "{:?} is not a duration: use 30m, 2h or 1h30m",
            safe(&args.by)
        ))
    })?;
    let mut aws = connect(settings, false).await?;
    aws.engine.load().await?;
    let id = aws.engine.resolve(&args.target)?;
    aws.engine.extend(id, by)?;
    aws.engine.settle().await;
    let failed = finished(&mut aws.events);
    let r = outcome(&aws.engine, &failed, id, OpKind::Schedule)?;
    println!("{}", line(&r, aws.engine.clock().now()));
    Ok(())
}

/// Every destination's schedules as the table holds them.
pub async fn list(settings: &Settings, json: bool) -> Result<(), CliError> {
    let aws = connect(settings, false).await?;
    let records = aws.engine.load().await?;
    let now = aws.engine.clock().now();
    let scheduled: Vec<&Destination> = records.iter().filter(|r| !r.schedules.is_empty()).collect();
    if json {
        let value: Vec<serde_json::Value> = scheduled
            .iter()
            .map(|r| {
                serde_json::json!({
                    "destinationId": r.destination_id,
                    "name": r.name,
                    "status": r.status,
                    "schedules": r.schedules,
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::json!({ "schedules": value }))
            .map_err(|e| CliError::Failed(e.to_string()))?;
        println!("{}", json_for_terminal(&text));
        return Ok(());
    }
    if scheduled.is_empty() {
        println!("no schedules (add one with `onair schedule NAME --start 19:30`)");
    }
    for r in scheduled {
        println!("{}", line(r, now));
    }
    Ok(())
}
