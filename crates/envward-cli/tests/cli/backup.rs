//! `envward backup`: archives with a manifest of hashes, plaintext secrets
//! refused, encrypted archives, retention, verification of tampered
//! archives, safe restore, and hostile archives crafted here (absolute
//! paths, `..`, links, devices, FIFOs, duplicates, unlisted entries).

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::harness::{Project, mode};

const PROD_SECRET: &str = "SENTINEL-backup-prod-key-7Hq2Lw9Xv4Rt8Zp1Nc6Ym3Bd5Fg0Js";
const PLAIN_TOKEN: &str = "SENTINEL-backup-plain-token-4Kd8Wm2Qz6";

/// A project whose production is encrypted to an identity outside it, and
/// whose development holds no secret.
struct Encrypted {
    p: Project,
    _keys: tempfile::TempDir,
    recipient: String,
}

fn encrypted() -> Encrypted {
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n[environments.development]\n",
        ),
        (
            "env/production/security.env",
            &format!("DEBUG=False\nSECRET_KEY={PROD_SECRET}\n"),
        ),
        ("env/development/common.env", "DEBUG=True\nPORT=8000\n"),
        ("env/common.env", "APP_NAME=shop\n"),
    ])
    .env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let recipient = p.keygen(&identity);
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    p.run(&["encrypt", "-e", "production"]).ok();
    Encrypted {
        p,
        _keys: keys,
        recipient,
    }
}

/// A project with a secret in clear.
fn plaintext() -> Project {
    Project::with(&[
        ("envward.toml", "[environments.production]\n"),
        (
            ".env.production",
            &format!("DEBUG=False\nAPI_TOKEN={PLAIN_TOKEN}\n"),
        ),
        (".env", "APP_NAME=shop\n"),
        (".env.example", "API_TOKEN=change-me\nSECRET_KEY=\n"),
    ])
}

