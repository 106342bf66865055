#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (Playwright drives /usr/bin/chromium; it cannot
# download a browser of its own here), with a font so pages render text.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  printf '[provision-browser] ready: %s\n' "$(/usr/bin/chromium --version 2>/dev/null)"
  exit 0
fi
printf '[provision-browser] installing chromium\n'
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
printf '[provision-browser] ready: %s\n' "$(/usr/bin/chromium --version 2>/dev/null)"
