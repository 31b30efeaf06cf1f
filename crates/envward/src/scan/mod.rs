//! `scan`: secrets in a working tree.
//!
//! Two detectors over every file of the tree: the project's **known
//! values** ([`crate::known`], in every encoded form) and the **provider
//! rules** ([`rules`]: credential formats and literal assignments to secret
//! names, as data). Their findings are merged: one per file, line and rule,
//! and where two overlap the more specific wins (a known value, then a
//! provider format, then a generic assignment). Each finding has a masked
//! preview and a keyed fingerprint of the rule and the secret (never its
//! position), which baselines are made of ([`baseline`]).
//!
//! The walk honours `.gitignore` (and `.ignore`, the global excludes),
//! reads dotfiles, never enters `.git`, never follows a symbolic link and
//! never reads a FIFO or a device; files larger than the size cap and
//! binary files (a NUL byte in the first 8 KiB) are skipped and counted.
//! Files are scanned in parallel.

pub mod baseline;
#[doc(hidden)]
pub mod fakes;
mod git;
mod history;
mod noise;
pub mod rules;
#[cfg(test)]
mod rules_tests;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::findings::{Finding, History, Location, Report, Section, Severity, Tool};
use crate::known::KnownValues;

pub use git::GitError;
pub use history::{HistoryOptions, scan_history};
pub use rules::{Rules, RulesError};

/// What a long scan reports as it goes (the binary shows a progress bar
/// on a terminal). Called from the scanning threads.
pub trait Progress: Sync {
    /// Scanning starts; `total` bytes are to be read, when known (history:
    /// yes; a tree walk: no).
    fn start(&self, _what: &str, _total: Option<u64>) {}
    /// `bytes` more were read (a file, a blob).
    fn advance(&self, _bytes: u64) {}
}

/// No progress shown.
pub struct NoProgress;

impl Progress for NoProgress {}

/// The id of known-value findings.
pub const KNOWN_RULE: &str = "scan.known-value";

/// Default `--max-file-size`: 10 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// What to scan and how.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// Files and directories to scan.
    pub paths: Vec<PathBuf>,
    /// Also read files `.gitignore` and `.ignore` exclude.
    pub include_ignored: bool,
    /// Larger files are skipped (and reported).
    pub max_file_size: u64,
    /// Put each secret in its finding's message (`--reveal`).
    pub reveal: bool,
    /// The key of the fingerprints ([`crate::diff::fingerprint_key`]);
    /// without one, findings have no fingerprint.
    pub fingerprint_key: Option<Vec<u8>>,
    /// Worker threads; 0 chooses from the machine.
    pub threads: usize,
}

/// A file the scan did not read, and why (never its contents).
#[derive(Clone, Debug)]
pub struct SkippedFile {
    /// The file.
    pub path: PathBuf,
    /// Why: `larger than N bytes`, `binary`, a read error.
    pub reason: String,
    /// Whether this is an error (unreadable) rather than a choice.
    pub error: bool,
}

/// What a scan found and what it did.
#[derive(Debug)]
pub struct Outcome {
    /// The findings, sorted by path, line and column.
    pub report: Report,
    /// Files read.
    pub files: usize,
    /// Bytes read.
    pub bytes: u64,
    /// Files not read (too large, unreadable); binary files are counted in
    /// `binary`.
    pub skipped: Vec<SkippedFile>,
    /// Binary files skipped.
    pub binary: usize,
    /// Commits read (`scan --git`; 0 otherwise).
    pub commits: usize,
}

/// A finding's fingerprint, when it has one (the `fingerprint:` tag).
pub fn fingerprint_of(f: &Finding) -> Option<&str> {
    f.tags.iter().find_map(|t| t.strip_prefix("fingerprint:"))
}

/// `abcd… (N chars)`: the first four characters of a secret and its length.
pub fn preview(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}… ({} chars)", secret.chars().count())
}

/// Every rule `scan` reports, for listings and report rule tables: the
/// known-value rule, then the provider rules.
pub fn rule_entries(rules: &Rules) -> Vec<crate::findings::RuleEntry> {
    let mut out = vec![(
        Cow::Borrowed(KNOWN_RULE),
        Severity::Error,
        Cow::Borrowed(
            "a secret value of the project's configuration (or its base64, URL or hex form) in a file",
        ),
    )];
    out.extend(rules.rules.iter().map(|r| {
        (
            Cow::Owned(format!("scan.{}", r.id)),
            r.severity,
            Cow::Owned(if r.user {
                format!("{} (envward.toml)", r.title)
            } else {
                r.title.clone()
            }),
        )
    }));
    out
}

