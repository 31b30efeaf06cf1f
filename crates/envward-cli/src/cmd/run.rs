//! `envward run -- CMD ARGS`: start a program with the configuration.
//! On Unix the program replaces envward (exec), so signals reach it
//! directly and its exit status is the status of the command.
//!
//! With `--redact` envward stays: the program's stdout and stderr go
//! through a redactor of the values it was given; envward forwards the
//! signals meant for the program, waits, and passes its status through
//! (a death by signal N is re-raised, else exit 128+N).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use envward::Diagnostic;

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Start from an empty environment: the program sees only the configuration
    #[arg(long)]
    pub clean: bool,
    /// Start even when a strict environment fails the deploy gate
    /// (the errors of `envward check -e ENV`)
    #[arg(long)]
    pub no_check: bool,
    /// Pass the program's stdout and stderr through `envward redact`: every
    /// secret value it was given (and its encoded forms) becomes [REDACTED:KEY]
    #[arg(long)]
    pub redact: bool,
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
    let (project, mut cfg) = g.load_complete_with_project()?;
    g.gate(&project, &mut cfg, "run", args.no_check)?;
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
    // envward's own secrets (the identity, its passphrase, the fingerprint
    // key) never reach the program.
    for own in envward::crypto::OWN_SECRETS {
        cmd.env_remove(own);
    }
    for v in cfg.iter() {
        cmd.env(&v.key, v.value.expose());
    }
    let known = if args.redact {
        let mut b = envward::known::KnownValues::builder(project.file.redact.min_length());
        for v in cfg.iter().filter(|v| v.sensitive) {
            b.add(&cfg.environment, &v.key, v.value.expose());
        }
        Some(std::sync::Arc::new(b.build()))
    } else {
        None
    };
    crate::audit::reads(&cfg, "run", || cfg.sensitive_keys());
    drop(cfg);
    if let Some(why) = not_executable(&program_path) {
        return Err(Exit {
            code: 126,
            diagnostic: Some(
                Diagnostic::error(format!("{}: cannot execute: {why}", program.to_string_lossy()))
                    .with_help("envward runs programs directly, never through a shell: give a binary, or a script that starts with a `#!` line"),
            ),
        }
        .into());
    }
    let err = match known {
        Some(known) => match redacted::run(&mut cmd, known) {
            Ok(code) => return Ok(code),
            Err(e) => e,
        },
        None => spawn(&mut cmd)?,
    };
    let (code, what) = match err.kind() {
        std::io::ErrorKind::NotFound => (127, "command not found"),
        std::io::ErrorKind::PermissionDenied => (126, "permission denied"),
        _ if err.raw_os_error() == Some(E2BIG) => {
            (126, "arguments and environment too large for the system")
        }
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

/// Linux's `E2BIG`: the arguments and environment exceed the system's limit.
const E2BIG: i32 = 7;

/// Why `path` would only run through a shell: a regular file that is
/// neither a binary (ELF, Mach-O) nor a script with a `#!` line. `execvp`
/// would hand such a file to `/bin/sh`; envward refuses instead. `None`
/// when it looks runnable or cannot be read (exec then reports why).
fn not_executable(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let resolved = if path.components().count() > 1 {
        path.to_path_buf()
    } else {
        let found = find_in_path(&path.as_os_str().to_os_string());
        if found.components().count() > 1 {
            found
        } else {
            return None;
        }
    };
    let meta = std::fs::metadata(&resolved).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut head = [0u8; 4];
    let n = std::fs::File::open(&resolved).ok()?.read(&mut head).ok()?;
    let head = &head[..n];
    let known = head.starts_with(b"#!")
        || head.starts_with(b"\x7fELF")
        || [
            [0xfe, 0xed, 0xfa, 0xce],
            [0xfe, 0xed, 0xfa, 0xcf],
            [0xce, 0xfa, 0xed, 0xfe],
            [0xcf, 0xfa, 0xed, 0xfe],
            [0xca, 0xfe, 0xba, 0xbe],
        ]
        .iter()
        .any(|magic| head == magic);
    (!known).then_some("not a binary and no `#!` line")
}

/// `run --redact`: the child's output through a redactor.
mod redacted {
    use std::process::{Command, ExitCode, Stdio};
    use std::sync::Arc;

    use envward::known::KnownValues;

    /// Starts the child with piped stdout and stderr, copies each through a
    /// redactor on its own thread, forwards signals, waits, and returns
    /// the child's status. `Err` only when it could not be started.
    pub fn run(cmd: &mut Command, known: Arc<KnownValues>) -> Result<ExitCode, std::io::Error> {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        #[cfg(unix)]
        let signals = forward::Forward::catch();
        let mut child = cmd.spawn()?;
        #[cfg(unix)]
        let forwarding = signals.map(|s| s.to(child.id()));
        let out = child.stdout.take().map(|mut pipe| {
            let known = Arc::clone(&known);
            std::thread::spawn(move || {
                crate::cmd::redact::copy(&mut pipe, known, std::io::stdout())
            })
        });
        let err = child.stderr.take().map(|mut pipe| {
            let known = Arc::clone(&known);
            std::thread::spawn(move || {
                crate::cmd::redact::copy(&mut pipe, known, std::io::stderr())
            })
        });
        let status = child.wait();
        // The copies end when the pipes close (the child and whatever it
        // started that still holds them).
        for t in [out, err].into_iter().flatten() {
            let _ = t.join();
        }
        #[cfg(unix)]
        drop(forwarding);
        let status = status?;
        if let Some(code) = status.code() {
            return Ok(ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1)));
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(sig) = status.signal() {
                // Die the same way, so a shell sees what it would have seen
                // without envward; when the signal cannot be re-raised, the
                // shell convention 128+N.
                let _ = signal_hook::low_level::emulate_default_handler(sig);
                return Ok(ExitCode::from(u8::try_from(128 + sig).unwrap_or(1)));
            }
        }
        Ok(ExitCode::from(1))
    }

    /// Signals meant for the child, caught while it runs and sent on to it.
    #[cfg(unix)]
    mod forward {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
        use signal_hook::iterator::{Handle, Signals};

        /// Signals caught, not yet forwarded anywhere; whether stdin is a
        /// terminal.
        pub struct Forward(Signals, bool);

        /// Forwarding to a child; stops when dropped.
        pub struct Forwarding(Handle, Option<std::thread::JoinHandle<()>>);

        impl Forward {
            /// Catches SIGTERM, SIGHUP, SIGINT and SIGQUIT, so envward
            /// outlives the child and passes on all of its output. `None`
            /// when they cannot be caught.
            pub fn catch() -> Option<Self> {
                use std::io::IsTerminal;
                let signals = Signals::new([SIGTERM, SIGHUP, SIGINT, SIGQUIT]).ok()?;
                Some(Forward(signals, std::io::stdin().is_terminal()))
            }

            /// Forwards what is caught to process `pid`: SIGTERM and SIGHUP
            /// always; SIGINT and SIGQUIT only when stdin is not a terminal
            /// (on a terminal, Ctrl-C and Ctrl-\\ reach the child directly:
            /// it is in the same process group).
            pub fn to(mut self, pid: u32) -> Forwarding {
                let handle = self.0.handle();
                let terminal = self.1;
                let thread = std::thread::spawn(move || {
                    for sig in self.0.forever() {
                        if terminal && (sig == SIGINT || sig == SIGQUIT) {
                            continue;
                        }
                        let target = i32::try_from(pid)
                            .ok()
                            .and_then(rustix::process::Pid::from_raw);
                        let signal = rustix::process::Signal::from_named_raw(sig);
                        if let (Some(target), Some(signal)) = (target, signal) {
                            let _ = rustix::process::kill_process(target, signal);
                        }
                    }
                });
                Forwarding(handle, Some(thread))
            }
        }

        impl Drop for Forwarding {
            fn drop(&mut self) {
                self.0.close();
                if let Some(t) = self.1.take() {
                    let _ = t.join();
                }
            }
        }
    }
}
