//! `envward probe`: post-deploy checks of a live deployment (HTTPS and its
//! redirect, security headers and cookies, debug pages, the environment's
//! secrets in health endpoints and error pages). The findings are the one
//! report `check` writes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use envward::Diagnostic;
use envward::probe::{ProbeError, ProbeOptions};

use crate::cmd::check::{FailOn, SectionFormat as Format};
use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The deployment's URL (default: the environment's BASE_URL, SITE_URL,
    /// APP_URL or PUBLIC_URL)
    pub url: Option<String>,
    /// Where plain HTTP is served (default: the same host on port 80)
    #[arg(long, value_name = "URL")]
    pub http_url: Option<String>,
    /// A health endpoint to request, a path or a URL (repeatable; default
    /// /health, /healthz and /status)
    #[arg(long, value_name = "PATH", action = clap::ArgAction::Append)]
    pub health: Vec<String>,
    /// Trust the certificates of this PEM file instead of the system's roots
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Seconds to wait for each answer
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub timeout: u64,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding is at least this severe
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let project = envward::Project::open(g.project.as_deref()).map_err(Exit::from)?;
    let options = ProbeOptions {
        url: args.url.unwrap_or_default(),
        http_url: args.http_url,
        health: args.health,
        ca_file: args.ca_file,
        timeout: Duration::from_secs(args.timeout.max(1)),
        environment: None,
    };
    let probed = envward::probe::probe_project(&project, g.load_options(), options).map_err(
        |e| match e {
            ProbeError::Load(e) => Exit::from(e).into(),
            ProbeError::Rules { message, help } => {
                Exit::input(Diagnostic::error(message).with_help(help))
            }
            e => {
                let d = Diagnostic::error(e.to_string());
                Exit::input(match e {
                    ProbeError::Unreachable { .. } => {
                        d.with_help("check the URL, that the deployment is up, and --timeout")
                    }
                    ProbeError::NoUrl { .. } => {
                        d.with_help("pass it: envward probe https://app.example.com")
                    }
                    _ => d,
                })
            }
        },
    )?;
    for w in &probed.warnings {
        crate::output::diagnostic(w);
    }
    let report = probed.report;
    let styled = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let text = crate::cmd::check::render(&report, args.format.into(), styled)?;
    crate::cmd::check::print_report(&text, &report, args.fail_on)
}
