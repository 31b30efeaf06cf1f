//! `encrypt`, `decrypt`, `rekey` and `import`: whole files, through the
//! library's write path (`envward::store`).

use envward::plural::count;
use std::path::PathBuf;
use std::process::ExitCode;

use envward::Diagnostic;
use envward::dotenv::Document;
use zeroize::Zeroizing;

use crate::exit::Exit;
use crate::global::Global;

#[derive(Debug, clap::Args)]
pub struct EncryptArgs {
    /// Files to encrypt [default: every file of the environment]
    pub files: Vec<PathBuf>,
    /// Encrypt every value, not only sensitive ones
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, clap::Args)]
pub struct DecryptArgs {
    /// The file [default: the environment's file of the namespace]
    pub file: Option<PathBuf>,
    /// Write the plaintext there instead of stdout (created 0600)
    #[arg(short, long, value_name = "FILE", conflicts_with = "in_place")]
    pub output: Option<PathBuf>,
    /// Replace the encrypted file with its plaintext
    #[arg(long)]
    pub in_place: bool,
    /// Write plaintext over a file tracked by git
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct RekeyArgs {
    /// Files to rekey [default: every encrypted file of the environment]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// A GPG-encrypted env file (decrypted with the system `gpg`)
    #[arg(long, value_name = "FILE")]
    pub gpg: PathBuf,
    /// Replace the environment's file when it exists
    #[arg(long)]
    pub force: bool,
    /// Encrypt every value, not only sensitive ones
    #[arg(long)]
    pub all: bool,
}

/// `envward encrypt`.
pub fn encrypt(g: &Global, args: EncryptArgs) -> anyhow::Result<ExitCode> {
    let store = g.store("encrypt")?;
    let files = store.files(&args.files).map_err(Exit::from)?;
    if files.is_empty() {
        return Err(Exit::from(envward::store::StoreError::NoFiles(
            store.environment().to_string(),
        ))
        .into());
    }
    for file in &files {
        let mut tx = store.edit(file).map_err(Exit::from)?;
        tx.encrypt(args.all);
        let done = tx.commit().map_err(Exit::from)?;
        crate::output::record_warning(&done);
        anstream::eprintln!("encrypted {}", file.display.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `envward rekey`: new data keys, every value encrypted anew.
pub fn rekey(g: &Global, args: RekeyArgs) -> anyhow::Result<ExitCode> {
    let store = g.store("rekey")?;
    let files = if args.files.is_empty() {
        let own = store.encrypted_files().map_err(Exit::from)?;
        own.into_iter()
            .map(|(f, _)| f)
            .filter(|f| !f.shared)
            .collect()
    } else {
        store.files(&args.files).map_err(Exit::from)?
    };
    for file in &files {
        let mut tx = store.edit(file).map_err(Exit::from)?;
        tx.encrypt(false);
        tx.rekey();
        let done = tx.commit().map_err(Exit::from)?;
        crate::output::record_warning(&done);
        anstream::eprintln!("rekeyed {}", file.display.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `envward decrypt`.
pub fn decrypt(g: &Global, args: DecryptArgs) -> anyhow::Result<ExitCode> {
    let store = g.store("decrypt")?;
    let file = match &args.file {
        Some(name) => store
            .files(std::slice::from_ref(name))
            .map_err(Exit::from)?
            .remove(0),
        None => store.namespace_file().map_err(Exit::from)?,
    };
    let dest = if args.in_place {
        Some(file.path.clone())
    } else {
        args.output.clone()
    };
    if let Some(dest) = &dest
        && !args.force
        && envward::fs::tracked_by_git(dest)
    {
        return Err(Exit::input(
            Diagnostic::error(format!(
                "{} is tracked by git: writing plaintext there would put secrets in the next commit",
                dest.display()
            ))
            .with_help("write to an untracked file (and keep it out of git), or pass --force"),
        ));
    }
    if args.in_place {
        let mut tx = store.edit_existing(&file).map_err(Exit::from)?;
        tx.decrypt();
        let done = tx.commit().map_err(Exit::from)?;
        crate::output::record_warning(&done);
        anstream::eprintln!("wrote plaintext {} (mode 0600)", file.path.display());
        return Ok(ExitCode::SUCCESS);
    }
    let plain = store.plaintext(&file).map_err(Exit::from)?;
    // Decrypting reveals the file's secrets: always recorded.
    let project = &store.project().file;
    let keys: Vec<String> = plain
        .entries()
        .iter()
        .filter(|e| project.is_sensitive_value(e.key(), plain.text(&e.value_span())))
        .map(|e| e.key().to_string())
        .collect();
    crate::audit::write(
        &store.project().root,
        &envward::ops::audit::Event {
            command: "decrypt",
            action: envward::ops::audit::Action::Read,
            environment: &store.scope(&file).environment,
            keys,
            file: file
                .path
                .strip_prefix(&store.project().root)
                .ok()
                .map(|p| p.to_string_lossy().into_owned()),
            detail: None,
        },
    );
    crate::output::secret_data(dest.as_deref(), plain.source().as_bytes())?;
    if let Some(dest) = dest {
        anstream::eprintln!("wrote plaintext {} (mode 0600)", dest.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `envward import --gpg FILE`: a GPG-encrypted env file, decrypted by the
/// system `gpg` (its agent and pinentry ask for a passphrase if needed),
/// written as the environment's envward-encrypted file.
pub fn import(g: &Global, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let store = g.store("import")?;
    let file = store.namespace_file().map_err(Exit::from)?;
    if file.path.exists() && !args.force {
        return Err(Exit::input(
            Diagnostic::error(format!("{} already exists", file.display.display()))
                .with_help("pass --force to replace it, or -n NS to import into another namespace"),
        ));
    }
    store.sealing_recipients(&file).map_err(Exit::from)?;
    let out = std::process::Command::new("gpg")
        .args(["--quiet", "--yes", "--decrypt", "--"])
        .arg(&args.gpg)
        .stdin(std::process::Stdio::inherit())
        .stderr(std::process::Stdio::inherit())
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            return Err(Exit::input(
                Diagnostic::error(format!("cannot run gpg: {e}"))
                    .with_help("install GnuPG (`apt-get install gnupg`)"),
            ));
        }
    };
    let plain = Zeroizing::new(out.stdout);
    if !out.status.success() {
        return Err(Exit::input(
            Diagnostic::error(format!(
                "gpg could not decrypt {} ({})",
                args.gpg.display(),
                out.status
            ))
            .with_help("gpg's own message is above; check that your secret key is in the keyring (`gpg -K`)"),
        ));
    }
    let doc = Document::parse_bytes(&plain)
        .map_err(|e| Exit::from(envward::LoadError::from(e.with_path(&args.gpg))))?;
    let keys = doc.entries().len();
    let mut tx = store.edit(&file).map_err(Exit::from)?;
    tx.overwrite(doc).map_err(Exit::from)?;
    tx.encrypt(args.all);
    let done = tx.commit().map_err(Exit::from)?;
    crate::output::record_warning(&done);
    anstream::eprintln!(
        "imported {} from {} into {} (encrypted)",
        count(keys, "key", "keys"),
        args.gpg.display(),
        file.display.display()
    );
    Ok(ExitCode::SUCCESS)
}
