//! A private scratch copy of plaintext (for `edit`): 0600, in a 0700
//! directory of the user's on a tmpfs when there is one (so it never
//! reaches a disk), removed when dropped. A copy left by a killed `edit`
//! is removed by the next one.

use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// A temporary plaintext file, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    file: tempfile::NamedTempFile,
}

/// Prefix of scratch files: `edit-<pid>-…`.
const PREFIX: &str = "edit-";

impl Scratch {
    /// Writes `text` to a new 0600 file in [`scratch_dir`], after removing
    /// the scratch files of `edit`s that no longer run.
    pub fn new(text: &[u8]) -> std::io::Result<Scratch> {
        let dir = scratch_dir();
        remove_stale(&dir);
        let mut builder = tempfile::Builder::new();
        let prefix = format!("{PREFIX}{}-", std::process::id());
        builder.prefix(&prefix).suffix(".env");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
        let mut file = builder.tempfile_in(&dir)?;
        file.write_all(text)?;
        file.flush()?;
        Ok(Scratch { file })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// What the file holds now.
    pub fn read(&self) -> std::io::Result<Zeroizing<Vec<u8>>> {
        Ok(Zeroizing::new(std::fs::read(self.file.path())?))
    }
}

/// Removes scratch files whose `edit` died (killed before it could).
fn remove_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if crate::fs::process_gone(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `envward-<uid>` (0700, owned by the user) in `$XDG_RUNTIME_DIR` or
/// `/dev/shm` when writable, else in the system's temporary directory.
pub fn scratch_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
        Some(PathBuf::from("/dev/shm")),
        Some(std::env::temp_dir()),
    ];
    for base in candidates.into_iter().flatten() {
        if let Some(dir) = private_dir(&base) {
            return dir;
        }
    }
    std::env::temp_dir()
}

/// The user's own 0700 directory under `base`, created when missing;
/// `None` when it cannot be made or is not the user's (a directory or link
/// planted by someone else in a shared `/dev/shm` is never used).
#[cfg(unix)]
fn private_dir(base: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let dir = base.join(format!("envward-{uid}"));
    match crate::fs::create_dir_all_mode(&dir, 0o700) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(_) => return None,
    }
    let meta = std::fs::symlink_metadata(&dir).ok()?;
    if !meta.is_dir() || meta.uid() != uid {
        return None;
    }
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).ok()?;
    }
    // Writable?
    tempfile::Builder::new()
        .prefix(".probe-")
        .tempfile_in(&dir)
        .ok()?;
    Some(dir)
}

#[cfg(not(unix))]
fn private_dir(_base: &Path) -> Option<PathBuf> {
    None
}
