//! `GET /api/events`: server-sent events from the hub. `Last-Event-ID` resumes from the ring;
//! a place the ring no longer holds, or a subscriber too slow to keep up, gets a `reset` event
//! (reload the state with GET /api/destinations) and the stream ends, so a slow client costs
//! only itself. Every stream ends when the server shuts down.
//!
//! Browsers' `EventSource` can't send an Authorization header; the status page reads this
//! stream with `fetch` and a `ReadableStream` instead, so tokens stay out of URLs and logs.

use super::Shared;
use super::errors::ApiError;
use super::hub::ApiEvent;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use std::collections::VecDeque;
use std::convert::Infallible;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio::sync::watch;

/// Event-stream subscribers at most: each holds a connection and a receiver.
pub const MAX_SUBSCRIBERS: usize = 1000;

fn to_sse(event: &ApiEvent) -> Event {
    Event::default()
        .id(event.id.to_string())
        .event(event.kind)
        .data(event.data.to_string())
}

fn reset(why: &str) -> Event {
    Event::default()
        .event("reset")
        .data(serde_json::json!({ "reason": why }).to_string())
}

struct Feed {
    backlog: VecDeque<Event>,
    live: Receiver<ApiEvent>,
    shutdown: watch::Receiver<bool>,
    done: bool,
}

fn feed(state: Feed) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(state, |mut state| async move {
        if let Some(event) = state.backlog.pop_front() {
            return Some((Ok(event), state));
        }
        if state.done || *state.shutdown.borrow() {
            return None;
        }
        tokio::select! {
            received = state.live.recv() => match received {
                Ok(event) => Some((Ok(to_sse(&event)), state)),
                Err(RecvError::Lagged(missed)) => {
                    state.done = true;
                    Some((Ok(reset(&format!("too slow: {missed} events missed"))), state))
                }
                Err(RecvError::Closed) => None,
            },
            _ = state.shutdown.changed() => None,
        }
    })
}

pub async fn events(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if shared.hub.subscribers() >= MAX_SUBSCRIBERS {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_subscribers",
            format!("{MAX_SUBSCRIBERS} event streams are open: try again later"),
        )
        .retry_after(5)
        .into_response();
    }
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let (backlog, live) = shared.hub.subscribe(last_seen);
    let (backlog, done) = match backlog {
        Some(events) => (events.iter().map(to_sse).collect(), false),
        // The events after that id are gone: the client reloads and subscribes afresh.
        None => (
            VecDeque::from([reset("Last-Event-ID is no longer held")]),
            true,
        ),
    };
    let state = Feed {
        backlog,
        live,
        shutdown: shared.shutdown.clone(),
        done,
    };
    let mut response = Sse::new(feed(state))
        .keep_alive(KeepAlive::default())
        .into_response();
    // Proxies (nginx) would otherwise buffer the stream.
    response.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    response
}
