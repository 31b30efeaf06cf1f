//! `check`: every schema constraint fires on a bad value and stays quiet on
//! a good one; reports in text and JSON; exit codes; no secret in output.

use serde_json::Value;

use crate::harness::Project;

/// Runs `check` on a flat project with `schema` and `.env` = `env`, and
/// returns the rules of the findings for `key` (and the whole report).
fn rules_for(schema: &str, env: &str, key: &str) -> (Vec<String>, Value) {
    let p = Project::with(&[("envward.toml", schema), (".env", env)]);
    let r = p
        .run(&["check", "--format", "json", "--fail-on", "never"])
        .ok();
    let v: Value = r.json();
    let rules = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["key"] == key)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    (rules, v)
}

#[track_caller]
fn fires(schema: &str, bad: &str, good: &str, key: &str, rule: &str) {
    let (rules, v) = rules_for(schema, bad, key);
    assert_eq!(rules, [rule], "{rule} should fire on {bad:?}:\n{v:#}");
    let (rules, v) = rules_for(schema, good, key);
    assert!(
        rules.is_empty(),
        "{rule} should stay quiet on {good:?}:\n{v:#}"
    );
}

#[track_caller]
fn quiet(schema: &str, env: &str, key: &str) {
    let (rules, v) = rules_for(schema, env, key);
    assert!(rules.is_empty(), "nothing should fire on {env:?}:\n{v:#}");
}

#[test]
fn every_type_is_checked() {
    let cases = [
        ("int", "N=4.5", "N=-42"),
        ("float", "N=abc", "N=0.25"),
        ("bool", "N=maybe", "N=Off"),
        ("port", "N=70000", "N=8080"),
        ("url", "N=not a url", "N=https://example.com/x"),
        ("email", "N=ops-at-example.com", "N=ops@example.com"),
        ("host", "N=bad_host!", "N=db.example.com"),
        ("duration", "N=5 parsecs", "N=1h30m"),
        ("json", "N={nope", "N='{\"a\": [1, 2]}'"),
    ];
    for (t, bad, good) in cases {
        fires(
            &format!("[vars.N]\ntype = \"{t}\"\n"),
            bad,
            good,
            "N",
            "schema.type",
        );
    }
}

#[test]
fn constraints() {
    fires(
        "[vars.N]\nrequired = true\n",
        "OTHER=1\nN=",
        "N=x",
        "N",
        "schema.required",
    );
    fires(
        "[vars.N]\nrequired = [\"development\"]\n",
        "X=1",
        "N=1",
        "N",
        "schema.required",
    );
    quiet(
        "[environments.production]\n[vars.N]\nrequired = [\"production\"]\n",
        "X=1",
        "N",
    );
}

#[test]
fn value_constraints() {
    fires(
        "[vars.N]\ntype = \"enum\"\nchoices = [\"a\", \"b\"]\n",
        "N=c",
        "N=b",
        "N",
        "schema.choices",
    );
    fires(
        "[vars.N]\ntype = \"list\"\nchoices = [\"a\", \"b\"]\n",
        "N=a,c",
        "N=a, b",
        "N",
        "schema.choices",
    );
    fires(
        "[vars.N]\npattern = \"[a-z]+-[0-9]+\"\n",
        "N=abc-12x",
        "N=abc-12",
        "N",
        "schema.pattern",
    );
    fires(
        "[vars.N]\ntype = \"int\"\nmin = 10\n",
        "N=9",
        "N=10",
        "N",
        "schema.range",
    );
    fires(
        "[vars.N]\ntype = \"port\"\nmax = 1023\n",
        "N=8080",
        "N=443",
        "N",
        "schema.range",
    );
    fires(
        "[vars.N]\ntype = \"duration\"\nmax = 3600\n",
        "N=2h",
        "N=30m",
        "N",
        "schema.range",
    );
    fires(
        "[vars.N]\nmin_length = 5\n",
        "N=abcd",
        "N=abcde",
        "N",
        "schema.length",
    );
    fires(
        "[vars.N]\nmax_length = 3\n",
        "N=abcd",
        "N=abc",
        "N",
        "schema.length",
    );
    fires(
        "[vars.N]\ndeprecated = \"use M instead\"\n",
        "N=1",
        "X=1",
        "N",
        "schema.deprecated",
    );
    fires("[vars.M]\n", "M=1\nNN=2", "M=1", "NN", "schema.unknown-key");
}

