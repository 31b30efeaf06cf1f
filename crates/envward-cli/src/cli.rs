//! Argument parsing and dispatch to one module per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cmd;
use crate::global::{ColorChoice, Global};

const AFTER_HELP: &str = "\
Examples:
  envward list -e production               every key of production, secrets masked
  envward explain DATABASE_URL -e staging  where a value comes from and what it overrides
  envward run -e production -- ./server    start a program with its configuration
  envward export -e staging --format json  the configuration as JSON

Exit codes: 0 success, 1 a check failed, 2 usage error or bad input,
and for `run` the program's own status.";

/// Configuration for every environment: defined, layered, encrypted,
/// validated and leak-free.
#[derive(Debug, Parser)]
#[command(
    name = "envward",
    version,
    about,
    after_help = AFTER_HELP,
    propagate_version = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

// `defer`: a subcommand's arguments are made only when it is the one
// parsed (`parse_named`), or when the whole tree is built (help,
// completions, man pages).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Print the value of one key
    #[command(
        after_help = "Examples:\n  envward get DATABASE_URL -e production\n  export TOKEN=\"$(envward get API_TOKEN)\""
    )]
    Get(cmd::get::Args),
    /// List every key with its value (secrets masked) and origin
    #[command(
        after_help = "Examples:\n  envward list -e staging\n  envward list -e production -n security --format json\n  envward list --reveal"
    )]
    List(cmd::list::Args),
    /// Show where a key's value comes from and what it overrides
    #[command(
        after_help = "Examples:\n  envward explain SECRET_KEY -e production\n  envward explain DEBUG --format json"
    )]
    Explain(cmd::explain::Args),
    /// Print the configuration in a format other tools read
    #[command(
        after_help = "Examples:\n  eval \"$(envward export -e staging --format shell)\"\n  envward export -e production --format k8s-secret --name api > secret.yaml\n  envward export --format github >> \"$GITHUB_ENV\""
    )]
    Export(cmd::export::Args),
    /// Run a program with the environment's configuration
    #[command(
        after_help = "Examples:\n  envward run -e production -- gunicorn app.wsgi\n  envward run --clean -- env\n\nThe program replaces envward (exec), so signals reach it directly and its\nexit status is envward's. 127: not found, 126: not executable."
    )]
    Run(cmd::run::Args),
    /// Copy stdin to stdout with every known secret value replaced by [REDACTED:KEY]
    #[command(
        after_help = "Examples:\n  kubectl logs deploy/api | envward redact -e production\n  envward redact --all-envs < app.log > app.redacted.log\n\nKnown values: every sensitive value of the environment (or of all with\n--all-envs), also base64 (any alignment), URL-encoded and hex. Values shorter\nthan [redact] min_length (default 8) are not redacted. Other bytes pass\nthrough untouched; each complete line is passed on at once."
    )]
    Redact(cmd::redact::Args),
    /// Find secrets in files: the project's own values (also encoded) and credential formats
    #[command(
        after_help = "Examples:\n  envward scan\n  envward scan src config --format sarif -o scan.sarif\n  envward scan --baseline .envward-baseline.json --update-baseline\n  envward scan --list-rules\n\nHonours .gitignore (--include-ignored reads ignored files too), reads dotfiles,\nskips binary files and files over --max-file-size. `envward:allow` on a line\n(or the line before) silences it. Values are shown only with --reveal.\nExit codes: 0 nothing found, 1 secrets found, 2 bad input."
    )]
    Scan(cmd::scan::Args),
    /// Write an environment's OpenBao / Vault secret into its files (after a key-level diff)
    #[command(
        after_help = "Examples:\n  envward pull -e production --dry-run\n  envward pull -e production --yes\n\nShows each key as added, changed, unchanged or kept, never a value. Keys go\nto the environment's own file that defines them (encrypted files stay\nencrypted), else to the namespace's file. See docs/vault.md."
    )]
    Pull(cmd::sync::PullArgs),
    /// Write an environment's file values to its OpenBao / Vault secret as a new version
    #[command(
        after_help = "Examples:\n  envward push -e production --dry-run\n  envward push -e production --yes --expect-version 7\n\nA check-and-set write: refused when someone else wrote since it was read.\nKeys only in the store are kept unless --prune. See docs/vault.md."
    )]
    Push(cmd::sync::PushArgs),
    /// Git hooks: `hook install` runs `envward scan --staged` before every commit
    #[command(
        subcommand,
        after_help = "Examples:\n  envward hook install\n  envward hook install --force   # replace an existing pre-commit hook"
    )]
    Hook(cmd::hook::Command),
    /// Create an age identity (0600) and print its recipient
    #[command(
        after_help = "Examples:\n  envward keygen\n  envward keygen --output deploy-key.txt   # then store it as ENVWARD_IDENTITY in CI"
    )]
    Keygen(cmd::keys::KeygenArgs),
    /// Encrypt an environment's files (sensitive values, or --all) in place
    #[command(
        after_help = "Examples:\n  envward encrypt -e production\n  envward encrypt -e production env/production/security.env --all\n\nKeys, comments and order stay in clear; unchanged values keep their\nciphertext, so git diffs show only what changed."
    )]
    Encrypt(cmd::crypt::EncryptArgs),
    /// Print (or write) the plaintext of an encrypted file
    #[command(
        after_help = "Examples:\n  envward decrypt -e production -n security\n  envward decrypt .env.production --output /tmp/plain.env\n\nRefuses to write plaintext over a file tracked by git without --force."
    )]
    Decrypt(cmd::crypt::DecryptArgs),
    /// Set a key in the environment's file, keeping it encrypted
    #[command(
        after_help = "Examples:\n  envward set DEBUG False -e production\n  printf %s \"$TOKEN\" | envward set API_TOKEN -e production -n security\n\nWithout VALUE the value is read from stdin, so it stays out of shell history."
    )]
    Set(cmd::set::SetArgs),
    /// Edit the environment's file decrypted in $VISUAL/$EDITOR; re-encrypted on save
    #[command(
        after_help = "Examples:\n  envward edit -e production -n security\n  EDITOR=\"code --wait\" envward edit -e staging\n\nThe plaintext is in a 0600 temporary file (on tmpfs when available),\nremoved on every exit path; values you did not change keep their ciphertext."
    )]
    Edit(cmd::edit::EditArgs),
    /// Import a GPG-encrypted env file as the environment's encrypted file
    #[command(
        after_help = "Examples:\n  envward import --gpg secrets/production.env.gpg -e production -n security\n\nRuns the system `gpg --decrypt` (its agent asks for a passphrase if needed);\nthe plaintext never touches the disk."
    )]
    Import(cmd::crypt::ImportArgs),
    /// Remove a key from the environment's file
    #[command(after_help = "Examples:\n  envward unset OLD_TOKEN -e production -n security")]
    Unset(cmd::set::UnsetArgs),
    /// Who can decrypt an environment: list, add, remove recipients
    #[command(
        subcommand,
        after_help = "Examples:\n  envward recipients list -e production\n  envward recipients add -e production age1…\n  envward recipients remove -e production ssh-ed25519 AAAA…"
    )]
    Recipients(cmd::keys::RecipientsCommand),
    /// Rotate the data keys of encrypted files (every value re-encrypted)
    #[command(after_help = "Examples:\n  envward rekey -e production")]
    Rekey(cmd::crypt::RekeyArgs),
    /// Validate configuration against the schema in envward.toml
    #[command(
        after_help = "Examples:\n  envward check -e production\n  envward check --all-envs --format json > report.json\n  envward check -e staging --fail-on warning\n\nExit codes: 0 no finding at or above --fail-on, 1 some, 2 bad input."
    )]
    Check(cmd::check::Args),
    /// Write .env.example from the schema (never a secret value)
    #[command(
        after_help = "Examples:\n  envward example\n  envward example --check        # in CI: exit 1 with a diff when stale\n  envward example --stdout"
    )]
    Example(cmd::generated::Args),
    /// Write the Markdown configuration reference from the schema
    #[command(
        after_help = "Examples:\n  envward docs                   # writes docs/configuration.md\n  envward docs --check\n  envward docs -o CONFIGURATION.md"
    )]
    Docs(cmd::generated::Args),
    /// Generate a random secret (OS CSPRNG) into the environment's file
    #[command(
        after_help = "Examples:\n  envward generate SECRET_KEY -e production\n  envward generate JWT_SIGNING_KEY -e staging -n security\n  envward generate API_SALT --print\n\nCharset and length from the schema: [vars.KEY] generate = { length = 64, charset = \"urlsafe\" }\n(alphanumeric, urlsafe, hex, base64, django). Defaults: 50 characters of Django's\nalphabet for Django's SECRET_KEY, 64 for JWT keys and SECRET_KEY, 32 otherwise.\nThe value is never printed unless --print (which writes nothing)."
    )]
    Generate(cmd::generate::Args),
    /// Rotate a secret: a new value, the old one kept for the rollover
    #[command(
        after_help = "Examples:\n  envward rotate SECRET_KEY -e production           # old value in SECRET_KEY_PREVIOUS\n  envward rotate --finish SECRET_KEY -e production  # drop it once deployed\n  envward rotate --all-sensitive -e production      # incident: every generatable secret\n\nWhere the old value goes: [vars.KEY] rotate = { keep_in = \"SECRET_KEY_FALLBACKS\", keep = 2 }\n(Django's SECRET_KEY in a Django project: SECRET_KEY_FALLBACKS). Each rotation is\nrecorded in .envward/rotations.jsonl (read by the secret.max-age rule)."
    )]
    Rotate(cmd::rotate::Args),
    /// Verified backups: create, list, verify, restore
    #[command(
        subcommand,
        after_help = "Examples:\n  envward backup create --keep 10\n  envward backup verify FILE\n  envward backup restore FILE --dry-run"
    )]
    Backup(cmd::backup::Command),
    /// Show how two environments or two files differ (secrets never shown)
    #[command(
        after_help = "Examples:\n  envward diff -e staging -e production\n  envward diff .env.old .env --format json\n  envward diff -e production --example     # keys missing from or undocumented in .env.example\n  envward diff -e staging -e production --exit-code\n\nSensitive values show as `changed` with a keyed fingerprint (HMAC-SHA256,\nkey from $ENVWARD_FINGERPRINT_KEY or ~/.config/envward/fingerprint.key), so two\ndiffs can be compared without revealing anything."
    )]
    Diff(cmd::diff::Args),
    /// Record an environment's keys and value fingerprints (never a value) in .envward/history.jsonl
    #[command(
        after_help = "Examples:\n  envward snapshot -e production -m \"before the 4.2 deploy\"\n  envward snapshot --all-envs\n\nPrints the snapshot's id. Values are recorded as keyed fingerprints (HMAC-SHA256,\nkey from $ENVWARD_FINGERPRINT_KEY or ~/.config/envward/fingerprint.key, never in\nthe repository). Keeps [history] keep snapshots per environment (default 100)."
    )]
    Snapshot(cmd::history::SnapshotArgs),
    /// Show how an environment's keys changed between snapshots, newest first
    #[command(
        after_help = "Examples:\n  envward history -e production\n  envward history -e production SECRET_KEY\n  envward history --format json\n\nChanges: added, removed, changed (value fingerprint differs), type changed."
    )]
    History(cmd::history::HistoryArgs),
    /// Show, verify or analyze the audit log (.envward/audit.log)
    #[command(
        after_help = "Examples:\n  envward log -e production --since 7d\n  envward log --key SECRET_KEY --format json\n  envward log verify                # exit 1 naming the first bad line\n  envward log analyze\n\nEvery change (set, unset, edit, encrypt, decrypt, import, recipients, rekey), every\nread of sensitive values in environments that log reads (get, export, run, list\n--reveal; strict ones by default), decrypt, and failed decryptions append one line,\nchained by SHA-256 to the line before."
    )]
    Log(cmd::log::Args),
    /// Work on the schema: infer it from existing env files
    #[command(subcommand, after_help = "Examples:\n  envward schema infer")]
    Schema(cmd::schema::Command),
    /// Start a project: envward.toml, env files, .env.example, .gitignore
    #[command(
        after_help = "Examples:\n  envward init --preset django\n  envward init --preset node --layout flat --envs development,production\n\nNever overwrites an existing file without --force; appends only missing\n.gitignore entries. Running it twice changes nothing."
    )]
    Init(cmd::init::Args),
    /// Presets of declarations: list, show, add to envward.toml
    #[command(
        subcommand,
        after_help = "Examples:\n  envward template list\n  envward template show database:mysql\n  envward template add django database:postgres cache email"
    )]
    Template(cmd::template::Command),
    /// Audit a process environment: exported secrets, secrets other users can read,
    /// configuration overridden from outside
    #[command(
        after_help = "Examples:\n  envward doctor -e production                 # the shell you are in, against production's files\n  envward doctor --pid \"$(pgrep -o gunicorn)\" -e production --format json\n  envward doctor --fail-on warning             # exit 1 on warnings too\n\nNever prints a value: only keys, paths, modes and origins.\nExit codes: 0 no finding at or above --fail-on (default: error), 1 some, 2 bad input\n(no such process, not permitted to read its environment, a project that does not load)."
    )]
    Doctor(cmd::doctor::Args),
    /// Probe a live deployment: HTTPS and its redirect, security headers and
    /// cookies, debug pages, the environment's secrets in health endpoints
    #[command(
        after_help = "Examples:\n  envward probe -e production                  # the environment's BASE_URL\n  envward probe https://app.example.com --health /health --health /status\n  envward probe https://staging.internal --ca-file internal-ca.pem --format sarif\n\nNever prints a secret: a value found in an answer is named by its key.\nExit codes: 0 no finding at or above --fail-on (default: error), 1 some, 2 bad input\n(a URL that does not parse, a deployment that does not answer, a project that does not load)."
    )]
    Probe(cmd::probe::Args),
    /// A health summary safe to expose: counts only, never a value
    #[command(
        after_help = "Examples:\n  envward status\n  envward status --format json   # for a health endpoint or dashboard"
    )]
    Status(cmd::status::Args),
    /// List the built-in security rules, or explain one
    #[command(after_help = "Examples:\n  envward rules\n  envward rules explain secret.min-length")]
    Rules(cmd::rules::Args),
    /// Print shell completions
    #[command(
        after_help = "Examples:\n  envward completions bash > /etc/bash_completion.d/envward\n  envward completions zsh > \"${fpath[1]}/_envward\"\n  envward completions fish > ~/.config/fish/completions/envward.fish"
    )]
    Completions(cmd::completions::Args),
    /// Write man pages
    #[command(
        after_help = "Examples:\n  envward man > envward.1\n  envward man --dir /usr/local/share/man/man1"
    )]
    Man(cmd::completions::ManArgs),
    /// Print a command's help, or a reference topic (config, schema, rules, …)
    #[command(
        after_help = "Examples:\n  envward help check\n  envward help recipients add\n  envward help config      # every setting of envward.toml\n  envward help topics"
    )]
    Help(cmd::help::Args),
}

