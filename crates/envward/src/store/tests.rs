use std::collections::BTreeMap;
use std::path::Path;

use super::*;

fn options(dir: &Path, env: &str, process: BTreeMap<String, String>) -> LoadOptions {
    LoadOptions {
        project_dir: Some(dir.into()),
        environment: Some(env.into()),
        process_env: Some(process),
        ..Default::default()
    }
}

/// A project whose `production` is encrypted to a fresh identity; the
/// process environment that holds the identity.
fn encrypted_project(dir: &Path) -> BTreeMap<String, String> {
    let (identity, recipient) = crypto::generate_identity();
    std::fs::write(
        dir.join("envward.toml"),
        format!("[environments.production]\nrecipients = [\"{recipient}\"]\n"),
    )
    .unwrap();
    BTreeMap::from([("ENVWARD_IDENTITY".to_string(), identity.to_string())])
}

#[test]
fn set_in_plain_file_records_sensitive_changes_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&options(dir.path(), "development", BTreeMap::new()), "set").unwrap();
    let file = store.namespace_file().unwrap();
    let mut tx = store.edit(&file).unwrap();
    tx.set("PORT", "8000").unwrap();
    tx.keep_plain();
    tx.set("API_TOKEN", "t0ken-value").unwrap();
    tx.keep_plain();
    let done = tx.commit().unwrap();
    assert!(!done.encrypted);
    assert_eq!(
        done.changes,
        vec![
            Change {
                key: "PORT".into(),
                kind: ChangeKind::Added,
                sensitive: false
            },
            Change {
                key: "API_TOKEN".into(),
                kind: ChangeKind::Added,
                sensitive: true
            },
        ]
    );
    let records = rotation::load(dir.path());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].key, "API_TOKEN");
    assert_eq!(records[0].by, "set");

    // The same value again is no change and no record.
    let mut tx = store.edit(&file).unwrap();
    tx.set("API_TOKEN", "t0ken-value").unwrap();
    tx.keep_plain();
    assert!(tx.commit().unwrap().changes.is_empty());
    assert_eq!(rotation::load(dir.path()).len(), 1);
}

#[test]
fn a_sensitive_value_encrypts_the_file_and_needs_recipients() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&options(dir.path(), "development", BTreeMap::new()), "set").unwrap();
    let file = store.namespace_file().unwrap();
    let mut tx = store.edit(&file).unwrap();
    tx.set("SECRET_KEY", "s3cret-sentinel").unwrap();
    let err = tx.commit().unwrap_err();
    assert!(err.is_no_recipients(), "{err}");
    assert_eq!(err.kind(), crate::ErrorKind::Usage);
    // The library names no command: the next step is data for the caller.
    let d = err.diagnostic();
    assert_eq!(
        d.hint,
        Some(crate::diagnostic::Hint::AddRecipient {
            environment: "development".into()
        })
    );
    let text = d.render(false);
    assert!(!text.contains("`envward "), "{text}");
    assert!(text.contains("recipients"), "{text}");
    let worded = d.render_worded(false, &|_| "WORDED".to_string());
    assert!(worded.contains("help: WORDED"), "{worded}");
    assert!(!file.path.exists(), "a failed seal writes nothing");

    let process = encrypted_project(dir.path());
    let store = Store::open(&options(dir.path(), "production", process), "set").unwrap();
    let file = store.namespace_file().unwrap();
    let mut tx = store.edit(&file).unwrap();
    tx.set("SECRET_KEY", "s3cret-sentinel").unwrap();
    tx.set("DEBUG", "false").unwrap();
    assert!(tx.commit().unwrap().encrypted);
    let text = std::fs::read_to_string(&file.path).unwrap();
    assert!(!text.contains("s3cret-sentinel"));
    assert!(text.contains("DEBUG=false"));
    // Read back through the store: the plaintext.
    let plain = store.plaintext(&file).unwrap();
    assert_eq!(
        plain.get("SECRET_KEY").unwrap().template().as_literal(),
        Some("s3cret-sentinel")
    );
}

#[test]
fn a_failed_commit_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let process = encrypted_project(dir.path());
    let store = Store::open(&options(dir.path(), "production", process), "set").unwrap();
    let file = store.namespace_file().unwrap();
    let mut tx = store.edit(&file).unwrap();
    tx.set("API_TOKEN", "first").unwrap();
    tx.commit().unwrap();
    let before = std::fs::read(&file.path).unwrap();

    // Without an identity an encrypted file cannot be changed.
    let store = Store::open(&options(dir.path(), "production", BTreeMap::new()), "set").unwrap();
    let mut tx = store.edit(&file).unwrap();
    assert!(tx.is_encrypted());
    tx.set("API_TOKEN", "second").unwrap();
    assert!(tx.commit().is_err());
    assert_eq!(std::fs::read(&file.path).unwrap(), before);
}

