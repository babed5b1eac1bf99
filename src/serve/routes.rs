//! The one table of routes: the router is built from it and so is the OpenAPI document, so the
//! two can't disagree. The handlers are in handlers.rs, the guard in front of each in guard.rs.

use super::auth::Access;
use super::errors::ApiError;
use super::guard::guard;
use super::handlers as h;
use super::{Shared, sse};
use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{MethodFilter, MethodRouter, on};

/// What a route does; the router maps each to its handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Page,
    OpenApi,
    List,
    Add,
    StartMany,
    StopMany,
    Get,
    Update,
    Delete,
    Start,
    Stop,
    Metrics,
    Flow,
    Events,
}

/// One route: method, path (axum's and OpenAPI's `{id}` syntax), who may call it, and what the
/// OpenAPI document says of it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub endpoint: Endpoint,
    pub access: Access,
    pub summary: &'static str,
    /// The request body's schema name in the document, if the route takes one.
    pub body: Option<&'static str>,
    /// The success status.
    pub ok: u16,
}

const fn route(
    method: &'static str,
    path: &'static str,
    endpoint: Endpoint,
    access: Access,
    summary: &'static str,
    body: Option<&'static str>,
    ok: u16,
) -> Route {
    Route {
        method,
        path,
        endpoint,
        access,
        summary,
        body,
        ok,
    }
}

use Access::{Operate, Public, Read};
use Endpoint as E;

/// Every route the server answers. The seed's eight come first, with its paths.
pub const ROUTES: &[Route] = &[
    route(
        "POST",
        "/api/destinations",
        E::Add,
        Operate,
        "Add a destination: creates its AWS chain in the background",
        Some("AddDestination"),
        201,
    ),
    route(
        "DELETE",
        "/api/destinations/{id}",
        E::Delete,
        Operate,
        "Delete a destination and its whole AWS chain",
        None,
        202,
    ),
    route(
        "GET",
        "/api/destinations",
        E::List,
        Read,
        "Every destination with its state, health, bitrate, uptime and cost",
        None,
        200,
    ),
    route(
        "POST",
        "/api/destinations/{id}/start",
        E::Start,
        Operate,
        "Start one destination",
        None,
        202,
    ),
    route(
        "POST",
        "/api/destinations/{id}/stop",
        E::Stop,
        Operate,
        "Stop one destination",
        None,
        202,
    ),
    route(
        "PUT",
        "/api/destinations/{id}",
        E::Update,
        Operate,
        "Change a destination's settings (a live one only with ?restart=true)",
        Some("UpdateDestination"),
        202,
    ),
    route(
        "GET",
        "/api/mediaconnect/flow/status",
        E::Flow,
        Read,
        "The MediaConnect flow and its source's health",
        None,
        200,
    ),
    route(
        "GET",
        "/api/destinations/{id}/metrics",
        E::Metrics,
        Read,
        "One destination's newest metrics and its bitrate history",
        None,
        200,
    ),
    route(
        "GET",
        "/api/destinations/{id}",
        E::Get,
        Read,
        "One destination",
        None,
        200,
    ),
    route(
        "POST",
        "/api/destinations/start",
        E::StartMany,
        Operate,
        "Start several destinations at once (one batched StartChannel)",
        Some("Ids"),
        202,
    ),
    route(
        "POST",
        "/api/destinations/stop",
        E::StopMany,
        Operate,
        "Stop several destinations at once",
        Some("Ids"),
        202,
    ),
    route(
        "GET",
        "/api/events",
        E::Events,
        Read,
        "Server-sent events: progress, state changes, alerts, incidents, refreshes; \
           Last-Event-ID resumes",
        None,
        200,
    ),
    route(
        "GET",
        "/api/openapi.json",
        E::OpenApi,
        Public,
        "This document",
        None,
        200,
    ),
    route(
        "GET",
        "/",
        E::Page,
        Public,
        "The read-only status page (its data calls need a read token when tokens are set)",
        None,
        200,
    ),
];

fn handler(endpoint: Endpoint) -> MethodRouter<Shared> {
    match endpoint {
        E::Page => on(MethodFilter::GET, h::page),
        E::OpenApi => on(MethodFilter::GET, h::openapi),
        E::List => on(MethodFilter::GET, h::list),
        E::Add => on(MethodFilter::POST, h::add),
        E::StartMany => on(MethodFilter::POST, h::start_many),
        E::StopMany => on(MethodFilter::POST, h::stop_many),
        E::Get => on(MethodFilter::GET, h::get_one),
        E::Update => on(MethodFilter::PUT, h::update),
        E::Delete => on(MethodFilter::DELETE, h::delete),
        E::Start => on(MethodFilter::POST, h::start),
        E::Stop => on(MethodFilter::POST, h::stop),
        E::Metrics => on(MethodFilter::GET, h::metrics),
        E::Flow => on(MethodFilter::GET, h::flow),
        E::Events => on(MethodFilter::GET, sse::events),
    }
}

/// The router: one entry per row of [`ROUTES`], each behind its guard (token, role, rate).
pub fn router(shared: Shared) -> Router {
    let mut router: Router<Shared> = Router::new();
    for r in ROUTES {
        let guarded = handler(r.endpoint).route_layer(middleware::from_fn_with_state(
            (shared.clone(), r.access),
            guard,
        ));
        router = router.route(r.path, guarded);
    }
    router
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(shared)
}

async fn no_route() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_route",
        "no such route: see /api/openapi.json",
    )
}

async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method",
        "this route does not take that method: see /api/openapi.json",
    )
}
