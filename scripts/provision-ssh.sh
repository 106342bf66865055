#!/usr/bin/env bash
# Installs what the SSH tests use on Debian 12 (as root): OpenSSH's server and client tools,
# iproute2 for the test network namespaces, procps. The tests start their own sshd on test
# addresses with throw-away keys; the package's own service is kept from starting.
set -euo pipefail

say() { printf '[provision-ssh] %s\n' "$*"; }

if [ -x /usr/sbin/sshd ] && command -v ssh-keygen ssh-agent ssh-add ip ps useradd >/dev/null; then
  say "ready: $(/usr/sbin/sshd -V 2>&1 | head -n 1)"
  exit 0
fi
say "installing openssh-server, openssh-client, iproute2, procps"
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && made_policy=yes
fi
trap '[ "$made_policy" = yes ] && rm -f "$policy"' EXIT
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  openssh-server openssh-client iproute2 procps passwd >/dev/null
mkdir -p /run/sshd
say "ready: $(/usr/sbin/sshd -V 2>&1 | head -n 1)"
