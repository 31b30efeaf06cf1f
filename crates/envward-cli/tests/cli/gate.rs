//! The deploy gate, right by default (issue 12): which environments get
//! the production rules, which variable selects the environment, and
//! `run`/`export` refusing a strict environment that fails the gate.

use serde_json::Value;

use crate::harness::Project;

/// A production configuration with three things the gate must refuse.
const BAD_PRODUCTION: &str =
    "DEBUG=True\nDATABASE_URL=sqlite:///db.sqlite3\nSECRET_KEY=dev-secret-key\n";

fn rules_of(v: &Value, env: &str) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["environment"] == env && f["severity"] == "error")
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn production_like_names_are_strict_without_a_declaration() {
    for name in ["production", "prod", "live", "staging", "stage", "preprod"] {
        let p = Project::with(&[(&format!(".env.{name}"), BAD_PRODUCTION)]);
        let r = p
            .run(&["check", "-e", name, "--format", "json"])
            .expect_code(1);
        let v = r.json();
        let rules = rules_of(&v, name);
        assert!(
            rules.contains(&"debug.enabled".to_string())
                && rules.contains(&"database.production-ready".to_string()),
            "{name}: {v:#}"
        );
        assert_eq!(v["rule_sets"][name]["strict"], true, "{v:#}");
        assert_eq!(v["rule_sets"][name]["source"], "name", "{v:#}");
    }
}

#[test]
fn the_text_report_names_the_rule_set() {
    let p = Project::with(&[(".env.production", BAD_PRODUCTION), (".env", "A=1\n")]);
    let r = p.run(&["check", "-e", "production"]).expect_code(1);
    assert!(
        r.stdout()
            .contains("production (strict by name: production rules)"),
        "{}",
        r.stdout()
    );
    let r = p.run(&["check", "-e", "development"]).ok();
    assert!(
        r.stdout()
            .contains("development (not strict: development rules)"),
        "{}",
        r.stdout()
    );
}

#[test]
fn strict_false_keeps_a_production_name_lenient_and_strict_true_wins_elsewhere() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = false\n[environments.qa]\nstrict = true\n",
        ),
        (".env.production", BAD_PRODUCTION),
        (".env.qa", BAD_PRODUCTION),
    ]);
    let v = p
        .run(&["check", "-e", "production", "--format", "json"])
        .ok()
        .json();
    assert!(rules_of(&v, "production").is_empty(), "{v:#}");
    assert_eq!(v["rule_sets"]["production"]["source"], "declared");
    let r = p.run(&["check", "-e", "qa"]).expect_code(1);
    assert!(
        r.stdout().contains("qa (strict: production rules)"),
        "{}",
        r.stdout()
    );
    // `status` reads the same decision.
    let s = p.run(&["status", "--format", "json"]).ok().json();
    let strict = |env: &str| {
        s["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["environment"] == env)
            .map(|e| e["strict"].clone())
    };
    assert_eq!(strict("qa"), Some(Value::Bool(true)), "{s:#}");
    assert_eq!(strict("production"), Some(Value::Bool(false)), "{s:#}");
}

#[test]
fn the_guides_variables_select_the_environment() {
    let files = [
        (".env", "WHERE=shared\n"),
        (".env.production", "WHERE=production\n"),
        (".env.staging", "WHERE=staging\n"),
    ];
    for var in ["ENVWARD_ENV", "ENVIRONMENT", "APP_ENV", "DJANGO_ENV"] {
        let p = Project::with(&files).env(var, "production");
        let r = p.run(&["get", "WHERE"]).ok();
        assert_eq!(r.stdout().trim(), "production", "{var}");
    }
    // The first one set wins; -e wins over all.
    let p = Project::with(&files)
        .env("ENVWARD_ENV", "staging")
        .env("ENVIRONMENT", "production");
    assert_eq!(p.run(&["get", "WHERE"]).ok().stdout().trim(), "staging");
    assert_eq!(
        p.run(&["get", "WHERE", "-e", "production"])
            .ok()
            .stdout()
            .trim(),
        "production"
    );
}

#[test]
fn environment_variables_are_configurable_and_unknown_names_say_where_from() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[resolve]\nenvironment_variables = [\"DEPLOY_TARGET\"]\n",
        ),
        (".env.production", "WHERE=production\n"),
    ])
    .env("ENVIRONMENT", "nonsense")
    .env("DEPLOY_TARGET", "production");
    assert_eq!(p.run(&["get", "WHERE"]).ok().stdout().trim(), "production");

    let p = Project::with(&[(".env.production", "WHERE=production\n")]).env("APP_ENV", "prodution");
    let r = p.run(&["get", "WHERE"]).expect_code(2);
    assert!(
        r.stderr()
            .contains("unknown environment `prodution` (from the variable APP_ENV)"),
        "{}",
        r.stderr()
    );
    assert!(
        r.stderr().contains("did you mean `production`?"),
        "{}",
        r.stderr()
    );
}

