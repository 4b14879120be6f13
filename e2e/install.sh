#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium (when /usr/bin/chromium is
# missing) and the node packages of e2e/ (npm ci). Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# Chromium, and fonts so that screenshots show text and emoji as people see them.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
for pkg in fonts-dejavu-core fonts-liberation fonts-noto-color-emoji; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "e2e/install: installing ${missing[*]} (apt)"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
/usr/bin/chromium --version || true

if ! command -v node >/dev/null; then
  echo "e2e/install: node is required (20 or later)" >&2
  exit 1
fi
cd "$here"
npm ci --no-audit --no-fund
