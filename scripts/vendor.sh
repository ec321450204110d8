#!/usr/bin/env bash
# Refresh the vendored front-end files from pinned npm versions. Pages never load
# anything from a CDN: what the browser gets is committed under static/vendor/.
set -euo pipefail
BOOTSTRAP=5.3.9
HTMX=2.0.11
ECHARTS=6.1.0

dest="$(cd "$(dirname "$0")/.." && pwd)/src/huifang/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for spec in "bootstrap@$BOOTSTRAP" "htmx.org@$HTMX" "echarts@$ECHARTS"; do
  npm pack --silent "$spec" >/dev/null
done
for tarball in *.tgz; do
  mkdir -p "${tarball%.tgz}" && tar -xzf "$tarball" -C "${tarball%.tgz}"
done
mkdir -p "$dest"/{bootstrap,htmx,echarts}
cp bootstrap-*/package/dist/css/bootstrap.min.css "$dest/bootstrap/"
cp bootstrap-*/package/dist/js/bootstrap.bundle.min.js "$dest/bootstrap/"
cp bootstrap-*/package/LICENSE "$dest/bootstrap/LICENSE"
cp htmx.org-*/package/dist/htmx.min.js "$dest/htmx/"
cp htmx.org-*/package/LICENSE "$dest/htmx/LICENSE"
cp echarts-*/package/dist/echarts.min.js "$dest/echarts/"
cp echarts-*/package/LICENSE "$dest/echarts/LICENSE"
printf 'bootstrap %s\nhtmx.org %s\necharts %s\n' "$BOOTSTRAP" "$HTMX" "$ECHARTS" > "$dest/VERSIONS"
echo "vendored into $dest"
