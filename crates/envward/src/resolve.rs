//! Layers → [`Resolved`]: precedence, namespaces, `KEY_FILE`, the secrets
//! directory, schema defaults, interpolation and provenance.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::config::{PROJECT_FILE, ProjectFile, Strictness, Undefined};
use crate::diagnostic::{Diagnostic, SourceLine};
use crate::dotenv::{Document, Part, Ref, RefOp, Template, locate};
use crate::error::{LoadError, ResolveError, ResolveErrorKind};
use crate::layout::{COMMON, EnvFile, Layout};
use crate::secret::{has_url_password, is_sensitive_name};
use crate::source::{Layer, Origin};
use crate::value::{Overridden, Resolved, Value, Var};

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
        let start = match &options.project_dir {
            Some(d) => d.clone(),
            None => std::env::current_dir().map_err(|source| LoadError::Read {
                path: PathBuf::from("."),
                source,
            })?,
        };
        let (root, project) = find_project(&start)?;
        let process: BTreeMap<String, String> = match options.process_env.clone() {
            Some(p) => p,
            None => std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        };
        let layout = Layout::detect(&root, &project.layout);
        let requested = options
            .environment
            .clone()
            .or_else(|| process.get("ENVWARD_ENV").cloned())
            .unwrap_or_else(|| "development".to_string());
        let environment = project.canonical_environment(&requested).to_string();
        let known = known_environments(&project, &layout)?;
        if !known.contains(&environment) {
            return Err(LoadError::UnknownEnvironment {
                name: requested,
                known: known.into_iter().collect(),
                aliases: project
                    .environments
                    .values()
                    .flat_map(|e| e.aliases.clone())
                    .collect(),
            });
        }
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
        for file in files {
            let bytes = std::fs::read(&file.path).map_err(|source| LoadError::Read {
                path: file.display.clone(),
                source,
            })?;
            let doc = Document::parse_bytes(&bytes)
                .map_err(|e| LoadError::from(e.with_path(&file.display)))?;
            drop(zeroize::Zeroizing::new(bytes));
            check_duplicates(&file, &doc, project.resolve.duplicate_keys, &mut warnings)?;
            sources.push(FileSource::new(file, doc));
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
            &project,
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
            .filter(|(_, spec)| {
                spec.required
                    .as_ref()
                    .is_some_and(|r| r.applies_to(&environment))
            })
            .filter(|(key, _)| {
                vars.get(*key)
                    .is_none_or(|v: &Var| v.value.expose().is_empty())
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
        })
    }
}

/// Finds `envward.toml` in `start` or above; the project root is where it
/// is, or `start` when there is none.
fn find_project(start: &Path) -> Result<(PathBuf, ProjectFile), LoadError> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(PROJECT_FILE);
        if candidate.is_file() {
            let project = ProjectFile::load(&candidate)?;
            return Ok((d.to_path_buf(), project));
        }
        dir = d.parent();
    }
    Ok((start.to_path_buf(), ProjectFile::default()))
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
    /// Key → index of its last (effective) entry.
    index: HashMap<String, usize>,
}

impl FileSource {
    fn new(file: EnvFile, doc: Document) -> Self {
        let mut index = HashMap::with_capacity(doc.entries().len());
        for (i, e) in doc.entries().iter().enumerate() {
            index.insert(e.key.clone(), i);
        }
        FileSource { file, doc, index }
    }
}

/// A place a key can get its value from, in precedence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Process,
    Secrets,
    File(usize),
    Default,
}

#[derive(Clone, Debug)]
enum Cand {
    /// An entry of a file.
    Entry { src: usize, entry: usize },
    /// A `KEY_FILE` entry of a file.
    FileRefEntry { src: usize, entry: usize },
    /// `KEY` in the process environment.
    Process,
    /// `KEY_FILE` in the process environment.
    FileRefProcess,
    /// `<secrets_dir>/<name>`.
    Secret(PathBuf),
    /// The schema default.
    Default,
}

