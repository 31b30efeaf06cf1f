#!/usr/bin/env bash
# Startup overhead of `envward run`: how much later does a program start
# when launched through envward than when launched directly?
#
# Compares, with hyperfine and no intermediate shell (-N):
#   baseline: env -i PATH=/usr/bin:/bin /usr/bin/true
#   envward:  env -i PATH=/usr/bin:/bin <envward> -C <project> run -- /usr/bin/true
# Both start from the same (empty but for PATH) environment. The project is
# a flat-layout temp dir whose `.env` holds 50 keys (plain values, quoted
# values, a few secrets, `${}` references).
#
# Target: envward adds <= 1.5 ms at the median.
#
# hyperfine runs all the runs of one command, then all of the other: on a
# machine whose speed drifts (a shared VM), that biases the difference. So
# the comparison is made in ROUNDS rounds of RUNS runs each, and the medians
# are taken over the run times of all rounds pooled.
#
# Environment knobs: ROUNDS (default 5), RUNS per round (default 100),
# WARMUP per round (default 30), OUT (directory for the JSON exports,
# default bench/results), TARGET_MS (default 1.5).
# Needs: cargo, hyperfine, python3.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-5}"
RUNS="${RUNS:-100}"
WARMUP="${WARMUP:-30}"
OUT="${OUT:-$ROOT/bench/results}"
TARGET_MS="${TARGET_MS:-1.5}"

source "$ROOT/bench/lib.sh"
need cargo hyperfine python3
BIN="$(release_bin)"

PROJECT="$(mktemp -d "${TMPDIR:-/tmp}/envward-overhead.XXXXXX")"
trap 'rm -rf "$PROJECT"' EXIT

# 50 keys: a typical web service's .env.
cat > "$PROJECT/.env" <<'DOTENV'
# --- application
APP_NAME=billing-api
APP_ENV=development
APP_VERSION=2.14.3
DEBUG=false
LOG_LEVEL=info
LOG_FORMAT=json
PORT=8080
HOST=0.0.0.0
PUBLIC_HOST=billing.example.com
BASE_URL=https://${PUBLIC_HOST}
WORKERS=4
REQUEST_TIMEOUT=30s
SHUTDOWN_GRACE=10s
TZ=UTC

# --- database
DB_HOST=db.internal
DB_PORT=5432
DB_NAME=billing
DB_USER=billing_app
DB_PASSWORD='p@ss w0rd with $pecial #chars'
DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:${DB_PORT}/${DB_NAME}?sslmode=require
DB_POOL_MIN=2
DB_POOL_MAX=20
DB_STATEMENT_TIMEOUT=5000

# --- cache and queue
REDIS_HOST=redis.internal
REDIS_PORT=6379
REDIS_URL=redis://${REDIS_HOST}:${REDIS_PORT}/0
CACHE_TTL=300
QUEUE_URL=amqp://guest:guest@rabbit.internal:5672/%2F
QUEUE_PREFETCH=16

# --- secrets
SECRET_KEY="k8\$Zq3v!x9#Lm2\"pQ7wR"
JWT_SIGNING_KEY=2b7e151628aed2a6abf7158809cf4f3c
API_TOKEN=tok_live_51HqLyjWDarjtT1zdp7dc
STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc
SENTRY_DSN=https://public@o0.ingest.sentry.io/0

# --- integrations
SMTP_HOST=smtp.example.com
SMTP_PORT=587
SMTP_USER=no-reply@example.com
SMTP_FROM="Billing <no-reply@example.com>"
S3_BUCKET=billing-invoices
S3_REGION=eu-west-1
S3_ENDPOINT=https://s3.${S3_REGION}.amazonaws.com
CDN_URL=${BASE_URL}/static
ALLOWED_ORIGINS=https://app.example.com,https://admin.example.com
FEATURE_FLAGS=new-invoices,pdf-v2
RATE_LIMIT=100/m
METRICS_PATH=/metrics
HEALTH_PATH=/healthz
SESSION_COOKIE_NAME=__Host-billing  # must match the proxy config
ADMIN_EMAILS=ops@example.com,billing-oncall@example.com
WELCOME_MESSAGE="Hello from ${APP_NAME}\n(v${APP_VERSION})"
DOTENV

CLEAN_ENV=(env -i PATH=/usr/bin:/bin)

