//! `envward generate` and `envward rotate`: values from the OS CSPRNG in
//! the schema's charset and length, written through the store (encrypted
//! files stay encrypted), never printed unless --print; rotations keep the
//! old value for the rollover, are recorded for `secret.max-age`, and
//! `--all-sensitive` renews every generatable secret in one change.

use crate::harness::Project;

const OLD_KEY: &str = "SENTINEL-old-signing-key-Qw7Er2Ty9Ui4Op1As6Df3Gh8Jk5Lz0Xc";
const DB_PASSWORD: &str = "SENTINEL-db-password-Vb6Nm1Qa8Ws3Ed";

/// A Django project whose production is strict and encrypted to an
/// identity outside the project.
struct Setup {
    p: Project,
    _keys: tempfile::TempDir,
}

fn setup(extra_toml: &str) -> Setup {
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    let p = Project::with(&[
        (
            "envward.toml",
            &format!(
                "[project]\nframework = \"django\"\n[environments.production]\nstrict = true\n[environments.development]\n{extra_toml}"
            ),
        ),
        (
            "env/production/security.env",
            &format!(
                "DEBUG=False\nSECRET_KEY={OLD_KEY}\nJWT_SIGNING_KEY={OLD_KEY}-jwt\n"
            ),
        ),
        (
            "env/production/database.env",
            &format!("DATABASE_PASSWORD={DB_PASSWORD}\nSTRIPE_SECRET_KEY=sk_live_SENTINEL0a1b2c3d4e5f6g7h\n"),
        ),
        ("env/development/common.env", "DEBUG=True\n"),
    ])
    .env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let recipient = p.keygen(&identity);
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    p.run(&["encrypt", "-e", "production"]).ok();
    Setup { p, _keys: keys }
}

fn get(p: &Project, key: &str) -> String {
    p.run(&["get", key, "-e", "production"])
        .ok()
        .stdout()
        .trim_end_matches('\n')
        .to_string()
}

#[track_caller]
fn no_sentinel(run: &crate::harness::Run, also: &[&str]) {
    for s in [run.stdout(), run.stderr()] {
        assert!(!s.contains("SENTINEL"), "a secret was printed:\n{s}");
        for v in also {
            assert!(!s.contains(v), "a generated value was printed:\n{s}");
        }
    }
}

/// The findings of `check -e production` about `key`.
fn findings_on(p: &Project, key: &str) -> Vec<String> {
    p.check_json("production")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["key"] == key)
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn print_writes_only_to_stdout() {
    let s = setup("[vars.API_SALT]\ngenerate = { length = 48, charset = \"hex\" }\n");
    let p = &s.p;
    let before = std::fs::read_to_string(p.join("env/production/security.env")).unwrap();
    let a = p.run(&["generate", "API_SALT", "--print"]).ok();
    let b = p.run(&["generate", "API_SALT", "--print"]).ok();
    let (a, b) = (a.stdout(), b.stdout());
    let a = a.trim_end();
    assert_eq!(a.len(), 48);
    assert!(
        a.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{a}"
    );
    assert_ne!(a, b.trim_end());
    assert_eq!(
        std::fs::read_to_string(p.join("env/production/security.env")).unwrap(),
        before
    );
    assert!(!p.join(".envward/rotations.jsonl").exists());
    // Django's SECRET_KEY: 50 characters of Django's alphabet.
    let key = p.run(&["generate", "SECRET_KEY", "--print"]).ok().stdout();
    let key = key.trim_end();
    assert_eq!(key.len(), 50);
    assert!(
        key.bytes()
            .all(|c| b"abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)".contains(&c)),
        "{key}"
    );
    // A JWT key: 64; anything else: 32.
    let jwt = p.run(&["generate", "JWT_SECRET", "--print"]).ok().stdout();
    assert_eq!(jwt.trim_end().len(), 64);
    let other = p
        .run(&["generate", "WEBHOOK_SECRET", "--print"])
        .ok()
        .stdout();
    assert_eq!(other.trim_end().len(), 32);
    assert!(other.trim_end().bytes().all(|c| c.is_ascii_alphanumeric()));
}

