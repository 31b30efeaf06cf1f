//! `scan --git`: secrets in a repository's history.
//!
//! 1. `git log --raw` lists, oldest first, every commit reachable from
//!    HEAD (or every ref) and the file versions (blobs) each one added or
//!    changed, merges included (their combined diff: what the merge
//!    itself wrote).
//! 2. Each distinct blob is read once (`git cat-file --batch`, after
//!    `--batch-check` left out the ones over the size cap) and scanned,
//!    in parallel, while git goes on reading.
//! 3. One secret (rule and value) is one finding, wherever and however
//!    often it was committed: at the first commit that held it, with the
//!    last one and how many commits added or changed a file holding it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use rayon::prelude::*;

use super::git::{Git, GitError};
use super::{Found, Outcome, Progress, ScanOptions, SkippedFile, State, find, finding};
use crate::findings::History;
use crate::known::KnownValues;
use crate::scan::Rules;

/// Which commits `scan --git` reads.
#[derive(Clone, Debug, Default)]
pub struct HistoryOptions {
    /// Every ref (`--all`: branches, tags, remotes, stash), not only HEAD.
    pub all: bool,
    /// Only the commits after this revision (`--since REV`: those not
    /// reachable from it).
    pub since: Option<String>,
}

/// A commit of the history read.
struct Commit {
    id: String,
    author_date: String,
}

/// A distinct file version, and the commits that added or changed a file
/// to it (in history order: the first is where it was first seen).
struct Blob {
    id: String,
    path: String,
    commits: Vec<u32>,
}

/// Bytes of blobs handed to the scanning threads at a time.
const BATCH_BYTES: usize = 16 << 20;

/// Scans the history of the repository at `at` (see the module
/// documentation). `options.paths` and the walk settings are not used; the
/// size cap, binary sniffing, `--reveal`, the fingerprint key and the
/// threads are.
pub fn scan_history(
    options: &ScanOptions,
    history: &HistoryOptions,
    known: &KnownValues,
    rules: &Rules,
    at: &Path,
    progress: &dyn Progress,
) -> Result<Outcome, GitError> {
    let git = Git::new(at);
    git.git_dir()?;
    let mut revs: Vec<String> = Vec::new();
    if !history.all {
        match git.commit_of("HEAD") {
            Ok(head) => revs.push(head),
            // No commit yet: no history.
            Err(GitError::UnknownRevision(_)) => {}
            Err(e) => return Err(e),
        }
    }
    if let Some(since) = &history.since {
        revs.push(format!("^{}", git.commit_of(since)?));
    }
    let mut state = State::default();
    if !history.all && revs.iter().all(|r| r.starts_with('^')) {
        return Ok(state.into_outcome(rules, at));
    }
    let (commits, blobs) = log(&git, history.all, &revs)?;
    state.commits = commits.len();
    let wanted = sizes(&git, &blobs, options.max_file_size, &mut state)?;
    progress.start("history", Some(wanted.iter().map(|&(_, size)| size).sum()));
    let threads = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads)
        .build()
        .map_err(|e| GitError::Failed(format!("cannot start the scanning threads: {e}")))?;
    let mut found: Vec<(usize, Vec<Found>)> = Vec::new();
    read_blobs(&git, &blobs, &wanted, |batch| {
        let scanned: Vec<(usize, Option<Vec<Found>>)> = threads.install(|| {
            batch
                .par_iter()
                .map(|(i, bytes)| {
                    let binary = memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some();
                    let hits = (!binary).then(|| find(bytes, known, rules));
                    progress.advance(bytes.len() as u64);
                    (*i, hits)
                })
                .collect()
        });
        for ((i, hits), (_, bytes)) in scanned.into_iter().zip(&batch) {
            match hits {
                None => state.binary += 1,
                Some(hits) => {
                    state.files += 1;
                    state.bytes += bytes.len() as u64;
                    if !hits.is_empty() {
                        found.push((i, hits));
                    }
                }
            }
        }
    })?;
    state.findings = merge(found, &blobs, &commits, options);
    Ok(state.into_outcome(rules, at))
}

