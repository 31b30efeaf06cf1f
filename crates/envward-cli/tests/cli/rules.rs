//! Security rules: every rule fires on a bad production value and stays
//! quiet on a good one; exceptions need a reason; `rules` documents them.

use serde_json::Value;

use crate::harness::Project;

/// A strict production whose secrets are written in clear on purpose:
/// `secret.plaintext-in-strict` would fire on every case, so it is off here
/// (it has tests of its own).
const SCHEMA: &str = "[environments.production]\nstrict = true\n[rules.\"secret.plaintext-in-strict\"]\nenabled = false\n";

/// Env files with secrets are private here, so that only the rule under
/// test fires (`files.permissions` has its own tests).
fn private(p: &Project, files: &[&str]) {
    #[cfg(unix)]
    for f in files {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (p, files);
}

/// `check -e production` as JSON: the findings as (rule, second field),
/// the second field picked by `field` (`key` or the origin's path).
fn production_findings(p: &Project, field: fn(&Value) -> String) -> Vec<(String, String)> {
    let v: Value = p.check_json("production");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), field(f)))
        .collect()
}

fn rules_in(env_file: &str, extra_schema: &str) -> Vec<(String, String)> {
    let p = Project::with(&[
        ("envward.toml", &format!("{SCHEMA}{extra_schema}")),
        (".env.production", env_file),
    ]);
    private(&p, &[".env.production"]);
    production_findings(&p, |f| f["key"].as_str().unwrap_or("").to_string())
}

const STRONG: &str = "Xk2#pQ9!vL4@mN7+wR1%tY6^zB3&cD8*eF5(gH0)jK";

