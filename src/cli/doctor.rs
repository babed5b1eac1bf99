//! `onair doctor`: the pre-flight an operator runs before a show. Each check prints ✓ or ✗ and,
//! when it fails, what to do about it. Exit 0 when all pass, 1 otherwise.
//!
//! The checks run at once and print in a fixed order: each waits out only its own AWS deadline,
//! so against an endpoint that never answers doctor ends after one deadline, not one per check.

use super::CliError;
use crate::clock::Clock;
use crate::cloud::aws::{self, AwsOptions};
use crate::cloud::{Cloud, FlowStatus};
use crate::config::Settings;
use crate::domain::text::for_terminal;
use crate::engine::quotas;
use crate::sim::{SimConfig, Simulator};

/// The lines of some checks, printed together once every check has ended.
#[derive(Default)]
struct Report {
    lines: Vec<String>,
    failed: usize,
}

impl Report {
    // Details quote AWS's answers and the config (flow names, ARNs, errors): shown safely.
    fn pass(&mut self, what: &str, detail: impl AsRef<str>) {
        self.lines
            .push(format!("✓ {what}: {}", for_terminal(detail.as_ref())));
    }

    fn fail(&mut self, what: &str, detail: impl AsRef<str>, fix: impl AsRef<str>) {
        self.failed += 1;
        self.lines.push(format!(
            "✗ {what}: {}\n    fix: {}",
            for_terminal(detail.as_ref()),
            for_terminal(fix.as_ref())
        ));
    }

    /// Not a failure: something the operator should know (a feature off, a fallback in use).
    fn note(&mut self, what: &str, detail: impl AsRef<str>) {
        self.lines
            .push(format!("! {what}: {}", for_terminal(detail.as_ref())));
    }

    fn append(&mut self, other: Report) {
        self.lines.extend(other.lines);
        self.failed += other.failed;
    }
}

