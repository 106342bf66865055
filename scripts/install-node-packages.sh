#!/usr/bin/env bash
# Installs the Node packages (`npm ci`) and, unless ELECTRON_SKIP_BINARY_DOWNLOAD is set, Electron's
# binary. Succeeds either way where Electron's binary cannot be downloaded (no Internet, a proxy):
# the packages are then installed without it and `npm start` serves web mode instead of the window.
#
# Electron 45 has no install script: its binary is downloaded by `install-electron` (or on first use).
# Older Electron packages download it in `npm ci`; when that download is what failed, npm ci is run
# again with ELECTRON_SKIP_BINARY_DOWNLOAD=1. Any other failure of npm ci fails the setup.
set -euo pipefail

say() { printf '[node-packages] %s\n' "$*"; }

web_mode_notice() {
  say "without Electron's binary, 'npm start' serves web mode: open the http://127.0.0.1:…/#token=… address it prints in a browser"
}

# Whether npm's output ($1, a file) says Electron's binary download failed (not the npm registry).
electron_download_failed() {
  grep -qE 'node_modules/electron|electron@[0-9][^ ]* (post)?install|@electron/get' "$1" &&
    grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|HTTPError|socket hang up|certificate|download' "$1"
}

# Downloads Electron's binary unless told not to; a failure leaves web mode.
fetch_electron_binary() {
  if [ -n "${ELECTRON_SKIP_BINARY_DOWNLOAD:-}" ]; then
    say "ELECTRON_SKIP_BINARY_DOWNLOAD is set: Electron's binary is not downloaded"
    web_mode_notice
  elif npm exec --no -- install-electron; then
    say "Electron's binary is installed: 'npm start' opens the desktop app"
  else
    say "Electron's binary could not be downloaded (see above); everything else is installed"
    web_mode_notice
  fi
}

install_node_packages() {
  local log status=0
  log=$(mktemp)
  npm ci --no-audit --no-fund 2>&1 | tee "$log" || status=$?
  if [ "$status" -eq 0 ]; then
    rm -f "$log"
    fetch_electron_binary
    return 0
  fi
  if [ -z "${ELECTRON_SKIP_BINARY_DOWNLOAD:-}" ] && electron_download_failed "$log"; then
    rm -f "$log"
    say "npm ci failed downloading Electron's binary; installing again without it (ELECTRON_SKIP_BINARY_DOWNLOAD=1)"
    ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
    web_mode_notice
    return 0
  fi
  rm -f "$log"
  say "npm ci failed (exit code $status), not because of Electron's binary: see its output above"
  return "$status"
}

install_node_packages
