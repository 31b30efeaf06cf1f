//! `check --profile django` against Django's own `manage.py check --deploy`:
//! the environments of tests/django/envs/ go to the real Django (through
//! `envward export`, as a deploy would pass them) and to envward, and both
//! must report the same Django ids. The expected ids are also written down
//! here, so the profile is tested where Django is not installed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::harness::Project;

/// Every id the profile decides (docs/rules.md has the table).
const DECIDED: &[&str] = &[
    "security.W004",
    "security.W005",
    "security.W006",
    "security.W008",
    "security.W009",
    "security.W012",
    "security.W015",
    "security.W016",
    "security.W018",
    "security.W019",
    "security.W020",
    "security.W021",
    "security.W022",
    "security.E023",
    "security.E024",
    "security.W025",
];

/// Each environment file and what Django reports for it.
const CASES: &[(&str, &[&str])] = &[
    ("01-secure.env", &[]),
    ("02-defaults.env", &["W004", "W008", "W012", "W016", "W020"]),
    (
        "03-debug.env",
        &[
            "W005", "W006", "W009", "W015", "W018", "W019", "W020", "W021",
        ],
    ),
    ("04-weak-keys.env", &["E023", "E024", "W009", "W025"]),
    ("05-no-referrer-policy.env", &["W004", "W009", "W022"]),
    (
        "06-spelling.env",
        &["E023", "W008", "W009", "W019", "W020", "W021"],
    ),
    ("07-interpolated.env", &["W025"]),
];

fn django_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/django")
}

/// An envward project whose production environment is `file`.
fn project(file: &str) -> Project {
    let text = std::fs::read_to_string(django_dir().join("envs").join(file)).unwrap();
    Project::with(&[
        ("envward.toml", "[environments.production]\nstrict = true\n"),
        (".env.production", &text),
    ])
}

/// The Django ids of envward's findings.
fn envward_ids(p: &Project) -> BTreeSet<String> {
    let r = p
        .run(&[
            "check",
            "-e",
            "production",
            "--profile",
            "django",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .ok();
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["django"].as_str().map(String::from))
        .collect()
}

fn expected(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|id| format!("security.{id}")).collect()
}

#[test]
fn profile_django_reports_djangos_ids() {
    let mut seen = BTreeSet::new();
    for (file, ids) in CASES {
        let got = envward_ids(&project(file));
        assert_eq!(got, expected(ids), "{file}");
        seen.extend(got);
    }
    // Every decided check fires somewhere and passes somewhere (01).
    let all: BTreeSet<String> = DECIDED.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, all);
}

#[test]
fn profile_django_runs_its_rules_everywhere_and_only_them() {
    // Not strict, and with problems other rules would report: under the
    // profile only Django's checks run, as warnings.
    let p = Project::with(&[(
        ".env",
        "SECRET_KEY=short\nDEBUG=True\nREDIS_URL=redis://cache:6379\nLOG_LEVEL=DEBUG\n",
    )]);
    let r = p
        .run(&["check", "--profile", "django", "--format", "json"])
        .ok();
    let json = r.json();
    let findings = json["findings"].as_array().unwrap();
    let rules: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        !rules.contains("cache.tls") && !rules.contains("debug.log-level"),
        "{rules:?}"
    );
    let debug = findings
        .iter()
        .find(|f| f["django"] == "security.W018")
        .expect("W018");
    assert_eq!(debug["rule"], "debug.enabled");
    assert_eq!(debug["severity"], "warning");
    assert_eq!(debug["origin"]["line"], 2);
    // Without the profile the finding has no Django id (and the JSON no
    // `django` field).
    let r = p.run(&["check", "--format", "json"]).ok();
    assert!(!r.stdout().contains("\"django\""), "{}", r.stdout());

    // The text report names both ids; an unset setting is reported by its
    // envward rule with Django's default.
    let r = project("02-defaults.env")
        .run(&["check", "-e", "production", "--profile", "django"])
        .expect_code(1);
    let text = r.stdout();
    assert!(
        text.contains("`SESSION_COOKIE_SECURE` is not true (Django's default is false)")
            && text.contains("[cookies.secure · django security.W012]"),
        "{text}"
    );
    // So do the HTML and SARIF reports.
    let r = project("02-defaults.env")
        .run(&[
            "check",
            "-e",
            "production",
            "--profile",
            "django",
            "--format",
            "html",
        ])
        .expect_code(1);
    assert!(
        r.stdout().contains("<code class=\"rule\">cookies.secure</code> <span class=\"django\" title=\"Django's check --deploy id\">security.W012</span>"),
        "{}",
        r.stdout()
    );
    let r = project("02-defaults.env")
        .run(&[
            "check",
            "-e",
            "production",
            "--profile",
            "django",
            "--format",
            "sarif",
        ])
        .expect_code(1);
    let sarif: serde_json::Value = serde_json::from_str(&r.stdout()).unwrap();
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["properties"]["django"] == "security.W020" && r["ruleId"] == "hosts.allowed")
    );
    // envward's own stricter opinion stays, without a Django id.
    let r = project("03-debug.env")
        .run(&["check", "-e", "production", "--profile", "django"])
        .expect_code(1);
    assert!(
        r.stdout()
            .contains("is below 31536000  .env.production:8:1  [https.hsts]\n"),
        "{}",
        r.stdout()
    );
    // An exception in envward.toml covers what the profile adds too.
    let p = project("02-defaults.env");
    p.write(
        "envward.toml",
        "[environments.production]\nstrict = true\n[[rules.\"cookies.secure\".allow]]\nkey = \"CSRF_COOKIE_SECURE\"\nreason = \"the CSRF token lives in the session\"\n",
    );
    let got = envward_ids(&p);
    assert!(
        !got.contains("security.W016") && got.contains("security.W012"),
        "{got:?}"
    );
}

