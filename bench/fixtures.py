#!/usr/bin/env python3
"""The plaintext fixtures of bench/encryption.sh and bench/peers.sh, in
the directory given: 50.env (a web service's production file, 50 keys)
and 10k.env (10,000 keys), fixed seed, so every run and every tool sees
the same bytes. Unquoted values only (no `${}`, `#`, quotes or spaces), so
that every tool's dotenv dialect reads the same values."""
import os, random, sys
out = sys.argv[1]
rng = random.Random(5)
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B64 = ALNUM + "+/"
def tok(n, alphabet=ALNUM): return "".join(rng.choice(alphabet) for _ in range(n))
def hexs(n): return "".join(rng.choice("0123456789abcdef") for _ in range(n))

# 50 keys: a web service's production file (the run-overhead.sh names,
# without references or quotes).
fifty = [
    ("APP_NAME", "billing-api"), ("APP_ENV", "production"), ("APP_VERSION", "2.14.3"),
    ("DEBUG", "false"), ("LOG_LEVEL", "info"), ("LOG_FORMAT", "json"), ("PORT", "8080"),
    ("HOST", "0.0.0.0"), ("PUBLIC_HOST", "billing.example.com"),
    ("BASE_URL", "https://billing.example.com"), ("WORKERS", "4"),
    ("REQUEST_TIMEOUT", "30s"), ("SHUTDOWN_GRACE", "10s"), ("TZ", "UTC"),
    ("DB_HOST", "db.internal"), ("DB_PORT", "5432"), ("DB_NAME", "billing"),
    ("DB_USER", "billing_app"), ("DB_PASSWORD", "p@ssw0rd-" + tok(20)),
    ("DATABASE_URL", None), ("DB_POOL_MIN", "2"), ("DB_POOL_MAX", "20"),
    ("DB_STATEMENT_TIMEOUT", "5000"), ("REDIS_HOST", "redis.internal"),
    ("REDIS_PORT", "6379"), ("REDIS_URL", "redis://:" + tok(24) + "@redis.internal:6379/0"),
    ("CACHE_TTL", "300"), ("QUEUE_URL", "amqp://billing:" + tok(16) + "@rabbit.internal:5672/%2F"),
    ("QUEUE_PREFETCH", "16"), ("SECRET_KEY", tok(50, B64)),
    ("JWT_SIGNING_KEY", hexs(64)), ("API_TOKEN", "tok_live_" + tok(24)),
    ("STRIPE_SECRET_KEY", "sk_live_" + tok(24)),
    ("SENTRY_DSN", "https://" + hexs(32) + "@o0.ingest.sentry.io/42"),
    ("SMTP_HOST", "smtp.example.com"), ("SMTP_PORT", "587"),
    ("SMTP_USER", "no-reply@example.com"), ("SMTP_PASSWORD", tok(32)),
    ("S3_BUCKET", "billing-invoices"), ("S3_REGION", "eu-west-1"),
    ("S3_ENDPOINT", "https://s3.eu-west-1.amazonaws.com"),
    ("AWS_SECRET_ACCESS_KEY", tok(40, B64)),
    ("ALLOWED_ORIGINS", "https://app.example.com,https://admin.example.com"),
    ("FEATURE_FLAGS", "new-invoices,pdf-v2"), ("RATE_LIMIT", "100/m"),
    ("METRICS_PATH", "/metrics"), ("HEALTH_PATH", "/healthz"),
    ("SESSION_COOKIE_NAME", "__Host-billing"),
    ("ADMIN_EMAILS", "ops@example.com,billing-oncall@example.com"),
    ("ENCRYPTION_KEY", "base64:" + tok(43, B64) + "="),
]
d = dict(fifty)
d["DATABASE_URL"] = f"postgres://billing_app:{d['DB_PASSWORD']}@db.internal:5432/billing?sslmode=require"
fifty = [(k, d[k]) for k, _ in fifty]
assert len(fifty) == 50 and len(set(k for k, _ in fifty)) == 50

