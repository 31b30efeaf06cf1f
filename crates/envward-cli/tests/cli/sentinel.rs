//! Security invariant 1: no secret value reaches stdout or stderr unless
//! the command was asked for it. Unique sentinels are planted in every
//! kind of sensitive place and every output is grepped for them.

use crate::harness::Project;

const SENTINELS: &[&str] = &[
    "SENTINEL-secret-key-7f3a",
    "SENTINEL-db-password-91c2",
    "SENTINEL-url-password-55d0",
    "SENTINEL-file-secret-e8b1",
    "SENTINEL-schema-secret-0c4d",
    "SENTINEL-process-token-3a9e",
    "SENTINEL-dup-token-b7c3",
];

fn project() -> Project {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n[vars.STRIPE]\nsensitive = true\n",
        ),
        (
            "env/common.env",
            "APP=webapp\nAPI_TOKEN=SENTINEL-dup-token-b7c3\nAPI_TOKEN=x-SENTINEL-dup-token-b7c3\n",
        ),
        (
            "env/production/common.env",
            "SECRET_KEY=SENTINEL-secret-key-7f3a\nDB_PASSWORD='SENTINEL-db-password-91c2'\nDATABASE_URL=postgres://u:${DB_PASSWORD}@db/app\nCACHE_URL=redis://:SENTINEL-url-password-55d0@cache:6379\nSTRIPE=SENTINEL-schema-secret-0c4d\nSIGNING_KEY_FILE=signing.key\nDEBUG=False\n",
        ),
        ("env/production/signing.key", "SENTINEL-file-secret-e8b1\n"),
    ]);
    p.env("GITHUB_TOKEN", "SENTINEL-process-token-3a9e")
}

#[track_caller]
fn assert_clean(what: &str, text: &str) {
    for s in SENTINELS {
        assert!(!text.contains(s), "{what} leaked {s}:\n{text}");
    }
}

fn check(p: &Project, args: &[&str]) {
    let r = p.run(args);
    assert_clean(&format!("stdout of {args:?}"), &r.stdout());
    assert_clean(&format!("stderr of {args:?}"), &r.stderr());
}

#[test]
fn no_command_prints_a_secret_unless_asked() {
    let p = project();
    let e = ["-e", "production"];
    let with = |rest: &[&str]| -> Vec<String> {
        rest.iter().chain(e.iter()).map(|s| s.to_string()).collect()
    };
    let mut runs: Vec<Vec<String>> = vec![
        with(&["list"]),
        with(&["list", "--format", "json"]),
        with(&["list", "--keys-only"]),
        with(&["get", "DEBUG"]),
        with(&["get", "NOT_THERE"]),
        with(&["run", "--", "true"]),
        with(&["run", "--", "no-such-program"]),
        vec!["list".into()],
    ];
    for key in [
        "SECRET_KEY",
        "DB_PASSWORD",
        "DATABASE_URL",
        "CACHE_URL",
        "STRIPE",
        "SIGNING_KEY",
        "API_TOKEN",
    ] {
        runs.push(with(&["explain", key]));
        runs.push(with(&["explain", key, "--format", "json"]));
    }
    for args in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        check(&p, &args);
    }
}

#[test]
fn the_sentinel_test_can_fail() {
    // Asking for values does print them: the greps above are not vacuous.
    let p = project();
    let r = p.run(&["list", "-e", "production", "--reveal"]).ok();
    for s in &SENTINELS[..5] {
        assert!(r.stdout().contains(s), "{s} missing from --reveal");
    }
    let r = p
        .run(&[
            "export",
            "-e",
            "production",
            "--no-check",
            "--format",
            "json",
        ])
        .ok();
    assert!(r.stdout().contains("SENTINEL-file-secret-e8b1"));
    let r = p.run(&["get", "-e", "production", "GITHUB_TOKEN"]).ok();
    assert!(r.stdout().contains("SENTINEL-process-token-3a9e"));
}

