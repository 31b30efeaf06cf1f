//! The audit log: `.envward/audit.log`, one JSON line per command that
//! changed configuration or revealed a secret, each chained to the line
//! before it by a SHA-256 hash.
//!
//! ```json
//! {"time":"2026-12-04T10:11:12.345Z","user":"alice","host":"web1","command":"set","action":"write","environment":"production","keys":["SECRET_KEY"],"file":"env/production/security.env","prev":"9b1f…"}
//! ```
//!
//! `prev` is the SHA-256 (hex) of the previous line's bytes (64 zeros for
//! the first line), so an edited, deleted, inserted or reordered line
//! breaks the chain at the line after it ([`verify`]). No value, hash of a
//! value or length is recorded.
//!
//! Writers: the store records every commit ([`crate::store`]), so any
//! writer that uses it is logged; commands that write no file (reads,
//! failed decryptions, remote pulls) call [`record`]. Appends hold the lock
//! of `.envward/` and write each line with one `write`, so concurrent
//! processes never interleave or lose lines. A line left incomplete by a
//! process killed mid-write (no final newline) is never chained to: the
//! next append cuts it off first and says so in its `repaired` field.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BadLine;

mod alerts;
mod analyze;
pub use alerts::alerts;
pub use analyze::{Analysis, FailedDecryption, KeyActivity, NeverRotated, UserActivity, analyze};

/// The log, relative to the project root.
pub const AUDIT_LOG: &str = ".envward/audit.log";

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a logged command did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// It changed configuration (a file, recipients).
    Write,
    /// It revealed sensitive values (`get`, `export`, `run`, `decrypt`).
    Read,
    /// It could not decrypt (no matching identity, or tampered data).
    DecryptFailed,
}

impl Action {
    /// `write`, `read`, `decrypt-failed`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Write => "write",
            Action::Read => "read",
            Action::DecryptFailed => "decrypt-failed",
        }
    }
}

/// What to record: the caller's part of an entry (time, user, host and the
/// chain are added by [`record`]).
#[derive(Clone, Debug)]
pub struct Event<'a> {
    /// The command (`set`, `run`, `pull`, …).
    pub command: &'a str,
    /// What it did.
    pub action: Action,
    /// The environment (`*` for a file every environment reads).
    pub environment: &'a str,
    /// The keys touched (never a value).
    pub keys: Vec<String>,
    /// The file written, relative to the project.
    pub file: Option<String>,
    /// A word more (`added 1 recipient`, the kind of a failure): never a
    /// value.
    pub detail: Option<String>,
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When (RFC 3339, UTC, milliseconds).
    pub time: String,
    /// Who ([`super::user`]).
    pub user: String,
    /// Where ([`super::host`]).
    pub host: String,
    /// The command.
    pub command: String,
    /// What it did.
    pub action: Action,
    /// The environment.
    pub environment: String,
    /// The keys touched.
    #[serde(default)]
    pub keys: Vec<String>,
    /// The file written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// A word more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Bytes of an incomplete last line this append cut off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repaired: Option<u64>,
    /// SHA-256 (hex) of the previous line; [`GENESIS`] for the first.
    pub prev: String,
    /// 1-based line in the log (when read).
    #[serde(skip)]
    pub line: usize,
}

impl Entry {
    /// The time, when it parses.
    pub fn timestamp(&self) -> Option<jiff::Timestamp> {
        self.time.parse().ok()
    }
}

