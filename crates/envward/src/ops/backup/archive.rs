//! Reading a backup: every entry checked against the manifest, hostile
//! entries rejected, all in memory before anything is written.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use zeroize::Zeroizing;

use super::{BackupError, FILES, FORMAT, MANIFEST, MAX_FILE, MAX_TOTAL, Manifest, VERSION};
use crate::crypto::{self, Identities};

/// A backup read in full.
pub struct Archive {
    /// The manifest (when one could be read).
    pub manifest: Option<Manifest>,
    /// The files whose contents match the manifest, in manifest order.
    pub files: Vec<ArchivedFile>,
    /// Everything wrong with it; empty when it verified.
    pub problems: Vec<Problem>,
    /// Whether it was age-encrypted.
    pub encrypted: bool,
}

impl std::fmt::Debug for Archive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Archive")
            .field("files", &self.files.len())
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl Archive {
    /// Whether every file matched the manifest and no entry was refused.
    pub fn verified(&self) -> bool {
        self.manifest.is_some() && self.problems.is_empty()
    }
}

/// One file of a backup.
pub struct ArchivedFile {
    /// Relative path, `/`-separated (checked: no absolute path, no `..`).
    pub path: String,
    /// Permission bits from the manifest.
    pub mode: u32,
    /// SHA-256 (hex), as in the manifest.
    pub sha256: String,
    /// The contents.
    pub bytes: Zeroizing<Vec<u8>>,
}

/// Something wrong with a backup: the entry (or file) and what.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The entry's name in the archive, or the manifest's path.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Opens a backup: the tar stream, decrypted when the archive is
/// age-encrypted (`identities` is only called then).
fn open<'a>(
    path: &Path,
    identities: impl FnOnce() -> Result<Identities, crypto::CryptoError>,
    ids_slot: &'a mut Option<Identities>,
) -> Result<(Box<dyn Read + 'a>, bool), BackupError> {
    let io = |e| BackupError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let crypt = |e| BackupError::Crypto {
        path: path.to_path_buf(),
        source: Box::new(e),
    };
    let file = open_regular(path).map_err(io)?;
    let mut reader = BufReader::new(file);
    let start = reader.fill_buf().map_err(io)?;
    if crypto::is_age_file(start) {
        let ids = ids_slot.insert(identities().map_err(crypt)?);
        let plain = crypto::decrypt_stream(reader, ids).map_err(crypt)?;
        return Ok((
            Box::new(Capped::new(flate2::read::GzDecoder::new(plain))),
            true,
        ));
    }
    if !start.starts_with(&[0x1f, 0x8b]) {
        return Err(BackupError::NotABackup {
            path: path.to_path_buf(),
        });
    }
    Ok((
        Box::new(Capped::new(flate2::read::GzDecoder::new(reader))),
        false,
    ))
}

