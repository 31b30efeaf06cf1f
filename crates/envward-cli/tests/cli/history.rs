//! `snapshot`, `history`, `diff --since` and the `history.unrecorded-change`
//! rule through the binary: keys and keyed fingerprints, never a value.

use crate::harness::{Project, Run};

const TOKEN: &str = "SENTINEL-history-token-5e4d3c2b1a09";
const TOKEN2: &str = "SENTINEL-history-token-rotated-8f7e6d";
const KEY: &str = "team-fingerprint-key-for-tests";

fn project() -> Project {
    Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n\n[environments.development]\n",
        ),
        (
            ".env.production",
            &format!("PORT=8000\nDEBUG=False\nAPI_TOKEN={TOKEN}\nOLD=1\n"),
        ),
        (".env.development", "PORT=8000\nDEBUG=True\n"),
    ])
    .env("ENVWARD_FINGERPRINT_KEY", KEY)
}

/// Every file under .envward/, concatenated.
fn state_files(p: &Project) -> String {
    let mut all = String::new();
    if let Ok(dir) = std::fs::read_dir(p.join(".envward")) {
        for e in dir {
            all.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap_or_default());
        }
    }
    all
}

#[track_caller]
fn no_sentinel(p: &Project, runs: &[&Run]) {
    let files = state_files(p);
    assert!(
        !files.contains("SENTINEL"),
        ".envward/ holds a value:\n{files}"
    );
    for r in runs {
        assert!(!r.stdout().contains("SENTINEL"), "{}", r.stdout());
        assert!(!r.stderr().contains("SENTINEL"), "{}", r.stderr());
    }
}

fn snapshot(p: &Project, env: &str, message: &str) -> String {
    let r = p.run(&["snapshot", "-e", env, "-m", message]).ok();
    let id = r.stdout().trim().to_string();
    assert_eq!(id.len(), 12, "{}", r.stdout());
    id
}

#[test]
fn history_shows_added_removed_changed_and_type_changed_keys_newest_first() {
    let p = project();
    let first = snapshot(&p, "production", "first");
    p.write(
        ".env.production",
        format!("PORT=http://x.example\nDEBUG=False\nAPI_TOKEN={TOKEN2}\nNEW=1\n"),
    );
    let second = snapshot(&p, "production", "second");
    let text = p.run(&["history", "-e", "production"]).ok();
    let out = text.stdout();
    let (a, b) = (out.find(&second).unwrap(), out.find(&first).unwrap());
    assert!(a < b, "newest first:\n{out}");
    for want in [
        "+ NEW",
        "- OLD",
        "~ API_TOKEN  changed  (sensitive)",
        "~ PORT  type changed: int → url",
        "first snapshot of production: 4 keys",
        "\"second\"",
    ] {
        assert!(out.contains(want), "{want} missing:\n{out}");
    }
    assert!(
        !out.contains("DEBUG"),
        "unchanged keys are not listed:\n{out}"
    );

    let json = p
        .run(&["history", "-e", "production", "--format", "json"])
        .ok();
    let v = json.json();
    assert_eq!(v[0]["id"], second.as_str());
    assert_eq!(v[0]["previous"], first.as_str());
    let changes: Vec<(String, String)> = v[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("API_TOKEN".into(), "changed".into()),
            ("NEW".into(), "added".into()),
            ("OLD".into(), "removed".into()),
            ("PORT".into(), "type-changed".into())
        ]
    );
    // One key's history.
    let one = p.run(&["history", "-e", "production", "API_TOKEN"]).ok();
    assert!(one.stdout().contains("~ API_TOKEN"), "{}", one.stdout());
    assert!(!one.stdout().contains("PORT"), "{}", one.stdout());
    no_sentinel(&p, &[&text, &json, &one]);
    // The history file: keys, fingerprints, kinds of non-secrets only.
    let file = std::fs::read_to_string(p.join(".envward/history.jsonl")).unwrap();
    assert_eq!(file.lines().count(), 2);
    let line: serde_json::Value = serde_json::from_str(file.lines().next().unwrap()).unwrap();
    assert_eq!(line["keys"]["API_TOKEN"]["sensitive"], true);
    assert!(line["keys"]["API_TOKEN"]["kind"].is_null());
    assert_eq!(line["keys"]["PORT"]["kind"], "int");
    assert_eq!(line["message"], "first");
    assert_eq!(
        line["keys"]["API_TOKEN"]["fp"].as_str().unwrap().len(),
        16,
        "{line}"
    );
}

