#!/usr/bin/env bash
# `envward probe` of a deployment on 127.0.0.1 (Python's HTTPS server,
# crates/envward-cli/tests/cli/probe_server.py, a certificate made by
# openssl), beside the manual checklist it replaces: the three `curl`
# commands of a post-deploy guide (plain HTTP's redirect, the HTTPS
# headers, the health endpoint), which print answers for a person to read.
#
#   envward  -C P probe --ca-file cert.pem --http-url http://127.0.0.1:H/
#            (6 requests: the URL, plain HTTP, a missing page, /health,
#            /healthz, /status; every answer searched for the project's
#            secrets)
#   curl     sh -c 'curl -sI http://…; curl -sI https://…; curl -s https://…/health'
#
# Knobs: BIN (an envward binary: no build), RUNS (30), OUT (JSON, default
# bench/results). Needs: cargo, hyperfine, python3, openssl, curl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-30}"
OUT="${OUT:-$ROOT/bench/results}"

source "$ROOT/bench/lib.sh"
need hyperfine python3 openssl curl
BIN="$(realpath "${BIN:-$(release_bin)}")"

W="$(mktemp -d "${TMPDIR:-/tmp}/envward-probe.XXXXXX")"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -addext basicConstraints=critical,CA:FALSE \
    -keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1
H='[["Strict-Transport-Security","max-age=31536000; includeSubDomains; preload"],["Content-Type","text/html"],["Content-Security-Policy","default-src '"'"'self'"'"'"],["X-Content-Type-Options","nosniff"],["X-Frame-Options","DENY"]]'
cat > "$W/config.json" <<EOF
{"routes": {"/": {"status": 200, "body": "welcome", "headers": $H},
            "/health": {"status": 200, "body": "{\"ok\": true}", "headers": $H}},
 "default": {"status": 404, "body": "not found", "headers": $H},
 "http": {"status": 301, "headers": [["Location", "{https}/"]]}}
EOF
mkfifo "$W/stdin"
python3 "$ROOT/crates/envward-cli/tests/cli/probe_server.py" "$W/config.json" \
    "$W/cert.pem" "$W/key.pem" < "$W/stdin" > "$W/ports" &
SERVER=$!
exec 3> "$W/stdin"   # the server serves until this closes
for _ in $(seq 50); do [ -s "$W/ports" ] && break; sleep 0.1; done
read -r _ HTTPS HTTP < "$W/ports"
mkdir -p "$W/p"
printf 'BASE_URL=https://127.0.0.1:%s/\nAPI_TOKEN=s3ntinel-Zq8vT1xW9pL4mN7rK2yB\n' "$HTTPS" > "$W/p/.env"

"$BIN" -C "$W/p" probe --ca-file "$W/cert.pem" --http-url "http://127.0.0.1:$HTTP/" >/dev/null ||
    { echo "error: envward probe did not pass the careful deployment" >&2; exit 1; }
mkdir -p "$OUT"
uptime | sed 's/^/    load before: /' >&2
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/probe.json" \
    -n "envward probe" "$BIN -C $W/p probe --ca-file $W/cert.pem --http-url http://127.0.0.1:$HTTP/" \
    -n "curl checklist" "sh -c 'curl -sI http://127.0.0.1:$HTTP/ >/dev/null; curl -sI --cacert $W/cert.pem https://127.0.0.1:$HTTPS/ >/dev/null; curl -s --cacert $W/cert.pem https://127.0.0.1:$HTTPS/health >/dev/null'"
uptime | sed 's/^/    load after: /' >&2
exec 3>&-
