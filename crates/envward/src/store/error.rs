//! Why a change could not be made. Never holds a value.

use std::path::PathBuf;

use crate::crypto::CryptoError;
use crate::diagnostic::{Diagnostic, Hint};
use crate::error::{ErrorKind, LoadError};

/// A change to configuration failed; nothing was written unless the
/// variant says otherwise.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The project or a file could not be loaded (malformed, tampered,
    /// unknown environment …).
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A file or directory could not be read or written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The change was written but could not be recorded.
    #[error("cannot record the change in {}: {source}", path.display())]
    Record {
        /// The records file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No identity, or no recipient, or another encryption problem not
    /// tied to one file.
    #[error(transparent)]
    Crypto(Box<CryptoError>),
    /// Not a key a `.env` file can hold.
    #[error("`{0}` is not a valid key")]
    InvalidKey(String),
    /// A file named on the command line is not one of the environment's.
    #[error("{} is not a file of environment `{environment}`", path.display())]
    NotInEnvironment {
        /// The file named.
        path: PathBuf,
        /// The environment.
        environment: String,
    },
    /// The layout has no such file (a namespace in the flat layout).
    #[error("{0}")]
    Layout(String),
    /// The file does not exist.
    #[error("{} does not exist", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file is a symbolic link to nothing.
    #[error("{} is a symbolic link to a file that does not exist", path.display())]
    DanglingLink {
        /// The link.
        path: PathBuf,
    },
    /// The file does not set the key.
    #[error("`{key}` is not set in {}", path.display())]
    NotSet {
        /// The key.
        key: String,
        /// The file.
        path: PathBuf,
    },
    /// The environment has no files to work on.
    #[error("environment `{0}` has no files")]
    NoFiles(String),
    /// Plaintext given to write holds envward header lines or tokens.
    #[error("the edited text holds `# envward:` header lines or encrypted values")]
    SealedText,
    /// Recipients to remove that the environment does not have.
    #[error("not a recipient of `{environment}`: {}", recipients.join(", "))]
    NotRecipient {
        /// The environment.
        environment: String,
        /// The recipients given that are not its own.
        recipients: Vec<String>,
    },
    /// `envward.toml` cannot be edited (not a table where one is expected).
    #[error("cannot edit envward.toml: {0}")]
    ProjectFile(String),
    /// A backup that did not verify was given to restore.
    #[error("the backup did not verify; nothing was restored")]
    Unverified,
    /// Files changed since the backup would be overwritten.
    #[error("changed since the backup, not overwritten: {}", .0.join(", "))]
    ChangedSinceBackup(Vec<String>),
    /// Something other than a regular file is where a restored file goes.
    #[error("cannot restore over {}", .0.join(", "))]
    RestoreBlocked(Vec<String>),
}

impl StoreError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::Load(e) => e.kind(),
            StoreError::Crypto(e) => e.kind(),
            StoreError::Io { .. } | StoreError::Record { .. } => ErrorKind::Io,
            StoreError::Missing { .. }
            | StoreError::DanglingLink { .. }
            | StoreError::SealedText
            | StoreError::ProjectFile(_) => ErrorKind::Input,
            StoreError::InvalidKey(_)
            | StoreError::NotInEnvironment { .. }
            | StoreError::Layout(_)
            | StoreError::NotSet { .. }
            | StoreError::NoFiles(_)
            | StoreError::NotRecipient { .. }
            | StoreError::ChangedSinceBackup(_)
            | StoreError::RestoreBlocked(_) => ErrorKind::Usage,
            StoreError::Unverified => ErrorKind::Input,
        }
    }

    /// The error as a renderable diagnostic.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            StoreError::Load(e) => e.diagnostic(),
            StoreError::Crypto(e) => e.diagnostic(),
            StoreError::InvalidKey(_) => Diagnostic::error(self.to_string())
                .with_help("keys are letters, digits and `_`, not starting with a digit"),
            StoreError::NotInEnvironment { .. } => Diagnostic::error(self.to_string())
                .with_help("name the environment it belongs to")
                .with_hint(Some(Hint::ListFiles)),
            StoreError::NotSet { .. } => Diagnostic::error(self.to_string())
                .with_help("-n NS selects another namespace's file"),
            StoreError::NoFiles(_) => Diagnostic::error(self.to_string())
                .with_hint(Some(Hint::SetKey)),
            StoreError::SealedText => Diagnostic::error(self.to_string()).with_help(
                "edit plaintext values only; envward writes the header; nothing changed",
            ),
            StoreError::NotRecipient { .. } => Diagnostic::error(self.to_string())
                .with_help("nothing was changed")
                .with_hint(Some(Hint::ListRecipients)),
            StoreError::Io { .. }
            | StoreError::Record { .. }
            | StoreError::Layout(_)
            | StoreError::Missing { .. }
            | StoreError::ProjectFile(_) => Diagnostic::error(self.to_string()),
            StoreError::ChangedSinceBackup(_) => Diagnostic::error(self.to_string())
                .with_help("nothing was restored; `--dry-run` shows every file, --force replaces the changed ones"),
            StoreError::RestoreBlocked(_) => Diagnostic::error(self.to_string())
                .with_help("nothing was restored; move it out of the way first"),
            StoreError::Unverified => Diagnostic::error(self.to_string())
                .with_help("`envward backup verify FILE` names what is wrong"),
            StoreError::DanglingLink { .. } => Diagnostic::error(self.to_string())
                .with_help("envward writes through a link to its file: create the file it points to, or remove the link"),
        }
    }

    /// Whether the error is a missing recipient (the caller may explain
    /// why one is needed).
    pub fn is_no_recipients(&self) -> bool {
        matches!(
            self,
            StoreError::Load(LoadError::Crypto { source, .. })
                if matches!(**source, CryptoError::NoRecipients(_))
        ) || matches!(self, StoreError::Crypto(e) if matches!(**e, CryptoError::NoRecipients(_)))
    }
}
