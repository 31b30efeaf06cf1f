//! `scan`: the project's own values in every encoded form, provider
//! rules (and what they must not report), allow comments, baselines, the
//! walk (ignored, binary, large, FIFO, link loops), reports and exit codes,
//! and no secret in any output without `--reveal`.

use serde_json::Value;

use crate::harness::Project;
use crate::redact::{TOKEN, encoded_forms};

const FP_KEY: &str = "test-fingerprint-key-0123456789";

pub(crate) use envward::scan::fakes::{ALNUM, github_token, random};

const HEX: &str = "0123456789abcdef";
const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// (rule, line of a file holding one such secret, the secret).
fn positives() -> Vec<(&'static str, String, String)> {
    let r = |a: &str, n: usize, s: u64| random(a, n, s);
    let upper27 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut v: Vec<(&'static str, String)> = vec![
        ("aws-access-key-id", format!("AKIA{}", r(upper27, 16, 1))),
        ("github-token", github_token("ghp", 2)),
        ("github-app-token", github_token("ghs", 3)),
        (
            "github-fine-grained-token",
            format!("github_pat_{}_{}", r(ALNUM, 22, 4), r(ALNUM, 59, 5)),
        ),
        ("gitlab-token", format!("glpat-{}", r(ALNUM, 20, 6))),
        (
            "slack-token",
            format!(
                "xoxb-{}-{}-{}",
                r("0123456789", 12, 7),
                r("0123456789", 13, 8),
                r(ALNUM, 24, 9)
            ),
        ),
        ("stripe-live-key", format!("sk_live_{}", r(ALNUM, 24, 10))),
        ("google-api-key", format!("AIza{}", r(URLSAFE, 35, 11))),
        (
            "openai-api-key",
            format!("sk-proj-{}T3BlbkFJ{}", r(ALNUM, 20, 12), r(ALNUM, 20, 13)),
        ),
        (
            "anthropic-api-key",
            format!("sk-ant-api03-{}AA", r(URLSAFE, 93, 14)),
        ),
        (
            "huggingface-token",
            format!(
                "hf_{}",
                r(
                    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                    34,
                    15
                )
            ),
        ),
        ("npm-token", github_token("npm", 16)),
        (
            "pypi-token",
            format!("pypi-AgEIcHlwaS5vcmc{}", r(URLSAFE, 60, 17)),
        ),
        (
            "sendgrid-api-key",
            format!("SG.{}.{}", r(URLSAFE, 22, 18), r(URLSAFE, 43, 19)),
        ),
        (
            "telegram-bot-token",
            format!("{}:AA{}", r("123456789", 9, 20), r(URLSAFE, 33, 21)),
        ),
        (
            "discord-bot-token",
            format!(
                "M{}.{}.{}",
                r(ALNUM, 25, 22),
                r(ALNUM, 6, 23),
                r(ALNUM, 27, 24)
            ),
        ),
        ("digitalocean-token", format!("dop_v1_{}", r(HEX, 64, 25))),
        ("vault-token", format!("hvs.{}", r(URLSAFE, 91, 36))),
        (
            "age-secret-key",
            format!(
                "AGE-SECRET-KEY-1{}",
                r("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58, 37)
            ),
        ),
        ("doppler-token", format!("dp.st.{}", r(ALNUM, 40, 38))),
        (
            "grafana-service-account-token",
            format!("glsa_{}_{}", r(ALNUM, 32, 39), r(HEX, 8, 40)),
        ),
        ("databricks-token", format!("dapi{}", r(HEX, 32, 41))),
        ("shopify-token", format!("shpat_{}", r(HEX, 32, 26))),
        ("heroku-api-key", format!("HRKU-{}", r(URLSAFE, 60, 27))),
        (
            "mailgun-api-key",
            format!("key-{}", r("abcdefghijklmnopqrstuvwxyz0123456789", 32, 28)),
        ),
        (
            "jwt",
            format!(
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.{}",
                r(URLSAFE, 43, 29)
            ),
        ),
        (
            "slack-webhook",
            format!(
                "https://hooks.slack.com/services/T{}/B{}/{}",
                r("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8, 30),
                r("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 8, 31),
                r(ALNUM, 24, 32)
            ),
        ),
    ];
    let mut out: Vec<(&'static str, String, String)> = v
        .drain(..)
        .map(|(rule, secret)| (rule, format!("value = \"{secret}\""), secret))
        .collect();
    let aws_secret = r(B64, 40, 33);
    out.push((
        "aws-secret-access-key",
        format!("aws_secret_access_key = {aws_secret}"),
        aws_secret,
    ));
    let azure = format!("{}==", r(B64, 86, 34));
    out.push((
        "azure-storage-key",
        format!("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={azure};EndpointSuffix=core.windows.net"),
        azure,
    ));
    let pw = r(ALNUM, 16, 35);
    out.push((
        "database-url-password",
        format!("DATABASE_URL=postgres://app:{pw}@db.internal:5432/app"),
        pw,
    ));
    let django = "k#8v!2zq$9m@x4r&7p*1w%6t^3y(5u)0o_a-Lq".to_string();
    out.push((
        "django-secret-key",
        format!("SECRET_KEY = '{django}'"),
        django,
    ));
    let generic = "Xk2#pQ9!vL4@mN7+wR1%tY6".to_string();
    out.push((
        "generic-secret-assignment",
        format!("PAYMENT_API_TOKEN: \"{generic}\""),
        generic,
    ));
    let key_body: Vec<String> = (0..4).map(|i| r(B64, 64, 40 + i)).collect();
    out.push((
        "private-key",
        format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
            key_body.join("\n")
        ),
        key_body[0].clone(),
    ));
    out
}

fn scan_json(p: &Project, args: &[&str]) -> (Option<i32>, Value, String) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend(args);
    let r = p.run(&all);
    let v = serde_json::from_str(&r.stdout())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout(), r.stderr()));
    (r.code(), v, r.stderr())
}

