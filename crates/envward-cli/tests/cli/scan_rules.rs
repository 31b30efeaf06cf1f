//! `[[scan.rules]]` in envward.toml: the project's own secret formats,
//! found and listed beside the built-in ones, and checked when the file is
//! read (a bad pattern is reported at its line and column).

use crate::harness::Project;
use crate::scan::{ALNUM, random};

const RULES: &str = r#"[environments.production]

[[scan.rules]]
id = "acme-api-key"
description = "ACME internal API key"
regex = '''\b(?P<secret>acme_[A-Za-z0-9]{32})\b'''
keywords = ["acme_"]
entropy = 3.5
severity = "warning"

[[scan.rules]]
id = "acme-session"
description = "ACME session cookie"
regex = 'acmesess=(?P<secret>[a-f0-9]{24})'
"#;

#[test]
fn project_rules_find_their_secrets_and_are_listed() {
    let p = Project::with(&[("envward.toml", RULES)]);
    let key = format!("acme_{}", random(ALNUM, 32, 1));
    let session = random("0123456789abcdef", 24, 2);
    p.write(
        "src/client.py",
        format!(
            "KEY = \"{key}\"\nLOW = \"acme_{}\"\ncookie = 'acmesess={session}'\n",
            "a".repeat(32)
        ),
    );
    let r = p.run(&["scan", "src", "--format", "json"]).expect_code(1);
    let v = r.json();
    let found: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["location"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    // Line 2 is below the rule's entropy minimum.
    assert_eq!(
        found,
        [
            ("scan.acme-api-key".to_string(), "warning".to_string(), 1),
            ("scan.acme-session".to_string(), "error".to_string(), 3)
        ],
        "{v:#}"
    );
    assert!(!r.stdout().contains(&key) && !r.stdout().contains(&session));
    let listed = p.run(&["scan", "--list-rules"]).ok().stdout();
    assert!(
        listed.contains("scan.acme-api-key")
            && listed.contains("ACME internal API key (envward.toml)"),
        "{listed}"
    );
    assert!(listed.contains("scan.github-token"), "{listed}");
    // [rules."scan.ID"] applies to them as to the built-in ones.
    p.write(
        "envward.toml",
        format!("{RULES}\n[rules.\"scan.acme-session\"]\nenabled = false\n"),
    );
    let v = p
        .run(&["scan", "src", "--format", "json"])
        .expect_code(1)
        .json();
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v:#}");
}

#[test]
fn a_bad_pattern_is_reported_at_its_line_and_column() {
    let p = Project::with(&[(
        "envward.toml",
        "[environments.production]\n\n[[scan.rules]]\nid = \"broken\"\ndescription = \"x\"\nregex = 'acme_([a-z]{32}'\n",
    )]);
    let r = p.run(&["scan", "--list-rules"]).expect_code(2);
    // Column 15 is the unclosed `(` inside the pattern.
    assert!(r.stderr().contains("envward.toml:6:15"), "{}", r.stderr());
    assert!(r.stderr().contains("invalid regex"), "{}", r.stderr());
    assert!(r.stderr().contains("unclosed group"), "{}", r.stderr());
    assert!(r.stderr().contains("help:"), "{}", r.stderr());
    // Every command reads envward.toml: the same error.
    p.run(&["list", "-e", "production"]).expect_code(2);
}

#[test]
fn ids_entropy_and_fields_are_checked() {
    let cases = [
        (
            "id = \"scan.x\"\ndescription = \"x\"\nregex = 'x'\n",
            "starts with `scan.`",
            4,
        ),
        (
            "id = \"a b\"\ndescription = \"x\"\nregex = 'x'\n",
            "is not a rule id",
            4,
        ),
        (
            "id = \"x\"\ndescription = \"x\"\nregex = 'x'\nentropy = 12.0\n",
            "entropy must be between 0 and 8",
            7,
        ),
        (
            "id = \"x\"\ndescription = \"x\"\nregex = 'x'\nseverity = \"fatal\"\n",
            "unknown value",
            7,
        ),
        (
            "id = \"x\"\nregex = 'x'\n",
            "missing field `description`",
            3,
        ),
        (
            "id = \"x\"\ndescription = \"x\"\nregexp = 'x'\n",
            "did you mean `regex`",
            6,
        ),
    ];
    for (rule, expected, line) in cases {
        let p = Project::with(&[(
            "envward.toml",
            &format!("[environments.production]\n\n[[scan.rules]]\n{rule}"),
        )]);
        let r = p.run(&["scan"]).expect_code(2);
        assert!(r.stderr().contains(expected), "{rule}: {}", r.stderr());
        assert!(
            r.stderr().contains(&format!("envward.toml:{line}:")),
            "{rule}: {}",
            r.stderr()
        );
    }
    // The same id twice, or a built-in rule's id.
    let twice = "[[scan.rules]]\nid = \"x\"\ndescription = \"x\"\nregex = 'x'\n";
    let p = Project::with(&[("envward.toml", &format!("{twice}{twice}"))]);
    let r = p.run(&["scan"]).expect_code(2);
    assert!(r.stderr().contains("defined twice"), "{}", r.stderr());
    let p = Project::with(&[(
        "envward.toml",
        "[[scan.rules]]\nid = \"github-token\"\ndescription = \"x\"\nregex = 'x'\n",
    )]);
    let r = p.run(&["scan"]).expect_code(2);
    assert!(
        r.stderr().contains("id of a built-in rule"),
        "{}",
        r.stderr()
    );
}
