//! History snapshots: what an environment's configuration was at a point
//! in time, without its values.
//!
//! `.envward/history.jsonl` holds one snapshot a line, appended by
//! `envward snapshot`:
//!
//! ```json
//! {"id":"3f9a1c2b7d4e","environment":"production","time":"2026-12-04T10:11:12.345Z","user":"alice","commit":"9c1…","message":"before deploy","schema":"5d0c…","key_id":"a41f…","keys":{"DEBUG":{"fp":"0b6e…","kind":"bool"},"SECRET_KEY":{"fp":"77d2…","sensitive":true}}}
//! ```
//!
//! Each value is a keyed fingerprint: HMAC-SHA256 under the fingerprint
//! key ([`crate::diff::fingerprint_key`]: `ENVWARD_FINGERPRINT_KEY` or a
//! per-user key file, never in the repository) of the environment, the key
//! and the value, cut to 8 bytes. Without the key, neither the file nor a
//! stolen copy of it reveals a value or lets one be guessed; with it, equal
//! values give equal fingerprints, so changes show. `key_id` says which key
//! made them (fingerprints under different keys are not compared). The
//! kind of a value (`bool`, `int`, `url`, …) is kept for values that are
//! not sensitive only. Retention: `[history] keep` (default 100) snapshots
//! per environment.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BadLine;
use crate::value::Resolved;

/// The history file, relative to the project root.
pub const HISTORY_FILE: &str = ".envward/history.jsonl";

/// One key of a snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyState {
    /// The keyed fingerprint of the value; `None` when the value could not
    /// be read (an encrypted file no identity opens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp: Option<String>,
    /// The kind of a value that is not sensitive (`bool`, `int`, `float`,
    /// `url`, `string`, `empty`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether the value is a secret.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

/// An environment's state, as a snapshot records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    /// The id of the fingerprint key ([`crate::diff::key_id`]).
    pub key_id: String,
    /// The hash of the schema (`[vars]` of envward.toml).
    pub schema: String,
    /// Every key.
    pub keys: BTreeMap<String, KeyState>,
}

impl State {
    /// The state of a loaded environment: every key whose value comes from
    /// the project (files, `KEY_FILE`s, schema defaults), not from the
    /// process environment or the secrets directory, which differ from one
    /// machine to the next. Keys of files no identity opens have no
    /// fingerprint.
    pub fn of(cfg: &Resolved, fingerprint_key: &[u8]) -> State {
        use crate::source::Origin;
        let keys = cfg
            .iter()
            .chain(cfg.withheld.values())
            .filter(|v| !matches!(v.origin, Origin::Process | Origin::SecretsDir { .. }))
            .map(|v| {
                let value = v.value.expose();
                let state = KeyState {
                    fp: (!v.sealed).then(|| {
                        value_fingerprint(fingerprint_key, &cfg.environment, &v.key, value)
                    }),
                    kind: (!v.sensitive && !v.sealed)
                        .then(|| crate::diff::kind_of(value).to_string()),
                    sensitive: v.sensitive,
                };
                (v.key.to_string(), state)
            })
            .collect();
        State {
            key_id: crate::diff::key_id(fingerprint_key),
            schema: schema_hash(&cfg.root),
            keys,
        }
    }
}

/// HMAC-SHA256 of environment, key and value (NUL-separated) under
/// `fingerprint_key`, first 8 bytes in hex: bound to the key and
/// environment, so two keys with one value do not show it.
pub fn value_fingerprint(
    fingerprint_key: &[u8],
    environment: &str,
    key: &str,
    value: &str,
) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(fingerprint_key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(environment.as_bytes());
    mac.update(b"\0");
    mac.update(key.as_bytes());
    mac.update(b"\0");
    mac.update(value.as_bytes());
    hex(&mac.finalize().into_bytes()[..8])
}

