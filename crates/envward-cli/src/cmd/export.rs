//! `envward export`: the configuration in a format another tool reads.
//! Values are revealed: exporting is asking for them.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use envward::Diagnostic;

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// KEY=value lines, quoted so that any .env reader gets the value back
    Dotenv,
    /// One JSON object
    Json,
    /// `export KEY='value'` lines, safe for `eval` in POSIX sh and bash
    Shell,
    /// A YAML mapping
    Yaml,
    /// A file for `docker run --env-file` (no multi-line values)
    Docker,
    /// A Kubernetes Secret manifest
    K8sSecret,
    /// Lines for `$GITHUB_ENV`
    Github,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Dotenv)]
    pub format: Format,
    /// Write to FILE (created 0600) instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// metadata.name of the Kubernetes Secret [default: <environment>-config]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Let --format shell export names that change how a shell or the
    /// loader behaves (PS4, BASH_ENV, ENV, IFS, PATH, LD_PRELOAD, …)
    #[arg(long)]
    pub allow_unsafe_names: bool,
    /// Export even when a strict environment fails the deploy gate
    /// (the errors of `envward check -e ENV`)
    #[arg(long)]
    pub no_check: bool,
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let (project, mut cfg) = g.load_complete_with_project()?;
    g.gate(&project, &mut cfg, "export", args.no_check)?;
    let format = match args.format {
        Format::Dotenv => envward::export::Format::Dotenv,
        Format::Json => envward::export::Format::Json,
        Format::Shell => envward::export::Format::Shell,
        Format::Yaml => envward::export::Format::Yaml,
        Format::Docker => envward::export::Format::Docker,
        Format::K8sSecret => envward::export::Format::K8sSecret,
        Format::Github => envward::export::Format::Github,
    };
    // The values in clear: wiped once written.
    let text = zeroize::Zeroizing::new(
        envward::export::render_with(&cfg, format, args.name.as_deref(), args.allow_unsafe_names)
            .map_err(|e| Exit::input(Diagnostic::error(e.to_string()).with_help(e.help)))?,
    );
    crate::audit::reads(&cfg, "export", || cfg.sensitive_keys());
    crate::output::secret_data(args.output.as_deref(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
