//! `envward probe` against a real deployment on 127.0.0.1: Python's HTTP
//! server over TLS (`probe_server.py`) with a certificate made by the real
//! `openssl`, started and stopped by each test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::harness::{Project, require_tool};

const SENTINEL_PW: &str = "s3ntinel-pw-Zq8vT1xW9pL4";

/// A deployment answering from `config` (see probe_server.py); stopped on
/// drop.
struct Deployment {
    child: Child,
    https: u16,
    http: u16,
    /// What the probe trusts (`--ca-file`).
    ca: PathBuf,
    _dir: tempfile::TempDir,
}

/// The certificate a deployment serves.
#[derive(Clone, Copy)]
enum Cert {
    /// Self-signed for 127.0.0.1, valid this many days; it is its own CA.
    SelfSigned { days: u32 },
    /// For 127.0.0.1 (`leaf` days), issued by an intermediate
    /// (`intermediate` days) that the server sends along, under a root
    /// that is the CA file.
    Chain { leaf: u32, intermediate: u32 },
}

/// Runs openssl with `args`, in `dir`; panics when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const EC: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/// Writes `cert.pem` (what the server sends), `key.pem` and `ca.pem` (what
/// the probe trusts) into `dir`.
fn make_cert(dir: &Path, cert: Cert) {
    match cert {
        Cert::SelfSigned { days } => {
            let days = days.to_string();
            let mut args = vec!["req", "-x509"];
            args.extend(EC);
            args.extend([
                "-nodes",
                "-days",
                &days,
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
            ]);
            openssl(dir, &args);
            std::fs::copy(dir.join("cert.pem"), dir.join("ca.pem")).unwrap();
        }
        Cert::Chain { leaf, intermediate } => {
            let mut args = vec!["req", "-x509"];
            args.extend(EC);
            args.extend([
                "-nodes",
                "-days",
                "3650",
                "-subj",
                "/CN=envward test root",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout",
                "root.key",
                "-out",
                "ca.pem",
            ]);
            openssl(dir, &args);
            std::fs::write(
                dir.join("int.ext"),
                "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
            )
            .unwrap();
            std::fs::write(
                dir.join("leaf.ext"),
                "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
            )
            .unwrap();
            for (name, subject, days, issuer, ext, serial) in [
                (
                    "int",
                    "/CN=envward test intermediate",
                    intermediate,
                    ("ca.pem", "root.key"),
                    "int.ext",
                    "2",
                ),
                (
                    "leaf",
                    "/CN=127.0.0.1",
                    leaf,
                    ("int.pem", "int.key"),
                    "leaf.ext",
                    "3",
                ),
            ] {
                let (key, csr, pem) = (
                    format!("{name}.key"),
                    format!("{name}.csr"),
                    format!("{name}.pem"),
                );
                let mut args = vec!["req", "-new"];
                args.extend(EC);
                args.extend(["-nodes", "-subj", subject, "-keyout", &key, "-out", &csr]);
                openssl(dir, &args);
                let days = days.to_string();
                openssl(
                    dir,
                    &[
                        "x509",
                        "-req",
                        "-in",
                        &csr,
                        "-CA",
                        issuer.0,
                        "-CAkey",
                        issuer.1,
                        "-set_serial",
                        serial,
                        "-days",
                        &days,
                        "-extfile",
                        ext,
                        "-out",
                        &pem,
                    ],
                );
            }
            let chain = [
                std::fs::read_to_string(dir.join("leaf.pem")).unwrap(),
                std::fs::read_to_string(dir.join("int.pem")).unwrap(),
            ]
            .concat();
            std::fs::write(dir.join("cert.pem"), chain).unwrap();
            std::fs::copy(dir.join("leaf.key"), dir.join("key.pem")).unwrap();
        }
    }
}

impl Deployment {
    /// Serves `config` with a certificate valid for a year.
    fn start(config: serde_json::Value) -> Option<Deployment> {
        Deployment::start_with(config, Cert::SelfSigned { days: 365 })
    }

    fn start_with(config: serde_json::Value, kind: Cert) -> Option<Deployment> {
        if !(require_tool("python3") && require_tool("openssl")) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        make_cert(dir.path(), kind);
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let conf = dir.path().join("config.json");
        std::fs::write(&conf, config.to_string()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/probe_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&conf)
            .arg(&cert)
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ports: Vec<u16> = line
            .strip_prefix("PORTS ")
            .unwrap_or_else(|| panic!("the server said {line:?}"))
            .split_whitespace()
            .map(|p| p.parse().unwrap())
            .collect();
        Some(Deployment {
            child,
            https: ports[0],
            http: ports[1],
            ca: dir.path().join("ca.pem"),
            _dir: dir,
        })
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/", self.https)
    }