// ------------------------------------------------------------ real Django

/// `python3` with Django 4.1 or later importable, or `None` (then the caller skips: a
/// note normally, a failure under CI=true).
fn python_with_django() -> Option<&'static str> {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import django, sys; sys.exit(django.VERSION < (4, 1))",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some("python3");
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the Django parity test needs python3 with Django (python3 -m pip install django)");
    }
    eprintln!("note: python3 with Django >= 4.1 not found; skipping the Django parity test");
    None
}

/// What `manage.py check --deploy` reports with `values` in its environment.
fn django_ids(
    python: &str,
    values: &serde_json::Map<String, serde_json::Value>,
) -> BTreeSet<String> {
    let mut cmd = Command::new(python);
    cmd.current_dir(django_dir())
        .args(["manage.py", "check", "--deploy"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("DJANGO_SETTINGS_MODULE", "parity_site.settings");
    // Nothing of the test's own environment may decide a setting.
    for (key, _) in std::env::vars() {
        if key.starts_with("SECURE_")
            || key.starts_with("SESSION_")
            || key.starts_with("CSRF_")
            || key.starts_with("SECRET_KEY")
            || ["DEBUG", "ALLOWED_HOSTS", "X_FRAME_OPTIONS"].contains(&key.as_str())
        {
            cmd.env_remove(key);
        }
    }
    for (key, value) in values {
        cmd.env(key, value.as_str().unwrap());
    }
    let out = cmd.output().expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Errors (E023, E024) make it exit 1; anything else is a broken run.
    assert!(
        text.contains("System check identified"),
        "manage.py check --deploy did not run:\n{text}"
    );
    let mut ids = BTreeSet::new();
    for (i, _) in text.match_indices("(security.") {
        let id = &text[i + 1..];
        let end = id.find(')').unwrap_or(id.len());
        ids.insert(id[..end].to_string());
    }
    ids
}

#[test]
fn profile_django_agrees_with_manage_py_check_deploy() {
    let Some(python) = python_with_django() else {
        return;
    };
    for (file, ids) in CASES {
        let p = project(file);
        let exported = p
            // The cases are deliberately unfit to deploy: skip the gate.
            .run(&[
                "export",
                "-e",
                "production",
                "--no-check",
                "--format",
                "json",
            ])
            .ok()
            .json();
        let django: BTreeSet<String> = django_ids(python, exported.as_object().unwrap())
            .into_iter()
            .filter(|id| DECIDED.contains(&id.as_str()))
            .collect();
        let envward = envward_ids(&p);
        assert_eq!(
            envward, django,
            "{file}: envward (left) and Django (right) disagree"
        );
        // And the table above is what Django says.
        assert_eq!(django, expected(ids), "{file}");
    }
}
