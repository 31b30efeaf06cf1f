//! Environments kept apart (docs/rules.md, "Environments apart"): the
//! password inside a URL reused in another environment, two strict
//! environments on one database or cache (`env.isolation`), and a database
//! given as separate parts without TLS. Sentinel passwords never appear in
//! any report format.

use serde_json::Value;

use crate::harness::{Project, Run};

const ENVS: &str = "[environments.development]\n[environments.staging]\nstrict = true\n[environments.production]\nstrict = true\n";

/// A password that must never be printed, `%`-encoded in URLs (`@` as %40).
const PW: &str = "SENTINEL-Db%40pass-8c1e-Kq7Vx2Lm9Zt4";
/// The same password, decoded.
const PW_DECODED: &str = "SENTINEL-Db@pass-8c1e-Kq7Vx2Lm9Zt4";

fn project(files: &[(&str, &str)]) -> Project {
    let mut all = vec![("envward.toml", ENVS)];
    all.extend_from_slice(files);
    let p = Project::with(&all);
    #[cfg(unix)]
    for (f, _) in files {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(p.join(f), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    p
}

/// (rule, environment, key, message) of every finding of `rule`.
fn of(v: &Value, rule: &str) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["environment"].as_str().unwrap_or_default().to_string(),
                f["key"].as_str().unwrap_or_default().to_string(),
                f["message"].as_str().unwrap_or_default().to_string(),
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

/// Every report format of `check ARGS`, none quoting a sentinel; returns
/// the JSON report.
#[track_caller]
fn every_format(p: &Project, args: &[&str], sentinels: &[&str]) -> Value {
    for format in ["text", "json", "sarif", "junit", "markdown", "html"] {
        let mut all = vec!["check", "--fail-on", "never", "--format", format];
        all.extend_from_slice(args);
        let r = p.run(&all).ok();
        never_shows(&r, sentinels);
    }
    let mut all = vec!["check", "--fail-on", "never", "--format", "json"];
    all.extend_from_slice(args);
    p.run(&all).ok().json()
}

#[test]
fn the_password_inside_a_url_reused_in_another_environment_is_found() {
    let p = project(&[
        (
            ".env.development",
            &format!("DATABASE_URL=postgres://app:{PW}@localhost:5432/app\n"),
        ),
        (
            ".env.production",
            &format!(
                "DATABASE_URL=postgres://app_prod:{PW}@db.example.com:5432/app?sslmode=require\n"
            ),
        ),
    ]);
    let rule = "secret.reused-across-environments";
    // The gate alone: development is loaded to compare with.
    let v = every_format(&p, &["-e", "production"], &[PW, PW_DECODED]);
    assert_eq!(
        of(&v, rule),
        [(
            "production".into(),
            "DATABASE_URL".into(),
            "the password in `DATABASE_URL` is the same as in development".into()
        )],
        "{v:#}"
    );
    p.run(&["check", "-e", "production"]).expect_code(1);
    // The same with --all-envs.
    let v = every_format(&p, &["--all-envs"], &[PW, PW_DECODED]);
    assert_eq!(of(&v, rule).len(), 1, "{v:#}");

    // Decoded before it is compared: the plain password of another
    // environment, under another key, is the same secret.
    p.write(
        ".env.development",
        format!("POSTGRES_PASSWORD={PW_DECODED}\n"),
    );
    let v = every_format(&p, &["-e", "production"], &[PW, PW_DECODED]);
    assert_eq!(
        of(&v, rule),
        [(
            "production".into(),
            "DATABASE_URL".into(),
            "the password in `DATABASE_URL` is the same as `POSTGRES_PASSWORD` in development"
                .into()
        )],
        "{v:#}"
    );
    // A Redis URL without a user name, and the other way round: a plain
    // secret of production found inside a URL of staging.
    p.write(".env.development", "LOG_LEVEL=DEBUG\n");
    p.write(
        ".env.staging",
        format!("REDIS_URL=rediss://:{PW}@cache.staging.example.com:6380/0\n"),
    );
    p.write(
        ".env.production",
        format!("REDIS_PASSWORD={PW_DECODED}\nREDIS_URL=rediss://:{PW}@cache.example.com:6380/0\n"),
    );
    let v = every_format(&p, &["-e", "production"], &[PW, PW_DECODED]);
    // Reported once: the URL of production holds the plain key's value.
    assert_eq!(
        of(&v, rule),
        [(
            "production".into(),
            "REDIS_PASSWORD".into(),
            "`REDIS_PASSWORD` in production has the same value as the password in `REDIS_URL` in staging"
                .into()
        )],
        "{v:#}"
    );
    // Each environment its own password: quiet.
    p.write(
        ".env.production",
        "REDIS_URL=rediss://:Pr0d-0wn-Xq8Lm2Vt6Zk9Rb3@cache.example.com:6380/0\n",
    );
    let v = p.check_json("production");
    assert!(of(&v, rule).is_empty(), "{v:#}");
}