#[test]
fn every_rule_fires_and_stays_quiet() {
    let strong_django = format!("{STRONG}-aZ9qW3eR7tY1u");
    let cases: Vec<(&str, String, String)> = vec![
        ("debug.enabled", "DEBUG=True".into(), "DEBUG=False".into()),
        (
            "secret.too-short-to-redact",
            "API_TOKEN=abc12".into(),
            format!("API_TOKEN={STRONG}"),
        ),
        (
            "debug.enabled",
            "DJANGO_DEBUG=on".into(),
            "DJANGO_DEBUG=off".into(),
        ),
        (
            "debug.development-mode",
            "NODE_ENV=development".into(),
            "NODE_ENV=production".into(),
        ),
        (
            "debug.log-level",
            "LOG_LEVEL=DEBUG".into(),
            "LOG_LEVEL=INFO".into(),
        ),
        (
            "secret.min-length",
            "API_TOKEN=short-token-123".into(),
            format!("API_TOKEN={STRONG}"),
        ),
        (
            "secret.min-length",
            format!("DJANGO_SECRET_KEY={STRONG}"),
            format!("DJANGO_SECRET_KEY={strong_django}"),
        ),
        (
            "secret.min-length",
            "SIGNING_KEY=Xk2#pQ9!vL4@mN7+wR1%tY6^".into(),
            format!("SIGNING_KEY={STRONG}"),
        ),
        (
            "secret.min-length",
            "EMAIL_HOST_PASSWORD=Xk2#pQ9!vL4@".into(),
            "EMAIL_HOST_PASSWORD=Xk2#pQ9!vL4@mN7+wR1%t".into(),
        ),
        (
            "secret.weak",
            "API_TOKEN=dummy-token-value-for-local-runs".into(),
            format!("API_TOKEN={STRONG}"),
        ),
        (
            "secret.weak",
            "SECRET_KEY=test-secret-key-0123456789abcdef0123456789abcdef".into(),
            format!("SECRET_KEY={strong_django}"),
        ),
        (
            "secret.weak",
            format!("SECRET_KEY={}", "changeme".repeat(7)),
            format!("SECRET_KEY={strong_django}"),
        ),
        (
            "secret.weak",
            "DB_PASSWORD=Password123456!".into(),
            "DB_PASSWORD=n8Vq2-Lx7Rt-Wz4Kp-9Hd3F".into(),
        ),
        (
            "secret.weak",
            "API_TOKEN=changeme".into(),
            format!("API_TOKEN={STRONG}"),
        ),
        (
            "secret.weak",
            format!("SECRET_KEY=django-insecure-{STRONG}"),
            format!("SECRET_KEY={strong_django}"),
        ),
        (
            "secret.weak",
            format!("API_TOKEN={}", "ab".repeat(20)),
            format!("API_TOKEN={STRONG}"),
        ),
        (
            "secret.weak",
            "SECRET_KEY=abcdefghijklmnopqrstuvwxyzabcdefghijABCDEFGHIJKLMNOP".into(),
            format!("SECRET_KEY={strong_django}"),
        ),
        (
            "secret.weak",
            format!("API_KEY={}", "0123456789".repeat(4)),
            format!("API_KEY={STRONG}"),
        ),
        (
            "secret.weak",
            "DB_PASSWORD=Summer2024!xSummer2024!x".into(),
            "DB_PASSWORD=n8Vq2-Lx7Rt-Wz4Kp-9Hd3F".into(),
        ),
        (
            "secret.reused-across-keys",
            format!("SECRET_KEY={strong_django}\nJWT_SECRET_KEY={strong_django}"),
            format!("SECRET_KEY={strong_django}\nJWT_SECRET_KEY={STRONG}"),
        ),
        (
            "https.redirect",
            "FORCE_HTTPS=False".into(),
            "FORCE_HTTPS=True".into(),
        ),
        (
            "https.redirect",
            "SECURE_SSL_REDIRECT=0".into(),
            "SECURE_SSL_REDIRECT=1".into(),
        ),
        (
            "https.hsts",
            "SECURE_HSTS_SECONDS=3600".into(),
            "SECURE_HSTS_SECONDS=31536000".into(),
        ),
        (
            "cookies.secure",
            "SESSION_COOKIE_SECURE=False".into(),
            "SESSION_COOKIE_SECURE=True".into(),
        ),
        (
            "session.timeout",
            "SESSION_TIMEOUT=86400".into(),
            "SESSION_TIMEOUT=1800".into(),
        ),
        (
            "hosts.allowed",
            "ALLOWED_HOSTS=*".into(),
            "ALLOWED_HOSTS=app.example.com".into(),
        ),
        (
            "hosts.allowed",
            "ALLOWED_HOSTS=app.example.com,localhost".into(),
            "ALLOWED_HOSTS=app.example.com,www.example.com".into(),
        ),
        (
            "hosts.allowed",
            "DJANGO_ALLOWED_HOSTS=*".into(),
            "DJANGO_ALLOWED_HOSTS=app.example.com".into(),
        ),
        (
            "cors.origins",
            "CORS_ALLOWED_ORIGINS=https://a.example,http://b.example".into(),
            "CORS_ALLOWED_ORIGINS=https://a.example".into(),
        ),
        (
            "cors.origins",
            "CORS_ALLOW_ALL_ORIGINS=True".into(),
            "CORS_ALLOW_ALL_ORIGINS=False".into(),
        ),
        (
            "urls.https",
            "BASE_URL=http://app.example.com".into(),
            "BASE_URL=https://app.example.com".into(),
        ),
        (
            "urls.https",
            "CSRF_TRUSTED_ORIGINS=http://app.example.com".into(),
            "CSRF_TRUSTED_ORIGINS=https://app.example.com".into(),
        ),
        (
            "urls.https",
            "FRONTEND_URL=app.example.com".into(),
            "FRONTEND_URL=https://app.example.com".into(),
        ),
        (
            "urls.https",
            "FRONTEND_URL=https://localhost:3000".into(),
            "FRONTEND_URL=https://app.example.com".into(),
        ),
        (
            "database.production-ready",
            "DATABASE_URL=sqlite:///db.sqlite3".into(),
            "DATABASE_URL=postgres://app@db.internal/app?sslmode=require".into(),
        ),
        (
            "database.production-ready",
            "DATABASE_URL=postgres://app@db.internal/app".into(),
            "DATABASE_URL=postgres://app@db.internal/app?sslmode=verify-full".into(),
        ),
        (
            "database.production-ready",
            "DATABASE_URL=postgres://app@localhost/app?sslmode=require".into(),
            "DATABASE_URL=postgres://app@db.internal/app?sslmode=require".into(),
        ),
        (
            "database.credentials",
            "POSTGRES_USER=postgres".into(),
            "POSTGRES_USER=app".into(),
        ),
        (
            "database.credentials",
            "POSTGRES_USER=app\nPOSTGRES_PASSWORD=password".into(),
            format!("POSTGRES_USER=app\nPOSTGRES_PASSWORD={STRONG}"),
        ),
        (
            "cache.tls",
            "REDIS_URL=redis://cache.internal:6379/0".into(),
            "REDIS_URL=rediss://cache.internal:6380/0".into(),
        ),
        (
            "cache.production-ready",
            "CACHE_BACKEND=django.core.cache.backends.locmem.LocMemCache".into(),
            "CACHE_BACKEND=django.core.cache.backends.redis.RedisCache".into(),
        ),
        (
            "email.tls",
            "EMAIL_HOST=smtp.example.com\nEMAIL_USE_TLS=False".into(),
            "EMAIL_HOST=smtp.example.com\nEMAIL_USE_TLS=True".into(),
        ),
        (
            "email.tls",
            "EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend".into(),
            "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend\nEMAIL_HOST=smtp.example.com\nEMAIL_USE_TLS=True".into(),
        ),
        (
            // No EMAIL_HOST: Django sends to localhost:25, in clear.
            "email.tls",
            "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend\nEMAIL_USE_TLS=False".into(),
            "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend\nEMAIL_USE_TLS=True".into(),
        ),
        (
            "email.port",
            "EMAIL_HOST=smtp.example.com\nEMAIL_PORT=25\nEMAIL_USE_TLS=True".into(),
            "EMAIL_HOST=smtp.example.com\nEMAIL_PORT=587\nEMAIL_USE_TLS=True".into(),
        ),
        (
            "origins.format",
            "CORS_ALLOWED_ORIGINS=https://a.example/".into(),
            "CORS_ALLOWED_ORIGINS=https://a.example".into(),
        ),
        (
            "origins.format",
            "CSRF_TRUSTED_ORIGINS=app.example.com".into(),
            "CSRF_TRUSTED_ORIGINS=https://app.example.com".into(),
        ),
        (
            "origins.format",
            "CORS_ALLOWED_ORIGINS=https://a.example, https://b.example".into(),
            "CORS_ALLOWED_ORIGINS=https://a.example,https://b.example".into(),
        ),
        (
            "csrf.trusted-origins",
            "DJANGO_SETTINGS_MODULE=site.settings\nALLOWED_HOSTS=api.example.com\nCORS_ALLOWED_ORIGINS=https://app.example.com".into(),
            "DJANGO_SETTINGS_MODULE=site.settings\nALLOWED_HOSTS=api.example.com\nCORS_ALLOWED_ORIGINS=https://app.example.com\nCSRF_TRUSTED_ORIGINS=https://app.example.com".into(),
        ),
        (
            "value.shell-substitution",
            "GREETING='$(whoami)'".into(),
            "GREETING=hello".into(),
        ),
        (
            "headers.security",
            "X_FRAME_OPTIONS=SAMEORIGIN".into(),
            "X_FRAME_OPTIONS=DENY".into(),
        ),
        (
            "headers.security",
            "SECURE_CONTENT_TYPE_NOSNIFF=False".into(),
            "SECURE_CONTENT_TYPE_NOSNIFF=True".into(),
        ),
        (
            "headers.security",
            "SECURE_REFERRER_POLICY=unsafe-url".into(),
            "SECURE_REFERRER_POLICY=strict-origin-when-cross-origin".into(),
        ),
        (
            "headers.security",
            "SECURE_REFERRER_POLICY=bogus".into(),
            "SECURE_REFERRER_POLICY=same-origin".into(),
        ),
        (
            "headers.security",
            "SECURE_CROSS_ORIGIN_OPENER_POLICY=unsafe-none".into(),
            "SECURE_CROSS_ORIGIN_OPENER_POLICY=same-origin".into(),
        ),
        (
            "headers.security",
            "SESSION_COOKIE_SAMESITE=None".into(),
            "SESSION_COOKIE_SAMESITE=Lax".into(),
        ),
        (
            "headers.csp",
            "CSP_SCRIPT_SRC=\"'self','unsafe-inline'\"".into(),
            "CSP_SCRIPT_SRC=\"'self'\"".into(),
        ),
        (
            "headers.csp",
            "CONTENT_SECURITY_POLICY=\"default-src * 'unsafe-eval'\"".into(),
            "CONTENT_SECURITY_POLICY=\"default-src 'self'\"".into(),
        ),
        (
            "headers.csp",
            "CSP_REPORT_ONLY=True".into(),
            "CSP_REPORT_ONLY=False".into(),
        ),
        (
            "https.proxy-header",
            "USE_X_FORWARDED_HOST=True".into(),
            "USE_X_FORWARDED_HOST=True\nSECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https"
                .into(),
        ),
        (
            "settings.unrecognised-prefix",
            "MYAPP_DEBUG=False\nMYAPP_SECRET_KEY=x".into(),
            "DEBUG=False\nMYAPP_DEBUG=False\nMYAPP_SECRET_KEY=x".into(),
        ),
        (
            "hosts.api-local",
            "API_HOST=127.0.0.1".into(),
            "API_HOST=api.example.com".into(),
        ),
        ("ports.valid", "API_PORT=80".into(), "API_PORT=8080".into()),
        (
            "ports.valid",
            "API_PORT=99999".into(),
            "API_PORT=8443".into(),
        ),
    ];
    for (rule, bad, good) in &cases {
        let fired = rules_in(&format!("{bad}\n"), "");
        assert!(
            fired.iter().any(|(r, _)| r == rule),
            "{rule} should fire on {bad:?}, got {fired:?}"
        );
        let quiet = rules_in(&format!("{good}\n"), "");
        assert!(
            !quiet.iter().any(|(r, _)| r == rule),
            "{rule} should stay quiet on {good:?}, got {quiet:?}"
        );
    }
    // Every built-in rule is covered above.
    let listed = Project::new().run(&["rules"]).ok().stdout();
    for line in listed.lines() {
        let id = line.split_whitespace().next().unwrap();
        // These have tests of their own below.
        let own_tests = [
            "secret.reused-across-environments",
            // environments_apart.rs (compares two environments)
            "env.isolation",
            "secret.in-plain-url",
            "files.permissions",
            "files.git",
            "example.secret",
            // encryption.rs: secret_max_age_flags_old_rotations_even_without_an_identity
            "secret.max-age",
            // history.rs: unrecorded_changes_of_production_are_warned
            "history.unrecorded-change",
            // secrets.rs
            "secret.plaintext-in-strict",
            "files.identity-permissions",
            // gate_env.rs
            "env.name-mismatch",
            "hosts.serves-public-url",
            "config.missing-in-strict",
            "jwt.algorithm",
            "jwt.lifetime",
        ];
        if !own_tests.contains(&id) {
            assert!(
                cases.iter().any(|(r, _, _)| *r == id),
                "no fire/quiet case for {id}"
            );
        }
    }
}

