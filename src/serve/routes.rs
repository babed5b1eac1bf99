//! The one table of routes: the router is built from it and so is the OpenAPI document, so the
//! two can't disagree. Each handler answers from the engine's memory (reads) or asks the engine
//! for an operation, which returns at once (mutations: 202, or 201 with the new record).

use super::auth::{self, Access};
use super::errors::ApiError;
use super::{Shared, sse, view};
use crate::domain::{DestinationDraft, DestinationId, StreamKey};
use crate::engine::{OpKind, Refusal};
use axum::extract::{ConnectInfo, FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;

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
        E::Page => on(MethodFilter::GET, page),
        E::OpenApi => on(MethodFilter::GET, openapi),
        E::List => on(MethodFilter::GET, list),
        E::Add => on(MethodFilter::POST, add),
        E::StartMany => on(MethodFilter::POST, start_many),
        E::StopMany => on(MethodFilter::POST, stop_many),
        E::Get => on(MethodFilter::GET, get_one),
        E::Update => on(MethodFilter::PUT, update),
        E::Delete => on(MethodFilter::DELETE, delete),
        E::Start => on(MethodFilter::POST, start),
        E::Stop => on(MethodFilter::POST, stop),
        E::Metrics => on(MethodFilter::GET, metrics),
        E::Flow => on(MethodFilter::GET, flow),
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

/// Token, role and rate, in that order: a caller without the right is refused before it costs
/// a bucket, and a refused request changes nothing.
async fn guard(
    State((shared, needs)): State<(Shared, Access)>,
    request: Request,
    next: Next,
) -> Response {
    let caller = if shared.tokens.is_empty() {
        // No tokens: a loopback listener only (checked at start-up); callers are told apart by
        // their address for the rate limit.
        request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "local".to_string(), |c| c.0.ip().to_string())
    } else if needs == Access::Public {
        "public".to_string()
    } else {
        let header = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(presented) = auth::bearer(header) else {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a bearer token is needed: Authorization: Bearer TOKEN",
            )
            .into_response();
        };
        match shared.tokens.check(presented) {
            None => {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "the token is not one of the configured tokens",
                )
                .into_response();
            }
            Some((_, grants)) if grants < needs => {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!(
                        "a {} token can't do this: it needs an {} token",
                        grants.as_str(),
                        needs.as_str()
                    ),
                )
                .into_response();
            }
            Some((index, _)) => format!("token#{index}"),
        }
    };
    if needs != Access::Public
        && let Err(wait) = shared.limiter.check(&caller)
    {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests: try again in {wait} s"),
        )
        .retry_after(wait)
        .into_response();
    }
    next.run(request).await
}

/// `Json` whose refusals are the API's JSON errors (400 naming the field, 413, 415).
pub struct Body<T>(pub T);

impl<T, S> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(Self(value))
    }
}

/// `POST /api/destinations`: the seed's body, unchanged.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddBody {
    name: String,
    platform: String,
    #[serde(default)]
    rtmp_url: String,
    stream_key: StreamKey,
    #[serde(default = "default_preset")]
    preset: String,
}

fn default_preset() -> String {
    "1080p30".into()
}

/// `PUT /api/destinations/{id}`: what is given changes, the rest stays. `version`, when given,
/// must be the record's: a change based on an older read is refused (another operator wrote).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    name: Option<String>,
    platform: Option<String>,
    rtmp_url: Option<String>,
    stream_key: Option<StreamKey>,
    preset: Option<String>,
    version: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdsBody {
    ids: Vec<String>,
}

#[derive(Deserialize, Default)]
pub struct RestartQuery {
    #[serde(default)]
    restart: bool,
}

async fn page() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(super::page::HTML),
    )
}

async fn openapi() -> Json<Value> {
    Json(super::openapi::document())
}

/// A record's view, now.
fn one(shared: &Shared, id: DestinationId) -> Option<Value> {
    let record = shared.engine.record(id)?;
    let latest = shared.hub.latest();
    Some(view::destination(
        &record,
        shared.engine.in_flight(id),
        &latest,
        shared.engine.catalog(),
        shared.engine.clock().now(),
    ))
}

async fn list(State(shared): State<Shared>) -> Json<Value> {
    let now = shared.engine.clock().now();
    let records = shared.engine.records();
    let latest = shared.hub.latest();
    let catalog = shared.engine.catalog();
    let destinations: Vec<Value> = records
        .iter()
        .map(|r| view::destination(r, shared.engine.in_flight(r.id()), &latest, catalog, now))
        .collect();
    let on_air = records.iter().filter(|r| r.status.is_live()).count();
    let cost: f64 = records
        .iter()
        .map(|r| crate::engine::cost::cost_so_far(r, catalog, now).total())
        .sum();
    Json(json!({
        "destinations": destinations,
        "unreadable": shared.engine.unreadable(),
        "summary": {
            "total": records.len(),
            "onAir": on_air,
            "cost": (cost * 100.0).round() / 100.0,
        },
        "observedAt": latest.observation.as_ref().map(|o| view::rfc3339(o.at)),
        "readonly": shared.engine.config().readonly,
    }))
}

fn resolve(shared: &Shared, wanted: &str) -> Result<DestinationId, ApiError> {
    Ok(shared.engine.resolve(wanted)?)
}