/// Why an entry could not be recorded.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {source}", path.display())]
pub struct AuditError {
    /// The file or directory.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

impl AuditError {
    /// The kind of failure.
    pub fn kind(&self) -> crate::error_kind::ErrorKind {
        crate::error_kind::ErrorKind::Io
    }
}

/// Records that `command` handed out the sensitive `keys` of `cfg`, when
/// the environment audits reads (`audit_reads`; on for strict
/// environments) and there is any. `keys` is asked only then (a copy of
/// every key name otherwise made for nothing).
pub fn record_read(
    cfg: &crate::Resolved,
    command: &str,
    keys: impl FnOnce() -> Vec<String>,
) -> Result<(), AuditError> {
    if !cfg.audit_reads {
        return Ok(());
    }
    let keys = keys();
    if keys.is_empty() {
        return Ok(());
    }
    record(
        &cfg.root,
        &Event {
            command,
            action: Action::Read,
            environment: &cfg.environment,
            keys,
            file: None,
            detail: None,
        },
    )
}

/// Appends one entry for `event` to the project's log (`.envward/` and the
/// file created when missing, 0700 and 0600), under the lock of
/// `.envward/`.
pub fn record(root: &Path, event: &Event<'_>) -> Result<(), AuditError> {
    let path = root.join(AUDIT_LOG);
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| AuditError { path: p, source }
    };
    let dir = root.join(super::STATE_DIR);
    crate::fs::create_dir_all_mode(&dir, 0o700).map_err(err(&dir))?;
    let _lock = crate::fs::lock_dir_of(&path).map_err(err(&dir))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(&path).map_err(err(&path))?;
    let (prev, repaired) = last_line_hash(&mut file).map_err(err(&path))?;
    let entry = Entry {
        time: super::now(),
        user: super::user(),
        host: super::host(),
        command: event.command.to_string(),
        action: event.action,
        environment: event.environment.to_string(),
        keys: event.keys.clone(),
        file: event.file.clone(),
        detail: event.detail.clone(),
        repaired,
        prev,
        line: 0,
    };
    let mut line = serde_json::to_vec(&entry).map_err(|e| err(&path)(std::io::Error::other(e)))?;
    line.push(b'\n');
    // One write of one whole line (and the lock): appenders never
    // interleave.
    file.write_all(&line).map_err(err(&path))?;
    if entry.action == Action::Write {
        file.sync_data().map_err(err(&path))?;
    }
    Ok(())
}

/// The hash of the last complete line of `file` ([`GENESIS`] when there
/// is none). An incomplete last line (no newline: its writer was killed)
/// is cut off first; its length is returned.
fn last_line_hash(file: &mut std::fs::File) -> std::io::Result<(String, Option<u64>)> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok((GENESIS.to_string(), None));
    }
    let mut window: u64 = 4096;
    loop {
        let start = len.saturating_sub(window);
        file.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity(usize::try_from(len - start).unwrap_or(0));
        Read::by_ref(file).take(len - start).read_to_end(&mut buf)?;
        // Where the complete lines end: after the last newline.
        let end = match memchr::memrchr(b'\n', &buf) {
            Some(i) => i + 1,
            None if start == 0 => 0,
            None => {
                window *= 4;
                continue;
            }
        };
        let cut = (end < buf.len()).then(|| (buf.len() - end) as u64);
        if cut.is_some() {
            file.set_len(start + end as u64)?;
        }
        if end == 0 {
            return Ok((GENESIS.to_string(), cut));
        }
        let body = &buf[..end - 1];
        match memchr::memrchr(b'\n', body) {
            Some(i) => return Ok((hex_sha256(&body[i + 1..]), cut)),
            None if start == 0 => return Ok((hex_sha256(body), cut)),
            None => window *= 4,
        }
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    super::history::hex(&Sha256::digest(bytes))
}

/// The log as read.
#[derive(Clone, Debug, Default)]
pub struct Log {
    /// Every entry that parses, in file order.
    pub entries: Vec<Entry>,
    /// Lines that do not parse (skipped), and an incomplete last line.
    pub bad: Vec<BadLine>,
}

/// Reads the project's log; a missing file is an empty log. Lines that do
/// not parse are skipped and listed in [`Log::bad`].
pub fn load(root: &Path) -> std::io::Result<Log> {
    let text = match std::fs::read(root.join(AUDIT_LOG)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Log::default()),
        Err(e) => return Err(e),
    };
    Ok(parse(&text))
}

/// The entries of a log's text.
pub fn parse(text: &[u8]) -> Log {
    let mut log = Log::default();
    for (n, line, complete) in lines(text) {
        if !complete {
            log.bad.push(BadLine {
                line: n,
                message: "incomplete (an append was interrupted)".to_string(),
            });
            continue;
        }
        match serde_json::from_slice::<Entry>(line) {
            Ok(mut e) => {
                e.line = n;
                log.entries.push(e);
            }
            Err(e) => log.bad.push(BadLine {
                line: n,
                message: super::json_problem(&e, "an audit entry"),
            }),
        }
    }
    log
}

