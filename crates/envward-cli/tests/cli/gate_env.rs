//! Deploy-gate rules about an environment as a whole: the environment a
//! file says it is (`env.name-mismatch`), the hosts that serve the
//! application's own URL (`hosts.serves-public-url`), the secrets and
//! deploy settings a strict environment lacks (`config.missing-in-strict`),
//! JWT settings, the TLS flag that fits the mail port and asset URLs.

use serde_json::Value;

use crate::harness::Project;

/// A value no output may ever contain.
const SENTINEL: &str = "SENTINEL-gate-env-9f3Kq2xW7pL4mN8vR1tY6zB3";

const TOML: &str = "[environments.development]\naliases = [\"dev\"]\n\
[environments.staging]\naliases = [\"stage\"]\nstrict = true\n\
[environments.production]\naliases = [\"prod\"]\nstrict = true\n\
[rules.\"secret.plaintext-in-strict\"]\nenabled = false\n";

fn private(p: &Project) {
    use std::os::unix::fs::PermissionsExt;
    for f in std::fs::read_dir(p.path()).unwrap() {
        let path = f.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".env")
        {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
}

fn project(files: &[(&str, &str)]) -> Project {
    let mut all = vec![("envward.toml", TOML)];
    all.extend_from_slice(files);
    let p = Project::with(&all);
    private(&p);
    p
}

/// The (rule, key) findings of `rule` in `env`, from `check ARGS`.
fn found(v: &Value, rule: &str, env: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule && f["environment"] == env)
        .map(|f| f["key"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Every output of `check` in both formats, asserting no sentinel.
#[track_caller]
fn no_sentinel(p: &Project, args: &[&str]) {
    let r = p.run(args);
    assert!(
        !r.stdout().contains(SENTINEL) && !r.stderr().contains(SENTINEL),
        "{}\n{}",
        r.stdout(),
        r.stderr()
    );
}

#[test]
fn env_name_mismatch_reports_a_file_copied_from_another_environment() {
    let p = project(&[
        (".env.staging", "ENVIRONMENT=staging\n"),
        (
            ".env.production",
            "ENVIRONMENT=staging\nSENTRY_ENVIRONMENT=Stage\nAPP_ENV=prod\nRAILS_ENV=production\nDJANGO_ENV=eu-west\n",
        ),
    ]);
    let v = p.check_json("production");
    // `Stage` is staging's alias; `prod` is production's own; `eu-west`
    // names no environment of the project.
    assert_eq!(
        found(&v, "env.name-mismatch", "production"),
        ["ENVIRONMENT", "SENTRY_ENVIRONMENT"],
        "{v:#}"
    );
    // In staging, the framework's production mode is what staging runs.
    p.write(
        ".env.staging",
        "ENVIRONMENT=stage\nRAILS_ENV=production\nFLASK_ENV=production\n",
    );
    private(&p);
    let v = p.check_json("staging");
    assert!(
        found(&v, "env.name-mismatch", "staging").is_empty(),
        "{v:#}"
    );
    // `development` is `debug.development-mode`'s finding, not a second one;
    // SENTRY_ENVIRONMENT is not judged by that rule, so it is this one's.
    p.write(
        ".env.production",
        "ENVIRONMENT=development\nSENTRY_ENVIRONMENT=dev\nNODE_ENV=production\n",
    );
    private(&p);
    let v = p.check_json("production");
    assert_eq!(
        found(&v, "debug.development-mode", "production"),
        ["ENVIRONMENT"]
    );
    assert_eq!(
        found(&v, "env.name-mismatch", "production"),
        ["SENTRY_ENVIRONMENT"],
        "{v:#}"
    );
    // The deploy gate of `run` refuses it too.
    p.write(".env.production", "ENVIRONMENT=staging\n");
    private(&p);
    let r = p
        .run(&["run", "-e", "production", "--", "true"])
        .expect_code(1);
    assert!(r.stderr().contains("env.name-mismatch"), "{}", r.stderr());
}

#[test]
fn the_public_url_must_be_served_by_allowed_hosts() {
    let cases = [
        (
            "ALLOWED_HOSTS=api.example.com\nSITE_URL=https://www.other.com",
            true,
        ),
        (
            "ALLOWED_HOSTS=api.example.com\nBASE_URL=https://api.example.com",
            false,
        ),
        (
            "ALLOWED_HOSTS=.example.com\nPUBLIC_URL=https://www.example.com/app",
            false,
        ),
        (
            "ALLOWED_HOSTS=.example.com\nAPP_URL=https://example.com",
            false,
        ),
        (
            "ALLOWED_HOSTS=[\"api.example.com\"]\nAPI_URL=https://api.example.com",
            false,
        ),
        (
            "DJANGO_ALLOWED_HOSTS=a.example.com,b.example.com\nWEB_URL=https://c.example.com:8443",
            true,
        ),
        // The front end lives elsewhere: CSRF_TRUSTED_ORIGINS's business.
        (
            "ALLOWED_HOSTS=api.example.com\nFRONTEND_URL=https://app.example.com",
            false,
        ),
        // Unset ALLOWED_HOSTS is another rule's business.
        ("SITE_URL=https://www.other.com", false),
        ("ALLOWED_HOSTS=api.example.com\nSITE_URL=/relative", false),
    ];
    for (env, fires) in cases {
        let p = project(&[(".env.production", &format!("{env}\n"))]);
        let v = p.check_json("production");
        assert_eq!(
            !found(&v, "hosts.serves-public-url", "production").is_empty(),
            fires,
            "{env}: {v:#}"
        );
    }
    // A sensitive URL is named, never quoted.
    let p = project(&[(
        ".env.production",
        &format!("ALLOWED_HOSTS=api.example.com\nSITE_URL=https://user:{SENTINEL}@www.other.com\n"),
    )]);
    let v = p.check_json("production");
    assert_eq!(
        found(&v, "hosts.serves-public-url", "production"),
        ["SITE_URL"]
    );
    no_sentinel(&p, &["check", "-e", "production", "--format", "json"]);
    no_sentinel(&p, &["check", "-e", "production"]);
}

#[test]
fn a_strict_environment_missing_what_others_set_fails_the_gate() {
    let p = project(&[
        (
            ".env.development",
            &format!(
                "SECRET_KEY={SENTINEL}\nDATABASE_URL=postgres://app:{SENTINEL}@localhost/app\nFORCE_HTTPS=false\nDEBUG_TOOLBAR=true\nNGROK_AUTHTOKEN={SENTINEL}\n"
            ),
        ),
        (
            ".env.staging",
            &format!("STRIPE_SECRET_KEY={SENTINEL}x\nALLOWED_HOSTS=stage.example.com\n"),
        ),
        (".env.production", "SENDGRID_API_KEY=\nAPI_PORT=8000\n"),
        (
            ".env.example",
            "SENDGRID_API_KEY=\nSENTRY_DSN=\nMAILGUN_API_KEY=\nFEATURE_X=\n",
        ),
    ]);
    // `check -e production` alone reads the other environments to compare.
    let v = p.check_json("production");
    let mut keys = found(&v, "config.missing-in-strict", "production");
    keys.sort();
    // Not DEBUG_TOOLBAR (a setting only development has), not
    // NGROK_AUTHTOKEN (a secret only development has), not FEATURE_X or
    // SENTRY_DSN (neither a secret nor a deploy setting). SENDGRID_API_KEY
    // is set, but empty.
    assert_eq!(
        keys,
        [
            "ALLOWED_HOSTS",
            "DATABASE_URL",
            "FORCE_HTTPS",
            "MAILGUN_API_KEY",
            "SECRET_KEY",
            "SENDGRID_API_KEY",
            "STRIPE_SECRET_KEY"
        ],
        "{v:#}"
    );
    let staging_says = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "STRIPE_SECRET_KEY")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(staging_says.contains("staging sets it"), "{staging_says}");
    // With --all-envs too, and the consistency warning is not said twice.
    let v = p.check_json("--all-envs");
    assert_eq!(found(&v, "config.missing-in-strict", "production").len(), 7);
    assert!(
        !found(&v, "consistency.missing-in-environment", "production")
            .contains(&"STRIPE_SECRET_KEY".to_string()),
        "{v:#}"
    );
    // The deploy gate of `run` and `export` refuses it, and names no value.
    let r = p
        .run(&["run", "-e", "production", "--", "true"])
        .expect_code(1);
    assert!(
        r.stderr().contains("config.missing-in-strict"),
        "{}",
        r.stderr()
    );
    let r = p.run(&["export", "-e", "prod"]).expect_code(1);
    assert!(
        r.stderr()
            .contains("`SECRET_KEY` (a deploy setting) is not set"),
        "{}",
        r.stderr()
    );
    for args in [
        &["check", "-e", "production"][..],
        &["check", "--all-envs", "--format", "json"],
        &["check", "-e", "production", "--format", "sarif"],
        &["run", "-e", "production", "--", "true"],
    ] {
        no_sentinel(&p, args);
    }
    // What the deploy provides through its process environment or secrets
    // directory is there; the `optional` list names keys meant to be absent.
    p.write(
        "envward.toml",
        format!("{TOML}[rules.\"config.missing-in-strict\"]\noptional = [\"SENDGRID_*\", \"MAILGUN_API_KEY\"]\n"),
    );
    std::fs::create_dir_all(p.join("secrets")).unwrap();
    p.write("secrets/STRIPE_SECRET_KEY", SENTINEL);
    let v = p.check_json_with(
        "production",
        &["--secrets-dir", "secrets"],
        &[
            ("SECRET_KEY", SENTINEL),
            ("DATABASE_URL", "postgres://db.example.com/app"),
            ("FORCE_HTTPS", "true"),
            ("ALLOWED_HOSTS", "www.example.com"),
        ],
    );
    assert_eq!(
        found(&v, "config.missing-in-strict", "production"),
        Vec::<String>::new(),
        "{v:#}"
    );
}

#[test]
fn missing_in_strict_stays_quiet_where_the_schema_speaks() {
    // A key required here is `schema.required`'s; one the schema makes
    // optional is optional; a schema default is a value.
    let p = project(&[
        (
            ".env.staging",
            "API_TOKEN=Xk2pQ9vL4mN7wR1tY6zB3cD8eF5gH0jK\nSECRET_KEY=Xk2pQ9vL4mN7wR1tY6zB3cD8eF5gH0jKaa\n",
        ),
        (".env.production", "A=1\n"),
    ]);
    p.write(
        "envward.toml",
        format!(
            "{TOML}[vars.SECRET_KEY]\nrequired = true\n[vars.API_TOKEN]\nrequired = false\n[vars.FORCE_HTTPS]\ndefault = \"\"\n"
        ),
    );
    let v = p.check_json("production");
    assert!(
        found(&v, "config.missing-in-strict", "production").is_empty(),
        "{v:#}"
    );
    assert_eq!(found(&v, "schema.required", "production"), ["SECRET_KEY"]);
}

#[test]
fn jwt_algorithm_and_lifetimes() {
    let p = project(&[(
        ".env.production",
        "JWT_ALGORITHM=none\nSIMPLE_JWT_ALGORITHM=\nJWT_ACCESS_TOKEN_LIFETIME_HOURS=720\nJWT_REFRESH_TOKEN_LIFETIME_DAYS=365\nACCESS_TOKEN_EXPIRE_MINUTES=15\nJWT_REFRESH_TOKEN_LIFETIME=30days\n",
    )]);
    let v = p.check_json("production");
    assert_eq!(
        found(&v, "jwt.algorithm", "production"),
        ["JWT_ALGORITHM", "SIMPLE_JWT_ALGORITHM"]
    );
    let mut long = found(&v, "jwt.lifetime", "production");
    long.sort();
    assert_eq!(
        long,
        [
            "JWT_ACCESS_TOKEN_LIFETIME_HOURS",
            "JWT_REFRESH_TOKEN_LIFETIME_DAYS"
        ],
        "{v:#}"
    );
    // The algorithm is checked everywhere (a warning in development); the
    // lifetimes only where they matter, with parameters.
    let p = project(&[(
        ".env.development",
        "JWT_ALGORITHM=NONE\nJWT_ACCESS_TOKEN_LIFETIME=1d\n",
    )]);
    let v = p.check_json("development");
    assert_eq!(found(&v, "jwt.algorithm", "development"), ["JWT_ALGORITHM"]);
    let severity: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "jwt.algorithm")
        .map(|f| &f["severity"])
        .collect();
    assert_eq!(severity, ["warning"]);
    assert!(found(&v, "jwt.lifetime", "development").is_empty());
    let p = project(&[(
        ".env.production",
        "JWT_ALGORITHM=HS256\nJWT_ACCESS_TOKEN_LIFETIME=2h\nREFRESH_TOKEN_EXPIRE_DAYS=7\n",
    )]);
    p.write(
        "envward.toml",
        format!("{TOML}[rules.\"jwt.lifetime\"]\nmax_access = \"2h\"\nmax_refresh = 86400\n"),
    );
    let v = p.check_json("production");
    assert!(found(&v, "jwt.algorithm", "production").is_empty());
    assert_eq!(
        found(&v, "jwt.lifetime", "production"),
        ["REFRESH_TOKEN_EXPIRE_DAYS"],
        "{v:#}"
    );
}

#[test]
fn the_mail_tls_flag_fits_the_port_and_assets_are_https() {
    let host = "EMAIL_HOST=smtp.example.com\n";
    let cases = [
        ("EMAIL_PORT=465\nEMAIL_USE_TLS=True", Some("EMAIL_USE_TLS")),
        ("EMAIL_PORT=587\nEMAIL_USE_SSL=True", Some("EMAIL_USE_SSL")),
        (
            "EMAIL_PORT=587\nEMAIL_USE_TLS=True\nEMAIL_USE_SSL=True",
            Some("EMAIL_USE_SSL"),
        ),
        ("EMAIL_PORT=465\nEMAIL_USE_SSL=True", None),
        ("EMAIL_PORT=587\nEMAIL_USE_TLS=True", None),
    ];
    for (env, key) in cases {
        let p = project(&[(".env.production", &format!("{host}{env}\n"))]);
        let v = p.check_json("production");
        let got = found(&v, "email.tls", "production");
        assert_eq!(got, key.into_iter().collect::<Vec<_>>(), "{env}: {v:#}");
    }
    let p = project(&[(
        ".env.production",
        "STATIC_URL=http://cdn.example.com/static/\nMEDIA_URL=/media/\nCDN_URL=https://cdn.example.com/\nASSET_URL=http://assets.example.com\n",
    )]);
    let v = p.check_json("production");
    assert_eq!(
        found(&v, "urls.https", "production"),
        ["ASSET_URL", "STATIC_URL"],
        "{v:#}"
    );
}
