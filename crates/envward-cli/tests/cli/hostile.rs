//! Security invariant 6: input that would cost without bound (a FIFO or a
//! device where a file is expected, a huge line, many duplicates, long
//! reference chains, nonsense numbers in envward.toml) gets a clear error
//! or a bounded answer, never a hang. No timings here: see
//! bench/hostile-input.sh.

use crate::harness::Project;

/// `KEY_FILE` naming something that is not a regular file, or one too
/// large: `get` and `check` exit 2 naming the key and why.
#[cfg(unix)]
#[test]
fn a_key_file_must_be_a_small_regular_file() {
    let p = Project::with(&[(".env", "A=1\n")]);
    let fifo = p.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = p.join("big");
    std::fs::write(&big, vec![b'x'; (1 << 20) + 1]).unwrap();
    for (target, why) in [
        (fifo.to_str().unwrap(), "is a FIFO, not a regular file"),
        ("/dev/zero", "is a device, not a regular file"),
        (
            p.path().to_str().unwrap(),
            "is a directory, not a regular file",
        ),
        (big.to_str().unwrap(), "more than 1048576 bytes"),
    ] {
        p.write(".env", format!("A_PASSWORD_FILE={target}\n"));
        for args in [&["get", "A_PASSWORD"][..], &["check"]] {
            let r = p.run(args).expect_code(2);
            assert!(
                r.stderr().contains("A_PASSWORD") && r.stderr().contains(why),
                "{args:?} {target}: {}",
                r.stderr()
            );
        }
    }
}

/// An env file of the layout that is not a regular file is an error
/// naming it, not a file silently skipped.
#[cfg(unix)]
#[test]
fn an_env_file_that_is_not_a_file_is_an_error() {
    type Make = fn(&std::path::Path);
    let cases: [(&str, Make); 3] = [
        ("is a FIFO", |path| {
            assert!(
                std::process::Command::new("mkfifo")
                    .arg(path)
                    .status()
                    .unwrap()
                    .success()
            );
        }),
        ("is a directory", |path| std::fs::create_dir(path).unwrap()),
        ("is a link to nothing", |path| {
            std::os::unix::fs::symlink("/nonexistent/envward-test", path).unwrap()
        }),
    ];
    for (why, make) in cases {
        for (layout, file) in [
            ("flat", ".env.production"),
            ("directory", "env/production/common.env"),
        ] {
            let p = Project::new();
            if layout == "directory" {
                std::fs::create_dir_all(p.join("env/production")).unwrap();
            }
            make(&p.join(file));
            let r = p.run(&["check", "-e", "production"]).expect_code(2);
            assert!(
                r.stderr().contains(file) && r.stderr().contains(why),
                "{layout} {why}: {}",
                r.stderr()
            );
        }
    }
    let p = Project::new();
    std::os::unix::fs::symlink("/dev/zero", p.join(".env")).unwrap();
    let r = p.run(&["list"]).expect_code(2);
    assert!(r.stderr().contains("is a device"), "{}", r.stderr());
}

#[test]
fn a_huge_line_without_equals_gives_a_short_error() {
    let key = "K".repeat(10_000_000);
    let p = Project::with(&[(".env", &format!("A=1\n{key}\n"))]);
    let r = p.run(&["--color", "never", "list"]).expect_code(2);
    assert!(
        r.stderr().contains(".env:2:10000001"),
        "{}",
        &r.stderr()[..500.min(r.stderr().len())]
    );
    assert!(
        r.stderr().len() < 2048,
        "{} bytes of error",
        r.stderr().len()
    );
    assert!(r.stdout().is_empty());
}

#[test]
fn many_duplicates_are_summarised() {
    let mut src = String::new();
    for i in 0..5_000 {
        src.push_str(&format!("DUP=x{i}\n"));
    }
    let p = Project::with(&[(".env", &src)]);
    let r = p.run(&["--color", "never", "get", "DUP"]).ok();
    assert_eq!(r.stdout(), "x4999\n");
    assert_eq!(r.stderr().matches("is defined twice").count(), 10);
    assert!(
        r.stderr().contains(".env defines 4989 more keys twice"),
        "{}",
        r.stderr()
    );
    assert!(r.stderr().len() < 8192, "{} bytes", r.stderr().len());
}

#[test]
fn long_reference_chains_resolve() {
    let mut chain = String::from("K0=x\n");
    for i in 1..=10_000 {
        chain.push_str(&format!("K{i}=${{K{}}}x\n", i - 1));
    }
    let p = Project::with(&[(".env", &chain)]);
    let r = p.run(&["get", "K10000"]).ok();
    assert_eq!(r.stdout().trim_end().len(), 10_001);
    // A cycle through the whole chain is still a cycle.
    let looped = chain.replacen("K0=x\n", "K0=${K10000}\n", 1);
    p.write(".env", &looped);
    let r = p.run(&["get", "K1"]).expect_code(2);
    assert!(
        r.stderr().contains("cycle: K"),
        "{}",
        &r.stderr()[..300.min(r.stderr().len())]
    );
}

#[test]
fn nonsense_in_the_project_file_is_refused() {
    for (toml, why) in [
        ("[vars.PORT]\ntype = \"int\"\nmin = nan\n", "finite"),
        ("[vars.PORT]\ntype = \"int\"\nmax = inf\n", "finite"),
        (
            "[environments.production]\naliases = [\"staging\"]\n[environments.staging]\naliases = [\"production\"]\n",
            "is the name of an environment",
        ),
        (
            "[environments.production]\naliases = [\"live\"]\n[environments.staging]\naliases = [\"live\"]\n",
            "is given to both",
        ),
    ] {
        let p = Project::with(&[("envward.toml", toml), (".env", "PORT=1\n")]);
        let r = p.run(&["--color", "never", "check"]).expect_code(2);
        assert!(
            r.stderr().contains("envward.toml:") && r.stderr().contains(why),
            "{toml}: {}",
            r.stderr()
        );
    }
}
