//! The environment `doctor` audits: envward's own, or another process's
//! from `/proc/<pid>/environ`.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::error::LoadError;

/// Which process environment to audit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Target {
    /// envward's own environment: what the shell that started it exports
    /// to every program it runs.
    #[default]
    Current,
    /// Another process, read from `/proc/<pid>/environ` (Linux).
    Pid(u32),
}

/// An audited environment. The values stay in here: the report only ever
/// holds keys, counts and origins.
pub struct ProcessEnv {
    /// The process, `None` for envward's own environment.
    pub pid: Option<u32>,
    /// The uid owning the process (`/proc/<pid>`), when known.
    pub owner: Option<u32>,
    /// The effective uid envward runs as, when known.
    pub reader: Option<u32>,
    /// Key → value. Invalid UTF-8 is replaced (U+FFFD); when a key occurs
    /// twice the first one is kept, as `getenv` does.
    pub(crate) vars: BTreeMap<String, String>,
    /// Entries that were not valid UTF-8 (key or value).
    pub invalid_utf8: usize,
    /// Where relative paths of the process resolve from (its working
    /// directory), when known.
    pub(crate) cwd: Option<PathBuf>,
}

impl std::fmt::Debug for ProcessEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessEnv")
            .field("pid", &self.pid)
            .field("owner", &self.owner)
            .field("keys", &self.vars.keys().collect::<Vec<_>>())
            .field("invalid_utf8", &self.invalid_utf8)
            .finish()
    }
}

/// Why `doctor` could not run.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// `/proc/<pid>` does not exist (or the process exited meanwhile).
    #[error("no process with pid {pid}")]
    NoProcess {
        /// The pid asked for.
        pid: u32,
    },
    /// The kernel refused to show the process's environment.
    #[error("not permitted to read the environment of process {pid}")]
    PermissionDenied {
        /// The pid asked for.
        pid: u32,
        /// The uid owning it, when known.
        owner: Option<u32>,
        /// The uid envward runs as, when known.
        reader: Option<u32>,
    },
    /// Any other failure reading `/proc/<pid>/environ`.
    #[error("cannot read /proc/{pid}/environ: {source}")]
    Read {
        /// The pid asked for.
        pid: u32,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The project's configuration does not load.
    #[error(transparent)]
    Load(#[from] LoadError),
}

impl DoctorError {
    /// The error with a concrete next step.
    pub fn diagnostic(&self) -> Diagnostic {
        match self {
            DoctorError::NoProcess { pid } => Diagnostic::error(self.to_string()).with_help(
                format!("check the pid with `ps -p {pid}`; `--pid` reads /proc/<pid>/environ (Linux only)"),
            ),
            DoctorError::PermissionDenied { pid, owner, reader } => {
                let mut d = Diagnostic::error(self.to_string());
                if let (Some(o), Some(r)) = (owner, reader) {
                    d = d.with_note(format!("process {pid} belongs to uid {o}; envward runs as uid {r}"));
                }
                d.with_help(
                    "run envward as the same user as the process (e.g. `sudo -u <user> envward doctor --pid …`) or as root",
                )
            }
            DoctorError::Read { .. } => Diagnostic::error(self.to_string())
                .with_help("`--pid` needs a readable /proc (Linux)"),
            DoctorError::Load(e) => e.diagnostic(),
        }
    }
}

impl ProcessEnv {
    /// Reads the environment of `target`.
    pub fn read(target: Target) -> Result<ProcessEnv, DoctorError> {
        let reader = proc_uid("/proc/self");
        match target {
            Target::Current => {
                let mut env = ProcessEnv::from_pairs(std::env::vars_os());
                env.owner = reader;
                env.reader = reader;
                env.cwd = std::env::current_dir().ok();
                Ok(env)
            }
            Target::Pid(pid) => {
                let dir = PathBuf::from(format!("/proc/{pid}"));
                let owner = proc_uid(&dir);
                let bytes = std::fs::read(dir.join("environ")).map_err(|source| {
                    match source.kind() {
                        std::io::ErrorKind::NotFound => DoctorError::NoProcess { pid },
                        std::io::ErrorKind::PermissionDenied => {
                            DoctorError::PermissionDenied { pid, owner, reader }
                        }
                        // ESRCH: the process exited between open and read.
                        _ if source.raw_os_error() == Some(3) => DoctorError::NoProcess { pid },
                        _ => DoctorError::Read { pid, source },
                    }
                })?;
                let mut env = ProcessEnv::parse_environ(&bytes);
                env.pid = Some(pid);
                env.owner = owner;
                env.reader = reader;
                // The process's working directory, through /proc so that it
                // works for processes in other mount namespaces too.
                env.cwd = Some(dir.join("cwd"));
                Ok(env)
            }
        }
    }

    /// An environment from `(key, value)` pairs, read lossily.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (OsString, OsString)>) -> ProcessEnv {
        let mut env = ProcessEnv::empty();
        for (k, v) in pairs {
            let (k, v) = (k.into_encoded_bytes(), v.into_encoded_bytes());
            env.insert(&k, &v);
        }
        env
    }

    /// An environment from the contents of `/proc/<pid>/environ`:
    /// `KEY=VALUE` entries separated by NUL bytes. Entries without `=` or
    /// with an empty key are ignored.
    ///
    /// ```
    /// use envward::doctor::ProcessEnv;
    /// let env = ProcessEnv::parse_environ(b"A=1\0B=x=y\0\xff=2\0junk\0A=again\0");
    /// assert_eq!(env.len(), 3);
    /// assert_eq!(env.invalid_utf8, 1);
    /// ```
    pub fn parse_environ(bytes: &[u8]) -> ProcessEnv {
        let mut env = ProcessEnv::empty();
        for entry in bytes.split(|&b| b == 0) {
            let Some(eq) = entry.iter().position(|&b| b == b'=') else {
                continue;
            };
            env.insert(&entry[..eq], &entry[eq + 1..]);
        }
        env
    }

    fn empty() -> ProcessEnv {
        ProcessEnv {
            pid: None,
            owner: None,
            reader: None,
            vars: BTreeMap::new(),
            invalid_utf8: 0,
            cwd: None,
        }
    }

    fn insert(&mut self, key: &[u8], value: &[u8]) {
        if key.is_empty() {
            return;
        }
        if std::str::from_utf8(key).is_err() || std::str::from_utf8(value).is_err() {
            self.invalid_utf8 += 1;
        }
        let key = String::from_utf8_lossy(key).into_owned();
        self.vars
            .entry(key)
            .or_insert_with(|| String::from_utf8_lossy(value).into_owned());
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether there is no variable.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }
}

/// The uid owning a `/proc` entry (for `/proc/self`: envward's effective
/// uid), without `unsafe`.
fn proc_uid(path: impl AsRef<std::path::Path>) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| m.uid())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}