    /// The options every probe of it takes: its CA, its plain-HTTP port.
    fn args(&self) -> Vec<String> {
        vec![
            "--ca-file".into(),
            self.ca.display().to_string(),
            "--http-url".into(),
            format!("http://127.0.0.1:{}/", self.http),
            "--timeout".into(),
            "5".into(),
        ]
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn careless() -> serde_json::Value {
    serde_json::json!({
        "routes": {
            "/": {"status": 200, "body": "welcome", "headers": [
                ["Server", "nginx/1.18.0"],
                ["Set-Cookie", "sessionid=abc; Path=/"],
                ["Strict-Transport-Security", "max-age=300"]]},
            "/health": {"status": 200,
                "body": format!("{{\"ok\": true, \"db\": \"postgres://app:{SENTINEL_PW}@db/app\"}}")},
        },
        "default": {"status": 404, "body":
            "<p>You're seeing this error because you have <code>DEBUG = True</code> in your Django settings file.</p>"},
        "http": {"status": 200, "body": "plain"},
    })
}

fn careful() -> serde_json::Value {
    careful_with(&[], 301)
}

/// The careful deployment with some of its headers replaced (an empty
/// value removes one) and plain HTTP answering `http_status` to HTTPS.
fn careful_with(changes: &[(&str, &str)], http_status: u16) -> serde_json::Value {
    let mut headers: Vec<(String, String)> = [
        (
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains; preload",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Content-Type", "text/html; charset=utf-8"),
        (
            "Content-Security-Policy",
            "default-src 'self'; object-src 'none'; frame-ancestors 'none'",
        ),
        (
            "Set-Cookie",
            "sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
        ),
        ("Set-Cookie", "csrftoken=def; Path=/; Secure; SameSite=Lax"),
        ("Server", "nginx"),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    for (name, value) in changes {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if !value.is_empty() {
            headers.push((name.to_string(), value.to_string()));
        }
    }
    let headers = serde_json::json!(headers);
    serde_json::json!({
        "routes": {
            "/": {"status": 200, "body": "welcome", "headers": headers},
            "/health": {"status": 200, "body": "{\"ok\": true, \"secrets_configured\": 3}", "headers": headers},
        },
        "default": {"status": 404, "body": "<h1>Not Found</h1>", "headers": headers},
        "http": {"status": http_status, "headers": [["Location", "{https}/"]]},
    })
}

fn project_for(d: &Deployment) -> Project {
    Project::with(&[(
        ".env",
        &format!(
            "BASE_URL={}\nDATABASE_URL=postgres://app:{SENTINEL_PW}@db/app\nDEBUG=false\n",
            d.url()
        ),
    )])
}

#[test]
fn a_careless_deployment_fails_with_every_finding_and_no_secret() {
    let Some(d) = Deployment::start(careless()) else {
        return;
    };
    let p = project_for(&d);
    let mut args = vec!["probe"];
    let opts = d.args();
    args.extend(opts.iter().map(String::as_str));
    let r = p.run(&args).expect_code(1);
    let out = r.stdout();
    for rule in [
        "probe.https-redirect",
        "probe.hsts",
        "probe.nosniff",
        "probe.framing",
        "probe.csp",
        "probe.cookie-secure",
        "probe.cookie-httponly",
        "probe.server-version",
        "probe.debug-page",
        "probe.secret-leak",
    ] {
        assert!(out.contains(&format!("[{rule}]")), "{rule} missing:\n{out}");
    }
    assert!(
        out.contains("contains the value of `DATABASE_URL`"),
        "{out}"
    );
    assert!(out.contains("/health"), "{out}");
    assert!(!out.contains(SENTINEL_PW) && !r.stderr().contains(SENTINEL_PW));
    // The same findings in every format, and no secret in any.
    for format in ["json", "sarif", "junit", "markdown"] {
        let mut a = args.clone();
        a.extend(["--format", format]);
        let r = p.run(&a).expect_code(1);
        assert!(r.stdout().contains("probe.secret-leak"), "{format}");
        assert!(!r.stdout().contains(SENTINEL_PW), "{format}");
    }
    let mut a = args.clone();
    a.extend(["--format", "json"]);
    let json = p.run(&a).expect_code(1).json();
    let leak = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "probe.secret-leak")
        .unwrap();
    assert_eq!(leak["severity"], "error");
    assert_eq!(leak["environment"], "development");
    // --fail-on never: findings, exit 0.
    let mut a = args.clone();
    a.extend(["--fail-on", "never"]);
    p.run(&a).ok();
}

#[test]
fn a_careful_deployment_passes() {
    let Some(d) = Deployment::start(careful()) else {
        return;
    };
    let p = project_for(&d);
    let mut args = vec!["probe"];
    let opts = d.args();
    args.extend(opts.iter().map(String::as_str));
    let r = p.run(&args).ok();
    let out = r.stdout();
    assert!(out.contains("✔ HTTPS and TLS: no problems"), "{out}");
    assert!(
        out.contains("✔ security headers and cookies: no problems"),
        "{out}"
    );
    assert!(out.contains("✔ what responses show: no problems"), "{out}");
    assert!(
        out.contains("0 errors, 0 warnings, 0 info (6 requests made)"),
        "{out}"
    );
}

#[test]
fn an_untrusted_certificate_is_an_error_and_nothing_else_is_claimed() {
    let Some(d) = Deployment::start(careful()) else {
        return;
    };
    let p = project_for(&d);
    // No --ca-file: the system's roots do not know the test certificate.
    let http = format!("http://127.0.0.1:{}/", d.http);
    let r = p.run(&["probe", "--http-url", &http]).expect_code(1);
    let out = r.stdout();
    assert!(out.contains("[probe.tls]"), "{out}");
    assert!(out.contains("UnknownIssuer"), "{out}");
    assert!(
        out.contains("⏭ security headers and cookies: not checked: the TLS handshake failed"),
        "{out}"
    );
    assert!(!out.contains("✔ what responses show"), "{out}");
}

#[test]
fn the_url_comes_from_the_argument_or_the_environment() {
    let p = Project::with(&[(".env", "DEBUG=false\n")]);
    let r = p.run(&["probe"]).expect_code(2);
    assert!(
        r.stderr()
            .contains("BASE_URL, SITE_URL, APP_URL, PUBLIC_URL"),
        "{}",
        r.stderr()
    );
    let r = p.run(&["probe", "ftp://example.com"]).expect_code(2);
    assert!(
        r.stderr().contains("is not an http:// or https:// URL"),
        "{}",
        r.stderr()
    );
    // Nothing listens on this port: exit 2, not a finding.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = p
        .run(&[
            "probe",
            &format!("https://127.0.0.1:{port}/"),
            "--timeout",
            "2",
        ])
        .expect_code(2);
    assert!(r.stderr().contains("did not answer"), "{}", r.stderr());
}

#[test]
fn a_password_in_the_url_is_never_printed() {
    let p = Project::with(&[(".env", "DEBUG=false\n")]);
    let r = p
        .run(&[
            "probe",
            &format!("gopher://user:{SENTINEL_PW}@example.com/"),
        ])
        .expect_code(2);
    assert!(!r.stderr().contains(SENTINEL_PW), "{}", r.stderr());
    assert!(!r.stdout().contains(SENTINEL_PW));
}

#[test]
fn a_plain_http_url_is_an_error_and_its_answers_are_still_searched() {
    let Some(d) = Deployment::start(careless()) else {
        return;
    };
    let p = project_for(&d);
    let url = format!("http://127.0.0.1:{}/", d.http);
    let r = p.run(&["probe", &url, "--timeout", "5"]).expect_code(1);
    let out = r.stdout();
    assert!(out.contains("[probe.https]"), "{out}");
    assert!(
        out.contains("⏭ security headers and cookies: not checked: the URL is plain HTTP"),
        "{out}"
    );
    // The missing page and health endpoints were requested and searched.
    assert!(out.contains("✔ what responses show: no problems"), "{out}");
    assert!(out.contains("(5 requests made)"), "{out}");
}

fn project_with_rules(d: &Deployment, rules: &str) -> Project {
    Project::with(&[
        ("envward.toml", rules),
        (".env", &format!("BASE_URL={}\nDEBUG=false\n", d.url())),
    ])
}

/// `envward probe` of `d` with its CA and plain-HTTP port, and `more`.
fn probe_of(d: &Deployment, more: &[&str]) -> Vec<String> {
    let mut args = vec!["probe".to_string()];
    args.extend(d.args());
    args.extend(more.iter().map(|s| s.to_string()));
    args
}

/// The findings of `rule` in a JSON report: (severity, message).
fn findings_of(json: &serde_json::Value, rule: &str) -> Vec<(String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn run_probe(p: &Project, args: &[String], code: i32) -> crate::harness::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    p.run(&args).expect_code(code)
}

#[test]
fn a_certificate_expiring_within_a_week_is_an_error() {
    let Some(d) = Deployment::start_with(careful(), Cert::SelfSigned { days: 3 }) else {
        return;
    };
    let p = project_for(&d);
    let r = run_probe(&p, &probe_of(&d, &[]), 1);
    let out = r.stdout();
    assert!(out.contains("[probe.cert-expiry]"), "{out}");
    assert!(
        out.contains("HTTPS and TLS\n  ✖ error   the certificate of 127.0.0.1:"),
        "{out}"
    );
    let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 1).json();
    let found = findings_of(&json, "probe.cert-expiry");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "error");
    assert!(
        found[0]
            .1
            .contains("(`CN=127.0.0.1`) expires in 3 days, on "),
        "{found:?}"
    );
    // The error threshold lowered: a warning, and the default --fail-on
    // error passes.
    let p = project_with_rules(&d, "[rules.\"probe.cert-expiry\"]\nerror_days = 1\n");
    let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 0).json();
    assert_eq!(findings_of(&json, "probe.cert-expiry")[0].0, "warning");
}

