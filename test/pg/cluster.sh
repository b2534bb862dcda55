#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the pg suite (vitest.pg.config.ts).
#   cluster.sh install      installs Debian's postgresql when initdb/pg_ctl are missing
#   cluster.sh start DIR    initdb + pg_ctl in DIR (new or empty) on a free 127.0.0.1 port, as a
#                           non-root user (as root: runuser -u postgres); prints the URL
#   cluster.sh stop DIR     stops the postmaster by the pid in DIR/data/postmaster.pid, removes DIR
# A start that fails part way stops what it started.
set -euo pipefail

bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }; done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return 0; }
  return 1
}

as_owner() { # runs a command as the cluster's owner: postgres when we are root, else ourselves
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop() {
  local dir=$1 pid
  if [ -f "$dir/data/postmaster.pid" ]; then
    pid=$(head -1 "$dir/data/postmaster.pid")
    # SIGINT: fast shutdown (active sessions rolled back); wait until that pid is gone
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  install)
    bindir >/dev/null && exit 0
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bindir >/dev/null
    ;;
  start)
    dir=${2:?usage: cluster.sh start DIR}
    bin=$(bindir) || { echo "no PostgreSQL: run cluster.sh install" >&2; exit 1; }
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    trap 'echo "cluster.sh: starting PostgreSQL in $dir failed:" >&2; cat "$dir"/initdb.log "$dir"/data/server.log >&2 2>/dev/null; stop "$dir"' ERR
    port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
    as_owner "$bin/initdb" -D "$dir/data" -U meshwatch --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $dir/data -c fsync=on" start >/dev/null
    as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U meshwatch meshwatch
    echo "postgres://meshwatch@127.0.0.1:$port/meshwatch"
    ;;
  stop)
    stop "${2:?usage: cluster.sh stop DIR}"
    ;;
  *)
    echo "usage: cluster.sh install | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
