#!/usr/bin/env python3
"""Generate the scan corpus: a repository-like tree with planted secrets.

    bench/scan-corpus/generate.py [OUT] [--seed N] [--size-mb MB] [--force]

Writes OUT/tree (a git repository, default OUT=/tmp/scan-corpus) and, next
to it and outside it, OUT/answers.json: every planted secret (file, line,
last line, kind, value, sha1/sha256 of the value, where: "tree" or
"history" and the commit), the decoys (file, line, kind), and where the
copied real source text lives.

Everything random comes from one `random.Random(seed)`, so the same seed on
the same machine gives the same bytes (and the same commit ids: dates and
authors are fixed). The noise is real source text copied from this machine
(/usr/include, the Python standard library and site-packages, the npm
install, ~/.cargo/registry/src), chosen in sorted order by the seeded
generator: another machine has other files there, so compare figures taken
on one machine. Every secret is random and fake; none was ever valid.

Python 3 standard library only.
"""

import argparse
import base64
import binascii
import glob
import hashlib
import hmac
import json
import os
import random
import shutil
import string
import subprocess
import sys
import uuid

ALNUM = string.ascii_letters + string.digits
B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
UPPER_DIGITS = string.ascii_uppercase + string.digits

# Fixed dates and author so that commit ids are reproducible.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Corpus Dev",
    "GIT_AUTHOR_EMAIL": "dev@corpus.invalid",
    "GIT_COMMITTER_NAME": "Corpus Dev",
    "GIT_COMMITTER_EMAIL": "dev@corpus.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


