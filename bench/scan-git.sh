#!/usr/bin/env bash
# Throughput of `envward scan --git` on a generated repository.
#
# The repository (made with `git fast-import`, seeded, reproducible):
# COMMITS commits (default 2000) on one branch. The first adds 600 C
# headers from /usr/include under src/; each later commit replaces 3 files
# of src/ with the text of 3 other headers, so every file version is
# real source text (about 4,800 distinct file versions, 52 MB: identical
# headers share a blob). Every 100th
# commit also adds config/leakN.py with a GitHub token (valid checksum) and
# a Stripe live key; every 200th removes the previous one again (the
# secret stays in history only).
#
# Measured: `envward -C REPO scan --git --format json > /dev/null` (exit 1:
# findings), against `git -C REPO log -p > /dev/null` (git producing every
# diff of the same history: what diff-based scanners read) as a reference.
# Reported: medians, MB/s over the blob bytes envward read.
#
# Environment knobs: COMMITS, RUNS (default 5), WORK (default a temp
# directory, removed at the end unless KEEP=1).
# Needs: cargo, git, hyperfine, python3, /usr/include.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMMITS="${COMMITS:-2000}"
RUNS="${RUNS:-5}"
WORK="${WORK:-$(mktemp -d)}"

source "$ROOT/bench/lib.sh"
need cargo git hyperfine python3
[ -d /usr/include ] || { echo "error: /usr/include is needed as source text" >&2; exit 2; }

BIN="$(release_bin)"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
export ENVWARD_FINGERPRINT_KEY=bench-fingerprint-key-0123456789
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1

REPO="$WORK/repo"
echo "==> generating a repository of $COMMITS commits in $REPO" >&2
git init -q -b main "$REPO"
python3 - "$COMMITS" <<'PY' | git -C "$REPO" fast-import --quiet
import os, random, sys, zlib
commits = int(sys.argv[1])
rnd = random.Random(2000)
headers = sorted(
    os.path.join(d, f)
    for d, _, fs in os.walk("/usr/include")
    for f in fs
    if f.endswith(".h") and not os.path.islink(os.path.join(d, f))
)
rnd.shuffle(headers)
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
digits62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
def rs(n):
    return "".join(rnd.choice(alnum) for _ in range(n))
def github():
    body, check = rs(30), ""
    n = zlib.crc32(body.encode())
    for _ in range(6):
        check = digits62[n % 62] + check
        n //= 62
    return f"ghp_{body}{check}"
out = sys.stdout.buffer
def data(b):
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")
def read(path):
    with open(path, "rb") as f:
        return f.read()
files = [f"src/f{i:03d}.h" for i in range(600)]
source = iter(headers)
t0 = 1767225600  # 2026-01-01
for c in range(commits):
    when = t0 + c * 3600
    out.write(b"commit refs/heads/main\n")
    out.write(b"author Bench <bench@example.invalid> %d +0000\n" % when)
    out.write(b"committer Bench <bench@example.invalid> %d +0000\n" % when)
    data(b"commit %d" % c)
    # Each commit continues the branch (fast-import's default).
    changed = files if c == 0 else rnd.sample(files, 3)
    for name in changed:
        out.write(f"M 100644 inline {name}\n".encode())
        data(read(next(source)))
    if c > 0 and c % 100 == 0:
        text = f'GITHUB_TOKEN = "{github()}"\nSTRIPE = "sk_live_{rs(24)}"\n'
        out.write(f"M 100644 inline config/leak{c}.py\n".encode())
        data(text.encode())
    if c > 0 and c % 200 == 0:
        out.write(f"D config/leak{c - 100}.py\n".encode())
PY
git -C "$REPO" reset -q --hard main
git -C "$REPO" gc -q
BLOBS=$(git -C "$REPO" rev-list --objects --all | cut -d' ' -f1 \
    | git -C "$REPO" cat-file --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{s+=$2} END{print s}')
echo "    $(git -C "$REPO" rev-list --count HEAD) commits, $BLOBS bytes of blobs, pack $(du -sh "$REPO/.git" | cut -f1)" >&2

mkdir -p "$WORK/results"
echo "==> scan --git" >&2
hyperfine --warmup 1 --runs "$RUNS" -i \
    --export-json "$WORK/results/git.json" \
    "$BIN -C $REPO scan --git --format json > /dev/null" \
    "git -C $REPO log -p > /dev/null"
"$BIN" -C "$REPO" scan --git --format json 2>&1 >/dev/null | grep '^note: read' >&2 || true

python3 - "$WORK/results/git.json" "$BLOBS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
blobs = int(sys.argv[2])
for x in r:
    name = "envward scan --git" if "scan" in x["command"] else "git log -p"
    print(f"{name:>20}: median {x['median']*1000:.0f} ms (min {x['min']*1000:.0f}, max {x['max']*1000:.0f}), "
          f"user {x['user']*1000:.0f} ms: {blobs/1e6/x['median']:.0f} MB/s of blobs")
PY
