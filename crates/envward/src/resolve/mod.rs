//! Sources → [`Resolved`]: precedence, namespaces, interpolation and
//! provenance.
//!
//! `mod.rs` opens the project and collects an environment's sources (its
//! files, the process environment, the secrets directory, the schema
//! defaults; see [`crate::source`]); `resolver` ranks them and asks them
//! for each key; `eval` expands references.

mod eval;
mod integrity;
mod resolver;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::config::{PROJECT_FILE, ProjectFile, Undefined};
use crate::crypto;
use crate::error::LoadError;
use crate::layout::{COMMON, Layout};
use crate::source::{Defaults, FileSource, Keyring, ProcessEnv, RemoteSource, SecretsDir, Source};
use crate::value::{Resolved, Var, Vars};
use resolver::Resolver;

pub use crate::source::FILE_SUFFIX;
pub use integrity::{Breach, BreachKind};
pub use stream::VarStream;

/// Deepest nesting of conditional references (`${A:-${B:-…}}` through
/// other keys) followed before giving up. Plain chains (`K2=${K1}x`) have
/// no limit: they are resolved deepest first, without recursion.
pub const MAX_DEPTH: usize = 64;

/// What to load: the project, the environment, the namespace.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Where to start looking for `envward.toml` (upwards). Defaults to the
    /// current directory.
    pub project_dir: Option<PathBuf>,
    /// The environment (or an alias). Default: the first of `[resolve]
    /// environment_variables` that is set, then `development`.
    pub environment: Option<String>,
    /// Restrict the view to one namespace (falling back to `common`).
    pub namespace: Option<String>,
    /// The process environment to use; `None` reads the real one.
    pub process_env: Option<BTreeMap<String, String>>,
    /// Undefined references become empty instead of an error.
    pub allow_undefined: bool,
    /// Overrides `[resolve] secrets_dir`.
    pub secrets_dir: Option<PathBuf>,
    /// Identity files given on the command line (`--identity`), tried
    /// before `ENVWARD_IDENTITY`, `ENVWARD_IDENTITY_FILE` and the default
    /// identity file.
    pub identities: Vec<PathBuf>,
    /// Asks for the passphrase of a passphrase-protected identity (the CLI
    /// prompts on the terminal); `ENVWARD_IDENTITY_PASSPHRASE` wins.
    pub passphrase_prompt: Option<crypto::PassphrasePrompt>,
    /// Read the environment's files (and the schema's defaults) alone: no
    /// remote store, no process environment, no secrets directory. The view
    /// `pull` and `push` compare with a store, and `schema infer` learns
    /// from. The process environment still selects the environment.
    pub files_only: bool,
    /// Resolve only these keys (with the keys their values reference) and
    /// the keys `envward.toml` declares, instead of every key: what `get
    /// KEY` asks for, so that one key costs a lookup, not the resolution
    /// of the whole environment. The result holds those keys alone; the
    /// deploy settings of the rules are not read. Ignored in an
    /// environment with recipients, whose integrity is judged over every
    /// key.
    pub only: Option<Vec<String>>,
}

impl LoadOptions {
    /// The process environment these options give: `process_env`, else the
    /// real one (variables that are not UTF-8 left out).
    pub fn process_env(&self) -> BTreeMap<String, String> {
        match &self.process_env {
            Some(p) => p.clone(),
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }
}

/// Loads configuration. See [`Config::load`].
pub struct Config;

impl Config {
    /// Loads the configuration of one environment.
    ///
    /// ```
    /// use envward::{Config, LoadOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join(".env"), "HOST=localhost\nURL=http://${HOST}:8000\n").unwrap();
    /// std::fs::write(dir.path().join(".env.production"), "HOST=example.com\n").unwrap();
    /// let cfg = Config::load(LoadOptions {
    ///     project_dir: Some(dir.path().into()),
    ///     environment: Some("production".into()),
    ///     process_env: Some(Default::default()),
    ///     ..Default::default()
    /// }).unwrap();
    /// assert_eq!(cfg.value("URL"), Some("http://example.com:8000"));
    /// assert_eq!(cfg.get("HOST").unwrap().origin.to_string(), ".env.production:1:1");
    /// ```
    pub fn load(options: LoadOptions) -> Result<Resolved, LoadError> {
        let project = Project::open(options.project_dir.as_deref())?;
        Self::load_in(&project, options)
    }

