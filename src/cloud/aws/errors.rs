//! SDK errors to [`CloudError`]: the call's name, a kind the engine can act on, and AWS's own
//! code and message (never the request, so never a stream key).

use crate::cloud::{CloudError, ErrorKind};
use crate::domain::StreamKey;
use aws_sdk_medialive::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_medialive::types::error::UnprocessableEntityException;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use std::sync::Arc;

pub(crate) fn map<E>(call: &'static str, err: SdkError<E, HttpResponse>) -> CloudError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().unwrap_or_default().to_string();
    let message = err.message().unwrap_or_default().to_string();
    // The SDK reports "no credentials" as a dispatch failure, like a refused connection: it
    // is neither "unreachable" nor worth a retry.
    let no_credentials =
        matches!(&err, SdkError::DispatchFailure(_)) && describe_chain(&err).contains("credential");
    let kind = match &err {
        _ if no_credentials => ErrorKind::AccessDenied,
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
            None if no_credentials => format!("no AWS credentials ({})", describe_chain(&err)),
            None => describe_chain(&err),
        },
    };
    CloudError::new(call, kind, text)
}

/// The endpoint a client talks to, named in the errors of calls that got no answer: the SDK's
/// own text ("dispatch failure", "timeout") names neither the host nor where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint(Arc<str>);

impl Endpoint {
    /// The configured endpoint (`AWS_ENDPOINT_URL`, or one set in code), else AWS's own for
    /// `service` in the config's region.
    pub(crate) fn of(config: &aws_config::SdkConfig, service: &str) -> Self {
        let region = config.region().map(|r| r.to_string());
        Self::resolve(config.endpoint_url(), service, region.as_deref())
    }

    pub(crate) fn resolve(url: Option<&str>, service: &str, region: Option<&str>) -> Self {
        let text = match (url, region) {
            (Some(url), _) => url.to_string(),
            (None, Some(region)) => format!("https://{service}.{region}.amazonaws.com"),
            (None, None) => format!("{service} (no region set)"),
        };
        Self(text.into())
    }

    /// [`map`], naming the endpoint when the call got no answer from it.
    pub(crate) fn map<E>(&self, call: &'static str, err: SdkError<E, HttpResponse>) -> CloudError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let answered = err.raw_response().is_some();
        self.name(answered, map(call, err))
    }

    /// Adds the endpoint to an unanswered call's error.
    pub(crate) fn name(&self, answered: bool, mut error: CloudError) -> CloudError {
        if answered {
            return error;
        }
        match error.kind {
            ErrorKind::Timeout => {
                error.message = format!("no answer from {} in time ({})", self.0, error.message);
            }
            ErrorKind::Unavailable => {
                error.message = format!("{} could not be reached ({})", self.0, error.message);
            }
            _ => {}
        }
        error
    }
}

/// [`map`] for CreateChannel and UpdateChannel, the two calls that send a whole channel. A 422's
/// top-level message is only "Validation errors"; what is wrong is in `ValidationErrors`, so each
/// `ElementPath: ErrorMessage` is appended. AWS's text may quote the offending value, and for
/// the destination that value is the stream key: it is replaced by its masked form.
pub(crate) fn map_channel<E>(
    endpoint: &Endpoint,
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
    let answered = err.raw_response().is_some();
    let mut error = endpoint.name(answered, map(call, err));
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
    fn no_credentials_is_access_denied_and_an_unanswered_call_names_its_endpoint() {
        use aws_smithy_runtime_api::client::result::ConnectorError;
        let no_creds: SdkError<UnprocessableEntityException, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::other(
                "the credential provider was not enabled".into(),
                None,
            ));
        let endpoint = Endpoint::resolve(None, "dynamodb", Some("eu-west-1"));
        let e = endpoint.map("Scan", no_creds);
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        assert!(e.message.starts_with("no AWS credentials"), "{}", e.message);
        assert!(!e.message.contains("reached"), "{}", e.message);
        let refused: SdkError<UnprocessableEntityException, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io("Connection refused".into()));
        let e = endpoint.map("Scan", refused);
        assert_eq!(e.kind, ErrorKind::Unavailable);
        assert!(
            e.message
                .contains("https://dynamodb.eu-west-1.amazonaws.com could not be reached"),
            "{}",
            e.message
        );
        let timed_out: SdkError<UnprocessableEntityException, HttpResponse> =
            SdkError::timeout_error("operation timeout");
        let e = Endpoint::resolve(Some("http://127.0.0.1:4566"), "medialive", None)
            .map("ListChannels", timed_out);
        assert_eq!(e.kind, ErrorKind::Timeout);
        assert!(
            e.message.contains("no answer from http://127.0.0.1:4566"),
            "{}",
            e.message
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
