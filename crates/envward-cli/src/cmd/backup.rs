//! `envward backup create|list|verify|restore`: verified archives of the
//! configuration (env files, envward.toml, .envward/), restored safely.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use envward::Diagnostic;
use envward::ops::backup::{self, Action, Archive, BackupError};

use crate::exit::Exit;
use crate::global::{Global, TextOrJson};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Archive the env files, envward.toml and .envward/ with a manifest of hashes
    #[command(
        after_help = "Examples:\n  envward backup create\n  envward backup create --keep 10\n  envward backup create --encrypt-to age1… --output /backups/prod.tar.gz.age\n\nEncrypted files stay encrypted. A sensitive value in clear stops the backup\n(exit 2, naming the files) unless --encrypt-to or --allow-plaintext.\nThe archive's path is printed on stdout."
    )]
    Create(CreateArgs),
    /// List the backups with their date, size and number of files
    #[command(after_help = "Examples:\n  envward backup list\n  envward backup list --format json")]
    List(ListArgs),
    /// Check a backup against its manifest (exit 1 naming what does not match)
    #[command(
        after_help = "Examples:\n  envward backup verify .envward/backups/envward-backup-20261204T101500.123Z.tar.gz"
    )]
    Verify(VerifyArgs),
    /// Restore a backup (verified first; changed files kept unless --force)
    #[command(
        after_help = "Examples:\n  envward backup restore FILE --dry-run\n  envward backup restore FILE\n  envward backup restore FILE --to /tmp/restored\n\nNothing is written unless the whole archive verifies. Files are written into a\ntemporary directory next to the target, then renamed into place. A file that\nchanged since the backup is only replaced with --force; files the backup does\nnot hold are kept."
    )]
    Restore(RestoreArgs),
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The archive to write [default: .envward/backups/envward-backup-<UTC time>.tar.gz]
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// After writing, keep only the newest N backups of its directory
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
    /// Encrypt the whole archive to this recipient (age or SSH public key); repeatable
    #[arg(long, value_name = "RECIPIENT", action = clap::ArgAction::Append)]
    pub encrypt_to: Vec<String>,
    /// Archive sensitive values in clear without encrypting the archive
    #[arg(long)]
    pub allow_plaintext: bool,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The directory of the backups [default: .envward/backups]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The backup
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup
    pub file: PathBuf,
    /// Restore into this directory instead of the project
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Show what would change (file by file, never a value) and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Replace files that changed since the backup
    #[arg(long)]
    pub force: bool,
}

pub fn run(g: &Global, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Create(args) => create(g, args),
        Command::List(args) => list(g, args),
        Command::Verify(args) => verify(g, args),
        Command::Restore(args) => restore(g, args),
    }
}

fn fail(e: BackupError) -> anyhow::Error {
    Exit {
        code: crate::exit::code_of(e.kind()),
        diagnostic: Some(e.diagnostic()),
    }
    .into()
}

