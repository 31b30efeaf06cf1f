//! Which files make up environment E: the directory layout
//! (`env/<environment>/<namespace>.env`) or the flat layout (`.env`,
//! `.env.<environment>`, `.env.local`, `.env.<environment>.local`).

use std::io;
use std::path::{Path, PathBuf};

use crate::config::{Layer, LayoutKind, LayoutSettings};

/// The default namespace.
pub const COMMON: &str = "common";

/// Suffixes of flat-layout files that are not environments.
const NOT_ENVIRONMENTS: &[&str] = &[
    "local", "example", "sample", "template", "dist", "defaults", "keys", "vault",
];

/// A resolved layout rooted at the project directory.
#[derive(Clone, Debug)]
pub struct Layout {
    root: PathBuf,
    kind: Resolved,
}

#[derive(Clone, Debug)]
enum Resolved {
    Directory(PathBuf),
    Flat,
}

/// One env file that exists on disk, with its place in the precedence order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvFile {
    /// Full path.
    pub path: PathBuf,
    /// Path relative to the project root, for messages.
    pub display: PathBuf,
    /// The layer the file belongs to.
    pub layer: Layer,
    /// The namespace (`common` for the flat layout).
    pub namespace: String,
    /// Order inside the layer and namespace: lower wins.
    pub rank: u8,
    /// Whether the file is read by every environment (`.env`,
    /// `.env.local`, `env/<namespace>.env`).
    pub shared: bool,
}

impl EnvFile {
    /// The scope encrypted values of this file are bound to, when read for
    /// `environment`.
    pub fn scope(&self, environment: &str) -> crate::crypto::Scope {
        crate::crypto::Scope {
            environment: if self.shared {
                crate::crypto::SHARED_SCOPE.to_string()
            } else {
                environment.to_string()
            },
            namespace: self.namespace.clone(),
        }
    }
}

impl Layout {
    /// Decides the layout of the project at `root`.
    pub fn detect(root: &Path, settings: &LayoutSettings) -> Self {
        let dir = root.join(&settings.dir);
        let kind = match settings.kind {
            LayoutKind::Directory => Resolved::Directory(dir),
            LayoutKind::Flat => Resolved::Flat,
            LayoutKind::Auto if dir.is_dir() => Resolved::Directory(dir),
            LayoutKind::Auto => Resolved::Flat,
        };
        Layout {
            root: root.to_path_buf(),
            kind,
        }
    }

    /// `"directory"` or `"flat"`.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            Resolved::Directory(_) => "directory",
            Resolved::Flat => "flat",
        }
    }

    /// The project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Environments that have files on disk, sorted.
    pub fn environments(&self) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        match &self.kind {
            Resolved::Directory(dir) => {
                for entry in read_dir_sorted(dir)? {
                    if entry.is_dir()
                        && let Some(name) = entry.file_name().and_then(|n| n.to_str())
                        && !name.starts_with('.')
                    {
                        out.push(name.to_string());
                    }
                }
            }
            Resolved::Flat => {
                for entry in read_dir_sorted(&self.root)? {
                    let Some(name) = entry.file_name().and_then(|n| n.to_str()) else {
                        continue;
                    };
                    let Some(rest) = name.strip_prefix(".env.") else {
                        continue;
                    };
                    let env = rest.strip_suffix(".local").unwrap_or(rest);
                    if !env.is_empty() && !NOT_ENVIRONMENTS.contains(&env) && !env.contains('.') {
                        out.push(env.to_string());
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// The files of `environment` that exist, in no particular order.
    pub fn files(&self, environment: &str) -> io::Result<Vec<EnvFile>> {
        let mut out = Vec::new();
        match &self.kind {
            Resolved::Directory(dir) => {
                self.namespace_files(&dir.join(environment), Layer::Environment, 0, &mut out)?;
                self.namespace_files(dir, Layer::Shared, 1, &mut out)?;
            }
            Resolved::Flat => {
                let candidates = [
                    (".env".to_string(), Layer::Shared, 0),
                    (format!(".env.{environment}"), Layer::Environment, 0),
                    (format!(".env.{environment}.local"), Layer::Local, 0),
                    (".env.local".to_string(), Layer::Local, 1),
                ];
                for (name, layer, rank) in candidates {
                    let path = self.root.join(&name);
                    if crate::fs::is_regular_file(&path)? {
                        out.push(EnvFile {
                            shared: !name.starts_with(&format!(".env.{environment}")),
                            display: PathBuf::from(&name),
                            path,
                            layer,
                            namespace: COMMON.to_string(),
                            rank,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// The file of `environment`'s own layer for `namespace`, whether it
    /// exists or not: where `envward set` writes.
    pub fn target_file(&self, environment: &str, namespace: &str) -> Result<EnvFile, String> {
        if !is_valid_name(namespace) || !is_valid_name(environment) {
            let (what, name) = if is_valid_name(environment) {
                ("namespace", namespace)
            } else {
                ("environment", environment)
            };
            return Err(format!(
                "`{name}` is not a valid {what} name: a name is letters, digits, `-` and `_`, never a path"
            ));
        }
        let (path, display) = match &self.kind {
            Resolved::Directory(dir) => {
                let path = dir.join(environment).join(format!("{namespace}.env"));
                let display = path.strip_prefix(&self.root).unwrap_or(&path).to_path_buf();
                (path, display)
            }
            Resolved::Flat if namespace == COMMON => {
                let name = format!(".env.{environment}");
                (self.root.join(&name), PathBuf::from(name))
            }
            Resolved::Flat => {
                return Err(format!(
                    "the flat layout has no namespaces (`{namespace}` given): use the directory layout (env/<environment>/<namespace>.env)"
                ));
            }
        };
        Ok(EnvFile {
            path,
            display,
            layer: Layer::Environment,
            namespace: namespace.to_string(),
            rank: 0,
            shared: false,
        })
    }

    /// `<ns>.env` files of `dir` in `layer`, `<ns>.local.env` as local overrides.
    fn namespace_files(
        &self,
        dir: &Path,
        layer: Layer,
        rank: u8,
        out: &mut Vec<EnvFile>,
    ) -> io::Result<()> {
        if !dir.is_dir() {
            return Ok(());
        }
        for path in read_dir_sorted(dir)? {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some(stem) = name.strip_suffix(".env") else {
                continue;
            };
            if stem.is_empty() || !crate::fs::is_regular_file(&path)? {
                continue;
            }
            let (namespace, layer) = match stem.strip_suffix(".local") {
                Some(ns) => (ns, Layer::Local),
                None => (stem, layer),
            };
            if namespace.is_empty() || namespace.contains('.') {
                continue;
            }
            let namespace = namespace.to_string();
            out.push(EnvFile {
                display: path.strip_prefix(&self.root).unwrap_or(&path).to_path_buf(),
                path: path.clone(),
                layer,
                namespace,
                rank,
                shared: rank == 1,
            });
        }
        Ok(())
    }
}

fn read_dir_sorted(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.map(|e| e.path()))
            .collect::<io::Result<Vec<_>>>()?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    v.sort();
    Ok(v)
}

/// Whether `name` can name an environment or a namespace: letters, digits,
/// `-` and `_` (so it can never be a path, absolute or with `..`).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}
