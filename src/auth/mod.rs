//! Who may use the server: user accounts with a [`Role`] and argon2 password hashes, API
//! tokens for scripts (kept as SHA-256 digests), and how a request's `Authorization` header
//! (HTTP basic or bearer) is checked against them, with failed logins rate limited.
//!
//! Accounts come from two places: the configuration's `[auth] users` and `tokens`, and the
//! accounts file in the data directory ([`ACCOUNTS_FILE`]), which `baton user` and
//! `baton token` edit and the server re-reads when it changes. An account of the
//! configuration wins over one of the same name in the file. On a first start with no account
//! anywhere, [`Accounts::open`] creates the user `admin` with a random password, which the
//! server prints once.
//!
//! # Layout
//! - [`file`]: the accounts file and the secrets written into it.
//! - [`limiter`]: failed logins counted per client address and per user.
//!
//! The server checks the callers of service endpoints that require credentials with these
//! (its `admission` module).

pub mod file;
pub mod limiter;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::Digest;

pub use file::{AccountsFile, ACCOUNTS_FILE};
use limiter::FailedLogins;

/// What an account may do; each role may do what the ones below it may.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads: instances, their failures.
    #[default]
    Viewer,
    /// Acts on instances and deployments.
    Operator,
    /// Everything.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "viewer" => Ok(Self::Viewer),
            "operator" => Ok(Self::Operator),
            "admin" => Ok(Self::Admin),
            _ => Err(format!(
                "'{text}' is not a role (admin, operator or viewer)"
            )),
        }
    }
}

/// A user who logs in with a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct UserEntry {
    pub name: String,
    pub role: Role,
    /// The argon2 hash of the password, as a PHC string (`$argon2id$v=19$...`).
    pub password_hash: String,
}

/// An API token, for scripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    pub role: Role,
    /// `sha256:` and the hexadecimal SHA-256 digest of the token.
    pub hash: String,
}

/// A credential a provided service accepts (deploy.xml `<baton:credentials>` in a
/// `<provide>`'s `<service>`); a service that lists any accepts only calls presenting one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServiceCredential {
    /// HTTP basic: this user, with a password matching the argon2 PHC string.
    User { name: String, password_hash: String },
    /// A bearer token with this digest (`sha256:` and 64 hexadecimal digits).
    Token { hash: String },
}

impl ServiceCredential {
    /// Whether `presented` is this credential. Checking a password is slow on purpose.
    pub fn accepts(&self, presented: &Presented) -> bool {
        match (self, presented) {
            (Self::Token { hash }, Presented::Bearer(token)) => token_hash(token) == *hash,
            (
                Self::User {
                    name,
                    password_hash,
                },
                Presented::Basic { user, password },
            ) => user == name && password_matches(password, password_hash),
            _ => false,
        }
    }
}

/// Users and tokens, as the configuration and the accounts file list them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Credentials {
    pub users: Vec<UserEntry>,
    pub tokens: Vec<TokenEntry>,
}

impl Credentials {
    /// Whether no one could log in.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.tokens.is_empty()
    }

    /// What is wrong with the entries, each problem prefixed with `context`.
    pub fn problems(&self, context: &str, problems: &mut Vec<String>) {
        let mut names = std::collections::HashSet::new();
        for user in &self.users {
            if user.name.is_empty() || user.name.contains(':') {
                problems.push(format!(
                    "{context} users: '{}' is not a user name (not empty, no ':')",
                    user.name
                ));
            }
            if !names.insert(&user.name) {
                problems.push(format!("{context} users: '{}' twice", user.name));
            }
            if let Err(error) = PasswordHash::new(&user.password_hash) {
                problems.push(format!(
                    "{context} users: the password-hash of '{}' is not a PHC string: {error}",
                    user.name
                ));
            }
        }
        let mut tokens = std::collections::HashSet::new();
        for token in &self.tokens {
            if !tokens.insert(&token.name) {
                problems.push(format!("{context} tokens: '{}' twice", token.name));
            }
            if !is_token_hash(&token.hash) {
                problems.push(format!(
                    "{context} tokens: the hash of '{}' is not sha256: and 64 hexadecimal digits",
                    token.name
                ));
            }
        }
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

/// The argon2id hash of `password`, as a PHC string, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| HashError(error.to_string()))
}

