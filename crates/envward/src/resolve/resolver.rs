//! The sources a key can get its value from, ranked by `[resolve]
//! precedence`, per view (all namespaces merged, or one namespace over
//! `common`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use super::eval::Eval;
use crate::config::ProjectFile;
use crate::diagnostic::Diagnostic;
use crate::error::{LoadError, ResolveError, ResolveErrorKind};
use crate::excerpt::{Syntax, ValueAt, excerpt};
use crate::layout::COMMON;
use crate::secret::is_sensitive_name;
use crate::source::{Definition, FILE_SUFFIX, FilePath, Key, Origin, Source, Text};
use crate::value::{Overridden, Value, Var, Vars};

/// A definition of a key, from source `src`.
#[derive(Clone, Debug)]
pub(super) struct Cand<'s> {
    pub(super) src: usize,
    pub(super) def: Definition<'s>,
}

pub(super) type ViewId = usize;

pub(super) struct Resolver<'a> {
    pub(super) project: &'a ProjectFile,
    pub(super) sources: Vec<Box<dyn Source + 'a>>,
    /// Read for a reference to a key no source defines.
    pub(super) process: &'a BTreeMap<String, String>,
    /// Namespaces; view 0 is all of them merged, view i+1 is namespaces[i].
    pub(super) namespaces: Vec<String>,
    /// Per view: indexes of `sources`, highest precedence first.
    pub(super) ranked: Vec<Vec<usize>>,
    pub(super) allow_undefined: bool,
    pub(super) budget: usize,
    /// The deploy settings looked up when no file names them
    /// ([`crate::config::DEPLOY_SETTINGS`], each also as `DJANGO_…`):
    /// held here so that the evaluation can borrow them.
    settings: Vec<String>,
}

/// The keys of a view, sorted, each once, with the number their sort
/// began with ([`Resolver::keys`]).
pub(super) struct SortedKeys<'s>(Vec<(u128, &'s str)>);

impl<'s> SortedKeys<'s> {
    pub(super) fn iter(&self) -> impl Iterator<Item = &'s str> + '_ {
        self.0.iter().map(|&(_, k)| k)
    }

    /// The keys alone.
    pub(super) fn into_keys(self) -> Vec<&'s str> {
        self.0.into_iter().map(|(_, k)| k).collect()
    }

    pub(super) fn contains(&self, key: &str) -> bool {
        let prefix = sort_prefix(key);
        self.0
            .binary_search_by(|&(p, k)| p.cmp(&prefix).then_with(|| k.cmp(key)))
            .is_ok()
    }
}

/// What the first pass of a stream leaves for the second
/// ([`Resolver::check_view`]).
pub(super) struct Checked<'r, 'a> {
    /// Every key of the view.
    pub(super) keys: SortedKeys<'r>,
    /// The values evaluated (those with references, or read from files).
    pub(super) eval: Eval<'r, 'a>,
    /// The deploy settings only a lookup finds.
    pub(super) provided: BTreeMap<String, Var>,
    pub(super) warnings: Vec<Diagnostic>,
}

#[derive(Clone, Debug)]
pub(super) struct Evaluated {
    pub(super) text: Rc<str>,
    pub(super) tainted: bool,
}

impl<'a> Resolver<'a> {
    /// A resolver over `sources` (in any order: precedence ranks them).
    pub(super) fn new(
        project: &'a ProjectFile,
        sources: Vec<Box<dyn Source + 'a>>,
        process: &'a BTreeMap<String, String>,
        namespaces: Vec<String>,
        allow_undefined: bool,
    ) -> Self {
        let input: usize = sources
            .iter()
            .filter_map(|s| s.document())
            .map(|(_, doc)| doc.source().len())
            .sum();
        let mut r = Resolver {
            project,
            sources,
            process,
            namespaces,
            ranked: Vec::new(),
            allow_undefined,
            budget: input.saturating_mul(4).saturating_add(64 << 20),
            settings: crate::config::DEPLOY_SETTINGS
                .iter()
                .flat_map(|name| {
                    std::iter::once(name.to_string()).chain(
                        project
                            .project
                            .setting_prefixes()
                            .map(move |p| format!("{p}{name}")),
                    )
                })
                .collect(),
        };
        let views = r.namespaces.len() + 1;
        for view in 0..views {
            let ranked = r.rank(view);
            r.ranked.push(ranked);
        }
        r
    }

