//! `scan --git`: secrets in a repository's history, through the binary
//! over real repositories: removed from the tree but still in history,
//! one finding per secret however often committed, `--since`, `--all`,
//! merges, known values, reports, baselines and bad input.

use serde_json::Value;

use crate::harness::{Project, require_tool};
use crate::scan::{ALNUM, random};

const FP_KEY: &str = "test-fingerprint-key-0123456789";

/// A fake Stripe live key (built at run time: no token-shaped text in the
/// repository).
fn stripe(seed: u64) -> String {
    format!("sk_live_{}", random(ALNUM, 24, seed))
}

/// A repository in a fresh project, commits dated from 2026-01-01 on.
struct Repo {
    p: Project,
    day: std::cell::Cell<u32>,
}

impl Repo {
    fn new() -> Option<Repo> {
        Repo::in_project(Project::new().env("ENVWARD_FINGERPRINT_KEY", FP_KEY))
    }

    fn in_project(p: Project) -> Option<Repo> {
        if !require_tool("git") {
            return None;
        }
        let r = Repo {
            p,
            day: std::cell::Cell::new(0),
        };
        r.git(&["init", "-q", "-b", "main"]);
        Some(r)
    }

    fn git(&self, args: &[&str]) -> String {
        let day = self.day.get();
        let date = format!("2026-01-{:02}T12:00:00+00:00", day.max(1));
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(self.p.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Writes the files (an empty content removes the file), commits them
    /// all, returns the commit id. Each commit is a day later.
    fn commit(&self, files: &[(&str, &str)], message: &str) -> String {
        for (path, text) in files {
            if text.is_empty() {
                let _ = std::fs::remove_file(self.p.join(path));
            } else {
                self.p.write(path, text);
            }
        }
        self.day.set(self.day.get() + 1);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn scan(&self, args: &[&str]) -> (Option<i32>, Value, String) {
        let mut all = vec!["scan", "--git", "--format", "json"];
        all.extend(args);
        let r = self.p.run(&all);
        let v = serde_json::from_str(&r.stdout())
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout(), r.stderr()));
        (r.code(), v, r.stderr())
    }
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

#[test]
fn a_secret_removed_from_the_tree_is_still_found_in_history() {
    let Some(r) = Repo::new() else { return };
    let key = stripe(1);
    let first = r.commit(
        &[("app/settings.py", &format!("STRIPE = \"{key}\"\n"))],
        "add settings",
    );
    r.commit(&[("README.md", "hello\n")], "docs");
    r.commit(&[("app/settings.py", "")], "remove the key");
    // The working tree is clean…
    r.p.run(&["scan"]).ok();
    // …its history is not.
    let (code, v, stderr) = r.scan(&[]);
    assert_eq!(code, Some(1), "{v:#}\n{stderr}");
    let f = &findings(&v)[0];
    assert_eq!(findings(&v).len(), 1, "{v:#}");
    assert_eq!(f["rule"], "scan.stripe-live-key");
    let loc = &f["location"];
    assert_eq!(loc["path"], "app/settings.py");
    assert_eq!(loc["line"], 1);
    assert_eq!(loc["column"], 11);
    assert_eq!(loc["commit"], first);
    assert_eq!(loc["author_date"], "2026-01-01T12:00:00Z");
    assert_eq!(loc["commits"], 1);
    assert!(!v.to_string().contains(&key), "the secret is shown");
    assert!(stderr.contains("read 3 commits"), "{stderr}");
    // stderr is not a terminal here: no progress bar, no escape sequence.
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b') && !stderr.contains("scanning"),
        "{stderr:?}"
    );
}

#[test]
fn one_secret_committed_many_times_is_one_finding() {
    let Some(r) = Repo::new() else { return };
    let key = stripe(2);
    let other = stripe(3);
    let a = r.commit(&[("a.py", &format!("K = \"{key}\"\n"))], "a");
    // Edited around the secret: a new version of the file, same secret.
    r.commit(&[("a.py", &format!("import os\nK = \"{key}\"\n"))], "b");
    r.commit(&[("unrelated.txt", "x\n")], "c");
    // Copied elsewhere, with another secret.
    let d = r.commit(
        &[("lib/b.py", &format!("K = '{key}'\nL = '{other}'\n"))],
        "d",
    );
    let (code, v, _) = r.scan(&[]);
    assert_eq!(code, Some(1));
    let fs = findings(&v);
    assert_eq!(fs.len(), 2, "{v:#}");
    let mine = fs
        .iter()
        .find(|f| f["location"]["path"] == "a.py")
        .expect("the first place of the secret");
    let loc = &mine["location"];
    assert_eq!(loc["commit"], a);
    assert_eq!(loc["last_commit"], d);
    assert_eq!(loc["last_author_date"], "2026-01-04T12:00:00Z");
    assert_eq!(loc["commits"], 3, "{loc:#}");
    let theirs = fs
        .iter()
        .find(|f| f["location"]["path"] == "lib/b.py")
        .unwrap();
    assert_eq!(theirs["location"]["line"], 2);
    assert_eq!(theirs["location"]["commits"], 1);
    // The text report names the commit, its date and the span.
    let text = r.p.run(&["scan", "--git"]).expect_code(1).stdout();
    let line = format!(
        "a.py:1:6 @ {} (2026-01-01), 3 commits up to {} (2026-01-04)",
        &a[..12],
        &d[..12]
    );
    assert!(text.contains(&line), "{text}");
    // SARIF carries the commit in the result's properties.
    let sarif =
        r.p.run(&["scan", "--git", "--format", "sarif"])
            .expect_code(1);
    let log: Value = serde_json::from_str(&sarif.stdout()).unwrap();
    let props: Vec<&Value> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["properties"])
        .collect();
    assert!(
        props
            .iter()
            .any(|p| p["commit"] == a.as_str() && p["commits"] == 3),
        "{props:?}"
    );
    let _: serde_sarif::sarif::Sarif = serde_json::from_str(&sarif.stdout()).expect("valid SARIF");
    crate::sarif_schema::assert_valid_sarif(&sarif.stdout());
    for out in [v.to_string(), text, sarif.stdout(), sarif.stderr()] {
        assert!(
            !out.contains(&key) && !out.contains(&other),
            "a secret is shown"
        );
    }
}

