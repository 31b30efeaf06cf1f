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

#[test]
fn two_strict_environments_on_one_database_are_reported_where_it_is_not_production() {
    let url = format!("postgres://app:{PW}@db.example.com:5432/app?sslmode=require");
    let p = project(&[
        (".env.staging", &format!("DATABASE_URL={url}\n")),
        (".env.production", &format!("DATABASE_URL={url}\n")),
    ]);
    let rule = "env.isolation";
    let same =
        "`DATABASE_URL` points at the same database as in production (db.example.com:5432/app)";
    // Both checked: in staging only.
    let v = every_format(&p, &["--all-envs"], &[PW, PW_DECODED]);
    assert_eq!(
        of(&v, rule),
        [("staging".into(), "DATABASE_URL".into(), same.into())],
        "{v:#}"
    );
    // The password is the same too: the reuse rule says so (both are
    // strict, so each environment reports its own key).
    assert!(
        of(&v, "secret.reused-across-environments")
            .iter()
            .any(|(env, key, _)| env == "production" && key == "DATABASE_URL"),
        "{v:#}"
    );
    // Only production checked (the deploy gate): staging is loaded to
    // compare with, so production reports it.
    let v = every_format(&p, &["-e", "production"], &[PW, PW_DECODED]);
    assert_eq!(
        of(&v, rule),
        [(
            "production".into(),
            "DATABASE_URL".into(),
            "`DATABASE_URL` points at the same database as in staging (db.example.com:5432/app)"
                .into()
        )],
        "{v:#}"
    );
    p.run(&["check", "-e", "production"]).expect_code(1);
    let v = p.check_json("staging");
    assert_eq!(
        of(&v, rule),
        [("staging".into(), "DATABASE_URL".into(), same.into())],
        "{v:#}"
    );

    // Another database on the same server, another port: apart.
    p.write(
        ".env.staging",
        format!(
            "DATABASE_URL=postgres://app:{PW}@db.example.com:5432/app_staging?sslmode=require\n"
        ),
    );
    assert!(of(&p.check_json("--all-envs"), rule).is_empty());
    p.write(
        ".env.staging",
        format!("DATABASE_URL=postgres://app:{PW}@db.example.com:5433/app?sslmode=require\n"),
    );
    assert!(of(&p.check_json("--all-envs"), rule).is_empty());
    // The default port written out, another scheme spelling: the same.
    p.write(
        ".env.staging",
        format!("DATABASE_URL=postgresql://other:{PW}@DB.example.com/app?sslmode=require\n"),
    );
    assert_eq!(of(&p.check_json("--all-envs"), rule).len(), 1);

    // Separate parts in staging, a URL in production: the same database.
    p.write(
        ".env.staging",
        "POSTGRES_HOST=db.example.com\nPOSTGRES_PORT=5432\nPOSTGRES_DB=app\nPGSSLMODE=require\n",
    );
    let v = every_format(&p, &["--all-envs"], &[PW, PW_DECODED]);
    assert_eq!(
        of(&v, rule),
        [(
            "staging".into(),
            "POSTGRES_HOST".into(),
            "`POSTGRES_HOST` points at the same database as `DATABASE_URL` in production (db.example.com:5432/app)"
                .into()
        )],
        "{v:#}"
    );
    // An exception with its reason.
    p.write(
        "envward.toml",
        format!("{ENVS}[[rules.\"env.isolation\".allow]]\nkey = \"POSTGRES_HOST\"\nreason = \"staging reads a replica through the same name\"\n"),
    );
    assert!(of(&p.check_json("--all-envs"), rule).is_empty());
}