/// Options every subcommand accepts (`global`), shown only where they
/// mean something: the loader options on commands that read an
/// environment, `-C` on commands that open a project.
const LOADER_OPTIONS: &[&str] = &[
    "env",
    "namespace",
    "allow_undefined",
    "secrets_dir",
    "identity",
];

/// Commands that read no environment.
const NO_ENVIRONMENT: &[&str] = &[
    "keygen",
    "rules",
    "completions",
    "man",
    "help",
    "init",
    "template",
    "example",
    "docs",
];

/// Commands that read no environment but may decrypt (an identity).
const IDENTITY_ONLY: &[&str] = &["backup"];

/// Commands that open no project.
const NO_PROJECT: &[&str] = &["keygen", "rules", "completions", "man", "help"];

/// The command line as users see it, for parsing, help, completions and
/// man pages alike: global options listed only where they mean something,
/// each generated file's own default.
pub fn command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    // Global options are copied into every subcommand when it is built.
    cmd.build();
    for sub in cmd.get_subcommands_mut() {
        let name = sub.get_name().to_string();
        let mut hidden: Vec<&str> = Vec::new();
        if NO_ENVIRONMENT.contains(&name.as_str()) {
            hidden.extend(LOADER_OPTIONS);
        }
        if IDENTITY_ONLY.contains(&name.as_str()) {
            hidden.extend(LOADER_OPTIONS.iter().filter(|o| **o != "identity"));
        }
        if NO_PROJECT.contains(&name.as_str()) {
            hidden.push("project");
        }
        let output = match name.as_str() {
            "example" => Some("The file to write or check [default: .env.example in the project]"),
            "docs" => {
                Some("The file to write or check [default: docs/configuration.md in the project]")
            }
            _ => None,
        };
        *sub = hide(std::mem::take(sub), &hidden);
        if let Some(help) = output {
            // In place: `mut_arg` would move the argument after the
            // command was built, and its keys would point elsewhere.
            *sub = std::mem::take(sub).mut_args(|a| {
                if a.get_id() == "output" {
                    a.help(help)
                } else {
                    a
                }
            });
        }
    }
    cmd
}

