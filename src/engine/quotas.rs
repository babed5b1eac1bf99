//! The account's MediaLive quotas as AWS applies them (Service Quotas), read once at start and
//! then hourly, used by the quota check and the header; config `channel_quota` / `input_quota`
//! when the API is denied or doesn't know them, with a note saying so. Also `onair quota
//! request`: an increase filed with RequestServiceQuotaIncrease.
//!
//! Quotas are found by name in ListServiceQuotas (one call for all of MediaLive) rather than by
//! quota code, and the code AWS answers with is the one an increase request uses.

use super::{Engine, EngineEvent, Level};
use crate::cloud::{CloudError, QuotaRequest, ServiceQuota};
use serde::Serialize;

/// Service Quotas' code for MediaLive.
pub const SERVICE_CODE: &str = "medialive";

/// The MediaLive quotas onair counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QuotaKind {
    Channels,
    PushInputs,
    InputSecurityGroups,
}

impl QuotaKind {
    pub const ALL: [QuotaKind; 3] = [
        QuotaKind::Channels,
        QuotaKind::PushInputs,
        QuotaKind::InputSecurityGroups,
    ];

    /// The word `onair quota request KIND N` takes.
    pub fn word(self) -> &'static str {
        match self {
            QuotaKind::Channels => "channels",
            QuotaKind::PushInputs => "inputs",
            QuotaKind::InputSecurityGroups => "security-groups",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "channels" | "channel" => QuotaKind::Channels,
            "inputs" | "input" | "push-inputs" => QuotaKind::PushInputs,
            "security-groups" | "input-security-groups" | "isg" => QuotaKind::InputSecurityGroups,
            _ => return None,
        })
    }

    /// Whether a quota's name in Service Quotas is this one.
    fn named(self, name: &str) -> bool {
        let name = name.trim().to_ascii_lowercase();
        let names: &[&str] = match self {
            QuotaKind::Channels => &["channels", "channels per region"],
            QuotaKind::PushInputs => &["push inputs", "push inputs per region"],
            QuotaKind::InputSecurityGroups => {
                &["input security groups", "input security groups per region"]
            }
        };
        names.contains(&name.as_str())
    }
}

/// Where the allowed values come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum QuotaSource {
    /// Service Quotas answered.
    Applied,
    /// The config's values; `note` says why (the API denied, unreachable, …).
    Config { note: String },
}

/// One quota: what AWS allows (or the config says), and its code for an increase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuotaLine {
    pub kind: QuotaKind,
    pub name: String,
    pub code: Option<String>,
    pub allowed: usize,
    pub adjustable: bool,
}

/// What the last read of Service Quotas gave.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuotaReport {
    #[serde(flatten)]
    pub source: QuotaSource,
    pub quotas: Vec<QuotaLine>,
    /// Increase requests still open (PENDING / CASE_OPENED).
    pub pending: Vec<PendingRequest>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PendingRequest {
    pub id: String,
    pub quota: String,
    pub desired: f64,
    pub status: String,
}

impl From<&QuotaRequest> for PendingRequest {
    fn from(r: &QuotaRequest) -> Self {
        Self {
            id: r.id.clone(),
            quota: r.quota_name.clone(),
            desired: r.desired,
            status: r.status.clone(),
        }
    }
}

impl QuotaReport {
    pub fn allowed(&self, kind: QuotaKind) -> Option<usize> {
        self.quotas
            .iter()
            .find(|q| q.kind == kind)
            .map(|q| q.allowed)
    }
}

/// A whole, non-negative quota value as a count; anything else from outside is refused.
fn count(value: f64) -> Option<usize> {
    (value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= 1e9)
        .then_some(value as usize)
}

/// The report from Service Quotas' answer, filling what it lacks from the config.
pub fn report_from(
    answer: Result<Vec<ServiceQuota>, CloudError>,
    pending: Vec<QuotaRequest>,
    config_channels: usize,
    config_inputs: usize,
) -> QuotaReport {
    let fallback = |kind: QuotaKind| match kind {
        QuotaKind::Channels => config_channels,
        // AWS's default for security groups is the same 5 as push inputs.
        QuotaKind::PushInputs | QuotaKind::InputSecurityGroups => config_inputs,
    };
    let config_line = |kind: QuotaKind| QuotaLine {
        kind,
        name: kind.word().to_string(),
        code: None,
        allowed: fallback(kind),
        adjustable: false,
    };
    match answer {
        Err(e) => QuotaReport {
            source: QuotaSource::Config {
                note: format!(
                    "Service Quotas unavailable ({e}): using channel_quota / input_quota from the config"
                ),
            },
            quotas: QuotaKind::ALL.into_iter().map(config_line).collect(),
            pending: Vec::new(),
        },
        Ok(applied) => {
            let mut missing = Vec::new();
            let quotas = QuotaKind::ALL
                .into_iter()
                .map(|kind| {
                    applied
                        .iter()
                        .filter(|q| kind.named(&q.name))
                        .find_map(|q| {
                            Some(QuotaLine {
                                kind,
                                name: q.name.clone(),
                                code: Some(q.code.clone()),
                                allowed: count(q.value)?,
                                adjustable: q.adjustable,
                            })
                        })
                        .unwrap_or_else(|| {
                            missing.push(kind.word());
                            config_line(kind)
                        })
                })
                .collect();
            let source = if missing.is_empty() {
                QuotaSource::Applied
            } else {
                QuotaSource::Config {
                    note: format!(
                        "Service Quotas did not list {}: the config's values stand in",
                        missing.join(", ")
                    ),
                }
            };
            QuotaReport {
                source,
                quotas,
                pending: pending
                    .iter()
                    .filter(|r| r.is_open())
                    .map(PendingRequest::from)
                    .collect(),
            }
        }
    }
}

