//! `doctor`: audits a process environment (envward's own, i.e. the shell
//! that ran it, or another process's) for three problems:
//!
//! 1. sensitive variables exported to every child (`doctor.exported-secret`);
//! 2. secrets visible to other users: secret files readable by others
//!    (`doctor.secret-file-readable`) and another user's environment
//!    readable by this one (`doctor.environ-readable`);
//! 3. keys of the project's configuration overridden from the process
//!    environment (`doctor.overridden`), and required keys only the process
//!    environment provides (`doctor.process-only-required`).
//!
//! Findings hold keys, paths, modes and origins, never a value. The exact
//! definitions are in `docs/cli.md` (`envward doctor`).

mod environ;
mod render;

pub use environ::{DoctorError, ProcessEnv, Target};
pub use render::{JSON_VERSION, json, text};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::config::{PROJECT_FILE, ProjectFile};
use crate::findings::{Finding, Process, Section, Severity, Tool, registry};
use crate::layout::Layout;
use crate::resolve::{Config, FILE_SUFFIX, LoadOptions, Project};
use crate::secret::{Sensitivity, is_sensitive_name};
use crate::source::{Layer, Origin};
use crate::value::Resolved;

/// The three groups of checks, in report order: id, title.
pub const SECTIONS: &[(&str, &str)] = &[
    ("exported", "Sensitive variables exported to every child"),
    ("visible", "Secrets visible to other users"),
    ("overrides", "Configuration overridden from outside"),
];

/// The section of a rule id (its group in the registry).
pub fn section_of(rule: &str) -> &'static str {
    registry::find(rule).map_or("exported", |r| r.group)
}

/// What to audit.
#[derive(Clone, Debug, Default)]
pub struct DoctorOptions {
    /// The project and environment to compare with (`process_env` is
    /// replaced by the audited environment).
    pub load: LoadOptions,
    /// Whose environment.
    pub target: Target,
}

pub use crate::findings::{ProjectInfo, Report};

/// Reads the target's environment and audits it. The report has
/// [`Report::process`] and [`Report::sections`] set.
pub fn doctor(options: &DoctorOptions) -> Result<Report, DoctorError> {
    let env = ProcessEnv::read(options.target)?;
    audit(&env, &options.load)
}

/// Audits an environment already read (see [`ProcessEnv::from_pairs`]).
///
/// ```
/// use envward::doctor::{audit, ProcessEnv};
/// use envward::LoadOptions;
/// let dir = tempfile::tempdir().unwrap();
/// let env = ProcessEnv::parse_environ(b"GITHUB_TOKEN=ghp_x\0HOME=/root\0");
/// let load = LoadOptions { project_dir: Some(dir.path().into()), secrets_dir: Some(dir.path().into()), ..Default::default() };
/// let report = audit(&env, &load).unwrap();
/// assert_eq!(report.findings.len(), 1);
/// assert_eq!(report.findings[0].rule, "doctor.exported-secret");
/// assert_eq!(report.findings[0].key.as_deref(), Some("GITHUB_TOKEN"));
/// assert!(!format!("{report:?}").contains("ghp_x"));
/// ```
pub fn audit(env: &ProcessEnv, load: &LoadOptions) -> Result<Report, DoctorError> {
    let opened = Project::open(load.project_dir.as_deref())?;
    let mut load = load.clone();
    load.process_env = Some(env.vars.clone());
    let cfg = if has_project(&opened) {
        let cfg = Config::load_in(&opened, load.clone())?;
        Some(cfg)
    } else {
        None
    };
    let mut findings = Vec::new();
    let mut skipped = None;
    exported_secrets(env, &opened.file, cfg.as_ref(), &mut findings);
    let secrets_dir = load
        .secrets_dir
        .clone()
        .unwrap_or_else(|| opened.file.resolve.secrets_dir.clone());
    readable_secret_files(
        env,
        &opened.file,
        cfg.as_ref(),
        &secrets_dir,
        &load.identities,
        &mut findings,
    );
    if let (Some(pid), Some(owner), Some(reader)) = (env.pid, env.owner, env.reader) {
        findings.extend(environ_exposure(pid, owner, reader));
    }
    match &cfg {
        Some(cfg) => overrides(env, &opened, cfg, &load, &mut findings),
        None => {
            skipped = Some(format!(
                "no envward project in {} (no {PROJECT_FILE}, no env files)",
                opened.root.display()
            ));
        }
    }
    let mut report = Report::new(Tool::Doctor, opened.root.clone());
    report.sections = SECTIONS
        .iter()
        .map(|(id, title)| Section {
            id,
            title,
            skipped: skipped.clone().filter(|_| *id == "overrides"),
        })
        .collect();
    report.rules = registry::entries_tagged("process");
    report.checks = report.rules.len();
    report.findings = findings;
    report.process = Some(Process {
        pid: env.pid,
        owner: env.owner,
        variables: env.len(),
        invalid_utf8: env.invalid_utf8,
        project: cfg.as_ref().map(|c| ProjectInfo {
            root: c.root.clone(),
            environment: c.environment.clone(),
            strict: c.strict(),
        }),
    });
    crate::findings::apply_settings(&mut report, &opened.file.rules, cfg.as_slice());
    report.findings.sort_by(|a, b| {
        let rank = |f: &Finding| {
            SECTIONS
                .iter()
                .position(|(s, _)| *s == section_of(&f.rule))
                .unwrap_or(usize::MAX)
        };
        rank(a)
            .cmp(&rank(b))
            .then(b.severity.cmp(&a.severity))
            .then(a.key.cmp(&b.key))
            .then(a.rule.cmp(&b.rule))
            .then(a.message.cmp(&b.message))
    });
    Ok(report)
}