type ViewId = usize;

struct Resolver<'a> {
    project: &'a ProjectFile,
    sources: Vec<FileSource>,
    process: &'a BTreeMap<String, String>,
    /// Namespaces; view 0 is all of them merged, view i+1 is namespaces[i].
    namespaces: Vec<String>,
    slots: Vec<Vec<Slot>>,
    keys: Vec<BTreeSet<String>>,
    secrets_dir: PathBuf,
    allow_undefined: bool,
    budget: usize,
}

#[derive(Clone, Debug)]
struct Evaluated {
    text: Rc<str>,
    tainted: bool,
}

impl<'a> Resolver<'a> {
    fn new(
        project: &'a ProjectFile,
        sources: Vec<FileSource>,
        process: &'a BTreeMap<String, String>,
        namespaces: Vec<String>,
        secrets_dir: PathBuf,
        allow_undefined: bool,
    ) -> Self {
        let input: usize = sources.iter().map(|s| s.doc.source().len()).sum();
        let mut r = Resolver {
            project,
            sources,
            process,
            namespaces,
            slots: Vec::new(),
            keys: Vec::new(),
            secrets_dir,
            allow_undefined,
            budget: input.saturating_mul(4).saturating_add(64 << 20),
        };
        let views = r.namespaces.len() + 1;
        for view in 0..views {
            let slots = r.build_slots(view);
            let mut keys = BTreeSet::new();
            for slot in &slots {
                if let Slot::File(i) = slot {
                    for e in r.sources[*i].doc.entries() {
                        let key = e
                            .key
                            .strip_suffix(FILE_SUFFIX)
                            .filter(|k| !k.is_empty())
                            .unwrap_or(&e.key);
                        keys.insert(key.to_string());
                    }
                }
            }
            keys.extend(r.project.vars.keys().cloned());
            r.slots.push(slots);
            r.keys.push(keys);
        }
        r
    }

    fn view_of(&self, namespace: Option<&str>) -> ViewId {
        match namespace {
            None => 0,
            Some(ns) => self
                .namespaces
                .iter()
                .position(|n| n == ns)
                .map_or(0, |i| i + 1),
        }
    }

