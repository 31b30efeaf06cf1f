//! The integrity of an encrypted environment, beyond each file's MAC.
//!
//! An environment with recipients is encrypted as a whole (DESIGN.md,
//! invariant 8). The MAC of a file protects its entries, but not the set of
//! files read around it: a new plaintext file that sorts first, a file
//! whose header was cut off and values written in clear, an old encrypted
//! file copied to a local override. In such an environment:
//!
//! - a sensitive value written in clear in one of the environment's own
//!   files (or winning from a shared file) is refused, unless
//!   `allow_plaintext` lists it;
//! - an own file that is empty or cut before its header (a prefix of
//!   `# envward:v1 `) is refused, unless `allow_plaintext = true`;
//! - a local file (`.env.local`, `<ns>.local.env`) that overrides an
//!   encrypted value is refused, unless `allow_local_override` lists it.
//!
//! Loading still succeeds (so that `list`, `explain` and `check` can show
//! the problem); `run`, `get` and `export` refuse through
//! [`Resolved::ensure_complete`](crate::Resolved::ensure_complete).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use super::resolver::{Resolver, ViewId};
use crate::config::Layer;
use crate::crypto;
use crate::source::Origin;
use crate::value::Vars;

/// What breaks the integrity of an encrypted environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreachKind {
    /// A sensitive value written in clear.
    PlaintextSecret,
    /// A file that is empty or cut before its envward header.
    Truncated,
    /// A local file overrides an encrypted value.
    LocalOverride,
}

/// One breach of the integrity of an encrypted environment. Never holds a
/// value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Breach {
    /// What it is.
    pub kind: BreachKind,
    /// The file (relative to the project root).
    pub path: PathBuf,
    /// The 1-based line (1 for a whole file).
    pub line: u32,
    /// The key, for a value.
    pub key: Option<String>,
    /// For a local override: the encrypted definition overridden.
    pub overrides: Option<String>,
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.key.as_deref().unwrap_or("");
        match self.kind {
            BreachKind::PlaintextSecret => write!(
                f,
                "`{key}` is sensitive but written in clear in {} in an encrypted environment",
                self.path.display()
            ),
            BreachKind::Truncated => write!(
                f,
                "{} is empty or cut before its envward header in an encrypted environment",
                self.path.display()
            ),
            BreachKind::LocalOverride => write!(
                f,
                "`{key}` in {} overrides the encrypted value at {} in an encrypted environment",
                self.path.display(),
                self.overrides.as_deref().unwrap_or("?")
            ),
        }
    }
}

impl Breach {
    /// What to do about it.
    pub fn help(&self, environment: &str) -> String {
        let key = self.key.as_deref().unwrap_or("KEY");
        match self.kind {
            BreachKind::PlaintextSecret => format!(
                "encrypt it (`envward encrypt -e {environment}`), or allow it in envward.toml: `allow_plaintext = [\"{key}\"]` under [environments.{environment}]"
            ),
            BreachKind::Truncated => format!(
                "restore the file from version control; if it is meant to be empty, set `allow_plaintext = true` under [environments.{environment}]"
            ),
            BreachKind::LocalOverride => format!(
                "remove the local definition (an old copy can bring back a rotated secret), or allow it in envward.toml: `allow_local_override = [\"{key}\"]` under [environments.{environment}]"
            ),
        }
    }
}

/// The breaches of the integrity of `environment` in `view`, whose values
/// are `vars`: none when the environment has no recipients.
pub(super) fn check(r: &Resolver<'_>, view: ViewId, environment: &str, vars: &Vars) -> Vec<Breach> {
    let project = r.project;
    let Some(settings) = project.environments.get(environment) else {
        return Vec::new();
    };
    if settings.recipients.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    // Where each key's winning definition is: asked only for shared files
    // (most environments have none), so built only then.
    let winners = std::cell::OnceCell::new();
    let winners = || -> &BTreeMap<(&std::path::Path, u32), &str> {
        winners.get_or_init(|| {
            vars.values()
                .filter_map(|v| match &v.origin {
                    Origin::File { path, line, .. } => Some(((&**path, *line), v.key.as_str())),
                    _ => None,
                })
                .collect()
        })
    };
    for &i in &r.ranked[view] {
        let source = &r.sources[i];
        let Some((path, doc)) = source.document() else {
            continue;
        };
        // A document without a header is a plaintext file (an encrypted
        // one that fails to open never gets here).
        if crypto::header(doc).ok().flatten().is_some() {
            continue;
        }
        let own = matches!(source.layer(), Layer::Environment | Layer::Local);
        let src = doc.source();
        let version_line = "# envward:v1 ";
        if own
            && doc.entries().is_empty()
            && src.len() < version_line.len()
            && version_line.starts_with(src)
            && !settings.allow_plaintext.all()
        {
            out.push(Breach {
                kind: BreachKind::Truncated,
                path: path.to_path_buf(),
                line: 1,
                key: None,
                overrides: None,
            });
            continue;
        }
        for e in doc.entries() {
            // A reference is checked where its value is defined.
            let Some(literal) = e.template().as_literal() else {
                continue;
            };
            if !own && winners().get(&(path, e.line())) != Some(&e.key()) {
                continue;
            }
            if settings.allow_plaintext.allows(e.key())
                || !project.is_sensitive_value(e.key(), literal)
            {
                continue;
            }
            out.push(Breach {
                kind: BreachKind::PlaintextSecret,
                path: path.to_path_buf(),
                line: e.line(),
                key: Some(e.key().to_string()),
                overrides: None,
            });
        }
    }
    // Only a local file can override an encrypted value: without one in
    // the view, no key needs its definitions looked up again.
    let any_local = r.ranked[view]
        .iter()
        .any(|&i| r.sources[i].layer() == Layer::Local);
    for key in vars.keys().filter(|_| any_local) {
        if settings.allow_local_override.allows(key) {
            continue;
        }
        let Ok(cands) = r.candidates(view, key) else {
            continue;
        };
        let Some((winner, rest)) = cands.split_first() else {
            continue;
        };
        if r.sources[winner.src].layer() != Layer::Local {
            continue;
        }
        let Some(over) = rest.iter().find(|c| c.def.encrypted) else {
            continue;
        };
        let (path, line) = match &winner.def.origin {
            Origin::File { path, line, .. } => (path.to_path_buf(), *line),
            other => (PathBuf::from(other.to_string()), 1),
        };
        out.push(Breach {
            kind: BreachKind::LocalOverride,
            path,
            line,
            key: Some(key.to_string()),
            overrides: Some(over.def.origin.to_string()),
        });
    }
    out
}