#[test]
fn secret_in_a_url_declared_not_sensitive() {
    let schema = "[vars.CACHE_URL]\nsensitive = false\n";
    let fired = rules_in("CACHE_URL=rediss://:SENTINEL-pw@cache:6380\n", schema);
    assert!(
        fired.iter().any(|(r, _)| r == "secret.in-plain-url"),
        "{fired:?}"
    );
    let quiet = rules_in("CACHE_URL=rediss://cache:6380\n", schema);
    assert!(
        !quiet.iter().any(|(r, _)| r == "secret.in-plain-url"),
        "{quiet:?}"
    );
    // Without the declaration, the URL is sensitive and nothing fires.
    assert!(
        rules_in("CACHE_URL=rediss://:SENTINEL-pw@cache:6380\n", "")
            .iter()
            .all(|(r, _)| r != "secret.in-plain-url")
    );
}

#[test]
fn secrets_reused_across_environments() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n[environments.staging]\nstrict = true\n",
        ),
        (".env.staging", &format!("API_TOKEN={STRONG}\n")),
        (".env.production", &format!("API_TOKEN={STRONG}\n")),
    ]);
    private(&p, &[".env.staging", ".env.production"]);
    let r = p
        .run(&["check", "--all-envs", "--format", "json"])
        .expect_code(1);
    assert!(
        r.stdout().contains("secret.reused-across-environments"),
        "{}",
        r.stdout()
    );
    assert!(!r.stdout().contains(STRONG));
    p.write(".env.staging", format!("API_TOKEN={STRONG}-staging\n"));
    p.run(&["check", "--all-envs"]).ok();
}

