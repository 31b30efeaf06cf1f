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
    cert: PathBuf,
    _dir: tempfile::TempDir,
}

impl Deployment {
    fn start(config: serde_json::Value) -> Option<Deployment> {
        if !(require_tool("python3") && require_tool("openssl")) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let ok = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-keyout",
            ])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "openssl could not make a certificate");
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
            cert,
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
            self.cert.display().to_string(),
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
    let headers = serde_json::json!([
        [
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains"
        ],
        ["X-Content-Type-Options", "nosniff"],
        ["X-Frame-Options", "DENY"],
        [
            "Set-Cookie",
            "sessionid=abc; Path=/; Secure; HttpOnly; SameSite=Lax"
        ],
        ["Set-Cookie", "csrftoken=def; Path=/; Secure; SameSite=Lax"],
        ["Server", "nginx"]
    ]);
    serde_json::json!({
        "routes": {
            "/": {"status": 200, "body": "welcome", "headers": headers},
            "/health": {"status": 200, "body": "{\"ok\": true, \"secrets_configured\": 3}", "headers": headers},
        },
        "default": {"status": 404, "body": "<h1>Not Found</h1>", "headers": headers},
        "http": {"status": 301, "headers": [["Location", "{https}/"]]},
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
