//! The secrets directory (`/run/secrets/<key>`, Docker and Kubernetes
//! secrets): a file named like the key, or like it in lower case.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::{Conflict, Definition, FilePath, Key, Layer, Origin, Source, Text};

/// The regular files of a directory, listed once.
pub(crate) struct SecretsDir {
    dir: PathBuf,
    names: BTreeSet<String>,
}

impl SecretsDir {
    /// Lists `dir`; a directory that does not exist or cannot be listed
    /// provides nothing.
    pub(crate) fn open(dir: PathBuf) -> Self {
        let names = list_names(&dir);
        SecretsDir { dir, names }
    }
}

impl Source for SecretsDir {
    fn layer(&self) -> Layer {
        Layer::Secrets
    }

    fn not_literal(&self) -> Option<Vec<&str>> {
        // Any key may name one of its files (in lower case too).
        self.names.is_empty().then(Vec::new)
    }

    fn lookup(&self, key: &Key<'_>) -> Result<Option<Definition<'_>>, Conflict> {
        if self.names.is_empty() {
            return Ok(None);
        }
        let lower = key.name.to_ascii_lowercase();
        let Some(name) = [key.name, lower.as_str()]
            .into_iter()
            .find(|n| self.names.contains(*n))
        else {
            return Ok(None);
        };
        let path = self.dir.join(name);
        let origin = Origin::SecretsDir { path: path.clone() };
        Ok(Some(Definition {
            written: Cow::Owned(path.display().to_string()),
            value: Text::File {
                path: FilePath::Literal(Cow::Owned(path)),
                blame: origin.clone(),
            },
            origin,
            encrypted: false,
            sealed: false,
            comment: None,
        }))
    }
}

/// The regular files of `dir`; none when it does not exist or cannot be
/// listed.
fn list_names(dir: &Path) -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}