#[test]
fn a_certificate_expiring_within_a_month_is_a_warning() {
    let Some(d) = Deployment::start_with(careful(), Cert::SelfSigned { days: 20 }) else {
        return;
    };
    let p = project_for(&d);
    let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 0).json();
    let found = findings_of(&json, "probe.cert-expiry");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "warning");
    assert!(found[0].1.contains("expires in 20 days"), "{found:?}");
    // From cron: a month's notice fails the run.
    let out = run_probe(&p, &probe_of(&d, &["--fail-on", "warning"]), 1).stdout();
    assert!(out.contains("[probe.cert-expiry]"), "{out}");
    // Switched off.
    let p = project_with_rules(&d, "[rules.\"probe.cert-expiry\"]\nenabled = false\n");
    run_probe(&p, &probe_of(&d, &["--fail-on", "warning"]), 0);
}

#[test]
fn a_certificate_valid_for_a_year_passes_unless_the_warning_starts_earlier() {
    let Some(d) = Deployment::start(careful()) else {
        return;
    };
    let p = project_for(&d);
    let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 0).json();
    assert!(findings_of(&json, "probe.cert-expiry").is_empty());
    let p = project_with_rules(&d, "[rules.\"probe.cert-expiry\"]\nwarn_days = 400\n");
    let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 0).json();
    let found = findings_of(&json, "probe.cert-expiry");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "warning");
    assert!(found[0].1.contains("expires in 365 days"), "{found:?}");
    // The parameters are known to `check`; a misspelt one stops the probe.
    let json = p.run(&["check", "--format", "json"]).json();
    assert!(!json.to_string().contains("has no parameter"), "{json}");
    let p = project_with_rules(&d, "[rules.\"probe.cert-expiry\"]\nwarn_day = 60\n");
    let r = run_probe(&p, &probe_of(&d, &[]), 2);
    assert!(
        r.stderr()
            .contains("rule `probe.cert-expiry` has no parameter `warn_day`"),
        "{}",
        r.stderr()
    );
    assert!(
        r.stderr().contains("warn_days, error_days"),
        "{}",
        r.stderr()
    );
}

