//! `status`: counts only, safe to expose.

use serde_json::Value;

use crate::harness::Project;

#[test]
fn counts_only_never_values() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n[vars.DB_URL]\nrequired = [\"production\"]\n",
        ),
        (".env", "APP=web\n"),
        (
            ".env.production",
            "API_TOKEN=SENTINEL-status-1\nHOST=SENTINEL-plain-2\n",
        ),
        (".env.staging", "BROKEN=${NOPE:?SENTINEL-message-3}\n"),
    ]);
    let r = p.run(&["status", "--format", "json"]).ok();
    assert!(
        !r.stdout().contains("SENTINEL") && !r.stderr().contains("SENTINEL"),
        "{}{}",
        r.stdout(),
        r.stderr()
    );
    let v: Value = r.json();
    let env = |name: &str| {
        v["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["environment"] == name)
            .unwrap()
            .clone()
    };
    let prod = env("production");
    assert_eq!(prod["keys"], 3);
    assert_eq!(prod["sensitive_keys"], 1);
    assert_eq!(prod["required_missing"], 1);
    assert_eq!(prod["files"], 2);
    assert_eq!(prod["strict"], true);
    assert_eq!(env("staging")["loads"], false);
    assert_eq!(v["last_check"], Value::Null);
    // No value length either: two secrets of different lengths give the same document.
    p.write(
        ".env.production",
        "API_TOKEN=SENTINEL-a-much-longer-secret-value-here\nHOST=x\n",
    );
    let r2 = p.run(&["status", "--format", "json"]).ok();
    assert_eq!(r.stdout(), r2.stdout());
    let r = p.run(&["status"]).ok();
    assert!(
        r.stdout().contains("production     3 keys (1 sensitive)"),
        "{}",
        r.stdout()
    );
}

#[test]
fn the_last_check_is_recorded_when_the_project_keeps_dot_envward() {
    let p = Project::with(&[(".env", "A=1\n")]);
    p.run(&["check"]).ok();
    assert!(
        !p.join(".envward").exists(),
        "check creates nothing on its own"
    );
    std::fs::create_dir(p.join(".envward")).unwrap();
    p.run(&["check"]).ok();
    let v: Value = p.run(&["status", "--format", "json"]).ok().json();
    assert_eq!(v["last_check"]["errors"], 0);
    assert_eq!(v["last_check"]["environments"][0], "development");
    assert!(
        v["last_check"]["timestamp"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}
