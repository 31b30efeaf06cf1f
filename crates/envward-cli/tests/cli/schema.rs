//! `schema infer`: a schema guessed from every environment's files,
//! appended without touching what is declared.

use crate::harness::Project;

#[test]
fn infer_creates_a_schema_that_checks_clean() {
    let p = Project::with(&[
        (
            "env/staging/common.env",
            "PORT=8080\nDEBUG=False\nHOSTS=a.example\nURL=https://a.example\nRATIO=1\n",
        ),
        ("env/staging/security.env", "API_TOKEN=SENTINEL-s1\n"),
        (
            "env/production/common.env",
            "PORT=443\nDEBUG=off\nHOSTS=a.example,b.example\nURL=https://b.example\nRATIO=0.5\nONLY_PROD=1\n",
        ),
        ("env/production/security.env", "API_TOKEN=SENTINEL-p1\n"),
    ]);
    let r = p.run(&["schema", "infer"]).ok();
    assert!(r.stderr().contains("added 7 keys"), "{}", r.stderr());
    let toml = std::fs::read_to_string(p.join("envward.toml")).unwrap();
    assert!(!toml.contains("SENTINEL"), "{toml}");
    insta::assert_snapshot!("inferred", toml);
    // development has no files: it is left out, so what staging and
    // production both set is required. (Staging and production are strict
    // by name: the security rules have their say, the schema none.)
    for env in ["production", "staging", "development"] {
        let v = p
            .run(&["check", "-e", env, "--format", "json", "--fail-on", "never"])
            .ok()
            .json();
        let schema: Vec<_> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("schema."))
            .collect();
        assert!(schema.is_empty(), "{env}: {v:#}");
    }
    // Running it again adds nothing.
    let r = p.run(&["schema", "infer"]).ok();
    assert!(
        r.stderr().contains("already declares every key"),
        "{}",
        r.stderr()
    );
}

#[test]
fn infer_keeps_existing_declarations_and_comments() {
    let existing = "# my schema\n[vars.PORT]\ntype = \"string\" # deliberately\n";
    let p = Project::with(&[("envward.toml", existing), (".env", "PORT=1\nNEW=2\n")]);
    p.run(&["schema", "infer"]).ok();
    let toml = std::fs::read_to_string(p.join("envward.toml")).unwrap();
    assert!(toml.starts_with(existing), "{toml}");
    assert!(
        toml.contains("[vars.NEW]\ntype = \"int\"\nrequired = true\n"),
        "{toml}"
    );
    assert!(!toml.contains("[vars.PORT]\ntype = \"port\""), "{toml}");
    let r = p.run(&["schema", "infer", "--stdout"]).ok();
    assert_eq!(r.stdout(), toml);
}

#[test]
fn json_schema_is_shipped_and_up_to_date() {
    let p = Project::new();
    let r = p.run(&["schema", "json", "--stdout"]).ok();
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../envward.schema.json"
    ))
    .unwrap();
    assert_eq!(
        r.stdout(),
        shipped,
        "run `envward schema json --stdout > envward.schema.json`"
    );
    let v: serde_json::Value = serde_json::from_str(&shipped).unwrap();
    for section in ["layout", "environments", "resolve", "vars"] {
        assert!(v["properties"][section].is_object(), "{section}");
    }
    assert_eq!(v["additionalProperties"], false);
    let types = serde_json::to_string(&v["$defs"]["VarType"]).unwrap();
    assert!(
        types.contains("\"port\"") && types.contains("\"secret\""),
        "{types}"
    );
}
