//! What a first-time user hit in the first hour (issue 13), each through
//! the binary: where `set` writes, links, file modes, `edit` without a
//! terminal and with a typo, silent success in an empty directory, `init`
//! in an existing project.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Project, mode};

#[test]
fn set_changes_the_file_the_value_comes_from() {
    let p = Project::with(&[(".env", "DEBUG=True\nPORT=8000\n")]);
    let r = p.run(&["set", "DEBUG", "False"]).ok();
    assert!(
        r.stderr()
            .contains("set DEBUG in .env (shared by every environment)"),
        "{}",
        r.stderr()
    );
    assert_eq!(
        std::fs::read_to_string(p.join(".env")).unwrap(),
        "DEBUG=False\nPORT=8000\n"
    );
    assert!(!p.join(".env.development").exists());
    // A key defined nowhere goes to the environment's own file.
    p.run(&["set", "NEW_KEY", "1"]).ok();
    assert_eq!(
        std::fs::read_to_string(p.join(".env.development")).unwrap(),
        "NEW_KEY=1\n"
    );
    // --file chooses.
    p.run(&["set", "PORT", "9000", "--file", ".env.development"])
        .ok();
    assert!(
        std::fs::read_to_string(p.join(".env.development"))
            .unwrap()
            .contains("PORT=9000")
    );
    assert_eq!(p.run(&["get", "PORT"]).ok().stdout(), "9000\n");
}

#[test]
fn unset_leaves_no_empty_file_behind() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.staging]\n[environments.production]\n",
        ),
        (".env", "A=1\n"),
    ]);
    p.run(&["set", "B", "2", "-e", "staging"]).ok();
    assert!(p.join(".env.staging").exists());
    p.run(&["unset", "B", "-e", "staging"]).ok();
    assert!(
        !p.join(".env.staging").exists(),
        "the emptied file is removed"
    );
    // A file that keeps a comment stays.
    p.write(".env.production", "# production\nC=3\n");
    p.run(&["unset", "C", "-e", "production"]).ok();
    assert_eq!(
        std::fs::read_to_string(p.join(".env.production")).unwrap(),
        "# production\n"
    );
}

