#!/usr/bin/env python3
"""Score secret scanners' reports against the scan corpus' answer key.

    score.py ANSWERS --run NAME FORMAT REPORT SECONDS [--run ...]
             [--history NAME FORMAT REPORT SECONDS ...] [--json OUT] [--markdown OUT]

FORMAT is one of envward, betterleaks, kingfisher, detect-secrets.
SECONDS is the scan's wall time (the median of its runs), for MB/s.

A finding is matched to a planted secret of the same file:
  1. by value: the finding's value (or, for detect-secrets, its SHA-1) is
     the secret, holds it, or is a part (>= 6 characters) of it or of the
     text it is written as (base64, JSON-escaped);
  2. else by line: the finding's lines overlap the secret's (a multi-line
     key spans BEGIN..END);
  3. else by line +-1 (tools count lines differently), unless the finding's
     line is a decoy's.
A finding matched to no secret is a false positive; they are counted once
per file and line ("locations"), and reported per rule and per zone (the
decoy it hit, or the kind of text: copied real source of which origin, or
generated files). `--run` scores the working tree (secrets with where =
"tree"); `--history` scores the secrets that are only in git history
(recall only: history scans also report the tree's secrets, committed in
the first commit).

Python 3 standard library only.
"""

import argparse
import hashlib
import json
import os
import re
import sys
from collections import Counter, defaultdict


def norm(path, tree):
    path = path.replace("\\", "/")
    if os.path.isabs(path):
        path = os.path.relpath(path, tree)
    while path.startswith("./"):
        path = path[2:]
    return path


def F(path, line, end, rule, value=None, sha1=None, conf=None, commit=None, aux=False):
    """One finding. aux: a part of another finding (betterleaks' components, kingfisher's
    dependent captures, e.g. the user name next to a password): it may find a secret, but
    is never a false positive of its own."""
    return {"file": path, "line": line, "end": end if end is not None else line, "rule": rule,
            "value": value, "sha1": sha1, "confidence": conf, "commit": commit, "aux": aux}


def parse_envward(report, tree):
    out = []
    for f in report.get("findings", []):
        loc = f.get("location") or {}
        if not loc.get("path"):
            continue
        value = None
        m = re.search(r'` = (".*")$', f.get("message", ""))
        if m:
            try:
                value = json.loads(m.group(1))
            except ValueError:
                value = m.group(1)[1:-1]
        commit = next((t.split(":", 1)[1] for t in f.get("tags", []) if t.startswith("commit:")), None)
        out.append(F(norm(loc["path"], tree), loc.get("line"), loc.get("end_line"), f.get("rule"), value,
                     commit=commit or f.get("commit")))
    return out


def parse_betterleaks(report, tree):
    out = []
    items = report["findings"] if isinstance(report, dict) else report
    for f in items or []:
        if "location" in f:  # betterleaks 2 schema
            loc, m = f["location"], f.get("match", {})
            commit = (f.get("attributes") or {}).get("git.sha")
            out.append(F(norm(loc["path"], tree), loc.get("start_line"), loc.get("end_line"), f.get("rule_id"),
                         m.get("value") or m.get("full"), conf=f.get("confidence"), commit=commit))
            for cs in f.get("component_sets") or []:
                for comp in cs.get("components") or []:
                    cl, cm = comp.get("location") or loc, comp.get("match", {})
                    out.append(F(norm(cl["path"], tree), cl.get("start_line"), cl.get("end_line"),
                                 comp.get("rule_id"), cm.get("value") or cm.get("full"),
                                 conf=f.get("confidence"), commit=commit, aux=True))
        else:  # gitleaks 8 schema
            out.append(F(norm(f["File"], tree), f.get("StartLine"), f.get("EndLine"), f.get("RuleID"),
                         f.get("Secret"), commit=f.get("Commit") or None))
    return out


def parse_kingfisher(report, tree):
    out = []
    for f in report.get("findings", []):
        d, rule = f.get("finding", {}), f.get("rule", {})
        commit = ((d.get("git_metadata") or {}).get("commit") or {}).get("id")
        path = norm(d.get("path", ""), tree)
        out.append(F(path, d.get("line"), None, rule.get("id"), d.get("snippet"), conf=d.get("confidence"),
                     commit=commit))
        for v in (d.get("dependent_captures") or {}).values():
            out.append(F(path, None, None, rule.get("id") + ":dependent", v, conf=d.get("confidence"), commit=commit,
                         aux=True))
    return out


