//! What can go wrong with a secret store. Messages name the address and
//! the secret's path, never a token or a value.

use crate::diagnostic::Diagnostic;
use crate::error_kind::ErrorKind;

/// A secret store refused, could not be reached or answered nonsense.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The environment has no store to pull from or push to.
    #[error("environment `{environment}` has no vault source")]
    NoSource {
        /// The environment.
        environment: String,
    },
    /// No address configured.
    #[error("no address for the vault source of environment `{environment}`")]
    NoAddress {
        /// The environment.
        environment: String,
    },
    /// `[resolve] precedence` does not list `remote`: the store would be
    /// read for nothing.
    #[error(
        "environment `{environment}` has a vault source but [resolve] precedence does not list \"remote\""
    )]
    NotInPrecedence {
        /// The environment.
        environment: String,
    },
    /// An address that is not `https://` (or `http://` on loopback).
    #[error("refusing to send a token to {address}: not https")]
    Insecure {
        /// The address.
        address: String,
    },
    /// An address that is not a URL.
    #[error("invalid vault address `{address}`: {why}")]
    BadAddress {
        /// The address.
        address: String,
        /// Why.
        why: String,
    },
    /// No token and no login method.
    #[error(
        "no vault token: set BAO_TOKEN or VAULT_TOKEN, or log in with `bao login` (~/.vault-token)"
    )]
    NoToken,
    /// A login credential is missing or unreadable.
    #[error("{method} login to {address}: {why}")]
    Credential {
        /// `approle` or `kubernetes`.
        method: &'static str,
        /// The address.
        address: String,
        /// What is missing.
        why: String,
    },
    /// The CA file cannot be used.
    #[error("cannot use the CA certificates in {path}: {why}")]
    CaCert {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
    /// The server could not be reached (after retries).
    #[error("cannot reach the vault at {address} (reading {what}): {why}")]
    Unreachable {
        /// The address.
        address: String,
        /// The request's purpose (`secret/myapp/production`).
        what: String,
        /// The transport error.
        why: String,
    },
    /// 401/403.
    #[error("permission denied by the vault at {address} for {what}")]
    Denied {
        /// The address.
        address: String,
        /// The secret or login path.
        what: String,
        /// The server's messages.
        messages: Vec<String>,
    },
    /// 404 without metadata.
    #[error("no secret at {what} in the vault at {address}")]
    Missing {
        /// The address.
        address: String,
        /// The secret (`secret/myapp/production`, `@v3` when pinned).
        what: String,
    },
    /// The version asked for (or the latest) was deleted or destroyed.
    #[error("{what} in the vault at {address} is {state}")]
    Deleted {
        /// The address.
        address: String,
        /// The secret and version.
        what: String,
        /// `deleted (2026-…)` or `destroyed`.
        state: String,
    },
    /// Check-and-set refused the write: someone wrote in between.
    #[error(
        "{what} changed in the vault at {address} since it was read (expected version {expected}, now {current})"
    )]
    CasConflict {
        /// The address.
        address: String,
        /// The secret.
        what: String,
        /// The version the write was based on.
        expected: u64,
        /// The version there now, when known.
        current: String,
    },
    /// Any other answer.
    #[error(
        "the vault at {address} answered {status} for {what}{}",
        fmt_messages(messages)
    )]
    Status {
        /// The address.
        address: String,
        /// The request.
        what: String,
        /// The HTTP status.
        status: u16,
        /// The server's messages.
        messages: Vec<String>,
    },
    /// A body that is not what KV v2 sends.
    #[error("unexpected answer from the vault at {address} for {what}: {why}")]
    Protocol {
        /// The address.
        address: String,
        /// The request.
        what: String,
        /// What was wrong.
        why: String,
    },
    /// A key in the store that is not a variable name.
    #[error("{what}: `{key}` is not a valid variable name")]
    BadKey {
        /// The secret.
        what: String,
        /// The key (keys are not secret).
        key: String,
    },
}

fn fmt_messages(messages: &[String]) -> String {
    if messages.is_empty() {
        String::new()
    } else {
        format!(": {}", messages.join("; "))
    }
}

impl RemoteError {
    /// Every store error is exit 2: nothing is started on a partial view.
    pub fn kind(&self) -> ErrorKind {
        match self {
            RemoteError::NoAddress { .. }
            | RemoteError::NoSource { .. }
            | RemoteError::NotInPrecedence { .. }
            | RemoteError::Insecure { .. }
            | RemoteError::BadAddress { .. }
            | RemoteError::BadKey { .. } => ErrorKind::Input,
            RemoteError::NoToken | RemoteError::Credential { .. } | RemoteError::Denied { .. } => {
                ErrorKind::Identity
            }
            _ => ErrorKind::Io,
        }
    }

    /// The error with what to do about it.
    pub fn diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.to_string());
        match self {
            RemoteError::NoAddress { environment } => d.with_help(format!(
                "set `address` under [environments.{environment}.sources.vault] in envward.toml, or BAO_ADDR"
            )),
            RemoteError::Insecure { .. } => d.with_help(
                "use https:// (plain http is accepted only for 127.0.0.1, ::1 and localhost)",
            ),
            RemoteError::NoSource { environment } => d.with_help(format!(
                "declare [environments.{environment}.sources.vault] with `address` and `path` in envward.toml (see docs/vault.md)"
            )),
            RemoteError::NotInPrecedence { .. } => d.with_help(
                "add \"remote\" to [resolve] precedence (by default it is after \"secrets\")",
            ),
            RemoteError::NoToken => d.with_help(
                "or configure `auth = { method = \"approle\" }` for a server (see docs/vault.md)",
            ),
            RemoteError::Unreachable { .. } => {
                d.with_help("check the address and that the server is running and unsealed; nothing was started")
            }
            RemoteError::Denied { messages, .. } => {
                let d = d.with_help("the token's policy must allow `read` on the secret's data path (see docs/vault.md)");
                if messages.is_empty() {
                    d
                } else {
                    d.with_note(messages.join("; "))
                }
            }
            RemoteError::Missing { .. } => d.with_help(
                "check `mount` and `path` under [environments.<env>.sources.vault], or create it with `envward push`",
            ),
            RemoteError::Deleted { .. } => d.with_help(
                "undelete it (`bao kv undelete`) or pin another `version`",
            ),
            RemoteError::CasConflict { .. } => d.with_help(
                "someone else wrote to the store: run `envward pull --dry-run` to see the change, then push again",
            ),
            _ => d,
        }
    }
}