    /// Slots of a view in precedence order.
    fn build_slots(&self, view: ViewId) -> Vec<Slot> {
        let precedence = &self.project.resolve.precedence;
        let layer_rank = |l: Layer| precedence.iter().position(|&p| p == l);
        let selected = if view == 0 {
            None
        } else {
            Some(self.namespaces[view - 1].as_str())
        };
        type Rank<'s> = (usize, u8, &'s str, u8);
        let mut files: Vec<(usize, Rank<'_>)> = self
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let rank = layer_rank(s.file.layer)?;
                let ns = s.file.namespace.as_str();
                let ns_rank = match selected {
                    Some(sel) if ns == sel => 0,
                    _ if ns == COMMON => 1,
                    Some(_) => return None,
                    None => 0,
                };
                Some((i, (rank, ns_rank, ns, s.file.rank)))
            })
            .collect();
        files.sort_by(|a, b| a.1.cmp(&b.1));
        let mut slots = Vec::new();
        for layer in precedence {
            match layer {
                Layer::Process => slots.push(Slot::Process),
                Layer::Secrets => slots.push(Slot::Secrets),
                Layer::Default => slots.push(Slot::Default),
                _ => {
                    let rank = layer_rank(*layer);
                    slots.extend(
                        files
                            .iter()
                            .filter(|f| Some(f.1.0) == rank)
                            .map(|f| Slot::File(f.0)),
                    );
                }
            }
        }
        slots
    }

    fn entry_index(&self, src: usize, key: &str) -> Option<usize> {
        self.sources[src].index.get(key).copied()
    }

    fn candidates(&self, view: ViewId, key: &str) -> Result<Vec<Cand>, ResolveError> {
        let file_key = format!("{key}{FILE_SUFFIX}");
        let mut out = Vec::new();
        for slot in &self.slots[view] {
            match *slot {
                Slot::Process => {
                    match (
                        self.process.contains_key(key),
                        self.process.contains_key(&file_key),
                    ) {
                        (true, true) => {
                            return Err(self.both_error(key, &file_key, Origin::Process, None));
                        }
                        (true, false) => out.push(Cand::Process),
                        (false, true) => out.push(Cand::FileRefProcess),
                        (false, false) => {}
                    }
                }
                Slot::Secrets => {
                    for name in [key.to_string(), key.to_ascii_lowercase()] {
                        let path = self.secrets_dir.join(&name);
                        if path.is_file() {
                            out.push(Cand::Secret(path));
                            break;
                        }
                    }
                }
                Slot::File(src) => {
                    match (self.entry_index(src, key), self.entry_index(src, &file_key)) {
                        (Some(_), Some(f)) => {
                            let origin = self.entry_origin(src, f);
                            let at = self.sources[src].doc.entries()[f].key_span.start;
                            return Err(self.both_error(key, &file_key, origin, Some((src, at))));
                        }
                        (Some(entry), None) => out.push(Cand::Entry { src, entry }),
                        (None, Some(entry)) => out.push(Cand::FileRefEntry { src, entry }),
                        (None, None) => {}
                    }
                }
                Slot::Default => {
                    if self
                        .project
                        .vars
                        .get(key)
                        .is_some_and(|v| v.default.is_some())
                    {
                        out.push(Cand::Default);
                    }
                }
            }
        }
        Ok(out)
    }

    fn both_error(
        &self,
        key: &str,
        file_key: &str,
        origin: Origin,
        at: Option<(usize, usize)>,
    ) -> ResolveError {
        self.error(
            ResolveErrorKind::BothValueAndFile {
                key: key.to_string(),
                file_key: file_key.to_string(),
            },
            origin,
            at,
            None,
        )
    }

    fn entry_origin(&self, src: usize, entry: usize) -> Origin {
        let s = &self.sources[src];
        let e = &s.doc.entries()[entry];
        Origin::File {
            path: s.file.display.clone(),
            line: e.line,
            column: e.column,
            layer: s.file.layer,
            namespace: s.file.namespace.clone(),
        }
    }

    fn cand_origin(&self, key: &str, cand: &Cand) -> Origin {
        match cand {
            Cand::Entry { src, entry } => self.entry_origin(*src, *entry),
            Cand::FileRefEntry { src, entry } => Origin::FileRef {
                var: format!("{key}{FILE_SUFFIX}"),
                path: PathBuf::new(),
                declared: Box::new(self.entry_origin(*src, *entry)),
            },
            Cand::Process => Origin::Process,
            Cand::FileRefProcess => Origin::FileRef {
                var: format!("{key}{FILE_SUFFIX}"),
                path: self
                    .process
                    .get(&format!("{key}{FILE_SUFFIX}"))
                    .map(PathBuf::from)
                    .unwrap_or_default(),
                declared: Box::new(Origin::Process),
            },
            Cand::Secret(path) => Origin::SecretsDir { path: path.clone() },
            Cand::Default => Origin::Default,
        }
    }

    /// Builds an error, quoting the line at byte `at` of source `src` (the
    /// value is masked when `key` is sensitive).
    fn error(
        &self,
        kind: ResolveErrorKind,
        origin: Origin,
        at: Option<(usize, usize)>,
        key: Option<(&str, usize)>,
    ) -> ResolveError {
        let source_line = at.map(|(src, offset)| {
            let doc = &self.sources[src].doc;
            let mask = key.filter(|(k, _)| self.is_sensitive(k)).map(|(_, v)| v);
            let (line, column, text) = locate(doc.source().as_bytes(), offset, mask);
            (self.sources[src].file.display.clone(), line, column, text)
        });
        ResolveError::new(kind, origin, source_line)
    }

    fn is_sensitive(&self, key: &str) -> bool {
        self.project
            .vars
            .get(key)
            .and_then(|v| v.sensitive)
            .unwrap_or_else(|| is_sensitive_name(key))
    }

    fn resolve_view(
        &self,
        view: ViewId,
    ) -> Result<(BTreeMap<String, Var>, Vec<Diagnostic>), LoadError> {
        let mut eval = Eval {
            r: self,
            memo: HashMap::new(),
            cands: HashMap::new(),
            stack: Vec::new(),
            produced: 0,
        };
        let mut vars = BTreeMap::new();
        let mut warnings = Vec::new();
        for key in &self.keys[view] {
            let cands = eval.cands(view, key)?;
            if cands.is_empty() {
                continue;
            }
            let value = eval.eval_cand(view, key, 0)?;
            let sensitive =
                self.is_sensitive(key) || value.tainted || has_url_password(&value.text);
            let mut overridden = Vec::new();
            for cand in cands.iter().skip(1) {
                overridden.push(Overridden {
                    origin: self.cand_origin(key, cand),
                    written: self.written(key, cand, sensitive),
                });
            }
            if view == 0 {
                self.namespace_conflict(key, &cands, &mut warnings);
            }
            let text = value.text.to_string();
            vars.insert(
                key.clone(),
                Var {
                    key: key.clone(),
                    value: if sensitive {
                        Value::Secret(crate::Secret::new(text))
                    } else {
                        Value::Plain(text)
                    },
                    origin: self.final_origin(key, &cands[0]),
                    overridden,
                    sensitive,
                },
            );
        }
        Ok((vars, warnings))
    }

    /// The origin of a winning candidate, with the file path of a `_FILE`.
    fn final_origin(&self, key: &str, cand: &Cand) -> Origin {
        let mut origin = self.cand_origin(key, cand);
        if let (Cand::FileRefEntry { src, entry }, Origin::FileRef { path, .. }) =
            (cand, &mut origin)
        {
            let e = &self.sources[*src].doc.entries()[*entry];
            if let Some(lit) = e.template.as_literal() {
                *path = PathBuf::from(lit);
            } else {
                *path = PathBuf::from(self.sources[*src].doc.text(&e.value_span));
            }
        }
        origin
    }

    /// The text a candidate was written as (before interpolation).
    fn written(&self, key: &str, cand: &Cand, sensitive: bool) -> Value {
        let text = match cand {
            Cand::Entry { src, entry } | Cand::FileRefEntry { src, entry } => {
                let doc = &self.sources[*src].doc;
                doc.text(&doc.entries()[*entry].value_span).to_string()
            }
            Cand::Process => self.process.get(key).cloned().unwrap_or_default(),
            Cand::FileRefProcess => self
                .process
                .get(&format!("{key}{FILE_SUFFIX}"))
                .cloned()
                .unwrap_or_default(),
            Cand::Secret(path) => path.display().to_string(),
            Cand::Default => self
                .project
                .vars
                .get(key)
                .and_then(|v| v.default.clone())
                .unwrap_or_default(),
        };
        let is_path = matches!(
            cand,
            Cand::FileRefEntry { .. } | Cand::FileRefProcess | Cand::Secret(_)
        );
        if sensitive && !is_path {
            Value::Secret(crate::Secret::new(text))
        } else {
            Value::Plain(text)
        }
    }

    fn namespace_conflict(&self, key: &str, cands: &[Cand], warnings: &mut Vec<Diagnostic>) {
        let file_of = |c: &Cand| match c {
            Cand::Entry { src, .. } | Cand::FileRefEntry { src, .. } => Some(*src),
            _ => None,
        };
        let (Some(a), Some(b)) = (
            cands.first().and_then(file_of),
            cands.get(1).and_then(file_of),
        ) else {
            return;
        };
        let (fa, fb) = (&self.sources[a].file, &self.sources[b].file);
        if fa.layer == fb.layer
            && fa.namespace != fb.namespace
            && fa.namespace != COMMON
            && fb.namespace != COMMON
        {
            let origin = self.cand_origin(key, &cands[0]);
            let (line, column) = match &origin {
                Origin::File { line, column, .. } => (*line, *column),
                _ => (1, 1),
            };
            warnings.push(
                Diagnostic::warning(format!(
                    "`{key}` is defined in namespaces `{}` and `{}`; `{}` wins in the merged view",
                    fa.namespace, fb.namespace, fa.namespace
                ))
                .with_location(Some(&fa.display), line, column)
                .with_note(format!(
                    "also defined at {}",
                    self.cand_origin(key, &cands[1])
                ))
                .with_help("keep each key in one namespace, or select one with --namespace"),
            );
        }
    }
}

