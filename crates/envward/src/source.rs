//! Where values come from: layers, and the origin of every value.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

pub use crate::config::Layer;

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A line of a `.env` file.
    File {
        /// The file, relative to the project root when inside it.
        path: PathBuf,
        /// 1-based line of the key.
        line: u32,
        /// 1-based column of the key.
        column: u32,
        /// The file's layer.
        layer: Layer,
        /// The file's namespace.
        namespace: String,
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
        }
    }
}