/// A decompressed stream that stops with an error past [`MAX_TOTAL`] plus
/// room for the tar headers: a gzip bomb (or an unlisted entry claiming
/// terabytes, skipped but still decompressed) costs bounded time.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R> Capped<R> {
    fn new(inner: R) -> Self {
        Capped {
            inner,
            left: MAX_TOTAL + (64 << 20),
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other(
                "the archive expands to more than a configuration backup can hold",
            ));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads only the manifest of an unencrypted backup (for listing).
pub fn read_manifest(path: &Path) -> Result<Manifest, BackupError> {
    let mut slot = None;
    let (stream, _) = open(path, || Err(crypto::CryptoError::NoIdentity), &mut slot)?;
    let mut tar = tar::Archive::new(stream);
    let not_backup = || BackupError::NotABackup {
        path: path.to_path_buf(),
    };
    let mut entries = tar.entries().map_err(|_| not_backup())?;
    let mut first = entries
        .next()
        .ok_or_else(not_backup)?
        .map_err(|_| not_backup())?;
    if first.path_bytes().as_ref() != MANIFEST.as_bytes() {
        return Err(not_backup());
    }
    let mut text = Vec::new();
    (&mut first)
        .take(MAX_FILE)
        .read_to_end(&mut text)
        .map_err(|_| not_backup())?;
    serde_json::from_slice(&text).map_err(|_| not_backup())
}

/// Reads and verifies a backup: the manifest (the first entry), then each
/// entry. An entry is refused, unread, when its name is absolute, has a
/// `..`, `.` or empty component or is not UTF-8; when it is not a regular
/// file (symbolic or hard link, device, FIFO, directory, …); when its name
/// was seen before; when the manifest does not list it. A listed file is
/// accepted when its size and SHA-256 match; a listed file that is
/// missing is a problem too. Nothing is written.
pub fn read(
    path: &Path,
    identities: impl FnOnce() -> Result<Identities, crypto::CryptoError>,
) -> Result<Archive, BackupError> {
    let mut slot = None;
    let (stream, encrypted) = open(path, identities, &mut slot)?;
    let mut archive = Archive {
        manifest: None,
        files: Vec::new(),
        problems: Vec::new(),
        encrypted,
    };
    let mut problems: Vec<Problem> = Vec::new();
    let mut tar = tar::Archive::new(stream);
    let mut entries = match tar.entries() {
        Ok(e) => e,
        Err(e) => {
            problems.push(problem("(archive)", format!("cannot be read: {e}")));
            archive.problems = problems;
            return Ok(archive);
        }
    };
    // The manifest first.
    let manifest = match entries.next() {
        None => Err("the archive is empty".to_string()),
        Some(Err(e)) => Err(format!("the archive cannot be read: {e}")),
        Some(Ok(mut first)) => {
            if first.path_bytes().as_ref() != MANIFEST.as_bytes()
                || first.header().entry_type() != tar::EntryType::Regular
            {
                Err(format!(
                    "the first entry is `{}`, not the manifest `{MANIFEST}`",
                    shown(&first.path_bytes())
                ))
            } else {
                let mut text = Vec::new();
                match (&mut first).take(MAX_FILE).read_to_end(&mut text) {
                    Err(e) => Err(format!("the manifest cannot be read: {e}")),
                    Ok(_) => serde_json::from_slice::<Manifest>(&text)
                        .map_err(|e| format!("the manifest is not valid: {e}")),
                }
            }
        }
    };
    let manifest = match manifest {
        Ok(m) => m,
        Err(message) => {
            problems.push(problem(
                MANIFEST,
                format!("{message}: not an envward backup"),
            ));
            archive.problems = problems;
            return Ok(archive);
        }
    };
    if manifest.format != FORMAT || manifest.version != VERSION {
        problems.push(problem(
            MANIFEST,
            format!(
                "format `{}` version {} is not one this envward reads ({FORMAT} {VERSION})",
                manifest.format, manifest.version
            ),
        ));
        archive.problems = problems;
        return Ok(archive);
    }
    // What the manifest lists, each path checked like an entry's name.
    let mut listed: HashMap<&str, usize> = HashMap::with_capacity(manifest.files.len());
    for (i, f) in manifest.files.iter().enumerate() {
        if let Err(why) = safe_relative(&f.path) {
            problems.push(problem(&f.path, format!("listed in the manifest, {why}")));
        } else if listed.insert(f.path.as_str(), i).is_some() {
            problems.push(problem(&f.path, "listed twice in the manifest".into()));
        }
    }
    let mut contents: Vec<Option<Zeroizing<Vec<u8>>>> = vec![None; manifest.files.len()];
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut total: u64 = 0;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(problem("(archive)", format!("damaged: {e}")));
                break;
            }
        };
        let raw = entry.path_bytes().into_owned();
        let name = shown(&raw);
        let kind = entry.header().entry_type();
        let refused = if let Some(why) = std::str::from_utf8(&raw)
            .map_err(|_| "its name is not UTF-8".to_string())
            .and_then(safe_relative)
            .err()
        {
            Some(why)
        } else if let Some(what) = not_a_file(kind) {
            Some(format!("is {what}: only regular files are restored"))
        } else if !seen.insert(raw.clone()) {
            Some("appears twice in the archive".to_string())
        } else {
            None
        };
        if let Some(why) = refused {
            problems.push(problem(&name, why));
            continue;
        }
        let index = name
            .strip_prefix(FILES)
            .and_then(|rel| listed.get(rel).copied());
        let Some(index) = index else {
            problems.push(problem(&name, "is not in the manifest".into()));
            continue;
        };
        let expected = &manifest.files[index];
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size != expected.size {
            problems.push(problem(
                &expected.path,
                format!("is {size} bytes, the manifest says {}", expected.size),
            ));
            continue;
        }
        total = total.saturating_add(size);
        if size > MAX_FILE || total > MAX_TOTAL {
            problems.push(problem(
                &expected.path,
                "is too large for a configuration file".into(),
            ));
            break;
        }
        let mut bytes = Zeroizing::new(Vec::with_capacity(size as usize));
        if let Err(e) = (&mut entry).take(size).read_to_end(&mut bytes) {
            problems.push(problem(&expected.path, format!("cannot be read: {e}")));
            break;
        }
        if super::sha256_hex(&bytes) != expected.sha256 {
            problems.push(problem(
                &expected.path,
                "does not match its SHA-256 in the manifest".into(),
            ));
            continue;
        }
        contents[index] = Some(bytes);
    }
    for (f, bytes) in manifest.files.iter().zip(contents) {
        match bytes {
            Some(bytes) => archive.files.push(ArchivedFile {
                path: f.path.clone(),
                mode: f.mode,
                sha256: f.sha256.clone(),
                bytes,
            }),
            None if !problems.iter().any(|p| p.path == f.path) => {
                problems.push(problem(&f.path, "is missing from the archive".into()));
            }
            None => {}
        }
    }
    archive.manifest = Some(manifest);
    archive.problems = problems;
    Ok(archive)
}

