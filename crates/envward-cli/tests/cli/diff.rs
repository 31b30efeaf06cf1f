//! `diff`: key-based, formatting ignored, secrets shown only as keyed
//! fingerprints, `--exit-code`.

use serde_json::Value;

use crate::harness::Project;

fn project() -> Project {
    Project::with(&[
        (".env.staging", "A=1\nSAME=x\nGONE=y\nDEBUG=True\nAPI_TOKEN=SENTINEL-tok-1\nDB_PASSWORD=SENTINEL-same-9\n"),
        (".env.production", "# reordered, reformatted\nexport SAME='x'\nA=one\nDEBUG=False\nNEW=\"z\"\nAPI_TOKEN=SENTINEL-tok-2\nDB_PASSWORD=\"SENTINEL-same-9\"\n"),
    ])
    .env("ENVWARD_FINGERPRINT_KEY", "k1")
}

#[test]
fn environments() {
    let p = project();
    let r = p
        .run(&[
            "--color",
            "never",
            "diff",
            "-e",
            "staging",
            "-e",
            "production",
        ])
        .ok();
    let out = r.stdout();
    assert!(!out.contains("SENTINEL"), "{out}");
    insta::assert_snapshot!("diff_environments", out);
    p.run(&["diff", "-e", "staging", "-e", "production", "--exit-code"])
        .expect_code(1);
    p.run(&["diff", "-e", "staging", "-e", "staging", "--exit-code"])
        .ok();
}

#[test]
fn json_and_fingerprints() {
    let p = project();
    let r = p
        .run(&[
            "diff",
            "-e",
            "staging",
            "-e",
            "production",
            "--format",
            "json",
        ])
        .ok();
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    let v: Value = r.json();
    assert_eq!(v["added"][0]["key"], "NEW");
    assert_eq!(v["added"][0]["value"], "z");
    assert_eq!(v["removed"][0]["key"], "GONE");
    assert_eq!(
        v["unchanged"], 2,
        "SAME and DB_PASSWORD: formatting is ignored"
    );
    let changed = v["changed"].as_array().unwrap();
    let a = changed.iter().find(|c| c["key"] == "A").unwrap();
    assert_eq!(a["type_change"], serde_json::json!(["int", "string"]));
    let tok = changed.iter().find(|c| c["key"] == "API_TOKEN").unwrap();
    assert_eq!(tok["sensitive"], true);
    assert_eq!(tok["left"], Value::Null);
    let (l, r1) = (
        tok["fingerprints"][0].as_str().unwrap(),
        tok["fingerprints"][1].as_str().unwrap(),
    );
    assert_ne!(l, r1);
    assert_eq!(l.len(), 16);
    // The same key gives the same fingerprints; another key, others.
    let again: Value = p
        .run(&[
            "diff",
            "-e",
            "staging",
            "-e",
            "production",
            "--format",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(again["changed"], v["changed"]);
    let p2 = project().env("ENVWARD_FINGERPRINT_KEY", "k2");
    let other: Value = p2
        .run(&[
            "diff",
            "-e",
            "staging",
            "-e",
            "production",
            "--format",
            "json",
        ])
        .ok()
        .json();
    let tok2 = other["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "API_TOKEN")
        .unwrap()
        .clone();
    assert_ne!(tok2["fingerprints"][0], tok["fingerprints"][0]);
}

#[test]
fn a_fingerprint_key_is_created_per_user() {
    let p = Project::with(&[(".env.a", "TOKEN=tok-a\n"), (".env.b", "TOKEN=tok-b\n")]);
    let home = p.join("home");
    let p = p.env("HOME", home.to_str().unwrap());
    let r = p
        .run(&["diff", "-e", "a", "-e", "b", "--format", "json"])
        .ok();
    let v: Value = r.json();
    assert!(v["changed"][0]["fingerprints"].is_array(), "{v}");
    let key = home.join(".config/envward/fingerprint.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let r2 = p
        .run(&["diff", "-e", "a", "-e", "b", "--format", "json"])
        .ok();
    assert_eq!(r.stdout(), r2.stdout());
    // Creating the key is said once, on stderr.
    assert!(
        r.stderr().contains("created ") && r.stderr().contains("fingerprint.key (mode 0600)"),
        "{}",
        r.stderr()
    );
    assert!(!r2.stderr().contains("created"), "{}", r2.stderr());
}

#[test]
fn files() {
    let p = Project::with(&[
        ("a.env", "A=1\nB=\"${A}x\"\nC=3\n"),
        ("b.env", "C=3\nB=${A}x\nA=2\n"),
    ]);
    let r = p.run(&["--color", "never", "diff", "a.env", "b.env"]).ok();
    assert_eq!(
        r.stdout(),
        "--- a.env\n+++ b.env\n~ A: \"1\" → \"2\"\n1 changed, 0 added, 0 removed, 2 unchanged\n"
    );
    let r = p.run(&["diff", "a.env", "missing.env"]).expect_code(2);
    assert!(r.stderr().contains("missing.env"), "{}", r.stderr());
}

#[test]
fn against_the_example() {
    let p = Project::with(&[(".env", "A=1\nB=2\n"), (".env.example", "A=\nC=\n")]);
    let r = p
        .run(&["--color", "never", "diff", "--example", "--exit-code"])
        .expect_code(1);
    assert_eq!(
        r.stdout(),
        "--- development\n+++ .env.example\n- B  (not in .env.example)\n+ C  (not in development)\n0 changed, 1 added, 1 removed, 1 unchanged\n"
    );
}

#[test]
fn usage() {
    let p = project();
    p.run(&["diff"]).expect_code(2);
    p.run(&["diff", "-e", "staging"]).expect_code(2);
    p.run(&["list", "-e", "staging", "-e", "production"])
        .expect_code(2);
}
