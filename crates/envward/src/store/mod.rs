//! The one write path: every change to an environment's files goes
//! through a [`Store`] and its [`Transaction`]s.
//!
//! A transaction takes the directory lock of its file, reads the file and
//! decides *under the lock* whether it is encrypted, collects changes
//! (`set`, `unset`, whole-document replacement, encrypt, decrypt, rekey),
//! and on [`Transaction::commit`] re-seals when needed, writes atomically
//! (temporary file, fsync, rename; the mode kept, new files 0600) and
//! reports what changed. Change events go to one place: rotation records
//! (`.envward/rotations.jsonl`) and the audit log (`.envward/audit.log`,
//! one entry per commit, with the command and the keys touched), so a new
//! writer is logged by using the store.
//!
//! ```
//! use envward::LoadOptions;
//! use envward::store::Store;
//! let dir = tempfile::tempdir().unwrap();
//! let options = LoadOptions {
//!     project_dir: Some(dir.path().into()),
//!     environment: Some("development".into()),
//!     process_env: Some(Default::default()),
//!     ..Default::default()
//! };
//! let store = Store::open(&options, "set").unwrap();
//! let file = store.namespace_file().unwrap();
//! let mut tx = store.edit(&file).unwrap();
//! tx.set("PORT", "8000").unwrap();
//! let done = tx.commit().unwrap();
//! assert!(!done.encrypted);
//! assert_eq!(std::fs::read_to_string(dir.path().join(".env.development")).unwrap(), "PORT=8000\n");
//! ```

mod error;
mod recipients;
mod restore;
mod scratch;

pub use error::StoreError;
pub use recipients::{RecipientChange, RecipientsChanged};
pub use restore::{Restored, restore};
pub use scratch::Scratch;

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::crypto::{self, CryptoError, Identities, KeyPolicy, PassphrasePrompt, Scope};
use crate::dotenv::{Document, Entry};
use crate::fs::DirLock;
use crate::layout::{COMMON, EnvFile, Layout};
use crate::ops::audit;
use crate::ops::rotation::{self, Rotation};
use crate::resolve::{LoadOptions, Project};