fn backups(p: &Project) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(p.join(".envward/backups"))
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .starts_with("envward-backup-")
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The decompressed tar stream of an unencrypted backup.
fn tar_bytes(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn assert_no_sentinel(run: &crate::harness::Run) {
    for s in [run.stdout(), run.stderr()] {
        assert!(!s.contains("SENTINEL"), "a secret value was printed:\n{s}");
    }
}

#[test]
fn create_archives_files_with_a_manifest_and_keeps_encrypted_files_encrypted() {
    let e = encrypted();
    let p = &e.p;
    let run = p.run(&["backup", "create"]).ok();
    assert_no_sentinel(&run);
    let path = PathBuf::from(run.stdout().trim());
    assert!(path.starts_with(p.join(".envward/backups")), "{path:?}");
    assert_eq!(mode(&path), 0o600);
    assert!(run.stderr().contains("4 files"), "{}", run.stderr());
    // Backups never reach git.
    assert!(
        std::fs::read_to_string(p.join(".envward/backups/.gitignore"))
            .unwrap()
            .contains('*')
    );
    let tar = tar_bytes(&path);
    let text = String::from_utf8_lossy(&tar);
    assert!(
        !text.contains(PROD_SECRET),
        "the archive holds the secret in clear"
    );
    assert!(
        text.contains("envward:v1:"),
        "the encrypted file is archived as it is"
    );
    // The manifest comes first and lists every file with its hash.
    let mut archive = tar::Archive::new(&tar[..]);
    let mut entries = archive.entries().unwrap();
    let mut first = entries.next().unwrap().unwrap();
    assert_eq!(first.path().unwrap().to_str().unwrap(), "manifest.json");
    let mut manifest = String::new();
    first.read_to_string(&mut manifest).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "env/common.env",
            "env/development/common.env",
            "env/production/security.env",
            "envward.toml"
        ]
    );
    let security = std::fs::read(p.join("env/production/security.env")).unwrap();
    let f = &manifest["files"][2];
    assert_eq!(f["sha256"], envward::ops::backup::sha256_hex(&security));
    assert_eq!(f["size"], security.len());
    assert!(f["mode"].as_u64().is_some());

    p.run(&["backup", "verify", path.to_str().unwrap()]).ok();
    let list = p.run(&["backup", "list", "--format", "json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["files"], 4);
    assert!(list[0]["created"].as_str().unwrap().starts_with("20"));
    let text = p.run(&["backup", "list"]).ok().stdout();
    assert!(text.contains("4 files"), "{text}");
}

#[test]
fn rotation_records_are_part_of_the_backup_and_backups_are_not() {
    let e = encrypted();
    let p = &e.p;
    p.run(&[
        "set",
        "SECRET_KEY",
        "-e",
        "production",
        "SENTINEL-new-key-9c8b7a6d5e4f3a2b1c0d9e8f7a",
    ])
    .ok();
    assert!(p.join(".envward/rotations.jsonl").is_file());
    p.run(&["backup", "create"]).ok();
    let second = p.run(&["backup", "create"]).ok();
    let tar = tar_bytes(Path::new(second.stdout().trim()));
    let text = String::from_utf8_lossy(&tar);
    assert!(text.contains("files/.envward/rotations.jsonl"));
    assert!(
        !text.contains("envward-backup-"),
        "a backup holds no other backup"
    );
}

#[test]
fn plaintext_secrets_are_refused_naming_the_files() {
    let p = plaintext();
    let run = p.run(&["backup", "create"]).expect_code(2);
    assert_no_sentinel(&run);
    let err = run.stderr();
    assert!(err.contains(".env.production"), "{err}");
    // A placeholder in .env.example is no secret; .env holds none.
    assert!(
        !err.contains(".env.example") && !err.contains(".env,"),
        "{err}"
    );
    assert!(
        err.contains("--encrypt-to") && err.contains("--allow-plaintext"),
        "{err}"
    );
    assert!(backups(&p).is_empty(), "nothing is written");

    let run = p.run(&["backup", "create", "--allow-plaintext"]).ok();
    assert_no_sentinel(&run);
    assert!(run.stderr().contains("in clear"), "{}", run.stderr());
    let tar = tar_bytes(Path::new(run.stdout().trim()));
    assert!(String::from_utf8_lossy(&tar).contains(PLAIN_TOKEN));
}

#[test]
fn an_encrypted_archive_needs_an_identity_to_verify_and_restore() {
    let e = encrypted();
    let keys = tempfile::tempdir().unwrap();
    let other = keys.path().join("backup-id.txt");
    let p = plaintext();
    let backup_recipient = p.keygen(&other);
    let out = p.join("offsite/prod.tar.gz.age");
    let run = p.run(&[
        "backup",
        "create",
        "--encrypt-to",
        &backup_recipient,
        "--output",
        out.to_str().unwrap(),
    ]);
    // The directory of --output must exist: it is not created.
    run.expect_code(2);
    std::fs::create_dir_all(p.join("offsite")).unwrap();
    let run = p
        .run(&[
            "backup",
            "create",
            "--encrypt-to",
            &backup_recipient,
            "--output",
            out.to_str().unwrap(),
        ])
        .ok();
    assert_no_sentinel(&run);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    assert!(!String::from_utf8_lossy(&bytes).contains(PLAIN_TOKEN));
    // No identity: exit 2 and a hint; with it: verified.
    let run = p
        .run(&["backup", "verify", out.to_str().unwrap()])
        .expect_code(2);
    assert!(run.stderr().contains("identity"), "{}", run.stderr());
    p.run(&[
        "backup",
        "verify",
        "-i",
        other.to_str().unwrap(),
        out.to_str().unwrap(),
    ])
    .ok();
    let to = p.join("restored");
    p.run(&[
        "backup",
        "restore",
        "-i",
        other.to_str().unwrap(),
        out.to_str().unwrap(),
        "--to",
        to.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(
        std::fs::read_to_string(to.join(".env.production")).unwrap(),
        std::fs::read_to_string(p.join(".env.production")).unwrap()
    );
    // A wrong recipient is refused before anything is written.
    let run =
        e.p.run(&["backup", "create", "--encrypt-to", "age1nope"])
            .expect_code(2);
    assert!(run.stderr().contains("--encrypt-to"), "{}", run.stderr());
    assert!(!e.recipient.is_empty());
}

#[test]
fn keep_removes_the_oldest_backups() {
    let e = encrypted();
    let p = &e.p;
    let mut made = Vec::new();
    for _ in 0..4 {
        made.push(PathBuf::from(
            p.run(&["backup", "create"]).ok().stdout().trim(),
        ));
    }
    let run = p.run(&["backup", "create", "--keep", "2"]).ok();
    made.push(PathBuf::from(run.stdout().trim()));
    assert_eq!(backups(p), made[3..].to_vec());
    assert!(
        run.stderr().matches("removed").count() == 3,
        "{}",
        run.stderr()
    );
}

/// Rewrites an archive entry by entry: `edit` may change the name, data
/// or drop an entry (`None`).
fn rewrite(
    src: &Path,
    dst: &Path,
    mut edit: impl FnMut(&str, Vec<u8>) -> Option<(String, Vec<u8>)>,
) {
    let tar = tar_bytes(src);
    let mut archive = tar::Archive::new(&tar[..]);
    let out = std::fs::File::create(dst).unwrap();
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let mut builder = tar::Builder::new(gz);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_str().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if let Some((name, data)) = edit(&name, data) {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o600);
            h.set_entry_type(tar::EntryType::Regular);
            builder.append_data(&mut h, name, &data[..]).unwrap();
        }
    }
    builder.into_inner().unwrap().finish().unwrap();
}

#[test]
fn verify_names_a_changed_or_missing_file() {
    let e = encrypted();
    let p = &e.p;
    let good = PathBuf::from(p.run(&["backup", "create"]).ok().stdout().trim());
    let bad = p.join("bad.tar.gz");
    rewrite(&good, &bad, |name, mut data| {
        if name == "files/env/common.env" {
            data.extend_from_slice(b"EVIL=1\n");
        }
        Some((name.to_string(), data))
    });
    let run = p
        .run(&["backup", "verify", bad.to_str().unwrap()])
        .expect_code(1);
    assert!(run.stderr().contains("env/common.env"), "{}", run.stderr());
    // Same size, other bytes: the hash catches it.
    rewrite(&good, &bad, |name, mut data| {
        if name == "files/env/development/common.env" {
            data[0] = b'X';
        }
        Some((name.to_string(), data))
    });
    let run = p
        .run(&["backup", "verify", bad.to_str().unwrap()])
        .expect_code(1);
    let err = run.stderr();
    assert!(
        err.contains("env/development/common.env") && err.contains("SHA-256"),
        "{err}"
    );
    rewrite(&good, &bad, |name, data| {
        (name != "envward.toml" && name != "files/envward.toml").then(|| (name.to_string(), data))
    });
    let run = p
        .run(&["backup", "verify", bad.to_str().unwrap()])
        .expect_code(1);
    assert!(
        run.stderr().contains("envward.toml: is missing"),
        "{}",
        run.stderr()
    );
    // Truncated: damaged, exit 1.
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() / 2]).unwrap();
    p.run(&["backup", "verify", bad.to_str().unwrap()])
        .expect_code(1);
    // Not a backup at all: exit 2.
    std::fs::write(&bad, "hello").unwrap();
    let run = p
        .run(&["backup", "verify", bad.to_str().unwrap()])
        .expect_code(2);
    assert!(
        run.stderr().contains("not an envward backup"),
        "{}",
        run.stderr()
    );
    // A restore of a bad archive writes nothing.
    rewrite(&good, &bad, |name, mut data| {
        if name == "files/env/common.env" {
            data.extend_from_slice(b"EVIL=1\n");
        }
        Some((name.to_string(), data))
    });
    let to = p.join("out");
    p.run(&[
        "backup",
        "restore",
        bad.to_str().unwrap(),
        "--to",
        to.to_str().unwrap(),
    ])
    .expect_code(1);
    assert!(!to.exists());
}

