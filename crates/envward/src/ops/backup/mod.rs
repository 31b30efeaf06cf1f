//! Verified backups of a project's configuration: the env files of every
//! environment, `envward.toml` and `.envward/`, in one `.tar.gz` whose
//! first entry is a manifest (path, size, mode and SHA-256 of each file).
//!
//! ```text
//! manifest.json                 {"format":"envward-backup","version":1,…,"files":[…]}
//! files/envward.toml
//! files/env/production/security.env
//! files/.envward/rotations.jsonl
//! ```
//!
//! Encrypted env files are archived as they are (still encrypted). A
//! sensitive value in clear stops [`create`] unless the whole archive is
//! age-encrypted (`--encrypt-to`, the archive is then `….tar.gz.age`) or
//! plaintext is allowed. Reading an archive ([`read`]) checks every entry
//! against the manifest and rejects hostile entries (absolute paths, `..`,
//! links, devices, FIFOs, duplicates, entries not in the manifest) before
//! anything is written; restoring ([`plan`], then
//! [`crate::store::restore`]) never overwrites a file that changed since
//! the backup unless forced.

mod archive;

pub use archive::{Archive, Problem, read, read_manifest};

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest;
use zeroize::Zeroizing;

use crate::config::ProjectFile;
use crate::crypto::{self, CryptoError};
use crate::dotenv::Document;
use crate::layout::Layout;
use crate::resolve::Project;

/// Where backups go by default, relative to the project root.
pub const BACKUP_DIR: &str = ".envward/backups";
/// The manifest's name inside the archive (its first entry).
pub const MANIFEST: &str = "manifest.json";
/// The folder of the archived files inside the archive.
pub const FILES: &str = "files/";
/// The `format` of the manifest.
pub const FORMAT: &str = "envward-backup";
/// The manifest's version.
pub const VERSION: u32 = 1;
/// The start of every backup's file name.
pub const NAME_PREFIX: &str = "envward-backup-";

/// The largest file a backup holds (configuration files are small; a
/// larger entry is hostile or a mistake).
pub const MAX_FILE: u64 = 64 << 20;
/// The most bytes an archive may expand to.
pub const MAX_TOTAL: u64 = 1 << 30;

/// The manifest: what the archive holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`].
    pub version: u32,
    /// When the backup was made (RFC 3339, UTC).
    pub created: String,
    /// The envward version that made it.
    pub envward: String,
    /// Whether the archive was written with sensitive values in clear.
    #[serde(default)]
    pub plaintext: bool,
    /// Every file, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// One file of the manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestFile {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// SHA-256 of the contents, lower-case hex.
    pub sha256: String,
}

/// A backup could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Sensitive values in clear would be archived.
    #[error("sensitive values in clear would be archived: {}", files.join(", "))]
    PlaintextSecrets {
        /// The files holding them.
        files: Vec<String>,
    },
    /// The file is neither a gzip nor an age file.
    #[error("{} is not an envward backup (neither a .tar.gz nor an age-encrypted one)", path.display())]
    NotABackup {
        /// The file.
        path: PathBuf,
    },
    /// Encrypting or decrypting the archive failed.
    #[error("{}: {source}", path.display())]
    Crypto {
        /// The archive.
        path: PathBuf,
        /// Why.
        source: Box<CryptoError>,
    },
}

impl BackupError {
    /// What kind of failure this is.
    pub fn kind(&self) -> crate::ErrorKind {
        match self {
            BackupError::Io { .. } => crate::ErrorKind::Io,
            BackupError::PlaintextSecrets { .. } => crate::ErrorKind::Usage,
            BackupError::NotABackup { .. } => crate::ErrorKind::Input,
            BackupError::Crypto { source, .. } => source.kind(),
        }
    }

    /// The error as a renderable diagnostic.
    pub fn diagnostic(&self) -> crate::Diagnostic {
        let d = crate::Diagnostic::error(self.to_string());
        match self {
            BackupError::PlaintextSecrets { .. } => d
                .with_note("encrypted files are archived as they are; these hold secrets in clear")
                .with_help("encrypt them (`envward encrypt -e ENV`), or pass --encrypt-to RECIPIENT to encrypt the whole archive, or --allow-plaintext"),
            BackupError::Crypto { source, .. } => d.with_help(source.help()),
            _ => d,
        }
    }

