//! `list` of a large environment: every variable is resolved when it is
//! written and dropped after (issue 18), and what it writes is what a
//! configuration kept whole gives: sorted, masked, with origins; errors
//! and warnings before any output.

use crate::harness::Project;

/// A sentinel secret: must never be printed unless revealed.
const SENTINEL: &str = "sk_live_Zq8vW3nR5tY7uI9oP1aS";

/// 3,000 keys written in an order that is not sorted, a secret, a
/// reference, and a file that overrides some of them.
fn large() -> Project {
    let mut shared = String::new();
    for i in (0..3000).rev() {
        shared.push_str(&format!("KEY_{i}=value_{i}\n"));
    }
    shared.push_str(&format!(
        "STRIPE_SECRET_KEY={SENTINEL}\nURL=http://${{KEY_7}}/x\n"
    ));
    Project::with(&[
        (".env", &shared),
        (".env.production", "KEY_10=prod_10\nKEY_2999=prod_2999\n"),
    ])
}

#[test]
fn list_of_a_large_file_is_sorted_masked_and_has_origins() {
    let p = large();
    let v = p
        .run(&["list", "-e", "production", "--format", "json"])
        .ok()
        .json();
    let vars = v["vars"].as_array().expect("vars");
    assert_eq!(vars.len(), 3002);
    let keys: Vec<&str> = vars.iter().map(|v| v["key"].as_str().unwrap()).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted);
    let find = |k: &str| vars.iter().find(|v| v["key"] == k).expect(k).clone();
    let secret = find("STRIPE_SECRET_KEY");
    assert_eq!(secret["value"], "[redacted]");
    assert_eq!(secret["sensitive"], true);
    assert_eq!(find("URL")["value"], "http://value_7/x");
    assert_eq!(find("KEY_10")["value"], "prod_10");
    assert_eq!(find("KEY_10")["origin"]["path"], ".env.production");
    assert_eq!(find("KEY_10")["origin"]["line"], 1);
    // Written in reverse: KEY_0 is on line 3000.
    assert_eq!(find("KEY_0")["origin"]["path"], ".env");
    assert_eq!(find("KEY_0")["origin"]["line"], 3000);

    let text = p.run(&["list", "-e", "production"]).ok().stdout();
    assert!(!text.contains(SENTINEL));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3002);
    // Origins line up after the values, whichever line measured them.
    let column = lines[0].find(".env").expect("origin");
    assert!(
        lines.iter().all(|l| l.find(".env") == Some(column)),
        "{text}"
    );
    assert!(lines[0].starts_with("KEY_0 "), "{}", lines[0]);
    assert!(text.contains("STRIPE_SECRET_KEY  [redacted]"), "{text}");

    let revealed = p
        .run(&["list", "-e", "production", "--reveal", "--format", "json"])
        .ok()
        .stdout();
    assert!(revealed.contains(SENTINEL));
    let keys_only = p.run(&["list", "-e", "production", "--keys-only"]).ok();
    assert_eq!(keys_only.stdout().lines().collect::<Vec<_>>(), sorted);
}

#[test]
fn list_fails_before_writing_anything() {
    // The bad reference is in the key that sorts last: nothing of the
    // keys before it is written.
    let mut text = String::new();
    for i in 0..500 {
        text.push_str(&format!("KEY_{i}=value_{i}\n"));
    }
    text.push_str("ZZZ=${NOWHERE:?must be set}\n");
    let p = Project::with(&[(".env", &text)]);
    for format in ["text", "json"] {
        let r = p.run(&["list", "--format", format]).expect_code(2);
        assert_eq!(r.stdout(), "", "{format}");
        assert!(r.stderr().contains(".env:501:"), "{}", r.stderr());
    }
}

#[test]
fn list_warns_of_a_key_in_two_namespaces_before_the_list() {
    let p = Project::with(&[
        ("env/api.env", "PORT=8000\nA=1\n"),
        ("env/web.env", "PORT=3000\n"),
    ]);
    let r = p.run(&["list", "--format", "json"]).ok();
    assert!(
        r.stderr()
            .contains("`PORT` is defined in namespaces `api` and `web`"),
        "{}",
        r.stderr()
    );
    let v = r.json();
    assert_eq!(v["vars"].as_array().unwrap().len(), 2);
}

#[test]
fn list_fails_before_writing_anything_on_a_key_file_of_the_process() {
    // `B_FILE` of the process wins over the file's `B` and names no
    // file; `UNRELATED_FILE` names no key and is never read.
    let missing = "/nonexistent/envward-b-secret";
    let p = Project::with(&[(".env", "A=1\nB=2\n")])
        .env("B_FILE", missing)
        .env("UNRELATED_FILE", missing);
    for format in ["text", "json"] {
        let r = p.run(&["list", "--format", format]).expect_code(2);
        assert_eq!(r.stdout(), "", "{format}");
        assert!(
            r.stderr().contains("envward-b-secret for `B`"),
            "{}",
            r.stderr()
        );
    }
    let p = Project::with(&[(".env", "A=1\nB=2\n")]).env("UNRELATED_FILE", missing);
    let v = p.run(&["list", "--format", "json"]).ok().json();
    assert_eq!(v["vars"].as_array().unwrap().len(), 2);
}
