//! `run`: exec with the configuration, status passed through, nothing
//! started when the configuration is incomplete.

use crate::harness::Project;

#[test]
fn passes_configuration_and_exit_status() {
    let p = Project::with(&[(".env", "GREETING='hello world'\n")]);
    let r = p
        .run(&["run", "--", "sh", "-c", "printf '%s' \"$GREETING\"; exit 7"])
        .expect_code(7);
    assert_eq!(r.stdout(), "hello world");
}

#[test]
fn arguments_after_the_command_are_not_envwards() {
    let p = Project::with(&[(".env", "A=1\n")]);
    let r = p
        .run(&["run", "--", "sh", "-c", "echo \"$@\"", "sh", "-e", "--help"])
        .ok();
    assert_eq!(r.stdout(), "-e --help\n");
}

#[test]
fn not_found_is_127_and_not_executable_is_126() {
    let p = Project::with(&[(".env", "A=1\n"), ("script.sh", "#!/bin/sh\necho hi\n")]);
    let r = p
        .run(&["run", "--", "definitely-not-a-command-xyz"])
        .expect_code(127);
    assert!(r.stderr().contains("command not found"), "{}", r.stderr());
    let r = p.run(&["run", "--", "./script.sh"]).expect_code(126);
    assert!(r.stderr().contains("permission denied"), "{}", r.stderr());
}

#[cfg(unix)]
#[test]
fn signals_reach_the_program_directly() {
    use std::os::unix::process::ExitStatusExt;
    let p = Project::with(&[(".env", "A=1\n")]);
    // envward execs the program: the program's death by SIGTERM is the
    // status of the process we started.
    let r = p.run(&["run", "--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(r.0.status.signal(), Some(15), "{}", r.stderr());
}

#[test]
fn clean_starts_from_an_empty_environment() {
    let p = Project::with(&[(".env", "A=1\n")]).env("LEAK", "x");
    let r = p.run(&["run", "--clean", "--", "env"]).ok();
    assert_eq!(r.stdout(), "A=1\n");
    let r = p.run(&["run", "--", "env"]).ok();
    assert!(r.stdout().contains("LEAK=x\n") && r.stdout().contains("A=1\n"));
}

#[test]
fn incomplete_configuration_starts_nothing() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[vars.SECRET_KEY]\nrequired = [\"production\"]\n",
        ),
        (".env", "A=1\n"),
        (".env.production", "B=2\n"),
    ]);
    let r = p
        .run(&["run", "-e", "production", "--", "touch", "started"])
        .expect_code(2);
    assert!(
        r.stderr().contains("missing required key: SECRET_KEY"),
        "{}",
        r.stderr()
    );
    assert!(!p.join("started").exists());
    // Not required in development.
    p.run(&["run", "--", "touch", "started"]).ok();
    assert!(p.join("started").exists());
    // get and export refuse too.
    p.run(&["get", "-e", "production", "A"]).expect_code(2);
    p.run(&["export", "-e", "production"]).expect_code(2);
}

#[test]
fn unresolvable_configuration_starts_nothing() {
    let p = Project::with(&[(".env", "URL=${HOST:?HOST must be set}\n")]);
    p.run(&["run", "--", "touch", "started"]).expect_code(2);
    assert!(!p.join("started").exists());
}

#[test]
fn values_are_never_run_through_a_shell() {
    let p = Project::with(&[(
        ".env",
        "A=$(touch pwned)\nB=`touch pwned2`\nC=\"$(touch pwned3)\"\n",
    )]);
    let r = p
        .run(&[
            "run",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$A\" \"$B\" \"$C\"",
        ])
        .ok();
    assert_eq!(r.stdout(), "$(touch pwned)|`touch pwned2`|$(touch pwned3)");
    for f in ["pwned", "pwned2", "pwned3"] {
        assert!(!p.join(f).exists());
    }
}