/// One environment of a project, opened for changing its files.
pub struct Store {
    project: Project,
    layout: Layout,
    environment: String,
    namespace: Option<String>,
    process: BTreeMap<String, String>,
    identity_files: Vec<PathBuf>,
    prompt: Option<PassphrasePrompt>,
    identities: OnceCell<Identities>,
    command: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.project.root)
            .field("environment", &self.environment)
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the project and the environment `options` select (the same
    /// choice as for reading: [`Project::environment`]). `command` names
    /// what changes the files (`set`, `edit`, …) in rotation records.
    pub fn open(options: &LoadOptions, command: &str) -> Result<Store, StoreError> {
        let project = Project::open(options.project_dir.as_deref())?;
        let process = options.process_env();
        let environment = project.environment(options.environment.as_deref(), &process)?;
        let layout = Layout::detect(&project.root, &project.file.layout);
        Ok(Store {
            project,
            layout,
            environment,
            namespace: options.namespace.clone(),
            process,
            identity_files: options.identities.clone(),
            prompt: options.passphrase_prompt.clone(),
            identities: OnceCell::new(),
            command: command.to_string(),
        })
    }

    /// The project.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The environment's canonical name.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The environment's own file of the selected namespace (`common` when
    /// none was selected), whether it exists or not: where `set` writes.
    pub fn namespace_file(&self) -> Result<EnvFile, StoreError> {
        let ns = self.namespace.as_deref().unwrap_or(COMMON);
        self.layout
            .target_file(&self.environment, ns)
            .map_err(StoreError::Layout)
    }

    /// The environment's own file of namespace `ns`, whether it exists or
    /// not (where a key the schema puts in `ns` is written).
    pub fn file_in_namespace(&self, ns: &str) -> Result<EnvFile, StoreError> {
        self.layout
            .target_file(&self.environment, ns)
            .map_err(StoreError::Layout)
    }

    fn all_files(&self) -> Result<Vec<EnvFile>, StoreError> {
        let mut files = self
            .layout
            .files(&self.environment)
            .map_err(|source| StoreError::Io {
                path: self.project.root.clone(),
                source,
            })?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// Where a change of `key` goes when no namespace was selected: the
    /// file its effective value comes from (the highest-precedence file of
    /// the environment that defines it, a local override or a shared file
    /// included), else [`Store::namespace_file`]. With a namespace
    /// selected, always that namespace's file.
    pub fn file_for_key(&self, key: &str) -> Result<EnvFile, StoreError> {
        if self.namespace.is_some() {
            return self.namespace_file();
        }
        let precedence = &self.project.file.resolve.precedence;
        let mut defining: Vec<(usize, bool, EnvFile)> = Vec::new();
        for f in self.all_files()? {
            let Some(layer) = precedence.iter().position(|&p| p == f.layer) else {
                continue;
            };
            // Most files do not mention the key at all: only those that do
            // are parsed.
            let bytes = std::fs::read(&f.path).map_err(|source| StoreError::Io {
                path: f.display.clone(),
                source,
            })?;
            if memchr::memmem::find(&bytes, key.as_bytes()).is_none() {
                continue;
            }
            let doc = Document::parse_vec(bytes)
                .map_err(|e| StoreError::Load(crate::LoadError::from(e.with_path(&f.display))))?;
            if doc.get(key).is_some() {
                defining.push((layer, f.namespace == COMMON, f));
            }
        }
        defining.sort_by(|a, b| {
            (a.0, a.1, &a.2.namespace, a.2.rank).cmp(&(b.0, b.1, &b.2.namespace, b.2.rank))
        });
        match defining.into_iter().next() {
            Some((_, _, f)) => Ok(f),
            None => self.namespace_file(),
        }
    }

    /// The files `named` (each must be a file of the environment), or,
    /// when none is named, every file of the environment's own (not the
    /// shared ones), sorted by path.
    pub fn files(&self, named: &[PathBuf]) -> Result<Vec<EnvFile>, StoreError> {
        let all = self.all_files()?;
        if named.is_empty() {
            return Ok(all.into_iter().filter(|f| !f.shared).collect());
        }
        named
            .iter()
            .map(|name| {
                let wanted = std::fs::canonicalize(name).unwrap_or_else(|_| name.clone());
                all.iter()
                    .find(|f| std::fs::canonicalize(&f.path).is_ok_and(|p| p == wanted))
                    .cloned()
                    .ok_or_else(|| StoreError::NotInEnvironment {
                        path: name.clone(),
                        environment: self.environment.clone(),
                    })
            })
            .collect()
    }

    /// The files of the shared layer (`.env`, `env/<namespace>.env`) the
    /// environment reads, existing ones only, sorted by path. Local
    /// overrides (`.env.local`) are not among them.
    pub fn shared_files(&self) -> Result<Vec<EnvFile>, StoreError> {
        Ok(self
            .all_files()?
            .into_iter()
            .filter(|f| f.shared && f.layer == crate::Layer::Shared && f.path.exists())
            .collect())
    }

    /// Whether a file of the shared layer sets `key` (keys are in clear
    /// in encrypted files too: nothing is decrypted).
    fn shared_sets(&self, key: &str) -> Result<bool, StoreError> {
        for f in self.shared_files()? {
            if let Some(doc) = read_doc(&f)?
                && doc.get(key).is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Encrypted files whose recipients come from this environment: its
    /// own, and the shared ones (their recipients are every
    /// environment's), each with its header (read once). Sorted by path.
    pub fn encrypted_files(&self) -> Result<Vec<(EnvFile, crypto::Header)>, StoreError> {
        let mut out = Vec::new();
        for f in self.all_files()? {
            if let Some(doc) = read_doc(&f)?
                && let Some(h) = header(&f, &doc)?
            {
                out.push((f, h));
            }
        }
        Ok(out)
    }

    /// The scope a file is sealed to.
    pub fn scope(&self, file: &EnvFile) -> Scope {
        file.scope(&self.environment)
    }

    /// The recipients a file is sealed to (from `envward.toml`).
    pub fn recipients(&self, file: &EnvFile) -> Vec<String> {
        self.project.file.recipients(&self.scope(file).environment)
    }

    /// The recipients a file is sealed to; an error when there is none.
    pub fn sealing_recipients(&self, file: &EnvFile) -> Result<Vec<String>, StoreError> {
        let recipients = self.recipients(file);
        if recipients.is_empty() {
            return Err(crypto_error(
                file,
                CryptoError::NoRecipients(self.scope(file).to_string()),
            ));
        }
        Ok(recipients)
    }

    /// The environment's own recipients.
    pub fn own_recipients(&self) -> Vec<String> {
        self.project.file.recipients(&self.environment)
    }

    /// The identities, loaded on first use: writing a file that is not
    /// encrypted needs none (and asks for no passphrase).
    pub fn identities(&self) -> Result<&Identities, StoreError> {
        if let Some(ids) = self.identities.get() {
            return Ok(ids);
        }
        let ids = Identities::load_with(&self.identity_files, &self.process, self.prompt.as_ref())
            .map_err(|e| StoreError::Crypto(Box::new(e)))?;
        Ok(self.identities.get_or_init(|| ids))
    }

    /// The plaintext of `file` (decrypted when encrypted), read without a
    /// lock: for showing it, not for writing it back.
    pub fn plaintext(&self, file: &EnvFile) -> Result<Document, StoreError> {
        let doc = read_doc(file)?.ok_or_else(|| StoreError::Missing {
            path: file.display.clone(),
        })?;
        self.decrypt(file, &doc)
    }

    fn decrypt(&self, file: &EnvFile, doc: &Document) -> Result<Document, StoreError> {
        if header(file, doc)?.is_none() {
            return Ok(doc.clone());
        }
        crypto::decrypt_document(doc, &self.scope(file), self.identities()?)
            .map_err(|e| crypto_error(file, e))
    }

    /// [`Store::edit`] of a file that must exist: an error (and no
    /// directory created) when it does not.
    pub fn edit_existing(&self, file: &EnvFile) -> Result<Transaction<'_>, StoreError> {
        if !file.path.exists() {
            return Err(StoreError::Missing {
                path: file.display.clone(),
            });
        }
        let tx = self.edit(file)?;
        if !tx.exists() {
            return Err(StoreError::Missing {
                path: file.display.clone(),
            });
        }
        Ok(tx)
    }

    /// Starts a transaction on `file`: takes the lock of its directory
    /// (created when missing) and reads it. The lock is held until the
    /// transaction is committed or dropped.
    pub fn edit(&self, file: &EnvFile) -> Result<Transaction<'_>, StoreError> {
        let target = write_target(file)?;
        let lock = lock(&target)?;
        self.open_locked(file, target, Some(lock))
    }

    /// Transactions on several files, written all or none by
    /// [`Batch::commit`]: each directory's lock is taken once, in one
    /// order, and held until the batch ends.
    pub fn edit_many(&self, files: &[EnvFile]) -> Result<Batch<'_>, StoreError> {
        let mut targets = Vec::with_capacity(files.len());
        for f in files {
            let target = write_target(f)?;
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                crate::fs::create_dir_all_mode(dir, 0o755).map_err(|source| StoreError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            targets.push(target);
        }
        let locks =
            crate::fs::lock_dirs_of(targets.iter().map(PathBuf::as_path)).map_err(|source| {
                StoreError::Io {
                    path: self.project.root.clone(),
                    source,
                }
            })?;
        let mut txs = Vec::with_capacity(files.len());
        for (f, target) in files.iter().zip(targets) {
            txs.push(self.open_locked(f, target, None)?);
        }
        Ok(Batch { _locks: locks, txs })
    }

    /// Reads `file` for a transaction; the caller holds its directory's lock.
    fn open_locked(
        &self,
        file: &EnvFile,
        target: PathBuf,
        lock: Option<DirLock>,
    ) -> Result<Transaction<'_>, StoreError> {
        let original = read_doc(file)?;
        let encrypted = match &original {
            Some(doc) => header(file, doc)?.is_some(),
            None => false,
        };
        Ok(Transaction {
            store: self,
            target,
            file: file.clone(),
            _lock: lock,
            original,
            encrypted,
            ops: Vec::new(),
            seal: None,
            seal_if_sensitive: false,
            decrypt: false,
            policy: KeyPolicy::Keep,
            kept: Vec::new(),
        })
    }

    /// Records a commit of `file`: the rotation of the sensitive values
    /// `rotated` (for the `secret.max-age` rule; `kept` names where an old
    /// value was kept), and one audit log entry with every key `touched`.
    /// Both are tried; the first failure is returned.
    fn record(
        &self,
        file: &EnvFile,
        rotated: &[String],
        kept: &[(String, String)],
        touched: Vec<String>,
    ) -> Result<(), StoreError> {
        let scope = self.scope(file);
        let records: Vec<Rotation> = rotated
            .iter()
            .map(|k| {
                let mut r = Rotation::now(&scope.environment, &scope.namespace, k, &self.command);
                r.kept_in = kept
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, to)| to.clone());
                r
            })
            .collect();
        let rotations =
            rotation::record(&self.project.root, &records).map_err(|source| StoreError::Record {
                path: PathBuf::from(rotation::ROTATIONS_FILE),
                source,
            });
        let shown = file
            .path
            .strip_prefix(&self.project.root)
            .unwrap_or(&file.display)
            .to_string_lossy()
            .replace('\\', "/");
        let audit = self.audit(audit::Event {
            command: &self.command,
            action: audit::Action::Write,
            environment: &scope.environment,
            keys: touched,
            file: Some(shown),
            detail: None,
        });
        rotations.and(audit)
    }

    /// Appends `event` to the project's audit log.
    pub(crate) fn audit(&self, event: audit::Event<'_>) -> Result<(), StoreError> {
        audit::record(&self.project.root, &event).map_err(|e| StoreError::Record {
            path: PathBuf::from(audit::AUDIT_LOG),
            source: e.source,
        })
    }

    /// Seals `plain` for `file`: the new text of an encrypted file.
    fn seal(
        &self,
        file: &EnvFile,
        stored: &Document,
        recipients: &[String],
        policy: KeyPolicy,
        encrypt: Encrypt<'_>,
        edit: impl FnOnce(&mut Document) -> Result<(), CryptoError>,
    ) -> Result<String, StoreError> {
        let scope = self.scope(file);
        let none = Identities::default();
        let ids = if header(file, stored)?.is_some() {
            self.identities()?
        } else {
            &none
        };
        let project = &self.project.file;
        crypto::rewrite(stored, &scope, recipients, ids, policy, edit, |e, raw| {
            project.encrypts(e.key(), raw, encrypt.all) || encrypt.forced.contains(&e.key())
        })
        .map_err(|e| crypto_error(file, e))
    }
}

