//! Attacks from the security review (issue 11 §4 and §5), each through the
//! binary: files written unsafely, and what a started program receives.

use std::os::unix::fs::PermissionsExt;

use crate::harness::{Project, mode};

const SECRET: &str = "SENTINEL-hardening-secret-4e1f";

/// A project whose development environment holds a secret.
fn project() -> Project {
    Project::with(&[(".env", &format!("APP=web\nAPI_TOKEN={SECRET}\n"))])
}

#[test]
fn export_output_replaces_an_open_file_with_a_private_one() {
    let p = project();
    p.write("out.env", "old\n");
    std::fs::set_permissions(p.join("out.env"), std::fs::Permissions::from_mode(0o644)).unwrap();
    p.run(&["export", "--output", "out.env"]).ok();
    assert_eq!(mode(&p.join("out.env")), 0o600);
    assert!(
        std::fs::read_to_string(p.join("out.env"))
            .unwrap()
            .contains(SECRET)
    );
}

#[test]
fn export_output_never_writes_through_a_link() {
    let p = project();
    p.write("victim.txt", "precious\n");
    std::os::unix::fs::symlink(p.join("victim.txt"), p.join("out.env")).unwrap();
    p.run(&["export", "--output", "out.env"]).ok();
    assert_eq!(
        std::fs::read_to_string(p.join("victim.txt")).unwrap(),
        "precious\n",
        "the link's target is untouched"
    );
    let meta = std::fs::symlink_metadata(p.join("out.env")).unwrap();
    assert!(meta.is_file(), "the link was replaced by a file");
    assert_eq!(mode(&p.join("out.env")), 0o600);
}

#[test]
fn export_data_is_byte_exact_through_a_pipe() {
    let p = Project::with(&[(".env", "A=\"a\\x1bb\"\nB=x\n")]);
    // A value holding ESC and DEL, written by `set` from stdin.
    p.cmd(&["set", "CTRL", "--plain"])
        .write_stdin("a\u{1b}[31mb\u{7f}c")
        .assert()
        .success();
    for format in ["json", "yaml", "dotenv", "shell", "github"] {
        let out = p.run(&["export", "--format", format]).ok().0.stdout;
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains('\u{1b}') || text.contains("\\u001b") || text.contains("\\x1b"),
            "{format}: ESC stripped:\n{text:?}"
        );
        assert!(
            text.contains('\u{7f}') || text.contains("\\u007f") || text.contains("\\x7f"),
            "{format}: DEL stripped:\n{text:?}"
        );
    }
}

#[test]
fn decrypt_output_is_private_and_not_through_a_link() {
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    let p = Project::with(&[("envward.toml", ""), (".env.production", "")])
        .env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let recipient = p.keygen(&identity);
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    p.cmd(&["set", "API_TOKEN", "-e", "production"])
        .write_stdin(SECRET)
        .assert()
        .success();
    p.write("victim.txt", "precious\n");
    std::os::unix::fs::symlink(p.join("victim.txt"), p.join("plain.env")).unwrap();
    p.run(&["decrypt", "-e", "production", "--output", "plain.env"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(p.join("victim.txt")).unwrap(),
        "precious\n"
    );
    assert_eq!(mode(&p.join("plain.env")), 0o600);
    assert!(
        std::fs::read_to_string(p.join("plain.env"))
            .unwrap()
            .contains(SECRET)
    );
}

#[test]
fn a_namespace_is_a_name_not_a_path() {
    let p = Project::with(&[("env/production/common.env", "A=1\n")]);
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    for ns in [victim.to_str().unwrap(), "../../../escape", "a/b", "..", ""] {
        let r = p.run(&["set", "X", "1", "-e", "production", "-n", ns]);
        assert_eq!(r.code(), Some(2), "-n {ns:?}: {}", r.stderr());
        assert!(
            r.stderr().contains("not a valid namespace name"),
            "{}",
            r.stderr()
        );
    }
    assert!(!victim.with_extension("env").exists());
    assert!(!p.path().parent().unwrap().join("escape.env").exists());
}

#[test]
fn temp_files_of_dead_writers_are_removed() {
    let p = Project::with(&[(".env.development", "A=1\n")]);
    // What a writer killed between write and rename leaves behind; pid 0
    // is never a process envward could be.
    let stale = p.join("..env.development.envward-tmp-0-0");
    std::fs::write(&stale, "PLAINTEXT=stale\n").unwrap();
    let live = p.join(&format!(
        "..env.development.envward-tmp-{}-0",
        std::process::id()
    ));
    std::fs::write(&live, "x").unwrap();
    p.run(&["set", "B", "2", "--plain"]).ok();
    assert!(!stale.exists(), "a dead writer's temp file is removed");
    assert!(live.exists(), "a live writer's temp file is kept");
}

#[test]
fn init_git_ignores_temp_files() {
    let p = Project::new();
    p.run(&["init", "--preset", "django"]).ok();
    let ignore = std::fs::read_to_string(p.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == ".*.envward-tmp-*"), "{ignore}");
    // The audit log names users and hosts: per machine, never committed.
    assert!(
        ignore.lines().any(|l| l == ".envward/audit.log"),
        "{ignore}"
    );
}

