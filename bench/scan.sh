#!/usr/bin/env bash
# Throughput of `envward scan` and `envward redact`.
#
# scan:   a generated tree (COPIES copies of /usr/include, default 1, about
#         130 MB of real C headers, plus a few files with planted secrets:
#         provider tokens and the project's own values, plain and base64),
#         inside an envward project; `envward scan` over all of it, JSON
#         report to /dev/null. Reported: median wall time and MB/s.
# redact: a project whose production environment holds 1,000 secret values
#         (32 random characters each) and a generated log of LOG_MB MB
#         (default 200) where one line in 100 holds one of them; `envward
#         redact` of the log against `cat` of the same log.
#
# Targets (issue 15): scan >= 150 MB/s on 2 cores; redact >= 500 MB/s.
#
# Environment knobs: COPIES, LOG_MB, RUNS (default 5), WORK (default a temp
# directory, removed at the end unless KEEP=1).
# Needs: cargo, hyperfine, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COPIES="${COPIES:-1}"
LOG_MB="${LOG_MB:-200}"
RUNS="${RUNS:-5}"
WORK="${WORK:-$(mktemp -d)}"

source "$ROOT/bench/lib.sh"
need cargo hyperfine python3
[ -d /usr/include ] || { echo "error: /usr/include is needed as source text" >&2; exit 2; }

BIN="$(release_bin)"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
export ENVWARD_FINGERPRINT_KEY=bench-fingerprint-key-0123456789

echo "==> generating the scan tree in $WORK/tree ($COPIES × /usr/include)" >&2
TREE="$WORK/tree"
mkdir -p "$TREE"
for i in $(seq 1 "$COPIES"); do
    cp -r --no-dereference /usr/include "$TREE/include$i"
done
python3 - "$TREE" <<'EOF'
import base64, os, random, sys, zlib
tree = sys.argv[1]
rnd = random.Random(15)
def rs(alphabet, n):
    return "".join(rnd.choice(alphabet) for _ in range(n))
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
def github(prefix):
    # 30 random characters, then the base62 CRC32 of them in 6.
    body, n, check = rs(alnum, 30), 0, ""
    n = zlib.crc32(body.encode())
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    for _ in range(6):
        check = digits[n % 62] + check
        n //= 62
    return f"{prefix}_{body}{check}"
values = [rs(alnum, 32) for _ in range(20)]
with open(os.path.join(tree, "envward.toml"), "w") as f:
    f.write("[environments.production]\n")
with open(os.path.join(tree, ".gitignore"), "w") as f:
    f.write(".env.production\n")
with open(os.path.join(tree, ".env.production"), "w") as f:
    for i, v in enumerate(values):
        f.write(f"SERVICE_{i}_TOKEN={v}\n")
os.makedirs(os.path.join(tree, "planted"), exist_ok=True)
for i in range(50):
    with open(os.path.join(tree, "planted", f"config{i}.py"), "w") as f:
        f.write("import os\n\n")
        f.write(f'GITHUB = "{github("ghp")}"\n')
        f.write(f'STRIPE = "sk_live_{rs(alnum, 24)}"\n')
        f.write(f"LEAK = {values[i % len(values)]!r}\n")
        f.write(f'ENCODED = "{base64.b64encode(values[(i + 1) % len(values)].encode()).decode()}"\n')
EOF
BYTES=$(du -sb --apparent-size "$TREE" | cut -f1)
echo "    $BYTES bytes" >&2

echo "==> generating the redact project and a ${LOG_MB} MB log" >&2
PROJ="$WORK/redact"
mkdir -p "$PROJ"
python3 - "$PROJ" "$LOG_MB" <<'EOF'
import os, random, sys
proj, mb = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1000)
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
values = ["".join(rnd.choice(alnum) for _ in range(32)) for _ in range(1000)]
with open(os.path.join(proj, "envward.toml"), "w") as f:
    f.write("[environments.production]\n")
with open(os.path.join(proj, ".env.production"), "w") as f:
    for i, v in enumerate(values):
        f.write(f"SECRET_{i}_TOKEN={v}\n")
words = "GET POST request served user session cache miss hit latency ms status 200 404 upstream".split()
target = mb * 1024 * 1024
with open(os.path.join(proj, "app.log"), "w") as f:
    written, n = 0, 0
    while written < target:
        n += 1
        line = f"2026-12-04T17:{n % 60:02d}:00Z INFO " + " ".join(rnd.choice(words) for _ in range(12))
        if n % 100 == 0:
            line += " token=" + values[n % 1000]
        line += "\n"
        f.write(line)
        written += len(line)
EOF
LOG="$PROJ/app.log"
LOG_BYTES=$(stat -c %s "$LOG")

mkdir -p "$WORK/results"
echo "==> scan" >&2
hyperfine --warmup 1 --runs "$RUNS" -i \
    --export-json "$WORK/results/scan.json" \
    "$BIN -C $TREE scan $TREE --format json > /dev/null"
echo "==> redact (1,000 known values) vs cat" >&2
hyperfine --warmup 1 --runs "$RUNS" \
    --export-json "$WORK/results/redact.json" \
    "$BIN -C $PROJ -e production redact < $LOG > /dev/null" \
    "cat < $LOG > /dev/null"

python3 - "$WORK/results" "$BYTES" "$LOG_BYTES" <<'EOF'
import json, sys
d, scan_bytes, log_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = json.load(open(f"{d}/scan.json"))["results"][0]
print(f"scan:   {scan_bytes/1e6:.1f} MB, median {s['median']*1000:.0f} ms "
      f"(min {s['min']*1000:.0f}, max {s['max']*1000:.0f}): {scan_bytes/1e6/s['median']:.0f} MB/s")
r = json.load(open(f"{d}/redact.json"))["results"]
for x in r:
    print(f"{x['command'].split()[0].rsplit('/',1)[-1]:>8}: {log_bytes/1e6:.1f} MB, median {x['median']*1000:.0f} ms: "
          f"{log_bytes/1e6/x['median']:.0f} MB/s")
EOF
