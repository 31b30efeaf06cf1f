//! `envward pull` and `envward push`: an environment's files and its
//! OpenBao / Vault secret, compared key by key (never a value), then one
//! side written.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use envward::Diagnostic;
use envward::remote::sync::{self, KeyChange, Plan};

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// Show what would change and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the plan as JSON on stdout (keys and what happens to them)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct PushArgs {
    /// Show what would change and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Write without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Remove keys that are only in the store (kept by default)
    #[arg(long)]
    pub prune: bool,
    /// Write only if the store's secret (`path`) is still at this version
    /// (the one a reviewed `--dry-run` showed)
    #[arg(long, value_name = "N")]
    pub expect_version: Option<u64>,
    /// Print the plan as JSON on stdout (keys and what happens to them)
    #[arg(long)]
    pub json: bool,
}

pub fn pull(g: &Global, args: PullArgs) -> anyhow::Result<ExitCode> {
    require_env(g)?;
    let options = g.load_options();
    let plan = sync::plan_pull(&options).map_err(Exit::from)?;
    show(&plan, args.json)?;
    if !go_ahead(&plan, args.dry_run, args.yes, false)? {
        return Ok(ExitCode::SUCCESS);
    }
    let written = sync::apply_pull(&options, &plan, "pull").map_err(Exit::from)?;
    anstream::eprintln!(
        "pulled {} into the files of `{}`",
        envward::plural::count(written, "key", "keys"),
        plan.environment
    );
    Ok(ExitCode::SUCCESS)
}

pub fn push(g: &Global, args: PushArgs) -> anyhow::Result<ExitCode> {
    require_env(g)?;
    let options = g.load_options();
    let plan = sync::plan_push(&options, args.prune).map_err(Exit::from)?;
    show(&plan, args.json)?;
    // With --expect-version the write is made even with nothing to
    // change: the version is checked by the store.
    if !go_ahead(&plan, args.dry_run, args.yes, args.expect_version.is_some())? {
        return Ok(ExitCode::SUCCESS);
    }
    let versions = sync::apply_push(&options, &plan, args.expect_version).map_err(Exit::from)?;
    let root = g.configured_project()?.root;
    for (secret, version) in &versions {
        anstream::eprintln!("pushed {secret}: now version {version}");
        let keys = plan
            .secrets
            .iter()
            .filter(|s| &s.secret == secret)
            .flat_map(|s| {
                s.keys
                    .iter()
                    .filter(|(_, c)| c.writes())
                    .map(|(k, _)| k.clone())
            })
            .collect();
        crate::audit::write(
            &root,
            &envward::ops::audit::Event {
                command: "push",
                action: envward::ops::audit::Action::Write,
                environment: &plan.environment,
                keys,
                file: None,
                detail: Some(format!("vault:{secret}@v{version}")),
            },
        );
    }
    if let Some(pinned) = plan.pinned {
        anstream::eprintln!(
            "note: envward.toml pins `version = {pinned}`: reads of `{}` stay on it until you change it",
            plan.environment
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Pull and push name their environment: a store is never written by
/// accident of `ENVWARD_ENV`.
fn require_env(g: &Global) -> anyhow::Result<()> {
    if g.env.is_empty() {
        return Err(Exit::input(
            Diagnostic::error("name the environment: -e ENV")
                .with_help("for example `envward pull -e production --dry-run`"),
        ));
    }
    Ok(())
}

/// The key-level diff on stderr (and the plan as JSON on stdout).
fn show(plan: &Plan, json: bool) -> anyhow::Result<()> {
    if json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, plan)?;
        writeln!(out)?;
    }
    let arrow = if plan.direction == "pull" {
        "store → files"
    } else {
        "files → store"
    };
    for secret in &plan.secrets {
        let version = secret
            .version
            .map_or_else(|| "no version yet".to_string(), |v| format!("version {v}"));
        anstream::eprintln!(
            "{} `{}`: {} at {} ({version}), {arrow}",
            plan.direction,
            plan.environment,
            secret.secret,
            plan.address
        );
        let width = secret.keys.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let mut unchanged = 0;
        for (key, change) in &secret.keys {
            let what = match (change, plan.direction) {
                (KeyChange::Unchanged, _) => {
                    unchanged += 1;
                    continue;
                }
                (KeyChange::Added, "pull") => "only in the store: added to the files",
                (KeyChange::Added, _) => "only in the files: added to the store",
                (KeyChange::Changed, _) => "differs: overwritten",
                (KeyChange::Kept, "pull") => "only in the files: kept",
                (KeyChange::Kept, _) => "only in the store: kept (--prune removes it)",
                (KeyChange::Removed, _) => "only in the store: removed (--prune)",
            };
            anstream::eprintln!("  {} {key:width$}  {what}", change.sign());
        }
        if unchanged > 0 {
            anstream::eprintln!(
                "  = {} unchanged",
                envward::plural::count(unchanged, "key", "keys")
            );
        }
    }
    Ok(())
}

/// Whether to write: not on a dry run or when nothing changes; with
/// `--yes`; else asked on a terminal, refused elsewhere.
fn go_ahead(plan: &Plan, dry_run: bool, yes: bool, even_unchanged: bool) -> anyhow::Result<bool> {
    if plan.changes() == 0 && !even_unchanged {
        anstream::eprintln!("nothing to {}: already in line", plan.direction);
        return Ok(false);
    }
    if dry_run {
        anstream::eprintln!("dry run: nothing written");
        return Ok(false);
    }
    confirmed(yes)
}

fn confirmed(yes: bool) -> anyhow::Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Exit::input(
            Diagnostic::error("not a terminal: cannot ask before writing")
                .with_help("pass --yes to write, or --dry-run to only show the changes"),
        ));
    }
    eprint_flush("write these changes? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

fn eprint_flush(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{text}");
    let _ = err.flush();
}
