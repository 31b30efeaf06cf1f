//! `envward check`: validate configuration against the schema of
//! `envward.toml` and the security rules; exit 1 when findings reach
//! `--fail-on`. Several `--format`/`--output` pairs write several reports
//! from one run.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use envward::Diagnostic;
use envward::check::{CheckOptions, Report, Severity};

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

impl FailOn {
    /// The lowest severity that fails the command; `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// The formats of the producers whose reports group by section, not by
/// environment (`doctor`, `probe`): every writer but HTML's matrix.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum SectionFormat {
    /// Grouped by section, ✖ ⚠ ✔ markers
    Text,
    /// Stable JSON (version 1)
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// JUnit XML: a suite per section, a case per rule
    Junit,
    /// A Markdown summary for pull requests and $GITHUB_STEP_SUMMARY
    Markdown,
}

impl From<SectionFormat> for Format {
    fn from(f: SectionFormat) -> Format {
        match f {
            SectionFormat::Text => Format::Text,
            SectionFormat::Json => Format::Json,
            SectionFormat::Sarif => Format::Sarif,
            SectionFormat::Junit => Format::Junit,
            SectionFormat::Markdown => Format::Markdown,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Grouped by environment, ✖ ⚠ ✔ markers
    Text,
    /// Stable JSON (version 1)
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// JUnit XML, for CI test viewers
    Junit,
    /// A Markdown summary for pull requests and $GITHUB_STEP_SUMMARY
    Markdown,
    /// One self-contained HTML page: summary, environment × rule matrix,
    /// findings with filters
    Html,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ProfileName {
    /// Django's `manage.py check --deploy`: its checks and their ids
    Django,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Check every known environment (and that they define the same keys)
    #[arg(long, short = 'a')]
    pub all_envs: bool,
    /// Report format; repeat with --output for several reports
    #[arg(long, value_enum, action = clap::ArgAction::Append)]
    pub format: Vec<Format>,
    /// Write the report to FILE; the Nth --output takes the Nth --format
    #[arg(long, short = 'o', value_name = "FILE", action = clap::ArgAction::Append)]
    pub output: Vec<PathBuf>,
    /// Exit 1 when a finding is at least this severe
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Also write audit_log_<timestamp>.json (the JSON report) into DIR
    #[arg(long, value_name = "DIR")]
    pub audit_log: Option<PathBuf>,
    /// Add another tool's checks and ids to every rule: the rules that mirror
    /// them also run in environments that are not strict, and findings show
    /// that tool's ids (django: security.W018…)
    #[arg(long, value_enum)]
    pub profile: Option<ProfileName>,
}

/// Prints a report's text on stdout; exit 1 when a finding is at least
/// as severe as `fail_on` (`doctor`, `probe`).
pub fn print_report(text: &str, report: &Report, fail_on: FailOn) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let mut out = anstream::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(if fail_on.threshold().is_some_and(|t| report.fails(t)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn render(report: &Report, format: Format, styled: bool) -> anyhow::Result<String> {
    Ok(match format {
        Format::Text => envward::report::text(report, styled),
        Format::Json => serde_json::to_string_pretty(&envward::report::json(report))? + "\n",
        Format::Sarif => serde_json::to_string_pretty(&envward::report::sarif(report))? + "\n",
        Format::Junit => envward::report::junit(report),
        Format::Markdown => envward::report::markdown(report),
        Format::Html => envward::report::html(report)?,
    })
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let mut formats = args.format.clone();
    if formats.is_empty() {
        formats.push(Format::Text);
    }
    if args.output.len() > formats.len() {
        return Err(Exit::input(
            Diagnostic::error("more --output than --format")
                .with_help("pair them: --format sarif --output report.sarif"),
        ));
    }
    if formats.len() - args.output.len() > 1 {
        return Err(Exit::input(
            Diagnostic::error("only one report can go to stdout")
                .with_help("give each --format but one an --output FILE"),
        ));
    }
    let project = g.configured_project()?;
    let report = envward::check::check_in(
        &project,
        &CheckOptions {
            load: g.load_options(),
            all_environments: args.all_envs,
            profile: args.profile.map(|p| match p {
                ProfileName::Django => envward::check::rules::Profile::Django,
            }),
        },
    )
    .map_err(Exit::from)?;
    for (i, format) in formats.iter().enumerate() {
        match args.output.get(i) {
            Some(path) => {
                crate::output::write_file(path, &render(&report, *format, false)?, 0o644)?;
            }
            None => {
                let styled = anstream::AutoStream::choice(&std::io::stdout())
                    != anstream::ColorChoice::Never;
                let text = render(&report, *format, styled)?;
                let mut out = anstream::stdout().lock();
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
        }
    }
    if let Some(dir) = &args.audit_log {
        let stamp = report.timestamp.replace(':', "-");
        let path = dir.join(format!("audit_log_{stamp}.json"));
        crate::output::write_file(&path, &render(&report, Format::Json, false)?, 0o600)?;
    }
    // Record the result (counts only) for `envward status`.
    let last = envward::ops::last_check::LastCheck {
        timestamp: report.timestamp.clone(),
        environments: report.environments.clone(),
        errors: report.count(Severity::Error),
        warnings: report.count(Severity::Warning),
        infos: report.count(Severity::Info),
    };
    envward::ops::last_check::record(&report.root, &last).map_err(|e| {
        anyhow::anyhow!("cannot write {}: {e}", envward::ops::last_check::LAST_CHECK)
    })?;
    Ok(
        if args.fail_on.threshold().is_some_and(|t| report.fails(t)) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}
