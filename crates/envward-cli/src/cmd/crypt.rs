//! Encryption commands: `keygen`, `encrypt`, `decrypt`, `set`, `unset`,
//! `recipients`, `rekey`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use envward::crypto::{self, CryptoError, Identities, KeyPolicy, Scope};
use envward::dotenv::Document;
use envward::layout::{EnvFile, Layout};
use envward::{Diagnostic, Project};
use zeroize::Zeroizing;

use crate::cli::Global;
use crate::exit::Exit;

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

#[derive(Debug, clap::Args)]
pub struct RekeyArgs {
    /// Files to rekey [default: every encrypted file of the environment]
    pub files: Vec<PathBuf>,
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
        text = Zeroizing::new(
            crypto::protect_identity(&text, &passphrase).map_err(|e| crypto_error(None, e))?,
        );
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
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

/// The project, its layout and the environment the options select.
struct Target {
    project: Project,
    layout: Layout,
    environment: String,
}

fn target(g: &Global) -> anyhow::Result<Target> {
    let project = Project::open(g.project.as_deref()).map_err(Exit::from)?;
    let layout = Layout::detect(&project.root, &project.file.layout);
    let process: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    let environment = project
        .environment(g.env.last().map(String::as_str), &process)
        .map_err(Exit::from)?;
    Ok(Target {
        project,
        layout,
        environment,
    })
}

impl Target {
    /// The file `-n NS` of the environment (existing or not).
    fn namespace_file(&self, g: &Global) -> anyhow::Result<EnvFile> {
        let ns = g.namespace.as_deref().unwrap_or(envward::layout::COMMON);
        self.layout
            .target_file(&self.environment, ns)
            .map_err(|e| Exit::input(Diagnostic::error(e)))
    }

    /// The files named on the command line, or every file of the environment.
    fn files(&self, named: &[PathBuf]) -> anyhow::Result<Vec<EnvFile>> {
        let all = self
            .layout
            .files(&self.environment)
            .map_err(|e| anyhow::anyhow!("cannot list files: {e}"))?;
        if named.is_empty() {
            let mut own: Vec<EnvFile> = all.into_iter().filter(|f| !f.shared).collect();
            own.sort_by(|a, b| a.path.cmp(&b.path));
            return Ok(own);
        }
        named
            .iter()
            .map(|name| {
                let wanted = std::fs::canonicalize(name).unwrap_or_else(|_| name.clone());
                all.iter()
                    .find(|f| std::fs::canonicalize(&f.path).is_ok_and(|p| p == wanted))
                    .cloned()
                    .ok_or_else(|| {
                        Exit::input(
                            Diagnostic::error(format!(
                                "{} is not a file of environment `{}`",
                                name.display(),
                                self.environment
                            ))
                            .with_help("give -e ENV for the environment it belongs to; `envward list` shows the files read"),
                        )
                    })
            })
            .collect()
    }

    fn scope(&self, file: &EnvFile) -> Scope {
        file.scope(&self.environment)
    }

    fn recipients(&self, scope: &Scope) -> Vec<String> {
        self.project.file.recipients(scope)
    }

    /// The scope and recipients to encrypt `file` to; an error when there
    /// is no recipient.
    fn sealing(&self, file: &EnvFile) -> anyhow::Result<(Scope, Vec<String>)> {
        let scope = self.scope(file);
        let recipients = self.recipients(&scope);
        if recipients.is_empty() {
            return Err(crypto_error(
                Some(file),
                CryptoError::NoRecipients(scope.to_string()),
            ));
        }
        Ok((scope, recipients))
    }
}

/// Identities, loaded on first use: writing a file that is not yet
/// encrypted needs none (and asks for no passphrase).
struct Ids<'g> {
    g: &'g Global,
    cell: std::cell::OnceCell<Identities>,
}

impl Ids<'_> {
    fn get(&self) -> anyhow::Result<&Identities> {
        if let Some(ids) = self.cell.get() {
            return Ok(ids);
        }
        let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
        let ids = Identities::load_with(
            &self.g.identity,
            &env,
            Some(&crate::cli::passphrase_prompt()),
        )
        .map_err(|e| crypto_error(None, e))?;
        Ok(self.cell.get_or_init(|| ids))
    }
}

fn identities(g: &Global) -> Ids<'_> {
    Ids {
        g,
        cell: std::cell::OnceCell::new(),
    }
}

