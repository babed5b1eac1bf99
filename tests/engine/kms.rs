//! Stream keys sealed with KMS (`stream_key_kms_key`), on the simulator's KMS with tokio's paused
//! clock: what the table and the screen hold, what MediaLive receives, and what a KMS refusal
//! leaves behind.

use crate::common::rig::{KEYS, Rig, draft, progress_steps};
use onair::clock::Clock;
use onair::cloud::ErrorKind;
use onair::cloud::aws::to_item;
use onair::domain::{Catalog, Destination, DestinationDraft, DestinationId, Status, StoredKey};
use onair::engine::{Engine, EngineConfig, EngineEvent, OpKind, Refusal};
use onair::sim::{SimConfig, Simulator};
use std::sync::Arc;

fn sealing_rig() -> Rig {
    Rig::with(SimConfig::unlimited(), |c| {
        c.stream_key_kms_key = Some(Simulator::KMS_KEY_ALIAS.to_string())
    })
}

/// Every form a record leaves the engine in: JSON, Debug, and the DynamoDB item.
fn renderings(record: &Destination) -> String {
    format!(
        "{} {record:?} {:?}",
        serde_json::to_string(record).unwrap(),
        to_item(record)
    )
}

fn count(rig: &Rig, call: &str) -> u64 {
    rig.sim.call_counts().get(call).copied().unwrap_or(0)
}

fn channel_of(rig: &Rig, id: DestinationId) -> String {
    rig.engine
        .record(id)
        .and_then(|r| r.media_live_channel_id)
        .expect("a channel id")
}

/// The edit draft the form sends when only the preset changes: the key kept as the record has it.
fn keep_key_draft(record: &Destination, preset: &str) -> DestinationDraft {
    DestinationDraft {
        name: record.name.clone(),
        platform: record.platform.as_str().to_string(),
        url: record.rtmp_url.clone(),
        stream_key: record.stream_key.clone(),
        preset: preset.to_string(),
    }
}

