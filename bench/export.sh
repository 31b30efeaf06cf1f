#!/usr/bin/env bash
# Issue 18's export row alone: `envward export --format dotenv` of 10,000
# encrypted keys, beside `sops -d` of the same plaintext. The fixture is
# bench/peers.sh's (bench/fixtures.py's 10k.env, `encrypt --all` in an
# environment with recipients that is not strict: no deploy gate), and so
# are the commands:
#
#   envward  -C <enc10k> export -e bulk --format dotenv
#   sops     -d <sops>/10k.env
#
# Each runs in an empty environment (`env -i`, PATH, an empty HOME, the
# variable naming the identity) with hyperfine -N (no shell), after a
# check that its output is the plaintext.
#
# Knobs: BIN (an envward binary: no build), RUNS (30), WARMUP (3),
# SKIP_SOPS=1 or SOPS=/path (see bench/lib.sh), KEEP=1 (keep the fixture
# directory: e.g. to run perf or callgrind on the same command), OUT (JSON,
# default bench/results). Needs: cargo, hyperfine, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-30}"
WARMUP="${WARMUP:-3}"
OUT="${OUT:-$ROOT/bench/results}"

source "$ROOT/bench/lib.sh"
need hyperfine python3
# Absolute: the script changes directory before running it.
BIN="$(realpath "${BIN:-$(release_bin)}")"
[ -x "$BIN" ] || { echo "error: $BIN is not executable" >&2; exit 2; }

UNAVAILABLE=()
HAVE_SOPS=0
if [ "${SKIP_SOPS:-0}" = 1 ]; then UNAVAILABLE+=("sops: skipped (SKIP_SOPS=1)")
elif install_sops; then HAVE_SOPS=1; fi

W="$(mktemp -d "${TMPDIR:-/tmp}/envward-export.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then trap 'echo "fixture kept in $W" >&2' EXIT
else trap 'rm -rf "$W"' EXIT; fi
mkdir -p "$W/home" "$W/plain" "$W/ew-enc10k"
cd "$W"
python3 "$ROOT/bench/fixtures.py" "$W/plain"
CLEAN=(env -i PATH=/usr/bin:/bin "HOME=$W/home")
ID="$W/identity.txt"
RECIPIENT="$("$BIN" keygen --output "$ID" 2>/dev/null)"
printf '[environments.bulk]\nrecipients = ["%s"]\n' "$RECIPIENT" > "$W/ew-enc10k/envward.toml"
cp "$W/plain/10k.env" "$W/ew-enc10k/.env.bulk"
"${CLEAN[@]}" ENVWARD_IDENTITY_FILE="$ID" "$BIN" -C "$W/ew-enc10k" encrypt -e bulk --all >/dev/null
if [ "$HAVE_SOPS" = 1 ]; then
    mkdir -p "$W/sops"
    "$SOPS" -e --input-type dotenv --output-type dotenv --age "$RECIPIENT" \
        "$W/plain/10k.env" > "$W/sops/10k.env" ||
        { UNAVAILABLE+=("sops: encrypting the fixture failed"); HAVE_SOPS=0; }
fi

C="${CLEAN[*]}"
declare -A CMD=(
    [ew-export10k]="$C ENVWARD_IDENTITY_FILE=$ID $BIN -C $W/ew-enc10k export -e bulk --format dotenv"
    [sops-dec10k]="$C SOPS_AGE_KEY_FILE=$ID ${SOPS:-sops} -d $W/sops/10k.env"
)
check_out() {  # check_out NAME: CMD[NAME]'s stdout holds the 10,000 plaintext values
    # shellcheck disable=SC2086  # a word list, as hyperfine -N splits it
    if ! ${CMD[$1]} > "$W/out-$1" 2> "$W/err-$1"; then
        echo "error: $1 failed:" >&2; cat "$W/err-$1" >&2; return 1
    fi
    check_plaintext_out "$W/plain/10k.env" "$W/out-$1" "$1"
}
check_out ew-export10k
NAMES=(ew-export10k)
if [ "$HAVE_SOPS" = 1 ]; then
    if check_out sops-dec10k; then NAMES+=(sops-dec10k)
    else UNAVAILABLE+=("sops: failed its check (see above)"); fi
fi
# The commands as they run, for a profiler.
for n in "${NAMES[@]}"; do echo "$n: ${CMD[$n]}" >&2; done

mkdir -p "$OUT"
args() { local n; for n in "$@"; do printf '%s\0%s\0%s\0' -n "$n" "${CMD[$n]}"; done; }
mapfile -d '' a < <(args "${NAMES[@]}")
uptime | sed 's/^/    load before: /' >&2
hyperfine -N --style basic --output=null --warmup "$WARMUP" --runs "$RUNS" \
    --export-json "$OUT/export.json" "${a[@]}" >/dev/null
uptime | sed 's/^/    load after: /' >&2

echo "envward: $("$BIN" --version) ($BIN)"
[ "$HAVE_SOPS" = 1 ] && echo "sops: $("$SOPS" --version --disable-version-check 2>/dev/null | head -1)"
for u in "${UNAVAILABLE[@]+"${UNAVAILABLE[@]}"}"; do echo "not measured: $u"; done
python3 - "$OUT/export.json" <<'PY'
import json, statistics, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
label = {"ew-export10k": "envward export --format dotenv, 10k encrypted",
         "sops-dec10k": "sops -d, 10k encrypted"}
print(f"{'command':<48} {'runs':>5} {'median ms':>10} {'min ms':>8} {'user ms':>8}")
med = {}
for k, r in res.items():
    med[k] = statistics.median(r["times"]) * 1000
    print(f"{label[k]:<48} {len(r['times']):>5} {med[k]:>10.3f} {min(r['times']) * 1000:>8.3f} {r['user'] * 1000:>8.3f}")
e = med["ew-export10k"]
if "sops-dec10k" in med:
    print(f"sops -d / envward export: {med['sops-dec10k'] / e:.2f}x (target >= 10x)")
print(f"issue 18: export of 10,000 encrypted keys {e:.3f} ms (target 15 ms): {'MET' if e <= 15 else 'MISSED'}")
PY
echo "JSON: $OUT/export.json" >&2