fn rules_of(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn project() -> Project {
    crate::redact::project().env("ENVWARD_FINGERPRINT_KEY", FP_KEY)
}

#[test]
fn each_encoding_of_a_known_value_is_found() {
    let p = project();
    p.write(".gitignore", ".env.production\n");
    for (i, (what, form)) in encoded_forms().into_iter().enumerate() {
        p.write(&format!("logs/{i}.log"), format!("prefix {form} suffix\n"));
        let (code, v, _) = scan_json(&p, &[&format!("logs/{i}.log")]);
        assert_eq!(code, Some(1), "{what}: {v:#}");
        let f = &v["findings"][0];
        assert_eq!(f["rule"], "scan.known-value", "{what}: {v:#}");
        assert_eq!(f["key"], "API_TOKEN", "{what}");
        assert_eq!(f["location"]["line"], 1, "{what}");
        // Inside a longer base64 text, the match starts where the value's
        // own characters do.
        assert!(f["location"]["column"].as_u64().unwrap() >= 8, "{what}");
        assert!(!v.to_string().contains(&form), "{what}: the form is shown");
    }
}

#[test]
fn provider_rules_find_their_formats() {
    let p = Project::new().env("ENVWARD_FINGERPRINT_KEY", FP_KEY);
    for (i, (rule, line, secret)) in positives().into_iter().enumerate() {
        let file = format!("src/file{i}.txt");
        p.write(&file, format!("# config\n{line}\n"));
        let (code, v, _) = scan_json(&p, &[&file]);
        assert_eq!(code, Some(1), "{rule} not found in {line:?}: {v:#}");
        let rules = rules_of(&v);
        assert_eq!(rules, [format!("scan.{rule}")], "{line:?}: {v:#}");
        let f = &v["findings"][0];
        assert_eq!(f["location"]["path"], file);
        assert_eq!(f["location"]["line"], 2);
        assert!(
            f["tags"][0].as_str().unwrap().starts_with("fingerprint:"),
            "{f:#}"
        );
        assert!(!v.to_string().contains(&secret), "{rule}: secret shown");
    }
}

#[test]
fn github_and_npm_tokens_need_a_valid_checksum() {
    let p = Project::new();
    let good = github_token("ghp", 70);
    // One character changed: the same shape, a checksum that fails.
    let mut bad = github_token("ghp", 71);
    let c = if &bad[8..9] == "A" { "B" } else { "A" };
    bad.replace_range(8..9, c);
    let npm_bad = format!("npm_{}", random(ALNUM, 36, 72));
    p.write(
        "tokens.txt",
        format!(
            "good = {good}
bad = {bad}
npm = {npm_bad}
"
        ),
    );
    let (code, v, _) = scan_json(&p, &[]);
    assert_eq!(code, Some(1));
    let lines: Vec<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1], "{v:#}");
    assert_eq!(rules_of(&v), ["scan.github-token"]);
}

