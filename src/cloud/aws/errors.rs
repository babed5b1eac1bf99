//! SDK errors to [`CloudError`]: the call's name, a kind the engine can act on, and AWS's own
//! code and message (never the request, so never a stream key).

use crate::cloud::{CloudError, ErrorKind};
use crate::domain::StreamKey;
use aws_sdk_medialive::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_medialive::types::error::UnprocessableEntityException;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

pub(crate) fn map<E>(call: &'static str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or_default().to_string();
    let kind = match &err {
        SdkError::TimeoutError(_) => ErrorKind::Timeout,
        SdkError::DispatchFailure(d) if d.is_timeout() => ErrorKind::Timeout,
        SdkError::DispatchFailure(_) => ErrorKind::Unavailable,
        SdkError::ConstructionFailure(_) => ErrorKind::Validation,
        _ => classify(status, &code),
    };
    let text = match (code.is_empty(), message.is_empty()) {
        (false, false) => format!("{code}: {message}"),
        (false, true) => code,
        (true, false) => message,
        // No service answer at all (connection refused, DNS): say what the SDK said.
        (true, true) => match status {
            Some(s) => format!("HTTP {s}"),
            None => describe_chain(&err),
        },
    };
    CloudError::new(call, kind, text)
}

/// [`map`] for CreateChannel and UpdateChannel, the two calls that send a whole channel. A 422's
/// top-level message is only "Validation errors"; what is wrong is in `ValidationErrors`, so each
/// `ElementPath: ErrorMessage` is appended. AWS's text may quote the offending value, and for
/// the destination that value is the stream key: it is replaced by its masked form.
pub(crate) fn map_channel<E>(
    call: &'static str,
    err: SdkError<E, HttpResponse>,
    unprocessable: fn(&E) -> Option<&UnprocessableEntityException>,
    key: &StreamKey,
) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let details: Vec<String> = err
        .as_service_error()
        .and_then(unprocessable)
        .map(|u| {
            u.validation_errors()
                .iter()
                .map(|v| {
                    format!(
                        "{}: {}",
                        v.element_path().unwrap_or("?"),
                        v.error_message().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut error = map(call, err);
    if !details.is_empty() {
        error.message = format!("{} ({})", error.message, details.join("; "));
    }
    let secret = key.expose();
    if !secret.trim().is_empty() && error.message.contains(secret) {
        error.message = error.message.replace(secret, &key.masked());
    }
    error
}

/// The error and its sources on one line: "dispatch failure: io error: Connection refused".
fn describe_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// The kind from the HTTP status and the error code, as MediaLive, MediaConnect, CloudWatch and
/// DynamoDB report them.
pub(crate) fn classify(status: Option<u16>, code: &str) -> ErrorKind {
    let code_has = |needle: &str| code.contains(needle);
    if code_has("ConditionalCheckFailed") || code_has("TransactionCanceled") {
        return ErrorKind::ConditionFailed;
    }
    if code_has("Throttl") || code_has("TooManyRequests") || code_has("RequestLimitExceeded") {
        return ErrorKind::Throttled;
    }
    if code_has("LimitExceeded") || code_has("ServiceQuota") || status == Some(420) {
        return ErrorKind::QuotaExceeded;
    }
    if code_has("NotFound") || code_has("NoSuchEntity") {
        return ErrorKind::NotFound;
    }
    if code_has("AccessDenied") || code_has("Forbidden") || code_has("UnrecognizedClient") {
        return ErrorKind::AccessDenied;
    }
    if code_has("Conflict") || code_has("ResourceInUse") {
        return ErrorKind::Conflict;
    }
    match status {
        Some(429) => ErrorKind::Throttled,
        Some(404) => ErrorKind::NotFound,
        Some(403) => ErrorKind::AccessDenied,
        Some(409) => ErrorKind::Conflict,
        Some(400 | 422) => ErrorKind::Validation,
        Some(500..=599) => ErrorKind::Unavailable,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_win_over_statuses() {
        assert_eq!(
            classify(Some(400), "ConditionalCheckFailedException"),
            ErrorKind::ConditionFailed
        );
        assert_eq!(
            classify(Some(400), "ThrottlingException"),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(Some(400), "LimitExceededException"),
            ErrorKind::QuotaExceeded
        );
        assert_eq!(
            classify(Some(400), "NotFoundException"),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(Some(400), "ResourceNotFoundException"),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn statuses_decide_when_the_code_says_nothing() {
        assert_eq!(classify(Some(429), ""), ErrorKind::Throttled);
        assert_eq!(
            classify(Some(409), "ConflictException"),
            ErrorKind::Conflict
        );
        assert_eq!(
            classify(Some(422), "UnprocessableEntityException"),
            ErrorKind::Validation
        );
        assert_eq!(classify(Some(503), ""), ErrorKind::Unavailable);
        assert_eq!(classify(Some(403), ""), ErrorKind::AccessDenied);
    }
}
