//! `example` and `docs`: generated from the schema, never a secret,
//! `--check` fails on stale files, writes keep permissions.

use crate::harness::Project;

const SCHEMA: &str = r#"
[environments.production]
[vars.DEBUG]
type = "bool"
default = "False"
description = "Debug mode"
group = "Core"
[vars.SECRET_KEY]
type = "secret"
required = true
importance = "critical"
default = "SENTINEL-default-7a1"
example = "SENTINEL-example-2b9"
group = "Security"
[vars.API_TOKEN]
required = ["production"]
example = "SENTINEL-example-3c4"
[vars.HOSTS]
type = "list"
example = "a.example, b.example"
group = "Core"
[vars.OLD]
deprecated = "use HOSTS instead"
"#;

#[test]
fn example_is_grouped_documented_and_secret_free() {
    let p = Project::with(&[("envward.toml", SCHEMA)]);
    let r = p.run(&["example", "--stdout"]).ok();
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    insta::assert_snapshot!("example", r.stdout());
    let r = p.run(&["docs", "--stdout"]).ok();
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    insta::assert_snapshot!("docs", r.stdout());
}

#[test]
fn example_check_fails_on_a_stale_or_missing_file() {
    let p = Project::with(&[("envward.toml", SCHEMA)]);
    let r = p.run(&["example", "--check"]).expect_code(1);
    assert!(
        r.stderr().contains(".env.example does not exist"),
        "{}",
        r.stderr()
    );
    p.run(&["example"]).ok();
    p.run(&["example", "--check"]).ok();
    p.write(
        "envward.toml",
        SCHEMA.replace("Debug mode", "Debug mode, never in production"),
    );
    let r = p.run(&["example", "--check"]).expect_code(1);
    assert!(
        r.stdout()
            .contains("-# Debug mode\n+# Debug mode, never in production\n"),
        "{}",
        r.stdout()
    );
    assert!(
        r.stderr().contains(".env.example is stale"),
        "{}",
        r.stderr()
    );
}

#[test]
fn docs_check_fails_on_a_stale_file() {
    let p = Project::with(&[("envward.toml", SCHEMA)]);
    p.run(&["docs"]).ok();
    assert!(p.join("docs/configuration.md").exists());
    p.run(&["docs", "--check"]).ok();
    p.write("docs/configuration.md", "edited by hand\n");
    let r = p.run(&["docs", "--check"]).expect_code(1);
    assert!(r.stdout().contains("-edited by hand"), "{}", r.stdout());
    p.run(&["docs", "-o", "REFERENCE.md"]).ok();
    p.run(&["docs", "-o", "REFERENCE.md", "--check"]).ok();
}

#[cfg(unix)]
#[test]
fn regenerating_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let p = Project::with(&[("envward.toml", SCHEMA), (".env.example", "old\n")]);
    std::fs::set_permissions(
        p.join(".env.example"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    p.run(&["example"]).ok();
    let meta = std::fs::metadata(p.join(".env.example")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(
        std::fs::read_to_string(p.join(".env.example"))
            .unwrap()
            .contains("DEBUG=False")
    );
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(p.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn the_example_project_files_are_up_to_date() {
    let p = Project::webapp();
    p.run(&["example", "--check"]).ok();
    p.run(&["docs", "--check"]).ok();
}