#[test]
fn placeholders_examples_references_and_ciphertexts_are_not_findings() {
    let p = Project::new();
    let quiet = [
        // AWS's documentation examples.
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        // jwt.io's example token.
        "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "password = os.environ[\"DB_PASSWORD\"]",
        "API_TOKEN=${API_TOKEN}",
        "SECRET_KEY = get_secret(\"django\")",
        "api_key: <your-api-key>",
        "DATABASE_URL=postgres://user:password@localhost/db",
        "DATABASE_URL=postgres://app:${DB_PASSWORD}@db/app",
        "client_secret = settings.OAUTH_CLIENT_SECRET",
        "SESSION_SECRET=changeme-in-production",
        "API_TOKEN=envward:v1:Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A",
        "password: ENC[AES256_GCM,data:Tr8x9QkP2mZ=,iv:aGVsbG8gd29ybGQ=,tag:dGFn,type:str]",
        "id = \"123e4567-e89b-12d3-a456-426614174000\"",
        "PUBLIC_KEY = \"MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE\"",
        "max_tokens = 4096",
        "token_file = /run/secrets/token",
    ];
    p.write("config.txt", quiet.join("\n") + "\n");
    let (code, v, _) = scan_json(&p, &[]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(rules_of(&v), Vec::<String>::new());
}

#[test]
fn test_paths_lower_the_confidence_of_provider_findings() {
    let p = Project::new();
    let token = github_token("ghp", 99);
    p.write("tests/fixtures/auth.py", format!("TOKEN = \"{token}\"\n"));
    let (code, v, _) = scan_json(&p, &[]);
    assert_eq!(code, Some(1));
    let f = &v["findings"][0];
    assert_eq!(f["severity"], "warning");
    assert!(f["tags"].to_string().contains("confidence:low"), "{f:#}");
}

#[test]
fn an_allow_comment_on_the_line_or_the_line_before_silences() {
    let p = Project::new();
    let token = github_token("ghp", 77);
    p.write(
        "a.py",
        format!(
            "A = \"{token}\"  # envward:allow test token\n# envward:allow\nB = \"{token}\"\n\nC = \"{token}\"\n"
        ),
    );
    let (code, v, _) = scan_json(&p, &[]);
    assert_eq!(code, Some(1));
    let lines: Vec<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [5]);
}

#[test]
fn a_baseline_survives_moving_the_secret_and_still_reports_new_ones() {
    let p = project();
    p.write(".gitignore", ".env.production\nbaseline.json\n");
    let old = github_token("ghp", 5);
    p.write("app.py", format!("import os\nTOKEN = \"{old}\"\n"));
    p.run(&["scan", "--baseline", "baseline.json", "--update-baseline"])
        .ok();
    let baseline = std::fs::read_to_string(p.join("baseline.json")).unwrap();
    assert!(baseline.contains("scan.github-token") && !baseline.contains(&old));
    p.run(&["scan", "--baseline", "baseline.json"]).ok();
    // Moved to another line and another file: still accepted.
    p.write("app.py", "import os\n");
    p.write(
        "lib/client.py",
        format!("\n\n\nclass C:\n    TOKEN = \"{old}\"\n"),
    );
    p.run(&["scan", "--baseline", "baseline.json"]).ok();
    // A new secret on the baselined line is reported.
    let new = github_token("ghp", 6);
    p.write(
        "lib/client.py",
        format!("\n\n\nclass C:\n    TOKEN = \"{new}\"\n"),
    );
    let (code, v, _) = scan_json(&p, &["--baseline", "baseline.json"]);
    assert_eq!(code, Some(1));
    assert_eq!(rules_of(&v), ["scan.github-token"]);
    // A baseline that is not one is bad input.
    p.write("bad.json", "{");
    let r = p.run(&["scan", "--baseline", "bad.json"]).expect_code(2);
    assert!(
        r.stderr().contains("not an envward baseline"),
        "{}",
        r.stderr()
    );
}

#[test]
fn the_walk_honours_gitignore_and_skips_binary_large_and_special_files() {
    let p = Project::new();
    let token = github_token("ghp", 8);
    p.write(".gitignore", "build/\n");
    p.write("build/out.js", format!("t=\"{token}\"\n"));
    p.write(".hidden/conf", format!("t=\"{token}\"\n"));
    let mut binary = b"\x00\x01binary".to_vec();
    binary.extend_from_slice(token.as_bytes());
    p.write("image.bin", binary);
    p.write("big.log", format!("{}\nt=\"{token}\"\n", "x".repeat(2000)));
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(p.path(), p.join("loop")).unwrap();
        assert!(
            std::process::Command::new("mkfifo")
                .arg(p.join("pipe"))
                .status()
                .unwrap()
                .success()
        );
    }
    let r = p.run(&["scan", "--format", "json", "--max-file-size", "1K"]);
    assert_eq!(r.code(), Some(1), "{}", r.stderr());
    let v = r.json();
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [".hidden/conf"], "{v:#}");
    assert!(
        r.stderr()
            .contains("skipped big.log: larger than --max-file-size"),
        "{}",
        r.stderr()
    );
    // --include-ignored reads build/ too; a larger cap reads big.log.
    let (_, v, _) = scan_json(&p, &["--include-ignored", "--max-file-size", "10M"]);
    let mut paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    paths.sort();
    assert_eq!(paths, [".hidden/conf", "big.log", "build/out.js"], "{v:#}");
}