#[test]
fn generate_writes_encrypted_and_never_prints_the_value() {
    let s = setup("");
    let p = &s.p;
    let run = p
        .run(&[
            "generate",
            "SESSION_SECRET",
            "-e",
            "production",
            "-n",
            "security",
        ])
        .ok();
    let value = get(p, "SESSION_SECRET");
    assert_eq!(value.len(), 32);
    no_sentinel(&run, &[&value]);
    assert!(run.stderr().contains("encrypted file"), "{}", run.stderr());
    let text = std::fs::read_to_string(p.join("env/production/security.env")).unwrap();
    assert!(text.contains("SESSION_SECRET=envward:v1:"), "{text}");
    assert!(!text.contains(&value));
    let records = std::fs::read_to_string(p.join(".envward/rotations.jsonl")).unwrap();
    assert!(
        records.contains("\"key\":\"SESSION_SECRET\"") && records.contains("\"by\":\"generate\"")
    );
    // Set already: refused (exit 2) unless --force.
    let run = p
        .run(&["generate", "SESSION_SECRET", "-e", "production"])
        .expect_code(2);
    assert!(run.stderr().contains("envward rotate"), "{}", run.stderr());
    assert_eq!(get(p, "SESSION_SECRET"), value);
    p.run(&["generate", "SESSION_SECRET", "-e", "production", "--force"])
        .ok();
    assert_ne!(get(p, "SESSION_SECRET"), value);
}

#[test]
fn a_plaintext_environment_needs_plain_or_recipients() {
    let s = setup("");
    let p = &s.p;
    let run = p
        .run(&["generate", "API_SIGNING_KEY", "-e", "development"])
        .expect_code(2);
    assert!(run.stderr().contains("--plain"), "{}", run.stderr());
    p.run(&[
        "generate",
        "API_SIGNING_KEY",
        "-e",
        "development",
        "--plain",
    ])
    .ok();
    let text = std::fs::read_to_string(p.join("env/development/common.env")).unwrap();
    assert!(text.contains("API_SIGNING_KEY="), "{text}");
}

#[test]
fn generated_values_pass_the_strength_rules_in_every_charset() {
    let s = setup(
        "[vars.SECRET_KEY]\ntype = \"secret\"\n[vars.A_SIGNING_KEY]\ngenerate = { charset = \"alphanumeric\" }\n\
         [vars.B_SIGNING_KEY]\ngenerate = { charset = \"urlsafe\" }\n\
         [vars.C_SIGNING_KEY]\ngenerate = { charset = \"hex\", length = 64 }\n\
         [vars.D_SIGNING_KEY]\ngenerate = { charset = \"base64\" }\n\
         [vars.E_SIGNING_KEY]\ngenerate = { charset = \"django\", length = 60 }\n",
    );
    let p = &s.p;
    // Many draws, so that a value the rules would flag shows up if the
    // generator let one through.
    for round in 0..4 {
        for key in [
            "A_SIGNING_KEY",
            "B_SIGNING_KEY",
            "C_SIGNING_KEY",
            "D_SIGNING_KEY",
            "E_SIGNING_KEY",
        ] {
            let mut args = vec!["generate", key, "-e", "production", "-n", "security"];
            if round > 0 {
                args.push("--force");
            }
            p.run(&args).ok();
        }
        p.run(&["rotate", "SECRET_KEY", "-e", "production", "--no-keep"])
            .ok();
        for key in [
            "A_SIGNING_KEY",
            "B_SIGNING_KEY",
            "C_SIGNING_KEY",
            "D_SIGNING_KEY",
            "E_SIGNING_KEY",
            "SECRET_KEY",
        ] {
            assert_eq!(findings_on(p, key), Vec::<String>::new(), "{key}");
        }
    }
}

