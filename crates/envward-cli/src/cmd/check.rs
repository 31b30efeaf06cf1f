//! `envward check`: validate configuration against the schema of
//! `envward.toml`; exit 1 when findings reach `--fail-on`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use envward::check::{CheckOptions, Severity};

use crate::cli::{Global, TextOrJson};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Check every known environment (and that they define the same keys)
    #[arg(long, short = 'a')]
    pub all_envs: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
    /// Exit 1 when a finding is at least this severe
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Write the report to FILE instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let report = envward::check::check(&CheckOptions {
        load: g.load_options(),
        all_environments: args.all_envs,
    })
    .map_err(crate::exit::Exit::from)?;
    let text = match args.format {
        TextOrJson::Text => {
            let styled = args.output.is_none()
                && anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            envward::report::text(&report, styled)
        }
        TextOrJson::Json => {
            let mut s = serde_json::to_string_pretty(&envward::report::json(&report))?;
            s.push('\n');
            s
        }
    };
    let mut out = crate::output::sink(args.output.as_deref())?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    Ok(if threshold.is_some_and(|t| report.fails(t)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