/// Whether there is a project to compare with: an `envward.toml`, or env
/// files of some environment.
fn has_project(opened: &Project) -> bool {
    if opened.root.join(PROJECT_FILE).is_file() {
        return true;
    }
    let layout = Layout::detect(&opened.root, &opened.file.layout);
    opened
        .environments
        .iter()
        .any(|e| layout.files(e).is_ok_and(|f| !f.is_empty()))
}

/// A key for a one-line message: control characters escaped (an environ
/// key can hold anything but `=` and NUL).
fn shown(key: &str) -> String {
    if key.chars().any(char::is_control) {
        key.escape_debug().collect()
    } else {
        key.to_string()
    }
}

/// Why a variable of the audited environment is sensitive, if it is.
fn sensitive_reason(
    key: &str,
    value: &str,
    project: &ProjectFile,
    cfg: Option<&Resolved>,
) -> Option<&'static str> {
    if key == "ENVWARD_IDENTITY" || value.trim_start().starts_with("AGE-SECRET-KEY-") {
        return project
            .vars
            .get(key)
            .and_then(|s| s.declared_sensitive())
            .unwrap_or(true)
            .then_some("it holds an age identity (a private key)");
    }
    match project.sensitivity(key, value) {
        Sensitivity::Declared => return Some("envward.toml marks it sensitive"),
        Sensitivity::DeclaredNot => return None,
        Sensitivity::Name => return Some("its name says it is a secret"),
        Sensitivity::Shape("a URL with a password") => return Some("it is a URL with a password"),
        Sensitivity::Shape(_) => return Some("its value has the shape of a secret"),
        Sensitivity::Setting => {}
    }
    if cfg
        .and_then(|c| c.get(key))
        .is_some_and(|v| v.sensitive && matches!(v.origin, Origin::Process))
    {
        return Some("the configuration treats it as sensitive");
    }
    None
}

fn exported_secrets(
    env: &ProcessEnv,
    project: &ProjectFile,
    cfg: Option<&Resolved>,
    findings: &mut Vec<Finding>,
) {
    for (key, value) in &env.vars {
        let Some(reason) = sensitive_reason(key, value, project, cfg) else {
            continue;
        };
        let k = shown(key);
        let (message, help) = match env.pid {
            None => (
                format!(
                    "`{k}` is exported ({reason}): every program started from this shell inherits it"
                ),
                format!(
                    "keep it in an env file (`envward set {k} -e ENV`) and pass it with `envward run` only to the program that needs it; then `unset {k}`"
                ),
            ),
            Some(pid) => (
                format!(
                    "`{k}` is in the environment of process {pid} ({reason}): every program it starts inherits it"
                ),
                "give it only to the program that needs it (`envward run`, a secrets file read through KEY_FILE) instead of the environment of the process that starts it".to_string(),
            ),
        };
        findings.push(Finding {
            rule: "doctor.exported-secret".into(),
            severity: Severity::Warning,
            environment: None,
            key: Some(k),
            origin: Some(Origin::Process),
            message,
            help: Some(help),
            location: None,
            tags: Vec::new(),
        });
    }
}

/// A file holding a secret, and where it was named.
struct SecretFile {
    path: PathBuf,
    shown: PathBuf,
    key: Option<String>,
    origin: Option<Origin>,
    /// An age identity (a private key): any access by group or others is
    /// reported, as ssh does for its keys.
    identity: bool,
}

