//! Secret values: zeroized on drop, never printed by `Debug` or `Display`,
//! and the heuristics that decide which keys are sensitive.

use std::fmt;

use zeroize::Zeroizing;

/// A secret string. Its memory is wiped on drop; `Debug` and `Display`
/// print `[redacted]`. Read it with [`Secret::expose`].
///
/// ```
/// use envward::Secret;
/// let s = Secret::new("hunter2".to_string());
/// assert_eq!(format!("{s}"), "[redacted]");
/// assert_eq!(s.expose(), "hunter2");
/// ```
///
/// Its text is held as a boxed `str` (two words, no spare capacity), so
/// that a [`crate::Value`] holding one is no larger than its plain text
/// (24 bytes: one per resolved key, issue 18).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<Box<str>>);

impl Secret {
    /// Wraps a value.
    pub fn new(mut value: String) -> Self {
        let text: Box<str> = if value.capacity() == value.len() {
            value.into_boxed_str()
        } else {
            // Not shrunk in place: a reallocation could leave a copy in
            // freed memory. Copied, then the original wiped.
            let text = Box::from(value.as_str());
            zeroize::Zeroize::zeroize(&mut value);
            text
        };
        Secret(Zeroizing::new(text))
    }

    /// The value itself. Every call site is a place a secret can leak from.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why a value is, or is not, a secret: the one rule every command uses
/// (resolution, `list`, `explain`, `diff`, `encrypt`, `set`, `check`,
/// `doctor`). See `docs/resolution.md#sensitive-values`.
///
/// In order, the first that answers wins:
///
/// 1. **The schema**: `sensitive = true|false` or `type = "secret"`.
/// 2. **The value's shape, when it is unmistakably a secret**: a private
///    key block (`-----BEGIN … PRIVATE KEY-----`), a token with a known
///    prefix (`sk_live_`, `ghp_`, `xoxb-`, `AGE-SECRET-KEY-1`, …), a URL
///    with a password (even one that does not parse).
/// 3. **The name, read as a whole**: `KEY_FILE` is a path; a name whose
///    last word is a setting (`_MINUTES`, `_DAYS`, `_LENGTH`, `_ENABLED`,
///    `_ID`, `_ALGORITHM`, …) is a setting; otherwise a secret word
///    (`SECRET`, `PASSWORD`, `TOKEN`, `CREDENTIAL`, `PRIVATE`, …) or a last
///    word `KEY`/`KEYS` (`HMAC_KEY`, `STRIPE_KEY`) makes it a secret.
/// 4. **The value's shape again, for a secret name**: a boolean, a duration
///    (`15m`, `7d`) or a number is a setting — except under a password name,
///    where a number is a (weak) password.
/// 5. Otherwise it is not a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sensitivity {
    /// The schema says it is a secret.
    Declared,
    /// The schema says it is not a secret.
    DeclaredNot,
    /// The value looks like a secret (what it looks like).
    Shape(&'static str),
    /// The name says it is a secret.
    Name,
    /// Not a secret.
    Setting,
}

impl Sensitivity {
    /// Classifies the value `value` of `key`; `declared` is what the schema
    /// says (`None` when it is silent).
    ///
    /// ```
    /// use envward::secret::Sensitivity;
    /// assert!(Sensitivity::of(None, "HMAC_KEY", "abc").is_secret());
    /// assert!(!Sensitivity::of(None, "PASSWORD_MIN_LENGTH", "8").is_secret());
    /// assert!(Sensitivity::of(None, "PAYMENT", "sk_live_4eC39HqLyjWDarjtT1zdp7dc").is_secret());
    /// assert!(!Sensitivity::of(Some(false), "API_TOKEN", "x").is_secret());
    /// ```
    pub fn of(declared: Option<bool>, key: &str, value: &str) -> Sensitivity {
        match declared {
            Some(true) => return Sensitivity::Declared,
            Some(false) => return Sensitivity::DeclaredNot,
            None => {}
        }
        if let Some(shape) = secret_shape(value) {
            return Sensitivity::Shape(shape);
        }
        match name_class(key) {
            NameClass::Secret { password, auth }
                if !(is_setting_value(value, password) || (auth && is_mode_word(value))) =>
            {
                Sensitivity::Name
            }
            _ => Sensitivity::Setting,
        }
    }

