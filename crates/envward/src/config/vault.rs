//! `[environments.<name>.sources.vault]`: where an environment's values in
//! an OpenBao or HashiCorp Vault KV v2 store are, and how to log in (read
//! by [`crate::remote`]).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// `[environments.<name>.sources]`: stores an environment's values also
/// come from, besides its files.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcesSettings {
    /// An OpenBao or HashiCorp Vault KV version 2 secret.
    #[serde(default)]
    pub vault: Option<VaultSettings>,
}

/// `[environments.<name>.sources.vault]`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VaultSettings {
    /// The server (`https://bao.example.com:8200`). Unset: `BAO_ADDR`, then
    /// `VAULT_ADDR`. Plain `http://` is accepted for loopback addresses
    /// only (a local dev server).
    #[serde(default)]
    pub address: Option<String>,
    /// The KV v2 mount.
    #[serde(default = "default_mount")]
    pub mount: String,
    /// The secret holding the environment's keys (`myapp/production`): it
    /// serves the `common` namespace, so every namespace falls back to it.
    pub path: String,
    /// Secrets serving one namespace each: `{ security = "myapp/production/security" }`.
    #[serde(default)]
    pub paths: BTreeMap<String, String>,
    /// Read this version instead of the latest (of `path` and every one of
    /// `paths`).
    #[serde(default)]
    pub version: Option<u64>,
    /// A Vault Enterprise / OpenBao namespace (`X-Vault-Namespace`). Unset:
    /// `BAO_NAMESPACE`, then `VAULT_NAMESPACE`.
    #[serde(default)]
    pub vault_namespace: Option<String>,
    /// A PEM file of CA certificates to trust instead of the built-in roots.
    /// Unset: `BAO_CACERT`, then `VAULT_CACERT`. Verification is never off.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// Seconds a request may take, connecting included.
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    /// How to log in (default: a token from `BAO_TOKEN`, `VAULT_TOKEN` or
    /// `~/.vault-token`).
    #[serde(default)]
    pub auth: VaultAuth,
}

fn default_mount() -> String {
    "secret".to_string()
}

fn default_timeout() -> u64 {
    10
}

/// `auth = { method = "…", … }`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(tag = "method", rename_all = "lowercase", deny_unknown_fields)]
pub enum VaultAuth {
    /// A token: `BAO_TOKEN`, `VAULT_TOKEN`, or the file `~/.vault-token`.
    #[default]
    Token,
    /// AppRole: the role id (`role_id`, or `ENVWARD_VAULT_ROLE_ID` /
    /// `ENVWARD_VAULT_ROLE_ID_FILE`) and the secret id
    /// (`ENVWARD_VAULT_SECRET_ID` / `ENVWARD_VAULT_SECRET_ID_FILE`).
    Approle {
        /// Where the AppRole auth method is mounted.
        #[serde(default = "approle_mount")]
        mount: String,
        /// The role id (not a secret by itself).
        #[serde(default)]
        role_id: Option<String>,
    },
    /// Kubernetes: the pod's service-account token, exchanged for a Vault
    /// token of `role`.
    Kubernetes {
        /// Where the Kubernetes auth method is mounted.
        #[serde(default = "kubernetes_mount")]
        mount: String,
        /// The Vault role to log in as.
        role: String,
        /// The service-account token file.
        #[serde(default = "kubernetes_token_file")]
        token_file: PathBuf,
    },
}

fn approle_mount() -> String {
    "approle".to_string()
}

fn kubernetes_mount() -> String {
    "kubernetes".to_string()
}

fn kubernetes_token_file() -> PathBuf {
    PathBuf::from("/var/run/secrets/kubernetes.io/serviceaccount/token")
}