/// One finding per rule and secret: at the first commit that held it.
fn merge(
    found: Vec<(usize, Vec<Found>)>,
    blobs: &[Blob],
    commits: &[Commit],
    options: &ScanOptions,
) -> Vec<crate::findings::Finding> {
    struct Seen {
        found: Found,
        blob: usize,
        commits: Vec<u32>,
    }
    let mut seen: HashMap<(String, String), Seen> = HashMap::new();
    let mut order: Vec<(String, String)> = Vec::new();
    for (b, hits) in found {
        let blob = &blobs[b];
        for hit in hits {
            let key = (hit.rule.clone(), hit.secret.clone());
            match seen.get_mut(&key) {
                Some(s) => {
                    if blob.commits[0] < blobs[s.blob].commits[0] {
                        s.found = hit;
                        s.blob = b;
                    }
                    s.commits.extend(&blob.commits);
                }
                None => {
                    order.push(key.clone());
                    seen.insert(
                        key,
                        Seen {
                            found: hit,
                            blob: b,
                            commits: blob.commits.clone(),
                        },
                    );
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|k| seen.remove(&k))
        .map(|mut s| {
            s.commits.sort_unstable();
            s.commits.dedup();
            let first = &commits[blobs[s.blob].commits[0] as usize];
            let last = &commits[*s.commits.last().unwrap_or(&0) as usize];
            let history = History {
                commit: first.id.clone(),
                author_date: first.author_date.clone(),
                last_commit: last.id.clone(),
                last_author_date: last.author_date.clone(),
                commits: s.commits.len(),
            };
            finding(
                &PathBuf::from(&blobs[s.blob].path),
                &s.found,
                options,
                Some(history),
            )
        })
        .collect()
}

/// The commits of `revs`, oldest first, and the distinct blobs they added
/// or changed (regular files only: no links, no submodules).
fn log(git: &Git, all: bool, revs: &[String]) -> Result<(Vec<Commit>, Vec<Blob>), GitError> {
    let mut args: Vec<&str> = vec![
        "log",
        "-z",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--root",
        "--diff-merges=combined",
        "--reverse",
        "--no-ext-diff",
        "--no-textconv",
        "--format=commit %H %aI",
    ];
    if all {
        args.push("--all");
    }
    // Only commit ids (`abc…`, `^abc…`) follow.
    args.push("--end-of-options");
    args.extend(revs.iter().map(String::as_str));
    args.push("--");
    let mut child = git.command(&args).spawn().map_err(GitError::Spawn)?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| GitError::Failed("git log: no output".into()))?;
    let mut stderr = child
        .stderr
        .take()
        .ok_or_else(|| GitError::Failed("git log: no error stream".into()))?;
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut commits: Vec<Commit> = Vec::new();
    let mut blobs: Vec<Blob> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut reader = BufReader::with_capacity(1 << 16, stdout);
    let mut token = Vec::new();
    // The blob and mode of the raw entry whose path comes next.
    let mut pending: Option<(String, bool)> = None;
    loop {
        token.clear();
        let n = reader
            .read_until(0, &mut token)
            .map_err(|e| GitError::Failed(format!("reading git log: {e}")))?;
        if n == 0 {
            break;
        }
        if token.last() == Some(&0) {
            token.pop();
        }
        if let Some((blob, wanted)) = pending.take() {
            if wanted && let Some(commit) = commits.len().checked_sub(1) {
                let commit = u32::try_from(commit).unwrap_or(u32::MAX);
                let path = String::from_utf8_lossy(&token).into_owned();
                match index.get(&blob) {
                    Some(&b) => {
                        if blobs[b].commits.last() != Some(&commit) {
                            blobs[b].commits.push(commit);
                        }
                    }
                    None => {
                        index.insert(blob.clone(), blobs.len());
                        blobs.push(Blob {
                            id: blob,
                            path,
                            commits: vec![commit],
                        });
                    }
                }
            }
            continue;
        }
        let text = String::from_utf8_lossy(&token);
        let text = text.trim_start_matches('\n');
        if text.is_empty() {
            continue;
        }
        if let Some(rest) = text.strip_prefix("commit ") {
            let (id, date) = rest.split_once(' ').unwrap_or((rest, ""));
            commits.push(Commit {
                id: id.to_string(),
                author_date: date.to_string(),
            });
        } else if text.starts_with(':') {
            pending = Some(raw_entry(text));
        }
    }
    let status = child.wait().map_err(GitError::Spawn)?;
    let errors = errors.join().unwrap_or_default();
    if !status.success() {
        return Err(GitError::Failed(errors.trim().to_string()));
    }
    Ok((commits, blobs))
}

/// A raw entry's resulting blob, and whether it is a regular file's
/// version worth reading: `:100644 100644 OLD NEW M` (one parent), or
/// `::MODE MODE MODE A B NEW MM` (a merge's combined diff: as many colons
/// as parents, one more mode and id for the result).
fn raw_entry(text: &str) -> (String, bool) {
    let parents = text.bytes().take_while(|&b| b == b':').count();
    let fields: Vec<&str> = text[parents..].split(' ').collect();
    let mode = fields.get(parents).copied().unwrap_or("");
    let blob = fields.get(2 * parents + 1).copied().unwrap_or("");
    let regular = matches!(mode, "100644" | "100755");
    let deleted = blob.bytes().all(|b| b == b'0');
    (blob.to_string(), regular && !deleted)
}

/// The blobs to read (index, size): those not over the size cap, which are
/// recorded as skipped, nor missing (a shallow or partial clone).
fn sizes(
    git: &Git,
    blobs: &[Blob],
    cap: u64,
    state: &mut State,
) -> Result<Vec<(usize, u64)>, GitError> {
    let out = feed(
        git,
        &["cat-file", "--batch-check=%(objectname) %(objectsize)"],
        blobs,
        &(0..blobs.len()).collect::<Vec<_>>(),
        |reader| {
            let mut lines = Vec::new();
            for line in reader.lines() {
                lines.push(line.map_err(|e| GitError::Failed(format!("git cat-file: {e}")))?);
            }
            Ok(lines)
        },
    )?;
    let mut wanted = Vec::new();
    for (i, line) in out.iter().enumerate() {
        let Some(blob) = blobs.get(i) else { break };
        let size = line
            .rsplit_once(' ')
            .and_then(|(_, s)| s.parse::<u64>().ok());
        match size {
            Some(size) if size > cap => state.skipped.push(SkippedFile {
                path: PathBuf::from(&blob.path),
                reason: format!(
                    "blob {} larger than --max-file-size ({size} > {cap} bytes)",
                    short(&blob.id)
                ),
                error: false,
            }),
            Some(size) => wanted.push((i, size)),
            None => state.skipped.push(SkippedFile {
                path: PathBuf::from(&blob.path),
                reason: format!(
                    "blob {} is missing (a shallow or partial clone?)",
                    short(&blob.id)
                ),
                error: true,
            }),
        }
    }
    Ok(wanted)
}

fn short(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Reads the `wanted` blobs with `git cat-file --batch`, handing them to
/// `scan` in batches of about [`BATCH_BYTES`] (the next batch is read
/// while one is scanned).
fn read_blobs(
    git: &Git,
    blobs: &[Blob],
    wanted: &[(usize, u64)],
    mut scan: impl FnMut(Vec<(usize, Vec<u8>)>),
) -> Result<(), GitError> {
    let which: Vec<usize> = wanted.iter().map(|&(i, _)| i).collect();
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<(usize, Vec<u8>)>>(1);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            // Owned here: the scanning loop below ends when it is dropped.
            let tx = tx;
            feed(git, &["cat-file", "--batch"], blobs, &which, |reader| {
                let mut batch = Vec::new();
                let mut batch_bytes = 0;
                let mut header = String::new();
                for &i in &which {
                    header.clear();
                    reader
                        .read_line(&mut header)
                        .map_err(|e| GitError::Failed(format!("git cat-file: {e}")))?;
                    let size = header
                        .trim_end()
                        .rsplit_once(' ')
                        .and_then(|(_, s)| s.parse::<usize>().ok())
                        .ok_or_else(|| {
                            GitError::Failed(format!(
                                "git cat-file: unexpected `{}`",
                                header.trim()
                            ))
                        })?;
                    let mut bytes = vec![0; size];
                    reader
                        .read_exact(&mut bytes)
                        .and_then(|()| reader.read_exact(&mut [0u8; 1]))
                        .map_err(|e| GitError::Failed(format!("git cat-file: {e}")))?;
                    batch_bytes += size;
                    batch.push((i, bytes));
                    if batch_bytes >= BATCH_BYTES {
                        batch_bytes = 0;
                        if tx.send(std::mem::take(&mut batch)).is_err() {
                            return Ok(());
                        }
                    }
                }
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
                Ok(())
            })
        });
        for batch in rx {
            scan(batch);
        }
        reader
            .join()
            .unwrap_or_else(|_| Err(GitError::Failed("the blob reader panicked".into())))
    })
}