    fn io(path: &Path, source: std::io::Error) -> Self {
        BackupError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A file to archive, read from disk.
pub struct Collected {
    /// Relative to the root, `/`-separated.
    pub path: String,
    /// The contents.
    pub bytes: Zeroizing<Vec<u8>>,
    /// Permission bits.
    pub mode: u32,
}

/// The files a backup of the project at `root` (with settings `file`)
/// holds, relative to `root`, `/`-separated and sorted: `envward.toml`,
/// `.env.example`, every env file of every environment (local overrides
/// and shared files included), and every regular file under `.envward/`
/// except the backups themselves and temporary files.
pub fn paths(root: &Path, file: &ProjectFile) -> std::io::Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for name in [crate::config::PROJECT_FILE, ".env.example"] {
        if crate::fs::is_regular_file(&root.join(name)).unwrap_or(false) {
            out.push(name.to_string());
        }
    }
    let layout = Layout::detect(root, &file.layout);
    let mut envs = layout.environments()?;
    envs.extend(file.environments.keys().cloned());
    envs.sort();
    envs.dedup();
    for env in envs {
        for f in layout.files(&env)? {
            if let Some(rel) = relative(root, &f.path) {
                out.push(rel);
            }
        }
    }
    walk_state(root, &root.join(".envward"), &mut out)?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// Regular files under `dir` (recursively), minus backups and temporaries.
fn walk_state(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        let Some(rel) = relative(root, &path) else {
            continue;
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // The audit log is append-only and per machine: a restore must
        // never rewind it, so no backup holds it.
        if rel == BACKUP_DIR
            || rel == crate::ops::audit::AUDIT_LOG
            || name.contains(crate::fs::TEMP_MARK)
            || name.ends_with(".lock")
        {
            continue;
        }
        // Not followed: a link is not part of the project's state.
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk_state(root, &path, out)?;
        } else if kind.is_file() {
            out.push(rel);
        }
    }
    Ok(())
}

/// `path` relative to `root`, `/`-separated; `None` outside it or not UTF-8.
fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Reads the files of [`paths`].
pub fn collect(project: &Project) -> Result<Vec<Collected>, BackupError> {
    let root = &project.root;
    let names = paths(root, &project.file).map_err(|e| BackupError::io(root, e))?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let path = root.join(&name);
        let bytes = Zeroizing::new(
            crate::fs::read_regular(&path, MAX_FILE).map_err(|e| BackupError::io(&path, e))?,
        );
        let mode = mode_of(&path).map_err(|e| BackupError::io(&path, e))?;
        out.push(Collected {
            path: name,
            bytes,
            mode,
        });
    }
    Ok(out)
}

#[cfg(unix)]
fn mode_of(path: &Path) -> std::io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_path: &Path) -> std::io::Result<u32> {
    Ok(0o644)
}

/// The archived files (env files only) that hold a sensitive value in
/// clear: not an `envward:v1:` token, not empty, not a placeholder.
pub fn plaintext_secrets(project: &ProjectFile, files: &[Collected]) -> Vec<String> {
    files
        .iter()
        .filter(|f| is_env_file(&f.path))
        .filter(|f| {
            let Ok(doc) = Document::parse_bytes(&f.bytes) else {
                // Not a file envward reads: no value to judge.
                return false;
            };
            doc.entries().iter().any(|e| {
                let raw = doc.text(&e.value_span());
                let value = e.template().as_literal().unwrap_or(raw).trim();
                !raw.starts_with(crypto::VALUE_PREFIX)
                    && !value.is_empty()
                    && !crate::check::rules::strength::is_placeholder(value)
                    && project.is_sensitive_value(e.key(), raw)
            })
        })
        .map(|f| f.path.clone())
        .collect()
}

fn is_env_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    !path.starts_with(".envward/") && (name.starts_with(".env") || name.ends_with(".env"))
}

/// What [`create`] is asked to do.
#[derive(Debug, Default)]
pub struct CreateOptions {
    /// The archive to write; default: a new timestamped name in
    /// [`BACKUP_DIR`].
    pub output: Option<PathBuf>,
    /// Encrypt the whole archive to these recipients.
    pub encrypt_to: Vec<String>,
    /// Archive sensitive values in clear without encrypting the archive.
    pub allow_plaintext: bool,
}

/// What [`create`] wrote.
#[derive(Debug)]
pub struct Created {
    /// The archive.
    pub path: PathBuf,
    /// The manifest written into it.
    pub manifest: Manifest,
    /// Whether the archive is age-encrypted.
    pub encrypted: bool,
    /// Bytes written.
    pub size: u64,
}

