//! `redact` and `run --redact`: known values (and their encoded forms)
//! replaced in streams, across read boundaries, other bytes untouched; the
//! program's status and signals passed through.

use std::io::Write;
use std::process::Stdio;

use base64::Engine;

use crate::harness::Project;

/// A secret with characters every encoding changes.
pub const TOKEN: &str = "tok_S3ntinel+/=?&value 42";

/// A project whose production holds `TOKEN` and a too-short secret.
pub fn project() -> Project {
    Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        (".env", "APP_NAME=demo\n"),
        (
            ".env.production",
            &format!("API_TOKEN='{TOKEN}'\nSHORT_SECRET=abc12\nPORT=8080\n"),
        ),
    ])
}

/// Every form of `TOKEN` a log could hold.
pub fn encoded_forms() -> Vec<(&'static str, String)> {
    let std = base64::engine::general_purpose::STANDARD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let hex: String = TOKEN.bytes().map(|b| format!("{b:02x}")).collect();
    let pct: String = TOKEN
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    vec![
        ("plain", TOKEN.to_string()),
        ("base64", std.encode(TOKEN)),
        ("base64, offset 1", std.encode(format!("x{TOKEN}"))),
        ("base64, offset 2", std.encode(format!("xy{TOKEN}"))),
        ("base64url", url.encode(format!("{TOKEN}!"))),
        ("url-encoded", pct),
        ("hex", hex.clone()),
        ("HEX", hex.to_uppercase()),
    ]
}

fn redact(p: &Project, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut all = vec!["redact"];
    all.extend(args);
    p.cmd(&all).write_stdin(input.to_vec()).output().unwrap()
}