pub async fn run(settings: &Settings, demo: bool) -> Result<(), CliError> {
    let mut report = Report::default();
    if demo {
        let sim = Simulator::new(SimConfig::demo(), Clock::system());
        report.pass(
            "credentials",
            format!("demo account {} (simulated)", Simulator::ACCOUNT),
        );
        report.pass("region", format!("{} (simulated)", Simulator::REGION));
        report.pass(
            "table",
            "the simulator's table (point-in-time recovery not applicable)",
        );
        report.append(common_checks(&sim.cloud(), Simulator::FLOW_ARN, settings).await);
        // The demo always alarms, on the simulated account's own topic.
        report.append(alarm_check(&sim.cloud(), Some(Simulator::TOPIC_ARN)).await);
        if settings.stream_key_kms_key.is_some() {
            // As in the demo: the simulated account's key stands in for the configured one.
            report.append(kms_check(&sim.cloud(), Simulator::KMS_KEY_ALIAS).await);
        }
        report.pass(
            "MediaLive role",
            format!("{} (simulated)", Simulator::ROLE_ARN),
        );
        return finish(report);
    }

    let table = settings.table.clone();
    let backend = aws::connect(&AwsOptions {
        region: settings.region.clone(),
        profile: settings.profile.clone(),
        table: table.clone().unwrap_or_default(),
        timeouts: settings.aws_timeouts,
    })
    .await;
    let where_ = settings.file.display().to_string();
    if let Some(env) = &settings.environment {
        report.pass(
            "environment",
            format!(
                "{}{}{}",
                env.name,
                if env.production { " (production)" } else { "" },
                env.account_id
                    .as_deref()
                    .map(|a| format!(", pinned to account {a}"))
                    .unwrap_or_default()
            ),
        );
    }
    match &backend.region {
        Some(r) => report.pass("region", r),
        None => report.fail(
            "region",
            "not set",
            format!("--region, AWS_REGION, a profile with a region, or `region` in {where_}"),
        ),
    }
    let identity_and_role = async {
        let mut credentials = Report::default();
        let caller = match aws::identity(&backend.sdk_config).await {
            Ok(id) => {
                let pinned = settings
                    .environment
                    .as_ref()
                    .and_then(|e| e.account_id.as_deref());
                match pinned {
                    Some(pinned) if pinned != id.account => credentials.fail(
                        "credentials",
                        format!(
                            "account {} as {}, but the environment is pinned to account {pinned}",
                            id.account, id.arn
                        ),
                        "use the profile of the pinned account (--profile), or fix account_id",
                    ),
                    _ => credentials.pass(
                        "credentials",
                        format!("account {} as {}", id.account, id.arn),
                    ),
                }
                Some(id.arn)
            }
            Err(e) => {
                credentials.fail(
                    "credentials",
                    e.to_string(),
                    "log in (aws sso login --profile P), or set AWS_PROFILE / AWS_ACCESS_KEY_ID",
                );
                None
            }
        };
        let mut role = role_check(&backend.sdk_config, settings, caller.clone(), &where_).await;
        role.append(scheduler_role_check(&backend.sdk_config, settings, caller).await);
        (credentials, role)
    };
    let table_check = async {
        let mut report = Report::default();
        match &table {
            None => report.fail(
                "table",
                "not set",
                format!("`table` in {where_}, or ONAIR_TABLE"),
            ),
            Some(t) => match aws::table_pitr(&backend.sdk_config, t).await {
                Ok(Some(true)) => report.pass("table", format!("{t}, point-in-time recovery on")),
                Ok(Some(false)) => report.fail(
                    "table",
                    format!("{t} has point-in-time recovery off"),
                    "onair init (turns it on), or enable it in the DynamoDB console",
                ),
                Ok(None) => report.fail("table", format!("{t} does not exist"), "onair init"),
                Err(e) => report.fail(
                    "table",
                    e.to_string(),
                    "check the table name and dynamodb:DescribeTable",
                ),
            },
        }
        report
    };
    let flow_and_quotas = async {
        match &settings.flow_arn {
            None => {
                let mut report = Report::default();
                report.fail(
                    "flow",
                    "flow_arn is not set",
                    format!("`flow_arn` in {where_}, or ONAIR_FLOW_ARN"),
                );
                report
            }
            Some(arn) => common_checks(&backend.cloud, arn, settings).await,
        }
    };
    let kms = async {
        match &settings.stream_key_kms_key {
            Some(key) => kms_check(&backend.cloud, key).await,
            None => Report::default(),
        }
    };
    let alarms = alarm_check(&backend.cloud, settings.alarm_topic_arn.as_deref());
    let ((credentials, role), table, flow, kms, alarms) =
        tokio::join!(identity_and_role, table_check, flow_and_quotas, kms, alarms);
    for part in [credentials, table, flow, role, kms, alarms] {
        report.append(part);
    }
    report.lines.push(
        "  clock skew: not checked (the SDK corrects request signing for skew itself)".into(),
    );
    finish(report)
}

/// The MediaLive role exists and these credentials may pass it (`iam:PassRole`).
async fn role_check(
    sdk_config: &aws_config::SdkConfig,
    settings: &Settings,
    caller: Option<String>,
    where_: &str,
) -> Report {
    let mut report = Report::default();
    let Some(role) = &settings.medialive_role_arn else {
        report.fail(
            "MediaLive role",
            "medialive_role_arn is not set",
            format!("`medialive_role_arn` in {where_}, or ONAIR_MEDIALIVE_ROLE_ARN"),
        );
        return report;
    };
    match aws::role_passable(sdk_config, role, caller.as_deref().unwrap_or("")).await {
        Ok((false, _)) => report.fail(
            "MediaLive role",
            format!("{role} does not exist"),
            "create it from docs/aws/foundation.yaml",
        ),
        Ok((true, Some(true))) => {
            report.pass("MediaLive role", format!("{role}, iam:PassRole allowed"))
        }
        Ok((true, Some(false))) => report.fail(
            "MediaLive role",
            format!("AccessDenied: these credentials may not iam:PassRole on {role}"),
            "attach the operator policy of docs/aws/foundation.yaml (iam:PassRole on this role)",
        ),
        Ok((true, None)) => report.pass(
            "MediaLive role",
            format!("{role} exists (iam:PassRole could not be simulated with these credentials)"),
        ),
        Err(e) => report.fail("MediaLive role", e.to_string(), "iam:GetRole on the role"),
    }
    report
}