#[test]
fn rules_only_warn_or_stay_silent_outside_strict_environments() {
    let p = Project::with(&[(".env", "DEBUG=True\nAPI_TOKEN=x\nGREETING=`id`\n")]);
    private(&p, &[".env"]);
    let r = p.run(&["check", "--format", "json"]).ok();
    let v: Value = r.json();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["value.shell-substitution"], "{v:#}");
    assert_eq!(v["findings"][0]["severity"], "warning");
}

#[test]
fn configuration_exceptions_and_inline_allows() {
    assert!(
        rules_in(
            "DEBUG=True\n",
            "[rules.\"debug.enabled\"]\nenabled = false\n"
        )
        .is_empty()
    );
    let f = rules_in(
        "API_TOKEN=short-tok-12\n",
        "[rules.\"secret.min-length\"]\ntoken_min_length = 10\n",
    );
    assert!(f.is_empty(), "{f:?}");
    let f = rules_in(
        "SIGNING_KEY=short-but-ok-signing-key\n",
        "[rules.\"secret.min-length\"]\nmin_length = 20\n",
    );
    assert!(f.is_empty(), "{f:?}");
    let f = rules_in(
        "SESSION_TIMEOUT=7200\n",
        "[rules.\"session.timeout\"]\nseverity = \"error\"\n",
    );
    assert_eq!(
        f,
        [("session.timeout".to_string(), "SESSION_TIMEOUT".to_string())]
    );
    let allow = "[[rules.\"cache.tls\".allow]]\nkey = \"REDIS_URL\"\nreason = \"private network, TLS terminated by the sidecar\"\n";
    assert!(rules_in("REDIS_URL=redis://c:6379\n", allow).is_empty());
    // An exception without a reason is refused.
    let p = Project::with(&[
        (
            "envward.toml",
            "[[rules.\"cache.tls\".allow]]\nkey = \"REDIS_URL\"\n",
        ),
        (".env", "A=1\n"),
    ]);
    let r = p.run(&["check"]).expect_code(2);
    assert!(
        r.stderr().contains("missing field `reason`"),
        "{}",
        r.stderr()
    );
    // Inline, with a reason: allowed; without one: not.
    assert!(
        rules_in(
            "REDIS_URL=redis://c:6379 # envward:allow cache.tls sidecar terminates TLS\n",
            ""
        )
        .is_empty()
    );
    assert!(!rules_in("REDIS_URL=redis://c:6379 # envward:allow cache.tls\n", "").is_empty());
    // Unknown rules and parameters are schema errors with a suggestion.
    let f = rules_in(
        "A=1\n",
        "[rules.\"secret.min-lenght\"]\nseverity = \"warning\"\n[rules.\"https.hsts\"]\nmin_secs = 1\n",
    );
    assert_eq!(
        f.iter().filter(|(r, _)| r == "schema.invalid").count(),
        2,
        "{f:?}"
    );
}