/// A crypto error as exit-2 diagnostic, located in `file` when known.
fn crypto_error(file: Option<&EnvFile>, e: CryptoError) -> anyhow::Error {
    match file {
        Some(f) => Exit::from(envward::LoadError::Crypto {
            path: f.display.clone(),
            source: Box::new(e),
        })
        .into(),
        None => Exit::input(Diagnostic::error(e.to_string()).with_help(e.help())),
    }
}

fn read_doc(file: &EnvFile) -> anyhow::Result<Option<Document>> {
    match std::fs::read(&file.path) {
        Ok(bytes) => Document::parse_vec(bytes)
            .map(Some)
            .map_err(|e| Exit::from(envward::LoadError::from(e.with_path(&file.display))).into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!(
            "cannot read {}: {e}",
            file.display.display()
        )),
    }
}

/// Read-modify-write of one env file under the directory lock.
fn rewrite_file(
    t: &Target,
    file: &EnvFile,
    ids: &Ids<'_>,
    policy: KeyPolicy,
    all: bool,
    edit: impl FnOnce(&mut Document) -> Result<(), CryptoError>,
) -> anyhow::Result<()> {
    if let Some(dir) = file.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _lock = envward::fs::lock_dir_of(&file.path)?;
    let doc = read_doc(file)?.unwrap_or_default();
    rewrite_doc(t, file, &doc, ids, policy, all, edit)
}

/// [`rewrite_file`] on a document already read, the caller holding the lock.
fn rewrite_doc(
    t: &Target,
    file: &EnvFile,
    doc: &Document,
    ids: &Ids<'_>,
    policy: KeyPolicy,
    all: bool,
    edit: impl FnOnce(&mut Document) -> Result<(), CryptoError>,
) -> anyhow::Result<()> {
    let scope = t.scope(file);
    let recipients = t.recipients(&scope);
    let project = &t.project.file;
    let none = Identities::default();
    let ids = if crypto::header(doc)
        .map_err(|e| crypto_error(Some(file), e))?
        .is_some()
    {
        ids.get()?
    } else {
        &none
    };
    let text = crypto::rewrite(doc, &scope, &recipients, ids, policy, edit, |e, raw| {
        project.encrypts(&e.key, raw, all)
    })
    .map_err(|e| crypto_error(Some(file), e))?;
    crate::output::write_file(&file.path, &text, 0o600)
}

/// Applies `edit` to `file` under its directory lock, deciding under the
/// lock whether the file is encrypted, so a concurrent `encrypt` can never
/// be overwritten by a plaintext write. An encrypted file, or any file when
/// `seal`, is rewritten encrypted; another one is edited in clear. Returns
/// whether the result is encrypted.
fn modify_file(
    t: &Target,
    file: &EnvFile,
    ids: &Ids<'_>,
    seal: bool,
    edit: impl FnOnce(&mut Document) -> Result<(), CryptoError>,
) -> anyhow::Result<bool> {
    if let Some(dir) = file.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _lock = envward::fs::lock_dir_of(&file.path)?;
    let mut doc = read_doc(file)?.unwrap_or_default();
    let encrypted = crypto::header(&doc)
        .map_err(|e| crypto_error(Some(file), e))?
        .is_some();
    if encrypted || seal {
        rewrite_doc(t, file, &doc, ids, KeyPolicy::Keep, false, edit)?;
        return Ok(true);
    }
    edit(&mut doc).map_err(|e| crypto_error(Some(file), e))?;
    crate::output::write_file(&file.path, doc.source(), 0o600)?;
    Ok(false)
}