/// Which values a seal encrypts besides the sensitive ones: all of them,
/// or the keys named (old values kept for a rollover).
#[derive(Clone, Copy, Default)]
struct Encrypt<'a> {
    all: bool,
    forced: &'a [&'a str],
}

/// One change of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The key.
    pub key: String,
    /// What happened to it.
    pub kind: ChangeKind,
    /// Whether its value is a secret (schema, name, or shape).
    pub sensitive: bool,
}

/// What happened to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The key is new.
    Added,
    /// Its value changed.
    Changed,
    /// It was removed.
    Removed,
}

/// What a commit did.
#[derive(Debug)]
pub struct Committed {
    /// The file, as shown to users.
    pub display: PathBuf,
    /// Whether the file is encrypted now.
    pub encrypted: bool,
    /// Keys added, changed or removed (no value).
    pub changes: Vec<Change>,
    /// Set when the change was written but recording it failed: a warning,
    /// the value is already written.
    pub record_error: Option<StoreError>,
}

enum Op {
    Set(String, Zeroizing<String>),
    Unset(String),
    Replace(Document),
    Overwrite(Document),
}

/// Changes to one file, written on [`Transaction::commit`]; dropping a
/// transaction writes nothing.
pub struct Transaction<'s> {
    store: &'s Store,
    file: EnvFile,
    /// Where the file is written: its path, or the file a symbolic link
    /// there points to (written through, the link kept).
    target: PathBuf,
    /// The directory's lock (`None` in a [`Batch`], which holds it).
    _lock: Option<DirLock>,
    original: Option<Document>,
    encrypted: bool,
    ops: Vec<Op>,
    /// Encrypt the file (`Some(all)`), whether or not it already is.
    seal: Option<bool>,
    /// Encrypt the file when a value set is sensitive.
    seal_if_sensitive: bool,
    decrypt: bool,
    policy: KeyPolicy,
    /// Keys holding old values for a rollover: (rotated key, key keeping
    /// its old values).
    kept: Vec<(String, String)>,
}

