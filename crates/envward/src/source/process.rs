//! The process environment envward runs in: `KEY`, or `KEY_FILE` naming a
//! file that holds the value.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Conflict, Definition, FilePath, Key, Layer, Origin, Source, Text};

/// The process environment (or the one given in `LoadOptions`).
pub(crate) struct ProcessEnv<'a> {
    /// Asked twice for every key loaded (`KEY`, `KEY_FILE`): hashed, not
    /// searched in the sorted map.
    vars: rustc_hash::FxHashMap<&'a str, &'a str>,
}

impl<'a> ProcessEnv<'a> {
    /// A source over `vars`.
    pub(crate) fn new(vars: &'a BTreeMap<String, String>) -> Self {
        ProcessEnv {
            vars: vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
        }
    }
}

impl Source for ProcessEnv<'_> {
    fn layer(&self) -> Layer {
        Layer::Process
    }

    fn not_literal(&self) -> Option<Vec<&str>> {
        // `KEY` when `KEY_FILE` is set (`SSL_CERT` for `SSL_CERT_FILE`).
        Some(
            self.vars
                .keys()
                .filter_map(|k| k.strip_suffix(super::FILE_SUFFIX))
                .collect(),
        )
    }

    fn lookup(&self, key: &Key<'_>) -> Result<Option<Definition<'_>>, Conflict> {
        match (
            self.vars.get(key.name).copied(),
            self.vars.get(key.file).copied(),
        ) {
            (Some(_), Some(_)) => Err(Conflict {
                origin: Origin::Process,
                at: None,
            }),
            (Some(value), None) => Ok(Some(Definition {
                value: Text::Literal(value),
                origin: Origin::Process,
                written: Cow::Borrowed(value),
                encrypted: false,
                sealed: false,
                comment: None,
            })),
            (None, Some(path)) => Ok(Some(Definition {
                value: Text::File {
                    path: FilePath::Literal(Cow::Borrowed(Path::new(path))),
                    blame: Origin::Process,
                },
                origin: Origin::FileRef {
                    var: key.file.to_string(),
                    path: PathBuf::from(path),
                    declared: Box::new(Origin::Process),
                },
                written: Cow::Borrowed(path),
                encrypted: false,
                sealed: false,
                comment: None,
            })),
            (None, None) => Ok(None),
        }
    }
}
