//! [`Resolved`]: the configuration of one environment, every value with
//! its origin; typed access and serde deserialization.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::config::VarType;
use crate::diagnostic::Diagnostic;
use crate::layout::EnvFile;
use crate::secret::Secret;
use crate::source::Origin;
pub use crate::source::SealedFile;

/// A resolved value: plain text, or a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// Not sensitive (up to 24 bytes kept inline, without an allocation
    /// of its own).
    Plain(compact_str::CompactString),
    /// Sensitive: zeroized on drop, redacted in `Debug` and `Display`.
    Secret(Secret),
}

impl Value {
    /// The text of the value.
    pub fn expose(&self) -> &str {
        match self {
            Value::Plain(s) => s,
            Value::Secret(s) => s.expose(),
        }
    }

    /// The text, or `[redacted]` for a secret (an empty secret is empty:
    /// there is nothing to hide, and "[redacted]" would hide that it is
    /// missing).
    pub fn masked(&self) -> &str {
        match self {
            Value::Plain(s) => s,
            Value::Secret(s) if s.expose().is_empty() => "",
            Value::Secret(_) => "[redacted]",
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Plain(s) => fmt::Debug::fmt(s, f),
            Value::Secret(_) => f.write_str("[redacted]"),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.masked())
    }
}

/// A definition that lost to a higher-precedence one.
#[derive(Clone, Debug)]
pub struct Overridden {
    /// Where it was.
    pub origin: Origin,
    /// What was written there (before interpolation).
    pub written: Value,
    /// Whether what was written there is a secret in clear (not
    /// encrypted, not empty).
    pub in_clear: bool,
}

/// One resolved key.
#[derive(Clone, Debug)]
pub struct Var {
    /// The key (up to 24 bytes kept inline, without an allocation of its
    /// own).
    pub key: compact_str::CompactString,
    /// The value after interpolation.
    pub value: Value,
    /// Where the winning definition is.
    pub origin: Origin,
    /// The definitions it overrode, highest precedence first (one pointer
    /// when there are none, the common case).
    pub overridden: thin_vec::ThinVec<Overridden>,
    /// Whether the value is masked: a secret, an encrypted value, or one
    /// built from a secret (unless the schema says `sensitive = false`).
    pub sensitive: bool,
    /// Whether the value is a secret by itself, when loading asked the
    /// rule (`None`: a masked value it did not ask about, encrypted or
    /// built from a secret). Read it with [`Var::is_secret`].
    pub(crate) secret: Option<bool>,
    /// Rules allowed by an inline `# envward:allow RULE reason` comment on
    /// the winning definition (a reason is required).
    pub allows: thin_vec::ThinVec<String>,
    /// Whether the winning definition is an encrypted value no identity
    /// could decrypt: the value is empty and must not be used.
    pub sealed: bool,
    /// Whether the winning definition writes a secret in clear where it is
    /// stored (not encrypted, not empty): what `files.git` and
    /// `files.permissions` look for.
    pub in_clear: bool,
}

impl Var {
    /// Whether the value is a secret by itself: the schema, its shape or
    /// its name says so (not only encrypted, built from a secret or read
    /// from a secret store). What the strength rules judge: `PORT=8080`
    /// encrypted by `encrypt --all` is masked ([`Var::sensitive`]) but is
    /// not a weak secret.
    pub fn is_secret(&self) -> bool {
        self.secret.unwrap_or_else(|| {
            crate::secret::Sensitivity::of(None, &self.key, self.value.expose()).is_secret()
        })
    }
}

/// The variables of a configuration, sorted by key: one vector for all of
/// them (the key is the `Var`'s own), looked up by binary search. A map
/// would copy every key and, built from a sorted vector, hold both at
/// once (issue 18: 1,000,000 keys).
#[derive(Debug, Default)]
pub(crate) struct Vars(Vec<Var>);