/// Transactions on several files of a store, written all or none.
pub struct Batch<'s> {
    _locks: Vec<DirLock>,
    txs: Vec<Transaction<'s>>,
}

impl<'s> Batch<'s> {
    /// The transactions, in the order of the files given.
    pub fn transactions(&mut self) -> &mut [Transaction<'s>] {
        &mut self.txs
    }

    /// Seals every file in memory (any failure writes nothing), then
    /// writes them one after the other; when a write fails, the files
    /// already written get their old contents back. Then records the
    /// changes.
    pub fn commit(self) -> Result<Vec<Committed>, StoreError> {
        let mut prepared = Vec::with_capacity(self.txs.len());
        for tx in self.txs {
            prepared.push(tx.prepare()?);
        }
        for i in 0..prepared.len() {
            if let Err(e) = prepared[i].write() {
                for done in prepared[..i].iter().rev() {
                    // Best effort: the error below is what the user sees.
                    let _ = done.undo();
                }
                return Err(e);
            }
        }
        Ok(prepared.into_iter().map(Prepared::finish).collect())
    }
}

/// A transaction sealed in memory, ready to be written.
struct Prepared<'s> {
    store: &'s Store,
    file: EnvFile,
    target: PathBuf,
    text: Zeroizing<String>,
    encrypted: bool,
    emptied: bool,
    private: bool,
    /// The file's bytes before (`None`: it did not exist), to undo a write.
    before: Option<Zeroizing<Vec<u8>>>,
    changes: Vec<Change>,
    kept: Vec<(String, String)>,
    _lock: Option<DirLock>,
}

