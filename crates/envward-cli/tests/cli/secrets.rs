//! Secrets by kind: generated keys, passwords and provider tokens have
//! their own minimum lengths; placeholders and development values; secrets
//! in clear in strict environments; development secrets reused in
//! production (found by `check -e production` alone); identity files
//! readable by others. Sentinel values never reach stdout or stderr.

use serde_json::Value;

use crate::harness::{Project, Run};

const STRICT: &str = "[environments.production]\nstrict = true\n";

fn private(p: &Project, files: &[&str]) {
    #[cfg(unix)]
    for f in files {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (p, files);
}

/// (rule, key) of every finding of a JSON report.
fn findings(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["key"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[track_caller]
fn never_shows(r: &Run, sentinels: &[&str]) {
    for s in sentinels {
        assert!(!r.stdout().contains(s), "{s} in stdout: {}", r.stdout());
        assert!(!r.stderr().contains(s), "{s} in stderr: {}", r.stderr());
    }
}

/// A project with one strict production file (mode 0600).
fn production(env_file: &str, extra_schema: &str) -> Project {
    let p = Project::with(&[
        ("envward.toml", &format!("{STRICT}{extra_schema}")),
        (".env.production", env_file),
    ]);
    private(&p, &[".env.production"]);
    p
}

#[test]
fn provider_credentials_are_judged_as_passwords_and_tokens_not_generated_keys() {
    // Issue #12 item 6: a 21-character SMTP password from the provider, a
    // 24-character database password, a 32-character SECRET_KEY outside a
    // Django project: none is "shorter than 32".
    let smtp = "Sm7pPw-SENTINEL-21chr";
    let db = "Db9x-SENTINEL-24-chars-x";
    let key = "Kq8#SENTINEL-32-characters-long!";
    assert_eq!((smtp.len(), db.len(), key.len()), (21, 24, 32));
    let env_file =
        format!("EMAIL_HOST_PASSWORD={smtp}\nPOSTGRES_PASSWORD={db}\nSECRET_KEY={key}\n");
    let p = production(&env_file, "");
    let r = p.run(&["check", "-e", "production", "--format", "json"]);
    never_shows(&r, &[smtp, db, key]);
    let v = r.ok().json();
    assert!(
        findings(&v)
            .iter()
            .all(|(rule, _)| rule != "secret.min-length" && rule != "secret.weak"),
        "{v:#}"
    );
    // The same SECRET_KEY in a Django project (manage.py) is Django's: 50.
    p.write("manage.py", "#!/usr/bin/env python\n");
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    never_shows(&r, &[smtp, db, key]);
    assert!(
        r.stdout().contains(
            "`SECRET_KEY` is shorter than 50 characters (the minimum for Django's SECRET_KEY)"
        ),
        "{}",
        r.stdout()
    );
    // A password shorter than 16 characters, and a generated key shorter
    // than 32, still fail, each saying which minimum applies.
    let p = production(
        "EMAIL_HOST_PASSWORD=Sm7p-SENT-12\nJWT_SIGNING_KEY=Jw7-SENTINEL-24-chars-xx\n",
        "",
    );
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    never_shows(&r, &["Sm7p-SENT-12", "Jw7-SENTINEL-24-chars-xx"]);
    let out = r.stdout();
    assert!(
        out.contains(
            "`EMAIL_HOST_PASSWORD` is shorter than 16 characters (the minimum for a password)"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "`JWT_SIGNING_KEY` is shorter than 32 characters (the minimum for a key the project generates)"
        ),
        "{out}"
    );
    // The thresholds are parameters of the rule.
    let p = production(
        "EMAIL_HOST_PASSWORD=Sm7p-SENT-12\n",
        "[rules.\"secret.min-length\"]\npassword_min_length = 12\n",
    );
    p.run(&["check", "-e", "production"]).ok();
}

#[test]
fn placeholders_and_development_values_fail_in_strict_environments() {
    for value in [
        "dev-secret-key",
        "dummy-9f8e7d6c5b4a39281706f5e4d3c2b1a0aa11bb22cc33dd44ee",
        "test-secret-key-9f8e7d6c5b4a39281706f5e4d3c2b1a0aa11bb22cc33dd",
        "changemechangemechangemechangemechangemechangemechangeme",
    ] {
        let p = production(&format!("SECRET_KEY={value}\n"), "");
        let r = p
            .run(&["check", "-e", "production", "--format", "json"])
            .expect_code(1);
        never_shows(&r, &[value]);
        assert!(
            findings(&r.json()).contains(&("secret.weak".into(), "SECRET_KEY".into())),
            "{value}: {}",
            r.stdout()
        );
        let text = p.run(&["check", "-e", "production"]).expect_code(1);
        assert!(
            text.stdout()
                .contains("`SECRET_KEY` is a placeholder or development value"),
            "{}",
            text.stdout()
        );
    }
    // Real random values, even with words of a placeholder inside them,
    // are not placeholders.
    for value in [
        "pr0d-Hx7#Qm2!Vz9@Lc4%Rb8&Tn1*Kw6^Yp3(Fd5)Js0-Ge7+Ua2",
        "7f3c9a1e5b2d8f4a6c0e9b7d5f3a1c8eTestDummy0a9b8c7d6e5f4a3b2",
    ] {
        let p = production(&format!("SECRET_KEY={value}\n"), "");
        let v = p.check_json("production");
        assert!(
            !findings(&v).iter().any(|(r, _)| r == "secret.weak"),
            "{value}: {v:#}"
        );
    }
    // Outside strict environments a development value is what it should be.
    let p = Project::with(&[(".env", "SECRET_KEY=dev-secret-key\n")]);
    private(&p, &[".env"]);
    p.run(&["check"]).ok();
}

#[test]
fn secrets_in_clear_in_strict_environments_are_reported_with_a_configurable_severity() {
    let sentinel = "Pl41n-SENTINEL-Zq8#Vx2!Mk5@Rt9%Wc3^Hb7&Ld1*";
    let p = production(&format!("API_TOKEN={sentinel}\nLOG_LEVEL=INFO\n"), "");
    let r = p.run(&["check", "-e", "production", "--format", "json"]);
    never_shows(&r, &[sentinel]);
    // A warning by default: the deploy goes on.
    let v = r.ok().json();
    let f: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "secret.plaintext-in-strict")
        .collect();
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0]["key"], "API_TOKEN");
    assert_eq!(f[0]["severity"], "warning");
    assert_eq!(f[0]["origin"]["line"], 1, "{v:#}");
    // The same value from the process environment is not in a file.
    let p2 = production("LOG_LEVEL=INFO\n", "");
    let r = p2.run_env(
        &["check", "-e", "production", "--format", "json"],
        &[("API_TOKEN", sentinel)],
        &[],
    );
    never_shows(&r, &[sentinel]);
    assert!(
        !findings(&r.ok().json())
            .iter()
            .any(|(rule, _)| rule == "secret.plaintext-in-strict")
    );
    // Nor through KEY_FILE.
    p2.write("token.txt", sentinel);
    private(&p2, &["token.txt"]);
    p2.write(".env.production", "API_TOKEN_FILE=token.txt\n");
    private(&p2, &[".env.production"]);
    let v = p2.check_json("production");
    assert!(
        !findings(&v)
            .iter()
            .any(|(rule, _)| rule == "secret.plaintext-in-strict"),
        "{v:#}"
    );
    // Nor in a development environment.
    let dev = Project::with(&[(".env", &format!("API_TOKEN={sentinel}\n"))]);
    private(&dev, &[".env"]);
    assert!(
        !findings(&dev.check_json("development"))
            .iter()
            .any(|(rule, _)| rule == "secret.plaintext-in-strict")
    );
    // A team that requires encryption makes it an error.
    p.write(
        "envward.toml",
        format!("{STRICT}[rules.\"secret.plaintext-in-strict\"]\nseverity = \"error\"\n"),
    );
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    never_shows(&r, &[sentinel]);
    assert!(
        r.stdout()
            .contains("`API_TOKEN` is a secret written in clear in .env.production (production)"),
        "{}",
        r.stdout()
    );
}