impl Vars {
    /// From variables sorted by key, each key once.
    pub(crate) fn from_sorted(vars: Vec<Var>) -> Self {
        debug_assert!(vars.windows(2).all(|w| w[0].key < w[1].key));
        Vars(vars)
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|v| v.key.as_str().cmp(key))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Var> {
        self.position(key).ok().map(|i| &self.0[i])
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    pub(crate) fn values(&self) -> std::slice::Iter<'_, Var> {
        self.0.iter()
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|v| v.key.as_str())
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn into_vec(self) -> Vec<Var> {
        self.0
    }

    /// Takes out the variables `take` selects, in order.
    pub(crate) fn take_where(&mut self, take: impl Fn(&Var) -> bool) -> Vec<Var> {
        let (taken, kept) = std::mem::take(&mut self.0).into_iter().partition(take);
        self.0 = kept;
        taken
    }
}

/// The configuration of one environment.
#[derive(Debug)]
pub struct Resolved {
    /// The canonical environment name.
    pub environment: String,
    /// The namespace selected, if any.
    pub namespace: Option<String>,
    /// Which rules apply: strict (production-like) or not, and why
    /// ([`crate::config::ProjectFile::rule_set`]).
    pub rule_set: crate::config::RuleSet,
    /// Whether reads of its sensitive values are recorded in the audit log
    /// ([`crate::config::ProjectFile::audits_reads`]).
    pub audit_reads: bool,
    /// The project root.
    pub root: PathBuf,
    /// `"directory"` or `"flat"`.
    pub layout: &'static str,
    /// The files read.
    pub files: Vec<EnvFile>,
    pub(crate) vars: Vars,
    /// Warnings met while loading (duplicate keys, namespace conflicts).
    pub warnings: Vec<Diagnostic>,
    pub(crate) missing_required: Vec<String>,
    /// Encrypted files no identity could open: their encrypted values are
    /// unavailable (`run`, `get` and `export` refuse to go on).
    pub sealed: Vec<SealedFile>,
    /// The files read that are encrypted (relative to the project root).
    pub encrypted_files: Vec<PathBuf>,
    /// What breaks the integrity of an encrypted environment (a secret in
    /// clear, a truncated file, a local override of an encrypted value):
    /// `run`, `get` and `export` refuse to go on.
    pub integrity: Vec<crate::resolve::Breach>,
    /// Keys whose sealed value was taken out (see `withhold_sealed`), with
    /// what was taken out (rules on files still read their definitions).
    pub(crate) withheld: BTreeMap<String, Var>,
    /// Types declared in the schema.
    pub(crate) declared: BTreeMap<String, VarType>,
    /// Deploy settings no file names, provided by the process environment
    /// or the secrets directory ([`crate::config::DEPLOY_SETTINGS`]): read
    /// by the deploy rules only.
    pub(crate) provided: BTreeMap<String, Var>,
    /// `[project] prefixes`, without `DJANGO_` (always read): see
    /// [`crate::check::setting`].
    pub(crate) prefixes: Vec<String>,
}

/// A value read as the type the schema declares for its key.
#[derive(Clone, Debug, PartialEq)]
pub enum Typed {
    /// `string`, `secret`, `email`, `host`, `path`, `enum` (and undeclared keys).
    Text(String),
    /// `int`.
    Int(i64),
    /// `float`.
    Float(f64),
    /// `bool`.
    Bool(bool),
    /// `port`.
    Port(u16),
    /// `url`.
    Url(url::Url),
    /// `duration`.
    Duration(Duration),
    /// `list`: the trimmed, non-empty items.
    List(Vec<String>),
    /// `json`.
    Json(serde_json::Value),
}

/// A value could not be read as the type asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Encrypted files could not be decrypted with the identities available.
    #[error("cannot decrypt {}", files.join(", "))]
    Sealed {
        /// The files, relative to the project root.
        files: Vec<String>,
    },
    /// The environment is encrypted and something around its encrypted
    /// files breaks that (never holds a value).
    #[error("{}", breaches.join("; "))]
    Integrity {
        /// What breaks it, one message each.
        breaches: Vec<String>,
    },
    /// The key has no value.
    #[error("`{key}` is not set")]
    Missing {
        /// The key.
        key: String,
    },
    /// The value does not parse. Sensitive values are never quoted.
    #[error("`{key}` (from {origin}){shown}: expected {expected}")]
    Invalid {
        /// The key.
        key: String,
        /// Where the value came from.
        origin: String,
        /// What was expected, with an example.
        expected: String,
        /// ` = "value"` for a non-sensitive value, empty for a secret.
        shown: String,
    },
    /// Required keys without a value.
    #[error("missing required {}: {}", crate::plural::noun(keys.len(), "key", "keys"), keys.join(", "))]
    MissingRequired {
        /// The keys.
        keys: Vec<String>,
    },
    /// Deserializing into a struct failed.
    #[error("{0}")]
    Deserialize(String),
}

