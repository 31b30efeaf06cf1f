//! The variable schema of `envward.toml` (`[vars.<KEY>]`): types,
//! requirements, constraints, per-environment rules; checking the schema
//! itself for contradictions, and checking values against it.

mod generate;
mod infer;
pub mod preset;
mod types;
mod validate;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use generate::{example, reference};
pub use infer::{Inferred, append_to, infer};
pub use types::{VarType, check_type};
pub use validate::{SchemaProblem, validate_schema};

use crate::config::Required;

/// How much a key matters.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Importance {
    /// The application cannot run without it.
    Critical,
    /// Needed for a correct deployment.
    Important,
    /// Has a sensible default.
    #[default]
    Optional,
}

/// `[vars.<KEY>]`: what a key must look like.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VarSpec {
    /// The value's type (default `string`).
    #[serde(default, rename = "type")]
    #[schemars(with = "Option<VarType>")]
    pub kind: Option<String>,
    /// Whether `run`, `get` and `export` refuse to go on without it.
    #[serde(default)]
    pub required: Option<Required>,
    /// Value used when no source defines the key.
    #[serde(default)]
    pub default: Option<String>,
    /// Whether the value is a secret (default: `type = "secret"` or the name).
    #[serde(default)]
    pub sensitive: Option<bool>,
    /// Whether `envward encrypt` encrypts the value (default: when the key
    /// is sensitive, or always with `--all`).
    #[serde(default)]
    pub encrypt: Option<bool>,
    /// What the key is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Section of `.env.example` and the docs.
    #[serde(default)]
    pub group: Option<String>,
    /// How much the key matters.
    #[serde(default)]
    pub importance: Option<Importance>,
    /// An example value (never a real secret).
    #[serde(default)]
    pub example: Option<String>,
    /// The allowed values.
    #[serde(default)]
    pub choices: Option<Vec<String>>,
    /// A regular expression the whole value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Smallest allowed number (numeric types; seconds for durations).
    #[serde(default)]
    pub min: Option<f64>,
    /// Largest allowed number.
    #[serde(default)]
    pub max: Option<f64>,
    /// Fewest characters.
    #[serde(default)]
    pub min_length: Option<usize>,
    /// Most characters.
    #[serde(default)]
    pub max_length: Option<usize>,
    /// The key is deprecated: the message says what to use instead.
    #[serde(default)]
    pub deprecated: Option<String>,
    /// The namespace the key belongs in (directory layout).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Rules for one environment: `[vars.DEBUG.env.production]`.
    #[serde(default)]
    pub env: BTreeMap<String, EnvRule>,
}

/// `[vars.<KEY>.env.<environment>]`: extra rules in one environment.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvRule {
    /// The value must be exactly this (`equals = false` for DEBUG).
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub equals: Option<toml::Value>,
    /// The value must not be this.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub not_equals: Option<toml::Value>,
    /// Required in this environment (overrides `required`).
    #[serde(default)]
    pub required: Option<bool>,
    /// A regular expression the whole value must match here.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Fewest characters here.
    #[serde(default)]
    pub min_length: Option<usize>,
}

impl VarSpec {
    /// The declared type (`string` when none is given or it is unknown).
    pub fn var_type(&self) -> VarType {
        self.kind
            .as_deref()
            .and_then(VarType::parse)
            .unwrap_or(VarType::String)
    }

    /// Whether the key is required in `environment`.
    pub fn is_required_in(&self, environment: &str) -> bool {
        if let Some(rule) = self.env.get(environment)
            && let Some(r) = rule.required
        {
            return r;
        }
        self.required
            .as_ref()
            .is_some_and(|r| r.applies_to(environment))
    }

    /// Whether `key`, declared by this spec, holds a secret: what the schema
    /// says, else the name heuristics.
    pub fn is_sensitive(&self, key: &str) -> bool {
        self.declared_sensitive()
            .unwrap_or_else(|| crate::secret::is_sensitive_name(key))
    }

    /// Whether the schema says the value is a secret; `None` when it is silent.
    pub fn declared_sensitive(&self) -> Option<bool> {
        self.sensitive
            .or((self.var_type() == VarType::Secret).then_some(true))
    }
}

/// The JSON Schema of `envward.toml`, for editors (Taplo, Even Better TOML).
pub fn json_schema() -> serde_json::Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(crate::config::ProjectFile))
        .expect("a JSON Schema serializes");
    schema["title"] = "envward.toml".into();
    schema
}

/// The text form of a TOML value in `equals`/`not_equals`, for comparing
/// with a configuration value: booleans compare as booleans.
pub fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
