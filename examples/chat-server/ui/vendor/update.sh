#!/usr/bin/env bash
# Re-vendor the UI's libraries from npm (versions pinned below; keep them in step
# with README.md, the import map in ../index.html and ASSETS in ../../src/ui.rs).
# Copies the ES module builds and the licenses, unchanged.
#
#   bash examples/chat-server/ui/vendor/update.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent preact@11.2.0 htm@3.1.1 @preact/signals@2.11.4 @preact/signals-core@1.14.5 >/dev/null
for t in *.tgz; do mkdir "${t%.tgz}"; tar xzf "$t" -C "${t%.tgz}"; done
sha256sum ./*.tgz
copy() { mkdir -p "$here/$2"; cp "$1" "$here/$2/"; }
# One directory per package and version: the paths are cached as immutable.
copy preact-11.2.0/package/dist/preact.mjs preact-11.2.0
copy preact-11.2.0/package/hooks/dist/hooks.mjs preact-11.2.0
copy preact-11.2.0/package/LICENSE preact-11.2.0
copy htm-3.1.1/package/dist/htm.mjs htm-3.1.1
copy htm-3.1.1/package/LICENSE htm-3.1.1
copy preact-signals-2.11.4/package/dist/signals.mjs signals-2.11.4
copy preact-signals-2.11.4/package/LICENSE signals-2.11.4
copy preact-signals-core-1.14.5/package/dist/signals-core.mjs signals-core-1.14.5
copy preact-signals-core-1.14.5/package/LICENSE signals-core-1.14.5
