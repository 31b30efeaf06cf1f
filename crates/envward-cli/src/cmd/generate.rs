//! `envward generate KEY`: a random value from the OS CSPRNG, in the
//! charset and length of the schema, written to the environment's file
//! through the store (encrypted when the file is), or only printed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use envward::Diagnostic;
use envward::ops::generate::{self, GenerateError};

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The key
    pub key: String,
    /// Print the value on stdout and write nothing
    #[arg(long, conflicts_with_all = ["plain", "file", "force"])]
    pub print: bool,
    /// Write the value in clear even when it would be encrypted
    #[arg(long)]
    pub plain: bool,
    /// The file to write (one of the environment's) [default: where the key's
    /// value comes from, else the namespace of the key in the schema, else
    /// the environment's common file]
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Replace a value that is already set (`envward rotate` keeps the old one instead)
    #[arg(long)]
    pub force: bool,
}

/// A generation error as an exit.
pub fn generate_error(e: GenerateError) -> anyhow::Error {
    let kind = e.kind();
    let d = Diagnostic::error(e.to_string()).with_help(
        "change `generate = { length = …, charset = … }` or the lengths of the key in envward.toml",
    );
    Exit {
        code: crate::exit::code_of(kind),
        diagnostic: Some(d),
    }
    .into()
}

/// A store error as an exit; a missing recipient says why one is needed.
pub fn store_error(e: envward::store::StoreError) -> anyhow::Error {
    let no_recipients = e.is_no_recipients();
    let mut exit = Exit::from(e);
    if no_recipients && let Some(d) = exit.diagnostic.take() {
        exit.diagnostic = Some(d.with_help(
            "a generated secret is only written encrypted: give the environment recipients, or pass --plain to write it in clear",
        ));
    }
    exit.into()
}

/// Whether the project is a Django project, for Django's SECRET_KEY.
pub fn django(project: &envward::Project) -> bool {
    generate::is_django(&project.file, &project.root)
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    if !envward::dotenv::is_valid_key(&args.key) {
        return Err(Exit::from(envward::store::StoreError::InvalidKey(args.key)).into());
    }
    let store = g.store("generate")?;
    let project = store.project();
    let recipe = generate::recipe(
        &project.file,
        &args.key,
        store.environment(),
        django(project),
    )
    .map_err(generate_error)?;
    let value = generate::generate(recipe).map_err(generate_error)?;
    let what = format!(
        "{} characters, {}",
        recipe.length,
        generate::charset_name(recipe.charset)
    );
    if args.print {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", value.as_str())?;
        out.flush()?;
        anstream::eprintln!(
            "generated a value for {} ({what}); nothing was written",
            args.key
        );
        return Ok(ExitCode::SUCCESS);
    }
    let file = match &args.file {
        Some(path) => store
            .files(std::slice::from_ref(path))
            .map_err(Exit::from)?
            .remove(0),
        None => {
            let found = store.file_for_key(&args.key).map_err(Exit::from)?;
            let schema_ns = project
                .file
                .vars
                .get(&args.key)
                .and_then(|s| s.namespace.as_deref());
            match schema_ns {
                Some(ns) if g.namespace.is_none() && !found.path.exists() => {
                    store.file_in_namespace(ns).map_err(Exit::from)?
                }
                _ => found,
            }
        }
    };
    let mut tx = store.edit(&file).map_err(Exit::from)?;
    if !args.force && tx.contains(&args.key) {
        return Err(Exit::input(
                Diagnostic::error(format!(
                    "`{}` is already set in {}; nothing was changed",
                    args.key,
                    file.display.display()
                ))
                .with_help(format!(
                    "`envward rotate {} -e {}` replaces it and keeps the old value for the rollover; --force replaces it outright",
                    args.key,
                    store.environment()
                )),
            ));
    }
    tx.set(&args.key, &value).map_err(Exit::from)?;
    if args.plain {
        tx.keep_plain();
    }
    let done = tx.commit().map_err(store_error)?;
    crate::output::record_warning(&done);
    anstream::eprintln!(
        "generated {} ({what}) in {}{}",
        args.key,
        file.display.display(),
        if done.encrypted {
            " (encrypted file)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}
