"""The Python binding, through the wheel maturin builds.

Run by crates/envward-cli/tests/cli/python.rs (which builds the wheel and
sets ENVWARD_BIN to the `envward` binary of the same build); by hand:
`maturin develop -m crates/envward-py/Cargo.toml && pytest crates/envward-py/tests`.

Every project here plants sentinel secrets; no repr, error or finding may
show one.
"""

import json
import os
import pathlib
import subprocess

import pytest

import envward

SENTINEL = "s3ntinel-Zq8vT1xW9pL4mN7rK2yB6cH0"
WEAK = "changeme"
REPO = pathlib.Path(__file__).resolve().parents[3]
WEBAPP = REPO / "examples" / "webapp"


# Read before the autouse fixture clears every ENVWARD_* variable.
BIN = os.environ.get("ENVWARD_BIN", "envward")


def envward_bin():
    return BIN


def write(root, name, text):
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No ENVWARD_* variable or identity of the machine leaks in."""
    for name in list(os.environ):
        if name.startswith("ENVWARD_") or name in ("APP_ENV", "DJANGO_ENV", "NODE_ENV"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    write(root, "envward.toml", '[vars.PORT]\ntype = "port"\nrequired = true\n'
          '[vars.DEBUG]\ntype = "bool"\n[vars.TIMEOUT]\ntype = "duration"\n'
          '[vars.HOSTS]\ntype = "list"\n')
    write(root, ".env", "PORT=8080\nDEBUG=false\nTIMEOUT=1m30s\nHOSTS=a.example, b.example\n"
          f"API_TOKEN={SENTINEL}\nGREETING=hello ${{PORT}}\n")
    return root


def assert_no_sentinel(*texts):
    for text in texts:
        assert SENTINEL not in str(text)


def test_load_reads_what_the_binary_exports(project):
    cfg = envward.load(project_dir=project)
    assert cfg.environment == "development"
    assert cfg["PORT"] == "8080"
    assert cfg["GREETING"] == "hello 8080"
    assert cfg["API_TOKEN"] == SENTINEL
    exported = subprocess.run(
        [envward_bin(), "-C", str(project), "export", "--format", "json"],
        check=True, capture_output=True, text=True,
    ).stdout
    assert cfg.to_dict() == json.loads(exported)
    assert dict(cfg.items()) == cfg.to_dict()
    assert list(cfg) == sorted(cfg.to_dict())
    assert cfg.keys() == list(cfg)
    assert len(cfg) == 6
    assert "PORT" in cfg and "NOPE" not in cfg


def test_values_are_never_shown_unless_asked_for(project):
    cfg = envward.load(project_dir=project)
    assert cfg.is_sensitive("API_TOKEN")
    assert not cfg.is_sensitive("PORT")
    assert cfg.masked("API_TOKEN") != SENTINEL
    assert_no_sentinel(repr(cfg), str(cfg), cfg.masked("API_TOKEN"), cfg.origin("API_TOKEN"))
    assert cfg.origin("PORT") == ".env:1:1"


def test_typed_values_follow_the_schema(project):
    cfg = envward.load(project_dir=project)
    assert cfg.typed("PORT") == 8080
    assert cfg.typed("DEBUG") is False
    assert cfg.typed("TIMEOUT") == 90.0
    assert cfg.typed("HOSTS") == ["a.example", "b.example"]
    assert cfg.typed("API_TOKEN") == SENTINEL


def test_a_bad_secret_value_is_not_quoted(tmp_path):
    root = tmp_path / "p"
    write(root, "envward.toml", '[vars.DB_PASSWORD]\ntype = "int"\nsensitive = true\n')
    write(root, ".env", f"DB_PASSWORD={SENTINEL}\n")
    cfg = envward.load(project_dir=root)
    with pytest.raises(ValueError) as err:
        cfg.typed("DB_PASSWORD")
    assert "DB_PASSWORD" in str(err.value)
    assert_no_sentinel(err.value)


def test_get_and_missing_keys(project):
    cfg = envward.load(project_dir=project)
    assert cfg.get("PORT") == "8080"
    assert cfg.get("NOPE") is None
    assert cfg.get("NOPE", "x") == "x"
    with pytest.raises(KeyError):
        cfg["NOPE"]


def test_process_environment_wins_as_for_the_binary(project, monkeypatch):
    monkeypatch.setenv("PORT", "9090")
    cfg = envward.load(project_dir=project)
    assert cfg["PORT"] == "9090"
    assert cfg.origin("PORT") == "process environment"


def test_apply_sets_os_environ_without_overriding(project, monkeypatch):
    monkeypatch.delenv("GREETING", raising=False)
    cfg = envward.load(project_dir=project)
    # Set after loading (set before, the process environment would win in
    # the configuration itself, as for the binary).
    monkeypatch.setenv("DEBUG", "kept")
    before = set(os.environ)
    try:
        set_keys = cfg.apply()
        assert "DEBUG" not in set_keys and os.environ["DEBUG"] == "kept"
        assert os.environ["GREETING"] == "hello 8080"
        cfg.apply(override=True)
        assert os.environ["DEBUG"] == "false"
    finally:
        # What apply() added must not reach the tests that follow.
        for key in cfg:
            if key not in before:
                os.environ.pop(key, None)


def test_parse_errors_raise_with_location_and_without_the_secret(tmp_path):
    root = tmp_path / "p"
    write(root, ".env", f"OK=1\nDB PASSWORD={SENTINEL}\n")
    with pytest.raises(envward.EnvwardError) as err:
        envward.load(project_dir=root)
    assert err.value.kind == "input"
    assert ".env:2:" in str(err.value)
    assert_no_sentinel(err.value, repr(err.value))


def test_missing_required_key_is_refused(tmp_path):
    root = tmp_path / "p"
    write(root, "envward.toml", "[vars.DATABASE_URL]\nrequired = true\n")
    write(root, ".env", "PORT=1\n")
    with pytest.raises(envward.EnvwardError) as err:
        envward.load(project_dir=root)
    assert "DATABASE_URL" in str(err.value)
    assert err.value.kind == "input"


def strict_project(tmp_path, secret):
    root = tmp_path / "strict"
    write(root, "envward.toml", "[environments.production]\n")
    env = write(root, ".env.production", f"DEBUG=true\nSECRET_KEY={secret}\n")
    env.chmod(0o600)
    return root


def test_a_strict_environment_passes_the_deploy_gate_first(tmp_path):
    root = strict_project(tmp_path, WEAK)
    with pytest.raises(envward.GateError) as err:
        envward.load("production", project_dir=root)
    assert isinstance(err.value, envward.EnvwardError)
    report = err.value.report
    assert report.errors >= 2
    rules = {f.rule for f in report.findings}
    assert "debug.production" in rules or any(r.startswith("debug") for r in rules)
    assert all(f.severity == "error" for f in report.findings)
    assert "nothing was loaded" in str(err.value)
    assert WEAK not in str(err.value)
    cfg = envward.load("production", project_dir=root, check=False)
    assert cfg.strict and cfg["DEBUG"] == "true"


def test_the_gate_compares_with_the_other_environments_like_run(tmp_path):
    # staging (strict) sets a secret production lacks: run refuses, so does load.
    root = tmp_path / "app"
    write(root, "envward.toml", "[environments.production]\n[environments.staging]\n")
    write(root, ".env.staging", f"DEBUG=False\nAPI_TOKEN={WEAK}-staging-Qw8Er3Ty6Ui1\n")
    write(root, ".env.production", "DEBUG=False\n")
    with pytest.raises(envward.GateError) as err:
        envward.load("production", project_dir=root)
    rules = {f.rule for f in err.value.report.findings}
    assert "config.missing-in-strict" in rules
    assert WEAK not in str(err.value)


def test_check_fills_the_one_findings_model(tmp_path):
    root = strict_project(tmp_path, SENTINEL)
    report = envward.check("production", project_dir=root)
    assert report.fails()
    assert report.environments == ["production"]
    out = subprocess.run(
        [envward_bin(), "-C", str(root), "check", "-e", "production", "--format", "json"],
        capture_output=True, text=True,
    )
    assert out.returncode == 1
    from_binary = json.loads(out.stdout)
    from_python = json.loads(report.to_json())
    assert [f["rule"] for f in from_python["findings"]] == [f["rule"] for f in from_binary["findings"]]
    finding = report.findings[0]
    assert finding.file is not None and finding.line >= 1
    for text in (report.to_text(), report.to_json(), report.to_sarif(), report.to_junit(),
                 report.to_markdown(), report.to_html(), repr(report), repr(finding)):
        assert_no_sentinel(text)
    assert json.loads(report.to_sarif())["version"] == "2.1.0"
    assert report.to_junit().startswith("<?xml")
    with pytest.raises(ValueError):
        report.fails("fatal")


def test_check_the_example_project_like_the_readme(monkeypatch):
    report = envward.check(all_envs=True, project_dir=WEBAPP)
    staging = [f for f in report.findings if f.environment == "staging"]
    assert sum(f.severity == "error" for f in staging) == 6
    assert not [f for f in report.findings if f.environment == "production" and f.severity == "error"]


def test_encrypted_environment_needs_an_identity(tmp_path, monkeypatch):
    root = tmp_path / "enc"
    write(root, "envward.toml", "[environments.staging]\nstrict = false\n")
    identity = tmp_path / "id.txt"
    recipient = subprocess.run([envward_bin(), "keygen", "--output", str(identity)],
                               check=True, capture_output=True, text=True).stdout.strip()
    assert recipient.startswith("age1")
    run = lambda *a: subprocess.run([envward_bin(), "-C", str(root), *a], check=True,
                                    capture_output=True, text=True)
    run("recipients", "add", "-e", "staging", recipient)
    monkeypatch.setenv("ENVWARD_IDENTITY_FILE", str(identity))
    run("set", "-e", "staging", "API_TOKEN", SENTINEL)
    text = "\n".join(p.read_text() for p in root.rglob("*.env*") if p.is_file())
    assert SENTINEL not in text
    cfg = envward.load("staging", project_dir=root, check=False)
    assert cfg["API_TOKEN"] == SENTINEL
    monkeypatch.delenv("ENVWARD_IDENTITY_FILE")
    with pytest.raises(envward.EnvwardError) as err:
        envward.load("staging", project_dir=root, check=False)
    assert err.value.kind == "identity"
    assert_no_sentinel(err.value)
    cfg = envward.load("staging", project_dir=root, identities=[str(identity)], check=False)
    assert cfg["API_TOKEN"] == SENTINEL


def test_reads_of_a_strict_environment_are_audited(tmp_path):
    root = tmp_path / "audited"
    write(root, "envward.toml", "[environments.production]\n")
    env = write(root, ".env.production", "SECRET_KEY=" + "k" * 8 + "Xq7-vB2_nM9+wL4.tR6~zP1@" + "\n")
    env.chmod(0o600)
    envward.load("production", project_dir=root, check=False)
    log = (root / ".envward" / "audit.log").read_text().splitlines()
    entry = json.loads(log[-1])
    assert entry["command"] == "python" and entry["action"] == "read"
    assert entry["keys"] == ["SECRET_KEY"]
    verify = subprocess.run([envward_bin(), "-C", str(root), "log", "verify"],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr


PROBE_SERVER = REPO / "crates" / "envward-cli" / "tests" / "cli" / "probe_server.py"


@pytest.fixture
def deployment(tmp_path):
    """A careless deployment on 127.0.0.1 (the binary's probe tests' server):
    its health endpoint prints a database URL."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "365", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:FALSE", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "routes": {
            "/": {"status": 200, "body": "welcome", "headers": [
                ["Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"],
                ["X-Content-Type-Options", "nosniff"], ["X-Frame-Options", "DENY"]]},
            "/health": {"status": 200, "body": f"{{\"db\": \"postgres://app:{SENTINEL}@db/app\"}}"},
        },
        "default": {"status": 404, "body": "not found"},
        "http": {"status": 301, "headers": [["Location", "{https}/"]]},
    }))
    server = subprocess.Popen(["python3", str(PROBE_SERVER), str(config), str(cert), str(key)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        _, https, http = server.stdout.readline().split()
        yield {"url": f"https://127.0.0.1:{https}/", "http_url": f"http://127.0.0.1:{http}/",
               "ca_file": cert}
    finally:
        server.stdin.close()
        server.kill()
        server.wait()


def test_probe_names_the_leaked_key_and_never_the_value(tmp_path, deployment):
    root = tmp_path / "app"
    write(root, ".env", f"BASE_URL={deployment['url']}\nDATABASE_URL=postgres://app:{SENTINEL}@db/app\n")
    report = envward.probe(project_dir=root, http_url=deployment["http_url"],
                           ca_file=deployment["ca_file"], timeout=5)
    assert report.fails()
    leaks = [f for f in report.findings if f.rule == "probe.secret-leak"]
    assert len(leaks) == 1 and leaks[0].key is None
    assert "DATABASE_URL" in leaks[0].message and "/health" in str(leaks[0].file)
    assert not [f for f in report.findings if f.rule in ("probe.hsts", "probe.https-redirect")]
    for text in (report.to_text(), report.to_json(), report.to_sarif(), repr(report)):
        assert_no_sentinel(text)
    # No project, no URL: refused.
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(envward.EnvwardError) as err:
        envward.probe(project_dir=empty)
    assert err.value.kind == "usage"
