//! Errors of loading configuration. Each renders as a [`Diagnostic`] with
//! the file, line and column, and never contains a sensitive value.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::diagnostic::{Diagnostic, SourceLine};
use crate::dotenv::ParseError;
use crate::source::Origin;

pub use crate::error_kind::ErrorKind;

/// The quoted line of a resolve error: path, line, column and the line.
pub(crate) type QuotedLine = (PathBuf, u32, u32, SourceLine);

/// Loading configuration failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// `envward.toml` is unreadable or malformed.
    #[error(transparent)]
    Config(Box<ConfigError>),
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A `.env` file is malformed.
    #[error(transparent)]
    Parse(Box<ParseError>),
    /// A key is defined twice in one file and duplicates are errors.
    #[error("{second}: `{key}` is defined twice (first at {first})")]
    Duplicate {
        /// The key.
        key: String,
        /// `path:line:column` of the first definition.
        first: String,
        /// `path:line:column` of the second.
        second: String,
    },
    /// The environment is not known.
    #[error("unknown environment `{name}`{}; known environments: {}", from.as_ref().map(|v| format!(" (from the variable {v})")).unwrap_or_default(), known.join(", "))]
    UnknownEnvironment {
        /// What was asked for.
        name: String,
        /// The process variable it came from (`ENVIRONMENT`); `None` when
        /// it was asked for by name (`-e`).
        from: Option<String>,
        /// What exists.
        known: Vec<String>,
        /// Their aliases.
        aliases: Vec<String>,
    },
    /// The namespace has no files in this environment.
    #[error("unknown namespace `{name}` in environment `{environment}`; known namespaces: {}", known.join(", "))]
    UnknownNamespace {
        /// What was asked for.
        name: String,
        /// The environment.
        environment: String,
        /// What exists.
        known: Vec<String>,
    },
    /// A value could not be resolved.
    #[error(transparent)]
    Resolve(ResolveError),
    /// An encrypted file is malformed or was tampered with.
    #[error("{}: {source}", path.display())]
    Crypto {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: Box<crate::crypto::CryptoError>,
    },
    /// An identity could not be loaded.
    #[error(transparent)]
    Identity(Box<crate::crypto::CryptoError>),
    /// A remote store could not be read.
    #[error(transparent)]
    Remote(Box<crate::remote::RemoteError>),
}

impl From<crate::remote::RemoteError> for LoadError {
    fn from(e: crate::remote::RemoteError) -> Self {
        LoadError::Remote(Box::new(e))
    }
}

impl From<ConfigError> for LoadError {
    fn from(e: ConfigError) -> Self {
        LoadError::Config(Box::new(e))
    }
}

impl From<ParseError> for LoadError {
    fn from(e: ParseError) -> Self {
        LoadError::Parse(Box::new(e))
    }
}

impl From<ResolveError> for LoadError {
    fn from(e: ResolveError) -> Self {
        LoadError::Resolve(e)
    }
}

impl LoadError {
    /// What kind of failure this is (the binary maps kinds to exit codes).
    pub fn kind(&self) -> ErrorKind {
        match self {
            LoadError::Read { .. } => ErrorKind::Io,
            LoadError::Crypto { source, .. } | LoadError::Identity(source) => source.kind(),
            LoadError::Remote(e) => e.kind(),
            LoadError::Config(_)
            | LoadError::Parse(_)
            | LoadError::Duplicate { .. }
            | LoadError::UnknownEnvironment { .. }
            | LoadError::UnknownNamespace { .. }
            | LoadError::Resolve(_) => ErrorKind::Input,
        }
    }

