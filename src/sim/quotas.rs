//! Service Quotas for MediaLive: the applied values (the world's own channel and input limits,
//! so an approved increase lets more channels be created), and increase requests that the
//! simulated AWS approves after a delay. A fault denies the whole API, as an operator policy
//! without `servicequotas:*` does.

use super::Simulator;
use super::errors::validation;
use super::faults::Service;
use super::world::{Pending, World};
use crate::cloud::{CloudError, ErrorKind, QuotaRequest, ServiceQuota, ServiceQuotas};
use async_trait::async_trait;
use time::OffsetDateTime;

/// The quotas the simulated MediaLive has, by code and name. The codes are the simulator's own;
/// onair finds quotas by name (see `engine::quotas`).
pub(crate) const CHANNELS: (&str, &str) = ("L-SIM-CHANNELS", "Channels");
pub(crate) const PUSH_INPUTS: (&str, &str) = ("L-SIM-PUSHINPUTS", "Push inputs");
pub(crate) const SECURITY_GROUPS: (&str, &str) = ("L-SIM-ISGS", "Input security groups");

/// How long AWS takes to approve an increase (realistic seconds, scaled by `speed`).
const APPROVAL_SECS: (f64, f64) = (1800.0, 3600.0);

#[derive(Debug, Clone)]
pub(crate) struct SimQuotaRequest {
    pub request: QuotaRequest,
    pub decided: Pending<&'static str>,
}

impl World {
    fn quota_value(&self, code: &str) -> Option<f64> {
        Some(match code {
            c if c == CHANNELS.0 => self.channel_quota as f64,
            c if c == PUSH_INPUTS.0 => self.input_quota as f64,
            c if c == SECURITY_GROUPS.0 => self.security_group_quota as f64,
            _ => return None,
        })
    }

    /// Applies the decisions whose time has come: an approved request raises the quota.
    pub(crate) fn advance_quota_requests(&mut self) {
        let now = self.now();
        let mut approved = Vec::new();
        for r in self.quota_requests.iter_mut() {
            if r.request.is_open() && r.decided.at <= now {
                r.request.status = r.decided.to.to_string();
                if r.decided.to == "APPROVED" {
                    approved.push((r.request.quota_code.clone(), r.request.desired));
                }
            }
        }
        for (code, desired) in approved {
            // Whole counts only; a fractional or negative request never gets here.
            let value = desired.max(0.0) as usize;
            match code.as_str() {
                c if c == CHANNELS.0 => self.channel_quota = self.channel_quota.max(value),
                c if c == PUSH_INPUTS.0 => self.input_quota = self.input_quota.max(value),
                c if c == SECURITY_GROUPS.0 => {
                    self.security_group_quota = self.security_group_quota.max(value)
                }
                _ => {}
            }
        }
    }

    fn quotas_allowed(&self, call: &'static str) -> Result<(), CloudError> {
        if self.quotas_denied {
            return Err(CloudError::new(
                call,
                ErrorKind::AccessDenied,
                format!(
                    "AccessDeniedException: User: arn:aws:iam::{}:user/onair-operator is not authorized to perform: servicequotas:{call}",
                    Simulator::ACCOUNT
                ),
            ));
        }
        Ok(())
    }
}

impl Simulator {
    /// Denies (or allows again) every Service Quotas call, as a policy without it would.
    pub fn deny_quotas_api(&self, denied: bool) {
        self.lock().quotas_denied = denied;
    }

    /// Increase requests filed so far, with their status now.
    pub fn quota_requests(&self) -> Vec<QuotaRequest> {
        let mut w = self.lock();
        w.advance();
        w.quota_requests.iter().map(|r| r.request.clone()).collect()
    }
}

#[async_trait]
impl ServiceQuotas for Simulator {
    async fn list_service_quotas(&self, service: &str) -> Result<Vec<ServiceQuota>, CloudError> {
        const CALL: &str = "ListServiceQuotas";
        self.call(CALL, Service::ServiceQuotas, |w| {
            w.quotas_allowed(CALL)?;
            if service != "medialive" {
                return Ok(Vec::new());
            }
            Ok([CHANNELS, PUSH_INPUTS, SECURITY_GROUPS]
                .into_iter()
                .filter_map(|(code, name)| {
                    Some(ServiceQuota {
                        code: code.to_string(),
                        name: name.to_string(),
                        value: w.quota_value(code)?,
                        adjustable: true,
                    })
                })
                .collect())
        })
    }

