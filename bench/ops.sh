#!/usr/bin/env bash
# Operations (issue 17): history snapshots and the audit log.
#
#   1. `envward log verify` of a 100,000-line audit log (target <= 200 ms).
#      The log is written by this script (python3: the same JSON lines and
#      SHA-256 chain envward writes), so the run measures reading, parsing
#      and hashing only.
#   2. `envward snapshot --all-envs` of 3 environments x 300 keys (a tenth
#      of them secrets), with ENVWARD_FINGERPRINT_KEY set (target <= 20 ms).
#      Each run appends; after 100 per environment the oldest are dropped,
#      so most runs measure the steady state with retention.
#   3. `envward run -e production --no-check -- /usr/bin/true` on 50 keys
#      (5 secrets) with read logging on (`audit_reads = true`, the default of
#      a strict environment: one audit line per run) against the same with
#      `audit_reads = false`: the cost of logging reads.
#
# Environment knobs: RUNS (default 50), WARMUP (default 5), OUT (JSON
# exports, default bench/results). Needs: cargo, hyperfine, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-50}"
WARMUP="${WARMUP:-5}"
OUT="${OUT:-$ROOT/bench/results}"

source "$ROOT/bench/lib.sh"
need cargo hyperfine python3
BIN="$(release_bin)"
mkdir -p "$OUT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/envward-ops.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# --- 1. log verify, 100k lines
V="$WORK/verify"
mkdir -p "$V/.envward"
printf 'PORT=1\n' > "$V/.env"
python3 - "$V/.envward/audit.log" <<'PY'
import hashlib, json, sys
prev = "0" * 64
with open(sys.argv[1], "wb") as f:
    for i in range(100_000):
        e = {
            "time": "2026-12-04T10:%02d:%02d.%03dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000),
            "user": "user%d" % (i % 7),
            "host": "web%d" % (i % 3),
            "command": ["set", "get", "run", "export"][i % 4],
            "action": "write" if i % 4 == 0 else "read",
            "environment": "production",
            "keys": ["KEY_%d" % (i % 300), "SECRET_%d" % (i % 30)],
            "prev": prev,
        }
        line = json.dumps(e, separators=(",", ":")).encode()
        f.write(line + b"\n")
        prev = hashlib.sha256(line).hexdigest()
PY
echo "==> audit log: $(wc -l < "$V/.envward/audit.log") lines, $(du -h "$V/.envward/audit.log" | cut -f1)" >&2
"$BIN" -C "$V" log verify >&2
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$OUT/ops-log-verify.json" \
    "$BIN -C $V log verify"

# --- 2. snapshot, 3 x 300 keys
S="$WORK/snapshot"
mkdir -p "$S"
printf '[environments.production]\nstrict = true\n[environments.staging]\nstrict = true\n[environments.development]\n' > "$S/envward.toml"
for env in production staging development; do
    python3 - "$S/.env.$env" "$env" <<'PY'
import sys
env = sys.argv[2]
with open(sys.argv[1], "w") as f:
    for i in range(300):
        if i % 10 == 0:
            f.write("SERVICE_%d_TOKEN=%s-token-%032d\n" % (i, env, i))
        elif i % 10 == 1:
            f.write("SERVICE_%d_URL=https://svc%d.%s.example.com/api\n" % (i, i, env))
        else:
            f.write("SETTING_%d=%d\n" % (i, i))
PY
done
export ENVWARD_FINGERPRINT_KEY="bench-fingerprint-key"
"$BIN" -C "$S" snapshot --all-envs >&2
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$OUT/ops-snapshot.json" \
    "$BIN -C $S snapshot --all-envs"
echo "==> history: $(wc -l < "$S/.envward/history.jsonl") snapshots kept" >&2

# --- 3. run overhead of logging reads
R="$WORK/run"
mkdir -p "$R/on" "$R/off"
python3 - "$R/on/.env.production" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(45):
        f.write("SETTING_%d=value-%d\n" % (i, i))
    for i in range(5):
        f.write("SERVICE_%d_API_KEY=key-%040d\n" % (i, i))
PY
cp "$R/on/.env.production" "$R/off/.env.production"
printf '[environments.production]\nstrict = true\n' > "$R/on/envward.toml"
printf '[environments.production]\nstrict = true\naudit_reads = false\n' > "$R/off/envward.toml"
hyperfine -N --warmup "$WARMUP" --runs "$((RUNS * 4))" \
    --export-json "$OUT/ops-run-audit.json" \
    -n "reads not logged" "$BIN -C $R/off run -e production --no-check -- /usr/bin/true" \
    -n "reads logged" "$BIN -C $R/on run -e production --no-check -- /usr/bin/true"
echo "==> audit log after the runs: $(wc -l < "$R/on/.envward/audit.log") lines; $("$BIN" -C "$R/on" log verify)" >&2
