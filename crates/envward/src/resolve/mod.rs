//! Layers → [`Resolved`]: precedence, namespaces, `KEY_FILE`, the secrets
//! directory, schema defaults, interpolation and provenance.
//!
//! `mod.rs` reads the project and its files; `resolver` orders the places
//! a key can come from; `eval` expands references.

mod eval;
mod resolver;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::config::{PROJECT_FILE, ProjectFile, Strictness, Undefined};
use crate::crypto;
use crate::diagnostic::{Diagnostic, SourceLine};
use crate::dotenv::{Document, locate};
use crate::error::LoadError;
use crate::layout::{COMMON, EnvFile, Layout};
use crate::secret::is_sensitive_name;
use crate::value::{Resolved, SealedFile, Var};
use resolver::Resolver;

/// Deepest chain of references followed before giving up.
pub const MAX_DEPTH: usize = 64;

/// Suffix of keys whose value is the path of a file holding the real value.
pub const FILE_SUFFIX: &str = "_FILE";

/// What to load: the project, the environment, the namespace.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Where to start looking for `envward.toml` (upwards). Defaults to the
    /// current directory.
    pub project_dir: Option<PathBuf>,
    /// The environment (or an alias). Default: `ENVWARD_ENV`, then
    /// `development`.
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
        let root = opened.root.clone();
        let project = &opened.file;
        let process: BTreeMap<String, String> = match options.process_env.clone() {
            Some(p) => p,
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        };
        let layout = Layout::detect(&root, &project.layout);
        let environment = opened.environment(options.environment.as_deref(), &process)?;
        let files = layout
            .files(&environment)
            .map_err(|source| LoadError::Read {
                path: root.clone(),
                source,
            })?;
        let mut namespaces: BTreeSet<String> = files.iter().map(|f| f.namespace.clone()).collect();
        namespaces.insert(COMMON.to_string());
        if let Some(ns) = &options.namespace
            && !namespaces.contains(ns)
        {
            return Err(LoadError::UnknownNamespace {
                name: ns.clone(),
                environment,
                known: namespaces.into_iter().collect(),
            });
        }
        let mut warnings = Vec::new();
        let mut sources = Vec::with_capacity(files.len());
        let mut identities: Option<crypto::Identities> = None;
        let mut sealed = Vec::new();
        let mut encrypted_files = Vec::new();
        for file in files {
            let bytes = std::fs::read(&file.path).map_err(|source| LoadError::Read {
                path: file.display.clone(),
                source,
            })?;
            let mut doc = Document::parse_vec(bytes)
                .map_err(|e| LoadError::from(e.with_path(&file.display)))?;
            let crypto_err = |source| LoadError::Crypto {
                path: file.display.clone(),
                source: Box::new(source),
            };
            let mut encrypted = HashSet::new();
            let mut is_sealed = false;
            if let Some(header) = crypto::header(&doc).map_err(crypto_err)? {
                encrypted_files.push(file.display.clone());
                let ids = match &identities {
                    Some(ids) => ids,
                    None => identities.insert(
                        crypto::Identities::load_with(
                            &options.identities,
                            &process,
                            options.passphrase_prompt.as_ref(),
                        )
                        .map_err(|e| LoadError::Identity(Box::new(e)))?,
                    ),
                };
                encrypted = doc
                    .entries()
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| doc.text(&e.value_span).starts_with(crypto::VALUE_PREFIX))
                    .map(|(i, _)| i)
                    .collect();
                let scope = file.scope(&environment);
                match crypto::open(&doc, header.clone(), &scope, ids) {
                    Ok(opened) => doc = opened.document(&doc, true).map_err(crypto_err)?,
                    Err(crypto::CryptoError::NoIdentity) => {
                        let (blank, keys) = crypto::blank(&doc, &header).map_err(crypto_err)?;
                        sealed.push(SealedFile {
                            path: file.display.clone(),
                            scope: scope.to_string(),
                            recipients: header.recipients.clone(),
                            keys,
                            tried: ids.sources.iter().map(ToString::to_string).collect(),
                        });
                        is_sealed = true;
                        doc = blank;
                    }
                    Err(e) => return Err(crypto_err(e)),
                }
            }
            check_duplicates(&file, &doc, project.resolve.duplicate_keys, &mut warnings)?;
            let mut source = FileSource::new(file, doc);
            source.encrypted = encrypted;
            source.sealed = is_sealed;
            sources.push(source);
        }
        let secrets_dir = options
            .secrets_dir
            .clone()
            .unwrap_or_else(|| project.resolve.secrets_dir.clone());
        let strict = project
            .environments
            .get(&environment)
            .is_some_and(|e| e.strict);
        let resolver = Resolver::new(
            project,
            sources,
            &process,
            namespaces.into_iter().collect(),
            secrets_dir,
            options.allow_undefined || project.resolve.undefined == Undefined::Empty,
        );
        let view = resolver.view_of(options.namespace.as_deref());
        let (vars, more_warnings) = resolver.resolve_view(view)?;
        warnings.extend(more_warnings);
        let missing_required = project
            .vars
            .iter()
            .filter(|(_, spec)| spec.is_required_in(&environment))
            .filter(|(key, _)| {
                vars.get(*key)
                    .is_none_or(|v: &Var| !v.sealed && v.value.expose().is_empty())
            })
            .map(|(key, _)| key.clone())
            .collect();
        Ok(Resolved {
            environment,
            namespace: options.namespace.clone(),
            strict,
            root,
            layout: layout.kind_name(),
            files: resolver.sources.iter().map(|s| s.file.clone()).collect(),
            vars,
            warnings,
            missing_required,
            sealed,
            encrypted_files,
            withheld: BTreeSet::new(),
            declared: project
                .vars
                .iter()
                .filter(|(_, spec)| spec.kind.is_some())
                .map(|(k, spec)| (k.clone(), spec.var_type()))
                .collect(),
        })
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

    /// The one choice of environment, for reading and writing alike:
    /// `requested` (a name or an alias), else `ENVWARD_ENV` in `process`,
    /// else `development`; its canonical name, or an error naming the
    /// known environments and aliases.
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
        let requested = requested
            .map(str::to_string)
            .or_else(|| process.get("ENVWARD_ENV").cloned())
            .unwrap_or_else(|| "development".to_string());
        let environment = self.file.canonical_environment(&requested).to_string();
        if !self.environments.contains(&environment) {
            return Err(LoadError::UnknownEnvironment {
                name: requested,
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
            let project = ProjectFile::parse(&text, &candidate)?;
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

fn check_duplicates(
    file: &EnvFile,
    doc: &Document,
    strictness: Strictness,
    warnings: &mut Vec<Diagnostic>,
) -> Result<(), LoadError> {
    let mut seen: HashMap<&str, (u32, u32)> = HashMap::with_capacity(doc.entries().len());
    for e in doc.entries() {
        if let Some(&(line, column)) = seen.get(e.key.as_str()) {
            let first = format!("{}:{line}:{column}", file.display.display());
            if strictness == Strictness::Error {
                return Err(LoadError::Duplicate {
                    key: e.key.clone(),
                    first,
                    second: format!("{}:{}:{}", file.display.display(), e.line, e.column),
                });
            }
            let mask = is_sensitive_name(&e.key).then_some(e.value_span.start);
            let (_, _, quoted) = locate(doc.source().as_bytes(), e.key_span.start, mask);
            warnings.push(
                Diagnostic::warning(format!("`{}` is defined twice; the last definition wins", e.key))
                    .with_location(Some(&file.display), e.line, e.column)
                    .with_source(quoted, "defined again here")
                    .with_note(format!("first defined at {first}"))
                    .with_help("remove one of them, or set `duplicate_keys = \"error\"` under [resolve] to make this an error"),
            );
        }
        seen.insert(&e.key, (e.line, e.column));
    }
    Ok(())
}

struct FileSource {
    file: EnvFile,
    doc: Document,
    /// Entries whose value was encrypted in the file.
    encrypted: HashSet<usize>,
    /// Whether no identity could open the file (encrypted values blanked).
    sealed: bool,
    /// Key → index of its last (effective) entry.
    index: HashMap<String, usize>,
}

impl FileSource {
    fn new(file: EnvFile, doc: Document) -> Self {
        let mut index = HashMap::with_capacity(doc.entries().len());
        for (i, e) in doc.entries().iter().enumerate() {
            index.insert(e.key.clone(), i);
        }
        FileSource {
            file,
            doc,
            index,
            encrypted: HashSet::new(),
            sealed: false,
        }
    }
}

/// Re-exported for the error module: the quoted line of a resolve error.
pub(crate) type QuotedLine = (PathBuf, u32, u32, SourceLine);