#[test]
fn each_encoding_is_redacted() {
    let p = project();
    for (what, form) in encoded_forms() {
        let out = redact(
            &p,
            &["-e", "production"],
            format!("a {form} b\n").as_bytes(),
        );
        assert_eq!(out.status.code(), Some(0), "{what}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains(&form), "{what}: {text}");
        assert!(text.contains("[REDACTED:API_TOKEN]"), "{what}: {text}");
        assert!(
            text.starts_with("a ") && text.ends_with(" b\n"),
            "{what}: {text}"
        );
    }
}

#[test]
fn other_bytes_pass_untouched_including_invalid_utf8() {
    let p = project();
    let mut input = b"\xff\xfe\x00 binary \x1b[31m red \xc3\x28\n".to_vec();
    input.extend_from_slice(TOKEN.as_bytes());
    input.extend_from_slice(b"\xff\n8080 demo abc12");
    let out = redact(&p, &["-e", "production"], &input);
    assert_eq!(out.status.code(), Some(0));
    let mut expected = b"\xff\xfe\x00 binary \x1b[31m red \xc3\x28\n".to_vec();
    expected.extend_from_slice(b"[REDACTED:API_TOKEN]\xff\n8080 demo abc12");
    assert_eq!(out.stdout, expected);
    // The short secret is named (not shown) as not looked for.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SHORT_SECRET"), "{err}");
    assert!(!err.contains("abc12"), "{err}");
}

#[test]
fn values_split_across_slow_writes_are_redacted() {
    let p = project();
    let mut child = p
        .std_cmd(&["redact", "-e", "production"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let text = format!("start {TOKEN} end\nsecond line {TOKEN}");
        for piece in text.as_bytes().chunks(3) {
            stdin.write_all(piece).unwrap();
            stdin.flush().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    });
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "start [REDACTED:API_TOKEN] end\nsecond line [REDACTED:API_TOKEN]"
    );
}

#[test]
fn complete_lines_come_out_before_the_input_ends() {
    use std::io::{BufRead, BufReader};
    let p = project();
    let mut child = p
        .std_cmd(&["redact", "-e", "production"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("first {TOKEN}\n").as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    // The line arrives while stdin is still open.
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "first [REDACTED:API_TOKEN]\n");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn all_envs_knows_every_environment() {
    let p = project();
    p.write(".env.staging", "STAGING_TOKEN=staging-only-secret-value\n");
    let input = format!("{TOKEN} staging-only-secret-value\n");
    let out = redact(&p, &["-e", "staging"], input.as_bytes());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{TOKEN} [REDACTED:STAGING_TOKEN]\n")
    );
    let out = redact(&p, &["--all-envs"], input.as_bytes());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[REDACTED:API_TOKEN] [REDACTED:STAGING_TOKEN]\n"
    );
}

#[test]
fn min_length_is_configurable() {
    let p = project();
    p.write(
        "envward.toml",
        "[environments.production]\n[redact]\nmin_length = 4\n",
    );
    let out = redact(&p, &["-e", "production"], b"key abc12 here\n");
    assert_eq!(out.stdout, b"key [REDACTED:SHORT_SECRET] here\n");
}

#[test]
fn check_reports_secrets_too_short_to_redact() {
    let p = project();
    let report = p.check_json("production");
    let findings = report["findings"].as_array().unwrap();
    let short: Vec<_> = findings
        .iter()
        .filter(|f| f["rule"] == "secret.too-short-to-redact")
        .collect();
    assert_eq!(short.len(), 1, "{report:#}");
    assert_eq!(short[0]["key"], "SHORT_SECRET");
    assert_eq!(short[0]["severity"], "warning");
    assert!(!report.to_string().contains("abc12"));
    // A long secret is not reported.
    p.write(
        ".env.production",
        format!("API_TOKEN='{TOKEN}'\nSHORT_SECRET=abc12abc12abc\n"),
    );
    let report = p.check_json("production");
    assert!(
        !report.to_string().contains("secret.too-short-to-redact\""),
        "{report:#}"
    );
}

#[test]
fn run_redact_redacts_stdout_and_stderr_and_passes_the_status() {
    let p = project();
    let r = p
        .run(&[
            "-e",
            "production",
            "run",
            "--redact",
            "--no-check",
            "--",
            "sh",
            "-c",
            "echo \"out $API_TOKEN\"; echo \"err $API_TOKEN\" >&2; printf %s \"$API_TOKEN\" | base64; exit 3",
        ])
        .expect_code(3);
    assert!(!r.stdout().contains(TOKEN) && !r.stderr().contains(TOKEN));
    assert!(
        r.stdout()
            .starts_with("out [REDACTED:API_TOKEN]\n[REDACTED:API_TOKEN]"),
        "{}",
        r.stdout()
    );
    assert!(
        r.stderr().contains("err [REDACTED:API_TOKEN]\n"),
        "{}",
        r.stderr()
    );
    // The program still got the real value.
    let r = p
        .run(&[
            "-e",
            "production",
            "run",
            "--redact",
            "--no-check",
            "--",
            "sh",
            "-c",
            "test \"$API_TOKEN\" = 'tok_S3ntinel+/=?&value 42' && echo same",
        ])
        .ok();
    assert_eq!(r.stdout(), "same\n");
}

#[cfg(unix)]
#[test]
fn run_redact_passes_a_death_by_signal_through() {
    use std::os::unix::process::ExitStatusExt;
    let p = project();
    let r = p.run(&[
        "-e",
        "production",
        "run",
        "--redact",
        "--no-check",
        "--",
        "sh",
        "-c",
        "echo before; kill -TERM $$",
    ]);
    assert_eq!(r.0.status.signal(), Some(15), "{:?}", r.0.status);
    assert_eq!(r.stdout(), "before\n");
}

#[cfg(unix)]
#[test]
fn run_redact_forwards_sigterm_to_the_program() {
    let p = project();
    let mut child = p
        .std_cmd(&[
            "-e",
            "production",
            "run",
            "--redact",
            "--no-check",
            "--",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::{BufRead, BufReader};
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert_eq!(rest, "got TERM\n");
    assert_eq!(status.code(), Some(42));
}
