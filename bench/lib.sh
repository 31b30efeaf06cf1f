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