fn readable_secret_files(
    env: &ProcessEnv,
    project: &ProjectFile,
    cfg: Option<&Resolved>,
    secrets_dir: &Path,
    identities: &[PathBuf],
    findings: &mut Vec<Finding>,
) {
    let mut files = Vec::new();
    // `KEY_FILE` in the process environment, when KEY is a secret or the
    // configuration names KEY (then envward reads the file as KEY's value).
    for (var, path) in &env.vars {
        let Some(key) = var.strip_suffix(FILE_SUFFIX).filter(|k| !k.is_empty()) else {
            continue;
        };
        let names_it = project.vars.contains_key(key) || cfg.is_some_and(|c| c.get(key).is_some());
        let secret = project
            .vars
            .get(key)
            .map_or_else(|| is_sensitive_name(key), |s| s.is_sensitive(key));
        if path.is_empty() || !(secret || names_it) {
            continue;
        }
        let written = PathBuf::from(path);
        let full = match &env.cwd {
            Some(cwd) if written.is_relative() => cwd.join(&written),
            _ => written.clone(),
        };
        files.push(SecretFile {
            path: full,
            shown: written.clone(),
            key: Some(shown(key)),
            origin: Some(Origin::FileRef {
                var: shown(var),
                path: written,
                declared: Box::new(Origin::Process),
            }),
            identity: false,
        });
    }
    // `KEY_FILE` in the project's files (relative to the file that sets it).
    for var in cfg.into_iter().flat_map(|c| c.iter()) {
        if let Origin::FileRef { path, declared, .. } = &var.origin
            && let Origin::File { path: at, .. } = declared.as_ref()
            && let Some(cfg) = cfg
        {
            let base = cfg.root.join(at);
            let full = base.parent().map_or_else(|| path.clone(), |d| d.join(path));
            files.push(SecretFile {
                path: full,
                shown: path.clone(),
                key: Some(var.key.to_string()),
                origin: Some(var.origin.clone()),
                identity: false,
            });
        }
    }
    // Every file of the secrets directory.
    if let Ok(entries) = std::fs::read_dir(secrets_dir) {
        let mut names: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        names.sort();
        for path in names.into_iter().filter(|p| p.is_file()) {
            files.push(SecretFile {
                shown: path.clone(),
                path: path.clone(),
                key: None,
                origin: Some(Origin::SecretsDir { path }),
                identity: false,
            });
        }
    }
    // The identity files envward would read in this environment.
    for path in crate::crypto::identity_files(identities, &env.vars) {
        let full = match &env.cwd {
            Some(cwd) if path.is_relative() => cwd.join(&path),
            _ => path.clone(),
        };
        files.push(SecretFile {
            path: full,
            shown: path,
            key: None,
            origin: None,
            identity: true,
        });
    }
    let mut seen = BTreeSet::new();
    for file in files {
        let canonical = std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone());
        if !seen.insert(canonical) {
            continue;
        }
        let Some(mode) = file_mode(&file.path) else {
            continue;
        };
        let severity = match exposure(mode) {
            Some(s) => s,
            // An identity is a private key: group read is too much.
            None if file.identity && mode & 0o077 != 0 => Severity::Warning,
            None => continue,
        };
        let who = if mode & 0o004 != 0 {
            "every user on this machine can read it"
        } else if file.identity {
            "its group or other users can reach it (an identity is a private key)"
        } else {
            "its group or other users have more than read access to it"
        };
        let what = match &file.key {
            Some(k) => format!("holds the value of `{k}`"),
            None if file.identity => {
                "is an age identity (it decrypts every encrypted value)".to_string()
            }
            None => "is in the secrets directory".to_string(),
        };
        findings.push(Finding {
            rule: "doctor.secret-file-readable".into(),
            severity,
            environment: None,
            key: file.key.clone(),
            origin: file.origin,
            message: format!(
                "{} {what} and has mode {mode:04o}: {who}",
                file.shown.display()
            ),
            help: Some(if file.identity {
                format!("chmod 600 {}", file.path.display())
            } else {
                format!(
                    "chmod 600 {} (640 when a group must read it)",
                    file.path.display()
                )
            }),
            location: None,
            tags: Vec::new(),
        });
    }
}

