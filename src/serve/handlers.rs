//! The handlers: reads answer from the engine's memory and the hub's latest view (no AWS call);
//! changes ask the engine for an operation, which returns at once (202, or 201 with the new
//! record for an add).

use super::errors::ApiError;
use super::{Shared, view};
use crate::domain::{DestinationDraft, DestinationId, StreamKey};
use crate::engine::{OpKind, Refusal};
use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

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

pub async fn page() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-cache")],
        Html(super::page::HTML),
    )
}

pub async fn openapi() -> Json<Value> {
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

pub async fn list(State(shared): State<Shared>) -> Json<Value> {
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

pub async fn get_one(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = resolve(&shared, &id)?;
    one(&shared, id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no destination {id}")))
}

pub async fn metrics(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = resolve(&shared, &id)?;
    Ok(Json(view::metrics(id, &shared.hub.latest())))
}

pub async fn flow(State(shared): State<Shared>) -> Response {
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

/// How long a change waits for AWS to refuse it outright (a ValidationException answers the
/// operation's first call within a second) before it is answered as accepted. Well inside the
/// request timeout; an operation that runs on reports through the event stream.
const REFUSAL_WINDOW: std::time::Duration = std::time::Duration::from_secs(2);

/// The operation on `id` as AWS answered it within [`REFUSAL_WINDOW`]: a 422 when AWS refused
/// it as invalid (the engine left nothing half-made in AWS, and the record in error with AWS's
/// words), `None` while it runs or after any other end.
async fn refused_by_aws(
    events: &mut tokio::sync::broadcast::Receiver<super::hub::ApiEvent>,
    id: DestinationId,
) -> Option<ApiError> {
    use tokio::sync::broadcast::error::RecvError;
    let id = id.to_string();
    let finished = async {
        loop {
            match events.recv().await {
                Ok(e) if e.kind == "finished" && e.data["destinationId"] == id.as_str() => {
                    return Some(e.data);
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return None,
            }
        }
    };
    let data = tokio::time::timeout(REFUSAL_WINDOW, finished)
        .await
        .ok()
        .flatten()?;
    let invalid = crate::cloud::ErrorKind::Validation.as_str();
    (data["ok"] == false && data["kind"] == invalid).then(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "aws_validation",
            format!(
                "AWS refused it at {}: {}; {id} is kept in error with these words (PUT fixes \
                 it, DELETE removes it)",
                data["step"].as_str().unwrap_or("its first call"),
                data["message"].as_str().unwrap_or("invalid request")
            ),
        )
    })
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

pub async fn add(
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
    let (_, mut events) = shared.hub.subscribe(None);
    let id = shared.engine.add(draft)?;
    if let Some(refused) = refused_by_aws(&mut events, id).await {
        return Err(refused);
    }
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
    let (_, mut events) = shared.hub.subscribe(None);
    match op {
        OpKind::Start => shared.engine.start(id)?,
        OpKind::Stop => shared.engine.stop(id)?,
        _ => shared.engine.delete(id)?,
    }
    if let Some(refused) = refused_by_aws(&mut events, id).await {
        return Err(refused);
    }
    Ok(accepted(shared, id, op))
}

pub async fn start(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&shared, &id, OpKind::Start).await
}

pub async fn stop(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&shared, &id, OpKind::Stop).await
}

pub async fn delete(
    State(shared): State<Shared>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    operate(&shared, &id, OpKind::Delete).await
}

pub async fn update(
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
    let draft = DestinationDraft::edit_of(
        &current,
        crate::domain::DraftChanges {
            name: body.name,
            platform: body.platform,
            url: body.rtmp_url,
            stream_key: body.stream_key.map(Into::into),
            preset: body.preset,
        },
    );
    let (_, mut events) = shared.hub.subscribe(None);
    shared.engine.edit(id, draft, query.restart)?;
    if let Some(refused) = refused_by_aws(&mut events, id).await {
        return Err(refused);
    }
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

pub async fn start_many(
    State(shared): State<Shared>,
    Body(body): Body<IdsBody>,
) -> Result<Response, ApiError> {
    bulk(&shared, &body.ids, OpKind::Start).await
}

pub async fn stop_many(
    State(shared): State<Shared>,
    Body(body): Body<IdsBody>,
) -> Result<Response, ApiError> {
    bulk(&shared, &body.ids, OpKind::Stop).await
}