#[test]
fn a_development_secret_reused_in_production_is_found_without_all_envs() {
    let shared = "Re5u-SENTINEL-Zq8#Vx2!Mk5@Rt9%Wc3^Hb7&Ld1*Np4~Gs6";
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.development]\n[environments.production]\nstrict = true\n",
        ),
        (".env.development", &format!("SECRET_KEY={shared}\n")),
        (
            ".env.production",
            &format!(
                "SECRET_KEY=Pr0d-Own-Value-Yt3#Qw8!Zx1@Lk6%Mn2^Bv9&Cf4\nJWT_SECRET={shared}\n"
            ),
        ),
    ]);
    private(&p, &[".env.development", ".env.production"]);
    let r = p
        .run(&["check", "-e", "production", "--format", "json"])
        .expect_code(1);
    never_shows(&r, &[shared]);
    let v = r.json();
    assert!(
        findings(&v).contains(&(
            "secret.reused-across-environments".into(),
            "JWT_SECRET".into()
        )),
        "{v:#}"
    );
    let text = p.run(&["check", "-e", "production"]).expect_code(1);
    never_shows(&text, &[shared]);
    assert!(
        text.stdout().contains(
            "`JWT_SECRET` in production has the same value as `SECRET_KEY` in development"
        ),
        "{}",
        text.stdout()
    );
    // The same key, the same value: named once.
    p.write(".env.production", format!("SECRET_KEY={shared}\n"));
    private(&p, &[".env.production"]);
    let text = p.run(&["check", "-e", "production"]).expect_code(1);
    assert!(
        text.stdout()
            .contains("`SECRET_KEY` has the same value in production and development"),
        "{}",
        text.stdout()
    );
    // Its own value in production: quiet.
    p.write(
        ".env.production",
        "SECRET_KEY=Pr0d-Own-Value-Yt3#Qw8!Zx1@Lk6%Mn2^Bv9&Cf4\n",
    );
    private(&p, &[".env.production"]);
    p.run(&["check", "-e", "production"]).ok();
    // One value from the process environment is seen by every
    // environment: that is not a reuse.
    p.write(".env.development", "LOG_LEVEL=DEBUG\n");
    p.write(".env.production", "LOG_LEVEL=INFO\n");
    let r = p.run_env(
        &["check", "-e", "production"],
        &[("SECRET_KEY", shared)],
        &[],
    );
    never_shows(&r, &[shared]);
    assert!(
        !r.stdout().contains("secret.reused-across-environments"),
        "{}",
        r.stdout()
    );
}