#[test]
fn per_environment_rules() {
    let schema = "[vars.DEBUG]\ntype = \"bool\"\n[vars.DEBUG.env.development]\nequals = false\n";
    fires(schema, "DEBUG=True", "DEBUG=0", "DEBUG", "schema.equals");
    let schema = "[vars.LEVEL]\n[vars.LEVEL.env.development]\nnot_equals = \"DEBUG\"\n";
    fires(
        schema,
        "LEVEL=DEBUG",
        "LEVEL=INFO",
        "LEVEL",
        "schema.not-equals",
    );
    let schema = "[vars.URL]\n[vars.URL.env.development]\npattern = \"https://.*\"\n";
    fires(
        schema,
        "URL=http://x",
        "URL=https://x",
        "URL",
        "schema.pattern",
    );
    let schema = "[vars.K]\n[vars.K.env.development]\nmin_length = 4\n";
    fires(schema, "K=abc", "K=abcd", "K", "schema.length");
    let schema = "[vars.K]\n[vars.K.env.development]\nrequired = true\n";
    fires(schema, "X=1", "K=1", "K", "schema.required");
    // A rule for another environment does not apply here.
    let schema = "[environments.production]\n[vars.K]\n[vars.K.env.production]\nequals = \"x\"\n";
    quiet(schema, "K=y", "K");
}

#[test]
fn unknown_keys_suggest_the_declared_one() {
    let (_, v) = rules_for(
        "[vars.DATABASE_URL]\n",
        "DATABASE_URL=x\nDATABSE_URL=y\n",
        "DATABSE_URL",
    );
    let f = &v["findings"][0];
    assert_eq!(f["severity"], "warning");
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .contains("did you mean `DATABASE_URL`?"),
        "{f}"
    );
    assert_eq!(f["origin"]["line"], 2);
}

#[test]
fn schema_problems_are_errors_with_their_line() {
    let schema = "[vars.A]\ntype = \"integer\"\n\n[vars.B]\ntype = \"int\"\nmin = 5\nmax = 1\n\n[vars.C]\ntype = \"enum\"\n\n[vars.D]\nchoices = [\"x\"]\ndefault = \"y\"\n\n[vars.E]\npattern = \"(\"\n\n[vars.F.env.prodution]\nequals = 1\n";
    let p = Project::with(&[("envward.toml", schema), (".env.production", "X=1\n")]);
    let r = p.run(&["--color", "never", "check"]).expect_code(1);
    insta::assert_snapshot!("schema_problems", r.stdout());
}

#[test]
fn missing_in_one_environment() {
    let p = Project::with(&[
        (".env", "A=1\n"),
        (".env.staging", "B=1\n"),
        (".env.production", "X=1\n"),
    ]);
    let r = p.run(&["check", "--all-envs", "--format", "json"]).ok();
    let v: Value = r.json();
    assert_eq!(
        v["environments"],
        serde_json::json!(["development", "production", "staging"])
    );
    let f: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["key"] == "B")
        .collect();
    // Production lacks it; development has no file of its own (only the
    // shared .env), so it is not compared.
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0]["environment"], "production", "{v:#}");
    assert!(
        f.iter()
            .all(|f| f["rule"] == "consistency.missing-in-environment")
    );
    // With a declared default, nothing is missing.
    p.write(
        "envward.toml",
        "[vars.A]\n[vars.B]\ndefault = \"0\"\n[vars.X]\ndefault = \"0\"\n",
    );
    let r = p.run(&["check", "--all-envs", "--format", "json"]).ok();
    let v: Value = r.json();
    assert_eq!(v["summary"]["warnings"], 0, "{v:#}");
}

