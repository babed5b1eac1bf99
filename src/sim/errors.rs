//! AWS-shaped errors. Real refusals and injected faults are built by the same functions, so the
//! engine can't tell an injected fault from a real one.

use super::Simulator;
use super::faults::Service;
use crate::cloud::{CloudError, ErrorKind};

const CALLER: &str = "arn:aws:iam::111122223333:user/onair-operator";

pub(crate) fn throttled(call: &'static str, service: Service) -> CloudError {
    let message = match service {
        Service::MediaLive | Service::MediaConnect => "Too Many Requests",
        Service::CloudWatch => "Rate exceeded",
        Service::DynamoDb => "Rate of requests exceeds the allowed throughput.",
        Service::Kms | Service::ServiceQuotas => "Rate exceeded",
        Service::Sns => "Rate exceeded",
        Service::Scheduler => "Rate exceeded",
    };
    CloudError::new(call, ErrorKind::Throttled, message)
}

pub(crate) fn not_found(call: &'static str, what: &str, id: &str) -> CloudError {
    CloudError::new(
        call,
        ErrorKind::NotFound,
        format!("{what} '{id}' could not be found"),
    )
}

pub(crate) fn conflict(call: &'static str, message: impl Into<String>) -> CloudError {
    CloudError::new(call, ErrorKind::Conflict, message)
}

pub(crate) fn validation(call: &'static str, message: impl Into<String>) -> CloudError {
    CloudError::new(call, ErrorKind::Validation, message)
}

pub(crate) fn channel_quota(call: &'static str, quota: usize) -> CloudError {
    CloudError::new(
        call,
        ErrorKind::QuotaExceeded,
        format!(
            "LimitExceeded: you have reached the limit of {quota} channels in {}; request an increase in Service Quotas",
            Simulator::REGION
        ),
    )
}

pub(crate) fn input_quota(call: &'static str, quota: usize) -> CloudError {
    CloudError::new(
        call,
        ErrorKind::QuotaExceeded,
        format!(
            "LimitExceeded: you have reached the limit of {quota} push inputs in {}; request an increase in Service Quotas",
            Simulator::REGION
        ),
    )
}

pub(crate) fn condition_failed(call: &'static str) -> CloudError {
    CloudError::new(
        call,
        ErrorKind::ConditionFailed,
        "The conditional request failed",
    )
}

/// The error AWS would give for `kind` on `call` when nothing more specific applies.
pub(crate) fn generic(
    call: &'static str,
    service: Service,
    kind: ErrorKind,
    channel_quota_n: usize,
    input_quota_n: usize,
) -> CloudError {
    let message = match kind {
        ErrorKind::Throttled => return throttled(call, service),
        ErrorKind::QuotaExceeded => match call {
            "CreateChannel" => return channel_quota(call, channel_quota_n),
            "CreateInput" => return input_quota(call, input_quota_n),
            _ => "LimitExceeded: a service quota would be exceeded".to_string(),
        },
        ErrorKind::ConditionFailed => return condition_failed(call),
        ErrorKind::AccessDenied => match call {
            // The permission that is missing in practice when creating MediaLive resources.
            "CreateChannel" | "CreateInput" => format!(
                "User: {CALLER} is not authorized to perform: iam:PassRole on resource: {}",
                Simulator::ROLE_ARN
            ),
            _ => format!(
                "User: {CALLER} is not authorized to perform: {}:{call}",
                service.iam_prefix()
            ),
        },
        ErrorKind::Conflict => match call {
            "DeleteChannel" | "UpdateChannel" => {
                "Cannot delete a channel that has not been stopped yet".to_string()
            }
            "DeleteInput" => "Cannot delete an input that is attached to a channel".to_string(),
            _ => "The request conflicts with the current state of the resource".to_string(),
        },
        ErrorKind::NotFound => "The requested resource could not be found".to_string(),
        ErrorKind::Validation => "The request is invalid".to_string(),
        ErrorKind::Unavailable => match service {
            Service::MediaLive => "Internal Server Error".to_string(),
            Service::MediaConnect => "Service Unavailable".to_string(),
            Service::CloudWatch => "Internal service error".to_string(),
            Service::DynamoDb => "Internal server error".to_string(),
            Service::Kms => "KMSInternalException".to_string(),
            Service::ServiceQuotas => "ServiceException".to_string(),
            Service::Sns => "InternalError".to_string(),
            Service::Scheduler => "InternalServerException".to_string(),
        },
        ErrorKind::Timeout => format!(
            "timeout: no response from {}.{}.amazonaws.com within 30s",
            service.endpoint_prefix(),
            Simulator::REGION
        ),
        ErrorKind::Other => "An unknown error occurred".to_string(),
    };
    CloudError::new(call, kind, message)
}