/// Lines of `text`: 1-based number, bytes (no newline), whether the line
/// ends with a newline.
fn lines(text: &[u8]) -> impl Iterator<Item = (usize, &[u8], bool)> {
    let mut rest = text;
    let mut n = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        n += 1;
        Some(match memchr::memchr(b'\n', rest) {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                (n, line, true)
            }
            None => {
                let line = rest;
                rest = &[];
                (n, line, false)
            }
        })
    })
}

/// What [`verify`] found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Lines that verify (before the first problem).
    pub verified: usize,
    /// The hash of the last line that verifies (keep it elsewhere to
    /// detect lines cut off the end later); `None` for an empty log.
    pub head: Option<String>,
    /// The first problem, when there is one.
    pub problem: Option<Problem>,
    #[serde(skip)]
    head_found: Option<bool>,
}

/// The first line that does not verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong with a line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum ProblemKind {
    /// It is not an entry (edited, or corrupt).
    NotAnEntry(String),
    /// The first line does not start a log: lines before it were deleted.
    NotFirst,
    /// Its `prev` is not the hash of the line before: that line was
    /// edited, or lines were deleted, inserted or reordered here.
    BrokenChain,
    /// The last line has no newline: an append was interrupted.
    Incomplete,
    /// Its `prev` is not the hash the caller expected for the line before
    /// it (`--head`).
    HeadMismatch,
}

impl Problem {
    /// One sentence.
    pub fn describe(&self) -> String {
        let n = self.line;
        match &self.kind {
            ProblemKind::NotAnEntry(why) => {
                format!("line {n} is not an audit entry ({why}): it was edited or is corrupt")
            }
            ProblemKind::NotFirst => format!(
                "line {n} does not start the log (its `prev` is not the start of a chain): lines before it were deleted"
            ),
            ProblemKind::BrokenChain => format!(
                "line {n} does not follow line {} (its `prev` is not the SHA-256 of line {}): line {} was edited, or lines were deleted, inserted or reordered here",
                n - 1,
                n - 1,
                n - 1
            ),
            ProblemKind::Incomplete => format!(
                "line {n} is incomplete (an append was interrupted); the lines before it verify"
            ),
            ProblemKind::HeadMismatch => format!(
                "line {n}: the log no longer ends with the head given: lines were cut off its end or changed"
            ),
        }
    }
}

/// Checks the chain of a log's text: every line an entry, the first
/// starting the chain, each one's `prev` the SHA-256 of the line before.
/// Stops at the first problem.
pub fn verify(text: &[u8]) -> Verification {
    verify_against(text, None)
}

/// [`verify`], and that some line hashes to `head` (a [`Verification::head`]
/// kept from an earlier run): lines cut off the end since then are found.
pub fn verify_against(text: &[u8], head: Option<&str>) -> Verification {
    let mut v = verify_chain(text, head);
    if let Some(found) = v.head_found.take()
        && !found
        && v.problem.is_none()
    {
        v.problem = Some(Problem {
            line: v.verified + 1,
            kind: ProblemKind::HeadMismatch,
        });
    }
    v.head_found = None;
    v
}

fn verify_chain(text: &[u8], wanted: Option<&str>) -> Verification {
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        prev: std::borrow::Cow<'a, str>,
        #[allow(dead_code)]
        time: serde::de::IgnoredAny,
        #[allow(dead_code)]
        command: serde::de::IgnoredAny,
        #[allow(dead_code)]
        action: Action,
        #[allow(dead_code)]
        environment: serde::de::IgnoredAny,
    }
    let mut expected = [b'0'; 64];
    let mut verified = 0;
    let mut head_found = wanted.map(|_| false);
    let fail = |line, kind, verified, head: Option<String>| Verification {
        verified,
        head,
        problem: Some(Problem { line, kind }),
        head_found: None,
    };
    for (n, line, complete) in lines(text) {
        if !complete {
            return fail(
                n,
                ProblemKind::Incomplete,
                verified,
                head_of(verified, &expected),
            );
        }
        let raw = match serde_json::from_slice::<Raw<'_>>(line) {
            Ok(r) => r,
            Err(e) => {
                return fail(
                    n,
                    ProblemKind::NotAnEntry(super::json_problem(&e, "an audit entry")),
                    verified,
                    head_of(verified, &expected),
                );
            }
        };
        if raw.prev.as_bytes() != expected {
            let kind = if n == 1 {
                ProblemKind::NotFirst
            } else {
                ProblemKind::BrokenChain
            };
            return fail(n, kind, verified, head_of(verified, &expected));
        }
        hex_into(&Sha256::digest(line), &mut expected);
        verified += 1;
        if let (Some(w), Some(found)) = (wanted, head_found.as_mut())
            && w.as_bytes() == expected
        {
            *found = true;
        }
    }
    Verification {
        verified,
        head: (verified > 0).then(|| String::from_utf8_lossy(&expected).into_owned()),
        problem: None,
        head_found,
    }
}

