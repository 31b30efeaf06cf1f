//! `envward rotate KEY -e ENV`: a new value, the old one kept for the
//! rollover (`KEY_PREVIOUS`, or the schema's `rotate.keep_in`), recorded
//! in `.envward/rotations.jsonl`; `--finish` drops the old value;
//! `--all-sensitive` renews every generatable secret of the environment in
//! one change (all files or none) and lists those to rotate at providers.

use std::process::ExitCode;

use envward::Diagnostic;
use envward::ops::rotate::{self, RotateError};

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The key to rotate
    #[arg(
        required_unless_present = "all_sensitive",
        conflicts_with = "all_sensitive"
    )]
    pub key: Option<String>,
    /// End the rollover: drop the old value(s) kept by the last rotation
    #[arg(long, conflicts_with_all = ["all_sensitive", "no_keep"])]
    pub finish: bool,
    /// Rotate every secret of the environment envward can generate, in one change
    #[arg(long)]
    pub all_sensitive: bool,
    /// Keep no old value (and drop those kept before): for a leaked secret
    #[arg(long)]
    pub no_keep: bool,
    /// Write in clear even when the value would be encrypted
    #[arg(long)]
    pub plain: bool,
}

fn fail(e: RotateError) -> anyhow::Error {
    match e {
        RotateError::Store(e) => crate::cmd::generate::store_error(e),
        RotateError::Generate(e) => crate::cmd::generate::generate_error(e),
        other => {
            let help = match &other {
                RotateError::NotSet { key, .. } => {
                    format!("`envward generate {key}` sets a first value")
                }
                RotateError::NothingToFinish { .. } => {
                    "`envward rotate KEY` starts a rollover; `--finish` ends it".to_string()
                }
                _ => {
                    "see `rotate = { keep_in = …, keep = … }` in `envward help schema`".to_string()
                }
            };
            Exit {
                code: crate::exit::code_of(other.kind()),
                diagnostic: Some(
                    Diagnostic::error(format!("{other}; nothing was changed")).with_help(help),
                ),
            }
            .into()
        }
    }
}

pub fn run(g: &Global, args: Args) -> anyhow::Result<ExitCode> {
    let store = g.store("rotate")?;
    if args.all_sensitive {
        return all_sensitive(&store, &args);
    }
    let key = args
        .key
        .as_deref()
        .expect("clap requires KEY without --all-sensitive");
    if !envward::dotenv::is_valid_key(key) {
        return Err(Exit::from(envward::store::StoreError::InvalidKey(key.to_string())).into());
    }
    let project = store.project();
    let django = crate::cmd::generate::django(project);
    let env = store.environment().to_string();
    let file = store.file_for_key(key).map_err(Exit::from)?;
    let mut tx = store.edit(&file).map_err(Exit::from)?;
    if !tx.contains(key) {
        return Err(fail(RotateError::NotSet {
            key: key.to_string(),
            file: file.display.display().to_string(),
        }));
    }
    if args.finish {
        let kept_in = rotate::finish(&mut tx, &project.file, key, django).map_err(fail)?;
        tx.commit().map_err(Exit::from)?;
        anstream::eprintln!(
            "finished the rotation of {key}: removed {kept_in} from {}",
            file.display.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let plain = tx.plaintext().map_err(Exit::from)?;
    let done = rotate::rotate(
        &mut tx,
        &plain,
        &project.file,
        key,
        &env,
        django,
        args.no_keep,
    )
    .map_err(fail)?;
    if args.plain {
        tx.keep_plain();
    }
    let committed = tx.commit().map_err(|e| fail(RotateError::Store(e)))?;
    crate::output::record_warning(&committed);
    anstream::eprintln!(
        "rotated {key} in {}{}",
        file.display.display(),
        if committed.encrypted {
            " (encrypted file)"
        } else {
            ""
        }
    );
    match &done.kept_in {
        Some(kept_in) => anstream::eprintln!(
            "the old value is kept in {kept_in} for the rollover: once every instance runs with the new value, `envward rotate --finish {key} -e {env}`"
        ),
        None => anstream::eprintln!("no old value was kept (--no-keep)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Every generatable secret of the environment's own files, in one batch.
fn all_sensitive(store: &envward::store::Store, args: &Args) -> anyhow::Result<ExitCode> {
    let project = store.project();
    let django = crate::cmd::generate::django(project);
    let env = store.environment().to_string();
    let files: Vec<_> = store
        .files(&[])
        .map_err(Exit::from)?
        .into_iter()
        .filter(|f| f.path.exists())
        .collect();
    let mut batch = store.edit_many(&files).map_err(Exit::from)?;
    let mut rotated: Vec<(String, String, Option<String>)> = Vec::new();
    let mut at_provider: Vec<(String, String)> = Vec::new();
    for tx in batch.transactions() {
        let plain = tx.plaintext().map_err(Exit::from)?;
        let triage = rotate::triage(&project.file, &plain, django);
        let shown = tx.file().display.display().to_string();
        for key in triage.generatable {
            let done = rotate::rotate(tx, &plain, &project.file, &key, &env, django, args.no_keep)
                .map_err(fail)?;
            rotated.push((key, shown.clone(), done.kept_in));
        }
        for key in triage.at_provider {
            at_provider.push((key, shown.clone()));
        }
        if args.plain {
            tx.keep_plain();
        }
    }
    if rotated.is_empty() {
        anstream::eprintln!(
            "no secret of `{env}` can be generated by envward; nothing was changed"
        );
    } else {
        let committed = batch.commit().map_err(|e| fail(RotateError::Store(e)))?;
        for c in &committed {
            crate::output::record_warning(c);
        }
        anstream::eprintln!(
            "rotated {} of `{env}` in one change:",
            envward::plural::count(rotated.len(), "secret", "secrets")
        );
        for (key, file, kept_in) in &rotated {
            match kept_in {
                Some(k) => anstream::eprintln!("  {key}  ({file}; old value kept in {k})"),
                None => anstream::eprintln!("  {key}  ({file})"),
            }
        }
        if !args.no_keep {
            anstream::eprintln!(
                "once every instance runs with the new values: `envward rotate --finish KEY -e {env}` for each"
            );
        }
    }
    if !at_provider.is_empty() {
        anstream::eprintln!(
            "rotate at their providers (envward cannot generate them), then `envward set KEY -e {env}`:"
        );
        for (key, file) in &at_provider {
            anstream::eprintln!("  {key}  ({file})");
        }
    }
    Ok(ExitCode::SUCCESS)
}
