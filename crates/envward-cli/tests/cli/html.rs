//! The HTML report: one self-contained page (no external asset, nothing
//! fetched), an environment × rule matrix, the findings grouped by
//! environment, everything escaped; and the page as a real browser renders
//! it, filters included (headless Chromium).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::Project;

/// examples/webapp with production broken: DEBUG on, a long session, short
/// HSTS, short and weak secrets (7 errors, 2 warnings in production), and
/// staging repaired (the example's staging has drifted on purpose), so that
/// the matrix also shows an environment that passes.
fn failing_project() -> Project {
    let p = Project::webapp();
    for (file, from, to) in [
        ("common.env", "DEBUG=True", "DEBUG=False"),
        ("common.env", "LOG_LEVEL=DEBUG", "LOG_LEVEL=INFO"),
        (
            "common.env",
            "ALLOWED_HOSTS=*",
            "ALLOWED_HOSTS=staging.webapp.example",
        ),
        (
            "common.env",
            "SESSION_COOKIE_SECURE=False",
            "SESSION_COOKIE_SECURE=True",
        ),
        ("database.env", "sslmode=disable", "sslmode=require"),
        ("security.env", "'django-insecure-", "'st4g1ng-"),
    ] {
        let path = format!("env/staging/{file}");
        let text = std::fs::read_to_string(p.join(&path)).unwrap();
        assert!(text.contains(from), "{path} no longer has {from}");
        p.write(&path, text.replace(from, to));
    }
    p.run(&["check", "-e", "staging"]).ok();
    let common = std::fs::read_to_string(p.join("env/production/common.env")).unwrap();
    p.write(
        "env/production/common.env",
        common
            .replace("DEBUG=False", "DEBUG=True")
            .replace("SESSION_TIMEOUT=1800", "SESSION_TIMEOUT=86400")
            .replace("SECURE_HSTS_SECONDS=31536000", "SECURE_HSTS_SECONDS=3600"),
    );
    p.write(
        "env/production/security.env",
        "SECRET_KEY=SENTINEL-short\nJWT_SECRET_KEY=x\n",
    );
    p
}

/// Asserts that `html` loads nothing from anywhere.
#[track_caller]
fn assert_self_contained(html: &str) {
    let lower = html.to_ascii_lowercase();
    for needle in [
        "<script src",
        " src=",
        "<link",
        "@import",
        "url(",
        " href=",
        "<iframe",
        "<img",
        "<object",
        "<embed",
    ] {
        assert!(!lower.contains(needle), "the page has `{needle}`");
    }
    // Only the script, style and text remain: no address in any attribute.
    assert!(!lower.contains("=\"//"), "a protocol-relative address");
    for (i, _) in lower.match_indices("://") {
        let before = &lower[..i];
        let tag_open = before.rfind('<').unwrap_or(0) > before.rfind('>').unwrap_or(0);
        assert!(!tag_open, "an address inside a tag at byte {i}");
    }
    assert!(
        html.contains("Content-Security-Policy\" content=\"default-src 'none';"),
        "the page forbids every load"
    );
}

/// The `<tr>` of the matrix for `rule`.
fn matrix_row<'a>(html: &'a str, rule: &str) -> &'a str {
    let start = html
        .find(&format!("<tr data-rule=\"{rule}\">"))
        .unwrap_or_else(|| panic!("no matrix row for {rule}"));
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

