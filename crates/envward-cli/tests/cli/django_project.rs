//! The deploy gate of a Django project (docs/rules.md, "Django projects"):
//! how a project is recognised, unset settings judged by Django's
//! defaults in strict environments, `--profile django` adding Django's ids
//! without turning any rule off, the `DJANGO_` prefix, origin lists and
//! front-end URLs, and mail sent in clear.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::Project;

const STRICT: &str = "[environments.production]\nstrict = true\n";
const KEY: &str = "Vq8rT2mLx9Wz4Kp7Hc3Nb6Jd1Fg5Ys0Ra8Ue2Io4Pl7Mk9Nj3Bh6";

/// A project whose production is `env` (private, so that only the rules
/// under test fire), with `extra` files.
fn project(toml: &str, env: &str, extra: &[(&str, &str)]) -> Project {
    let mut files = vec![("envward.toml", toml), (".env.production", env)];
    files.extend_from_slice(extra);
    let p = Project::with(&files);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            p.join(".env.production"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    p
}

/// The findings of `check -e production ARGS` as (rule, key, django id).
fn findings(p: &Project, args: &[&str]) -> BTreeSet<(String, String, String)> {
    let v: Value = p.check_json_with("production", args, &[]);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
            (s("rule"), s("key"), s("django"))
        })
        .collect()
}

fn has(got: &BTreeSet<(String, String, String)>, rule: &str, key: &str) -> bool {
    got.iter().any(|(r, k, _)| r == rule && k == key)
}

/// Only DEBUG off and the hosts: everything else is Django's default.
const SPARSE: &str = "DEBUG=False\nALLOWED_HOSTS=app.example.com\n";

#[test]
fn a_django_project_fails_the_gate_on_settings_left_to_djangos_defaults() {
    // Recognised by manage.py: the gate fails on what Django's own
    // `check --deploy` and a deploy need, with envward's ids only.
    let p = project(STRICT, SPARSE, &[("manage.py", "")]);
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    let text = r.stdout();
    for line in [
        "✖ error   `SECRET_KEY` is not set  [secret.min-length]",
        "✖ error   `SECURE_SSL_REDIRECT` is not true (Django's default is false)  [https.redirect]",
        "✖ error   `SESSION_COOKIE_SECURE` is not true (Django's default is false)  [cookies.secure]",
        "✖ error   `CSRF_COOKIE_SECURE` is not true (Django's default is false)  [cookies.secure]",
        "⚠ warning `SECURE_HSTS_SECONDS` is not set (Django's default is 0): no HSTS  [https.hsts]",
        "[database.production-ready]",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(!text.contains("django security."), "{text}");
    // `run` and `export` stop on them too: the same deploy gate.
    let r = p
        .run(&["run", "-e", "production", "--", "true"])
        .expect_code(1);
    assert!(
        r.stderr().contains("fails the deploy gate"),
        "{}",
        r.stderr()
    );

    assert!(
        text.contains("set `SECRET_KEY` in this environment's files, the process environment or the secrets directory"),
        "{text}"
    );
    // A deploy setting the process environment provides counts, whether or
    // not a file names it (`SECRET_KEY=` or nothing at all)...
    for env in [SPARSE.to_string(), format!("{SPARSE}SECRET_KEY=\n")] {
        p.write(".env.production", env);
        let v = p.check_json_with("production", &[], &[("SECRET_KEY", KEY)]);
        assert!(
            !v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["key"] == "SECRET_KEY"),
            "{v}"
        );
    }
    // ...and the gate of `run` sees it too; a weak one from there fails.
    p.write(".env.production", SPARSE);
    let hardened = [
        ("SECRET_KEY", KEY),
        ("SECURE_SSL_REDIRECT", "True"),
        ("SESSION_COOKIE_SECURE", "True"),
        ("CSRF_COOKIE_SECURE", "True"),
        ("SECURE_HSTS_SECONDS", "31536000"),
        (
            "DATABASE_URL",
            "postgres://app@db.internal/app?sslmode=verify-full",
        ),
    ];
    let r = p.check_json_with("production", &[], &hardened);
    let keys: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["key"].as_str())
        .collect();
    for key in [
        "SECRET_KEY",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "DATABASE_URL",
    ] {
        assert!(!keys.contains(&key), "{key}: {r}");
    }
    let weak = [("SECRET_KEY", "dev-secret-key")];
    let r = p
        .run_env(&["check", "-e", "production"], &weak, &[])
        .expect_code(1);
    assert!(r.stdout().contains("`SECRET_KEY`"), "{}", r.stdout());
    assert!(!r.stdout().contains("dev-secret-key"), "{}", r.stdout());
    // What the process environment provides this way is read by the rules
    // only: `list` shows what the files and envward.toml define.
    let r = p
        .run_env(
            &["list", "-e", "production", "--keys-only"],
            &[("SECRET_KEY", KEY)],
            &[],
        )
        .ok();
    assert!(!r.stdout().contains("SECRET_KEY"), "{}", r.stdout());

    // The same values in a project that is not recognisably Django pass:
    // nothing says those settings mean anything.
    let plain = project(STRICT, SPARSE, &[]);
    plain.run(&["check", "-e", "production"]).ok();

    // Declared in envward.toml, or recognised by a DJANGO_* key.
    let declared = project(
        &format!("[project]\nframework = \"django\"\n{STRICT}"),
        SPARSE,
        &[],
    );
    declared.run(&["check", "-e", "production"]).expect_code(1);
    let keyed = project(
        STRICT,
        &format!("{SPARSE}DJANGO_SETTINGS_MODULE=site.settings\n"),
        &[],
    );
    keyed.run(&["check", "-e", "production"]).expect_code(1);
    // `framework = "none"` turns the recognition off.
    let opted_out = project(
        &format!("[project]\nframework = \"none\"\n{STRICT}"),
        SPARSE,
        &[("manage.py", "")],
    );
    opted_out.run(&["check", "-e", "production"]).ok();
    // A framework envward does not know is an error in envward.toml.
    let r = project(
        &format!("[project]\nframework = \"rails\"\n{STRICT}"),
        SPARSE,
        &[],
    )
    .run(&["check", "-e", "production"])
    .expect_code(2);
    assert!(r.stderr().contains("envward.toml:2"), "{}", r.stderr());

    // A development environment of a Django project is not judged by the
    // production defaults.
    let dev = Project::with(&[("manage.py", ""), (".env", "DEBUG=True\n")]);
    let v = dev.check_json("development");
    assert_eq!(v["findings"], Value::Array(Vec::new()), "{v}");
}

