//! `envward snapshot` and `envward history`: an environment's keys and
//! value fingerprints recorded over time (`.envward/history.jsonl`), and
//! the changes between snapshots. Never a value.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use envward::Diagnostic;
use envward::ops::history::{self, ChangeKind, KeyChange, Snapshot, State};
use envward::plural::count;

use crate::exit::Exit;
use crate::global::{Global, TextOrJson};
use crate::output::style;

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    /// Snapshot every environment of the project
    #[arg(long)]
    pub all_envs: bool,
    /// What the snapshot is for ("before the 4.2 deploy")
    #[arg(short, long, value_name = "MESSAGE")]
    pub message: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Only changes of this key
    pub key: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Show at most N snapshots
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// The fingerprint key; an error (exit 2) when there is none.
pub fn key(process: &BTreeMap<String, String>) -> anyhow::Result<envward::diff::FingerprintKey> {
    let key = envward::diff::fingerprint_key(process).ok_or_else(|| {
        Exit::input(
            Diagnostic::error("no fingerprint key: snapshots need one to fingerprint values")
                .with_help("set ENVWARD_FINGERPRINT_KEY (the same for everyone who shares the history), or HOME so that envward can keep one in ~/.config/envward/fingerprint.key"),
        )
    })?;
    crate::output::note_created_key(Some(&key));
    Ok(key)
}

/// Reads the history, saying on stderr which lines were skipped.
pub fn load(root: &std::path::Path) -> anyhow::Result<history::History> {
    let h = history::load(root).map_err(|e| {
        Exit::input(Diagnostic::error(format!(
            "cannot read {}: {e}",
            history::HISTORY_FILE
        )))
    })?;
    for bad in &h.bad {
        anstream::eprintln!(
            "warning: {}:{}: {}; skipped",
            history::HISTORY_FILE,
            bad.line,
            bad.message
        );
    }
    Ok(h)
}