fn problem(path: &str, message: String) -> Problem {
    Problem {
        path: path.to_string(),
        message,
    }
}

/// A name for messages: escaped, bounded.
fn shown(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let escaped: String = text.escape_debug().take(200).collect();
    escaped
}

/// Whether `path` is a relative path inside the target: not absolute, no
/// `..`, `.` or empty component, no backslash or NUL.
fn safe_relative(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("has an empty name".into());
    }
    if path.starts_with('/') {
        return Err("is an absolute path".into());
    }
    if path.contains(['\\', '\0']) {
        return Err("has a backslash or NUL in its name".into());
    }
    for part in path.split('/') {
        match part {
            ".." => return Err("has a `..` component (it would escape the target)".into()),
            "." | "" => return Err("has an empty or `.` component".into()),
            _ => {}
        }
    }
    Ok(())
}

/// What an entry of type `kind` is when it is not a regular file.
fn not_a_file(kind: tar::EntryType) -> Option<&'static str> {
    use tar::EntryType as T;
    Some(match kind {
        T::Regular => return None,
        T::Symlink => "a symbolic link",
        T::Link => "a hard link",
        T::Char | T::Block => "a device file",
        T::Fifo => "a FIFO",
        T::Directory => "a directory",
        _ => "a special tar entry",
    })
}

/// Opens `path` for reading when it is a regular file (a FIFO would hang,
/// a device never ends).
fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    if !crate::fs::is_regular_file(path)? {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ));
    }
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_past_its_cap_is_an_error() {
        let mut capped = Capped {
            inner: std::io::repeat(0),
            left: 10,
        };
        let mut out = Vec::new();
        let err = (&mut capped).take(100).read_to_end(&mut out).unwrap_err();
        assert_eq!(out.len(), 10);
        assert!(err.to_string().contains("more than"), "{err}");
    }

    #[test]
    fn names_outside_the_target_are_refused() {
        for bad in ["", "/etc/passwd", "a/../b", "..", "./a", "a//b", "a\\\\b"] {
            assert!(safe_relative(bad).is_err(), "{bad:?}");
        }
        for good in [
            "envward.toml",
            "env/production/security.env",
            ".envward/rotations.jsonl",
            "a..b",
        ] {
            assert!(safe_relative(good).is_ok(), "{good:?}");
        }
    }
}
