//! `envward.toml`: environments, layout, resolution settings and the
//! variable declarations the loader needs.

pub mod rules;
pub mod scan;
pub mod vault;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostic::{Diagnostic, SourceLine};
use crate::excerpt::{Syntax, ValueAt, excerpt};

mod layer;
mod vars;

pub use layer::Layer;
pub use vars::{
    Charset, EnvRule, GenerateSpec, Importance, Required, RotateSpec, TYPE_NAMES, VarSpec, VarType,
};

/// The environment name of files every environment reads (`.env`,
/// `env/common.env`): their recipients are every environment's.
pub const SHARED_SCOPE: &str = "*";

/// The project file's name.
pub const PROJECT_FILE: &str = "envward.toml";

/// Settings the deploy rules read whatever the files say: when no file
/// names one and envward.toml does not declare it, a source that only
/// answers lookups (the process environment, the secrets directory) still
/// provides it to the rules (also under the `DJANGO_` prefix), so a
/// production that injects `SECRET_KEY` through its environment is not
/// reported as having none. Such values are not part of `list`, `export`
/// or what `run` adds to a program's environment.
pub const DEPLOY_SETTINGS: &[&str] = &[
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "CSRF_TRUSTED_ORIGINS",
    "X_FRAME_OPTIONS",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
];

/// The parsed `envward.toml`.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// `[project]`: what the application is.
    #[serde(default)]
    pub project: ProjectSettings,
    /// `[layout]`.
    #[serde(default)]
    pub layout: LayoutSettings,
    /// `[environments.<name>]`.
    #[serde(default, deserialize_with = "environments")]
    pub environments: BTreeMap<String, EnvironmentSettings>,
    /// `[resolve]`.
    #[serde(default)]
    pub resolve: ResolveSettings,
    /// `[templates]`.
    #[serde(default)]
    pub templates: TemplateSettings,
    /// `[rules."<ID>"]`: severity, parameters, exceptions of built-in rules.
    #[serde(default)]
    pub rules: indexmap::IndexMap<String, rules::RuleSettings>,
    /// `[[custom_rules]]`: rules without code.
    #[serde(default)]
    pub custom_rules: Vec<rules::CustomRule>,
    /// `[vars.<KEY>]`, in declaration order.
    #[serde(default)]
    pub vars: indexmap::IndexMap<String, VarSettings>,
    /// `[redact]`: what `redact`, `run --redact` and `scan` treat as a
    /// known secret value.
    #[serde(default)]
    pub redact: RedactSettings,
    /// `[scan]`: the project's own secret formats for `envward scan`.
    #[serde(default)]
    pub scan: scan::ScanSettings,
    /// `[history]`: how many snapshots `envward snapshot` keeps.
    #[serde(default)]
    pub history: HistorySettings,
}

/// `[history]`.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistorySettings {
    /// Snapshots kept per environment in `.envward/history.jsonl`; the
    /// oldest are dropped when a new one is recorded. Default 100.
    #[serde(default)]
    pub keep: Option<usize>,
}

impl HistorySettings {
    /// The default number of snapshots kept per environment.
    pub const DEFAULT_KEEP: usize = 100;

    /// The number in effect (at least 1).
    pub fn keep(&self) -> usize {
        self.keep.unwrap_or(Self::DEFAULT_KEEP).max(1)
    }
}

/// `[redact]`.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactSettings {
    /// Sensitive values shorter than this many bytes are not redacted nor
    /// searched for (too many false matches); `check` reports them as
    /// `secret.too-short-to-redact`. Default 8.
    #[serde(default)]
    pub min_length: Option<usize>,
}

impl RedactSettings {
    /// The default minimum length of a value to redact.
    pub const DEFAULT_MIN_LENGTH: usize = 8;

    /// The minimum length in effect (at least 1).
    pub fn min_length(&self) -> usize {
        self.min_length.unwrap_or(Self::DEFAULT_MIN_LENGTH).max(1)
    }
}

/// `[vars.<KEY>]`: see [`VarSpec`].
pub type VarSettings = VarSpec;

