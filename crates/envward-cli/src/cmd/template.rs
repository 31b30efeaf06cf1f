//! `envward template list | show NAME[:OPTION] | add NAME[:OPTION]…`:
//! presets of `[vars]` declarations merged into envward.toml.

use envward::plural::count;
use std::io::Write;
use std::process::ExitCode;

use envward::config::PROJECT_FILE;
use envward::schema::preset::{self, Preset};
use envward::{Diagnostic, Project};

use crate::exit::Exit;
use crate::global::Global;
use crate::output::style;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the available templates
    List,
    /// Print the declarations a template adds
    Show {
        /// NAME or NAME:OPTION (e.g. database:mysql)
        name: String,
    },
    /// Add templates' declarations to envward.toml (comments kept)
    Add {
        /// NAME or NAME:OPTION, one or more
        #[arg(required = true)]
        names: Vec<String>,
        /// Print the resulting envward.toml instead of writing it
        #[arg(long)]
        stdout: bool,
    },
}

pub(crate) fn available(project: &Project) -> anyhow::Result<Vec<Preset>> {
    let dir = project
        .file
        .templates
        .dir
        .as_ref()
        .map(|d| project.root.join(d));
    preset::presets(dir.as_deref()).map_err(|e| Exit::input(Diagnostic::error(e.to_string())))
}

/// The declarations of `specs`, labelled `template NAME[:OPTION]`.
pub(crate) fn packs(
    presets: &[Preset],
    specs: &[String],
) -> anyhow::Result<Vec<(String, toml_edit::Table)>> {
    let mut out = Vec::new();
    for spec in specs {
        let (p, option) = preset::find(presets, spec).map_err(|e| {
            let mut d = Diagnostic::error(e.to_string());
            if let preset::PresetError::Unknown { name, available } = &e
                && let Some(s) =
                    envward::suggest::closest(name, available.iter().map(String::as_str))
            {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            Exit::input(d)
        })?;
        let vars = p
            .vars(option.as_deref())
            .map_err(|e| Exit::input(Diagnostic::error(e.to_string())))?;
        out.push((format!("template {spec}"), vars));
    }
    Ok(out)
}

pub fn run(g: &Global, cmd: Command) -> anyhow::Result<ExitCode> {
    let project = Project::open(g.project.as_deref()).map_err(Exit::from)?;
    let presets = available(&project)?;
    let mut out = anstream::stdout().lock();
    match cmd {
        Command::List => {
            let width = presets.iter().map(|p| p.name.len()).max().unwrap_or(0);
            for p in &presets {
                let options = if p.options.is_empty() {
                    String::new()
                } else {
                    format!("  options: {}", p.options.join(", "))
                };
                let d = style::DIM;
                writeln!(
                    out,
                    "{:<width$}  {}{d}{options}  ({}){d:#}",
                    p.name, p.description, p.source
                )?;
            }
        }
        Command::Show { name } => {
            let packs = packs(&presets, &[name])?;
            write!(out, "{}", preset::vars_document(&packs[0].1))?;
        }
        Command::Add { names, stdout } => {
            let packs = packs(&presets, &names)?;
            let merged = preset::merge(&project.text, &packs)
                .map_err(|e| Exit::input(Diagnostic::error(e.to_string())))?;
            let path = project.root.join(PROJECT_FILE);
            envward::config::ProjectFile::parse(&merged.text, &path)
                .map_err(|e| Exit::input(e.diagnostic()))?;
            for d in &merged.duplicates {
                crate::output::diagnostic(
                    &Diagnostic::warning(format!(
                        "`{}` is declared by {} and by {}; keeping the declaration from {}",
                        d.key, d.kept, d.skipped, d.kept
                    ))
                    .with_help("remove one of them if they mean different things"),
                );
            }
            if stdout {
                write!(out, "{}", merged.text)?;
            } else {
                crate::output::write_file(&path, &merged.text, 0o644)?;
                anstream::eprintln!(
                    "added {} to {PROJECT_FILE}",
                    count(merged.added.len(), "key", "keys")
                );
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
