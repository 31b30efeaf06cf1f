//! `envward probe`: post-deploy checks of a live deployment (HTTPS and its
//! redirect, security headers and cookies, debug pages, the environment's
//! secrets in health endpoints and error pages). The findings are the one
//! report `check` writes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use envward::Diagnostic;
use envward::probe::{ProbeError, ProbeOptions};

use crate::cmd::check::{FailOn, SectionFormat as Format};
use crate::exit::Exit;
use crate::global::Global;

/// The settings that name a deployment's public URL, in the order asked.
pub const URL_SETTINGS: &[&str] = &["BASE_URL", "SITE_URL", "APP_URL", "PUBLIC_URL"];

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
    // The environment, when there is a project: its URL and its secrets,
    // searched for in every answer.
    let project = envward::Project::open(g.project.as_deref()).map_err(Exit::from)?;
    let cfg = if project.has_configuration() {
        let cfg = envward::Config::load_in(&project, g.load_options()).map_err(Exit::from)?;
        crate::output::warnings(&cfg);
        Some(cfg)
    } else {
        None
    };
    let url = match (&args.url, &cfg) {
        (Some(url), _) => url.clone(),
        (None, Some(cfg)) => URL_SETTINGS
            .iter()
            .find_map(|k| cfg.value(k).filter(|v| !v.trim().is_empty()))
            .map(str::to_string)
            .ok_or_else(|| {
                Exit::input(
                    Diagnostic::error(format!(
                        "no URL given, and `{}` sets none of {}",
                        cfg.environment,
                        URL_SETTINGS.join(", ")
                    ))
                    .with_help("pass it: envward probe https://app.example.com"),
                )
            })?,
        (None, None) => {
            return Err(Exit::input(
                Diagnostic::error("no URL given, and no envward project here to read it from")
                    .with_help("pass it: envward probe https://app.example.com"),
            ));
        }
    };
    let known = cfg
        .as_ref()
        .map(|cfg| envward::known::KnownValues::of(cfg, project.file.redact.min_length()));
    let options = ProbeOptions {
        url,
        http_url: args.http_url,
        health: args.health,
        ca_file: args.ca_file,
        timeout: Duration::from_secs(args.timeout.max(1)),
        environment: cfg.as_ref().map(|c| c.environment.clone()),
    };
    let mut report = envward::probe::probe(&options, known.as_ref()).map_err(|e| {
        let d = Diagnostic::error(e.to_string());
        Exit::input(match e {
            ProbeError::Unreachable { .. } => {
                d.with_help("check the URL, that the deployment is up, and --timeout")
            }
            _ => d,
        })
    })?;
    // `[rules."probe.*"]` of envward.toml, as for `check`: severity,
    // `enabled = false`, exceptions.
    envward::findings::apply_settings(&mut report, &project.file.rules, cfg.as_slice());
    let styled = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let text = crate::cmd::check::render(&report, args.format.into(), styled)?;
    let mut out = anstream::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(
        if args.fail_on.threshold().is_some_and(|t| report.fails(t)) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}
