//! Django's own deploy checks (`manage.py check --deploy`,
//! `django/core/checks/security/`) decided from the configuration, each
//! reported under the envward rule that covers the same setting.
//!
//! In a Django environment (a Django project's strict environments, see
//! [`super::framework`], or any environment under `--profile django`) the
//! envward rules run as usual, then Django's checks: a finding of theirs
//! stands for a check when Django's condition holds for its key (so
//! envward's stricter opinions, such as HSTS below a year, stay apart).
//! When Django's condition holds and the envward rule found nothing —
//! mostly because the setting is unset and Django's default is unsafe —
//! a finding is added under that rule. Under the profile, the findings
//! carry Django's id (`security.W018`). Django's settings are read the way
//! `tests/django/parity_site/settings.py` reads them from the environment,
//! under their name or with the `DJANGO_` prefix (docs/rules.md).

use super::setting;
use crate::value::Resolved;

/// One of Django's deploy checks that configuration can decide.
pub struct DjangoCheck {
    /// Django's id, e.g. `security.W018`.
    pub id: &'static str,
    /// The setting (and environment variable) it looks at.
    pub key: &'static str,
    /// The envward rules whose findings on `key` it tags; the first one
    /// reports it when none of them found anything.
    pub rules: &'static [&'static str],
    /// Django's condition, in words (for the documentation).
    pub condition: &'static str,
    /// Whether Django would report it: one message per problem (several
    /// for `SECRET_KEY_FALLBACKS`), empty when it passes or cannot tell.
    decide: fn(&Settings<'_>) -> Vec<String>,
}

