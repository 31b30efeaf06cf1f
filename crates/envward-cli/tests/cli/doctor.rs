//! `doctor`: each finding fires and stays quiet, `--pid` reads another
//! process's environment, bad pids exit 2, and no value is ever printed.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{Project, Run};

/// A `sleep 30` with a known environment, killed when dropped (even when
/// the test fails).
struct Sleeper(std::process::Child);

impl Sleeper {
    fn spawn(env: &[(&OsStr, &OsStr)], cwd: &Path) -> Self {
        let child = Command::new("sleep")
            .arg("30")
            .env_clear()
            .envs(env.iter().copied())
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sleep starts");
        Sleeper(child)
    }

    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Findings of a JSON report as (rule, key, severity).
fn findings(r: &Run) -> Vec<(String, String, String)> {
    r.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["key"].as_str().unwrap_or("").to_string(),
                f["severity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn has(r: &Run, rule: &str, key: &str, severity: &str) -> bool {
    findings(r)
        .iter()
        .any(|(ru, k, s)| ru == rule && k == key && s == severity)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A project whose secrets directory is an empty directory of its own, so
/// that the machine's /run/secrets never changes a result.
fn project(files: &[(&str, &str)]) -> Project {
    let p = Project::with(files);
    std::fs::create_dir_all(p.join("secrets")).unwrap();
    p
}

fn doctor(p: &Project, extra: &[&str]) -> Run {
    let secrets = p.join("secrets");
    let mut args = vec!["doctor", "--secrets-dir", secrets.to_str().unwrap()];
    args.extend_from_slice(extra);
    p.run(&args)
}

#[test]
fn a_clean_environment_has_no_findings() {
    let p = project(&[]).env("HOME", "/home/app").env("LANG", "C.UTF-8");
    let r = doctor(&p, &[]).ok();
    let out = r.stdout();
    assert!(
        out.contains("✔ Sensitive variables exported to every child: no problems"),
        "{out}"
    );
    assert!(
        out.contains("✔ Secrets visible to other users: no problems"),
        "{out}"
    );
    assert!(
        out.contains("0 errors, 0 warnings, 0 info (3 variables audited)"),
        "{out}"
    );
    let v = doctor(&p, &["--format", "json"]).ok().json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["target"]["kind"], "self");
    assert_eq!(v["target"]["variables"], 3);
    assert_eq!(v["findings"], serde_json::json!([]));
}

#[test]
fn sensitive_variables_in_the_environment_are_reported() {
    let p = project(&[(
        "envward.toml",
        "[vars.STRIPE]\nsensitive = true\n[vars.PUBLIC_TOKEN]\nsensitive = false\n",
    )])
    .env("GITHUB_TOKEN", "ghp-doctor-1")
    .env("CACHE_URL", "redis://:pw-doctor-2@cache:6379")
    .env("STRIPE", "sk-doctor-3")
    .env("ENVWARD_IDENTITY", "AGE-SECRET-KEY-1DOCTOR")
    .env("PUBLIC_TOKEN", "not-a-secret")
    .env("SECRET_KEY_FILE", "/nonexistent/secret")
    .env("HOME", "/home/app")
    .env("PUBLIC_URL", "https://app.example/a:b@c");
    let r = doctor(&p, &["--format", "json"]).ok();
    for key in ["GITHUB_TOKEN", "CACHE_URL", "STRIPE", "ENVWARD_IDENTITY"] {
        assert!(
            has(&r, "doctor.exported-secret", key, "warning"),
            "{key} not reported:\n{}",
            r.stdout()
        );
    }
    let reported: Vec<String> = findings(&r).into_iter().map(|f| f.1).collect();
    for key in [
        "PUBLIC_TOKEN",
        "SECRET_KEY_FILE",
        "HOME",
        "PUBLIC_URL",
        "PATH",
    ] {
        assert!(
            !reported.contains(&key.to_string()),
            "{key} reported: {reported:?}"
        );
    }
    // Warnings only: advisory by default, a failure with --fail-on warning.
    let r = doctor(&p, &[]).ok();
    assert!(
        r.stdout()
            .contains("`GITHUB_TOKEN` is exported (its name says it is a secret)"),
        "{}",
        r.stdout()
    );
    assert!(r.stdout().contains("help: keep it in an env file"));
    doctor(&p, &["--fail-on", "warning"]).expect_code(1);
}

#[test]
fn secret_files_readable_by_other_users_are_reported() {
    let p = project(&[
        ("db-password", "x\n"),
        ("api-token", "x\n"),
        ("group-writable", "x\n"),
        ("app.log", "x\n"),
        ("private", "x\n"),
        ("secrets/redis_password", "x\n"),
        (".env", "SIGNING_KEY_FILE=signing.key\n"),
        ("signing.key", "x\n"),
    ]);
    chmod(&p.join("db-password"), 0o644);
    chmod(&p.join("api-token"), 0o640);
    chmod(&p.join("group-writable"), 0o660);
    chmod(&p.join("app.log"), 0o644);
    chmod(&p.join("private"), 0o600);
    chmod(&p.join("secrets/redis_password"), 0o444);
    chmod(&p.join("signing.key"), 0o604);
    let db_password = p.join("db-password").display().to_string();
    let p = p
        .env("DB_PASSWORD_FILE", &db_password)
        .env("API_TOKEN_FILE", "api-token") // relative: to envward's cwd
        .env("MY_SECRET_FILE", "group-writable")
        .env("PRIVATE_KEY_FILE", "private")
        .env("LOG_FILE", "app.log"); // LOG is not a secret and not configured
    let r = doctor(&p, &["--format", "json"]).expect_code(1);
    let rule = "doctor.secret-file-readable";
    assert!(has(&r, rule, "DB_PASSWORD", "error"), "{}", r.stdout());
    assert!(has(&r, rule, "MY_SECRET", "warning"), "{}", r.stdout());
    assert!(has(&r, rule, "SIGNING_KEY", "error"), "{}", r.stdout());
    let all = findings(&r);
    let in_secrets_dir = all.iter().filter(|f| f.0 == rule && f.1.is_empty()).count();
    assert_eq!(in_secrets_dir, 1, "{all:?}");
    for quiet in ["API_TOKEN", "PRIVATE_KEY", "LOG"] {
        assert!(!all.iter().any(|f| f.1 == quiet), "{quiet}: {all:?}");
    }
    let text = doctor(&p, &[]).expect_code(1).stdout();
    assert!(
        text.contains("db-password holds the value of `DB_PASSWORD` and has mode 0644: every user on this machine can read it"),
        "{text}"
    );
    assert!(
        text.contains("redis_password is in the secrets directory and has mode 0444"),
        "{text}"
    );
    // Fixed modes: quiet.
    for f in [
        "db-password",
        "group-writable",
        "secrets/redis_password",
        "signing.key",
    ] {
        chmod(&p.join(f), 0o600);
    }
    let r = doctor(&p, &["--format", "json"]).ok();
    assert!(!findings(&r).iter().any(|f| f.0 == rule), "{}", r.stdout());
}

const OVERRIDE_PROJECT: &[(&str, &str)] = &[
    (
        "envward.toml",
        "[environments.production]\nstrict = true\n[environments.staging]\nstrict = false\n[vars.LOG_LEVEL]\ndefault = \"INFO\"\n[vars.SECRET_KEY]\nrequired = true\nsensitive = true\n",
    ),
    (".env", "DEBUG=True\nPORT=8000\n"),
    (".env.production", "DEBUG=False\nPORT=8000\n"),
    (".env.staging", "DEBUG=False\nSECRET_KEY=from-the-file\n"),
];

#[test]
fn keys_overridden_from_the_process_environment_are_reported() {
    let p = project(OVERRIDE_PROJECT)
        .env("DEBUG", "True")
        .env("PORT", "8000")
        .env("LOG_LEVEL", "DEBUG")
        .env("HOME", "/home/app");
    // Strict environment: a different value is an error (exit 1).
    let r = doctor(&p, &["-e", "production", "--format", "json"]).expect_code(1);
    assert!(
        has(&r, "doctor.overridden", "DEBUG", "error"),
        "{}",
        r.stdout()
    );
    // Same value as the files: only worth knowing.
    assert!(
        has(&r, "doctor.overridden", "PORT", "info"),
        "{}",
        r.stdout()
    );
    let keys: Vec<String> = findings(&r).into_iter().map(|f| f.1).collect();
    // A schema default is meant to be overridden; HOME is not configured.
    assert!(
        !keys.contains(&"LOG_LEVEL".into()) && !keys.contains(&"HOME".into()),
        "{keys:?}"
    );
    let v = r.json();
    assert_eq!(v["project"]["environment"], "production");
    assert_eq!(v["project"]["strict"], true);
    let text = doctor(&p, &["-e", "production"]).expect_code(1).stdout();
    assert!(
        text.contains("`DEBUG` from the process environment overrides .env.production:1:1 (and 1 more definition) with a different value"),
        "{text}"
    );
    // Not strict: a warning, exit 0 by default.
    let r = doctor(&p, &["-e", "staging", "--format", "json"]).ok();
    assert!(
        has(&r, "doctor.overridden", "DEBUG", "warning"),
        "{}",
        r.stdout()
    );
    // Nothing from outside: quiet.
    let quiet = project(OVERRIDE_PROJECT).env("HOME", "/home/app");
    let r = doctor(&quiet, &["-e", "production", "--format", "json"]).ok();
    assert!(findings(&r).is_empty(), "{}", r.stdout());
}

#[test]
fn required_keys_only_the_process_environment_provides_are_reported() {
    let p = project(OVERRIDE_PROJECT).env("SECRET_KEY", "from-the-shell");
    let r = doctor(&p, &["-e", "production", "--format", "json"]).ok();
    assert!(
        has(&r, "doctor.process-only-required", "SECRET_KEY", "warning"),
        "{}",
        r.stdout()
    );
    // Staging's files define it: an override, not "only the process".
    let r = doctor(&p, &["-e", "staging", "--format", "json"]).ok();
    assert!(
        has(&r, "doctor.overridden", "SECRET_KEY", "warning"),
        "{}",
        r.stdout()
    );
    assert!(
        !findings(&r)
            .iter()
            .any(|f| f.0 == "doctor.process-only-required"),
        "{}",
        r.stdout()
    );
}

#[test]
fn without_a_project_the_override_check_is_skipped() {
    let p = project(&[]).env("DEBUG", "True");
    let r = doctor(&p, &[]).ok();
    assert!(
        r.stdout()
            .contains("⏭ Configuration overridden from outside: skipped: no envward project in"),
        "{}",
        r.stdout()
    );
    let v = doctor(&p, &["--format", "json"]).ok().json();
    assert_eq!(v["project"], Value::Null);
    assert_eq!(v["skipped"][0]["section"], "overrides");
}

#[test]
fn pid_audits_the_environment_of_another_process() {
    let p = project(&[
        ("envward.toml", "[environments.production]\nstrict = true\n"),
        (".env.production", "DEBUG=False\n"),
        ("token", "x\n"),
    ]);
    chmod(&p.join("token"), 0o644);
    // envward's own environment has secrets of its own: they must not show.
    let p = p.env("OWN_SECRET", "mine").env("DEBUG", "False");
    let child = Sleeper::spawn(
        &[
            (os("GITHUB_TOKEN"), os("ghp-child")),
            (os("DEBUG"), os("True")),
            (os("API_TOKEN_FILE"), os("token")), // relative to the child's cwd
            (os("ENVWARD_ENV"), os("production")),
        ],
        p.path(),
    );
    let r = doctor(&p, &["--pid", &child.pid(), "--format", "json"]).expect_code(1);
    let v = r.json();
    assert_eq!(v["target"]["kind"], "pid");
    assert_eq!(v["target"]["pid"].as_u64(), Some(u64::from(child.0.id())));
    assert_eq!(v["target"]["variables"], 4);
    assert_eq!(
        v["project"]["environment"], "production",
        "ENVWARD_ENV of the child"
    );
    assert!(has(&r, "doctor.exported-secret", "GITHUB_TOKEN", "warning"));
    assert!(
        has(&r, "doctor.overridden", "DEBUG", "error"),
        "{}",
        r.stdout()
    );
    assert!(
        has(&r, "doctor.secret-file-readable", "API_TOKEN", "error"),
        "{}",
        r.stdout()
    );
    assert!(
        !findings(&r).iter().any(|f| f.1 == "OWN_SECRET"),
        "{}",
        r.stdout()
    );
    let text = doctor(&p, &["--pid", &child.pid()]).expect_code(1).stdout();
    assert!(
        text.contains(&format!(
            "`DEBUG` from the environment of process {} overrides",
            child.pid()
        )),
        "{text}"
    );
}

#[test]
fn a_process_that_does_not_exist_is_exit_2() {
    let p = project(&[]);
    let r = doctor(&p, &["--pid", "4294967295"]).expect_code(2);
    assert!(
        r.stderr().contains("no process with pid 4294967295"),
        "{}",
        r.stderr()
    );
    assert!(r.stderr().contains("help:"), "{}", r.stderr());
    assert!(r.stdout().is_empty());
    // A process that has exited (and been reaped).
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id().to_string();
    gone.wait().unwrap();
    doctor(&p, &["--pid", &pid]).expect_code(2);
    doctor(&p, &["--pid", "not-a-pid"]).expect_code(2);
}

#[test]
fn a_process_envward_may_not_read_is_exit_2_with_a_hint() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    // Only root can run envward as another user to provoke EACCES.
    if std::fs::metadata("/proc/self").map(|m| m.uid()).ok() != Some(0) {
        eprintln!("note: not root; skipping the EACCES test");
        return;
    }
    let child = Sleeper::spawn(&[(os("API_TOKEN"), os("root-only"))], Path::new("/"));
    let out = Command::new(assert_cmd::cargo::cargo_bin("envward"))
        .args(["doctor", "--pid", &child.pid()])
        .env_clear()
        .current_dir("/")
        .uid(65534)
        .gid(65534)
        .output()
        .expect("envward runs as nobody");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "not permitted to read the environment of process {}",
            child.pid()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("belongs to uid 0; envward runs as uid 65534"),
        "{stderr}"
    );
    assert!(stderr.contains("run envward as the same user"), "{stderr}");
    assert!(!stderr.contains("root-only"));
}

