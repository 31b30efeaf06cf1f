#!/usr/bin/env bash
# The Python module (crates/envward-py) beside python-dotenv: reading a
# plain `.env` of 50 and of 10,000 keys (bench/fixtures.py's 50.env and
# 10k.env) into a dict.
#
#   envward        envward.load(project_dir=P).to_dict()
#   python-dotenv  dotenv.dotenv_values(P + "/.env")
#
# Two measures: whole processes with hyperfine -N (`python3 -c …`, the
# interpreter's start-up, `python3 -c pass`, measured alongside as the
# floor), and the call alone in one process (the median of REPS calls
# after a warm-up, time.perf_counter_ns). Both tools first read the same
# fixture and must give the same dict (else exit 1, naming no value).
#
# Knobs: RUNS (hyperfine runs, 30), REPS (in-process calls, 200), WHEEL (a
# built wheel: no build), KEEP=1 (keep the fixture directory), OUT (JSON,
# default bench/results). Needs: cargo, maturin, hyperfine, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-30}"
REPS="${REPS:-200}"
OUT="${OUT:-$ROOT/bench/results}"

source "$ROOT/bench/lib.sh"
need hyperfine python3 maturin

W="$(mktemp -d "${TMPDIR:-/tmp}/envward-python.XXXXXX")"
if [ "${KEEP:-0}" = 1 ]; then trap 'echo "fixture kept in $W" >&2' EXIT
else trap 'rm -rf "$W"' EXIT; fi

if [ -z "${WHEEL:-}" ]; then
    note "building the wheel (release)"
    maturin build --quiet --release --locked -m "$ROOT/crates/envward-py/Cargo.toml" -o "$W/wheels" >&2
    WHEEL="$(ls "$W"/wheels/envward-*.whl | head -1)"
fi
python3 -m pip install --quiet --no-deps --no-index --target "$W/site" "$WHEEL" 2>/dev/null
venv_with dotenv "python-dotenv==$PYTHON_DOTENV_VERSION" || { echo "error: python-dotenv could not be installed" >&2; exit 2; }
PY="$TOOLS/venv/bin/python3"
mkdir -p "$W/plain"
python3 "$ROOT/bench/fixtures.py" "$W/plain" >/dev/null
for n in 50 10k; do
    mkdir -p "$W/p$n"
    cp "$W/plain/$n.env" "$W/p$n/.env"
done
export PYTHONPATH="$W/site"
cd "$W"

# The same dict from both, else stop.
"$PY" - "$W" <<'EOF'
import sys, envward, dotenv
w = sys.argv[1]
for n in ("50", "10k"):
    ours = envward.load(project_dir=f"{w}/p{n}").to_dict()
    theirs = dotenv.dotenv_values(f"{w}/p{n}/.env")
    differ = [k for k in set(ours) | set(theirs) if ours.get(k) != theirs.get(k)]
    if differ:
        sys.exit(f"error: {n}.env: {len(differ)} keys differ between envward and python-dotenv")
    print(f"{n}.env: {len(ours)} keys, the same dict from both", file=sys.stderr)
EOF

E="env -i PATH=/usr/bin:/bin HOME=$W PYTHONPATH=$W/site"
# hyperfine -N splits a command into words as a shell would (quotes kept
# together), without starting one.
declare -A CMD=(
    [floor]="$E $PY -c pass"
    [ew-50]="$E $PY -c \"import envward; envward.load(project_dir='$W/p50').to_dict()\""
    [dotenv-50]="$E $PY -c \"import dotenv; dotenv.dotenv_values('$W/p50/.env')\""
    [ew-10k]="$E $PY -c \"import envward; envward.load(project_dir='$W/p10k').to_dict()\""
    [dotenv-10k]="$E $PY -c \"import dotenv; dotenv.dotenv_values('$W/p10k/.env')\""
)
NAMES=(floor ew-50 dotenv-50 ew-10k dotenv-10k)
mkdir -p "$OUT"
uptime | sed 's/^/    load before: /' >&2
for n in "${NAMES[@]}"; do
    hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/python-$n.json" \
        -n "$n" "${CMD[$n]}" >/dev/null 2>&1 || {
        echo "error: $n failed under hyperfine: ${CMD[$n]}" >&2; exit 1; }
    python3 - "$OUT/python-$n.json" "$n" <<'PYEOF'
import json, sys, statistics
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<12} whole process  median {statistics.median(r['times'])*1e3:8.2f} ms  ({len(r['times'])} runs)")
PYEOF
done
uptime | sed 's/^/    load after: /' >&2

# The call alone, in one warm process.
"$PY" - "$W" "$REPS" <<'EOF'
import sys, time, statistics, envward, dotenv
w, reps = sys.argv[1], int(sys.argv[2])
def median_ms(f):
    for _ in range(3): f()
    ts = []
    for _ in range(reps):
        t = time.perf_counter_ns(); f(); ts.append(time.perf_counter_ns() - t)
    return statistics.median(ts) / 1e6
for n in ("50", "10k"):
    ours = median_ms(lambda: envward.load(project_dir=f"{w}/p{n}").to_dict())
    theirs = median_ms(lambda: dotenv.dotenv_values(f"{w}/p{n}/.env"))
    print(f"{n:>4} keys, in process: envward {ours:8.3f} ms  python-dotenv {theirs:8.3f} ms  ({theirs/ours:.1f}x)")
EOF
