#!/usr/bin/env bash
# The GraphQL over HTTP audit suite (npm graphql-http, its serverAudits) that
# tests/graphql_api/test_over_http_audit.py runs against the API, installed from npm into
# .cache/graphql-http. graphql is its peer dependency, pinned as for GraphiQL.
# usage: scripts/graphql-http.sh [DEST]   (default .cache/graphql-http; does nothing when complete)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.cache/graphql-http}
version=1.23.1 graphql=16.9.0
stamp="$dest/.complete-$version-$graphql"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
mkdir -p "$dest"
npm install --prefix "$dest" --no-save --no-audit --no-fund --loglevel=error \
  "graphql-http@$version" "graphql@$graphql" >/dev/null
[ -s "$dest/node_modules/graphql-http/lib/audits/server.js" ] || {
  echo "graphql-http: the audits are missing after npm install" >&2; exit 1; }
rm -f "$dest"/.complete-*
touch "$stamp"
echo "graphql-http: graphql-http $version in $dest"
