//! What `onair doctor` asks AWS beyond the engine's own calls: who the credentials are, whether
//! the table exists with point-in-time recovery, and whether the MediaLive role exists and may be
//! passed by these credentials (the `iam:PassRole` the seed learned about the hard way).

use super::errors::Endpoint;
use crate::cloud::CloudError;

/// The account and principal behind the credentials.
pub struct Identity {
    pub account: String,
    pub arn: String,
}

pub async fn identity(config: &aws_config::SdkConfig) -> Result<Identity, CloudError> {
    let endpoint = Endpoint::of(config, "sts");
    let out = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| endpoint.map("GetCallerIdentity", e))?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
    })
}

/// The account's alias, where IAM gives one (an account has at most one). `None` also when the
/// credentials may not list aliases: the alias only helps a person recognise the account, the
/// id is what onair checks.
pub async fn account_alias(config: &aws_config::SdkConfig) -> Option<String> {
    let out = aws_sdk_iam::Client::new(config)
        .list_account_aliases()
        .send()
        .await
        .map_err(|e| tracing::debug!("ListAccountAliases: {e}"))
        .ok()?;
    out.account_aliases().first().cloned()
}

/// Whether the table exists (`Ok(None)` if not) and has point-in-time recovery on.
pub async fn table_pitr(
    config: &aws_config::SdkConfig,
    table: &str,
) -> Result<Option<bool>, CloudError> {
    let client = aws_sdk_dynamodb::Client::new(config);
    let endpoint = Endpoint::of(config, "dynamodb");
    match client.describe_table().table_name(table).send().await {
        Ok(_) => {}
        Err(e) => {
            let e = endpoint.map("DescribeTable", e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    }
    let backups = client
        .describe_continuous_backups()
        .table_name(table)
        .send()
        .await
        .map_err(|e| endpoint.map("DescribeContinuousBackups", e))?;
    let on = backups
        .continuous_backups_description()
        .and_then(|d| d.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        .is_some_and(|s| s.as_str() == "ENABLED");
    Ok(Some(on))
}

/// Whether the role exists, and whether `caller` may pass it (IAM's policy simulator).
pub async fn role_passable(
    config: &aws_config::SdkConfig,
    role_arn: &str,
    caller: &str,
) -> Result<(bool, Option<bool>), CloudError> {
    let iam = aws_sdk_iam::Client::new(config);
    let endpoint = Endpoint::of(config, "iam");
    let role_name = role_arn.rsplit('/').next().unwrap_or(role_arn);
    let exists = match iam.get_role().role_name(role_name).send().await {
        Ok(_) => true,
        Err(e) => {
            let e = endpoint.map("GetRole", e);
            if e.is_not_found() {
                false
            } else {
                return Err(e);
            }
        }
    };
    // Assumed-role ARNs can't be simulated; the simulator wants the role itself.
    let principal = assumed_role_to_role(caller);
    let passable = match iam
        .simulate_principal_policy()
        .policy_source_arn(&principal)
        .action_names("iam:PassRole")
        .resource_arns(role_arn)
        .send()
        .await
    {
        Ok(out) => Some(
            out.evaluation_results()
                .iter()
                .all(|r| r.eval_decision().as_str() == "allowed"),
        ),
        // The simulator itself may be denied to these credentials: say "unknown", not "no".
        Err(_) => None,
    };
    Ok((exists, passable))
}

/// `arn:aws:sts::123:assumed-role/Name/session` → `arn:aws:iam::123:role/Name`.
fn assumed_role_to_role(arn: &str) -> String {
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() == 6
        && parts[2] == "sts"
        && let Some(rest) = parts[5].strip_prefix("assumed-role/")
    {
        let name = rest.split('/').next().unwrap_or(rest);
        return format!("arn:{}:iam::{}:role/{name}", parts[1], parts[4]);
    }
    arn.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assumed_role_is_simulated_as_its_role() {
        assert_eq!(
            assumed_role_to_role("arn:aws:sts::123456789012:assumed-role/Operator/jane"),
            "arn:aws:iam::123456789012:role/Operator"
        );
        assert_eq!(
            assumed_role_to_role("arn:aws:iam::123456789012:user/jane"),
            "arn:aws:iam::123456789012:user/jane"
        );
    }
}
