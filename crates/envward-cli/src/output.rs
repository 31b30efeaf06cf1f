//! Terminal output: colour only on a terminal (`--color`, `NO_COLOR`),
//! diagnostics to stderr, data to stdout or `--output FILE`.

use std::io::Write;
use std::path::Path;

use envward::Diagnostic;

/// Prints a diagnostic to stderr, styled when stderr is a colour terminal.
pub fn diagnostic(d: &Diagnostic) {
    let text = d.render(true);
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// Prints every warning of a load.
pub fn warnings(cfg: &envward::Resolved) {
    for w in &cfg.warnings {
        diagnostic(w);
    }
}

/// Where machine-readable output goes.
pub fn sink(output: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match output {
        Some(path) => Box::new(envward_file(path)?),
        None => Box::new(std::io::BufWriter::new(anstream::stdout())),
    })
}

/// A new file for output that may hold secrets: created 0600.
fn envward_file(path: &Path) -> anyhow::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

/// Writes a file atomically (creating its directory), naming it in errors.
pub fn write_file(path: &Path, text: &str, new_mode: u32) -> anyhow::Result<()> {
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
    pub const SECRET: Style = AnsiColor::Yellow.on_default();
}

/// Warns when a change was written but could not be recorded.
pub fn record_warning(done: &envward::store::Committed) {
    if let Some(e) = &done.record_error {
        anstream::eprintln!("warning: {e}");
    }
}