impl Resolved {
    /// Whether the environment is strict (production-like): the production
    /// rules apply and their errors stay errors.
    pub fn strict(&self) -> bool {
        self.rule_set.strict
    }

    /// Takes out every key whose value is sealed (encrypted, no identity),
    /// so that rules never read an empty stand-in for it.
    pub(crate) fn withhold_sealed(&mut self) {
        if !self.vars.values().any(|v| v.sealed) {
            return;
        }
        for var in self.vars.take_where(|v| v.sealed) {
            self.withheld.insert(var.key.to_string(), var);
        }
    }

    /// The resolved key, if any.
    pub fn get(&self, key: &str) -> Option<&Var> {
        self.vars.get(key)
    }

    /// The text of a key's value.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(|v| v.value.expose())
    }

    /// Every key, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Var> {
        self.vars.values()
    }

    /// The keys whose values are sensitive, sorted: what `run`, `export`
    /// and the Python module hand out, and the audit log records.
    pub fn sensitive_keys(&self) -> Vec<String> {
        self.iter()
            .filter(|v| v.sensitive)
            .map(|v| v.key.to_string())
            .collect()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// Required keys (per `envward.toml`) that have no value.
    pub fn missing_required(&self) -> &[String] {
        &self.missing_required
    }

    /// Fails when a value is unavailable (an encrypted file no identity
    /// opens), when the integrity of an encrypted environment is broken
    /// ([`Resolved::integrity`]), or when a required key has no value:
    /// `run`, `get` and `export` call this before doing anything.
    pub fn ensure_complete(&self) -> Result<(), ValueError> {
        if !self.sealed.is_empty() {
            return Err(ValueError::Sealed {
                files: self
                    .sealed
                    .iter()
                    .map(|f| f.path.display().to_string())
                    .collect(),
            });
        }
        if !self.integrity.is_empty() {
            return Err(ValueError::Integrity {
                breaches: self.integrity.iter().map(ToString::to_string).collect(),
            });
        }
        if self.missing_required.is_empty() {
            Ok(())
        } else {
            Err(ValueError::MissingRequired {
                keys: self.missing_required.clone(),
            })
        }
    }

    /// The value of `key` parsed as `T`.
    ///
    /// ```
    /// # use envward::{Config, LoadOptions};
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join(".env"), "PORT=8080\nTIMEOUT=1m30s\nPASSWORD=x\n").unwrap();
    /// # let cfg = Config::load(LoadOptions { project_dir: Some(dir.path().into()), process_env: Some(Default::default()), ..Default::default() }).unwrap();
    /// use envward::value::Port;
    /// use std::time::Duration;
    /// assert_eq!(cfg.get_as::<Port>("PORT").unwrap().0, 8080);
    /// assert_eq!(cfg.get_as::<Duration>("TIMEOUT").unwrap(), Duration::from_secs(90));
    /// let err = cfg.get_as::<u32>("PASSWORD").unwrap_err().to_string();
    /// assert!(!err.contains("= \"x\""));
    /// ```
    pub fn get_as<T: FromValue>(&self, key: &str) -> Result<T, ValueError> {
        let var = self.var(key)?;
        // The declared type comes first: a `port` read as u16 must still be 1–65535.
        if let Some(t) = self.declared.get(key)
            && let Err(expected) = check_type(*t, var.value.expose())
        {
            return Err(invalid(var, expected));
        }
        T::from_value(var.value.expose()).ok_or_else(|| invalid(var, T::EXPECTED))
    }

    fn var(&self, key: &str) -> Result<&Var, ValueError> {
        self.vars.get(key).ok_or_else(|| ValueError::Missing {
            key: key.to_string(),
        })
    }

    /// The value of `key` as the type `envward.toml` declares for it
    /// (`Typed::Text` when it declares none).
    ///
    /// ```
    /// # use envward::{Config, LoadOptions};
    /// use envward::value::Typed;
    /// # let dir = tempfile::tempdir().unwrap();
    /// # std::fs::write(dir.path().join("envward.toml"), "[vars.PORT]\ntype = \"port\"\n[vars.HOSTS]\ntype = \"list\"\n[vars.DEBUG]\ntype = \"bool\"\n").unwrap();
    /// # std::fs::write(dir.path().join(".env"), "PORT=0\nHOSTS=a, b,\nDEBUG=Off\n").unwrap();
    /// # let cfg = Config::load(LoadOptions { project_dir: Some(dir.path().into()), process_env: Some(Default::default()), ..Default::default() }).unwrap();
    /// assert_eq!(cfg.typed("HOSTS").unwrap(), Typed::List(vec!["a".into(), "b".into()]));
    /// assert_eq!(cfg.typed("DEBUG").unwrap(), Typed::Bool(false));
    /// assert!(cfg.typed("PORT").is_err()); // 0 is not a port
    /// assert!(cfg.get_as::<u16>("PORT").is_err()); // nor when read as u16
    /// ```
    pub fn typed(&self, key: &str) -> Result<Typed, ValueError> {
        let var = self.var(key)?;
        let text = var.value.expose();
        let Some(t) = self.declared.get(key).copied() else {
            return Ok(Typed::Text(text.to_string()));
        };
        if let Err(expected) = check_type(t, text) {
            return Err(invalid(var, expected));
        }
        let bad = || invalid(var, t.expected());
        let trimmed = text.trim();
        Ok(match t {
            VarType::Int => Typed::Int(trimmed.parse().map_err(|_| bad())?),
            VarType::Float => Typed::Float(trimmed.parse().map_err(|_| bad())?),
            VarType::Bool => Typed::Bool(parse_bool(text).ok_or_else(bad)?),
            VarType::Port => Typed::Port(trimmed.parse().map_err(|_| bad())?),
            VarType::Url => Typed::Url(url::Url::parse(trimmed).map_err(|_| bad())?),
            VarType::Duration => Typed::Duration(Duration::from_value(text).ok_or_else(bad)?),
            VarType::List => Typed::List(
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
            ),
            VarType::Json => Typed::Json(serde_json::from_str(text).map_err(|_| bad())?),
            _ => Typed::Text(text.to_string()),
        })
    }

    /// The value of `key` as a boolean: `true/false/1/0/yes/no/on/off`,
    /// any case. Anything else is an error, never a silent default.
    pub fn get_bool(&self, key: &str) -> Result<bool, ValueError> {
        self.get_as::<bool>(key)
    }
}

