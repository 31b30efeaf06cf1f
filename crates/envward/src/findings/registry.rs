//! The one registry of rule metadata: every rule that can report a finding
//! (schema, consistency, security, doctor), with its default severity, a
//! one-line summary, its group and its tags. Producers look rules up here;
//! writers read it for rule lists (SARIF `rules`, JUnit test cases).
//!
//! How a rule runs lives with its producer (`check::rules` for the security
//! rules, `check::schema_rules`, `doctor`); what it is lives here.

use super::Severity;

/// What a rule is: the metadata every report shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable id, e.g. `secret.min-length`.
    pub id: &'static str,
    /// Default severity (security rules: in strict environments; a warning
    /// elsewhere).
    pub severity: Severity,
    /// One line: what it reports.
    pub summary: &'static str,
    /// The group it belongs to: `project` (the project file itself),
    /// `schema`, `consistency`, a security family (`debug`, `secret`, …) or
    /// a doctor section (`exported`, `visible`, `overrides`).
    pub group: &'static str,
    /// Tags: `security` (a built-in security rule: an error only in strict
    /// environments), `process` (a doctor rule), and `django:<id>` for each
    /// of Django's deploy checks the rule reports under `--profile django`.
    pub tags: &'static [&'static str],
}

impl RuleInfo {
    /// Whether the rule has `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.contains(&tag)
    }

    /// The ids of Django's deploy checks this rule reports (`security.W018`).
    pub fn django_ids(&self) -> impl Iterator<Item = &'static str> {
        self.tags.iter().filter_map(|t| t.strip_prefix("django:"))
    }
}

/// The rules of one producer (`process`, `probe`, `log`) as a report
/// lists them: id, severity, summary.
pub fn entries_tagged(tag: &str) -> Vec<super::RuleEntry> {
    RULES
        .iter()
        .filter(|r| r.has_tag(tag))
        .map(|r| (r.id.into(), r.severity, r.summary.into()))
        .collect()
}

/// The rule with `id`, when it is a built-in one (custom rules are not
/// here: they are declared in envward.toml).
pub fn find(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// The group of rule `id`: a built-in rule's, or `scan` for the rules of
/// `envward scan` (data in `scan/rules.toml`, not in this table).
pub fn group_of(id: &str) -> Option<&'static str> {
    find(id)
        .map(|r| r.group)
        .or_else(|| id.starts_with("scan.").then_some("scan"))
}

