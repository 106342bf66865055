#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (as root) to run and test COI Desktop: a real Incus daemon
# with a tiny image, OpenSSH for the remote-host tests, Node packages (Electron's binary is skipped where it cannot be downloaded).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision-incus.sh
bash scripts/provision-ssh.sh
bash scripts/provision-browser.sh
npm ci --no-audit --no-fund
