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

#[test]
fn options_are_listed_only_where_they_mean_something() {
    let p = Project::new();
    for sub in ["keygen", "man", "completions", "rules"] {
        let help = p.run(&[sub, "--help"]).ok().stdout();
        for option in [
            "--env",
            "--namespace",
            "--identity",
            "--secrets-dir",
            "--project",
        ] {
            assert!(
                !help.contains(option),
                "{sub} --help lists {option}:\n{help}"
            );
        }
        assert!(help.contains("--color"), "{sub}:\n{help}");
    }
    for sub in ["init", "example", "docs"] {
        let help = p.run(&[sub, "--help"]).ok().stdout();
        assert!(!help.contains("-e, --env <ENV>"), "{sub}:\n{help}");
        assert!(help.contains("--project"), "{sub}:\n{help}");
    }
    for sub in ["list", "check", "run"] {
        let help = p.run(&[sub, "--help"]).ok().stdout();
        assert!(help.contains("-e, --env <ENV>"), "{sub}:\n{help}");
    }
    // Still accepted where hidden (they are global), as before.
    p.run(&["rules", "-e", "production"]).ok();
    // Each generated file names its own default.
    let example = p.run(&["example", "--help"]).ok().stdout();
    let docs = p.run(&["docs", "--help"]).ok().stdout();
    assert!(
        example.contains("[default: .env.example in the project]"),
        "{example}"
    );
    assert!(!example.contains("configuration.md"), "{example}");
    assert!(
        docs.contains("[default: docs/configuration.md in the project]"),
        "{docs}"
    );
    assert!(!docs.contains(".env.example"), "{docs}");
}

#[test]
fn help_topics_are_built_in_and_typos_get_one_suggestion() {
    let p = Project::new();
    let config = p.run(&["help", "config"]).ok().stdout();
    assert!(config.starts_with("# `envward.toml`"), "{config}");
    assert!(config.contains("[environments.production]"), "{config}");
    let topics = p.run(&["help", "topics"]).ok().stdout();
    for t in ["config", "schema", "rules", "encryption"] {
        assert!(topics.contains(&format!("  {t} ")), "{topics}");
    }
    // `help COMMAND` is the command's help.
    let check = p.run(&["help", "check"]).ok().stdout();
    assert_eq!(check, p.run(&["check", "--help"]).ok().stdout());
    let add = p.run(&["help", "recipients", "add"]).ok().stdout();
    assert!(add.contains("Usage: envward recipients add"), "{add}");
    // One suggestion, the closest.
    let r = p.run(&["chek"]).expect_code(2);
    assert!(
        r.stderr().contains("did you mean `check`?"),
        "{}",
        r.stderr()
    );
    assert!(!r.stderr().contains("schema"), "{}", r.stderr());
    let r = p.run(&["help", "confg"]).expect_code(2);
    assert!(
        r.stderr().contains("did you mean `config`?"),
        "{}",
        r.stderr()
    );
    // A malformed envward.toml points at the built-in reference, with the
    // path as the project's other files are named.
    let q = Project::with(&[("envward.toml", "[layout]\nkind = [1]\n")]);
    let r = q.run(&["list"]).expect_code(2);
    assert!(
        r.stderr().contains("`envward help config`"),
        "{}",
        r.stderr()
    );
    assert!(
        !r.stderr().contains("docs/configuration-file.md"),
        "{}",
        r.stderr()
    );
    assert!(
        r.stderr().contains(" --> envward.toml:2:"),
        "{}",
        r.stderr()
    );
}

#[test]
fn man_pages_have_examples_not_extra() {
    let p = Project::new();
    let page = p.run(&["man"]).ok().stdout();
    assert!(!page.contains("EXTRA"), "{page}");
    assert!(page.contains(".SH EXAMPLES"), "{page}");
    assert!(page.contains(".SH EXIT STATUS"), "{page}");
    p.run(&["man", "--dir", "man"]).ok();
    for entry in std::fs::read_dir(p.join("man")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(".SH EXTRA"), "{text}");
    }
    let get = std::fs::read_to_string(p.join("man/envward-get.1")).unwrap();
    assert!(
        get.contains(".SH EXAMPLES\n.nf\n  envward get DATABASE_URL -e production"),
        "{get}"
    );
}

#[test]
fn bash_completes_no_file_names_for_an_environment() {
    let script = Project::new().run(&["completions", "bash"]).ok().stdout();
    // The case arm of each option, up to its `;;`.
    let arm = |option: &str| -> Vec<String> {
        script
            .split(&format!("                {option})\n"))
            .skip(1)
            .map(|rest| rest.split(";;").next().unwrap().to_string())
            .collect()
    };
    for option in ["-e", "--env", "-n", "--namespace"] {
        let arms = arm(option);
        assert!(!arms.is_empty(), "{option}");
        for a in arms {
            assert!(!a.contains("compgen -f"), "{option}: {a}");
        }
    }
    assert!(arm("--identity").iter().all(|a| a.contains("compgen -f")));
}
