//! The built-in rules. Facts from the Django deployment checklist and the
//! usual production guides: names, thresholds and placeholder values.

use super::origins::{self, items};
use super::{Applies, Ctx, Emit, Rule};
use crate::value::parse_bool;

/// ` = "value"`, or nothing for a sensitive value.
pub(super) fn shown(v: &crate::value::Var) -> String {
    if v.sensitive {
        String::new()
    } else {
        format!(" = {:?}", v.value.expose().trim())
    }
}

/// `` `item` `` for messages, or `an entry` when the value is sensitive.
pub(super) fn item(v: &crate::value::Var, item: &str) -> String {
    if v.sensitive {
        "an entry".into()
    } else {
        format!("`{item}`")
    }
}

fn is_true(v: &str) -> bool {
    parse_bool(v) == Some(true)
}

fn is_false(v: &str) -> bool {
    parse_bool(v) == Some(false)
}

/// Every built-in rule, in `envward rules` order.
pub static RULES: &[Rule] = &[
    Rule {
        id: "debug.enabled",
        applies: Applies::Strict,
        why: "Debug modes show stack traces, settings and sometimes secrets to anyone who triggers an error, and slow the application down.",
        fix: "set it to False in this environment",
        params: &[],
        run: debug_enabled,
    },
    Rule {
        id: "debug.development-mode",
        applies: Applies::Strict,
        why: "Frameworks switch off caching, hardening and error masking in development mode.",
        fix: "set it to production",
        params: &[],
        run: development_mode,
    },
    Rule {
        id: "debug.log-level",
        applies: Applies::Strict,
        why: "Debug logs record request bodies, headers and values that should not be kept, and flood log storage.",
        fix: "use INFO or WARNING",
        params: &[],
        run: log_level,
    },
    Rule {
        id: "secret.min-length",
        applies: Applies::Strict,
        why: "A key the project generates can be brute-forced when short (Django's own deploy check asks 50 characters for SECRET_KEY); a password or provider token shorter than any real one is truncated or a stand-in.",
        fix: "generate a long random value, e.g. `openssl rand -base64 48` (for a password or token: the full value the provider issued)",
        params: &[
            ("min_length", "32"),
            ("django_min_length", "50"),
            ("password_min_length", "16"),
            ("token_min_length", "16"),
        ],
        run: secret_min_length,
    },
    Rule {
        id: "secret.too-short-to-redact",
        applies: Applies::Strict,
        why: "`envward redact`, `run --redact` and `scan` look for the project's own secret values; a value shorter than `[redact] min_length` (default 8) would match innocent text everywhere, so it is neither redacted nor searched for and can leak unnoticed.",
        fix: "use a longer value (or lower `[redact] min_length` in envward.toml, at the price of false matches)",
        params: &[],
        run: too_short_to_redact,
    },
    Rule {
        id: "secret.weak",
        applies: Applies::Strict,
        why: "Placeholder, development and low-variety secrets are the first ones attackers try.",
        fix: "generate a random value for this environment",
        params: &[],
        run: secret_weak,
    },
    Rule {
        id: "secret.plaintext-in-strict",
        applies: Applies::Strict,
        why: "A secret written in clear in an env file of a production-like environment is readable by whoever reads the file, its backups and copies; encrypted, it needs an identity too.",
        fix: "encrypt it (`envward encrypt -e ENV`), or provide it through the process environment, KEY_FILE or the secrets directory",
        params: &[],
        run: plaintext_in_strict,
    },
    Rule {
        id: "files.identity-permissions",
        applies: Applies::All,
        why: "The identity decrypts every encrypted value of the project: any local user who can read it can read them all.",
        fix: "chmod 600 the identity file",
        params: &[],
        run: identity_permissions,
    },
    Rule {
        id: "secret.reused-across-keys",
        applies: Applies::All,
        why: "One leak then breaks two mechanisms, and rotating one silently keeps the other.",
        fix: "give each key its own random value",
        params: &[],
        run: reused_across_keys,
    },
    Rule {
        id: "secret.reused-across-environments",
        applies: Applies::Strict,
        why: "A secret shared with development or staging is only as safe as the least protected environment.",
        fix: "generate a separate value for each environment",
        params: &[],
        run: reused_across_environments,
    },
    Rule {
        id: "https.redirect",
        applies: Applies::Strict,
        why: "Without a redirect, plain-HTTP requests carry cookies and credentials in clear text.",
        fix: "set it to True (and terminate TLS in front of the application)",
        params: &[],
        run: https_redirect,
    },
    Rule {
        id: "https.hsts",
        applies: Applies::Strict,
        why: "HSTS makes browsers refuse plain HTTP; a short max-age leaves the first request of each visit exposed.",
        fix: "set SECURE_HSTS_SECONDS=31536000 with include-subdomains and preload",
        params: &[("min_seconds", "31536000")],
        run: hsts,
    },
    Rule {
        id: "cookies.secure",
        applies: Applies::Strict,
        why: "Cookies without the Secure flag are sent over plain HTTP, where they can be read and replayed.",
        fix: "set it to True",
        params: &[],
        run: cookies_secure,
    },
    Rule {
        id: "session.timeout",
        applies: Applies::Strict,
        why: "Long sessions widen the window in which a stolen session cookie works.",
        fix: "use 3600 seconds or less",
        params: &[("max_seconds", "3600")],
        run: session_timeout,
    },
    Rule {
        id: "hosts.allowed",
        applies: Applies::Strict,
        why: "A wildcard host enables host-header attacks (poisoned password-reset links, cache poisoning).",
        fix: "list the public host names only",
        params: &[],
        run: allowed_hosts,
    },
    Rule {
        id: "env.name-mismatch",
        applies: Applies::Strict,
        why: "A variable that names the environment (ENVIRONMENT, APP_ENV, SENTRY_ENVIRONMENT…) and names another one than the one deployed is the mark of a file copied from that environment: its settings, databases and keys are probably that environment's too, and errors are reported under the wrong name.",
        fix: "set it to this environment's name (and check the rest of the file was not copied from the other environment)",
        params: &[],
        run: super::deploy::name_mismatch,
    },
    Rule {
        id: "hosts.serves-public-url",
        applies: Applies::Strict,
        why: "Django answers 400 (Bad Request) to every request whose host ALLOWED_HOSTS does not match: a site whose own address (SITE_URL, BASE_URL…) is not listed is down for its users.",
        fix: "add the host to ALLOWED_HOSTS (exactly, or `.example.com` for the domain and its subdomains), or correct the URL",
        params: &[],
        run: super::deploy::serves_public_url,
    },
    Rule {
        id: "config.missing-in-strict",
        applies: Applies::Strict,
        why: "An application started without a secret or deploy setting it reads elsewhere falls back to its default: no SECRET_KEY, SQLite instead of DATABASE_URL, HTTPS not enforced, a wildcard host. Nothing fails until a user or an attacker finds out.",
        fix: "set it in this environment; a key meant to be absent here goes under `optional` in [rules.\"config.missing-in-strict\"]",
        params: &[("optional", "[]")],
        run: super::deploy::missing_in_strict,
    },
    Rule {
        id: "jwt.algorithm",
        applies: Applies::All,
        why: "With the `none` algorithm a token carries no signature: anyone can write one for any user, and libraries that accept it let them in.",
        fix: "use HS256 (with a 32+ character key) or an asymmetric algorithm such as RS256 or ES256",
        params: &[],
        run: super::jwt::algorithm,
    },
    Rule {
        id: "jwt.lifetime",
        applies: Applies::Strict,
        why: "A token cannot be revoked before it expires: a stolen access token works for its whole lifetime, and a stolen refresh token mints new access tokens until it expires.",
        fix: "keep access tokens to 15 minutes or an hour and refresh tokens to 7 or 30 days",
        params: &[("max_access", "1h"), ("max_refresh", "30d")],
        run: super::jwt::lifetimes,
    },
    Rule {
        id: "cors.origins",
        applies: Applies::Strict,
        why: "Any website could then call the API with the visitor's credentials.",
        fix: "list the https:// origins of your own front ends; CORS_ALLOW_ALL_ORIGINS=False",
        params: &[],
        run: cors,
    },
    Rule {
        id: "urls.https",
        applies: Applies::Strict,
        why: "Links and redirects built from it would send users to plain HTTP.",
        fix: "use https:// (and no trailing slash)",
        params: &[],
        run: urls_https,
    },
    Rule {
        id: "origins.format",
        applies: Applies::All,
        why: "Browsers send the origin as scheme://host[:port] and Django and django-cors-headers compare it as text: an entry without a scheme, with a path or a trailing slash, or with a space left by the list's separator matches no request, so the front end's calls fail (or a broken list is worked around with a wildcard).",
        fix: "write each origin as https://host[:port], separated by commas without spaces",
        params: &[],
        run: origins::format,
    },
    Rule {
        id: "csrf.trusted-origins",
        applies: Applies::Strict,
        why: "Since Django 4.0 the CSRF check compares the Origin header with the site's own host and CSRF_TRUSTED_ORIGINS: a front end on another origin gets 403 on every POST, PUT and DELETE until its origin is listed.",
        fix: "list the front end's origins in CSRF_TRUSTED_ORIGINS (https://app.example.com)",
        params: &[],
        run: origins::csrf_trusted,
    },
    Rule {
        id: "database.production-ready",
        applies: Applies::Strict,
        why: "Production data needs a real server, and credentials and rows crossing the network need TLS.",
        fix: "point DATABASE_URL at the production server with sslmode=require (or verify-full)",
        params: &[],
        run: database,
    },
    Rule {
        id: "database.credentials",
        applies: Applies::Strict,
        why: "Default accounts are the first ones tried and have every privilege.",
        fix: "create a dedicated application user with a long random password",
        params: &[],
        run: database_credentials,
    },
    Rule {
        id: "env.isolation",
        applies: Applies::Strict,
        why: "Staging tests, migrations and load runs then write to production's data, and a staging credential is a production credential.",
        fix: "give each strict environment its own database, cache and broker (another host or database name), or allow it with a reason",
        params: &[],
        run: super::isolation::env_isolation,
    },
    Rule {
        id: "cache.production-ready",
        applies: Applies::Strict,
        why: "A per-process cache (locmem, dummy, file) is one cache per worker and replica: sessions, cached pages and rate-limit counters are not shared, so limits multiply and logins drop; a cache on the local host is gone with the machine.",
        fix: "use a shared cache server (Redis, Memcached) on its own host: CACHE_BACKEND=django.core.cache.backends.redis.RedisCache with a rediss:// location",
        params: &[],
        run: cache_production_ready,
    },
    Rule {
        id: "cache.tls",
        applies: Applies::Strict,
        why: "Sessions and cached data cross the network in clear text.",
        fix: "use rediss:// (TLS)",
        params: &[],
        run: redis_tls,
    },
    Rule {
        id: "email.tls",
        applies: Applies::Strict,
        why: "Mail credentials and password-reset links would travel in clear text, or mail would silently not be sent.",
        fix: "set EMAIL_USE_TLS=True with port 587 (or EMAIL_USE_SSL=True with port 465, never both) and a real SMTP backend",
        params: &[],
        run: email_tls,
    },
    Rule {
        id: "email.port",
        applies: Applies::Strict,
        why: "Port 25 is the port mail servers relay on: cloud providers block it outbound, and servers on it rarely require TLS. Applications submit mail on 587 (STARTTLS) or 465 (TLS).",
        fix: "set EMAIL_PORT=587 with EMAIL_USE_TLS=True (or 465 with EMAIL_USE_SSL=True)",
        params: &[],
        run: email_port,
    },
    Rule {
        id: "headers.security",
        applies: Applies::Strict,
        why: "These headers stop clickjacking, MIME sniffing, referrer leaks and cross-origin window attacks.",
        fix: "X_FRAME_OPTIONS=DENY, SECURE_CONTENT_TYPE_NOSNIFF=True, a strict referrer policy, COOP same-origin, SameSite Lax or Strict",
        params: &[],
        run: headers,
    },
    Rule {
        id: "headers.csp",
        applies: Applies::Strict,
        why: "A Content-Security-Policy that allows inline or evaluated script, or script from any host, does not stop an injected script (XSS); a report-only policy blocks nothing.",
        fix: "list only your own origins, nonces or hashes: CSP_DEFAULT_SRC='self', CSP_SCRIPT_SRC='self' (django-csp), or CONTENT_SECURITY_POLICY=\"default-src 'self'; script-src 'self'; object-src 'none'\"; CSP_REPORT_ONLY=False once the reports are clean",
        params: &[],
        run: csp,
    },
    Rule {
        id: "https.proxy-header",
        applies: Applies::Strict,
        why: "Behind a TLS-terminating proxy the application cannot tell HTTPS requests apart without it, and loops on redirects or marks cookies insecure.",
        fix: "SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https",
        params: &[],
        run: proxy_header,
    },
    Rule {
        id: "hosts.api-local",
        applies: Applies::Strict,
        why: "A production service announced on the loopback address is unreachable, or exposes a debug listener.",
        fix: "use the public host name (or 0.0.0.0 for a bind address inside a container)",
        params: &[],
        run: api_local,
    },
    Rule {
        id: "ports.valid",
        applies: Applies::All,
        why: "An invalid port fails at start-up; a privileged one needs root or extra capabilities.",
        fix: "use a port from 1024 to 65535 (and map 80/443 in the proxy or container runtime)",
        params: &[],
        run: ports,
    },
    Rule {
        id: "secret.in-plain-url",
        applies: Applies::All,
        why: "The password would then be printed by list, explain, diff and reports.",
        fix: "remove `sensitive = false`, or take the password out of the URL",
        params: &[],
        run: secret_in_plain_url,
    },
    Rule {
        id: "files.permissions",
        applies: Applies::All,
        why: "Any local user or compromised service account could read the secrets.",
        fix: "chmod 600 the file (640 when a group must read it)",
        params: &[],
        run: file_permissions,
    },
    Rule {
        id: "files.git",
        applies: Applies::All,
        why: "Secrets pushed to a repository spread to every clone, fork and CI log, and stay in history.",
        fix: "add the file to .gitignore and `git rm --cached` it, then rotate the secrets it held",
        params: &[],
        run: file_git,
    },
    Rule {
        id: "example.secret",
        applies: Applies::All,
        why: ".env.example is committed and shared: a real value there is a leaked secret.",
        fix: "leave sensitive values empty in .env.example (`envward example` does)",
        params: &[],
        run: example_secret,
    },
    Rule {
        id: "value.shell-substitution",
        applies: Applies::All,
        why: "envward never runs it, but scripts that `source` the file would execute it.",
        fix: "quote the value in single quotes, or remove the substitution",
        params: &[],
        run: shell_substitution,
    },
    Rule {
        id: "secret.max-age",
        applies: Applies::Strict,
        why: "A long-lived secret has had more chances to leak, through logs, laptops and former staff, and nobody remembers how to rotate it.",
        fix: "rotate it: `envward rotate KEY -e ENV` (a new value, the old one kept for the rollover, the rotation recorded); a provider's credential: rotate it there, then `envward set`",
        params: &[("max_days", "90")],
        run: secret_max_age,
    },
    Rule {
        id: "history.unrecorded-change",
        applies: Applies::Strict,
        why: "A change to production that no snapshot records cannot be told apart, later, from one nobody meant to make: history and `diff --since` only show what was recorded.",
        fix: "review the change, then record it with `envward snapshot -e ENV -m \"why\"`",
        params: &[],
        run: unrecorded_change,
    },
    Rule {
        id: "settings.unrecognised-prefix",
        applies: Applies::All,
        why: "The rules read `DEBUG`, `SECRET_KEY`, `ALLOWED_HOSTS`… under their own names (and `DJANGO_…`): an application that reads `MYAPP_DEBUG` passes every check with `MYAPP_DEBUG=True`.",
        fix: "declare the prefix: `[project] prefixes = [\"MYAPP_\"]` in envward.toml (or turn this rule off if these keys are not the application's settings)",
        params: &[],
        run: unrecognised_prefix,
    },
];