    /// Whether the value is a secret.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            Sensitivity::Declared | Sensitivity::Shape(_) | Sensitivity::Name
        )
    }
}

/// Words that make a key name sensitive wherever they are in the
/// upper-cased name (`GITHUBTOKEN` too), unless its last word is a
/// setting ([`SETTING_SUFFIXES`]).
pub const SENSITIVE_WORDS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "TOKEN",
    "APIKEY",
    "PRIVATE",
    "PRIVKEY",
    "CREDENTIAL",
    "CREDS",
];

/// Last words of a name that make it a secret (`HMAC_KEY`, `APP_KEYS`).
const SECRET_LAST_WORDS: &[&str] = &["KEY", "KEYS", "SALT", "PEPPER"];

/// Last words of a name that make it a setting, whatever comes before
/// (`JWT_ACCESS_TOKEN_LIFETIME_MINUTES`, `ENCRYPTION_KEY_ID`).
pub const SETTING_SUFFIXES: &[&str] = &[
    "FILE",
    "PATH",
    "DIR",
    "ID",
    "IDS",
    "NAME",
    "NAMES",
    "ALGORITHM",
    "ALG",
    "ALGO",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "LENGTH",
    "LEN",
    "MIN",
    "MAX",
    "SIZE",
    "COUNT",
    "LIMIT",
    "SECONDS",
    "SECS",
    "SEC",
    "MS",
    "MINUTES",
    "MINS",
    "HOURS",
    "DAYS",
    "WEEKS",
    "LIFETIME",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TIMEOUT",
    "INTERVAL",
    "AGE",
    "URL",
    "URI",
    "HOST",
    "PORT",
    "ENDPOINT",
    "HEADER",
    "PREFIX",
    "FIELD",
    "PARAM",
    "TYPE",
    "MODE",
    "VERSION",
    "FORMAT",
    "BACKEND",
    "PROVIDER",
    "ROTATION",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
];

enum NameClass {
    /// `auth`: the name ends with `AUTH` or `AUTHORIZATION`, which also
    /// names modes (`SMTP_AUTH=login`).
    Secret {
        password: bool,
        auth: bool,
    },
    Setting,
}

fn name_class(key: &str) -> NameClass {
    // Asked for every key loaded: no allocation for an upper-case name.
    let upper: std::borrow::Cow<'_, str> = if key.bytes().any(|b| b.is_ascii_lowercase()) {
        key.to_ascii_uppercase().into()
    } else {
        key.into()
    };
    let upper = upper.as_ref();
    let (mut count, mut last) = (0usize, None);
    for w in upper.split(['_', '-', '.']).filter(|w| !w.is_empty()) {
        count += 1;
        last = Some(w);
    }
    let Some(last) = last else {
        return NameClass::Setting;
    };
    if is_one_of(last, SETTING_SUFFIXES) {
        return NameClass::Setting;
    }
    let password = contains_any(upper, &["PASSWORD", "PASSWD", "PASSPHRASE"])
        // `DB_PWD`, `ADMIN_PIN`; but `PWD` alone is the shell's directory.
        || (count > 1 && matches!(last, "PWD" | "PIN"));
    // `BASIC_AUTH`, `PROXY_AUTH`, `HTTP_AUTHORIZATION`; `AUTH` alone is
    // too vague.
    let auth = count > 1 && matches!(last, "AUTH" | "AUTHORIZATION");
    if password
        || auth
        || is_one_of(last, SECRET_LAST_WORDS)
        || contains_any(upper, SENSITIVE_WORDS)
    {
        NameClass::Secret { password, auth }
    } else {
        NameClass::Setting
    }
}

/// Whether `word` is one of `words`. Asked for every key loaded: a
/// length and first-byte test before comparing, so that most words cost
/// no call to `memcmp` (issue 18).
fn is_one_of(word: &str, words: &[&str]) -> bool {
    let first = word.as_bytes().first();
    words
        .iter()
        .any(|w| w.len() == word.len() && w.as_bytes().first() == first && *w == word)
}