#[test]
fn run_and_export_refuse_a_strict_environment_that_fails_the_gate() {
    let p = Project::with(&[(".env.production", BAD_PRODUCTION)]);
    let marker = p.join("started");
    let marker = marker.to_str().unwrap();
    let r = p
        .run(&["run", "-e", "production", "--", "touch", marker])
        .expect_code(1);
    assert!(!p.join("started").exists(), "the program was started");
    assert!(r.stderr().contains("[debug.enabled]"), "{}", r.stderr());
    assert!(r.stderr().contains("nothing was started"), "{}", r.stderr());
    assert!(r.stdout().is_empty());
    // Never a secret in the refusal.
    assert!(!r.stderr().contains("dev-secret-key"), "{}", r.stderr());

    let r = p.run(&["export", "-e", "production"]).expect_code(1);
    assert!(r.stdout().is_empty(), "{}", r.stdout());
    assert!(
        r.stderr().contains("nothing was exported"),
        "{}",
        r.stderr()
    );

    // --no-check starts it anyway.
    p.run(&[
        "run",
        "-e",
        "production",
        "--no-check",
        "--",
        "touch",
        marker,
    ])
    .ok();
    assert!(p.join("started").exists());
    let r = p.run(&["export", "-e", "production", "--no-check"]).ok();
    assert!(r.stdout().contains("DEBUG="), "{}", r.stdout());
}

#[test]
fn run_is_not_gated_outside_strict_environments_nor_by_warnings() {
    // Development: the same values start.
    let p = Project::with(&[(".env", BAD_PRODUCTION)]);
    p.run(&["run", "--", "true"]).ok();
    // A strict environment with only a warning (short HSTS) starts.
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\nstrict = true\n"),
        (".env.production", "SECURE_HSTS_SECONDS=3600\n"),
    ]);
    let v = p
        .run(&["check", "-e", "production", "--format", "json"])
        .ok()
        .json();
    assert!(v["summary"]["warnings"].as_u64().unwrap() > 0, "{v:#}");
    p.run(&["run", "-e", "production", "--", "true"]).ok();
}

/// The rules of the findings about `key` in a check of production.
fn production_rules_for(p: &Project, key: &str) -> Vec<String> {
    let v = p.check_json("production");
    let mut rules: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["key"] == key || (key.is_empty() && f["key"].is_null()))
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    rules
}

#[test]
fn every_rule_id_takes_settings_schema_and_custom_ones_included() {
    let schema = "[vars.DECLARED]\n";
    let env = ".env.production";
    let p = Project::with(&[("envward.toml", schema), (env, "DECLARED=1\nSTRAY=1\n")]);
    assert_eq!(production_rules_for(&p, "STRAY"), ["schema.unknown-key"]);
    p.write(
        "envward.toml",
        format!("{schema}[rules.\"schema.unknown-key\"]\nenabled = false\n"),
    );
    assert!(production_rules_for(&p, "STRAY").is_empty());
    assert!(production_rules_for(&p, "").is_empty(), "no schema.invalid");
    p.write(
        "envward.toml",
        format!(
            "{schema}[[rules.\"schema.unknown-key\".allow]]\nkey = \"STRAY\"\nreason = \"read by the proxy\"\n\
             [[custom_rules]]\nid = \"custom.one\"\nkeys = \"DECLARED\"\nequals = \"2\"\nmessage = \"m\"\n\
             [rules.\"custom.one\"]\nseverity = \"info\"\n"
        ),
    );
    let v = p
        .run(&["check", "-e", "production", "--format", "json"])
        .ok()
        .json();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v:#}");
    assert_eq!(findings[0]["rule"], "custom.one");
    assert_eq!(findings[0]["severity"], "info");
    // A real typo is still caught.
    p.write(
        "envward.toml",
        format!("{schema}[rules.\"schema.unknown-keys\"]\nenabled = false\n"),
    );
    let v = p
        .run(&["check", "-e", "production", "--format", "json"])
        .expect_code(1)
        .json();
    assert!(
        v.to_string().contains("did you mean `schema.unknown-key`?"),
        "{v:#}"
    );
}

