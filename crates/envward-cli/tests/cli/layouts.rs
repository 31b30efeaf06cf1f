//! Layouts, environments, namespaces, precedence, `_FILE` and the secrets
//! directory.

use crate::harness::Project;

fn flat() -> Project {
    Project::with(&[
        (".env", "A=shared\nB=shared\nC=shared\nD=shared\nE=shared\n"),
        (".env.production", "B=env\nC=env\nD=env\nE=env\n"),
        (".env.local", "C=local\nD=local\nE=local\n"),
        (".env.production.local", "D=env-local\nE=env-local\n"),
        (".env.example", "IGNORED=1\n"),
    ])
}

#[test]
fn flat_layout_later_files_win_and_process_wins_over_all() {
    let p = flat().env("E", "process");
    let r = p
        .run(&["export", "-e", "production", "--format", "json"])
        .ok();
    let v: serde_json::Value = r.json();
    assert_eq!(
        v,
        serde_json::json!({"A":"shared","B":"env","C":"local","D":"env-local","E":"process"})
    );
}

#[test]
fn flat_layout_detects_environments_and_rejects_unknown_ones() {
    let p = flat();
    let r = p.run(&["list", "-e", "staging"]).expect_code(2);
    assert!(
        r.stderr().contains("unknown environment `staging`"),
        "{}",
        r.stderr()
    );
    assert!(
        r.stderr().contains("development, production"),
        "{}",
        r.stderr()
    );
    assert!(!r.stderr().contains("example"));
    let r = p.run(&["list", "-e", "produciton"]).expect_code(2);
    assert!(
        r.stderr().contains("did you mean `production`?"),
        "{}",
        r.stderr()
    );
}

#[test]
fn environment_from_envward_env_then_development() {
    let p = flat().env("ENVWARD_ENV", "production");
    assert_eq!(p.run(&["get", "B"]).ok().stdout(), "env\n");
    let p = flat();
    assert_eq!(p.run(&["get", "B"]).ok().stdout(), "shared\n");
}

#[test]
fn aliases_name_environments() {
    let p = Project::webapp();
    assert_eq!(
        p.run(&["get", "ENVIRONMENT", "-e", "prod"]).ok().stdout(),
        "production\n"
    );
    assert_eq!(
        p.run(&["get", "ENVIRONMENT", "-e", "stage"]).ok().stdout(),
        "staging\n"
    );
}

#[test]
fn namespaces_fall_back_to_common_then_process() {
    let p = Project::with(&[
        ("env/production/common.env", "HOST=common-host\nPORT=1\n"),
        ("env/production/db.env", "PORT=5432\nURL=${HOST}:${PORT}\n"),
        ("env/production/cache.env", "URL=redis://${HOST}\n"),
        ("env/db.env", "SHARED_DB=yes\n"),
    ])
    .env("FROM_PROCESS", "p");
    let r = p
        .run(&["export", "-e", "production", "-n", "db", "--format", "json"])
        .ok();
    let v: serde_json::Value = r.json();
    assert_eq!(
        v,
        serde_json::json!({"HOST":"common-host","PORT":"5432","URL":"common-host:5432","SHARED_DB":"yes"})
    );
    assert_eq!(
        p.run(&["get", "-e", "production", "-n", "db", "FROM_PROCESS"])
            .ok()
            .stdout(),
        "p\n"
    );
    let r = p
        .run(&["get", "-e", "production", "-n", "cache", "URL"])
        .ok();
    assert_eq!(r.stdout(), "redis://common-host\n");
    let r = p
        .run(&["list", "-e", "production", "-n", "nope"])
        .expect_code(2);
    assert!(
        r.stderr().contains("unknown namespace `nope`"),
        "{}",
        r.stderr()
    );
}

#[test]
fn merged_view_warns_about_a_key_in_two_namespaces() {
    let p = Project::with(&[
        ("env/production/cache.env", "URL=redis://x\n"),
        ("env/production/db.env", "URL=postgres://y\n"),
    ]);
    let r = p.run(&["get", "-e", "production", "URL"]).ok();
    assert_eq!(r.stdout(), "redis://x\n");
    assert!(
        r.stderr()
            .contains("defined in namespaces `cache` and `db`"),
        "{}",
        r.stderr()
    );
}

#[test]
fn cross_namespace_references() {
    let p = Project::with(&[
        ("env/production/db.env", "URL=postgres://db\n"),
        (
            "env/production/common.env",
            "DSN=${db:URL}?x=1\nBAD=${nope:URL}\n",
        ),
    ]);
    let r = p
        .run(&[
            "get",
            "-e",
            "production",
            "-n",
            "common",
            "BAD",
            "--allow-undefined",
        ])
        .expect_code(2);
    assert!(r.stderr().contains("namespace `nope`"), "{}", r.stderr());
    // `list` judges every key.
    p.run(&["list", "-e", "production", "--allow-undefined"])
        .expect_code(2);
    p.write("env/production/common.env", "DSN=${db:URL}?x=1\n");
    let r = p
        .run(&["get", "-e", "production", "-n", "common", "DSN"])
        .ok();
    assert_eq!(r.stdout(), "postgres://db?x=1\n");
}