/// Writes a backup of `project`. Refuses (before writing anything) when a
/// sensitive value in clear would be archived, unless the archive is
/// encrypted or `allow_plaintext`.
pub fn create(project: &Project, options: &CreateOptions) -> Result<Created, BackupError> {
    let files = collect(project)?;
    let plaintext = plaintext_secrets(&project.file, &files);
    let encrypted = !options.encrypt_to.is_empty();
    if !plaintext.is_empty() && !encrypted && !options.allow_plaintext {
        return Err(BackupError::PlaintextSecrets { files: plaintext });
    }
    let now = jiff::Timestamp::now();
    let manifest = Manifest {
        format: FORMAT.to_string(),
        version: VERSION,
        created: now.round(jiff::Unit::Second).unwrap_or(now).to_string(),
        envward: env!("CARGO_PKG_VERSION").to_string(),
        plaintext: !plaintext.is_empty(),
        files: files
            .iter()
            .map(|f| ManifestFile {
                path: f.path.clone(),
                size: f.bytes.len() as u64,
                mode: f.mode,
                sha256: sha256_hex(&f.bytes),
            })
            .collect(),
    };
    let (dir, fixed) = match &options.output {
        Some(p) => (
            p.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
            Some(p.clone()),
        ),
        None => (project.root.join(BACKUP_DIR), None),
    };
    if fixed.is_none() {
        make_backup_dir(&dir)?;
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".envward-tmp-backup-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let tmp = builder
        .tempfile_in(&dir)
        .map_err(|e| BackupError::io(&dir, e))?;
    let tmp_path = tmp.path().to_path_buf();
    let io = |e: std::io::Error| BackupError::io(&tmp_path, e);
    {
        let out = std::io::BufWriter::new(tmp.as_file());
        let out = if encrypted {
            let enc = crypto::encrypt_stream(&options.encrypt_to, out).map_err(|e| {
                BackupError::Crypto {
                    path: tmp_path.clone(),
                    source: Box::new(e),
                }
            })?;
            write_archive(enc, &manifest, &files)
                .and_then(|w| w.finish())
                .map_err(io)?
        } else {
            write_archive(out, &manifest, &files).map_err(io)?
        };
        out.into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
    }
    let size = tmp.as_file().metadata().map_err(io)?.len();
    let path = match fixed {
        Some(p) => {
            tmp.persist(&p).map_err(|e| BackupError::io(&p, e.error))?;
            p
        }
        None => persist_new(tmp, &dir, now, encrypted)?,
    };
    Ok(Created {
        path,
        manifest,
        encrypted,
        size,
    })
}

/// `.envward/backups/` (0700) with a `.gitignore` that keeps backups out
/// of the repository.
fn make_backup_dir(dir: &Path) -> Result<(), BackupError> {
    crate::fs::create_dir_all_mode(dir, 0o700).map_err(|e| BackupError::io(dir, e))?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        crate::fs::write_atomic(&ignore, b"# envward backups stay out of git\n*\n", 0o644)
            .map_err(|e| BackupError::io(&ignore, e))?;
    }
    Ok(())
}

/// Moves the finished archive to a new timestamped name (never over an
/// existing backup).
fn persist_new(
    mut tmp: tempfile::NamedTempFile,
    dir: &Path,
    now: jiff::Timestamp,
    encrypted: bool,
) -> Result<PathBuf, BackupError> {
    let stamp = format!(
        "{}.{:03}Z",
        now.strftime("%Y%m%dT%H%M%S"),
        now.subsec_millisecond()
    );
    let ext = if encrypted { ".tar.gz.age" } else { ".tar.gz" };
    for n in 0u32.. {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let path = dir.join(format!("{NAME_PREFIX}{stamp}{suffix}{ext}"));
        match tmp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => return Err(BackupError::io(&path, e.error)),
        }
    }
    unreachable!("an unbounded loop returns")
}