/// `[project]`: what the application is.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSettings {
    /// The framework the application is built on: `"django"` makes the
    /// rules read unset settings with Django's defaults; `"none"` turns off
    /// the recognition of a Django project (`manage.py`, `DJANGO_*` keys).
    /// Unset: recognised (docs/rules.md).
    #[serde(default)]
    pub framework: Option<FrameworkName>,
    /// Prefixes the application puts before its settings in the
    /// environment (`["MYAPP_"]` for `MYAPP_DEBUG`, `MYAPP_SECRET_KEY`):
    /// the rules then read `MYAPP_DEBUG` as `DEBUG`. `DJANGO_` is always
    /// read. Each ends with `_` and is a valid key prefix.
    #[serde(default)]
    pub prefixes: Vec<String>,
}

impl ProjectSettings {
    /// The prefixes a setting may carry: `DJANGO_`, then the declared ones.
    pub fn setting_prefixes(&self) -> impl Iterator<Item = &str> {
        std::iter::once(crate::check::setting::PREFIX).chain(
            self.prefixes
                .iter()
                .map(String::as_str)
                .filter(|p| *p != crate::check::setting::PREFIX),
        )
    }
}

/// `[project] framework`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FrameworkName {
    /// A Django project.
    Django,
    /// No framework whose defaults the rules know.
    None,
}

/// `[templates]`: where third-party presets live.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateSettings {
    /// Directory of `*.toml` presets, relative to the project.
    #[serde(default)]
    pub dir: Option<PathBuf>,
}

/// Which files make up an environment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LayoutKind {
    /// `directory` when an `env/` directory exists, `flat` otherwise.
    #[default]
    Auto,
    /// `env/<environment>/<namespace>.env`.
    Directory,
    /// `.env`, `.env.<environment>`, `.env.local`, `.env.<environment>.local`.
    Flat,
}

/// `[layout]`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoutSettings {
    /// `kind = "auto" | "directory" | "flat"`.
    #[serde(default)]
    pub kind: LayoutKind,
    /// Root of the directory layout, relative to the project (default `env`).
    #[serde(default = "default_env_dir")]
    pub dir: PathBuf,
}

impl Default for LayoutSettings {
    fn default() -> Self {
        LayoutSettings {
            kind: LayoutKind::Auto,
            dir: default_env_dir(),
        }
    }
}

/// `[environments]`, each alias naming one environment: an alias that is
/// another environment's name, its own, or another environment's alias
/// would make a name mean two environments (or chase its own tail).
fn environments<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, EnvironmentSettings>, D::Error> {
    let envs = BTreeMap::<String, EnvironmentSettings>::deserialize(d)?;
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, settings) in &envs {
        for alias in &settings.aliases {
            let problem = if envs.contains_key(alias) {
                Some(format!(
                    "alias `{alias}` of environment `{name}` is the name of an environment"
                ))
            } else {
                owner
                    .insert(alias, name)
                    .filter(|o| o != name)
                    .map(|other| format!("alias `{alias}` is given to both `{other}` and `{name}`"))
            };
            if let Some(problem) = problem {
                return Err(serde::de::Error::custom(format!(
                    "{problem}: an alias names exactly one environment"
                )));
            }
        }
    }
    Ok(envs)
}

fn default_env_dir() -> PathBuf {
    PathBuf::from("env")
}

/// `[environments.<name>]`.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSettings {
    /// Other names for the environment (`prod` for `production`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Production-like: the strictest rules apply. Unset: decided by the
    /// name (see [`ProjectFile::rule_set`]).
    #[serde(default)]
    pub strict: Option<bool>,
    /// What the environment is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Who can decrypt this environment's encrypted files: age X25519
    /// recipients (`age1…`) and SSH public keys (`ssh-ed25519 …`).
    #[serde(default)]
    pub recipients: Vec<String>,
    /// In an environment with recipients: sensitive keys that may be read
    /// from a plaintext file (`true`: every key, and empty files too).
    #[serde(default)]
    pub allow_plaintext: Allow,
    /// In an environment with recipients: encrypted keys that a local file
    /// (`.env.local`, `env/<env>/<ns>.local.env`) may override (`true`:
    /// every key).
    #[serde(default)]
    pub allow_local_override: Allow,
    /// Stores the environment's values also come from (`[environments.<env>.sources.vault]`).
    #[serde(default)]
    pub sources: vault::SourcesSettings,
    /// Record reads of sensitive values (`get`, `export`, `run`) in
    /// `.envward/audit.log`. Unset: on in strict environments, off
    /// elsewhere. Changes are always recorded.
    #[serde(default)]
    pub audit_reads: Option<bool>,
    /// Who is expected to read this environment's secrets, as recorded in
    /// the audit log: `user@host`, or `user` from any host. Unset: no
    /// expectation (`log.unexpected-reader` says nothing).
    #[serde(default)]
    pub readers: Option<Vec<String>>,
}