/// Scans the files under `options.paths` for `known` values and `rules`.
pub fn scan(
    options: &ScanOptions,
    known: &KnownValues,
    rules: &Rules,
    root: &Path,
    progress: &dyn Progress,
) -> Outcome {
    progress.start("files", None);
    let mut paths = options.paths.iter();
    let first = paths.next().cloned().unwrap_or_else(|| PathBuf::from("."));
    let mut walk = ignore::WalkBuilder::new(&first);
    for p in paths {
        walk.add(p);
    }
    let honour = !options.include_ignored;
    walk.hidden(false)
        .git_ignore(honour)
        .git_exclude(honour)
        .git_global(honour)
        .ignore(honour)
        .parents(honour)
        .require_git(false)
        .follow_links(false)
        .threads(options.threads)
        .filter_entry(|e| e.file_name() != ".git");
    let state = Mutex::new(State::default());
    walk.build_parallel().run(|| {
        let state = &state;
        Box::new(move |entry| {
            let mut local = State::default();
            match entry {
                Ok(entry) => {
                    scan_entry(&entry, options, known, rules, &mut local);
                    progress.advance(local.bytes);
                }
                Err(e) => local.skipped.push(SkippedFile {
                    path: e_path(&e).unwrap_or_default(),
                    reason: e.to_string(),
                    error: true,
                }),
            }
            if let Ok(mut s) = state.lock() {
                s.merge(local);
            }
            ignore::WalkState::Continue
        })
    });
    let state = state.into_inner().unwrap_or_else(|e| e.into_inner());
    state.into_outcome(rules, root)
}

/// Scans what is about to be committed: the index's version of every
/// added, copied, modified or renamed file (`git diff --cached`, then
/// `git show :PATH`), not the working tree's. Paths are relative to the
/// repository's top level. `options.paths` and the walk settings are not
/// used; the size cap and binary sniffing are.
pub fn scan_staged(
    options: &ScanOptions,
    known: &KnownValues,
    rules: &Rules,
    root: &Path,
) -> Result<Outcome, GitError> {
    let top = match git::Git::new(root).output(&["rev-parse", "--show-toplevel"]) {
        Ok(top) => PathBuf::from(String::from_utf8_lossy(&top).trim()),
        Err(GitError::Failed(_)) => return Err(GitError::NotARepository(root.to_path_buf())),
        Err(e) => return Err(e),
    };
    let git = git::Git::new(&top);
    let names = git.output(&[
        "diff",
        "--cached",
        "--name-only",
        "--diff-filter=ACMR",
        "--no-ext-diff",
        "-z",
    ])?;
    let mut state = State::default();
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        let path = PathBuf::from(&name);
        let spec = format!(":{name}");
        let bytes = match git.output(&["cat-file", "blob", &spec]) {
            Ok(b) => b,
            Err(e) => {
                state.skipped.push(SkippedFile {
                    path,
                    reason: e.to_string(),
                    error: true,
                });
                continue;
            }
        };
        if bytes.len() as u64 > options.max_file_size {
            state.skipped.push(SkippedFile {
                path,
                reason: format!(
                    "larger than --max-file-size ({} > {} bytes)",
                    bytes.len(),
                    options.max_file_size
                ),
                error: false,
            });
            continue;
        }
        if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
            state.binary += 1;
            continue;
        }
        state.files += 1;
        state.bytes += bytes.len() as u64;
        scan_text(&path, &bytes, options, known, rules, &mut state.findings);
    }
    Ok(state.into_outcome(rules, root))
}

fn e_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            e_path(err)
        }
        _ => None,
    }
}

#[derive(Default)]
struct State {
    findings: Vec<Finding>,
    skipped: Vec<SkippedFile>,
    files: usize,
    bytes: u64,
    binary: usize,
    commits: usize,
}

impl State {
    fn into_outcome(self, rules: &Rules, root: &Path) -> Outcome {
        let mut report = Report::new(Tool::Scan, root.to_path_buf());
        report.sections = vec![Section {
            id: "scan",
            title: "secrets in files",
            skipped: None,
        }];
        report.rules = rule_entries(rules);
        report.checks = self.files;
        report.findings = self.findings;
        report.findings.sort_by(|a, b| {
            let key = |f: &Finding| {
                f.location
                    .as_ref()
                    .map(|l| (l.path.clone(), l.line, l.column))
            };
            key(a).cmp(&key(b)).then_with(|| a.rule.cmp(&b.rule))
        });
        let mut skipped = self.skipped;
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        Outcome {
            report,
            files: self.files,
            bytes: self.bytes,
            skipped,
            binary: self.binary,
            commits: self.commits,
        }
    }

