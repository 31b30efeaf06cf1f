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
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a value.
    pub fn new(value: String) -> Self {
        Secret(Zeroizing::new(value))
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

/// Words that make a key name sensitive (matched on the upper-cased name).
pub const SENSITIVE_WORDS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE",
    "CREDENTIAL",
    "SIGNING_KEY",
    "ENCRYPTION_KEY",
    "AUTH_KEY",
];

/// Whether a key's name says it holds a secret.
///
/// A name is sensitive when, upper-cased, it contains one of
/// [`SENSITIVE_WORDS`]. Names ending in `_FILE` are paths to secrets, not
/// secrets, and are not sensitive.
///
/// ```
/// use envward::secret::is_sensitive_name;
/// assert!(is_sensitive_name("DATABASE_PASSWORD"));
/// assert!(is_sensitive_name("github_token"));
/// assert!(!is_sensitive_name("SECRET_KEY_FILE"));
/// assert!(!is_sensitive_name("DEBUG"));
/// ```
pub fn is_sensitive_name(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    if upper.ends_with("_FILE") {
        return false;
    }
    SENSITIVE_WORDS.iter().any(|w| upper.contains(w))
}

/// Whether a value is a URL carrying a password (`scheme://user:pass@host`).
///
/// ```
/// use envward::secret::has_url_password;
/// assert!(has_url_password("postgres://app:s3cret@db/app"));
/// assert!(!has_url_password("postgres://app@db/app"));
/// assert!(!has_url_password("https://example.com/a:b@c"));
/// ```
pub fn has_url_password(value: &str) -> bool {
    let Some(scheme_end) = value.find("://") else {
        return false;
    };
    let rest = &value[scheme_end + 3..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    match authority.rfind('@') {
        Some(at) => authority[..at].contains(':'),
        None => false,
    }
}