# 10,000 keys: 25 services x 20 resources x 20 attributes.
services = ["BILLING", "PAYMENTS", "AUTH", "SEARCH", "INVENTORY", "SHIPPING", "NOTIFY",
            "ANALYTICS", "REPORTING", "GATEWAY", "CATALOG", "ORDERS", "USERS", "MEDIA",
            "PRICING", "TAX", "FRAUD", "LEDGER", "SUPPORT", "WEBHOOKS", "EXPORT", "IMPORT",
            "AUDIT", "SCHEDULER", "RECOMMEND"]
resources = ["DB", "REPLICA", "REDIS", "QUEUE", "KAFKA", "S3", "SMTP", "API", "CACHE", "ES",
             "LDAP", "OAUTH", "STRIPE", "SENTRY", "GRPC", "HTTP", "WORKER", "CRON", "CDN", "VAULT"]
attrs = ["HOST", "PORT", "USER", "PASSWORD", "URL", "TOKEN", "TIMEOUT", "POOL_SIZE", "ENABLED",
         "REGION", "BUCKET", "SECRET_KEY", "CLIENT_ID", "CLIENT_SECRET", "RETRIES", "TTL",
         "ENDPOINT", "NAME", "ALLOWED_HOSTS", "ADMIN_EMAIL"]
def value(s, r, a):
    host = f"{r.lower()}-{rng.randint(1, 9)}.{s.lower()}.internal"
    if a == "HOST": return host
    if a == "PORT": return str(rng.choice([5432, 6379, 5672, 9092, 443, 8080, 9200, 389, 25, 587]))
    if a == "USER": return f"{s.lower()}_{r.lower()}_app"
    if a == "PASSWORD": return tok(rng.randint(16, 32))
    if a == "URL": return f"https://{s.lower()}:{tok(20)}@{host}:8443/v{rng.randint(1, 3)}/{r.lower()}?sslmode=require"
    if a == "TOKEN": return f"tok_live_{tok(32)}"
    if a == "TIMEOUT": return f"{rng.randint(1, 120)}s"
    if a == "POOL_SIZE": return str(rng.randint(2, 64))
    if a == "ENABLED": return rng.choice(["true", "false"])
    if a == "REGION": return rng.choice(["eu-west-1", "us-east-1", "ap-southeast-2", "eu-central-1"])
    if a == "BUCKET": return f"{s.lower()}-{r.lower()}-{hexs(6)}"
    if a == "SECRET_KEY": return tok(44, B64) + "="
    if a == "CLIENT_ID": return f"{hexs(8)}-{hexs(4)}-{hexs(4)}-{hexs(4)}-{hexs(12)}"
    if a == "CLIENT_SECRET": return tok(48)
    if a == "RETRIES": return str(rng.randint(0, 10))
    if a == "TTL": return str(rng.choice([60, 300, 900, 3600, 86400]))
    if a == "ENDPOINT": return f"https://{r.lower()}.{s.lower()}.example.com/api/v2"
    if a == "NAME": return f"{s.lower()}-{r.lower()}-prod"
    if a == "ALLOWED_HOSTS": return ",".join(f"{x}.{s.lower()}.example.com" for x in ("app", "admin", "api"))
    if a == "ADMIN_EMAIL": return f"{s.lower()}-oncall@example.com"
    raise AssertionError(a)
tenk = [(f"{s}_{r}_{a}", value(s, r, a)) for s in services for r in resources for a in attrs]
assert len(tenk) == 10000 and len(set(k for k, _ in tenk)) == 10000

for name, entries in (("50.env", fifty), ("10k.env", tenk)):
    with open(os.path.join(out, name), "w") as f:
        for k, v in entries:
            assert not set(v) & set(" #'\"$\\`"), (k, v)
            f.write(f"{k}={v}\n")
