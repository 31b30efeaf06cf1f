//! `envward hook install`: a git pre-commit hook running
//! `envward scan --staged`.

use std::path::PathBuf;
use std::process::ExitCode;

use envward::Diagnostic;

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Write .git/hooks/pre-commit: `envward scan --staged` before every commit
    Install(InstallArgs),
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// Replace an existing pre-commit hook
    #[arg(long)]
    pub force: bool,
}

/// The hook's text.
pub const HOOK: &str = "#!/bin/sh\n# Installed by `envward hook install`: no commit with a secret in it.\n# Silence a false positive with an `envward:allow` comment on the line.\nexec envward scan --staged\n";

pub fn run(g: &Global, command: Command) -> anyhow::Result<ExitCode> {
    let Command::Install(args) = command;
    let dir = g.project.clone().unwrap_or_else(|| PathBuf::from("."));
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["rev-parse", "--git-path", "hooks"])
        .output();
    let hooks = match out {
        Ok(o) if o.status.success() => {
            let rel = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            if rel.is_absolute() {
                rel
            } else {
                dir.join(rel)
            }
        }
        _ => {
            return Err(Exit::input(
                Diagnostic::error(format!("{} is not in a git repository", dir.display()))
                    .with_help("run `envward hook install` inside the repository (or pass -C DIR)"),
            ));
        }
    };
    let path = hooks.join("pre-commit");
    if std::fs::symlink_metadata(&path).is_ok() && !args.force {
        return Err(Exit::input(
            Diagnostic::error(format!(
                "{} already exists; it was left as it is",
                path.display()
            ))
            .with_help("add `envward scan --staged` to it yourself, or pass --force to replace it"),
        ));
    }
    crate::output::write_file(&path, HOOK, 0o755)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    anstream::eprintln!(
        "wrote {}: `envward scan --staged` runs before every commit",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