#[test]
fn a_complete_django_production_passes() {
    let env = format!(
        "DEBUG=False\nSECRET_KEY={KEY}\nALLOWED_HOSTS=app.example.com\n\
         DATABASE_URL=postgres://app@db.internal/app?sslmode=verify-full\n\
         SECURE_SSL_REDIRECT=True\nSECURE_HSTS_SECONDS=31536000\n\
         SECURE_HSTS_INCLUDE_SUBDOMAINS=True\nSECURE_HSTS_PRELOAD=True\n\
         SESSION_COOKIE_SECURE=True\nCSRF_COOKIE_SECURE=True\n\
         FRONTEND_URL=https://app.example.com\n\
         CORS_ALLOWED_ORIGINS=https://app.example.com\n\
         EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend\n\
         EMAIL_HOST=smtp.example.com\nEMAIL_PORT=587\nEMAIL_USE_TLS=True\n"
    );
    let p = project(STRICT, &env, &[("manage.py", "")]);
    p.run(&["check", "-e", "production"]).ok();
    p.run(&["check", "-e", "production", "--profile", "django"])
        .ok();
}

#[test]
fn profile_django_adds_djangos_ids_and_turns_no_rule_off() {
    let env = format!(
        "DEBUG=True\nSECRET_KEY={KEY}\nALLOWED_HOSTS=app.example.com\n\
         DATABASE_URL=sqlite:///db.sqlite3\nCORS_ALLOWED_ORIGINS=*\n"
    );
    // Not even recognisably Django: the profile says it is.
    let p = project(STRICT, &env, &[]);
    let with = findings(&p, &["--profile", "django"]);
    let without = findings(&p, &[]);
    for (rule, key) in [
        ("debug.enabled", "DEBUG"),
        ("database.production-ready", "DATABASE_URL"),
        ("cors.origins", "CORS_ALLOWED_ORIGINS"),
    ] {
        assert!(has(&with, rule, key), "{rule} with the profile: {with:?}");
        assert!(has(&without, rule, key), "{rule} without: {without:?}");
    }
    assert!(
        with.contains(&(
            "debug.enabled".into(),
            "DEBUG".into(),
            "security.W018".into()
        )),
        "{with:?}"
    );
    // DEBUG on in production is an error whatever Django calls it.
    let r = p
        .run(&["check", "-e", "production", "--profile", "django"])
        .expect_code(1);
    assert!(
        r.stdout()
            .contains("✖ error   `DEBUG` is on in production  .env.production:1:1  [debug.enabled · django security.W018]"),
        "{}",
        r.stdout()
    );
}