#[test]
fn fingerprints_depend_on_the_key_and_differ_between_keys_with_one_value() {
    let p = Project::with(&[(
        ".env.production",
        "A_TOKEN=same-value-1234\nB_TOKEN=same-value-1234\n",
    )]);
    let with = |key: &str| {
        let r = p
            .run_env(
                &["snapshot", "-e", "production"],
                &[("ENVWARD_FINGERPRINT_KEY", key)],
                &[],
            )
            .ok();
        let id = r.stdout().trim().to_string();
        let file = std::fs::read_to_string(p.join(".envward/history.jsonl")).unwrap();
        let line = file.lines().find(|l| l.contains(&id)).unwrap().to_string();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        (
            v["keys"]["A_TOKEN"]["fp"].as_str().unwrap().to_string(),
            v["keys"]["B_TOKEN"]["fp"].as_str().unwrap().to_string(),
        )
    };
    let (a1, b1) = with("key-one");
    let (a2, _) = with("key-two");
    assert_ne!(a1, b1, "equal values of two keys must not show as equal");
    assert_ne!(a1, a2, "another key, other fingerprints");
    // History across keys compares keys, not values.
    let h = p.run(&["history", "-e", "production"]).ok();
    assert!(h.stdout().contains("another key"), "{}", h.stdout());
}

#[test]
fn a_snapshot_needs_a_fingerprint_key() {
    let p = Project::with(&[(".env.production", "PORT=1\n")]);
    let r = p.run(&["snapshot", "-e", "production"]).expect_code(2);
    assert!(
        r.stderr().contains("ENVWARD_FINGERPRINT_KEY"),
        "{}",
        r.stderr()
    );
    assert!(!p.join(".envward/history.jsonl").exists());
    // With a home, the per-user key is created once (and named).
    let home = tempfile::tempdir().unwrap();
    let r = p
        .run_env(
            &["snapshot", "-e", "production"],
            &[("HOME", home.path().to_str().unwrap())],
            &[],
        )
        .ok();
    assert!(r.stderr().contains("fingerprint.key"), "{}", r.stderr());
    assert!(home.path().join(".config/envward/fingerprint.key").exists());
}