#[cfg(unix)]
#[test]
fn an_identity_file_readable_by_others_is_reported_by_check_and_doctor() {
    use std::os::unix::fs::PermissionsExt;
    let p = production("LOG_LEVEL=INFO\n", "");
    let identity = p.join("keys/identity.txt");
    std::fs::create_dir_all(identity.parent().unwrap()).unwrap();
    p.keygen(&identity);
    let key_text = std::fs::read_to_string(&identity).unwrap();
    let secret_line = key_text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap()
        .to_string();
    let set_mode =
        |m| std::fs::set_permissions(&identity, std::fs::Permissions::from_mode(m)).unwrap();
    let id = identity.to_str().unwrap();
    // Private: quiet.
    set_mode(0o600);
    let r = p.run_env(
        &["check", "-e", "production", "--format", "json"],
        &[("ENVWARD_IDENTITY_FILE", id)],
        &[],
    );
    assert!(
        !findings(&r.ok().json())
            .iter()
            .any(|(rule, _)| rule == "files.identity-permissions")
    );
    // Readable by every user: an error in a strict environment.
    set_mode(0o644);
    let r = p.run_env(
        &["check", "-e", "production", "--format", "json"],
        &[("ENVWARD_IDENTITY_FILE", id)],
        &[],
    );
    never_shows(&r, &[&secret_line]);
    let v = r.expect_code(1).json();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "files.identity-permissions")
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(f["severity"], "error");
    assert!(
        f["message"].as_str().unwrap().contains("mode 0644"),
        "{f:#}"
    );
    // Named with --identity too.
    let r = p.run(&["check", "-e", "production", "--identity", id]);
    never_shows(&r, &[&secret_line]);
    assert!(
        r.expect_code(1)
            .stdout()
            .contains("files.identity-permissions")
    );
    // doctor says the same.
    std::fs::create_dir_all(p.join("secrets")).unwrap();
    let secrets = p.join("secrets");
    let doctor = || {
        p.run_env(
            &[
                "doctor",
                "--secrets-dir",
                secrets.to_str().unwrap(),
                "--format",
                "json",
            ],
            &[("ENVWARD_IDENTITY_FILE", id)],
            &[],
        )
    };
    let r = doctor();
    never_shows(&r, &[&secret_line]);
    let v = r.expect_code(1).json();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["rule"] == "doctor.secret-file-readable"
                && f["message"].as_str().unwrap().contains("age identity")
        })
        .unwrap_or_else(|| panic!("{v:#}"));
    assert_eq!(f["severity"], "error");
    // Group-readable is still too much for a private key (a warning).
    set_mode(0o640);
    let r = doctor();
    let v = r.json();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| { f["rule"] == "doctor.secret-file-readable" && f["severity"] == "warning" }),
        "{v:#}"
    );
    set_mode(0o600);
    let r = doctor();
    let v = r.json();
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "doctor.secret-file-readable"),
        "{v:#}"
    );
}

