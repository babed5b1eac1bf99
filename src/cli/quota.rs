//! `onair quota [--json]`: the account's MediaLive quotas as Service Quotas applies them, with
//! how many of each are in use now, and open increase requests; `onair quota request KIND N`
//! files an increase and shows its status.

use super::CliError;
use super::args::{QuotaAction, QuotaArgs};
use super::commands::connect;
use crate::config::Settings;
use crate::domain::text::{json_for_terminal, safe};
use crate::engine::quotas::{QuotaKind, QuotaRequestError, QuotaSource};

pub async fn run(settings: &Settings, args: QuotaArgs) -> Result<(), CliError> {
    match args.action {
        None => show(settings, args.json).await,
        Some(QuotaAction::Request { kind, value }) => {
            request(settings, &kind, value, args.json).await
        }
    }
}

async fn show(settings: &Settings, json: bool) -> Result<(), CliError> {
    let aws = connect(settings, false).await?;
    let report = aws.engine.read_quotas().await;
    let ml = &aws.backend.cloud.medialive;
    // Use now, counted the way AWS counts it: every channel and input in the region, whoever
    // made it.
    let (channels, inputs, groups) = tokio::join!(
        ml.list_channels(),
        ml.list_inputs(),
        ml.list_input_security_groups()
    );
    let used = |kind: QuotaKind| -> Option<usize> {
        match kind {
            QuotaKind::Channels => channels.as_ref().ok().map(|c| {
                c.iter()
                    .filter(|c| c.state != crate::cloud::ChannelState::Deleted)
                    .count()
            }),
            QuotaKind::PushInputs => inputs.as_ref().ok().map(|i| {
                i.iter()
                    .filter(|i| i.state != crate::cloud::InputState::Deleted)
                    .count()
            }),
            QuotaKind::InputSecurityGroups => groups.as_ref().ok().map(Vec::len),
        }
    };
    if json {
        let value = serde_json::json!({
            "source": match &report.source { QuotaSource::Applied => "service-quotas", QuotaSource::Config { .. } => "config" },
            "note": match &report.source { QuotaSource::Applied => None, QuotaSource::Config { note } => Some(note) },
            "quotas": report.quotas.iter().map(|q| serde_json::json!({
                "kind": q.kind.word(),
                "name": q.name,
                "code": q.code,
                "allowed": q.allowed,
                "used": used(q.kind),
                "adjustable": q.adjustable,
            })).collect::<Vec<_>>(),
            "pending": report.pending,
        });
        println!("{}", json_for_terminal(&format!("{value:#}")));
        return Ok(());
    }
    match &report.source {
        QuotaSource::Applied => println!("MediaLive quotas (Service Quotas, applied values)"),
        QuotaSource::Config { note } => {
            println!("MediaLive quotas (from the config)");
            println!("note: {}", safe(note));
        }
    }
    for q in &report.quotas {
        let used = used(q.kind).map_or("?".to_string(), |n| n.to_string());
        let code = q
            .code
            .as_deref()
            .map(|c| format!("  {}", safe(c)))
            .unwrap_or_default();
        println!("{:<16} {used:>4} of {:<5}{code}", q.kind.word(), q.allowed);
    }
    for p in &report.pending {
        println!(
            "requested: {} to {} ({}, id {})",
            safe(&p.quota),
            p.desired,
            safe(&p.status),
            safe(&p.id)
        );
    }
    Ok(())
}

async fn request(settings: &Settings, kind: &str, value: u32, json: bool) -> Result<(), CliError> {
    let Some(kind) = QuotaKind::parse(kind) else {
        return Err(CliError::Refused(format!(
            "quota request: unknown quota {:?}: use channels, inputs or security-groups",
            safe(kind)
        )));
    };
    if settings.readonly {
        return Err(CliError::Refused(
            "read-only mode: quota request refused".into(),
        ));
    }
    let aws = connect(settings, false).await?;
    let asked = usize::try_from(value).unwrap_or(usize::MAX);
    match aws.engine.request_quota_increase(kind, asked).await {
        Ok(r) => {
            if json {
                let value = serde_json::json!({
                    "id": r.id, "quota": r.quota_name, "code": r.quota_code,
                    "desired": r.desired, "status": r.status,
                });
                println!("{}", json_for_terminal(&format!("{value:#}")));
            } else {
                println!(
                    "requested MediaLive {} to {}: {} (id {})",
                    kind.word(),
                    value,
                    safe(&r.status),
                    safe(&r.id)
                );
            }
            Ok(())
        }
        Err(QuotaRequestError::Cloud(e)) => Err(CliError::Failed(format!(
            "quota request: {e} (nothing was filed)"
        ))),
        Err(e) => Err(CliError::Refused(format!("quota request: {e}"))),
    }
}