    /// The keys of a view, sorted, each once: those its sources define
    /// (a `KEY_FILE` as `KEY`) and those `envward.toml` declares. Borrowed
    /// from the sources: no key is copied.
    ///
    /// Each key comes with the number its sort began with (its first 16
    /// bytes, [`sort_prefix`]): most comparisons are one of integers
    /// instead of a call to compare strings (keys often share a prefix,
    /// `BILLING_DB_…`). A stream keeps them so (32 bytes a key) rather
    /// than copy the keys alone into a second vector (both at once: 48
    /// bytes a key, issue 18: 1,000,000 keys).
    pub(super) fn keys(&self, view: ViewId) -> SortedKeys<'_> {
        let mut keyed: Vec<(u128, &str)> = Vec::new();
        for &i in &self.ranked[view] {
            self.sources[i].keys(&mut |k| keyed.push((sort_prefix(k), k)));
        }
        keyed.extend(
            self.project
                .vars
                .keys()
                .map(|k| (sort_prefix(k), k.as_str())),
        );
        keyed.sort_unstable();
        keyed.dedup_by(|a, b| a.1 == b.1);
        SortedKeys(keyed)
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

    /// The sources of a view, highest precedence first: by the rank of
    /// their layer in `[resolve] precedence` (a layer not listed is not
    /// read), then the selected namespace before `common` (in the merged
    /// view, every other namespace before `common`, by name), then their
    /// own rank. A source of every namespace is in every view.
    pub(super) fn rank(&self, view: ViewId) -> Vec<usize> {
        let precedence = &self.project.resolve.precedence;
        let selected = if view == 0 {
            None
        } else {
            Some(self.namespaces[view - 1].as_str())
        };
        // Layer, namespace order, namespace, rank.
        type Rank<'s> = (usize, u8, &'s str, u8);
        let mut ranked: Vec<(usize, Rank<'_>)> = self
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                let layer = precedence.iter().position(|&p| p == s.layer())?;
                let ns = s.namespace().unwrap_or("");
                let ns_rank = match (s.namespace(), selected) {
                    (None, _) => 0,
                    (Some(_), Some(sel)) if ns == sel => 0,
                    _ if ns == COMMON => 1,
                    (Some(_), Some(_)) => return None,
                    (Some(_), None) => 0,
                };
                Some((i, (layer, ns_rank, ns, s.rank())))
            })
            .collect();
        ranked.sort_by(|a, b| a.1.cmp(&b.1));
        ranked.into_iter().map(|(i, _)| i).collect()
    }

    /// Every definition of `key` in `view`, highest precedence first.
    pub(super) fn candidates(
        &self,
        view: ViewId,
        key: &str,
    ) -> Result<Vec<Cand<'_>>, ResolveError> {
        // `KEY_FILE` inline up to 24 bytes (no allocation for most keys):
        // this runs for every key loaded.
        let mut file = compact_str::CompactString::new(key);
        file.push_str(FILE_SUFFIX);
        let query = Key {
            name: key,
            file: &file,
        };
        // Most keys have one definition.
        let mut out = Vec::with_capacity(1);
        for &src in &self.ranked[view] {
            match self.sources[src].lookup(&query) {
                Ok(Some(def)) => out.push(Cand { src, def }),
                Ok(None) => {}
                Err(conflict) => {
                    return Err(self.error(
                        ResolveErrorKind::BothValueAndFile {
                            key: key.to_string(),
                            file_key: file.into(),
                        },
                        conflict.origin,
                        conflict.at.map(|at| (src, at)),
                        None,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Builds an error, quoting the line at byte `at` of source `src` (the
    /// value of `key`, starting at the offset given, masked).
    pub(super) fn error(
        &self,
        kind: ResolveErrorKind,
        origin: Origin,
        at: Option<(usize, usize)>,
        key: Option<(&str, usize)>,
    ) -> ResolveError {
        let source_line = at.and_then(|(src, offset)| {
            let (path, doc) = self.sources[src].document()?;
            let value = key.map_or(ValueAt::Unknown, |(_, v)| ValueAt::Offset(v));
            let shown = excerpt(doc.source().as_bytes(), offset, value, Syntax::Dotenv);
            Some((path.to_path_buf(), shown.line, shown.column, shown.source))
        });
        ResolveError::new(kind, origin, source_line)
    }

    /// The origin of byte `offset` of the document of source `src`.
    pub(super) fn origin_at(&self, src: usize, offset: usize) -> Origin {
        let s = &self.sources[src];
        let Some((path, doc)) = s.document() else {
            return Origin::Default;
        };
        let shown = excerpt(
            doc.source().as_bytes(),
            offset,
            ValueAt::Unknown,
            Syntax::Dotenv,
        );
        Origin::File {
            path: path.into(),
            line: shown.line,
            column: shown.column,
            layer: s.layer(),
            namespace: s.namespace().unwrap_or(COMMON).into(),
        }
    }

    pub(super) fn is_sensitive(&self, key: &str) -> bool {
        match self.project.vars.get(key) {
            Some(spec) => spec.is_sensitive(key),
            None => is_sensitive_name(key),
        }
    }

    /// Every key of a view (or only those of `only` and the keys the
    /// schema declares), and the deploy settings
    /// ([`crate::config::DEPLOY_SETTINGS`]) that no file names but a source
    /// that only answers lookups (the process environment, the secrets
    /// directory) provides (not with `only`).
    #[allow(clippy::type_complexity)]
    pub(super) fn resolve_view(
        &self,
        view: ViewId,
        only: Option<&[String]>,
    ) -> Result<(Vars, BTreeMap<String, Var>, Vec<Diagnostic>), LoadError> {
        let mut eval = Eval::new(self);
        let mut warnings = Vec::new();
        // The keys alone (16 bytes each, not 32 with their sort prefix)
        // while every variable is built beside them: that is the peak.
        let keys: Vec<&str> = match only {
            None => self.keys(view).into_keys(),
            Some(only) => {
                let mut keys: Vec<&str> = only.iter().map(String::as_str).collect();
                keys.extend(self.project.vars.keys().map(String::as_str));
                keys.sort_unstable();
                keys.dedup();
                keys
            }
        };
        let mut sorted = Vec::with_capacity(keys.len());
        for &key in &keys {
            if let Some(var) = self.resolve_key(&mut eval, view, key, &mut warnings)? {
                sorted.push(var);
            }
        }
        drop(keys);
        // The keys come sorted and unique.
        let vars = Vars::from_sorted(sorted);
        let provided = match only {
            None => self.provided(&mut eval, view, |k| vars.contains_key(k), &mut warnings),
            Some(_) => BTreeMap::new(),
        };
        Ok((vars, provided, warnings))
    }

    /// The first pass of a stream ([`super::VarStream`]): every key of a
    /// view resolved as far as it can fail (references expanded, files
    /// read, remembered for the second pass), and its warnings given,
    /// without keeping its variable (no pass at all when no key can fail
    /// or warn: a plain `.env`); and the deploy settings only a lookup
    /// finds.
    pub(super) fn check_view<'r>(&'r self, view: ViewId) -> Result<Checked<'r, 'a>, LoadError> {
        let mut eval = Eval::new(self);
        let mut warnings = Vec::new();
        let keys = self.keys(view);
        match self.may_fail_or_warn(view) {
            None => {
                for key in keys.iter() {
                    self.check_key(&mut eval, view, key, &mut warnings)?;
                }
            }
            Some(some) => {
                for key in some.into_iter().filter(|k| keys.contains(k)) {
                    self.check_key(&mut eval, view, key, &mut warnings)?;
                }
            }
        }
        let provided = self.provided(&mut eval, view, |k| keys.contains(k), &mut warnings);
        Ok(Checked {
            keys,
            eval,
            provided,
            warnings,
        })
    }

    /// The keys of `view` whose resolution can fail or give a warning
    /// (`None`: any key): those a source may define otherwise than as text
    /// taken as it is, or with a conflict (`KEY` and `KEY_FILE`); any key
    /// when two namespaces of one layer can both define it (a warning in
    /// the merged view). None at all for a plain `.env`: a stream needs no
    /// first pass over every key.
    fn may_fail_or_warn(&self, view: ViewId) -> Option<Vec<&str>> {
        let sources = || self.ranked[view].iter().map(|&i| &self.sources[i]);
        let two_namespaces = view == 0
            && sources().any(|a| {
                sources().any(|b| {
                    a.layer() == b.layer()
                        && a.document().is_some()
                        && matches!((a.namespace(), b.namespace()),
                            (Some(na), Some(nb)) if na != nb && na != COMMON && nb != COMMON)
                })
            });
        if two_namespaces {
            return None;
        }
        let mut keys = Vec::new();
        for s in sources() {
            keys.extend(s.not_literal()?);
        }
        keys.sort_unstable();
        keys.dedup();
        Some(keys)
    }

    /// The deploy settings ([`crate::config::DEPLOY_SETTINGS`]) that no
    /// file names (`named` says which keys the view has) but a source
    /// that only answers lookups (the process environment, the secrets
    /// directory) provides.
    fn provided<'r>(
        &'r self,
        eval: &mut Eval<'r, 'a>,
        view: ViewId,
        named: impl Fn(&str) -> bool,
        warnings: &mut Vec<Diagnostic>,
    ) -> BTreeMap<String, Var> {
        let mut provided = BTreeMap::new();
        for key in &self.settings {
            if named(key) || self.project.vars.contains_key(key) {
                continue;
            }
            // Read for the rules only: one that cannot be read (a
            // `SECRET_KEY_FILE` of the process pointing nowhere) is left
            // unset, never a reason to refuse the configuration.
            if let Ok(Some(var)) = self.resolve_key(eval, view, key, warnings) {
                provided.insert(key.clone(), var);
            }
        }
        provided
    }

    /// The variable `key` of `view`, or `None` when nothing defines it.
    pub(super) fn resolve_key<'r>(
        &'r self,
        eval: &mut Eval<'r, 'a>,
        view: ViewId,
        key: &'r str,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Option<Var>, LoadError> {
        self.resolve_key_as(eval, view, key, warnings, true)
    }

    /// [`Self::resolve_key`] as far as it can fail (the value evaluated
    /// and remembered when it needs evaluating, files read), warnings
    /// given, no variable built: the first pass of a stream.
    pub(super) fn check_key<'r>(
        &'r self,
        eval: &mut Eval<'r, 'a>,
        view: ViewId,
        key: &'r str,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<(), LoadError> {
        self.resolve_key_as(eval, view, key, warnings, false)
            .map(|_| ())
    }

    /// [`Self::resolve_key`]; without `build`, stops before building the
    /// variable (and gives `None`).
    fn resolve_key_as<'r>(
        &'r self,
        eval: &mut Eval<'r, 'a>,
        view: ViewId,
        key: &'r str,
        warnings: &mut Vec<Diagnostic>,
        build: bool,
    ) -> Result<Option<Var>, LoadError> {
        // A value without references is its text: nothing to expand,
        // nothing to remember for later references (they look it up
        // again).
        let memo;
        let own;
        let cands: &[Cand<'_>] = match eval.cands.get(&(view, key)) {
            Some(m) => {
                memo = m.clone();
                &memo
            }
            None => {
                let found = self.candidates(view, key)?;
                let plain = match found.first().map(|c| &c.def.value) {
                    None => return Ok(None),
                    Some(Text::Template { template, .. }) => !template.has_refs(),
                    Some(Text::Literal(_)) => true,
                    Some(Text::File { .. }) => false,
                };
                if plain {
                    own = found;
                    &own
                } else {
                    eval.cands.insert((view, key), Rc::new(found));
                    memo = eval.cands(view, key)?;
                    &memo
                }
            }
        };
        let Some(first) = cands.first() else {
            return Ok(None);
        };
        let winner = &first.def;
        let (text, tainted): (Cow<'_, str>, bool) = match &winner.value {
            Text::Template { template, .. } if !template.has_refs() => (
                Cow::Borrowed(template.as_literal().unwrap_or_default()),
                false,
            ),
            // Taken as it is (what evaluating it gives).
            Text::Literal(text) => (Cow::Borrowed(*text), false),
            _ => {
                eval.prewarm(view, key, 0)?;
                let value = eval.eval_cand(view, key, 0)?;
                (Cow::Owned(value.text.to_string()), value.tainted)
            }
        };
        if view == 0 {
            self.namespace_conflict(key, cands, warnings);
        }
        if !build {
            return Ok(None);
        }
        // An explicit `sensitive = …` in the schema wins over every
        // guess (the `secret.in-plain-url` rule flags a URL password
        // declared not sensitive); then an encrypted value, one built
        // from a secret, and the one rule on the value.
        let declared = self
            .project
            .vars
            .get(key)
            .and_then(|v| v.declared_sensitive());
        // The one rule on the text as written (it is the value itself when
        // written without quotes or references): asked at most once, and
        // only when the answer matters.
        let rule = |text: &str| crate::secret::Sensitivity::of(declared, key, text).is_secret();
        let written_secret = std::cell::OnceCell::new();
        let written_secret = || *written_secret.get_or_init(|| rule(&winner.written));
        // A secret by itself (the schema, or the rule on the value). An
        // encrypted value and one built from a secret are masked whatever
        // they say: the rule is not asked here, but by what needs to know
        // (`Var::is_secret`: the strength rules).
        let secret = match declared {
            Some(declared) => Some(declared),
            None if winner.encrypted || tainted => None,
            None if *winner.written == *text => Some(written_secret()),
            None => Some(rule(&text)),
        };
        let sensitive = secret.unwrap_or(true);
        // A definition that lost is masked when the key is, and also
        // when what was written there is a secret by itself (a URL
        // with a password overridden by one without).
        let overridden = cands[1..]
            .iter()
            .map(|c| Overridden {
                origin: c.def.origin.clone(),
                in_clear: self.in_clear(key, &c.def),
                written: written(
                    &c.def,
                    sensitive
                        || declared.is_none()
                            && (c.def.encrypted
                                || self.project.is_sensitive_value(key, &c.def.written)),
                ),
            })
            .collect();
        let in_clear = self.in_clear_if(winner, written_secret);
        Ok(Some(Var {
            key: key.into(),
            value: if sensitive {
                Value::Secret(crate::Secret::new(text.into_owned()))
            } else {
                Value::Plain(compact_str::CompactString::from(text))
            },
            origin: final_origin(&winner.origin, &winner.value),
            overridden,
            sensitive,
            secret,
            allows: winner.comment.map(parse_allow).unwrap_or_default().into(),
            sealed: winner.sealed,
            in_clear,
        }))
    }

    /// Whether `def` writes a secret in clear where it is stored: not
    /// encrypted, not empty, not read from a file, and a secret by the
    /// one sensitivity rule.
    ///
    /// `${…}` references are not secrets written there (the values they
    /// name are judged where they are written): `SECRET_KEY=${VAULT_KEY}`
    /// and `postgres://${USER}:${PASSWORD}@db/app` write none.
    fn in_clear(&self, key: &str, def: &Definition<'_>) -> bool {
        self.in_clear_if(def, || self.project.is_sensitive_value(key, &def.written))
    }

    /// [`Self::in_clear`], with `secret` saying whether the text written
    /// is a secret by the one sensitivity rule (asked only when needed).
    fn in_clear_if(&self, def: &Definition<'_>, secret: impl FnOnce() -> bool) -> bool {
        if !clear_where_stored(def) {
            return false;
        }
        let literal = without_references(&def.written);
        if literal == def.written {
            return secret();
        }
        let empty_password = crate::secret::url_userinfo(&literal).is_some_and(|r| {
            literal[r.start..r.end - 1]
                .split_once(':')
                .is_some_and(|(_, p)| p.is_empty())
        });
        !literal.trim().is_empty() && !empty_password && secret()
    }

    /// Warns when the two highest definitions of a key in the merged view
    /// are in two namespaces (neither `common`) of the same layer.
    pub(super) fn namespace_conflict(
        &self,
        key: &str,
        cands: &[Cand<'_>],
        warnings: &mut Vec<Diagnostic>,
    ) {
        let [a, b, ..] = cands else {
            return;
        };
        let (sa, sb) = (&self.sources[a.src], &self.sources[b.src]);
        let (Some(na), Some(nb), Some((path, _))) = (sa.namespace(), sb.namespace(), sa.document())
        else {
            return;
        };
        if sa.layer() == sb.layer() && na != nb && na != COMMON && nb != COMMON {
            let (line, column) = match &a.def.origin {
                Origin::File { line, column, .. } => (*line, *column),
                _ => (1, 1),
            };
            warnings.push(
                Diagnostic::warning(format!(
                    "`{key}` is defined in namespaces `{na}` and `{nb}`; `{na}` wins in the merged view"
                ))
                .with_location(Some(path), line, column)
                .with_note(format!("also defined at {}", b.def.origin))
                .with_help("keep each key in one namespace, or select one with --namespace"),
            );
        }
    }
}

/// The first 16 bytes of `key`, zero-padded, as a big-endian number: `a <
/// b` when `sort_prefix(a) < sort_prefix(b)` (a key that ends early is a
/// prefix of the other, and sorts first); equal prefixes say nothing.
fn sort_prefix(key: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let n = key.len().min(16);
    bytes[..n].copy_from_slice(&key.as_bytes()[..n]);
    u128::from_be_bytes(bytes)
}

/// Whether `def` is written as text where it is stored: not encrypted,
/// not empty, not read from a file.
fn clear_where_stored(def: &Definition<'_>) -> bool {
    !def.encrypted && !matches!(def.value, Text::File { .. }) && !def.written.trim().is_empty()
}

/// The origin of a winning definition: a `KEY_FILE` of a document gets
/// the path as written (its literal text when it has no references).
fn final_origin(origin: &Origin, value: &Text<'_>) -> Origin {
    let mut origin = origin.clone();
    if let (
        Text::File {
            path: FilePath::Template {
                template, written, ..
            },
            ..
        },
        Origin::FileRef { path, .. },
    ) = (value, &mut origin)
    {
        *path = PathBuf::from(template.as_literal().unwrap_or(written));
    }
    origin
}

/// The text a definition was written as (before interpolation); a path is
/// never a secret.
fn written(def: &Definition<'_>, sensitive: bool) -> Value {
    if sensitive && !matches!(def.value, Text::File { .. }) {
        Value::Secret(crate::Secret::new(def.written.to_string()))
    } else {
        Value::Plain(compact_str::CompactString::from(&*def.written))
    }
}

/// `# envward:allow RULE[,RULE] [RULE…] reason…` → the rules, when a
/// reason is given. The first word is always rules; the words after it
/// are rules too while they look like rule ids (`secret.weak`,
/// `custom.timeouts`, a family `secret.*`), and the rest is the reason.
pub(crate) fn parse_allow(comment: &str) -> Vec<String> {
    let text = comment.trim_start_matches('#').trim();
    let Some(rest) = text.strip_prefix("envward:allow") else {
        return Vec::new();
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let ids = 1 + words
        .iter()
        .skip(1)
        .take_while(|w| w.split(',').all(looks_like_rule_id))
        .count();
    if words.len() <= ids {
        // No reason, no exception.
        return Vec::new();
    }
    words[..ids]
        .iter()
        .flat_map(|w| w.split(','))
        .filter(|r| !r.is_empty())
        .map(String::from)
        .collect()
}

/// `family.name` in lower case, digits and `-` (or `family.*`).
fn looks_like_rule_id(word: &str) -> bool {
    let Some((family, name)) = word.split_once('.') else {
        return false;
    };
    let part = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    };
    part(family) && (name == "*" || part(name)) && !name.ends_with('.')
}

/// `text` without its `${…}` references.
fn without_references(text: &str) -> Cow<'_, str> {
    if !text.contains("${") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        /// Keys sorted by prefix, then whole, are sorted as strings.
        #[test]
        fn sort_prefix_orders_as_strings(
            keys in proptest::collection::vec("[A-C_\\x00é]{0,20}", 0..40)
        ) {
            let mut keyed: Vec<(u128, &str)> =
                keys.iter().map(|k| (super::sort_prefix(k), k.as_str())).collect();
            keyed.sort_unstable();
            let got: Vec<&str> = keyed.into_iter().map(|(_, k)| k).collect();
            let mut want: Vec<&str> = keys.iter().map(String::as_str).collect();
            want.sort_unstable();
            proptest::prop_assert_eq!(got, want);
        }
    }
}
