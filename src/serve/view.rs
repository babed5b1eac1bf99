//! The JSON the API answers with, built from the engine's in-memory records and the hub's latest
//! observation only (no AWS call). A record keeps the seed's attribute names (`destinationId`,
//! `rtmpUrl`, `streamKey` masked, …) and gains what the control room shows beside it.

use super::hub::Latest;
use crate::domain::{Catalog, Destination, DestinationId, Status};
use crate::engine::{
    FailureKind, Incident, IncidentPhase, OpFailure, OpKind, Progress, cost::cost_so_far,
};
use serde_json::{Value, json};
use time::OffsetDateTime;

pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The record as serialized (stream key masked by `StoredKey`'s own `Serialize`).
fn record_json(record: &Destination) -> Value {
    serde_json::to_value(record).unwrap_or(Value::Null)
}

/// A destination with its live state: the record, the step under way, health, bitrate, uptime
/// and cost so far.
pub fn destination(
    record: &Destination,
    in_flight: Option<OpKind>,
    latest: &Latest,
    catalog: &Catalog,
    now: OffsetDateTime,
) -> Value {
    let id = record.id();
    let mut value = record_json(record);
    let observation = latest.observation.as_ref();
    let metrics = observation.and_then(|o| o.metrics.destinations.get(&id));
    let alerts = observation
        .and_then(|o| o.alerts.get(&id))
        .cloned()
        .unwrap_or_default();
    let incident = latest.incidents.get(&id);
    let cost = cost_so_far(record, catalog, now);
    let operation = in_flight.map(|op| {
        let step = latest.progress.get(&id);
        json!({
            "op": op.verb(),
            "step": step.map(|p| p.step),
            "of": step.map(|p| p.of),
            "label": step.map(|p| p.label.clone()),
        })
    });
    let extra = json!({
        "operation": operation,
        "health": health(record, metrics.and_then(|m| m.active_outputs), &alerts, incident),
        "bitrate": metrics.and_then(|m| m.bitrate),
        // Oldest first, a gap as null: the page's sparkline.
        "bitrateHistory": latest.history.get(&id).map(|h| h.iter().map(|(_, b)| *b).collect::<Vec<_>>()),
        "activeOutputs": metrics.and_then(|m| m.active_outputs),
        "alerts": alerts,
        "uptimeSeconds": record.uptime(now),
        "cost": { "running": round_cents(cost.running), "idle": round_cents(cost.idle),
                  "total": round_cents(cost.total()) },
        "incident": incident.map(incident_json),
    });
    if let (Value::Object(map), Value::Object(more)) = (&mut value, extra) {
        map.extend(more);
    }
    value
}

fn round_cents(dollars: f64) -> f64 {
    (dollars * 100.0).round() / 100.0
}

/// One word for the row's colour: `ok` on air and sending, `degraded` on air with an alert or
/// no active output, `incident` off air against the operator's wish, `error`, `off`.
fn health(
    record: &Destination,
    active_outputs: Option<f64>,
    alerts: &[String],
    incident: Option<&Incident>,
) -> &'static str {
    if incident.is_some() {
        return "incident";
    }
    match record.status {
        Status::Error => "error",
        Status::Running if !alerts.is_empty() || active_outputs == Some(0.0) => "degraded",
        Status::Running => "ok",
        Status::Creating
        | Status::Idle
        | Status::Starting
        | Status::Stopping
        | Status::Deleting
        | Status::Parked => "off",
    }
}

pub fn incident_json(incident: &Incident) -> Value {
    let (phase, detail) = match &incident.phase {
        IncidentPhase::Waiting { until } => ("waiting", Some(rfc3339(*until))),
        IncidentPhase::Restarting => ("restarting", None),
        IncidentPhase::Held(why) => ("held", Some(why.clone())),
        IncidentPhase::GaveUp(why) => ("gave_up", Some(why.clone())),
    };
    json!({
        "since": rfc3339(incident.since),
        "reason": incident.reason,
        "attempts": incident.attempts,
        "of": incident.of,
        "phase": phase,
        "detail": detail,
    })
}

pub fn record_event(record: &Destination) -> Value {
    record_json(record)
}

pub fn progress_event(id: DestinationId, progress: &Progress) -> Value {
    json!({
        "destinationId": id,
        "op": progress.op.verb(),
        "step": progress.step,
        "of": progress.of,
        "label": progress.label,
    })
}