/// Whether `text` contains one of `words`. Names are short: trying each
/// word whose first byte matches at each position is cheaper than a
/// substring search per word (`str::contains` sets one up every call).
fn contains_any(text: &str, words: &[&str]) -> bool {
    let text = text.as_bytes();
    (0..text.len()).any(|i| {
        let rest = &text[i..];
        words
            .iter()
            .any(|w| w.as_bytes().first() == Some(&rest[0]) && rest.starts_with(w.as_bytes()))
    })
}

/// Whether a key's name says it holds a secret (rule 3 of
/// [`Sensitivity`]: the name read as a whole, without its value).
///
/// ```
/// use envward::secret::is_sensitive_name;
/// assert!(is_sensitive_name("DATABASE_PASSWORD"));
/// assert!(is_sensitive_name("github_token"));
/// assert!(is_sensitive_name("HMAC_KEY"));
/// assert!(!is_sensitive_name("SECRET_KEY_FILE"));
/// assert!(!is_sensitive_name("JWT_ACCESS_TOKEN_LIFETIME_MINUTES"));
/// assert!(!is_sensitive_name("DEBUG"));
/// assert!(is_sensitive_name("BASIC_AUTH"));
/// assert!(is_sensitive_name("HTTP_AUTHORIZATION"));
/// assert!(!is_sensitive_name("AUTH"));
/// assert!(!is_sensitive_name("AUTH_BACKEND"));
/// ```
pub fn is_sensitive_name(key: &str) -> bool {
    matches!(name_class(key), NameClass::Secret { .. })
}

/// A mode a `*_AUTH` setting names (`login`, `plain`, `basic`,
/// `SCRAM-SHA-256`, `oauth2`): one short word, letters first, no `:`. A
/// credential (`user:pass`, `Bearer …`, a random string) is not one.
fn is_mode_word(value: &str) -> bool {
    let v = strip_quotes(value.trim());
    !v.is_empty()
        && v.len() <= 16
        && v.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && v.bytes().filter(u8::is_ascii_digit).count() <= 3
}

/// A boolean, a duration or (outside password names) a number: what a
/// setting holds, never a secret.
fn is_setting_value(value: &str, password: bool) -> bool {
    let v = strip_quotes(value.trim());
    if v.is_empty() {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "none" | "null"
    ) {
        return true;
    }
    if password {
        return false;
    }
    let number = |s: &str| {
        !s.is_empty()
            && s.len() <= 12
            && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && s.bytes().next().is_some_and(|b| b.is_ascii_digit())
    };
    if number(v) {
        return true;
    }
    // A duration: digits then a unit, repeated (`15m`, `1h30m`, `7d`).
    let mut rest = lower.as_str();
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 6 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ms", "s", "m", "h", "d", "w"]
            .into_iter()
            .find(|u| rest.starts_with(u));
        let Some(unit) = unit else {
            return false;
        };
        rest = &rest[unit.len()..];
        parts += 1;
    }
    parts > 0
}