/// The hash of the schema: SHA-256 of the `[vars]` table of envward.toml
/// (as data: formatting and comments do not count), first 8 bytes in hex;
/// `none` without a readable envward.toml.
pub fn schema_hash(root: &Path) -> String {
    let Ok(text) = std::fs::read_to_string(root.join(crate::config::PROJECT_FILE)) else {
        return "none".to_string();
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return "none".to_string();
    };
    let vars = table
        .get("vars")
        .cloned()
        .unwrap_or(toml::Value::Table(Default::default()));
    let json = serde_json::to_vec(&vars).unwrap_or_default();
    hex(&Sha256::digest(&json)[..8])
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// One snapshot: an environment's keys and fingerprints, when, by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Short id: the first 12 hex digits of the SHA-256 of the snapshot.
    pub id: String,
    /// The environment.
    pub environment: String,
    /// When (RFC 3339, UTC).
    pub time: String,
    /// Who took it.
    pub user: String,
    /// The git commit checked out, when in a repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// What it is for (`-m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// [`schema_hash`].
    pub schema: String,
    /// The id of the fingerprint key.
    pub key_id: String,
    /// Every key.
    pub keys: BTreeMap<String, KeyState>,
    /// 1-based line in the history file (when read).
    #[serde(skip)]
    pub line: usize,
}

impl Snapshot {
    /// A snapshot of `state` taken now by the current user, with its id.
    pub fn new(
        environment: &str,
        state: State,
        commit: Option<String>,
        message: Option<String>,
    ) -> Snapshot {
        let mut s = Snapshot {
            id: String::new(),
            environment: environment.to_string(),
            time: super::now(),
            user: super::user(),
            commit,
            message,
            schema: state.schema,
            key_id: state.key_id,
            keys: state.keys,
            line: 0,
        };
        let json = serde_json::to_vec(&s).unwrap_or_default();
        s.id = hex(&Sha256::digest(&json)[..6]);
        s
    }

    /// The time, when it parses.
    pub fn timestamp(&self) -> Option<jiff::Timestamp> {
        self.time.parse().ok()
    }

    /// Its state.
    pub fn state(&self) -> State {
        State {
            key_id: self.key_id.clone(),
            schema: self.schema.clone(),
            keys: self.keys.clone(),
        }
    }

    /// The time shown to people: `2026-12-04 10:11:12Z`.
    pub fn when(&self) -> String {
        match self.timestamp() {
            Some(t) => t
                .round(jiff::Unit::Second)
                .unwrap_or(t)
                .strftime("%Y-%m-%d %H:%M:%SZ")
                .to_string(),
            None => self.time.clone(),
        }
    }
}

/// The history of a project, as read.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Every snapshot that parses, oldest first (by time; file order among
    /// equal times).
    pub snapshots: Vec<Snapshot>,
    /// Lines that do not parse (skipped).
    pub bad: Vec<BadLine>,
}

impl History {
    /// The snapshots of `environment`, oldest first.
    pub fn of<'a, 'e>(
        &'a self,
        environment: &'e str,
    ) -> impl DoubleEndedIterator<Item = &'a Snapshot> + use<'a, 'e> {
        self.snapshots
            .iter()
            .filter(move |s| s.environment == environment)
    }

    /// The latest snapshot of `environment`.
    pub fn last(&self, environment: &str) -> Option<&Snapshot> {
        self.of(environment).next_back()
    }

    /// The snapshot of `environment` that `reference` names: an id (or a
    /// unique prefix of at least 4 digits), or a time (RFC 3339, a date
    /// `2026-12-04` meaning its start in UTC, `2026-12-04T10:00` in UTC, or
    /// a duration ago such as `3 days` or `12h`): the last snapshot taken at
    /// or before it.
    pub fn find(&self, environment: &str, reference: &str) -> Result<&Snapshot, FindError> {
        let all: Vec<&Snapshot> = self.of(environment).collect();
        let valid = || {
            all.iter()
                .rev()
                .map(|s| (s.id.clone(), s.when()))
                .collect::<Vec<_>>()
        };
        if all.is_empty() {
            return Err(FindError::NoSnapshots {
                environment: environment.to_string(),
            });
        }
        let r = reference.trim();
        if r.len() >= 4 && r.chars().all(|c| c.is_ascii_hexdigit()) {
            let lower = r.to_ascii_lowercase();
            let hits: Vec<&&Snapshot> = all.iter().filter(|s| s.id.starts_with(&lower)).collect();
            match hits.as_slice() {
                [one] => return Ok(one),
                [] => {}
                many => {
                    return Err(FindError::Ambiguous {
                        reference: r.to_string(),
                        ids: many.iter().map(|s| s.id.clone()).collect(),
                    });
                }
            }
        }
        let Some(at) = parse_time(r) else {
            return Err(FindError::Unknown {
                reference: r.to_string(),
                environment: environment.to_string(),
                valid: valid(),
            });
        };
        all.iter()
            .rev()
            .find(|s| s.timestamp().is_some_and(|t| t <= at))
            .copied()
            .ok_or_else(|| FindError::Before {
                reference: r.to_string(),
                environment: environment.to_string(),
                valid: valid(),
            })
    }
}