/// Why an increase can't be filed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuotaRequestError {
    #[error(
        "Service Quotas did not list the MediaLive {0} quota, so there is no quota code to raise"
    )]
    NoCode(&'static str),
    #[error("{what}: asked for {desired}, but {allowed} are allowed already: ask for more")]
    NotAnIncrease {
        what: &'static str,
        desired: usize,
        allowed: usize,
    },
    #[error("read-only mode: quota request refused")]
    ReadOnly,
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

impl Engine {
    /// Reads the applied quotas (and open increase requests), keeps them for the quota check
    /// and the header, and reports them. A denied API falls back to the config, said once in
    /// the log.
    pub async fn read_quotas(&self) -> QuotaReport {
        let sq = &self.inner.cloud.quotas;
        let answer = sq.list_service_quotas(SERVICE_CODE).await;
        // The history is only worth a call when the quotas themselves answered.
        let pending = if answer.is_ok() {
            sq.list_requests(SERVICE_CODE).await.unwrap_or_default()
        } else {
            Vec::new()
        };
        let report = report_from(
            answer,
            pending,
            self.inner.config.channel_quota,
            self.inner.config.input_quota,
        );
        let previous = self
            .inner
            .applied_quotas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .replace(report.clone());
        if let QuotaSource::Config { note } = &report.source
            && previous.as_ref().map(|p| &p.source) != Some(&report.source)
        {
            self.log(Level::Warn, None, note.clone());
        }
        {
            let mut q = self.inner.quotas.lock().unwrap_or_else(|e| e.into_inner());
            q.channels_allowed = report
                .allowed(QuotaKind::Channels)
                .unwrap_or(self.inner.config.channel_quota);
            q.inputs_allowed = report
                .allowed(QuotaKind::PushInputs)
                .unwrap_or(self.inner.config.input_quota);
        }
        self.emit(EngineEvent::Quotas(report.clone()));
        report
    }

    /// The allowed counts the quota check uses: applied ones once read, else the config's.
    pub(crate) fn allowed(&self, kind: QuotaKind) -> usize {
        let applied = self
            .inner
            .applied_quotas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .and_then(|r| r.allowed(kind));
        applied.unwrap_or(match kind {
            QuotaKind::Channels => self.inner.config.channel_quota,
            QuotaKind::PushInputs | QuotaKind::InputSecurityGroups => self.inner.config.input_quota,
        })
    }

    /// Files an increase of `kind` to `desired` (RequestServiceQuotaIncrease) and returns AWS's
    /// answer with its status.
    pub async fn request_quota_increase(
        &self,
        kind: QuotaKind,
        desired: usize,
    ) -> Result<QuotaRequest, QuotaRequestError> {
        if self.inner.config.readonly {
            return Err(QuotaRequestError::ReadOnly);
        }
        let report = self.read_quotas().await;
        let line = report
            .quotas
            .iter()
            .find(|q| q.kind == kind)
            .ok_or(QuotaRequestError::NoCode(kind.word()))?;
        let code = line
            .code
            .clone()
            .ok_or(QuotaRequestError::NoCode(kind.word()))?;
        if desired <= line.allowed {
            return Err(QuotaRequestError::NotAnIncrease {
                what: kind.word(),
                desired,
                allowed: line.allowed,
            });
        }
        let request = self
            .inner
            .cloud
            .quotas
            .request_increase(SERVICE_CODE, &code, desired as f64)
            .await?;
        self.log(
            Level::Info,
            None,
            format!(
                "quota increase filed: MediaLive {} to {desired} ({})",
                kind.word(),
                request.status
            ),
        );
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::ErrorKind;

    fn quota(name: &str, value: f64) -> ServiceQuota {
        ServiceQuota {
            code: format!("L-{name}"),
            name: name.to_string(),
            value,
            adjustable: true,
        }
    }

    #[test]
    fn applied_values_win_and_a_denied_api_falls_back_with_a_note() {
        let r = report_from(
            Ok(vec![
                quota("Channels", 20.0),
                quota("Push inputs", 12.0),
                quota("Input security groups", 5.0),
            ]),
            Vec::new(),
            5,
            5,
        );
        assert_eq!(r.source, QuotaSource::Applied);
        assert_eq!(r.allowed(QuotaKind::Channels), Some(20));
        assert_eq!(r.allowed(QuotaKind::PushInputs), Some(12));
        let denied = CloudError::new("ListServiceQuotas", ErrorKind::AccessDenied, "denied");
        let r = report_from(Err(denied), Vec::new(), 7, 6);
        assert!(matches!(&r.source, QuotaSource::Config { note } if note.contains("denied")));
        assert_eq!(r.allowed(QuotaKind::Channels), Some(7));
        assert_eq!(r.allowed(QuotaKind::PushInputs), Some(6));
    }

    #[test]
    fn a_missing_or_nonsense_value_is_replaced_by_the_config_and_said() {
        let r = report_from(
            Ok(vec![quota("Channels", -3.0), quota("Push inputs", 2.5)]),
            Vec::new(),
            5,
            4,
        );
        assert_eq!(r.allowed(QuotaKind::Channels), Some(5));
        assert_eq!(r.allowed(QuotaKind::PushInputs), Some(4));
        assert!(matches!(r.source, QuotaSource::Config { .. }));
    }
}