    fn merge(&mut self, other: State) {
        self.findings.extend(other.findings);
        self.skipped.extend(other.skipped);
        self.files += other.files;
        self.bytes += other.bytes;
        self.binary += other.binary;
    }
}

/// The path as shown: without a leading `./`.
fn shown(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

fn scan_entry(
    entry: &ignore::DirEntry,
    options: &ScanOptions,
    known: &KnownValues,
    rules: &Rules,
    state: &mut State,
) {
    // Regular files only: never a link (no loops, nothing outside the
    // tree), a FIFO, a socket or a device. Links and directories are
    // common and skipped quietly; the others get a note.
    let Some(kind) = entry.file_type() else {
        return;
    };
    if !kind.is_file() {
        if let Some(what) = special_kind(&kind) {
            state.skipped.push(SkippedFile {
                path: shown(entry.path()),
                reason: format!("{what}, not a regular file: never read"),
                error: false,
            });
        }
        return;
    }
    let path = entry.path();
    let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
    if len > options.max_file_size {
        state.skipped.push(SkippedFile {
            path: shown(path),
            reason: format!(
                "larger than --max-file-size ({len} > {} bytes)",
                options.max_file_size
            ),
            error: false,
        });
        return;
    }
    let bytes = match crate::fs::read_regular(path, options.max_file_size) {
        Ok(b) => b,
        Err(e) => {
            state.skipped.push(SkippedFile {
                path: shown(path),
                reason: e.to_string(),
                error: true,
            });
            return;
        }
    };
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        state.binary += 1;
        return;
    }
    state.files += 1;
    state.bytes += bytes.len() as u64;
    scan_text(
        &shown(path),
        &bytes,
        options,
        known,
        rules,
        &mut state.findings,
    );
}

/// What a FIFO, socket or device is called; `None` for other kinds.
fn special_kind(kind: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a FIFO");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_block_device() || kind.is_char_device() {
            return Some("a device");
        }
    }
    let _ = kind;
    None
}

/// One secret found, before it becomes a finding.
struct Hit {
    /// 0: known value, 1: provider rule, 2: generic assignment.
    rank: u8,
    rule: String,
    start: usize,
    end: usize,
    key: Option<String>,
    what: String,
    /// The secret as the fingerprint sees it.
    secret: String,
    severity: Severity,
}

/// A secret found in a text and kept: overlaps merged, one per line and
/// rule, allow comments applied. Becomes a [`Finding`] with [`finding`].
#[derive(Clone, Debug)]
pub(crate) struct Found {
    /// The rule id (`scan.…`).
    pub rule: String,
    /// The key, for known values.
    pub key: Option<String>,
    /// What it is (the start of the message).
    pub what: String,
    /// The secret itself (held in memory only; never shown unless
    /// `--reveal`).
    pub secret: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The rule's severity.
    pub severity: Severity,
}

impl Found {
    /// Whether this is one of the project's own values.
    fn is_known_value(&self) -> bool {
        self.rule == KNOWN_RULE
    }
}

/// Scans one file's bytes; pushes its findings.
pub fn scan_text(
    path: &Path,
    bytes: &[u8],
    options: &ScanOptions,
    known: &KnownValues,
    rules: &Rules,
    out: &mut Vec<Finding>,
) {
    out.extend(
        find(bytes, known, rules)
            .iter()
            .map(|f| finding(path, f, options, None)),
    );
}

