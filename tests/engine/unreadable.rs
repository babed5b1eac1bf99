//! Items in the table onair can't read: loaded apart from the records, observed, refused by
//! every operation before any AWS call, never acted on by reconciliation, and removed only by
//! `rm --force`, which leaves what they own in AWS alone.

use crate::common::rig::{Rig, draft};
use onair::cloud::RecordStore;
use onair::domain::{DestinationId, UnreadableRecord};
use onair::engine::Refusal;

fn item(id: &str, name: &str) -> UnreadableRecord {
    UnreadableRecord {
        id: Some(id.to_string()),
        name: Some(name.to_string()),
        attribute: "status".into(),
        reason: "is \"live\", not a known status".into(),
    }
}

/// A destination with a whole chain whose item another tool then rewrote so onair can't read
/// it: the chain is still there, owned by the unreadable item.
async fn chain_behind_an_unreadable_item(rig: &Rig) -> (DestinationId, UnreadableRecord) {
    let id = rig.add("Old FB").await;
    let version = rig.engine.record(id).expect("record").version;
    rig.sim
        .delete_if_version(id, version)
        .await
        .expect("the record goes");
    let u = item(&id.to_string(), "Old FB");
    rig.sim.insert_unreadable(u.clone());
    (id, u)
}

fn writes(rig: &Rig) -> Vec<String> {
    rig.sim
        .call_counts()
        .into_iter()
        .filter(|(call, _)| {
            call != "Scan" && !call.starts_with("List") && !call.starts_with("Describe")
        })
        .filter(|(call, _)| call != "GetMetricData")
        .map(|(call, n)| format!("{call} ×{n}"))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_item_is_loaded_apart_and_observed() {
    let rig = Rig::new();
    let a = rig.add("A").await;
    let u = item("0a1b2c3d-1111-4222-8333-444455556666", "Seed FB");
    rig.sim.insert_unreadable(u.clone());

    let records = rig.engine.load().await.expect("load");
    assert_eq!(records.iter().map(|r| r.id()).collect::<Vec<_>>(), [a]);
    assert_eq!(rig.engine.unreadable(), std::slice::from_ref(&u));

    let observation = rig.engine.refresh().await;
    assert_eq!(observation.unreadable, [u]);
}

#[tokio::test(start_paused = true)]
async fn every_operation_on_an_unreadable_item_is_refused_before_any_call() {
    let rig = Rig::new();
    let (id, _) = chain_behind_an_unreadable_item(&rig).await;
    rig.engine.load().await.expect("load");
    rig.sim.reset_call_counts();

    for wanted in ["Old FB", "old fb", &id.short(), &id.to_string()] {
        match rig.engine.resolve(wanted) {
            Err(Refusal::Unreadable {
                attribute, reason, ..
            }) => {
                assert_eq!(attribute, "status");
                assert!(reason.contains("live"), "{reason}");
            }
            other => panic!("{wanted}: {other:?}"),
        }
    }
    let refusals = [
        ("start", rig.engine.start(id)),
        ("stop", rig.engine.stop(id)),
        ("delete", rig.engine.delete(id)),
        ("unpark", rig.engine.unpark(id)),
        (
            "edit",
            rig.engine.edit(id, draft("New", "youtube", 1), true),
        ),
    ];
    for (what, refusal) in refusals {
        let refusal = refusal.expect_err(what);
        assert!(
            matches!(refusal, Refusal::Unreadable { .. }),
            "{what}: {refusal:?}"
        );
        let text = refusal.to_string();
        assert!(
            text.contains("status") && text.contains("rm --force"),
            "{what}: {text}"
        );
    }
    rig.engine.settle().await;
    assert!(
        rig.sim.call_counts().is_empty(),
        "{:?}",
        rig.sim.call_counts()
    );
}

#[tokio::test(start_paused = true)]
async fn reconcile_never_acts_on_an_unreadable_item() {
    let rig = Rig::new();
    let (_, u) = chain_behind_an_unreadable_item(&rig).await;
    let before = rig.sim.snapshot();
    assert_eq!(before.channels.len(), 1);
    rig.sim.reset_call_counts();

    let report = rig.engine.reconcile(true).await.expect("reconcile");
    rig.engine.settle().await;
    assert!(
        report.resumed.is_empty() && report.corrected.is_empty(),
        "{report:?}"
    );
    // The periodic pass too.
    rig.engine.refresh().await;
    rig.engine.settle().await;

    assert_eq!(writes(&rig), Vec::<String>::new());
    let after = rig.sim.snapshot();
    assert_eq!(after.channels, before.channels);
    assert_eq!(after.inputs, before.inputs);
    assert_eq!(rig.engine.unreadable(), [u]);
}

#[tokio::test(start_paused = true)]
async fn rm_force_removes_the_item_only() {
    let rig = Rig::new();
    let (_, u) = chain_behind_an_unreadable_item(&rig).await;
    let other = rig.add("Other").await;
    rig.engine.load().await.expect("load");
    let before = rig.sim.snapshot();

    // --force removes only what can't be read; a readable record needs a plain rm.
    let refusal = rig
        .engine
        .resolve_unreadable("Other")
        .expect_err("readable");
    assert!(refusal.to_string().contains("readable"), "{refusal}");
    assert!(matches!(
        rig.engine.resolve_unreadable("nothing"),
        Err(Refusal::Unknown(_))
    ));

    let found = rig.engine.resolve_unreadable("old fb").expect("named");
    assert_eq!(found, u);
    rig.sim.reset_call_counts();
    rig.engine.remove_unreadable(&found).await.expect("removed");
    assert_eq!(
        rig.sim.call_counts().into_iter().collect::<Vec<_>>(),
        [("DeleteItem".to_string(), 1)]
    );
    assert!(rig.engine.unreadable().is_empty());
    rig.engine.load().await.expect("load");
    assert!(rig.engine.unreadable().is_empty());
    assert!(rig.engine.record(other).is_some());
    let after = rig.sim.snapshot();
    assert_eq!(
        after.channels, before.channels,
        "AWS resources are left alone"
    );
    assert_eq!(after.inputs, before.inputs);
}

#[tokio::test(start_paused = true)]
async fn rm_force_is_refused_read_only() {
    let rig = Rig::with(onair::sim::SimConfig::unlimited(), |c| c.readonly = true);
    rig.sim
        .insert_unreadable(item("0a1b2c3d-1111-4222-8333-444455556666", "Seed FB"));
    rig.engine.load().await.expect("load");
    assert!(matches!(
        rig.engine.resolve_unreadable("Seed FB"),
        Err(Refusal::ReadOnly(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn a_name_shared_by_a_record_and_an_unreadable_item_is_ambiguous() {
    let rig = Rig::new();
    rig.add("Twin").await;
    rig.sim
        .insert_unreadable(item("0a1b2c3d-1111-4222-8333-444455556666", "twin"));
    rig.engine.load().await.expect("load");
    assert!(matches!(
        rig.engine.resolve("Twin"),
        Err(Refusal::Ambiguous(_))
    ));
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_item_is_logged_once_not_on_every_refresh() {
    let mut rig = Rig::new();
    rig.sim
        .insert_unreadable(item("0a1b2c3d-1111-4222-8333-444455556666", "Seed FB"));
    for _ in 0..3 {
        rig.engine.refresh().await;
    }
    let lines: Vec<String> = rig
        .drain()
        .into_iter()
        .filter_map(|e| match e {
            onair::engine::EngineEvent::Log(l) => Some(l.text),
            _ => None,
        })
        .filter(|t| t.contains("can't be read"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("Seed FB") && lines[0].contains("status"),
        "{lines:?}"
    );
}
