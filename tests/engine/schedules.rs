//! Schedules and stop-by deadlines (issue 13) on the simulator's EventBridge Scheduler, which
//! fires on tokio's paused clock: a go-live that starts the channel a lead ahead with no
//! incident, a deadline that stops a forgotten channel with onair closed, extend, unschedule,
//! a parked destination re-created in time and kept from parking, removal with the
//! destination, and every bad input refused with nothing created.

use crate::common::rig::{Rig, draft};
use onair::domain::{Desired, DestinationId, ScheduleKind, Status};
use onair::engine::{Engine, EngineConfig, EngineEvent, Level, Refusal};
use onair::sim::{SimConfig, Simulator};
use std::time::Duration;

const REFRESH: Duration = Duration::from_secs(10);
const MIN: u64 = 60;
const HOUR: u64 = 3600;

fn scheduled(config: &mut EngineConfig) {
    config.scheduler_role_arn = Some(Simulator::SCHEDULER_ROLE_ARN.to_string());
    config.max_run = Some(Duration::from_secs(2 * HOUR));
}

fn rig() -> Rig {
    Rig::with(SimConfig::unlimited(), scheduled)
}

/// Refreshes (and so reconciles) every 10 s for `secs` of simulated time.
async fn run_for(engine: &Engine, secs: u64) {
    for _ in 0..secs.div_ceil(REFRESH.as_secs()) {
        tokio::time::sleep(REFRESH).await;
        engine.refresh().await;
    }
}

async fn added(rig: &Rig, name: &str) -> DestinationId {
    let id = rig
        .engine
        .add(draft(name, "youtube", 0))
        .expect("add accepted");
    rig.engine.settle().await;
    id
}

fn warnings(events: &[EngineEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            EngineEvent::Log(l) if l.level != Level::Info => Some(l.text.clone()),
            _ => None,
        })
        .collect()
}

fn sim_names(rig: &Rig) -> Vec<String> {
    rig.sim.schedules().into_iter().map(|s| s.name).collect()
}