/// The `secret.*` rules about SECRET_KEY's value (the file's mode, and its
/// being written in clear, are not the point).
fn secret_rules(p: &Project) -> Vec<String> {
    production_rules_for(p, "SECRET_KEY")
        .into_iter()
        .filter(|r| r.starts_with("secret.") && r != "secret.plaintext-in-strict")
        .collect()
}

#[test]
fn inline_allow_takes_several_ids_and_families() {
    // Long enough to redact (secret.too-short-to-redact stays quiet).
    let p = Project::with(&[(".env.production", "SECRET_KEY=aaaaaaaaaa\n")]);
    assert_eq!(secret_rules(&p), ["secret.min-length", "secret.weak"]);
    // One id allows that rule only: its sibling still fires.
    p.write(
        ".env.production",
        "SECRET_KEY=aaaaaaaaaa  # envward:allow secret.min-length test fixture\n",
    );
    assert_eq!(secret_rules(&p), ["secret.weak"]);
    for comment in [
        "# envward:allow secret.min-length secret.weak test fixture",
        "# envward:allow secret.min-length,secret.weak test fixture",
        "# envward:allow secret.* test fixture",
    ] {
        p.write(
            ".env.production",
            format!("SECRET_KEY=aaaaaaaaaa  {comment}\n"),
        );
        assert!(secret_rules(&p).is_empty(), "{comment}");
    }
    // Without a reason, nothing is allowed.
    p.write(
        ".env.production",
        "SECRET_KEY=aaaaaaaaaa  # envward:allow secret.min-length secret.weak\n",
    );
    assert_eq!(secret_rules(&p), ["secret.min-length", "secret.weak"]);
}

/// Guide 000's layout: production alone has the security settings.
const GUIDE_000: &[(&str, &str)] = &[
    (
        "env/development/common.env",
        "ENVIRONMENT=development\nDEBUG=True\nLOG_LEVEL=DEBUG\nSESSION_TIMEOUT=86400\nRATE_LIMIT_ENABLED=False\n",
    ),
    (
        "env/staging/common.env",
        "ENVIRONMENT=staging\nDEBUG=False\nLOG_LEVEL=INFO\nSESSION_TIMEOUT=3600\nRATE_LIMIT_ENABLED=True\n",
    ),
    (
        "env/production/common.env",
        "ENVIRONMENT=production\nDEBUG=False\nLOG_LEVEL=WARNING\nSESSION_TIMEOUT=1800\nRATE_LIMIT_ENABLED=True\nFORCE_HTTPS=True\n",
    ),
    (
        "env/production/security.env",
        "SECURE_SSL_REDIRECT=True\nSECURE_HSTS_SECONDS=31536000\nSECURE_CONTENT_TYPE_NOSNIFF=True\nSECURE_BROWSER_XSS_FILTER=True\n",
    ),
];

fn missing_in(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "consistency.missing-in-environment")
        .map(|f| {
            (
                f["environment"].as_str().unwrap().to_string(),
                f["key"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn production_only_settings_are_not_asked_of_development() {
    let p = Project::with(GUIDE_000);
    let v = p.check_json("--all-envs");
    let missing = missing_in(&v);
    assert!(
        missing.iter().all(|(env, _)| env == "staging"),
        "development is not asked for production hardening: {missing:?}"
    );
    // Staging is production-like: it is still told what production sets.
    assert!(missing.contains(&("staging".into(), "SECURE_HSTS_SECONDS".into())));
    // A key development sets is still asked of production.
    p.write(
        "env/development/common.env",
        "ENVIRONMENT=development\nREDIS_HOST=localhost\n",
    );
    let v = p.check_json("--all-envs");
    assert!(
        missing_in(&v).contains(&("production".into(), "REDIS_HOST".into())),
        "{v:#}"
    );
}

#[test]
fn environments_without_files_of_their_own_are_not_compared() {
    // development has no directory; qa exists only in envward.toml; both
    // read only the shared file. (Staging's missing SECRET_KEY is also an
    // error of `config.missing-in-strict`, which then stands for the
    // warning: off here, to see the warning.)
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.qa]\n[rules.\"config.missing-in-strict\"]\nenabled = false\n",
        ),
        ("env/common.env", "APP_NAME=shop\n"),
        ("env/production/common.env", "DEBUG=False\nSECRET_KEY=x\n"),
        ("env/staging/common.env", "DEBUG=False\n"),
    ]);
    let v = p.check_json("--all-envs");
    let missing = missing_in(&v);
    assert_eq!(
        missing,
        [("staging".to_string(), "SECRET_KEY".to_string())],
        "{v:#}"
    );
}

#[test]
fn a_finding_about_a_shared_line_is_reported_once() {
    let p = Project::with(&[
        (".env", "REDIS_URL=redis://cache:6379\nPORT=http\n"),
        (".env.production", "A=1\n"),
        (".env.staging", "A=1\n"),
    ]);
    let v = p.check_json("--all-envs");
    let about = |key: &str, rule: &str| -> Vec<Value> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["key"] == key && f["rule"] == rule)
            .cloned()
            .collect()
    };
    let tls = about("REDIS_URL", "cache.tls");
    assert_eq!(tls.len(), 1, "{v:#}");
    assert_eq!(tls[0]["severity"], "error");
    assert!(
        tls[0]["message"].as_str().unwrap().contains("also read by"),
        "{v:#}"
    );
    assert_eq!(about("PORT", "ports.valid").len(), 1, "{v:#}");
    // Checking one environment still reports it there.
    let v = p.check_json("development");
    assert_eq!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["key"] == "PORT")
            .count(),
        1,
        "{v:#}"
    );
}

