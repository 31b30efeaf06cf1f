//! Rotation records: when each secret last got a new value.
//!
//! `.envward/rotations.jsonl` holds one JSON object a line, appended by
//! `envward set`, `edit` and `import` whenever a sensitive value changes:
//!
//! ```json
//! {"environment":"production","namespace":"security","key":"SECRET_KEY","rotated_at":"2026-11-23T21:04:05Z","by":"set"}
//! ```
//!
//! No value, hash or length is recorded. The file is meant to be committed:
//! the `secret.max-age` rule reads it to flag secrets older than a maximum
//! age (90 days by default).

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The records file, relative to the project root.
pub const ROTATIONS_FILE: &str = ".envward/rotations.jsonl";

/// One rotation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    /// The environment (`*` for a file every environment reads).
    pub environment: String,
    /// The namespace.
    pub namespace: String,
    /// The key.
    pub key: String,
    /// When (RFC 3339, UTC).
    pub rotated_at: String,
    /// The command that changed it (`set`, `edit`, `import`, `generate`,
    /// `rotate`).
    pub by: String,
    /// Where `envward rotate` kept the old value for the rollover
    /// (`SECRET_KEY_PREVIOUS`, `SECRET_KEY_FALLBACKS`), until
    /// `rotate --finish` drops it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_in: Option<String>,
    /// 1-based line in the records file (when read).
    #[serde(skip)]
    pub line: u32,
}

impl Rotation {
    /// A record for now.
    pub fn now(environment: &str, namespace: &str, key: &str, by: &str) -> Self {
        Rotation {
            environment: environment.to_string(),
            namespace: namespace.to_string(),
            key: key.to_string(),
            rotated_at: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or_else(|_| jiff::Timestamp::now())
                .to_string(),
            by: by.to_string(),
            kept_in: None,
            line: 0,
        }
    }

    /// The time, when it parses.
    pub fn timestamp(&self) -> Option<jiff::Timestamp> {
        self.rotated_at.parse().ok()
    }
}

/// Appends `records` to the project's records file (created with its
/// directory). Callers hold the file's directory lock.
pub fn record(root: &Path, records: &[Rotation]) -> std::io::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let path = root.join(ROTATIONS_FILE);
    if let Some(dir) = path.parent() {
        crate::fs::create_dir_all_mode(dir, 0o700)?;
    }
    let _lock = crate::fs::lock_dir_of(&path)?;
    let mut text = String::new();
    for r in records {
        text.push_str(&serde_json::to_string(r).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    {
        // State, not for others (and not 0666 under `umask 000`).
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(&path)?;
    // One write of whole lines: concurrent appenders never interleave.
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// The records of the project, in file order; lines that do not parse are
/// skipped (a record file must never stop a deploy check).
pub fn load(root: &Path) -> Vec<Rotation> {
    let Ok(text) = std::fs::read_to_string(root.join(ROTATIONS_FILE)) else {
        return Vec::new();
    };
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let mut r: Rotation = serde_json::from_str(line).ok()?;
            r.line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            Some(r)
        })
        .collect()
}

/// The latest record of `key` in `environment` (or in a shared file).
pub fn last<'a>(records: &'a [Rotation], environment: &str, key: &str) -> Option<&'a Rotation> {
    records
        .iter()
        .filter(|r| r.key == key && (r.environment == environment || r.environment == "*"))
        .max_by_key(|r| r.timestamp())
}
