//! `get`, `list`, `explain`.

use crate::harness::Project;

#[test]
fn get_prints_the_value() {
    let p = Project::webapp();
    let r = p.run(&["get", "BASE_URL", "-e", "production"]).ok();
    assert_eq!(r.stdout(), "https://webapp.example\n");
    let r = p.run(&["get", "API_PORT", "--no-newline"]).ok();
    assert_eq!(r.stdout(), "8000");
}

#[test]
fn get_reveals_a_secret_when_asked_for_it() {
    let p = Project::webapp();
    let r = p.run(&["get", "POSTGRES_PASSWORD", "-e", "prod"]).ok();
    assert_eq!(r.stdout(), "Prd-4Tz8-Qw1n-Xc6v-Lb3m-Hy9k-Rq7s-Vm2d\n");
}

#[test]
fn get_unknown_key_suggests_and_exits_2() {
    let p = Project::webapp();
    let r = p
        .run(&["get", "DATABASE_ULR", "-e", "production"])
        .expect_code(2);
    assert!(
        r.stderr().contains("did you mean `DATABASE_URL`?"),
        "{}",
        r.stderr()
    );
    assert!(r.stdout().is_empty());
}

#[test]
fn get_falls_back_to_the_process_environment() {
    let p = Project::with(&[(".env", "A=1\n")]).env("ONLY_IN_PROCESS", "yes");
    assert_eq!(p.run(&["get", "ONLY_IN_PROCESS"]).ok().stdout(), "yes\n");
}

#[test]
fn list_masks_secrets_and_shows_origins() {
    let p = Project::webapp();
    let r = p.run(&["list", "-e", "production"]).ok();
    insta::assert_snapshot!("list_production", r.stdout());
}

#[test]
fn list_reveal_and_keys_only() {
    let p = Project::webapp();
    let r = p.run(&["list", "-e", "production", "--reveal"]).ok();
    assert!(
        r.stdout()
            .contains("Prd-4Tz8-Qw1n-Xc6v-Lb3m-Hy9k-Rq7s-Vm2d")
    );
    let r = p.run(&["list", "-e", "production", "--keys-only"]).ok();
    assert!(r.stdout().lines().any(|l| l == "SECRET_KEY"));
    assert!(!r.stdout().contains("redacted"));
}

#[test]
fn list_json() {
    let p = Project::webapp();
    let r = p
        .run(&[
            "list", "-e", "staging", "-n", "database", "--format", "json",
        ])
        .ok();
    let v: serde_json::Value = r.json();
    assert_eq!(v["environment"], "staging");
    assert_eq!(v["namespace"], "database");
    assert_eq!(v["layout"], "directory");
    let vars = v["vars"].as_array().unwrap();
    let pw = vars
        .iter()
        .find(|x| x["key"] == "POSTGRES_PASSWORD")
        .unwrap();
    assert_eq!(pw["value"], "[redacted]");
    assert_eq!(pw["sensitive"], true);
    assert_eq!(pw["origin"]["kind"], "file");
    assert_eq!(pw["origin"]["path"], "env/staging/database.env");
    assert_eq!(pw["origin"]["line"], 2);
    assert_eq!(pw["origin"]["layer"], "environment");
    // -n database falls back to common but not to other namespaces.
    assert!(vars.iter().any(|x| x["key"] == "DEBUG"));
    assert!(!vars.iter().any(|x| x["key"] == "SECRET_KEY"));
}

#[test]
fn explain_shows_the_override_chain() {
    let p = Project::webapp();
    let r = p.run(&["explain", "LOG_LEVEL", "-e", "development"]).ok();
    insta::assert_snapshot!("explain_log_level", r.stdout());
    let p = Project::webapp().env("LOG_LEVEL", "ERROR");
    let r = p
        .run(&[
            "explain",
            "LOG_LEVEL",
            "-e",
            "production",
            "--format",
            "json",
        ])
        .ok();
    let v: serde_json::Value = r.json();
    assert_eq!(v["value"], "ERROR");
    assert_eq!(v["origin"]["kind"], "process");
    let chain = v["overridden"].as_array().unwrap();
    assert_eq!(chain[0]["origin"]["path"], "env/production/common.env");
    assert_eq!(chain[0]["written"], "WARNING");
    assert_eq!(chain[1]["origin"]["kind"], "default");
}

#[test]
fn explain_masks_a_sensitive_value_and_its_overrides() {
    let p = Project::with(&[
        (".env", "API_TOKEN=shared-sentinel-1\n"),
        (".env.production", "API_TOKEN=prod-sentinel-2\n"),
    ]);
    let r = p.run(&["explain", "API_TOKEN", "-e", "production"]).ok();
    insta::assert_snapshot!("explain_sensitive", r.stdout());
    assert!(!r.stdout().contains("sentinel"));
    let r = p
        .run(&["explain", "API_TOKEN", "-e", "production", "--reveal"])
        .ok();
    assert!(r.stdout().contains("prod-sentinel-2") && r.stdout().contains("shared-sentinel-1"));
}

/// `get KEY` resolves the key, what it references and the schema's keys,
/// not the whole environment (issue 18): the value, errors with their
/// position, and the required keys are as before; a broken key elsewhere
/// is `check`'s to report, not a reason to refuse an unrelated one.
#[test]
fn get_resolves_the_key_and_what_it_needs() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[vars.REQ]\nrequired = true\n[vars.WITH_DEFAULT]\ndefault = \"d\"\n",
        ),
        (
            ".env",
            "A=${B}-x\nB=${C:-none}${WITH_DEFAULT}\nC=1\nREQ=r\nBROKEN=${NOWHERE}\nX=${Y}\nY=${X}\n",
        ),
    ]);
    assert_eq!(p.run(&["get", "A"]).ok().stdout(), "1d-x\n");
    assert_eq!(p.run(&["get", "WITH_DEFAULT"]).ok().stdout(), "d\n");
    let r = p.run(&["get", "BROKEN"]).expect_code(2);
    assert!(
        r.stderr().contains(".env:5:8")
            && r.stderr()
                .contains("`BROKEN` refers to `NOWHERE`, which is not defined"),
        "{}",
        r.stderr()
    );
    let r = p.run(&["get", "X"]).expect_code(2);
    assert!(r.stderr().contains("cycle: X → Y → X"), "{}", r.stderr());
    // The whole environment is still judged by `list` and `check`.
    p.run(&["list"]).expect_code(2);
    // A required key without a value refuses every `get`.
    p.write(".env", "A=1\n");
    let r = p.run(&["get", "A"]).expect_code(2);
    assert!(r.stderr().contains("REQ"), "{}", r.stderr());
    // A suggestion for a typo, each warning once.
    p.write(".env", "REQ=r\nDATABASE_URL=x\nREQ=r\n");
    let r = p.run(&["get", "DATABASE_ULR"]).expect_code(2);
    assert!(
        r.stderr().contains("did you mean `DATABASE_URL`?"),
        "{}",
        r.stderr()
    );
    assert_eq!(
        r.stderr().matches("is defined twice").count(),
        1,
        "{}",
        r.stderr()
    );
}