def parse_detect_secrets(report, tree):
    out = []
    for path, items in report.get("results", {}).items():
        for f in items:
            out.append(F(norm(path, tree), f.get("line_number"), None, f.get("type"), sha1=f.get("hashed_secret")))
    return out


PARSERS = {"envward": parse_envward, "betterleaks": parse_betterleaks, "kingfisher": parse_kingfisher,
           "detect-secrets": parse_detect_secrets}


def value_match(f, s):
    if f["sha1"] and f["sha1"] == s["sha1"]:
        return True
    v = f["value"]
    if not v:
        return False
    forms = [s["value"]] + ([s["shown"]] if s.get("shown") else [])
    for form in forms:
        if v == form or form in v:
            return True
        if len(v) >= 6 and v in form:
            return True
    # a multi-line key reported as one of its lines, or with its line ends escaped
    if "\n" in s["value"] and len(v) >= 16:
        flat = s["value"].replace("\n", "")
        vv = v.replace("\\n", "").replace("\n", "").replace(" ", "")
        if vv in flat or flat in vv:
            return True
    return False


def match(findings, secrets, decoy_lines):
    """Returns (found: {secret id: [finding]}, false positives: [finding])."""
    by_file = defaultdict(list)
    for s in secrets:
        by_file[s["file"]].append(s)
    found, fps = defaultdict(list), []
    for f in findings:
        cands = by_file.get(f["file"], [])
        hit = next((s for s in cands if value_match(f, s)), None)
        f["matched_by"] = "value" if hit else None
        if hit is None and f["line"] is not None:
            lo, hi = f["line"], max(f["end"] or f["line"], f["line"])
            exact = [s for s in cands if lo <= s["end_line"] and s["line"] <= hi]
            if exact:
                hit = min(exact, key=lambda s: abs(s["line"] - lo))
                f["matched_by"] = "line"
            elif (f["file"], lo) not in decoy_lines:
                near = [s for s in cands if lo - 1 <= s["end_line"] and s["line"] <= hi + 1]
                if near:
                    hit = min(near, key=lambda s: abs(s["line"] - lo))
                    f["matched_by"] = "line+-1"
        if hit is None:
            if not f["aux"]:
                fps.append(f)
        else:
            found[hit["id"]].append(f)
    return found, fps


def zone(path, key, decoys):
    if path in decoys:
        return "decoy: " + decoys[path]
    for prefix in sorted(key["noise"], key=len, reverse=True):
        if prefix != "synthetic" and path.startswith(prefix + "/"):
            return f"copied {prefix}/ ({key['noise'][prefix]['source']})"
    if path.startswith("services/web/public/vendor/"):
        return "copied minified JS (services/web/public/vendor/)"
    return "generated files"


def masked(v):
    if not v:
        return ""
    return f"`{v[:4]}…` ({len(v)} chars)"


