//! Every refusal as JSON: `{"error": "...", "code": "...", "fields": [{"field", "rule"}]}` with
//! the status a script can act on. The messages are the engine's own (the same words as the TUI
//! and the CLI), which never hold a stream key.

use crate::engine::Refusal;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    /// A stable word for scripts: `invalid`, `unknown`, `busy`, `readonly`, …
    pub code: &'static str,
    pub message: String,
    /// Per field: the field's name in the request body and the rule it broke.
    pub fields: Vec<(String, String)>,
    /// Seconds, for 429 and 503.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

/// The request body's name for a form field (the seed's JSON names).
fn body_field(field: crate::domain::validate::Field) -> &'static str {
    use crate::domain::validate::Field;
    match field {
        Field::Name => "name",
        Field::Platform => "platform",
        Field::Url => "rtmp_url",
        Field::StreamKey => "stream_key",
        Field::Preset => "preset",
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        let message = refusal.to_string();
        match refusal {
            Refusal::ReadOnly(_) => Self::new(StatusCode::FORBIDDEN, "readonly", message),
            Refusal::Invalid(errors) => Self {
                fields: errors
                    .iter()
                    .map(|e| (body_field(e.field).to_string(), e.rule.clone()))
                    .collect(),
                ..Self::new(StatusCode::BAD_REQUEST, "invalid", message)
            },
            Refusal::Unknown(_) => Self::new(StatusCode::NOT_FOUND, "not_found", message),
            Refusal::Ambiguous(_) => Self::new(StatusCode::BAD_REQUEST, "ambiguous", message),
            Refusal::Busy { .. } => Self::new(StatusCode::CONFLICT, "busy", message),
            Refusal::NotNow(_) => Self::new(StatusCode::CONFLICT, "not_now", message),
            Refusal::Unreadable { .. } => Self::new(StatusCode::CONFLICT, "unreadable", message),
            Refusal::NeedsRestart { .. } => Self::new(
                StatusCode::CONFLICT,
                "needs_restart",
                format!("{message}: send the request again with ?restart=true"),
            ),
            Refusal::Quota { .. } => Self::new(StatusCode::CONFLICT, "quota", message),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        // serde's words name the field and the rule ("unknown field `colour`, expected one
        // of …", "missing field `name`"); axum's own status says which kind it was, except that
        // a well-formed body of the wrong shape is a 400 here (422 is kept for AWS's refusals).
        let status = match rejection.status() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            other => other,
        };
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "content_type",
            _ => "invalid",
        };
        Self::new(status, code, rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let fields: Vec<_> = self
            .fields
            .iter()
            .map(|(field, rule)| json!({ "field": field, "rule": rule }))
            .collect();
        let body = json!({ "error": self.message, "code": self.code, "fields": fields });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
