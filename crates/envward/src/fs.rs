//! Writing files safely: a temporary file in the same directory, fsync,
//! rename over the target, fsync the directory. A reader sees the old file
//! or the new one, never half of one, and the target keeps its permissions
//! (a new file gets the mode asked for).

use std::io::Write;
use std::path::Path;

/// Writes `contents` to `path` atomically. An existing file keeps its
/// permissions; a new one is created with `new_mode` (Unix).
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join(".env.example");
/// envward::fs::write_atomic(&path, b"A=1\n", 0o644).unwrap();
/// envward::fs::write_atomic(&path, b"A=2\n", 0o644).unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"A=2\n");
/// ```
pub fn write_atomic(path: &Path, contents: &[u8], new_mode: u32) -> std::io::Result<()> {
    match existing_mode(path) {
        Some(mode) => replace(path, contents, mode, true),
        None => replace(path, contents, new_mode, false),
    }
}

/// Writes `contents` to `path` as a fresh private file: a new 0600 file
/// renamed over the target, whatever mode the old file had and even when
/// the target is a symbolic link (the link is replaced, never followed).
/// For output that holds secrets (`export --output`, `decrypt --output`).
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    replace(path, contents, 0o600, true)
}

/// Prefix of the temporary files of [`write_atomic`]: `.<name>` then this,
/// the writer's pid and a counter. `envward init` git-ignores
/// `.*.envward-tmp-*`, and each write removes those of writers that died.
pub const TEMP_MARK: &str = ".envward-tmp-";

/// Temp file, fsync, rename over `path`, fsync the directory. The new file
/// is created with `mode` (narrowed by the umask), or has exactly `mode`
/// when `exact`.
fn replace(path: &Path, contents: &[u8], mode: u32, exact: bool) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    remove_stale_temps(dir, &name);
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(
            ".{name}{TEMP_MARK}{}-{attempt}",
            std::process::id()
        ));
        let mut opts = std::fs::OpenOptions::new();
        // create_new: never through an existing file or link.
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode);
        }
        match opts.open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(contents)?;
        #[cfg(unix)]
        if exact {
            // The umask may have narrowed the mode at creation.
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes the temporary files of `name` in `dir` left by writers that no
/// longer run (killed between creating and renaming them). Where process
/// ids cannot be checked (no `/proc`), nothing is removed.
fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = format!(".{name}{TEMP_MARK}");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(rest) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if process_gone(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` has certainly ended (`false` when it cannot be
/// told).
pub fn process_gone(pid: u32) -> bool {
    Path::new("/proc/self").exists()
        && pid != std::process::id()
        && !Path::new(&format!("/proc/{pid}")).exists()
}

/// Creates `dir` and its missing parents with `mode` (not the umask's
/// widest: under `umask 000` a directory is still not world-writable).
pub fn create_dir_all_mode(dir: &Path, mode: u32) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder.create(dir)
}

#[cfg(unix)]
fn existing_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn existing_mode(_path: &Path) -> Option<u32> {
    None
}

/// An exclusive lock that serialises the writers of the files of one
/// directory (released when dropped). envward takes it around every
/// read-modify-write of an env file, so concurrent `envward set` runs lose
/// no update.
#[derive(Debug)]
pub struct DirLock(#[allow(dead_code)] std::fs::File);

/// Waits for and takes the lock of the directory holding `path`.
pub fn lock_dir_of(path: &Path) -> std::io::Result<DirLock> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let file = std::fs::File::open(dir)?;
    file.lock()?;
    Ok(DirLock(file))
}

/// Takes the locks of the directories holding `paths`, each once and in
/// one order (sorted canonical paths), so two writers that need several
/// directories never wait for each other in a circle.
pub fn lock_dirs_of<'p>(
    paths: impl IntoIterator<Item = &'p Path>,
) -> std::io::Result<Vec<DirLock>> {
    let mut dirs: Vec<std::path::PathBuf> = paths
        .into_iter()
        .map(|p| match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        })
        .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf()))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs.iter()
        .map(|d| {
            let file = std::fs::File::open(d)?;
            file.lock()?;
            Ok(DirLock(file))
        })
        .collect()
}

/// Whether git tracks `path` (asks `git ls-files`; `false` when git or a
/// repository is missing).
pub fn tracked_by_git(path: &Path) -> bool {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "--error-unmatch", "--"])
        .arg(path.file_name().unwrap_or_default())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether a regular file is at `path` (following links): `Ok(false)` when
/// nothing is there, an error naming what is there when it is not a
/// regular file (a FIFO would hang a read, a device never ends, a
/// directory or a link to nothing is not a file) so that it is never
/// silently skipped.
pub fn is_regular_file(path: &Path) -> std::io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(m) => Err(not_regular(path, kind_of(&m.file_type()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(not_regular(path, "a link to nothing"))
        }
        Err(e) => Err(e),
    }
}

/// Reads the regular file at `path`, at most `cap` bytes: a FIFO, a
/// device, a directory or a larger file is an error saying so.
pub fn read_regular(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    if !is_regular_file(path)? {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ));
    }
    // Non-blocking: were the path swapped for a FIFO since the check, the
    // open would otherwise wait for a writer forever (reads of a regular
    // file are not affected).
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut open, libc::O_NONBLOCK);
    let file = open.open(path)?;
    // Checked again on the open file: the path may have changed since.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(path, kind_of(&meta.file_type())));
    }
    if meta.len() > cap {
        return Err(too_large(meta.len(), cap));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        let len = bytes.len() as u64;
        zeroize::Zeroize::zeroize(&mut bytes);
        return Err(too_large(len, cap));
    }
    Ok(bytes)
}

fn too_large(len: u64, cap: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("it holds more than {cap} bytes ({len} read): larger files are refused"),
    )
}

fn not_regular(path: &Path, what: &str) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "{} is {what}, not a regular file: only regular files (or links to one) are read",
            path.display()
        ),
    )
}

fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}