pub(crate) fn invalid(var: &Var, expected: &str) -> ValueError {
    ValueError::Invalid {
        key: var.key.to_string(),
        origin: var.origin.to_string(),
        expected: expected.to_string(),
        shown: if var.sensitive {
            String::new()
        } else {
            format!(" = {:?}", var.value.expose())
        },
    }
}

/// Types a value can be read as with [`Resolved::get_as`].
pub trait FromValue: Sized {
    /// What a valid value looks like, for error messages.
    const EXPECTED: &'static str;
    /// Parses the text; `None` when it is not valid.
    fn from_value(text: &str) -> Option<Self>;
}

macro_rules! from_str_value {
    ($($t:ty => $what:expr),* $(,)?) => {$(
        impl FromValue for $t {
            const EXPECTED: &'static str = $what;
            fn from_value(text: &str) -> Option<Self> {
                <$t>::from_str(text.trim()).ok()
            }
        }
    )*};
}

from_str_value! {
    i8 => "an integer from -128 to 127",
    i16 => "an integer from -32768 to 32767",
    i32 => "a 32-bit integer, e.g. 42",
    i64 => "a 64-bit integer, e.g. 42",
    u8 => "an integer from 0 to 255",
    u16 => "an integer from 0 to 65535",
    u32 => "a non-negative 32-bit integer, e.g. 42",
    u64 => "a non-negative 64-bit integer, e.g. 42",
    usize => "a non-negative integer, e.g. 42",
    isize => "an integer, e.g. 42",
    f32 => "a number, e.g. 0.5",
    f64 => "a number, e.g. 0.5",
}

