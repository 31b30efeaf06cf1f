//! An encrypted environment reads exactly as its plaintext: the values,
//! references between them, `KEY_FILE`s and where each value is defined.
//! An encrypted file whose decrypted values are all bare is used as it is
//! read (no decrypted document parsed again); one with a quoted value,
//! a reference or an encrypted `KEY_FILE` path is decrypted into a
//! document parsed again. Both ways give the same answers.

use crate::harness::Project;

/// Bare values only (and a reference to one from a plaintext file).
const BARE: &str = "# bare values\nHOST=db.internal\nDB_PASSWORD=SENTINEL-bare-pw-51f0 # rotated\nEMPTY=\nUNICODE=ünïcødé✓日本\nODD=a=b:c/d@e%f+g,h~i*j!k?l^m\nexport EXPORTED=yes\n";
/// Values that need the parser: quotes, escapes, a reference, blanks.
const QUOTED: &str = "API_TOKEN=\"SENTINEL quoted token 9a1\"\nSINGLE='it is $literal'\nESCAPED=\"line1\\nline2\"\nURL=\"postgres://app:${DB_PASSWORD}@${HOST}/app\"\nPLAIN_TOO=simple\n";
/// An encrypted `KEY_FILE` path.
const FILES: &str = "CERT_FILE=cert.pem\nOTHER=x\n";
const DERIVED: &str = "DSN=redis://${HOST}:6379/0\n";

fn project(encrypted: bool) -> (Project, Option<tempfile::TempDir>) {
    let mut p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = false\n",
        ),
        ("env/production/bare.env", BARE),
        ("env/production/quoted.env", QUOTED),
        ("env/production/files.env", FILES),
        ("env/production/derived.env", DERIVED),
        ("env/production/cert.pem", "SENTINEL-cert-contents\n"),
    ]);
    if !encrypted {
        return (p, None);
    }
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    p = p.env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let recipient = p.keygen(&identity);
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    for ns in ["bare", "quoted", "files"] {
        p.run(&[
            "encrypt",
            "-e",
            "production",
            "--all",
            &format!("env/production/{ns}.env"),
        ])
        .ok();
    }
    (p, Some(keys))
}

/// Each key's origin (file, line, column), from `list --format json`.
fn origins(p: &Project) -> Vec<(String, String, u64, u64)> {
    let list = p
        .run(&["list", "-e", "production", "--format", "json"])
        .ok()
        .json();
    list["vars"]
        .as_array()
        .expect("list --format json gives the variables")
        .iter()
        .map(|v| {
            let o = &v["origin"];
            (
                v["key"].as_str().unwrap().to_string(),
                o["path"].as_str().unwrap_or("").to_string(),
                o["line"].as_u64().unwrap_or(0),
                o["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn an_encrypted_environment_exports_what_its_plaintext_does() {
    let (plain, _) = project(false);
    let (enc, _keys) = project(true);
    for ns in ["bare", "quoted", "files"] {
        let text = std::fs::read_to_string(enc.join(&format!("env/production/{ns}.env"))).unwrap();
        assert!(text.starts_with("# envward:v1 production/"), "{ns}: {text}");
        assert!(!text.contains("SENTINEL"), "{ns}: {text}");
    }
    let export = |p: &Project, format: &str| {
        p.run(&["export", "-e", "production", "--format", format])
            .ok()
            .stdout()
    };
    let json = export(&enc, "json");
    assert_eq!(json, export(&plain, "json"));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["DB_PASSWORD"], "SENTINEL-bare-pw-51f0");
    assert_eq!(v["UNICODE"], "ünïcødé✓日本");
    assert_eq!(v["EMPTY"], "");
    assert_eq!(v["API_TOKEN"], "SENTINEL quoted token 9a1");
    assert_eq!(v["SINGLE"], "it is $literal");
    assert_eq!(v["ESCAPED"], "line1\nline2");
    // References into and out of both kinds of encrypted file.
    assert_eq!(
        v["URL"],
        "postgres://app:SENTINEL-bare-pw-51f0@db.internal/app"
    );
    assert_eq!(v["DSN"], "redis://db.internal:6379/0");
    // An encrypted KEY_FILE path is still read relative to its file.
    assert_eq!(v["CERT"], "SENTINEL-cert-contents");
    assert_eq!(export(&enc, "dotenv"), export(&plain, "dotenv"));
    // Each key is defined at the same place either way: the same file and
    // column, its line moved down by the header envward put on top.
    let header_lines = |path: &str| {
        let text = std::fs::read_to_string(enc.join(path)).unwrap();
        text.lines()
            .take_while(|l| l.starts_with("# envward:"))
            .count() as u64
    };
    let (a, b) = (origins(&enc), origins(&plain));
    assert_eq!(a.len(), b.len());
    assert_eq!(a.len(), 14, "{a:?}");
    for ((ka, pa, la, ca), (kb, pb, lb, cb)) in a.iter().zip(&b) {
        assert_eq!((ka, pa, ca), (kb, pb, cb));
        // (CERT comes from a file: no line.)
        if *lb > 0 {
            assert_eq!(*la, lb + header_lines(pa), "{ka} in {pa}");
        }
    }
}

#[test]
fn listing_an_encrypted_environment_shows_no_value() {
    let (enc, _keys) = project(true);
    for args in [
        &["list", "-e", "production"][..],
        &["list", "-e", "production", "--format", "json"][..],
        &["explain", "DB_PASSWORD", "-e", "production"][..],
        &["explain", "API_TOKEN", "-e", "production"][..],
    ] {
        let out = enc.run(args).ok();
        assert!(
            !out.stdout().contains("SENTINEL") && !out.stderr().contains("SENTINEL"),
            "{args:?}: {}{}",
            out.stdout(),
            out.stderr()
        );
    }
}
