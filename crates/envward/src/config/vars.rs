//! `[vars.<KEY>]`: the declaration of a variable (type, requirement,
//! default, constraints, per-environment rules) as plain data. Checking a
//! value against a type is in `value`; validating the schema, generating
//! from it, presets and inference are in `schema`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;

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
    /// Value used when no source defines the key. Written as text or as a
    /// TOML value of the type (`default = 8000`, `default = false`,
    /// `default = ["a", "b"]` for a list), kept as the text a `.env` file
    /// would hold (`8000`, `false`, `a,b`).
    #[serde(default, deserialize_with = "value_text")]
    #[schemars(with = "Option<TomlValue>")]
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
    /// An example value (never a real secret), as text or a TOML value.
    #[serde(default, deserialize_with = "value_text")]
    #[schemars(with = "Option<TomlValue>")]
    pub example: Option<String>,
    /// The allowed values (text, numbers or booleans).
    #[serde(default, deserialize_with = "values_text")]
    #[schemars(with = "Option<Vec<TomlScalar>>")]
    pub choices: Option<Vec<String>>,
    /// A regular expression the whole value must match.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Smallest allowed number (numeric types; seconds for durations).
    #[serde(default, deserialize_with = "finite")]
    pub min: Option<f64>,
    /// Largest allowed number.
    #[serde(default, deserialize_with = "finite")]
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
    /// How `envward generate` and `envward rotate` make a value:
    /// `generate = { length = 64, charset = "urlsafe" }`. Declaring it also
    /// makes the key one that `rotate --all-sensitive` renews.
    #[serde(default)]
    pub generate: Option<GenerateSpec>,
    /// Where `envward rotate` keeps the old value during the rollover:
    /// `rotate = { keep_in = "SECRET_KEY_FALLBACKS", keep = 2 }` (default:
    /// `<KEY>_PREVIOUS`, one value).
    #[serde(default)]
    pub rotate: Option<RotateSpec>,
}

/// `generate = { … }`: how a value is generated.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateSpec {
    /// Characters (default: 50 for Django's `SECRET_KEY`, 64 for JWT and
    /// other `SECRET_KEY`s, 32 otherwise; never fewer than `min_length`).
    #[serde(default)]
    pub length: Option<usize>,
    /// The characters to draw from (default: `django` for Django's
    /// `SECRET_KEY`, else `alphanumeric`).
    #[serde(default)]
    pub charset: Option<Charset>,
}

/// The characters a generated value is drawn from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Charset {
    /// `A-Z a-z 0-9`: safe in URLs, shells and lists.
    Alphanumeric,
    /// `A-Z a-z 0-9 - _` (base64url's alphabet).
    Urlsafe,
    /// `0-9 a-f`.
    Hex,
    /// `A-Z a-z 0-9 + /` (base64's alphabet, no padding).
    Base64,
    /// Django's `get_random_secret_key()` alphabet: `a-z 0-9 !@#$%^&*(-_=+)`.
    Django,
}

/// `rotate = { … }`: where the old value goes during a rollover.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSpec {
    /// The key that keeps the old value(s): a comma-separated list, newest
    /// first (default `<KEY>_PREVIOUS`; `SECRET_KEY_FALLBACKS` for
    /// Django's `SECRET_KEY` in a Django project).
    #[serde(default)]
    pub keep_in: Option<String>,
    /// How many old values it keeps (default 1).
    #[serde(default)]
    pub keep: Option<usize>,
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
    /// Value used here when no source defines the key (instead of the
    /// key's `default`): `PGSSLMODE` is `prefer` on a laptop, `require`
    /// in production. Text or a TOML value of the type, as the key's
    /// `default`.
    #[serde(default, deserialize_with = "value_text")]
    #[schemars(with = "Option<TomlValue>")]
    pub default: Option<String>,
}

impl VarSpec {
    /// The declared type (`string` when none is given or it is unknown).
    pub fn var_type(&self) -> VarType {
        self.kind
            .as_deref()
            .and_then(VarType::parse)
            .unwrap_or(VarType::String)
    }

    /// The default in `environment`: its `[env.<environment>] default`,
    /// else the key's `default`.
    pub fn default_in(&self, environment: &str) -> Option<&str> {
        self.env
            .get(environment)
            .and_then(|r| r.default.as_deref())
            .or(self.default.as_deref())
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

/// Whether a key is required: always, or in some environments.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Required {
    /// `required = true`.
    Always(bool),
    /// `required = ["production", "staging"]`.
    In(Vec<String>),
}

impl Required {
    /// Whether the key is required in `environment`.
    pub fn applies_to(&self, environment: &str) -> bool {
        match self {
            Required::Always(b) => *b,
            Required::In(envs) => envs.iter().any(|e| e == environment),
        }
    }
}

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

/// `min` and `max`: a number, never NaN or infinite (no value compares
/// with NaN, so a NaN bound would silently accept everything).
fn finite<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let n = Option::<f64>::deserialize(d)?;
    match n {
        Some(n) if !n.is_finite() => Err(serde::de::Error::custom(
            "`min` and `max` must be finite numbers (not nan or inf)",
        )),
        _ => Ok(n),
    }
}

// Only for the JSON Schema: `value_text` reads these values.
/// A value in `envward.toml` (`default`, `example`): text, a number, a
/// boolean, or an array of them (for a list).
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum TomlValue {
    Scalar(TomlScalar),
    Array(Vec<TomlScalar>),
}

/// Text, a number or a boolean.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum TomlScalar {
    Text(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
}

/// Reads a TOML value as the text a `.env` file would hold: a string as
/// it is, `8000` as `8000`, `false` as `false`, `0.5` as `0.5`, an array
/// as its items joined with commas (a `list`). Whether the text suits the
/// declared type is the schema's check (`schema.invalid`, at the value).
fn value_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(Text { array: true }).map(Some)
}

/// `choices`: an array of texts, numbers or booleans, each as text.
fn values_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    struct Items;
    impl<'de> serde::de::Visitor<'de> for Items {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array of strings, numbers or booleans")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element_seed(Text { array: false })? {
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Items).map(Some)
}

/// One value as text; `array`: whether an array of scalars is accepted.
#[derive(Clone, Copy)]
struct Text {
    array: bool,
}

impl<'de> serde::de::DeserializeSeed<'de> for Text {
    type Value = String;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Text {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.array {
            f.write_str("a string, number or boolean, or an array of them")
        } else {
            f.write_str("a string, number or boolean")
        }
    }
    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
    fn visit_bool<E>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
        if v.is_finite() {
            Ok(v.to_string())
        } else {
            Err(E::custom("a number here must be finite (not nan or inf)"))
        }
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<String, A::Error> {
        if !self.array {
            return Err(serde::de::Error::invalid_type(
                serde::de::Unexpected::Seq,
                &self,
            ));
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Text { array: false })? {
            items.push(item);
        }
        Ok(items.join(","))
    }
}