#[test]
fn invalid_utf8_is_scanned_as_bytes() {
    let p = Project::new();
    let token = github_token("ghp", 9);
    let mut text = b"\xff\xfe garbage \xc3\x28 ".to_vec();
    text.extend_from_slice(format!("\"{token}\"\n").as_bytes());
    p.write("weird.txt", text);
    let (code, v, _) = scan_json(&p, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(rules_of(&v), ["scan.github-token"]);
}

#[test]
fn reports_exit_codes_and_rule_listing() {
    let p = Project::new();
    p.write("clean.txt", "nothing here\n");
    let r = p.run(&["scan"]).ok();
    assert!(r.stdout().contains("0 errors"), "{}", r.stdout());
    p.run(&["scan", "missing-dir"]).expect_code(2);
    let token = github_token("ghp", 10);
    p.write("leak.txt", format!("x {token}\n"));
    let r = p.run(&["scan"]).expect_code(1);
    assert!(r.stdout().contains("leak.txt:1:3"), "{}", r.stdout());
    assert!(r.stdout().contains("[scan.github-token]"), "{}", r.stdout());
    let r = p.run(&["scan", "--format", "sarif"]).expect_code(1);
    crate::sarif_schema::assert_valid_sarif(&r.stdout());
    let log: serde_sarif::sarif::Sarif = serde_json::from_str(&r.stdout()).expect("valid SARIF");
    let run = &log.runs[0];
    let results = run.results.as_ref().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].rule_id.as_deref(), Some("scan.github-token"));
    let listed = p.run(&["scan", "--list-rules"]).ok().stdout();
    assert!(listed.contains("scan.known-value") && listed.contains("scan.private-key"));
    assert!(listed.lines().count() >= 30, "{listed}");
}