impl Prepared<'_> {
    fn write(&self) -> Result<(), StoreError> {
        let io = |source| StoreError::Io {
            path: self.file.display.clone(),
            source,
        };
        if self.emptied {
            // Nothing left (not even a comment): no empty file stays behind.
            std::fs::remove_file(&self.target).map_err(io)
        } else if self.private {
            // Plaintext secrets: private whatever the encrypted file's mode.
            crate::fs::write_private(&self.target, self.text.as_bytes()).map_err(io)
        } else {
            write(&self.target, self.text.as_bytes())
        }
    }

    /// Puts the file back as it was before [`Prepared::write`].
    fn undo(&self) -> std::io::Result<()> {
        match &self.before {
            Some(bytes) => crate::fs::write_atomic(&self.target, bytes, 0o600),
            None => std::fs::remove_file(&self.target),
        }
    }

    /// Records the change of every sensitive value (not the keys that keep
    /// old values: those are no rotation).
    fn finish(self) -> Committed {
        let rotated: Vec<String> = self
            .changes
            .iter()
            .filter(|c| c.sensitive && c.kind != ChangeKind::Removed)
            .filter(|c| !self.kept.iter().any(|(_, to)| *to == c.key))
            .map(|c| c.key.clone())
            .collect();
        let touched: Vec<String> = self.changes.iter().map(|c| c.key.clone()).collect();
        let record_error = self
            .store
            .record(&self.file, &rotated, &self.kept, touched)
            .err();
        Committed {
            display: self.file.display.clone(),
            encrypted: self.encrypted,
            changes: self.changes,
            record_error,
        }
    }
}

impl<'s> Transaction<'s> {
    /// The file.
    pub fn file(&self) -> &EnvFile {
        &self.file
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        self.original.is_some()
    }