fn head_of(verified: usize, expected: &[u8; 64]) -> Option<String> {
    (verified > 0).then(|| String::from_utf8_lossy(expected).into_owned())
}

fn hex_into(bytes: &[u8], out: &mut [u8; 64]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate().take(32) {
        out[2 * i] = DIGITS[usize::from(b >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(b & 0xf)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(command: &str) -> Event<'_> {
        Event {
            command,
            action: Action::Write,
            environment: "production",
            keys: vec!["A".into()],
            file: None,
            detail: None,
        }
    }

    fn log_of(n: usize) -> (tempfile::TempDir, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..n {
            record(dir.path(), &event(&format!("c{i}"))).unwrap();
        }
        let text = std::fs::read(dir.path().join(AUDIT_LOG)).unwrap();
        (dir, text)
    }

    fn lines_of(text: &[u8]) -> Vec<Vec<u8>> {
        text.split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    }

    fn join(lines: &[Vec<u8>]) -> Vec<u8> {
        lines
            .iter()
            .flat_map(|l| l.iter().copied().chain([b'\n']))
            .collect()
    }

    #[test]
    fn a_fresh_log_verifies() {
        let (_d, text) = log_of(5);
        let v = verify(&text);
        assert_eq!(v.verified, 5);
        assert!(v.problem.is_none());
        assert_eq!(parse(&text).entries.len(), 5);
    }

    #[test]
    fn edits_deletions_insertions_and_reorders_are_found() {
        let (_d, text) = log_of(5);
        let lines = lines_of(&text);
        let first_bad = |l: Vec<Vec<u8>>| verify(&join(&l)).problem.map(|p| (p.line, p.kind));

        let mut edited = lines.clone();
        edited[2] = String::from_utf8(edited[2].clone())
            .unwrap()
            .replace("\"command\":\"c2\"", "\"command\":\"cX\"")
            .into_bytes();
        assert_eq!(first_bad(edited), Some((4, ProblemKind::BrokenChain)));

        let mut deleted = lines.clone();
        deleted.remove(1);
        assert_eq!(first_bad(deleted), Some((2, ProblemKind::BrokenChain)));

        let mut head_gone = lines.clone();
        head_gone.remove(0);
        assert_eq!(first_bad(head_gone), Some((1, ProblemKind::NotFirst)));

        let mut inserted = lines.clone();
        inserted.insert(3, lines[1].clone());
        assert_eq!(first_bad(inserted), Some((4, ProblemKind::BrokenChain)));

        let mut swapped = lines.clone();
        swapped.swap(1, 2);
        assert_eq!(first_bad(swapped), Some((2, ProblemKind::BrokenChain)));

        let mut garbage = lines.clone();
        garbage[3] = b"{not json".to_vec();
        assert!(matches!(
            first_bad(garbage),
            Some((4, ProblemKind::NotAnEntry(_)))
        ));
    }

    #[test]
    fn an_incomplete_last_line_is_reported_then_cut_off_by_the_next_append() {
        let (dir, mut text) = log_of(3);
        text.extend_from_slice(b"{\"time\":\"2026");
        std::fs::write(dir.path().join(AUDIT_LOG), &text).unwrap();
        let v = verify(&text);
        assert_eq!(v.verified, 3);
        assert_eq!(v.problem.unwrap().kind, ProblemKind::Incomplete);
        record(dir.path(), &event("next")).unwrap();
        let text = std::fs::read(dir.path().join(AUDIT_LOG)).unwrap();
        let v = verify(&text);
        assert_eq!((v.verified, v.problem), (4, None));
        assert_eq!(parse(&text).entries[3].repaired, Some(13));
    }
}
