//! A temporary project and a way to run `envward` in it with a controlled
//! process environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

/// A temporary project directory.
pub struct Project {
    pub dir: tempfile::TempDir,
    env: BTreeMap<String, String>,
}

impl Project {
    pub fn new() -> Self {
        let mut env = BTreeMap::new();
        env.insert(
            "PATH".to_string(),
            std::env::var("PATH").unwrap_or_default(),
        );
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
            env,
        }
    }

    /// A project with the given files (path, contents).
    pub fn with(files: &[(&str, &str)]) -> Self {
        let p = Self::new();
        for (path, contents) in files {
            p.write(path, contents);
        }
        p
    }

    /// A copy of examples/webapp.
    pub fn webapp() -> Self {
        let p = Self::new();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/webapp");
        copy_dir(&src, p.path());
        p
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// Sets a variable in the process environment envward runs with.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.insert(key.to_string(), value.to_string());
        self
    }

    /// `envward ARGS` in the project, with only PATH (and what `env` set)
    /// in its environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("envward").expect("binary built");
        c.current_dir(self.path())
            .env_clear()
            .envs(&self.env)
            .args(args);
        c
    }

    /// `envward ARGS` like [`Project::cmd`], as a `std::process::Command`
    /// (to spawn it and talk to it while it runs).
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("envward"));
        c.current_dir(self.path())
            .env_clear()
            .envs(&self.env)
            .args(args);
        c
    }

    /// `envward keygen --output IDENTITY`; returns the recipient.
    #[track_caller]
    pub fn keygen(&self, identity: &Path) -> String {
        let recipient = self
            .run(&["keygen", "--output", identity.to_str().unwrap()])
            .ok()
            .stdout()
            .trim()
            .to_string();
        assert!(recipient.starts_with("age1"), "{recipient}");
        recipient
    }

    /// `check -e ENV --format json --fail-on never` (ENV `--all-envs` checks
    /// every environment), asserting exit 0, as JSON.
    #[track_caller]
    pub fn check_json(&self, env: &str) -> serde_json::Value {
        self.check_json_with(env, &[], &[])
    }

    /// [`Self::check_json`] with more arguments (`--profile django`) and
    /// variables set for this run only.
    pub fn check_json_with(
        &self,
        env: &str,
        more: &[&str],
        set: &[(&str, &str)],
    ) -> serde_json::Value {
        let mut args = vec!["check", "--format", "json", "--fail-on", "never"];
        match env {
            "--all-envs" => args.push("--all-envs"),
            env => args.extend(["-e", env]),
        }
        args.extend_from_slice(more);
        self.run_env(&args, set, &[]).ok().json()
    }

    /// Runs and returns the output, whatever the status.
    pub fn run(&self, args: &[&str]) -> Run {
        Run(self.cmd(args).output().expect("envward runs"))
    }

    /// Runs with variables set (`set`) and removed (`remove`) for this run only.
    pub fn run_env(&self, args: &[&str], set: &[(&str, &str)], remove: &[&str]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in set {
            c.env(k, v);
        }
        for k in remove {
            c.env_remove(k);
        }
        Run(c.output().expect("envward runs"))
    }
}

/// The permission bits of `path` (not following a link).
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// The output of one run.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.0.status.code()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code(),
            Some(code),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout()))
    }

    /// Asserts that stderr says `needle`.
    #[track_caller]
    pub fn says(&self, needle: &str) -> &Self {
        assert!(
            self.stderr().contains(needle),
            "expected `{needle}` on stderr:\n{}",
            self.stderr()
        );
        self
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        self.expect_code(0)
    }
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let to = dst.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), to).unwrap();
        }
    }
}

/// Whether `tool` is on PATH. Under `CI=true` a missing tool fails the
/// test (CI installs every tool the tests need); elsewhere the test notes
/// it and is skipped by returning early.
#[track_caller]
pub fn require_tool(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()));
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`{tool}` is not installed: .ci/run must install it"
        );
        eprintln!("note: `{tool}` is not installed; skipping this test (it fails under CI=true)");
    }
    found
}
