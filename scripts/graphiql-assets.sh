#!/usr/bin/env bash
# GraphiQL's browser files, installed from npm into .cache/graphiql so The Eye serves them itself
# (no CDN at run time). GraphiQL 3 is the last major version that ships a ready-made browser
# bundle; React 18 the last with UMD builds; graphql-ws 5 the last with one (the page's
# WebSocket client for subscriptions).
# usage: scripts/graphiql-assets.sh [DEST]   (default .cache/graphiql; does nothing when complete)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.cache/graphiql}
graphiql=3.8.3 react=18.3.1 graphql=16.9.0 graphql_ws=5.16.2
stamp="$dest/.complete-$graphiql-$react-$graphql_ws"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
mkdir -p "$dest"
npm install --prefix "$dest" --no-save --no-audit --no-fund --loglevel=error \
  "graphiql@$graphiql" "react@$react" "react-dom@$react" "graphql@$graphql" "graphql-ws@$graphql_ws" >/dev/null
nm="$dest/node_modules"
for f in graphiql/graphiql.min.js graphiql/graphiql.min.css react/umd/react.production.min.js \
         react-dom/umd/react-dom.production.min.js graphql-ws/umd/graphql-ws.min.js; do
  [ -s "$nm/$f" ] || { echo "graphiql-assets: $nm/$f missing after npm install" >&2; exit 1; }
done
rm -f "$dest"/.complete-*
touch "$stamp"
echo "graphiql-assets: GraphiQL $graphiql, React $react and graphql-ws $graphql_ws in $dest"