    /// Whether the file, as read under the lock, is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.encrypted
    }

    /// How many lines of the file (its envward header) come before the
    /// plaintext [`Transaction::plaintext`] gives: add them to a line of
    /// the plaintext to get the line in the file.
    pub fn header_lines(&self) -> usize {
        let Some(doc) = &self.original else {
            return 0;
        };
        if !self.encrypted {
            return 0;
        }
        doc.comments()
            .iter()
            .filter(|c| doc.text(&c.span).starts_with(crypto::HEADER_PREFIX))
            .count()
    }

    /// Whether the file, as read, sets `key`.
    pub fn contains(&self, key: &str) -> bool {
        self.original.as_ref().is_some_and(|d| d.get(key).is_some())
    }

    /// The recipients the file is sealed to; an error when there is none.
    pub fn recipients(&self) -> Result<Vec<String>, StoreError> {
        self.store.sealing_recipients(&self.file)
    }

    /// The file's plaintext as read under the lock (decrypted when
    /// encrypted; empty when the file does not exist).
    pub fn plaintext(&self) -> Result<Document, StoreError> {
        match &self.original {
            Some(doc) => self.store.decrypt(&self.file, doc),
            None => Ok(Document::default()),
        }
    }

    /// Sets `key` to `value`. A sensitive value is written encrypted: in an
    /// encrypted file always, and a plaintext file is encrypted for it
    /// (an error without recipients) unless [`Transaction::keep_plain`].
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        if !crate::dotenv::is_valid_key(key) {
            return Err(StoreError::InvalidKey(key.to_string()));
        }
        if self.store.project.file.encrypts(key, value, false) {
            self.seal_if_sensitive = true;
        }
        self.ops
            .push(Op::Set(key.to_string(), Zeroizing::new(value.to_string())));
        Ok(())
    }

    /// Never encrypt a plaintext file for a sensitive value set (values in
    /// an encrypted file stay encrypted).
    pub fn keep_plain(&mut self) {
        self.seal_if_sensitive = false;
    }

    /// Sets `kept_in` to `old`, the value(s) `key` had before a rotation,
    /// kept for the rollover: encrypted whenever `key` is (whatever the
    /// name of `kept_in`), and not itself recorded as a rotation; the
    /// rotation record of `key` names `kept_in`.
    pub fn keep_old(&mut self, key: &str, kept_in: &str, old: &str) -> Result<(), StoreError> {
        if !crate::dotenv::is_valid_key(kept_in) {
            return Err(StoreError::InvalidKey(kept_in.to_string()));
        }
        if self.store.project.file.encrypts(key, old, false) {
            self.seal_if_sensitive = true;
        }
        self.ops.push(Op::Set(
            kept_in.to_string(),
            Zeroizing::new(old.to_string()),
        ));
        self.kept.push((key.to_string(), kept_in.to_string()));
        Ok(())
    }

    /// Stops the environment reading `key` from this file or below it:
    /// removes it here, or, when a shared file under this one (the
    /// environment's own file) also sets it, sets it empty here, since
    /// removing it would let the shared value through. For old values a
    /// rotation must no longer accept.
    pub fn hide(&mut self, key: &str) -> Result<(), StoreError> {
        if self.file.layer != crate::Layer::Shared && self.store.shared_sets(key)? {
            return self.set(key, "");
        }
        if self.contains(key) {
            return self.unset(key);
        }
        Ok(())
    }

    /// Removes `key`; an error when the file does not set it.
    pub fn unset(&mut self, key: &str) -> Result<(), StoreError> {
        if !self.contains(key) {
            return Err(match self.original {
                None => StoreError::Missing {
                    path: self.file.display.clone(),
                },
                Some(_) => StoreError::NotSet {
                    key: key.to_string(),
                    path: self.file.display.clone(),
                },
            });
        }
        self.ops.push(Op::Unset(key.to_string()));
        Ok(())
    }

    /// Replaces the plaintext with `plain` (an edited copy of
    /// [`Transaction::plaintext`]): unchanged values keep their ciphertext.
    /// `plain` must hold neither an envward header nor encrypted values.
    pub fn replace(&mut self, plain: Document) -> Result<(), StoreError> {
        reject_sealed_text(&plain)?;
        self.ops.push(Op::Replace(plain));
        Ok(())
    }

    /// Replaces the file with `plain` without reading what it held (no
    /// identity needed): an import. Every key counts as added.
    pub fn overwrite(&mut self, plain: Document) -> Result<(), StoreError> {
        reject_sealed_text(&plain)?;
        self.ops.push(Op::Overwrite(plain));
        Ok(())
    }

    /// Writes the file encrypted: its sensitive values, or every value with
    /// `all` (values already encrypted stay encrypted).
    pub fn encrypt(&mut self, all: bool) {
        self.seal = Some(all);
    }

    /// Writes the file's plaintext over it.
    pub fn decrypt(&mut self) {
        self.decrypt = true;
    }

    /// A new data key: every value encrypted anew.
    pub fn rekey(&mut self) {
        self.policy = KeyPolicy::Rotate;
    }

    /// Applies the changes and writes the file atomically, under the lock
    /// taken by [`Store::edit`]; then records the change of every
    /// sensitive value.
    pub fn commit(self) -> Result<Committed, StoreError> {
        let prepared = self.prepare()?;
        prepared.write()?;
        Ok(prepared.finish())
    }

    /// Applies the changes in memory (re-sealed when needed): the new text.
    fn prepare(mut self) -> Result<Prepared<'s>, StoreError> {
        let store = self.store;
        let existed = self.original.is_some();
        let before = if existed {
            Some(Zeroizing::new(std::fs::read(&self.target).map_err(
                |source| StoreError::Io {
                    path: self.file.display.clone(),
                    source,
                },
            )?))
        } else {
            None
        };
        // Taken, not cloned: the transaction ends here.
        let stored = self.original.take().unwrap_or_default();
        let file = &self.file;
        let overwrite = self.ops.iter().any(|op| matches!(op, Op::Overwrite(_)));
        let changes = std::cell::RefCell::new(Vec::new());
        let project = &store.project.file;
        let sensitive = |k: &str, raw: &str| project.is_sensitive_value(k, raw);
        let apply = |plain: &mut Document| -> Result<(), CryptoError> {
            let keyed = self
                .ops
                .iter()
                .all(|op| matches!(op, Op::Set(..) | Op::Unset(_)));
            if keyed {
                // Only the keys named change: compare those, not the file.
                let before = keyed_values(plain, &self.ops);
                apply_ops(plain, &self.ops).map_err(CryptoError::Reparse)?;
                *changes.borrow_mut() = keyed_changes(&before, plain, sensitive);
                return Ok(());
            }
            let before = if overwrite {
                Document::default()
            } else {
                plain.clone()
            };
            apply_ops(plain, &self.ops).map_err(CryptoError::Reparse)?;
            *changes.borrow_mut() = diff(&before, plain, sensitive);
            Ok(())
        };
        let kept_keys: Vec<&str> = self.kept.iter().map(|(_, to)| to.as_str()).collect();
        let (text, encrypted) = if self.decrypt {
            let plain = store.decrypt(file, &stored)?;
            (plain.source().to_string(), false)
        } else if self.encrypted || self.seal.is_some() || self.seal_if_sensitive {
            let recipients = self.recipients()?;
            let all = self.seal.unwrap_or(false);
            // An import replaces the file whatever it held: nothing of it is
            // read, so no identity is needed.
            let base = if overwrite {
                Document::default()
            } else {
                stored
            };
            let encrypt = Encrypt {
                all,
                forced: &kept_keys,
            };
            let text = store.seal(file, &base, &recipients, self.policy, encrypt, apply)?;
            (text, true)
        } else {
            let mut doc = stored;
            apply(&mut doc).map_err(|e| crypto_error(file, e))?;
            (doc.source().to_string(), false)
        };
        let emptied = !encrypted
            && existed
            && self.ops.iter().any(|op| matches!(op, Op::Unset(_)))
            && text.trim().is_empty();
        Ok(Prepared {
            store,
            file: self.file.clone(),
            target: self.target.clone(),
            text: Zeroizing::new(text),
            encrypted,
            emptied,
            private: self.decrypt,
            before,
            changes: changes.into_inner(),
            kept: std::mem::take(&mut self.kept),
            _lock: self._lock.take(),
        })
    }
}

