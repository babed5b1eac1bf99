//! The AWS account behind the credentials, read once per environment (STS GetCallerIdentity and
//! IAM ListAccountAliases): for the top bar, for `list --json` and `flow --json`, and for the
//! check that a pinned environment acts on its own account. A profile that points at the wrong
//! account looks exactly like the right one; its account id does not.

use crate::cloud::aws::{self, AwsBackend};
use crate::config::Environment;
use crate::domain::text::safe;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    /// The 12-digit id, or `None` when STS could not be asked.
    pub id: Option<String>,
    /// IAM's alias for the account, where it has one and these credentials may read it.
    pub alias: Option<String>,
    /// Why the id is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Account {
    pub async fn read(backend: &AwsBackend) -> Self {
        let (identity, alias) = tokio::join!(
            aws::identity(&backend.sdk_config),
            aws::account_alias(&backend.sdk_config)
        );
        match identity {
            // Both are AWS's answers, shown on the operator's terminal: made safe first.
            Ok(identity) => Self {
                id: Some(safe(&identity.account)),
                alias: alias.map(|a| safe(&a)),
                error: None,
            },
            Err(e) => Self {
                id: None,
                alias: None,
                error: Some(e.to_string()),
            },
        }
    }

    /// For the top bar: `123456789012 (acme-show)`, or `account unknown` — never a guess.
    pub fn label(&self) -> String {
        match (&self.id, &self.alias) {
            (Some(id), Some(alias)) => format!("{id} ({alias})"),
            (Some(id), None) => id.clone(),
            (None, _) => "account unknown".into(),
        }
    }

    /// Why an environment pinned to an account must not act with these credentials, if so.
    pub fn pin_problem(&self, env: &Environment) -> Option<String> {
        let pinned = env.account_id.as_ref()?;
        match (&self.id, &self.error) {
            (Some(id), _) if id == pinned => None,
            (Some(id), _) => Some(format!(
                "environment {} is pinned to account {pinned}, but these credentials are account {id}",
                env.name
            )),
            (None, error) => Some(format!(
                "environment {} is pinned to account {pinned}, and the account could not be read: {}",
                env.name,
                error.as_deref().unwrap_or("no answer")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pinned: Option<&str>) -> Environment {
        Environment {
            name: "show".into(),
            production: true,
            account_id: pinned.map(str::to_string),
        }
    }

    fn account(id: Option<&str>, alias: Option<&str>) -> Account {
        Account {
            id: id.map(str::to_string),
            alias: alias.map(str::to_string),
            error: id
                .is_none()
                .then(|| "GetCallerIdentity: timed out".to_string()),
        }
    }

    #[test]
    fn the_label_names_the_id_and_alias_or_says_unknown() {
        assert_eq!(
            account(Some("111122223333"), Some("acme-show")).label(),
            "111122223333 (acme-show)"
        );
        assert_eq!(account(Some("111122223333"), None).label(), "111122223333");
        assert_eq!(account(None, None).label(), "account unknown");
    }

    #[test]
    fn a_pin_holds_only_for_the_same_account_and_an_unread_one_is_not_assumed_right() {
        let show = account(Some("111122223333"), None);
        assert_eq!(show.pin_problem(&env(None)), None, "unpinned");
        assert_eq!(show.pin_problem(&env(Some("111122223333"))), None);
        let wrong = show.pin_problem(&env(Some("444455556666"))).unwrap();
        assert!(
            wrong.contains("pinned to account 444455556666")
                && wrong.contains("credentials are account 111122223333"),
            "{wrong}"
        );
        let unread = account(None, None)
            .pin_problem(&env(Some("444455556666")))
            .unwrap();
        assert!(unread.contains("timed out"), "{unread}");
    }
}