/// An exception to the integrity of an encrypted environment: `true` (every
/// key), `false` (none), or a list of keys.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Allow {
    /// `true` or `false`.
    All(bool),
    /// `["SENTRY_DSN", …]`.
    Keys(Vec<String>),
}

impl Default for Allow {
    fn default() -> Self {
        Allow::All(false)
    }
}

impl Allow {
    /// Whether `key` is allowed.
    pub fn allows(&self, key: &str) -> bool {
        match self {
            Allow::All(all) => *all,
            Allow::Keys(keys) => keys.iter().any(|k| k == key),
        }
    }

    /// Whether every key is allowed.
    pub fn all(&self) -> bool {
        matches!(self, Allow::All(true))
    }
}

/// Environment names that are production-like unless `envward.toml` says
/// `strict = false`: production and the places that rehearse it.
pub const STRICT_NAMES: &[&str] = &["production", "prod", "live", "staging", "stage", "preprod"];

/// Which rules an environment gets, and why: see [`ProjectFile::rule_set`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RuleSet {
    /// Production-like: the production rules apply, their errors stay errors.
    pub strict: bool,
    /// Where the decision comes from.
    pub source: RuleSetSource,
}

/// Why an environment is strict or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSetSource {
    /// `strict = true|false` in `envward.toml`.
    Declared,
    /// Its name (or an alias) is one of [`STRICT_NAMES`], or is not.
    Name,
}

impl RuleSet {
    /// How reports name it: `strict: production rules`, `strict by name:
    /// production rules`, `not strict: development rules`.
    pub fn describe(self) -> &'static str {
        match (self.strict, self.source) {
            (true, RuleSetSource::Declared) => "strict: production rules",
            (true, RuleSetSource::Name) => "strict by name: production rules",
            (false, RuleSetSource::Declared) => "not strict (strict = false): development rules",
            (false, RuleSetSource::Name) => "not strict: development rules",
        }
    }
}

/// What to do about a repeated thing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Strictness {
    /// Report a warning and go on.
    #[default]
    Warn,
    /// Stop with an error.
    Error,
}

/// What an undefined `${REF}` becomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Undefined {
    /// An error naming the reference.
    #[default]
    Error,
    /// The empty string.
    Empty,
}

/// `[resolve]`.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveSettings {
    /// Sources from highest to lowest precedence.
    #[serde(default = "default_precedence")]
    pub precedence: Vec<Layer>,
    /// Directory whose files provide keys by name (Docker secrets).
    #[serde(default = "default_secrets_dir")]
    pub secrets_dir: PathBuf,
    /// A key defined twice in one file.
    #[serde(default)]
    pub duplicate_keys: Strictness,
    /// Undefined references.
    #[serde(default)]
    pub undefined: Undefined,
    /// Process variables that select the environment when `-e` is not
    /// given, the first one set winning.
    #[serde(default = "default_environment_variables")]
    pub environment_variables: Vec<String>,
}

impl Default for ResolveSettings {
    fn default() -> Self {
        ResolveSettings {
            precedence: default_precedence(),
            secrets_dir: default_secrets_dir(),
            duplicate_keys: Strictness::Warn,
            undefined: Undefined::Error,
            environment_variables: default_environment_variables(),
        }
    }
}

/// `ENVWARD_ENV`, then the names the guides and frameworks use:
/// `ENVIRONMENT`, `APP_ENV`, `DJANGO_ENV`.
pub fn default_environment_variables() -> Vec<String> {
    ["ENVWARD_ENV", "ENVIRONMENT", "APP_ENV", "DJANGO_ENV"]
        .map(String::from)
        .to_vec()
}

/// Process environment, secrets directory, local overrides, environment
/// files, shared files, schema defaults.
pub fn default_precedence() -> Vec<Layer> {
    vec![
        Layer::Process,
        Layer::Secrets,
        Layer::Remote,
        Layer::Local,
        Layer::Environment,
        Layer::Shared,
        Layer::Default,
    ]
}

