//! SARIF validated against the official SARIF 2.1.0 JSON schema (vendored
//! in `fixtures/sarif/`, see its README), not only parsed by a typed model:
//! `check`, `scan` (tree and `--git`) and `doctor` reports, with findings
//! and without.

use std::sync::OnceLock;

use serde_json::Value;

use crate::harness::Project;
use crate::scan::github_token;

/// The SARIF 2.1.0 schema, compiled once.
fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/cli/fixtures/sarif/sarif-schema-2.1.0.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
    })
}

/// Panics with every schema violation when `text` is not valid SARIF 2.1.0.
pub(crate) fn assert_valid_sarif(text: &str) {
    let log: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("SARIF is not JSON ({e}):\n{text}"));
    let errors: Vec<String> = validator()
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}\n{log:#}",
        errors.join("\n")
    );
    assert_eq!(log["version"], "2.1.0");
}

#[test]
fn the_schema_rejects_what_is_not_sarif() {
    // The check can fail: a result without a message, an unknown level,
    // an unknown top-level property.
    let bad = [
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"a"}]}]}"#,
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}"#,
        r#"{"version":"2.1.0","runs":[],"extra":1}"#,
    ];
    for b in bad {
        let log: Value = serde_json::from_str(b).unwrap();
        assert!(!validator().is_valid(&log), "accepted: {b}");
    }
    let good = r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[]}]}"#;
    assert!(validator().is_valid(&serde_json::from_str(good).unwrap()));
}

#[test]
fn check_sarif_is_valid() {
    let p = Project::webapp();
    let r = p
        .run(&["check", "-e", "production", "--format", "sarif"])
        .ok();
    assert_valid_sarif(&r.stdout());
    let common = std::fs::read_to_string(p.join("env/production/common.env")).unwrap();
    p.write(
        "env/production/common.env",
        common.replace("DEBUG=False", "DEBUG=True"),
    );
    let r = p
        .run(&["check", "-e", "production", "--format", "sarif"])
        .expect_code(1);
    assert!(r.stdout().contains("debug.enabled"), "{}", r.stdout());
    assert_valid_sarif(&r.stdout());
}

#[test]
fn scan_sarif_is_valid_for_the_tree_and_history() {
    let p = Project::new();
    p.write("clean.txt", "nothing here\n");
    assert_valid_sarif(&p.run(&["scan", "--format", "sarif"]).ok().stdout());
    let token = github_token("ghp", 31);
    p.write("src/leak.py", format!("TOKEN = \"{token}\"\n"));
    p.write("tests/fixtures/leak.py", format!("TOKEN = \"{token}\"\n"));
    let r = p.run(&["scan", "--format", "sarif"]).expect_code(1);
    assert!(!r.stdout().contains(&token));
    assert_valid_sarif(&r.stdout());
    // History: results carry commit properties.
    if !crate::harness::require_tool("git") {
        return;
    }
    crate::scan::git(&p, &["init", "-q"]);
    crate::scan::git(&p, &["add", "."]);
    crate::scan::git(&p, &["commit", "-qm", "leak"]);
    let r = p
        .run(&["scan", "--git", "--format", "sarif"])
        .expect_code(1);
    assert!(r.stdout().contains("\"commit\""), "{}", r.stdout());
    assert_valid_sarif(&r.stdout());
}

#[test]
fn doctor_sarif_is_valid() {
    let p = Project::webapp()
        .env("DEBUG", "True")
        .env("ENVWARD_ENV", "production");
    let secrets = p.join("secrets");
    let r = p.run(&[
        "doctor",
        "--secrets-dir",
        secrets.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert!(matches!(r.code(), Some(0 | 1)), "{}", r.stderr());
    assert_valid_sarif(&r.stdout());
}
