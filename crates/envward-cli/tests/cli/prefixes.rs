//! `[project] prefixes`: an application that reads its settings under its
//! own prefix (`PROMPTCRAFT_DEBUG`) is checked like one that reads
//! `DEBUG`; undeclared, the prefix is pointed out
//! (`settings.unrecognised-prefix`).

use crate::harness::Project;

const SECRET: &str = "SENTINEL-short-key";

fn project(toml: &str) -> Project {
    Project::with(&[
        (
            "envward.toml",
            &format!("{toml}[environments.production]\n"),
        ),
        (
            "env/production/app.env",
            &format!(
                "PROMPTCRAFT_DEBUG=True\nPROMPTCRAFT_SECRET_KEY={SECRET}\nPROMPTCRAFT_API_HOST=localhost\n"
            ),
        ),
    ])
}

fn rules_on(json: &serde_json::Value) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["key"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn an_undeclared_prefix_is_pointed_out_and_its_settings_are_not_judged() {
    let p = project("");
    let json = p.check_json("production");
    let found = rules_on(&json);
    assert!(
        found
            .iter()
            .any(|(r, _)| r == "settings.unrecognised-prefix"),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(r, _)| r == "debug.enabled"),
        "{found:?}"
    );
    let run = p.run(&["check", "-e", "production"]);
    let out = run.stdout();
    assert!(out.contains("PROMPTCRAFT_"), "{out}");
    assert!(out.contains("prefixes = [\"PROMPTCRAFT_\"]"), "{out}");
    assert!(!out.contains("SENTINEL") && !run.stderr().contains("SENTINEL"));
}

#[test]
fn a_declared_prefix_makes_every_rule_read_the_prefixed_settings() {
    let p = project("[project]\nprefixes = [\"PROMPTCRAFT_\"]\n");
    let json = p.check_json("production");
    let found = rules_on(&json);
    for (rule, key) in [
        ("debug.enabled", "PROMPTCRAFT_DEBUG"),
        ("hosts.api-local", "PROMPTCRAFT_API_HOST"),
        ("secret.min-length", "PROMPTCRAFT_SECRET_KEY"),
    ] {
        assert!(
            found.iter().any(|(r, k)| r == rule && k == key),
            "{rule} on {key}: {found:?}"
        );
    }
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "settings.unrecognised-prefix"),
        "{found:?}"
    );
    // The application's own key: judged as a generated key (32), not as a
    // provider token (16).
    let min = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "secret.min-length")
        .unwrap();
    assert!(min["message"].as_str().unwrap().contains("32"), "{min}");
    for format in ["text", "json", "sarif", "junit", "html"] {
        let run = p.run(&[
            "check",
            "-e",
            "production",
            "--format",
            format,
            "--fail-on",
            "never",
        ]);
        assert!(!run.stdout().contains("SENTINEL"), "{format}");
        assert!(!run.stderr().contains("SENTINEL"), "{format}");
    }
    // The deploy gate reads them too.
    p.run(&["run", "-e", "production", "--", "true"])
        .expect_code(1);
}

#[test]
fn a_prefix_that_is_not_a_key_prefix_is_refused_with_its_place() {
    let p = project("[project]\nprefixes = [\"promptcraft\"]\n");
    let run = p.run(&["check", "-e", "production"]).expect_code(2);
    let err = run.stderr();
    assert!(err.contains("envward.toml:2:"), "{err}");
    assert!(err.contains("write it as \"PROMPTCRAFT_\""), "{err}");
}

#[test]
fn one_key_under_a_word_is_a_name_not_a_prefix() {
    // JWT_SECRET_KEY is a key of its own: no finding.
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        (
            "env/production/app.env",
            "JWT_SECRET_KEY=SENTINEL-a-long-enough-jwt-signing-key-0123456789\nSTRIPE_SECRET_KEY=x\n",
        ),
    ]);
    let found = rules_on(&p.check_json("production"));
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "settings.unrecognised-prefix"),
        "{found:?}"
    );
}

#[test]
fn a_prefixed_deploy_setting_from_the_process_environment_is_judged() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[project]\nprefixes = [\"MYAPP_\"]\n[environments.production]\n",
        ),
        ("env/production/app.env", "PORT=8000\n"),
    ]);
    let json = p.check_json_with("production", &[], &[("MYAPP_DEBUG", "True")]);
    let found = rules_on(&json);
    assert!(
        found
            .iter()
            .any(|(r, k)| r == "debug.enabled" && k == "MYAPP_DEBUG"),
        "{found:?}"
    );
}