#[test]
fn concurrent_commits_are_serialised() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let root = root.clone();
            std::thread::spawn(move || {
                let store =
                    Store::open(&options(&root, "development", BTreeMap::new()), "set").unwrap();
                let file = store.namespace_file().unwrap();
                for i in 0..10 {
                    let mut tx = store.edit(&file).unwrap();
                    tx.set(&format!("K_{t}_{i}"), "v").unwrap();
                    tx.commit().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let doc =
        Document::parse(&std::fs::read_to_string(root.join(".env.development")).unwrap()).unwrap();
    assert_eq!(doc.entries().len(), 80, "no update lost");
}

#[test]
fn recipients_change_checks_every_file_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let process = encrypted_project(dir.path());
    let store = Store::open(&options(dir.path(), "production", process.clone()), "set").unwrap();
    let file = store.namespace_file().unwrap();
    let mut tx = store.edit(&file).unwrap();
    tx.set("API_TOKEN", "first").unwrap();
    tx.commit().unwrap();
    // Tamper with the file: the change must be refused before anything
    // (envward.toml included) is written.
    let text = std::fs::read_to_string(&file.path).unwrap();
    std::fs::write(&file.path, format!("{text}EXTRA=1\n")).unwrap();
    let toml_before = std::fs::read_to_string(dir.path().join("envward.toml")).unwrap();
    let (_, other) = crypto::generate_identity();
    let err = store
        .change_recipients(&RecipientChange::Add(vec![other]))
        .unwrap_err();
    assert!(err.to_string().contains("MAC"), "{err}");
    assert_eq!(err.kind(), crate::ErrorKind::Tamper);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("envward.toml")).unwrap(),
        toml_before
    );
}

#[test]
fn replace_refuses_sealed_text() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&options(dir.path(), "development", BTreeMap::new()), "edit").unwrap();
    let file = store.namespace_file().unwrap();
    let mut tx = store.edit(&file).unwrap();
    let doc = Document::parse("# envward:v1 production/common\nA=1\n").unwrap();
    assert!(matches!(tx.replace(doc), Err(StoreError::SealedText)));
    let doc = Document::parse("A=envward:v1:abc\n").unwrap();
    assert!(matches!(tx.replace(doc), Err(StoreError::SealedText)));
}

#[test]
fn a_batch_writes_all_files_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("envward.toml"), "").unwrap();
    std::fs::create_dir_all(dir.path().join("env/production")).unwrap();
    std::fs::write(dir.path().join("env/production/a.env"), "A=1\n").unwrap();
    // b.env is a link to a file in another directory (written through).
    let target_dir = elsewhere.path().join("b");
    std::fs::create_dir_all(&target_dir).unwrap();
    std::fs::write(target_dir.join("b.env"), "B=1\n").unwrap();
    std::os::unix::fs::symlink(
        target_dir.join("b.env"),
        dir.path().join("env/production/b.env"),
    )
    .unwrap();
    let store = Store::open(
        &options(dir.path(), "production", BTreeMap::new()),
        "rotate",
    )
    .unwrap();
    let files = store.files(&[]).unwrap();
    assert_eq!(files.len(), 2);

    // Both change.
    let mut batch = store.edit_many(&files).unwrap();
    for tx in batch.transactions() {
        tx.set("C", "2").unwrap();
    }
    let done = batch.commit().unwrap();
    assert_eq!(done.len(), 2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("env/production/a.env")).unwrap(),
        "A=1\nC=2\n"
    );
    assert_eq!(
        std::fs::read_to_string(target_dir.join("b.env")).unwrap(),
        "B=1\nC=2\n"
    );

    // The second write fails (its directory is gone): the first is undone.
    let mut batch = store.edit_many(&files).unwrap();
    for tx in batch.transactions() {
        tx.set("C", "3").unwrap();
    }
    std::fs::remove_dir_all(&target_dir).unwrap();
    assert!(batch.commit().is_err());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("env/production/a.env")).unwrap(),
        "A=1\nC=2\n",
        "a.env is back as it was"
    );
}

#[test]
fn a_kept_old_value_is_encrypted_and_not_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let process = encrypted_project(dir.path());
    std::fs::write(dir.path().join(".env.production"), "").unwrap();
    let store = Store::open(&options(dir.path(), "production", process), "rotate").unwrap();
    let file = store.namespace_file().unwrap();
    let mut tx = store.edit(&file).unwrap();
    tx.set("SIGNING_KEY", "n3w-Value-0123456789abcdefghijklmnop")
        .unwrap();
    // A name that says nothing about secrets: encrypted all the same.
    tx.keep_old(
        "SIGNING_KEY",
        "OLD_ONES",
        "0ld-Value-0123456789abcdefghijklmnop",
    )
    .unwrap();
    tx.commit().unwrap();
    let text = std::fs::read_to_string(dir.path().join(".env.production")).unwrap();
    assert!(!text.contains("0ld-Value"), "{text}");
    assert!(text.contains("OLD_ONES=envward:v1:"), "{text}");
    let records = rotation::load(dir.path());
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].key, "SIGNING_KEY");
    assert_eq!(records[0].kept_in.as_deref(), Some("OLD_ONES"));
}