/// A time as `--since` takes it (see [`History::find`]).
pub fn parse_time(text: &str) -> Option<jiff::Timestamp> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    let ago = humantime::parse_duration(t.strip_suffix(" ago").unwrap_or(t)).ok()?;
    let span = jiff::SignedDuration::try_from(ago).ok()?;
    jiff::Timestamp::now().checked_sub(span).ok()
}

/// A snapshot reference that names none.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// The environment has no snapshot.
    #[error("`{environment}` has no snapshot")]
    NoSnapshots {
        /// The environment.
        environment: String,
    },
    /// Neither an id nor a time.
    #[error("no snapshot `{reference}` of `{environment}`")]
    Unknown {
        /// What was given.
        reference: String,
        /// The environment.
        environment: String,
        /// Its snapshots, newest first: id, time.
        valid: Vec<(String, String)>,
    },
    /// A time before the first snapshot.
    #[error("no snapshot of `{environment}` at or before {reference}")]
    Before {
        /// What was given.
        reference: String,
        /// The environment.
        environment: String,
        /// Its snapshots, newest first: id, time.
        valid: Vec<(String, String)>,
    },
    /// A prefix of several ids.
    #[error("`{reference}` is the start of {} snapshot ids: {}", ids.len(), ids.join(", "))]
    Ambiguous {
        /// What was given.
        reference: String,
        /// The ids it starts.
        ids: Vec<String>,
    },
}

impl FindError {
    /// The snapshots that could have been named, newest first (id, time).
    pub fn valid(&self) -> &[(String, String)] {
        match self {
            FindError::Unknown { valid, .. } | FindError::Before { valid, .. } => valid,
            _ => &[],
        }
    }
}

/// Reads the project's history; a missing file is an empty history.
/// Lines that do not parse are skipped and listed in [`History::bad`].
pub fn load(root: &Path) -> std::io::Result<History> {
    let text = match std::fs::read(root.join(HISTORY_FILE)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
        Err(e) => return Err(e),
    };
    Ok(parse(&text))
}

/// The last snapshot of `environment` in the project's history (in file
/// order: the last appended), without parsing the others: lines are read
/// from the end and only the environment of each is looked at. `None`
/// without a history or a snapshot of it; lines that do not parse are
/// passed over.
pub fn last_of(root: &Path, environment: &str) -> std::io::Result<Option<Snapshot>> {
    let text = match std::fs::read(root.join(HISTORY_FILE)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut end = text.len();
    while end > 0 {
        let start = memchr::memrchr(b'\n', &text[..end]).map_or(0, |i| i + 1);
        let line = &text[start..end];
        if env_of(line).as_deref() == Some(environment)
            && let Ok(mut s) = serde_json::from_slice::<Snapshot>(line)
        {
            s.line = memchr::memchr_iter(b'\n', &text[..start]).count() + 1;
            return Ok(Some(s));
        }
        end = start.saturating_sub(1);
    }
    Ok(None)
}

/// The environment of a snapshot line: read from its start when it was
/// written by envward (`{"id":"…","environment":"…"`), else parsed.
fn env_of(line: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\",\"environment\":\"";
    if line.starts_with(b"{\"id\":\"")
        && let Some(at) = memchr::memmem::find(&line[..line.len().min(200)], KEY)
    {
        let rest = &line[at + KEY.len()..];
        if let Some(q) = memchr::memchr2(b'"', b'\\', rest)
            && rest[q] == b'"'
        {
            return std::str::from_utf8(&rest[..q]).ok().map(str::to_string);
        }
    }
    #[derive(Deserialize)]
    struct Env {
        environment: String,
    }
    serde_json::from_slice::<Env>(line)
        .ok()
        .map(|e| e.environment)
}

fn parse(text: &[u8]) -> History {
    let mut h = History::default();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Snapshot>(line) {
            Ok(mut s) => {
                s.line = i + 1;
                h.snapshots.push(s);
            }
            Err(e) => h.bad.push(BadLine {
                line: i + 1,
                message: super::json_problem(&e, "a snapshot"),
            }),
        }
    }
    // Merged branches may interleave lines: order by time, stably.
    h.snapshots.sort_by_key(|s| s.timestamp());
    h
}