# Sanity: the command works and passes all 50 keys (plus PATH).
n="$("${CLEAN_ENV[@]}" "$BIN" -C "$PROJECT" run -- /usr/bin/env -0 | tr -cd '\0' | wc -c)"
if [ "$n" -ne 51 ]; then
    echo "error: expected 51 variables in the child, got $n" >&2
    "${CLEAN_ENV[@]}" "$BIN" -C "$PROJECT" run -- /usr/bin/env >&2 || true
    exit 1
fi

mkdir -p "$OUT"
rm -f "$OUT"/run-overhead-round*.json
BASE_CMD="${CLEAN_ENV[*]} /usr/bin/true"
EW_CMD="${CLEAN_ENV[*]} $BIN -C $PROJECT run -- /usr/bin/true"
echo "baseline: $BASE_CMD" >&2
echo "envward:  $EW_CMD" >&2
EXTRA=()
if [ "${BREAKDOWN:-0}" = 1 ]; then
    # Where the difference goes: one more exec, envward's own start-up
    # (runtime, clap), loading nothing, loading the 50 keys.
    EMPTY="$PROJECT/empty"
    mkdir -p "$EMPTY"
    EXTRA=(
        -n "/usr/bin/true alone" "/usr/bin/true"
        -n "envward --version" "${CLEAN_ENV[*]} $BIN --version"
        -n "envward run (empty project)" "${CLEAN_ENV[*]} $BIN -C $EMPTY run -- /usr/bin/true"
    )
fi
for round in $(seq 1 "$ROUNDS"); do
    echo "==> round $round/$ROUNDS: hyperfine -N, $RUNS runs, $WARMUP warmup" >&2
    hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-json "$OUT/run-overhead-round$round.json" \
        -n "baseline: env -i true" "$BASE_CMD" \
        -n "envward run -- true" "$EW_CMD" \
        "${EXTRA[@]}"
done

python3 - "$TARGET_MS" "$OUT"/run-overhead-round*.json <<'PY'
import json, statistics, sys
target = float(sys.argv[1])
rounds = [json.load(open(p))["results"] for p in sys.argv[2:]]
names = [r["command"] for r in rounds[0]]
ms = lambda s: s * 1000.0

print()
print(f"{'round':<6} {'baseline median ms':>19} {'envward median ms':>18} {'difference ms':>14}")
for i, res in enumerate(rounds, 1):
    b, e = ms(res[0]["median"]), ms(res[1]["median"])
    print(f"{i:<6} {b:>19.3f} {e:>18.3f} {e - b:>14.3f}")

pooled = [[t for res in rounds for t in res[k]["times"]] for k in range(len(names))]
print()
print(f"all rounds pooled ({len(pooled[0])} runs per command):")
print(f"{'command':<28} {'median ms':>10} {'mean ms':>10} {'stddev ms':>10} {'min ms':>8} {'max ms':>8}")
for name, times in zip(names, pooled):
    print(f"{name:<28} {ms(statistics.median(times)):>10.3f} {ms(statistics.fmean(times)):>10.3f} "
          f"{ms(statistics.stdev(times)):>10.3f} {ms(min(times)):>8.3f} {ms(max(times)):>8.3f}")
bm, em = ms(statistics.median(pooled[0])), ms(statistics.median(pooled[1]))
diff = em - bm
print()
print(f"median difference (envward - baseline): {diff:.3f} ms")
print(f"median ratio (envward / baseline):      {em / bm:.2f}x")
print(f"target: <= {target} ms -> {'MET' if diff <= target else 'MISSED'}")
if len(names) == 5:
    med = [ms(statistics.median(t)) for t in pooled]
    base, ew, true_alone, version, empty = med
    print()
    print("breakdown of the difference (pooled medians; the three add up to it):")
    print(f"  envward start-up and exit (--version vs baseline):     {version - base:7.3f} ms")
    print(f"  exec of the child + loading an empty project:          {empty - version:7.3f} ms")
    print(f"  loading the 50 keys (50-key project vs empty project): {ew - empty:7.3f} ms")
    print(f"  (for scale: fork+exec+wait of /usr/bin/true alone:     {true_alone:7.3f} ms)")
PY
echo "JSON: $OUT/run-overhead-round*.json" >&2