/// `envward snapshot`.
pub fn snapshot(g: &Global, args: SnapshotArgs) -> anyhow::Result<ExitCode> {
    let project = g.configured_project()?;
    let process: BTreeMap<String, String> = std::env::vars().collect();
    let key = key(&process)?;
    let environments: Vec<Option<String>> = if args.all_envs {
        project.environments.iter().cloned().map(Some).collect()
    } else {
        vec![g.env.last().cloned()]
    };
    let commit = envward::ops::git_commit(&project.root);
    let mut taken = Vec::new();
    let mut before = Vec::new();
    for env in environments {
        let mut opts = g.load_options();
        opts.environment = env;
        let cfg = envward::Config::load_in(&project, opts).map_err(Exit::from)?;
        crate::output::warnings(&cfg);
        // A value no identity opens would be recorded as unknown.
        if let Some(file) = cfg.sealed.first() {
            return Err(Exit::input(
                crate::global::sealed_diagnostic(file)
                    .with_note(format!("no snapshot of `{}` was taken", cfg.environment)),
            ));
        }
        let state = State::of(&cfg, &key.key);
        // The snapshot before, to say what changed (only its line is read).
        before.push(
            history::last_of(&project.root, &cfg.environment)
                .ok()
                .flatten(),
        );
        taken.push(Snapshot::new(
            &cfg.environment,
            state,
            commit.clone(),
            args.message.clone(),
        ));
    }
    history::record(&project.root, &taken, project.file.history.keep()).map_err(|e| {
        Exit::input(Diagnostic::error(format!(
            "cannot write {}: {e}",
            history::HISTORY_FILE
        )))
    })?;
    let mut out = std::io::stdout().lock();
    for (s, prev) in taken.iter().zip(&before) {
        let since = match prev {
            Some(prev) => {
                let changes = history::changes(&prev.state(), &s.state());
                if changes.is_empty() {
                    format!("no change since {}", prev.id)
                } else {
                    format!("{} since {}", summary(&changes), prev.id)
                }
            }
            None => "the first".to_string(),
        };
        anstream::eprintln!(
            "snapshot {} of {}: {} ({since})",
            s.id,
            s.environment,
            count(s.keys.len(), "key", "keys")
        );
        writeln!(out, "{}", s.id)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `2 changed, 1 added, 1 removed`.
pub fn summary(changes: &[KeyChange]) -> String {
    let n = |k: &[ChangeKind]| changes.iter().filter(|c| k.contains(&c.change)).count();
    let parts = [
        (
            n(&[ChangeKind::Changed, ChangeKind::TypeChanged]),
            "changed",
        ),
        (n(&[ChangeKind::Added]), "added"),
        (n(&[ChangeKind::Removed]), "removed"),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One snapshot with what changed since the one before it.
#[derive(serde::Serialize)]
struct Step<'a> {
    id: &'a str,
    environment: &'a str,
    time: &'a str,
    user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    /// The snapshot compared with (`None` for the first).
    previous: Option<&'a str>,
    schema_changed: bool,
    /// Fingerprints made under another key: values not compared.
    key_changed: bool,
    changes: Vec<KeyChange>,
}

/// `envward history`.
pub fn run(g: &Global, args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let project = g.configured_project()?;
    let h = load(&project.root)?;
    let process: BTreeMap<String, String> = std::env::vars().collect();
    let only: Option<String> = match g.env.last() {
        Some(e) => Some(project.environment(Some(e), &process).map_err(Exit::from)?),
        None => None,
    };
    let mut steps: Vec<(&Snapshot, Step<'_>)> = Vec::new();
    let mut envs: Vec<&str> = h.snapshots.iter().map(|s| s.environment.as_str()).collect();
    envs.sort_unstable();
    envs.dedup();
    for env in envs {
        if only.as_deref().is_some_and(|o| o != env) {
            continue;
        }
        let mut prev: Option<&Snapshot> = None;
        for s in h.of(env) {
            let empty = State {
                key_id: s.key_id.clone(),
                schema: s.schema.clone(),
                keys: BTreeMap::new(),
            };
            let before = prev.map_or(empty, Snapshot::state);
            let mut changes = history::changes(&before, &s.state());
            if let Some(k) = &args.key {
                changes.retain(|c| &c.key == k);
            }
            let step = Step {
                id: &s.id,
                environment: &s.environment,
                time: &s.time,
                user: &s.user,
                commit: s.commit.as_deref(),
                message: s.message.as_deref(),
                previous: prev.map(|p| p.id.as_str()),
                schema_changed: prev.is_some_and(|p| p.schema != s.schema),
                key_changed: prev.is_some_and(|p| p.key_id != s.key_id),
                changes,
            };
            prev = Some(s);
            if args.key.is_some() && step.changes.is_empty() {
                continue;
            }
            steps.push((s, step));
        }
    }
    // Newest first.
    steps.sort_by_key(|s| std::cmp::Reverse(s.0.timestamp()));
    if let Some(n) = args.limit {
        steps.truncate(n);
    }
    let mut out = anstream::stdout().lock();
    match args.format {
        TextOrJson::Json => {
            let list: Vec<&Step<'_>> = steps.iter().map(|(_, s)| s).collect();
            serde_json::to_writer_pretty(&mut out, &list)?;
            writeln!(out)?;
        }
        TextOrJson::Text => {
            if steps.is_empty() {
                let what = match (&only, &args.key) {
                    (_, Some(k)) => format!("no recorded change of `{k}`"),
                    (Some(e), None) => format!("no snapshot of `{e}`"),
                    (None, None) => "no snapshot".to_string(),
                };
                anstream::eprintln!(
                    "{what} in {} (take one with `envward snapshot -e ENV`)",
                    history::HISTORY_FILE
                );
            }
            for (s, step) in &steps {
                text(&mut out, s, step, args.key.is_some())?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn text(out: &mut impl Write, s: &Snapshot, step: &Step<'_>, keyed: bool) -> std::io::Result<()> {
    use anstyle::AnsiColor;
    let head = AnsiColor::Yellow.on_default();
    let add = AnsiColor::Green.on_default();
    let del = AnsiColor::Red.on_default();
    let dim = style::DIM;
    write!(
        out,
        "{head}snapshot {}{head:#}  {}  {}  {}",
        s.id,
        s.environment,
        s.when(),
        s.user
    )?;
    if let Some(c) = &s.commit {
        write!(out, "  {dim}commit {}{dim:#}", c.get(..10).unwrap_or(c))?;
    }
    if let Some(m) = &s.message {
        write!(out, "  {m:?}")?;
    }
    writeln!(out)?;
    if step.previous.is_none() && !keyed {
        writeln!(
            out,
            "  first snapshot of {}: {}",
            s.environment,
            count(s.keys.len(), "key", "keys")
        )?;
        return Ok(());
    }
    if step.key_changed {
        writeln!(
            out,
            "  {dim}fingerprinted under another key than {}: values not compared{dim:#}",
            step.previous.unwrap_or_default()
        )?;
    }
    if step.schema_changed {
        writeln!(out, "  schema changed")?;
    }
    if step.changes.is_empty() && !step.schema_changed {
        writeln!(out, "  {dim}no change{dim:#}")?;
    }
    for c in &step.changes {
        let secret = if c.sensitive {
            format!("  {dim}(sensitive){dim:#}")
        } else {
            String::new()
        };
        match c.change {
            ChangeKind::Added => writeln!(out, "  {add}+ {}{add:#}{secret}", c.key)?,
            ChangeKind::Removed => writeln!(out, "  {del}- {}{del:#}{secret}", c.key)?,
            ChangeKind::Changed => writeln!(out, "  {head}~ {}{head:#}  changed{secret}", c.key)?,
            ChangeKind::TypeChanged => writeln!(
                out,
                "  {head}~ {}{head:#}  type changed: {} → {}",
                c.key,
                c.from.as_deref().unwrap_or("?"),
                c.to.as_deref().unwrap_or("?")
            )?,
        }
    }
    Ok(())
}
