//! Version, help, completions, man pages, closed pipes, colour.

use crate::harness::Project;

const SUBCOMMANDS: &[&str] = &[
    "get",
    "list",
    "explain",
    "export",
    "run",
    "completions",
    "man",
];

#[test]
fn version() {
    let r = Project::new().run(&["--version"]).ok();
    assert_eq!(
        r.stdout(),
        format!("envward {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn every_subcommand_has_help_with_examples() {
    let p = Project::new();
    for sub in SUBCOMMANDS {
        let r = p.run(&[sub, "--help"]).ok();
        assert!(
            r.stdout().contains("Examples:"),
            "{sub} --help has no examples:\n{}",
            r.stdout()
        );
    }
    let r = p.run(&["--help"]).ok();
    for sub in SUBCOMMANDS {
        assert!(r.stdout().contains(sub), "{sub} missing from --help");
    }
}

#[test]
fn usage_errors_exit_2() {
    Project::new().run(&["frobnicate"]).expect_code(2);
    Project::new().run(&["run"]).expect_code(2);
}

#[test]
fn completions_for_each_shell() {
    let p = Project::new();
    for shell in ["bash", "zsh", "fish"] {
        let r = p.run(&["completions", shell]).ok();
        assert!(
            r.stdout().contains("explain") && r.stdout().contains("namespace"),
            "{shell}"
        );
    }
    // The bash script is valid bash.
    let r = p.run(&["completions", "bash"]).ok();
    p.write("c.bash", r.stdout());
    let st = std::process::Command::new("bash")
        .arg("-n")
        .arg(p.join("c.bash"))
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn man_pages() {
    let p = Project::new();
    let r = p.run(&["man"]).ok();
    assert!(
        r.stdout().starts_with(".ie") || r.stdout().contains(".TH envward"),
        "{}",
        &r.stdout()[..200]
    );
    p.run(&["man", "--dir", "man"]).ok();
    for sub in SUBCOMMANDS {
        let page = std::fs::read_to_string(p.join(&format!("man/envward-{sub}.1"))).unwrap();
        assert!(page.contains(".TH"), "{sub}");
    }
}

#[test]
fn a_closed_pipe_is_a_quiet_success() {
    let body: String = (0..50_000)
        .map(|i| format!("KEY_{i}=value-{i}\n"))
        .collect();
    let p = Project::with(&[(".env", &body)]);
    let bin = assert_cmd::cargo::cargo_bin("envward");
    let mut child = std::process::Command::new(&bin)
        .arg("list")
        .current_dir(p.path())
        .env_clear()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let p = Project::with(&[(".env", "A=1\nA=2\n")]);
    let r = p.run(&["list"]).ok();
    assert!(!r.stdout().contains('\x1b') && !r.stderr().contains('\x1b'));
    let r = p.run(&["--color", "always", "list"]).ok();
    assert!(r.stdout().contains('\x1b') && r.stderr().contains('\x1b'));
    let p = p.env("NO_COLOR", "1");
    let r = p.run(&["list"]).ok();
    assert!(!r.stderr().contains('\x1b'));
}
