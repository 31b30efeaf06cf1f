//! `envward run -- CMD ARGS`: start a program with the configuration.
//! On Unix the program replaces envward (exec), so signals reach it
//! directly and its exit status is the status of the command.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use envward::Diagnostic;

use crate::cli::Global;
use crate::exit::Exit;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start from an empty environment: the program sees only the configuration
    #[arg(long)]
    pub clean: bool,
    /// The program and its arguments (after `--`)
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<OsString>,
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let cfg = g.load_complete()?;
    let (program, rest) = args.command.split_first().expect("clap requires CMD");
    let program_path = if args.clean {
        find_in_path(program)
    } else {
        PathBuf::from(program)
    };
    let mut cmd = Command::new(&program_path);
    cmd.args(rest);
    if args.clean {
        cmd.env_clear();
    }
    for v in cfg.iter() {
        cmd.env(&v.key, v.value.expose());
    }
    drop(cfg);
    let err = spawn(&mut cmd)?;
    let (code, what) = match err.kind() {
        std::io::ErrorKind::NotFound => (127, "command not found"),
        std::io::ErrorKind::PermissionDenied => (126, "permission denied"),
        _ => (126, "cannot execute"),
    };
    Err(Exit {
        code,
        diagnostic: Some(Diagnostic::error(format!("{}: {what}", program.to_string_lossy())).with_help(
            "check the program name and that it is executable; `envward run -- CMD` looks CMD up in PATH",
        )),
    }
    .into())
}

/// Replaces this process with the command; returns only on failure.
#[cfg(unix)]
fn spawn(cmd: &mut Command) -> anyhow::Result<std::io::Error> {
    use std::os::unix::process::CommandExt;
    Ok(cmd.exec())
}

/// Without exec: run the child and pass its status through.
#[cfg(not(unix))]
fn spawn(cmd: &mut Command) -> anyhow::Result<std::io::Error> {
    match cmd.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(e) => Ok(e),
    }
}

/// With `--clean` the child has no PATH: look the program up in ours.
fn find_in_path(program: &OsString) -> PathBuf {
    let p = Path::new(program);
    if p.components().count() > 1 {
        return p.to_path_buf();
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(p);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    p.to_path_buf()
}