#[test]
fn invalid_utf8_in_the_environment_does_not_panic() {
    let p = project(&[]);
    let bad_value = OsString::from_vec(b"caf\xe9-\xff\xfe".to_vec());
    let bad_key = OsString::from_vec(b"WEIRD_\xffTOKEN".to_vec());
    let child = Sleeper::spawn(
        &[
            (os("LEGACY_PASSWORD"), bad_value.as_os_str()),
            (bad_key.as_os_str(), os("x")),
            (os("LINE\nBREAK_TOKEN"), os("y")),
        ],
        p.path(),
    );
    let r = doctor(&p, &["--pid", &child.pid(), "--format", "json"]).ok();
    let v = r.json();
    assert_eq!(v["target"]["invalid_utf8"], 2);
    assert_eq!(v["target"]["variables"], 3);
    assert!(has(
        &r,
        "doctor.exported-secret",
        "LEGACY_PASSWORD",
        "warning"
    ));
    assert!(has(
        &r,
        "doctor.exported-secret",
        "WEIRD_\u{fffd}TOKEN",
        "warning"
    ));
    let text = doctor(&p, &["--pid", &child.pid()]).ok().stdout();
    assert!(
        text.contains("3 variables, 2 not valid UTF-8 (read lossily)"),
        "{text}"
    );
    // A key with a newline cannot forge a line of the report.
    assert!(text.contains("`LINE\\nBREAK_TOKEN`"), "{text}");
    // envward's own environment too (no --pid).
    let mut c = p.cmd(&["doctor", "--format", "json"]);
    c.env(&bad_key, &bad_value);
    let out = c.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const SENTINELS: &[&str] = &[
    "SENTINEL-doctor-token-1d2e",
    "SENTINEL-doctor-url-pw-77a1",
    "SENTINEL-doctor-schema-5c3b",
    "SENTINEL-doctor-override-9f0a",
    "SENTINEL-doctor-required-4b6c",
    "SENTINEL-doctor-file-8e2d",
    "SENTINEL-doctor-plain-3a3a",
];

#[test]
fn no_value_reaches_any_output() {
    let p = project(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n[vars.STRIPE]\nsensitive = true\n[vars.SECRET_KEY]\nrequired = true\n",
        ),
        (
            ".env.production",
            "API_TOKEN=SENTINEL-doctor-override-9f0a-file\nDEBUG=False\n",
        ),
        ("secrets/db_password", "SENTINEL-doctor-file-8e2d\n"),
        ("signing.key", "SENTINEL-doctor-file-8e2d\n"),
    ]);
    chmod(&p.join("secrets/db_password"), 0o644);
    chmod(&p.join("signing.key"), 0o644);
    let vars: Vec<(&str, String)> = vec![
        ("GITHUB_TOKEN", SENTINELS[0].into()),
        ("CACHE_URL", format!("redis://:{}@cache:6379", SENTINELS[1])),
        ("STRIPE", SENTINELS[2].into()),
        ("API_TOKEN", SENTINELS[3].into()),
        ("SECRET_KEY", SENTINELS[4].into()),
        (
            "SIGNING_KEY_FILE",
            p.join("signing.key").display().to_string(),
        ),
        ("DEBUG", SENTINELS[6].into()),
        ("ENVWARD_ENV", "production".into()),
    ];
    let mut p = p;
    for (k, v) in &vars {
        p = p.env(k, v);
    }
    let child_env: Vec<(&OsStr, &OsStr)> = vars
        .iter()
        .map(|(k, v)| (os(k), OsStr::new(v.as_str())))
        .collect();
    let child = Sleeper::spawn(&child_env, p.path());
    let pid = child.pid();
    let mut rules_seen = std::collections::BTreeSet::new();
    for target in [vec![], vec!["--pid", pid.as_str()]] {
        for format in ["text", "json", "sarif", "junit", "markdown"] {
            for fail_on in ["error", "never"] {
                let mut args = target.clone();
                args.extend(["--format", format, "--fail-on", fail_on]);
                let r = doctor(&p, &args);
                assert!(matches!(r.code(), Some(0 | 1)), "{args:?}: {}", r.stderr());
                for s in SENTINELS {
                    assert!(
                        !r.stdout().contains(s),
                        "stdout of {args:?} leaked {s}:\n{}",
                        r.stdout()
                    );
                    assert!(
                        !r.stderr().contains(s),
                        "stderr of {args:?} leaked {s}:\n{}",
                        r.stderr()
                    );
                }
                if format == "json" {
                    rules_seen.extend(findings(&r).into_iter().map(|f| f.0));
                }
            }
        }
    }
    // Every kind of finding fired, on the keys holding the sentinels: the
    // greps above are not vacuous.
    for rule in [
        "doctor.exported-secret",
        "doctor.secret-file-readable",
        "doctor.overridden",
        "doctor.process-only-required",
    ] {
        assert!(
            rules_seen.contains(rule),
            "{rule} never fired: {rules_seen:?}"
        );
    }
    // And the values are really in the audited environment.
    let r = p.run(&["get", "GITHUB_TOKEN"]).ok();
    assert!(r.stdout().contains(SENTINELS[0]));
}

