#!/bin/sh
# Build dashboard/assets/plotly-mhsim.min.js: plotly.js with only the trace types the dashboard draws
# (scatter, bar, heatmap, sankey), 1.3 MB instead of the 4.8 MB full bundle dcc.Graph would load.
# The page loads it from the assets folder and dcc.Graph uses it (window.Plotly) instead of its own.
# Needs node and npm (packages from the npm registry, at build time only: the built file is committed).
# The plotly.js version must be the one the plotly Python package ships (tests/test_plotly_bundle.py checks).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=${PLOTLY_JS_VERSION:-$(cd "$HERE/../.." && python -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts "plotly.js@$VERSION" esbuild@0.25 >/dev/null
cp "$HERE/entry.js" entry.js
node node_modules/esbuild/install.js 2>/dev/null || true
./node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
  --define:global=window --define:define.amd=false --define:process.env.NODE_DEBUG=false \
  --loader:.css=empty --target=es2016 --legal-comments=none --log-level=warning \
  --banner:js="/*! plotly.js v$VERSION (mhsim's bundle: scatter, bar, heatmap, sankey; dashboard/plotly_bundle/build.sh) | Copyright 2012-2026, Plotly, Inc. | MIT license */" \
  --outfile="$HERE/../assets/plotly-mhsim.min.js"
ls -l "$HERE/../assets/plotly-mhsim.min.js"