#[test]
fn caches_and_brokers_are_compared_and_per_deployment_names_are_not() {
    let p = project(&[
        (
            ".env.staging",
            "REDIS_URL=rediss://cache.example.com:6379\n",
        ),
        (
            ".env.production",
            "CELERY_BROKER_URL=rediss://cache.example.com:6379/0\n",
        ),
    ]);
    let rule = "env.isolation";
    let v = p.check_json("--all-envs");
    assert_eq!(
        of(&v, rule),
        [(
            "staging".into(),
            "REDIS_URL".into(),
            "`REDIS_URL` points at the same Redis server and database as `CELERY_BROKER_URL` in production (cache.example.com:6379/0)"
                .into()
        )],
        "{v:#}"
    );
    // Another Redis database: apart.
    p.write(
        ".env.staging",
        "REDIS_URL=rediss://cache.example.com:6379/1\n",
    );
    assert!(of(&p.check_json("--all-envs"), rule).is_empty());

    // Names every deployment resolves to its own machine: the local host,
    // docker compose services, Kubernetes services, mDNS names.
    for host in [
        "localhost",
        "127.0.0.1",
        "db",
        "redis",
        "postgres.default.svc.cluster.local",
        "db.local",
        "host.docker.internal",
    ] {
        let env = format!(
            "DATABASE_URL=postgres://app:{PW}@{host}:5432/app\nREDIS_URL=rediss://{host}:6379/0\nDB_HOST={host}\nDB_NAME=app\n"
        );
        p.write(".env.staging", &env);
        p.write(".env.production", &env);
        let v = p.check_json("--all-envs");
        assert!(of(&v, rule).is_empty(), "{host}: {v:#}");
    }

    // A development environment (not strict) is not compared.
    let p = project(&[
        (".env.development", "DB_HOST=db.example.com\nDB_NAME=app\n"),
        (
            ".env.production",
            "DB_HOST=db.example.com\nDB_NAME=app\nPGSSLMODE=require\n",
        ),
    ]);
    assert!(of(&p.check_json("--all-envs"), rule).is_empty());
    assert!(of(&p.check_json("production"), rule).is_empty());

    // Two production-named environments, both checked: each says it.
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production-eu]\nstrict = true\n[environments.production-us]\nstrict = true\n",
        ),
        (
            ".env.production-eu",
            "DB_HOST=db.example.com\nDB_NAME=app\n",
        ),
        (
            ".env.production-us",
            "DB_HOST=db.example.com\nDB_NAME=app\n",
        ),
    ]);
    let v = p.check_json("--all-envs");
    let found: Vec<String> = of(&v, rule).into_iter().map(|(env, _, _)| env).collect();
    assert_eq!(found, ["production-eu", "production-us"], "{v:#}");
}

#[test]
fn a_database_given_as_parts_must_require_tls_on_a_remote_host() {
    let rule = "database.production-ready";
    let password = format!("POSTGRES_PASSWORD={PW_DECODED}\n");
    let p = project(&[(
        ".env.production",
        &format!(
            "DB_HOST=db.example.com\nDB_NAME=app\n{password}PGSSLMODE=disable\nDB_SSLMODE=prefer\n"
        ),
    )]);
    // Each explicit mode that does not require TLS, at its own line.
    let v = every_format(&p, &["-e", "production"], &[PW_DECODED]);
    assert_eq!(
        of(&v, rule),
        [
            (
                "production".into(),
                "DB_SSLMODE".into(),
                "`DB_SSLMODE` = \"prefer\" does not require TLS to the database at `DB_HOST` = \"db.example.com\""
                    .into()
            ),
            (
                "production".into(),
                "PGSSLMODE".into(),
                "`PGSSLMODE` = \"disable\" does not require TLS to the database at `DB_HOST` = \"db.example.com\""
                    .into()
            ),
        ],
        "{v:#}"
    );
    let lines: Vec<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| f["origin"]["line"].as_u64().unwrap_or_default())
        .collect();
    assert_eq!(lines, [5, 4], "{v:#}");
    p.run(&["check", "-e", "production"]).expect_code(1);

    // No SSL mode at all: on the host key.
    p.write(
        ".env.production",
        format!("POSTGRES_HOST=db.example.com\nPOSTGRES_DB=app\n{password}"),
    );
    let v = every_format(&p, &["-e", "production"], &[PW_DECODED]);
    assert_eq!(
        of(&v, rule),
        [(
            "production".into(),
            "POSTGRES_HOST".into(),
            "`POSTGRES_HOST` is a database host that is not local and TLS not required: no SSL mode is set (PGSSLMODE=require or verify-full)"
                .into()
        )],
        "{v:#}"
    );
    // Required: quiet, whatever the spelling.
    for mode in [
        "PGSSLMODE=require",
        "DB_SSLMODE=verify-full",
        "POSTGRES_SSLMODE=verify-ca",
    ] {
        p.write(
            ".env.production",
            format!("POSTGRES_HOST=db.example.com\nPOSTGRES_DB=app\n{password}{mode}\n"),
        );
        let v = p.check_json("production");
        assert!(of(&v, rule).is_empty(), "{mode}: {v:#}");
    }
    // MySQL: its own key and words.
    p.write(
        ".env.production",
        format!(
            "MYSQL_HOST=db.example.com\nMYSQL_DATABASE=app\n{password}MYSQL_SSL_MODE=PREFERRED\n"
        ),
    );
    let v = p.check_json("production");
    assert_eq!(
        of(&v, rule)
            .iter()
            .map(|f| f.1.as_str())
            .collect::<Vec<_>>(),
        ["MYSQL_SSL_MODE"],
        "{v:#}"
    );
    p.write(
        ".env.production",
        format!("MYSQL_HOST=db.example.com\nMYSQL_DATABASE=app\n{password}MYSQL_SSL_MODE=VERIFY_IDENTITY\n"),
    );
    assert!(of(&p.check_json("production"), rule).is_empty());
    // DB_HOST on MySQL's port: PostgreSQL's PGSSLMODE is not its mode.
    p.write(
        ".env.production",
        format!("DB_HOST=db.example.com\nDB_PORT=3306\nDB_NAME=app\n{password}PGSSLMODE=require\n"),
    );
    let v = p.check_json("production");
    assert_eq!(
        of(&v, rule)
            .iter()
            .map(|f| f.2.as_str())
            .collect::<Vec<_>>(),
        [
            "`DB_HOST` is a database host that is not local and TLS not required: no SSL mode is set (MYSQL_SSL_MODE=REQUIRED or VERIFY_IDENTITY)"
        ],
        "{v:#}"
    );
    // The local host keeps its own finding; no TLS asked of it.
    p.write(
        ".env.production",
        format!("DB_HOST=localhost\nDB_NAME=app\n{password}"),
    );
    let v = p.check_json("production");
    assert_eq!(
        of(&v, rule)
            .iter()
            .map(|f| f.2.as_str())
            .collect::<Vec<_>>(),
        ["`DB_HOST` is the local host"],
        "{v:#}"
    );
    // Outside strict environments: nothing asked.
    p.write(
        ".env.development",
        "DB_HOST=db.example.com\nDB_NAME=app\nPGSSLMODE=disable\n",
    );
    let v = p.check_json("development");
    assert!(of(&v, rule).is_empty(), "{v:#}");
}

