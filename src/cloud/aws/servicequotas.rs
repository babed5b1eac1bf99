//! Service Quotas over the SDK: the account's applied MediaLive quotas and increase requests.

use super::errors::Endpoint;
use crate::cloud::{CloudError, QuotaRequest, ServiceQuota, ServiceQuotas};
use async_trait::async_trait;
use aws_sdk_servicequotas::Client;
use aws_sdk_servicequotas::types::RequestedServiceQuotaChange;
use time::OffsetDateTime;

pub struct SdkServiceQuotas {
    client: Client,
    endpoint: Endpoint,
}

impl SdkServiceQuotas {
    pub(crate) fn new(client: Client, endpoint: Endpoint) -> Self {
        Self { client, endpoint }
    }
}

fn request_of(change: &RequestedServiceQuotaChange) -> QuotaRequest {
    QuotaRequest {
        id: change.id().unwrap_or_default().to_string(),
        quota_code: change.quota_code().unwrap_or_default().to_string(),
        quota_name: change.quota_name().unwrap_or_default().to_string(),
        desired: change.desired_value().unwrap_or_default(),
        status: change
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        created: change
            .created()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok()),
    }
}

#[async_trait]
impl ServiceQuotas for SdkServiceQuotas {
    async fn list_service_quotas(&self, service: &str) -> Result<Vec<ServiceQuota>, CloudError> {
        const CALL: &str = "ListServiceQuotas";
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_service_quotas()
                .service_code(service)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.endpoint.map(CALL, e))?;
            for q in page.quotas() {
                out.push(ServiceQuota {
                    code: q.quota_code().unwrap_or_default().to_string(),
                    name: q.quota_name().unwrap_or_default().to_string(),
                    value: q.value().unwrap_or_default(),
                    adjustable: q.adjustable(),
                });
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn request_increase(
        &self,
        service: &str,
        quota_code: &str,
        desired: f64,
    ) -> Result<QuotaRequest, CloudError> {
        const CALL: &str = "RequestServiceQuotaIncrease";
        let out = self
            .client
            .request_service_quota_increase()
            .service_code(service)
            .quota_code(quota_code)
            .desired_value(desired)
            .send()
            .await
            .map_err(|e| self.endpoint.map(CALL, e))?;
        out.requested_quota()
            .map(request_of)
            .ok_or_else(|| CloudError::new(CALL, crate::cloud::ErrorKind::Other, "no request"))
    }

    async fn list_requests(&self, service: &str) -> Result<Vec<QuotaRequest>, CloudError> {
        const CALL: &str = "ListRequestedServiceQuotaChangeHistory";
        let mut out = Vec::new();
        let mut token = None;
        loop {
            let page = self
                .client
                .list_requested_service_quota_change_history()
                .service_code(service)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.endpoint.map(CALL, e))?;
            out.extend(page.requested_quotas().iter().map(request_of));
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }
}