#[test]
fn since_reads_only_the_later_commits() {
    let Some(r) = Repo::new() else { return };
    let old = stripe(4);
    let new = stripe(5);
    let a = r.commit(&[("a.py", &format!("K = \"{old}\"\n"))], "a");
    let b = r.commit(&[("b.py", &format!("K = \"{new}\"\n"))], "b");
    let (code, v, stderr) = r.scan(&["--since", &a]);
    assert_eq!(code, Some(1));
    let fs = findings(&v);
    assert_eq!(fs.len(), 1, "{v:#}");
    assert_eq!(fs[0]["location"]["commit"], b);
    assert!(stderr.contains("read 1 commit "), "{stderr}");
    // Nothing after HEAD: clean.
    r.scan(&["--since", "HEAD"])
        .0
        .eq(&Some(0))
        .then_some(())
        .expect("clean");
    // A revision that names nothing is bad input.
    let out =
        r.p.run(&["scan", "--git", "--since", "no-such-rev"])
            .expect_code(2);
    assert!(
        out.stderr()
            .contains("`no-such-rev` does not name a commit"),
        "{}",
        out.stderr()
    );
    // Nor is it an option smuggled to git.
    r.p.run(&["scan", "--git", "--since=--all"]).expect_code(2);
}

#[test]
fn all_reads_every_ref() {
    let Some(r) = Repo::new() else { return };
    r.commit(&[("a.txt", "a\n")], "a");
    r.git(&["checkout", "-q", "-b", "feature"]);
    let key = stripe(6);
    let f = r.commit(&[("f.py", &format!("K = \"{key}\"\n"))], "feature");
    r.git(&["checkout", "-q", "main"]);
    let (code, _, _) = r.scan(&[]);
    assert_eq!(code, Some(0), "the branch is not reachable from HEAD");
    let (code, v, _) = r.scan(&["--all"]);
    assert_eq!(code, Some(1));
    assert_eq!(findings(&v)[0]["location"]["commit"], f);
}

#[test]
fn a_secret_written_by_a_merge_is_found() {
    let Some(r) = Repo::new() else { return };
    r.commit(&[("conf.ini", "[a]\nx = 1\n")], "base");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.commit(&[("conf.ini", "[a]\nx = 2\n")], "side");
    r.git(&["checkout", "-q", "main"]);
    r.commit(&[("conf.ini", "[a]\nx = 3\n")], "main");
    // A conflicting merge, resolved with a secret neither side had.
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(r.p.path())
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(["merge", "-q", "side"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the merge was expected to conflict");
    let key = stripe(7);
    let merge = r.commit(
        &[("conf.ini", &format!("[a]\nx = 4\nkey = {key}\n"))],
        "merge",
    );
    let (code, v, _) = r.scan(&[]);
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!(findings(&v)[0]["location"]["commit"], merge);
    assert_eq!(findings(&v)[0]["location"]["line"], 3);
}

#[test]
fn known_values_baselines_and_allow_comments_work_in_history() {
    let p = crate::redact::project().env("ENVWARD_FINGERPRINT_KEY", FP_KEY);
    let Some(r) = Repo::in_project(p) else { return };
    r.p.write(".gitignore", ".env.production\nbaseline.json\n");
    let key = stripe(8);
    r.commit(
        &[
            ("logs/app.log", &format!("token={}\n", crate::redact::TOKEN)),
            (
                "ok.py",
                &format!("K = \"{key}\"  # envward:allow test key\n"),
            ),
        ],
        "logs",
    );
    r.commit(&[("logs/app.log", "")], "rm logs");
    let (code, v, _) = r.scan(&[]);
    assert_eq!(code, Some(1));
    let fs = findings(&v);
    assert_eq!(fs.len(), 1, "{v:#}");
    assert_eq!(fs[0]["rule"], "scan.known-value");
    assert_eq!(fs[0]["key"], "API_TOKEN");
    assert!(!v.to_string().contains(crate::redact::TOKEN));
    // A baseline of the history accepts it, in history and in the tree.
    r.p.run(&[
        "scan",
        "--git",
        "--baseline",
        "baseline.json",
        "--update-baseline",
    ])
    .ok();
    r.p.run(&["scan", "--git", "--baseline", "baseline.json"])
        .ok();
    r.p.write("again.log", crate::redact::TOKEN);
    r.p.run(&["scan", "--baseline", "baseline.json"]).ok();
}

#[test]
fn git_outside_a_repository_and_an_empty_repository() {
    if !require_tool("git") {
        return;
    }
    let p = Project::new();
    let out = p.run(&["scan", "--git"]).expect_code(2);
    assert!(
        out.stderr().contains("not in a git repository"),
        "{}",
        out.stderr()
    );
    assert!(out.stderr().contains("help:"), "{}", out.stderr());
    // --all and --since only make sense with --git.
    p.run(&["scan", "--all"]).expect_code(2);
    // A repository without a commit has no history: clean.
    let Some(r) = Repo::new() else { return };
    let (code, v, _) = r.scan(&[]);
    assert_eq!(code, Some(0), "{v:#}");
    r.scan(&["--all"]);
}