#[test]
fn a_symlinked_env_file_is_written_through() {
    let p = Project::with(&[
        ("envward.toml", "[environments.staging]\n"),
        ("shared/prod.env", "DEBUG=True\n"),
        (".env", ""),
    ]);
    std::fs::set_permissions(
        p.join("shared/prod.env"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    std::os::unix::fs::symlink("shared/prod.env", p.join(".env.production")).unwrap();
    p.run(&["set", "DEBUG", "False", "-e", "production"]).ok();
    assert!(
        std::fs::symlink_metadata(p.join(".env.production"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    assert_eq!(
        std::fs::read_to_string(p.join("shared/prod.env")).unwrap(),
        "DEBUG=False\n"
    );
    assert_eq!(
        mode(&p.join("shared/prod.env")),
        0o640,
        "the target keeps its mode"
    );
    // A link to nothing is refused, and nothing is created.
    std::os::unix::fs::symlink("shared/missing.env", p.join(".env.staging")).unwrap();
    let r = p.run(&["set", "A", "1", "-e", "staging"]).expect_code(2);
    assert!(r.stderr().contains("link to nothing"), "{}", r.stderr());
    assert!(!p.join("shared/missing.env").exists());
}

#[test]
fn envward_state_is_private() {
    let p = Project::with(&[("envward.toml", ""), (".env", "A=1\n")]);
    std::fs::create_dir(p.join(".envward")).unwrap();
    p.run(&["set", "API_TOKEN", "token-value-123", "--plain"])
        .ok();
    assert_eq!(mode(&p.join(".envward/rotations.jsonl")), 0o600);
    p.run(&["check"]).ok();
    assert_eq!(mode(&p.join(".envward/last-check.json")), 0o600);
}

/// An encrypted production and the identity that opens it.
fn encrypted() -> (Project, tempfile::TempDir) {
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    let p = Project::with(&[("envward.toml", "[environments.production]\n")])
        .env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let recipient = p.keygen(&identity);
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    p.cmd(&["set", "API_TOKEN", "-e", "production"])
        .write_stdin("SENTINEL-newcomer-token")
        .assert()
        .success();
    p.run(&["set", "DEBUG", "False", "-e", "production"]).ok();
    (p, keys)
}

#[test]
fn edit_starts_no_editor_without_a_terminal() {
    let (p, _keys) = encrypted();
    let before = std::fs::read_to_string(p.join(".env.production")).unwrap();
    // No VISUAL/EDITOR and no terminal: `vi` would print the plaintext to
    // the log.
    let r = p.run(&["edit", "-e", "production"]).expect_code(2);
    assert!(r.stderr().contains("no terminal"), "{}", r.stderr());
    assert!(!r.stdout().contains("SENTINEL") && !r.stderr().contains("SENTINEL"));
    assert_eq!(
        std::fs::read_to_string(p.join(".env.production")).unwrap(),
        before
    );
}

#[test]
fn edit_parse_errors_name_the_real_files_line() {
    let (p, _keys) = encrypted();
    let tools = tempfile::tempdir().unwrap();
    let ed = tools.path().join("ed.sh");
    std::fs::write(
        &ed,
        "#!/bin/sh\nprintf 'BROKEN=\"unterminated\\n' >> \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&ed, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = std::fs::read_to_string(p.join(".env.production")).unwrap();
    let line = file.lines().count() + 1;
    let r = p
        .run_env(
            &["edit", "-e", "production"],
            &[("EDITOR", ed.to_str().unwrap())],
            &[],
        )
        .expect_code(2);
    let err = r.stderr();
    assert!(
        err.contains(&format!(".env.production:{line}:")),
        "line {line}:\n{err}"
    );
    assert!(err.contains("was not changed"), "{err}");
    assert!(!err.contains("SENTINEL"), "{err}");
    assert_eq!(
        std::fs::read_to_string(p.join(".env.production")).unwrap(),
        file
    );
}

#[test]
fn an_empty_directory_is_no_configuration() {
    let p = Project::new();
    for args in [
        vec!["check"],
        vec!["list"],
        vec!["export"],
        vec!["run", "--", "true"],
    ] {
        let r = p.run(&args).expect_code(2);
        assert!(
            r.stderr().contains("no configuration found"),
            "{args:?}: {}",
            r.stderr()
        );
        assert!(!r.stdout().contains("no problems"));
    }
    // init still works there.
    p.run(&["init"]).ok();
    p.run(&["list"]).ok();
}

#[test]
fn init_adopts_the_layout_it_finds_and_does_not_nest() {
    let p = Project::with(&[(".env", "A=1\n"), (".env.production", "A=2\n")]);
    p.run(&["init"]).ok();
    let toml = std::fs::read_to_string(p.join("envward.toml")).unwrap();
    assert!(toml.contains("kind = \"flat\""), "{toml}");
    assert!(!p.join("env").exists(), "no second layout");
    assert_eq!(
        std::fs::read_to_string(p.join(".env.production")).unwrap(),
        "A=2\n"
    );
    assert!(p.join(".env.development").exists());

    let q = Project::with(&[(".env.production", "A=2\n")]);
    let r = q.run(&["init", "--layout", "dir"]).expect_code(2);
    assert!(r.stderr().contains("flat"), "{}", r.stderr());

    // From a subdirectory of a project: refused without --force.
    std::fs::create_dir(p.join("app")).unwrap();
    let r = p.run(&["init", "-C", "app"]).expect_code(2);
    assert!(r.stderr().contains("nested"), "{}", r.stderr());
    assert!(!p.join("app/envward.toml").exists());
}

#[test]
fn the_binary_words_the_librarys_next_steps() {
    let p = Project::with(&[(".env", "A=1\n")]);
    let r = p
        .run(&["set", "SECRET_KEY", "s3cret-value-for-the-test"])
        .expect_code(2);
    let err = r.stderr();
    // The library's help names no command; the hint becomes the command.
    assert!(
        err.contains("[environments.development] in envward.toml"),
        "{err}"
    );
    assert!(
        err.contains("envward recipients add -e development age1"),
        "{err}"
    );
    assert!(!err.contains("s3cret-value-for-the-test"), "{err}");
}

#[test]
fn an_invalid_schema_does_not_leave_an_environment_passing() {
    let p = Project::with(&[
        ("envward.toml", "[vars.PORT]\ntype = \"boolean\"\n"),
        (".env", "PORT=8000\n"),
    ]);
    let out = p
        .run(&["--color", "never", "check"])
        .expect_code(1)
        .stdout();
    assert!(!out.contains("no problems"), "{out}");
    assert!(!out.contains("✔ development"), "{out}");
    assert!(
        out.contains("○ development (not strict: development rules): no findings of its own, but checked against an invalid envward.toml (1 error above): fix it first"),
        "{out}"
    );
    let html = p
        .run(&["check", "--format", "html", "--fail-on", "never"])
        .ok()
        .stdout();
    assert!(!html.contains("✔ no problems"), "{html}");
    assert!(html.contains("○ no findings of its own"), "{html}");
    // A valid schema: the environment passes as before.
    p.write("envward.toml", "[vars.PORT]\ntype = \"port\"\n");
    let out = p.run(&["--color", "never", "check"]).ok().stdout();
    assert!(out.contains("✔ development"), "{out}");
}

#[test]
fn counts_agree_with_their_nouns() {
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        (".env", "A=1\n"),
    ]);
    let status = p.run(&["status"]).ok().stdout();
    assert!(
        status.contains("development    1 key (0 sensitive), 1 file (0 encrypted)"),
        "{status}"
    );
    let identity = p.join("id.txt");
    let recipient = p.keygen(&identity);
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    p.write(
        ".env.production",
        "SECRET_KEY=abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789xyzw\n",
    );
    p.run(&["encrypt", "-e", "production"]).ok();
    let r = p
        .run(&[
            "recipients",
            "list",
            "-e",
            "production",
            "-i",
            identity.to_str().unwrap(),
        ])
        .ok();
    assert!(
        r.stderr()
            .contains(".env.production: 1 recipient, up to date"),
        "{}",
        r.stderr()
    );
    // No "(s)" and no "1 files" anywhere a newcomer reads.
    for args in [
        vec![
            "check",
            "--all-envs",
            "--format",
            "markdown",
            "--fail-on",
            "never",
        ],
        vec!["check", "--all-envs", "--fail-on", "never"],
        vec!["status"],
    ] {
        let out = p.run(&args).ok().stdout();
        assert!(!out.contains("(s)"), "{args:?}: {out}");
        for noun in [
            "files",
            "keys",
            "errors",
            "warnings",
            "environments",
            "checks",
        ] {
            assert!(!out.contains(&format!(" 1 {noun}")), "{args:?}: {out}");
        }
    }
}

#[test]
fn status_does_not_ask_for_a_directory_that_exists() {
    let p = Project::with(&[(".env", "A=1\n")]);
    let out = p.run(&["status"]).ok().stdout();
    assert!(out.contains("create .envward/"), "{out}");
    std::fs::create_dir(p.join(".envward")).unwrap();
    let out = p.run(&["status"]).ok().stdout();
    assert!(!out.contains("create .envward/"), "{out}");
    assert!(out.contains("`envward check` records one"), "{out}");
    p.run(&["check"]).ok();
    let out = p.run(&["status"]).ok().stdout();
    assert!(
        out.contains("— 0 errors, 0 warnings (development)"),
        "{out}"
    );
}

#[test]
fn envward_toml_takes_typed_values_checked_against_the_type() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\n[vars.PORT]\ntype = \"port\"\ndefault = 8000\n\n[vars.DEBUG]\ntype = \"bool\"\ndefault = false\n[vars.DEBUG.env.production]\nequals = false\n\n[vars.HOSTS]\ntype = \"list\"\ndefault = [\"a.example\", \"b.example\"]\n\n[vars.RATIO]\ntype = \"float\"\ndefault = 0.5\nchoices = [0.5, 1]\nexample = 1\n",
        ),
        (".env", ""),
    ]);
    let v = p.check_json("development");
    assert_eq!(v["summary"]["errors"], 0, "{v:#}");
    assert_eq!(p.run(&["get", "PORT"]).ok().stdout(), "8000\n");
    assert_eq!(p.run(&["get", "DEBUG"]).ok().stdout(), "false\n");
    assert_eq!(
        p.run(&["get", "HOSTS"]).ok().stdout(),
        "a.example,b.example\n"
    );
    assert_eq!(p.run(&["get", "RATIO"]).ok().stdout(), "0.5\n");

    // A value that is not of the type: an error at the value, line:col.
    p.write(
        "envward.toml",
        "[vars.PORT]\ntype = \"port\"\ndefault = \"abc\"\n",
    );
    let r = p.run(&["--color", "never", "check"]).expect_code(1);
    assert!(
        r.stdout()
            .contains("the default of `PORT` is not a valid port  envward.toml:3:11"),
        "{}",
        r.stdout()
    );
    // A sensitive default is never quoted.
    p.write(
        "envward.toml",
        "[vars.SECRET_KEY]\ntype = \"int\"\nsensitive = true\ndefault = \"SENTINEL-default\"\n",
    );
    let r = p.run(&["check"]).expect_code(1);
    assert!(r.stdout().contains("envward.toml:4:11"), "{}", r.stdout());
    assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
    // What TOML value cannot be: an error at the value, never quoting it.
    p.write(
        "envward.toml",
        "[vars.PORT]\ntype = \"port\"\ndefault = [[\"SENTINEL\"]]\n",
    );
    let r = p.run(&["check"]).expect_code(2);
    assert!(r.stderr().contains("envward.toml:3:12"), "{}", r.stderr());
    assert!(
        r.stderr().contains("expected a string, number or boolean"),
        "{}",
        r.stderr()
    );
    assert!(!r.stderr().contains("SENTINEL"), "{}", r.stderr());
}