#[test]
fn a_per_process_or_local_cache_is_warned_about_in_strict_environments() {
    let rule = "cache.production-ready";
    let p = project(&[(
        ".env.production",
        &format!(
            "CACHE_BACKEND=django.core.cache.backends.locmem.LocMemCache\n\
             CACHE_LOCATION=redis://127.0.0.1:6379/1\n\
             CELERY_BROKER_URL=rediss://:{PW}@localhost:6379/0\n\
             CELERY_RESULT_BACKEND=cache+memory://\n\
             REDIS_HOST=localhost\n\
             CACHE_URL=rediss://:{PW}@cache.example.com:6380/0\n"
        ),
    )]);
    let v = every_format(&p, &["-e", "production"], &[PW, PW_DECODED]);
    let found = of(&v, rule);
    let keys: Vec<&str> = found.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        keys,
        [
            "CACHE_BACKEND",
            "CACHE_LOCATION",
            "CELERY_BROKER_URL",
            "CELERY_RESULT_BACKEND",
            "REDIS_HOST"
        ],
        "{v:#}"
    );
    assert!(
        found.iter().all(|f| v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["rule"] == rule && g["severity"] == "warning" && g["key"] == f.1.as_str())),
        "{v:#}"
    );
    assert_eq!(
        found[0].2,
        "`CACHE_BACKEND` = \"django.core.cache.backends.locmem.LocMemCache\" is a per-process cache: each worker and replica has its own, so cached data, sessions and rate-limit counters are not shared"
    );
    // A warning: the gate fails only when asked to.
    p.write(
        ".env.production",
        "CACHE_BACKEND=django.core.cache.backends.dummy.DummyCache\n",
    );
    let r = p.run(&["check", "-e", "production", "--format", "json"]);
    assert_eq!(of(&r.json(), rule).len(), 1);
    p.run(&["check", "-e", "production", "--fail-on", "warning"])
        .expect_code(1);
    // A shared cache server: quiet; outside strict environments: quiet.
    p.write(
        ".env.production",
        "CACHE_BACKEND=django.core.cache.backends.redis.RedisCache\nCACHE_LOCATION=rediss://cache.example.com:6380/1\n",
    );
    assert!(of(&p.check_json("production"), rule).is_empty());
    p.write(
        ".env.development",
        "CACHE_BACKEND=django.core.cache.backends.locmem.LocMemCache\nREDIS_URL=redis://localhost:6379/0\n",
    );
    assert!(of(&p.check_json("development"), rule).is_empty());
}