#[test]
fn the_django_prefix_is_read_by_every_rule() {
    let env = format!(
        "DJANGO_SECRET_KEY={KEY}\nDJANGO_DEBUG=False\nDJANGO_ALLOWED_HOSTS=*\nDJANGO_SECURE_SSL_REDIRECT=False\nDJANGO_SESSION_COOKIE_SECURE=True\nDJANGO_CSRF_COOKIE_SECURE=True\n"
    );
    let p = project(STRICT, &env, &[]);
    let got = findings(&p, &["--profile", "django"]);
    // DJANGO_SECRET_KEY is the secret key: nothing says SECRET_KEY is missing.
    assert!(
        !got.iter()
            .any(|(r, k, _)| (k == "SECRET_KEY" || k == "DJANGO_SECRET_KEY")
                && r != "secret.plaintext-in-strict"),
        "{got:?}"
    );
    assert!(
        has(&got, "hosts.allowed", "DJANGO_ALLOWED_HOSTS"),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "https.redirect".into(),
            "DJANGO_SECURE_SSL_REDIRECT".into(),
            "security.W008".into()
        )),
        "{got:?}"
    );
    assert!(
        !has(&got, "cookies.secure", "SESSION_COOKIE_SECURE"),
        "{got:?}"
    );
    // A DJANGO_ setting does not hide the same setting without the prefix.
    let p = project(STRICT, "DEBUG=False\nDJANGO_DEBUG=True\n", &[]);
    assert!(has(&findings(&p, &[]), "debug.enabled", "DJANGO_DEBUG"));
}

#[test]
fn a_setting_the_schema_requires_is_reported_once() {
    let toml = format!("{STRICT}[vars.DJANGO_SECRET_KEY]\ntype = \"secret\"\nrequired = true\n");
    let p = project(&toml, SPARSE, &[]);
    let got = findings(&p, &[]);
    let about_the_key: Vec<_> = got
        .iter()
        .filter(|(_, k, _)| k.ends_with("SECRET_KEY"))
        .collect();
    assert_eq!(
        about_the_key,
        [&(
            "schema.required".to_string(),
            "DJANGO_SECRET_KEY".to_string(),
            String::new()
        )]
    );
    // With the profile, that finding carries Django's id.
    assert!(findings(&p, &["--profile", "django"]).contains(&(
        "schema.required".into(),
        "DJANGO_SECRET_KEY".into(),
        "security.W009".into()
    )));
}

