//! The places a key can get its value from, in precedence order, per view
//! (all namespaces merged, or one namespace over `common`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::rc::Rc;

use super::eval::Eval;
use super::{FILE_SUFFIX, FileSource};
use crate::config::ProjectFile;
use crate::diagnostic::Diagnostic;
use crate::dotenv::locate;
use crate::error::{LoadError, ResolveError, ResolveErrorKind};
use crate::layout::COMMON;
use crate::secret::{has_url_password, is_sensitive_name};
use crate::source::{Layer, Origin};
use crate::value::{Overridden, Value, Var};

/// A place a key can get its value from, in precedence order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    Process,
    Secrets,
    File(usize),
    Default,
}

#[derive(Clone, Debug)]
pub(super) enum Cand {
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

pub(super) type ViewId = usize;

pub(super) struct Resolver<'a> {
    pub(super) project: &'a ProjectFile,
    pub(super) sources: Vec<FileSource>,
    pub(super) process: &'a BTreeMap<String, String>,
    /// Namespaces; view 0 is all of them merged, view i+1 is namespaces[i].
    pub(super) namespaces: Vec<String>,
    pub(super) slots: Vec<Vec<Slot>>,
    pub(super) keys: Vec<BTreeSet<String>>,
    pub(super) secrets_dir: PathBuf,
    /// Names of the files in the secrets directory, listed once.
    pub(super) secret_names: BTreeSet<String>,
    pub(super) allow_undefined: bool,
    pub(super) budget: usize,
}

#[derive(Clone, Debug)]
pub(super) struct Evaluated {
    pub(super) text: Rc<str>,
    pub(super) tainted: bool,
}

impl<'a> Resolver<'a> {
    pub(super) fn new(
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
            secret_names: list_secret_names(&secrets_dir),
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

    pub(super) fn view_of(&self, namespace: Option<&str>) -> ViewId {
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
    pub(super) fn build_slots(&self, view: ViewId) -> Vec<Slot> {
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

    pub(super) fn entry_index(&self, src: usize, key: &str) -> Option<usize> {
        self.sources[src].index.get(key).copied()
    }

    pub(super) fn candidates(&self, view: ViewId, key: &str) -> Result<Vec<Cand>, ResolveError> {
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
                    let lower = key.to_ascii_lowercase();
                    if let Some(name) = [key, lower.as_str()]
                        .into_iter()
                        .find(|n| self.secret_names.contains(*n))
                    {
                        out.push(Cand::Secret(self.secrets_dir.join(name)));
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

    pub(super) fn both_error(
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

    pub(super) fn entry_origin(&self, src: usize, entry: usize) -> Origin {
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

    pub(super) fn cand_origin(&self, key: &str, cand: &Cand) -> Origin {
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
    pub(super) fn error(
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

    pub(super) fn is_sensitive(&self, key: &str) -> bool {
        match self.project.vars.get(key) {
            Some(spec) => spec.is_sensitive(key),
            None => is_sensitive_name(key),
        }
    }

    pub(super) fn resolve_view(
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
            // An explicit `sensitive = …` in the schema wins over every
            // guess (the `secret.in-plain-url` rule flags a URL password
            // declared not sensitive).
            let declared = self
                .project
                .vars
                .get(key)
                .and_then(|v| v.declared_sensitive());
            let (was_encrypted, sealed) = self.encrypted(&cands[0]);
            let sensitive = declared.unwrap_or_else(|| {
                was_encrypted
                    || self.is_sensitive(key)
                    || value.tainted
                    || has_url_password(&value.text)
            });
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
                    allows: self.allows(&cands[0]),
                    sealed,
                },
            );
        }
        Ok((vars, warnings))
    }

    /// Rules allowed by `# envward:allow RULE reason` after the winning entry.
    /// Whether a candidate's value was encrypted in its file, and whether
    /// it could not be decrypted.
    pub(super) fn encrypted(&self, cand: &Cand) -> (bool, bool) {
        let Cand::Entry { src, entry } = cand else {
            return (false, false);
        };
        let source = &self.sources[*src];
        let encrypted = source.encrypted.contains(entry);
        (encrypted, encrypted && source.sealed)
    }

    pub(super) fn allows(&self, cand: &Cand) -> Vec<String> {
        let (Cand::Entry { src, entry } | Cand::FileRefEntry { src, entry }) = cand else {
            return Vec::new();
        };
        let doc = &self.sources[*src].doc;
        let Some(span) = &doc.entries()[*entry].comment else {
            return Vec::new();
        };
        parse_allow(doc.text(span))
    }

    /// The origin of a winning candidate, with the file path of a `_FILE`.
    pub(super) fn final_origin(&self, key: &str, cand: &Cand) -> Origin {
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
    pub(super) fn written(&self, key: &str, cand: &Cand, sensitive: bool) -> Value {
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

    pub(super) fn namespace_conflict(
        &self,
        key: &str,
        cands: &[Cand],
        warnings: &mut Vec<Diagnostic>,
    ) {
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

/// The regular files of the secrets directory; none when it does not exist
/// or cannot be listed (a key is then simply not provided by it).
fn list_secret_names(dir: &std::path::Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

/// `# envward:allow RULE[,RULE] reason…` → the rules, when a reason is given.
pub(crate) fn parse_allow(comment: &str) -> Vec<String> {
    let text = comment.trim_start_matches('#').trim();
    let Some(rest) = text.strip_prefix("envward:allow") else {
        return Vec::new();
    };
    let mut words = rest.split_whitespace();
    let Some(rules) = words.next() else {
        return Vec::new();
    };
    if words.next().is_none() {
        // No reason, no exception.
        return Vec::new();
    }
    rules
        .split(',')
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect()
}