pub fn failure_kind(kind: &FailureKind) -> String {
    match kind {
        FailureKind::Cloud(kind) => kind.as_str().to_string(),
        FailureKind::LostRace => "lost_race".into(),
        FailureKind::Cancelled { by } => format!("cancelled_by_{}", by.verb()),
        FailureKind::Refused => "refused".into(),
    }
}

pub fn finished_event(id: DestinationId, op: OpKind, result: &Result<(), OpFailure>) -> Value {
    match result {
        Ok(()) => json!({ "destinationId": id, "op": op.verb(), "ok": true }),
        Err(failure) => json!({
            "destinationId": id,
            "op": op.verb(),
            "ok": false,
            "step": failure.step,
            "kind": failure_kind(&failure.kind),
            "message": failure.message,
        }),
    }
}

pub fn incident_event(id: DestinationId, incident: Option<&Incident>) -> Value {
    json!({ "destinationId": id, "incident": incident.map(incident_json) })
}

/// A refresh in a few hundred bytes: the flow's health and each destination's newest point.
pub fn observed_event(latest: &Latest) -> Value {
    let Some(o) = latest.observation.as_ref() else {
        return Value::Null;
    };
    let destinations: serde_json::Map<String, Value> = o
        .metrics
        .destinations
        .iter()
        .map(|(id, m)| {
            (
                id.to_string(),
                json!({ "bitrate": m.bitrate, "activeOutputs": m.active_outputs }),
            )
        })
        .collect();
    json!({
        "at": rfc3339(o.at),
        "flow": o.flow.as_ref().map(|f| f.status.clone()),
        "sourceConnected": o.metrics.source_connected,
        "sourceBitrate": o.metrics.source_bitrate,
        "error": o.error,
        "destinations": destinations,
    })
}

/// `GET /api/mediaconnect/flow/status`.
pub fn flow(latest: &Latest) -> Value {
    let Some(o) = latest.observation.as_ref() else {
        return json!({ "observedAt": null, "error": "no refresh has answered yet" });
    };
    let m = &o.metrics;
    json!({
        "observedAt": rfc3339(o.at),
        "name": o.flow.as_ref().map(|f| f.name.clone()),
        "flowArn": o.flow.as_ref().map(|f| f.arn.clone()),
        "status": o.flow.as_ref().map(|f| f.status.clone()),
        "protocol": o.flow.as_ref().map(|f| f.protocol.clone()),
        "port": o.flow.as_ref().and_then(|f| f.port),
        "encryption": o.flow.as_ref().and_then(|f| f.encryption.clone()),
        "outputs": o.flow.as_ref().map(|f| f.outputs),
        "source": {
            "connected": m.source_connected,
            "bitrate": m.source_bitrate,
            "packetLossPercent": m.source_packet_loss_percent,
            "notRecoveredPackets": m.source_not_recovered_packets,
            "roundTripMs": m.source_round_trip_ms,
            "history": history(&latest.source_history),
        },
        "quotas": {
            "channelsUsed": o.quotas.channels_used,
            "channelsAllowed": o.quotas.channels_allowed,
            "inputsUsed": o.quotas.inputs_used,
            "inputsAllowed": o.quotas.inputs_allowed,
        },
        "error": o.flow_error,
    })
}

fn history(series: &std::collections::VecDeque<(i64, Option<f64>)>) -> Value {
    Value::Array(
        series
            .iter()
            .map(|(at, bitrate)| json!({ "at": at, "bitrate": bitrate }))
            .collect(),
    )
}

/// `GET /api/destinations/{id}/metrics`.
pub fn metrics(id: DestinationId, latest: &Latest) -> Value {
    let observation = latest.observation.as_ref();
    let now = observation.and_then(|o| o.metrics.destinations.get(&id));
    json!({
        "destinationId": id,
        "observedAt": observation.map(|o| rfc3339(o.at)),
        "bitrate": now.and_then(|m| m.bitrate),
        "activeOutputs": now.and_then(|m| m.active_outputs),
        "alerts": observation.and_then(|o| o.alerts.get(&id)).cloned().unwrap_or_default(),
        "history": latest.history.get(&id).map(history).unwrap_or(Value::Array(Vec::new())),
        "error": observation.and_then(|o| o.metrics_error.clone()),
    })
}
