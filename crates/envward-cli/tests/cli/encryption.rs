//! Encrypted env files through the binary: round trips, reviewable diffs,
//! the tamper suite, missing identities, interop with the real `age` CLI and
//! SSH keys, and concurrent writers.

use crate::harness::{Project, require_tool};

const SECRET: &str = "SENTINEL-prod-secret-key-6f1c9a0b7d2e4f3a8b5c1d0e9f7a6b5c4d3e2f1a0b9";
const DB_PASSWORD: &str = "SENTINEL-db-password-3c2b";
const STAGING_SECRET: &str = "SENTINEL-staging-secret-key-0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1";

const SECURITY: &str = "# Production secrets\nDEBUG=False\nSECRET_KEY=\"SENTINEL-prod-secret-key-6f1c9a0b7d2e4f3a8b5c1d0e9f7a6b5c4d3e2f1a0b9\"\nDATABASE_PASSWORD=SENTINEL-db-password-3c2b # rotated in May\nALLOWED_HOSTS=example.com\n";

/// A project with production and staging encrypted to one identity; the
/// identity file is outside the project, named by ENVWARD_IDENTITY_FILE.
pub(crate) struct Setup {
    pub(crate) p: Project,
    _keys: tempfile::TempDir,
    identity: std::path::PathBuf,
    recipient: String,
}

pub(crate) fn setup() -> Setup {
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n\n[environments.staging]\n",
        ),
        ("env/production/security.env", SECURITY),
        (
            "env/production/common.env",
            "APP_NAME=shop\nAPI_TOKEN=SENTINEL-api-token-77\n",
        ),
        (
            "env/staging/security.env",
            &format!("DEBUG=False\nSECRET_KEY={STAGING_SECRET}\n"),
        ),
    ])
    .env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let recipient = p.keygen(&identity);
    for env in ["production", "staging"] {
        p.run(&["recipients", "add", "-e", env, &recipient]).ok();
        p.run(&["encrypt", "-e", env]).ok();
    }
    Setup {
        p,
        _keys: keys,
        identity,
        recipient,
    }
}

fn read(p: &Project, rel: &str) -> String {
    std::fs::read_to_string(p.join(rel)).unwrap()
}

#[test]
fn values_are_encrypted_and_read_back_transparently() {
    let s = setup();
    let file = read(&s.p, "env/production/security.env");
    assert!(!file.contains("SENTINEL"), "{file}");
    assert!(
        file.starts_with("# envward:v1 production/security"),
        "{file}"
    );
    assert!(
        file.contains("DEBUG=False\n"),
        "non-secret values stay in clear"
    );
    assert!(file.contains("# Production secrets\n"), "comments stay");
    assert!(
        file.contains(" # rotated in May\n"),
        "trailing comments stay"
    );
    assert!(file.contains(&format!("# envward:recipient {}\n", s.recipient)));
    let out = s.p.run(&["get", "SECRET_KEY", "-e", "production"]).ok();
    assert_eq!(out.stdout(), format!("{SECRET}\n"));
    let out =
        s.p.run(&["get", "DATABASE_PASSWORD", "-e", "production"])
            .ok();
    assert_eq!(out.stdout(), format!("{DB_PASSWORD}\n"));
    // Decrypting gives back the original file, byte for byte.
    let out =
        s.p.run(&["decrypt", "-e", "production", "-n", "security"])
            .ok();
    assert_eq!(out.stdout(), SECURITY);
    // Listing and checking never show the decrypted secrets.
    for args in [
        &["list", "-e", "production"][..],
        &["check", "-e", "production", "--format", "json"][..],
        &["explain", "SECRET_KEY", "-e", "production"][..],
    ] {
        let out = s.p.run(args);
        assert!(
            !out.stdout().contains("SENTINEL") && !out.stderr().contains("SENTINEL"),
            "{args:?}"
        );
    }
    // Secret values of encrypted files are secrets even without a schema.
    let list =
        s.p.run(&["list", "-e", "production", "--format", "json"])
            .ok()
            .json();
    assert!(list.to_string().contains("API_TOKEN"));
}

#[test]
fn run_sees_decrypted_values() {
    let s = setup();
    let out =
        s.p.run(&[
            "run",
            "-e",
            "production",
            // The values are test values: the deploy gate would refuse them.
            "--no-check",
            "--",
            "sh",
            "-c",
            "printf %s \"$DATABASE_PASSWORD\"",
        ])
        .ok();
    assert_eq!(out.stdout(), DB_PASSWORD);
}

#[test]
fn unchanged_values_keep_their_ciphertext() {
    let s = setup();
    let before = read(&s.p, "env/production/security.env");
    s.p.run(&["set", "DEBUG", "True", "-e", "production", "-n", "security"])
        .ok();
    let after = read(&s.p, "env/production/security.env");
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    // Only the edited line and the MAC differ.
    assert_eq!(changed.len(), 2, "{changed:#?}");
    assert!(changed.iter().any(|(_, b)| *b == "DEBUG=True"));
    assert!(changed.iter().any(|(_, b)| b.starts_with("# envward:mac ")));
    // Encrypting again changes nothing at all.
    s.p.run(&["encrypt", "-e", "production"]).ok();
    assert_eq!(read(&s.p, "env/production/security.env"), after);
}