#[test]
fn an_intermediate_expiring_before_the_certificate_is_reported() {
    let Some(d) = Deployment::start_with(
        careful(),
        Cert::Chain {
            leaf: 365,
            intermediate: 3,
        },
    ) else {
        return;
    };
    let p = project_for(&d);
    let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 1).json();
    let found = findings_of(&json, "probe.cert-expiry");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "error");
    assert!(
        found[0]
            .1
            .contains("the intermediate certificate `CN=envward test intermediate`"),
        "{found:?}"
    );
    assert!(found[0].1.contains("expires in 3 days"), "{found:?}");
    assert!(
        found[0].1.contains("before its own certificate"),
        "{found:?}"
    );
    // The chain is verified: without the root, the handshake fails.
    let http = format!("http://127.0.0.1:{}/", d.http);
    let out = run_probe(&p, &["probe".into(), "--http-url".into(), http], 1).stdout();
    assert!(out.contains("[probe.tls]"), "{out}");
}

#[test]
fn hsts_without_include_subdomains_warns_and_without_preload_informs() {
    let Some(d) = Deployment::start(careful_with(
        &[("Strict-Transport-Security", "max-age=31536000")],
        301,
    )) else {
        return;
    };
    let p = project_for(&d);
    let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 0).json();
    let found = findings_of(&json, "probe.hsts");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "warning");
    assert!(found[0].1.contains("no includeSubDomains"), "{found:?}");
    assert_eq!(found[1].0, "info");
    assert!(found[1].1.contains("no preload"), "{found:?}");
    run_probe(&p, &probe_of(&d, &["--fail-on", "warning"]), 1);
    drop(d);

    // includeSubDomains, no preload: only the info.
    let Some(d) = Deployment::start(careful_with(
        &[(
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains",
        )],
        301,
    )) else {
        return;
    };
    let p = project_for(&d);
    let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 0).json();
    let found = findings_of(&json, "probe.hsts");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "info");
    run_probe(&p, &probe_of(&d, &["--fail-on", "warning"]), 0);
}