fn create(g: &Global, args: CreateArgs) -> anyhow::Result<ExitCode> {
    let project = g.configured_project()?;
    for r in &args.encrypt_to {
        envward::crypto::parse_recipient(r).map_err(|e| {
            Exit::input(
                Diagnostic::error(format!("--encrypt-to: {e}"))
                    .with_help("a recipient is an age public key (age1…) or an SSH public key"),
            )
        })?;
    }
    let options = backup::CreateOptions {
        output: args.output,
        encrypt_to: args.encrypt_to,
        allow_plaintext: args.allow_plaintext,
    };
    let created = backup::create(&project, &options).map_err(fail)?;
    let shown = shown_path(&created.path, &project.root);
    anstream::eprintln!(
        "wrote {shown}: {}, {}{}",
        envward::plural::count(created.manifest.files.len(), "file", "files"),
        size(created.size),
        if created.encrypted {
            ", encrypted"
        } else if created.manifest.plaintext {
            ", with secrets in clear (--allow-plaintext)"
        } else {
            ""
        }
    );
    if let Some(keep) = args.keep {
        let dir = created
            .path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        for removed in backup::prune(&dir, keep.max(1)).map_err(fail)? {
            anstream::eprintln!(
                "removed {} (--keep {keep})",
                shown_path(&removed, &project.root)
            );
        }
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", created.path.display())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn list(g: &Global, args: ListArgs) -> anyhow::Result<ExitCode> {
    let dir = match args.dir {
        Some(d) => d,
        None => {
            let project = envward::Project::open(g.project.as_deref()).map_err(Exit::from)?;
            project.root.join(backup::BACKUP_DIR)
        }
    };
    let all = backup::list(&dir).map_err(fail)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        TextOrJson::Json => {
            serde_json::to_writer_pretty(&mut out, &all)?;
            writeln!(out)?;
        }
        TextOrJson::Text => {
            if all.is_empty() {
                anstream::eprintln!("no backups in {}", dir.display());
            }
            for b in &all {
                let files = match b.files {
                    Some(n) => envward::plural::count(n, "file", "files"),
                    None if b.encrypted => "encrypted".to_string(),
                    None => "unreadable".to_string(),
                };
                writeln!(
                    out,
                    "{:<20}  {:>9}  {:<11}  {}",
                    b.created.as_deref().unwrap_or("-"),
                    size(b.size),
                    files,
                    b.path.display()
                )?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Reads a backup, decrypting it with the usual identities when it is
/// age-encrypted.
fn read(g: &Global, file: &Path) -> anyhow::Result<Archive> {
    let process: std::collections::BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let prompt = crate::global::passphrase_prompt();
    backup::read(file, || {
        envward::crypto::Identities::load_with(&g.identity, &process, Some(&prompt))
    })
    .map_err(fail)
}

/// Exit 1 naming every problem, when the archive did not verify.
fn unverified(file: &Path, archive: &Archive, what: &str) -> anyhow::Error {
    let mut d = Diagnostic::error(format!(
        "{} does not verify ({}){what}",
        file.display(),
        envward::plural::count(archive.problems.len(), "problem", "problems"),
    ));
    for p in archive.problems.iter().take(20) {
        d = d.with_note(p.to_string());
    }
    if archive.problems.len() > 20 {
        d = d.with_note(format!("… and {} more", archive.problems.len() - 20));
    }
    Exit {
        code: 1,
        diagnostic: Some(d),
    }
    .into()
}

fn verify(g: &Global, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let archive = read(g, &args.file)?;
    if !archive.verified() {
        return Err(unverified(&args.file, &archive, ""));
    }
    let manifest = archive
        .manifest
        .as_ref()
        .expect("a verified archive has a manifest");
    anstream::eprintln!(
        "{}: {} verified (made {}{})",
        args.file.display(),
        envward::plural::count(archive.files.len(), "file", "files"),
        manifest.created,
        if archive.encrypted { ", encrypted" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

fn restore(g: &Global, args: RestoreArgs) -> anyhow::Result<ExitCode> {
    let archive = read(g, &args.file)?;
    if !archive.verified() {
        return Err(unverified(&args.file, &archive, "; nothing was restored"));
    }
    let target = match &args.to {
        Some(dir) => dir.clone(),
        None => {
            envward::Project::open(g.project.as_deref())
                .map_err(Exit::from)?
                .root
        }
    };
    if args.dry_run {
        let steps = if target.exists() {
            backup::plan(&archive, &target)
        } else {
            archive
                .files
                .iter()
                .map(|f| backup::Step {
                    path: f.path.clone(),
                    action: Action::Create,
                })
                .collect()
        };
        let mut out = std::io::stdout().lock();
        for s in &steps {
            let (word, note) = describe(&s.action, args.force);
            writeln!(out, "{word:<8} {}{note}", s.path)?;
        }
        out.flush()?;
        summary(&steps, args.force, true);
        return Ok(ExitCode::SUCCESS);
    }
    let done = envward::store::restore(&archive, &target, args.force).map_err(Exit::from)?;
    let name = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    crate::audit::write(
        &target,
        &envward::ops::audit::Event {
            command: "backup restore",
            action: envward::ops::audit::Action::Write,
            environment: "*",
            keys: Vec::new(),
            file: None,
            detail: Some(format!("restored from {name}")),
        },
    );
    summary(&done.steps, args.force, false);
    Ok(ExitCode::SUCCESS)
}

/// The word for an action in `--dry-run`, and a note.
fn describe(action: &Action, force: bool) -> (&'static str, String) {
    match action {
        Action::Create => ("create", String::new()),
        Action::Same => ("same", String::new()),
        Action::Replace if force => ("replace", "  (changed since the backup)".into()),
        Action::Replace => (
            "changed",
            "  (changed since the backup: kept unless --force)".into(),
        ),
        Action::Blocked(why) => ("blocked", format!("  ({why})")),
        Action::Keep => ("keep", "  (not in the backup)".into()),
    }
}

fn summary(steps: &[backup::Step], force: bool, dry_run: bool) {
    let count = |a: &dyn Fn(&Action) -> bool| steps.iter().filter(|s| a(&s.action)).count();
    let created = count(&|a| *a == Action::Create);
    let replaced = count(&|a| *a == Action::Replace);
    let same = count(&|a| *a == Action::Same);
    let kept = count(&|a| *a == Action::Keep);
    let replaced = if force || replaced == 0 {
        format!("{replaced} replaced")
    } else {
        format!("{replaced} changed since the backup (refused without --force)")
    };
    anstream::eprintln!(
        "{}{created} created, {replaced}, {same} unchanged, {kept} not in the backup kept",
        if dry_run {
            "would restore: "
        } else {
            "restored: "
        },
    );
}

fn shown_path(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Bytes for people: 512 B, 3.4 KiB, 1.2 MiB.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