#[test]
fn set_reads_the_value_from_stdin_and_unset_removes() {
    let s = setup();
    s.p.cmd(&[
        "set",
        "STRIPE_SECRET_KEY",
        "-e",
        "production",
        "-n",
        "security",
    ])
    .write_stdin("SENTINEL-stripe-99\n")
    .assert()
    .success();
    let file = read(&s.p, "env/production/security.env");
    assert!(file.contains("STRIPE_SECRET_KEY=envward:v1:"), "{file}");
    let out =
        s.p.run(&["get", "STRIPE_SECRET_KEY", "-e", "production"])
            .ok();
    assert_eq!(out.stdout(), "SENTINEL-stripe-99\n");
    s.p.run(&[
        "unset",
        "STRIPE_SECRET_KEY",
        "-e",
        "production",
        "-n",
        "security",
    ])
    .ok();
    assert!(!read(&s.p, "env/production/security.env").contains("STRIPE_SECRET_KEY"));
    s.p.run(&["get", "SECRET_KEY", "-e", "production"]).ok();
}

#[test]
fn a_sensitive_value_is_never_written_in_clear_without_recipients() {
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        (".env.production", "A=1\n"),
    ]);
    let out = p
        .run(&["set", "API_TOKEN", "SENTINEL-tok-1", "-e", "production"])
        .expect_code(2);
    assert!(
        out.stderr().contains("no recipients for production/common"),
        "{}",
        out.stderr()
    );
    assert!(!out.stderr().contains("SENTINEL"));
    assert_eq!(read(&p, ".env.production"), "A=1\n");
    p.run(&[
        "set",
        "API_TOKEN",
        "SENTINEL-tok-1",
        "-e",
        "production",
        "--plain",
    ])
    .ok();
    assert_eq!(
        read(&p, ".env.production"),
        "A=1\nAPI_TOKEN=SENTINEL-tok-1\n"
    );
}

/// Applies `tamper` to production's security.env and expects every reader
/// to stop with exit 2 and `expected` in its error, starting nothing.
#[track_caller]
fn rejected(tamper: impl FnOnce(&Setup, String) -> String, expected: &str) {
    let s = setup();
    let path = "env/production/security.env";
    let text = tamper(&s, read(&s.p, path));
    s.p.write(path, text);
    for args in [
        &["get", "APP_NAME", "-e", "production"][..],
        &["export", "-e", "production"][..],
        &["check", "-e", "production"][..],
        &["run", "-e", "production", "--", "sh", "-c", "echo STARTED"][..],
    ] {
        let out = s.p.run(args).expect_code(2);
        assert!(out.stdout().is_empty(), "{args:?} printed {}", out.stdout());
        assert!(
            out.stderr().contains(expected),
            "{args:?}: {}",
            out.stderr()
        );
        assert!(!out.stderr().contains("SENTINEL"), "{}", out.stderr());
    }
}

fn token_of<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.split(' ').next().unwrap())
        .unwrap()
}

const MAC_ERROR: &str = "the file MAC does not match";

#[test]
fn tamper_swapping_two_ciphertexts() {
    rejected(
        |_, t| {
            let (a, b) = (
                token_of(&t, "SECRET_KEY"),
                token_of(&t, "DATABASE_PASSWORD"),
            );
            t.replace(a, "@A@").replace(b, a).replace("@A@", b)
        },
        "the encrypted value of `SECRET_KEY` does not decrypt",
    );
    // The error points at the line.
    let s = setup();
    let path = "env/production/security.env";
    let t = read(&s.p, path);
    let line = t
        .lines()
        .position(|l| l.starts_with("SECRET_KEY="))
        .unwrap()
        + 1;
    let (a, b) = (
        token_of(&t, "SECRET_KEY"),
        token_of(&t, "DATABASE_PASSWORD"),
    );
    s.p.write(path, t.replace(a, "@A@").replace(b, a).replace("@A@", b));
    let out =
        s.p.run(&["get", "DEBUG", "-e", "production"])
            .expect_code(2);
    assert!(
        out.stderr().contains(&format!("{path}:{line}:1")),
        "{}",
        out.stderr()
    );
}

#[test]
fn tamper_moving_a_ciphertext_from_another_environment() {
    rejected(
        |s, t| {
            let staging = read(&s.p, "env/staging/security.env");
            t.replace(token_of(&t, "SECRET_KEY"), token_of(&staging, "SECRET_KEY"))
        },
        "the encrypted value of `SECRET_KEY` does not decrypt",
    );
}

#[test]
fn tamper_moving_a_whole_file_to_another_environment() {
    rejected(
        |s, _| read(&s.p, "env/staging/security.env"),
        "encrypted for staging/security but is read as production/security",
    );
}

