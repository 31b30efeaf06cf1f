//! `envward diff`: two environments, two files, or an environment against
//! `.env.example`. Key-based; sensitive values never printed.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use envward::diff::{Diff, Side, diff, fingerprint_key};
use envward::dotenv::Document;
use envward::{Diagnostic, LoadOptions};

use crate::exit::Exit;
use crate::global::{Global, TextOrJson};
use crate::output::style;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Two .env files to compare (instead of environments)
    #[arg(num_args = 0..=2, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Compare the environment's keys with .env.example
    #[arg(long)]
    pub example: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Exit 1 when there are differences
    #[arg(long)]
    pub exit_code: bool,
    /// Compare the environment with a snapshot: its id (or first 4+
    /// characters) or a time (2026-12-04, an RFC 3339 time, `3 days`: the
    /// last snapshot at or before it). Keys only, never values
    #[arg(long, value_name = "SNAPSHOT|DATE", conflicts_with_all = ["files", "example"])]
    pub since: Option<String>,
}

/// How values are shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Values,
    KeysOnly,
    Since,
}

fn load(g: &Global, env: Option<&String>) -> anyhow::Result<Side> {
    let mut opts: LoadOptions = g.load_options();
    opts.environment = env.cloned();
    let cfg = envward::Config::load(opts).map_err(Exit::from)?;
    crate::output::warnings(&cfg);
    // Comparing an undecryptable value would compare a blank stand-in.
    if let Some(file) = cfg.sealed.first() {
        return Err(Exit::input(crate::global::sealed_diagnostic(file)));
    }
    Ok(Side::from_resolved(&cfg))
}

fn read_file(path: &PathBuf, project_dir: Option<&std::path::Path>) -> anyhow::Result<Side> {
    let bytes = std::fs::read(path).map_err(|e| {
        Exit::input(Diagnostic::error(format!(
            "cannot read {}: {e}",
            path.display()
        )))
    })?;
    let doc =
        Document::parse_vec(bytes).map_err(|e| Exit::input(e.with_path(path).diagnostic()))?;
    // The schema's `sensitive = …` applies to files compared directly too.
    let project = envward::Project::open(project_dir).map_err(Exit::from)?;
    Ok(Side::from_document(
        &path.display().to_string(),
        &doc,
        &project.file,
    ))
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let process: BTreeMap<String, String> = std::env::vars().collect();
    if let Some(reference) = &args.since {
        let d = since(g, reference, &process)?;
        return print(&d, &args, Mode::Since);
    }
    let (left, right, keys_only) = match (args.files.len(), g.env.len(), args.example) {
        (2, 0, false) => (
            read_file(&args.files[0], g.project.as_deref())?,
            read_file(&args.files[1], g.project.as_deref())?,
            false,
        ),
        (0, 2, false) => (load(g, g.env.first())?, load(g, g.env.get(1))?, false),
        (0, 0 | 1, true) => {
            let left = load(g, g.env.first())?;
            let project = envward::Project::open(g.project.as_deref()).map_err(Exit::from)?;
            let mut right = read_file(&project.root.join(".env.example"), Some(&project.root))?;
            right.label = ".env.example".into();
            (left, right, true)
        }
        _ => {
            return Err(Exit::input(
                Diagnostic::error("say what to compare")
                    .with_help("envward diff -e A -e B | envward diff FILE_A FILE_B | envward diff -e ENV --example"),
            ));
        }
    };
    let key = if keys_only {
        None
    } else {
        fingerprint_key(&process)
    };
    crate::output::note_created_key(key.as_ref());
    let d = diff(
        &left,
        &right,
        keys_only,
        key.as_ref().map(|k| k.key.as_slice()),
    );
    let mode = if keys_only {
        Mode::KeysOnly
    } else {
        Mode::Values
    };
    print(&d, &args, mode)
}

