//! `[resolve] precedence`: the layers a value can come from, ranked.

use serde::{Deserialize, Serialize};

/// A source of values, ranked by `[resolve] precedence`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// The process environment envward runs in.
    Process,
    /// Files in the secrets directory (`/run/secrets/<key>`).
    Secrets,
    /// A remote secret store (`[environments.<env>.sources.vault]`).
    Remote,
    /// Local overrides (`.env.local`, `env/<env>/<ns>.local.env`), never committed.
    Local,
    /// Files of the selected environment (`.env.<env>`, `env/<env>/<ns>.env`).
    Environment,
    /// Files shared by every environment (`.env`, `env/<ns>.env`).
    Shared,
    /// Defaults declared in `envward.toml`.
    Default,
}

impl Layer {
    /// The name used in `envward.toml` and in output.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Process => "process",
            Layer::Secrets => "secrets",
            Layer::Remote => "remote",
            Layer::Local => "local",
            Layer::Environment => "environment",
            Layer::Shared => "shared",
            Layer::Default => "default",
        }
    }
}
