#!/usr/bin/env bash
# Cost of hostile input (issue 11 §6), whole process, release build:
#   1. a 100 MB line holding a key with no `=` (`list`, exit 2);
#   2. 1,000,000 lines `KEY_n=value_n` (`list --format json`);
#   3. 200,000 definitions of one key (`get`, one summarised warning).
# Reports time (hyperfine) and peak memory and output size (/usr/bin/time).
# Needs: cargo, hyperfine, GNU time. Knobs: RUNS (default 3), BIN (a
# binary to measure instead of this tree's, e.g. an older build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}"
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -q -p envward-cli)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/envward"
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK" <<'PY'
import os, sys
w = sys.argv[1]
for d in ("line", "lines", "dups"):
    os.makedirs(os.path.join(w, d))
with open(os.path.join(w, "line", ".env"), "w") as f:
    f.write("A=1\n" + "K" * 100_000_000 + "\n")
with open(os.path.join(w, "lines", ".env"), "w") as f:
    f.writelines(f"KEY_{i}=value_{i}\n" for i in range(1_000_000))
with open(os.path.join(w, "dups", ".env"), "w") as f:
    f.write("A=1\n")
    f.writelines(f"DUP=x{i}\n" for i in range(200_000))
PY
run() { # name dir args...
  local name="$1" dir="$2"; shift 2
  echo "== $name: envward $*"
  (cd "$WORK/$dir" && /usr/bin/time -f "peak RSS %M KB, %e s" "$BIN" --color never "$@" \
      >"$WORK/out" 2>"$WORK/err" || true)
  tail -n 1 "$WORK/err"
  echo "stdout $(wc -c <"$WORK/out") bytes, stderr $(($(wc -c <"$WORK/err"))) bytes"
  (cd "$WORK/$dir" && hyperfine -N -i -w 1 -r "$RUNS" "$BIN --color never $*" 2>/dev/null | sed -n '2,3p')
}
run "100 MB line, no =" line list
run "1M lines" lines list --format json
run "200k duplicates" dups get A
