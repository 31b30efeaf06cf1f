//! Operations on a project over time: rotation records, verified
//! backups, secret generation, the last check's result, history snapshots
//! and the hash-chained audit log. What lives under `.envward/` (but the
//! backups) holds keys, times, names and keyed fingerprints, never a value.

pub mod audit;
pub mod backup;
pub mod generate;
pub mod history;
pub mod last_check;
pub mod rotate;
pub mod rotation;

use std::path::Path;

/// The directory of envward's state, relative to the project root.
pub const STATE_DIR: &str = ".envward";

/// Who runs envward: `$USER`, `$LOGNAME` or `$USERNAME`, else `uid:N`.
pub fn user() -> String {
    for var in ["USER", "LOGNAME", "USERNAME"] {
        if let Ok(u) = std::env::var(var)
            && !u.is_empty()
        {
            return u;
        }
    }
    #[cfg(unix)]
    {
        format!("uid:{}", rustix::process::getuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        "unknown".to_string()
    }
}

/// The machine's name (`uname -n`), else `$HOSTNAME`, else `unknown`.
pub fn host() -> String {
    #[cfg(unix)]
    {
        let uname = rustix::system::uname();
        let name = uname.nodename().to_string_lossy();
        if !name.is_empty() {
            return name.into_owned();
        }
    }
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Now, in RFC 3339 (UTC) with milliseconds.
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The commit checked out in the repository `root` is in (`git rev-parse
/// HEAD`); `None` outside a repository, without git, or before the first
/// commit.
pub fn git_commit(root: &Path) -> Option<String> {
    if std::env::var_os("GIT_DIR").is_none() && !root.ancestors().any(|d| d.join(".git").exists()) {
        return None;
    }
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let commit = text.trim();
    (out.status.success() && !commit.is_empty()).then(|| commit.to_string())
}

/// A line of a state file that could not be read: its 1-based number and
/// why (never its text: the message says what kind of error and where).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// Why a JSON line did not parse, without quoting any of it (serde_json
/// quotes the offending value in some messages).
pub(crate) fn json_problem(e: &serde_json::Error, what: &str) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("not valid JSON (column {})", e.column())
        }
        Category::Data => format!("not {what} (unexpected data at column {})", e.column()),
        Category::Io => "unreadable".to_string(),
    }
}
