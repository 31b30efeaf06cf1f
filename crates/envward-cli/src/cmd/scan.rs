//! `envward scan [PATH…]`: secrets in the working tree: the project's own
//! values (in every encoded form) and credential formats. Exit 1 when
//! something is found, 0 when clean, 2 on bad input.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::ValueEnum;
use envward::Diagnostic;
use envward::known::KnownValues;
use envward::scan::baseline::Baseline;
use envward::scan::{GitError, HistoryOptions, Rules, ScanOptions};

use crate::cmd::check::{Format, render};
use crate::exit::Exit;
use crate::global::Global;
use crate::progress::ScanProgress;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScanFormat {
    /// One line per finding, a summary line
    Text,
    /// The JSON report of `check` (version 1)
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files and directories to scan [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Also scan files that .gitignore (or .ignore) excludes
    #[arg(long)]
    pub include_ignored: bool,
    /// Skip (and report) files larger than this: bytes, or with K, M, G (KiB…)
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = parse_size)]
    pub max_file_size: u64,
    /// Show each secret in its finding (never without this flag)
    #[arg(long)]
    pub reveal: bool,
    /// Report format
    #[arg(long, value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Write the report to FILE instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Ignore the findings whose fingerprints FILE holds
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write every finding's fingerprint to the --baseline FILE, and exit 0
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
    /// List the rules (id, what it finds) and exit
    #[arg(long)]
    pub list_rules: bool,
    /// Scan what is about to be committed (git's index), not the working tree
    #[arg(long, conflicts_with_all = ["paths", "include_ignored"])]
    pub staged: bool,
    /// Scan the repository's history: every commit reachable from HEAD
    #[arg(long, conflicts_with_all = ["paths", "include_ignored", "staged"])]
    pub git: bool,
    /// With --git: every ref (branches, tags, remotes, stash), not only HEAD
    #[arg(long, requires = "git")]
    pub all: bool,
    /// Exit 2 when a file or directory could not be read (default: a warning)
    #[arg(long)]
    pub strict: bool,
    /// With --git: only the commits after REV (not reachable from it)
    #[arg(long, value_name = "REV", requires = "git")]
    pub since: Option<String>,
}