#[test]
fn tamper_swapping_the_header_with_another_file() {
    rejected(
        |s, t| {
            let other = read(&s.p, "env/production/common.env");
            let header = |x: &str| -> String {
                x.lines()
                    .filter(|l| l.starts_with("# envward:"))
                    .map(|l| format!("{l}\n"))
                    .collect()
            };
            t.replace(
                &header(&t),
                &header(&other).replace("production/common", "production/security"),
            )
        },
        "does not decrypt",
    );
}

#[test]
fn tamper_deleting_a_line() {
    rejected(
        |_, t| t.replace("ALLOWED_HOSTS=example.com\n", ""),
        MAC_ERROR,
    );
}

#[test]
fn tamper_reordering_lines() {
    rejected(
        |_, t| {
            t.replace("DEBUG=False\n", "").replace(
                "ALLOWED_HOSTS=example.com\n",
                "ALLOWED_HOSTS=example.com\nDEBUG=False\n",
            )
        },
        MAC_ERROR,
    );
}

#[test]
fn tamper_adding_a_line() {
    rejected(|_, t| t + "EXTRA=1\n", MAC_ERROR);
}

#[test]
fn tamper_editing_a_plaintext_value() {
    rejected(|_, t| t.replace("DEBUG=False", "DEBUG=True"), MAC_ERROR);
}

#[test]
fn tamper_flipping_one_bit_of_a_ciphertext() {
    rejected(
        |_, t| {
            let tok = token_of(&t, "DATABASE_PASSWORD").to_string();
            let mut bytes = tok.clone().into_bytes();
            let i = bytes.len() - 5;
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            t.replace(&tok, &String::from_utf8(bytes).unwrap())
        },
        "the encrypted value of `DATABASE_PASSWORD` does not decrypt",
    );
}

#[test]
fn tamper_corrupting_base64() {
    rejected(
        |_, t| {
            let tok = token_of(&t, "SECRET_KEY").to_string();
            t.replace(&tok, &format!("{}!!", &tok[..tok.len() - 2]))
        },
        "the encrypted value of `SECRET_KEY` is corrupted",
    );
}

#[test]
fn tamper_truncating_the_file() {
    rejected(
        |_, t| t[..t.find("# envward:mac").unwrap()].to_string(),
        "no `# envward:mac` line",
    );
    rejected(
        |_, t| t[..t.find("DATABASE_PASSWORD").unwrap()].to_string(),
        MAC_ERROR,
    );
}

#[test]
fn tamper_removing_the_header() {
    rejected(
        |_, t| {
            t.lines()
                .filter(|l| !l.starts_with("# envward:"))
                .map(|l| format!("{l}\n"))
                .collect()
        },
        "holds an encrypted value but the file has no envward header",
    );
}

#[test]
fn unknown_versions_are_named() {
    rejected(
        |_, t| t.replacen("envward:v1:", "envward:v9:", 1),
        "unknown encryption format `envward:v9`",
    );
    rejected(
        |_, t| t.replace("# envward:v1 ", "# envward:v2 "),
        "unknown encryption format `envward:v2`",
    );
}

#[test]
fn a_wrong_identity_starts_nothing_and_says_who_can_decrypt() {
    let s = setup();
    let other = tempfile::tempdir().unwrap();
    let other_id = other.path().join("other.txt");
    s.p.run(&["keygen", "--output", other_id.to_str().unwrap()])
        .ok();
    let p = &s.p;
    let out = p.run_env(
        &["run", "-e", "production", "--", "sh", "-c", "echo STARTED"],
        &[("ENVWARD_IDENTITY_FILE", other_id.to_str().unwrap())],
        &[],
    );
    assert_eq!(out.code(), Some(2));
    assert!(out.stdout().is_empty());
    let err = out.stderr();
    assert!(err.contains("cannot decrypt env/production/"), "{err}");
    assert!(
        err.contains(&format!("encrypted to: {}", s.recipient)),
        "{err}"
    );
    assert!(err.contains("ENVWARD_IDENTITY"), "{err}");
    // No identity at all: the same, and `get` of any key refuses too.
    for args in [
        &["get", "APP_NAME", "-e", "production"][..],
        &["export", "-e", "production"][..],
    ] {
        let out = p.run_env(args, &[], &["ENVWARD_IDENTITY_FILE"]);
        assert_eq!(out.code(), Some(2), "{args:?}");
        assert!(out.stdout().is_empty());
    }
}

