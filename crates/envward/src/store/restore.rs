//! Restoring a verified backup: whole files written back as they were
//! archived (encrypted files byte for byte, never re-sealed). The files
//! are first written into a private temporary directory next to the
//! target, then renamed into place under the locks of their directories.

use std::path::{Path, PathBuf};

use super::StoreError;
use crate::ops::backup::{Action, Archive, Step, plan};

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// Every file of the backup (and the target's own ones), with what
    /// happened to it.
    pub steps: Vec<Step>,
}

/// Restores `archive` (which must have verified) into `target`. A file
/// that changed since the backup is replaced only with `force`; anything
/// but a regular file where a file goes is never replaced. When `target`
/// does not exist, the whole tree is built beside it and renamed into
/// place at once.
pub fn restore(archive: &Archive, target: &Path, force: bool) -> Result<Restored, StoreError> {
    if !archive.verified() {
        return Err(StoreError::Unverified);
    }
    let io = |path: &Path, source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    };
    if !target.exists() {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        crate::fs::create_dir_all_mode(parent, 0o755).map_err(|e| io(parent, e))?;
        let tmp = temp_dir(parent).map_err(|e| io(parent, e))?;
        for f in &archive.files {
            write_file(tmp.path(), &f.path, &f.bytes, f.mode)?;
        }
        #[cfg(unix)]
        set_mode(tmp.path(), 0o755).map_err(|e| io(tmp.path(), e))?;
        let built = tmp.keep();
        std::fs::rename(&built, target).map_err(|e| {
            let _ = std::fs::remove_dir_all(&built);
            io(target, e)
        })?;
        return Ok(Restored {
            steps: plan_new(archive),
        });
    }
    // Refused before any directory is made; checked again under the locks.
    refuse(&plan(archive, target), force)?;
    for f in &archive.files {
        if let Some(dir) = target.join(&f.path).parent() {
            let mode = if f.path.starts_with(".envward/") {
                0o700
            } else {
                0o755
            };
            crate::fs::create_dir_all_mode(dir, mode).map_err(|e| io(dir, e))?;
        }
    }
    let targets: Vec<PathBuf> = archive.files.iter().map(|f| target.join(&f.path)).collect();
    let _locks =
        crate::fs::lock_dirs_of(targets.iter().map(PathBuf::as_path)).map_err(|e| io(target, e))?;
    let steps = plan(archive, target);
    refuse(&steps, force)?;
    let tmp = temp_dir(target).map_err(|e| io(target, e))?;
    let mut moves = Vec::new();
    for (f, step) in archive.files.iter().zip(&steps) {
        if matches!(step.action, Action::Create | Action::Replace) {
            moves.push((
                write_file(tmp.path(), &f.path, &f.bytes, f.mode)?,
                target.join(&f.path),
            ));
        }
    }
    for (from, to) in &moves {
        std::fs::rename(from, to).map_err(|e| io(to, e))?;
        if let Some(dir) = to.parent() {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
    }
    Ok(Restored { steps })
}

/// Every file created (a restore into a new directory).
fn plan_new(archive: &Archive) -> Vec<Step> {
    archive
        .files
        .iter()
        .map(|f| Step {
            path: f.path.clone(),
            action: Action::Create,
        })
        .collect()
}

fn refuse(steps: &[Step], force: bool) -> Result<(), StoreError> {
    let blocked: Vec<String> = steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Blocked(why) => Some(format!("{} ({why})", s.path)),
            _ => None,
        })
        .collect();
    if !blocked.is_empty() {
        return Err(StoreError::RestoreBlocked(blocked));
    }
    let changed: Vec<String> = steps
        .iter()
        .filter(|s| s.action == Action::Replace)
        .map(|s| s.path.clone())
        .collect();
    if !changed.is_empty() && !force {
        return Err(StoreError::ChangedSinceBackup(changed));
    }
    Ok(())
}

/// A private temporary directory in `dir`, removed when dropped.
fn temp_dir(dir: &Path) -> std::io::Result<tempfile::TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".envward-restore-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    builder.tempdir_in(dir)
}

/// Writes `rel` under `root` with `mode` (set-id and sticky bits dropped),
/// synced; returns its path.
fn write_file(root: &Path, rel: &str, bytes: &[u8], mode: u32) -> Result<PathBuf, StoreError> {
    use std::io::Write;
    let path = root.join(rel);
    let io = |source| StoreError::Io {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        let mode = if rel.starts_with(".envward/") {
            0o700
        } else {
            0o755
        };
        crate::fs::create_dir_all_mode(dir, mode).map_err(io)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(&path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    #[cfg(unix)]
    set_mode(&path, mode & 0o777).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(path)
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}