/// Runs `git ARGS` with the ids of `blobs[which]` on its stdin (one per
/// line, written by another thread so that neither side waits for the
/// other) and its stdout handed to `read`.
fn feed<T>(
    git: &Git,
    args: &[&str],
    blobs: &[Blob],
    which: &[usize],
    read: impl FnOnce(&mut BufReader<std::process::ChildStdout>) -> Result<T, GitError>,
) -> Result<T, GitError> {
    let mut cmd = git.command(args);
    cmd.stdin(Stdio::piped());
    let mut child = cmd.spawn().map_err(GitError::Spawn)?;
    let stdin = child.stdin.take();
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| GitError::Failed("git cat-file: no output".into()))?;
    let mut stderr = child.stderr.take();
    let result = std::thread::scope(|s| {
        s.spawn(move || {
            if let Some(stdin) = stdin {
                let mut w = std::io::BufWriter::new(stdin);
                for &i in which {
                    if writeln!(w, "{}", blobs[i].id).is_err() {
                        return;
                    }
                }
                let _ = w.flush();
            }
        });
        let errors = s.spawn(move || {
            let mut e = String::new();
            if let Some(stderr) = stderr.as_mut() {
                let _ = stderr.read_to_string(&mut e);
            }
            e
        });
        let mut reader = BufReader::with_capacity(1 << 16, stdout);
        let result = read(&mut reader);
        drop(reader);
        (result, errors.join().unwrap_or_default())
    });
    let status = child.wait().map_err(GitError::Spawn)?;
    match result {
        (Ok(v), _) if status.success() => Ok(v),
        (Ok(_), errors) => Err(GitError::Failed(errors.trim().to_string())),
        (Err(e), _) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::raw_entry;

    #[test]
    fn raw_entries_of_commits_and_merges() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        assert_eq!(
            raw_entry(&format!(":000000 100644 {z} {a} A")),
            (a.clone(), true)
        );
        assert_eq!(
            raw_entry(&format!(":100644 000000 {a} {z} D")),
            (z.clone(), false)
        );
        assert_eq!(
            raw_entry(&format!(":100644 120000 {a} {b} T")),
            (b.clone(), false)
        );
        assert_eq!(
            raw_entry(&format!("::100644 100644 100755 {a} {b} {c} MM")),
            (c.clone(), true)
        );
        assert_eq!(raw_entry(&format!(":160000 160000 {a} {b} M")), (b, false));
    }
}