#[test]
fn precedence_is_configurable() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[resolve]\nprecedence = [\"local\", \"environment\", \"shared\", \"process\"]\n",
        ),
        (".env", "A=file\nB=${B:-none}\n"),
    ])
    .env("A", "process")
    .env("B", "from-process");
    let r = p.run(&["export", "--format", "json"]).ok();
    let v: serde_json::Value = r.json();
    assert_eq!(v, serde_json::json!({"A":"file","B":"from-process"}));
}

#[test]
fn schema_defaults_are_the_lowest_layer() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[vars.PORT]\ndefault = \"8000\"\n[vars.HOST]\ndefault = \"x\"\n",
        ),
        (".env", "HOST=y\n"),
    ]);
    let r = p.run(&["export", "--format", "json"]).ok();
    let v: serde_json::Value = r.json();
    assert_eq!(v, serde_json::json!({"HOST":"y","PORT":"8000"}));
}

#[test]
fn file_suffix_reads_the_value_from_a_file() {
    let p = Project::with(&[
        (
            ".env",
            "DB_PASSWORD_FILE=secrets/db\nURL=postgres://u:${DB_PASSWORD}@h\n",
        ),
        ("secrets/db", "s3cret\n"),
    ]);
    let r = p.run(&["export", "--format", "json"]).ok();
    let v: serde_json::Value = r.json();
    assert_eq!(
        v,
        serde_json::json!({"DB_PASSWORD":"s3cret","URL":"postgres://u:s3cret@h"})
    );
    let r = p.run(&["explain", "DB_PASSWORD"]).ok();
    assert!(
        r.stdout()
            .contains("secrets/db (via DB_PASSWORD_FILE at .env:1:1)"),
        "{}",
        r.stdout()
    );
    // The URL carries the secret, so it is sensitive too.
    let r = p.run(&["list"]).ok();
    assert!(!r.stdout().contains("s3cret"), "{}", r.stdout());
}

#[test]
fn file_suffix_from_the_process_environment() {
    let p = Project::with(&[(".env", "TOKEN=dev\n")]);
    p.write("tok", "from-file\r\n");
    let path = p.join("tok");
    let p = p.env("TOKEN_FILE", path.to_str().unwrap());
    assert_eq!(p.run(&["get", "TOKEN"]).ok().stdout(), "from-file\n");
}

#[test]
fn unreadable_file_reference_exits_2_naming_key_and_path() {
    let p = Project::with(&[(".env", "API_KEY_FILE=/nonexistent/api_key\n")]);
    let r = p.run(&["run", "--", "true"]).expect_code(2);
    assert!(
        r.stderr().contains("/nonexistent/api_key"),
        "{}",
        r.stderr()
    );
    assert!(r.stderr().contains("`API_KEY`"), "{}", r.stderr());
}

#[test]
fn key_and_key_file_in_one_file_is_an_error() {
    let p = Project::with(&[(".env", "A=1\nA_FILE=/x\n")]);
    let r = p.run(&["list"]).expect_code(2);
    assert!(
        r.stderr().contains("both `A` and `A_FILE`"),
        "{}",
        r.stderr()
    );
    assert!(r.stderr().contains(".env:2:1"), "{}", r.stderr());
}

#[test]
fn a_higher_layer_file_reference_overrides_a_lower_value() {
    let p = Project::with(&[
        (".env", "A=dev\n"),
        (".env.production", "A_FILE=a.txt\n"),
        ("a.txt", "prod"),
    ]);
    assert_eq!(
        p.run(&["get", "-e", "production", "A"]).ok().stdout(),
        "prod\n"
    );
}

#[test]
fn secrets_directory_provides_keys_by_name() {
    let p = Project::with(&[
        (".env", "DB_PASSWORD=dev\nOTHER=1\n"),
        ("run-secrets/db_password", "from-secrets\n"),
    ]);
    let dir = p.join("run-secrets");
    let r = p
        .run(&["get", "DB_PASSWORD", "--secrets-dir", dir.to_str().unwrap()])
        .ok();
    assert_eq!(r.stdout(), "from-secrets\n");
    p.write(
        "envward.toml",
        format!("[resolve]\nsecrets_dir = {:?}\n", dir.to_str().unwrap()),
    );
    let r = p.run(&["explain", "DB_PASSWORD"]).ok();
    assert!(r.stdout().contains("(secrets directory)"), "{}", r.stdout());
}
