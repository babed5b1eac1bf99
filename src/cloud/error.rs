//! One error type for every cloud call, classified the way the engine needs to react to it.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 429 / ThrottlingException / TooManyRequestsException: retry after a pause.
    Throttled,
    /// 409: the resource is in the wrong state for the call (e.g. delete a running channel).
    Conflict,
    /// 404, or moto's 500 for an unknown id.
    NotFound,
    /// 400 / 422: the request itself is wrong; retrying can't help.
    Validation,
    /// 403: credentials lack a permission (often `iam:PassRole`).
    AccessDenied,
    /// A service quota (channels, inputs, outputs) would be exceeded.
    QuotaExceeded,
    /// 5xx: the service failed; safe to retry idempotent calls.
    Unavailable,
    /// No answer in time.
    Timeout,
    /// A conditional write lost: someone else changed the record first.
    ConditionFailed,
    Other,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Throttled => "throttled",
            ErrorKind::Conflict => "conflict",
            ErrorKind::NotFound => "not found",
            ErrorKind::Validation => "invalid request",
            ErrorKind::AccessDenied => "access denied",
            ErrorKind::QuotaExceeded => "quota exceeded",
            ErrorKind::Unavailable => "service unavailable",
            ErrorKind::Timeout => "timed out",
            ErrorKind::ConditionFailed => "changed by someone else",
            ErrorKind::Other => "failed",
        }
    }
}

/// A failed call: which one, how it failed, and AWS's own message. Messages must never carry a
/// stream key; the backends build them from error codes and AWS's text only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CloudError {
    /// The AWS operation name, e.g. `CreateChannel`.
    pub call: &'static str,
    pub kind: ErrorKind,
    pub message: String,
}

impl CloudError {
    pub fn new(call: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            call,
            kind,
            message: message.into(),
        }
    }

    /// Whether repeating the same idempotent call may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Throttled | ErrorKind::Unavailable | ErrorKind::Timeout
        )
    }

    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}: {}", self.call, self.kind.as_str())
        } else {
            write!(f, "{}: {}: {}", self.call, self.kind.as_str(), self.message)
        }
    }
}
