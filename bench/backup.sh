#!/usr/bin/env bash
# `envward backup create` and `envward backup verify` of a 1,000-file
# configuration tree.
#
# The tree: directory layout, ENVS environments (default 100) × NS
# namespaces (default 10) = 1,000 env files of 20 keys each (one a
# sensitive value, so the plaintext check reads every value), envward.toml
# and a .envward/rotations.jsonl of 1,000 lines. `backup create
# --allow-plaintext --output FILE` (the same file replaced each run), then
# `backup verify FILE`. Reported: hyperfine medians.
#
# Target (issue 17): create and verify each <= 1 s.
#
# Environment knobs: ENVS, NS, RUNS (default 10), WORK (default a temp
# directory, removed at the end unless KEEP=1).
# Needs: cargo, hyperfine, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENVS="${ENVS:-100}"
NS="${NS:-10}"
RUNS="${RUNS:-10}"
WORK="${WORK:-$(mktemp -d)}"

source "$ROOT/bench/lib.sh"
need cargo hyperfine python3

BIN="$(release_bin)"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT

TREE="$WORK/project"
echo "==> generating $ENVS × $NS env files in $TREE" >&2
python3 - "$TREE" "$ENVS" "$NS" <<'EOF'
import os, random, sys
tree, envs, nss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(17)
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
os.makedirs(os.path.join(tree, ".envward"), exist_ok=True)
with open(os.path.join(tree, "envward.toml"), "w") as f:
    for e in range(envs):
        f.write(f"[environments.env{e:03}]\n")
with open(os.path.join(tree, ".envward", "rotations.jsonl"), "w") as f:
    for i in range(1000):
        f.write('{"environment":"env%03d","namespace":"ns0","key":"SERVICE_TOKEN","rotated_at":"2026-11-01T00:00:00Z","by":"set"}\n' % (i % envs))
for e in range(envs):
    d = os.path.join(tree, "env", f"env{e:03}")
    os.makedirs(d, exist_ok=True)
    for n in range(nss):
        with open(os.path.join(d, f"ns{n}.env"), "w") as f:
            f.write("# generated for bench/backup.sh\n")
            for k in range(19):
                f.write(f"SETTING_{k}=value-{e}-{n}-{k}\n")
            f.write("SERVICE_TOKEN=" + "".join(rnd.choice(alnum) for _ in range(40)) + "\n")
EOF
ARCHIVE="$WORK/backup.tar.gz"
"$BIN" -C "$TREE" backup create --allow-plaintext --output "$ARCHIVE" >/dev/null 2>&1
"$BIN" -C "$TREE" backup verify "$ARCHIVE"
echo "archive: $(stat -c %s "$ARCHIVE") bytes" >&2

hyperfine --warmup 2 --runs "$RUNS" -N --export-json "$WORK/backup.json" \
    --command-name "backup create (1,000 files)" \
    "$BIN -C $TREE backup create --allow-plaintext --output $ARCHIVE" \
    --command-name "backup verify (1,000 files)" \
    "$BIN -C $TREE backup verify $ARCHIVE"
python3 - "$WORK/backup.json" <<'EOF'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}: median {r['median'] * 1000:.1f} ms "
          f"(user {r['user'] * 1000:.1f} ms, system {r['system'] * 1000:.1f} ms)")
EOF