    /// The error as a renderable diagnostic.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            LoadError::Config(e) => e.diagnostic(),
            LoadError::Parse(e) => e.diagnostic(),
            LoadError::Resolve(e) => e.diagnostic(),
            LoadError::Read { .. } => Diagnostic::error(self.to_string()),
            LoadError::Duplicate { .. } => Diagnostic::error(self.to_string()).with_help(
                "remove one definition, or set `duplicate_keys = \"warn\"` under [resolve]",
            ),
            LoadError::UnknownEnvironment {
                name,
                from,
                known,
                aliases,
            } => {
                let mut d = match from {
                    None => Diagnostic::error(format!("unknown environment `{name}`")),
                    Some(var) => Diagnostic::error(format!(
                        "unknown environment `{name}` (from the variable {var})"
                    ))
                    .with_note(format!(
                        "{var} is one of the variables that select the environment ([resolve] environment_variables in envward.toml); pass -e ENV or unset it"
                    )),
                }
                .with_note(format!("known environments: {}", known.join(", ")));
                let candidates = known.iter().chain(aliases).map(String::as_str);
                if let Some(s) = crate::suggest::closest(name, candidates) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                } else {
                    d = d.with_help(
                        "create its files, or declare it under [environments] in envward.toml",
                    );
                }
                d
            }
            LoadError::Crypto { path, source } => {
                let mut d = Diagnostic::error(source.to_string());
                d = match source.line() {
                    Some(line) => d.with_location(Some(path), line, 1),
                    None => d.with_note(format!("in {}", path.display())),
                };
                d.with_help(source.help()).with_hint(source.hint())
            }
            LoadError::Identity(e) => e.diagnostic(),
            LoadError::Remote(e) => e.diagnostic(),
            LoadError::UnknownNamespace { name, known, .. } => {
                let mut d = Diagnostic::error(self.to_string());
                if let Some(s) = crate::suggest::closest(name, known.iter().map(String::as_str)) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                d
            }
        }
    }
}

/// What went wrong while resolving values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveErrorKind {
    /// `${NAME}` where nothing defines NAME.
    Undefined {
        /// The key whose value holds the reference.
        key: String,
        /// The referenced key.
        name: String,
        /// The reference is to the key itself and nothing lower defines it.
        self_reference: bool,
    },
    /// `${NAME:?message}` where NAME is unset.
    Required {
        /// The key whose value holds the reference.
        key: String,
        /// The referenced key.
        name: String,
        /// The message written in the reference.
        message: Option<String>,
    },
    /// References that loop.
    Cycle {
        /// The keys of the loop, the first repeated at the end.
        chain: Vec<String>,
    },
    /// References nested too deeply.
    TooDeep {
        /// Where the chain was when it stopped.
        key: String,
        /// The limit.
        depth: usize,
    },
    /// Expansion grew past the size budget.
    TooLarge {
        /// The key being expanded.
        key: String,
    },
    /// `KEY` and `KEY_FILE` set in the same source.
    BothValueAndFile {
        /// The key.
        key: String,
        /// The `_FILE` key.
        file_key: String,
    },
    /// The file named by `KEY_FILE` (or in the secrets directory) cannot be read.
    FileRef {
        /// The key.
        key: String,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `${ns:KEY}` naming a namespace that does not exist.
    UnknownNamespace {
        /// The key whose value holds the reference.
        key: String,
        /// The namespace.
        namespace: String,
        /// The namespaces that exist.
        known: Vec<String>,
    },
}

/// A value could not be resolved.
#[derive(Debug, Clone)]
pub struct ResolveError(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    kind: ResolveErrorKind,
    origin: Origin,
    quoted: Option<QuotedLine>,
}

impl ResolveError {
    pub(crate) fn new(kind: ResolveErrorKind, origin: Origin, quoted: Option<QuotedLine>) -> Self {
        ResolveError(Box::new(Inner {
            kind,
            origin,
            quoted,
        }))
    }

    /// What went wrong.
    pub fn kind(&self) -> &ResolveErrorKind {
        &self.0.kind
    }

    /// Where: the reference, or the definition.
    pub fn origin(&self) -> &Origin {
        &self.0.origin
    }

