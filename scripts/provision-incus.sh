#!/usr/bin/env bash
# Installs, starts and initialises a real Incus daemon for development and CI on Debian 12 (as root),
# and imports a tiny busybox image (no image server is reachable from these machines).
# Idempotent: every step checks before it acts. Run it again whenever the daemon is not running.
set -euo pipefail

IMAGE_ALIAS="${COI_TEST_IMAGE:-coi-test-busybox}"
LOG_DIR="${INCUS_LOG_DIR:-/var/log}"

say() { printf '[provision] %s\n' "$*"; }
# shellcheck source=scripts/incusd-start.sh
source "$(dirname "${BASH_SOURCE[0]}")/incusd-start.sh"

install_packages() {
  if command -v incus >/dev/null && [ -x /usr/libexec/incus/incusd ] && [ -x /bin/busybox ]; then
    return
  fi
  say "installing incus and busybox-static from bookworm-backports"
  if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
    cat >/etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -t bookworm-backports incus >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    busybox-static curl xz-utils >/dev/null
}

init_daemon() {
  if incus storage show default >/dev/null 2>&1; then return; fi
  say "initialising: dir storage pool 'default', default profile with a root disk"
  incus admin init --preseed <<'YAML'
storage_pools:
- name: default
  driver: dir
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
YAML
}

build_image() {
  local work; work=$(mktemp -d)
  local root="$work/rootfs"
  mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root,run,var/tmp}
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  # PID 1: waits, and exits cleanly on the halt signals Incus sends (SIGPWR) so `incus stop` is quick.
  cat >"$root/sbin/init" <<'INIT'
#!/bin/sh
trap 'exit 0' PWR TERM INT
while :; do sleep 1 & wait $!; done
INIT
  chmod 0755 "$root/sbin/init"
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\n' >"$root/etc/group"
  cat >"$work/metadata.yaml" <<META
architecture: $(uname -m)
creation_date: $(date +%s)
properties:
  description: busybox test image for COI Desktop
  os: busybox
  release: static
META
  tar -C "$work" -czf "$work/image.tar.gz" metadata.yaml rootfs
  incus image import "$work/image.tar.gz" --alias "$IMAGE_ALIAS" >/dev/null
  rm -rf "$work"
}

import_image() {
  if incus image info "$IMAGE_ALIAS" >/dev/null 2>&1; then return; fi
  say "building and importing image '$IMAGE_ALIAS'"
  build_image
}

install_packages
start_incusd incusd "$LOG_DIR/incusd.log"
init_daemon
import_image
say "incus ready: $(incus version 2>/dev/null | tr '\n' ' ')image '$IMAGE_ALIAS'"