struct Eval<'r, 'a> {
    r: &'r Resolver<'a>,
    memo: HashMap<(ViewId, String, usize), Evaluated>,
    cands: HashMap<(ViewId, String), Rc<Vec<Cand>>>,
    stack: Vec<(ViewId, String, usize)>,
    produced: usize,
}

impl Eval<'_, '_> {
    fn cands(&mut self, view: ViewId, key: &str) -> Result<Rc<Vec<Cand>>, ResolveError> {
        if let Some(c) = self.cands.get(&(view, key.to_string())) {
            return Ok(c.clone());
        }
        let c = Rc::new(self.r.candidates(view, key)?);
        self.cands.insert((view, key.to_string()), c.clone());
        Ok(c)
    }

    /// The value of `key` in `view`, starting at candidate `from`; `None`
    /// when nothing defines it.
    fn value_of(
        &mut self,
        view: ViewId,
        key: &str,
        from: usize,
    ) -> Result<Option<Evaluated>, ResolveError> {
        let cands = self.cands(view, key)?;
        if from < cands.len() {
            return self.eval_cand(view, key, from).map(Some);
        }
        if from == 0 && !self.r.keys[view].contains(key) {
            // Not configured at all: fall back to the process environment.
            return Ok(self.r.process.get(key).map(|v| Evaluated {
                text: Rc::from(v.as_str()),
                tainted: is_sensitive_name(key),
            }));
        }
        Ok(None)
    }