#[test]
fn html_report_is_self_contained_with_matrix_and_findings() {
    let p = failing_project();
    let r = p
        .run(&["check", "--all-envs", "--format", "html"])
        .expect_code(1);
    let html = r.stdout();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    assert_self_contained(&html);
    assert!(!html.contains("SENTINEL"));
    // Header: environments, summary.
    assert!(html.contains("<dd id=\"environments\">development, production, staging</dd>"));
    assert!(
        html.contains("<strong>7</strong> errors") && html.contains("<strong>3</strong> warnings")
    );
    // The matrix: one column per environment, a row per rule that ran.
    assert!(html.contains(
        "<th scope=\"col\" data-env=\"development\">development</th><th scope=\"col\" data-env=\"production\">production</th>"
    ));
    let debug = matrix_row(&html, "debug.enabled");
    assert!(
        debug.contains("<td class=\"na\" data-env=\"development\"")
            && debug.contains("<td class=\"error\" data-env=\"production\">1 error</td>")
            && debug.contains("<td class=\"pass\" data-env=\"staging\">✔ pass</td>"),
        "{debug}"
    );
    let length = matrix_row(&html, "secret.min-length");
    assert!(length.contains(">2 errors</td>"), "{length}");
    // An exception for a whole environment shows as skipped, with its reason.
    let hsts = matrix_row(&html, "https.hsts");
    assert!(
        hsts.contains("<td class=\"warning\" data-env=\"production\">1 warning</td>")
            && hsts.contains(
                "class=\"skipped\" data-env=\"staging\" title=\"exception: short HSTS on staging"
            ),
        "{hsts}"
    );
    assert!(matrix_row(&html, "schema.invalid").contains("✔ pass <small>(envward.toml)</small>"));
    // Rules excepted everywhere did not run: listed under the matrix.
    assert!(html.contains(
        "Not run (exception: example project: git does not keep file modes, and its secrets are fake): <code>files.permissions</code>."
    ));
    // Findings, grouped by environment, with why and how to fix; backticks
    // of messages become code.
    let prod = &html[html
        .find("<section class=\"group\" data-env=\"production\">")
        .unwrap()..];
    let prod = &prod[..prod.find("</section>").unwrap()];
    assert_eq!(prod.matches("<li class=\"finding error\"").count(), 7);
    assert_eq!(prod.matches("<li class=\"finding warning\"").count(), 3);
    assert!(prod.contains(
        "<li class=\"finding error\" data-severity=\"error\" data-env=\"production\">\n<div class=\"head\"><span class=\"badge error\">error</span> <code class=\"rule\">debug.enabled</code> <code class=\"key\">DEBUG</code> <span class=\"origin\">env/production/common.env:3:1</span></div>\n<p class=\"message\"><code>DEBUG</code> is on in production</p>"
    ), "{prod}");
    assert!(prod.contains("<b>Why it matters:</b> Debug modes show stack traces"));
    assert!(prod.contains("<b>How to fix:</b> set it to False in this environment"));
    // Without JavaScript every finding shows and the filters stay hidden.
    assert!(!prod.contains("hidden"));
    assert!(html.contains("<form class=\"filters\" id=\"filters\" hidden>"));
    assert!(html.contains("<section class=\"group\" data-env=\"staging\">\n<h3>staging <span class=\"count\">0 findings</span></h3>\n<p class=\"none\">✔ no problems</p>"));

    // A passing project: the verdict says so.
    let r = Project::webapp()
        .run(&["check", "-e", "production", "--format", "html"])
        .ok();
    let html = r.stdout();
    assert_self_contained(&html);
    assert!(html.contains("<p class=\"verdict pass\" id=\"verdict\">Check passed</p>"));
    assert!(matrix_row(&html, "debug.enabled").contains("✔ pass"));
    // With one environment, the cross-environment check does not apply
    // anywhere: listed under the matrix instead of a row of n/a.
    assert!(!html.contains("<tr data-rule=\"consistency.missing-in-environment\">"));
    assert!(html.contains(
        "Not run (does not apply to the environments checked): <code>consistency.missing-in-environment</code>."
    ));
    // A rule that ran in one environment and not in another shows n/a
    // (the example's staging fails the gate: exit 1).
    let r = Project::webapp()
        .run(&["check", "--all-envs", "--format", "html"])
        .expect_code(1);
    assert!(
        matrix_row(&r.stdout(), "debug.enabled")
            .contains("<td class=\"na\" data-env=\"development\" title=\"does not apply to this environment\">n/a</td>")
    );
}

#[test]
fn html_report_goes_to_a_file_beside_other_formats() {
    let p = failing_project();
    let r = p
        .run(&[
            "check",
            "-e",
            "production",
            "--format",
            "html",
            "--output",
            "out/report.html",
            "--format",
            "json",
        ])
        .expect_code(1);
    let json = r.json();
    let html = std::fs::read_to_string(p.join("out/report.html")).unwrap();
    assert_self_contained(&html);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(html.matches("<li class=\"finding ").count(), findings.len());
    for f in findings {
        assert!(html.contains(&format!(
            "<code class=\"rule\">{}</code>",
            f["rule"].as_str().unwrap()
        )));
    }
}