#[test]
fn no_secret_in_any_output_without_reveal() {
    let p = project();
    let mut file = String::new();
    for (_, line, _) in positives() {
        file.push_str(&line);
        file.push('\n');
    }
    for (_, form) in encoded_forms() {
        file.push_str(&format!("log {form}\n"));
    }
    p.write("leaks.txt", &file);
    let secrets: Vec<String> = positives()
        .into_iter()
        .map(|(_, _, s)| s)
        .chain(std::iter::once(TOKEN.to_string()))
        .collect();
    for format in ["text", "json", "sarif"] {
        let r = p.run(&["scan", "--format", format]).expect_code(1);
        for s in &secrets {
            assert!(
                !r.stdout().contains(s.as_str()),
                "{format}: stdout shows a secret"
            );
            assert!(
                !r.stderr().contains(s.as_str()),
                "{format}: stderr shows a secret"
            );
        }
    }
    p.run(&["scan", "--baseline", "b.json", "--update-baseline"])
        .ok();
    let b = std::fs::read_to_string(p.join("b.json")).unwrap();
    for s in &secrets {
        assert!(!b.contains(s.as_str()), "the baseline holds a secret");
    }
    // With --reveal, the value is there.
    let r = p.run(&["scan", "leaks.txt", "--reveal"]).expect_code(1);
    assert!(r.stdout().contains(&secrets[0]), "{}", r.stdout());
}

pub(crate) fn git(p: &Project, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(p.path())
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn staged_reads_the_index_not_the_working_tree() {
    if !crate::harness::require_tool("git") {
        return;
    }
    let p = Project::new();
    git(&p, &["init", "-q"]);
    let token = github_token("ghp", 11);
    p.write("clean.py", "x = 1\n");
    p.write("leak.py", format!("T = \"{token}\"\n"));
    git(&p, &["add", "clean.py", "leak.py"]);
    // Fixed in the working tree, not in the index: still about to be committed.
    p.write("leak.py", "T = os.environ['T']\n");
    // In the working tree only: not staged, not reported.
    p.write("unstaged.py", format!("T = \"{token}\"\n"));
    let (code, v, _) = scan_json(&p, &["--staged"]);
    assert_eq!(code, Some(1), "{v:#}");
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["leak.py"]);
    git(&p, &["add", "leak.py"]);
    p.run(&["scan", "--staged"]).ok();
    // Outside a repository: bad input.
    let outside = Project::new();
    let r = outside.run(&["scan", "--staged"]).expect_code(2);
    assert!(r.stderr().contains("git work tree"), "{}", r.stderr());
}

#[test]
fn hook_install_writes_a_pre_commit_hook_and_never_clobbers_one() {
    if !crate::harness::require_tool("git") {
        return;
    }
    let p = Project::new();
    git(&p, &["init", "-q"]);
    p.run(&["hook", "install"]).ok();
    let hook = p.join(".git/hooks/pre-commit");
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(text.starts_with("#!/bin/sh") && text.contains("envward scan --staged"));
    assert_eq!(crate::harness::mode(&hook) & 0o111, 0o111);
    // An existing hook is left alone without --force.
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let r = p.run(&["hook", "install"]).expect_code(2);
    assert!(r.stderr().contains("--force"), "{}", r.stderr());
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    p.run(&["hook", "install", "--force"]).ok();
    assert!(
        std::fs::read_to_string(&hook)
            .unwrap()
            .contains("scan --staged")
    );
    // Outside a repository: bad input.
    Project::new().run(&["hook", "install"]).expect_code(2);
}

/// `-o` to a FIFO (or a device such as /dev/null) writes into it: an
/// atomic rename would replace it with a regular file.
#[cfg(unix)]
#[test]
fn output_to_a_fifo_writes_into_it_and_leaves_it_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let p = Project::new();
    p.write("leak.txt", format!("x {}\n", github_token("ghp", 12)));
    let fifo = p.join("report.pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    p.run(&["scan", "leak.txt", "--format", "json", "-o", "report.pipe"])
        .expect_code(1);
    // Checked first: replaced by a file, the reader would wait forever.
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    let json = reader.join().unwrap();
    assert!(json.contains("scan.github-token"), "{json}");
}

