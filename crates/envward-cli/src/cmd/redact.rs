//! `envward redact`: stdin to stdout with every known secret value (and
//! its encoded forms) replaced by `[REDACTED:KEY]`.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use envward::known::KnownValues;

use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Redact the values of every environment of the project
    #[arg(long, short = 'a')]
    pub all_envs: bool,
}

/// The known values of the selected environment (or all), with a note on
/// stderr for what is left out (files no identity opens, values too short).
/// With `lenient` (scan), every environment, one that does not load
/// skipped with a note.
pub fn known_values(g: &Global, all_envs: bool, lenient: bool) -> anyhow::Result<Arc<KnownValues>> {
    let project = g.configured_project()?;
    let known = if lenient {
        KnownValues::load_lenient(&project, &g.load_options())
    } else {
        KnownValues::load(&project, &g.load_options(), all_envs).map_err(crate::exit::Exit::from)?
    };
    for note in &known.notes {
        anstream::eprintln!("note: {note}");
    }
    if !known.too_short.is_empty() {
        let keys: Vec<String> = known
            .too_short
            .iter()
            .map(|(env, key)| format!("{key} ({env})"))
            .collect();
        anstream::eprintln!(
            "note: not looked for, shorter than {} bytes: {} (`envward check` reports them as secret.too-short-to-redact)",
            known.min_length(),
            keys.join(", ")
        );
    }
    Ok(Arc::new(known))
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let known = known_values(g, args.all_envs, false)?;
    let stdin = std::io::stdin();
    copy(&mut stdin.lock(), known, std::io::stdout().lock())?;
    Ok(ExitCode::SUCCESS)
}

/// Copies `input` through a redactor to `output`, passing on each read as
/// soon as it is decided (whole lines at once), until the end of `input`.
pub fn copy(
    input: &mut impl Read,
    known: Arc<KnownValues>,
    output: impl Write,
) -> std::io::Result<()> {
    let mut redactor = envward::redact::Redactor::new(known, output);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        redactor.write_all(&buf[..n])?;
        redactor.flush()?;
    }
    redactor.finish()?;
    Ok(())
}