fn strip_quotes(v: &str) -> &str {
    for q in ['"', '\'', '`'] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// Prefixes of tokens whose format says they are secrets.
pub const TOKEN_PREFIXES: &[(&str, &str)] = &[
    ("sk_live_", "a Stripe secret key"),
    ("sk_test_", "a Stripe secret key"),
    ("rk_live_", "a Stripe restricted key"),
    ("whsec_", "a webhook signing secret"),
    ("sk-", "an API secret key"),
    ("ghp_", "a GitHub token"),
    ("gho_", "a GitHub token"),
    ("ghs_", "a GitHub token"),
    ("ghu_", "a GitHub token"),
    ("ghr_", "a GitHub token"),
    ("github_pat_", "a GitHub token"),
    ("glpat-", "a GitLab token"),
    ("xoxb-", "a Slack token"),
    ("xoxp-", "a Slack token"),
    ("xapp-", "a Slack token"),
    ("AGE-SECRET-KEY-1", "an age identity"),
    ("SG.", "a SendGrid key"),
    ("npm_", "an npm token"),
    ("pypi-", "a PyPI token"),
    ("hvs.", "a Vault token"),
];

/// What makes a value unmistakably a secret, whatever its key is called.
fn secret_shape(value: &str) -> Option<&'static str> {
    let v = strip_quotes(value.trim());
    let has = |needle: &str| memchr::memmem::find(v.as_bytes(), needle.as_bytes()).is_some();
    if has("-----BEGIN") && has("PRIVATE KEY") {
        return Some("a private key");
    }
    if has_url_password(v) {
        return Some("a URL with a password");
    }
    // AWS secret access keys have no prefix; access key IDs (`AKIA…`) are
    // identifiers, not secrets: named `…_ID` they are settings (rule 3),
    // under any other name they are treated as credentials.
    let aws_id = (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v.len() == 20
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if aws_id {
        return None;
    }
    TOKEN_PREFIXES
        .iter()
        .find(|(p, _)| {
            // The first byte before the comparison: asked for every value.
            v.as_bytes().first() == p.as_bytes().first()
                && v.starts_with(p)
                && v.len() >= p.len() + 8
                && !v.contains(char::is_whitespace)
        })
        .map(|(_, what)| *what)
}

/// Whether a value is an AWS access key ID (`AKIA` or `ASIA` and 16
/// upper-case letters or digits): an identifier with a known format.
pub fn is_aws_access_key_id(value: &str) -> bool {
    let v = value.trim();
    (v.starts_with("AKIA") || v.starts_with("ASIA"))
        && v.len() == 20
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The userinfo (`user:password@`) of a URL-like value: its byte range,
/// found even when the URL does not parse (a password holding `/`, as
/// `openssl rand -base64` makes, ends the authority for a URL parser).
/// `None` when the value has no `scheme://…:…@`.
pub fn url_userinfo(value: &str) -> Option<std::ops::Range<usize>> {
    let scheme_end = value.find("://")?;
    let scheme = &value[..scheme_end];
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let start = scheme_end + 3;
    let rest = &value[start..];
    // The userinfo ends at the last `@` before any `?` or `#` …
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let at = rest[..end].rfind('@')?;
    let info = &rest[..at];
    // … and has `user:` before any `/`: `host/a:b@c` is a path.
    let colon = info.find(':')?;
    if info[..colon].contains('/') {
        return None;
    }
    // `host:8080/path@x` is a port and a path, not a password.
    let after = &info[colon + 1..];
    let port = after.bytes().take_while(u8::is_ascii_digit).count();
    if port > 0 && after[port..].starts_with('/') {
        return None;
    }
    Some(start..start + at + 1)
}

/// Whether a value is a URL carrying a password (`scheme://user:pass@host`),
/// also when the password holds characters that stop it parsing as a URL.
///
/// ```
/// use envward::secret::has_url_password;
/// assert!(has_url_password("postgres://app:s3cret@db/app"));
/// assert!(has_url_password("postgres://app:ab/c+d=@db/app"));
/// assert!(!has_url_password("postgres://app@db/app"));
/// assert!(!has_url_password("https://example.com/a:b@c"));
/// ```
pub fn has_url_password(value: &str) -> bool {
    url_userinfo(value).is_some()
}

/// The value with the userinfo of a URL replaced by `***@` (`postgres://***@db/app`),
/// or `None` when it has no password.
///
/// ```
/// use envward::secret::mask_url_userinfo;
/// assert_eq!(mask_url_userinfo("redis://:a/b=@cache:6379").as_deref(), Some("redis://***@cache:6379"));
/// ```
pub fn mask_url_userinfo(value: &str) -> Option<String> {
    let r = url_userinfo(value)?;
    Some(format!("{}***@{}", &value[..r.start], &value[r.end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret keeps its text whatever the capacity it came with, and a
    /// `Value` holding one is no larger than one holding plain text (one
    /// per resolved key).
    #[test]
    fn a_secret_is_two_words_and_keeps_its_text() {
        let mut spare = String::with_capacity(64);
        spare.push_str("hunter2");
        assert_eq!(Secret::new(spare).expose(), "hunter2");
        assert_eq!(Secret::new("exact".to_string()).expose(), "exact");
        assert_eq!(Secret::new(String::new()).expose(), "");
        assert_eq!(std::mem::size_of::<Secret>(), 16);
        assert_eq!(std::mem::size_of::<crate::Value>(), 24);
    }

    /// Names and values from the issues, both ways.
    #[test]
    fn word_tests_agree_with_the_plain_ones() {
        let words = ["PASSWORD", "TOKEN", "KEY", ""];
        for text in [
            "",
            "K",
            "KEY",
            "MY_TOKEN",
            "XTOKENX",
            "PASSWOR",
            "APASSWORD",
            "TOKE",
        ] {
            let plain = words
                .iter()
                .filter(|w| !w.is_empty())
                .any(|w| text.contains(w));
            assert_eq!(contains_any(text, &words), plain, "{text}");
            assert_eq!(is_one_of(text, &words), words.contains(&text), "{text}");
        }
    }

    #[test]
    fn one_rule_for_names_and_values() {
        let rsa = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow…\n-----END RSA PRIVATE KEY-----";
        let cases: &[(Option<bool>, &str, &str, bool)] = &[
            // Secrets by name.
            (None, "DATABASE_PASSWORD", "hunter2hunter2", true),
            (None, "SECRET_KEY", "x", true),
            (None, "HMAC_KEY", "0123456789abcdef", true),
            (None, "APP_KEY", "base64:abc", true),
            (None, "OPENAI_KEY", "abc", true),
            (None, "MASTER_KEY", "abc", true),
            (None, "STRIPE_KEY", "abc", true),
            (None, "API_TOKEN", "abc", true),
            (None, "github_token", "abc", true),
            (
                None,
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                true,
            ),
            (None, "ADMIN_PASSWORD", "1234", true),
            (None, "DB_PWD", "abc", true),
            (None, "REFRESH_TOKEN", "", true),
            // Secrets by shape, whatever the name.
            (None, "STRIPE", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", true),
            (None, "GH", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", true),
            (None, "TLS_CERT_KEY", rsa, true),
            (None, "TLS_CERT", rsa, true),
            (None, "DATABASE_URL", "postgres://app:s3cret@db/app", true),
            (None, "REDIS_URL", "redis://:aB3/x+Yz9==@cache:6379/0", true),
            (None, "SOME_ID", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", true),
            // The schema wins both ways.
            (Some(true), "DEBUG", "False", true),
            (Some(false), "API_TOKEN", "abc", false),
            (Some(false), "DATABASE_URL", "postgres://a:b@db/x", false),
            // Settings that look like secrets by one word.
            (None, "JWT_ACCESS_TOKEN_LIFETIME_MINUTES", "15", false),
            (None, "JWT_REFRESH_TOKEN_LIFETIME_DAYS", "7", false),
            (None, "PASSWORD_MIN_LENGTH", "8", false),
            (None, "PASSWORD_RESET_TOKEN_EXPIRY_HOURS", "1", false),
            (None, "TOKEN_BLACKLIST_ENABLED", "True", false),
            (None, "ENCRYPTION_KEY_ID", "key-2024-01", false),
            (None, "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", false),
            (None, "JWT_ALGORITHM", "HS256", false),
            (None, "SECRET_KEY_FILE", "/run/secrets/k", false),
            (
                None,
                "API_TOKEN_URL",
                "https://auth.example.com/token",
                false,
            ),
            // Settings by value, under a secret name.
            (None, "JWT_ACCESS_TOKEN_LIFETIME", "15m", false),
            (None, "SESSION_TOKEN", "true", false),
            (None, "TOKEN_REFRESH", "3600", false),
            // Neither.
            (None, "DEBUG", "False", false),
            (None, "ALLOWED_HOSTS", "example.com", false),
            (None, "KEYBOARD_LAYOUT", "us", false),
            (None, "MONKEY", "x", false),
            (None, "PWD", "/home/app", false),
            (None, "SESSION_COOKIE_NAME", "sid", false),
            (None, "HOMEPAGE", "https://example.com/a:b@c", false),
            (None, "BACKEND", "http://host:8080/path@x", false),
        ];
        for &(declared, key, value, secret) in cases {
            assert_eq!(
                Sensitivity::of(declared, key, value).is_secret(),
                secret,
                "{key} (declared {declared:?})"
            );
        }
    }

    #[test]
    fn url_userinfo_is_found_when_the_url_does_not_parse() {
        let v = "postgres://app:Zm9v/YmFy+cXV4=@db.internal:5432/app?sslmode=require";
        assert_eq!(
            mask_url_userinfo(v).as_deref(),
            Some("postgres://***@db.internal:5432/app?sslmode=require")
        );
        assert_eq!(mask_url_userinfo("postgres://app@db/app"), None);
        assert_eq!(mask_url_userinfo("not a url"), None);
    }
}