/// Whether `password` matches the PHC string `hash`.
fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

const TOKEN_HASH_PREFIX: &str = "sha256:";

/// Whether `hash` is the form [`token_hash`] writes.
pub fn is_token_hash(hash: &str) -> bool {
    hash.strip_prefix(TOKEN_HASH_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `hash` is a PHC string.
pub fn is_password_hash(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok()
}

/// How a token is kept: `sha256:` and the hexadecimal SHA-256 digest of its text.
pub fn token_hash(token: &str) -> String {
    let digest = sha2::Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{TOKEN_HASH_PREFIX}{hex}")
}

/// A fresh random secret of `bytes` random bytes, URL-safe base64 without padding.
pub fn random_secret(bytes: usize) -> String {
    use argon2::password_hash::rand_core::RngCore;
    let mut buffer = vec![0; bytes];
    OsRng.fill_bytes(&mut buffer);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer)
}

/// A fresh API token.
pub fn new_token() -> String {
    format!("baton_{}", random_secret(32))
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user's or the token's name.
    pub name: String,
    pub role: Role,
}

/// What a request's `Authorization` header holds; its secret is not shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Presented {
    Basic { user: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Basic { user, .. } => write!(f, "Basic({user}:***)"),
            Self::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

impl Presented {
    /// Reads an `Authorization` header value; None when it is neither basic nor bearer.
    pub fn parse(header: &str) -> Option<Self> {
        let (scheme, value) = header.trim().split_once(' ')?;
        let value = value.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            return Some(Self::Bearer(value.to_owned()));
        }
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, password) = text.split_once(':')?;
        Some(Self::Basic {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }

    /// The `Authorization` header value that presents these credentials.
    pub fn header(&self) -> String {
        match self {
            Self::Bearer(token) => format!("Bearer {token}"),
            Self::Basic { user, password } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            ),
        }
    }
}

/// Why a request was not let in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("authentication required: HTTP basic (user and password) or a bearer token")]
    Anonymous,
    #[error("wrong user name, password or token")]
    WrongCredentials,
    #[error("too many failed logins; try again in {} s", .retry_after.as_secs().max(1))]
    TooManyFailures { retry_after: Duration },
}

/// The limit on failed logins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimit {
    /// Failed logins allowed per client address, and per user, within `window`.
    pub max_failures: u32,
    pub window: Duration,
}

/// Every account the server knows: those of the configuration and those of the accounts
/// file, which is read again when it changes.
#[derive(Clone)]
pub struct Accounts {
    inner: Arc<AccountsInner>,
}

struct AccountsInner {
    configured: Credentials,
    file: AccountsFile,
    /// The file's contents, and the modification time and length they were read at.
    cached: Mutex<(Option<(SystemTime, u64)>, Credentials)>,
    failures: FailedLogins,
    /// Checked against when the user does not exist, so that an unknown user takes as long
    /// to refuse as a wrong password.
    decoy_hash: String,
}

/// The user a first start creates.
pub const FIRST_USER: &str = "admin";

/// What [`Accounts::open`] did.
pub struct Opened {
    pub accounts: Accounts,
    /// The password of the user [`FIRST_USER`] when this start created it.
    pub first_password: Option<String>,
}

