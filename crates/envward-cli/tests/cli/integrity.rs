//! The integrity of an encrypted environment, beyond each file's MAC: the
//! set of files around the encrypted ones (issue 11 §2, invariant 8).

use crate::encryption::setup;
use crate::harness::Project;

const SECURITY: &str = "env/production/security.env";

fn read(p: &Project, rel: &str) -> String {
    std::fs::read_to_string(p.join(rel)).unwrap()
}

/// `run`, `get` and `export` all stop with exit 2 and start nothing.
fn refused(p: &Project, expect: &str) {
    for args in [
        &["get", "SECRET_KEY", "-e", "production"][..],
        &["export", "-e", "production"][..],
        &["run", "-e", "production", "--", "sh", "-c", "echo STARTED"][..],
    ] {
        let r = p.run(args).expect_code(2);
        assert!(!r.stdout().contains("STARTED"), "{args:?}");
        assert!(!r.stdout().contains("SENTINEL"), "{args:?}: {}", r.stdout());
        assert!(
            r.stderr().contains(expect),
            "{args:?}: expected {expect:?} in {}",
            r.stderr()
        );
        assert!(!r.stderr().contains("SENTINEL"), "{}", r.stderr());
    }
}

fn with_toml_line(p: &Project, line: &str) {
    let toml = read(p, "envward.toml").replacen(
        "[environments.production]\n",
        &format!("[environments.production]\n{line}\n"),
        1,
    );
    p.write("envward.toml", toml);
}

#[test]
fn a_new_plaintext_file_with_a_secret_is_refused_unless_allowed() {
    let s = setup();
    s.p.write(
        "env/production/aaa.env",
        "API_TOKEN=SENTINEL-attacker-token\n",
    );
    refused(&s.p, "`API_TOKEN` is sensitive but written in clear");
    let r =
        s.p.run(&["check", "-e", "production", "--format", "json"])
            .expect_code(1);
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "encryption.integrity" && f["key"] == "API_TOKEN"),
        "{findings:#?}"
    );
    assert!(!r.stdout().contains("SENTINEL"));
    with_toml_line(&s.p, "allow_plaintext = [\"API_TOKEN\"]");
    let r = s.p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    assert_eq!(r.stdout(), "SENTINEL-attacker-token\n");
}

#[test]
fn a_plaintext_setting_in_an_encrypted_environment_is_fine() {
    let s = setup();
    s.p.write(
        "env/production/aaa.env",
        "LOG_LEVEL=info\nJWT_ACCESS_TOKEN_LIFETIME_MINUTES=15\n",
    );
    s.p.run(&["get", "LOG_LEVEL", "-e", "production"]).ok();
}

#[test]
fn an_old_encrypted_file_copied_to_a_local_override_is_refused() {
    let s = setup();
    let old = read(&s.p, SECURITY);
    // Rotate the secret; the old file is copied back as a local override.
    s.p.run(&[
        "set",
        "SECRET_KEY",
        "SENTINEL-rotated-secret-key-0123456789abcdef0123456789abcdef0123",
        "-e",
        "production",
        "-n",
        "security",
    ])
    .ok();
    s.p.write("env/production/security.local.env", &old);
    refused(&s.p, "overrides the encrypted value");
    with_toml_line(
        &s.p,
        "allow_local_override = [\"SECRET_KEY\", \"DATABASE_PASSWORD\", \"DEBUG\", \"ALLOWED_HOSTS\"]",
    );
    s.p.run(&["get", "SECRET_KEY", "-e", "production"]).ok();
}

#[test]
fn a_local_override_in_plaintext_is_refused_too() {
    let s = setup();
    s.p.write(
        "env/production/security.local.env",
        "SECRET_KEY=SENTINEL-local\n",
    );
    refused(&s.p, "`SECRET_KEY`");
}