#[test]
fn origins_and_front_end_urls_are_checked_for_their_shape() {
    let env = "CORS_ALLOWED_ORIGINS=https://a.example.com/, b.example.com\nCSRF_TRUSTED_ORIGINS=https://a.example.com/api\nFRONTEND_URL=app.example.com\nSITE_URL=https://localhost:8000\n";
    let p = project(STRICT, env, &[]);
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    let text = r.stdout();
    for line in [
        "`CORS_ALLOWED_ORIGINS`: `https://a.example.com/` ends with a slash; `b.example.com` has no scheme (https://); it holds spaces",
        "`CSRF_TRUSTED_ORIGINS`: `https://a.example.com/api` has a path",
        "`FRONTEND_URL` = \"app.example.com\" has no scheme",
        "`SITE_URL` = \"https://localhost:8000\" points at the local host",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    // A malformed origin list breaks development too: a warning there.
    let dev = Project::with(&[(".env", "CORS_ALLOWED_ORIGINS=localhost:3000\n")]);
    let v = dev.check_json("development");
    assert_eq!(v["findings"][0]["rule"], "origins.format", "{v}");
    assert_eq!(v["findings"][0]["severity"], "warning", "{v}");
    // Well-formed lists pass.
    let ok = project(
        STRICT,
        "CORS_ALLOWED_ORIGINS=https://a.example.com,https://b.example.com:8443\nCSRF_TRUSTED_ORIGINS=https://*.example.com\nFRONTEND_URL=https://app.example.com\n",
        &[],
    );
    ok.run(&["check", "-e", "production"]).ok();
    // A JSON array is a list too: its spaces are JSON's, its items judged.
    let json = project(
        STRICT,
        "CORS_ALLOWED_ORIGINS='[\"https://a.example.com\", \"https://b.example.com\"]'\n",
        &[],
    );
    json.run(&["check", "-e", "production"]).ok();
    json.write(
        ".env.production",
        "CORS_ALLOWED_ORIGINS='[\"https://a.example.com/\"]'\n",
    );
    let r = json.run(&["check", "-e", "production"]).expect_code(1);
    assert!(
        r.stdout()
            .contains("`CORS_ALLOWED_ORIGINS`: `https://a.example.com/` ends with a slash  .env.production:1:1  [origins.format]"),
        "{}",
        r.stdout()
    );
}

#[test]
fn a_django_site_called_from_another_origin_needs_csrf_trusted_origins() {
    let base = "DJANGO_SETTINGS_MODULE=site.settings\nALLOWED_HOSTS=api.example.com\nFRONTEND_URL=https://app.example.com\n";
    let p = project(STRICT, base, &[]);
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    assert!(
        r.stdout().contains("`CSRF_TRUSTED_ORIGINS` is not set, but `FRONTEND_URL` lets `https://app.example.com` call this site from another origin"),
        "{}",
        r.stdout()
    );
    // Same origin as a served host (or under a `.domain` entry): not needed.
    for hosts in ["api.example.com,app.example.com", ".example.com"] {
        let p = project(STRICT, &base.replace("api.example.com", hosts), &[]);
        assert!(!has(
            &findings(&p, &[]),
            "csrf.trusted-origins",
            "CSRF_TRUSTED_ORIGINS"
        ));
    }
    // Not a Django project: CSRF_TRUSTED_ORIGINS means nothing.
    let p = project(
        STRICT,
        "ALLOWED_HOSTS=api.example.com\nFRONTEND_URL=https://app.example.com\n",
        &[],
    );
    assert!(!has(
        &findings(&p, &[]),
        "csrf.trusted-origins",
        "CSRF_TRUSTED_ORIGINS"
    ));
}

#[test]
fn mail_in_clear_to_localhost_and_port_25() {
    // Django's SMTP backend without EMAIL_HOST sends to localhost:25.
    let p = project(
        STRICT,
        "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend\nEMAIL_USE_TLS=False\n",
        &[("manage.py", "")],
    );
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    let text = r.stdout();
    assert!(
        text.contains("✖ error   mail is sent without TLS to localhost:25: the SMTP backend is on, EMAIL_HOST is not set (Django's default is localhost) and EMAIL_USE_TLS / EMAIL_USE_SSL are off  .env.production:2:1  [email.tls]"),
        "{text}"
    );
    assert!(
        text.contains("⚠ warning `EMAIL_PORT` is not set, and Django's default is 25"),
        "{text}"
    );
    // Port 25 written down is a warning in any project.
    let p = project(
        STRICT,
        "EMAIL_HOST=smtp.example.com\nEMAIL_PORT=25\nEMAIL_USE_TLS=True\n",
        &[],
    );
    let r = p.run(&["check", "-e", "production"]).ok();
    assert!(
        r.stdout()
            .contains("⚠ warning `EMAIL_PORT` = 25 is the port mail servers relay on"),
        "{}",
        r.stdout()
    );
    // TLS to a relay on the local host is fine.
    let p = project(
        STRICT,
        "EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend\nEMAIL_USE_TLS=True\nEMAIL_PORT=587\n",
        &[("manage.py", "")],
    );
    assert!(
        findings(&p, &[])
            .iter()
            .all(|(r, _, _)| !r.starts_with("email.")),
    );
}

#[test]
fn a_filled_in_django_preset_passes_the_gate() {
    // `init --preset django`, its production values filled in: Django's
    // defaults add nothing to what the preset writes.
    let p = Project::new();
    p.run(&["init", "--preset", "django", "--layout", "dir"])
        .ok();
    let path = "env/production/common.env";
    let filled: String = std::fs::read_to_string(p.join(path))
        .unwrap()
        .lines()
        .map(|l| match l {
            "DJANGO_SECRET_KEY=" => format!("DJANGO_SECRET_KEY={KEY}x"),
            "ALLOWED_HOSTS=" => "ALLOWED_HOSTS=app.example.com".into(),
            "DATABASE_URL=" => "DATABASE_URL=postgres://app_user@db.internal:5432/app?sslmode=verify-full".into(),
            "POSTGRES_USER=" => "POSTGRES_USER=app_user".into(),
            "POSTGRES_PASSWORD=" => format!("POSTGRES_PASSWORD={KEY}"),
            "POSTGRES_DB=" => "POSTGRES_DB=app".into(),
            "JWT_SECRET_KEY=" => format!("JWT_SECRET_KEY=y{KEY}"),
            "DEFAULT_FROM_EMAIL=" => "DEFAULT_FROM_EMAIL=noreply@example.com".into(),
            other => other.to_string(),
        } + "\n")
        .collect();
    // What the preset leaves to its defaults and a production needs.
    let more = "POSTGRES_HOST=db.internal\nPGSSLMODE=verify-full\nREDIS_URL=rediss://cache.internal:6380/0\nSECURE_HSTS_SECONDS=31536000\nSECURE_HSTS_INCLUDE_SUBDOMAINS=true\nSECURE_HSTS_PRELOAD=true\nEMAIL_HOST=smtp.example.com\n";
    p.write(path, filled + more);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p.join(path), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p.run(&["check", "-e", "production"]).ok();
    p.run(&["check", "-e", "production", "--profile", "django"])
        .ok();
}