/// Settings the rules know by name, as an application's own prefix would
/// carry them.
const PREFIXED_SETTINGS: &[&str] = &[
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "API_HOST",
    "LOG_LEVEL",
    "ENVIRONMENT",
    "DATABASE_URL",
    "FORCE_HTTPS",
    "SECURE_SSL_REDIRECT",
    "CORS_ALLOWED_ORIGINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
];

/// Prefixes of services whose own settings share these names
/// (`SENTRY_ENVIRONMENT`, `SENTRY_DEBUG`): not the application's.
const SERVICE_PREFIXES: &[&str] = &[
    "SENTRY_",
    "CELERY_",
    "GUNICORN_",
    "UVICORN_",
    "AWS_",
    "GCP_",
    "AZURE_",
    "NEXT_PUBLIC_",
    "VITE_",
    "REACT_APP_",
    "JWT_",
    "FLASK_",
    "RAILS_",
    "TEST_",
    "DEV_",
    "PROD_",
];

fn unrecognised_prefix(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    use std::collections::BTreeMap;
    // prefix -> the keys that carry a known setting under it
    let mut seen: BTreeMap<&str, Vec<&crate::value::Var>> = BTreeMap::new();
    for v in ctx.cfg.iter() {
        for name in PREFIXED_SETTINGS {
            let Some(prefix) = v.key.strip_suffix(name) else {
                continue;
            };
            if prefix.len() < 2
                || !prefix.ends_with('_')
                || prefix == crate::check::setting::PREFIX
                || ctx.cfg.prefixes.iter().any(|p| p == prefix)
                || SERVICE_PREFIXES.contains(&prefix)
                || ctx.cfg.get(name).is_some()
            {
                continue;
            }
            seen.entry(prefix).or_default().push(v);
        }
    }
    // One key is a name of its own (`JWT_SECRET_KEY`); two settings under
    // one prefix are an application's prefix.
    for (prefix, vars) in seen.into_iter().filter(|(_, v)| v.len() >= 2) {
        let keys: Vec<&str> = vars.iter().map(|v| v.key.as_str()).collect();
        out.var(
            vars[0],
            format!(
                "{} look like the application's settings under the prefix `{prefix}`, which envward.toml does not declare: no rule reads them (`[project] prefixes = [\"{prefix}\"]`)",
                keys.iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
}

fn unrecorded_change(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    use crate::ops::history;
    let Some(snap) = ctx
        .shared
        .last_snapshot(&ctx.cfg.root, &ctx.cfg.environment)
    else {
        return;
    };
    // Without the key the snapshot was made with, values cannot be
    // compared; keys still can.
    let key = ctx.shared.fingerprint_key();
    let now = history::State::of(ctx.cfg, key.unwrap_or_default());
    let line = u32::try_from(snap.line).unwrap_or(u32::MAX);
    for c in history::changes(&snap.state(), &now) {
        out.at(
            std::path::Path::new(history::HISTORY_FILE),
            line,
            &c.key,
            format!(
                "`{}` {} since the last snapshot of {} ({}, {})",
                c.key,
                c.change.describe(),
                ctx.cfg.environment,
                snap.id,
                snap.when()
            ),
        );
    }
}

fn secret_max_age(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    use crate::ops::rotation;
    let max_days = i64::try_from(ctx.param_usize("max_days", 90)).unwrap_or(i64::MAX);
    let now = jiff::Timestamp::now().as_second();
    // A value from a store is at least as old as the version it is in:
    // a version older than the maximum means the key is too (a newer one
    // says nothing about this key, which may not have changed in it).
    let mut from_store = std::collections::BTreeSet::new();
    for v in ctx.cfg.iter().filter(|v| judged_secret(v)) {
        let crate::source::Origin::Remote { location, .. } = &v.origin else {
            continue;
        };
        from_store.insert(v.key.as_str());
        let Some(written) = location
            .created_time
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        else {
            continue;
        };
        let days = (now - written.as_second()) / 86_400;
        if days > max_days {
            out.var(
                v,
                format!(
                    "`{}` comes from version {} of {}/{}, written {days} days ago ({}); the maximum is {max_days} days",
                    v.key,
                    location.version,
                    location.mount,
                    location.path,
                    written.strftime("%Y-%m-%d")
                ),
            );
        }
    }
    let records = ctx.shared.rotations(&ctx.cfg.root);
    if records.is_empty() {
        return;
    }
    let keys = ctx
        .cfg
        .iter()
        .filter(|v| v.sensitive)
        .map(|v| v.key.as_str())
        .filter(|k| !from_store.contains(k))
        .chain(ctx.cfg.withheld.keys().map(String::as_str));
    for key in keys {
        let Some(r) = rotation::last(records, &ctx.cfg.environment, key) else {
            continue;
        };
        let Some(t) = r.timestamp() else {
            continue;
        };
        let days = (now - t.as_second()) / 86_400;
        if days > max_days {
            out.at(
                std::path::Path::new(rotation::ROTATIONS_FILE),
                r.line,
                key,
                format!(
                    "`{key}` was last rotated {days} days ago ({}); the maximum is {max_days} days",
                    r.rotated_at.get(..10).unwrap_or(&r.rotated_at)
                ),
            );
        }
    }
}

fn debug_enabled(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in ["DEBUG", "FLASK_DEBUG", "APP_DEBUG"] {
        for v in ctx.each(key).filter(|v| is_true(v.value.expose())) {
            out.var(v, format!("`{}` is on in {}", v.key, ctx.cfg.environment));
        }
    }
}

fn development_mode(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in [
        "NODE_ENV",
        "APP_ENV",
        "FLASK_ENV",
        "RAILS_ENV",
        "ENVIRONMENT",
    ] {
        for v in ctx.each(key).filter(|v| {
            matches!(
                v.value.expose().trim().to_ascii_lowercase().as_str(),
                "development" | "dev"
            )
        }) {
            out.var(
                v,
                format!(
                    "`{}` = {:?} in {}",
                    v.key,
                    v.value.expose(),
                    ctx.cfg.environment
                ),
            );
        }
    }
}

fn log_level(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in ["LOG_LEVEL", "RUST_LOG"] {
        for v in ctx.each(key) {
            let l = v.value.expose().to_ascii_lowercase();
            if l == "debug"
                || l == "trace"
                || l.split(',')
                    .any(|p| p.ends_with("=debug") || p.ends_with("=trace"))
            {
                out.var(
                    v,
                    format!(
                        "`{}` = {:?} logs too much for {}",
                        v.key,
                        v.value.expose(),
                        ctx.cfg.environment
                    ),
                );
            }
        }
    }
}

/// Sensitive keys that hold secrets (not URLs, which carry other rules).
/// The secrets the strength rules judge: sensitive values, except a value
/// from a secret store that is masked only because every store value is
/// (`FEATURE=on` kept in the vault is not a credential), unless its name or
/// value makes it a secret.
fn secrets<'a>(ctx: &'a Ctx<'_>) -> impl Iterator<Item = &'a crate::value::Var> {
    ctx.cfg.iter().filter(|v| {
        let text = v.value.expose();
        !text.is_empty() && !text.contains("://") && judged_secret(v)
    })
}

/// A secret by itself (the schema, its shape or its name), not only
/// because it is encrypted, built from a secret, or comes from a secret
/// store: what the strength rules judge.
fn judged_secret(v: &crate::value::Var) -> bool {
    v.sensitive && v.is_secret()
}

fn secret_min_length(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    use super::strength::{SecretKind, is_django_secret_key, kind_of};
    let generated = ctx.param_usize("min_length", 32);
    let django_key = ctx.param_usize("django_min_length", 50);
    let password = ctx.param_usize("password_min_length", 16);
    let token = ctx.param_usize("token_min_length", 16);
    let django = ctx.django;
    for v in secrets(ctx) {
        let text = v.value.expose();
        let name = crate::check::setting::bare(ctx.cfg, &v.key);
        let (min, what) = if is_django_secret_key(name, django) {
            (django_key, "Django's SECRET_KEY")
        } else {
            let kind = kind_of(name, text);
            let min = match kind {
                SecretKind::GeneratedKey => generated,
                SecretKind::Password => password,
                SecretKind::Token => token,
            };
            (min, kind.describe())
        };
        let len = text.chars().count();
        if len < min {
            out.var(
                v,
                format!(
                    "`{}` is shorter than {min} characters (the minimum for {what})",
                    v.key
                ),
            );
        }
    }
}

fn too_short_to_redact(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let min = ctx.shared.redact_min_length();
    for v in ctx.cfg.iter().filter(|v| judged_secret(v) && !v.sealed) {
        let value = v.value.expose();
        if !value.trim().is_empty() && !crate::known::redactable(value, min) {
            out.var(
                v,
                format!(
                    "`{}` is shorter than {min} bytes: `redact` and `scan` cannot look for it without matching innocent text",
                    v.key
                ),
            );
        }
    }
}

const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "password",
    "your-secret-key-here",
    "your_secret_key",
    "replace-me",
    "todo",
    "example",
    "test",
    "dummy",
    "default",
    "mysecret",
    "secretkey",
    "123456",
];

/// An example value that stands for a secret without being one: empty, a
/// known placeholder, `<…>`, `xxx` or `***`, or `your-…-here`.
fn is_placeholder(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    lower.is_empty()
        || PLACEHOLDERS.contains(&lower.as_str())
        || super::strength::is_placeholder(&lower)
        || lower.starts_with('<')
        || lower.chars().all(|c| c == 'x' || c == '*')
        || (lower.starts_with("your") && lower.ends_with("here"))
}

fn secret_weak(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    use super::strength::{SecretKind, is_known_weak, is_placeholder, kind_of};
    for v in secrets(ctx) {
        let text = v.value.expose();
        let lower = text.to_ascii_lowercase();
        let distinct = {
            let mut c: Vec<char> = text.chars().collect();
            c.sort_unstable();
            c.dedup();
            c.len()
        };
        let what = if lower.starts_with("django-insecure-") {
            Some("a `django-insecure-` key generated for development")
        } else if PLACEHOLDERS.contains(&lower.as_str()) || is_placeholder(text) {
            Some("a placeholder or development value, to be replaced with a real one")
        } else if kind_of(crate::check::setting::bare(ctx.cfg, &v.key), text)
            == SecretKind::Password
            && is_known_weak(text)
        {
            Some("a well-known weak password")
        } else if distinct < 5 {
            Some("made of fewer than 5 distinct characters")
        } else {
            super::strength::pattern_of(text)
        };
        if let Some(what) = what {
            out.var(v, format!("`{}` is {what}", v.key));
        }
    }
}

/// Secrets written in clear in an env file of a strict environment: each
/// definition in clear (winning or overridden), once per key and file.
/// Values from the process environment, a `KEY_FILE` or the secrets
/// directory are not in a file of the project; a key the integrity check
/// already reports (an environment with recipients) is left to it.
fn plaintext_in_strict(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let vars = ctx.cfg.iter().chain(ctx.cfg.withheld.values());
    for v in vars {
        if ctx
            .cfg
            .integrity
            .iter()
            .any(|b| b.key.as_deref() == Some(v.key.as_str()))
        {
            continue;
        }
        let defs = std::iter::once((&v.origin, v.in_clear))
            .chain(v.overridden.iter().map(|o| (&o.origin, o.in_clear)));
        let mut seen: Vec<&std::path::Path> = Vec::new();
        for (origin, in_clear) in defs {
            let crate::source::Origin::File { path, line, .. } = origin else {
                continue;
            };
            if !in_clear || seen.contains(&&**path) {
                continue;
            }
            seen.push(path);
            out.at(
                path,
                *line,
                &v.key,
                format!(
                    "`{}` is a secret written in clear in {} ({})",
                    v.key,
                    path.display(),
                    ctx.cfg.environment
                ),
            );
        }
    }
}

/// The identity files envward reads in this run, readable by group or
/// others. Reported once per run, in the first strict environment checked
/// (else the first one).
fn identity_permissions(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let reporter = ctx
        .all
        .iter()
        .find(|c| c.strict())
        .or_else(|| ctx.all.first());
    if reporter.is_some_and(|r| r.environment != ctx.cfg.environment) {
        return;
    }
    for path in &ctx.shared.identity_files {
        let Some(mode) = crate::crypto::identity_file_exposure(path) else {
            continue;
        };
        out.file(
            path,
            format!(
                "the identity file {} has mode {mode:04o}: {}",
                path.display(),
                if mode & 0o004 != 0 {
                    "every user on this machine can read it, and decrypt every encrypted value"
                } else {
                    "its group can reach it (an identity is a private key: mode 0600)"
                }
            ),
        );
    }
}

fn reused_across_keys(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let list: Vec<_> = secrets(ctx).collect();
    for (i, a) in list.iter().enumerate() {
        if let Some(b) = list[..i]
            .iter()
            .find(|b| b.value.expose() == a.value.expose())
        {
            out.var(a, format!("`{}` has the same value as `{}`", a.key, b.key));
        }
    }
}

/// The same secret in another environment: one checked in this run, or
/// one loaded only to compare with (`check -e production` reads the
/// others). Compared by keyed digest; the same key first, then any key.
/// The password inside a URL (`DATABASE_URL`, `REDIS_URL`, any URL with
/// user info) is compared too, `%`-decoded, with the passwords of other
/// URLs and with plain secrets; it is not reported when the same value in
/// a plain key of this environment already is (a URL built from
/// `${POSTGRES_PASSWORD}`). Two values from the same place outside the
/// project's files (the process environment, the secrets directory, a
/// default) are one value seen twice, not a reuse.
fn reused_across_environments(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    // A project with one environment (or `run`'s gate with nothing to
    // compare with) digests nothing: an HMAC per secret is a tenth of the
    // gate's instructions.
    if !ctx.shared.has_others(ctx.all, &ctx.cfg.environment) {
        return;
    }
    let others: Vec<_> = ctx
        .shared
        .all_digests(ctx.all)
        .filter(|d| d.environment != ctx.cfg.environment)
        .collect();
    let plain = secrets(ctx)
        .filter(|v| !v.sealed)
        .map(|v| (v, ctx.shared.digest(v.value.expose()), false));
    let in_urls = super::url_passwords(ctx.cfg).map(|(v, p)| (v, ctx.shared.digest(&p), true));
    let mut reported: Vec<[u8; 32]> = Vec::new();
    for (v, digest, in_url) in plain.chain(in_urls) {
        if in_url && reported.contains(&digest) {
            continue;
        }
        let shared_source = |origin: &crate::source::Origin| {
            origin == &v.origin && !matches!(origin, crate::source::Origin::File { .. })
        };
        let mut hit = None;
        for same_key in [true, false] {
            hit = others.iter().find_map(|d| {
                d.secrets
                    .iter()
                    .find(|s| {
                        (s.key == v.key && s.in_url == in_url) == same_key
                            && s.digest == digest
                            && !shared_source(&s.origin)
                    })
                    .map(|s| (d.environment.as_str(), s))
            });
            if hit.is_some() {
                break;
            }
        }
        let Some((env, s)) = hit else { continue };
        reported.push(digest);
        let here = &ctx.cfg.environment;
        let (key, theirs) = (&v.key, &s.key);
        let message = match (in_url, s.in_url) {
            (false, false) if s.key == v.key => {
                format!("`{key}` has the same value in {here} and {env}")
            }
            (false, false) => {
                format!("`{key}` in {here} has the same value as `{theirs}` in {env}")
            }
            (false, true) => format!(
                "`{key}` in {here} has the same value as the password in `{theirs}` in {env}"
            ),
            (true, true) if s.key == v.key => {
                format!("the password in `{key}` is the same as in {env}")
            }
            (true, true) => format!(
                "the password in `{key}` is the same as the password in `{theirs}` in {env}"
            ),
            (true, false) => {
                format!("the password in `{key}` is the same as `{theirs}` in {env}")
            }
        };
        out.var(v, message);
    }
}

fn https_redirect(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in ["FORCE_HTTPS", "SECURE_SSL_REDIRECT"] {
        for v in ctx.each(key).filter(|v| is_false(v.value.expose())) {
            out.var(v, format!("`{}` is off in {}", v.key, ctx.cfg.environment));
        }
    }
}

fn hsts(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let min = ctx.param_usize("min_seconds", 31_536_000);
    if let Some(v) = ctx.get("SECURE_HSTS_SECONDS")
        && v.value
            .expose()
            .trim()
            .parse::<u64>()
            .is_ok_and(|s| (s as usize) < min)
    {
        out.var(
            v,
            format!("`{}` = {} is below {min}", v.key, v.value.expose().trim()),
        );
    }
    for key in ["SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"] {
        for v in ctx.each(key).filter(|v| is_false(v.value.expose())) {
            out.var(v, format!("`{}` is off", v.key));
        }
    }
}

fn cookies_secure(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
    ] {
        for v in ctx.each(key).filter(|v| is_false(v.value.expose())) {
            out.var(v, format!("`{}` is off in {}", v.key, ctx.cfg.environment));
        }
    }
}

fn session_timeout(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let max = ctx.param_usize("max_seconds", 3600);
    for key in ["SESSION_TIMEOUT", "SESSION_COOKIE_AGE"] {
        for v in ctx.each(key).filter(|v| {
            v.value
                .expose()
                .trim()
                .parse::<u64>()
                .is_ok_and(|s| s as usize > max)
        }) {
            out.var(
                v,
                format!(
                    "`{}` = {} seconds is above {max}",
                    v.key,
                    v.value.expose().trim()
                ),
            );
        }
    }
}

pub(super) fn is_local_host(h: &str) -> bool {
    let h = h.trim_start_matches('.').to_ascii_lowercase();
    h == "localhost" || h.starts_with("127.") || h == "::1" || h == "[::1]" || h == "0.0.0.0"
}

fn allowed_hosts(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    if let Some(v) = ctx.get("ALLOWED_HOSTS")
        && items(v.value.expose()).next().is_none()
        // A required key left empty is reported by `schema.required`, as a
        // value still to fill in.
        && !ctx.cfg.missing_required.iter().any(|k| *k == v.key)
    {
        out.var(v, format!("`{}` is empty", v.key));
    }
    for v in ctx.each("ALLOWED_HOSTS") {
        let text = v.value.expose();
        if items(text).any(|h| h == "*") {
            out.var(v, format!("`{}` contains the wildcard `*`", v.key));
        } else if let Some(h) = items(text).find(|h| is_local_host(h)) {
            out.var(
                v,
                format!("`{}` names the local host {}", v.key, item(v, h)),
            );
        }
    }
}

fn cors(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for v in ["CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"]
        .iter()
        .flat_map(|k| ctx.each(k))
        .filter(|v| is_true(v.value.expose()))
    {
        out.var(v, format!("`{}` allows every origin", v.key));
    }
    for key in &origins::ORIGIN_LISTS[..3] {
        for v in ctx.each(key) {
            let list = origins::OriginList::parse(v.value.expose()).items;
            if list.iter().any(|o| o == "*" || o.contains("://*")) {
                out.var(v, format!("`{}` contains a wildcard", v.key));
            } else if let Some(o) = list.iter().find(|o| o.starts_with("http://")) {
                out.var(
                    v,
                    format!("`{}` allows the plain-HTTP origin {}", v.key, item(v, o)),
                );
            }
        }
    }
}

/// The addresses static files, uploads and other assets are served from.
const ASSET_URLS: &[&str] = &["STATIC_URL", "MEDIA_URL", "CDN_URL", "ASSET_URL"];

fn urls_https(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for v in origins::FRONTEND_URLS.iter().flat_map(|k| ctx.each(k)) {
        let text = v.value.expose().trim();
        let key = &v.key;
        if text.is_empty() {
            continue;
        }
        if !text.contains("://") {
            out.var(
                v,
                format!(
                    "`{key}`{} has no scheme: links built from it are not absolute (https://)",
                    shown(v)
                ),
            );
        } else if origins::host(text).is_some_and(|h| is_local_host(&h)) {
            out.var(
                v,
                format!("`{key}`{} points at the local host: links built from it (password resets, e-mails) lead users to their own machine", shown(v)),
            );
        } else if text.starts_with("http://") {
            out.var(v, format!("`{key}`{} is not https", shown(v)));
        } else if text.starts_with("https://")
            && text.ends_with('/')
            && text.matches('/').count() == 3
        {
            out.var(v, format!("`{key}`{} ends with a slash", shown(v)));
        }
    }
    // Where static files and uploads are served from: a relative path
    // (`/static/`) is the site's own, and a trailing slash is what Django
    // asks of them; an absolute one must be https, or browsers block the
    // page's scripts and styles as mixed content.
    for v in ASSET_URLS.iter().flat_map(|k| ctx.each(k)) {
        if v.value.expose().trim().starts_with("http://") {
            out.var(
                v,
                format!(
                    "`{}`{} is not https: browsers block scripts, styles and images served over plain HTTP to an https page (mixed content)",
                    v.key,
                    shown(v)
                ),
            );
        }
    }
    // Origins without a scheme are `origins.format`'s.
    for v in ctx.each("CSRF_TRUSTED_ORIGINS") {
        if let Some(o) = origins::OriginList::parse(v.value.expose())
            .items
            .iter()
            .find(|o| o.contains("://") && !o.starts_with("https://"))
        {
            out.var(
                v,
                format!("`{}` contains {}, which is not https", v.key, item(v, o)),
            );
        }
    }
}

fn database(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    if let Some(v) = ctx.first(&["DATABASE_URL", "DB_URL"]) {
        let Ok(url) = url::Url::parse(v.value.expose().trim()) else {
            // Every other database check needs the URL: say that they could
            // not run, naming the key and never the value.
            if !v.value.expose().trim().is_empty() {
                out.var(
                    v,
                    format!(
                        "`{}` is not a valid URL (percent-encode `/`, `@`, `:`, `?` and `#` in a password: %2F, %40, %3A, %3F, %23), so the database checks did not run",
                        v.key
                    ),
                );
            }
            return;
        };
        let scheme = url.scheme();
        if scheme.starts_with("sqlite") {
            out.var(v, format!("`{}` points at SQLite", v.key));
            return;
        }
        if url.host_str().is_some_and(is_local_host) {
            out.var(v, format!("`{}` points at the local host", v.key));
        }
        let tls = url.query_pairs().any(|(k, val)| {
            (k == "sslmode" && matches!(val.as_ref(), "require" | "verify-ca" | "verify-full"))
                || (matches!(k.as_ref(), "ssl" | "tls" | "useSSL") && is_true(&val))
                || (k == "ssl-mode"
                    && matches!(
                        val.to_ascii_uppercase().as_str(),
                        "REQUIRED" | "VERIFY_CA" | "VERIFY_IDENTITY"
                    ))
        });
        let global_tls = ctx
            .get("PGSSLMODE")
            .is_some_and(|m| matches!(m.value.expose(), "require" | "verify-ca" | "verify-full"));
        if (scheme.starts_with("postgres") || scheme.starts_with("mysql")) && !tls && !global_tls {
            out.var(
                v,
                format!(
                    "`{}` does not require TLS (sslmode=require or verify-full)",
                    v.key
                ),
            );
        }
    } else if let Some(v) = ctx.first(&["POSTGRES_HOST", "DB_HOST", "DATABASE_HOST", "MYSQL_HOST"])
    {
        if is_local_host(v.value.expose().trim()) {
            out.var(v, format!("`{}` is the local host", v.key));
        } else {
            database_parts_tls(ctx, v, out);
        }
    } else if ctx.django
        && ctx
            .first(&["DB_NAME", "POSTGRES_DB", "MYSQL_DATABASE"])
            .is_none()
        && ctx.unset("DATABASE_URL")
    {
        out.unset(
            ctx,
            "DATABASE_URL",
            "no database is configured: `DATABASE_URL` is not set (nor DB_HOST, POSTGRES_HOST…), and Django settings that read it fall back to their default, usually SQLite".into(),
        );
    }
}

/// The SSL mode keys of a database given as parts: libpq's `PGSSLMODE`
/// and `POSTGRES_SSLMODE` for PostgreSQL, `MYSQL_SSL_MODE` for MySQL, and
/// the names settings of either read.
const PG_SSL_MODES: &[&str] = &["PGSSLMODE", "POSTGRES_SSLMODE"];
const MYSQL_SSL_MODES: &[&str] = &["MYSQL_SSL_MODE"];
const DB_SSL_MODES: &[&str] = &[
    "DB_SSLMODE",
    "DB_SSL_MODE",
    "DATABASE_SSLMODE",
    "DATABASE_SSL_MODE",
];

/// A database given as separate parts (`DB_HOST`, `POSTGRES_HOST`…) on a
/// host that is not local: its SSL mode keys must require TLS. An explicit
/// mode that does not (`disable`, `allow`, `prefer`; MySQL's `DISABLED`,
/// `PREFERRED`) is reported at its own line; no mode key at all, on the
/// host key. PostgreSQL or MySQL is told by the host key, `DB_ENGINE`, or
/// the port; when nothing tells, the keys of both count.
fn database_parts_tls(ctx: &Ctx<'_>, host: &crate::value::Var, out: &mut Emit<'_>) {
    let engine = ctx
        .first(&["DB_ENGINE", "DATABASE_ENGINE"])
        .map(|v| v.value.expose().to_ascii_lowercase())
        .unwrap_or_default();
    let port = ctx
        .first(&["DB_PORT", "DATABASE_PORT", "POSTGRES_PORT", "MYSQL_PORT"])
        .map(|v| v.value.expose().trim().to_string())
        .unwrap_or_default();
    let (postgres, mysql) = if super::super::setting::is(&host.key, "POSTGRES_HOST") {
        (true, false)
    } else if super::super::setting::is(&host.key, "MYSQL_HOST") {
        (false, true)
    } else if engine.contains("postgres") || engine.contains("psycopg") || port == "5432" {
        (true, false)
    } else if engine.contains("mysql") || engine.contains("maria") || port == "3306" {
        (false, true)
    } else {
        (true, true)
    };
    let keys = DB_SSL_MODES
        .iter()
        .chain(PG_SSL_MODES.iter().filter(|_| postgres))
        .chain(MYSQL_SSL_MODES.iter().filter(|_| mysql));
    let mut modes = 0;
    let mut weak = Vec::new();
    for key in keys {
        for v in ctx.each(key) {
            let mode = v.value.expose().trim().to_ascii_lowercase();
            if mode.is_empty() {
                continue;
            }
            modes += 1;
            match mode.as_str() {
                "require" | "verify-ca" | "verify-full" | "required" | "verify_ca"
                | "verify_identity" => {}
                _ => weak.push(v),
            }
        }
    }
    for v in weak {
        let known = matches!(
            v.value.expose().trim().to_ascii_lowercase().as_str(),
            "disable" | "allow" | "prefer" | "disabled" | "preferred"
        );
        out.var(
            v,
            if known {
                format!(
                    "`{}`{} does not require TLS to the database at `{}`{}",
                    v.key,
                    shown(v),
                    host.key,
                    shown(host)
                )
            } else {
                format!(
                    "`{}`{} is not an SSL mode that requires TLS (require, verify-ca, verify-full; MySQL: REQUIRED, VERIFY_CA, VERIFY_IDENTITY)",
                    v.key,
                    shown(v)
                )
            },
        );
    }
    if modes == 0 {
        let wanted = match (postgres, mysql) {
            (true, false) => "PGSSLMODE=require or verify-full",
            (false, true) => "MYSQL_SSL_MODE=REQUIRED or VERIFY_IDENTITY",
            _ => "PGSSLMODE=require, or MYSQL_SSL_MODE=REQUIRED",
        };
        out.var(
            host,
            format!(
                "`{}` is a database host that is not local and TLS not required: no SSL mode is set ({wanted})",
                host.key
            ),
        );
    }
}

fn database_credentials(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let url_user = ctx.first(&["DATABASE_URL", "DB_URL"]).and_then(|v| {
        url::Url::parse(v.value.expose().trim())
            .ok()
            .map(|u| (v, u))
    });
    let users = ["POSTGRES_USER", "DB_USER", "MYSQL_USER", "DATABASE_USER"];
    let user = ctx
        .first(&users)
        .map(|v| v.value.expose().trim().to_string());
    if let Some(v) = ctx.first(&users)
        && matches!(
            v.value.expose().trim().to_ascii_lowercase().as_str(),
            "postgres" | "root" | "admin" | "sa"
        )
    {
        out.var(
            v,
            format!(
                "`{}` is the default superuser `{}`",
                v.key,
                v.value.expose().trim()
            ),
        );
    }
    if let Some((v, u)) = &url_user
        && matches!(
            u.username().to_ascii_lowercase().as_str(),
            "postgres" | "root" | "admin" | "sa"
        )
    {
        out.var(
            v,
            format!(
                "`{}` connects as the default superuser `{}`",
                v.key,
                u.username()
            ),
        );
    }
    for key in [
        "POSTGRES_PASSWORD",
        "DB_PASSWORD",
        "MYSQL_PASSWORD",
        "DATABASE_PASSWORD",
    ] {
        // An empty password is a value still to fill in (`schema.required`
        // says so), not a weak one.
        for v in ctx.each(key).filter(|v| {
            !v.value.expose().is_empty() && weak_password(v.value.expose(), user.as_deref())
        }) {
            out.var(v, format!("`{}` is a weak or default password", v.key));
        }
    }
    // The password inside the URL, checked the same way (against the
    // URL's own user), never quoted.
    if let Some((v, u)) = &url_user
        && let Some(password) = u.password()
    {
        let password = percent_decoded(password);
        let url_user = percent_decoded(u.username());
        let user = if url_user.is_empty() {
            user.as_deref()
        } else {
            Some(url_user.as_str())
        };
        if weak_password(&password, user) {
            out.var(v, format!("`{}` holds a weak or default password", v.key));
        }
    }
}

/// A default password, one equal to the user name, or one shorter than 12
/// characters.
fn weak_password(password: &str, user: Option<&str>) -> bool {
    const WEAK: &[&str] = &[
        "postgres", "password", "admin", "123456", "root", "mysql", "changeme", "secret",
    ];
    WEAK.contains(&password.to_ascii_lowercase().as_str())
        || user == Some(password)
        || password.chars().count() < 12
}

/// `%XX` escapes of a URL part decoded (invalid ones kept as written).
pub(super) fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A per-process cache or broker, or one on the local host.
fn cache_production_ready(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for v in ctx.each("CACHE_BACKEND") {
        let backend = v.value.expose().trim().to_ascii_lowercase();
        if ["locmem", "dummy", "filebased"]
            .iter()
            .any(|b| backend.contains(b))
        {
            out.var(
                v,
                format!(
                    "`{}`{} is a per-process cache: each worker and replica has its own, so cached data, sessions and rate-limit counters are not shared",
                    v.key,
                    shown(v)
                ),
            );
        }
    }
    for key in [
        "REDIS_URL",
        "CACHE_URL",
        "CACHE_LOCATION",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
    ] {
        for v in ctx.each(key) {
            let text = v.value.expose().trim();
            let Ok(url) = url::Url::parse(text) else {
                continue;
            };
            let scheme = url.scheme().to_ascii_lowercase();
            if matches!(
                scheme.as_str(),
                "locmemcache" | "dummycache" | "filecache" | "memory" | "cache+memory"
            ) {
                out.var(
                    v,
                    format!(
                        "`{}` uses {scheme}://, which lives in one process: workers and replicas do not share it",
                        v.key
                    ),
                );
            } else if url.host_str().is_some_and(is_local_host) {
                out.var(
                    v,
                    format!(
                        "`{}` points at the local host: each machine has its own, and it is gone with the machine",
                        v.key
                    ),
                );
            }
        }
    }
    for v in ctx
        .each("REDIS_HOST")
        .filter(|v| is_local_host(v.value.expose().trim()))
    {
        out.var(v, format!("`{}` is the local host", v.key));
    }
}

fn redis_tls(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in ["REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL"] {
        for v in ctx
            .each(key)
            .filter(|v| v.value.expose().trim().starts_with("redis://"))
        {
            out.var(v, format!("`{}` uses redis:// (no TLS)", v.key));
        }
    }
}

/// The mail backend's setting, in lower case, when it is set.
fn email_backend(ctx: &Ctx<'_>) -> Option<String> {
    ctx.get("EMAIL_BACKEND")
        .map(|v| v.value.expose().trim().to_ascii_lowercase())
        .filter(|b| !b.is_empty())
}

/// Whether mail goes out over SMTP: the backend is an SMTP one, or none is
/// set (Django's default is SMTP) and EMAIL_HOST is.
fn sends_smtp(ctx: &Ctx<'_>) -> bool {
    match email_backend(ctx) {
        Some(b) => b.contains("smtp"),
        None => ctx.first(&["EMAIL_HOST"]).is_some(),
    }
}

fn email_tls(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    if let Some(v) = ctx.get("EMAIL_BACKEND") {
        let b = v.value.expose().to_ascii_lowercase();
        if b.contains("console")
            || b.contains("dummy")
            || b.contains("locmem")
            || b.contains("filebased")
        {
            out.var(
                v,
                format!("`{}` = {:?} does not send mail", v.key, v.value.expose()),
            );
            return;
        }
    }
    let host = ctx.first(&["EMAIL_HOST"]);
    // An SMTP backend without EMAIL_HOST sends to Django's default host,
    // localhost, on EMAIL_PORT (default 25).
    let backend = ctx
        .get("EMAIL_BACKEND")
        .filter(|v| v.value.expose().to_ascii_lowercase().contains("smtp"));
    if host.is_none() && backend.is_none() {
        return;
    }
    let on = |k: &str| ctx.get(k).filter(|v| is_true(v.value.expose()));
    if let (Some(tls), Some(ssl)) = (on("EMAIL_USE_TLS"), on("EMAIL_USE_SSL")) {
        out.var(
            ssl,
            format!(
                "`{}` and `{}` are both on: Django refuses to send (they are mutually exclusive)",
                tls.key, ssl.key
            ),
        );
        return;
    }
    // The port decides which of the two the server speaks: implicit TLS
    // on 465, STARTTLS on 587.
    let port = ctx
        .first(&["EMAIL_PORT"])
        .filter(|p| !p.sensitive)
        .map(|p| p.value.expose().trim());
    match (port, on("EMAIL_USE_TLS"), on("EMAIL_USE_SSL")) {
        (Some("465"), Some(tls), None) => out.var(
            tls,
            format!(
                "`{}` is on with EMAIL_PORT=465: port 465 expects TLS from the first byte (EMAIL_USE_SSL=True), and STARTTLS there hangs until the timeout",
                tls.key
            ),
        ),
        (Some("587"), None, Some(ssl)) => out.var(
            ssl,
            format!(
                "`{}` is on with EMAIL_PORT=587: port 587 expects STARTTLS (EMAIL_USE_TLS=True), and a TLS handshake there fails",
                ssl.key
            ),
        ),
        _ => {}
    }
    if on("EMAIL_USE_TLS").is_some() || on("EMAIL_USE_SSL").is_some() {
        return;
    }
    let Some(target) = ctx.get("EMAIL_USE_TLS").or(host).or(backend) else {
        return;
    };
    let message = match host {
        Some(_) => "mail is sent without TLS (EMAIL_USE_TLS / EMAIL_USE_SSL are off)".to_string(),
        None => format!(
            "mail is sent without TLS to localhost:{}: the SMTP backend is on, EMAIL_HOST is not set (Django's default is localhost) and EMAIL_USE_TLS / EMAIL_USE_SSL are off",
            match ctx.first(&["EMAIL_PORT"]) {
                None => "25",
                Some(p) if p.sensitive => "EMAIL_PORT",
                Some(p) => p.value.expose().trim(),
            }
        ),
    };
    out.var(target, message);
}

fn email_port(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for v in ["EMAIL_PORT", "SMTP_PORT"]
        .iter()
        .flat_map(|k| ctx.each(k))
        .filter(|v| v.value.expose().trim() == "25")
    {
        out.var(
            v,
            format!(
                "`{}` = 25 is the port mail servers relay on: cloud providers block it, and it rarely requires TLS",
                v.key
            ),
        );
    }
    if ctx.django && sends_smtp(ctx) && ctx.unset("EMAIL_PORT") {
        out.unset(
            ctx,
            "EMAIL_PORT",
            "`EMAIL_PORT` is not set, and Django's default is 25: the port mail servers relay on, blocked by cloud providers and rarely requiring TLS".into(),
        );
    }
}

fn shell_substitution(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for v in ctx.cfg.iter() {
        let t = v.value.expose();
        if t.contains("$(") || t.contains('`') {
            out.var(
                v,
                format!("`{}` contains a shell command substitution", v.key),
            );
        }
    }
}

fn headers(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let get = |k: &str| ctx.get(k);
    if let Some(v) = get("X_FRAME_OPTIONS")
        && !v.value.expose().trim().eq_ignore_ascii_case("DENY")
    {
        out.var(v, format!("`{}`{} is not DENY", v.key, shown(v)));
    }
    if let Some(v) = get("SECURE_CONTENT_TYPE_NOSNIFF").filter(|v| is_false(v.value.expose())) {
        out.var(v, format!("`{}` is off", v.key));
    }
    const REFERRER: &[&str] = &[
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "origin",
        "origin-when-cross-origin",
        "no-referrer-when-downgrade",
        "unsafe-url",
    ];
    if let Some(v) = get("SECURE_REFERRER_POLICY") {
        let policies: Vec<String> = items(v.value.expose())
            .map(str::to_ascii_lowercase)
            .collect();
        if policies.iter().any(|p| !REFERRER.contains(&p.as_str())) {
            out.var(
                v,
                format!("`{}`{} is not a valid referrer policy", v.key, shown(v)),
            );
        } else if policies
            .iter()
            .any(|p| p == "unsafe-url" || p == "no-referrer-when-downgrade")
        {
            out.var(
                v,
                format!("`{}`{} leaks full URLs to other sites", v.key, shown(v)),
            );
        }
    }
    if let Some(v) = get("SECURE_CROSS_ORIGIN_OPENER_POLICY") {
        let p = v.value.expose().trim().to_ascii_lowercase();
        if !matches!(p.as_str(), "same-origin" | "same-origin-allow-popups") {
            out.var(v, format!("`{}`{} is not same-origin", v.key, shown(v)));
        }
    }
    for key in ["SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE"] {
        if let Some(v) = get(key) {
            let p = v.value.expose().trim().to_ascii_lowercase();
            if !matches!(p.as_str(), "lax" | "strict") {
                out.var(v, format!("`{}`{} is not Lax or Strict", v.key, shown(v)));
            }
        }
    }
}

/// django-csp 3.x's lists (CSP_DEFAULT_SRC is script-src's fallback, and
/// everything else's), a whole policy in one setting, report-only mode.
fn csp(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    use crate::csp::{Kind, script_weakness, setting_sources, weak_sources};
    for (key, kind) in [
        ("CSP_DEFAULT_SRC", Kind::Scripts),
        ("CSP_SCRIPT_SRC", Kind::Scripts),
        ("CSP_STYLE_SRC", Kind::Styles),
    ] {
        for v in ctx.each(key) {
            let weak = weak_sources(&setting_sources(v.value.expose()), kind);
            if !weak.is_empty() {
                let what = match kind {
                    Kind::Scripts => "scripts run",
                    Kind::Styles => "stylesheets load",
                };
                out.var(
                    v,
                    format!("`{}` lets {what} from {}", v.key, weak.join(", ")),
                );
            }
        }
    }
    for key in ["CONTENT_SECURITY_POLICY", "CSP_POLICY"] {
        for v in ctx.each(key) {
            let policy = v.value.expose().trim();
            // django-csp 4 keeps its policy as a dict in settings.py, not
            // here; a JSON object is not a header value.
            if policy.is_empty() || policy.starts_with('{') {
                continue;
            }
            if let Some(why) = script_weakness(policy) {
                out.var(v, format!("the policy in `{}` {why}", v.key));
            }
        }
    }
    for v in ctx
        .each("CSP_REPORT_ONLY")
        .filter(|v| is_true(v.value.expose()))
    {
        out.var(
            v,
            format!(
                "`{}` is on: the policy is only reported, nothing is blocked",
                v.key
            ),
        );
    }
}

fn proxy_header(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let behind = ["USE_X_FORWARDED_HOST", "BEHIND_PROXY", "TRUST_PROXY"]
        .iter()
        .find_map(|k| ctx.get(k).filter(|v| is_true(v.value.expose())));
    let Some(behind) = behind else { return };
    match ctx.get("SECURE_PROXY_SSL_HEADER") {
        Some(v) => {
            let norm: String = v
                .value
                .expose()
                .chars()
                .filter(|c| !c.is_whitespace() && !"()'\"".contains(*c))
                .collect();
            if !norm.eq_ignore_ascii_case("HTTP_X_FORWARDED_PROTO,https") {
                out.var(
                    v,
                    format!(
                        "`{}`{} is not HTTP_X_FORWARDED_PROTO,https",
                        v.key,
                        shown(v)
                    ),
                );
            }
        }
        None => out.var(
            behind,
            format!(
                "`{}` is on but SECURE_PROXY_SSL_HEADER is not set",
                behind.key
            ),
        ),
    }
}

fn api_local(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for key in ["API_HOST", "HOST", "SERVER_NAME", "PUBLIC_HOST"] {
        for v in ctx.each(key).filter(|v| {
            is_local_host(v.value.expose().trim()) && v.value.expose().trim() != "0.0.0.0"
        }) {
            out.var(v, format!("`{}`{} is the local host", v.key, shown(v)));
        }
    }
}

fn ports(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    for v in ctx
        .cfg
        .iter()
        .filter(|v| v.key == "PORT" || v.key.ends_with("_PORT"))
    {
        let text = v.value.expose().trim();
        if text.is_empty() {
            continue;
        }
        match text.parse::<u32>() {
            Ok(p)
                if (1..1024).contains(&p)
                    && !v.key.starts_with("EMAIL")
                    && !v.key.starts_with("SMTP") =>
            {
                out.var(v, format!("`{}` = {p} is a privileged port", v.key));
            }
            Ok(p) if (1..=65535).contains(&p) => {}
            _ => out.var(
                v,
                format!("`{}`{} is not a port (1–65535)", v.key, shown(v)),
            ),
        }
    }
}

fn secret_in_plain_url(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    // A value with a URL password is sensitive unless the schema says
    // otherwise: those are the ones to report.
    for v in ctx.cfg.iter().filter(|v| !v.sensitive) {
        if crate::secret::has_url_password(v.value.expose()) {
            out.var(
                v,
                format!(
                    "`{}` carries a password in its URL but is declared not sensitive",
                    v.key
                ),
            );
        }
    }
}

/// An env file holding secrets in clear: its path (relative to the
/// project), the line of the first one, and every key written in clear.
struct ClearFile {
    path: std::path::PathBuf,
    line: u32,
    keys: Vec<String>,
}

impl ClearFile {
    /// `` `A`, `B` `` for messages (keys only, never values).
    fn keys(&self) -> String {
        self.keys
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Env files that write a secret in clear (not encrypted, not empty), in
/// every definition of every key, including keys whose encrypted value
/// no identity opens: the result does not depend on the identities
/// present.
fn files_with_secrets(ctx: &Ctx<'_>) -> Vec<ClearFile> {
    let mut out: Vec<ClearFile> = Vec::new();
    let vars = ctx.cfg.iter().chain(ctx.cfg.withheld.values());
    for v in vars {
        let defs = std::iter::once((&v.origin, v.in_clear))
            .chain(v.overridden.iter().map(|o| (&o.origin, o.in_clear)));
        for (origin, in_clear) in defs {
            let crate::source::Origin::File { path, line, .. } = origin else {
                continue;
            };
            if !in_clear {
                continue;
            }
            match out.iter_mut().find(|f| *f.path == **path) {
                Some(f) => {
                    f.line = f.line.min(*line);
                    if !f.keys.iter().any(|k| *k == v.key) {
                        f.keys.push(v.key.to_string());
                    }
                }
                None => out.push(ClearFile {
                    path: path.to_path_buf(),
                    line: *line,
                    keys: vec![v.key.to_string()],
                }),
            }
        }
    }
    for f in &mut out {
        f.keys.sort();
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The key defined at `line` of `file` (the first secret in clear there).
fn first_key<'a>(ctx: &'a Ctx<'_>, file: &'a ClearFile) -> &'a str {
    ctx.cfg
        .iter()
        .chain(ctx.cfg.withheld.values())
        .find(|v| {
            std::iter::once(&v.origin)
                .chain(v.overridden.iter().map(|o| &o.origin))
                .any(|o| {
                    matches!(o, crate::source::Origin::File { path, line, .. }
                        if **path == *file.path && *line == file.line)
                })
        })
        .map_or_else(|| file.keys[0].as_str(), |v| v.key.as_str())
}

fn file_permissions(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    #[cfg(unix)]
    for f in files_with_secrets(ctx) {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(ctx.cfg.root.join(&f.path)) else {
            continue;
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o037 != 0 {
            out.at(
                &f.path,
                f.line,
                first_key(ctx, &f),
                format!(
                    "{} holds secrets in clear ({}) and has mode {mode:04o}",
                    f.path.display(),
                    f.keys()
                ),
            );
        }
    }
}

fn file_git(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    let files = files_with_secrets(ctx);
    if files.is_empty() {
        return;
    }
    let Some(git) = ctx.shared.git(ctx.all) else {
        return;
    };
    for f in &files {
        let shown = f.path.to_string_lossy();
        let what = if git.tracked.contains(shown.as_ref()) {
            "is tracked by git"
        } else if !git.ignored.contains(shown.as_ref()) {
            "is not git-ignored"
        } else {
            continue;
        };
        out.at(
            &f.path,
            f.line,
            first_key(ctx, f),
            format!("{shown} holds secrets in clear ({}) and {what}", f.keys()),
        );
    }
}

fn example_secret(ctx: &Ctx<'_>, out: &mut Emit<'_>) {
    // One file for every environment: report it once per run.
    if ctx
        .all
        .first()
        .is_some_and(|first| first.environment != ctx.cfg.environment)
    {
        return;
    }
    let path = ctx.cfg.root.join(".env.example");
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let Ok(doc) = crate::dotenv::Document::parse_vec(bytes) else {
        return;
    };
    for e in doc.entries() {
        let sensitive = ctx.cfg.get(e.key()).map_or_else(
            || crate::secret::is_sensitive_name(e.key()),
            |v| v.sensitive,
        );
        let value = e.template().as_literal().unwrap_or("x");
        // A key not set in the environment is judged by the one
        // sensitivity rule on the example value too (a URL with a password).
        let sensitive = sensitive
            || ctx.cfg.get(e.key()).is_none()
                && crate::secret::Sensitivity::of(None, e.key(), value).is_secret();
        // A URL is judged by its password: `postgres://app:<password>@db`.
        let judged = match crate::secret::url_userinfo(value) {
            Some(r) => value[r.start..r.end - 1]
                .split_once(':')
                .map_or("", |(_, password)| password),
            None => value,
        };
        if sensitive && !is_placeholder(judged) {
            out.at(
                std::path::Path::new(".env.example"),
                e.line(),
                e.key(),
                format!(
                    ".env.example holds a value for the sensitive key `{}`",
                    e.key()
                ),
            );
        }
    }
}