/// Runs envward under `umask 000`.
fn run_umask0(p: &Project, args: &[&str]) {
    let bin = assert_cmd::cargo::cargo_bin("envward");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(&bin)
        .args(args)
        .current_dir(p.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", p.path())
        .status()
        .unwrap();
    assert!(status.success(), "{args:?}");
}

#[test]
fn modes_are_explicit_under_umask_000() {
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        ("env/common.env", "A=1\n"),
    ]);
    std::fs::create_dir(p.join(".envward")).unwrap();
    run_umask0(&p, &["keygen"]);
    let dir = p.join(".config/envward");
    assert_eq!(mode(&dir), 0o700, "the identity directory");
    assert_eq!(mode(&dir.join("identity.txt")), 0o600);
    run_umask0(
        &p,
        &[
            "set",
            "API_TOKEN",
            "x-token-value",
            "--plain",
            "-e",
            "production",
        ],
    );
    assert_eq!(
        mode(&p.join("env/production")),
        0o755,
        "a new environment directory"
    );
    assert_eq!(mode(&p.join("env/production/common.env")), 0o600);
    assert_eq!(mode(&p.join(".envward/rotations.jsonl")), 0o600);
}

#[test]
fn run_never_passes_envwards_own_secrets() {
    let p = project()
        .env("ENVWARD_IDENTITY", "AGE-SECRET-KEY-1SENTINELIDENTITY")
        .env("ENVWARD_IDENTITY_PASSPHRASE", "SENTINEL-passphrase")
        .env("ENVWARD_FINGERPRINT_KEY", "SENTINEL-fingerprint-key");
    let r = p.run(&["run", "--", "env"]).ok();
    let out = r.stdout();
    assert!(out.contains(&format!("API_TOKEN={SECRET}")));
    for own in [
        "ENVWARD_IDENTITY=",
        "ENVWARD_IDENTITY_PASSPHRASE=",
        "ENVWARD_FINGERPRINT_KEY=",
    ] {
        assert!(!out.contains(own), "{own} reached the program:\n{out}");
    }
}

#[test]
fn run_never_hands_a_file_to_a_shell() {
    let p = project();
    // Executable, but neither a binary nor a `#!` script: execvp would run
    // it with /bin/sh.
    p.write("not-a-program", "touch shell-ran\n");
    std::fs::set_permissions(
        p.join("not-a-program"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let r = p.run(&["run", "--", "./not-a-program"]).expect_code(126);
    assert!(r.stderr().contains("no `#!` line"), "{}", r.stderr());
    assert!(!p.join("shell-ran").exists(), "a shell ran the file");
    // A real script still runs.
    p.write("script", "#!/bin/sh\necho \"token=$API_TOKEN\"\n");
    std::fs::set_permissions(p.join("script"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let r = p.run(&["run", "--", "./script"]).ok();
    assert_eq!(r.stdout(), format!("token={SECRET}\n"));
}

#[test]
fn shell_export_refuses_names_that_change_the_shell() {
    for name in [
        "PS4",
        "BASH_ENV",
        "ENV",
        "IFS",
        "PROMPT_COMMAND",
        "LD_PRELOAD",
    ] {
        let p = Project::with(&[(".env", &format!("{name}=x\nA=1\n"))]);
        let r = p.run(&["export", "--format", "shell"]).expect_code(2);
        assert!(r.stderr().contains(name), "{}", r.stderr());
        assert!(r.stdout().is_empty());
        let r = p
            .run(&["export", "--format", "shell", "--allow-unsafe-names"])
            .ok();
        assert!(r.stdout().contains(&format!("export {name}='x'")));
        // Other formats are data, not shell code.
        p.run(&["export", "--format", "json"]).ok();
    }
}

#[test]
fn k8s_secret_empty_value_is_an_empty_string() {
    let p = Project::with(&[(".env", "EMPTY=\nA=1\n")]);
    let out = p.run(&["export", "--format", "k8s-secret"]).ok().stdout();
    assert!(out.contains("  \"EMPTY\": \"\"\n"), "{out}");
}