#[test]
fn a_temporary_redirect_to_https_is_info_and_a_permanent_one_passes() {
    for (status, expected) in [(302, Some("info")), (307, Some("info")), (308, None)] {
        let Some(d) = Deployment::start(careful_with(&[], status)) else {
            return;
        };
        let p = project_for(&d);
        let json = run_probe(&p, &probe_of(&d, &["--format", "json"]), 0).json();
        let found = findings_of(&json, "probe.https-redirect");
        match expected {
            Some(severity) => {
                assert_eq!(found.len(), 1, "{status}: {found:?}");
                assert_eq!(found[0].0, severity, "{status}");
                assert!(
                    found[0]
                        .1
                        .contains(&format!("with status {status}, a temporary redirect")),
                    "{found:?}"
                );
            }
            None => assert!(found.is_empty(), "{status}: {found:?}"),
        }
    }
}

#[test]
fn the_pages_content_security_policy_must_hold_scripts_back() {
    let page = |headers: serde_json::Value| serde_json::json!({"status": 200, "body": "<html></html>", "headers": headers});
    let config = serde_json::json!({
        "routes": {
            "/none": page(serde_json::json!([["Content-Type", "text/html"]])),
            "/report-only": page(serde_json::json!([
                ["Content-Security-Policy-Report-Only", "default-src 'self'"]])),
            "/weak": page(serde_json::json!([
                ["Content-Type", "text/html"],
                ["Content-Security-Policy", "default-src * 'unsafe-inline' 'unsafe-eval'"]])),
            "/frames-only": page(serde_json::json!([
                ["Content-Security-Policy", "frame-ancestors 'none'"]])),
            "/nonce": page(serde_json::json!([
                ["Content-Security-Policy", "script-src 'nonce-r4nd0m' 'strict-dynamic' 'unsafe-inline' https:; object-src 'none'"]])),
            "/two": page(serde_json::json!([
                ["Content-Security-Policy", "default-src *"],
                ["Content-Security-Policy", "script-src 'self'"]])),
            "/api": page(serde_json::json!([["Content-Type", "application/json"]])),
        },
        "default": {"status": 404, "body": "not found"},
        "http": {"status": 301, "headers": [["Location", "{https}/"]]},
    });
    let Some(d) = Deployment::start(config) else {
        return;
    };
    let p = Project::with(&[(".env", "DEBUG=false\n")]);
    for (path, expected) in [
        (
            "none",
            Some("no Content-Security-Policy: an injected script runs"),
        ),
        (
            "report-only",
            Some(
                "only Content-Security-Policy-Report-Only: violations are reported, nothing is blocked",
            ),
        ),
        (
            "weak",
            Some(
                "the Content-Security-Policy lets scripts run from 'unsafe-inline', 'unsafe-eval', * (default-src)",
            ),
        ),
        (
            "frames-only",
            Some("the Content-Security-Policy has neither script-src nor default-src"),
        ),
        ("nonce", None),
        ("two", None),
        ("api", None),
    ] {
        let url = format!("https://127.0.0.1:{}/{path}", d.https);
        let mut args = vec!["probe".to_string(), url];
        args.extend(d.args());
        args.extend(["--format".to_string(), "json".to_string()]);
        let json = run_probe(&p, &args, 0).json();
        let found = findings_of(&json, "probe.csp");
        match expected {
            Some(message) => {
                assert_eq!(found.len(), 1, "{path}: {found:?}");
                assert_eq!(found[0].0, "warning", "{path}");
                assert!(found[0].1.starts_with(message), "{path}: {found:?}");
            }
            None => assert!(found.is_empty(), "{path}: {found:?}"),
        }
    }
}