/// Issue 13 §10 through the binary: a flat Django project (`.env`,
/// `.env.production`, `.env.staging`), `check --all-envs`.
#[test]
fn a_flat_project_reports_its_shared_env_once_and_keeps_every_finding() {
    let p = Project::with(&[
        (
            ".env",
            "DEBUG=True\nSECRET_KEY=dev-secret-key-not-for-production-use-only\nDATABASE_URL=postgres://app:devpass@localhost:5432/app\n",
        ),
        (
            ".env.production",
            "DEBUG=False\nDATABASE_URL=postgres://app:Xk29fjQm3Lp0vNz8aQ@db.internal:5432/app?sslmode=require\nSECURE_HSTS_SECONDS=31536000\n",
        ),
        (".env.staging", "DEBUG=False\n"),
        ("manage.py", ""),
    ]);
    let v = p.check_json("--all-envs");
    let findings = v["findings"].as_array().unwrap();
    // Development exists only through the shared .env: nothing is demanded
    // of it, and no consistency finding names it.
    assert!(
        findings.iter().all(|f| f["environment"] != "development"
            || f["rule"] != "consistency.missing-in-environment"),
        "{v:#}"
    );
    // Two things one rule says about one shared line in one environment
    // both stay; the other environments reading the line are named, never
    // the environment itself.
    let db: Vec<&str> = findings
        .iter()
        .filter(|f| f["rule"] == "database.production-ready" && f["key"] == "DATABASE_URL")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(db.len(), 2, "{db:?}");
    assert!(db.iter().any(|m| m.contains("local host")), "{db:?}");
    assert!(db.iter().any(|m| m.contains("TLS")), "{db:?}");
    assert!(
        !db.iter().any(|m| m.contains("also read by staging")),
        "{db:?}"
    );
    // Every finding about a shared .env line appears in one environment.
    let mut seen = std::collections::BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f["origin"]["path"] == ".env" && f["origin"]["kind"] == "file")
    {
        let id = (
            f["rule"].as_str().unwrap().to_string(),
            f["origin"]["line"].as_u64().unwrap(),
        );
        let env = f["environment"].as_str().unwrap().to_string();
        let first = seen.entry(id.clone()).or_insert_with(|| env.clone());
        assert_eq!(*first, env, "{id:?} reported in two environments: {v:#}");
    }
    assert!(!seen.is_empty(), "{v:#}");
}

#[test]
fn a_default_with_the_same_finding_everywhere_is_reported_once() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[vars.REDIS_URL]\ndefault = \"redis://cache:6379\"\n[vars.SECRET_KEY]\nrequired = true\n",
        ),
        (".env", "A=1\n"),
        (
            ".env.production",
            "A=2\nSECRET_KEY=Zq8vN3kL0pX7rT2mW9yB4cF6hJ1sD5gA8eK3nQ7uV0iO2lPa9\n",
        ),
        (".env.staging", "A=3\n"),
    ]);
    let v = p.check_json("--all-envs");
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["key"] == "SECRET_KEY"
            && f["rule"] == "schema.required"
            && f["environment"] == "staging"),
        "{v:#}"
    );
    let tls: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "cache.tls")
        .collect();
    assert_eq!(tls.len(), 1, "{v:#}");
    assert!(
        tls[0]["message"]
            .as_str()
            .unwrap()
            .contains("the same default: also in"),
        "{v:#}"
    );
    // A required key missing is schema.required's finding, not also a
    // consistency warning.
    assert!(
        !findings
            .iter()
            .any(|f| f["key"] == "SECRET_KEY" && f["rule"] == "consistency.missing-in-environment"),
        "{v:#}"
    );
}
