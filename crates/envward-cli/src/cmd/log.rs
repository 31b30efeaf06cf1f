//! `envward log`: the audit log (`.envward/audit.log`) shown, verified
//! (`log verify`) and summarised (`log analyze`). Never a value: the log
//! holds none.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use envward::Diagnostic;
use envward::ops::audit::{self, AUDIT_LOG, Action, Entry};
use envward::plural::count;

use crate::exit::Exit;
use crate::global::{Global, TextOrJson};
use crate::output::style;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<LogCommand>,
    #[command(flatten)]
    pub show: ShowArgs,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Only entries at or after this time (2026-12-04, an RFC 3339 time, or `3 days`)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only entries that touch this key
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// Show at most N entries (the newest)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Output format
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[derive(Debug, clap::Subcommand)]
pub enum LogCommand {
    /// Check the hash chain: exit 1 naming the first edited, deleted,
    /// inserted or reordered line
    Verify {
        /// The head printed by an earlier verify: lines cut off the end
        /// since then are found too
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
        /// Output format
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Changes per key and per user, failed decryptions, secrets never rotated
    Analyze {
        /// Output format
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Alerts: bursts of failed decryptions, readers an environment does
    /// not list (exit 1 on a warning: for cron and CI)
    Check {
        /// Output format
        #[arg(long, value_enum, default_value_t = crate::cmd::check::SectionFormat::Text)]
        format: crate::cmd::check::SectionFormat,
        /// Exit 1 when a finding is at least this severe
        #[arg(long, value_enum, default_value_t = crate::cmd::check::FailOn::Warning)]
        fail_on: crate::cmd::check::FailOn,
    },
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        None => show(g, args.show),
        Some(LogCommand::Verify { head, format }) => verify(g, head.as_deref(), format),
        Some(LogCommand::Analyze { format }) => analyze(g, format),
        Some(LogCommand::Check { format, fail_on }) => check(g, format, fail_on),
    }
}

fn read(root: &std::path::Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(root.join(AUDIT_LOG)) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Exit::input(Diagnostic::error(format!(
            "cannot read {AUDIT_LOG}: {e}"
        )))),
    }
}

/// The entries, saying on stderr which lines were skipped.
fn entries(root: &std::path::Path) -> anyhow::Result<Vec<Entry>> {
    let Some(text) = read(root)? else {
        return Ok(Vec::new());
    };
    let log = audit::parse(&text);
    for bad in &log.bad {
        anstream::eprintln!(
            "warning: {AUDIT_LOG}:{}: {}; skipped",
            bad.line,
            bad.message
        );
    }
    Ok(log.entries)
}

