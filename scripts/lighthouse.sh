#!/usr/bin/env bash
# Lighthouse scores (performance, accessibility, best practices, SEO) of the
# readers' page types, against a running site. Not part of CI: the favicon and
# touch-target fixes it once flagged are covered by ordinary tests.
#
#   scripts/lighthouse.sh http://127.0.0.1:8000
#
# Serve the site as in production first (gunicorn, DEBUG=false; on plain HTTP
# set SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false
# SECURE_HSTS_SECONDS=0). Lighthouse comes from npm (npx, Lighthouse 12) and
# drives Debian's chromium (CHROME_PATH). Reports go to lighthouse-reports/.
set -euo pipefail
base="${1:?usage: scripts/lighthouse.sh BASE_URL}"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
out="${LIGHTHOUSE_OUT:-lighthouse-reports}"
mkdir -p "$out"

home=$(curl -fsS "$base/")
piece=$(grep -o 'href="/[a-z0-9-]*/[0-9]\{4\}/[^"/]*/"' <<<"$home" | head -1 | cut -d'"' -f2)
series=$(cut -d/ -f1-2 <<<"$piece")/
author=$(curl -fsS "$base$piece" | grep -o 'href="/authors/[^"/]*/"' | head -1 | cut -d'"' -f2)

for path in / "$piece" "$author" "$series"; do
  name=$(tr -c 'a-z0-9\n' '_' <<<"$path")
  npx --yes lighthouse@12 "$base$path" --quiet \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-background-networking" \
    --only-categories=performance,accessibility,best-practices,seo \
    --output=json --output-path="$out/$name.json"
  python3 - "$out/$name.json" "$path" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scores = {key: round(cat["score"] * 100) for key, cat in report["categories"].items()}
print(sys.argv[2], scores)
for key, cat in report["categories"].items():
    for ref in cat["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if ref.get("weight") and audit.get("score") is not None and audit["score"] < 1:
            print(f"    {key}: {ref['id']} {audit['score']} {audit.get('displayValue', '')}")
PY
done