#[test]
fn rules_list_and_explain() {
    let p = Project::new();
    let r = p
        .run(&["rules", "explain", "database.production-ready"])
        .ok();
    assert!(
        r.stdout().contains("why:") && r.stdout().contains("sslmode=require"),
        "{}",
        r.stdout()
    );
    let r = p
        .run(&["rules", "explain", "secret.min-lenght"])
        .expect_code(2);
    assert!(
        r.stderr().contains("did you mean `secret.min-length`?"),
        "{}",
        r.stderr()
    );
}

fn git(p: &Project, args: &[&str]) {
    let st = std::process::Command::new("git")
        .args(args)
        .current_dir(p.path())
        .output()
        .unwrap_or_else(|e| panic!("git must be installed: {e}"));
    assert!(
        st.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&st.stderr)
    );
}

fn file_rules(p: &Project) -> Vec<(String, String)> {
    production_findings(p, |f| {
        f["origin"]["path"].as_str().unwrap_or("").to_string()
    })
    .into_iter()
    .filter(|(rule, _)| rule.starts_with("files.") || rule == "example.secret")
    .collect()
}

#[cfg(unix)]
#[test]
fn files_holding_secrets_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::with(&[
        ("envward.toml", SCHEMA),
        (".env.production", &format!("API_TOKEN={STRONG}\n")),
        (".env", "PLAIN=1\n"),
    ]);
    let set = |mode| {
        std::fs::set_permissions(
            p.join(".env.production"),
            std::fs::Permissions::from_mode(mode),
        )
        .unwrap()
    };
    set(0o644);
    std::fs::set_permissions(p.join(".env"), std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        file_rules(&p),
        [(
            "files.permissions".to_string(),
            ".env.production".to_string()
        )],
        "only the file with secrets"
    );
    set(0o600);
    assert!(file_rules(&p).is_empty());
    set(0o640);
    assert!(file_rules(&p).is_empty());
}