impl FromValue for String {
    const EXPECTED: &'static str = "text";
    fn from_value(text: &str) -> Option<Self> {
        Some(text.to_string())
    }
}

impl FromValue for bool {
    const EXPECTED: &'static str = "a boolean: true/false, 1/0, yes/no or on/off";
    fn from_value(text: &str) -> Option<Self> {
        parse_bool(text)
    }
}

/// `true/false/1/0/yes/no/on/off`, any case, surrounding spaces ignored.
///
/// ```
/// use envward::value::parse_bool;
/// assert_eq!(parse_bool(" Yes"), Some(true));
/// assert_eq!(parse_bool("OFF"), Some(false));
/// assert_eq!(parse_bool("enabled"), None); // an error, never a silent default
/// ```
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A TCP/UDP port, 1 to 65535.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Port(pub u16);

impl FromValue for Port {
    const EXPECTED: &'static str = "a port from 1 to 65535, e.g. 8080";
    fn from_value(text: &str) -> Option<Self> {
        text.trim()
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .map(Port)
    }
}

impl FromValue for Duration {
    const EXPECTED: &'static str =
        "a duration such as 30s, 5m, 1h30m or 250ms (a bare number is seconds)";
    fn from_value(text: &str) -> Option<Self> {
        let text = text.trim();
        if let Ok(secs) = text.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        humantime::parse_duration(text).ok()
    }
}

impl FromValue for url::Url {
    const EXPECTED: &'static str = "an absolute URL, e.g. https://example.com/path";
    fn from_value(text: &str) -> Option<Self> {
        url::Url::parse(text.trim()).ok()
    }
}

/// Checks `text` against `t`. `Ok(Some(n))` carries the number that
/// `min`/`max` compare (seconds for durations).
///
/// ```
/// use envward::schema::{VarType, check_type};
/// assert_eq!(check_type(VarType::Port, "8080"), Ok(Some(8080.0)));
/// assert!(check_type(VarType::Port, "0").is_err());
/// assert!(check_type(VarType::Email, "ops@example.com").is_ok());
/// assert!(check_type(VarType::Host, "bad host").is_err());
/// assert_eq!(check_type(VarType::Duration, "1m30s"), Ok(Some(90.0)));
/// ```
pub fn check_type(t: VarType, text: &str) -> Result<Option<f64>, &'static str> {
    let bad = Err(t.expected());
    let s = text.trim();
    match t {
        VarType::String | VarType::Secret | VarType::Enum | VarType::List => Ok(None),
        VarType::Int => s.parse::<i64>().map(|n| Some(n as f64)).or(bad),
        VarType::Float => match s.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            _ => bad,
        },
        VarType::Bool => parse_bool(s).map(|_| None).ok_or(t.expected()),
        VarType::Port => match s.parse::<u16>() {
            Ok(p) if p > 0 => Ok(Some(f64::from(p))),
            _ => bad,
        },
        VarType::Url => url::Url::parse(s).map(|_| None).or(bad),
        VarType::Email => is_email(s).then_some(None).ok_or(t.expected()),
        VarType::Host => is_host(s).then_some(None).ok_or(t.expected()),
        VarType::Path => (!s.is_empty()).then_some(None).ok_or(t.expected()),
        VarType::Duration => std::time::Duration::from_value(s)
            .map(|d| Some(d.as_secs_f64()))
            .ok_or(t.expected()),
        VarType::Json => serde_json::from_str::<serde_json::Value>(text)
            .map(|_| None)
            .or(bad),
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && is_host(domain)
        && domain.contains('.')
}

/// A DNS name (labels of letters, digits and `-`), or an IP address.
fn is_host(s: &str) -> bool {
    if s.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}