/// The secrets of one text, kept (see [`Found`]).
pub(crate) fn find(bytes: &[u8], known: &KnownValues, rules: &Rules) -> Vec<Found> {
    let mut hits: Vec<Hit> = Vec::new();
    for m in known.find_iter(bytes) {
        let p = m.pattern;
        hits.push(Hit {
            rank: 0,
            rule: KNOWN_RULE.to_string(),
            start: m.start,
            end: m.end,
            key: Some(p.key.clone()),
            what: format!(
                "the value of `{}` ({}){}",
                p.key,
                p.environment,
                match p.encoding {
                    crate::known::Encoding::Plain => String::new(),
                    e => format!(", {}", e.name()),
                }
            ),
            secret: known.value(p).expose().to_string(),
            severity: Severity::Error,
        });
    }
    for h in rules.find(bytes) {
        let rule = &rules.rules[h.rule];
        hits.push(Hit {
            rank: if rule.generic { 2 } else { 1 },
            rule: format!("scan.{}", rule.id),
            start: h.start,
            end: h.end,
            key: None,
            what: rule.title.clone(),
            secret: String::from_utf8_lossy(&bytes[h.start..h.end]).into_owned(),
            severity: rule.severity,
        });
    }
    if hits.is_empty() {
        return Vec::new();
    }
    // The more specific of two overlapping hits wins.
    hits.sort_by_key(|h| (h.rank, h.start));
    let mut kept: Vec<Hit> = Vec::new();
    for h in hits {
        if !kept.iter().any(|k| k.start < h.end && h.start < k.end) {
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    let lines = LineIndex::new(bytes);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for h in kept {
        let (line, column) = lines.position(bytes, h.start);
        if !seen.insert((line, h.rule.clone())) || lines.allowed(bytes, line) {
            continue;
        }
        out.push(Found {
            rule: h.rule,
            key: h.key,
            what: h.what,
            secret: h.secret,
            line,
            column,
            severity: h.severity,
        });
    }
    out
}

/// The finding of a secret found in `path` (at a commit, for history).
pub(crate) fn finding(
    path: &Path,
    found: &Found,
    options: &ScanOptions,
    history: Option<History>,
) -> Finding {
    let fingerprint = options
        .fingerprint_key
        .as_deref()
        .map(|k| crate::diff::fingerprint(k, &format!("{}\0{}", found.rule, found.secret)));
    let mut message = format!("{}: `{}`", found.what, preview(&found.secret));
    if options.reveal {
        message.push_str(&format!(" = {:?}", found.secret));
    }
    let mut tags: Vec<Cow<'static, str>> = Vec::new();
    if let Some(fp) = &fingerprint {
        tags.push(Cow::Owned(format!("fingerprint:{fp}")));
    }
    let known_value = found.is_known_value();
    let severity = if in_test_path(path) && !known_value {
        tags.push(Cow::Borrowed("confidence:low"));
        found.severity.min(Severity::Warning)
    } else {
        found.severity
    };
    let in_history = history.is_some();
    Finding {
        rule: Cow::Owned(found.rule.clone()),
        severity,
        environment: None,
        key: found.key.clone(),
        origin: None,
        location: Some(Location {
            path: path.to_path_buf(),
            line: Some(found.line),
            column: Some(found.column),
            history,
        }),
        message,
        help: Some(match (known_value, in_history) {
            (true, false) => "remove it from the file and rotate the value (it is the project's own secret); keep secrets in envward's encrypted files".into(),
            (true, true) => "rotate the value (it is the project's own secret, and history keeps it: removing the file does not); keep secrets in envward's encrypted files".into(),
            (false, false) => "remove it, rotate it with its provider, and load it from the environment instead; `# envward:allow` on the line silences a false positive".into(),
            (false, true) => "rotate it with its provider (history keeps it: removing it from the file does not), or accept it with --baseline once rotated".into(),
        }),
        tags,
    }
}

/// Whether a path is under tests, fixtures or examples: provider findings
/// there are less likely real (a warning, tagged `confidence:low`).
fn in_test_path(path: &Path) -> bool {
    path.components().any(|c| {
        let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        matches!(
            c.as_str(),
            "test"
                | "tests"
                | "spec"
                | "specs"
                | "fixtures"
                | "fixture"
                | "testdata"
                | "__tests__"
                | "examples"
                | "example"
                | "mocks"
                | "__mocks__"
        )
    })
}

/// Where each line starts, to turn byte offsets into line and column.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(bytes: &[u8]) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of byte `at`.
    fn position(&self, bytes: &[u8], at: usize) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= at) - 1;
        let column = String::from_utf8_lossy(&bytes[self.starts[line]..at])
            .chars()
            .count()
            + 1;
        (
            u32::try_from(line + 1).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        )
    }

    fn line<'a>(&self, bytes: &'a [u8], line: u32) -> &'a [u8] {
        let i = line as usize - 1;
        let start = self.starts[i];
        let end = self.starts.get(i + 1).copied().unwrap_or(bytes.len());
        &bytes[start..end]
    }

    /// Whether `envward:allow` is on the line or the line before.
    fn allowed(&self, bytes: &[u8], line: u32) -> bool {
        let has = |l: u32| memchr::memmem::find(self.line(bytes, l), b"envward:allow").is_some();
        has(line) || (line > 1 && has(line - 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preview_shows_four_characters_and_the_length() {
        assert_eq!(preview("ghp_abcdefgh"), "ghp_… (12 chars)");
        assert_eq!(preview("ab"), "ab… (2 chars)");
    }

    #[test]
    fn lines_and_columns() {
        let text = "one\ntwo é x\n".as_bytes();
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 0), (1, 1));
        assert_eq!(idx.position(text, 11), (2, 7));
    }
}