    /// A short machine-readable name of the kind.
    pub fn code(&self) -> &'static str {
        match self.0.kind {
            ResolveErrorKind::Undefined { .. } => "undefined-reference",
            ResolveErrorKind::Required { .. } => "required",
            ResolveErrorKind::Cycle { .. } => "cycle",
            ResolveErrorKind::TooDeep { .. } => "too-deep",
            ResolveErrorKind::TooLarge { .. } => "too-large",
            ResolveErrorKind::BothValueAndFile { .. } => "both-value-and-file",
            ResolveErrorKind::FileRef { .. } => "unreadable-file",
            ResolveErrorKind::UnknownNamespace { .. } => "unknown-namespace",
        }
    }

    fn message(&self) -> String {
        match &self.0.kind {
            ResolveErrorKind::Undefined {
                key,
                name,
                self_reference: true,
            } => format!(
                "`{key}` refers to its own lower value `${{{name}}}`, but nothing lower defines `{name}`"
            ),
            ResolveErrorKind::Undefined { key, name, .. } => {
                format!("`{key}` refers to `{name}`, which is not defined")
            }
            ResolveErrorKind::Required { key, name, message } => match message {
                Some(m) => format!("`{key}` requires `{name}`: {m}"),
                None => format!("`{key}` requires `{name}`, which is not set"),
            },
            ResolveErrorKind::Cycle { chain } => {
                format!("references form a cycle: {}", chain.join(" → "))
            }
            ResolveErrorKind::TooDeep { key, depth } => {
                format!("references from `{key}` are nested deeper than {depth} levels")
            }
            ResolveErrorKind::TooLarge { key } => {
                format!("expanding `{key}` produces more text than the expansion budget allows")
            }
            ResolveErrorKind::BothValueAndFile { key, file_key } => {
                format!("both `{key}` and `{file_key}` are set in the same place")
            }
            ResolveErrorKind::FileRef { key, path, reason } => {
                format!("cannot read {} for `{key}`: {reason}", path.display())
            }
            ResolveErrorKind::UnknownNamespace {
                key,
                namespace,
                known,
            } => format!(
                "`{key}` refers to namespace `{namespace}`, which does not exist (known: {})",
                known.join(", ")
            ),
        }
    }

    fn help(&self) -> String {
        match &self.0.kind {
            ResolveErrorKind::Undefined {
                name,
                self_reference: true,
                ..
            } => {
                format!("set `{name}` in the process environment or a lower layer")
            }
            ResolveErrorKind::Undefined { name, .. } => format!(
                "define `{name}`, use `${{{name}:-default}}`, write `$$` for a literal `$`, or pass --allow-undefined"
            ),
            ResolveErrorKind::Required { name, .. } => format!("set `{name}`"),
            ResolveErrorKind::Cycle { .. } => {
                "break the loop: one of these keys must not refer back".into()
            }
            ResolveErrorKind::TooDeep { .. } => "shorten the chain of references".into(),
            ResolveErrorKind::TooLarge { .. } => {
                "references expand exponentially; define the value directly".into()
            }
            ResolveErrorKind::BothValueAndFile { key, file_key } => {
                format!(
                    "keep one of them: `{key}` holds the value, `{file_key}` the path of a file holding it"
                )
            }
            ResolveErrorKind::FileRef { .. } => {
                "check that the file exists and is readable by this user".into()
            }
            ResolveErrorKind::UnknownNamespace { .. } => {
                "namespaces are the `<namespace>.env` files of the environment".into()
            }
        }
    }

    /// The error as a renderable diagnostic.
    pub fn diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::error(self.message());
        match &self.0.quoted {
            Some((path, line, column, src)) => {
                d = d
                    .with_location(Some(path), *line, *column)
                    .with_source(src.clone(), "here");
            }
            None => d = d.with_note(format!("at {}", self.0.origin)),
        }
        d.with_help(self.help())
    }
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.0.origin, self.message())
    }
}

impl std::error::Error for ResolveError {}