#[test]
fn html_report_escapes_everything() {
    let p = Project::with(&[
        (
            "envward.toml",
            "[environments.production]\nstrict = true\n\n[[custom_rules]]\nid = \"custom.x\"\nkeys = \"K\"\nequals = \"ok\"\nmessage = \"<script>alert('x')</script> & \\\"quotes\\\"\"\n",
        ),
        (".env.production", "K=<img src=x onerror=alert(1)>\n"),
    ]);
    let r = p
        .run(&["check", "-e", "production", "--format", "html"])
        .expect_code(1);
    let html = r.stdout();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(
        html.contains(
            "<p class=\"message\"><code>K</code>: &#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62; &#38; &#34;quotes&#34;</p>"
        ),
        "{html}"
    );
    assert_self_contained(&html);
}

// ------------------------------------------------------------ Chromium

/// The Chromium binary, or `None` (then the caller skips: a note
/// normally, a failure under CI=true).
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn require_chromium() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "Chromium is needed to render the HTML report: neither `chromium` nor `chromium-browser` is on PATH (apt-get install chromium)"
            );
        }
        eprintln!("note: chromium not found on PATH; skipping the rendered HTML test");
    }
    found
}

/// Kills a Chromium process group when dropped, whatever happened.
struct Group(u32);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0)])
            .stderr(Stdio::null())
            .status();
    }
}

/// The DOM of `url` after its scripts ran, as headless Chromium sees it.
fn render(browser: &Path, url: &str) -> String {
    use std::os::unix::process::CommandExt as _;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("dom.html");
    let out = std::fs::File::create(&out_path).unwrap();
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-extensions",
            "--no-first-run",
            "--virtual-time-budget=5000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let group = Group(child.id());
    let mut child = child;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "chromium exited with {status}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish rendering {url} in 90 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(group);
    std::fs::read_to_string(&out_path).unwrap()
}

/// The text of an HTML fragment: tags dropped, whitespace collapsed.
fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The opening tags of the findings of `dom`.
fn finding_tags(dom: &str) -> Vec<&str> {
    dom.match_indices("<li class=\"finding ")
        .map(|(i, _)| &dom[i..i + dom[i..].find('>').unwrap()])
        .collect()
}

#[test]
fn html_report_renders_in_chromium_and_filters_work() {
    let Some(browser) = require_chromium() else {
        return;
    };
    let p = failing_project();
    p.run(&[
        "check",
        "--all-envs",
        "--format",
        "html",
        "--output",
        "report.html",
    ])
    .expect_code(1);
    let url = format!("file://{}", p.join("report.html").display());

    let dom = render(&browser, &url);
    let shown = text(&dom);
    assert!(shown.contains("7 errors 3 warnings 0 infos"), "{shown}");
    assert!(shown.contains("Check failed"), "{shown}");
    assert!(
        shown.contains("debug.enabled DEBUG env/production/common.env:3:1"),
        "{shown}"
    );
    // The script ran: the filters are shown, nothing is hidden yet.
    assert!(
        dom.contains("<form class=\"filters\" id=\"filters\">"),
        "{dom}"
    );
    assert!(shown.contains("10 of 10 findings shown"), "{shown}");
    let tags = finding_tags(&dom);
    assert_eq!(tags.len(), 10);
    assert!(tags.iter().all(|t| !t.contains("hidden")), "{tags:?}");

    // Filters from the address: errors of production only.
    let dom = render(&browser, &format!("{url}#severity=error&env=production"));
    assert!(
        text(&dom).contains("7 of 10 findings shown"),
        "{}",
        text(&dom)
    );
    let tags = finding_tags(&dom);
    for t in &tags {
        assert_eq!(
            t.contains("hidden"),
            t.contains("data-severity=\"warning\""),
            "{t}"
        );
    }
    assert!(dom.contains("<section class=\"group\" data-env=\"staging\" hidden=\"\">"));
    assert!(dom.contains("<th scope=\"col\" data-env=\"staging\" hidden=\"\">"));
    assert!(!dom.contains("SENTINEL"));
}
