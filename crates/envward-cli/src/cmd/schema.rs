//! `envward schema …`: work on the schema itself.

use envward::plural::count;
use std::io::Write;
use std::process::ExitCode;

use envward::config::{PROJECT_FILE, ProjectFile};
use envward::{Config, Diagnostic, LoadOptions, Project};

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Guess a schema from the env files of every environment and add the
    /// keys envward.toml does not declare yet
    #[command(
        after_help = "Examples:\n  envward schema infer            # appends [vars.*] to envward.toml (creates it if needed)\n  envward schema infer --stdout\n\nTypes are guessed (bool, port, int, float, url, email, secret, string), secrets\nfrom their names and values, `required` where every environment sets the key.\nExisting declarations and comments are left as they are."
    )]
    Infer(InferArgs),
    /// Write the JSON Schema of envward.toml, for editors
    #[command(
        after_help = "Examples:\n  envward schema json            # writes envward.schema.json\n  envward schema json --stdout\n\nPoint Taplo / Even Better TOML at it with `#:schema ./envward.schema.json`\non the first line of envward.toml."
    )]
    Json(super::generated::Args),
}

#[derive(Debug, clap::Args)]
pub struct InferArgs {
    /// Print the resulting envward.toml instead of writing it
    #[arg(long)]
    pub stdout: bool,
}

pub fn run(g: &Global, cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Infer(args) => infer(g, args),
        Command::Json(args) => super::generated::run(g, args, super::generated::Kind::JsonSchema),
    }
}

fn infer(g: &Global, args: InferArgs) -> anyhow::Result<ExitCode> {
    let project = Project::open(g.project.as_deref()).map_err(Exit::from)?;
    let mut loaded = Vec::new();
    for env in &project.environments {
        let cfg = Config::load(LoadOptions {
            project_dir: Some(project.root.clone()),
            environment: Some(env.clone()),
            namespace: g.namespace.clone(),
            // The files say what the schema is, not this shell.
            process_env: Some(Default::default()),
            allow_undefined: true,
            secrets_dir: g.secrets_dir.clone(),
            identities: g.identity.clone(),
            passphrase_prompt: Some(crate::global::passphrase_prompt()),
            files_only: true,
            only: None,
        })
        .map_err(Exit::from)?;
        // An environment without files (often the implicit `development`)
        // says nothing about the schema.
        if !cfg.files.is_empty() {
            loaded.push(cfg);
        }
    }
    let inferred = envward::schema::infer(&loaded);
    let declared = |k: &str| project.file.vars.contains_key(k);
    let added = inferred.iter().filter(|i| !declared(&i.key)).count();
    let with_files: Vec<String> = loaded.iter().map(|c| c.environment.clone()).collect();
    let required_in =
        (with_files.len() < project.environments.len()).then_some(with_files.as_slice());
    let text = envward::schema::append_to(&project.text, &inferred, &declared, required_in);
    let path = project.root.join(PROJECT_FILE);
    // Never write a file that does not load back.
    ProjectFile::parse(&text, &path).map_err(|e| {
        Exit::input(Diagnostic::error(format!(
            "internal error: the inferred schema does not parse ({e}); please report this"
        )))
    })?;
    if args.stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if added == 0 {
        anstream::eprintln!(
            "{PROJECT_FILE} already declares every key ({})",
            count(inferred.len(), "key", "keys")
        );
        return Ok(ExitCode::SUCCESS);
    }
    crate::output::write_file(&path, &text, 0o644)?;
    anstream::eprintln!(
        "added {} to {PROJECT_FILE} from {}; review the guessed types, then run `envward check --all-envs`",
        count(added, "key", "keys"),
        count(loaded.len(), "environment", "environments")
    );
    Ok(ExitCode::SUCCESS)
}