/// The role EventBridge Scheduler starts and stops channels with exists, and these credentials
/// may pass it (CreateSchedule passes it). Unset: said, since it turns off go-live schedules and
/// the stop-by deadline (`max_run`).
async fn scheduler_role_check(
    sdk_config: &aws_config::SdkConfig,
    settings: &Settings,
    caller: Option<String>,
) -> Report {
    const WHAT: &str = "scheduler role";
    let mut report = Report::default();
    let Some(role) = &settings.scheduler_role_arn else {
        report.pass(
            WHAT,
            "scheduler_role_arn is not set: no go-live schedules and no stop-by deadline \
             (SchedulerRoleArn of docs/aws/foundation.yaml)",
        );
        return report;
    };
    match aws::role_passable(sdk_config, role, caller.as_deref().unwrap_or("")).await {
        Ok((false, _)) => report.fail(
            WHAT,
            format!("{role} does not exist"),
            "create it from docs/aws/foundation.yaml (SchedulerRole)",
        ),
        Ok((true, Some(true))) => report.pass(WHAT, format!("{role}, iam:PassRole allowed")),
        Ok((true, Some(false))) => report.fail(
            WHAT,
            format!("AccessDenied: these credentials may not iam:PassRole on {role}"),
            "attach the operator policy of docs/aws/foundation.yaml (PassTheSchedulerRole)",
        ),
        Ok((true, None)) => report.pass(
            WHAT,
            format!("{role} exists (iam:PassRole could not be simulated with these credentials)"),
        ),
        Err(e) => report.fail(WHAT, e.to_string(), "iam:GetRole on the role"),
    }
    report
}

/// The flow and the quotas, through the same traits the engine uses.
async fn common_checks(cloud: &Cloud, flow_arn: &str, settings: &Settings) -> Report {
    let mut report = Report::default();
    let (flow, channels, inputs, applied) = tokio::join!(
        cloud.mediaconnect.describe_flow(flow_arn),
        cloud.medialive.list_channels(),
        cloud.medialive.list_inputs(),
        cloud.quotas.list_service_quotas(quotas::SERVICE_CODE)
    );
    let quota_report = quotas::report_from(
        applied,
        Vec::new(),
        settings.channel_quota,
        settings.input_quota,
    );
    let allowed_channels = quota_report
        .allowed(quotas::QuotaKind::Channels)
        .unwrap_or(settings.channel_quota);
    let allowed_inputs = quota_report
        .allowed(quotas::QuotaKind::PushInputs)
        .unwrap_or(settings.input_quota);
    match &quota_report.source {
        quotas::QuotaSource::Applied => report.pass(
            "service quotas",
            format!(
                "applied values read: channels {allowed_channels}, push inputs {allowed_inputs}"
            ),
        ),
        quotas::QuotaSource::Config { note } => report.note(
            "service quotas",
            format!(
                "{note} (allow servicequotas:ListServiceQuotas, \
                 ListRequestedServiceQuotaChangeHistory and RequestServiceQuotaIncrease)"
            ),
        ),
    }
    match flow {
        Ok(flow) => {
            let source = &flow.source;
            let detail = format!(
                "{} {} {}:{} encryption {}",
                flow.name,
                flow.status.as_aws(),
                source.protocol,
                source
                    .ingest_port
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "-".into()),
                source.encryption.as_deref().unwrap_or("none")
            );
            if flow.status != FlowStatus::Active {
                report.fail(
                    "flow",
                    detail,
                    "start the flow (it must be ACTIVE to receive the encoder)",
                );
            } else if source.protocol != "srt-listener" {
                report.fail(
                    "flow",
                    detail,
                    "the encoder pushes SRT: use an srt-listener source",
                );
            } else if source.encryption.is_none() {
                report.fail(
                    "flow",
                    detail,
                    "turn on AES-128 encryption on the SRT source",
                );
            } else {
                report.pass("flow", detail);
            }
        }
        Err(e) => report.fail(
            "flow",
            e.to_string(),
            "check flow_arn and mediaconnect:DescribeFlow",
        ),
    }
    match (channels, inputs) {
        (Ok(channels), Ok(inputs)) => {
            let channels = channels
                .iter()
                .filter(|c| c.state != crate::cloud::ChannelState::Deleted)
                .count();
            let inputs = inputs
                .iter()
                .filter(|i| i.state != crate::cloud::InputState::Deleted)
                .count();
            let detail =
                format!("channels {channels}/{allowed_channels}, inputs {inputs}/{allowed_inputs}");
            if channels >= allowed_channels || inputs >= allowed_inputs {
                report.fail("quotas", detail, "delete a destination, or raise the quota in Service Quotas (and channel_quota/input_quota)");
            } else {
                report.pass("quotas", detail);
            }
        }
        (Err(e), _) | (_, Err(e)) => report.fail(
            "quotas",
            e.to_string(),
            "medialive:ListChannels and ListInputs",
        ),
    }
    report
}