#[test]
fn check_without_identity_runs_what_needs_no_value_and_reports_the_rest_skipped() {
    let s = setup();
    s.p.run(&["set", "DEBUG", "True", "-e", "production", "-n", "security"])
        .ok();
    let out = s.p.run_env(
        &["check", "-e", "production", "--format", "json"],
        &[],
        &["ENVWARD_IDENTITY_FILE"],
    );
    assert_eq!(
        out.code(),
        Some(1),
        "DEBUG=True is in clear and still checked"
    );
    let v: serde_json::Value = serde_json::from_str(&out.stdout()).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"debug.enabled"), "{rules:?}");
    // No false "too short" or "missing" finding for the values it could not read.
    assert!(
        !rules
            .iter()
            .any(|r| r.starts_with("secret.") || *r == "schema.required"),
        "{rules:?}"
    );
    let skipped: Vec<&str> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert!(
        skipped.contains(&"SECRET_KEY") && skipped.contains(&"DATABASE_PASSWORD"),
        "{skipped:?}"
    );
    assert!(!out.stdout().contains("SENTINEL"));
    for (format, expected) in [
        ("text", "checks of these values skipped: encrypted"),
        (
            "html",
            "Values not checked in production (encrypted, no identity available)",
        ),
    ] {
        let out = s.p.run_env(
            &["check", "-e", "production", "--format", format],
            &[],
            &["ENVWARD_IDENTITY_FILE"],
        );
        let text = out.stdout();
        assert!(
            text.contains(expected) && text.contains("SECRET_KEY"),
            "{format}: {text}"
        );
        assert!(!text.contains("SENTINEL"));
    }
}

#[test]
fn identity_from_the_variable_and_the_flag() {
    let s = setup();
    let key = std::fs::read_to_string(&s.identity).unwrap();
    let out = s.p.run_env(
        &["get", "SECRET_KEY", "-e", "production"],
        &[("ENVWARD_IDENTITY", key.as_str())],
        &["ENVWARD_IDENTITY_FILE"],
    );
    assert_eq!(out.stdout(), format!("{SECRET}\n"));
    let out = s.p.run_env(
        &[
            "get",
            "SECRET_KEY",
            "-e",
            "production",
            "--identity",
            s.identity.to_str().unwrap(),
        ],
        &[],
        &["ENVWARD_IDENTITY_FILE"],
    );
    assert_eq!(out.stdout(), format!("{SECRET}\n"));
}

#[test]
fn keygen_writes_0600_and_refuses_to_overwrite() {
    let s = setup();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&s.identity).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A file envward creates is 0600; one it rewrites keeps its mode.
        s.p.run(&[
            "set",
            "NEW_TOKEN",
            "x",
            "-e",
            "production",
            "-n",
            "payments",
        ])
        .ok();
        let created = std::fs::metadata(s.p.join("env/production/payments.env")).unwrap();
        assert_eq!(created.permissions().mode() & 0o777, 0o600);
        let path = s.p.join("env/production/security.env");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        s.p.run(&["set", "DEBUG", "True", "-e", "production", "-n", "security"])
            .ok();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    let before = std::fs::read_to_string(&s.identity).unwrap();
    s.p.run(&["keygen", "--output", s.identity.to_str().unwrap()])
        .expect_code(2);
    assert_eq!(std::fs::read_to_string(&s.identity).unwrap(), before);
}

#[test]
fn removing_a_recipient_rotates_the_data_key() {
    let s = setup();
    let keys = tempfile::tempdir().unwrap();
    let second = keys.path().join("second.txt");
    let r2 =
        s.p.run(&["keygen", "--output", second.to_str().unwrap()])
            .ok()
            .stdout()
            .trim()
            .to_string();
    s.p.run(&["recipients", "add", "-e", "production", &r2])
        .ok();
    let with_two = read(&s.p, "env/production/security.env");
    assert!(with_two.contains(&format!("# envward:recipient {r2}")));
    // The second identity can now decrypt; values kept their ciphertext.
    assert_eq!(
        token_of(&with_two, "SECRET_KEY"),
        token_of(&read(&s.p, "env/production/security.env"), "SECRET_KEY")
    );
    let out = s.p.run_env(
        &["get", "SECRET_KEY", "-e", "production"],
        &[("ENVWARD_IDENTITY_FILE", second.to_str().unwrap())],
        &[],
    );
    assert_eq!(out.stdout(), format!("{SECRET}\n"));
    let out =
        s.p.run(&["recipients", "remove", "-e", "production", &r2])
            .ok();
    assert!(
        out.stderr().contains("rotate the secrets themselves"),
        "{}",
        out.stderr()
    );
    let after = read(&s.p, "env/production/security.env");
    assert_ne!(
        token_of(&after, "SECRET_KEY"),
        token_of(&with_two, "SECRET_KEY"),
        "every value re-encrypted"
    );
    let out = s.p.run_env(
        &["get", "SECRET_KEY", "-e", "production"],
        &[("ENVWARD_IDENTITY_FILE", second.to_str().unwrap())],
        &[],
    );
    assert_eq!(
        out.code(),
        Some(2),
        "the removed identity no longer decrypts"
    );
    s.p.run(&["get", "SECRET_KEY", "-e", "production"]).ok();
    let list = s.p.run(&["recipients", "list", "-e", "production"]).ok();
    assert_eq!(list.stdout().trim(), s.recipient);
    // rekey: new ciphertexts, same values.
    s.p.run(&["rekey", "-e", "production"]).ok();
    assert_ne!(
        token_of(&read(&s.p, "env/production/security.env"), "SECRET_KEY"),
        token_of(&after, "SECRET_KEY")
    );
    assert_eq!(
        s.p.run(&["get", "SECRET_KEY", "-e", "production"])
            .ok()
            .stdout(),
        format!("{SECRET}\n")
    );
}