fn apply_ops(doc: &mut Document, ops: &[Op]) -> Result<(), String> {
    for op in ops {
        match op {
            Op::Set(k, v) => doc.set(k, v).map_err(|e| e.to_string())?,
            Op::Unset(k) => {
                doc.unset(k).map_err(|e| e.to_string())?;
            }
            Op::Replace(d) | Op::Overwrite(d) => *doc = d.clone(),
        }
    }
    Ok(())
}

/// The value of an entry as a program sees it (escapes decoded) when it
/// is a literal, else as written.
fn value_of<'d>(doc: &'d Document, e: &'d Entry) -> &'d str {
    e.template()
        .as_literal()
        .unwrap_or_else(|| doc.text(&e.value_span()))
}

/// The value (as a program sees it) and raw text of each key `ops` name,
/// before they apply; `None` for a key not set.
fn keyed_values(doc: &Document, ops: &[Op]) -> Vec<(String, Option<(String, String)>)> {
    let mut out: Vec<(String, Option<(String, String)>)> = Vec::new();
    for op in ops {
        let key = match op {
            Op::Set(k, _) | Op::Unset(k) => k,
            Op::Replace(_) | Op::Overwrite(_) => continue,
        };
        if out.iter().any(|(k, _)| k == key) {
            continue;
        }
        let old = doc
            .get(key)
            .map(|e| (value_of(doc, e).to_string(), doc_raw(doc, e).to_string()));
        out.push((key.clone(), old));
    }
    out
}

/// The changes of the keys in `before` once the ops applied to `after`.
fn keyed_changes(
    before: &[(String, Option<(String, String)>)],
    after: &Document,
    sensitive: impl Fn(&str, &str) -> bool,
) -> Vec<Change> {
    before
        .iter()
        .filter_map(|(key, old)| {
            let now = after.get(key);
            let (kind, raw) = match (old, now) {
                (None, Some(e)) => (ChangeKind::Added, doc_raw(after, e)),
                (Some((v, _)), Some(e)) if value_of(after, e) != v => {
                    (ChangeKind::Changed, doc_raw(after, e))
                }
                (Some((_, raw)), None) => (ChangeKind::Removed, raw.as_str()),
                _ => return None,
            };
            Some(Change {
                key: key.clone(),
                kind,
                sensitive: sensitive(key, raw),
            })
        })
        .collect()
}