#[test]
fn a_file_truncated_before_its_header_is_refused() {
    let s = setup();
    let header = "# envward:v1 ";
    for len in 0..header.len() {
        s.p.write(SECURITY, &header[..len]);
        let r =
            s.p.run(&["get", "DEBUG", "-e", "production"])
                .expect_code(2);
        assert!(!r.stderr().is_empty(), "{len} bytes");
    }
    s.p.write(SECURITY, "");
    refused(&s.p, "is empty or cut before its envward header");
    with_toml_line(&s.p, "allow_plaintext = true");
    s.p.run(&["get", "APP_NAME", "-e", "production"]).ok();
}

#[test]
fn a_file_whose_header_was_replaced_by_plaintext_is_refused() {
    let s = setup();
    s.p.write(
        SECURITY,
        "DEBUG=False\nSECRET_KEY=SENTINEL-attacker-secret-key-0123456789abcdef0123456789\n",
    );
    refused(&s.p, "`SECRET_KEY` is sensitive but written in clear");
}

#[test]
fn check_without_identity_says_integrity_was_not_verified() {
    let s = setup();
    // A plaintext value edited outside envward: only the MAC shows it.
    let edited = read(&s.p, SECURITY).replace("DEBUG=False", "DEBUG=false");
    s.p.write(SECURITY, &edited);
    let r = s.p.run(&["check", "-e", "production", "--format", "json"]);
    assert_eq!(r.code(), Some(2), "with an identity the MAC is checked");
    assert!(r.stderr().contains("MAC"), "{}", r.stderr());
    let r = s.p.run_env(
        &["check", "-e", "production", "--format", "json"],
        &[],
        &["ENVWARD_IDENTITY_FILE"],
    );
    let findings = r.json()["findings"].as_array().unwrap().clone();
    assert!(
        findings.iter().any(|f| f["rule"] == "encryption.unverified"
            && f["message"].as_str().unwrap().contains("NOT verified")
            && f["message"].as_str().unwrap().contains("security.env")),
        "{findings:#?}"
    );
    let r = s.p.run_env(
        &["check", "-e", "production"],
        &[],
        &["ENVWARD_IDENTITY_FILE"],
    );
    assert!(!r.stdout().contains("no problems"), "{}", r.stdout());
    assert!(r.stdout().contains("NOT verified"), "{}", r.stdout());
}

#[test]
fn what_can_be_checked_without_an_identity_is() {
    let s = setup();
    let file = read(&s.p, SECURITY);
    // A token cut short: not even a nonce and a tag.
    let cut = file
        .lines()
        .map(|l| {
            if l.starts_with("SECRET_KEY=") {
                "SECRET_KEY=envward:v1:AAAA".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    s.p.write(SECURITY, &cut);
    let r = s.p.run_env(
        &["check", "-e", "production"],
        &[],
        &["ENVWARD_IDENTITY_FILE"],
    );
    assert_eq!(r.code(), Some(2), "{}", r.stderr());
    assert!(r.stderr().contains("corrupted"), "{}", r.stderr());
    // A file copied from staging: the header names its scope.
    s.p.write(SECURITY, read(&s.p, "env/staging/security.env"));
    let r = s.p.run_env(
        &["check", "-e", "production"],
        &[],
        &["ENVWARD_IDENTITY_FILE"],
    );
    assert_eq!(r.code(), Some(2), "{}", r.stderr());
    assert!(r.stderr().contains("staging/security"), "{}", r.stderr());
}

#[test]
fn recipients_add_writes_nothing_when_one_file_is_tampered() {
    let s = setup();
    let common = "env/production/common.env";
    let tampered = read(&s.p, SECURITY).replace("DEBUG=False", "DEBUG=True");
    s.p.write(SECURITY, &tampered);
    let before_toml = read(&s.p, "envward.toml");
    let before_common = read(&s.p, common);
    let other =
        s.p.run(&[
            "keygen",
            "--output",
            s.p.join("other-id.txt").to_str().unwrap(),
        ])
        .ok()
        .stdout()
        .trim()
        .to_string();
    let r = s.p.run(&["recipients", "add", "-e", "production", &other]);
    assert_eq!(r.code(), Some(2), "{}", r.stderr());
    assert_eq!(read(&s.p, "envward.toml"), before_toml);
    assert_eq!(read(&s.p, common), before_common);
    assert_eq!(read(&s.p, SECURITY), tampered);
}
