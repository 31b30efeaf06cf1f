//! The audit log through the binary: what is recorded (changes, reads of
//! secrets where configured, failed decryptions), `log`, `log verify` and
//! `log analyze`, concurrent appends and processes killed mid-append.
//! Never a value.

use crate::harness::{Project, Run};

const TOKEN: &str = "SENTINEL-audit-token-9a8b7c6d5e4f";
const NEW_TOKEN: &str = "SENTINEL-audit-token-new-1f2e3d4c";

fn project() -> Project {
    Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n\n[environments.development]\n",
        ),
        (
            ".env.production",
            &format!("PORT=8000\nDEBUG=False\nAPI_TOKEN={TOKEN}\n"),
        ),
        (
            ".env.development",
            &format!("PORT=8000\nAPI_TOKEN={TOKEN}\n"),
        ),
    ])
    .env("USER", "alice")
}

fn log_text(p: &Project) -> String {
    std::fs::read_to_string(p.join(".envward/audit.log")).unwrap_or_default()
}

fn entries(p: &Project) -> Vec<serde_json::Value> {
    log_text(p)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[track_caller]
fn no_sentinel(p: &Project, runs: &[&Run]) {
    for e in std::fs::read_dir(p.join(".envward")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap_or_default();
        assert!(!text.contains("SENTINEL"), "a value in .envward/:\n{text}");
    }
    for r in runs {
        assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
        assert!(!r.stderr().contains("SENTINEL"), "{}", r.stderr());
    }
}

#[track_caller]
fn verify(p: &Project) -> Run {
    p.run(&["log", "verify"])
}

#[test]
fn changes_and_reads_of_secrets_are_recorded_without_values() {
    let p = project();
    p.run(&["set", "PORT", "9000", "-e", "production"]).ok();
    p.cmd(&["set", "API_TOKEN", "-e", "production", "--plain"])
        .write_stdin(NEW_TOKEN)
        .assert()
        .success();
    let get = p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    assert_eq!(get.stdout().trim(), NEW_TOKEN);
    p.run(&["get", "PORT", "-e", "production"]).ok();
    p.run(&["export", "-e", "production", "--no-check"]).ok();
    p.run(&["run", "-e", "production", "--no-check", "--", "true"])
        .ok();
    p.run(&["unset", "PORT", "-e", "production"]).ok();
    let e = entries(&p);
    let summary: Vec<(String, String, Vec<String>)> = e
        .iter()
        .map(|e| {
            (
                e["command"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
                e["keys"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|k| k.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let s = |c: &str, a: &str, k: &[&str]| {
        (
            c.to_string(),
            a.to_string(),
            k.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        summary,
        [
            s("set", "write", &["PORT"]),
            s("set", "write", &["API_TOKEN"]),
            // `get PORT` reveals no secret: not recorded.
            s("get", "read", &["API_TOKEN"]),
            s("export", "read", &["API_TOKEN"]),
            s("run", "read", &["API_TOKEN"]),
            s("unset", "write", &["PORT"]),
        ]
    );
    assert_eq!(e[0]["user"], "alice");
    assert_eq!(e[0]["environment"], "production");
    assert_eq!(e[0]["file"], ".env.production");
    assert_eq!(e[0]["prev"].as_str().unwrap(), "0".repeat(64));
    assert!(!e[0]["host"].as_str().unwrap().is_empty());
    let v = verify(&p).ok();
    assert!(v.stdout().contains("6 entries verified"), "{}", v.stdout());
    let shown = p.run(&["log"]).ok();
    let json = p.run(&["log", "--format", "json"]).ok();
    assert_eq!(json.json().as_array().unwrap().len(), 6);
    no_sentinel(&p, &[&get_without_value(&get), &shown, &json, &v]);
    #[cfg(unix)]
    assert_eq!(crate::harness::mode(&p.join(".envward/audit.log")), 0o600);
}

/// `get`'s stderr only (its stdout is the value asked for).
fn get_without_value(r: &Run) -> Run {
    let mut out = r.0.clone();
    out.stdout.clear();
    Run(out)
}

#[test]
fn reads_are_recorded_where_configured() {
    let p = project();
    // Development is not strict: reads are not recorded by default.
    p.run(&["get", "API_TOKEN", "-e", "development"]).ok();
    assert!(log_text(&p).is_empty());
    p.write(
        "envward.toml",
        "[environments.production]\nstrict = true\naudit_reads = false\n\n[environments.development]\naudit_reads = true\n",
    );
    p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    p.run(&["get", "API_TOKEN", "-e", "development"]).ok();
    let e = entries(&p);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0]["environment"], "development");
    // list --reveal and decrypt reveal secrets too.
    p.run(&["list", "-e", "development", "--reveal"]).ok();
    assert_eq!(entries(&p).last().unwrap()["command"], "list");
}

#[test]
fn log_filters_by_time_key_and_environment() {
    let p = project();
    p.run(&["set", "PORT", "9000", "-e", "production"]).ok();
    p.run(&["set", "PORT", "9001", "-e", "development"]).ok();
    p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    let n = |args: &[&str]| {
        let mut all = vec!["log", "--format", "json"];
        all.extend_from_slice(args);
        p.run(&all).ok().json().as_array().unwrap().len()
    };
    assert_eq!(n(&[]), 3);
    assert_eq!(n(&["-e", "production"]), 2);
    assert_eq!(n(&["--key", "API_TOKEN"]), 1);
    assert_eq!(n(&["--since", "2999-01-01"]), 0);
    assert_eq!(n(&["--since", "1 hour"]), 3);
    assert_eq!(n(&["--limit", "1"]), 1);
    // Newest first.
    let v = p.run(&["log", "--format", "json"]).ok().json();
    assert_eq!(v[0]["command"], "get");
    assert_eq!(v[0]["line"], 3);
    let bad = p.run(&["log", "--since", "whenever"]).expect_code(2);
    assert!(bad.stderr().contains("not a time"), "{}", bad.stderr());
}

/// The log's lines after `edit`, written back.
fn rewrite(p: &Project, edit: impl FnOnce(&mut Vec<String>)) {
    let mut lines: Vec<String> = log_text(p).lines().map(str::to_string).collect();
    edit(&mut lines);
    let mut text = lines.join("\n");
    text.push('\n');
    p.write(".envward/audit.log", text);
}

#[test]
fn verify_names_the_first_edited_deleted_inserted_or_reordered_line() {
    let p = project();
    for port in ["1", "2", "3", "4", "5"] {
        p.run(&["set", "PORT", port, "-e", "production"]).ok();
    }
    let original = log_text(&p);
    let head = verify(&p).ok().stdout();
    let head = head.split("head ").nth(1).unwrap().trim().to_string();
    type Edit = Box<dyn Fn(&mut Vec<String>)>;
    let cases: Vec<(&str, Edit, usize)> = vec![
        (
            "edited",
            Box::new(|l| l[2] = l[2].replace("alice", "mallory")),
            4,
        ),
        (
            "deleted",
            Box::new(|l| {
                l.remove(1);
            }),
            2,
        ),
        (
            "first deleted",
            Box::new(|l| {
                l.remove(0);
            }),
            1,
        ),
        (
            "inserted",
            Box::new(|l| {
                let copy = l[1].clone();
                l.insert(3, copy);
            }),
            4,
        ),
        ("reordered", Box::new(|l| l.swap(2, 3)), 3),
        (
            "corrupt",
            Box::new(|l| l[1] = "{\"time\": oops".to_string()),
            2,
        ),
    ];
    for (what, edit, line) in cases {
        p.write(".envward/audit.log", &original);
        rewrite(&p, edit);
        let r = verify(&p).expect_code(1);
        assert!(
            r.stdout().contains(&format!("audit.log:{line}:")),
            "{what}: expected line {line}:\n{}",
            r.stdout()
        );
        let json = p
            .run(&["log", "verify", "--format", "json"])
            .expect_code(1)
            .json();
        assert_eq!(json["line"], line, "{what}");
        assert_eq!(json["ok"], false);
    }
    // Lines cut off the end: only a head kept elsewhere tells.
    p.write(".envward/audit.log", &original);
    rewrite(&p, |l| {
        l.pop();
    });
    verify(&p).ok();
    let r = p.run(&["log", "verify", "--head", &head]).expect_code(1);
    assert!(r.stdout().contains("cut off"), "{}", r.stdout());
    p.write(".envward/audit.log", &original);
    p.run(&["log", "verify", "--head", &head]).ok();
}

#[test]
fn a_corrupt_line_is_reported_and_skipped_by_readers() {
    let p = project();
    p.run(&["set", "PORT", "1", "-e", "production"]).ok();
    p.run(&["set", "PORT", "2", "-e", "production"]).ok();
    rewrite(&p, |l| l.insert(1, "garbage".to_string()));
    let r = p.run(&["log", "--format", "json"]).ok();
    assert!(
        r.stderr().contains(".envward/audit.log:2:"),
        "{}",
        r.stderr()
    );
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    p.run(&["log", "analyze"]).ok();
    verify(&p).expect_code(1);
}

#[test]
fn failed_decryptions_are_recorded() {
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    let p = project().env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let recipient = p.keygen(&identity);
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    p.run(&["encrypt", "-e", "production"]).ok();
    // Another identity: get fails, and says so in the log.
    let other = keys.path().join("other.txt");
    p.keygen(&other);
    let r = p
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[("ENVWARD_IDENTITY_FILE", other.to_str().unwrap())],
            &[],
        )
        .expect_code(2);
    let e = entries(&p);
    let last = e.last().unwrap();
    assert_eq!(last["action"], "decrypt-failed", "{e:?}");
    assert_eq!(last["command"], "get");
    assert_eq!(last["environment"], "production");
    let commands: Vec<&str> = e.iter().map(|e| e["command"].as_str().unwrap()).collect();
    assert_eq!(commands, ["recipients", "encrypt", "get"], "{e:?}");
    assert!(
        e[0]["detail"]
            .as_str()
            .unwrap()
            .contains("added 1 recipient")
    );
    let a = p.run(&["log", "analyze"]).ok();
    assert!(
        a.stdout().contains("Failed decryptions: 1"),
        "{}",
        a.stdout()
    );
    let json = p.run(&["log", "analyze", "--format", "json"]).ok().json();
    assert_eq!(json["failed_decryptions"][0]["user"], "alice");
    assert_eq!(json["users"][0]["failed_decryptions"], 1);
    no_sentinel(&p, &[&r, &a]);
    verify(&p).ok();
}

#[test]
fn analyze_counts_changes_per_key_and_user_and_lists_secrets_never_rotated() {
    let p = project();
    p.write(".env.production", "PORT=8000\nDEBUG=False\nAPI_TOKEN=hand-written-value-123\nDB_PASSWORD=x-hand-written-456\n");
    p.cmd(&["set", "API_TOKEN", "-e", "production", "--plain"])
        .write_stdin(NEW_TOKEN)
        .assert()
        .success();
    p.run_env(
        &["set", "PORT", "1", "-e", "production"],
        &[("USER", "bob")],
        &[],
    )
    .ok();
    p.run_env(
        &["set", "PORT", "2", "-e", "production"],
        &[("USER", "bob")],
        &[],
    )
    .ok();
    let v = p.run(&["log", "analyze", "--format", "json"]).ok().json();
    let port = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == "PORT")
        .unwrap();
    assert_eq!(port["changes"], 2);
    assert_eq!(port["last_changed_by"], "bob");
    let users: Vec<(&str, u64)> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["user"].as_str().unwrap(), u["writes"].as_u64().unwrap()))
        .collect();
    assert_eq!(users, [("bob", 2), ("alice", 1)]);
    let never: Vec<(&str, &str)> = v["never_rotated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["environment"].as_str().unwrap(),
                n["key"].as_str().unwrap(),
            )
        })
        .collect();
    // API_TOKEN of production was set through envward (a rotation record).
    assert!(never.contains(&("production", "DB_PASSWORD")), "{never:?}");
    assert!(never.contains(&("development", "API_TOKEN")), "{never:?}");
    assert!(!never.contains(&("production", "API_TOKEN")), "{never:?}");
    let text = p.run(&["log", "analyze"]).ok();
    assert!(
        text.stdout().contains("Secrets never rotated"),
        "{}",
        text.stdout()
    );
    no_sentinel(&p, &[&text]);
}

