//! `envward rules` and `envward rules explain ID`.

use std::io::Write;
use std::process::ExitCode;

use envward::Diagnostic;
use envward::check::rules::{Applies, RULES, find};

use crate::exit::Exit;
use crate::output::style;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Print the documentation of one rule
    Explain {
        /// The rule id, e.g. secret.min-length
        id: String,
    },
}

fn applies(a: Applies) -> &'static str {
    match a {
        Applies::Strict => "strict environments",
        Applies::All => "every environment (a warning outside strict ones)",
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut out = anstream::stdout().lock();
    match args.command {
        None => {
            let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
            for r in RULES {
                let d = style::DIM;
                writeln!(
                    out,
                    "{:<width$}  {d}{:<7}{d:#}  {}",
                    r.id,
                    r.severity().name(),
                    r.summary()
                )?;
            }
        }
        Some(Command::Explain { id }) => {
            let Some(r) = find(&id) else {
                let mut d = Diagnostic::error(format!("unknown rule `{id}`"));
                if let Some(s) = envward::suggest::closest(&id, RULES.iter().map(|r| r.id)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                } else {
                    d = d.with_help("`envward rules` lists every rule");
                }
                return Err(Exit::input(d));
            };
            writeln!(
                out,
                "{}{}{:#}: {}",
                style::KEY,
                r.id,
                style::KEY,
                r.summary()
            )?;
            writeln!(out)?;
            writeln!(
                out,
                "severity:  {} (in {})",
                r.severity().name(),
                applies(r.applies)
            )?;
            writeln!(out, "why:       {}", r.why)?;
            writeln!(out, "fix:       {}", r.fix)?;
            if !r.params.is_empty() {
                let p: Vec<String> = r.params.iter().map(|(n, d)| format!("{n} = {d}")).collect();
                writeln!(out, "params:    {}", p.join(", "))?;
            }
            writeln!(out)?;
            writeln!(out, "Configure in envward.toml:")?;
            writeln!(out, "  [rules.\"{}\"]", r.id)?;
            writeln!(
                out,
                "  severity = \"warning\"      # or error, info; enabled = false turns it off"
            )?;
            for (n, d) in r.params {
                writeln!(out, "  {n} = {d}")?;
            }
            writeln!(out, "  [[rules.\"{}\".allow]]", r.id)?;
            writeln!(
                out,
                "  key = \"KEY\"              # and/or environment = \"staging\""
            )?;
            writeln!(out, "  reason = \"why this is acceptable\"")?;
            writeln!(
                out,
                "or on the line of a value:  KEY=value # envward:allow {} reason",
                r.id
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