#[test]
fn rotate_keeps_the_old_value_records_it_and_finish_drops_it() {
    let s = setup("");
    let p = &s.p;
    // An old rotation: secret.max-age fires on the signing key.
    std::fs::create_dir_all(p.join(".envward")).unwrap();
    std::fs::write(
        p.join(".envward/rotations.jsonl"),
        "{\"environment\":\"production\",\"namespace\":\"security\",\"key\":\"JWT_SIGNING_KEY\",\"rotated_at\":\"2020-01-01T00:00:00Z\",\"by\":\"set\"}\n",
    )
    .unwrap();
    assert!(findings_on(p, "JWT_SIGNING_KEY").contains(&"secret.max-age".to_string()));

    let run = p
        .run(&["rotate", "JWT_SIGNING_KEY", "-e", "production"])
        .ok();
    let new = get(p, "JWT_SIGNING_KEY");
    no_sentinel(&run, &[&new]);
    assert!(
        run.stderr().contains("JWT_SIGNING_KEY_PREVIOUS"),
        "{}",
        run.stderr()
    );
    assert!(
        run.stderr()
            .contains("rotate --finish JWT_SIGNING_KEY -e production")
    );
    assert_eq!(new.len(), 64);
    assert_eq!(get(p, "JWT_SIGNING_KEY_PREVIOUS"), format!("{OLD_KEY}-jwt"));
    // Both encrypted in the file.
    let text = std::fs::read_to_string(p.join("env/production/security.env")).unwrap();
    assert!(!text.contains("SENTINEL") && !text.contains(&new), "{text}");
    assert!(
        text.contains("JWT_SIGNING_KEY_PREVIOUS=envward:v1:"),
        "{text}"
    );
    // Recorded: the rule is quiet, the check passes.
    let records = std::fs::read_to_string(p.join(".envward/rotations.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(records.lines().last().unwrap()).unwrap();
    assert_eq!(last["key"], "JWT_SIGNING_KEY");
    assert_eq!(last["by"], "rotate");
    assert_eq!(last["kept_in"], "JWT_SIGNING_KEY_PREVIOUS");
    assert_eq!(
        records.lines().count(),
        2,
        "the kept value is no rotation:\n{records}"
    );
    assert_eq!(findings_on(p, "JWT_SIGNING_KEY"), Vec::<String>::new());
    assert_eq!(
        findings_on(p, "JWT_SIGNING_KEY_PREVIOUS"),
        Vec::<String>::new()
    );

    let run = p
        .run(&["rotate", "--finish", "JWT_SIGNING_KEY", "-e", "production"])
        .ok();
    no_sentinel(&run, &[&new]);
    p.run(&["get", "JWT_SIGNING_KEY_PREVIOUS", "-e", "production"])
        .expect_code(2);
    assert_eq!(get(p, "JWT_SIGNING_KEY"), new);
    let run = p
        .run(&["rotate", "--finish", "JWT_SIGNING_KEY", "-e", "production"])
        .expect_code(2);
    assert!(run.stderr().contains("no rotation"), "{}", run.stderr());
    // Nothing to rotate: a key that is not set.
    let run = p
        .run(&["rotate", "NOPE_KEY", "-e", "production"])
        .expect_code(2);
    assert!(
        run.stderr().contains("envward generate NOPE_KEY"),
        "{}",
        run.stderr()
    );
}

#[test]
fn django_secret_key_goes_to_fallbacks_with_a_maximum_kept() {
    let s = setup(
        "[vars.SECRET_KEY]\ntype = \"secret\"\nrotate = { keep_in = \"SECRET_KEY_FALLBACKS\", keep = 2 }\n",
    );
    let p = &s.p;
    let mut seen = vec![OLD_KEY.to_string()];
    for _ in 0..3 {
        p.run(&["rotate", "SECRET_KEY", "-e", "production"]).ok();
        seen.push(get(p, "SECRET_KEY"));
    }
    assert_eq!(seen[3].len(), 50);
    // Newest first, two kept: the first value is gone.
    assert_eq!(
        get(p, "SECRET_KEY_FALLBACKS"),
        format!("{},{}", seen[2], seen[1])
    );
    // Django's own check of the fallbacks (W025) and every secret rule pass.
    let json = p.check_json_with("production", &["--profile", "django"], &[]);
    let bad: Vec<_> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["key"]
                .as_str()
                .is_some_and(|k| k.starts_with("SECRET_KEY"))
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
    p.run(&["rotate", "--finish", "SECRET_KEY", "-e", "production"])
        .ok();
    p.run(&["get", "SECRET_KEY_FALLBACKS", "-e", "production"])
        .expect_code(2);
}

#[test]
fn all_sensitive_rotates_generatable_secrets_and_lists_the_others() {
    let s = setup("");
    let p = &s.p;
    let run = p
        .run(&["rotate", "--all-sensitive", "-e", "production"])
        .ok();
    let secret = get(p, "SECRET_KEY");
    let jwt = get(p, "JWT_SIGNING_KEY");
    no_sentinel(&run, &[&secret, &jwt]);
    let err = run.stderr();
    assert!(err.contains("rotated 2 secrets"), "{err}");
    // Passwords and provider keys are listed, untouched.
    let providers = err.split("at their providers").nth(1).unwrap_or_default();
    assert!(
        providers.contains("DATABASE_PASSWORD") && providers.contains("STRIPE_SECRET_KEY"),
        "{err}"
    );
    assert_eq!(get(p, "DATABASE_PASSWORD"), DB_PASSWORD);
    assert_ne!(secret, OLD_KEY);
    assert_eq!(
        get(p, "SECRET_KEY_FALLBACKS"),
        OLD_KEY,
        "Django's SECRET_KEY keeps its old value in SECRET_KEY_FALLBACKS"
    );
    assert_eq!(get(p, "JWT_SIGNING_KEY_PREVIOUS"), format!("{OLD_KEY}-jwt"));
    // A second emergency rotation renews the keys, not the old values.
    let run = p
        .run(&["rotate", "--all-sensitive", "-e", "production", "--no-keep"])
        .ok();
    assert!(
        run.stderr().contains("rotated 2 secrets"),
        "{}",
        run.stderr()
    );
    p.run(&["get", "JWT_SIGNING_KEY_PREVIOUS", "-e", "production"])
        .expect_code(2);
    assert_ne!(get(p, "JWT_SIGNING_KEY"), jwt);
    for key in ["SECRET_KEY", "JWT_SIGNING_KEY", "SECRET_KEY_FALLBACKS"] {
        let secret_rules: Vec<String> = findings_on(p, key)
            .into_iter()
            .filter(|r| r.starts_with("secret."))
            .collect();
        assert!(secret_rules.is_empty(), "{key}: {secret_rules:?}");
    }
}

#[test]
fn all_sensitive_changes_nothing_when_one_file_cannot_be_read() {
    let s = setup("");
    let p = &s.p;
    let before_security = std::fs::read(p.join("env/production/security.env")).unwrap();
    // database.env is encrypted to someone else: it cannot be opened.
    let other = tempfile::tempdir().unwrap();
    let q = Project::with(&[
        ("envward.toml", "[environments.production]\nstrict = true\n"),
        (
            "env/production/database.env",
            &format!("DATABASE_PASSWORD={DB_PASSWORD}\n"),
        ),
    ])
    .env(
        "ENVWARD_IDENTITY_FILE",
        other.path().join("x.txt").to_str().unwrap(),
    );
    let stranger = q.keygen(&other.path().join("x.txt"));
    q.run(&["recipients", "add", "-e", "production", &stranger])
        .ok();
    q.run(&["encrypt", "-e", "production"]).ok();
    std::fs::copy(
        q.join("env/production/database.env"),
        p.join("env/production/database.env"),
    )
    .unwrap();
    let run = p
        .run(&["rotate", "--all-sensitive", "-e", "production"])
        .expect_code(2);
    no_sentinel(&run, &[]);
    assert_eq!(
        std::fs::read(p.join("env/production/security.env")).unwrap(),
        before_security,
        "no file is written when one of them cannot be"
    );
}

#[test]
fn all_sensitive_overrides_secrets_read_from_shared_files_in_the_environments_own_file() {
    const SHARED_JWT: &str = "SENTINEL-shared-jwt-Zx4Cv7Bn2Mq9Wl5Ke8Rt3Yu6Io1Pa0Sd";
    const SHARED_MAIL: &str = "SENTINEL-mail-password-Hj3Kl8Zx5Cv";
    let s = setup("");
    let p = &s.p;
    // production's own security.env has SECRET_KEY and JWT_SIGNING_KEY;
    // SESSION_SIGNING_KEY and the mail password come from shared files.
    let shared_security = format!(
        "SESSION_SIGNING_KEY={SHARED_JWT}\nSESSION_SIGNING_KEY_PREVIOUS={SHARED_JWT}-older\n"
    );
    std::fs::write(p.join("env/security.env"), &shared_security).unwrap();
    std::fs::write(
        p.join("env/mail.env"),
        format!("EMAIL_HOST_PASSWORD={SHARED_MAIL}\n"),
    )
    .unwrap();
    // An encrypted environment reads no secret in clear: the shared files
    // are sealed too (to every environment's recipients).
    p.run(&[
        "encrypt",
        "-e",
        "production",
        "env/security.env",
        "env/mail.env",
    ])
    .ok();
    let dev = |key: &str| {
        p.run(&["get", key, "-e", "development"])
            .ok()
            .stdout()
            .trim_end_matches('\n')
            .to_string()
    };
    assert_eq!(get(p, "SESSION_SIGNING_KEY"), SHARED_JWT);
    let shared_before = std::fs::read_to_string(p.join("env/security.env")).unwrap();

    let run = p
        .run(&["rotate", "--all-sensitive", "-e", "production"])
        .ok();
    no_sentinel(&run, &[]);
    let err = run.stderr();
    assert!(err.contains("rotated 3 secrets"), "{err}");
    assert!(
        err.contains("SESSION_SIGNING_KEY  (env/production/security.env; was read from the shared env/security.env, left unchanged; old value kept in SESSION_SIGNING_KEY_PREVIOUS)"),
        "{err}"
    );
    let providers = err.split("at their providers").nth(1).unwrap_or_default();
    assert!(
        providers.contains("EMAIL_HOST_PASSWORD  (env/mail.env; shared by every environment)"),
        "{err}"
    );
    // production now has its own value, kept with the old one in its own
    // (encrypted) file; the shared file and development are untouched.
    let new = get(p, "SESSION_SIGNING_KEY");
    assert_ne!(new, SHARED_JWT);
    assert_eq!(get(p, "SESSION_SIGNING_KEY_PREVIOUS"), SHARED_JWT);
    assert_eq!(
        std::fs::read_to_string(p.join("env/security.env")).unwrap(),
        shared_before
    );
    assert_eq!(dev("SESSION_SIGNING_KEY"), SHARED_JWT);
    let own = std::fs::read_to_string(p.join("env/production/security.env")).unwrap();
    assert!(own.contains("SESSION_SIGNING_KEY=envward:v1:"), "{own}");
    assert!(!own.contains(&new) && !own.contains("SENTINEL"), "{own}");
    p.run(&["list", "-e", "production"]).ok();
    // The rollover ends: production stops accepting the old value, which
    // the shared file still holds under its own file.
    p.run(&[
        "rotate",
        "--finish",
        "SESSION_SIGNING_KEY",
        "-e",
        "production",
    ])
    .ok();
    assert_eq!(get(p, "SESSION_SIGNING_KEY_PREVIOUS"), "");
    assert_eq!(
        dev("SESSION_SIGNING_KEY_PREVIOUS"),
        format!("{SHARED_JWT}-older")
    );

    // A second rotation, after a leak: the value is production's own now,
    // rotated in place, and no old value is kept.
    let run = p
        .run(&["rotate", "--all-sensitive", "-e", "production", "--no-keep"])
        .ok();
    assert!(
        run.stderr().contains("rotated 3 secrets"),
        "{}",
        run.stderr()
    );
    assert!(
        !run.stderr().contains("was read from the shared"),
        "{}",
        run.stderr()
    );
    assert_ne!(get(p, "SESSION_SIGNING_KEY"), new);
    // Removing production's SESSION_SIGNING_KEY_PREVIOUS would let the
    // shared file's old value through: it is emptied instead.
    assert_eq!(get(p, "SESSION_SIGNING_KEY_PREVIOUS"), "");
    // JWT_SIGNING_KEY_PREVIOUS has nothing under it: removed.
    p.run(&["get", "JWT_SIGNING_KEY_PREVIOUS", "-e", "production"])
        .expect_code(2);
}

#[test]
fn all_sensitive_without_keep_hides_old_values_a_shared_file_keeps() {
    let s = setup("");
    let p = &s.p;
    std::fs::write(
        p.join("env/security.env"),
        "SESSION_SIGNING_KEY=SENTINEL-shared-Zx4Cv7Bn2Mq9Wl5Ke8Rt3Yu6Io1Pa0Sd\nSESSION_SIGNING_KEY_PREVIOUS=SENTINEL-leaked-Qw1Er2Ty3Ui4Op5As6Df7Gh8Jk9Lz0Xc\n",
    )
    .unwrap();
    p.run(&["encrypt", "-e", "production", "env/security.env"])
        .ok();
    let run = p
        .run(&["rotate", "--all-sensitive", "-e", "production", "--no-keep"])
        .ok();
    no_sentinel(&run, &[]);
    // The leaked old value stays in the shared file for the other
    // environments, but production no longer reads it.
    assert_eq!(get(p, "SESSION_SIGNING_KEY_PREVIOUS"), "");
    assert!(!get(p, "SESSION_SIGNING_KEY").contains("SENTINEL"));
}
