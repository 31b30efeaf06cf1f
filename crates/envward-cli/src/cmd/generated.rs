//! `envward example` and `envward docs`: files generated from the schema,
//! written atomically, or compared with `--check` (exit 1 and a diff when
//! the committed file is stale).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use envward::{Diagnostic, Project};

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file to write or check (each command names its default)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Do not write: exit 1 with a diff when the file differs from what would be generated
    #[arg(long)]
    pub check: bool,
    /// Print to stdout instead of writing the file
    #[arg(long, conflicts_with_all = ["output", "check"])]
    pub stdout: bool,
}

/// Which generated file.
#[derive(Clone, Copy)]
pub enum Kind {
    Example,
    Docs,
    JsonSchema,
}

pub fn run(g: &Global, args: Args, kind: Kind) -> anyhow::Result<ExitCode> {
    let project = Project::open(g.project.as_deref()).map_err(Exit::from)?;
    let (text, default_path, command) = match kind {
        Kind::Example => (
            envward::schema::example(&project.file, &project.environments),
            ".env.example",
            "envward example",
        ),
        Kind::Docs => (
            envward::schema::reference(&project.file, &project.environments),
            "docs/configuration.md",
            "envward docs",
        ),
        Kind::JsonSchema => (
            serde_json::to_string_pretty(&envward::schema::json_schema())? + "\n",
            "envward.schema.json",
            "envward schema json",
        ),
    };
    if args.stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| project.root.join(default_path));
    let shown = display(&path, &project.root);
    if args.check {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == text {
            anstream::eprintln!("{shown} is up to date");
            return Ok(ExitCode::SUCCESS);
        }
        let diff = similar::TextDiff::from_lines(current.as_str(), text.as_str())
            .unified_diff()
            .context_radius(2)
            .header(
                &format!("{shown} (committed)"),
                &format!("{shown} (generated)"),
            )
            .to_string();
        let mut out = anstream::stdout().lock();
        out.write_all(diff.as_bytes())?;
        out.flush()?;
        crate::output::diagnostic(
            &Diagnostic::error(if path.exists() {
                format!("{shown} is stale")
            } else {
                format!("{shown} does not exist")
            })
            .with_help(format!("run `{command}` and commit the result")),
        );
        return Ok(ExitCode::from(1));
    }
    crate::output::write_file(&path, &text, 0o644)?;
    anstream::eprintln!("wrote {shown}");
    Ok(ExitCode::SUCCESS)
}

fn display(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
