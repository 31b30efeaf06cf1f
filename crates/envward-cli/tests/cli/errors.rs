//! Bad input: every error names file:line:column, quotes the line with a
//! caret, suggests a fix, and exits 2. Never a panic.

use crate::harness::Project;

fn error_of(files: &[(&str, &str)]) -> String {
    let p = Project::with(files);
    let r = p.run(&["--color", "never", "list"]).expect_code(2);
    assert!(!r.stderr().contains("panicked"), "{}", r.stderr());
    r.stderr()
}

#[test]
fn parse_errors_are_located_with_a_caret() {
    insta::assert_snapshot!("missing_equals", error_of(&[(".env", "A=1\nexport FOO\n")]));
    insta::assert_snapshot!(
        "unterminated_quote",
        error_of(&[(".env", "A=1\nMSG=\"hello\nB=2\n")])
    );
    insta::assert_snapshot!(
        "trailing_after_quote",
        error_of(&[(".env", "GREETING='hi' there\n")])
    );
    insta::assert_snapshot!("invalid_key", error_of(&[(".env", "  DB-HOST@1=x\n")]));
    insta::assert_snapshot!(
        "unterminated_reference",
        error_of(&[(".env", "URL=http://${HOST\n")])
    );
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    let p = Project::new();
    p.write(".env", b"A=1\nB=caf\xe9\n");
    let r = p.run(&["list"]).expect_code(2);
    assert!(r.stderr().contains(".env:2:6"), "{}", r.stderr());
    assert!(
        r.stderr().contains("invalid UTF-8 at byte offset 9"),
        "{}",
        r.stderr()
    );
    p.write(".env", b"A=1\0\n");
    let r = p.run(&["list"]).expect_code(2);
    assert!(
        r.stderr().contains(".env:1:4") && r.stderr().contains("NUL byte"),
        "{}",
        r.stderr()
    );
}

#[test]
fn resolution_errors() {
    let e = error_of(&[(".env", "A=${B}\nB=${C}\nC=$A\n")]);
    assert!(e.contains("cycle: A → B → C → A"), "{e}");
    let e = error_of(&[(".env", "URL=http://${HOST}/\n")]);
    assert!(
        e.contains(".env:1:12") && e.contains("`URL` refers to `HOST`, which is not defined"),
        "{e}"
    );
    assert!(
        e.contains("did you mean") || e.contains("--allow-undefined"),
        "{e}"
    );
    let e = error_of(&[(".env", "URL=${HOST:?set HOST to the public host name}\n")]);
    assert!(e.contains("set HOST to the public host name"), "{e}");
    let e = error_of(&[(".env", "LIBS=$LIBS:/opt/lib\n")]);
    assert!(e.contains("its own lower value"), "{e}");
}

#[test]
fn allow_undefined_makes_references_empty() {
    let p = Project::with(&[(".env", "URL=http://${HOST}/\n")]);
    assert_eq!(
        p.run(&["get", "URL", "--allow-undefined"]).ok().stdout(),
        "http:///\n"
    );
    p.write("envward.toml", "[resolve]\nundefined = \"empty\"\n");
    assert_eq!(p.run(&["get", "URL"]).ok().stdout(), "http:///\n");
}

#[test]
fn deep_and_exponential_interpolation_stop_cleanly() {
    // Conditional references nest through other keys: bounded.
    let mut chain = String::new();
    for i in 0..200 {
        chain.push_str(&format!("K{i}=${{UNSET:-${{K{}}}}}\n", i + 1));
    }
    chain.push_str("K200=end\n");
    let e = error_of(&[(".env", &chain)]);
    assert!(e.contains("deeper than 64 levels"), "{e}");
    let mut bomb =
        String::from("A0=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        bomb.push_str(&format!("A{i}=${{A{p}}}${{A{p}}}\n", p = i - 1));
    }
    let e = error_of(&[(".env", &bomb)]);
    assert!(e.contains("expansion budget"), "{e}");
}

#[test]
fn duplicate_keys_warn_or_fail() {
    let p = Project::with(&[(".env", "A=1\nB=2\nA=3\n")]);
    let r = p.run(&["--color", "never", "get", "A"]).ok();
    assert_eq!(r.stdout(), "3\n");
    insta::assert_snapshot!("duplicate_warning", r.stderr());
    p.write("envward.toml", "[resolve]\nduplicate_keys = \"error\"\n");
    let r = p.run(&["get", "A"]).expect_code(2);
    assert!(
        r.stderr()
            .contains(".env:3:1: `A` is defined twice (first at .env:1:1)"),
        "{}",
        r.stderr()
    );
}

#[test]
fn malformed_project_file() {
    let e = error_of(&[
        (
            "envward.toml",
            "[resolve]\nprecedence = [\"process\", \"nope\"]\n",
        ),
        (".env", "A=1\n"),
    ]);
    assert!(e.contains("envward.toml:2:26"), "{e}");
    assert!(e.contains("unknown value, expected one of"), "{e}");
    let e = error_of(&[("envward.toml", "[layout]\nkind = \"flat\"\ncolour = 1\n")]);
    assert!(e.contains("unknown field `colour`"), "{e}");
    let e = error_of(&[("envward.toml", "[vars.A]\ntyp = \"int\"\n")]);
    assert!(e.contains("did you mean `type`?"), "{e}");
    let e = error_of(&[("envward.toml", "[layout]\nkind = \"flt\"\n")]);
    assert!(e.contains("did you mean `flat`?"), "{e}");
    let e = error_of(&[("envward.toml", "[layout\n")]);
    assert!(e.contains("envward.toml:1:"), "{e}");
}

#[test]
fn hostile_inputs_never_panic() {
    let long_line = format!("A={}\n", "x".repeat(2_000_000));
    let many_dollars = format!("A={}\n", "$".repeat(100_000));
    let nested = format!("A={}x{}\n", "${B:-".repeat(1000), "}".repeat(1000));
    let weird = "\u{feff}\r\r\n=\n'\n\"\\\n${\n";
    for src in [
        long_line.as_str(),
        many_dollars.as_str(),
        nested.as_str(),
        weird,
    ] {
        let p = Project::with(&[(".env", src)]);
        let r = p.run(&["list"]);
        assert!(matches!(r.code(), Some(0) | Some(2)), "{}", r.stderr());
        assert!(!r.stderr().contains("panicked"), "{}", r.stderr());
    }
}