/// `init --preset django` passes `check` in every environment except on
/// the values only the user knows, and each of those findings says it is a
/// value to fill in; filled in, everything passes.
#[test]
fn init_django_passes_its_own_gate_once_the_values_are_filled_in() {
    for layout in ["dir", "flat"] {
        let p = Project::new();
        p.run(&["init", "--preset", "django", "--layout", layout])
            .ok();
        let v = p.check_json("--all-envs");
        let all = v["findings"].as_array().unwrap();
        assert!(!all.is_empty(), "{layout}: {v:#}");
        for f in all {
            assert_eq!(f["rule"], "schema.required", "{layout}: {f:#}");
            assert!(
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains("a value still to fill in"),
                "{layout}: {f:#}"
            );
            assert_ne!(f["environment"], "development", "{layout}: {f:#}");
        }
        // The development environment passes as generated.
        let dev = p.check_json("development");
        assert_eq!(dev["findings"].as_array().unwrap().len(), 0, "{dev:#}");
        // Filled in as a careful user would: plain settings in the files,
        // secrets from the process environment at deploy time.
        for env in ["staging", "production"] {
            let file = match layout {
                "dir" => format!("env/{env}/common.env"),
                _ => format!(".env.{env}"),
            };
            let text = std::fs::read_to_string(p.join(&file)).unwrap();
            let filled: String = text
                .lines()
                .map(|l| match l {
                    "ALLOWED_HOSTS=" => format!("ALLOWED_HOSTS={env}.example.com"),
                    "POSTGRES_USER=" => "POSTGRES_USER=app_user".into(),
                    "POSTGRES_HOST=" => format!("POSTGRES_HOST=db.{env}.internal"),
                    "POSTGRES_DB=" => "POSTGRES_DB=app".into(),
                    "REDIS_URL=" => format!("REDIS_URL=rediss://cache.{env}.internal:6380/0"),
                    "DEFAULT_FROM_EMAIL=" => "DEFAULT_FROM_EMAIL=noreply@example.com".into(),
                    l => l.to_string(),
                })
                .map(|l| l + "\n")
                .collect();
            p.write(&file, filled);
            private(&p, &[&file]);
        }
        let django_key = "Dj4#Kx9!Qm2@Vz7%Lc5^Rb8&Tn1*Yw6(Hp3)Fs0-Gd9+Ua4=Je7";
        let jwt = "Jw8#Tk3!Pz6@Lm1%Xc9^Vb4&Nq7*Rd2(Gs5)";
        let db_password = "Pg5-Vq8-Lx2-Rt7-Wz4-Kp9";
        let url = format!("postgres://app_user:{db_password}@db.internal:5432/app?sslmode=require");
        let secrets = [
            ("DJANGO_SECRET_KEY", django_key),
            ("JWT_SECRET_KEY", jwt),
            ("POSTGRES_PASSWORD", db_password),
            ("DATABASE_URL", url.as_str()),
        ];
        for env in ["staging", "production"] {
            let r = p.run_env(
                &[
                    "check",
                    "-e",
                    env,
                    "--format",
                    "json",
                    "--fail-on",
                    "warning",
                ],
                &secrets,
                &[],
            );
            never_shows(&r, &[django_key, jwt, db_password]);
            let v = r.ok().json();
            assert_eq!(
                v["findings"].as_array().unwrap().len(),
                0,
                "{layout} {env}: {v:#}"
            );
        }
    }
}

/// `[vars.KEY.env.ENV] default`: the value in that environment when no
/// source sets it, checked against the key's rules like any default.
#[test]
fn a_default_for_one_environment() {
    let schema = "[environments.development]\n[environments.production]\nstrict = true\n\
                  [vars.PGSSLMODE]\ntype = \"enum\"\nchoices = [\"prefer\", \"require\"]\ndefault = \"prefer\"\n\
                  [vars.PGSSLMODE.env.production]\ndefault = \"require\"\n";
    let p = Project::with(&[("envward.toml", schema)]);
    let dev = p.run(&["get", "PGSSLMODE", "-e", "development"]).ok();
    assert_eq!(dev.stdout().trim(), "prefer");
    let prod = p.run(&["get", "PGSSLMODE", "-e", "production"]).ok();
    assert_eq!(prod.stdout().trim(), "require");
    // A default that breaks the key's own rules is a schema error.
    p.write(
        "envward.toml",
        schema.replace("default = \"require\"", "default = \"always\""),
    );
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    assert!(
        r.stdout()
            .contains("the default of `PGSSLMODE` in `production` breaks its own rules"),
        "{}",
        r.stdout()
    );
}
