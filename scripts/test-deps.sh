#!/usr/bin/env bash
# What the tests need beyond the venv: Debian's chromium and the Python playwright package that
# drives it (the browser tests), Debian's kcat (the client tests produce with it as apps do),
# Debian's prometheus with its promtool (the dashboard and alert rules are tested against them),
# and npm's graphql-http audit suite (the GraphQL over HTTP conformance test,
# scripts/graphql-http.sh).
# Idempotent; installs only what is missing. Playwright's own browser download is never used
# (`playwright install` is not run): the tests launch /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${EYE_VENV:-.venv}

if ! [ -x /usr/bin/chromium ]; then
  echo "test-deps: installing chromium (Debian package)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v kcat >/dev/null; then
  echo "test-deps: installing kcat (Debian package)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null
fi
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  echo "test-deps: installing prometheus (Debian package)" >&2
  apt-get update -qq
  # Only the binaries are wanted: the package's service is never started (tests run their own).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
fi
scripts/graphql-http.sh
if ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
  echo "test-deps: installing playwright into $venv" >&2
  "$venv/bin/pip" install -q -c constraints.txt 'playwright>=1.45'
fi