#[test]
fn errors_never_quote_a_secret() {
    let cases: &[(&str, &str)] = &[
        (".env", "DB_PASSWORD=\"SENTINEL-secret-key-7f3a\n"),
        (".env", "API_TOKEN='SENTINEL-secret-key-7f3a' trailing\n"),
        (
            ".env",
            "API_TOKEN=\"SENTINEL-secret-key-7f3a\nSENTINEL-db-password-91c2 ${oops\"\n",
        ),
        (".env", "SECRET_KEY=SENTINEL-secret-key-7f3a${MISSING}\n"),
        (
            ".env",
            "SECRET_KEY=SENTINEL-secret-key-7f3a${MISSING:?SENTINEL-db-password-91c2}\n",
        ),
        (
            ".env",
            "PASSWORD=SENTINEL-db-password-91c2\nPASSWORD=SENTINEL-secret-key-7f3a\n",
        ),
        (
            ".env",
            "MY_SECRET=SENTINEL-secret-key-7f3a\nMY_SECRET_FILE=/x\n",
        ),
    ];
    for (path, body) in cases {
        let p = Project::with(&[(path, body)]);
        for args in [&["list"][..], &["get", "X"], &["run", "--", "true"]] {
            check(&p, args);
        }
    }
}

#[test]
fn typed_access_errors_never_quote_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DB_PASSWORD=SENTINEL-db-password-91c2\nPORT=eighty\n",
    )
    .unwrap();
    let cfg = envward::Config::load(envward::LoadOptions {
        project_dir: Some(dir.path().into()),
        process_env: Some(Default::default()),
        ..Default::default()
    })
    .unwrap();
    let e = cfg.get_as::<u16>("DB_PASSWORD").unwrap_err().to_string();
    assert_clean("get_as error", &e);
    assert!(e.contains("DB_PASSWORD") && e.contains(".env:1:1"), "{e}");
    let e = cfg.get_as::<u16>("PORT").unwrap_err().to_string();
    assert!(
        e.contains("\"eighty\""),
        "non-secret values are quoted: {e}"
    );
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct S {
        db_password: u32,
    }
    let e = cfg.deserialize::<S>().unwrap_err().to_string();
    assert_clean("deserialize error", &e);
    assert!(e.contains("DB_PASSWORD"), "{e}");
    assert_clean("debug of Resolved", &format!("{cfg:?}"));
}

#[test]
fn check_reports_never_quote_a_secret() {
    let env = "BASE_URL=http://u:SENTINEL-url-password-55d0@app.example.com/\n\
               DATABASE_URL=postgres://postgres:SENTINEL-db-password-91c2@localhost/app\n\
               REDIS_URL=redis://:SENTINEL-secret-key-7f3a@cache:6379\n\
               API_TOKEN=SENTINEL-process-token-3a9e\n\
               JWT_SECRET_KEY=SENTINEL-process-token-3a9e\n\
               CORS_SECRET_ORIGINS=http://SENTINEL-dup-token-b7c3\n\
               POSTGRES_PASSWORD=SENTINEL-schema-secret-0c4d\n";
    let schema = "[environments.production]\nstrict = true\n[vars.API_TOKEN]\ntype = \"int\"\n[vars.API_TOKEN.env.production]\nnot_equals = \"SENTINEL-process-token-3a9e\"\n";
    let p = Project::with(&[("envward.toml", schema), (".env.production", env)]);
    for format in ["text", "json", "sarif", "junit", "markdown", "html"] {
        let r = p
            .run(&["check", "-e", "production", "--format", format])
            .expect_code(1);
        assert_clean(&format!("check report ({format})"), &r.stdout());
        assert_clean(&format!("check stderr ({format})"), &r.stderr());
        // The rules did fire: the greps are not vacuous.
        for rule in [
            "urls.https",
            "database.production-ready",
            "cache.tls",
            "secret.reused-across-keys",
            "schema.type",
        ] {
            assert!(r.stdout().contains(rule), "{rule} missing:\n{}", r.stdout());
        }
        // Every finding's key is named (the report is about them).
        for key in ["BASE_URL", "DATABASE_URL", "REDIS_URL", "JWT_SECRET_KEY"] {
            assert!(
                r.stdout().contains(key),
                "{key} missing ({format}):\n{}",
                r.stdout()
            );
        }
    }
    // Written to files, several at once, the reports are clean too.
    let formats = ["text", "json", "sarif", "junit", "markdown", "html"];
    let mut args = vec!["check", "-e", "production"];
    let outputs: Vec<String> = formats.iter().map(|f| format!("out/report.{f}")).collect();
    for (format, output) in formats.iter().zip(&outputs) {
        args.extend(["--format", format, "--output", output]);
    }
    p.run(&args).expect_code(1);
    for output in &outputs {
        let text = std::fs::read_to_string(p.join(output)).unwrap();
        assert!(text.contains("cache.tls"), "{output}");
        assert_clean(output, &text);
    }
}
