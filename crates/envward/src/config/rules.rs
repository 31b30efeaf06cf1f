//! `[rules."ID"]` and `[[custom_rules]]` of `envward.toml`, as plain data:
//! what the user wrote, read by the rule engine (`check`) and by the one
//! place that applies overrides to findings ([`crate::findings`]). Nothing
//! here knows how a rule runs.

use std::collections::BTreeMap;

use serde::Deserialize;

/// `[rules."ID"]` in envward.toml.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct RuleSettings {
    /// Turn the rule off (`enabled = false`).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Override the severity (`error`, `warning`, `info`).
    #[serde(default)]
    pub severity: Option<SeverityName>,
    /// Exceptions, each with a mandatory reason.
    #[serde(default)]
    pub allow: Vec<Exception>,
    /// Rule parameters (e.g. `min_length = 40`).
    #[serde(flatten)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub params: BTreeMap<String, toml::Value>,
}

impl RuleSettings {
    /// The integer parameter `name` (`min_length = 40`), when set as one.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.params.get(name).and_then(toml::Value::as_integer)
    }
}

/// The integer parameter `name` of rule `rule` in `[rules]`, when set as
/// one.
pub fn int_param(
    rules: &indexmap::IndexMap<String, RuleSettings>,
    rule: &str,
    name: &str,
) -> Option<i64> {
    rules.get(rule).and_then(|s| s.int(name))
}

/// A severity as written in envward.toml.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeverityName {
    /// Error.
    Error,
    /// Warning.
    Warning,
    /// Info.
    Info,
}

/// An exception to a rule: for a key, an environment, or both.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The key it applies to (all keys when absent).
    #[serde(default)]
    pub key: Option<String>,
    /// The environment it applies to (all when absent).
    #[serde(default)]
    pub environment: Option<String>,
    /// Why the exception is acceptable. Required.
    pub reason: String,
}

/// `[[custom_rules]]`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    /// Stable id; must start with `custom.`.
    pub id: String,
    /// A regular expression the whole key name must match (`^API_.*_URL$`).
    pub keys: String,
    /// Environments it applies to (default: the strict ones).
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    /// Severity of its findings (default `error`).
    #[serde(default)]
    pub severity: Option<SeverityName>,
    /// The finding's message (never include a secret here).
    pub message: String,
    /// The value must match this regex (whole value).
    #[serde(default)]
    pub matches: Option<String>,
    /// The value must not match this regex (anywhere in it).
    #[serde(default)]
    pub not_matches: Option<String>,
    /// The value must be exactly this.
    #[serde(default)]
    pub equals: Option<String>,
    /// The value must not be this.
    #[serde(default)]
    pub not_equals: Option<String>,
    /// The value must be one of these.
    #[serde(default)]
    pub one_of: Option<Vec<String>>,
    /// The value must be a URL with one of these schemes.
    #[serde(default)]
    pub url_scheme: Option<Vec<String>>,
    /// The value must be a number at least this.
    #[serde(default)]
    pub min: Option<f64>,
    /// The value must be a number at most this.
    #[serde(default)]
    pub max: Option<f64>,
}