#[test]
fn all_envs_and_retention() {
    let p = project();
    p.write("envward.toml", "[environments.production]\nstrict = true\n\n[environments.development]\n\n[history]\nkeep = 2\n");
    for i in 0..3 {
        p.write(".env.development", format!("PORT={i}\n"));
        let r = p.run(&["snapshot", "--all-envs"]).ok();
        assert_eq!(r.stdout().lines().count(), 2, "{}", r.stdout());
    }
    let file = std::fs::read_to_string(p.join(".envward/history.jsonl")).unwrap();
    let count = |env: &str| {
        file.lines()
            .filter(|l| l.contains(&format!("\"environment\":\"{env}\"")))
            .count()
    };
    assert_eq!(
        (count("production"), count("development")),
        (2, 2),
        "{file}"
    );
    let v = p
        .run(&["history", "-e", "development", "--format", "json"])
        .ok()
        .json();
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[test]
fn diff_since_a_snapshot_or_a_date() {
    let p = project();
    let id = snapshot(&p, "production", "before");
    p.write(
        ".env.production",
        format!("PORT=8001\nDEBUG=False\nAPI_TOKEN={TOKEN2}\nNEW=2\n"),
    );
    let r = p
        .run(&[
            "diff",
            "-e",
            "production",
            "--since",
            &id[..6],
            "--exit-code",
        ])
        .expect_code(1);
    let out = r.stdout();
    for want in [
        &format!("production at snapshot {id}") as &str,
        "+ NEW",
        "- OLD",
        "~ PORT: changed (fingerprint",
        "~ API_TOKEN: changed (sensitive, fingerprint",
        "1 unchanged",
    ] {
        assert!(out.contains(want), "{want} missing:\n{out}");
    }
    // A time after the snapshot names it; JSON too.
    let json = p
        .run(&[
            "diff",
            "-e",
            "production",
            "--since",
            "2999-01-01",
            "--format",
            "json",
        ])
        .ok();
    let v = json.json();
    assert_eq!(v["added"][0]["key"], "NEW");
    assert!(
        v["changed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["left"].is_null() && c["right"].is_null())
    );
    // Unknown ids and dates before the first snapshot list the valid ones.
    for bad in ["abcdef99", "2001-01-01", "not-a-date"] {
        let e = p
            .run(&["diff", "-e", "production", "--since", bad])
            .expect_code(2);
        assert!(e.stderr().contains(&id), "{bad}: {}", e.stderr());
        assert!(e.stderr().contains("help:"), "{}", e.stderr());
    }
    let none = p
        .run(&["diff", "-e", "development", "--since", "1 day"])
        .expect_code(2);
    assert!(
        none.stderr().contains("`development` has no snapshot"),
        "{}",
        none.stderr()
    );
    no_sentinel(&p, &[&r, &json]);
}

#[test]
fn unrecorded_changes_of_production_are_warned() {
    let p = project();
    let rules = |p: &Project| -> Vec<(String, String)> {
        let v = p.check_json("production");
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "history.unrecorded-change")
            .map(|f| {
                (
                    f["key"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // No snapshot: nothing to compare with.
    assert!(rules(&p).is_empty());
    let id = snapshot(&p, "production", "deployed");
    assert!(rules(&p).is_empty(), "quiet right after a snapshot");
    p.write(
        ".env.production",
        format!("PORT=8000\nDEBUG=False\nAPI_TOKEN={TOKEN2}\nOLD=1\nNEW=1\n"),
    );
    let fired = rules(&p);
    let keys: Vec<&str> = fired.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["API_TOKEN", "NEW"], "{fired:?}");
    assert!(
        fired[0].1.contains(&id) && fired[0].1.contains("changed"),
        "{fired:?}"
    );
    // Not in development, which is not strict.
    p.write(".env.development", "PORT=1\n");
    snapshot(&p, "development", "x");
    p.write(".env.development", "PORT=2\n");
    let dev = p.check_json("development");
    assert!(
        !dev.to_string().contains("history.unrecorded-change"),
        "{dev}"
    );
    // Without the key the snapshot was made with, only keys are compared.
    let v = p
        .run_env(
            &[
                "check",
                "-e",
                "production",
                "--format",
                "json",
                "--fail-on",
                "never",
            ],
            &[],
            &["ENVWARD_FINGERPRINT_KEY"],
        )
        .ok()
        .json();
    let keys: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "history.unrecorded-change")
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["NEW"], "{v}");
    // Recording the change silences it.
    snapshot(&p, "production", "reviewed");
    assert!(rules(&p).is_empty());
}

#[test]
fn a_corrupt_history_line_is_reported_with_its_number_and_skipped() {
    let p = project();
    snapshot(&p, "production", "one");
    let mut text = std::fs::read_to_string(p.join(".envward/history.jsonl")).unwrap();
    text.push_str("{\"id\": broken\n");
    p.write(".envward/history.jsonl", &text);
    snapshot(&p, "production", "two");
    let r = p.run(&["history", "-e", "production"]).ok();
    assert!(
        r.stderr().contains(".envward/history.jsonl:2:"),
        "{}",
        r.stderr()
    );
    assert!(r.stderr().contains("skipped"), "{}", r.stderr());
    assert!(r.stdout().contains("\"two\""), "{}", r.stdout());
    assert!(r.stdout().contains("\"one\""), "{}", r.stdout());
}
