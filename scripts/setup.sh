#!/usr/bin/env bash
# Prepares a fresh Debian 12 machine (as root) to run and test COI Desktop: a real Incus daemon
# with a tiny image, OpenSSH for the remote-host tests, Node packages and Electron's binary (where it
# cannot be downloaded, or ELECTRON_SKIP_BINARY_DOWNLOAD is set, `npm start` serves web mode instead).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision-incus.sh
bash scripts/provision-incus-https.sh
bash scripts/provision-ssh.sh
bash scripts/provision-browser.sh
bash scripts/install-node-packages.sh