#[cfg(unix)]
#[test]
fn a_read_only_state_directory_never_stops_run() {
    use std::os::unix::fs::PermissionsExt;
    let p = project();
    p.run(&["set", "PORT", "1", "-e", "production"]).ok();
    let dir = p.join(".envward");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    std::fs::set_permissions(
        dir.join("audit.log"),
        std::fs::Permissions::from_mode(0o400),
    )
    .unwrap();
    // Root ignores permissions: nothing to show then.
    let writable = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.join("audit.log"))
        .is_ok();
    let r = p
        .run(&["run", "-e", "production", "--no-check", "--", "true"])
        .ok();
    if !writable {
        assert_eq!(
            r.stderr().matches("audit log not written").count(),
            1,
            "{}",
            r.stderr()
        );
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::set_permissions(
        dir.join("audit.log"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    // A project directory where .envward/ cannot be created.
    let p = project();
    let blocker = p.join(".envward");
    std::fs::write(&blocker, "not a directory").unwrap();
    let r = p
        .run(&["run", "-e", "production", "--no-check", "--", "true"])
        .ok();
    assert_eq!(
        r.stderr().matches("audit log not written").count(),
        1,
        "{}",
        r.stderr()
    );
}

#[test]
fn concurrent_appends_never_interleave_or_lose_lines() {
    let p = project();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let mut cmd = p.std_cmd(&["get", "API_TOKEN", "-e", "production"]);
            std::thread::spawn(move || {
                for _ in 0..10 {
                    assert!(cmd.output().unwrap().status.success());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(entries(&p).len(), 80);
    let v = verify(&p).ok();
    assert!(v.stdout().contains("80 entries verified"), "{}", v.stdout());
}

#[cfg(unix)]
#[test]
fn processes_killed_mid_append_never_break_the_lines_before() {
    let p = project();
    let mut rng = 7u64;
    for round in 0..40 {
        let mut children: Vec<std::process::Child> = (0..4)
            .map(|_| {
                p.std_cmd(&["set", "PORT", &round.to_string(), "-e", "production"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        // A pseudo-random moment: some die before, some while, some after
        // appending.
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(std::time::Duration::from_micros((rng >> 33) % 8000));
        for c in &mut children {
            let _ = c.kill(); // SIGKILL
            let _ = c.wait();
        }
        // Whatever was killed, the lines before verify; only the last may
        // be incomplete.
        let text = log_text(&p);
        if text.is_empty() {
            continue;
        }
        let r = p.run(&["log", "verify", "--format", "json"]);
        let v = r.json();
        if v["ok"] != true {
            let lines = text.split_inclusive('\n').count();
            assert_eq!(v["line"], lines, "round {round}: {v}");
            assert!(v["problem"].as_str().unwrap().contains("incomplete"), "{v}");
        }
    }
    // The next append repairs an incomplete tail; the chain verifies.
    p.run(&["set", "PORT", "final", "-e", "production"]).ok();
    verify(&p).ok();
}

#[test]
fn log_check_alerts_on_bursts_of_failed_decryptions_and_unlisted_readers() {
    let keys = tempfile::tempdir().unwrap();
    let identity = keys.path().join("id.txt");
    let p = project().env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());
    let recipient = p.keygen(&identity);
    p.run(&["recipients", "add", "-e", "production", &recipient])
        .ok();
    p.run(&["encrypt", "-e", "production"]).ok();
    // Nothing yet: exit 0; the readers check did not run (no `readers`).
    let quiet = p.run(&["log", "check"]).ok();
    assert!(quiet.stdout().contains("not checked"), "{}", quiet.stdout());

    // mallory tries another identity 11 times.
    let other = keys.path().join("other.txt");
    p.keygen(&other);
    for _ in 0..11 {
        p.run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[
                ("ENVWARD_IDENTITY_FILE", other.to_str().unwrap()),
                ("USER", "mallory"),
            ],
            &[],
        )
        .expect_code(2);
    }
    let r = p.run(&["log", "check"]).expect_code(1);
    let out = r.stdout();
    assert!(out.contains("log.failed-decryptions"), "{out}");
    assert!(out.contains("mallory@"), "{out}");
    assert!(out.contains("11 times within 60 minutes"), "{out}");
    assert!(out.contains(".envward/audit.log:"), "{out}");
    for format in ["json", "sarif", "junit", "markdown"] {
        let r = p.run(&["log", "check", "--format", format]).expect_code(1);
        assert!(r.stdout().contains("log.failed-decryptions"), "{format}");
        no_sentinel(&p, &[&r]);
    }
    // A higher threshold: quiet.
    let toml = std::fs::read_to_string(p.join("envward.toml")).unwrap();
    p.write(
        "envward.toml",
        format!("{toml}\n[rules.\"log.failed-decryptions\"]\nmax_failures = 20\n"),
    );
    p.run(&["log", "check"]).ok();

    // Readers: production lists alice; bob reads its secrets.
    let toml = std::fs::read_to_string(p.join("envward.toml")).unwrap();
    p.write(
        "envward.toml",
        toml.replace(
            "[environments.production]\n",
            "[environments.production]\nreaders = [\"alice\"]\n",
        ),
    );
    p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    p.run(&["log", "check"]).ok();
    // (`get` prints the value: what is checked is the log and the report.)
    p.run_env(
        &["get", "API_TOKEN", "-e", "production"],
        &[("USER", "bob")],
        &[],
    )
    .ok();
    let r = p.run(&["log", "check", "--format", "json"]).expect_code(1);
    let json = r.json();
    let found: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["log.unexpected-reader"], "{json}");
    let message = json["findings"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("bob@"), "{message}");
    // `--fail-on never` reports and exits 0.
    p.run(&["log", "check", "--fail-on", "never"]).ok();
    no_sentinel(&p, &[&r]);
    verify(&p).ok();
}