#[test]
fn exit_codes_and_fail_on() {
    let p = Project::with(&[
        ("envward.toml", "[vars.A]\ntype = \"int\"\n"),
        (".env", "A=x\nB=1\n"),
    ]);
    p.run(&["check"]).expect_code(1);
    p.run(&["check", "--fail-on", "never"]).ok();
    p.write(".env", "A=1\nB=1\n");
    p.run(&["check"]).ok();
    p.run(&["check", "--fail-on", "warning"]).expect_code(1);
    p.write(".env", "A=${NOPE}\n");
    p.run(&["check"]).expect_code(2);
    p.write("envward.toml", "[vars.A]\ntyp = \"int\"\n");
    let r = p.run(&["check"]).expect_code(2);
    assert!(r.stderr().contains("unknown field `typ`"), "{}", r.stderr());
}

#[test]
fn example_project_report() {
    let p = Project::webapp();
    // The example's staging has drifted (the README's first command shows
    // this): it fails the gate while development and production pass.
    let r = p
        .run(&["--color", "never", "check", "--all-envs"])
        .expect_code(1);
    insta::assert_snapshot!("webapp_all_envs", r.stdout());
    // The README pastes this output under its first command.
    let readme = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"),
    )
    .unwrap();
    assert!(
        readme.contains("cargo run -q -p envward-cli -- -C examples/webapp check --all-envs\n")
            && readme.contains(&format!("```text\n{}```", r.stdout())),
        "README.md's first command or its output is out of date:\n{}",
        r.stdout()
    );
    p.run(&["check", "-e", "production"]).ok();
    p.run(&["check", "-e", "development"]).ok();
    // Break production and see it fail, with locations.
    p.write(
        "env/production/common.env",
        std::fs::read_to_string(p.join("env/production/common.env"))
            .unwrap()
            .replace("DEBUG=False", "DEBUG=True"),
    );
    let r = p
        .run(&["--color", "never", "check", "-e", "prod"])
        .expect_code(1);
    insta::assert_snapshot!("webapp_debug_in_production", r.stdout());
    let r = p
        .run(&["check", "-e", "prod", "--format", "json"])
        .expect_code(1);
    let mut v: Value = r.json();
    assert!(v["timestamp"].as_str().unwrap().ends_with('Z'), "{v}");
    v["timestamp"] = "[timestamp]".into();
    insta::assert_snapshot!(
        "webapp_debug_in_production_json",
        serde_json::to_string_pretty(&v).unwrap()
    );
}

#[test]
fn reports_never_quote_a_secret() {
    let schema = "[vars.API_TOKEN]\ntype = \"int\"\nmin_length = 99\n[vars.API_TOKEN.env.development]\nnot_equals = \"SENTINEL-aa11\"\n[vars.PLAIN]\ntype = \"int\"\n";
    let p = Project::with(&[
        ("envward.toml", schema),
        (
            ".env",
            "API_TOKEN=SENTINEL-aa11\nPLAIN=SENTINEL-bb22\nSTRIPE_SECRET=SENTINEL-cc33\n",
        ),
    ]);
    for format in ["text", "json"] {
        let r = p.run(&["check", "--format", format]).expect_code(1);
        assert!(
            !r.stdout().contains("SENTINEL-aa11") && !r.stdout().contains("SENTINEL-cc33"),
            "{}",
            r.stdout()
        );
        assert!(!r.stderr().contains("SENTINEL"), "{}", r.stderr());
        // A non-sensitive invalid value is quoted, to help.
        assert!(r.stdout().contains("SENTINEL-bb22"), "{}", r.stdout());
    }
}
