# Sourced by scripts/provision-incus.sh and scripts/provision-incus-https.sh: starting an incusd.
# Needs `say` (the caller's log line) defined first.

# start_incusd WHAT LOG [DIR]: unless an incusd answers on DIR's socket (no DIR: the default daemon),
# starts /usr/libexec/incus/incusd --group root (with INCUS_DIR=DIR when given), logging to LOG, and
# waits up to 60 s for it to be ready; when it is not, shows LOG's last lines and exits 1.
start_incusd() {
  local what="$1" log="$2" dir="${3:-}"
  if timeout 10 env ${dir:+INCUS_SOCKET="$dir/unix.socket"} incus query /1.0 >/dev/null 2>&1; then return; fi
  say "starting $what"
  mkdir -p "$(dirname "$log")" ${dir:+"$dir"}
  # From /, as a daemon should: its helpers (rsync for dir-pool snapshots) inherit its working directory,
  # and one started from a checkout that is later deleted fails every snapshot with "getcwd()".
  (cd / && exec env ${dir:+INCUS_DIR="$dir"} nohup /usr/libexec/incus/incusd --group root >"$log" 2>&1) &
  if ! env ${dir:+INCUS_DIR="$dir"} incus admin waitready --timeout 60; then
    say "$what did not become ready; last log lines:"; tail -n 30 "$log" >&2
    exit 1
  fi
}