    fn eval_cand(
        &mut self,
        view: ViewId,
        key: &str,
        idx: usize,
    ) -> Result<Evaluated, ResolveError> {
        let memo_key = (view, key.to_string(), idx);
        if let Some(v) = self.memo.get(&memo_key) {
            return Ok(v.clone());
        }
        let cands = self.cands(view, key)?;
        let cand = &cands[idx];
        if let Some(pos) = self.stack.iter().position(|s| *s == memo_key) {
            let mut chain: Vec<String> = self.stack[pos..]
                .iter()
                .map(|(_, k, _)| k.clone())
                .collect();
            chain.push(key.to_string());
            return Err(self.r.error(
                ResolveErrorKind::Cycle { chain },
                self.r.cand_origin(key, cand),
                None,
                None,
            ));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.r.error(
                ResolveErrorKind::TooDeep {
                    key: key.to_string(),
                    depth: MAX_DEPTH,
                },
                self.r.cand_origin(key, cand),
                None,
                None,
            ));
        }
        self.stack.push(memo_key.clone());
        let result = self.eval_cand_inner(view, key, idx, cand);
        self.stack.pop();
        let value = result?;
        self.produced = self.produced.saturating_add(value.text.len());
        if self.produced > self.r.budget {
            return Err(self.r.error(
                ResolveErrorKind::TooLarge {
                    key: key.to_string(),
                },
                self.r.cand_origin(key, cand),
                None,
                None,
            ));
        }
        self.memo.insert(memo_key, value.clone());
        Ok(value)
    }

    fn eval_cand_inner(
        &mut self,
        view: ViewId,
        key: &str,
        idx: usize,
        cand: &Cand,
    ) -> Result<Evaluated, ResolveError> {
        let r = self.r;
        match cand {
            Cand::Entry { src, entry } => {
                let e = &r.sources[*src].doc.entries()[*entry];
                let ctx = Ctx {
                    view,
                    key,
                    idx,
                    src: *src,
                    value_start: e.value_span.start,
                };
                let mut out = String::new();
                let tainted = self.eval_template(&e.template, &ctx, &mut out)?;
                Ok(Evaluated {
                    text: Rc::from(out),
                    tainted,
                })
            }
            Cand::FileRefEntry { src, entry } => {
                let e = &r.sources[*src].doc.entries()[*entry];
                let ctx = Ctx {
                    view,
                    key: &e.key,
                    idx: usize::MAX,
                    src: *src,
                    value_start: e.value_span.start,
                };
                let mut path = String::new();
                self.eval_template(&e.template, &ctx, &mut path)?;
                let path = resolve_path(r.sources[*src].file.path.parent(), &path);
                self.read_file_ref(key, &path, r.entry_origin(*src, *entry))
            }
            Cand::FileRefProcess => {
                let path = PathBuf::from(
                    r.process
                        .get(&format!("{key}{FILE_SUFFIX}"))
                        .cloned()
                        .unwrap_or_default(),
                );
                self.read_file_ref(key, &path, Origin::Process)
            }
            Cand::Process => Ok(Evaluated {
                text: Rc::from(r.process.get(key).map_or("", String::as_str)),
                tainted: false,
            }),
            Cand::Secret(path) => {
                self.read_file_ref(key, path, Origin::SecretsDir { path: path.clone() })
            }
            Cand::Default => {
                let text = r
                    .project
                    .vars
                    .get(key)
                    .and_then(|v| v.default.as_deref())
                    .unwrap_or("");
                Ok(Evaluated {
                    text: Rc::from(text),
                    tainted: false,
                })
            }
        }
    }

    fn read_file_ref(
        &mut self,
        key: &str,
        path: &Path,
        origin: Origin,
    ) -> Result<Evaluated, ResolveError> {
        match std::fs::read(path) {
            Ok(bytes) => {
                let bytes = zeroize::Zeroizing::new(bytes);
                let mut text = match std::str::from_utf8(&bytes) {
                    Ok(t) => t,
                    Err(_) => {
                        return Err(self.r.error(
                            ResolveErrorKind::FileRef {
                                key: key.to_string(),
                                path: path.to_path_buf(),
                                reason: "the file is not UTF-8".to_string(),
                            },
                            origin,
                            None,
                            None,
                        ));
                    }
                };
                text = text.strip_suffix('\n').unwrap_or(text);
                text = text.strip_suffix('\r').unwrap_or(text);
                Ok(Evaluated {
                    text: Rc::from(text),
                    tainted: true,
                })
            }
            Err(e) => Err(self.r.error(
                ResolveErrorKind::FileRef {
                    key: key.to_string(),
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                },
                origin,
                None,
                None,
            )),
        }
    }

    /// Appends the expansion of `t` to `out`; returns whether a sensitive
    /// value went into it.
    fn eval_template(
        &mut self,
        t: &Template,
        ctx: &Ctx<'_>,
        out: &mut String,
    ) -> Result<bool, ResolveError> {
        let mut tainted = false;
        for part in &t.parts {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Ref(r) => tainted |= self.eval_ref(r, ctx, out)?,
            }
            if out.len() > self.r.budget {
                return Err(self.r.error(
                    ResolveErrorKind::TooLarge {
                        key: ctx.key.to_string(),
                    },
                    self.r.entry_origin_at(ctx.src, ctx.key),
                    None,
                    None,
                ));
            }
        }
        Ok(tainted)
    }

    fn eval_ref(&mut self, r: &Ref, ctx: &Ctx<'_>, out: &mut String) -> Result<bool, ResolveError> {
        let target_view = match &r.namespace {
            None => ctx.view,
            Some(ns) => match self.r.namespaces.iter().position(|n| n == ns) {
                Some(i) => i + 1,
                None => {
                    return Err(self.ref_error(
                        ResolveErrorKind::UnknownNamespace {
                            key: ctx.key.to_string(),
                            namespace: ns.clone(),
                            known: self.r.namespaces.clone(),
                        },
                        r,
                        ctx,
                    ));
                }
            },
        };
        let from = if r.name == ctx.key && target_view == ctx.view && ctx.idx != usize::MAX {
            ctx.idx + 1
        } else {
            0
        };
        let value = self.value_of(target_view, &r.name, from)?;
        let sensitive_ref = self.r.is_sensitive(&r.name);
        let is_set = |colon: bool| {
            value
                .as_ref()
                .is_some_and(|v| !(colon && v.text.is_empty()))
        };
        match r.op {
            RefOp::Plain => match value {
                Some(v) => {
                    out.push_str(&v.text);
                    Ok(v.tainted || sensitive_ref)
                }
                None if self.r.allow_undefined => Ok(false),
                None => Err(self.ref_error(
                    ResolveErrorKind::Undefined {
                        key: ctx.key.to_string(),
                        name: r.name.clone(),
                        self_reference: from > 0,
                    },
                    r,
                    ctx,
                )),
            },
            RefOp::Default { colon } => {
                if is_set(colon) {
                    let v = value.expect("is_set checked");
                    out.push_str(&v.text);
                    Ok(v.tainted || sensitive_ref)
                } else {
                    self.eval_template(&r.word, ctx, out)
                }
            }
            RefOp::Alternative { colon } => {
                if is_set(colon) {
                    self.eval_template(&r.word, ctx, out)
                } else {
                    Ok(false)
                }
            }
            RefOp::Required { colon } => {
                if is_set(colon) {
                    let v = value.expect("is_set checked");
                    out.push_str(&v.text);
                    Ok(v.tainted || sensitive_ref)
                } else {
                    let mut message = String::new();
                    let tainted = self.eval_template(&r.word, ctx, &mut message)?;
                    Err(self.ref_error(
                        ResolveErrorKind::Required {
                            key: ctx.key.to_string(),
                            name: r.name.clone(),
                            // The message is part of the value as written:
                            // not shown when that value is a secret's.
                            message: (!tainted
                                && !message.is_empty()
                                && !self.r.is_sensitive(ctx.key))
                            .then_some(message),
                        },
                        r,
                        ctx,
                    ))
                }
            }
        }
    }

    fn ref_error(&self, kind: ResolveErrorKind, r: &Ref, ctx: &Ctx<'_>) -> ResolveError {
        let doc = &self.r.sources[ctx.src].doc;
        let (line, column, _) = locate(doc.source().as_bytes(), r.offset, None);
        let s = &self.r.sources[ctx.src];
        let origin = Origin::File {
            path: s.file.display.clone(),
            line,
            column,
            layer: s.file.layer,
            namespace: s.file.namespace.clone(),
        };
        self.r.error(
            kind,
            origin,
            Some((ctx.src, r.offset)),
            Some((ctx.key, ctx.value_start)),
        )
    }
}

impl Resolver<'_> {
    fn entry_origin_at(&self, src: usize, key: &str) -> Origin {
        match self.entry_index(src, key) {
            Some(e) => self.entry_origin(src, e),
            None => Origin::Default,
        }
    }
}

/// Where a reference is being expanded.
struct Ctx<'k> {
    view: ViewId,
    key: &'k str,
    /// Candidate index of the definition being expanded (`usize::MAX` for a
    /// `KEY_FILE` path, which has no lower definition to refer to).
    idx: usize,
    src: usize,
    value_start: usize,
}

/// A relative `KEY_FILE` path is relative to the file that sets it.
fn resolve_path(base: Option<&Path>, path: &str) -> PathBuf {
    let p = PathBuf::from(path);
    match base {
        Some(b) if p.is_relative() => b.join(p),
        _ => p,
    }
}

/// Re-exported for the error module: the quoted line of a resolve error.
pub(crate) type QuotedLine = (PathBuf, u32, u32, SourceLine);
