//! The value types of the schema and how a text is checked against them.

use std::fmt;

use crate::value::{FromValue, parse_bool};

/// A declared value type. (Read from `envward.toml` as text, through
/// [`VarType::parse`], so that a typo gets a "did you mean"; the serde and
/// schemars derives give the JSON Schema its list of names.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VarType {
    /// Any text.
    String,
    /// A 64-bit integer.
    Int,
    /// A finite number.
    Float,
    /// true/false, 1/0, yes/no, on/off.
    Bool,
    /// 1 to 65535.
    Port,
    /// An absolute URL.
    Url,
    /// An e-mail address.
    Email,
    /// A host name or IP address.
    Host,
    /// A file system path.
    Path,
    /// 30s, 5m, 1h30m, or seconds.
    Duration,
    /// One of `choices`.
    Enum,
    /// Comma-separated items.
    List,
    /// A JSON document.
    Json,
    /// A secret string (sensitive by default).
    Secret,
}

/// Every type name, for messages and suggestions.
pub const TYPE_NAMES: &[&str] = &[
    "string", "int", "float", "bool", "port", "url", "email", "host", "path", "duration", "enum",
    "list", "json", "secret",
];

impl VarType {
    /// The type named `name`, if there is one.
    pub fn parse(name: &str) -> Option<VarType> {
        Some(match name {
            "string" => VarType::String,
            "int" => VarType::Int,
            "float" => VarType::Float,
            "bool" => VarType::Bool,
            "port" => VarType::Port,
            "url" => VarType::Url,
            "email" => VarType::Email,
            "host" => VarType::Host,
            "path" => VarType::Path,
            "duration" => VarType::Duration,
            "enum" => VarType::Enum,
            "list" => VarType::List,
            "json" => VarType::Json,
            "secret" => VarType::Secret,
            _ => return None,
        })
    }

    /// What a valid value looks like, with an example.
    pub fn expected(self) -> &'static str {
        match self {
            VarType::String | VarType::Secret => "text",
            VarType::Int => "an integer, e.g. 42",
            VarType::Float => "a number, e.g. 0.5",
            VarType::Bool => "a boolean: true/false, 1/0, yes/no or on/off",
            VarType::Port => "a port from 1 to 65535, e.g. 8080",
            VarType::Url => "an absolute URL, e.g. https://example.com/path",
            VarType::Email => "an e-mail address, e.g. ops@example.com",
            VarType::Host => "a host name or IP address, e.g. db.example.com",
            VarType::Path => "a non-empty path",
            VarType::Duration => "a duration such as 30s, 5m, 1h30m (a bare number is seconds)",
            VarType::Enum => "one of the listed choices",
            VarType::List => "comma-separated items, e.g. a,b,c",
            VarType::Json => "a JSON document, e.g. {\"a\": 1}",
        }
    }

    /// Whether `min`/`max` apply.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            VarType::Int | VarType::Float | VarType::Port | VarType::Duration
        )
    }
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = [
            VarType::String,
            VarType::Int,
            VarType::Float,
            VarType::Bool,
            VarType::Port,
            VarType::Url,
            VarType::Email,
            VarType::Host,
            VarType::Path,
            VarType::Duration,
            VarType::Enum,
            VarType::List,
            VarType::Json,
            VarType::Secret,
        ]
        .iter()
        .position(|t| t == self)
        .unwrap_or(0);
        f.write_str(TYPE_NAMES[i])
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
pub fn is_host(s: &str) -> bool {
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