/// Runs `envward ARGS` in `p`, failing (instead of hanging the test run)
/// when it has not finished after a minute: a scan that opened a FIFO
/// would wait for a writer forever.
#[cfg(unix)]
fn run_or_hang(p: &Project, args: &[&str]) -> (Option<i32>, String) {
    let mut child = p
        .std_cmd(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("envward {args:?} hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[cfg(unix)]
#[test]
fn fifos_and_devices_are_skipped_never_read() {
    let p = Project::new();
    p.write("ok.txt", "nothing\n");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(p.join("pipe"))
            .status()
            .unwrap()
            .success()
    );
    // Named on the command line, or met in the walk.
    for args in [
        &["scan", "pipe"][..],
        &["scan"],
        &["scan", "--strict", "pipe", "/dev/null"],
    ] {
        let (code, stderr) = run_or_hang(&p, args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.contains("skipped pipe: a FIFO, not a regular file: never read"),
            "{args:?}: {stderr}"
        );
    }
    let (_, stderr) = run_or_hang(&p, &["scan", "/dev/null"]);
    assert!(stderr.contains("a device"), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn unreadable_files_are_warnings_and_errors_only_with_strict() {
    let p = Project::new();
    let token = github_token("ghp", 80);
    p.write("leak.txt", format!("t = {token}\n"));
    // A file whose read fails even for root: envward's own memory at
    // address 0 (EIO).
    let r = p
        .run(&["scan", "leak.txt", "/proc/self/mem"])
        .expect_code(1);
    assert!(
        r.stderr().contains("warning: skipped /proc/self/mem"),
        "{}",
        r.stderr()
    );
    let r = p
        .run(&[
            "scan",
            "--strict",
            "--format",
            "json",
            "leak.txt",
            "/proc/self/mem",
        ])
        .expect_code(2);
    // The report is still written; the exit code says it is incomplete.
    assert_eq!(rules_of(&r.json()), ["scan.github-token"]);
    assert!(
        r.stderr().contains("--strict: 1 file could not be read"),
        "{}",
        r.stderr()
    );
    // Permissions (not for root, who reads everything).
    if rustix::process::geteuid().is_root() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    p.write("secret/locked.txt", "x\n");
    std::fs::set_permissions(
        p.join("secret/locked.txt"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let r = p.run(&["scan", "secret"]).ok();
    assert!(
        r.stderr().contains("warning: skipped secret/locked.txt"),
        "{}",
        r.stderr()
    );
    p.run(&["scan", "--strict", "secret"]).expect_code(2);
}

/// A repository whose configuration does not load (a `.env` referring to
/// itself, undefined here) is still scanned for credential formats: the
/// environment's values are skipped with a note, never a reason to stop.
#[test]
fn a_configuration_that_does_not_load_is_noted_and_the_tree_still_scanned() {
    let (_, key) = positives()
        .into_iter()
        .find(|(rule, _, _)| *rule == "aws-access-key-id")
        .map(|(r, v, _)| (r, v))
        .unwrap();
    let p = Project::with(&[
        (".env", "SENTRY_DSN=${SENTRY_DSN}\n"),
        ("deploy.sh", &format!("export AWS_ACCESS_KEY_ID={key}\n")),
    ])
    .env("ENVWARD_FINGERPRINT_KEY", FP_KEY);
    let (code, v, stderr) = scan_json(&p, &[]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        rules_of(&v).iter().any(|r| r.contains("aws-access-key-id")),
        "{v}"
    );
    assert!(stderr.contains("its values are not known"), "{stderr}");
    assert!(stderr.contains("development"), "{stderr}");
    // `redact` still refuses: redacting without the values would leak.
    p.run(&["redact"]).expect_code(2);
}
