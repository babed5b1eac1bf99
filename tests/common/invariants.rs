//! What must hold between the records and the simulated account once everything has settled.
//! Each check returns a description of what is wrong instead of panicking, so a caller looping
//! over many cases can name the case that broke.

use onair::cloud::ChannelState;
use onair::domain::naming::TAG_DESTINATION_ID;
use onair::domain::{Destination, Status};
use onair::sim::{SimSnapshot, Simulator};
use std::collections::{BTreeMap, BTreeSet};

/// No leak, no duplicate, table == engine, and every settled record says what AWS shows.
pub fn check(sim: &Simulator, engine_records: &[Destination]) -> Result<(), String> {
    let snap = sim.snapshot();
    let mut problems = Vec::new();
    consistent(&snap, engine_records, &mut problems);
    no_duplicates(&snap, &mut problems);
    no_stray_alarm(sim, engine_records, &mut problems);
    matches_reality(&snap, engine_records, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}

/// The destination alarms a record with a channel has (config `alarm_topic_arn` on).
fn expected_alarms(records: &[Destination]) -> BTreeSet<String> {
    records
        .iter()
        .filter(|r| r.media_live_channel_id.is_some())
        .flat_map(onair::engine::alarms::names_for)
        .collect()
}

fn destination_alarms(sim: &Simulator) -> BTreeSet<String> {
    sim.alarms()
        .into_iter()
        .map(|(spec, _)| spec.name)
        .filter(|n| onair::engine::alarms::parse_name(n).is_some())
        .collect()
}

/// No destination alarm in AWS that a record with a channel doesn't have (alarms on or off).
fn no_stray_alarm(sim: &Simulator, records: &[Destination], problems: &mut Vec<String>) {
    let expected = expected_alarms(records);
    let stray: Vec<String> = destination_alarms(sim)
        .into_iter()
        .filter(|n| !expected.contains(n))
        .collect();
    if !stray.is_empty() {
        problems.push(format!("alarms no record's channel has: {stray:?}"));
    }
}

/// With alarms on: every record with a channel has all its alarms, and nothing else exists.
pub fn alarms_complete(sim: &Simulator, records: &[Destination]) -> Result<(), String> {
    let expected = expected_alarms(records);
    let actual = destination_alarms(sim);
    if expected == actual {
        Ok(())
    } else {
        Err(format!(
            "alarms in AWS {actual:?} vs the records' {expected:?}"
        ))
    }
}

/// `Rig::assert_consistent` as a check: AWS holds exactly the resources the records name.
pub fn consistent(snap: &SimSnapshot, records: &[Destination], problems: &mut Vec<String>) {
    let channels: BTreeSet<&str> = snap.channels.iter().map(|c| c.id.as_str()).collect();
    let recorded: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.media_live_channel_id.as_deref())
        .collect();
    if channels != recorded {
        problems.push(format!(
            "channels in AWS {channels:?} vs in records {recorded:?}"
        ));
    }
    let inputs: BTreeSet<&str> = snap.inputs.iter().map(|i| i.id.as_str()).collect();
    let recorded: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.media_live_input_id.as_deref())
        .collect();
    if inputs != recorded {
        problems.push(format!(
            "inputs in AWS {inputs:?} vs in records {recorded:?}"
        ));
    }
    // Every flow output feeds exactly one input and every input has exactly one: nothing
    // streams into nowhere (billed) and no input is left unfed.
    for o in &snap.flow_outputs {
        let fed = snap.inputs.iter().filter(|i| i.fed_by(o)).count();
        if fed != 1 {
            problems.push(format!("flow output {} feeds {fed} inputs", o.name));
        }
    }
    for i in &snap.inputs {
        let feeding = snap.flow_outputs.iter().filter(|o| i.fed_by(o)).count();
        if feeding != 1 {
            problems.push(format!("input {} is fed by {feeding} flow outputs", i.id));
        }
    }
    // The seed's wiring: every input security group is the one a record names.
    let groups: BTreeSet<&str> = snap.security_groups.iter().map(|g| g.id.as_str()).collect();
    let recorded: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.input_security_group_id.as_deref())
        .collect();
    if groups != recorded {
        problems.push(format!(
            "input security groups in AWS {groups:?} vs in records {recorded:?}"
        ));
    }
    let stored: BTreeSet<_> = snap.records.iter().copied().collect();
    let ours: BTreeSet<_> = records.iter().map(Destination::id).collect();
    if stored != ours {
        problems.push(format!("table {stored:?} vs engine {ours:?}"));
    }
}