/// `cmd` and its subcommands without the arguments `ids` in their help.
fn hide(mut cmd: clap::Command, ids: &[&str]) -> clap::Command {
    for sub in cmd.get_subcommands_mut() {
        *sub = hide(std::mem::take(sub), ids);
    }
    cmd.mut_args(|a| {
        if ids.contains(&a.get_id().as_str()) {
            a.hide(true)
        } else {
            a
        }
    })
}

/// Parses the command line; an unknown command gets one "did you mean"
/// (the closest name, not clap's list).
fn parse() -> anyhow::Result<(Cli, String)> {
    use clap::FromArgMatches;
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match parse_named(&args) {
        Some(Ok(parsed)) => return Ok(parsed),
        Some(Err(version)) => version.exit(),
        None => {}
    }
    let matches = command().try_get_matches_from(&args);
    let matches = match matches {
        Ok(m) => m,
        Err(e) if e.kind() == clap::error::ErrorKind::InvalidSubcommand => {
            let word = match e.get(clap::error::ContextKind::InvalidSubcommand) {
                Some(clap::error::ContextValue::String(w)) => w.clone(),
                _ => e.exit(),
            };
            let cmd = command();
            let names = cmd
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(|s| s.get_name());
            let help = match envward::suggest::closest(&word, names) {
                Some(s) => format!("did you mean `{s}`? (`envward help` lists every command)"),
                None => "`envward help` lists every command".to_string(),
            };
            return Err(crate::exit::Exit::input(
                envward::Diagnostic::error(format!("unrecognized subcommand `{word}`"))
                    .with_help(help),
            ));
        }
        Err(e) => e.exit(),
    };
    let name = matches.subcommand_name().unwrap_or_default().to_string();
    Ok((
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()),
        name,
    ))
}

