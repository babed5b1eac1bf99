//! `GET /api/events`: the engine's events fanned out to every subscriber, numbered, resumable
//! with `Last-Event-ID` from the ring, and a subscriber too slow to keep up is told to reload
//! while the others go on.

use crate::common::rig::{Rig, draft};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use onair::engine::{EngineEvent, Level, LogEntry};
use onair::serve::{self, ServeOptions, auth::Tokens, hub};
use onair::sim::SimConfig;
use tower::ServiceExt;

/// One SSE event as parsed from the stream.
#[derive(Debug, Clone)]
struct Sse {
    id: Option<u64>,
    kind: String,
    data: String,
}

/// Reads the stream until `until` holds for the events so far or the stream ends; at most
/// `frames` body frames (keep-alives included), so a missing event fails instead of hanging.
async fn read_events(body: &mut Body, frames: usize, until: impl Fn(&[Sse]) -> bool) -> Vec<Sse> {
    let mut text = String::new();
    let mut events = Vec::new();
    for _ in 0..frames {
        let Some(Ok(frame)) = body.frame().await else {
            break;
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        text.push_str(&String::from_utf8_lossy(&data));
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let mut event = Sse {
                id: None,
                kind: "message".into(),
                data: String::new(),
            };
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    event.id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    event.kind = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    event.data.push_str(v.trim());
                }
            }
            if !event.data.is_empty() {
                events.push(event);
            }
        }
        if until(&events) {
            break;
        }
    }
    events
}

async fn subscribe(router: &axum::Router, last_seen: Option<u64>) -> Body {
    let mut request = Request::builder().uri("/api/events");
    if let Some(id) = last_seen {
        request = request.header("last-event-id", id.to_string());
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );
    response.into_body()
}

fn app() -> (Rig, serve::App) {
    let Rig {
        sim,
        engine,
        events,
    } = Rig::with(SimConfig::unlimited(), |_| {});
    let mut options = ServeOptions::new("127.0.0.1:0".parse().expect("address"));
    options.rate_limit = 0;
    let app = serve::app(engine.clone(), events, &options, Tokens::none());
    let (_, unused) = tokio::sync::mpsc::unbounded_channel();
    (
        Rig {
            sim,
            engine,
            events: unused,
        },
        app,
    )
}

#[tokio::test(start_paused = true)]
async fn a_subscriber_sees_the_steps_and_state_changes_of_a_start_and_can_resume() {
    let (rig, app) = app();
    let mut stream = subscribe(&app.router, None).await;
    let id = rig.engine.add(draft("Main", "youtube", 0)).expect("add");
    rig.engine.settle().await;
    rig.engine.start(id).expect("start");
    rig.engine.settle().await;
    let running = |events: &[Sse]| {
        events
            .iter()
            .any(|e| e.kind == "destination" && e.data.contains("\"status\":\"running\""))
    };
    let events = read_events(&mut stream, 500, running).await;
    assert!(running(&events), "{events:#?}");
    assert!(
        events
            .iter()
            .any(|e| e.kind == "progress" && e.data.contains("\"op\":\"start\""))
    );
    assert!(
        events
            .iter()
            .any(|e| e.kind == "finished" && e.data.contains("\"ok\":true"))
    );
    let ids: Vec<u64> = events.iter().filter_map(|e| e.id).collect();
    assert!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "numbered in order: {ids:?}"
    );

    // A client that saw up to the fifth event resumes right after it.
    let fifth = ids[4];
    let mut resumed = subscribe(&app.router, Some(fifth)).await;
    let last = *ids.last().expect("events");
    let again = read_events(&mut resumed, 500, |e| e.iter().any(|e| e.id == Some(last))).await;
    assert_eq!(
        again.first().and_then(|e| e.id),
        Some(fifth + 1),
        "{again:#?}"
    );
    assert_eq!(
        again.iter().filter_map(|e| e.id).collect::<Vec<_>>(),
        ids[5..].to_vec()
    );
}

fn log_line(n: usize) -> EngineEvent {
    EngineEvent::Log(LogEntry {
        at: crate::common::rig::start(),
        level: Level::Info,
        destination: None,
        text: format!("line {n}"),
    })
}

#[tokio::test(start_paused = true)]
async fn a_place_the_ring_no_longer_holds_and_a_slow_subscriber_get_a_reset() {
    let (_rig, app) = app();
    let hub = &app.shared.hub;
    // A slow subscriber: subscribed, never read while more than the ring's worth is published.
    let mut slow = subscribe(&app.router, None).await;
    for n in 0..hub::RING + 10 {
        hub.apply(log_line(n));
    }
    let events = read_events(&mut slow, 50, |e| e.iter().any(|e| e.kind == "reset")).await;
    let reset = events.iter().find(|e| e.kind == "reset").expect("a reset");
    assert!(reset.data.contains("too slow"), "{reset:?}");
    // Then its stream ends: the client reloads and subscribes again.
    assert!(slow.frame().await.is_none());

    // Resuming from an id the ring dropped is a reset too; one it holds is not.
    let mut lapsed = subscribe(&app.router, Some(1)).await;
    let events = read_events(&mut lapsed, 5, |e| !e.is_empty()).await;
    assert_eq!(events.first().map(|e| e.kind.as_str()), Some("reset"));
    let held = (hub::RING + 10 - 3) as u64;
    let mut fresh = subscribe(&app.router, Some(held)).await;
    let events = read_events(&mut fresh, 20, |e| e.len() >= 3).await;
    assert_eq!(
        events.iter().filter_map(|e| e.id).collect::<Vec<_>>(),
        vec![held + 1, held + 2, held + 3]
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_every_stream() {
    let (_rig, app) = app();
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(subscribe(&app.router, None).await);
    }
    app.shutdown.send(true).expect("subscribers listen");
    for mut stream in streams {
        let mut ended = false;
        for _ in 0..5 {
            match stream.frame().await {
                None => {
                    ended = true;
                    break;
                }
                Some(_) => continue,
            }
        }
        assert!(ended, "a stream outlived the shutdown");
    }
}
