//! One rule decides what is a secret (schema, then the value's shape, then
//! the name as a whole): every command masks the same values, and
//! settings are not called secrets.

use crate::harness::Project;

const PASSWORD: &str = "SENTINEL/pw+9Zq=";

#[test]
fn explain_masks_an_overridden_url_with_a_password() {
    let p = Project::with(&[
        (
            ".env",
            "DATABASE_URL=postgres://app:SENTINEL-old-pw@db/app\n",
        ),
        (".env.production", "DATABASE_URL=sqlite:///var/app.db\n"),
    ]);
    for format in ["text", "json"] {
        let r = p
            .run(&[
                "explain",
                "DATABASE_URL",
                "-e",
                "production",
                "--format",
                format,
            ])
            .ok();
        assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
        assert!(
            r.stdout().contains("sqlite:///var/app.db"),
            "{}",
            r.stdout()
        );
    }
}

#[test]
fn diff_of_two_files_honours_the_schema() {
    let p = Project::with(&[
        ("envward.toml", "[vars.LICENSE]\nsensitive = true\n"),
        ("a.env", "LICENSE=SENTINEL-license-a\nDEBUG=True\n"),
        ("b.env", "LICENSE=SENTINEL-license-b\nDEBUG=False\n"),
    ]);
    for format in ["text", "json"] {
        let r = p.run(&["diff", "a.env", "b.env", "--format", format]).ok();
        assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
        assert!(r.stdout().contains("LICENSE"), "{}", r.stdout());
        assert!(r.stdout().contains("True"), "{}", r.stdout());
    }
}

#[test]
fn list_and_diff_mask_a_url_whose_password_holds_a_slash() {
    let url = format!("postgres://app:{PASSWORD}@db.internal:5432/app?sslmode=require");
    let p = Project::with(&[
        (
            ".env.production",
            &format!("DATABASE_URL={url}\nREDIS_URL=rediss://:{PASSWORD}@cache:6380/0\n"),
        ),
        (".env.staging", "DATABASE_URL=postgres://app@db/app\n"),
    ]);
    let r = p.run(&["list", "-e", "production"]).ok();
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    let r = p
        .run(&["list", "-e", "production", "--format", "json"])
        .ok();
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    assert_eq!(r.json()["vars"][0]["sensitive"], true);
    let r = p.run(&["diff", "-e", "production", "-e", "staging"]).ok();
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    let r = p.run(&["diff", ".env.production", ".env.staging"]).ok();
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
}

#[test]
fn an_unparsable_database_url_is_reported_by_key_never_by_value() {
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\nstrict = true\n"),
        (
            ".env.production",
            &format!("DATABASE_URL=postgres://app:{PASSWORD}@db.internal:5432/app\n"),
        ),
    ]);
    let r = p
        .run(&["check", "-e", "production", "--format", "json"])
        .expect_code(1);
    let all = format!("{}{}", r.stdout(), r.stderr());
    assert!(!all.contains("SENTINEL"), "{all}");
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "database.production-ready"
                && f["key"] == "DATABASE_URL"
                && f["message"].as_str().unwrap().contains("not a valid URL")),
        "{findings:#?}"
    );
}

#[test]
fn settings_named_like_secrets_are_not_checked_as_secrets() {
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\nstrict = true\n"),
        (
            ".env.production",
            "JWT_ACCESS_TOKEN_LIFETIME_MINUTES=15\nJWT_REFRESH_TOKEN_LIFETIME_DAYS=7\n\
             PASSWORD_MIN_LENGTH=8\nPASSWORD_RESET_TOKEN_EXPIRY_HOURS=1\n\
             TOKEN_BLACKLIST_ENABLED=True\nENCRYPTION_KEY_ID=key-2024-01\n\
             AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nJWT_ALGORITHM=HS256\n",
        ),
    ]);
    let r = p.run(&["check", "-e", "production", "--format", "json"]);
    let secret_findings: Vec<_> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("secret."))
        .cloned()
        .collect();
    assert!(secret_findings.is_empty(), "{secret_findings:#?}");
    let r = p
        .run(&["list", "-e", "production", "--format", "json"])
        .ok();
    for v in r.json()["vars"].as_array().unwrap() {
        assert_eq!(v["sensitive"], false, "{v}");
    }
}