fn show(g: &Global, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let project = g.configured_project()?;
    let process: BTreeMap<String, String> = std::env::vars().collect();
    let env = match g.env.last() {
        Some(e) => Some(project.environment(Some(e), &process).map_err(Exit::from)?),
        None => None,
    };
    let since = match &args.since {
        Some(s) => Some(envward::ops::history::parse_time(s).ok_or_else(|| {
            Exit::input(
                Diagnostic::error(format!("`{s}` is not a time"))
                    .with_help("give a date (2026-12-04), an RFC 3339 time (2026-12-04T10:00:00Z) or a duration ago (3 days, 12h)"),
            )
        })?),
        None => None,
    };
    let mut list: Vec<Entry> = entries(&project.root)?
        .into_iter()
        .filter(|e| env.as_deref().is_none_or(|v| e.environment == v))
        .filter(|e| args.key.as_ref().is_none_or(|k| e.keys.contains(k)))
        .filter(|e| since.is_none_or(|t| e.timestamp().is_some_and(|at| at >= t)))
        .collect();
    list.reverse();
    if let Some(n) = args.limit {
        list.truncate(n);
    }
    let mut out = anstream::stdout().lock();
    match args.format {
        TextOrJson::Json => {
            #[derive(serde::Serialize)]
            struct Shown<'a> {
                line: usize,
                #[serde(flatten)]
                entry: &'a Entry,
            }
            let shown: Vec<Shown<'_>> = list
                .iter()
                .map(|e| Shown {
                    line: e.line,
                    entry: e,
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &shown)?;
            writeln!(out)?;
        }
        TextOrJson::Text => {
            if list.is_empty() {
                anstream::eprintln!("no entry in {AUDIT_LOG}");
            }
            let dim = style::DIM;
            for e in &list {
                let when = e.time.get(..19).unwrap_or(&e.time).replace('T', " ");
                let what = match e.action {
                    Action::Write => "write".to_string(),
                    Action::Read => "read".to_string(),
                    Action::DecryptFailed => {
                        let s = anstyle::AnsiColor::Red.on_default();
                        format!("{s}decrypt-failed{s:#}")
                    }
                };
                write!(
                    out,
                    "{when}Z  {}@{}  {}  {what}  {}",
                    e.user, e.host, e.command, e.environment
                )?;
                if !e.keys.is_empty() {
                    write!(out, "  {}", e.keys.join(", "))?;
                }
                if let Some(f) = &e.file {
                    write!(out, "  {dim}{f}{dim:#}")?;
                }
                if let Some(d) = &e.detail {
                    write!(out, "  {dim}({d}){dim:#}")?;
                }
                writeln!(out)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn verify(g: &Global, head: Option<&str>, format: TextOrJson) -> anyhow::Result<ExitCode> {
    let project = g.configured_project()?;
    let text = read(&project.root)?.unwrap_or_default();
    let v = audit::verify_against(&text, head);
    let mut out = anstream::stdout().lock();
    match format {
        TextOrJson::Json => {
            #[derive(serde::Serialize)]
            struct Report<'a> {
                file: &'a str,
                ok: bool,
                verified: usize,
                head: Option<&'a str>,
                problem: Option<String>,
                line: Option<usize>,
            }
            serde_json::to_writer_pretty(
                &mut out,
                &Report {
                    file: AUDIT_LOG,
                    ok: v.problem.is_none(),
                    verified: v.verified,
                    head: v.head.as_deref(),
                    problem: v.problem.as_ref().map(audit::Problem::describe),
                    line: v.problem.as_ref().map(|p| p.line),
                },
            )?;
            writeln!(out)?;
        }
        TextOrJson::Text => match &v.problem {
            None if v.verified == 0 => {
                writeln!(out, "{AUDIT_LOG}: no entry to verify")?;
            }
            None => writeln!(
                out,
                "✔ {AUDIT_LOG}: {} verified; head {}",
                count(v.verified, "entry", "entries"),
                v.head.as_deref().unwrap_or_default()
            )?,
            Some(p) => {
                writeln!(out, "✖ {AUDIT_LOG}:{}: {}", p.line, p.describe())?;
                writeln!(
                    out,
                    "  {} before it verified",
                    count(v.verified, "entry", "entries")
                )?;
            }
        },
    }
    out.flush()?;
    Ok(if v.problem.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn check(
    g: &Global,
    format: crate::cmd::check::SectionFormat,
    fail_on: crate::cmd::check::FailOn,
) -> anyhow::Result<ExitCode> {
    let project = g.configured_project()?;
    let entries = entries(&project.root)?;
    let report = audit::alerts(&entries, &project.file, &project.root);
    let styled = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let text = crate::cmd::check::render(&report, format.into(), styled)?;
    crate::cmd::check::print_report(&text, &report, fail_on)
}

fn analyze(g: &Global, format: TextOrJson) -> anyhow::Result<ExitCode> {
    let project = g.configured_project()?;
    let entries = entries(&project.root)?;
    // The secrets of every environment (never asking for a passphrase:
    // which keys are secrets shows without decrypting).
    let mut secrets = Vec::new();
    for env in &project.environments {
        let mut opts = g.load_options();
        opts.environment = Some(env.clone());
        opts.passphrase_prompt = None;
        match envward::Config::load_in(&project, opts) {
            Ok(cfg) => secrets.extend(
                cfg.iter()
                    .filter(|v| v.sensitive && !matches!(v.origin, envward::Origin::Process))
                    .map(|v| (cfg.environment.clone(), v.key.to_string())),
            ),
            Err(e) => anstream::eprintln!(
                "note: {env} not loaded ({}); its secrets are not listed",
                e.diagnostic().message
            ),
        }
    }
    let rotations = envward::ops::rotation::load(&project.root);
    let a = audit::analyze(&entries, &secrets, &rotations);
    let mut out = anstream::stdout().lock();
    match format {
        TextOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &a)?;
            writeln!(out)?;
        }
        TextOrJson::Text => {
            let bold = style::BOLD;
            match (&a.first, &a.last) {
                (Some(f), Some(l)) => writeln!(
                    out,
                    "{AUDIT_LOG}: {}, {} to {}",
                    count(a.entries, "entry", "entries"),
                    f.get(..10).unwrap_or(f),
                    l.get(..10).unwrap_or(l)
                )?,
                _ => writeln!(out, "{AUDIT_LOG}: no entry")?,
            }
            writeln!(out, "\n{bold}Changes per key{bold:#}")?;
            if a.keys.is_empty() {
                writeln!(out, "  none")?;
            }
            for k in &a.keys {
                write!(
                    out,
                    "  {}  {}  {}, {}",
                    k.environment,
                    k.key,
                    count(k.changes, "change", "changes"),
                    count(k.reads, "read", "reads")
                )?;
                if let (Some(t), Some(u)) = (&k.last_change, &k.last_changed_by) {
                    write!(out, "; last changed {} by {u}", t.get(..10).unwrap_or(t))?;
                }
                writeln!(out)?;
            }
            writeln!(out, "\n{bold}Per user{bold:#}")?;
            if a.users.is_empty() {
                writeln!(out, "  none")?;
            }
            for u in &a.users {
                writeln!(
                    out,
                    "  {} ({}): {}, {}, {}; last {}",
                    u.user,
                    u.hosts.join(", "),
                    count(u.writes, "change", "changes"),
                    count(u.reads, "read", "reads"),
                    count(
                        u.failed_decryptions,
                        "failed decryption",
                        "failed decryptions"
                    ),
                    u.last.get(..10).unwrap_or(&u.last)
                )?;
            }
            writeln!(
                out,
                "\n{bold}Failed decryptions{bold:#}: {}",
                a.failed_decryptions.len()
            )?;
            for f in &a.failed_decryptions {
                writeln!(
                    out,
                    "  {}  {}@{}  {}  {}{}  (line {})",
                    f.time.get(..19).unwrap_or(&f.time).replace('T', " "),
                    f.user,
                    f.host,
                    f.command,
                    f.environment,
                    f.detail
                        .as_ref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default(),
                    f.line
                )?;
            }
            writeln!(
                out,
                "\n{bold}Secrets never rotated{bold:#} (no record in {}): {}",
                envward::ops::rotation::ROTATIONS_FILE,
                a.never_rotated.len()
            )?;
            for n in &a.never_rotated {
                writeln!(out, "  {}  {}", n.environment, n.key)?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