/// The tar.gz stream: the manifest, then every file under [`FILES`].
fn write_archive<W: Write>(out: W, manifest: &Manifest, files: &[Collected]) -> std::io::Result<W> {
    let gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mtime = manifest
        .created
        .parse::<jiff::Timestamp>()
        .map_or(0, |t| u64::try_from(t.as_second()).unwrap_or(0));
    let text = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
    append(&mut tar, MANIFEST, &text, 0o600, mtime)?;
    for f in files {
        append(
            &mut tar,
            &format!("{FILES}{}", f.path),
            &f.bytes,
            f.mode,
            mtime,
        )?;
    }
    tar.into_inner()?.finish()
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    data: &[u8],
    mode: u32,
    mtime: u64,
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(data.len() as u64);
    header.set_mode(mode);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    tar.append_data(&mut header, path, data)
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = sha2::Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// One backup in a directory.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    /// The archive.
    pub path: PathBuf,
    /// When it was made: from its manifest, else its name.
    pub created: Option<String>,
    /// Bytes.
    pub size: u64,
    /// Files in it; `None` when it is encrypted (or unreadable).
    pub files: Option<usize>,
    /// Whether the archive is age-encrypted.
    pub encrypted: bool,
}

/// The backups in `dir` (files named `envward-backup-*`), oldest first.
pub fn list(dir: &Path) -> Result<Vec<Listed>, BackupError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(BackupError::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| BackupError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stamp) = backup_stamp(&name) else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        let encrypted = name.ends_with(".age");
        let manifest = if encrypted {
            None
        } else {
            read_manifest(&path).ok()
        };
        out.push(Listed {
            created: manifest
                .as_ref()
                .map(|m| m.created.clone())
                .or_else(|| stamp_time(stamp)),
            files: manifest.map(|m| m.files.len()),
            size: meta.len(),
            encrypted,
            path,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The timestamp part of a backup's file name.
fn backup_stamp(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(NAME_PREFIX)?;
    let stem = rest
        .strip_suffix(".tar.gz")
        .or_else(|| rest.strip_suffix(".tar.gz.age"))?;
    Some(stem)
}

/// `20261204T103000.123Z` as RFC 3339.
fn stamp_time(stamp: &str) -> Option<String> {
    let s = stamp.get(..15)?;
    let t = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", s).ok()?;
    Some(
        t.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .to_string(),
    )
}

/// Removes the oldest backups of `dir` (by name) so that `keep` remain;
/// returns the removed paths.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, BackupError> {
    let all = list(dir)?;
    let excess = all.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for b in all.into_iter().take(excess) {
        std::fs::remove_file(&b.path).map_err(|e| BackupError::io(&b.path, e))?;
        removed.push(b.path);
    }
    Ok(removed)
}

/// What restoring does with one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The file does not exist: it is created.
    Create,
    /// The file is as in the backup: nothing to do.
    Same,
    /// The file changed since the backup: replaced only when forced.
    Replace,
    /// Something that is not a regular file is there: never replaced.
    Blocked(String),
    /// A file of the target that the backup does not hold: kept.
    Keep,
}

/// One file of a restore.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// Relative to the target, `/`-separated.
    pub path: String,
    /// What happens to it.
    pub action: Action,
}

/// What restoring `archive` into `target` would do to each file: those of
/// the backup, then the target's own files the backup does not hold.
pub fn plan(archive: &Archive, target: &Path) -> Vec<Step> {
    let mut steps: Vec<Step> = archive
        .files
        .iter()
        .map(|f| {
            let path = target.join(&f.path);
            let action = match std::fs::symlink_metadata(&path) {
                Err(_) => Action::Create,
                Ok(m) if m.file_type().is_symlink() => {
                    Action::Blocked("a symbolic link is there".into())
                }
                Ok(m) if !m.is_file() => {
                    Action::Blocked("something other than a file is there".into())
                }
                Ok(_) => match std::fs::read(&path) {
                    Ok(now) if sha256_hex(&now) == f.sha256 => Action::Same,
                    Ok(_) => Action::Replace,
                    Err(e) => Action::Blocked(format!("cannot read it: {e}")),
                },
            };
            Step {
                path: f.path.clone(),
                action,
            }
        })
        .collect();
    let settings = std::fs::read_to_string(target.join(crate::config::PROJECT_FILE))
        .ok()
        .and_then(|t| ProjectFile::parse(&t, Path::new(crate::config::PROJECT_FILE)).ok())
        .unwrap_or_default();
    if let Ok(current) = paths(target, &settings) {
        for p in current {
            if !archive.files.iter().any(|f| f.path == p) {
                steps.push(Step {
                    path: p,
                    action: Action::Keep,
                });
            }
        }
    }
    steps
}
