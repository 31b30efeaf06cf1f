//! `envward set` and `unset`: one key of the environment's file, through
//! the library's write path (encrypted files stay encrypted).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use zeroize::Zeroizing;

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The key
    pub key: String,
    /// The value [default: read from stdin, so it stays out of shell history]
    pub value: Option<String>,
    /// Write the value in clear even when it would be encrypted
    #[arg(long)]
    pub plain: bool,
    /// The file to change (one of the environment's) [default: where the
    /// key's value comes from, else the namespace's file]
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct UnsetArgs {
    /// The key
    pub key: String,
    /// The file to change (one of the environment's) [default: where the
    /// key's value comes from]
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// The file a change of `key` goes to: `--file`, else where its value
/// comes from (or the namespace's file).
fn file_for(
    store: &envward::store::Store,
    key: &str,
    named: Option<&PathBuf>,
) -> anyhow::Result<envward::layout::EnvFile> {
    Ok(match named {
        Some(path) => store
            .files(std::slice::from_ref(path))
            .map_err(Exit::from)?
            .remove(0),
        None => store.file_for_key(key).map_err(Exit::from)?,
    })
}

/// How a file is shown after a change: shared or local files say so.
fn describe(file: &envward::layout::EnvFile) -> String {
    let what = if file.shared {
        " (shared by every environment)"
    } else if file.layer == envward::Layer::Local {
        " (a local override)"
    } else {
        ""
    };
    format!("{}{what}", file.display.display())
}

/// `envward set KEY [VALUE]`.
pub fn set(g: &Global, args: SetArgs) -> anyhow::Result<ExitCode> {
    let store = g.store("set")?;
    let file = file_for(&store, &args.key, args.file.as_ref())?;
    let value = match args.value {
        Some(v) => Zeroizing::new(v),
        None => {
            let mut v = Zeroizing::new(String::new());
            std::io::stdin().read_to_string(&mut v)?;
            if v.ends_with('\n') {
                v.pop();
                if v.ends_with('\r') {
                    v.pop();
                }
            }
            v
        }
    };
    let mut tx = store.edit(&file).map_err(Exit::from)?;
    tx.set(&args.key, &value).map_err(Exit::from)?;
    if args.plain {
        tx.keep_plain();
    }
    let done = tx.commit().map_err(|e| {
        let no_recipients = e.is_no_recipients();
        let err: anyhow::Error = Exit::from(e).into();
        if no_recipients {
            err.context("a sensitive value is only written encrypted (or with --plain)")
        } else {
            err
        }
    })?;
    crate::output::record_warning(&done);
    anstream::eprintln!(
        "set {} in {}{}",
        args.key,
        describe(&file),
        if done.encrypted {
            " (encrypted file)"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// `envward unset KEY`.
pub fn unset(g: &Global, args: UnsetArgs) -> anyhow::Result<ExitCode> {
    let store = g.store("unset")?;
    let file = file_for(&store, &args.key, args.file.as_ref())?;
    let mut tx = store.edit_existing(&file).map_err(Exit::from)?;
    tx.unset(&args.key).map_err(Exit::from)?;
    let done = tx.commit().map_err(Exit::from)?;
    crate::output::record_warning(&done);
    anstream::eprintln!("removed {} from {}", args.key, describe(&file));
    Ok(ExitCode::SUCCESS)
}