fn default_secrets_dir() -> PathBuf {
    PathBuf::from("/run/secrets")
}

/// `envward.toml` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed or names unknown settings.
    #[error("{path}:{line}:{column}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What is wrong.
        message: String,
        /// The quoted line.
        source_line: Option<Box<SourceLine>>,
        /// "did you mean …", when a name is close to a known one.
        suggestion: Option<String>,
    },
}

impl ConfigError {
    /// The error as a renderable diagnostic.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            ConfigError::Io { .. } => Diagnostic::error(self.to_string()),
            ConfigError::Toml {
                path,
                line,
                column,
                message,
                source_line,
                suggestion,
            } => {
                let mut d = Diagnostic::error(format!("invalid {PROJECT_FILE}: {message}"))
                    .with_location(Some(path), *line, *column);
                if let Some(src) = source_line {
                    d = d.with_source((**src).clone(), "here");
                }
                match suggestion {
                    Some(s) => d.with_help(s.clone()),
                    None => d.with_hint(Some(crate::diagnostic::Hint::ProjectFileReference)),
                }
            }
        }
    }
}

/// serde's message without the value it quotes: `invalid type: string
/// "hunter2", expected a number` loses `"hunter2"`, `unknown variant
/// `flt`` becomes `unknown value` (the value may be a secret; the excerpt
/// shows where it is). Field names are keys and stay.
fn without_values(message: &str) -> String {
    static QUOTED: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(invalid (?:type|value|length): (?:string|integer|floating point|character|byte array|bytes|unsigned integer)) (?:"(?:[^"\\]|\\.)*"|`[^`]*`)"#,
        )
        .expect("a valid regex")
    });
    static VARIANT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"unknown variant `[^`]*`").expect("a valid regex")
    });
    let message = QUOTED.replace_all(message, "$1");
    // An unknown choice is value text too: the suggestion names the
    // closest known one instead.
    let message = VARIANT.replace_all(&message, "unknown value");
    // Bound it: a message quoting a huge key stays short.
    match message.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &message[..i]),
        None => message.into_owned(),
    }
}

/// "did you mean" for serde's `unknown field `x`, expected one of `a`, `b``
/// and `unknown variant …` messages.
fn suggestion(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (got, rest) = rest.split_once('`')?;
    let expected: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    let s = crate::suggest::closest(got, expected.iter().copied())?;
    Some(format!("did you mean `{s}`?"))
}

