#!/usr/bin/env bash
# Whole-process time of `envward check --all-envs`:
#   1. the bundled example project (examples/webapp: 3 environments,
#      36 keys, 40 declarations);
#   2. a generated project: 3 environments x KEYS keys (default 1,000),
#      each declared with a type and constraints (so every schema rule
#      runs).
# Targets: <= 10 ms at the median for the example (deploy-gate issue),
# <= 15 ms for 3 x 1,000 keys (issue 18).
# Needs: cargo, hyperfine. Environment knobs: RUNS (default 200), KEYS,
# OUT, BIN (a built binary: no build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-200}"
OUT="${OUT:-$ROOT/bench/results}"
mkdir -p "$OUT"
KEYS="${KEYS:-1000}"
if [ -z "${BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release -q -p envward-cli)
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/envward"
fi

# PROJ=DIR keeps the generated project there (for profiling).
if [ -z "${PROJ:-}" ]; then
  PROJ="$(mktemp -d)"
  trap 'rm -rf "$PROJ"' EXIT
fi
python3 - "$PROJ" "$KEYS" <<'PY'
import os, sys, random
root = sys.argv[1]
n = int(sys.argv[2])
random.seed(7)
kinds = ["int", "bool", "port", "url", "string", "enum", "secret", "duration", "list"]
schema = ["[environments.production]\nstrict = true\n"]
values = {}
for i in range(n):
    k = kinds[i % len(kinds)]
    key = f"KEY_{i:04d}" if k != "secret" else f"SECRET_TOKEN_{i:04d}"
    decl = f"\n[vars.{key}]\ntype = \"{k}\"\nrequired = true\n"
    if k == "int": decl += "min = 0\nmax = 100000\n"; v = str(i * 7)
    elif k == "bool": decl += f"[vars.{key}.env.production]\nequals = false\n"; v = "False"
    elif k == "port": v = str(1024 + i)
    elif k == "url": decl += "pattern = \"https://.*\"\n"; v = f"https://svc{i}.example.com/api"
    elif k == "enum": decl += "choices = [\"a\", \"b\", \"c\"]\n"; v = "b"
    elif k == "secret": decl += "min_length = 32\n"; v = "".join(random.choice("abcdef0123456789") for _ in range(48))
    elif k == "duration": decl += "max = 86400\n"; v = "15m"
    elif k == "list": v = "a.example.com,b.example.com"
    else: decl += "min_length = 3\nmax_length = 64\n"; v = f"value-{i}"
    schema.append(decl)
    values[key] = v
open(os.path.join(root, "envward.toml"), "w").write("".join(schema))
for env in ["development", "staging", "production"]:
    d = os.path.join(root, "env", env)
    os.makedirs(d)
    keys = list(values)
    for ns, part in [("common", keys[:n // 2]), ("security", keys[n // 2:3 * n // 4]), ("database", keys[3 * n // 4:])]:
        path = os.path.join(d, f"{ns}.env")
        with open(path, "w") as f:
            for k in part:
                v = values[k]
                if k.startswith("SECRET_TOKEN"):
                    # one random secret per environment
                    v = "".join(random.choice("abcdef0123456789") for _ in range(48))
                f.write(f"{k}={v}\n")
        os.chmod(path, 0o600)  # files holding secrets must be private
PY
"$BIN" -C "$PROJ" check --all-envs --color never | tail -5  # must pass: exit 0

hyperfine -N --warmup 20 --runs "$RUNS" \
  --export-json "$OUT/check.json" \
  -n "example: check --all-envs" "$BIN -C $ROOT/examples/webapp check --all-envs --fail-on never" \
  -n "3 envs x $KEYS keys: check --all-envs" "$BIN -C $PROJ check --all-envs" \
  -n "baseline: envward --version" "$BIN --version"

python3 - "$OUT/check.json" <<'PY'
import json, sys, statistics
res = json.load(open(sys.argv[1]))["results"]
print()
print(f"{'command':40} {'median ms':>10} {'mean ms':>9} {'min ms':>8}")
for r in res:
    t = r["times"]
    print(f"{r['command']:40} {statistics.median(t)*1000:10.3f} {statistics.mean(t)*1000:9.3f} {min(t)*1000:8.3f}")
print("targets: <= 10 ms at the median for the example, <= 15 ms for 3 x 1,000 keys")
PY