    async fn request_increase(
        &self,
        service: &str,
        quota_code: &str,
        desired: f64,
    ) -> Result<QuotaRequest, CloudError> {
        const CALL: &str = "RequestServiceQuotaIncrease";
        self.call(CALL, Service::ServiceQuotas, |w| {
            w.quotas_allowed(CALL)?;
            let current = match (service, w.quota_value(quota_code)) {
                ("medialive", Some(v)) => v,
                _ => {
                    return Err(CloudError::new(
                        CALL,
                        ErrorKind::NotFound,
                        "NoSuchResourceException: The request failed because the specified service or quota does not exist.",
                    ));
                }
            };
            if desired.is_nan() || desired <= current || desired.fract() != 0.0 {
                return Err(validation(
                    CALL,
                    format!(
                        "IllegalArgumentException: the desired value must be a whole number greater than the current value ({current})"
                    ),
                ));
            }
            if w
                .quota_requests
                .iter()
                .any(|r| r.request.quota_code == quota_code && r.request.is_open())
            {
                return Err(CloudError::new(
                    CALL,
                    ErrorKind::Conflict,
                    "ResourceAlreadyExistsException: a request for this quota is already pending",
                ));
            }
            let name = [CHANNELS, PUSH_INPUTS, SECURITY_GROUPS]
                .into_iter()
                .find(|(code, _)| *code == quota_code)
                .map(|(_, name)| name)
                .unwrap_or_default();
            let id = w.random_hex(32);
            let at = w.after(APPROVAL_SECS.0, APPROVAL_SECS.1);
            let request = QuotaRequest {
                id,
                quota_code: quota_code.to_string(),
                quota_name: name.to_string(),
                desired,
                status: "PENDING".to_string(),
                created: Some(w.wall_now()),
            };
            w.quota_requests.push(SimQuotaRequest {
                request: request.clone(),
                decided: Pending {
                    to: "APPROVED",
                    at,
                },
            });
            Ok(request)
        })
    }

    async fn list_requests(&self, service: &str) -> Result<Vec<QuotaRequest>, CloudError> {
        const CALL: &str = "ListRequestedServiceQuotaChangeHistory";
        self.call(CALL, Service::ServiceQuotas, |w| {
            w.quotas_allowed(CALL)?;
            if service != "medialive" {
                return Ok(Vec::new());
            }
            let mut out: Vec<QuotaRequest> =
                w.quota_requests.iter().map(|r| r.request.clone()).collect();
            // Newest first, as the API lists them.
            out.sort_by_key(|r| std::cmp::Reverse(r.created.unwrap_or(OffsetDateTime::UNIX_EPOCH)));
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_fault_words_deny_and_allow_the_api() {
        let sim = sim();
        assert_eq!(sim.list_service_quotas("medialive").await.unwrap().len(), 3);
        sim.apply_fault_command("deny-quotas").unwrap();
        let err = sim.list_service_quotas("medialive").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::AccessDenied);
        assert!(
            err.message.contains("servicequotas:ListServiceQuotas"),
            "{err}"
        );
        sim.apply_fault_command("allow-quotas").unwrap();
        assert!(sim.list_service_quotas("medialive").await.is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn an_increase_is_pending_then_approved_and_raises_the_limit() {
        let sim = sim();
        let r = sim
            .request_increase("medialive", CHANNELS.0, 8.0)
            .await
            .unwrap();
        assert!(r.is_open());
        // A second request for the same quota while one is open is refused.
        let again = sim.request_increase("medialive", CHANNELS.0, 9.0).await;
        assert_eq!(again.unwrap_err().kind, ErrorKind::Conflict);
        // Not an increase.
        let lower = sim.request_increase("medialive", PUSH_INPUTS.0, 5.0).await;
        assert_eq!(lower.unwrap_err().kind, ErrorKind::Validation);
        secs(3601.0).await;
        assert_eq!(sim.quota_requests()[0].status, "APPROVED");
        let applied = sim.list_service_quotas("medialive").await.unwrap();
        let channels = applied.iter().find(|q| q.code == CHANNELS.0).unwrap();
        assert_eq!(channels.value, 8.0);
    }
}