/// Every deploy check of Django (5.2) that configuration decides, in
/// Django's order. Not here: W001, W002, W003 (MIDDLEWARE), W010/W011,
/// W013/W014 (INSTALLED_APPS/MIDDLEWARE: a full middleware stack gives
/// W012/W015 instead), E100–E102 (code).
pub static CHECKS: &[DjangoCheck] = &[
    DjangoCheck {
        id: "security.W004",
        key: "SECURE_HSTS_SECONDS",
        rules: &["https.hsts"],
        condition: "SECURE_HSTS_SECONDS is 0 or unset",
        decide: |s| {
            when(
                s.hsts_seconds() == Some(0),
                format!(
                    "`{}` is not set (Django's default is 0): no HSTS",
                    s.name("SECURE_HSTS_SECONDS")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.W005",
        key: "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        rules: &["https.hsts"],
        condition: "SECURE_HSTS_SECONDS is set and SECURE_HSTS_INCLUDE_SUBDOMAINS is not true (default false)",
        decide: |s| {
            when(
                s.hsts_seconds().is_some_and(|n| n != 0)
                    && !s.flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", false),
                format!(
                    "`{}` is not true (Django's default is false)",
                    s.name("SECURE_HSTS_INCLUDE_SUBDOMAINS")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.W006",
        key: "SECURE_CONTENT_TYPE_NOSNIFF",
        rules: &["headers.security"],
        condition: "SECURE_CONTENT_TYPE_NOSNIFF is set and not true (default true)",
        decide: |s| {
            when(
                !s.flag("SECURE_CONTENT_TYPE_NOSNIFF", true),
                format!("`{}` is not true", s.name("SECURE_CONTENT_TYPE_NOSNIFF")),
            )
        },
    },
    DjangoCheck {
        id: "security.W008",
        key: "SECURE_SSL_REDIRECT",
        rules: &["https.redirect"],
        condition: "SECURE_SSL_REDIRECT is not true (default false)",
        decide: |s| {
            when(
                !s.flag("SECURE_SSL_REDIRECT", false),
                format!(
                    "`{}` is not true (Django's default is false)",
                    s.name("SECURE_SSL_REDIRECT")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.W009",
        key: "SECRET_KEY",
        rules: &["secret.min-length", "secret.weak"],
        condition: "SECRET_KEY is unset or empty, shorter than 50 characters, has fewer than 5 distinct characters, or starts with `django-insecure-`",
        decide: |s| {
            let key = s.get("SECRET_KEY").unwrap_or("");
            match weak_key(key) {
                Some(why) => vec![format!("`{}` {why}", s.name("SECRET_KEY"))],
                None => Vec::new(),
            }
        },
    },
    DjangoCheck {
        id: "security.W012",
        key: "SESSION_COOKIE_SECURE",
        rules: &["cookies.secure"],
        condition: "SESSION_COOKIE_SECURE is not true (default false)",
        decide: |s| {
            when(
                !s.flag("SESSION_COOKIE_SECURE", false),
                format!(
                    "`{}` is not true (Django's default is false)",
                    s.name("SESSION_COOKIE_SECURE")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.W015",
        key: "SESSION_COOKIE_HTTPONLY",
        rules: &["cookies.secure"],
        condition: "SESSION_COOKIE_HTTPONLY is set and not true (default true)",
        decide: |s| {
            when(
                !s.flag("SESSION_COOKIE_HTTPONLY", true),
                format!("`{}` is not true", s.name("SESSION_COOKIE_HTTPONLY")),
            )
        },
    },
    DjangoCheck {
        id: "security.W016",
        key: "CSRF_COOKIE_SECURE",
        rules: &["cookies.secure"],
        condition: "CSRF_COOKIE_SECURE is not true (default false), unless CSRF_USE_SESSIONS is true",
        decide: |s| {
            when(
                !s.flag("CSRF_USE_SESSIONS", false) && !s.flag("CSRF_COOKIE_SECURE", false),
                format!(
                    "`{}` is not true (Django's default is false)",
                    s.name("CSRF_COOKIE_SECURE")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.W018",
        key: "DEBUG",
        rules: &["debug.enabled"],
        condition: "DEBUG is true",
        decide: |s| {
            when(
                s.flag("DEBUG", false),
                format!("`{}` is on", s.name("DEBUG")),
            )
        },
    },
    DjangoCheck {
        id: "security.W019",
        key: "X_FRAME_OPTIONS",
        rules: &["headers.security"],
        condition: "X_FRAME_OPTIONS is set and is not exactly `DENY` (default DENY)",
        decide: |s| {
            when(
                s.get("X_FRAME_OPTIONS").is_some_and(|v| v != "DENY"),
                format!("`{}` is not exactly `DENY`", s.name("X_FRAME_OPTIONS")),
            )
        },
    },
    DjangoCheck {
        id: "security.W020",
        key: "ALLOWED_HOSTS",
        rules: &["hosts.allowed"],
        condition: "ALLOWED_HOSTS is unset or has no item (default empty)",
        decide: |s| {
            when(
                list(s.get("ALLOWED_HOSTS").unwrap_or("")).next().is_none(),
                format!("`{}` is empty (Django's default)", s.name("ALLOWED_HOSTS")),
            )
        },
    },
    DjangoCheck {
        id: "security.W021",
        key: "SECURE_HSTS_PRELOAD",
        rules: &["https.hsts"],
        condition: "SECURE_HSTS_SECONDS is set and SECURE_HSTS_PRELOAD is not true (default false)",
        decide: |s| {
            when(
                s.hsts_seconds().is_some_and(|n| n != 0) && !s.flag("SECURE_HSTS_PRELOAD", false),
                format!(
                    "`{}` is not true (Django's default is false)",
                    s.name("SECURE_HSTS_PRELOAD")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.W022",
        key: "SECURE_REFERRER_POLICY",
        rules: &["headers.security"],
        condition: "SECURE_REFERRER_POLICY is set but empty (None; default same-origin)",
        decide: |s| {
            when(
                s.get("SECURE_REFERRER_POLICY") == Some(""),
                format!(
                    "`{}` is empty: no Referrer-Policy header",
                    s.name("SECURE_REFERRER_POLICY")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.E023",
        key: "SECURE_REFERRER_POLICY",
        rules: &["headers.security"],
        condition: "a comma-separated item of SECURE_REFERRER_POLICY (stripped, case-sensitive) is not a referrer policy",
        decide: |s| {
            when(
                s.get("SECURE_REFERRER_POLICY")
                    .filter(|v| !v.is_empty())
                    .is_some_and(|v| v.split(',').any(|p| !REFERRER_POLICIES.contains(&p.trim()))),
                format!(
                    "`{}` is not a valid referrer policy",
                    s.name("SECURE_REFERRER_POLICY")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.E024",
        key: "SECURE_CROSS_ORIGIN_OPENER_POLICY",
        rules: &["headers.security"],
        condition: "SECURE_CROSS_ORIGIN_OPENER_POLICY is set, not empty, and not same-origin, same-origin-allow-popups or unsafe-none (case-sensitive)",
        decide: |s| {
            when(
                s.get("SECURE_CROSS_ORIGIN_OPENER_POLICY").is_some_and(|v| {
                    !v.is_empty()
                        && !matches!(
                            v,
                            "same-origin" | "same-origin-allow-popups" | "unsafe-none"
                        )
                }),
                format!(
                    "`{}` is not a valid policy",
                    s.name("SECURE_CROSS_ORIGIN_OPENER_POLICY")
                ),
            )
        },
    },
    DjangoCheck {
        id: "security.W025",
        key: "SECRET_KEY_FALLBACKS",
        rules: &["secret.weak"],
        condition: "an item of SECRET_KEY_FALLBACKS (comma-separated) fails the SECRET_KEY test of W009",
        decide: |s| {
            list(s.get("SECRET_KEY_FALLBACKS").unwrap_or(""))
                .enumerate()
                .filter_map(|(i, key)| {
                    weak_key(key).map(|why| {
                        format!("`{}` item {} {why}", s.name("SECRET_KEY_FALLBACKS"), i + 1)
                    })
                })
                .collect()
        },
    },
];

/// Django's referrer policies (`REFERRER_POLICY_VALUES`).
const REFERRER_POLICIES: &[&str] = &[
    "no-referrer",
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
    "unsafe-url",
];

/// The envward rules the profile runs.
pub fn rules() -> impl Iterator<Item = &'static str> {
    let mut ids: Vec<&'static str> = CHECKS
        .iter()
        .flat_map(|c| c.rules.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids.into_iter()
}

fn when(cond: bool, message: String) -> Vec<String> {
    if cond { vec![message] } else { Vec::new() }
}

/// Django's `_check_secret_key`, negated: why `key` is weak. Never quotes it.
fn weak_key(key: &str) -> Option<&'static str> {
    let distinct = {
        let mut c: Vec<char> = key.chars().collect();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    if key.is_empty() {
        Some("is not set")
    } else if key.starts_with("django-insecure-") {
        Some("starts with `django-insecure-`")
    } else if key.chars().count() < 50 {
        Some("is shorter than 50 characters")
    } else if distinct < 5 {
        Some("has fewer than 5 distinct characters")
    } else {
        None
    }
}

/// Items of a comma-separated list, blanks dropped.
fn list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// The environment's values as Django settings.
struct Settings<'a>(&'a Resolved);

impl Settings<'_> {
    /// The value as set (empty when set empty), `None` when unset; under
    /// its name or with the `DJANGO_` prefix ([`setting::get`]).
    fn get(&self, key: &str) -> Option<&str> {
        setting::get(self.0, key).map(|v| v.value.expose())
    }

    /// The key that sets the setting `key` (`DJANGO_SECRET_KEY`), or `key`.
    fn name<'k>(&'k self, key: &'k str) -> &'k str {
        setting::get(self.0, key).map_or(key, |v| v.key.as_str())
    }

    /// A boolean: unset gives `default`; set, only true/1/yes/on are true.
    fn flag(&self, key: &str, default: bool) -> bool {
        match self.get(key) {
            None => default,
            Some(v) => matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "true" | "1" | "yes" | "on"
            ),
        }
    }

    /// SECURE_HSTS_SECONDS: unset or empty is 0; `None` when it is not a
    /// number (Django would not start; schema rules report that).
    fn hsts_seconds(&self) -> Option<i64> {
        match self.get("SECURE_HSTS_SECONDS").map(str::trim) {
            None | Some("") => Some(0),
            Some(v) => v.parse().ok(),
        }
    }
}

/// What Django would report for `cfg`: `(check, message)` pairs.
pub(crate) fn decide(cfg: &Resolved) -> Vec<(&'static DjangoCheck, String)> {
    let settings = Settings(cfg);
    CHECKS
        .iter()
        .flat_map(|c| (c.decide)(&settings).into_iter().map(move |m| (c, m)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_keys_follow_django() {
        assert_eq!(weak_key(""), Some("is not set"));
        assert!(weak_key(&"a1b2c".repeat(10)).is_none());
        assert!(weak_key(&"a1b2c".repeat(9)).is_some(), "45 characters");
        assert!(weak_key(&"abcd".repeat(20)).is_some(), "4 distinct");
        assert!(weak_key(&format!("django-insecure-{}", "a1b2c3d4e5".repeat(6))).is_some());
    }

    #[test]
    fn every_rule_of_the_profile_exists() {
        for id in rules() {
            assert!(crate::check::rules::find(id).is_some(), "{id}");
        }
    }
}
