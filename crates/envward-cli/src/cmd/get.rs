//! `envward get KEY`: the value of one key, to stdout.

use std::io::Write;
use std::process::ExitCode;

use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The key
    pub key: String,
    /// Do not print a newline after the value
    #[arg(long)]
    pub no_newline: bool,
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    // The key alone (and what it references, and the schema's keys): one
    // key of a large file costs a lookup, not the whole environment.
    let cfg = g.load_complete_with(envward::LoadOptions {
        only: Some(vec![args.key.clone()]),
        ..g.load_options()
    })?;
    let value = match cfg.get(&args.key) {
        Some(v) => {
            if v.sensitive {
                crate::audit::reads(&cfg, "get", || vec![args.key.clone()]);
            }
            v.value.expose().to_string()
        }
        // Not configured: the process environment is the last fallback.
        None => match std::env::var(&args.key) {
            Ok(v) => v,
            Err(_) => {
                // Every key, for a suggestion: loaded quietly (the warnings
                // were shown), and when that fails, the keys at hand.
                let all = g
                    .configured_project()
                    .ok()
                    .and_then(|p| envward::Config::load_in(&p, g.load_options()).ok());
                return Err(super::unknown_key(all.as_ref().unwrap_or(&cfg), &args.key));
            }
        },
    };
    let mut out = std::io::stdout().lock();
    out.write_all(value.as_bytes())?;
    if !args.no_newline {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
