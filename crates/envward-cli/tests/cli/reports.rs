//! Report formats: SARIF 2.1.0 (validated against the official schema and
//! read through serde-sarif), JUnit XML
//! (checked by an XML parser), Markdown, several reports from one run, the
//! audit log; and no secret in any of them.

use serde_json::Value;

use crate::harness::Project;

fn failing_project() -> Project {
    let p = Project::webapp();
    let common = std::fs::read_to_string(p.join("env/production/common.env")).unwrap();
    p.write(
        "env/production/common.env",
        common
            .replace("DEBUG=False", "DEBUG=True")
            .replace("SESSION_TIMEOUT=1800", "SESSION_TIMEOUT=86400"),
    );
    p.write(
        "env/production/security.env",
        "SECRET_KEY=SENTINEL-short\nJWT_SECRET_KEY='pr0d-jwt-Mz4Xc8Vb2Nq6Lw0Rt5Yp9Hk3Fs7Dj1Ga'\n",
    );
    p
}

#[test]
fn sarif_is_valid_2_1_0() {
    let p = failing_project();
    let r = p
        .run(&["check", "-e", "production", "--format", "sarif"])
        .expect_code(1);
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    // Round-trip through the typed SARIF model.
    crate::sarif_schema::assert_valid_sarif(&r.stdout());
    let log: serde_sarif::sarif::Sarif = serde_json::from_str(&r.stdout()).expect("valid SARIF");
    let v: Value = serde_json::to_value(&log).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "envward");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.iter().any(
        |r| r["id"] == "debug.enabled" && r["help"]["text"].as_str().unwrap().contains("Fix:")
    ));
    let results = run["results"].as_array().unwrap();
    let debug = results
        .iter()
        .find(|r| r["ruleId"] == "debug.enabled")
        .expect("debug.enabled result");
    assert_eq!(debug["level"], "error");
    let loc = &debug["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "env/production/common.env");
    assert_eq!(loc["region"]["startLine"], 3);
    // Every result's ruleIndex points at its rule.
    for r in results {
        let i = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(r["message"]["text"].as_str().unwrap().len() > 5);
    }
}

#[test]
fn junit_is_well_formed_xml_with_a_case_per_rule_and_environment() {
    let p = failing_project();
    let r = p
        .run(&["check", "--all-envs", "--format", "junit"])
        .expect_code(1);
    let xml = r.stdout();
    assert!(!xml.contains("SENTINEL"));
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (0, 0, 0);
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) => match e.name().as_ref() {
                b"testsuite" => suites += 1,
                b"testcase" => cases += 1,
                b"failure" => failures += 1,
                _ => {}
            },
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites, 4, "envward.toml + 3 environments");
    assert!(cases > 60, "{cases}");
    assert!(failures >= 2, "{failures}:\n{xml}");
    assert!(
        xml.contains("name=\"debug.enabled\"") && xml.contains("<failure message=\"1 finding:"),
        "{xml}"
    );
    assert!(!xml.contains("(s)"), "{xml}");
    // Every format counts the same checks: JUnit's test cases.
    let text = p.run(&["check", "--all-envs"]).expect_code(1).stdout();
    assert!(
        text.contains(&format!("in 3 environments ({cases} checks, ")),
        "{cases} test cases:\n{text}"
    );
    let json = p.check_json("--all-envs");
    assert_eq!(json["summary"]["checks"], cases, "{json:#}");
    let md = p
        .run(&["check", "--all-envs", "--format", "markdown"])
        .expect_code(1)
        .stdout();
    assert!(md.contains(&format!(", {cases} checks.")), "{md}");
    assert!(!md.contains("(s)"), "{md}");
}

#[test]
fn markdown_summary() {
    let p = failing_project();
    let r = p
        .run(&["check", "-e", "production", "--format", "markdown"])
        .expect_code(1);
    let md = r.stdout();
    assert!(md.starts_with("❌ **envward check failed**"), "{md}");
    assert!(
        md.contains("| production |") && md.contains("`debug.enabled`"),
        "{md}"
    );
    assert!(!md.contains("SENTINEL"));
    let r = Project::webapp()
        .run(&["check", "-e", "production", "--format", "markdown"])
        .ok();
    assert!(r.stdout().starts_with("✅ **envward check passed**"));
}

#[test]
fn several_reports_from_one_run_and_an_audit_log() {
    let p = failing_project();
    let r = p
        .run(&[
            "check",
            "-e",
            "production",
            "--format",
            "sarif",
            "--output",
            "out/r.sarif",
            "--format",
            "junit",
            "--output",
            "out/r.xml",
            "--format",
            "json",
            "--audit-log",
            "audit",
        ])
        .expect_code(1);
    let json: Value = r.json();
    assert!(json["summary"]["errors"].as_u64().unwrap() >= 3, "{json:#}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("out/r.sarif")).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        json["findings"].as_array().unwrap().len()
    );
    assert!(
        std::fs::read_to_string(p.join("out/r.xml"))
            .unwrap()
            .starts_with("<?xml")
    );
    let logs: Vec<_> = std::fs::read_dir(p.join("audit"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(logs.len(), 1);
    assert!(
        logs[0].starts_with("audit_log_") && logs[0].ends_with(".json"),
        "{logs:?}"
    );
    let audit: Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("audit").join(&logs[0])).unwrap())
            .unwrap();
    assert_eq!(audit["findings"], json["findings"]);
    // Usage errors.
    p.run(&["check", "--format", "json", "--format", "sarif"])
        .expect_code(2);
    p.run(&["check", "--output", "a", "--output", "b"])
        .expect_code(2);
}