/// `alarm_topic_arn`: off when unset (said, not failed); else the topic exists
/// (GetTopicAttributes) and someone is subscribed to it.
async fn alarm_check(cloud: &Cloud, topic: Option<&str>) -> Report {
    let mut report = Report::default();
    let Some(topic) = topic else {
        report.note(
            "alarms",
            "off: alarm_topic_arn is not set, so no CloudWatch alarm watches the destinations",
        );
        return report;
    };
    match cloud.sns.get_topic_attributes(topic).await {
        Ok(info) if info.subscriptions_confirmed == Some(0) => report.note(
            "alarms",
            format!("topic {topic} exists but has no confirmed subscription: nobody will hear an alarm"),
        ),
        Ok(info) => report.pass(
            "alarms",
            format!(
                "topic {}{}",
                info.arn,
                info.subscriptions_confirmed
                    .map(|n| format!(", {n} confirmed subscription(s)"))
                    .unwrap_or_default()
            ),
        ),
        Err(e) => report.fail(
            "alarms",
            e.to_string(),
            "create the topic (aws sns create-topic) or fix alarm_topic_arn; the operator needs sns:GetTopicAttributes",
        ),
    }
    report
}

/// `stream_key_kms_key`: the key exists and is enabled for encryption, and these credentials
/// may Encrypt and Decrypt with it (a probe value round trip, so no stream key is involved).
async fn kms_check(cloud: &Cloud, key: &str) -> Report {
    let mut report = Report::default();
    kms_lines(&mut report, cloud, key).await;
    report
}

async fn kms_lines(report: &mut Report, cloud: &Cloud, key: &str) {
    const WHAT: &str = "stream key encryption";
    let info = match cloud.kms.describe_key(key).await {
        Ok(info) => info,
        Err(e) => {
            return report.fail(
                WHAT,
                format!("KMS {e}"),
                "check stream_key_kms_key and kms:DescribeKey on the key",
            );
        }
    };
    if let Some(problem) = info.problem() {
        return report.fail(
            WHAT,
            format!("KMS key {}: {problem}", info.arn),
            "enable the key, or name a symmetric ENCRYPT_DECRYPT key in stream_key_kms_key",
        );
    }
    let probe = crate::domain::StreamKey::new("onair-doctor-probe");
    let context =
        crate::cloud::KeyContext::from([("onairProbe".to_string(), "doctor".to_string())]);
    let round_trip = match cloud.kms.encrypt(key, &probe, &context).await {
        Ok(sealed) => cloud.kms.decrypt(&sealed, &context).await,
        Err(e) => Err(e),
    };
    match round_trip {
        Ok(back) if back == probe => report.pass(
            WHAT,
            format!("KMS key {} enabled, Encrypt and Decrypt allowed", info.arn),
        ),
        Ok(_) => report.fail(
            WHAT,
            format!(
                "KMS key {}: Decrypt did not return what Encrypt sealed",
                info.arn
            ),
            "check the key and the endpoint",
        ),
        Err(e) => report.fail(
            WHAT,
            format!("KMS {e}"),
            "allow kms:Encrypt and kms:Decrypt on the key to these credentials",
        ),
    }
}

fn finish(report: Report) -> Result<(), CliError> {
    for line in &report.lines {
        println!("{line}");
    }
    if report.failed == 0 {
        println!("all checks passed");
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{} check(s) failed",
            report.failed
        )))
    }
}