fn print(d: &Diff, args: &Args, mode: Mode) -> anyhow::Result<ExitCode> {
    let mut out = anstream::stdout().lock();
    match args.format {
        TextOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &d)?;
            writeln!(out)?;
        }
        TextOrJson::Text => text(&mut out, d, mode)?,
    }
    out.flush()?;
    Ok(if args.exit_code && !d.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The environment now against one of its snapshots: keys and
/// fingerprints (the snapshot's key must be the one in use), never values.
fn since(g: &Global, reference: &str, process: &BTreeMap<String, String>) -> anyhow::Result<Diff> {
    use envward::ops::history::{self, ChangeKind, State};
    let project = g.configured_project()?;
    let cfg = envward::Config::load_in(&project, g.load_options()).map_err(Exit::from)?;
    crate::output::warnings(&cfg);
    if let Some(file) = cfg.sealed.first() {
        return Err(Exit::input(crate::global::sealed_diagnostic(file)));
    }
    let h = super::history::load(&project.root)?;
    let snap = h.find(&cfg.environment, reference).map_err(|e| {
        let mut d = Diagnostic::error(e.to_string());
        let valid = e.valid();
        if !valid.is_empty() {
            let shown: Vec<String> = valid
                .iter()
                .take(10)
                .map(|(id, when)| format!("{id} ({when})"))
                .collect();
            let more = valid.len().saturating_sub(10);
            d = d.with_note(format!(
                "snapshots of `{}`, newest first: {}{}",
                cfg.environment,
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more (`envward history -e {}`)", cfg.environment)
                } else {
                    String::new()
                }
            ));
        }
        Exit::input(d.with_help(
            "give a snapshot id (or its first 4 or more characters), or a time: 2026-12-04, 2026-12-04T10:00:00Z, `3 days`",
        ))
    })?;
    let key = super::history::key(process)?;
    let now = State::of(&cfg, &key.key);
    if snap.key_id != now.key_id {
        anstream::eprintln!(
            "warning: snapshot {} was fingerprinted under another key: only keys are compared, not values",
            snap.id
        );
    }
    let changes = history::changes(&snap.state(), &now);
    let mut d = Diff {
        left: format!(
            "{} at snapshot {} ({})",
            snap.environment,
            snap.id,
            snap.when()
        ),
        right: format!("{} now", cfg.environment),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        unchanged: 0,
    };
    let fp_of = |state: &std::collections::BTreeMap<String, history::KeyState>, k: &str| {
        state
            .get(k)
            .filter(|s| s.sensitive)
            .and_then(|s| s.fp.clone())
    };
    for c in &changes {
        match c.change {
            ChangeKind::Added => d.added.push(envward::diff::OneSided {
                key: c.key.clone(),
                value: None,
                fingerprint: fp_of(&now.keys, &c.key),
            }),
            ChangeKind::Removed => d.removed.push(envward::diff::OneSided {
                key: c.key.clone(),
                value: None,
                fingerprint: fp_of(&snap.keys, &c.key),
            }),
            ChangeKind::Changed | ChangeKind::TypeChanged => {
                let fps = snap
                    .keys
                    .get(&c.key)
                    .and_then(|s| s.fp.clone())
                    .zip(now.keys.get(&c.key).and_then(|s| s.fp.clone()));
                d.changed.push(envward::diff::Changed {
                    key: c.key.clone(),
                    sensitive: c.sensitive,
                    left: None,
                    right: None,
                    fingerprints: fps,
                    type_change: c
                        .from
                        .as_deref()
                        .map(kind_name)
                        .zip(c.to.as_deref().map(kind_name)),
                });
            }
        }
    }
    d.unchanged = now
        .keys
        .keys()
        .filter(|k| snap.keys.contains_key(*k) && !changes.iter().any(|c| &c.key == *k))
        .count();
    Ok(d)
}

/// A kind as recorded, as the static name `diff` uses.
fn kind_name(kind: &str) -> &'static str {
    ["empty", "bool", "int", "float", "url", "string"]
        .into_iter()
        .find(|k| *k == kind)
        .unwrap_or("other")
}

fn text(out: &mut impl Write, d: &Diff, mode: Mode) -> std::io::Result<()> {
    let keys_only = mode == Mode::KeysOnly;
    use anstyle::AnsiColor;
    let add = AnsiColor::Green.on_default();
    let del = AnsiColor::Red.on_default();
    let chg = AnsiColor::Yellow.on_default();
    let dim = style::DIM;
    writeln!(out, "{del}--- {}{del:#}", d.left)?;
    writeln!(out, "{add}+++ {}{add:#}", d.right)?;
    let shown = |v: &envward::diff::OneSided| match (&v.value, &v.fingerprint) {
        (Some(v), _) => format!(" = {v:?}"),
        (None, Some(fp)) => format!("  {dim}(sensitive, fingerprint {fp}){dim:#}"),
        (None, None) if mode != Mode::Values => String::new(),
        (None, None) => format!("  {dim}(sensitive){dim:#}"),
    };
    for v in &d.removed {
        let what = if keys_only {
            format!("  {dim}(not in {}){dim:#}", d.right)
        } else {
            shown(v)
        };
        writeln!(out, "{del}- {}{del:#}{what}", v.key)?;
    }
    for v in &d.added {
        let what = if keys_only {
            format!("  {dim}(not in {}){dim:#}", d.left)
        } else {
            shown(v)
        };
        writeln!(out, "{add}+ {}{add:#}{what}", v.key)?;
    }
    for c in &d.changed {
        let detail = match (&c.left, &c.right, &c.fingerprints) {
            (Some(l), Some(r), _) => format!("{l:?} → {r:?}"),
            (_, _, Some((l, r))) if c.sensitive => {
                format!("changed {dim}(sensitive, fingerprint {l} → {r}){dim:#}")
            }
            (_, _, Some((l, r))) => format!("changed {dim}(fingerprint {l} → {r}){dim:#}"),
            _ if !c.sensitive => "changed".to_string(),
            _ => format!("changed {dim}(sensitive){dim:#}"),
        };
        let kind = match c.type_change {
            Some((l, r)) => format!("  {dim}(type {l} → {r}){dim:#}"),
            None => String::new(),
        };
        writeln!(out, "{chg}~ {}{chg:#}: {detail}{kind}", c.key)?;
    }
    writeln!(
        out,
        "{} changed, {} added, {} removed, {} unchanged",
        d.changed.len(),
        d.added.len(),
        d.removed.len(),
        d.unchanged
    )
}