fn starts(rig: &Rig) -> u64 {
    rig.sim
        .call_counts()
        .get("StartChannel")
        .copied()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_start_fires_a_lead_ahead_and_goes_live_with_no_incident() {
    let mut rig = rig();
    let id = added(&rig, "Main").await;
    let on_air = rig.sim.now() + Duration::from_secs(HOUR);
    rig.engine
        .schedule(id, Some(on_air), None)
        .expect("scheduled");
    rig.engine.settle().await;
    let sim = rig.sim.schedules();
    assert_eq!(sim.len(), 1, "{sim:?}");
    // The lead (10 min by default): StartChannel at 50 min, on air at 60.
    assert_eq!(sim[0].at, on_air - Duration::from_secs(10 * MIN));
    let r = rig.engine.record(id).unwrap();
    assert_eq!(
        r.schedule(ScheduleKind::Start).and_then(|s| s.on_air_at),
        Some(on_air)
    );
    rig.drain();

    run_for(&rig.engine, 49 * MIN).await;
    assert_eq!(rig.status(id), Some(Status::Idle), "not before its time");
    assert_eq!(starts(&rig), 0);
    run_for(&rig.engine, 11 * MIN).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!((r.status, r.desired), (Status::Running, Desired::Running));
    assert!(
        r.schedule(ScheduleKind::Start).is_none(),
        "fired: gone from the record"
    );
    assert!(rig.engine.incident(id).is_none());
    let events = rig.drain();
    assert!(warnings(&events).is_empty(), "{:?}", warnings(&events));
    assert!(rig.sim.invocations().iter().all(|i| i.error.is_none()));
    // A start by schedule is a start: it has its stop-by deadline, in AWS and in the record.
    let deadline = r
        .schedule(ScheduleKind::Deadline)
        .expect("deadline set")
        .clone();
    assert_eq!(sim_names(&rig), vec![deadline.name]);
    assert_eq!(
        starts(&rig),
        0,
        "onair called no StartChannel: the schedule did"
    );
    assert_eq!(rig.sim.invocations().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_deadline_stops_a_forgotten_channel_with_onair_closed_and_says_so() {
    let mut rig = rig();
    let id = added(&rig, "Main").await;
    rig.engine.start(id).expect("start");
    rig.engine.settle().await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.status, Status::Running);
    let deadline = r
        .schedule(ScheduleKind::Deadline)
        .expect("every start sets one")
        .clone();
    let since = r.running_since.unwrap();
    assert_eq!(
        deadline.fires_at,
        since.replace_nanosecond(0).unwrap() + Duration::from_secs(2 * HOUR)
    );
    assert_eq!(sim_names(&rig), vec![deadline.name.clone()]);
    let channel = r.media_live_channel_id.unwrap();

    // onair is closed: nothing refreshes for three hours.
    tokio::time::sleep(Duration::from_secs(3 * HOUR)).await;
    let snap = rig.sim.snapshot();
    let ch = snap.channels.iter().find(|c| c.id == channel).unwrap();
    assert_eq!(
        ch.state,
        onair::cloud::ChannelState::Idle,
        "the deadline stopped it"
    );
    assert!(rig.sim.schedules().is_empty(), "deleted after it fired");

    // onair again: the stop is the operator's deadline, not a drop to restart.
    rig.drain();
    run_for(&rig.engine, 60).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!((r.status, r.desired), (Status::Idle, Desired::Idle));
    assert_eq!(r.deadline_stopped_at, Some(deadline.fires_at));
    assert!(r.schedules.is_empty());
    assert_eq!(starts(&rig), 1, "no restart");
    let events = rig.drain();
    assert!(
        warnings(&events)
            .iter()
            .any(|w| w.contains("stop-by deadline")),
        "{:?}",
        warnings(&events)
    );
}

#[tokio::test(start_paused = true)]
async fn extend_moves_the_deadline_and_a_stop_by_hand_removes_it() {
    let rig = rig();
    let id = added(&rig, "Main").await;
    rig.engine.start(id).expect("start");
    rig.engine.settle().await;
    let first = rig
        .engine
        .record(id)
        .unwrap()
        .schedule(ScheduleKind::Deadline)
        .unwrap()
        .clone();
    rig.engine
        .extend(id, Duration::from_secs(HOUR))
        .expect("extend");
    rig.engine.settle().await;
    let moved = rig
        .engine
        .record(id)
        .unwrap()
        .schedule(ScheduleKind::Deadline)
        .unwrap()
        .clone();
    assert_eq!(moved.fires_at, first.fires_at + Duration::from_secs(HOUR));
    let sim = rig.sim.schedules();
    assert_eq!(sim.len(), 1, "the old one deleted: {sim:?}");
    assert_eq!(
        (sim[0].name.clone(), sim[0].at),
        (moved.name.clone(), moved.fires_at)
    );
    // Past the first deadline: still on air.
    run_for(&rig.engine, 2 * HOUR + 5 * MIN).await;
    assert_eq!(rig.status(id), Some(Status::Running));

    rig.engine.stop(id).expect("stop");
    rig.engine.settle().await;
    assert!(rig.sim.schedules().is_empty());
    assert!(rig.engine.record(id).unwrap().schedules.is_empty());
}

#[tokio::test(start_paused = true)]
async fn unschedule_removes_the_go_live_and_the_stop() {
    let rig = rig();
    let id = added(&rig, "Main").await;
    let now = rig.sim.now();
    rig.engine
        .schedule(
            id,
            Some(now + Duration::from_secs(HOUR)),
            Some(now + Duration::from_secs(3 * HOUR)),
        )
        .expect("scheduled");
    rig.engine.settle().await;
    assert_eq!(rig.sim.schedules().len(), 2);
    rig.engine.unschedule(id).expect("unschedule");
    rig.engine.settle().await;
    assert!(rig.sim.schedules().is_empty());
    assert!(rig.engine.record(id).unwrap().schedules.is_empty());
    run_for(&rig.engine, 2 * HOUR).await;
    assert!(rig.sim.invocations().is_empty(), "nothing fired");
    // With its go-live gone, the idle chain parks as any other does.
    assert_eq!(rig.status(id), Some(Status::Parked));
}

#[tokio::test(start_paused = true)]
async fn a_parked_destination_is_re_created_at_once_and_not_parked_again_before_it_goes_live() {
    let rig = Rig::with(SimConfig::unlimited(), |c| {
        scheduled(c);
        c.park_after = Some(Duration::from_secs(30 * MIN));
    });
    let id = added(&rig, "Main").await;
    run_for(&rig.engine, 40 * MIN).await;
    assert_eq!(rig.status(id), Some(Status::Parked));
    let on_air = rig.sim.now() + Duration::from_secs(3 * HOUR);
    rig.engine
        .schedule(id, Some(on_air), None)
        .expect("scheduled");
    rig.engine.settle().await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.status, Status::Idle, "{:?}", r.last_error);
    let channel = r.media_live_channel_id.clone().expect("chain re-created");
    assert_eq!(rig.sim.schedules().len(), 1);
    // Idle for well past park_after: kept, since its go-live needs this channel.
    run_for(&rig.engine, 2 * HOUR + 40 * MIN).await;
    assert_eq!(rig.status(id), Some(Status::Idle));
    run_for(&rig.engine, 30 * MIN).await;
    let r = rig.engine.record(id).unwrap();
    assert_eq!(r.status, Status::Running);
    assert_eq!(r.media_live_channel_id, Some(channel));
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn deleting_a_destination_deletes_its_schedules() {
    let rig = rig();
    let id = added(&rig, "Main").await;
    let other = added(&rig, "Other").await;
    rig.engine.start(id).expect("start");
    rig.engine.settle().await;
    let now = rig.sim.now();
    rig.engine
        .schedule(other, Some(now + Duration::from_secs(HOUR)), None)
        .expect("scheduled");
    rig.engine.settle().await;
    assert_eq!(rig.sim.schedules().len(), 2, "a deadline and a go-live");
    rig.engine.delete(id).expect("delete");
    rig.engine.delete(other).expect("delete");
    rig.engine.settle().await;
    assert!(rig.sim.schedules().is_empty(), "{:?}", rig.sim.schedules());
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn bad_schedules_are_refused_by_name_and_create_nothing() {
    let rig = rig();
    let id = added(&rig, "Main").await;
    let now = rig.sim.now();
    let hour = Duration::from_secs(HOUR);
    let refused = |r: Result<(), Refusal>| r.expect_err("refused").to_string();
    assert!(refused(rig.engine.schedule(id, Some(now - hour), None)).contains("in the past"));
    assert!(refused(rig.engine.schedule(id, None, Some(now - hour))).contains("in the past"));
    assert!(
        refused(
            rig.engine
                .schedule(id, Some(now + 2 * hour), Some(now + hour))
        )
        .contains("is not after")
    );
    assert!(refused(rig.engine.schedule(id, None, None)).contains("nothing to schedule"));
    assert!(refused(rig.engine.extend(id, hour)).contains("no stop-by deadline"));
    assert!(refused(rig.engine.unschedule(id)).contains("no go-live"));

    let no_role = Rig::with(SimConfig::unlimited(), |_| {});
    let other = added(&no_role, "Main").await;
    let text = refused(no_role.engine.schedule(other, Some(now + hour), None));
    assert!(text.contains("scheduler_role_arn"), "{text}");

    rig.engine.delete(id).expect("delete");
    rig.engine.settle().await;
    assert!(matches!(
        rig.engine.schedule(id, Some(now + hour), None),
        Err(Refusal::Unknown(_))
    ));
    for r in [&rig, &no_role] {
        assert_eq!(r.sim.call_counts().get("CreateSchedule"), None);
        assert!(r.sim.schedules().is_empty());
    }
}

#[tokio::test(start_paused = true)]
async fn a_parked_destination_that_cannot_be_re_created_in_time_is_refused() {
    let rig = Rig::with(SimConfig::unlimited(), |c| {
        scheduled(c);
        c.park_after = Some(Duration::from_secs(30 * MIN));
    });
    let id = added(&rig, "Main").await;
    run_for(&rig.engine, 40 * MIN).await;
    assert_eq!(rig.status(id), Some(Status::Parked));
    let soon = rig.sim.now() + Duration::from_secs(5 * MIN);
    let text = rig
        .engine
        .schedule(id, Some(soon), None)
        .expect_err("refused")
        .to_string();
    assert!(
        text.contains("parked") && text.contains("too soon"),
        "{text}"
    );
    assert_eq!(rig.status(id), Some(Status::Parked), "nothing re-created");
    assert_eq!(rig.sim.call_counts().get("CreateSchedule"), None);
}

#[tokio::test(start_paused = true)]
async fn a_schedule_with_a_role_that_cannot_start_channels_fails_when_it_fires_and_is_reported() {
    let mut rig = Rig::with(SimConfig::unlimited(), |c| {
        scheduled(c);
        // Exists, but Scheduler can't assume it (MediaLive's own role).
        c.scheduler_role_arn = Some(Simulator::ROLE_ARN.to_string());
    });
    let id = added(&rig, "Main").await;
    let on_air = rig.sim.now() + Duration::from_secs(HOUR);
    rig.engine
        .schedule(id, Some(on_air), None)
        .expect("scheduled");
    rig.engine.settle().await;
    rig.drain();
    run_for(&rig.engine, HOUR + 20 * MIN).await;
    assert_eq!(rig.status(id), Some(Status::Idle));
    let fired = rig.sim.invocations();
    assert_eq!(fired.len(), 1);
    assert!(fired[0].error.is_some());
    let events = rig.drain();
    assert!(
        warnings(&events)
            .iter()
            .any(|w| w.contains("without effect")),
        "{:?}",
        warnings(&events)
    );
    assert!(rig.engine.record(id).unwrap().schedules.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_bulk_start_sets_every_destinations_deadline() {
    let rig = rig();
    let a = added(&rig, "A").await;
    let b = added(&rig, "B").await;
    for (_, accepted) in rig.engine.start_many(&[a, b]) {
        accepted.expect("start accepted");
    }
    rig.engine.settle().await;
    assert_eq!(rig.sim.call_counts().get("BatchStart"), Some(&1));
    let mut recorded: Vec<String> = [a, b]
        .iter()
        .map(|id| {
            let r = rig.engine.record(*id).unwrap();
            assert_eq!(r.status, Status::Running);
            r.schedule(ScheduleKind::Deadline)
                .expect("a deadline")
                .name
                .clone()
        })
        .collect();
    recorded.sort();
    assert_eq!(sim_names(&rig), recorded);
}

/// A second engine on the same account, with the scheduler role (onair restarted, configured).
fn with_role(
    sim: &std::sync::Arc<Simulator>,
) -> (Engine, tokio::sync::mpsc::UnboundedReceiver<EngineEvent>) {
    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    scheduled(&mut config);
    Engine::new(
        sim.cloud(),
        std::sync::Arc::new(onair::domain::Catalog::builtin()),
        config,
        onair::clock::Clock::starting_at(sim.now()),
    )
}

/// A destination started by an onair without a scheduler role (or whose deadline a crash lost).
async fn running_without_deadline() -> (Rig, DestinationId, time::OffsetDateTime) {
    let before = Rig::with(SimConfig::unlimited(), |_| {});
    let id = added(&before, "Main").await;
    before.engine.start(id).expect("start");
    before.engine.settle().await;
    let since = before.engine.record(id).unwrap().running_since.unwrap();
    assert!(before.sim.schedules().is_empty(), "no role: no deadline");
    (before, id, since)
}

/// The reconciler gives a run without a deadline one: at its start + max_run, or — already
/// past that — ten minutes from now, saying so, never at once.
#[tokio::test(start_paused = true)]
async fn the_reconciler_sets_a_missing_deadline_from_the_runs_start() {
    let (before, id, since) = running_without_deadline().await;
    let (engine, _events) = with_role(&before.sim);
    engine.load().await.expect("load");
    run_for(&engine, 30).await;
    let deadline = engine
        .record(id)
        .unwrap()
        .schedule(ScheduleKind::Deadline)
        .cloned();
    let deadline = deadline.expect("set by the reconciler");
    assert_eq!(
        deadline.fires_at,
        since.replace_nanosecond(0).unwrap() + Duration::from_secs(2 * HOUR)
    );
    assert_eq!(sim_names(&before), vec![deadline.name]);
}

#[tokio::test(start_paused = true)]
async fn a_run_already_past_max_run_gets_ten_minutes_not_a_cut() {
    let (before, id, _) = running_without_deadline().await;
    tokio::time::sleep(Duration::from_secs(3 * HOUR)).await;
    let (engine, mut events) = with_role(&before.sim);
    engine.load().await.expect("load");
    run_for(&engine, 20).await;
    let r = engine.record(id).unwrap();
    assert_eq!(r.status, Status::Running, "not cut at once");
    let late = r.schedule(ScheduleKind::Deadline).expect("set").fires_at;
    let now = before.sim.now();
    assert!(
        late > now + Duration::from_secs(9 * MIN) && late <= now + Duration::from_secs(10 * MIN),
        "{late} vs {now}"
    );
    let mut said = Vec::new();
    while let Ok(e) = events.try_recv() {
        if let EngineEvent::Log(l) = e {
            said.push(l.text);
        }
    }
    assert!(said.iter().any(|t| t.contains("past max_run")), "{said:?}");
}

/// Strays (named for a destination, not in its record: a crash between a create and the
/// record's write) are deleted by an immediate reconcile only when their target is that
/// destination's channel; a name whose eight hex digits another destination shares is left.
#[tokio::test(start_paused = true)]
async fn reconcile_deletes_only_strays_that_target_the_destinations_own_channel() {
    use onair::cloud::{ChannelAction, CreateScheduleRequest, Scheduler};
    let rig = rig();
    let id = added(&rig, "Main").await;
    let channel = rig
        .engine
        .record(id)
        .unwrap()
        .media_live_channel_id
        .unwrap();
    let at = rig.sim.now() + Duration::from_secs(5 * HOUR);
    let prefix = onair::domain::schedule::name_prefix(&id);
    for (name, target) in [
        (format!("{prefix}start-1"), channel.as_str()),
        (format!("{prefix}start-2"), "9999999"),
    ] {
        rig.sim
            .create_schedule(CreateScheduleRequest {
                name,
                at,
                action: ChannelAction::Start,
                channel_id: target.to_string(),
                role_arn: Simulator::SCHEDULER_ROLE_ARN.to_string(),
                description: String::new(),
            })
            .await
            .expect("created");
    }
    rig.engine.reconcile(true).await.expect("reconcile");
    rig.engine.settle().await;
    assert_eq!(sim_names(&rig), vec![format!("{prefix}start-2")]);
}