#[test]
fn decrypt_refuses_to_write_plaintext_over_a_tracked_file() {
    if !require_tool("git") {
        return;
    }
    let s = setup();
    let git = |args: &[&str]| {
        let st = std::process::Command::new("git")
            .args(args)
            .current_dir(s.p.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "env/production/security.env"]);
    let out =
        s.p.run(&[
            "decrypt",
            "env/production/security.env",
            "-e",
            "production",
            "--in-place",
        ])
        .expect_code(2);
    assert!(out.stderr().contains("tracked by git"), "{}", out.stderr());
    assert!(read(&s.p, "env/production/security.env").contains("envward:v1:"));
    s.p.run(&[
        "decrypt",
        "env/production/security.env",
        "-e",
        "production",
        "--in-place",
        "--force",
    ])
    .ok();
    assert_eq!(read(&s.p, "env/production/security.env"), SECURITY);
}

/// The stock `age` CLI recovers the data key from the header (the
/// emergency path), and that key decrypts a value.
#[test]
fn the_age_cli_recovers_the_data_key() {
    if !require_tool("age") {
        return;
    }
    use base64::Engine as _;
    let s = setup();
    let file = read(&s.p, "env/production/security.env");
    let armored: String = file
        .lines()
        .filter_map(|l| l.strip_prefix("# envward:key "))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut child = std::process::Command::new("age")
        .args(["-d", "-i"])
        .arg(&s.identity)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(armored.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let key = base64::engine::general_purpose::STANDARD
        .decode(String::from_utf8(out.stdout).unwrap().trim())
        .unwrap();
    let key = envward::crypto::DataKey::from_bytes(key.try_into().unwrap());
    let scope = envward::crypto::Scope {
        environment: "production".into(),
        namespace: "security".into(),
    };
    let line = file
        .lines()
        .position(|l| l.starts_with("SECRET_KEY="))
        .unwrap() as u32
        + 1;
    let raw = key
        .decrypt_value(&scope, "SECRET_KEY", line, token_of(&file, "SECRET_KEY"))
        .unwrap();
    assert_eq!(raw.as_str(), format!("\"{SECRET}\""));
}

/// SSH keys work as recipients and identities.
#[test]
fn ssh_ed25519_keys_are_recipients_and_identities() {
    if !require_tool("ssh-keygen") {
        return;
    }
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        (".env.production", "DB_PASSWORD=SENTINEL-ssh-1\n"),
    ]);
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id_ed25519");
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "deploy", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(st.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let public = public.trim();
    p.run(&["recipients", "add", "-e", "production", public])
        .ok();
    p.run(&["encrypt", "-e", "production"]).ok();
    assert!(!read(&p, ".env.production").contains("SENTINEL"));
    let out = p
        .run(&[
            "get",
            "DB_PASSWORD",
            "-e",
            "production",
            "--identity",
            key.to_str().unwrap(),
        ])
        .ok();
    assert_eq!(out.stdout(), "SENTINEL-ssh-1\n");
}