def score(key, tree, name, fmt, report_path, seconds, where, min_conf=None):
    with open(report_path) as fh:
        text = fh.read()
    report = json.loads(text) if text.strip() else {}
    findings = PARSERS[fmt](report, tree)
    if min_conf:
        order = {"low": 0, "medium": 1, "high": 2}
        findings = [f for f in findings if f["confidence"] is None or order.get(str(f["confidence"]).lower(), 2) >= order[min_conf]]
    secrets = [s for s in key["secrets"] if s["where"] == where]
    decoy_lines = {(d["file"], d["line"]): d["kind"] for d in key["decoys"]}
    if where == "history":
        # history scans see every commit: only findings in the files that held history-only secrets count
        hist_files = {s["file"] for s in secrets}
        findings = [f for f in findings if f["file"] in hist_files]
    found, fps = match(findings, secrets, decoy_lines)
    mb = key["bytes"] / 1e6
    missed = [s for s in secrets if s["id"] not in found]
    fp_locs = {}
    for f in fps:
        fp_locs.setdefault((f["file"], f["line"]), f)
    res = {
        "tool": name, "format": fmt, "where": where, "seconds": seconds,
        "mb": round(mb, 1), "mb_per_s": round(mb / seconds, 1) if seconds else None,
        "planted": len(secrets), "found": len(secrets) - len(missed),
        "recall": round((len(secrets) - len(missed)) / len(secrets), 4) if secrets else None,
        "findings": len(findings),
        "missed": [{"id": s["id"], "kind": s["kind"], "file": s["file"], "line": s["line"], "note": s.get("note")} for s in missed],
        "missed_by_kind": dict(sorted(Counter(s["kind"] for s in missed).items())),
        # how each found secret was matched (its best finding): value, line or line+-1
        "matched_by": dict(Counter(min((f["matched_by"] for f in fs), key=["value", "line", "line+-1"].index)
                                   for fs in found.values())),
        "found_ids": sorted(found),
    }
    if where == "tree":
        decoy_by_loc = {}
        for (file, line), kind in decoy_lines.items():
            decoy_by_loc[file + ":" + str(line)] = kind
        zones = Counter()
        rules = Counter()
        rule_zone = Counter()
        listing = []
        for (file, line), f in sorted(fp_locs.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
            z = ("decoy: " + decoy_lines[(file, line)]) if (file, line) in decoy_lines else zone(file, key, {})
            ext = os.path.splitext(file)[1] or os.path.basename(file)
            zones[z] += 1
            rules[f["rule"]] += 1
            rule_zone[(f["rule"], z, ext)] += 1
            listing.append({"file": file, "line": line, "rule": f["rule"], "zone": z, "preview": masked(f["value"])})
        res.update({
            "false_positives": len(fp_locs),
            "false_positive_findings": len(fps),
            "fp_per_10mb": round(len(fp_locs) / (key["bytes"] / 1e7), 2),
            "fp_by_zone": dict(zones.most_common()),
            "fp_by_rule": dict(rules.most_common()),
            "fp_by_rule_zone_ext": [{"rule": r, "zone": z, "ext": e, "count": n} for (r, z, e), n in rule_zone.most_common()],
            "fp_list": listing,
        })
    return res


def markdown(results):
    L = []
    tree = [r for r in results if r["where"] == "tree"]
    hist = [r for r in results if r["where"] == "history"]
    if tree:
        L += ["| tool | found | recall | false positives (locations) | FP per 10 MB | wall time | MB/s |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in tree:
            L.append(f"| {r['tool']} | {r['found']} / {r['planted']} | {100 * r['recall']:.1f} % | {r['false_positives']} "
                     f"| {r['fp_per_10mb']:.1f} | {r['seconds']:.2f} s | {r['mb_per_s']:.{0 if r['mb_per_s'] >= 10 else 2}f} |")
    if hist:
        L += ["", "| tool (git history) | found | recall | wall time |", "| --- | ---: | ---: | ---: |"]
        for r in hist:
            L.append(f"| {r['tool']} | {r['found']} / {r['planted']} | {100 * r['recall']:.1f} % | {r['seconds']:.2f} s |")
    for r in tree:
        L += ["", f"#### {r['tool']}: missed ({r['planted'] - r['found']})", ""]
        L += [f"- {k}: {n}" for k, n in r["missed_by_kind"].items()] or ["- none"]
        L += ["", f"#### {r['tool']}: false positives by rule ({r['false_positives']} locations)", ""]
        L += [f"- `{k}`: {n}" for k, n in r["fp_by_rule"].items()] or ["- none"]
    return "\n".join(L) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("answers")
    ap.add_argument("--run", nargs=4, action="append", default=[], metavar=("NAME", "FORMAT", "REPORT", "SECONDS"))
    ap.add_argument("--history", nargs=4, action="append", default=[], metavar=("NAME", "FORMAT", "REPORT", "SECONDS"))
    ap.add_argument("--min-confidence", action="append", default=[], metavar="NAME=LEVEL",
                    help="also score NAME keeping only findings of LEVEL (low/medium/high) or above")
    ap.add_argument("--json", help="write the full results (missed, false positives) here")
    ap.add_argument("--markdown", help="write the summary tables here")
    a = ap.parse_args()
    with open(a.answers) as fh:
        key = json.load(fh)
    tree = os.path.join(os.path.dirname(os.path.abspath(a.answers)), key["tree"])
    extra = dict(x.split("=", 1) for x in a.min_confidence)
    results = []
    for name, fmt, rep, sec in a.run:
        results.append(score(key, tree, name, fmt, rep, float(sec), "tree"))
        if name in extra:
            results.append(score(key, tree, f"{name} (confidence >= {extra[name]})", fmt, rep, float(sec), "tree", extra[name]))
    for name, fmt, rep, sec in a.history:
        results.append(score(key, tree, name, fmt, rep, float(sec), "history"))
    md = markdown(results)
    sys.stdout.write(md)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"answers": os.path.abspath(a.answers), "digest": key.get("digest"), "results": results}, fh, indent=1)
    if a.markdown:
        with open(a.markdown, "w") as fh:
            fh.write(md)


if __name__ == "__main__":
    main()