/// Appends `snapshots` to the project's history (the file and `.envward/`
/// created when missing), under the lock of `.envward/`. When an
/// environment then has more than `keep` snapshots, its oldest are dropped
/// (the file is rewritten atomically; lines that do not parse are kept).
pub fn record(root: &Path, snapshots: &[Snapshot], keep: usize) -> std::io::Result<()> {
    if snapshots.is_empty() {
        return Ok(());
    }
    let path = root.join(HISTORY_FILE);
    if let Some(dir) = path.parent() {
        crate::fs::create_dir_all_mode(dir, 0o700)?;
    }
    let _lock = crate::fs::lock_dir_of(&path)?;
    let mut new = Vec::new();
    for s in snapshots {
        serde_json::to_writer(&mut new, s).map_err(std::io::Error::other)?;
        new.push(b'\n');
    }
    let existing = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    // How many snapshots of each environment there are with the new ones.
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let lines: Vec<&[u8]> = existing
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let envs: Vec<Option<String>> = lines.iter().map(|l| env_of(l)).collect();
    for env in envs.iter().flatten() {
        *counts.entry(env.clone()).or_default() += 1;
    }
    for s in snapshots {
        *counts.entry(s.environment.clone()).or_default() += 1;
    }
    let over: BTreeMap<&String, usize> = counts
        .iter()
        .filter(|(_, n)| **n > keep)
        .map(|(e, n)| (e, n - keep))
        .collect();
    if over.is_empty() {
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut file = opts.open(&path)?;
        if !existing.is_empty() && !existing.ends_with(b"\n") {
            file.write_all(b"\n")?;
        }
        file.write_all(&new)?;
        return file.sync_data();
    }
    let mut drop = over
        .into_iter()
        .map(|(e, n)| (e.clone(), n))
        .collect::<BTreeMap<_, _>>();
    let mut text = Vec::with_capacity(existing.len() + new.len());
    for (line, env) in lines.iter().zip(&envs) {
        if let Some(env) = env
            && let Some(n) = drop.get_mut(env)
            && *n > 0
        {
            *n -= 1;
            continue;
        }
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    text.extend_from_slice(&new);
    crate::fs::write_atomic(&path, &text, 0o600)
}

/// What happened to a key between two snapshots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// The key is new.
    Added,
    /// The key is gone.
    Removed,
    /// Its value changed.
    Changed,
    /// Its value changed, and the kind of value with it (`int` → `string`).
    TypeChanged,
}

impl ChangeKind {
    /// `added`, `removed`, `changed`, `type changed`.
    pub fn describe(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
            ChangeKind::TypeChanged => "type changed",
        }
    }
}

/// One key's change (never a value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyChange {
    /// The key.
    pub key: String,
    /// What happened.
    pub change: ChangeKind,
    /// The kind before, for a type change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The kind after, for a type change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Whether the value is a secret (on either side).
    pub sensitive: bool,
}