/// Keys added, changed and removed between two plaintext documents, in
/// one pass over each (the last definition of a key is its value).
fn diff(
    before: &Document,
    after: &Document,
    sensitive: impl Fn(&str, &str) -> bool,
) -> Vec<Change> {
    use std::collections::HashMap;
    fn index(doc: &Document) -> HashMap<&str, usize> {
        let mut map = HashMap::with_capacity(doc.entries().len());
        for (i, e) in doc.entries().iter().enumerate() {
            map.insert(e.key(), i);
        }
        map
    }
    let (old, new) = (index(before), index(after));
    let mut out = Vec::new();
    for (i, e) in after.entries().iter().enumerate() {
        if new.get(e.key()) != Some(&i) {
            continue; // an earlier definition of a key defined again
        }
        let now = value_of(after, e);
        let kind = match old.get(e.key()) {
            None => ChangeKind::Added,
            Some(&j) if value_of(before, &before.entries()[j]) != now => ChangeKind::Changed,
            Some(_) => continue,
        };
        out.push(Change {
            key: e.key().to_string(),
            kind,
            sensitive: sensitive(e.key(), doc_raw(after, e)),
        });
    }
    for (i, e) in before.entries().iter().enumerate() {
        if old.get(e.key()) == Some(&i) && !new.contains_key(e.key()) {
            out.push(Change {
                key: e.key().to_string(),
                kind: ChangeKind::Removed,
                sensitive: sensitive(e.key(), doc_raw(before, e)),
            });
        }
    }
    out
}

fn doc_raw<'d>(doc: &'d Document, e: &Entry) -> &'d str {
    doc.text(&e.value_span())
}

/// Refuses plaintext that carries encryption artefacts: envward writes the
/// header and the tokens.
fn reject_sealed_text(plain: &Document) -> Result<(), StoreError> {
    if crypto::header(plain).is_err()
        || plain
            .comments()
            .iter()
            .any(|c| plain.text(&c.span).starts_with(crypto::HEADER_PREFIX))
        || plain.entries().iter().any(|e| {
            plain
                .text(&e.value_span())
                .starts_with(crypto::VALUE_PREFIX)
        })
    {
        return Err(StoreError::SealedText);
    }
    Ok(())
}

fn crypto_error(file: &EnvFile, source: CryptoError) -> StoreError {
    StoreError::Load(crate::LoadError::Crypto {
        path: file.display.clone(),
        source: Box::new(source),
    })
}

fn header(file: &EnvFile, doc: &Document) -> Result<Option<crypto::Header>, StoreError> {
    crypto::header(doc).map_err(|e| crypto_error(file, e))
}

/// Reads and parses an env file; `None` when it does not exist.
pub(crate) fn read_doc(file: &EnvFile) -> Result<Option<Document>, StoreError> {
    match std::fs::read(&file.path) {
        Ok(bytes) => Document::parse_vec(bytes)
            .map(Some)
            .map_err(|e| StoreError::Load(crate::LoadError::from(e.with_path(&file.display)))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StoreError::Io {
            path: file.display.clone(),
            source,
        }),
    }
}

/// Where writes of `file` go: its path, or, when that is a symbolic link,
/// the file it points to (written through; the link is never replaced).
/// A link to nothing is an error.
fn write_target(file: &EnvFile) -> Result<PathBuf, StoreError> {
    match std::fs::symlink_metadata(&file.path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(&file.path).map_err(|_| StoreError::DanglingLink {
                path: file.display.clone(),
            })
        }
        _ => Ok(file.path.clone()),
    }
}

/// Takes the lock of the directory holding `path`, creating it.
fn lock(path: &Path) -> Result<DirLock, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::fs::create_dir_all_mode(dir, 0o755).map_err(|source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    crate::fs::lock_dir_of(path).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes an env file atomically; a new one is created 0600.
fn write(path: &Path, text: &[u8]) -> Result<(), StoreError> {
    crate::fs::write_atomic(path, text, 0o600).map_err(|source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests;
