//! Where values come from: the sources of an environment, each answering
//! "what do you say about `KEY`?" with a [`Definition`] and its [`Origin`].
//!
//! The loader collects one environment's sources (its files, decrypted
//! when they are encrypted; the process environment; the secrets
//! directory; the schema defaults) and the resolver ranks them by
//! `[resolve] precedence` and asks them in that order. A new kind of
//! source (a remote store) is one module implementing [`Source`], with its
//! [`Origin`] and a [`Layer`].

mod defaults;
mod file;
mod process;
mod remote;
mod secrets;

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::config::Layer;
use crate::dotenv::{Document, Template};
pub(crate) use defaults::Defaults;
pub use file::SealedFile;
pub(crate) use file::{FileSource, Keyring};
pub(crate) use process::ProcessEnv;
pub use remote::RemoteLocation;
pub(crate) use remote::RemoteSource;
pub(crate) use secrets::SecretsDir;

/// Suffix of keys whose value is the path of a file holding the real value.
pub const FILE_SUFFIX: &str = "_FILE";

/// A place values come from, asked for one key at a time.
pub(crate) trait Source {
    /// Its layer: `[resolve] precedence` ranks it.
    fn layer(&self) -> Layer;

    /// The namespace it serves; `None` when it serves every namespace.
    fn namespace(&self) -> Option<&str> {
        None
    }

    /// Its order among the sources of the same layer and namespace: lower
    /// wins.
    fn rank(&self) -> u8 {
        0
    }

    /// Calls `f` with each key it defines. A source that only answers
    /// lookups (the process environment, the secrets directory) lists none:
    /// it overrides keys defined elsewhere but adds none.
    fn keys<'s>(&'s self, f: &mut dyn FnMut(&'s str)) {
        let _ = f;
    }

    /// The keys whose definition here may be something else than text
    /// taken as it is (a reference to expand, a file to read) or a
    /// conflict: resolving any other key from it cannot fail. `None`: any
    /// key may be.
    fn not_literal(&self) -> Option<Vec<&str>> {
        None
    }

    /// What the source says about `key`: nothing, a definition, or a
    /// conflict (both `KEY` and `KEY_FILE` set).
    fn lookup(&self, key: &Key<'_>) -> Result<Option<Definition<'_>>, Conflict>;

    /// The text it was read from and its path as shown, for quoting a line
    /// in an error; `None` for a source without one.
    fn document(&self) -> Option<(&Path, &Document)> {
        None
    }
}

/// A key being looked up, with its `KEY_FILE` name (built once for every
/// source).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key<'k> {
    /// `KEY`.
    pub(crate) name: &'k str,
    /// `KEY_FILE`.
    pub(crate) file: &'k str,
}

/// One definition of a key in a source.
#[derive(Clone, Debug)]
pub(crate) struct Definition<'s> {
    /// How to get the value.
    pub(crate) value: Text<'s>,
    /// Where it is (what `explain` shows for a definition that lost).
    pub(crate) origin: Origin,
    /// The value as written, before interpolation; the path for a file.
    pub(crate) written: Cow<'s, str>,
    /// Whether the value was encrypted where it is stored (an encrypted
    /// file, a secret store): sensitive unless the schema says otherwise.
    pub(crate) encrypted: bool,
    /// Whether it was encrypted and no identity could decrypt it: the
    /// value is empty and must not be used.
    pub(crate) sealed: bool,
    /// The comment after it (`# envward:allow RULE reason`).
    pub(crate) comment: Option<&'s str>,
}

/// How a definition gives its value.
#[derive(Clone, Debug)]
pub(crate) enum Text<'s> {
    /// Taken as it is (the process environment, a schema default).
    Literal(&'s str),
    /// `${…}` references expanded: a value of the source's document, at
    /// byte `start` of it.
    Template {
        /// The parsed value.
        template: &'s Template,
        /// Byte offset of the value in the document.
        start: usize,
    },
    /// The contents of a file (`KEY_FILE`, the secrets directory).
    File {
        /// Which file.
        path: FilePath<'s>,
        /// Blamed when the file cannot be read.
        blame: Origin,
    },
}

/// The path of a file holding a value.
#[derive(Clone, Debug)]
pub(crate) enum FilePath<'s> {
    /// A path as it is.
    Literal(Cow<'s, Path>),
    /// A `KEY_FILE` value of the source's document, expanded, relative to
    /// `base`.
    Template {
        /// `KEY_FILE`, the key the template is the value of.
        key: &'s str,
        /// The parsed value.
        template: &'s Template,
        /// Byte offset of the value in the document.
        start: usize,
        /// The text as written.
        written: &'s str,
        /// The directory a relative path is relative to.
        base: Option<&'s Path>,
    },
}

/// Both `KEY` and `KEY_FILE` are set in one source.
#[derive(Clone, Debug)]
pub(crate) struct Conflict {
    /// Where `KEY_FILE` is.
    pub(crate) origin: Origin,
    /// Byte offset of `KEY_FILE` in the source's document, if it has one.
    pub(crate) at: Option<usize>,
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A line of a `.env` file.
    File {
        /// The file, relative to the project root when inside it (shared
        /// by every definition of the file).
        path: std::sync::Arc<Path>,
        /// 1-based line of the key.
        line: u32,
        /// 1-based column of the key.
        column: u32,
        /// The file's layer.
        layer: Layer,
        /// The file's namespace.
        namespace: std::sync::Arc<str>,
    },
    /// The process environment.
    Process,
    /// The contents of a file named by `KEY_FILE`.
    FileRef {
        /// The `KEY_FILE` variable.
        var: String,
        /// The file read.
        path: PathBuf,
        /// Where `KEY_FILE` was set.
        declared: Box<Origin>,
    },
    /// A file in the secrets directory.
    SecretsDir {
        /// The file read.
        path: PathBuf,
    },
    /// A default in `envward.toml`.
    Default,
    /// A key of a secret in a remote store (OpenBao / Vault KV v2).
    Remote {
        /// The secret (shared by its keys).
        location: std::sync::Arc<RemoteLocation>,
        /// The key.
        key: String,
    },
}

impl Origin {
    /// The layer the value came from.
    pub fn layer(&self) -> Layer {
        match self {
            Origin::File { layer, .. } => *layer,
            Origin::Process => Layer::Process,
            Origin::FileRef { declared, .. } => declared.layer(),
            Origin::SecretsDir { .. } => Layer::Secrets,
            Origin::Default => Layer::Default,
            Origin::Remote { .. } => Layer::Remote,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                path, line, column, ..
            } => write!(f, "{}:{line}:{column}", path.display()),
            Origin::Process => f.write_str("process environment"),
            Origin::FileRef {
                var,
                path,
                declared,
            } => write!(f, "{} (via {var} at {declared})", path.display()),
            Origin::SecretsDir { path } => write!(f, "{} (secrets directory)", path.display()),
            Origin::Default => write!(f, "default in {}", crate::config::PROJECT_FILE),
            Origin::Remote { location, key } => write!(
                f,
                "{}:{}/{}#{key}@v{}",
                location.store, location.mount, location.path, location.version
            ),
        }
    }
}
