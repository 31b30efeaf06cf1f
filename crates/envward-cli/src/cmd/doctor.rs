//! `envward doctor`: audit a process environment (envward's own, or
//! `--pid N`) for exported secrets, secrets other users can read, and
//! configuration overridden from outside. Advisory: exits 1 only for
//! findings at or above `--fail-on` (default `error`).

use std::process::ExitCode;

use envward::doctor::{DoctorError, DoctorOptions, Target};

use crate::cmd::check::{FailOn, SectionFormat as Format};
use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Audit this process (reads /proc/PID/environ) instead of envward's own
    /// environment
    #[arg(long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding is at least this severe
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let report = envward::doctor::doctor(&DoctorOptions {
        load: g.load_options(),
        target: args.pid.map_or(Target::Current, Target::Pid),
    })
    .map_err(|e| match e {
        DoctorError::Load(e) => anyhow::Error::from(Exit::from(e)),
        e => Exit::input(e.diagnostic()),
    })?;
    let text = match args.format {
        Format::Text => {
            let styled =
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
            envward::doctor::text(&report, styled)
        }
        Format::Json => serde_json::to_string_pretty(&envward::doctor::json(&report))? + "\n",
        Format::Sarif => serde_json::to_string_pretty(&envward::report::sarif(&report))? + "\n",
        Format::Junit => envward::report::junit(&report),
        Format::Markdown => envward::report::markdown(&report),
    };
    crate::cmd::check::print_report(&text, &report, args.fail_on)
}