/// A project where every doctor rule but `environ-readable` fires: an
/// exported token, a world-readable file in the secrets directory, a
/// strict key overridden from the environment, a required key only the
/// environment provides.
fn every_section(sentinel: &str) -> Project {
    let p = project(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n[vars.SECRET_KEY]\nrequired = true\nsensitive = true\n",
        ),
        (".env.production", "DEBUG=False\n"),
        ("secrets/db_password", "SENTINEL-doctor-report-file-3c1e\n"),
    ]);
    chmod(&p.join("secrets/db_password"), 0o644);
    p.env("GITHUB_TOKEN", sentinel)
        .env("DEBUG", "True")
        .env("SECRET_KEY", sentinel)
        .env("ENVWARD_ENV", "production")
}

#[test]
fn sarif_names_each_rule_and_locates_each_finding() {
    let sentinel = "SENTINEL-doctor-sarif-77b4";
    let p = every_section(sentinel);
    let r = doctor(&p, &["--format", "sarif"]).expect_code(1);
    let out = r.stdout();
    assert!(!out.contains(sentinel) && !out.contains("SENTINEL-doctor-report-file"));
    let log: serde_sarif::sarif::Sarif = serde_json::from_str(&out).expect("valid SARIF");
    let v: Value = serde_json::to_value(&log).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "doctor.exported-secret",
            "doctor.secret-file-readable",
            "doctor.environ-readable",
            "doctor.overridden",
            "doctor.process-only-required",
        ]
    );
    let results = run["results"].as_array().unwrap();
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
    }
    let result = |rule: &str, key: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == rule && r["properties"]["key"] == key)
            .unwrap_or_else(|| panic!("no {rule} on {key}: {out}"))
    };
    // A file: where it is.
    let file = results
        .iter()
        .find(|r| r["ruleId"] == "doctor.secret-file-readable")
        .expect("secret-file-readable result");
    assert_eq!(file["level"], "error");
    let uri = file["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("secrets/db_password"), "{uri}");
    // An override: the value comes from the process, so the variable is
    // the location.
    let overridden = result("doctor.overridden", "DEBUG");
    assert_eq!(overridden["level"], "error");
    assert_eq!(
        overridden["locations"][0]["logicalLocations"][0]["name"],
        "DEBUG"
    );
    assert_eq!(overridden["properties"]["environment"], "production");
    // A variable of the process: a logical location naming it.
    let exported = result("doctor.exported-secret", "GITHUB_TOKEN");
    assert_eq!(exported["level"], "warning");
    let logical = &exported["locations"][0]["logicalLocations"][0];
    assert_eq!(logical["name"], "GITHUB_TOKEN");
    assert_eq!(logical["kind"], "variable");
    result("doctor.process-only-required", "SECRET_KEY");
}

