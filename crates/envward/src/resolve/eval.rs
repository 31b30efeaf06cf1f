//! Expanding `${…}` references, with memoisation, cycle and depth
//! detection, an output budget, and taint tracking of secrets.

use std::borrow::Cow;
use std::collections::HashSet;

use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::MAX_DEPTH;
use super::resolver::{Cand, Evaluated, Resolver, ViewId};
use crate::dotenv::{Part, Ref, RefOp, Template};
use crate::error::{ResolveError, ResolveErrorKind};
use crate::secret::is_sensitive_name;
use crate::source::{FilePath, Origin, Text};

/// A definition: the view, the key, the index of the candidate.
type Node<'r> = (ViewId, &'r str, usize);

pub(super) struct Eval<'r, 'a> {
    pub(super) r: &'r Resolver<'a>,
    pub(super) memo: FxHashMap<(ViewId, &'r str, usize), Evaluated>,
    pub(super) cands: FxHashMap<(ViewId, &'r str), Rc<Vec<Cand<'r>>>>,
    pub(super) stack: Vec<(ViewId, &'r str, usize)>,
    pub(super) produced: usize,
}

impl<'r, 'a> Eval<'r, 'a> {
    /// Nothing evaluated yet.
    pub(super) fn new(r: &'r Resolver<'a>) -> Self {
        Eval {
            r,
            memo: Default::default(),
            cands: Default::default(),
            stack: Vec::new(),
            produced: 0,
        }
    }
    pub(super) fn cands(
        &mut self,
        view: ViewId,
        key: &'r str,
    ) -> Result<Rc<Vec<Cand<'r>>>, ResolveError> {
        if let Some(c) = self.cands.get(&(view, key)) {
            return Ok(c.clone());
        }
        let c = Rc::new(self.r.candidates(view, key)?);
        self.cands.insert((view, key), c.clone());
        Ok(c)
    }

    /// The value of `key` in `view`, starting at candidate `from`; `None`
    /// when nothing defines it.
    pub(super) fn value_of(
        &mut self,
        view: ViewId,
        key: &'r str,
        from: usize,
    ) -> Result<Option<Evaluated>, ResolveError> {
        let cands = self.cands(view, key)?;
        if from < cands.len() {
            return self.eval_cand(view, key, from).map(Some);
        }
        // No source of the view defines it (what a source lists it also
        // answers for), and envward.toml does not declare it.
        if from == 0 && !self.r.project.vars.contains_key(key) {
            // Not configured at all: fall back to the process environment.
            return Ok(self.r.process.get(key).map(|v| Evaluated {
                text: Rc::from(v.as_str()),
                tainted: is_sensitive_name(key),
            }));
        }
        Ok(None)
    }

    pub(super) fn eval_cand(
        &mut self,
        view: ViewId,
        key: &'r str,
        idx: usize,
    ) -> Result<Evaluated, ResolveError> {
        let memo_key = (view, key, idx);
        if let Some(v) = self.memo.get(&memo_key) {
            return Ok(v.clone());
        }
        let cands = self.cands(view, key)?;
        let cand = &cands[idx];
        if let Some(pos) = self.stack.iter().position(|s| *s == memo_key) {
            let mut chain: Vec<String> = self.stack[pos..]
                .iter()
                .map(|(_, k, _)| k.to_string())
                .collect();
            chain.push(key.to_string());
            return Err(self.r.error(
                ResolveErrorKind::Cycle { chain },
                cand.def.origin.clone(),
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
                cand.def.origin.clone(),
                None,
                None,
            ));
        }
        self.stack.push(memo_key);
        let result = self.eval_cand_inner(view, key, idx, cand);
        self.stack.pop();
        let value = result?;
        self.produced = self.produced.saturating_add(value.text.len());
        if self.produced > self.r.budget {
            return Err(self.r.error(
                ResolveErrorKind::TooLarge {
                    key: key.to_string(),
                },
                cand.def.origin.clone(),
                None,
                None,
            ));
        }
        self.memo.insert(memo_key, value.clone());
        Ok(value)
    }

    /// Evaluates, deepest first and without recursion, every definition
    /// that definition `idx` of `key` depends on whatever the values (the
    /// targets of its top-level references, and theirs), so that
    /// evaluating it then goes one level deep: a chain of references of
    /// any length resolves. The words of `${A:-word}` and `${A:+word}` are
    /// conditional and left to the evaluation (where [`MAX_DEPTH`] bounds
    /// their nesting). A cycle is an error here.
    pub(super) fn prewarm(
        &mut self,
        view: ViewId,
        key: &'r str,
        idx: usize,
    ) -> Result<(), ResolveError> {
        let root = (view, key, idx);
        if self.memo.contains_key(&root) {
            return Ok(());
        }
        // The path from the root: a node, its dependencies, how many of
        // them were visited.
        let mut path: Vec<(Node<'r>, Vec<Node<'r>>, usize)> = vec![(root, self.deps(root)?, 0)];
        let mut on_path: HashSet<Node<'r>> = HashSet::from([root]);
        while let Some((node, deps, next)) = path.last_mut() {
            let node = *node;
            let Some(&dep) = deps.get(*next) else {
                path.pop();
                on_path.remove(&node);
                self.eval_cand(node.0, node.1, node.2)?;
                continue;
            };
            *next += 1;
            if self.memo.contains_key(&dep) {
                continue;
            }
            if on_path.contains(&dep) {
                let pos = path.iter().position(|(n, _, _)| *n == dep).unwrap_or(0);
                let mut chain: Vec<String> = path[pos..]
                    .iter()
                    .map(|(n, _, _)| n.1.to_string())
                    .collect();
                chain.push(dep.1.to_string());
                let origin = self.cands(dep.0, dep.1)?[dep.2].def.origin.clone();
                return Err(self
                    .r
                    .error(ResolveErrorKind::Cycle { chain }, origin, None, None));
            }
            let deps = self.deps(dep)?;
            on_path.insert(dep);
            path.push((dep, deps, 0));
        }
        Ok(())
    }

    /// The definitions `node` needs whatever the values: the targets of
    /// its top-level references, in order, up to one the evaluation will
    /// refuse (an unknown namespace).
    fn deps(&mut self, (view, key, idx): Node<'r>) -> Result<Vec<Node<'r>>, ResolveError> {
        let cands = self.cands(view, key)?;
        let (template, own_key, own_idx) = match &cands[idx].def.value {
            Text::Template { template, .. } => (*template, key, idx),
            Text::File {
                path: FilePath::Template { key, template, .. },
                ..
            } => (*template, *key, usize::MAX),
            _ => return Ok(Vec::new()),
        };
        let mut out = Vec::new();
        for part in template.parts() {
            let Part::Ref(r) = part else { continue };
            let target = match &r.namespace {
                None => view,
                Some(ns) => match self.r.namespaces.iter().position(|n| n == ns) {
                    Some(i) => i + 1,
                    None => break,
                },
            };
            let from = if r.name == own_key && target == view && own_idx != usize::MAX {
                own_idx + 1
            } else {
                0
            };
            if from < self.cands(target, &r.name)?.len() {
                out.push((target, r.name.as_str(), from));
            }
        }
        Ok(out)
    }

    pub(super) fn eval_cand_inner(
        &mut self,
        view: ViewId,
        key: &'r str,
        idx: usize,
        cand: &Cand<'r>,
    ) -> Result<Evaluated, ResolveError> {
        match &cand.def.value {
            Text::Literal(text) => Ok(Evaluated {
                text: Rc::from(*text),
                tainted: false,
            }),
            Text::Template { template, start } => {
                let ctx = Ctx {
                    view,
                    key,
                    idx,
                    src: cand.src,
                    value_start: *start,
                    blame: &cand.def.origin,
                };
                let mut out = String::new();
                let tainted = self.eval_template(template, &ctx, &mut out)?;
                Ok(Evaluated {
                    text: Rc::from(out),
                    tainted,
                })
            }
            Text::File { path, blame } => {
                let path = match path {
                    FilePath::Literal(path) => Cow::Borrowed(path.as_ref()),
                    FilePath::Template {
                        key: file_key,
                        template,
                        start,
                        base,
                        ..
                    } => {
                        let ctx = Ctx {
                            view,
                            key: file_key,
                            idx: usize::MAX,
                            src: cand.src,
                            value_start: *start,
                            blame,
                        };
                        let mut path = String::new();
                        self.eval_template(template, &ctx, &mut path)?;
                        Cow::Owned(resolve_path(*base, &path))
                    }
                };
                self.read_file_ref(key, &path, blame.clone())
            }
        }
    }

    pub(super) fn read_file_ref(
        &mut self,
        key: &str,
        path: &Path,
        origin: Origin,
    ) -> Result<Evaluated, ResolveError> {
        match crate::fs::read_regular(path, MAX_SECRET_FILE) {
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
    pub(super) fn eval_template(
        &mut self,
        t: &'r Template,
        ctx: &Ctx<'r, '_>,
        out: &mut String,
    ) -> Result<bool, ResolveError> {
        let mut tainted = false;
        for part in t.parts() {
            match part {
                Part::Literal(s) => out.push_str(s),
                Part::Ref(r) => tainted |= self.eval_ref(r, ctx, out)?,
            }
            if out.len() > self.r.budget {
                return Err(self.r.error(
                    ResolveErrorKind::TooLarge {
                        key: ctx.key.to_string(),
                    },
                    ctx.blame.clone(),
                    None,
                    None,
                ));
            }
        }
        Ok(tainted)
    }

    pub(super) fn eval_ref(
        &mut self,
        r: &'r Ref,
        ctx: &Ctx<'r, '_>,
        out: &mut String,
    ) -> Result<bool, ResolveError> {
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
                        name: r.name.to_string(),
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
                            name: r.name.to_string(),
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

    pub(super) fn ref_error(
        &self,
        kind: ResolveErrorKind,
        r: &Ref,
        ctx: &Ctx<'_, '_>,
    ) -> ResolveError {
        self.r.error(
            kind,
            self.r.origin_at(ctx.src, r.offset),
            Some((ctx.src, r.offset)),
            Some((ctx.key, ctx.value_start)),
        )
    }
}

/// Where a reference is being expanded.
pub(super) struct Ctx<'k, 'b> {
    pub(super) view: ViewId,
    pub(super) key: &'k str,
    /// Candidate index of the definition being expanded (`usize::MAX` for a
    /// `KEY_FILE` path, which has no lower definition to refer to).
    pub(super) idx: usize,
    /// The source of the document the template is in.
    pub(super) src: usize,
    pub(super) value_start: usize,
    /// Blamed for an error about the whole value (too large).
    pub(super) blame: &'b Origin,
}

/// Largest `KEY_FILE` read: a secret, a certificate or a key bundle fits;
/// `/dev/zero` does not.
const MAX_SECRET_FILE: u64 = 1 << 20;

/// A relative `KEY_FILE` path is relative to the file that sets it.
fn resolve_path(base: Option<&Path>, path: &str) -> PathBuf {
    let p = PathBuf::from(path);
    match base {
        Some(b) if p.is_relative() => b.join(p),
        _ => p,
    }
}