async fn get_one(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = resolve(&shared, &id)?;
    one(&shared, id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no destination {id}")))
}

async fn metrics(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = resolve(&shared, &id)?;
    Ok(Json(view::metrics(id, &shared.hub.latest())))
}

async fn flow(State(shared): State<Shared>) -> Response {
    let latest = shared.hub.latest();
    let body = view::flow(&latest);
    let status = if latest.observation.is_some() {
        StatusCode::OK
    } else {
        // Nothing seen yet (the first refresh is under way): try again in a moment.
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// Refuses a change while the last refresh could reach neither the table nor MediaLive: the
/// engine would only queue failures.
fn reachable(shared: &Shared) -> Result<(), ApiError> {
    let latest = shared.hub.latest();
    let Some(o) = latest.observation.as_ref() else {
        return Ok(());
    };
    if let (Some(table), Some(_)) = (&o.table_error, &o.channels_error) {
        let wait = shared.engine.config().refresh_interval.as_secs().max(1);
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "aws_unreachable",
            format!("AWS can't be reached (last refresh: {table}): nothing was changed"),
        )
        .retry_after(wait));
    }
    Ok(())
}

fn accepted(shared: &Shared, id: DestinationId, op: OpKind) -> Response {
    let body = json!({
        "destinationId": id,
        "op": op.verb(),
        "accepted": true,
        "destination": one(shared, id),
        "events": "/api/events",
    });
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

async fn add(
    State(shared): State<Shared>,
    Body(body): Body<AddBody>,
) -> Result<Response, ApiError> {
    shared.engine.writable("add")?;
    reachable(&shared)?;
    let draft = DestinationDraft {
        name: body.name,
        platform: body.platform,
        url: body.rtmp_url,
        stream_key: body.stream_key.into(),
        preset: body.preset,
    };
    let id = shared.engine.add(draft)?;
    let record = one(&shared, id).unwrap_or(Value::Null);
    let location = format!("/api/destinations/{id}");
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(record),
    )
        .into_response())
}

async fn operate(shared: &Shared, wanted: &str, op: OpKind) -> Result<Response, ApiError> {
    shared.engine.writable(op.verb())?;
    let id = resolve(shared, wanted)?;
    reachable(shared)?;
    match op {
        OpKind::Start => shared.engine.start(id)?,
        OpKind::Stop => shared.engine.stop(id)?,
        _ => shared.engine.delete(id)?,
    }
    Ok(accepted(shared, id, op))
}

async fn start(State(shared): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    operate(&shared, &id, OpKind::Start).await
}

async fn stop(State(shared): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    operate(&shared, &id, OpKind::Stop).await
}

async fn delete(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&shared, &id, OpKind::Delete).await
}

async fn update(
    State(shared): State<Shared>,
    Path(wanted): Path<String>,
    Query(query): Query<RestartQuery>,
    Body(body): Body<UpdateBody>,
) -> Result<Response, ApiError> {
    shared.engine.writable("edit")?;
    let id = resolve(&shared, &wanted)?;
    reachable(&shared)?;
    let current = shared
        .engine
        .record(id)
        .ok_or_else(|| ApiError::not_found(format!("no destination {id}")))?;
    if let Some(version) = body.version
        && version != current.version
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "version",
            format!(
                "{} was changed by another operator (version {} now, this change is based on \
                 {version}): read it again; nothing was changed",
                current.name, current.version
            ),
        ));
    }
    // The URL follows a platform change unless it is given, as in the form and the CLI.
    let platform_changed = body.platform.is_some();
    let draft = DestinationDraft {
        name: body.name.unwrap_or_else(|| current.name.clone()),
        platform: body
            .platform
            .unwrap_or_else(|| current.platform.as_str().to_string()),
        url: body.rtmp_url.unwrap_or_else(|| {
            if platform_changed {
                String::new()
            } else {
                current.rtmp_url.clone()
            }
        }),
        stream_key: body
            .stream_key
            .map(Into::into)
            .unwrap_or_else(|| current.stream_key.clone()),
        preset: body.preset.unwrap_or_else(|| current.preset.clone()),
    };
    shared.engine.edit(id, draft, query.restart)?;
    Ok(accepted(&shared, id, OpKind::Edit))
}

async fn bulk(shared: &Shared, ids: &[String], op: OpKind) -> Result<Response, ApiError> {
    shared.engine.writable(op.verb())?;
    if ids.is_empty() {
        return Err(ApiError {
            fields: vec![("ids".into(), "names at least one destination".into())],
            ..ApiError::bad_request("ids: names at least one destination")
        });
    }
    // Every id resolves before any acts: one typo changes nothing.
    let resolved = ids
        .iter()
        .map(|wanted| resolve(shared, wanted))
        .collect::<Result<Vec<_>, _>>()?;
    reachable(shared)?;
    let results = match op {
        OpKind::Start => shared.engine.start_many(&resolved),
        _ => shared.engine.stop_many(&resolved),
    };
    let accepted_any = results.iter().any(|(_, r)| r.is_ok());
    let first_refusal: Option<Refusal> = results.iter().find_map(|(_, r)| r.clone().err());
    if !accepted_any && let Some(refusal) = first_refusal {
        return Err(refusal.into());
    }
    let body: Vec<Value> = results
        .iter()
        .map(|(id, result)| match result {
            Ok(()) => json!({ "destinationId": id, "accepted": true }),
            Err(refusal) => {
                let e = ApiError::from(refusal.clone());
                json!({ "destinationId": id, "accepted": false, "code": e.code, "error": e.message })
            }
        })
        .collect();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "op": op.verb(), "results": body, "events": "/api/events" })),
    )
        .into_response())
}

async fn start_many(
    State(shared): State<Shared>,
    Body(body): Body<IdsBody>,
) -> Result<Response, ApiError> {
    bulk(&shared, &body.ids, OpKind::Start).await
}

async fn stop_many(
    State(shared): State<Shared>,
    Body(body): Body<IdsBody>,
) -> Result<Response, ApiError> {
    bulk(&shared, &body.ids, OpKind::Stop).await
}
