//! Keys and recipients: `keygen`, `recipients list|add|remove`.

use envward::plural::count;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use envward::Diagnostic;
use envward::crypto;
use envward::store::RecipientChange;
use zeroize::Zeroizing;

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct KeygenArgs {
    /// Where to write the identity [default: $XDG_CONFIG_HOME/envward/identity.txt]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing identity file (its key is lost)
    #[arg(long)]
    pub force: bool,
    /// Protect the identity with a passphrase (scrypt; the format of `age -p`):
    /// asked on the terminal, or taken from ENVWARD_IDENTITY_PASSPHRASE
    #[arg(long)]
    pub passphrase: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum RecipientsCommand {
    /// List the environment's recipients and whether each file is up to date
    List,
    /// Add recipients and rewrap the data key of every encrypted file
    Add {
        /// age recipients (age1…) or SSH public keys
        #[arg(required = true)]
        recipients: Vec<String>,
    },
    /// Remove recipients, rotate the data keys and re-encrypt every value
    Remove {
        /// Recipients as listed by `envward recipients list`
        #[arg(required = true)]
        recipients: Vec<String>,
    },
}

fn crypto_error(e: crypto::CryptoError) -> anyhow::Error {
    Exit::input(e.diagnostic())
}

/// `envward keygen`: a new age identity, 0600; prints the recipient.
pub fn keygen(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let path = match args.output.or_else(|| crypto::default_identity_path(&env)) {
        Some(p) => p,
        None => {
            return Err(Exit::input(
                Diagnostic::error("no place for the identity: HOME is not set")
                    .with_help("give one with --output FILE"),
            ));
        }
    };
    if path.exists() && !args.force {
        return Err(Exit::input(
            Diagnostic::error(format!("{} already exists", path.display())).with_help(
                "its key may be the only way to decrypt files: keep it; pass --force to replace it",
            ),
        ));
    }
    let (mut text, recipient) = crypto::generate_identity();
    if args.passphrase {
        let passphrase = match env.get("ENVWARD_IDENTITY_PASSPHRASE") {
            Some(p) => envward::Secret::new(p.clone()),
            None => {
                let first = rpassword::prompt_password("new passphrase: ")?;
                let second = rpassword::prompt_password("repeat it: ")?;
                if first != second {
                    return Err(Exit::input(Diagnostic::error(
                        "the passphrases differ: nothing written",
                    )));
                }
                envward::Secret::new(first)
            }
        };
        if passphrase.expose().is_empty() {
            return Err(Exit::input(
                Diagnostic::error("empty passphrase")
                    .with_help("omit --passphrase for an unprotected identity"),
            ));
        }
        text = Zeroizing::new(crypto::protect_identity(&text, &passphrase).map_err(crypto_error)?);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // ~/.config/envward holds keys: private even under `umask 000`.
        envward::fs::create_dir_all_mode(dir, 0o700)?;
    }
    // A replaced identity must not keep a wider mode.
    if args.force && path.exists() {
        std::fs::remove_file(&path)?;
    }
    crate::output::write_file(&path, &text, 0o600)?;
    anstream::eprintln!("wrote identity {} (mode 0600)", path.display());
    anstream::eprintln!(
        "add the recipient to an environment: envward recipients add -e production {recipient}"
    );
    anstream::println!("{recipient}");
    Ok(ExitCode::SUCCESS)
}

/// `envward recipients list|add|remove`.
pub fn recipients(g: &Global, command: RecipientsCommand) -> anyhow::Result<ExitCode> {
    let store = g.store("recipients")?;
    let change = match command {
        RecipientsCommand::List => {
            let mut out = std::io::stdout().lock();
            let own = store.own_recipients();
            for r in &own {
                writeln!(out, "{r}")?;
            }
            if own.is_empty() {
                anstream::eprintln!("environment `{}` has no recipients", store.environment());
            }
            for (f, header) in store.encrypted_files().map_err(Exit::from)? {
                let sealed_to = header.recipients;
                let state = if sealed_to == store.recipients(&f) {
                    "up to date"
                } else {
                    "stale: run `envward encrypt` to rewrap"
                };
                anstream::eprintln!(
                    "{}: {}, {state}",
                    f.display.display(),
                    count(sealed_to.len(), "recipient", "recipients")
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        RecipientsCommand::Add { recipients } => RecipientChange::Add(recipients),
        RecipientsCommand::Remove { recipients } => RecipientChange::Remove(recipients),
    };
    let done = store.change_recipients(&change).map_err(Exit::from)?;
    if let Some(e) = &done.record_error {
        anstream::eprintln!("warning: {e}");
    }
    for f in &done.files {
        match change {
            RecipientChange::Add(_) => anstream::eprintln!("rewrapped {}", f.display.display()),
            RecipientChange::Remove(_) => {
                anstream::eprintln!("rotated the data key of {}", f.display.display())
            }
        }
    }
    if matches!(change, RecipientChange::Remove(_)) {
        anstream::eprintln!(
            "warning: the removed recipients could read every value until now; rotate the secrets themselves (new passwords, tokens, keys) and `envward set` them"
        );
    }
    Ok(ExitCode::SUCCESS)
}
