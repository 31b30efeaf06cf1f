//! `export` in every format, with hostile values.

use crate::harness::Project;

/// Values that break naive quoting.
const HOSTILE: &[(&str, &str)] = &[
    ("SINGLE", "it's"),
    ("DOUBLE", "say \"hi\""),
    ("SUBST", "$(touch pwned) `touch pwned2` ${HOME}"),
    ("NEWLINES", "line1\nline2\r\nline3"),
    ("BACKSLASH", "C:\\path\\n\\\\"),
    ("UNICODE", "ünïcødé ✓ 日本"),
    ("SPACES", "  padded  "),
    ("HASH", "a #b"),
    ("EMPTY", ""),
    ("EQUALS", "a=b==c"),
];

fn hostile_project() -> Project {
    let mut doc = envward::dotenv::Document::new();
    for (k, v) in HOSTILE {
        doc.set(k, v).unwrap();
    }
    Project::with(&[(".env", doc.source())])
}

fn expected() -> serde_json::Value {
    HOSTILE
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
        .collect()
}

#[test]
fn json_round_trips() {
    let p = hostile_project();
    let r = p.run(&["export", "--format", "json"]).ok();
    let v: serde_json::Value = r.json();
    assert_eq!(v, expected());
}

#[test]
fn dotenv_round_trips_through_the_parser() {
    let p = hostile_project();
    let r = p.run(&["export", "--format", "dotenv"]).ok();
    let q = Project::with(&[(".env", &r.stdout())]);
    let r = q.run(&["export", "--format", "json"]).ok();
    let v: serde_json::Value = r.json();
    assert_eq!(v, expected());
}

fn eval_in(shell: &str) {
    let p = hostile_project();
    let r = p.run(&["export", "--format", "shell"]).ok();
    p.write("exported.sh", r.stdout());
    let mut script = String::from(". ./exported.sh\n");
    for (k, _) in HOSTILE {
        script.push_str(&format!("printf '%s\\0' \"${k}\"\n"));
    }
    let out = std::process::Command::new(shell)
        .arg("-c")
        .arg(&script)
        .current_dir(p.path())
        .output()
        .unwrap_or_else(|e| panic!("{shell} must be installed: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<String> = out
        .stdout
        .split(|b| *b == 0)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    for (i, (k, v)) in HOSTILE.iter().enumerate() {
        assert_eq!(got[i], *v, "{shell}: {k}");
    }
    assert!(
        !p.join("pwned").exists() && !p.join("pwned2").exists(),
        "{shell} executed a value"
    );
}

#[test]
fn shell_output_is_safe_to_eval_in_sh() {
    eval_in("sh");
}

#[test]
fn shell_output_is_safe_to_eval_in_bash() {
    eval_in("bash");
}

#[test]
fn shell_refuses_keys_that_are_not_shell_names() {
    let p = Project::with(&[(".env", "my.key=1\n")]);
    let r = p.run(&["export", "--format", "shell"]).expect_code(2);
    assert!(r.stderr().contains("`my.key`"), "{}", r.stderr());
    assert!(r.stdout().is_empty());
}

#[test]
fn yaml_is_json_compatible() {
    let p = hostile_project();
    let r = p.run(&["export", "--format", "yaml"]).ok();
    // Every line is `"KEY": "json string"`, a YAML subset we can check
    // with a JSON parser.
    let mut map = serde_json::Map::new();
    for line in r.stdout().lines() {
        let (k, v) = line.split_once(": ").unwrap();
        map.insert(
            serde_json::from_str(k).unwrap(),
            serde_json::from_str(v).unwrap(),
        );
    }
    assert_eq!(serde_json::Value::Object(map), expected());
}

#[test]
fn k8s_secret_is_base64() {
    use base64::Engine;
    let p = hostile_project();
    let r = p
        .run(&["export", "--format", "k8s-secret", "--name", "api"])
        .ok();
    let out = r.stdout();
    assert!(
        out.starts_with(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: \"api\"\ntype: Opaque\ndata:\n"
        ),
        "{out}"
    );
    let line = out.lines().find(|l| l.contains("\"NEWLINES\"")).unwrap();
    let b64 = line.rsplit(' ').next().unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(decoded, b"line1\nline2\r\nline3");
}

#[test]
fn github_env_uses_heredocs_for_multiline() {
    let p = Project::with(&[(".env", "A=1\nB=\"x\\nENVWARD_EOF_0\\ny\"\n")]);
    let r = p.run(&["export", "--format", "github"]).ok();
    assert_eq!(
        r.stdout(),
        "A=1\nB<<ENVWARD_EOF_1\nx\nENVWARD_EOF_0\ny\nENVWARD_EOF_1\n"
    );
}

#[test]
fn docker_refuses_multiline_values() {
    let p = Project::with(&[(".env", "A=1\nB=\"x\\ny\"\n")]);
    let r = p.run(&["export", "--format", "docker"]).expect_code(2);
    assert!(
        r.stderr().contains("`B`") && r.stderr().contains("multi-line"),
        "{}",
        r.stderr()
    );
    let p = Project::with(&[(".env", "A=1\nB='x y'\n")]);
    assert_eq!(
        p.run(&["export", "--format", "docker"]).ok().stdout(),
        "A=1\nB=x y\n"
    );
}

#[test]
fn output_file_is_private() {
    let p = Project::with(&[(".env", "A=1\n")]);
    p.run(&["export", "--format", "json", "--output", "out.json"])
        .ok();
    let meta = std::fs::metadata(p.join("out.json")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    assert!(meta.len() > 0);
}
