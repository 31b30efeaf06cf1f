#!/usr/bin/env bash
# What any extra process in front of a program costs on this machine, next
# to `envward run`: issue 18 asks `run` for the floor + 0.4 ms.
#
#   floor        env -i PATH=… /usr/bin/true
#   hello-exec   a 3-line Rust program (rustc -O, dynamically linked PIE,
#                as every Rust binary is by default) that only execs
#                /usr/bin/true: the least a Rust process in between costs
#   hello+libm   the same with libm.so preloaded (envward links libm for
#                log2/pow)
#   --version    envward starting and exiting
#   run          envward -C <project> run -- /usr/bin/true, 50 plain keys,
#                not strict (no deploy gate)
#
# ROUNDS rounds (default 3) of RUNS runs (default 200) each, the commands
# interleaved round by round, medians of all rounds pooled.
# Knobs: BIN (an envward binary; default: a release build), ROUNDS, RUNS,
# WARMUP (20), OUT (bench/results). Needs: rustc, hyperfine, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
RUNS="${RUNS:-200}"
WARMUP="${WARMUP:-20}"
OUT="${OUT:-$ROOT/bench/results}"

source "$ROOT/bench/lib.sh"
need rustc hyperfine python3
BIN="${BIN:-$(release_bin)}"
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"

W="$(mktemp -d "${TMPDIR:-/tmp}/envward-floor.XXXXXX")"
trap 'rm -rf "$W"' EXIT
cat > "$W/hello.rs" <<'RS'
use std::os::unix::process::CommandExt;
fn main() {
    let e = std::process::Command::new("/usr/bin/true").exec();
    eprintln!("{e}");
}
RS
rustc -O "$W/hello.rs" -o "$W/hello-exec"
LIBM="$(ldconfig -p | awk '/libm\.so\.6 .*x86-64/ {print $NF; exit}')"
mkdir -p "$W/project"
python3 - "$W/project/.env" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(50):
        f.write(f"KEY_{i}=value-{i}\n")
PY
mkdir -p "$OUT"
C="env -i PATH=/usr/bin:/bin HOME=$W"
for round in $(seq 1 "$ROUNDS"); do
    note "round $round/$ROUNDS: $RUNS runs each"
    hyperfine -N --style basic --output=null --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$OUT/exec-floor-round$round.json" \
        "$C /usr/bin/true" \
        "$C $W/hello-exec" \
        ${LIBM:+"$C LD_PRELOAD=$LIBM $W/hello-exec"} \
        "$C $BIN --version" \
        "$C $BIN -C $W/project run -- /usr/bin/true" >/dev/null
done
python3 - "$OUT"/exec-floor-round*.json <<'PY'
import json, statistics, sys
rounds = [json.load(open(p))["results"] for p in sys.argv[1:]]
labels = ["floor (env -i true)", "hello-exec (Rust, exec only)", "hello-exec + libm",
          "envward --version", "envward run, 50 keys, no gate"]
if len(rounds[0]) == 4:
    labels.remove("hello-exec + libm")
pooled = [statistics.median([t for r in rounds for t in r[k]["times"]]) * 1000
          for k in range(len(rounds[0]))]
print(f"{'command':<32} {'median ms':>10} {'- floor':>9}")
for label, m in zip(labels, pooled):
    print(f"{label:<32} {m:>10.3f} {m - pooled[0]:>+9.3f}")
PY
rm -f "$OUT"/exec-floor-round*.json