/// Two processes each setting 200 keys on one encrypted file: all 400
/// land, and the file still verifies.
#[test]
fn concurrent_writers_lose_no_update() {
    let s = setup();
    let workers: Vec<_> = ["A", "B"]
        .into_iter()
        .map(|w| {
            let mut cmds = Vec::new();
            for i in 0..200 {
                let mut c = s.p.cmd(&[
                    "set",
                    &format!("{w}_TOKEN_{i}"),
                    &format!("v{i}"),
                    "-e",
                    "production",
                    "-n",
                    "security",
                ]);
                c.env("ENVWARD_IDENTITY_FILE", &s.identity);
                cmds.push(c);
            }
            std::thread::spawn(move || {
                for mut c in cmds {
                    c.assert().success();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let list =
        s.p.run(&[
            "list",
            "-e",
            "production",
            "-n",
            "security",
            "--format",
            "json",
        ])
        .ok()
        .json();
    let text = list.to_string();
    for w in ["A", "B"] {
        for i in 0..200 {
            assert!(
                text.contains(&format!("\"{w}_TOKEN_{i}\"")),
                "{w}_TOKEN_{i} lost"
            );
        }
    }
    let out = s.p.run(&["get", "B_TOKEN_199", "-e", "production"]).ok();
    assert_eq!(out.stdout(), "v199\n");
}

/// An editor script for `envward edit`: records the file it was given and
/// its mode, then runs `body` on it ($1).
fn editor(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let record = dir.join(format!("{name}.record"));
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s %s\\n' \"$1\" \"$(stat -c %a \"$1\")\" > '{}'\n{body}\n",
            record.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

fn recorded(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, String) {
    let text = std::fs::read_to_string(dir.join(format!("{name}.record"))).unwrap();
    let (path, mode) = text.trim().rsplit_once(' ').unwrap();
    (path.into(), mode.to_string())
}

#[test]
fn edit_reencrypts_on_save_and_removes_the_plaintext() {
    let s = setup();
    let tools = tempfile::tempdir().unwrap();
    let ed = editor(
        tools.path(),
        "ed.sh",
        "sed -i 's/^DEBUG=False/DEBUG=True/; s/^DATABASE_PASSWORD=.*/DATABASE_PASSWORD=SENTINEL-new-db-pw/' \"$1\"",
    );
    let before = read(&s.p, "env/production/security.env");
    let out = s.p.run_env(
        &["edit", "-e", "production", "-n", "security"],
        &[("EDITOR", ed.to_str().unwrap())],
        &[],
    );
    assert!(out.code() == Some(0), "{}", out.stderr());
    assert!(!out.stderr().contains("SENTINEL"));
    let (tmp, mode) = recorded(tools.path(), "ed.sh");
    assert_eq!(mode, "600");
    assert!(!tmp.exists(), "the plaintext file is removed");
    let after = read(&s.p, "env/production/security.env");
    assert!(!after.contains("SENTINEL"));
    assert!(after.contains("DEBUG=True\n"));
    assert_eq!(
        token_of(&after, "SECRET_KEY"),
        token_of(&before, "SECRET_KEY"),
        "unchanged value keeps its ciphertext"
    );
    assert_ne!(
        token_of(&after, "DATABASE_PASSWORD"),
        token_of(&before, "DATABASE_PASSWORD")
    );
    let out =
        s.p.run(&["get", "DATABASE_PASSWORD", "-e", "production"])
            .ok();
    assert_eq!(out.stdout(), "SENTINEL-new-db-pw\n");
}

#[test]
fn edit_aborts_cleanly_on_editor_failure_no_change_and_interrupt() {
    let s = setup();
    let tools = tempfile::tempdir().unwrap();
    let before = read(&s.p, "env/production/security.env");
    let cases = [
        (
            "fail.sh",
            "sed -i 's/^DEBUG=False/DEBUG=True/' \"$1\"; exit 3",
            2,
            "the editor exited",
        ),
        ("same.sh", "true", 0, "no changes"),
        (
            "bad.sh",
            "printf 'NOT A LINE\\n' >> \"$1\"",
            2,
            "security.env",
        ),
        (
            "int.sh",
            "sed -i 's/^DEBUG=False/DEBUG=True/' \"$1\"; kill -INT $PPID; sleep 0.2; exit 130",
            130,
            "interrupted",
        ),
    ];
    for (name, body, code, message) in cases {
        let ed = editor(tools.path(), name, body);
        let out = s.p.run_env(
            &["edit", "-e", "production", "-n", "security"],
            &[("EDITOR", ed.to_str().unwrap())],
            &[],
        );
        let err = out.stderr();
        assert_eq!(out.code(), Some(code), "{name}: {err}");
        assert!(err.contains(message), "{name}: {err}");
        assert!(!err.contains("SENTINEL"), "{name}: {err}");
        let (tmp, _) = recorded(tools.path(), name);
        assert!(!tmp.exists(), "{name}: the plaintext file is removed");
        assert_eq!(
            read(&s.p, "env/production/security.env"),
            before,
            "{name}: nothing changed"
        );
    }
}

/// `import --gpg` reads a file encrypted with the real `gpg` and writes it
/// envward-encrypted.
#[test]
fn import_from_a_gpg_encrypted_file() {
    if !require_tool("gpg") {
        return;
    }
    let s = setup();
    let home = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let gpg = |args: &[&str]| {
        let out = std::process::Command::new("gpg")
            .args([
                "--batch",
                "--quiet",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .env("GNUPGHOME", home.path())
            .current_dir(home.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    gpg(&[
        "--quick-gen-key",
        "envward-test@example.com",
        "default",
        "default",
        "never",
    ]);
    std::fs::write(
        home.path().join("plain.env"),
        "PAYMENT_API_KEY=SENTINEL-gpg-77\nPAYMENT_MODE=live\n",
    )
    .unwrap();
    gpg(&[
        "--trust-model",
        "always",
        "-r",
        "envward-test@example.com",
        "-o",
        "prod.env.gpg",
        "-e",
        "plain.env",
    ]);
    let gpg_file = home.path().join("prod.env.gpg");
    let run = |force: bool| {
        let mut args = vec![
            "import",
            "--gpg",
            gpg_file.to_str().unwrap(),
            "-e",
            "production",
            "-n",
            "payments",
        ];
        if force {
            args.push("--force");
        }
        s.p.run_env(&args, &[("GNUPGHOME", home.path().to_str().unwrap())], &[])
    };
    let out = run(false).ok();
    assert!(!out.stderr().contains("SENTINEL"));
    let file = read(&s.p, "env/production/payments.env");
    assert!(
        file.contains("PAYMENT_API_KEY=envward:v1:") && file.contains("PAYMENT_MODE=live"),
        "{file}"
    );
    assert_eq!(
        s.p.run(&["get", "PAYMENT_API_KEY", "-e", "production"])
            .ok()
            .stdout(),
        "SENTINEL-gpg-77\n"
    );
    // An existing file is replaced only with --force.
    run(false).expect_code(2);
    run(true).ok();
    let _ = std::process::Command::new("gpgconf")
        .args(["--kill", "all"])
        .env("GNUPGHOME", home.path())
        .status();
}

#[test]
fn a_passphrase_protected_identity() {
    let keys = tempfile::tempdir().unwrap();
    let id = keys.path().join("protected.txt");
    let p = Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        (".env.production", "DB_PASSWORD=SENTINEL-pp-1\n"),
    ])
    .env("ENVWARD_IDENTITY_FILE", id.to_str().unwrap());
    let recipient = p.run_env(
        &["keygen", "--passphrase", "--output", id.to_str().unwrap()],
        &[("ENVWARD_IDENTITY_PASSPHRASE", "correct horse")],
        &[],
    );
    let recipient = recipient.ok().stdout();
    let file = std::fs::read_to_string(&id).unwrap();
    assert!(
        file.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{file}"
    );
    assert!(!file.contains("AGE-SECRET-KEY"));
    p.run(&["recipients", "add", "-e", "production", recipient.trim()])
        .ok();
    // Encrypting needs no identity (first time); reading needs the passphrase.
    p.run(&["encrypt", "-e", "production"]).ok();
    let out = p.run_env(
        &["get", "DB_PASSWORD", "-e", "production"],
        &[("ENVWARD_IDENTITY_PASSPHRASE", "correct horse")],
        &[],
    );
    assert_eq!(out.stdout(), "SENTINEL-pp-1\n");
    let out = p.run_env(
        &["get", "DB_PASSWORD", "-e", "production"],
        &[("ENVWARD_IDENTITY_PASSPHRASE", "wrong")],
        &[],
    );
    assert_eq!(out.code(), Some(2));
    assert!(out.stderr().contains("wrong passphrase"));
    // Not on a terminal and no passphrase: a clear error, not a hang.
    let out = p
        .run(&["get", "DB_PASSWORD", "-e", "production"])
        .expect_code(2);
    assert!(
        out.stderr().contains("is passphrase-protected"),
        "{}",
        out.stderr()
    );
    assert!(!out.stderr().contains("SENTINEL"));
}

fn rotations(p: &Project) -> Vec<serde_json::Value> {
    std::fs::read_to_string(p.join(".envward/rotations.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn changing_a_secret_records_its_rotation_without_its_value() {
    let s = setup();
    s.p.run(&["set", "API_TOKEN", "SENTINEL-rot-1", "-e", "production"])
        .ok();
    s.p.run(&["set", "API_TOKEN", "SENTINEL-rot-1", "-e", "production"])
        .ok();
    s.p.run(&["set", "APP_NAME", "shop2", "-e", "production"])
        .ok();
    let records = rotations(&s.p);
    assert_eq!(
        records.len(),
        1,
        "same value again, or a non-secret: no record; {records:?}"
    );
    assert_eq!(records[0]["key"], "API_TOKEN");
    assert_eq!(records[0]["environment"], "production");
    assert_eq!(records[0]["namespace"], "common");
    assert_eq!(records[0]["by"], "set");
    let text = std::fs::read_to_string(s.p.join(".envward/rotations.jsonl")).unwrap();
    assert!(!text.contains("SENTINEL"));
}

#[test]
fn secret_max_age_flags_old_rotations_even_without_an_identity() {
    let s = setup();
    s.p.write(
        ".envward/rotations.jsonl",
        "{\"environment\":\"production\",\"namespace\":\"security\",\"key\":\"SECRET_KEY\",\"rotated_at\":\"2025-01-02T03:04:05Z\",\"by\":\"set\"}\nnot json\n{\"environment\":\"production\",\"namespace\":\"security\",\"key\":\"DATABASE_PASSWORD\",\"rotated_at\":\"2099-01-01T00:00:00Z\",\"by\":\"set\"}\n",
    );
    let findings = |run: crate::harness::Run| -> Vec<serde_json::Value> {
        run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "secret.max-age")
            .cloned()
            .collect()
    };
    for remove in [&[][..], &["ENVWARD_IDENTITY_FILE"][..]] {
        let out = s.p.run_env(
            &["check", "-e", "production", "--format", "json"],
            &[],
            remove,
        );
        let found = findings(out);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0]["key"], "SECRET_KEY");
        assert_eq!(found[0]["severity"], "warning");
        assert!(
            found[0]["message"]
                .as_str()
                .unwrap()
                .contains("(2025-01-02); the maximum is 90 days")
        );
        assert_eq!(found[0]["origin"]["path"], ".envward/rotations.jsonl");
        assert_eq!(found[0]["origin"]["line"], 1);
    }
    // The maximum is a parameter.
    let toml = read(&s.p, "envward.toml") + "\n[rules.\"secret.max-age\"]\nmax_days = 100000\n";
    s.p.write("envward.toml", toml);
    let out = s.p.run(&["check", "-e", "production", "--format", "json"]);
    assert!(findings(out).is_empty());
}

#[test]
fn status_counts_encrypted_files_with_or_without_an_identity() {
    let s = setup();
    for remove in [&[][..], &["ENVWARD_IDENTITY_FILE"][..]] {
        let out =
            s.p.run_env(&["status", "--format", "json"], &[], remove)
                .ok();
        let v = out.json();
        let prod = v["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["environment"] == "production")
            .unwrap();
        assert_eq!(prod["encrypted_files"], 2, "{prod}");
        assert_eq!(prod["required_missing"], 0, "{prod}");
        assert!(!out.stdout().contains("SENTINEL"));
    }
}

#[test]
fn tamper_moving_a_ciphertext_between_files_of_one_environment() {
    rejected(
        |s, t| {
            let common = read(&s.p, "env/production/common.env");
            t.replace(token_of(&t, "SECRET_KEY"), token_of(&common, "API_TOKEN"))
        },
        "the encrypted value of `SECRET_KEY` does not decrypt",
    );
}

#[test]
fn what_gets_encrypted_sensitive_by_default_all_and_forced() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\n\n[vars.PUBLIC_KEY_ID]\nencrypt = false\n\n[vars.INTERNAL_HOST]\nencrypt = true\n",
        ),
        (
            ".env.production",
            "PUBLIC_KEY_ID=kid-1\nINTERNAL_HOST=db.internal\nAPI_TOKEN=tok\nCACHE_URL=redis://:pw@cache:6379\nPORT=8000\n",
        ),
    ]);
    let keys = tempfile::tempdir().unwrap();
    let id = keys.path().join("id.txt");
    let r = p
        .run(&["keygen", "--output", id.to_str().unwrap()])
        .ok()
        .stdout();
    p.run(&["recipients", "add", "-e", "production", r.trim()])
        .ok();
    p.run(&["encrypt", "-e", "production"]).ok();
    let file = read(&p, ".env.production");
    let encrypted = |k: &str| token_of(&file, k).starts_with("envward:v1:");
    assert!(!encrypted("PUBLIC_KEY_ID"), "forced out");
    assert!(encrypted("INTERNAL_HOST"), "forced in");
    assert!(encrypted("API_TOKEN"), "sensitive name");
    assert!(encrypted("CACHE_URL"), "password in a URL");
    assert!(!encrypted("PORT"));
    let out = p
        .run_env(
            &["encrypt", "-e", "production", "--all"],
            &[("ENVWARD_IDENTITY_FILE", id.to_str().unwrap())],
            &[],
        )
        .ok();
    drop(out);
    let file = read(&p, ".env.production");
    assert!(token_of(&file, "PORT").starts_with("envward:v1:"), "--all");
    assert!(
        !token_of(&file, "PUBLIC_KEY_ID").starts_with("envward:v1:"),
        "forced out wins over --all"
    );
}

#[test]
fn ordinary_envward_comments_are_not_a_header() {
    let p = Project::with(&[(
        ".env",
        "# envward: values below are documented in docs/configuration.md\n# envward:allow nothing here\nA=1\n",
    )]);
    assert_eq!(p.run(&["get", "A"]).ok().stdout(), "1\n");
}

/// Plain `set`s racing an `encrypt` of the same file: whether the file is
/// encrypted is decided under the lock, so no plaintext write lands on an
/// encrypted file (which would break its MAC) and no key is lost.
#[test]
fn plain_sets_racing_an_encrypt_keep_the_file_valid() {
    let s = setup();
    s.p.write(
        "env/production/app.env",
        "APP_MODE=live\nAPP_TOKEN=SENTINEL-app-1\n",
    );
    let mut sets = Vec::new();
    for i in 0..120 {
        sets.push(s.p.cmd(&[
            "set",
            &format!("APP_SETTING_{i}"),
            "v",
            "-e",
            "production",
            "-n",
            "app",
        ]));
    }
    let writer = std::thread::spawn(move || {
        for mut c in sets {
            c.assert().success();
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(150));
    s.p.run(&["encrypt", "-e", "production"]).ok();
    writer.join().unwrap();
    let file = read(&s.p, "env/production/app.env");
    assert!(file.starts_with("# envward:v1 production/app"), "{file}");
    let list =
        s.p.run(&["list", "-e", "production", "-n", "app", "--format", "json"])
            .ok()
            .json()
            .to_string();
    for i in 0..120 {
        assert!(
            list.contains(&format!("\"APP_SETTING_{i}\"")),
            "APP_SETTING_{i} lost"
        );
    }
}
