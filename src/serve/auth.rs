//! Who may do what: bearer tokens from the file config `api_tokens_file` names, one
//! `read TOKEN` or `operate TOKEN` a line. Tokens never come from the command line (it shows in
//! the process list), are compared in constant time, and are never logged: a token is only ever
//! known to the code as the index of its line.

use subtle::ConstantTimeEq;

/// What a route needs, and what a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// The status page's HTML and the API's description: nothing to hide.
    Public,
    Read,
    Operate,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::Read => "read",
            Access::Operate => "operate",
        }
    }
}

struct Token {
    secret: Vec<u8>,
    grants: Access,
}

/// The configured tokens. Empty means none are configured (allowed on a loopback listener only).
#[derive(Default)]
pub struct Tokens {
    tokens: Vec<Token>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} configured)", self.tokens.len())
    }
}

/// Shortest token accepted: a guessable token is no protection.
pub const MIN_TOKEN_LEN: usize = 16;

impl Tokens {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Parses the file's text. Errors name the file and line, never the token.
    pub fn parse(text: &str, file: &str) -> Result<Self, String> {
        let mut tokens = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line_no = n.saturating_add(1);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(role), Some(secret), None) = (words.next(), words.next(), words.next())
            else {
                return Err(format!(
                    "{file}:{line_no}: expected `read TOKEN` or `operate TOKEN`"
                ));
            };
            let grants = match role {
                "read" => Access::Read,
                "operate" => Access::Operate,
                _ => {
                    return Err(format!(
                        "{file}:{line_no}: the role must be `read` or `operate`"
                    ));
                }
            };
            if secret.len() < MIN_TOKEN_LEN {
                return Err(format!(
                    "{file}:{line_no}: the token is shorter than {MIN_TOKEN_LEN} characters"
                ));
            }
            tokens.push(Token {
                secret: secret.as_bytes().to_vec(),
                grants,
            });
        }
        if tokens.is_empty() {
            return Err(format!(
                "{file}: no token in it (one `read TOKEN` or `operate TOKEN` a line)"
            ));
        }
        Ok(Self { tokens })
    }

    /// The token's grant and its index (a name for it in rate limits), comparing against every
    /// configured token in constant time per token, with no early exit on a match.
    pub fn check(&self, presented: &str) -> Option<(usize, Access)> {
        let presented = presented.as_bytes();
        let mut found = None;
        for (i, token) in self.tokens.iter().enumerate() {
            if bool::from(token.secret.as_slice().ct_eq(presented)) {
                found = Some((i, token.grants));
            }
        }
        found
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const READ: &str = "read-TOKEN-0123456789";
    const OPERATE: &str = "operate-TOKEN-0123456789";

    #[test]
    fn a_file_grants_each_token_its_role_and_nothing_else() {
        let text = format!("# dashboards\nread {READ}\n\noperate {OPERATE}\n");
        let tokens = Tokens::parse(&text, "tokens").unwrap();
        assert_eq!(tokens.check(READ), Some((0, Access::Read)));
        assert_eq!(tokens.check(OPERATE), Some((1, Access::Operate)));
        assert_eq!(tokens.check("read-TOKEN-012345678"), None);
        assert_eq!(tokens.check(""), None);
        assert_eq!(format!("{tokens:?}"), "Tokens(2 configured)");
    }

    #[test]
    fn a_bad_line_is_named_without_its_token() {
        for (text, rule) in [
            (format!("write {OPERATE}"), "role"),
            (format!("read {READ} extra"), "expected"),
            ("read short".to_string(), "shorter"),
            ("# only a comment".to_string(), "no token"),
        ] {
            let error = Tokens::parse(&text, "tokens").err().unwrap();
            assert!(error.contains(rule), "{error}");
            assert!(!error.contains(OPERATE) && !error.contains(READ), "{error}");
        }
    }

    #[test]
    fn only_a_bearer_header_carries_a_token() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(None), None);
    }
}