fn finished_error(events: &[EngineEvent], op: OpKind) -> String {
    events
        .iter()
        .find_map(|e| match e {
            EngineEvent::Finished {
                op: o,
                result: Err(message),
                ..
            } if *o == op => Some(message.message.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no failed {op:?} in {events:?}"))
}

#[tokio::test(start_paused = true)]
async fn the_table_and_the_screen_hold_only_ciphertext_and_medialive_gets_the_clear_key() {
    let mut rig = sealing_rig();
    let id = rig.add("Main YouTube").await;

    let stored = rig
        .sim
        .cloud()
        .store
        .get(id)
        .await
        .unwrap()
        .expect("stored");
    let StoredKey::Sealed(sealed) = &stored.stream_key else {
        panic!("stored in clear: {:?}", stored.stream_key)
    };
    assert_eq!(sealed.key_id, Simulator::KMS_KEY_ARN);
    let blob = String::from_utf8_lossy(&sealed.ciphertext);
    let events = rig.drain();
    let text = format!("{} {blob} {events:?}", renderings(&stored));
    for key in KEYS {
        assert!(!text.contains(key), "the stream key {key} leaked: {text}");
    }
    let item = to_item(&stored);
    assert!(!item.contains_key("streamKey"), "{item:?}");
    // The TUI builds its rows from these events: none ever carried the key in clear.
    for event in &events {
        if let EngineEvent::Upserted(r) = event {
            assert!(r.stream_key.clear().is_none(), "{:?}", r.stream_key);
        }
    }
    let steps = progress_steps(&events);
    assert_eq!(
        steps[..2],
        ["sealing stream key with KMS 1/7", "saving record 2/7"],
        "sealing is a step of its own: {steps:?}"
    );
    assert_eq!(steps.last().map(String::as_str), Some("saving 7/7"));
    let held = rig.engine.record(id).unwrap();
    assert!(held.stream_key.is_sealed());
    assert_eq!(held.status, Status::Idle);

    let channel = channel_of(&rig, id);
    let sent = rig.sim.channel_stream_name(&channel).expect("the channel");
    assert_eq!(sent.expose(), KEYS[0]);
    // One Encrypt before the first write, one Decrypt for CreateChannel.
    assert_eq!((count(&rig, "Encrypt"), count(&rig, "Decrypt")), (1, 1));

    // A start of an existing channel sends no key, so KMS is not asked.
    rig.engine.start(id).unwrap();
    rig.engine.settle().await;
    assert_eq!(rig.status(id), Some(Status::Running));
    assert_eq!((count(&rig, "Encrypt"), count(&rig, "Decrypt")), (1, 1));
    rig.assert_consistent();
}

#[tokio::test(start_paused = true)]
async fn a_kms_refusal_on_add_creates_nothing_and_the_error_names_kms_and_the_call() {
    for (name, break_kms) in [
        (
            "denied",
            Box::new(|sim: &Simulator| sim.fail_next("Encrypt", ErrorKind::AccessDenied))
                as Box<dyn Fn(&Simulator)>,
        ),
        (
            "disabled",
            Box::new(|sim: &Simulator| sim.set_kms_key_enabled(false)),
        ),
    ] {
        let mut rig = sealing_rig();
        break_kms(&rig.sim);
        let id = rig.engine.add(draft("Main", "youtube", 1)).unwrap();
        rig.engine.settle().await;

        assert!(rig.engine.record(id).is_none(), "{name}: the row stays");
        let snap = rig.sim.snapshot();
        assert!(
            snap.records.is_empty() && snap.channels.is_empty() && snap.inputs.is_empty(),
            "{name}: {snap:?}"
        );
        let events = rig.drain();
        assert!(
            events.contains(&EngineEvent::Removed(id)),
            "{name}: {events:?}"
        );
        let message = finished_error(&events, OpKind::Add);
        assert!(
            message.contains("Encrypt") && message.contains("KMS"),
            "{name}: {message}"
        );
        let text = format!("{events:?}");
        assert!(!text.contains(KEYS[1]), "{name}: the key leaked: {text}");
        assert_eq!(count(&rig, "PutItem"), 0, "{name}");
        assert_eq!(count(&rig, "CreateInput"), 0, "{name}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_disabled_key_fails_the_channel_update_naming_decrypt_and_nothing_leaks() {
    let mut rig = sealing_rig();
    let id = rig.add("Main").await;
    let record = rig.engine.record(id).unwrap();
    rig.sim.set_kms_key_enabled(false);
    rig.sim.reset_call_counts();
    rig.engine
        .edit(id, keep_key_draft(&record, "720p30"), false)
        .unwrap();
    rig.engine.settle().await;

    let after = rig.engine.record(id).unwrap();
    assert_eq!(after.status, Status::Error);
    let error = after.last_error.clone().unwrap_or_default();
    assert!(
        error.contains("Decrypt") && error.contains("KMS") && error.contains("updating channel"),
        "{error}"
    );
    // The kept key was sealed already: the edit asked KMS only to open it.
    assert_eq!(count(&rig, "Encrypt"), 0);
    assert_eq!(count(&rig, "UpdateChannel"), 0);
    let text = format!("{:?} {}", rig.drain(), renderings(&after));
    assert!(!text.contains(KEYS[0]), "{text}");
    // With the key enabled again, the operator's retry goes through.
    rig.sim.set_kms_key_enabled(true);
    rig.engine
        .edit(id, keep_key_draft(&after, "720p30"), false)
        .unwrap();
    rig.engine.settle().await;
    assert_eq!(count(&rig, "UpdateChannel"), 1);
    assert_eq!(rig.engine.record(id).unwrap().preset, "720p30");
    let channel = channel_of(&rig, id);
    assert_eq!(
        rig.sim.channel_stream_name(&channel).unwrap().expose(),
        KEYS[0]
    );
}

#[tokio::test(start_paused = true)]
async fn a_record_written_in_clear_still_works_and_is_sealed_by_its_next_edit() {
    // Written before the key was configured (or by the seed).
    let rig = Rig::new();
    let id = rig.add("Old").await;
    assert!(rig.engine.record(id).unwrap().stream_key.clear().is_some());

    let mut config = EngineConfig::new(Simulator::FLOW_ARN, Simulator::ROLE_ARN);
    config.stream_key_kms_key = Some(Simulator::KMS_KEY_ARN.to_string());
    let (engine, _events) = Engine::new(
        rig.sim.cloud(),
        Arc::new(Catalog::builtin()),
        config,
        Clock::starting_at(rig.sim.now()),
    );
    engine.load().await.unwrap();
    rig.sim.reset_call_counts();
    engine.start(id).unwrap();
    engine.settle().await;
    assert_eq!(engine.record(id).unwrap().status, Status::Running);
    engine.stop(id).unwrap();
    engine.settle().await;
    assert_eq!(count(&rig, "Encrypt") + count(&rig, "Decrypt"), 0);
    let record = engine.record(id).unwrap();
    assert!(
        record.stream_key.clear().is_some(),
        "untouched until edited"
    );

    // The edit keeps the key: it is sealed on the way into the table.
    engine
        .edit(id, keep_key_draft(&record, "720p30"), false)
        .unwrap();
    engine.settle().await;
    let stored = rig.sim.cloud().store.get(id).await.unwrap().unwrap();
    assert!(stored.stream_key.is_sealed(), "{:?}", stored.stream_key);
    assert!(!renderings(&stored).contains(KEYS[0]));
    assert_eq!(stored.preset, "720p30");
    let channel = stored.media_live_channel_id.clone().unwrap();
    assert_eq!(
        rig.sim.channel_stream_name(&channel).unwrap().expose(),
        KEYS[0]
    );
    assert_eq!((count(&rig, "Encrypt"), count(&rig, "Decrypt")), (1, 1));

    // A new key typed in the edit is sealed too, and is what MediaLive gets.
    let mut draft = keep_key_draft(&stored, "720p30");
    draft.stream_key = onair::domain::StreamKey::new(KEYS[2]).into();
    engine.edit(id, draft, false).unwrap();
    engine.settle().await;
    let stored = rig.sim.cloud().store.get(id).await.unwrap().unwrap();
    assert!(!renderings(&stored).contains(KEYS[2]));
    assert_eq!(
        rig.sim.channel_stream_name(&channel).unwrap().expose(),
        KEYS[2]
    );
}

#[tokio::test(start_paused = true)]
async fn a_ciphertext_moved_to_another_destination_is_refused() {
    let rig = sealing_rig();
    let a = rig.add("A").await;
    let b = rig.add("B").await;
    let sealed_a = rig.engine.record(a).unwrap().stream_key;
    let record_b = rig.engine.record(b).unwrap();

    let mut moved = keep_key_draft(&record_b, "1080p30");
    moved.stream_key = sealed_a.clone();
    let refused = rig.engine.edit(b, moved, false).unwrap_err();
    assert!(
        matches!(&refused, Refusal::Invalid(e) if e[0].rule.contains("another destination")),
        "{refused:?}"
    );
    let mut copied = draft("C", "twitch", 0);
    copied.stream_key = sealed_a.clone();
    assert!(matches!(rig.engine.add(copied), Err(Refusal::Invalid(_))));

    // Even written straight into the table, KMS won't open it under B's context.
    let mut forged = record_b.clone();
    forged.stream_key = sealed_a;
    forged.version += 1;
    rig.sim
        .cloud()
        .store
        .update_if_version(&forged, record_b.version)
        .await
        .unwrap();
    let sealed = forged.stream_key.sealed().unwrap();
    let err = rig
        .sim
        .cloud()
        .kms
        .decrypt(sealed, &onair::cloud::key_context(b))
        .await
        .unwrap_err();
    assert_eq!(err.call, "Decrypt");
}