/// The top level of [`Cli`] without its subcommands, for [`parse_named`]:
/// the same name, version and global options (what parsing reads; help
/// text is left to [`command`]).
#[derive(Debug, Parser)]
#[command(
    name = "envward",
    version,
    propagate_version = true,
    disable_help_subcommand = true
)]
struct Top {
    #[command(flatten)]
    global: Global,
}

/// The fast path of [`parse`], for a command line that parses: the
/// top level with only the subcommands whose names are among `args`, each
/// built only when it is the one parsed (`defer`). Start-up then pays
/// neither for building the forty others (their arguments, the global
/// options copied into each: about 0.4 M instructions and 380 KB of heap
/// on every run) nor for the help-only changes of [`command`]. `--version`
/// gives its error (the version to print). `None` for anything else
/// (help, a usage error): [`parse`] then parses again with the whole
/// tree, which renders it exactly as users see it.
fn parse_named(args: &[std::ffi::OsString]) -> Option<Result<(Cli, String), clap::Error>> {
    use clap::{CommandFactory, FromArgMatches, Subcommand};
    let all = <Command as Subcommand>::augment_subcommands(clap::Command::new("envward"));
    let named = all.get_subcommands().filter(|sub| {
        args.iter().skip(1).any(|a| {
            a.to_str()
                .is_some_and(|a| sub.get_name() == a || sub.get_all_aliases().any(|n| n == a))
        })
    });
    let cmd = Top::command()
        .subcommands(named.cloned())
        .subcommand_required(true)
        .arg_required_else_help(true);
    let matches = match cmd.try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayVersion => return Some(Err(e)),
        Err(_) => return None,
    };
    let cli = Cli::from_arg_matches(&matches).ok()?;
    let name = matches.subcommand_name().unwrap_or_default().to_string();
    Some(Ok((cli, name)))
}