/// `envward encrypt`.
pub fn encrypt(g: &Global, args: EncryptArgs) -> anyhow::Result<ExitCode> {
    let t = target(g)?;
    let ids = identities(g);
    let files = t.files(&args.files)?;
    if files.is_empty() {
        return Err(Exit::input(
            Diagnostic::error(format!("environment `{}` has no files", t.environment))
                .with_help("create one with `envward set KEY -e ENV`"),
        ));
    }
    for file in &files {
        rewrite_file(&t, file, &ids, KeyPolicy::Keep, args.all, |_| Ok(()))?;
        anstream::eprintln!("encrypted {}", file.display.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether git tracks `path`.
fn tracked_by_git(path: &Path) -> bool {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "--error-unmatch", "--"])
        .arg(path.file_name().unwrap_or_default())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `envward decrypt`.
pub fn decrypt(g: &Global, args: DecryptArgs) -> anyhow::Result<ExitCode> {
    let t = target(g)?;
    let file = match &args.file {
        Some(name) => t.files(std::slice::from_ref(name))?.remove(0),
        None => t.namespace_file(g)?,
    };
    let Some(doc) = read_doc(&file)? else {
        return Err(anyhow::anyhow!("{} does not exist", file.display.display()));
    };
    let ids = identities(g);
    let plain = crypto::decrypt_document(&doc, &t.scope(&file), ids.get()?)
        .map_err(|e| crypto_error(Some(&file), e))?;
    let dest = if args.in_place {
        Some(file.path.clone())
    } else {
        args.output.clone()
    };
    match dest {
        Some(dest) => {
            if !args.force && tracked_by_git(&dest) {
                return Err(Exit::input(
                    Diagnostic::error(format!(
                        "{} is tracked by git: writing plaintext there would put secrets in the next commit",
                        dest.display()
                    ))
                    .with_help("write to an untracked file (and keep it out of git), or pass --force"),
                ));
            }
            crate::output::write_file(&dest, plain.source(), 0o600)?;
            anstream::eprintln!("wrote plaintext {} (mode 0600)", dest.display());
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(plain.source().as_bytes())?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `envward set KEY [VALUE]`.
pub fn set(g: &Global, args: SetArgs) -> anyhow::Result<ExitCode> {
    let t = target(g)?;
    let file = t.namespace_file(g)?;
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
    if !envward::dotenv::is_valid_key(&args.key) {
        return Err(Exit::input(
            Diagnostic::error(format!("`{}` is not a valid key", args.key))
                .with_help("keys are letters, digits and `_`, not starting with a digit"),
        ));
    }
    let wants = t.project.file.encrypts(&args.key, &value, false);
    let sensitive = t.project.file.is_sensitive_value(&args.key, &value);
    let changed = std::cell::Cell::new(true);
    let key = args.key.clone();
    let edit = |doc: &mut Document| {
        let same = doc
            .get(&key)
            .and_then(|e| e.template.as_literal())
            .is_some_and(|old| old == value.as_str());
        changed.set(!same);
        doc.set(&key, &value)
            .map_err(|e| CryptoError::Reparse(e.to_string()))
    };
    let seal = wants && !args.plain;
    if seal && t.recipients(&t.scope(&file)).is_empty() {
        let scope = t.scope(&file).to_string();
        return Err(crypto_error(Some(&file), CryptoError::NoRecipients(scope))
            .context("a sensitive value is only written encrypted (or with --plain)"));
    }
    let encrypted = modify_file(&t, &file, &identities(g), seal, edit)?;
    anstream::eprintln!(
        "set {} in {}{}",
        args.key,
        file.display.display(),
        if encrypted { " (encrypted file)" } else { "" }
    );
    if sensitive && changed.get() {
        record_rotations(&t, &file, [args.key.as_str()], "set");
    }
    Ok(ExitCode::SUCCESS)
}

/// Records that the values of `keys` in `file` changed (for the
/// `secret.max-age` rule). A failure to record is a warning: the value is
/// already written.
fn record_rotations<'k>(
    t: &Target,
    file: &EnvFile,
    keys: impl IntoIterator<Item = &'k str>,
    by: &str,
) {
    let scope = t.scope(file);
    let records: Vec<_> = keys
        .into_iter()
        .map(|k| envward::ops::rotation::Rotation::now(&scope.environment, &scope.namespace, k, by))
        .collect();
    if let Err(e) = envward::ops::rotation::record(&t.project.root, &records) {
        anstream::eprintln!(
            "warning: cannot record the rotation in {}: {e}",
            envward::ops::rotation::ROTATIONS_FILE
        );
    }
}

/// `envward unset KEY`.
pub fn unset(g: &Global, args: UnsetArgs) -> anyhow::Result<ExitCode> {
    let t = target(g)?;
    let file = t.namespace_file(g)?;
    let Some(doc) = read_doc(&file)? else {
        return Err(Exit::input(Diagnostic::error(format!(
            "{} does not exist",
            file.display.display()
        ))));
    };
    if doc.get(&args.key).is_none() {
        return Err(Exit::input(
            Diagnostic::error(format!(
                "`{}` is not set in {}",
                args.key,
                file.display.display()
            ))
            .with_help("-n NS selects another namespace's file"),
        ));
    }
    let key = args.key.clone();
    let edit = move |doc: &mut Document| {
        doc.unset(&key)
            .map(|_| ())
            .map_err(|e| CryptoError::Reparse(e.to_string()))
    };
    modify_file(&t, &file, &identities(g), false, edit)?;
    anstream::eprintln!("removed {} from {}", args.key, file.display.display());
    Ok(ExitCode::SUCCESS)
}

/// Encrypted files whose recipients come from `environment`: its own, and
/// the shared ones (their recipients are every environment's).
fn encrypted_files(t: &Target) -> anyhow::Result<Vec<(EnvFile, Document)>> {
    let mut out = Vec::new();
    let mut files = t
        .layout
        .files(&t.environment)
        .map_err(|e| anyhow::anyhow!("cannot list files: {e}"))?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in files {
        if let Some(doc) = read_doc(&f)?
            && crypto::header(&doc)
                .map_err(|e| crypto_error(Some(&f), e))?
                .is_some()
        {
            out.push((f, doc));
        }
    }
    Ok(out)
}

/// `envward rekey`: new data keys, every value encrypted anew.
pub fn rekey(g: &Global, args: RekeyArgs) -> anyhow::Result<ExitCode> {
    let t = target(g)?;
    let ids = identities(g);
    let files: Vec<EnvFile> = if args.files.is_empty() {
        encrypted_files(&t)?
            .into_iter()
            .map(|(f, _)| f)
            .filter(|f| !f.shared)
            .collect()
    } else {
        t.files(&args.files)?
    };
    for file in &files {
        rewrite_file(&t, file, &ids, KeyPolicy::Rotate, false, |_| Ok(()))?;
        anstream::eprintln!("rekeyed {}", file.display.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `envward recipients list|add|remove`.
pub fn recipients(g: &Global, command: RecipientsCommand) -> anyhow::Result<ExitCode> {
    let t = target(g)?;
    match command {
        RecipientsCommand::List => {
            let mut out = std::io::stdout().lock();
            let own = t.project.file.recipients(&Scope {
                environment: t.environment.clone(),
                namespace: String::new(),
            });
            for r in &own {
                writeln!(out, "{r}")?;
            }
            if own.is_empty() {
                anstream::eprintln!("environment `{}` has no recipients", t.environment);
            }
            for (f, doc) in encrypted_files(&t)? {
                let header = crypto::header(&doc)
                    .map_err(|e| crypto_error(Some(&f), e))?
                    .unwrap_or_else(|| unreachable!("listed as encrypted"));
                let wanted = t.recipients(&t.scope(&f));
                let state = if header.recipients == wanted {
                    "up to date"
                } else {
                    "stale: run `envward encrypt` to rewrap"
                };
                anstream::eprintln!(
                    "{}: {} recipients, {state}",
                    f.display.display(),
                    header.recipients.len()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        RecipientsCommand::Add { recipients } => {
            for r in &recipients {
                crypto::parse_recipient(r).map_err(|e| crypto_error(None, e))?;
            }
            let ids = identities(g);
            let files = encrypted_files(&t)?;
            edit_recipients(&t, |list| {
                for r in &recipients {
                    if !list.contains(r) {
                        list.push(r.clone());
                    }
                }
            })?;
            let t = target(g)?;
            for (f, _) in &files {
                rewrite_file(&t, f, &ids, KeyPolicy::Keep, false, |_| Ok(()))?;
                anstream::eprintln!("rewrapped {}", f.display.display());
            }
            Ok(ExitCode::SUCCESS)
        }
        RecipientsCommand::Remove { recipients } => {
            let current = t
                .project
                .file
                .environments
                .get(&t.environment)
                .map(|e| e.recipients.clone())
                .unwrap_or_default();
            let missing: Vec<&String> =
                recipients.iter().filter(|r| !current.contains(r)).collect();
            if !missing.is_empty() {
                return Err(Exit::input(
                    Diagnostic::error(format!(
                        "not a recipient of `{}`: {}",
                        t.environment,
                        missing
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .with_help("`envward recipients list -e ENV` shows them; nothing was changed"),
                ));
            }
            let ids = identities(g);
            let files = encrypted_files(&t)?;
            edit_recipients(&t, |list| list.retain(|r| !recipients.contains(r)))?;
            let t = target(g)?;
            for (f, _) in &files {
                rewrite_file(&t, f, &ids, KeyPolicy::Rotate, false, |_| Ok(()))?;
                anstream::eprintln!("rotated the data key of {}", f.display.display());
            }
            anstream::eprintln!(
                "warning: the removed recipients could read every value until now; rotate the secrets themselves (new passwords, tokens, keys) and `envward set` them"
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Edits `recipients` of `[environments.<env>]` in envward.toml, keeping
/// its formatting. Nothing is written when `edit` reports a problem.
fn edit_recipients(t: &Target, edit: impl FnOnce(&mut Vec<String>)) -> anyhow::Result<()> {
    let path = t.project.root.join(envward::config::PROJECT_FILE);
    let _lock = envward::fs::lock_dir_of(&path)?;
    let text = std::fs::read_to_string(&path)?;
    let mut doc: toml_edit::DocumentMut = text.parse()?;
    let envs = doc
        .entry("environments")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| anyhow::anyhow!("[environments] is not a table"))?;
    let env = envs
        .entry(&t.environment)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| anyhow::anyhow!("[environments.{}] is not a table", t.environment))?;
    let mut list: Vec<String> = env
        .get("recipients")
        .and_then(|i| i.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let before = list.clone();
    edit(&mut list);
    if list == before {
        return Ok(());
    }
    let mut array = toml_edit::Array::new();
    for r in &list {
        array.push_formatted(toml_edit::Value::from(r.as_str()).decorated("\n    ", ""));
    }
    array.set_trailing(",\n");
    array.set_trailing_comma(false);
    env.insert("recipients", toml_edit::value(array));
    crate::output::write_file(&path, &doc.to_string(), 0o644)
}

#[derive(Debug, clap::Args)]
pub struct EditArgs {}

/// Where the plaintext of `edit` lives while the editor runs: a tmpfs
/// when there is one, so it never reaches a disk.
fn edit_dir() -> PathBuf {
    let candidates = [
        std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from),
        Some(PathBuf::from("/dev/shm")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| {
            d.is_dir()
                && tempfile::Builder::new()
                    .prefix(".envward-probe-")
                    .tempfile_in(d)
                    .is_ok()
        })
        .unwrap_or_else(std::env::temp_dir)
}

/// The editor command: `$VISUAL`, `$EDITOR`, else `vi`; split on
/// whitespace (no shell is involved).
fn editor_command() -> Vec<String> {
    ["VISUAL", "EDITOR"]
        .into_iter()
        .filter_map(|v| std::env::var(v).ok())
        .map(|v| v.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|words| !words.is_empty())
        .unwrap_or_else(|| vec!["vi".to_string()])
}

/// Signals that would kill envward while the editor runs: they are caught
/// (the editor gets them too) so the temporary file is always removed.
#[cfg(unix)]
struct Interrupts {
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ids: Vec<signal_hook::SigId>,
}

#[cfg(unix)]
impl Interrupts {
    fn catch() -> std::io::Result<Self> {
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
            signal_hook::consts::SIGQUIT,
        ] {
            ids.push(signal_hook::flag::register(
                sig,
                std::sync::Arc::clone(&flag),
            )?);
        }
        Ok(Interrupts { flag, ids })
    }

    fn interrupted(&self) -> bool {
        self.flag.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[cfg(unix)]
impl Drop for Interrupts {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// `envward edit`: the decrypted file in `$VISUAL`/`$EDITOR`, re-encrypted
/// on save. The plaintext lives in a 0600 temporary file (on tmpfs when
/// available) that is removed on every exit path.
pub fn edit(g: &Global, _args: EditArgs) -> anyhow::Result<ExitCode> {
    let t = target(g)?;
    let file = t.namespace_file(g)?;
    if let Some(dir) = file.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Held until the end: a concurrent `set` or `edit` waits for this one.
    let lock = envward::fs::lock_dir_of(&file.path)?;
    let doc = read_doc(&file)?.unwrap_or_default();
    let (scope, recipients) = t.sealing(&file)?;
    let ids = identities(g);
    let plain = crypto::decrypt_document(&doc, &scope, ids.get()?)
        .map_err(|e| crypto_error(Some(&file), e))?;

    let mut tmp = tempfile::Builder::new()
        .prefix("envward-edit-")
        .suffix(".env")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(edit_dir())?;
    tmp.write_all(plain.source().as_bytes())?;
    tmp.flush()?;

    #[cfg(unix)]
    let interrupts = Interrupts::catch()?;
    let words = editor_command();
    let status = std::process::Command::new(&words[0])
        .args(&words[1..])
        .arg(tmp.path())
        .status();
    #[cfg(unix)]
    if interrupts.interrupted() {
        drop(tmp);
        anstream::eprintln!("interrupted: nothing changed");
        return Ok(ExitCode::from(130));
    }
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            return Err(Exit::input(
                Diagnostic::error(format!("cannot start the editor `{}`: {e}", words[0]))
                    .with_help("set VISUAL or EDITOR; nothing changed"),
            ));
        }
    };
    if !status.success() {
        return Err(Exit::input(
            Diagnostic::error(format!("the editor exited with {status}: nothing changed"))
                .with_help("save and quit normally to apply the edit"),
        ));
    }
    let edited = Zeroizing::new(std::fs::read(tmp.path())?);
    drop(tmp);
    if edited.as_slice() == plain.source().as_bytes() {
        anstream::eprintln!("no changes to {}", file.display.display());
        return Ok(ExitCode::SUCCESS);
    }
    let edited = Document::parse_bytes(&edited)
        .map_err(|e| Exit::from(envward::LoadError::from(e.with_path(&file.display))))?;
    if crypto::header(&edited).is_err()
        || edited
            .comments()
            .iter()
            .any(|c| edited.text(&c.span).starts_with(crypto::HEADER_PREFIX))
    {
        return Err(Exit::input(
            Diagnostic::error(
                "the edited text holds `# envward:` header lines or encrypted values",
            )
            .with_help("edit plaintext values only; envward writes the header; nothing changed"),
        ));
    }
    let project = &t.project.file;
    let rotated: Vec<String> = edited
        .entries()
        .iter()
        .filter(|e| project.is_sensitive_value(&e.key, edited.text(&e.value_span)))
        .filter(|e| {
            plain
                .get(&e.key)
                .is_none_or(|old| plain.text(&old.value_span) != edited.text(&e.value_span))
        })
        .map(|e| e.key.clone())
        .collect();
    let text = crypto::rewrite(
        &doc,
        &scope,
        &recipients,
        ids.get()?,
        KeyPolicy::Keep,
        |d| {
            *d = edited;
            Ok(())
        },
        |e, raw| project.encrypts(&e.key, raw, false),
    )
    .map_err(|e| crypto_error(Some(&file), e))?;
    crate::output::write_file(&file.path, &text, 0o600)?;
    drop(lock);
    record_rotations(&t, &file, rotated.iter().map(String::as_str), "edit");
    anstream::eprintln!("saved {} (encrypted)", file.display.display());
    Ok(ExitCode::SUCCESS)
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

/// `envward import --gpg FILE`: a GPG-encrypted env file, decrypted by the
/// system `gpg` (its agent and pinentry ask for a passphrase if needed),
/// written as the environment's envward-encrypted file.
pub fn import(g: &Global, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let t = target(g)?;
    let file = t.namespace_file(g)?;
    if file.path.exists() && !args.force {
        return Err(Exit::input(
            Diagnostic::error(format!("{} already exists", file.display.display()))
                .with_help("pass --force to replace it, or -n NS to import into another namespace"),
        ));
    }
    let (scope, recipients) = t.sealing(&file)?;
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
    if let Some(dir) = file.path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _lock = envward::fs::lock_dir_of(&file.path)?;
    let project = &t.project.file;
    let text = crypto::rewrite(
        &doc,
        &scope,
        &recipients,
        &Identities::default(),
        KeyPolicy::Keep,
        |_| Ok(()),
        |e, raw| project.encrypts(&e.key, raw, args.all),
    )
    .map_err(|e| crypto_error(Some(&file), e))?;
    crate::output::write_file(&file.path, &text, 0o600)?;
    record_rotations(
        &t,
        &file,
        doc.entries()
            .iter()
            .filter(|e| project.is_sensitive_value(&e.key, doc.text(&e.value_span)))
            .map(|e| e.key.as_str()),
        "import",
    );
    anstream::eprintln!(
        "imported {} keys from {} into {} (encrypted)",
        doc.entries().len(),
        args.gpg.display(),
        file.display.display()
    );
    Ok(ExitCode::SUCCESS)
}