/// Every built-in rule, in report order: schema, consistency, security
/// (in `envward rules` order), doctor.
pub static RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "schema.invalid",
        severity: Severity::Error,
        summary: "the schema in envward.toml contradicts itself",
        group: "project",
        tags: &[],
    },
    RuleInfo {
        id: "schema.required",
        severity: Severity::Error,
        summary: "a required key is missing or empty",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.type",
        severity: Severity::Error,
        summary: "a value is not of its declared type",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.choices",
        severity: Severity::Error,
        summary: "a value is not one of its choices",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.pattern",
        severity: Severity::Error,
        summary: "a value does not match its pattern",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.range",
        severity: Severity::Error,
        summary: "a number is outside min/max",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.length",
        severity: Severity::Error,
        summary: "a value is too short or too long",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.equals",
        severity: Severity::Error,
        summary: "a value differs from what the environment requires",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.not-equals",
        severity: Severity::Error,
        summary: "a value is one the environment forbids",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.deprecated",
        severity: Severity::Warning,
        summary: "a deprecated key is set",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "schema.unknown-key",
        severity: Severity::Warning,
        summary: "a key is set that the schema does not declare",
        group: "schema",
        tags: &[],
    },
    RuleInfo {
        id: "consistency.missing-in-environment",
        severity: Severity::Warning,
        summary: "a key is set in some environments but not in this one",
        group: "consistency",
        tags: &[],
    },
    RuleInfo {
        id: "debug.enabled",
        severity: Severity::Error,
        summary: "DEBUG, DJANGO_DEBUG, FLASK_DEBUG or APP_DEBUG is on",
        group: "debug",
        tags: &["security", "django:security.W018"],
    },
    RuleInfo {
        id: "debug.development-mode",
        severity: Severity::Error,
        summary: "NODE_ENV, APP_ENV, FLASK_ENV, RAILS_ENV or ENVIRONMENT says development (or dev)",
        group: "debug",
        tags: &["security"],
    },
    RuleInfo {
        id: "debug.log-level",
        severity: Severity::Warning,
        summary: "LOG_LEVEL is DEBUG or TRACE",
        group: "debug",
        tags: &["security"],
    },
    RuleInfo {
        id: "secret.min-length",
        severity: Severity::Error,
        summary: "a secret is shorter than its kind needs: 32 for a generated key (50 for Django's SECRET_KEY), 16 for a password or provider token",
        group: "secret",
        tags: &["security", "django:security.W009"],
    },
    RuleInfo {
        id: "secret.too-short-to-redact",
        severity: Severity::Warning,
        summary: "a secret is shorter than [redact] min_length (default 8): redact and scan cannot look for it",
        group: "secret",
        tags: &["security"],
    },
    RuleInfo {
        id: "secret.weak",
        severity: Severity::Error,
        summary: "a secret is a placeholder or development value (changeme, dummy-…, dev-secret…, xxx…, django-insecure-…), a well-known weak password, has fewer than 5 distinct characters, or is a run of consecutive characters or one block repeated",
        group: "secret",
        tags: &["security", "django:security.W009", "django:security.W025"],
    },
    RuleInfo {
        id: "secret.plaintext-in-strict",
        severity: Severity::Warning,
        summary: "a secret is written in clear in an env file of a strict environment (not encrypted, not from the process environment or a KEY_FILE)",
        group: "secret",
        tags: &["security"],
    },
    RuleInfo {
        id: "files.identity-permissions",
        severity: Severity::Error,
        summary: "the age identity file envward reads is readable by its group or other users (not 0600)",
        group: "files",
        tags: &["security"],
    },
    RuleInfo {
        id: "secret.reused-across-keys",
        severity: Severity::Error,
        summary: "two keys hold the same secret (JWT_SECRET_KEY equal to SECRET_KEY)",
        group: "secret",
        tags: &["security"],
    },
    RuleInfo {
        id: "secret.reused-across-environments",
        severity: Severity::Error,
        summary: "a secret, or the password inside a URL (DATABASE_URL, REDIS_URL…), has the same value as in another environment",
        group: "secret",
        tags: &["security"],
    },
    RuleInfo {
        id: "https.redirect",
        severity: Severity::Error,
        summary: "FORCE_HTTPS or SECURE_SSL_REDIRECT is off",
        group: "https",
        tags: &["security", "django:security.W008"],
    },
    RuleInfo {
        id: "https.hsts",
        severity: Severity::Warning,
        summary: "SECURE_HSTS_SECONDS is below one year (31536000), or SECURE_HSTS_INCLUDE_SUBDOMAINS or SECURE_HSTS_PRELOAD is off",
        group: "https",
        tags: &[
            "security",
            "django:security.W004",
            "django:security.W005",
            "django:security.W021",
        ],
    },
    RuleInfo {
        id: "cookies.secure",
        severity: Severity::Error,
        summary: "SESSION_COOKIE_SECURE, CSRF_COOKIE_SECURE or SESSION_COOKIE_HTTPONLY is off",
        group: "cookies",
        tags: &[
            "security",
            "django:security.W012",
            "django:security.W015",
            "django:security.W016",
        ],
    },
    RuleInfo {
        id: "session.timeout",
        severity: Severity::Warning,
        summary: "SESSION_TIMEOUT is above 3600 seconds",
        group: "session",
        tags: &["security"],
    },
    RuleInfo {
        id: "hosts.allowed",
        severity: Severity::Error,
        summary: "ALLOWED_HOSTS is empty, contains *, or names localhost",
        group: "hosts",
        tags: &["security", "django:security.W020"],
    },
    RuleInfo {
        id: "env.name-mismatch",
        severity: Severity::Error,
        summary: "ENVIRONMENT, APP_ENV, DJANGO_ENV, RAILS_ENV, FLASK_ENV or SENTRY_ENVIRONMENT names another environment of the project (or its alias) than the one checked",
        group: "env",
        tags: &["security"],
    },
    RuleInfo {
        id: "hosts.serves-public-url",
        severity: Severity::Error,
        summary: "the host of the application's own URL (SITE_URL, BASE_URL, PUBLIC_URL, APP_URL, API_URL, WEB_URL) is not matched by ALLOWED_HOSTS",
        group: "hosts",
        tags: &["security"],
    },
    RuleInfo {
        id: "config.missing-in-strict",
        severity: Severity::Error,
        summary: "a secret or deploy setting (SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS, FORCE_HTTPS, SECURE_SSL_REDIRECT, CORS_ALLOWED_ORIGINS) is absent or empty while another environment, .env.example or envward.toml has it",
        group: "config",
        tags: &["security"],
    },
    RuleInfo {
        id: "jwt.algorithm",
        severity: Severity::Error,
        summary: "JWT_ALGORITHM or SIMPLE_JWT_ALGORITHM is `none`, or set but empty",
        group: "jwt",
        tags: &["security"],
    },
    RuleInfo {
        id: "jwt.lifetime",
        severity: Severity::Warning,
        summary: "an access token lives longer than 1 hour or a refresh token longer than 30 days",
        group: "jwt",
        tags: &["security"],
    },
    RuleInfo {
        id: "cors.origins",
        severity: Severity::Error,
        summary: "CORS allows every origin, a wildcard, or plain-HTTP origins",
        group: "cors",
        tags: &["security"],
    },
    RuleInfo {
        id: "urls.https",
        severity: Severity::Error,
        summary: "a public URL (BASE_URL, SITE_URL, FRONTEND_URL, …) has no scheme, names the local host or is not https, an absolute STATIC_URL, MEDIA_URL, CDN_URL or ASSET_URL is plain http, or a CSRF_TRUSTED_ORIGINS entry is not https",
        group: "urls",
        tags: &["security"],
    },
    RuleInfo {
        id: "origins.format",
        severity: Severity::Error,
        summary: "an origin in CORS_ALLOWED_ORIGINS or CSRF_TRUSTED_ORIGINS has no scheme, a path or a trailing slash, or the list holds spaces",
        group: "origins",
        tags: &["security"],
    },
    RuleInfo {
        id: "csrf.trusted-origins",
        severity: Severity::Error,
        summary: "a Django site called from other origins (CORS, FRONTEND_URL) has no CSRF_TRUSTED_ORIGINS",
        group: "csrf",
        tags: &["security"],
    },
    RuleInfo {
        id: "database.production-ready",
        severity: Severity::Error,
        summary: "the database is SQLite, on localhost, or reached without TLS (in DATABASE_URL, or no SSL mode requiring it beside DB_HOST/POSTGRES_HOST/MYSQL_HOST), or its URL does not parse",
        group: "database",
        tags: &["security"],
    },
    RuleInfo {
        id: "database.credentials",
        severity: Severity::Error,
        summary: "the database user is a default superuser (postgres, root, admin, sa) or the password is weak",
        group: "database",
        tags: &["security"],
    },
    RuleInfo {
        id: "env.isolation",
        severity: Severity::Error,
        summary: "two strict environments point at the same database, cache or broker (host, port and database of DATABASE_URL, REDIS_URL, CELERY_BROKER_URL…, or DB_HOST + DB_NAME)",
        group: "env",
        tags: &["security"],
    },
    RuleInfo {
        id: "cache.production-ready",
        severity: Severity::Warning,
        summary: "CACHE_BACKEND is a per-process cache (locmem, dummy, filebased), or REDIS_URL, CACHE_URL, CACHE_LOCATION, CELERY_BROKER_URL, CELERY_RESULT_BACKEND or REDIS_HOST is on the local host or in memory",
        group: "cache",
        tags: &["security"],
    },
    RuleInfo {
        id: "cache.tls",
        severity: Severity::Error,
        summary: "REDIS_URL, CACHE_URL or CELERY_BROKER_URL uses redis:// instead of rediss://",
        group: "cache",
        tags: &["security"],
    },
    RuleInfo {
        id: "email.tls",
        severity: Severity::Error,
        summary: "mail goes to an SMTP server without EMAIL_USE_TLS/EMAIL_USE_SSL (localhost:25 when EMAIL_HOST is unset), or to a console/dummy backend; or the TLS flag does not fit the port (EMAIL_USE_TLS on 465, EMAIL_USE_SSL on 587, both on)",
        group: "email",
        tags: &["security"],
    },
    RuleInfo {
        id: "email.port",
        severity: Severity::Warning,
        summary: "mail is submitted on port 25 (EMAIL_PORT=25, or unset in a Django project)",
        group: "email",
        tags: &["security"],
    },
    RuleInfo {
        id: "headers.security",
        severity: Severity::Warning,
        summary: "X_FRAME_OPTIONS, SECURE_CONTENT_TYPE_NOSNIFF, SECURE_REFERRER_POLICY, SECURE_CROSS_ORIGIN_OPENER_POLICY or a cookie SameSite setting is missing its safe value",
        group: "headers",
        tags: &[
            "security",
            "django:security.W006",
            "django:security.W019",
            "django:security.W022",
            "django:security.E023",
            "django:security.E024",
        ],
    },
    RuleInfo {
        id: "headers.csp",
        severity: Severity::Warning,
        summary: "CSP_DEFAULT_SRC, CSP_SCRIPT_SRC (django-csp), CONTENT_SECURITY_POLICY or CSP_POLICY lets scripts run from 'unsafe-inline', 'unsafe-eval', *, http: or data:, CSP_STYLE_SRC from * or http:, or CSP_REPORT_ONLY is on",
        group: "headers",
        tags: &["security"],
    },
    RuleInfo {
        id: "https.proxy-header",
        severity: Severity::Warning,
        summary: "SECURE_PROXY_SSL_HEADER is not the expected X-Forwarded-Proto header while behind a proxy (USE_X_FORWARDED_HOST or BEHIND_PROXY on)",
        group: "https",
        tags: &["security"],
    },
    RuleInfo {
        id: "hosts.api-local",
        severity: Severity::Error,
        summary: "API_HOST (or HOST) is localhost or 127.0.0.1",
        group: "hosts",
        tags: &["security"],
    },
    RuleInfo {
        id: "ports.valid",
        severity: Severity::Warning,
        summary: "a *_PORT is not a number from 1 to 65535, or is privileged (< 1024)",
        group: "ports",
        tags: &["security"],
    },
    RuleInfo {
        id: "encryption.integrity",
        severity: Severity::Error,
        summary: "in an environment with recipients: a sensitive value in clear, an own file empty or cut before its header, or a local file overriding an encrypted value",
        group: "encryption",
        tags: &[],
    },
    RuleInfo {
        id: "encryption.unverified",
        severity: Severity::Warning,
        summary: "an encrypted file no identity opens: its MAC and values were not verified",
        group: "encryption",
        tags: &[],
    },
    RuleInfo {
        id: "secret.in-plain-url",
        severity: Severity::Error,
        summary: "a URL carries a password but its key is declared `sensitive = false`",
        group: "secret",
        tags: &["security"],
    },
    RuleInfo {
        id: "files.permissions",
        severity: Severity::Error,
        summary: "an env file holding plaintext secrets is readable by other users (mode not 0600/0640)",
        group: "files",
        tags: &["security"],
    },
    RuleInfo {
        id: "files.git",
        severity: Severity::Error,
        summary: "an env file holding plaintext secrets is tracked by git, or not git-ignored",
        group: "files",
        tags: &["security"],
    },
    RuleInfo {
        id: "example.secret",
        severity: Severity::Error,
        summary: "the committed .env.example holds a value for a sensitive key",
        group: "example",
        tags: &["security"],
    },
    RuleInfo {
        id: "value.shell-substitution",
        severity: Severity::Warning,
        summary: "a value contains $( or a backtick",
        group: "value",
        tags: &["security"],
    },
    RuleInfo {
        id: "secret.max-age",
        severity: Severity::Warning,
        summary: "a secret was last rotated more than 90 days ago (per .envward/rotations.jsonl)",
        group: "secret",
        tags: &["security"],
    },
    RuleInfo {
        id: "history.unrecorded-change",
        severity: Severity::Warning,
        summary: "a key changed since the environment's last snapshot (.envward/history.jsonl)",
        group: "history",
        tags: &["security"],
    },
    RuleInfo {
        id: "settings.unrecognised-prefix",
        severity: Severity::Info,
        summary: "settings the rules know carry a prefix the project does not declare (MYAPP_DEBUG, MYAPP_SECRET_KEY): the rules do not read them",
        group: "settings",
        tags: &["security"],
    },
    RuleInfo {
        id: "doctor.exported-secret",
        severity: Severity::Warning,
        summary: "a sensitive variable is in the process environment, so every child inherits it",
        group: "exported",
        tags: &["process"],
    },
    RuleInfo {
        id: "doctor.secret-file-readable",
        severity: Severity::Error,
        summary: "a file holding a secret (KEY_FILE, secrets directory) is readable by other users",
        group: "visible",
        tags: &["process"],
    },
    RuleInfo {
        id: "doctor.environ-readable",
        severity: Severity::Error,
        summary: "the environment of another user's process is readable by this user",
        group: "visible",
        tags: &["process"],
    },
    RuleInfo {
        id: "doctor.overridden",
        severity: Severity::Warning,
        summary: "a key defined in the project's files is overridden by the process environment",
        group: "overrides",
        tags: &["process"],
    },
    RuleInfo {
        id: "doctor.process-only-required",
        severity: Severity::Warning,
        summary: "a required key is provided only by the process environment",
        group: "overrides",
        tags: &["process"],
    },
    RuleInfo {
        id: "log.failed-decryptions",
        severity: Severity::Warning,
        summary: "one user@host failed to decrypt more than 10 times within an hour (.envward/audit.log)",
        group: "failures",
        tags: &["log"],
    },
    RuleInfo {
        id: "log.unexpected-reader",
        severity: Severity::Warning,
        summary: "a user@host not in the environment's `readers` read its secrets (.envward/audit.log)",
        group: "readers",
        tags: &["log"],
    },
    RuleInfo {
        id: "probe.tls",
        severity: Severity::Error,
        summary: "the TLS handshake with the deployment fails (certificate not trusted, wrong name, expired)",
        group: "transport",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.https",
        severity: Severity::Error,
        summary: "the deployment is served over plain HTTP",
        group: "transport",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.https-redirect",
        severity: Severity::Error,
        summary: "plain HTTP does not redirect to HTTPS (info: a temporary 302/303/307 redirect instead of 301/308)",
        group: "transport",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.hsts",
        severity: Severity::Warning,
        summary: "no Strict-Transport-Security header, a max-age under a year, or no includeSubDomains (info: no preload)",
        group: "headers",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.nosniff",
        severity: Severity::Warning,
        summary: "no `X-Content-Type-Options: nosniff` header",
        group: "headers",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.framing",
        severity: Severity::Warning,
        summary: "neither X-Frame-Options nor a CSP frame-ancestors directive",
        group: "headers",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.cookie-secure",
        severity: Severity::Error,
        summary: "a cookie set over HTTPS without the Secure attribute",
        group: "headers",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.cookie-httponly",
        severity: Severity::Warning,
        summary: "a session-like cookie without the HttpOnly attribute",
        group: "headers",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.server-version",
        severity: Severity::Info,
        summary: "the Server or X-Powered-By header tells software and version",
        group: "headers",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.debug-page",
        severity: Severity::Error,
        summary: "an answer is a framework's debug page or a traceback",
        group: "exposure",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.secret-leak",
        severity: Severity::Error,
        summary: "an answer (a health endpoint, an error page, a header) contains a secret value of the environment",
        group: "exposure",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.cert-expiry",
        severity: Severity::Error,
        summary: "the deployment's certificate, or an intermediate sent with it, expires soon: a warning under warn_days (30), an error under error_days (7)",
        group: "transport",
        tags: &["probe"],
    },
    RuleInfo {
        id: "probe.csp",
        severity: Severity::Warning,
        summary: "the page has no enforced Content-Security-Policy (Report-Only alone counts as none), or its script-src/default-src allows 'unsafe-inline', 'unsafe-eval', *, http: or data:",
        group: "headers",
        tags: &["probe"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "rule id `{}` is registered twice", r.id);
        }
    }

    #[test]
    fn every_security_rule_is_registered_and_tagged() {
        for rule in crate::check::rules::RULES {
            let info = find(rule.id).unwrap_or_else(|| panic!("`{}` not registered", rule.id));
            assert!(info.has_tag("security"), "{}", rule.id);
        }
        let security = RULES.iter().filter(|r| r.has_tag("security")).count();
        assert_eq!(security, crate::check::rules::RULES.len());
    }

    #[test]
    fn django_tags_match_the_django_checks() {
        let mut from_checks: Vec<(&str, &str)> = crate::check::django::CHECKS
            .iter()
            .flat_map(|c| c.rules.iter().map(move |r| (*r, c.id)))
            .collect();
        let mut from_tags: Vec<(&str, &str)> = RULES
            .iter()
            .flat_map(|r| r.django_ids().map(move |d| (r.id, d)))
            .collect();
        from_checks.sort_unstable();
        from_tags.sort_unstable();
        assert_eq!(from_checks, from_tags);
    }

    #[test]
    fn doctor_rules_sit_in_a_doctor_section() {
        for r in RULES.iter().filter(|r| r.has_tag("process")) {
            assert!(r.id.starts_with("doctor."), "{}", r.id);
            assert!(
                crate::doctor::SECTIONS.iter().any(|(s, _)| *s == r.group),
                "{}",
                r.id
            );
        }
    }

    #[test]
    fn probe_rules_sit_in_a_probe_section() {
        let probe: Vec<_> = RULES.iter().filter(|r| r.has_tag("probe")).collect();
        assert!(!probe.is_empty());
        for r in probe {
            assert!(r.id.starts_with("probe."), "{}", r.id);
            assert!(
                crate::probe::SECTIONS.iter().any(|(s, _)| *s == r.group),
                "{}",
                r.id
            );
        }
    }
}
