#!/usr/bin/env bash
# The Incus over HTTPS and cluster test beds (issue 14), on loopback only. Idempotent.
# - The project's daemon listens on 127.0.0.1:8443 (core.https_address; harmless to others: nothing
#   is trusted without a client certificate or a trust token).
# - A SECOND incusd with its own INCUS_DIR (/var/lib/incus-cluster), socket, dir pool and the busybox
#   image, listening on 127.0.0.1:8444, with clustering enabled: a real single-member cluster. The
#   shared daemon is never clustered (other tests use it at the same time).
set -euo pipefail

HTTPS_ADDRESS="${COI_TEST_HTTPS_ADDRESS:-127.0.0.1:8443}"
CLUSTER_DIR="${COI_TEST_CLUSTER_DIR:-/var/lib/incus-cluster}"
CLUSTER_ADDRESS="${COI_TEST_CLUSTER_ADDRESS:-127.0.0.1:8444}"
CLUSTER_MEMBER="${COI_TEST_CLUSTER_MEMBER:-member1}"
IMAGE_ALIAS="${COI_TEST_IMAGE:-coi-test-busybox}"
LOG_DIR="${INCUS_LOG_DIR:-/var/log}"

say() { printf '[provision-https] %s\n' "$*"; }
cluster() { INCUS_SOCKET="$CLUSTER_DIR/unix.socket" incus "$@"; }
# shellcheck source=scripts/incusd-start.sh
source "$(dirname "${BASH_SOURCE[0]}")/incusd-start.sh"

listen_https() {
  if [ "$(incus config get core.https_address)" = "" ]; then
    say "the project's daemon listens on https://$HTTPS_ADDRESS"
    incus config set core.https_address "$HTTPS_ADDRESS"
  fi
}

init_cluster() {
  if ! cluster storage show default >/dev/null 2>&1; then
    say "initialising the second daemon: dir pool, https on $CLUSTER_ADDRESS"
    cluster admin init --preseed <<YAML
config:
  core.https_address: $CLUSTER_ADDRESS
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
  fi
  if [ "$(cluster query /1.0 | grep -c '"server_clustered": true')" = 0 ]; then
    say "enabling clustering on the second daemon (member $CLUSTER_MEMBER)"
    cluster cluster enable "$CLUSTER_MEMBER" >/dev/null
  fi
}

import_cluster_image() {
  if cluster image info "$IMAGE_ALIAS" >/dev/null 2>&1; then return; fi
  say "copying image '$IMAGE_ALIAS' into the second daemon"
  local work; work=$(mktemp -d)
  incus image export "$IMAGE_ALIAS" "$work/image" >/dev/null
  cluster image import "$work"/image* --alias "$IMAGE_ALIAS" >/dev/null
  rm -rf "$work"
}

listen_https
start_incusd "a second incusd in $CLUSTER_DIR" "$LOG_DIR/incusd-cluster.log" "$CLUSTER_DIR"
init_cluster
import_cluster_image
say "https://$HTTPS_ADDRESS (project daemon) and https://$CLUSTER_ADDRESS (cluster '$CLUSTER_MEMBER', socket $CLUSTER_DIR/unix.socket) ready"
