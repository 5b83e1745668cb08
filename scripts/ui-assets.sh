#!/usr/bin/env bash
# The chart library of the pages (uPlot), installed from npm into .cache/ui-assets so The Eye
# serves it itself at /ui/assets (no CDN at run time). uPlot: 50 KB, no dependencies, canvas.
# usage: scripts/ui-assets.sh [DEST]   (default .cache/ui-assets; does nothing when complete)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.cache/ui-assets}
uplot=1.6.32
stamp="$dest/.complete-$uplot"
[ -f "$stamp" ] && exit 0
command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
mkdir -p "$dest"
npm install --prefix "$dest" --no-save --no-audit --no-fund --loglevel=error "uplot@$uplot" >/dev/null
nm="$dest/node_modules"
for f in uplot/dist/uPlot.iife.min.js uplot/dist/uPlot.min.css; do
  [ -s "$nm/$f" ] || { echo "ui-assets: $nm/$f missing after npm install" >&2; exit 1; }
done
rm -f "$dest"/.complete-*
touch "$stamp"
echo "ui-assets: uPlot $uplot in $dest"