/// `10M`, `512K`, `1G`, `4096` (binary units).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let (digits, unit) = match lower.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => lower.split_at(i),
        None => (lower.as_str(), ""),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{t}` is not a size (try 10M, 512K or 1048576)"))?;
    let mult: u64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return Err(format!("`{t}`: unknown unit (K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{t}` is too large"))
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let project = envward::Project::open(g.project.as_deref()).map_err(Exit::from)?;
    let rules = Rules::with_project(&project.file.scan.rules).map_err(|e| {
        Exit::input(
            Diagnostic::error(e.to_string())
                .with_hint(Some(envward::diagnostic::Hint::ProjectFileReference)),
        )
    })?;
    if args.list_rules {
        return list_rules(&rules);
    }
    for p in &args.paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(Exit::input(
                Diagnostic::error(format!("{}: no such file or directory", p.display())).with_help(
                    "give files or directories to scan (default: the current directory)",
                ),
            ));
        }
    }
    let known = if project.has_configuration() {
        crate::cmd::redact::known_values(g, true, true)?
    } else {
        anstream::eprintln!(
            "note: no envward project here: only credential formats are looked for, not the project's own values"
        );
        Arc::new(KnownValues::builder(8).build())
    };
    let process: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let fingerprint_key = envward::diff::fingerprint_key(&process);
    crate::output::note_created_key(fingerprint_key.as_ref());
    let fingerprint_key = fingerprint_key.map(|k| k.key);
    if args.baseline.is_some() && fingerprint_key.is_none() {
        return Err(Exit::input(
            Diagnostic::error("a baseline needs the fingerprint key, and there is none")
                .with_help("set ENVWARD_FINGERPRINT_KEY, or HOME so that ~/.config/envward/fingerprint.key can be created"),
        ));
    }
    let options = ScanOptions {
        paths: if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        },
        include_ignored: args.include_ignored,
        max_file_size: args.max_file_size,
        reveal: args.reveal,
        fingerprint_key,
        threads: 0,
    };
    let at = g.project.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut outcome = if args.staged {
        envward::scan::scan_staged(&options, &known, &rules, &at).map_err(|e| {
            Exit::input(
                Diagnostic::error(format!("cannot read the staged files: {e}"))
                    .with_help("--staged reads git's index: run it inside a git work tree"),
            )
        })?
    } else if args.git {
        let history = HistoryOptions {
            all: args.all,
            since: args.since.clone(),
        };
        let progress = ScanProgress::new("reading the history");
        let outcome =
            envward::scan::scan_history(&options, &history, &known, &rules, &at, &progress)
                .map_err(|e| Exit::input(git_error(e)))?;
        progress.finish();
        anstream::eprintln!(
            "note: read {} and {} ({}) of history",
            envward::plural::count(outcome.commits, "commit", "commits"),
            envward::plural::count(outcome.files, "file version", "file versions"),
            megabytes(outcome.bytes)
        );
        outcome
    } else {
        let progress = ScanProgress::new("scanning files");
        let outcome = envward::scan::scan(&options, &known, &rules, &project.root, &progress);
        progress.finish();
        outcome
    };
    for s in &outcome.skipped {
        let level = if s.error { "warning" } else { "note" };
        anstream::eprintln!("{level}: skipped {}: {}", s.path.display(), s.reason);
    }
    envward::findings::apply_settings(&mut outcome.report, &project.file.rules, &[]);
    if let Some(path) = &args.baseline {
        if args.update_baseline {
            let b = Baseline::of(&outcome.report);
            crate::output::write_file(path, &b.to_json(), 0o644)?;
            anstream::eprintln!(
                "wrote {} {} to {}",
                b.findings.len(),
                if b.findings.len() == 1 {
                    "fingerprint"
                } else {
                    "fingerprints"
                },
                path.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let b = Baseline::load(path).map_err(|e| {
            Exit::input(
                Diagnostic::error(e.to_string())
                    .with_help("write one with `envward scan --baseline FILE --update-baseline`"),
            )
        })?;
        let n = b.apply(&mut outcome.report);
        if n > 0 {
            anstream::eprintln!(
                "note: {n} known finding(s) left out (in {})",
                path.display()
            );
        }
    }
    let format = match args.format {
        ScanFormat::Text => Format::Text,
        ScanFormat::Json => Format::Json,
        ScanFormat::Sarif => Format::Sarif,
    };
    match &args.output {
        Some(path) => {
            crate::output::write_file(path, &render(&outcome.report, format, false)?, 0o644)?
        }
        None => {
            let styled =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            let text = render(&outcome.report, format, styled)?;
            let mut out = anstream::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    let unreadable = outcome.skipped.iter().filter(|s| s.error).count();
    if args.strict && unreadable > 0 {
        return Err(Exit::input(
            Diagnostic::error(format!(
                "--strict: {} could not be read (named above), so the scan is incomplete",
                envward::plural::count(unreadable, "file", "files")
            ))
            .with_help(
                "fix the permissions, or leave the files out (.gitignore, .ignore) and scan again",
            ),
        ));
    }
    Ok(if outcome.report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The error of `scan --git`, with what to do about it.
fn git_error(e: GitError) -> Diagnostic {
    match &e {
        GitError::NotARepository(_) => Diagnostic::error(format!("--git reads a repository's history: {e}"))
            .with_help("run it inside a git repository (or pass -C DIR); `envward scan` without --git scans the files"),
        GitError::UnknownRevision(_) => Diagnostic::error(format!("--since: {e}"))
            .with_help("give a commit id, a tag or a branch (`git log --oneline` lists commits)"),
        GitError::Spawn(_) => Diagnostic::error(e.to_string())
            .with_help("--git needs git on the PATH"),
        GitError::Failed(_) => Diagnostic::error(format!("cannot read the history: {e}")),
    }
}

/// `12.3 MB`.
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn list_rules(rules: &Rules) -> anyhow::Result<ExitCode> {
    let mut out = anstream::stdout().lock();
    for (id, _, summary) in envward::scan::rule_entries(rules) {
        writeln!(out, "{id:<38} {summary}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
