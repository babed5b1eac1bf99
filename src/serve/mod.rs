//! `onair serve`: the seed's REST API, an event stream and a read-only status page over the same
//! engine the TUI drives, headless (its refresh loop reconciles, parks and self-heals as under
//! the TUI). Reads answer from memory and cost AWS nothing; changes ask the engine, which
//! returns at once.
//!
//! routes.rs (the one route table) · handlers.rs · guard.rs (token, role, rate in front of each
//! route) · auth.rs (tokens) · limit.rs (rate) ·
//! errors.rs (JSON errors) · hub.rs (event fan-out, latest view) · sse.rs (event stream) ·
//! view.rs (JSON of records, flow, metrics) · openapi.rs · page.rs (the status page).

pub mod auth;
pub mod errors;
pub mod guard;
pub mod handlers;
pub mod hub;
pub mod limit;
pub mod listener;
pub mod openapi;
pub mod page;
pub mod routes;
pub mod sse;
pub mod view;

use crate::engine::{Engine, EngineEvent};
use auth::Tokens;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use hub::Hub;
use limit::RateLimiter;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::timeout::TimeoutLayer;

/// What every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct Shared {
    pub engine: Engine,
    pub hub: Arc<Hub>,
    pub tokens: Arc<Tokens>,
    pub limiter: Arc<RateLimiter>,
    /// Becomes true when the server shuts down: event streams end so connections can close.
    pub shutdown: watch::Receiver<bool>,
}

/// The server's knobs (config keys `api_*`, flags).
#[derive(Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub tokens: Tokens,
    /// Origins a browser dashboard may call from (config `api_cors_origins`); none: no CORS.
    pub cors_origins: Vec<String>,
    /// Requests a second per token (per address without tokens); 0: unlimited.
    pub rate_limit: u32,
    pub body_limit: usize,
    /// Longest a request may take to be read and answered (the event stream's body excepted).
    pub request_timeout: Duration,
    /// Longest the shutdown waits for operations under way to reach a step boundary.
    pub settle_bound: Duration,
}

impl ServeOptions {
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            tokens: Tokens::none(),
            cors_origins: Vec::new(),
            rate_limit: DEFAULT_RATE_LIMIT,
            body_limit: BODY_LIMIT,
            request_timeout: Duration::from_secs(10),
            settle_bound: Duration::from_secs(20),
        }
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_RATE_LIMIT: u32 = 20;
/// A destination's JSON is a few hundred bytes; a bulk start of 50 ids a few kilobytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// Without tokens anyone who can connect can operate: only a loopback listener may do without.
pub fn check_listener(listen: SocketAddr, tokens: &Tokens) -> Result<(), String> {
    if tokens.is_empty() && !listen.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {listen} without tokens: anyone who can reach it could start \
             and delete destinations; set api_tokens_file (ONAIR_API_TOKENS_FILE) to a file of \
             `read TOKEN` / `operate TOKEN` lines, or listen on 127.0.0.1"
        ));
    }
    Ok(())
}

/// The application: the engine's events fanned out through a hub, and the router with its
/// layers. The caller runs the engine's refresh loop (or, in tests, drives refreshes itself).
pub struct App {
    pub router: Router,
    pub shared: Shared,
    pub shutdown: watch::Sender<bool>,
}

pub fn app(
    engine: Engine,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    options: &ServeOptions,
    tokens: Tokens,
) -> App {
    let hub = Hub::new();
    hub.spawn(events);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let shared = Shared {
        engine,
        hub,
        tokens: Arc::new(tokens),
        limiter: Arc::new(RateLimiter::new(options.rate_limit)),
        shutdown: shutdown_rx,
    };
    let router = routes::router(shared.clone())
        .layer(DefaultBodyLimit::max(options.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            options.request_timeout,
        ))
        .layer(cors(&options.cors_origins))
        .layer(middleware::from_fn(access_log));
    App {
        router,
        shared,
        shutdown,
    }
}

fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim()).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("last-event-id"),
        ])
        .max_age(Duration::from_secs(600))
}

/// One line per request: method, path (never the query or a header: no token reaches the log),
/// status and time taken.
async fn access_log(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = tokio::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        target: "onair::serve",
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Serves until SIGTERM or SIGINT, then stops taking requests, ends the event streams, lets the
/// requests under way finish, and waits (bounded) for operations to reach a step boundary, as
/// the TUI's quit does.
pub async fn run(
    engine: Engine,
    events: mpsc::UnboundedReceiver<EngineEvent>,
    mut options: ServeOptions,
) -> color_eyre::Result<()> {
    let tokens = std::mem::take(&mut options.tokens);
    let listener = tokio::net::TcpListener::bind(options.listen).await?;
    let bound = listener.local_addr()?;
    let with_tokens = !tokens.is_empty();
    let App {
        router,
        shared,
        shutdown,
    } = app(engine.clone(), events, &options, tokens);
    let refresh_loop = engine.spawn_refresh_loop();
    tracing::info!(
        target: "onair::serve",
        listen = %bound,
        tokens = with_tokens,
        readonly = engine.config().readonly,
        "serving"
    );
    // Registered before the port is announced: a SIGTERM right after it must not kill the
    // process the default way, skipping the settle.
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    // Scripts and the tests wait for this line to know the port.
    println!("onair serve: listening on http://{bound}");
    let signals = async move {
        tokio::select! {
            _ = term.recv() => tracing::warn!(target: "onair::serve", "SIGTERM: shutting down"),
            _ = int.recv() => tracing::warn!(target: "onair::serve", "SIGINT: shutting down"),
        }
        // Ends the event streams and tells every connection to finish and close.
        let _ = shutdown.send(true);
    };
    let signals = tokio::spawn(signals);
    listener::serve(
        listener,
        router,
        shared.shutdown.clone(),
        options.request_timeout,
        options.request_timeout,
    )
    .await;
    signals.abort();
    refresh_loop.abort();
    let settled = tokio::time::timeout(options.settle_bound, engine.settle()).await;
    if settled.is_err() {
        tracing::warn!(
            target: "onair::serve",
            "operations still under way after {:?}: reconciliation finishes them at the next start",
            options.settle_bound
        );
    }
    drop(shared);
    println!("onair serve: stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_tokens_only_a_loopback_listener_is_allowed() {
        let none = Tokens::none();
        for ok in ["127.0.0.1:8080", "[::1]:8080", "127.0.0.2:1"] {
            assert!(check_listener(ok.parse().unwrap(), &none).is_ok(), "{ok}");
        }
        for open in ["0.0.0.0:8080", "192.168.1.10:8080", "[::]:8080"] {
            let why = check_listener(open.parse().unwrap(), &none).unwrap_err();
            assert!(why.contains("api_tokens_file"), "{why}");
        }
        let tokens = Tokens::parse("read read-token-0123456789", "t").unwrap();
        assert!(check_listener("0.0.0.0:8080".parse().unwrap(), &tokens).is_ok());
    }
}