/// Why the accounts could not be opened or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    #[error(transparent)]
    File(#[from] file::FileError),
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl Accounts {
    /// The accounts of the configuration (`configured`) and of the accounts file in
    /// `data_dir`. When neither has a user or a token, creates the user [`FIRST_USER`] with a
    /// random password in the file, and returns the password.
    pub fn open(
        configured: Credentials,
        data_dir: PathBuf,
        limit: LoginLimit,
    ) -> Result<Opened, AccountsError> {
        let file = AccountsFile::in_dir(&data_dir);
        let mut first_password = None;
        if configured.is_empty() && file.read()?.is_empty() {
            let password = random_secret(18);
            let user = UserEntry {
                name: FIRST_USER.into(),
                role: Role::Admin,
                password_hash: hash_password(&password)?,
            };
            file.edit(|credentials| {
                credentials.users.retain(|u| u.name != FIRST_USER);
                credentials.users.push(user);
                Ok(())
            })?;
            first_password = Some(password);
        }
        let accounts = Self {
            inner: Arc::new(AccountsInner {
                configured,
                file,
                cached: Mutex::new((None, Credentials::default())),
                failures: FailedLogins::new(limit),
                decoy_hash: hash_password(&random_secret(16))?,
            }),
        };
        Ok(Opened {
            accounts,
            first_password,
        })
    }

    /// Checks `presented` (None: no credentials) from `client`. Hashing is slow on purpose:
    /// call this off the threads that serve requests.
    pub fn authenticate(
        &self,
        presented: Option<&Presented>,
        client: Option<IpAddr>,
    ) -> Result<Principal, Denied> {
        let presented = presented.ok_or(Denied::Anonymous)?;
        let inner = &self.inner;
        let user = match presented {
            Presented::Basic { user, .. } => Some(user.as_str()),
            Presented::Bearer(_) => None,
        };
        inner.failures.check(client, user)?;
        let credentials = self.current();
        let found = match presented {
            Presented::Bearer(token) => {
                let hash = token_hash(token);
                credentials
                    .tokens
                    .iter()
                    .find(|entry| entry.hash == hash)
                    .map(|entry| Principal {
                        name: entry.name.clone(),
                        role: entry.role,
                    })
            }
            Presented::Basic { user, password } => {
                match credentials.users.iter().find(|entry| &entry.name == user) {
                    Some(entry) => {
                        password_matches(password, &entry.password_hash).then(|| Principal {
                            name: entry.name.clone(),
                            role: entry.role,
                        })
                    }
                    None => {
                        password_matches(password, &inner.decoy_hash);
                        None
                    }
                }
            }
        };
        match found {
            Some(principal) => Ok(principal),
            None => {
                let known_user =
                    user.filter(|name| credentials.users.iter().any(|u| &u.name == name));
                inner.failures.record(client, known_user);
                Err(Denied::WrongCredentials)
            }
        }
    }

    /// The accounts in force now: the configuration's, then the file's that the
    /// configuration does not name. A file that cannot be read leaves the last one read.
    fn current(&self) -> Credentials {
        let inner = &self.inner;
        let mut cached = inner.cached.lock().expect("accounts lock");
        let stamp = inner.file.stamp();
        if stamp != cached.0 {
            match inner.file.read() {
                Ok(credentials) => *cached = (stamp, credentials),
                Err(error) => tracing::error!(%error, "Accounts file not read again"),
            }
        }
        let mut credentials = inner.configured.clone();
        let file = &cached.1;
        credentials.users.extend(
            file.users
                .iter()
                .filter(|u| !inner.configured.users.iter().any(|c| c.name == u.name))
                .cloned(),
        );
        credentials.tokens.extend(
            file.tokens
                .iter()
                .filter(|t| !inner.configured.tokens.iter().any(|c| c.name == t.name))
                .cloned(),
        );
        credentials
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_headers_are_read_back() {
        for presented in [
            Presented::Bearer("baton_abc".into()),
            Presented::Basic {
                user: "ann".into(),
                password: "a:b c".into(),
            },
        ] {
            assert_eq!(Presented::parse(&presented.header()), Some(presented));
        }
        assert_eq!(Presented::parse("Digest x"), None);
        assert_eq!(Presented::parse("Basic !!!"), None);
    }

    #[test]
    fn roles_are_ordered_and_parsed() {
        assert!(Role::Admin > Role::Operator && Role::Operator > Role::Viewer);
        assert_eq!("operator".parse(), Ok(Role::Operator));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn bad_entries_are_reported() {
        let credentials = Credentials {
            users: vec![UserEntry {
                name: "a:b".into(),
                role: Role::Viewer,
                password_hash: "plain".into(),
            }],
            tokens: vec![TokenEntry {
                name: "t".into(),
                role: Role::Viewer,
                hash: "sha256:00".into(),
            }],
        };
        let mut problems = Vec::new();
        credentials.problems("auth", &mut problems);
        assert_eq!(problems.len(), 3, "{problems:?}");
        let mut fine = Vec::new();
        Credentials {
            users: vec![UserEntry {
                name: "ann".into(),
                role: Role::Admin,
                password_hash: hash_password("pw").unwrap(),
            }],
            tokens: vec![TokenEntry {
                name: "t".into(),
                role: Role::Viewer,
                hash: token_hash(&new_token()),
            }],
        }
        .problems("auth", &mut fine);
        assert!(fine.is_empty(), "{fine:?}");
    }
}
