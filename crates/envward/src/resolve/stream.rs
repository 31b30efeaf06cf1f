//! [`VarStream`]: the variables of a configuration handed out one at a
//! time, in key order, instead of all kept at once (`list` of 1,000,000
//! keys, issue 18).

use super::resolver::{Checked, Resolver, ViewId};
use crate::error::LoadError;
use crate::value::{Var, Vars};

/// The variables of a configuration loaded by
/// [`Config::load_streamed`](crate::Config::load_streamed), in key order.
///
/// Each is resolved when it is handed out and dropped after: what stays
/// per key is what the sources hold (the files' text and entries) and
/// the sorted keys. When a key can fail or warn (a source has references,
/// `KEY_FILE`s or files to read, or two namespaces of one layer), every
/// key was resolved once already, as far as it can fail, before the
/// stream is given: an undefined reference, a cycle or a `KEY_FILE` that
/// cannot be read is a [`LoadError`] of the load, met before any variable
/// is handed out, and the warnings are in the configuration. The values
/// that needed evaluating (references, files) are remembered, not
/// evaluated again.
///
/// In an environment with recipients (its integrity is judged over every
/// key) the variables are kept, as [`Config::load_in`](crate::Config::load_in)
/// keeps them, and handed out from there.
pub struct VarStream<'x>(Inner<'x>);

enum Inner<'x> {
    /// Resolved and kept by the loader.
    Kept(Vars),
    /// Resolved key by key.
    Live {
        resolver: &'x Resolver<'x>,
        view: ViewId,
        checked: Checked<'x, 'x>,
    },
}

impl<'x> VarStream<'x> {
    pub(super) fn kept(vars: Vars) -> Self {
        VarStream(Inner::Kept(vars))
    }

    pub(super) fn live(resolver: &'x Resolver<'x>, view: ViewId, checked: Checked<'x, 'x>) -> Self {
        VarStream(Inner::Live {
            resolver,
            view,
            checked,
        })
    }

    /// Calls `f` with every variable, sorted by key, stopping at the
    /// first error. Can be called again: each call goes over every key
    /// (a first call can measure, a second write).
    ///
    /// ```
    /// use envward::{Config, LoadOptions, Project};
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join(".env"), "B=2\nA=${B}1\n").unwrap();
    /// let project = Project::open(Some(dir.path())).unwrap();
    /// let options = LoadOptions { process_env: Some(Default::default()), ..Default::default() };
    /// let listed = Config::load_streamed(&project, options, |cfg, vars| {
    ///     assert_eq!(cfg.len(), 0); // the variables are not kept
    ///     let mut listed = Vec::new();
    ///     vars.each(|v| {
    ///         listed.push(format!("{}={} ({})", v.key, v.value, v.origin));
    ///         Ok::<_, envward::LoadError>(())
    ///     })?;
    ///     Ok::<_, envward::LoadError>(listed)
    /// }).unwrap().unwrap();
    /// assert_eq!(listed, ["A=21 (.env:2:1)", "B=2 (.env:1:1)"]);
    /// ```
    pub fn each<E: From<LoadError>>(
        &mut self,
        mut f: impl FnMut(&Var) -> Result<(), E>,
    ) -> Result<(), E> {
        match &mut self.0 {
            Inner::Kept(vars) => {
                for var in vars.values() {
                    f(var)?;
                }
            }
            Inner::Live {
                resolver,
                view,
                checked,
            } => {
                // Warnings were given by the first pass.
                let mut again = Vec::new();
                let Checked { keys, eval, .. } = checked;
                for key in keys.iter() {
                    again.clear();
                    if let Some(var) = resolver.resolve_key(eval, *view, key, &mut again)? {
                        f(&var)?;
                    }
                }
            }
        }
        Ok(())
    }
}