/// The permission bits of a file (following symlinks), when it can be read.
fn file_mode(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// How bad a secret file's mode is: readable by others is an error; any
/// other permission beyond 0640 (group write, others write or execute) a
/// warning; 0600, 0640, 0400 and 0440 are fine (as `files.permissions`).
///
/// ```
/// use envward::doctor::exposure;
/// use envward::findings::Severity;
/// assert_eq!(exposure(0o600), None);
/// assert_eq!(exposure(0o640), None);
/// assert_eq!(exposure(0o644), Some(Severity::Error));
/// assert_eq!(exposure(0o444), Some(Severity::Error));
/// assert_eq!(exposure(0o660), Some(Severity::Warning));
/// ```
pub fn exposure(mode: u32) -> Option<Severity> {
    if mode & 0o004 != 0 {
        Some(Severity::Error)
    } else if mode & 0o037 != 0 {
        Some(Severity::Warning)
    } else {
        None
    }
}

/// `doctor.environ-readable`: envward (uid `reader`, not root) could read
/// the environment of a process owned by another uid. Root reads every
/// process's environment by design, so root is never reported.
///
/// ```
/// use envward::doctor::environ_exposure;
/// assert!(environ_exposure(42, 1000, 1001).is_some());
/// assert!(environ_exposure(42, 1000, 1000).is_none());
/// assert!(environ_exposure(42, 1000, 0).is_none());
/// ```
pub fn environ_exposure(pid: u32, owner: u32, reader: u32) -> Option<Finding> {
    if owner == reader || reader == 0 {
        return None;
    }
    Some(Finding {
        rule: "doctor.environ-readable".into(),
        severity: Severity::Error,
        environment: None,
        key: None,
        origin: None,
        message: format!(
            "the environment of process {pid} (uid {owner}) is readable by uid {reader}: its secrets are visible to another user"
        ),
        help: Some(
            "find why (CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH granted to this user, a process that changed uid but stayed dumpable) and remove it; move the process's secrets to files only its user can read".to_string(),
        ),
        location: None,
        tags: Vec::new(),
    })
}

fn overrides(
    env: &ProcessEnv,
    opened: &Project,
    cfg: &Resolved,
    load: &LoadOptions,
    findings: &mut Vec<Finding>,
) {
    let overriding: Vec<&crate::value::Var> = cfg
        .iter()
        .filter(|v| v.origin.layer() == Layer::Process && beaten_file(v).is_some())
        .collect();
    // What the files alone give, to tell a harmless duplicate (same value)
    // from a real override. Values are compared, never shown.
    let files_only = if overriding.is_empty() {
        None
    } else {
        let mut process: BTreeMap<String, String> = env.vars.clone();
        for v in &overriding {
            process.remove(v.key.as_str());
            process.remove(&format!("{}{FILE_SUFFIX}", v.key));
        }
        let mut load = load.clone();
        load.process_env = Some(process);
        load.allow_undefined = true;
        Config::load_in(opened, load).ok()
    };
    let env_name = &cfg.environment;
    let from = match env.pid {
        None => "the process environment".to_string(),
        Some(pid) => format!("the environment of process {pid}"),
    };
    for var in overriding {
        let key = &var.key;
        let Some(beaten) = beaten_file(var) else {
            continue;
        };
        let more = match var.overridden.len() - 1 {
            0 => String::new(),
            n => format!(
                " (and {n} more {})",
                crate::plural::noun(n, "definition", "definitions")
            ),
        };
        let same = files_only
            .as_ref()
            .and_then(|f| f.get(key))
            .is_some_and(|f| !f.sealed && !var.sealed && f.value.expose() == var.value.expose());
        let (severity, message) = if same {
            (
                Severity::Info,
                format!(
                    "`{key}` from {from} overrides {beaten}{more} with the same value today: a change to the file will have no effect"
                ),
            )
        } else {
            (
                if cfg.strict() {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                format!("`{key}` from {from} overrides {beaten}{more} with a different value"),
            )
        };
        let help = match env.pid {
            None => format!(
                "`unset {key}` in this shell (or remove it from the profile that exports it) so that the files decide; `envward explain {key} -e {env_name}` shows every definition"
            ),
            Some(pid) => format!(
                "remove `{key}` from the environment process {pid} was started with (unit file, container spec, the shell that started it) so that the files decide"
            ),
        };
        findings.push(Finding {
            rule: "doctor.overridden".into(),
            severity,
            environment: Some(env_name.clone()),
            key: Some(key.to_string()),
            origin: Some(var.origin.clone()),
            message,
            help: Some(help),
            location: None,
            tags: Vec::new(),
        });
    }
    for (key, spec) in &opened.file.vars {
        if !spec.is_required_in(env_name) {
            continue;
        }
        let Some(var) = cfg.get(key) else {
            continue;
        };
        if var.origin.layer() != Layer::Process || beaten_file(var).is_some() {
            continue;
        }
        findings.push(Finding {
            rule: "doctor.process-only-required".into(),
            severity: Severity::Warning,
            environment: Some(env_name.clone()),
            key: Some(key.clone()),
            origin: Some(var.origin.clone()),
            message: format!(
                "`{key}` is required in {env_name} but only {from} provides it: `envward run` from another shell, cron or CI stops with exit 2"
            ),
            help: Some(format!(
                "define it in {env_name}'s files (`envward set {key} -e {env_name}` keeps it encrypted) or in the secrets directory"
            )),
            location: None,
            tags: Vec::new(),
        });
    }
}

/// The highest definition a value overrode that is not a schema default
/// (defaults exist to be overridden): a file, or the secrets directory.
fn beaten_file(var: &crate::value::Var) -> Option<&Origin> {
    var.overridden
        .iter()
        .map(|o| &o.origin)
        .find(|o| !matches!(o, Origin::Default))
}