#[test]
fn key_names_and_secret_shapes_are_masked_and_encrypted() {
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    let rsa =
        "\"-----BEGIN RSA PRIVATE KEY-----\nSENTINEL-rsa-body\n-----END RSA PRIVATE KEY-----\"";
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        (
            "env/production/common.env",
            &format!(
                "STRIPE_KEY=sk_live_SENTINEL4eC39HqLyjWDarjtT1zdp7dc\nHMAC_KEY=SENTINEL-hmac\n\
                 APP_KEY=SENTINEL-app\nOPENAI_KEY=SENTINEL-openai\nMASTER_KEY=SENTINEL-master\n\
                 PAYMENTS=sk_live_SENTINELabcdefghijklmnop\nTLS_CERT_KEY={rsa}\nDEBUG=False\n"
            ),
        ),
    ])
    .env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let r = p.run(&["list", "-e", "production"]).ok();
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    let recipient = p
        .run(&["keygen", "--output", identity.to_str().unwrap()])
        .ok()
        .stdout()
        .trim()
        .to_string();
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    p.run(&["encrypt", "-e", "production"]).ok();
    let file = std::fs::read_to_string(p.join("env/production/common.env")).unwrap();
    assert!(!file.contains("SENTINEL"), "{file}");
    assert!(file.contains("DEBUG=False\n"), "{file}");
    let r = p.run(&["get", "TLS_CERT_KEY", "-e", "production"]).ok();
    assert!(r.stdout().contains("SENTINEL-rsa-body"), "{}", r.stdout());
}

/// `encrypt --all` encrypts settings too: they are masked like every
/// encrypted value, but the strength rules judge only what the schema,
/// the name or the value's shape makes a secret (`PORT=8080` is not a weak
/// secret because it was encrypted).
#[test]
fn encrypted_settings_are_masked_but_not_judged_as_weak_secrets() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n\n[environments.staging]\n",
        ),
        (
            ".env.production",
            "PORT=8080\nWORKERS=4\nLOG_LEVEL=info\nAPP_NAME=shop\nSECRET_KEY=SENTINEL-short\n",
        ),
        (
            ".env.staging",
            "PORT=8080\nWORKERS=4\nLOG_LEVEL=info\nAPP_NAME=shop\n",
        ),
    ]);
    let keys = tempfile::tempdir().unwrap();
    let id = keys.path().join("id.txt");
    let recipient = p.keygen(&id);
    let with_id = [("ENVWARD_IDENTITY_FILE", id.to_str().unwrap())];
    for env in ["production", "staging"] {
        p.run(&["recipients", "add", "-e", env, &recipient]).ok();
        p.run_env(&["encrypt", "-e", env, "--all"], &with_id, &[])
            .ok();
    }
    let report = p.check_json_with("--all-envs", &[], &with_id);
    let secret_rules: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("secret."))
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["key"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    for setting in ["PORT", "WORKERS", "LOG_LEVEL", "APP_NAME"] {
        assert!(
            secret_rules.iter().all(|(_, k)| k != setting),
            "{setting} judged as a secret: {secret_rules:?}"
        );
    }
    assert!(
        secret_rules
            .iter()
            .any(|(r, k)| r == "secret.min-length" && k == "SECRET_KEY"),
        "{secret_rules:?}"
    );
    // Encrypted, so masked everywhere without --reveal.
    let list = p
        .run_env(&["list", "-e", "production"], &with_id, &[])
        .ok()
        .stdout();
    assert!(
        !list.contains("8080") && !list.contains("SENTINEL"),
        "{list}"
    );
    assert!(!report.to_string().contains("SENTINEL"));
}

#[test]
fn auth_credentials_are_secrets_and_auth_modes_are_settings() {
    let p = Project::with(&[(
        ".env",
        "BASIC_AUTH=admin:SENTINEL-basic-pw\nHTTP_AUTHORIZATION=Bearer SENTINEL-bearer-0a1b2c\nSMTP_AUTH=login\nKAFKA_SASL_AUTH=SCRAM-SHA-256\nAUTH_BACKEND=django.contrib.auth.backends.ModelBackend\n",
    )]);
    let list = p.run(&["list", "--format", "json"]).ok();
    assert!(!list.stdout().contains("SENTINEL"), "{}", list.stdout());
    let json = list.json();
    let sensitive = |key: &str| {
        json["vars"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .unwrap_or_else(|| panic!("{key} not listed: {json}"))["sensitive"]
            .as_bool()
            .unwrap()
    };
    assert!(sensitive("BASIC_AUTH"));
    assert!(sensitive("HTTP_AUTHORIZATION"));
    assert!(!sensitive("SMTP_AUTH"));
    assert!(!sensitive("KAFKA_SASL_AUTH"));
    assert!(!sensitive("AUTH_BACKEND"));
    // doctor finds an exported credential under such a name.
    let run = p.run_env(
        &["doctor", "--format", "json", "--fail-on", "never"],
        &[("BASIC_AUTH", "admin:SENTINEL-basic-pw")],
        &[],
    );
    assert!(!run.stdout().contains("SENTINEL"), "{}", run.stdout());
    assert!(
        run.stdout().contains("BASIC_AUTH"),
        "doctor should report BASIC_AUTH: {}",
        run.stdout()
    );
}