#[test]
fn junit_has_a_suite_per_section_and_a_case_per_rule() {
    let sentinel = "SENTINEL-doctor-junit-41d9";
    let p = every_section(sentinel);
    let xml = doctor(&p, &["--format", "junit"]).expect_code(1).stdout();
    assert!(!xml.contains(sentinel) && !xml.contains("SENTINEL-doctor-report-file"));
    // (suite name, [(case name, failed)])
    let suites = junit_cases(&xml);
    let names: Vec<&str> = suites.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "envward doctor: Sensitive variables exported to every child",
            "envward doctor: Secrets visible to other users",
            "envward doctor: Configuration overridden from outside",
        ]
    );
    let cases: Vec<(&str, bool)> = suites
        .iter()
        .flat_map(|(_, c)| c.iter().map(|(n, f)| (n.as_str(), *f)))
        .collect();
    assert_eq!(
        cases,
        [
            ("doctor.exported-secret", false), // a warning: passes, with a note
            ("doctor.secret-file-readable", true),
            ("doctor.environ-readable", false),
            ("doctor.overridden", true),
            ("doctor.process-only-required", false),
        ]
    );
    assert!(
        xml.contains("<system-out>warning: `GITHUB_TOKEN` is exported"),
        "{xml}"
    );

    // Without a project the override checks are skipped cases.
    let bare = project(&[]).env("GITHUB_TOKEN", sentinel);
    let xml = doctor(&bare, &["--format", "junit"]).ok().stdout();
    assert_eq!(
        xml.matches("<skipped message=\"no envward project").count(),
        2,
        "{xml}"
    );
    assert!(!xml.contains(sentinel));
}

