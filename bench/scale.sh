#!/usr/bin/env bash
# The loader at scale: `get` one key and `list --format json` from a plain
# `.env` of 10,000, 100,000 and 1,000,000 keys (KEY_i=value_i), whole
# process, release build. Times with hyperfine (medians) and peak memory
# with GNU time (maximum resident set size). Compares two builds when
# BASE_BIN is given (e.g. a release build of an earlier commit).
#
#   bash bench/scale.sh                                  # this checkout only
#   BASE_BIN=/path/to/old/envward bash bench/scale.sh
#   NEW_BIN=/path/to/envward BASE_BIN=… bash bench/scale.sh   # no build
#
# Knobs: SIZES (default "10000 100000 1000000"), RUNS (default 10; the
# 1,000,000-key rows use 3).
# Needs: cargo, hyperfine, python3, GNU time (/usr/bin/time).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="${SIZES:-10000 100000 1000000}"
RUNS="${RUNS:-10}"

source "$ROOT/bench/lib.sh"
need cargo hyperfine python3 /usr/bin/time
NEW_BIN="${NEW_BIN:-$(release_bin)}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/envward-scale.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

bins=("new=$NEW_BIN")
[ -n "${BASE_BIN:-}" ] && bins=("base=$BASE_BIN" "${bins[@]}")

for n in $SIZES; do
    dir="$WORK/keys-$n"
    mkdir -p "$dir"
    python3 - "$dir/.env" "$n" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        f.write(f"KEY_{i}=value_{i}\n")
EOF
    runs="$RUNS"
    [ "$n" -ge 1000000 ] && runs=3
    for cmd in "get KEY_5" "list --format json"; do
        echo "==> $n keys: $cmd"
        args=()
        for b in "${bins[@]}"; do
            name="${b%%=*}" bin="${b#*=}"
            args+=(--command-name "$name $cmd" "$bin -C $dir $cmd")
            /usr/bin/time -f "    $name peak RSS: %M KB" "$bin" -C "$dir" $cmd >/dev/null
        done
        hyperfine -N --runs "$runs" --warmup 1 --output=null \
            --export-json "$WORK/h.json" "${args[@]}"
        python3 - "$WORK/h.json" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"    median {r['median'] * 1000:10.1f} ms  {r['command']}")
EOF
    done
done
