#!/usr/bin/env bash
# The write path (`envward set`, through envward::store): one key set in a
# plaintext file and in an encrypted file of 10,000 keys, and in a small
# encrypted file, timed with hyperfine. Compares two builds when BASE_BIN
# is given (e.g. a release build of an earlier commit), else times one.
#
#   bash bench/write-path.sh                      # this checkout only
#   BASE_BIN=/path/to/old/envward bash bench/write-path.sh
#   NEW_BIN=/path/to/envward BASE_BIN=… bash bench/write-path.sh   # no build
#
# Every run rewrites the whole file: lock, read, decrypt when encrypted,
# change, re-seal (unchanged values keep their ciphertext), fsync, rename.
#
# Knobs: RUNS (default 30), WARMUP (default 3), KEYS (default 10000).
# Needs: cargo, hyperfine.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-30}"
WARMUP="${WARMUP:-3}"
KEYS="${KEYS:-10000}"

source "$ROOT/bench/lib.sh"
need cargo hyperfine
NEW_BIN="${NEW_BIN:-$(release_bin)}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/envward-write.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# One project per binary (the encrypted files are made by the binary under
# test, with its own identity).
setup() {
    local bin="$1" dir="$2"
    mkdir -p "$dir"
    printf '[environments.production]\n[environments.staging]\n' > "$dir/envward.toml"
    python3 - "$dir" "$KEYS" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
with open(f"{d}/.env.staging", "w") as f:
    for i in range(n):
        f.write(f"KEY_{i}=value-{i}\n")
with open(f"{d}/.env.production", "w") as f:
    for i in range(n):
        f.write(f"API_TOKEN_{i}=secret-value-{i:08d}\n" if i % 2 else f"SETTING_{i}=v{i}\n")
with open(f"{d}/.env.development", "w") as f:
    for i in range(50):
        f.write(f"API_TOKEN_{i}=secret-value-{i:08d}\n" if i % 2 else f"SETTING_{i}=v{i}\n")
PY
    local rcpt
    rcpt="$("$bin" keygen --output "$dir/id.txt" 2>/dev/null)"
    for env in production development; do
        (cd "$dir" && "$bin" recipients add -e "$env" "$rcpt" >/dev/null 2>&1 \
            && ENVWARD_IDENTITY_FILE="$dir/id.txt" "$bin" encrypt -e "$env" >/dev/null 2>&1)
    done
}

run_bench() {
    local label="$1" bin="$2" dir="$3"
    echo "==> $label ($bin)" >&2
    export ENVWARD_IDENTITY_FILE="$dir/id.txt"
    hyperfine -N --runs "$RUNS" --warmup "$WARMUP" \
        --command-name "$label set, $KEYS plain keys" \
        "$bin -C $dir set KEY_5 x$RANDOM -e staging --plain" \
        --command-name "$label set, $KEYS-key encrypted file" \
        "$bin -C $dir set API_TOKEN_5 secret-$RANDOM -e production" \
        --command-name "$label set, 50-key encrypted file" \
        "$bin -C $dir set API_TOKEN_5 secret-$RANDOM -e development"
    unset ENVWARD_IDENTITY_FILE
}

setup "$NEW_BIN" "$WORK/new"
run_bench "new" "$NEW_BIN" "$WORK/new"
if [ -n "${BASE_BIN:-}" ]; then
    setup "$BASE_BIN" "$WORK/base"
    run_bench "base" "$BASE_BIN" "$WORK/base"
fi
