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
    let mut out = anstream::stdout().lock();
    match args.format {
        TextOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &d)?;
            writeln!(out)?;
        }
        TextOrJson::Text => text(&mut out, &d, keys_only)?,
    }
    out.flush()?;
    Ok(if args.exit_code && !d.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn text(out: &mut impl Write, d: &Diff, keys_only: bool) -> std::io::Result<()> {
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
        (None, None) if keys_only => String::new(),
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
            (_, _, Some((l, r))) => {
                format!("changed {dim}(sensitive, fingerprint {l} → {r}){dim:#}")
            }
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
