//! Running `git` for `scan --staged` and `scan --git`: always the same
//! explicit argv (no shell, user-given revisions after `--end-of-options`),
//! stdin closed unless we feed it, no pager, no prompt, no external diff
//! or text conversion programs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What went wrong talking to git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// The directory is not inside a git repository.
    #[error("{} is not in a git repository", .0.display())]
    NotARepository(PathBuf),
    /// git could not be started.
    #[error("cannot run git: {0}")]
    Spawn(std::io::Error),
    /// A revision given by the user does not name a commit.
    #[error("`{0}` does not name a commit of this repository")]
    UnknownRevision(String),
    /// git failed; what it said.
    #[error("{0}")]
    Failed(String),
}

/// A repository (or work tree) git is run in.
#[derive(Clone, Debug)]
pub(crate) struct Git {
    dir: PathBuf,
}

impl Git {
    /// git, run in `dir`.
    pub fn new(dir: &Path) -> Git {
        Git {
            dir: dir.to_path_buf(),
        }
    }

    /// `git ARGS` in the repository, stdout and stderr captured, stdin
    /// closed.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("git");
        c.arg("--no-pager")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// What `git ARGS` prints; its stderr as the error when it fails.
    pub fn output(&self, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let out = self.command(args).output().map_err(GitError::Spawn)?;
        if !out.status.success() {
            return Err(GitError::Failed(
                String::from_utf8_lossy(&out.stderr).trim().to_string(),
            ));
        }
        Ok(out.stdout)
    }

    /// The git directory; [`GitError::NotARepository`] outside one.
    pub fn git_dir(&self) -> Result<PathBuf, GitError> {
        match self.output(&["rev-parse", "--absolute-git-dir"]) {
            Ok(out) => Ok(PathBuf::from(String::from_utf8_lossy(&out).trim())),
            Err(GitError::Failed(_)) => Err(GitError::NotARepository(self.dir.clone())),
            Err(e) => Err(e),
        }
    }

    /// The commit a revision names (its full id).
    pub fn commit_of(&self, rev: &str) -> Result<String, GitError> {
        let spec = format!("{rev}^{{commit}}");
        match self.output(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ]) {
            Ok(out) => Ok(String::from_utf8_lossy(&out).trim().to_string()),
            Err(GitError::Failed(_)) => Err(GitError::UnknownRevision(rev.to_string())),
            Err(e) => Err(e),
        }
    }
}
