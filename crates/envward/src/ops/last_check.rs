//! The result of the last `check` (counts only), kept in
//! `.envward/last-check.json` when the project has a `.envward/`
//! directory, for `envward status` and health endpoints.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The file, relative to the project root.
pub const LAST_CHECK: &str = ".envward/last-check.json";

/// Counts of the last check: never a key, a value or a length.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastCheck {
    /// When it ran (RFC 3339, UTC).
    pub timestamp: String,
    /// The environments checked.
    pub environments: Vec<String>,
    /// Findings by severity.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Infos.
    pub infos: usize,
}

/// Records `last` when the project keeps a `.envward/` directory; does
/// nothing otherwise.
pub fn record(root: &Path, last: &LastCheck) -> std::io::Result<()> {
    if !root.join(".envward").is_dir() {
        return Ok(());
    }
    let text = serde_json::to_string_pretty(last).map_err(std::io::Error::other)? + "\n";
    crate::fs::write_atomic(&root.join(LAST_CHECK), text.as_bytes(), 0o600)
}

/// The last check recorded, when there is one that parses.
pub fn load(root: &Path) -> Option<LastCheck> {
    let text = std::fs::read_to_string(root.join(LAST_CHECK)).ok()?;
    serde_json::from_str(&text).ok()
}