/// Every channel and input in AWS is named by a record (the leak half of [`consistent`]).
pub fn unrecorded(snap: &SimSnapshot, records: &[Destination]) -> Result<(), String> {
    let channels: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.media_live_channel_id.as_deref())
        .collect();
    let inputs: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.media_live_input_id.as_deref())
        .collect();
    let groups: BTreeSet<&str> = records
        .iter()
        .filter_map(|r| r.input_security_group_id.as_deref())
        .collect();
    let leaked: Vec<String> = snap
        .channels
        .iter()
        .filter(|c| !channels.contains(c.id.as_str()))
        .map(|c| format!("channel {}", c.id))
        .chain(
            snap.inputs
                .iter()
                .filter(|i| !inputs.contains(i.id.as_str()))
                .map(|i| format!("input {}", i.id)),
        )
        .chain(
            snap.security_groups
                .iter()
                .filter(|g| !groups.contains(g.id.as_str()))
                .map(|g| format!("input security group {}", g.id)),
        )
        .chain(
            // A flow output that feeds no input streams into nothing, billed.
            snap.flow_outputs
                .iter()
                .filter(|o| !snap.inputs.iter().any(|i| i.fed_by(o)))
                .map(|o| format!("flow output {}", o.name)),
        )
        .collect();
    if leaked.is_empty() {
        Ok(())
    } else {
        Err(format!("not in any record: {}", leaked.join(", ")))
    }
}

/// At most one channel and one input per destination id tag.
pub fn no_duplicates(snap: &SimSnapshot, problems: &mut Vec<String>) {
    let mut channels: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &snap.channels {
        if let Some(d) = c.tags.get(TAG_DESTINATION_ID) {
            *channels.entry(d.as_str()).or_default() += 1;
        }
    }
    let mut inputs: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &snap.inputs {
        if let Some(d) = i.tags.get(TAG_DESTINATION_ID) {
            *inputs.entry(d.as_str()).or_default() += 1;
        }
    }
    for (d, n) in channels.iter().filter(|(_, n)| **n > 1) {
        problems.push(format!("{n} channels for destination {d}"));
    }
    for (d, n) in inputs.iter().filter(|(_, n)| **n > 1) {
        problems.push(format!("{n} inputs for destination {d}"));
    }
}

/// Every record is settled and its status is what its chain's AWS state says.
pub fn matches_reality(snap: &SimSnapshot, records: &[Destination], problems: &mut Vec<String>) {
    for r in records {
        let channel = r
            .media_live_channel_id
            .as_deref()
            .and_then(|id| snap.channels.iter().find(|c| c.id == id));
        let input = r
            .media_live_input_id
            .as_deref()
            .and_then(|id| snap.inputs.iter().find(|i| i.id == id));
        let name = &r.name;
        let state = channel.map(|c| c.state);
        match r.status {
            Status::Idle | Status::Running => {
                let want = if r.status == Status::Idle {
                    ChannelState::Idle
                } else {
                    ChannelState::Running
                };
                if state != Some(want) {
                    problems.push(format!(
                        "{name} is {} but its channel is {state:?}",
                        r.status
                    ));
                }
                if input.is_none() {
                    problems.push(format!("{name} is {} without an input", r.status));
                }
                let output = input.and_then(|i| snap.flow_outputs.iter().find(|o| i.fed_by(o)));
                if output.map(|o| &o.arn) != r.media_connect_output_arn.as_ref() {
                    problems.push(format!(
                        "{name}: recorded flow output {:?}, the flow has {:?}",
                        r.media_connect_output_arn,
                        output.map(|o| &o.arn)
                    ));
                }
                if (r.status == Status::Running) != r.running_since.is_some() {
                    problems.push(format!(
                        "{name} is {} with running_since {:?}",
                        r.status, r.running_since
                    ));
                }
            }
            Status::Parked => {
                if r.media_live_channel_id.is_some() || r.media_live_input_id.is_some() {
                    problems.push(format!("{name} is parked but names AWS resources"));
                }
            }
            Status::Error => {
                if r.last_error.is_none() {
                    problems.push(format!("{name} is in error without lastError"));
                }
            }
            other => problems.push(format!("{name} is still {other} after settling")),
        }
    }
}

/// Schedules: every one in EventBridge is named by a record (no stray of ours survives a
/// crash or a delete), and with `deadlines`, every running record has its stop-by deadline in
/// EventBridge (what a restart's reconcile must have set).
pub fn schedules(sim: &Simulator, records: &[Destination], deadlines: bool) -> Result<(), String> {
    let in_aws: BTreeSet<String> = sim.schedules().into_iter().map(|s| s.name).collect();
    let named: BTreeSet<String> = records
        .iter()
        .flat_map(|r| r.schedules.iter().map(|s| s.name.clone()))
        .collect();
    let mut problems = Vec::new();
    let strays: Vec<&String> = in_aws.difference(&named).collect();
    if !strays.is_empty() {
        problems.push(format!("schedules no record names: {strays:?}"));
    }
    if deadlines {
        for r in records.iter().filter(|r| r.status == Status::Running) {
            let has = r
                .schedule(onair::domain::ScheduleKind::Deadline)
                .is_some_and(|d| in_aws.contains(&d.name));
            if !has {
                problems.push(format!("{} is running without a stop-by deadline", r.name));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}