impl ProjectFile {
    /// Parses the text of an `envward.toml` found at `path`.
    ///
    /// ```
    /// use envward::config::ProjectFile;
    /// use std::path::Path;
    /// let p = ProjectFile::parse("[environments.production]\naliases = [\"prod\"]\n", Path::new("envward.toml")).unwrap();
    /// assert_eq!(p.canonical_environment("prod"), "production");
    /// let err = ProjectFile::parse("[layout]\nknd = 1\n", Path::new("envward.toml")).unwrap_err();
    /// assert!(err.to_string().starts_with("envward.toml:2:1: unknown field `knd`"));
    /// ```
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let error = |at: usize, message: String, suggestion: Option<String>| {
            let shown = excerpt(
                text.as_bytes(),
                at.min(text.len()),
                ValueAt::Unknown,
                Syntax::Toml,
            );
            ConfigError::Toml {
                path: path.to_path_buf(),
                line: shown.line,
                column: shown.column,
                message,
                source_line: Some(Box::new(shown.source)),
                suggestion,
            }
        };
        let file: ProjectFile = toml::from_str(text).map_err(|e| {
            error(
                e.span().map_or(0, |s| s.start),
                without_values(e.message()),
                suggestion(e.message()),
            )
        })?;
        if let Some(p) = file.scan.problems(text).into_iter().next() {
            return Err(error(p.at, p.message, Some(p.help)));
        }
        if let Some(bad) = file
            .project
            .prefixes
            .iter()
            .find(|p| p.len() < 2 || !p.ends_with('_') || !crate::dotenv::is_valid_key(p))
        {
            let at = text.find(&format!("\"{bad}\"")).unwrap_or(0);
            let fixed: String = bad
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
                .to_ascii_uppercase();
            let fixed = if fixed.ends_with('_') {
                fixed
            } else {
                format!("{fixed}_")
            };
            return Err(error(
                at,
                format!("`[project] prefixes`: {bad:?} is not a key prefix ending with `_`"),
                Some(format!("write it as {fixed:?}")),
            ));
        }
        Ok(file)
    }

    /// Whether `envward encrypt` encrypts the value `raw` (as written) of
    /// `key`: `encrypt = true|false` in the schema wins, then `all`, then
    /// sensitivity (schema, name, a password in a URL).
    pub fn encrypts(&self, key: &str, raw: &str, all: bool) -> bool {
        let spec = self.vars.get(key);
        if let Some(explicit) = spec.and_then(|s| s.encrypt) {
            return explicit;
        }
        all || self.is_sensitive_value(key, raw)
    }

    /// Whether the value `raw` of `key` is a secret: the one rule,
    /// [`crate::secret::Sensitivity`] (the schema, then the value's shape,
    /// then the name, then a setting-like value).
    pub fn is_sensitive_value(&self, key: &str, raw: &str) -> bool {
        self.sensitivity(key, raw).is_secret()
    }

    /// Why the value `raw` of `key` is or is not a secret (see
    /// [`crate::secret::Sensitivity`]).
    pub fn sensitivity(&self, key: &str, raw: &str) -> crate::secret::Sensitivity {
        let declared = self.vars.get(key).and_then(|s| s.declared_sensitive());
        crate::secret::Sensitivity::of(declared, key, raw)
    }

    /// The recipients of the environment of a file: its own, or for a file
    /// every environment reads ([`SHARED_SCOPE`]), every environment's.
    pub fn recipients(&self, environment: &str) -> Vec<String> {
        if environment == SHARED_SCOPE {
            let mut all: Vec<String> = Vec::new();
            for env in self.environments.values() {
                for r in &env.recipients {
                    if !all.contains(r) {
                        all.push(r.clone());
                    }
                }
            }
            all
        } else {
            self.environments
                .get(environment)
                .map(|e| e.recipients.clone())
                .unwrap_or_default()
        }
    }

    /// The one decision of which rules apply to `environment` (a canonical
    /// name): `strict = true|false` under `[environments.NAME]` wins;
    /// otherwise an environment is strict when its name or one of its
    /// aliases is one of [`STRICT_NAMES`] (`production`, `prod`, `live`,
    /// `staging`, `stage`, `preprod`).
    ///
    /// ```
    /// use envward::config::ProjectFile;
    /// use std::path::Path;
    /// let p = ProjectFile::parse("[environments.qa]\nstrict = true\n[environments.staging]\nstrict = false\n", Path::new("envward.toml")).unwrap();
    /// assert!(p.rule_set("production").strict);
    /// assert!(p.rule_set("qa").strict);
    /// assert!(!p.rule_set("staging").strict);
    /// assert!(!p.rule_set("development").strict);
    /// ```
    pub fn rule_set(&self, environment: &str) -> RuleSet {
        let settings = self.environments.get(environment);
        if let Some(strict) = settings.and_then(|e| e.strict) {
            return RuleSet {
                strict,
                source: RuleSetSource::Declared,
            };
        }
        let aliases = settings.map(|e| e.aliases.as_slice()).unwrap_or_default();
        let strict = std::iter::once(environment)
            .chain(aliases.iter().map(String::as_str))
            .any(|n| STRICT_NAMES.contains(&n.to_ascii_lowercase().as_str()));
        RuleSet {
            strict,
            source: RuleSetSource::Name,
        }
    }

    /// Whether reads of sensitive values in `environment` are recorded in
    /// the audit log: `audit_reads` under `[environments.NAME]`, else
    /// whether the environment is strict.
    pub fn audits_reads(&self, environment: &str) -> bool {
        self.environments
            .get(environment)
            .and_then(|e| e.audit_reads)
            .unwrap_or_else(|| self.rule_set(environment).strict)
    }

    /// The canonical name of `name` (an environment or one of its aliases).
    pub fn canonical_environment<'a>(&'a self, name: &'a str) -> &'a str {
        if self.environments.contains_key(name) {
            return name;
        }
        self.environments
            .iter()
            .find(|(_, s)| s.aliases.iter().any(|a| a == name))
            .map_or(name, |(n, _)| n.as_str())
    }
}
