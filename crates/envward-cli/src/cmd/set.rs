//! `envward set` and `unset`: one key of the environment's file, through
//! the library's write path (encrypted files stay encrypted).

use std::io::Read;
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
}

#[derive(Debug, clap::Args)]
pub struct UnsetArgs {
    /// The key
    pub key: String,
}

/// `envward set KEY [VALUE]`.
pub fn set(g: &Global, args: SetArgs) -> anyhow::Result<ExitCode> {
    let store = g.store("set")?;
    let file = store.namespace_file().map_err(Exit::from)?;
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
        file.display.display(),
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
    let file = store.namespace_file().map_err(Exit::from)?;
    let mut tx = store.edit_existing(&file).map_err(Exit::from)?;
    tx.unset(&args.key).map_err(Exit::from)?;
    tx.commit().map_err(Exit::from)?;
    anstream::eprintln!("removed {} from {}", args.key, file.display.display());
    Ok(ExitCode::SUCCESS)
}