    /// Loads one environment of a project already opened (the
    /// `project_dir` of `options` is not used): for loading several
    /// environments without reading `envward.toml` each time.
    pub fn load_in(opened: &Project, options: LoadOptions) -> Result<Resolved, LoadError> {
        Self::load_then(opened, options, false, |cfg, _| cfg)
    }

    /// Loads one environment as [`Config::load_in`] does, but hands its
    /// variables to `then` as a [`VarStream`], one at a time in key order,
    /// instead of keeping them all: the [`Resolved`] given to `then` holds
    /// everything else (warnings, files, missing required keys, …) and no
    /// variable. What `list` uses: memory per key is what the files hold,
    /// not a [`Var`] each (issue 18).
    ///
    /// Loading fails before `then` is called as [`Config::load_in`] fails
    /// (every key is resolved as far as it can fail first). With
    /// [`LoadOptions::only`], or in an environment with recipients, the
    /// variables are kept and handed out from there.
    pub fn load_streamed<R>(
        opened: &Project,
        options: LoadOptions,
        then: impl FnOnce(&Resolved, &mut VarStream<'_>) -> R,
    ) -> Result<R, LoadError> {
        Self::load_then(opened, options, true, |mut cfg, stream| {
            let mut stream =
                stream.unwrap_or_else(|| VarStream::kept(std::mem::take(&mut cfg.vars)));
            then(&cfg, &mut stream)
        })
    }

    /// Loads one environment and gives it to `then`; with `stream` (and
    /// no `only`, no recipients), its variables are left to a
    /// [`VarStream`] instead of kept in the [`Resolved`].
    fn load_then<R>(
        opened: &Project,
        options: LoadOptions,
        stream: bool,
        then: impl FnOnce(Resolved, Option<VarStream<'_>>) -> R,
    ) -> Result<R, LoadError> {
        let root = opened.root.clone();
        let project = &opened.file;
        let process = options.process_env();
        let layout = Layout::detect(&root, &project.layout);
        let environment = opened.environment(options.environment.as_deref(), &process)?;
        // What the sources see of the process environment (identities are
        // still found through it).
        let no_process = BTreeMap::new();
        let visible = if options.files_only {
            &no_process
        } else {
            &process
        };
        let files = layout
            .files(&environment)
            .map_err(|source| LoadError::Read {
                path: root.clone(),
                source,
            })?;
        let mut namespaces: BTreeSet<String> = files.iter().map(|f| f.namespace.clone()).collect();
        namespaces.insert(COMMON.to_string());
        let vault = project
            .environments
            .get(&environment)
            .and_then(|e| e.sources.vault.as_ref())
            .filter(|_| !options.files_only);
        if let Some(vault) = vault {
            namespaces.extend(vault.paths.keys().cloned());
        }
        if let Some(ns) = &options.namespace
            && !namespaces.contains(ns)
        {
            return Err(LoadError::UnknownNamespace {
                name: ns.clone(),
                environment,
                known: namespaces.into_iter().collect(),
            });
        }
        // The sources of the environment, in no order: the resolver ranks
        // them by `[resolve] precedence`.
        let mut warnings = Vec::new();
        let mut sources: Vec<Box<dyn Source + '_>> = Vec::with_capacity(files.len() + 3);
        let mut keyring = Keyring::new(
            &options.identities,
            &process,
            options.passphrase_prompt.as_ref(),
        );
        let mut sealed = Vec::new();
        let mut encrypted_files = Vec::new();
        let mut env_files = Vec::with_capacity(files.len());
        for file in files {
            env_files.push(file.clone());
            let source = FileSource::open(
                file,
                &environment,
                &mut keyring,
                project.resolve.duplicate_keys,
                &mut warnings,
            )?;
            if source.is_encrypted() {
                encrypted_files.push(source.file().display.clone());
            }
            sealed.extend(source.sealed().cloned());
            sources.push(Box::new(source));
        }
        if let Some(vault) = vault {
            if !project
                .resolve
                .precedence
                .contains(&crate::config::Layer::Remote)
            {
                return Err(crate::remote::RemoteError::NotInPrecedence {
                    environment: environment.clone(),
                }
                .into());
            }
            for fetched in crate::remote::fetch(&environment, vault, &process)? {
                sources.push(Box::new(RemoteSource::new(fetched)));
            }
        }
        sources.push(Box::new(ProcessEnv::new(visible)));
        if !options.files_only {
            sources.push(Box::new(SecretsDir::open(
                options
                    .secrets_dir
                    .clone()
                    .unwrap_or_else(|| project.resolve.secrets_dir.clone()),
            )));
        }
        sources.push(Box::new(Defaults::new(&project.vars, &environment)));
        let rule_set = project.rule_set(&environment);
        let audit_reads = project.audits_reads(&environment);
        let resolver = Resolver::new(
            project,
            sources,
            visible,
            namespaces.into_iter().collect(),
            options.allow_undefined || project.resolve.undefined == Undefined::Empty,
        );
        let view = resolver.view_of(options.namespace.as_deref());
        let encrypted_environment = project
            .environments
            .get(&environment)
            .is_some_and(|e| !e.recipients.is_empty());
        let only = options.only.as_deref().filter(|_| !encrypted_environment);
        let mut checked = None;
        let (vars, provided) = if stream && only.is_none() && !encrypted_environment {
            let mut first = resolver.check_view(view)?;
            warnings.append(&mut first.warnings);
            let provided = std::mem::take(&mut first.provided);
            checked = Some(first);
            (Vars::default(), provided)
        } else {
            let (vars, provided, more_warnings) = resolver.resolve_view(view, only)?;
            warnings.extend(more_warnings);
            (vars, provided)
        };
        // Without recipients (always, when streamed), there is nothing to
        // judge.
        let integrity = integrity::check(&resolver, view, &environment, &vars);
        let missing = |v: Option<&Var>| v.is_none_or(|v| !v.sealed && v.value.expose().is_empty());
        let mut missing_required = Vec::new();
        for (key, spec) in &project.vars {
            if !spec.is_required_in(&environment) {
                continue;
            }
            let absent = match &mut checked {
                None => missing(vars.get(key)),
                // Resolved again (the first pass met no error), for this
                // key only.
                Some(first) => {
                    let var = resolver.resolve_key(&mut first.eval, view, key, &mut Vec::new())?;
                    missing(var.as_ref())
                }
            };
            if absent {
                missing_required.push(key.clone());
            }
        }
        let cfg = Resolved {
            environment: environment.clone(),
            namespace: options.namespace.clone(),
            rule_set,
            audit_reads,
            root,
            layout: layout.kind_name(),
            files: env_files,
            vars,
            warnings,
            missing_required,
            sealed,
            encrypted_files,
            integrity,
            withheld: BTreeMap::new(),
            provided,
            prefixes: project
                .project
                .setting_prefixes()
                .skip(1)
                .map(str::to_string)
                .collect(),
            declared: project
                .vars
                .iter()
                .filter(|(_, spec)| spec.kind.is_some())
                .map(|(k, spec)| (k.clone(), spec.var_type()))
                .collect(),
        };
        let stream = checked.map(|first| VarStream::live(&resolver, view, first));
        Ok(then(cfg, stream))
    }
}

/// A project found on disk: its root, `envward.toml` and environments.
#[derive(Debug)]
pub struct Project {
    /// The directory holding `envward.toml` (or where the search started).
    pub root: PathBuf,
    /// The parsed `envward.toml` (defaults when there is none).
    pub file: ProjectFile,
    /// The text of `envward.toml` (empty when there is none).
    pub text: String,
    /// Known environments: declared, with files, and `development`; sorted.
    pub environments: Vec<String>,
}

impl Project {
    /// Finds the project at `start` (default: the current directory) or above.
    pub fn open(start: Option<&Path>) -> Result<Project, LoadError> {
        let start = match start {
            Some(d) => d.to_path_buf(),
            None => std::env::current_dir().map_err(|source| LoadError::Read {
                path: PathBuf::from("."),
                source,
            })?,
        };
        let (root, file, text) = find_project(&start)?;
        let layout = Layout::detect(&root, &file.layout);
        let environments = known_environments(&file, &layout)?.into_iter().collect();
        Ok(Project {
            root,
            file,
            text,
            environments,
        })
    }

    /// Whether there is any configuration here: an `envward.toml` at the
    /// root, or env files of the layout (`.env*`, `env/`). Without any,
    /// reading "no configuration" would look like a clean bill of health.
    pub fn has_configuration(&self) -> bool {
        if self.root.join(PROJECT_FILE).is_file() {
            return true;
        }
        let layout = Layout::detect(&self.root, &self.file.layout);
        self.environments
            .iter()
            // A file that cannot be listed (a FIFO, a link to nothing) is
            // something: loading reports it.
            .any(|env| layout.files(env).map_or(true, |files| !files.is_empty()))
    }

    /// The one choice of environment, for reading and writing alike:
    /// `requested` (a name or an alias), else the first variable of
    /// `[resolve] environment_variables` (default `ENVWARD_ENV`,
    /// `ENVIRONMENT`, `APP_ENV`, `DJANGO_ENV`) set to a non-empty value in
    /// `process`, else `development`; its canonical name, or an error
    /// naming the known environments and aliases (and the variable the
    /// name came from).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("envward.toml"), "[environments.production]\naliases = [\"prod\"]\n").unwrap();
    /// let project = envward::Project::open(Some(dir.path())).unwrap();
    /// let none = Default::default();
    /// assert_eq!(project.environment(Some("prod"), &none).unwrap(), "production");
    /// assert_eq!(project.environment(None, &none).unwrap(), "development");
    /// assert!(project.environment(Some("qa"), &none).is_err());
    /// ```
    pub fn environment(
        &self,
        requested: Option<&str>,
        process: &BTreeMap<String, String>,
    ) -> Result<String, LoadError> {
        let (requested, from) = match requested {
            Some(name) => (name.to_string(), None),
            None => self
                .file
                .resolve
                .environment_variables
                .iter()
                .find_map(|var| {
                    let value = process.get(var)?.trim();
                    (!value.is_empty()).then(|| (value.to_string(), Some(var.clone())))
                })
                .unwrap_or_else(|| ("development".to_string(), None)),
        };
        let environment = self.file.canonical_environment(&requested).to_string();
        if !self.environments.contains(&environment) {
            return Err(LoadError::UnknownEnvironment {
                name: requested,
                from,
                known: self.environments.clone(),
                aliases: self
                    .file
                    .environments
                    .values()
                    .flat_map(|e| e.aliases.clone())
                    .collect(),
            });
        }
        Ok(environment)
    }
}

/// Finds `envward.toml` in `start` or above; the project root is where it
/// is, or `start` when there is none.
/// Returns the root, the parsed file and its text (read once).
fn find_project(start: &Path) -> Result<(PathBuf, ProjectFile, String), LoadError> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(PROJECT_FILE);
        if candidate.is_file() {
            let text = std::fs::read_to_string(&candidate).map_err(|source| {
                crate::config::ConfigError::Io {
                    path: candidate.clone(),
                    source,
                }
            })?;
            // Named as the project's other files are: relative to its root.
            let project = ProjectFile::parse(&text, Path::new(PROJECT_FILE))?;
            return Ok((d.to_path_buf(), project, text));
        }
        dir = d.parent();
    }
    Ok((start.to_path_buf(), ProjectFile::default(), String::new()))
}

/// Configured, detected, and `development`.
pub fn known_environments(
    project: &ProjectFile,
    layout: &Layout,
) -> Result<BTreeSet<String>, LoadError> {
    let mut known: BTreeSet<String> = project.environments.keys().cloned().collect();
    known.extend(layout.environments().map_err(|source| LoadError::Read {
        path: layout.root().to_path_buf(),
        source,
    })?);
    known.insert("development".to_string());
    Ok(known)
}
