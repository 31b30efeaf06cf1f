//! A private scratch copy of plaintext (for `edit`): 0600, on a tmpfs
//! when there is one so it never reaches a disk, removed when dropped.

use std::io::Write;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// A temporary plaintext file, removed when dropped.
#[derive(Debug)]
pub struct Scratch {
    file: tempfile::NamedTempFile,
}

impl Scratch {
    /// Writes `text` to a new 0600 file in [`scratch_dir`].
    pub fn new(text: &[u8]) -> std::io::Result<Scratch> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("envward-edit-").suffix(".env");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
        let mut file = builder.tempfile_in(scratch_dir())?;
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

/// `$XDG_RUNTIME_DIR`, else `/dev/shm`, when writable; else the system's
/// temporary directory.
pub fn scratch_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
        Some(PathBuf::from("/dev/shm")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| {
            d.is_dir()
                && tempfile::Builder::new()
                    .prefix(".envward-probe-")
                    .tempfile_in(d)
                    .is_ok()
        })
        .unwrap_or_else(std::env::temp_dir)
}