/// The suites of a JUnit document, each with its cases and whether each
/// has a `<failure>`.
fn junit_cases(xml: &str) -> Vec<(String, Vec<(String, bool)>)> {
    use quick_xml::events::Event;
    let attr = |e: &quick_xml::events::BytesStart<'_>, name: &[u8]| {
        e.attributes()
            .filter_map(Result::ok)
            .find(|a| a.key.as_ref() == name)
            .map(|a| String::from_utf8_lossy(&a.value).into_owned())
            .unwrap_or_default()
    };
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut suites: Vec<(String, Vec<(String, bool)>)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) if e.name().as_ref() == b"testsuite" => {
                suites.push((attr(&e, b"name"), Vec::new()));
            }
            Event::Start(e) if e.name().as_ref() == b"testcase" => {
                let suite = suites.last_mut().expect("a case inside a suite");
                suite.1.push((attr(&e, b"name"), false));
            }
            Event::Start(e) if e.name().as_ref() == b"failure" => {
                let suite = suites.last_mut().expect("a failure inside a suite");
                suite.1.last_mut().expect("a failure inside a case").1 = true;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    suites
}

#[test]
fn rule_settings_in_envward_toml_apply_to_doctor() {
    let p = project(&[(
        "envward.toml",
        "[rules.\"doctor.exported-secret\"]\nseverity = \"error\"\nallow = [{ key = \"CI_TOKEN\", reason = \"the CI runner needs it\" }]\n",
    )])
    .env("GITHUB_TOKEN", "SENTINEL-doctor-settings-1")
    .env("CI_TOKEN", "SENTINEL-doctor-settings-2");
    let r = doctor(&p, &["--format", "json"]).expect_code(1);
    assert!(
        has(&r, "doctor.exported-secret", "GITHUB_TOKEN", "error"),
        "{}",
        r.stdout()
    );
    assert!(
        !findings(&r).iter().any(|f| f.1 == "CI_TOKEN"),
        "{}",
        r.stdout()
    );
    let off = project(&[(
        "envward.toml",
        "[rules.\"doctor.exported-secret\"]\nenabled = false\n",
    )])
    .env("GITHUB_TOKEN", "SENTINEL-doctor-settings-1");
    let r = doctor(&off, &["--format", "json"]).ok();
    assert_eq!(r.json()["findings"], serde_json::json!([]));
}
