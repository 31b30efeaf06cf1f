//! Security invariant 7: an error excerpt shows structure, never value
//! text. A sentinel is planted where a value (or something that may be
//! one) sits on a line that fails, and every error path of the parser,
//! the project-file loader and the resolver is run with it.

use crate::harness::{Project, Run};

const SENTINEL: &str = "SENTINEL";

#[track_caller]
fn assert_masked(what: &str, r: &Run) {
    for (stream, text) in [("stdout", r.stdout()), ("stderr", r.stderr())] {
        assert!(
            !text.to_ascii_uppercase().contains(SENTINEL),
            "{what}: {stream} shows value text:\n{text}"
        );
    }
    assert!(!r.stderr().contains("panicked"), "{}", r.stderr());
}

/// `list` and `check` on a project with `.env` holding `bytes`: both exit
/// 2 and neither shows the value. Returns the stderr of `check`.
#[track_caller]
fn fails_masked(what: &str, bytes: &[u8]) -> String {
    let p = Project::new();
    p.write(".env", bytes);
    let r = p.run(&["--color", "never", "list"]).expect_code(2);
    assert_masked(what, &r);
    let r = p.run(&["--color", "never", "check"]).expect_code(2);
    assert_masked(what, &r);
    r.stderr()
}

#[test]
fn parse_errors_never_show_a_value() {
    let one_line = format!("A=1\nKEY{}\n", "-sentinel".repeat(100_000));
    let cases: &[(&str, &[u8])] = &[
        (
            "invalid UTF-8 in a secret",
            b"A=1\nSECRET_KEY5=ErZ25-sentinel-\xe9x\n",
        ),
        ("NUL in a secret", b"SECRET_KEY=sentinel-\0-x\n"),
        (
            "URL password, trailing text",
            b"CACHE='redis://:sentinel@cache:6379' x\n",
        ),
        (
            "URL password, unterminated quote",
            b"CACHE=\"redis://:sentinel@cache:6379\nB=1\n",
        ),
        ("space in the key", b"DB PASS=sentinel-pw\n"),
        ("two words before the key", b"MY DB_PASSWORD=sentinel-pw\n"),
        ("YAML style", b"STRIPE: sk_live_sentinel\n"),
        ("a bare secret on a line", b"A=1\nsentinel-hunter2\n"),
        (
            "reference error in a secret",
            b"API_TOKEN=\"line1\nsentinel-two ${oops\n\"\n",
        ),
        ("malformed reference", b"URL=http://sentinel:pw@${}\n"),
        ("a whole env file on one line", one_line.as_bytes()),
    ];
    for (what, bytes) in cases {
        fails_masked(what, bytes);
    }
}

#[test]
fn the_structure_stays_visible() {
    let e = fails_masked("unterminated quote", b"SECRET=\"sentinel-value\nB=1\n");
    assert!(e.contains(".env:1:8"), "{e}");
    assert!(e.contains("SECRET=\"**************"), "{e}");
    assert!(e.contains("       ^ this quote is never closed"), "{e}");
    let e = fails_masked("space in a key", b"ALLOWED HOSTS=sentinel.example\n");
    assert!(e.contains("expected `=` after `ALLOWED`"), "{e}");
    assert!(e.contains("ALLOWED HOSTS=****************"), "{e}");
    assert!(e.contains("write `ALLOWED_HOSTS=value`"), "{e}");
    let e = fails_masked("YAML style", b"STRIPE: sentinel\n");
    assert!(e.contains("invalid character in key `STRIPE`"), "{e}");
    assert!(e.contains("STRIPE: ********"), "{e}");
}

#[test]
fn project_file_errors_never_show_a_value() {
    for toml in [
        "[vars.API_KEY]\ndefault = \"sentinel-default\" x\n",
        "[vars.API_KEY]\nsensitive = true\ndefault = 'sentinel-default\n",
        "[vars.PORT]\nmin = \"sentinel-min\"\n",
        "[vars.API_KEY]\ndefault = 12345\n# sentinel-comment = 1\n[[x\n",
        "[layout]\nkind = \"sentinel\" # \"flat\"\ncolour = \"sentinel\"\n",
    ] {
        let p = Project::with(&[("envward.toml", toml), (".env", "A=1\n")]);
        let r = p.run(&["--color", "never", "check"]).expect_code(2);
        assert_masked(toml, &r);
        assert!(r.stderr().contains("envward.toml:"), "{}", r.stderr());
    }
}

#[test]
fn resolution_errors_and_warnings_never_show_a_value() {
    let p = Project::with(&[(
        ".env",
        "URL=postgres://u:sentinel-pw@${HOST}/db\nNOTE=sentinel-1\nNOTE=sentinel-2\n",
    )]);
    let r = p.run(&["--color", "never", "check"]).expect_code(2);
    assert_masked("undefined reference", &r);
    assert!(r.stderr().contains(".env:1:30"), "{}", r.stderr());
    p.write(".env", "A=1\nNOTE=sentinel-1\nNOTE=sentinel-2\n");
    let r = p.run(&["--color", "never", "get", "A"]).ok();
    assert_masked("duplicate key", &r);
    assert!(r.stderr().contains("NOTE=**********"), "{}", r.stderr());
}

/// An env file that is a link to an age identity or to the process
/// environment: `check` names the problem and shows neither.
#[cfg(unix)]
#[test]
fn an_env_file_linked_to_a_secret_shows_nothing_of_it() {
    let p = Project::new();
    p.write(
        "key.txt",
        "# created: 2024-01-01T00:00:00Z\n# public key: age1sentinel\nAGE-SECRET-KEY-1SENTINELQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGP\n",
    );
    std::os::unix::fs::symlink(p.join("key.txt"), p.join(".env")).unwrap();
    let r = p.run(&["--color", "never", "check"]).expect_code(2);
    assert_masked("age identity", &r);
    assert!(r.stderr().contains(".env:3:"), "{}", r.stderr());

    if std::path::Path::new("/proc/self/environ").exists() {
        let p = Project::new().env("CI_JOB_TOKEN", "sentinel-ci-token");
        p.write("envward.toml", "");
        std::os::unix::fs::symlink("/proc/self/environ", p.join(".env")).unwrap();
        let r = p.run(&["--color", "never", "check"]).expect_code(2);
        assert_masked("process environment", &r);
        assert!(r.stderr().len() < 4096, "{}", r.stderr());
    }
}