#[test]
fn restore_keeps_changed_files_unless_forced_and_shows_what_would_change() {
    let e = encrypted();
    let p = &e.p;
    let security = std::fs::read(p.join("env/production/security.env")).unwrap();
    std::fs::set_permissions(
        p.join("env/production/security.env"),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    let file = PathBuf::from(p.run(&["backup", "create"]).ok().stdout().trim());
    let file = file.to_str().unwrap();
    // After the backup: one file changed, one removed, one added.
    p.run(&["set", "PORT", "9000", "-e", "development"]).ok();
    std::fs::remove_file(p.join("env/common.env")).unwrap();
    p.write("env/development/extra.env", "EXTRA=1\n");
    std::fs::remove_file(p.join("env/production/security.env")).unwrap();

    let run = p.run(&["backup", "restore", file, "--dry-run"]).ok();
    assert_no_sentinel(&run);
    let out = run.stdout();
    assert!(out.contains("create   env/common.env"), "{out}");
    assert!(
        out.contains("create   env/production/security.env"),
        "{out}"
    );
    assert!(out.contains("changed  env/development/common.env"), "{out}");
    assert!(out.contains("same     envward.toml"), "{out}");
    assert!(out.contains("keep     env/development/extra.env"), "{out}");
    assert!(
        !p.join("env/common.env").exists(),
        "--dry-run writes nothing"
    );

    let run = p.run(&["backup", "restore", file]).expect_code(2);
    assert!(
        run.stderr().contains("env/development/common.env"),
        "{}",
        run.stderr()
    );
    assert!(
        !p.join("env/common.env").exists(),
        "a refused restore writes nothing"
    );

    let run = p.run(&["backup", "restore", file, "--force"]).ok();
    assert_no_sentinel(&run);
    assert!(
        run.stderr().contains("2 created, 1 replaced"),
        "{}",
        run.stderr()
    );
    assert_eq!(
        std::fs::read(p.join("env/production/security.env")).unwrap(),
        security
    );
    assert_eq!(
        mode(&p.join("env/production/security.env")),
        0o640,
        "the mode is restored"
    );
    let dev = std::fs::read_to_string(p.join("env/development/common.env")).unwrap();
    assert!(dev.contains("PORT=8000"), "{dev}");
    assert!(
        p.join("env/development/extra.env").exists(),
        "files not in the backup are kept"
    );
    // The restored project loads and decrypts.
    let got = p.run(&["get", "SECRET_KEY", "-e", "production"]).ok();
    assert_eq!(got.stdout().trim(), PROD_SECRET);
    // The restore is in the audit log, which no backup holds (a restore
    // never rewinds it), and the chain still verifies.
    let log = std::fs::read_to_string(p.join(".envward/audit.log")).unwrap();
    assert!(log.contains("\"command\":\"backup restore\""), "{log}");
    assert!(
        log.contains("\"command\":\"set\""),
        "entries before the restore kept: {log}"
    );
    p.run(&["log", "verify"]).ok();
    // No temporary directory is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(p.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("envward-restore"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

// ------------------------------------------------------------ hostile archives

/// One entry of a crafted archive.
struct Crafted<'a> {
    name: &'a [u8],
    kind: tar::EntryType,
    data: &'a [u8],
    link: Option<&'a str>,
}

fn regular<'a>(name: &'a str, data: &'a [u8]) -> Crafted<'a> {
    Crafted {
        name: name.as_bytes(),
        kind: tar::EntryType::Regular,
        data,
        link: None,
    }
}

/// A backup with a manifest listing `listed` (path, data) and the entries
/// given, names written raw (the tar crate refuses `..` and absolute paths
/// through its safe setters).
fn craft(path: &Path, listed: &[(&str, &[u8])], entries: &[Crafted<'_>]) {
    let files: Vec<serde_json::Value> = listed
        .iter()
        .map(|(p, d)| {
            serde_json::json!({
                "path": p, "size": d.len(), "mode": 0o644,
                "sha256": envward::ops::backup::sha256_hex(d),
            })
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "format": "envward-backup", "version": 1, "created": "2026-12-04T10:00:00Z",
        "envward": "0.1.0", "files": files,
    }))
    .unwrap();
    let out = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    let mut all = vec![regular("manifest.json", &manifest)];
    all.extend(entries.iter().map(|e| Crafted {
        name: e.name,
        kind: e.kind,
        data: e.data,
        link: e.link,
    }));
    for e in all {
        let mut h = tar::Header::new_old();
        {
            let name = &mut h.as_old_mut().name;
            name[..e.name.len()].copy_from_slice(e.name);
        }
        h.set_entry_type(e.kind);
        h.set_size(e.data.len() as u64);
        h.set_mode(0o644);
        if let Some(l) = e.link {
            let link = &mut h.as_old_mut().linkname;
            link[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_cksum();
        b.append(&h, e.data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap();
}

/// Restoring `entries` (with `listed` in the manifest) fails with exit 1,
/// names `expect` and writes nothing, neither into the target nor next
/// to it.
#[track_caller]
fn refused(listed: &[(&str, &[u8])], entries: &[Crafted<'_>], expect: &str) {
    let p = Project::with(&[("envward.toml", "")]);
    let archive = p.join("hostile.tar.gz");
    craft(&archive, listed, entries);
    let base = tempfile::tempdir().unwrap();
    let to = base.path().join("target");
    let run = p
        .run(&[
            "backup",
            "restore",
            archive.to_str().unwrap(),
            "--to",
            to.to_str().unwrap(),
        ])
        .expect_code(1);
    assert!(
        run.stderr().contains(expect),
        "expected `{expect}` in:\n{}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("nothing was restored"),
        "{}",
        run.stderr()
    );
    let left: Vec<_> = std::fs::read_dir(base.path()).unwrap().collect();
    assert!(left.is_empty(), "something was written: {left:?}");
    assert!(!base.path().join("evil").exists() && !Path::new("/tmp/envward-evil").exists());
    // Into an existing project: nothing changes either.
    let before = std::fs::read_dir(p.path()).unwrap().count();
    p.run(&["backup", "restore", archive.to_str().unwrap(), "--force"])
        .expect_code(1);
    assert_eq!(std::fs::read_dir(p.path()).unwrap().count(), before);
    p.run(&["backup", "verify", archive.to_str().unwrap()])
        .expect_code(1);
}

const OK: &[u8] = b"A=1\n";

#[test]
fn hostile_absolute_path() {
    refused(
        &[("env/common.env", OK)],
        &[
            regular("files/env/common.env", OK),
            regular("/tmp/envward-evil", b"x"),
        ],
        "/tmp/envward-evil: is an absolute path",
    );
    // Listed in the manifest too.
    refused(
        &[("/tmp/envward-evil", OK)],
        &[regular("files//tmp/envward-evil", OK)],
        "absolute path",
    );
}

#[test]
fn hostile_dot_dot() {
    refused(
        &[("env/common.env", OK)],
        &[
            regular("files/env/common.env", OK),
            regular("files/../../evil", b"x"),
        ],
        "files/../../evil: has a `..` component",
    );
    refused(&[("../evil", OK)], &[regular("files/../evil", OK)], "`..`");
}

#[test]
fn hostile_symlink_and_hard_link() {
    let link = |kind, name: &'static str| Crafted {
        name: name.as_bytes(),
        kind,
        data: b"",
        link: Some("/etc/passwd"),
    };
    refused(
        &[("env/common.env", OK)],
        &[link(tar::EntryType::Symlink, "files/env/common.env")],
        "files/env/common.env: is a symbolic link",
    );
    refused(
        &[("env/common.env", OK)],
        &[link(tar::EntryType::Link, "files/env/common.env")],
        "is a hard link",
    );
}

#[test]
fn hostile_devices_and_fifos() {
    for (kind, what) in [
        (tar::EntryType::Char, "is a device file"),
        (tar::EntryType::Block, "is a device file"),
        (tar::EntryType::Fifo, "is a FIFO"),
    ] {
        refused(
            &[("env/common.env", OK)],
            &[Crafted {
                name: b"files/env/common.env",
                kind,
                data: b"",
                link: None,
            }],
            what,
        );
    }
}

#[test]
fn hostile_duplicate_entries() {
    refused(
        &[("env/common.env", OK)],
        &[
            regular("files/env/common.env", OK),
            regular("files/env/common.env", b"B=2\n"),
        ],
        "files/env/common.env: appears twice",
    );
}

#[test]
fn hostile_entry_not_in_the_manifest() {
    refused(
        &[("env/common.env", OK)],
        &[
            regular("files/env/common.env", OK),
            regular("files/.bashrc", b"evil"),
        ],
        "files/.bashrc: is not in the manifest",
    );
    // A manifest that is not first is no manifest.
    let p = Project::with(&[("envward.toml", "")]);
    let archive = p.join("x.tar.gz");
    {
        let out = std::fs::File::create(&archive).unwrap();
        let gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(4);
        h.set_mode(0o644);
        b.append_data(&mut h, "files/env/common.env", OK).unwrap();
        b.into_inner().unwrap().finish().unwrap();
    }
    let run = p
        .run(&["backup", "verify", archive.to_str().unwrap()])
        .expect_code(1);
    assert!(
        run.stderr().contains("not the manifest"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_crafted_archive_that_is_well_formed_restores() {
    // The crafting helper itself makes archives envward accepts: the
    // refusals above are about the entries, not the helper.
    let p = Project::with(&[("envward.toml", "")]);
    let archive = p.join("fine.tar.gz");
    craft(
        &archive,
        &[("env/common.env", OK)],
        &[regular("files/env/common.env", OK)],
    );
    let to = p.join("t");
    p.run(&[
        "backup",
        "restore",
        archive.to_str().unwrap(),
        "--to",
        to.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(std::fs::read(to.join("env/common.env")).unwrap(), OK);
}