class Corpus:
    def __init__(self, tree, seed):
        self.tree = tree
        self.seed = seed
        # values and generated text; independent of the files on the machine,
        # so the planted secrets are the same wherever the corpus is made
        self.rng = random.Random(seed)
        # choices among the copied files (they differ between machines)
        self.pick = random.Random(seed + 1)
        self.secrets = []
        self.decoys = []
        self.noise = {}  # prefix -> source directory
        self.history_files = {}  # relpath -> text, committed then removed

    # ---------------------------------------------------------------- random
    def rs(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def digits(self, n):
        return str(self.rng.randint(1, 9)) + self.rs(string.digits, n - 1)

    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hexs(self, n):
        return self.rs(HEX, n)

    def b64bytes(self, n, urlsafe=False):
        raw = bytes(self.rng.getrandbits(8) for _ in range(n))
        return (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()

    def password(self, n=None):
        n = n or self.rng.randint(14, 24)
        # at least one of each class, so no check calls it a plain word
        chars = [self.rng.choice(string.ascii_lowercase), self.rng.choice(string.ascii_uppercase),
                 self.rng.choice(string.digits), self.rng.choice("!#%*-_.~+")]
        chars += [self.rng.choice(ALNUM + "!#%*-_.~+") for _ in range(n - 4)]
        self.rng.shuffle(chars)
        return "".join(chars)

    def url_password(self):
        n = self.rng.randint(14, 22)
        chars = [self.rng.choice(string.ascii_lowercase), self.rng.choice(string.ascii_uppercase),
                 self.rng.choice(string.digits), self.rng.choice("-_.~")]
        chars += [self.rng.choice(ALNUM + "-_.~") for _ in range(n - 4)]
        self.rng.shuffle(chars)
        return "".join(chars)

    # --------------------------------------------------------------- secrets
    @staticmethod
    def b62(n):
        out = ""
        while n:
            n, r = divmod(n, 62)
            out = B62[r] + out
        return out or "0"

    def checksummed(self, prefix, n):
        """GitHub / npm token: n random base62 characters and the base62 CRC32 of them."""
        r = self.rs(ALNUM, n)
        return prefix + r + self.b62(binascii.crc32(r.encode())).rjust(6, "0")

    def gh_fine(self):
        a = self.rs(ALNUM, 22)
        return "github_pat_" + a + "_" + self.checksummed("", 53)

    def pem_body(self, head, nbytes, width=64):
        body = head + self.b64bytes(nbytes)[len(head):]
        return [body[i:i + width] for i in range(0, len(body), width)]

    def pem(self, label, head, nbytes, width=64):
        return "\n".join([f"-----BEGIN {label}-----"] + self.pem_body(head, nbytes, width)
                         + [f"-----END {label}-----"])

    def rsa_key(self):
        return self.pem("RSA PRIVATE KEY", "MIIEowIBAAKCAQEA", 1190)

    def ec_key(self):
        return self.pem("EC PRIVATE KEY", "MHcCAQEEI", 121)

    def pkcs8_key(self):
        return self.pem("PRIVATE KEY", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ", 1218)

    def openssh_key(self):
        return self.pem("OPENSSH PRIVATE KEY",
                        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
                        "QyNTUxOQAAACD", 300, width=70)

    def jwt(self):
        def enc(obj):
            return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")
        head = enc({"alg": "HS256", "typ": "JWT"})
        iat = 1764000000 + self.rng.randint(0, 10_000_000)
        body = enc({"sub": self.uuid(), "role": self.rng.choice(["service", "admin", "worker"]),
                    "iss": "auth.corp.internal", "iat": iat, "exp": iat + 86400 * 365})
        key = self.b64bytes(32).encode()
        sig = base64.urlsafe_b64encode(hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest())
        return f"{head}.{body}.{sig.decode().rstrip('=')}"

    def discord_bot(self):
        uid = str(self.rng.randint(10**17, 10**18 - 1)).encode()
        first = base64.b64encode(uid).decode().rstrip("=")
        return f"{first}.{self.rs(B64URL, 6)}.{self.rs(B64URL, 38)}"

    def azure_conn(self, account):
        return (f"DefaultEndpointsProtocol=https;AccountName={account};"
                f"AccountKey={self.b64bytes(64)};EndpointSuffix=core.windows.net")

    def value(self, kind):
        """A fresh random value of a kind (the planted secret itself)."""
        r = self.rs
        return {
            "aws-access-key-id": lambda: "AKIA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
            "aws-secret-access-key": lambda: r(B64, 40),
            "github-classic-pat": lambda: self.checksummed("ghp_", 30),
            "github-oauth-token": lambda: self.checksummed("gho_", 30),
            "github-app-token": lambda: self.checksummed("ghs_", 30),
            "github-fine-grained-pat": self.gh_fine,
            "gitlab-pat": lambda: "glpat-" + r(ALNUM + "_-", 20),
            "slack-bot-token": lambda: f"xoxb-{self.digits(11)}-{self.digits(13)}-{r(ALNUM, 24)}",
            "slack-user-token": lambda: f"xoxp-{self.digits(11)}-{self.digits(11)}-{self.digits(13)}-{self.hexs(32)}",
            "slack-webhook": lambda: f"https://hooks.slack.com/services/T{r(UPPER_DIGITS, 8)}/B{r(UPPER_DIGITS, 10)}/{r(ALNUM, 24)}",
            "stripe-live-secret": lambda: "sk_live_" + r(ALNUM, self.rng.choice([24, 99])),
            "stripe-restricted": lambda: "rk_live_" + r(ALNUM, 24),
            "google-api-key": lambda: "AIza" + r(ALNUM + "_-", 35),
            "twilio-api-key": lambda: "SK" + self.hexs(32),
            "twilio-auth-token": lambda: self.hexs(32),
            "sendgrid-api-key": lambda: f"SG.{r(B64URL, 22)}.{r(B64URL, 43)}",
            "npm-token": lambda: self.checksummed("npm_", 30),
            "pypi-token": lambda: "pypi-AgEIcHlwaS5vcmcCJG" + self.b64bytes(120, urlsafe=True).rstrip("="),
            "openai-api-key": lambda: (f"sk-proj-{r(B64URL, 74)}T3BlbkFJ{r(B64URL, 74)}"
                                       if self.rng.random() < 0.6 else f"sk-{r(ALNUM, 20)}T3BlbkFJ{r(ALNUM, 20)}"),
            "anthropic-api-key": lambda: f"sk-ant-api03-{r(B64URL, 93)}AA",
            "huggingface-token": lambda: "hf_" + r(string.ascii_letters, 34),
            "heroku-api-key": lambda: "HRKU-AA" + r(B64URL, 58),
            "heroku-api-key-legacy": self.uuid,
            "digitalocean-token": lambda: "dop_v1_" + self.hexs(64),
            "shopify-token": lambda: self.rng.choice(["shpat_", "shpss_"]) + self.hexs(32),
            "mailgun-api-key": lambda: ("key-" + r(string.digits + string.ascii_lowercase, 32)
                                        if self.rng.random() < 0.5 else f"{self.hexs(32)}-{self.hexs(8)}-{self.hexs(8)}"),
            "telegram-bot-token": lambda: f"{self.digits(10)}:AA{r(B64URL, 33)}",
            "discord-bot-token": self.discord_bot,
            "discord-webhook": lambda: f"https://discord.com/api/webhooks/{self.digits(19)}/{r(B64URL, 68)}",
            "jwt": self.jwt,
            "rsa-private-key": self.rsa_key,
            "ec-private-key": self.ec_key,
            "pkcs8-private-key": self.pkcs8_key,
            "openssh-private-key": self.openssh_key,
            "django-secret-key": lambda: (self.rng.choice(["", "django-insecure-"])
                                          + r("abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)", 50)),
            "generic-password": self.password,
            "generic-secret": lambda: self.rng.choice([self.b64bytes(32), self.hexs(40), r(ALNUM, 32)]),
            "generic-token": lambda: self.rng.choice([self.hexs(48), r(ALNUM + "_-", 40), self.b64bytes(24, True)]),
        }[kind]()

    # --------------------------------------------------------------- writing
    def path(self, rel):
        p = os.path.join(self.tree, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def write(self, rel, text):
        with open(self.path(rel), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)

    def record(self, rel, lines, kind, value, start_index, where="tree", shown=None, note=None):
        """Records a planted secret whose text begins at lines[start_index]."""
        shown = shown if shown is not None else value
        first = shown.split("\n")[0]
        last = shown.split("\n")[-1]
        i = start_index
        while first not in lines[i]:
            i += 1
        j = i
        while last not in lines[j]:
            j += 1
        self.secrets.append({
            "id": len(self.secrets) + 1,
            "kind": kind,
            "file": rel,
            "line": i + 1,
            "end_line": j + 1,
            "where": where,
            "value": value,
            "shown": shown if shown != value else None,
            "sha1": hashlib.sha1(value.encode()).hexdigest(),
            "sha256": hashlib.sha256(value.encode()).hexdigest(),
            "note": note,
        })


class Doc:
    """A generated text file: lines, planted secrets and decoys recorded as they are added."""

    def __init__(self, corpus, rel, where="tree"):
        self.c = corpus
        self.rel = rel
        self.lines = []
        self.where = where
        self.pending = []

    def add(self, text=""):
        self.lines.extend(text.split("\n"))
        return self

    def plant(self, kind, text, value, shown=None, note=None):
        """Adds text (which holds the value, or `shown`, its encoded form)."""
        start = len(self.lines)
        self.add(text)
        self.pending.append((kind, value, start, shown, note))
        return self

    def decoy(self, kind, text, value=None):
        start = len(self.lines)
        self.add(text)
        v = value if value is not None else text
        first = v.split("\n")[0]
        i = start
        while i < len(self.lines) - 1 and first not in self.lines[i]:
            i += 1
        self.c.decoys.append({"kind": kind, "file": self.rel, "line": i + 1, "value": v})
        return self

    def done(self):
        for kind, value, start, shown, note in self.pending:
            self.c.record(self.rel, self.lines, kind, value, start, where=self.where, shown=shown, note=note)
        text = "\n".join(self.lines).rstrip("\n") + "\n"
        if self.where == "history":
            self.c.history_files[self.rel] = text
        else:
            self.c.write(self.rel, text)
        return text


# --------------------------------------------------------------------- noise
TEXT_EXT = {
    "c": {".h", ".hpp", ".hh", ".c", ".inc", ".def"},
    "py": {".py"},
    "rs": {".rs", ".toml", ".md"},
    "js": {".js", ".mjs", ".cjs", ".json", ".md"},
    "json": {".json"},
}


def is_text(path, limit):
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not os.path.isfile(path) or os.path.islink(path) or st.st_size == 0 or st.st_size > limit:
        return False
    with open(path, "rb") as f:
        return b"\0" not in f.read(8192)


def list_files(root, exts, skip_dirs=(), limit=1_500_000):
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in skip_dirs and not x.startswith("."))
        for f in sorted(files):
            p = os.path.join(d, f)
            if os.path.splitext(f)[1] in exts and is_text(p, limit):
                out.append(p)
    return out


def ranked(c, items, key=lambda x: x):
    """items in an order fixed by the seed and each item's name alone (not by the
    others): a file added to the machine later moves no other file's rank."""
    return sorted(items, key=lambda x: hashlib.sha256(f"{c.seed}:{key(x)}".encode()).digest())


def copy_noise(c, prefix, root, files, budget):
    """Copies a seeded sample of files (under root) to tree/prefix until budget bytes."""
    files = ranked(c, files, key=lambda p: os.path.relpath(p, root))
    total, chosen = 0, []
    for p in files:
        if total >= budget:
            break
        rel = os.path.join(prefix, os.path.relpath(p, root))
        shutil.copyfile(p, c.path(rel))
        total += os.path.getsize(p)
        chosen.append(rel)
    c.noise[prefix] = {"source": root, "files": len(chosen), "bytes": total}
    return chosen


def copy_crates(c, prefix, root, budget):
    crates = ranked(c, [d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d))])
    total, n, chosen = 0, 0, []
    for crate in crates:
        if total >= budget:
            break
        for p in list_files(os.path.join(root, crate), TEXT_EXT["rs"]):
            rel = os.path.join(prefix, crate, os.path.relpath(p, os.path.join(root, crate)))
            shutil.copyfile(p, c.path(rel))
            total += os.path.getsize(p)
            n += 1
            chosen.append(rel)
    c.noise[prefix] = {"source": root, "files": n, "bytes": total}
    return chosen


def inject(c, rel, kind, value, line_text, note=None):
    """Inserts one line holding a secret into a copied file, near its top."""
    p = os.path.join(c.tree, rel)
    with open(p, "rb") as f:
        raw = f.read().split(b"\n")
    # after the first blank line past the licence header, within the first 80 lines
    at = next((i for i in range(5, min(80, len(raw))) if raw[i].strip() == b""), min(5, len(raw) - 1))
    raw.insert(at + 1, line_text.encode())  # line at + 2
    with open(p, "wb") as f:
        f.write(b"\n".join(raw))
    c.secrets.append({
        "id": len(c.secrets) + 1, "kind": kind, "file": rel, "line": at + 2, "end_line": at + 2,
        "where": "tree", "value": value, "shown": None,
        "sha1": hashlib.sha1(value.encode()).hexdigest(),
        "sha256": hashlib.sha256(value.encode()).hexdigest(), "note": note or "inserted into copied source",
    })


def minify(js):
    """A crude minifier: drops comments lines and indentation, joins lines."""
    out = []
    for line in js.split("\n"):
        s = line.strip()
        if not s or s.startswith("//") or s.startswith("*") or s.startswith("/*"):
            continue
        out.append(s)
    return ";".join(out).replace(";;", ";")


# ------------------------------------------------------------ synthetic code
WORDS = ("account order invoice payment customer session user token cache queue worker job retry "
         "limit window batch record event stream shard region bucket object file chunk index "
         "schema table column row filter query result page cursor offset timeout deadline client "
         "server request response handler router config option flag metric counter gauge span trace "
         "logger level message error status code reason detail tenant plan quota usage price tax").split()


def ident(c, n=2, style="camel"):
    ws = [c.rng.choice(WORDS) for _ in range(n)]
    if style == "camel":
        return ws[0] + "".join(w.title() for w in ws[1:])
    if style == "pascal":
        return "".join(w.title() for w in ws)
    if style == "snake":
        return "_".join(ws)
    return "_".join(ws).upper()


def go_file(c, pkg, nfuncs):
    L = [f"// Package {pkg} implements the {c.rng.choice(WORDS)} service.", f"package {pkg}", "",
         "import (", '\t"context"', '\t"errors"', '\t"fmt"', '\t"time"', ")", ""]
    for _ in range(nfuncs):
        t = ident(c, 2, "pascal")
        L += [f"// {t} holds the state of one {c.rng.choice(WORDS)}.", f"type {t} struct {{"]
        for _ in range(c.rng.randint(2, 6)):
            L.append(f"\t{ident(c, 2, 'pascal')} {c.rng.choice(['string', 'int64', 'time.Duration', 'bool', '[]byte', 'map[string]string'])}")
        L += ["}", "", f"func (x *{t}) {ident(c, 2, 'pascal')}(ctx context.Context, {ident(c, 1)} string) error {{"]
        for _ in range(c.rng.randint(3, 10)):
            v = ident(c, 2)
            L += [f"\t{v}, err := x.{ident(c, 2, 'pascal')}(ctx)", "\tif err != nil {",
                  f'\t\treturn fmt.Errorf("{c.rng.choice(WORDS)} {c.rng.choice(WORDS)}: %w", err)', "\t}",
                  f"\t_ = {v}"]
        L += ["\tif time.Now().IsZero() {", '\t\treturn errors.New("unreachable")', "\t}", "\treturn nil", "}", ""]
    return "\n".join(L)


def java_file(c, pkg, cls, nmethods):
    L = [f"package {pkg};", "", "import java.util.List;", "import java.util.Map;", "import java.util.Optional;", "",
         "/**", f" * {cls}: {' '.join(c.rng.choice(WORDS) for _ in range(8))}.", " */", f"public class {cls} {{"]
    for _ in range(c.rng.randint(2, 5)):
        L.append(f"    private final {c.rng.choice(['String', 'long', 'int', 'List<String>', 'Map<String, Object>'])} {ident(c, 2)};")
    for _ in range(nmethods):
        L += ["", "    /** " + " ".join(c.rng.choice(WORDS) for _ in range(6)) + ". */",
              f"    public Optional<String> {ident(c, 2)}(String {ident(c, 1)}, int {ident(c, 1)}) {{"]
        for _ in range(c.rng.randint(2, 8)):
            L.append(f"        var {ident(c, 2)} = this.{ident(c, 2)}.stream().filter(x -> x.startsWith(\"{c.rng.choice(WORDS)}\")).toList();")
        L += ['        return Optional.empty();', "    }"]
    L.append("}")
    return "\n".join(L)


def ts_file(c, nfuncs):
    L = ["import { Injectable } from '@angular/core';", "import { HttpClient } from '@angular/common/http';", ""]
    for _ in range(nfuncs):
        t = ident(c, 2, "pascal")
        L += [f"export interface {t} {{"]
        for _ in range(c.rng.randint(2, 6)):
            L.append(f"  {ident(c, 2)}: {c.rng.choice(['string', 'number', 'boolean', 'string[]', 'Date'])};")
        L += ["}", "", f"export async function {ident(c, 2)}(http: HttpClient, id: string): Promise<{t} | undefined> {{"]
        for _ in range(c.rng.randint(2, 7)):
            L.append(f"  const {ident(c, 2)} = await http.get<{t}>(`/api/{c.rng.choice(WORDS)}/${{id}}`).toPromise();")
        L += ["  return undefined;", "}", ""]
    return "\n".join(L)


LOG_MSGS = ["request served", "cache miss", "upstream timeout, retrying", "job finished", "connection reset by peer",
            "user logged in", "token refreshed", "webhook delivered", "rate limit hit", "slow query"]


def log_lines(c, n, service):
    out = []
    for i in range(n):
        ts = f"2026-11-{c.rng.randint(1, 30):02d}T{c.rng.randint(0, 23):02d}:{c.rng.randint(0, 59):02d}:{c.rng.randint(0, 59):02d}.{c.rng.randint(0, 999):03d}Z"
        lvl = c.rng.choice(["INFO"] * 8 + ["WARN", "ERROR", "DEBUG"])
        msg = c.rng.choice(LOG_MSGS)
        extra = c.rng.random()
        if extra < 0.3:
            tail = f"request_id={c.uuid()} status={c.rng.choice([200, 200, 201, 204, 404, 500])} duration_ms={c.rng.randint(1, 900)}"
        elif extra < 0.4:
            tail = f"commit={c.hexs(40)} deploy=ok"
        elif extra < 0.5:
            tail = f"GET /api/{c.rng.choice(WORDS)}/{c.rng.randint(1, 99999)}?page={c.rng.randint(1, 50)} ua=\"Mozilla/5.0\""
        elif extra < 0.55:
            tail = f"digest=sha256:{c.hexs(64)}"
        else:
            tail = f"user_id={c.rng.randint(1, 10**6)} tenant={c.rng.choice(WORDS)}"
        out.append(f"{ts} {lvl:5} [{service}] {msg} {tail}")
    return out


def png_b64(c, n=600):
    return "iVBORw0KGgoAAAANSUhEUgAA" + c.b64bytes(n)


# ------------------------------------------------------------------ planting
def plant_all(c, copied):
    v = c.value
    rng = c.rng

    # --- .env files (one ignored by git, one committed example, one in a hidden dir)
    d = Doc(c, ".env")
    d.add("# local development settings (not committed)\nAPP_ENV=development\nPORT=8080\nLOG_LEVEL=debug")
    x = v("generic-password"); d.plant("generic-password", f"DB_PASSWORD={x}", x)
    x = v("stripe-live-secret"); d.plant("stripe-live-secret", f"STRIPE_SECRET_KEY={x}", x)
    x = v("openai-api-key"); d.plant("openai-api-key", f'OPENAI_API_KEY="{x}"', x)
    x = v("sendgrid-api-key"); d.plant("sendgrid-api-key", f"SENDGRID_API_KEY={x}", x)
    d.decoy("placeholder", "SENTRY_DSN=${SENTRY_DSN}")
    x = v("rsa-private-key"); d.plant("rsa-private-key", f'JWT_SIGNING_KEY="{x}"', x, note="multi-line quoted .env value")
    x = v("generic-token"); d.plant("generic-token", f"export INTERNAL_API_TOKEN='{x}'", x)
    d.done()

    d = Doc(c, ".env.example")
    d.add("# copy to .env and fill in")
    d.decoy("placeholder", "DB_PASSWORD=changeme")
    d.decoy("placeholder", "STRIPE_SECRET_KEY=sk_live_<your-key>")
    d.decoy("placeholder", "OPENAI_API_KEY=<your-openai-key>")
    d.decoy("placeholder", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE")
    d.decoy("placeholder", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    d.decoy("placeholder", "SESSION_SECRET=xxxxxxxxxxxxxxxxxxxxxxxx")
    d.decoy("placeholder", "GITHUB_TOKEN=${GITHUB_TOKEN}")
    d.done()

    d = Doc(c, "services/api/.env.local")
    d.add("DEBUG=1")
    x = v("anthropic-api-key"); d.plant("anthropic-api-key", f"ANTHROPIC_API_KEY={x}", x)
    x = v("huggingface-token"); d.plant("huggingface-token", f"HF_TOKEN={x}", x)
    pw = c.url_password(); d.plant("postgres-url", f"DATABASE_URL=postgres://api:{pw}@db.internal:5432/api", pw)
    d.done()

    # --- AWS: credentials file in a hidden directory, code, alone
    d = Doc(c, "deploy/.aws/credentials")
    for prof in ["default", "ci"]:
        kid, sec = v("aws-access-key-id"), v("aws-secret-access-key")
        d.add(f"[{prof}]")
        d.plant("aws-access-key-id", f"aws_access_key_id = {kid}", kid)
        d.plant("aws-secret-access-key", f"aws_secret_access_key = {sec}", sec)
        d.add("region = eu-west-1\n")
    d.done()

    d = Doc(c, "services/api/app/storage.py")
    d.add('"""Uploads to S3."""\nimport boto3\n\n')
    kid, sec = v("aws-access-key-id"), v("aws-secret-access-key")
    d.plant("aws-access-key-id", f'_s3 = boto3.client("s3", aws_access_key_id="{kid}",', kid)
    d.plant("aws-secret-access-key", f'                   aws_secret_access_key="{sec}")', sec)
    d.add("\n\ndef upload(name, data):\n    _s3.put_object(Bucket='reports', Key=name, Body=data)\n")
    d.done()

    d = Doc(c, "deploy/ansible/group_vars/prod.yml")
    d.add("---\napp_user: deploy\napp_port: 8000")
    sec = v("aws-secret-access-key"); d.plant("aws-secret-access-key", f"backup_aws_secret_key: {sec}", sec,
                                              note="AWS secret key with no key id nearby")
    pw = v("generic-password"); d.plant("generic-password", f'mysql_root_password: "{pw}"', pw)
    d.decoy("placeholder", "smtp_password: \"{{ vault_smtp_password }}\"")
    d.done()

    # --- Python settings (Django), with punctuation-heavy SECRET_KEYs
    for i, rel in enumerate(["services/api/app/settings.py", "services/admin/admin/settings/production.py"]):
        d = Doc(c, rel)
        d.add("import os\nfrom pathlib import Path\n\nBASE_DIR = Path(__file__).resolve().parent.parent\n")
        k = v("django-secret-key")
        q = "'" if "'" not in k and i == 0 else '"'
        d.plant("django-secret-key", f"SECRET_KEY = {q}{k}{q}", k)
        d.add("DEBUG = False\nALLOWED_HOSTS = ['api.corp.internal']\n")
        pw = c.url_password()
        d.add("DATABASES = {\n    'default': {\n        'ENGINE': 'django.db.backends.postgresql',")
        d.plant("generic-password", f"        'PASSWORD': '{pw}',", pw)
        d.add("        'HOST': 'db.internal',\n    }\n}\n")
        d.decoy("placeholder", "EMAIL_HOST_PASSWORD = os.environ['EMAIL_HOST_PASSWORD']")
        d.done()

    d = Doc(c, "services/worker/worker/config.py")
    d.add("import os\n\nBROKER_POOL = 10")
    k = v("django-secret-key"); d.plant("django-secret-key", f'DJANGO_SECRET_KEY = "{k}"', k)
    pw = c.url_password(); d.plant("amqp-url", f'CELERY_BROKER_URL = "amqp://worker:{pw}@rabbitmq:5672/prod"', pw)
    pw = c.url_password(); d.plant("redis-url", f'CACHE_URL = "redis://:{pw}@redis.internal:6379/0"', pw)
    x = v("slack-bot-token"); d.plant("slack-bot-token", f'SLACK_BOT_TOKEN = "{x}"', x)
    x = v("twilio-auth-token"); sid = "AC" + c.hexs(32)
    d.add(f'TWILIO_ACCOUNT_SID = "{sid}"')
    d.plant("twilio-auth-token", f'TWILIO_AUTH_TOKEN = "{x}"', x)
    d.decoy("placeholder", 'PAGERDUTY_TOKEN = os.getenv("PAGERDUTY_TOKEN", "")')
    d.done()

    # --- JS / TS source and config
    d = Doc(c, "services/web/src/config.ts")
    d.add("export const config = {\n  apiBase: '/api',\n  retries: 3,")
    x = v("google-api-key"); d.plant("google-api-key", f"  mapsApiKey: '{x}',", x)
    x = v("generic-secret"); d.plant("generic-secret", f"  clientSecret: '{x}',", x)
    d.decoy("uuid", f"  tenantId: '{c.uuid()}',")
    d.add("};")
    d.done()

    d = Doc(c, "services/web/server/payments.js")
    d.add("'use strict';\nconst express = require('express');")
    x = v("stripe-restricted"); d.plant("stripe-restricted", f"const stripe = require('stripe')('{x}');", x)
    x = v("shopify-token"); d.plant("shopify-token", f"const SHOPIFY_ACCESS_TOKEN = \"{x}\";", x)
    x = v("mailgun-api-key"); d.plant("mailgun-api-key", f"const mailgun = new Mailgun({{ username: 'api', key: '{x}' }});", x)
    d.add("module.exports = express.Router();")
    d.done()

    d = Doc(c, "services/web/.npmrc")
    d.add("registry=https://registry.npmjs.org/\nsave-exact=true")
    x = v("npm-token"); d.plant("npm-token", f"//registry.npmjs.org/:_authToken={x}", x)
    d.done()

    d = Doc(c, "services/web/test/fixtures/auth.test.ts")
    d.add("import { login } from '../../src/auth';\n\ndescribe('login', () => {")
    d.decoy("test-fixture", "  const token = 'ghp_000000000000000000000000000000000000';")
    d.decoy("test-fixture", "  const password = 'test-password';")
    d.decoy("test-fixture", "  const apiKey = 'sk_test_xxxxxxxxxxxxxxxxxxxxxxxx';")
    d.add("  it('rejects', async () => { expect(await login(token, password)).toBe(false); });\n});")
    d.done()

    # --- Go
    d = Doc(c, "services/gateway/internal/auth/keys.go")
    d.add("package auth\n\nimport \"os\"\n")
    x = v("github-app-token"); d.plant("github-app-token", f'const githubAppToken = "{x}"', x)
    x = v("generic-token"); d.plant("generic-token", f'var upstreamToken = "{x}"', x)
    x = v("jwt"); d.plant("jwt", f'const serviceJWT = "{x}"', x)
    d.decoy("placeholder", 'var dbPassword = os.Getenv("DB_PASSWORD")')
    d.done()

    d = Doc(c, "services/gateway/cmd/gateway/main.go")
    d.add(go_file(c, "main", 6))
    pw = c.url_password(); d.plant("mysql-url", f'const dsn = "mysql://gateway:{pw}@tcp(mysql.internal:3306)/gateway"', pw)
    d.add(go_file(c, "main", 4).split("\n", 10)[-1])
    d.done()

    # --- Java / .properties
    d = Doc(c, "services/billing/src/main/resources/application.properties")
    d.add("server.port=8081\nspring.datasource.url=jdbc:postgresql://db.internal:5432/billing\nspring.datasource.username=billing")
    pw = v("generic-password"); d.plant("generic-password", f"spring.datasource.password={pw}", pw)
    x = v("stripe-live-secret"); d.plant("stripe-live-secret", f"stripe.api.secret-key={x}", x)
    d.decoy("placeholder", "spring.mail.password=${MAIL_PASSWORD}")
    d.done()

    d = Doc(c, "services/billing/src/main/java/com/corp/billing/TwilioNotifier.java")
    x = v("twilio-api-key")
    d.add("package com.corp.billing;\n\nimport com.twilio.Twilio;\n\npublic class TwilioNotifier {")
    d.plant("twilio-api-key", f'    private static final String TWILIO_API_KEY = "{x}";', x)
    y = v("twilio-auth-token"); d.plant("twilio-auth-token", f'    private static final String TWILIO_API_SECRET = "{y}";', y)
    d.add("}")
    d.done()

    d = Doc(c, "services/billing/src/main/java/com/corp/billing/AzureArchive.java")
    acct = "corpbilling" + c.rs(string.ascii_lowercase, 4)
    conn = c.azure_conn(acct)
    key = conn.split("AccountKey=")[1].split(";")[0]
    d.add("package com.corp.billing;\n\npublic final class AzureArchive {")
    d.plant("azure-storage-key", f'    static final String CONNECTION = "{conn}";', key)
    d.add("}")
    d.done()

    # --- Rust, C
    d = Doc(c, "services/indexer/src/secrets.rs")
    d.add("//! Credentials of the indexer.\n")
    x = v("digitalocean-token"); d.plant("digitalocean-token", f'pub const DO_TOKEN: &str = "{x}";', x)
    x = v("generic-secret"); d.plant("generic-secret", f'static HMAC_SECRET: &str = "{x}";', x)
    d.decoy("hash", f'const SCHEMA_SHA256: &str = "{c.hexs(64)}";')
    d.done()

    d = Doc(c, "native/src/telemetry.c")
    d.add("#include <stdio.h>\n#include \"telemetry.h\"\n")
    x = v("generic-token"); d.plant("generic-token", f'#define TELEMETRY_TOKEN "{x}"', x)
    x = v("google-api-key"); d.plant("google-api-key", f'static const char *firebase_key = "{x}";', x)
    d.add("int telemetry_init(void) { return 0; }")
    d.done()

    # --- YAML: CI, compose, k8s Secrets (base64 only), helm values
    d = Doc(c, ".github/workflows/release.yml")
    d.add("name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  publish:\n    runs-on: ubuntu-latest\n    env:")
    x = v("github-classic-pat"); d.plant("github-classic-pat", f"      GH_TOKEN: {x}", x)
    x = v("pypi-token"); d.plant("pypi-token", f"      TWINE_PASSWORD: {x}", x)
    d.decoy("placeholder", "      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}")
    d.add("    steps:\n      - uses: actions/checkout@v4\n      - run: make release")
    d.done()

    d = Doc(c, "docker-compose.yml")
    d.add("services:\n  db:\n    image: postgres:16\n    environment:")
    pw = v("generic-password"); d.plant("generic-password", f"      POSTGRES_PASSWORD: {pw}", pw)
    d.add("  cache:\n    image: redis:7\n  app:\n    build: .\n    environment:")
    pw = c.url_password(); d.plant("mongodb-url", f"      MONGO_URL: mongodb+srv://app:{pw}@cluster0.{c.rs(string.ascii_lowercase, 5)}.mongodb.net/app", pw)
    d.decoy("placeholder", "      REDIS_PASSWORD: ${REDIS_PASSWORD:-}")
    d.done()

    for i in range(3):
        d = Doc(c, f"deploy/k8s/{['api', 'worker', 'web'][i]}-secret.yaml")
        d.add(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {['api', 'worker', 'web'][i]}-secrets\ntype: Opaque\ndata:")
        pw = v("generic-password"); enc = base64.b64encode(pw.encode()).decode()
        d.plant("k8s-secret-base64", f"  db-password: {enc}", pw, shown=enc, note="base64 only")
        tok = v("generic-token"); enc = base64.b64encode(tok.encode()).decode()
        d.plant("k8s-secret-base64", f"  api-token: {enc}", tok, shown=enc, note="base64 only")
        d.done()

    d = Doc(c, "deploy/helm/values-prod.yaml")
    d.add("replicaCount: 3\nimage:\n  repository: registry.corp.internal/api\n  tag: 1.42.0\nsecrets:")
    x = v("gitlab-pat"); d.plant("gitlab-pat", f"  gitlabToken: {x}", x)
    x = v("ec-private-key"); d.add("  tlsKey: |")
    d.plant("ec-private-key", "\n".join("    " + ln for ln in x.split("\n")), x, note="multi-line YAML block scalar")
    d.decoy("public-key", "  tlsCert: |\n    -----BEGIN CERTIFICATE-----\n    MIIB" + c.b64bytes(40)
            + "\n    -----END CERTIFICATE-----", "-----BEGIN CERTIFICATE-----")
    d.done()

    d = Doc(c, "deploy/k8s/configmap.yaml")
    d.add("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api-config\ndata:")
    x = v("slack-webhook"); d.plant("slack-webhook", f"  ALERT_WEBHOOK: \"{x}\"", x)
    x = v("discord-webhook"); d.plant("discord-webhook", f"  DISCORD_WEBHOOK: {x}", x)
    d.decoy("uuid", f"  CLUSTER_ID: {c.uuid()}")
    d.done()

    # --- TOML, INI, JSON
    d = Doc(c, "services/indexer/config/production.toml")
    d.add("[server]\nbind = \"0.0.0.0:9000\"\n\n[search]")
    x = v("generic-secret"); d.plant("generic-secret", f'api_secret = "{x}"', x)
    x = v("huggingface-token"); d.plant("huggingface-token", f'hf_token = "{x}"', x)
    d.add("\n[database]")
    pw = c.url_password(); d.plant("postgres-url", f'url = "postgresql://indexer:{pw}@pg-replica.internal/search"', pw)
    d.done()

    d = Doc(c, "config/legacy/app.ini")
    d.add("[general]\nname = legacy\n\n[mail]\nhost = smtp.corp.internal")
    pw = v("generic-password"); d.plant("generic-password", f"password = {pw}", pw)
    d.add("\n[heroku]")
    x = v("heroku-api-key-legacy"); d.plant("heroku-api-key-legacy", f"api_key = {x}", x)
    d.done()

    d = Doc(c, "config/integrations.json")
    integ = {
        "telegram": {"bot_token": v("telegram-bot-token"), "chat_id": -1001234567890},
        "discord": {"bot_token": v("discord-bot-token"), "guild": c.digits(18)},
        "heroku": {"api_key": v("heroku-api-key")},
        "openai": {"api_key": v("openai-api-key"), "model": "gpt-4o"},
        "request_id": c.uuid(),
    }
    text = json.dumps(integ, indent=2)
    d.add(text)
    d.pending += [("telegram-bot-token", integ["telegram"]["bot_token"], 0, None, None),
                  ("discord-bot-token", integ["discord"]["bot_token"], 0, None, None),
                  ("heroku-api-key", integ["heroku"]["api_key"], 0, None, None),
                  ("openai-api-key", integ["openai"]["api_key"], 0, None, None)]
    d.done()

    # GCP service-account JSON (multi-line key as \n escapes)
    for rel in ["deploy/gcp/ci-service-account.json", "services/api/.config/gcloud/sa.json"]:
        d = Doc(c, rel)
        key = c.pkcs8_key() + "\n"
        sa = {"type": "service_account", "project_id": "corp-prod-" + c.digits(6),
              "private_key_id": c.hexs(40), "private_key": key,
              "client_email": f"ci@corp-prod.iam.gserviceaccount.com", "client_id": c.digits(21),
              "auth_uri": "https://accounts.google.com/o/oauth2/auth",
              "token_uri": "https://oauth2.googleapis.com/token"}
        d.add(json.dumps(sa, indent=2))
        escaped = json.dumps(key)[1:-1]
        d.pending.append(("gcp-service-account", key, 0, escaped, "private key with \\n escapes in JSON"))
        d.done()

    d = Doc(c, ".docker/config.json")
    user, pw = "ci-bot", v("generic-password")
    auth = base64.b64encode(f"{user}:{pw}".encode()).decode()
    d.add(json.dumps({"auths": {"registry.corp.internal": {"auth": auth}}, "credsStore": ""}, indent=2))
    d.pending.append(("docker-auth-base64", pw, 0, auth, "user:password, base64 only"))
    d.done()

    # --- netrc, pypirc, shell, Dockerfile, terraform
    d = Doc(c, "deploy/.netrc")
    pw = v("generic-password"); d.plant("netrc-password", f"machine git.corp.internal login deploy password {pw}", pw)
    x = v("heroku-api-key-legacy")
    d.add("machine api.heroku.com\n  login ops@corp.invalid")
    d.plant("heroku-api-key-legacy", f"  password {x}", x)
    d.done()

    d = Doc(c, "deploy/.pypirc")
    d.add("[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__")
    x = v("pypi-token"); d.plant("pypi-token", f"password = {x}", x)
    d.done()

    d = Doc(c, "scripts/backup.sh")
    d.add("#!/usr/bin/env bash\nset -euo pipefail\n")
    x = v("aws-access-key-id"); d.plant("aws-access-key-id", f"export AWS_ACCESS_KEY_ID={x}", x)
    y = v("aws-secret-access-key"); d.plant("aws-secret-access-key", f"export AWS_SECRET_ACCESS_KEY={y}", y)
    pw = v("generic-password"); d.plant("generic-password", f"PGPASSWORD='{pw}' pg_dump -h db.internal app > /tmp/app.sql", pw)
    d.add('aws s3 cp /tmp/app.sql "s3://backups/$(date +%F).sql"')
    d.done()

    d = Doc(c, "scripts/notify.sh")
    d.add("#!/bin/sh")
    x = v("telegram-bot-token"); d.plant("telegram-bot-token", f'curl -s "https://api.telegram.org/bot{x}/sendMessage" -d chat_id=42 -d text="$1"', x)
    x = v("slack-user-token"); d.plant("slack-user-token", f'curl -s -H "Authorization: Bearer {x}" https://slack.com/api/chat.postMessage', x)
    d.done()

    d = Doc(c, "Dockerfile")
    d.add("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .")
    x = v("github-oauth-token"); d.plant("github-oauth-token", f"ENV GITHUB_TOKEN={x}", x)
    pw = v("generic-password"); d.plant("generic-password", f"ENV ADMIN_PASSWORD=\"{pw}\"", pw)
    d.add("RUN pip install -r requirements.txt\nCMD [\"gunicorn\", \"app.wsgi\"]")
    d.done()

    d = Doc(c, "deploy/terraform/main.tf")
    d.add('provider "aws" {\n  region = "eu-west-1"')
    x = v("aws-access-key-id"); d.plant("aws-access-key-id", f'  access_key = "{x}"', x)
    y = v("aws-secret-access-key"); d.plant("aws-secret-access-key", f'  secret_key = "{y}"', y)
    d.add('}\n\nresource "aws_db_instance" "main" {\n  engine = "postgres"\n  username = "app"')
    pw = v("generic-password"); d.plant("generic-password", f'  password = "{pw}"', pw)
    d.add("}\n")
    d.decoy("placeholder", 'variable "db_password" {\n  type      = string\n  sensitive = true\n}', 'variable "db_password"')
    d.add('resource "tls_private_key" "deploy" {\n  algorithm = "RSA"\n}')
    d.add('resource "aws_key_pair" "deploy" {\n  key_name = "deploy"')
    x = v("openssh-private-key")
    d.add("  # TODO remove: the private half, pasted by mistake\n  private = <<EOT")
    d.plant("openssh-private-key", x, x, note="multi-line heredoc")
    d.add("EOT\n}")
    d.done()

    d = Doc(c, "deploy/terraform/azure.tf")
    conn = c.azure_conn("corplogs" + c.rs(string.ascii_lowercase, 5))
    key = conn.split("AccountKey=")[1].split(";")[0]
    d.add('resource "azurerm_function_app" "logs" {\n  name = "logs"\n  app_settings = {')
    d.plant("azure-storage-key", f'    AzureWebJobsStorage = "{conn}"', key)
    d.add("  }\n}")
    d.done()

    # --- private key files, multi-line keys in code
    d = Doc(c, "deploy/ssh/deploy_id_ed25519")
    x = v("openssh-private-key"); d.plant("openssh-private-key", x, x)
    d.done()
    d = Doc(c, "deploy/ssh/deploy_id_ed25519.pub")
    d.decoy("public-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + c.b64bytes(24) + " deploy@corp")
    d.done()
    d = Doc(c, "services/api/certs/server.key")
    x = v("rsa-private-key"); d.plant("rsa-private-key", x, x)
    d.done()
    d = Doc(c, "services/api/certs/server.pub.pem")
    d.decoy("public-key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
            + "\n".join(c.pem_body("", 270)) + "\n-----END PUBLIC KEY-----", "-----BEGIN PUBLIC KEY-----")
    d.done()
    d = Doc(c, "services/api/app/signing.py")
    d.add('"""Signs webhooks."""\n')
    x = v("pkcs8-private-key"); d.plant("pkcs8-private-key", f'PRIVATE_KEY = """{x}"""', x, note="triple-quoted Python string")
    d.done()

    # --- notebooks
    for i in range(4):
        d = Doc(c, f"notebooks/{['exploration', 'embeddings', 'churn-model', 'billing-report'][i]}.ipynb")
        cells = []
        src_files = [p for p in copied["py"][:200]]
        for k in range(c.pick.randint(8, 14)):
            p = os.path.join(c.tree, c.pick.choice(src_files))
            with open(p, encoding="utf-8", errors="replace") as f:
                lines = f.read().split("\n")[:c.pick.randint(10, 40)]
            cells.append({"cell_type": "code", "execution_count": k + 1, "metadata": {}, "outputs": [],
                          "source": [ln + "\n" for ln in lines]})
        planted = []
        if i == 0:
            x = v("openai-api-key"); cells.insert(2, {"cell_type": "code", "execution_count": 3, "metadata": {}, "outputs": [],
                                                      "source": ["import openai\n", f'openai.api_key = "{x}"\n']})
            planted.append(("openai-api-key", x))
        if i == 1:
            x = v("huggingface-token"); cells.insert(1, {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
                                                         "source": ["from huggingface_hub import login\n", f'login(token="{x}")\n']})
            planted.append(("huggingface-token", x))
        if i == 2:
            pw = c.url_password()
            cells.insert(1, {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
                             "source": ["import sqlalchemy\n", f'engine = sqlalchemy.create_engine("postgresql://analyst:{pw}@warehouse.internal/dwh")\n']})
            planted.append(("postgres-url", pw))
        if i == 3:
            x = v("jwt")
            cells.insert(3, {"cell_type": "code", "execution_count": 4, "metadata": {},
                             "outputs": [{"name": "stdout", "output_type": "stream", "text": [f"token: {x}\n"]}],
                             "source": ["print('token:', auth.token())\n"]})
            planted.append(("jwt", x))
        cells.append({"cell_type": "code", "execution_count": 99, "metadata": {}, "source": ["plot()\n"],
                      "outputs": [{"output_type": "display_data", "metadata": {},
                                   "data": {"image/png": png_b64(c, rng.randint(3000, 30000)), "text/plain": ["<Figure>"]}}]})
        nb = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
              "nbformat": 4, "nbformat_minor": 5}
        d.add(json.dumps(nb, indent=1))
        for kind, val in planted:
            d.pending.append((kind, val, 0, None, "notebook"))
        d.done()

    # --- logs (ignored by git): bearer tokens, basic auth, a token in a URL
    for i, svc in enumerate(["api", "worker", "gateway"]):
        d = Doc(c, f"logs/{svc}-2026-11.log")
        n = 25000 if svc != "gateway" else 40000
        body = log_lines(c, n, svc)
        cut = sorted(rng.sample(range(100, n - 100), 3))
        d.add("\n".join(body[:cut[0]]))
        if i == 0:
            user, pw = "svc-report", v("generic-password")
            b = base64.b64encode(f"{user}:{pw}".encode()).decode()
            d.plant("basic-auth-header", f"2026-11-14T08:02:11.120Z DEBUG [api] outgoing request headers={{'Authorization': 'Basic {b}'}}", pw, shown=b,
                    note="base64 only")
        if i == 1:
            x = v("gitlab-pat"); d.plant("gitlab-pat", f"2026-11-14T08:02:11.120Z ERROR [worker] clone failed: https://oauth2:{x}@gitlab.corp.internal/app.git", x)
        if i == 2:
            x = v("jwt"); d.plant("jwt", f"2026-11-14T08:02:11.120Z DEBUG [gateway] Authorization: Bearer {x}", x)
        d.add("\n".join(body[cut[0]:cut[1]]))
        if i == 0:
            x = v("sendgrid-api-key"); d.plant("sendgrid-api-key", f"2026-11-20T10:00:00.000Z WARN  [api] mail config: {{'api_key': '{x}'}}", x)
        if i == 2:
            x = v("stripe-live-secret"); d.plant("stripe-live-secret", f"2026-11-21T10:00:00.000Z ERROR [gateway] stripe call failed key={x}", x)
        d.add("\n".join(body[cut[1]:]))
        d.done()

    # --- minified bundles: secrets inside one very long line
    js_src = [p for p in copied["js"] if p.endswith(".js")]
    for i in range(3):
        d = Doc(c, f"services/web/dist/assets/index-{c.hexs(8)}.min.js")
        parts = []
        for p in c.pick.sample(js_src, min(60, len(js_src))):
            with open(os.path.join(c.tree, p), encoding="utf-8", errors="replace") as f:
                parts.append(minify(f.read()))
        at = c.pick.randint(len(parts) // 3, 2 * len(parts) // 3)
        if i == 0:
            x = v("google-api-key"); parts.insert(at, f'const Ke={{apiKey:"{x}",authDomain:"corp-prod.firebaseapp.com"}}')
            d.pending.append(("google-api-key", x, 0, None, "minified JS"))
        if i == 1:
            x = v("generic-secret"); parts.insert(at, f'var Qa={{clientId:"web",clientSecret:"{x}"}}')
            d.pending.append(("generic-secret", x, 0, None, "minified JS"))
        if i == 2:
            x = v("stripe-live-secret"); parts.insert(at, f'const zr="{x}";')
            d.pending.append(("stripe-live-secret", x, 0, None, "minified JS"))
        parts.insert(c.pick.randint(0, len(parts)), f'const Ic="data:image/png;base64,{png_b64(c, 2000)}"')
        d.add(";".join(parts))
        d.done()

    # --- Markdown docs with documentation example keys (decoys) and one real leak
    d = Doc(c, "docs/deploy.md")
    d.add("# Deploying\n\nConfigure the AWS CLI:\n\n```sh")
    d.decoy("doc-example", "aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE")
    d.decoy("doc-example", "aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    d.add("```\n\nA JWT looks like:\n")
    d.decoy("doc-example", "    eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
    d.add("\nThe staging bot (rotate after the demo!):\n")
    x = v("discord-bot-token"); d.plant("discord-bot-token", f"    DISCORD_TOKEN={x}", x)
    d.add("\nSet `OPENAI_API_KEY=<your-key>` and `GITHUB_TOKEN=ghp_...` in your shell.\n")
    d.decoy("base64-image", f"![diagram](data:image/png;base64,{png_b64(c, 3000)})", "data:image/png;base64")
    d.done()

    d = Doc(c, "docs/onboarding.md")
    d.add("# Onboarding\n\nAsk for access in #infra. Shared read-only token for the metrics API:\n")
    x = v("digitalocean-token"); d.plant("digitalocean-token", f"`{x}`", x)
    d.add("\nIds you will see: `" + c.uuid() + "` (tenant), `" + c.hexs(40) + "` (build).\n")
    d.done()

    # --- lock files and other decoy-heavy files
    d = Doc(c, "services/web/package-lock.json")
    pk = {"name": "web", "lockfileVersion": 3, "requires": True, "packages": {}}
    for k in range(1500):
        name = ident(c, 2, "snake").replace("_", "-")
        pk["packages"][f"node_modules/{name}"] = {
            "version": f"{rng.randint(0, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 30)}",
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}-1.0.0.tgz",
            "integrity": "sha512-" + c.b64bytes(64)}
    d.add(json.dumps(pk, indent=2))
    d.done()
    d = Doc(c, "services/indexer/Cargo.lock")
    d.add("# This file is automatically @generated by Cargo.\nversion = 4\n")
    for k in range(800):
        d.add(f'[[package]]\nname = "{ident(c, 2, "snake")}"\nversion = "0.{rng.randint(1, 40)}.{rng.randint(0, 20)}"\n'
              f'source = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "{c.hexs(64)}"\n')
    d.done()
    d = Doc(c, "services/api/poetry.lock")
    for k in range(600):
        d.add(f'[[package]]\nname = "{ident(c, 2, "snake")}"\nversion = "{rng.randint(0, 9)}.{rng.randint(0, 30)}"\n'
              f'files = [\n    {{file = "pkg-1.0-py3-none-any.whl", hash = "sha256:{c.hexs(64)}"}},\n]\n')
    d.done()

    # --- inserted into copied real source (py, C header, Rust)
    def big(paths):  # files of some length, so that the line goes inside the code
        return [p for p in paths if os.path.getsize(os.path.join(c.tree, p)) > 4000]

    pys = big(p for p in copied["py"] if "/test" not in p)
    x = v("generic-token"); inject(c, c.pick.choice(pys), "generic-token", x, f'_AUTH_TOKEN = "{x}"  # temporary, for the staging proxy')
    x = v("slack-bot-token"); inject(c, c.pick.choice(pys), "slack-bot-token", x, f'SLACK_TOKEN = "{x}"')
    x = v("github-fine-grained-pat"); inject(c, c.pick.choice(pys), "github-fine-grained-pat", x, f'GITHUB_PAT = "{x}"')
    hs = big(p for p in copied["c"] if p.endswith(".h"))
    x = v("generic-secret"); inject(c, c.pick.choice(hs), "generic-secret", x, f'#define LICENSE_SECRET "{x}"')
    x = v("aws-access-key-id"); inject(c, c.pick.choice(hs), "aws-access-key-id", x, f'#define UPLOAD_KEY_ID "{x}"')
    rss = big(p for p in copied["rs"] if p.endswith(".rs"))
    x = v("github-fine-grained-pat"); inject(c, c.pick.choice(rss), "github-fine-grained-pat", x, f'const GH_TOKEN: &str = "{x}";')
    x = v("anthropic-api-key"); inject(c, c.pick.choice(rss), "anthropic-api-key", x, f'let api_key = "{x}";')
    x = v("generic-password"); inject(c, c.pick.choice(rss), "generic-password", x, f'const ADMIN_PASSWORD: &str = "{x}";')

    # --- more variety: one of each remaining context, so every kind appears >= 2 times
    d = Doc(c, "services/admin/admin/integrations/chat.py")
    d.add("import requests\n")
    x = v("discord-webhook"); d.plant("discord-webhook", f'WEBHOOK = "{x}"', x)
    x = v("slack-webhook"); d.plant("slack-webhook", f'requests.post("{x}", json={{"text": "deployed"}})', x)
    x = v("mailgun-api-key"); d.plant("mailgun-api-key", f'MAILGUN_API_KEY = "{x}"', x)
    x = v("shopify-token"); d.plant("shopify-token", f'SHOPIFY_API_SECRET = "{x}"', x)
    x = v("heroku-api-key"); d.plant("heroku-api-key", f'HEROKU_API_KEY = "{x}"', x)
    x = v("github-oauth-token"); d.plant("github-oauth-token", f'oauth_token = "{x}"', x)
    x = v("gitlab-pat"); d.plant("gitlab-pat", f'gl = gitlab.Gitlab("https://gitlab.com", private_token="{x}")', x)
    x = v("github-app-token"); d.plant("github-app-token", f'headers = {{"Authorization": "token {x}"}}', x)
    x = v("npm-token"); d.plant("npm-token", f'NPM_TOKEN = "{x}"', x)
    x = v("twilio-api-key"); d.add('client = twilio.rest.Client('); d.plant("twilio-api-key", f'    "{x}",', x)
    d.add(f'    account_sid="AC{c.hexs(32)}")')
    x = v("ec-private-key"); d.plant("ec-private-key", f"SIGNING_KEY = '''{x}'''", x)
    x = v("stripe-restricted"); d.plant("stripe-restricted", f'stripe.api_key = "{x}"', x)
    x = v("sendgrid-api-key"); d.plant("sendgrid-api-key", f'sg = SendGridAPIClient("{x}")', x)
    d.decoy("uuid", f'CORRELATION_NAMESPACE = "{c.uuid()}"')
    d.decoy("hash", f'EXPECTED_SHA1 = "{c.hexs(40)}"')
    d.done()

    d = Doc(c, "services/gateway/config/gateway.yaml")
    d.add("listen: :8443\nupstreams:\n  - name: api\n    url: http://api:8000")
    pw = c.url_password(); d.plant("redis-url", f"ratelimit_store: rediss://default:{pw}@redis-cluster.internal:6380", pw)
    x = v("generic-token"); d.plant("generic-token", f"admin_token: {x}", x)
    x = v("generic-secret"); d.plant("generic-secret", f"oidc:\n  client_id: gateway\n  client_secret: {x}", x)
    d.decoy("placeholder", "tls_key_password: ${TLS_KEY_PASSWORD}")
    d.done()

    d = Doc(c, "services/billing/src/main/resources/application-prod.yml")
    d.add("spring:\n  rabbitmq:\n    host: rabbitmq.internal")
    pw = c.url_password(); d.plant("amqp-url", f"    addresses: amqps://billing:{pw}@rabbitmq.internal:5671", pw)
    pw = c.url_password(); d.plant("mysql-url", f"  legacy-db: mysql://billing:{pw}@mysql-legacy.internal:3306/billing", pw)
    pw = c.url_password(); d.plant("mongodb-url", f"  audit-store: mongodb://audit:{pw}@mongo-0.internal:27017/audit?authSource=admin", pw)
    x = v("pkcs8-private-key"); d.add("  saml:\n    private-key: |")
    d.plant("pkcs8-private-key", "\n".join("      " + ln for ln in x.split("\n")), x, note="multi-line YAML block scalar")
    d.done()

    d = Doc(c, "services/web/src/environments/environment.prod.ts")
    d.add("export const environment = {\n  production: true,")
    x = v("github-classic-pat"); d.plant("github-classic-pat", f"  githubToken: '{x}',", x)
    x = v("generic-token"); d.plant("generic-token", f"  analyticsWriteToken: \"{x}\",", x)
    d.add("};")
    d.done()

    d = Doc(c, "config/secrets.properties")
    x = v("generic-secret"); d.plant("generic-secret", f"oauth.client.secret={x}", x)
    x = v("generic-token"); d.plant("generic-token", f"metrics.push.token = {x}", x)
    x = v("telegram-bot-token"); d.plant("telegram-bot-token", f"telegram.bot.token={x}", x)
    d.decoy("placeholder", "ldap.bind.password=<set-in-vault>")
    d.done()


def plant_history(c):
    """Files with secrets that are committed once, then cleaned."""
    v = c.value
    d = Doc(c, "scripts/deploy_prod.sh", where="history")
    d.add("#!/usr/bin/env bash\nset -e")
    x = v("aws-access-key-id"); d.plant("aws-access-key-id", f"export AWS_ACCESS_KEY_ID={x}", x)
    y = v("aws-secret-access-key"); d.plant("aws-secret-access-key", f"export AWS_SECRET_ACCESS_KEY={y}", y)
    x = v("github-classic-pat"); d.plant("github-classic-pat", f"git clone https://x-access-token:{x}@github.com/corp/infra.git", x)
    x = v("digitalocean-token"); d.plant("digitalocean-token", f"doctl auth init -t {x}", x)
    d.add("./deploy.sh prod")
    d.done()

    d = Doc(c, ".env.staging", where="history")
    x = v("stripe-live-secret"); d.plant("stripe-live-secret", f"STRIPE_SECRET_KEY={x}", x)
    x = v("openai-api-key"); d.plant("openai-api-key", f"OPENAI_API_KEY={x}", x)
    pw = c.url_password(); d.plant("postgres-url", f"DATABASE_URL=postgresql://staging:{pw}@staging-db.internal/app", pw)
    k = v("django-secret-key"); d.plant("django-secret-key", f"DJANGO_SECRET_KEY='{k}'", k)
    d.done()

    d = Doc(c, "config/legacy/old-keys.yaml", where="history")
    d.add("legacy:")
    x = v("slack-bot-token"); d.plant("slack-bot-token", f"  slack_token: {x}", x)
    x = v("generic-password"); d.plant("generic-password", f"  ldap_password: \"{x}\"", x)
    x = v("rsa-private-key"); d.add("  signing_key: |")
    d.plant("rsa-private-key", "\n".join("    " + ln for ln in x.split("\n")), x, note="multi-line YAML block scalar")
    d.done()


def make_synthetic(c, budget):
    """Go, Java and TypeScript sources (no real ones on the machine), budget bytes in all."""
    total, n = 0, 0
    while total < budget:
        kind = n % 3
        if kind == 0:
            pkg = c.rng.choice(WORDS)
            rel = f"services/gateway/internal/{pkg}/{ident(c, 2, 'snake')}.go"
            text = go_file(c, pkg, c.rng.randint(4, 20))
        elif kind == 1:
            cls = ident(c, 2, "pascal") + c.rng.choice(["Service", "Repository", "Controller", "Mapper"])
            rel = f"services/billing/src/main/java/com/corp/billing/{c.rng.choice(WORDS)}/{cls}.java"
            text = java_file(c, "com.corp.billing", cls, c.rng.randint(4, 20))
        else:
            rel = f"services/web/src/app/{c.rng.choice(WORDS)}/{ident(c, 2, 'snake').replace('_', '-')}.ts"
            text = ts_file(c, c.rng.randint(4, 20))
        if os.path.exists(os.path.join(c.tree, rel)):
            n += 1
            continue
        c.write(rel, text + "\n")
        total += len(text) + 1
        n += 1
    c.noise["synthetic"] = {"source": "generated Go/Java/TypeScript", "files": n, "bytes": total}


def git(tree, *args, date=None):
    env = dict(os.environ, **GIT_ENV)
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return subprocess.run(["git", "-C", tree, *args], env=env, check=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True).stdout.strip()


def make_history(c):
    tree = c.tree
    git(tree, "init", "-q", "-b", "main")
    git(tree, "config", "commit.gpgsign", "false")
    git(tree, "config", "gc.auto", "0")  # no background gc left running after us
    git(tree, "config", "maintenance.auto", "false")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "Initial import", date="2026-10-01T09:00:00+00:00")
    for rel, text in c.history_files.items():
        c.write(rel, text)
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "Add production deploy script and staging config", date="2026-10-08T14:30:00+00:00")
    leak = git(tree, "rev-parse", "HEAD")
    # the clean-up: the script reads the environment, the others go
    c.write("scripts/deploy_prod.sh", "#!/usr/bin/env bash\nset -e\n: \"${AWS_ACCESS_KEY_ID:?}\" \"${AWS_SECRET_ACCESS_KEY:?}\"\n"
            "git clone \"https://x-access-token:${GITHUB_TOKEN}@github.com/corp/infra.git\"\ndoctl auth init -t \"$DO_TOKEN\"\n./deploy.sh prod\n")
    os.remove(os.path.join(tree, ".env.staging"))
    os.remove(os.path.join(tree, "config/legacy/old-keys.yaml"))
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "Remove credentials from deploy script", date="2026-10-09T08:15:00+00:00")
    with open(os.path.join(tree, "README.md"), "a") as f:
        f.write("\nDeploys read their credentials from the environment.\n")
    git(tree, "add", "-A")
    git(tree, "commit", "-q", "-m", "Document deploy credentials", date="2026-10-10T10:00:00+00:00")
    for s in c.secrets:
        if s["where"] == "history":
            s["commit"] = leak
    return leak


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default="/tmp/scan-corpus")
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--size-mb", type=float, default=160, help="approximate size of the tree (default 160)")
    ap.add_argument("--force", action="store_true", help="replace OUT/tree if it exists")
    a = ap.parse_args()

    tree = os.path.join(a.out, "tree")
    if os.path.exists(tree):
        if not a.force:
            sys.exit(f"error: {tree} exists (--force replaces it)")
        shutil.rmtree(tree)
    os.makedirs(tree)
    c = Corpus(tree, a.seed)
    mb = a.size_mb * 1e6 / 160e6  # budgets below are for 160 MB

    pyver = "python%d.%d" % sys.version_info[:2]
    stdlib = next((p for p in [os.path.join(sys.base_prefix, "lib", pyver), f"/usr/lib/{pyver}"] if os.path.isdir(p)), None)
    site = next((p for p in glob.glob(os.path.join(sys.base_prefix, "lib", pyver, "site-packages"))), None)
    cargo = next(iter(sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/")))), None)
    npm = next((p for p in ["/usr/lib/node_modules", "/usr/local/lib/node_modules"] if os.path.isdir(p)), None)
    for name, p in [("/usr/include", "/usr/include"), ("the Python standard library", stdlib)]:
        if not p or not os.path.isdir(p):
            sys.exit(f"error: {name} is needed as source text")

    print("==> copying real source text", file=sys.stderr)
    copied = {}
    copied["c"] = copy_noise(c, "native/include", "/usr/include", list_files("/usr/include", TEXT_EXT["c"]), 42e6 * mb)
    copied["py"] = copy_noise(c, "tools/pylib", stdlib,
                              list_files(stdlib, TEXT_EXT["py"], skip_dirs=("site-packages", "__pycache__")), 30e6 * mb)
    budget_rest = 0
    if site:
        copied["py"] += copy_noise(c, "third_party/python", site,
                                   list_files(site, TEXT_EXT["py"], skip_dirs=("__pycache__",)), 16e6 * mb)
        boto = os.path.join(site, "botocore", "data")
        if os.path.isdir(boto):
            copy_noise(c, "third_party/aws-models", boto, list_files(boto, TEXT_EXT["json"]), 7e6 * mb)
        else:
            budget_rest += 7e6
    else:
        budget_rest += 23e6
    copied["rs"] = copy_crates(c, "third_party/rust", cargo, 38e6 * mb + budget_rest) if cargo else []
    if not cargo:
        budget_rest += 38e6
    copied["js"] = copy_noise(c, "third_party/js", npm, list_files(npm, TEXT_EXT["js"]), 8e6 * mb) if npm else []
    minjs = sorted(set(glob.glob(os.path.join(site or "/nonexistent", "**", "*.min.js"), recursive=True))
                   | set(glob.glob(os.path.join(npm or "/nonexistent", "**", "*.min.js"), recursive=True)))
    for p in minjs:
        shutil.copyfile(p, c.path(os.path.join("services/web/public/vendor", os.path.basename(p))))
    if not copied["js"]:
        copied["js"] = copied["py"]  # minified bundles are then made of Python text: still one long line

    print("==> generating code, configs, logs and planted secrets", file=sys.stderr)
    make_synthetic(c, 6e6 * mb)
    plant_all(c, copied)
    plant_history(c)
    c.write(".gitignore", ".env\n.env.local\n*.log\nlogs/\n__pycache__/\n*.pyc\n/target/\nnode_modules/\n")
    c.write("README.md", "# corp monorepo\n\nServices, deployment and vendored third-party code.\n")

    print("==> git history", file=sys.stderr)
    make_history(c)

    # stats of the tree as it is on disk (the working tree, .git excluded)
    exts, total, nfiles = {}, 0, 0
    digest = hashlib.sha256()
    for d, dirs, files in os.walk(tree):
        dirs[:] = sorted(x for x in dirs if x != ".git")
        for f in sorted(files):
            with open(os.path.join(d, f), "rb") as fh:
                data = fh.read()
            digest.update(os.path.relpath(os.path.join(d, f), tree).encode() + b"\0"
                          + hashlib.sha256(data).digest())
            size = len(data)
            total += size
            nfiles += 1
            e = os.path.splitext(f)[1] or f
            exts[e] = exts.get(e, 0) + 1
    kinds = sorted({s["kind"] for s in c.secrets})
    key = {
        "version": 1,
        "seed": a.seed,
        "tree": "tree",
        "bytes": total,
        "files": nfiles,
        # of every path and content: two corpora with the same digest are the same
        "digest": digest.hexdigest(),
        "commits": git(tree, "rev-list", "HEAD").split(),
        "file_types": dict(sorted(exts.items(), key=lambda kv: -kv[1])),
        "noise": c.noise,
        "kinds": kinds,
        "secrets": c.secrets,
        "decoys": c.decoys,
    }
    with open(os.path.join(a.out, "answers.json"), "w") as f:
        json.dump(key, f, indent=1)
    tree_n = sum(1 for s in c.secrets if s["where"] == "tree")
    print(f"{tree}: {total / 1e6:.1f} MB in {nfiles} files; {len(c.secrets)} secrets of {len(kinds)} kinds "
          f"({tree_n} in the tree, {len(c.secrets) - tree_n} only in history), {len(c.decoys)} decoys; "
          f"answer key {os.path.join(a.out, 'answers.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