/// Parses the command line and runs the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    let (cli, name) = parse()?;
    match cli.global.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
    let g = &cli.global;
    if g.env.len() > 1 && !matches!(cli.command, Command::Diff(_)) {
        return Err(crate::exit::Exit::input(
            envward::Diagnostic::error("`--env` given more than once")
                .with_help("only `envward diff -e A -e B` compares two environments"),
        ));
    }
    let result = dispatch(g, cli.command);
    crate::audit::after(g, &name, &result);
    result
}

fn dispatch(g: &Global, subcommand: Command) -> anyhow::Result<ExitCode> {
    match subcommand {
        Command::Get(args) => cmd::get::run(g, args),
        Command::List(args) => cmd::list::run(g, args),
        Command::Explain(args) => cmd::explain::run(g, args),
        Command::Export(args) => cmd::export::run(g, args),
        Command::Run(args) => cmd::run::run(g, args),
        Command::Redact(args) => cmd::redact::run(g, args),
        Command::Scan(args) => cmd::scan::run(g, args),
        Command::Hook(c) => cmd::hook::run(g, c),
        Command::Pull(args) => cmd::sync::pull(g, args),
        Command::Push(args) => cmd::sync::push(g, args),
        Command::Check(args) => cmd::check::run(g, args),
        Command::Keygen(args) => cmd::keys::keygen(args),
        Command::Encrypt(args) => cmd::crypt::encrypt(g, args),
        Command::Decrypt(args) => cmd::crypt::decrypt(g, args),
        Command::Set(args) => cmd::set::set(g, args),
        Command::Unset(args) => cmd::set::unset(g, args),
        Command::Edit(args) => cmd::edit::edit(g, args),
        Command::Import(args) => cmd::crypt::import(g, args),
        Command::Recipients(c) => cmd::keys::recipients(g, c),
        Command::Rekey(args) => cmd::crypt::rekey(g, args),
        Command::Rules(args) => cmd::rules::run(args),
        Command::Status(args) => cmd::status::run(g, args),
        Command::Doctor(args) => cmd::doctor::run(g, args),
        Command::Probe(args) => cmd::probe::run(g, args),
        Command::Schema(c) => cmd::schema::run(g, c),
        Command::Template(c) => cmd::template::run(g, c),
        Command::Init(args) => cmd::init::run(g, args),
        Command::Diff(args) => cmd::diff::run(g, args),
        Command::Backup(c) => cmd::backup::run(g, c),
        Command::Generate(args) => cmd::generate::run(g, args),
        Command::Rotate(args) => cmd::rotate::run(g, args),
        Command::Example(args) => cmd::generated::run(g, args, cmd::generated::Kind::Example),
        Command::Docs(args) => cmd::generated::run(g, args, cmd::generated::Kind::Docs),
        Command::Snapshot(args) => cmd::history::snapshot(g, args),
        Command::History(args) => cmd::history::run(g, args),
        Command::Log(args) => cmd::log::run(g, args),
        Command::Completions(args) => cmd::completions::run(args, command()),
        Command::Man(args) => cmd::completions::man(args, command()),
        Command::Help(args) => cmd::help::run(args, command()),
    }
}