/// The changes from `before` to `after`, sorted by key. Values are compared
/// only when both fingerprints exist and were made under the same key
/// (`same_key`); otherwise only added and removed keys and changes of kind
/// show.
pub fn changes(before: &State, after: &State) -> Vec<KeyChange> {
    let same_key = before.key_id == after.key_id;
    let mut out = Vec::new();
    for (key, b) in &before.keys {
        match after.keys.get(key) {
            None => out.push(KeyChange {
                key: key.clone(),
                change: ChangeKind::Removed,
                from: None,
                to: None,
                sensitive: b.sensitive,
            }),
            Some(a) => {
                let sensitive = a.sensitive || b.sensitive;
                let kinds = match (&b.kind, &a.kind) {
                    (Some(x), Some(y)) if x != y && !sensitive => Some((x.clone(), y.clone())),
                    _ => None,
                };
                let value_changed =
                    same_key && matches!((&b.fp, &a.fp), (Some(x), Some(y)) if x != y);
                if let Some((from, to)) = kinds {
                    out.push(KeyChange {
                        key: key.clone(),
                        change: ChangeKind::TypeChanged,
                        from: Some(from),
                        to: Some(to),
                        sensitive,
                    });
                } else if value_changed {
                    out.push(KeyChange {
                        key: key.clone(),
                        change: ChangeKind::Changed,
                        from: None,
                        to: None,
                        sensitive,
                    });
                }
            }
        }
    }
    for (key, a) in &after.keys {
        if !before.keys.contains_key(key) {
            out.push(KeyChange {
                key: key.clone(),
                change: ChangeKind::Added,
                from: None,
                to: None,
                sensitive: a.sensitive,
            });
        }
    }
    out.sort_by(|x, y| x.key.cmp(&y.key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(key_id: &str, keys: &[(&str, Option<&str>, Option<&str>, bool)]) -> State {
        State {
            key_id: key_id.into(),
            schema: "s".into(),
            keys: keys
                .iter()
                .map(|(k, fp, kind, sensitive)| {
                    (
                        k.to_string(),
                        KeyState {
                            fp: fp.map(str::to_string),
                            kind: kind.map(str::to_string),
                            sensitive: *sensitive,
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn added_removed_changed_and_type_changed() {
        let a = state(
            "k",
            &[
                ("A", Some("1"), Some("int"), false),
                ("B", Some("2"), None, true),
                ("C", Some("3"), Some("int"), false),
                ("D", Some("4"), Some("int"), false),
            ],
        );
        let b = state(
            "k",
            &[
                ("A", Some("9"), Some("string"), false),
                ("B", Some("8"), None, true),
                ("D", Some("4"), Some("int"), false),
                ("E", Some("5"), Some("int"), false),
            ],
        );
        let c = changes(&a, &b);
        let got: Vec<(&str, ChangeKind)> = c.iter().map(|c| (c.key.as_str(), c.change)).collect();
        assert_eq!(
            got,
            [
                ("A", ChangeKind::TypeChanged),
                ("B", ChangeKind::Changed),
                ("C", ChangeKind::Removed),
                ("E", ChangeKind::Added)
            ]
        );
    }

    #[test]
    fn fingerprints_under_other_keys_are_not_compared() {
        let a = state("k1", &[("A", Some("1"), None, true)]);
        let b = state("k2", &[("A", Some("2"), None, true)]);
        assert!(changes(&a, &b).is_empty());
    }

    #[test]
    fn fingerprints_bind_environment_and_key() {
        let k = b"key";
        let x = value_fingerprint(k, "production", "A", "v");
        assert_eq!(x.len(), 16);
        assert_ne!(x, value_fingerprint(k, "production", "B", "v"));
        assert_ne!(x, value_fingerprint(k, "staging", "A", "v"));
        assert_ne!(x, value_fingerprint(b"other", "production", "A", "v"));
        assert_eq!(x, value_fingerprint(k, "production", "A", "v"));
    }

    #[test]
    fn bad_lines_are_skipped_with_their_number() {
        let h = parse(b"{\"id\":\"x\"}\nnot json\n");
        assert!(h.snapshots.is_empty());
        assert_eq!(h.bad.len(), 2);
        assert_eq!(h.bad[1].line, 2);
    }

    #[test]
    fn times() {
        assert!(parse_time("2026-12-04").is_some());
        assert!(parse_time("2026-12-04T10:00:00Z").is_some());
        assert!(parse_time("2026-12-04T10:00").is_some());
        assert!(parse_time("3 days").is_some());
        assert!(parse_time("yesterday-ish").is_none());
    }
}