#[test]
fn files_holding_secrets_must_be_ignored_and_untracked() {
    let p = Project::with(&[
        ("envward.toml", SCHEMA),
        (".env.production", &format!("API_TOKEN={STRONG}\n")),
    ]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            p.join(".env.production"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    // Not a git work tree: nothing to ask.
    assert!(file_rules(&p).is_empty());
    git(&p, &["init", "-q"]);
    assert_eq!(
        file_rules(&p),
        [("files.git".to_string(), ".env.production".to_string())],
        "not ignored"
    );
    p.write(".gitignore", ".env.*\n");
    assert!(file_rules(&p).is_empty(), "ignored and untracked");
    git(&p, &["add", "-f", ".env.production"]);
    assert_eq!(
        file_rules(&p),
        [("files.git".to_string(), ".env.production".to_string())],
        "tracked"
    );
}

#[test]
fn env_example_must_not_hold_secrets() {
    let p = Project::with(&[
        ("envward.toml", SCHEMA),
        (".env.production", "A=1\n"),
        (
            ".env.example",
            &format!(
                "A=1\nAPI_TOKEN={STRONG}\nDB_PASSWORD=\nJWT_SECRET=changeme\nSIGNING_KEY=<your key>\n"
            ),
        ),
    ]);
    assert_eq!(
        file_rules(&p),
        [("example.secret".to_string(), ".env.example".to_string())]
    );
    p.write(".env.example", "A=1\nAPI_TOKEN=\n");
    assert!(file_rules(&p).is_empty());
}

#[test]
fn custom_rules() {
    let schema = r#"
[[custom_rules]]
id = "custom.timeouts"
keys = "API_.*_TIMEOUT"
min = 1
max = 60
severity = "warning"
message = "API timeouts must be 1 to 60 seconds"

[[custom_rules]]
id = "custom.internal-https"
keys = ".*_SERVICE_URL"
url_scheme = ["https"]
environments = ["production", "development"]
message = "internal services are reached over https"

[[custom_rules]]
id = "custom.region"
keys = "REGION"
one_of = ["eu-west-1", "eu-central-1"]
not_matches = "us-"
message = "data stays in the EU"
"#;
    let fired = rules_in(
        "API_READ_TIMEOUT=120\nAPI_WRITE_TIMEOUT=30\nBILLING_SERVICE_URL=http://billing.internal\nREGION=us-east-1\n",
        schema,
    );
    let mut custom: Vec<_> = fired
        .iter()
        .filter(|(r, _)| r.starts_with("custom."))
        .cloned()
        .collect();
    custom.sort();
    let expected = vec![
        (
            "custom.internal-https".to_string(),
            "BILLING_SERVICE_URL".to_string(),
        ),
        ("custom.region".to_string(), "REGION".to_string()),
        (
            "custom.timeouts".to_string(),
            "API_READ_TIMEOUT".to_string(),
        ),
    ];
    assert_eq!(custom, expected, "{fired:?}");
    let quiet = rules_in(
        "API_READ_TIMEOUT=10\nBILLING_SERVICE_URL=https://billing.internal\nREGION=eu-west-1\n",
        schema,
    );
    assert!(
        quiet.iter().all(|(r, _)| !r.starts_with("custom.")),
        "{quiet:?}"
    );
    // Reports carry custom rules too.
    let p = Project::with(&[
        ("envward.toml", &format!("{SCHEMA}{schema}")),
        (".env.production", "REGION=us-east-1\n"),
    ]);
    let r = p
        .run(&["check", "-e", "production", "--format", "sarif"])
        .expect_code(1);
    crate::sarif_schema::assert_valid_sarif(&r.stdout());
    let log: serde_sarif::sarif::Sarif = serde_json::from_str(&r.stdout()).expect("valid SARIF");
    let v = serde_json::to_value(&log).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let i = v["runs"][0]["results"][0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[i]["id"], "custom.region");
    // Mistakes in custom rules are schema errors.
    let bad = "[[custom_rules]]\nid = \"timeouts\"\nkeys = \"(\"\nmessage = \"m\"\n";
    let f = rules_in("A=1\n", bad);
    assert_eq!(
        f.iter().filter(|(r, _)| r == "schema.invalid").count(),
        3,
        "{f:?}"
    );
}

/// `files.*` findings of `check -e production` (with or without the
/// identity): (rule, path, line, key, message).
fn file_findings(p: &Project, remove: &[&str]) -> Vec<(String, String, u64, String, String)> {
    let out = p.run_env(
        &[
            "check",
            "-e",
            "production",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        &[],
        remove,
    );
    assert!(!out.stdout().contains("SENTINEL"), "{}", out.stdout());
    let v: Value = serde_json::from_str(&out.stdout()).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("files."))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["origin"]["path"].as_str().unwrap_or("").to_string(),
                f["origin"]["line"].as_u64().unwrap_or(0),
                f["key"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn encrypted_files_hold_no_secrets_in_clear_for_the_file_rules() {
    let s = crate::encryption::setup();
    git(&s.p, &["init", "-q"]);
    #[cfg(unix)]
    for f in ["env/production/security.env", "env/production/common.env"] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(s.p.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    // Every secret there is `envward:v1:…`: committing them is the point,
    // with the identity or without it.
    assert_eq!(file_findings(&s.p, &[]), []);
    assert_eq!(file_findings(&s.p, &["ENVWARD_IDENTITY_FILE"]), []);
}

#[test]
fn file_rules_point_at_the_first_secret_in_clear_and_name_every_one() {
    let p = Project::with(&[
        ("envward.toml", SCHEMA),
        (
            ".env.production",
            &format!(
                "APP_NAME=shop\nEMPTY_TOKEN=\nDB_PASSWORD=SENTINEL-db-pw-91\nDEBUG=False\nAPI_TOKEN={STRONG}\n"
            ),
        ),
        (".env", "SECRET_KEY=\nPLAIN=1\n"),
    ]);
    git(&p, &["init", "-q"]);
    let found = file_findings(&p, &[]);
    let git_found: Vec<_> = found.iter().filter(|f| f.0 == "files.git").collect();
    assert_eq!(
        git_found.len(),
        1,
        "an empty secret is no secret: {found:?}"
    );
    let (_, path, line, key, message) = git_found[0];
    assert_eq!(
        (path.as_str(), *line, key.as_str()),
        (".env.production", 3, "DB_PASSWORD")
    );
    assert!(
        message.contains("`API_TOKEN`, `DB_PASSWORD`") && !message.contains("EMPTY_TOKEN"),
        "{message}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in [".env.production", ".env"] {
            std::fs::set_permissions(p.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let perms: Vec<_> = file_findings(&p, &[])
            .into_iter()
            .filter(|f| f.0 == "files.permissions")
            .map(|f| (f.1, f.2))
            .collect();
        assert_eq!(perms, [(".env.production".to_string(), 3)]);
    }
}

#[test]
fn database_credentials_checks_the_password_inside_the_url() {
    let url = |userinfo: &str| {
        format!("DATABASE_URL=postgres://{userinfo}@db.internal/app?sslmode=require\n")
    };
    for (userinfo, weak) in [
        ("myapp:SENTINEL", true), // shorter than 12
        ("myapp:myapp", true),    // equal to the user
        ("myapp:changeme", true), // a default
        ("myapp:SENTINEL%2Dpw%2Dlong-enough-91", false),
        ("SENTINEL-user-long-name:SENTINEL-user-long-name", true),
        ("myapp", false), // no password in the URL
    ] {
        let p = Project::with(&[
            ("envward.toml", SCHEMA),
            (".env.production", &url(userinfo)),
        ]);
        private(&p, &[".env.production"]);
        let out = p.run(&[
            "check",
            "-e",
            "production",
            "--format",
            "json",
            "--fail-on",
            "never",
        ]);
        assert!(!out.stdout().contains("SENTINEL"), "{}", out.stdout());
        assert!(!out.stderr().contains("SENTINEL"));
        let v: Value = serde_json::from_str(&out.stdout()).unwrap();
        let found: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "database.credentials")
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if weak {
            &["`DATABASE_URL` holds a weak or default password"]
        } else {
            &[]
        };
        assert_eq!(found, expected, "{userinfo}");
        let text = p.run(&["check", "-e", "production", "--fail-on", "never"]);
        assert!(!text.stdout().contains("SENTINEL") && !text.stderr().contains("SENTINEL"));
    }
}

#[test]
fn a_fresh_init_fails_its_gate_only_on_values_to_fill_in() {
    for (preset, layout, dev_file) in [
        ("django", "dir", "env/development/common.env"),
        ("web", "flat", ".env.development"),
    ] {
        let p = Project::new();
        git(&p, &["init", "-q"]);
        p.run(&["init", "--preset", preset, "--layout", layout])
            .ok();
        let gitignore = std::fs::read_to_string(p.join(".gitignore")).unwrap();
        assert!(
            gitignore.lines().any(|l| l == dev_file),
            "development secrets are git-ignored: {gitignore}"
        );
        let example = std::fs::read_to_string(p.join(".env.example")).unwrap();
        assert!(
            example.contains("DATABASE_URL=postgres://app:your-password-here@"),
            "{example}"
        );
        let out = p.run(&[
            "check",
            "--all-envs",
            "--format",
            "json",
            "--fail-on",
            "never",
        ]);
        let v: Value = serde_json::from_str(&out.stdout()).unwrap();
        let noisy: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| {
                let rule = f["rule"].as_str().unwrap();
                rule.starts_with("files.")
                    || rule == "example.secret"
                    || rule == "database.credentials"
            })
            .map(|f| f["message"].to_string())
            .collect();
        assert_eq!(noisy, Vec::<String>::new(), "{preset}");
    }
}

#[test]
fn example_placeholders_are_not_secrets() {
    let p = Project::with(&[
        ("envward.toml", SCHEMA),
        (".env.production", "A=1\n"),
        (
            ".env.example",
            "API_KEY=your-api-key-here\nDATABASE_URL=postgres://app:<password>@db/app\nCACHE_URL=redis://:your_password_here@cache:6379\nJWT_SECRET=real-looking-9f8e7d6c5b4a\nBROKER_URL=amqp://app:SENTINEL-real-pw-7@mq/\n",
        ),
    ]);
    let found = production_findings(&p, |f| f["key"].as_str().unwrap_or("").to_string());
    let mut keys: Vec<&str> = found
        .iter()
        .filter(|(rule, _)| rule == "example.secret")
        .map(|(_, key)| key.as_str())
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["BROKER_URL", "JWT_SECRET"]);
}
