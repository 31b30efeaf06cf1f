//! Terminal output: colour only on a terminal (`--color`, `NO_COLOR`),
//! diagnostics to stderr, data to stdout or `--output FILE`.

use std::io::Write;
use std::path::Path;

use envward::Diagnostic;

/// Prints a diagnostic to stderr, styled when stderr is a colour terminal.
pub fn diagnostic(d: &Diagnostic) {
    let text = d.render_worded(true, &crate::hints::word);
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// Prints every warning of a load.
pub fn warnings(cfg: &envward::Resolved) {
    for w in &cfg.warnings {
        diagnostic(w);
    }
}

/// Writes data that may hold secrets: to `output` as a fresh 0600 file
/// (never through a link, whatever mode an old file had), or to stdout
/// byte for byte (data is never styled or stripped, terminal or not).
pub fn secret_data(output: Option<&Path>, data: &[u8]) -> anyhow::Result<()> {
    match output {
        Some(path) => envward::fs::write_private(path, data)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display())),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(data)?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Writes a file atomically (creating its directory), naming it in errors.
/// A path that is not a regular file — `/dev/null`, `/dev/stdout`, a FIFO
/// — is written to in place: an atomic rename would replace the device or
/// the pipe with a regular file.
pub fn write_file(path: &Path, text: &str, new_mode: u32) -> anyhow::Result<()> {
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        f.write_all(text.as_bytes())?;
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    envward::fs::write_atomic(path, text.as_bytes(), new_mode)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

/// Styles used on the terminal.
pub mod style {
    use anstyle::{AnsiColor, Style};

    pub const KEY: Style = AnsiColor::Cyan.on_default().bold();
    pub const DIM: Style = Style::new().dimmed();
    pub const BOLD: Style = Style::new().bold();
    pub const SECRET: Style = AnsiColor::Yellow.on_default();
}

/// Warns when a change was written but could not be recorded.
pub fn record_warning(done: &envward::store::Committed) {
    if let Some(e) = &done.record_error {
        anstream::eprintln!("warning: {e}");
    }
}

/// Says once, on stderr, that the fingerprint key was created by this run.
pub fn note_created_key(key: Option<&envward::diff::FingerprintKey>) {
    if let Some(path) = key.and_then(|k| k.created.as_ref()) {
        anstream::eprintln!(
            "created {} (mode 0600): it keys the fingerprints of sensitive values, so that two runs on this machine compare; set ENVWARD_FINGERPRINT_KEY to share one key",
            path.display()
        );
    }
}