#[test]
fn an_unknown_type_is_reported_at_its_line_with_a_suggestion() {
    let p = Project::with(&[
        ("envward.toml", "[vars.DEBUG]\ntype = \"boolean\"\n"),
        (".env", "DEBUG=1\n"),
    ]);
    let v = p.check_json("development");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "schema.invalid", "{v:#}");
    assert_eq!(f["origin"]["line"], 2, "{v:#}");
    assert_eq!(f["origin"]["column"], 8, "{v:#}");
    assert!(
        f["help"]
            .as_str()
            .unwrap()
            .starts_with("did you mean `bool`?"),
        "{v:#}"
    );
}

#[test]
fn list_aligns_origins_and_shows_an_empty_secret_as_empty() {
    let p = Project::with(&[(
        ".env",
        "SECRET_KEY=\nA=1\nAPI_TOKEN=SENTINEL-abcdefghijklmnop\nB=a longer value here\n",
    )]);
    let out = p.run(&["--color", "never", "list"]).ok().stdout();
    assert!(!out.contains("SENTINEL"), "{out}");
    let column: Vec<usize> = out.lines().map(|l| l.find(".env:").unwrap()).collect();
    assert!(column.windows(2).all(|w| w[0] == w[1]), "{out}");
    let secret = out.lines().find(|l| l.starts_with("SECRET_KEY")).unwrap();
    assert!(secret.contains("\"\""), "{out}");
    assert!(!secret.contains("redacted"), "{out}");
    let token = out.lines().find(|l| l.starts_with("API_TOKEN")).unwrap();
    assert!(token.contains("[redacted]"), "{out}");
    let explain = p
        .run(&["--color", "never", "explain", "SECRET_KEY"])
        .ok()
        .stdout();
    assert!(explain.contains("  value      \"\"\n"), "{explain}");
}