#[cfg(test)]
mod tests {
    use clap::FromArgMatches;

    use super::*;

    /// What the whole tree of [`command`] makes of `args`, as [`parse_named`] gives it.
    fn full(args: &[std::ffi::OsString]) -> Option<String> {
        let m = command().try_get_matches_from(args).ok()?;
        let cli = Cli::from_arg_matches(&m).ok()?;
        Some(format!(
            "{cli:?} {}",
            m.subcommand_name().unwrap_or_default()
        ))
    }

    #[test]
    fn the_fast_path_parses_every_command_line_as_the_whole_tree_does() {
        let parsed = [
            "envward run -- true",
            "envward -C dir run -e production -- /usr/bin/true -x",
            "envward run -e production --no-check --clean -- env -0",
            "envward -e run get DATABASE_URL",
            "envward get -e production -n security --allow-undefined SECRET_KEY",
            "envward export -e staging --format json -o out.json",
            "envward list --reveal --format json",
            "envward check --all-envs --format sarif -i id.txt -i id2.txt",
            "envward diff -e staging -e production --exit-code",
            "envward --color never scan src config",
            "envward hook install --force",
            "envward recipients add -e production age1xyz",
            "envward backup verify FILE",
            "envward template add django database:postgres",
            "envward schema infer",
            "envward help run",
            "envward rules explain secret.min-length",
            "envward completions bash",
            "envward keygen --output k.txt",
            // CMD takes hyphen values: the program is `--no-such-flag`.
            "envward run --no-such-flag -- true",
        ];
        // Help, version and usage errors: left to the whole tree.
        let not_parsed = [
            "envward",
            "envward -C dir",
            "envward --help",
            "envward run --help",
            "envward run",
            "envward rnu -- true",
            "envward get",
            "envward get --no-such-flag",
            "envward export --format nope",
            "envward hook",
        ];
        let args =
            |line: &str| -> Vec<std::ffi::OsString> { line.split(' ').map(Into::into).collect() };
        for line in parsed {
            let fast = parse_named(&args(line))
                .and_then(Result::ok)
                .map(|(cli, name)| format!("{cli:?} {name}"));
            assert!(fast.is_some(), "{line}");
            assert_eq!(fast, full(&args(line)), "{line}");
        }
        // The version: the same text either way.
        for line in [
            "envward --version",
            "envward -V",
            "envward -C dir --version",
            "envward run --version",
            "envward hook install --version",
        ] {
            let fast = match parse_named(&args(line)) {
                Some(Err(e)) => e.render().to_string(),
                _ => panic!("{line}: not a version"),
            };
            let full = command().try_get_matches_from(args(line)).unwrap_err();
            assert_eq!(
                full.kind(),
                clap::error::ErrorKind::DisplayVersion,
                "{line}"
            );
            assert_eq!(fast, full.render().to_string(), "{line}");
        }
        for line in not_parsed {
            assert!(parse_named(&args(line)).is_none(), "{line}");
            assert!(full(&args(line)).is_none(), "{line}");
        }
    }
}
