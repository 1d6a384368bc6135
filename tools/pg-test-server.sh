#!/usr/bin/env bash
# A throw-away PostgreSQL server on loopback for the results store's tests.
#
#   eval "$(tools/pg-test-server.sh start DIR)"   # exports XFD_BENCH_TEST_PG_URL
#   tools/pg-test-server.sh stop DIR
#
# DIR (empty or missing) holds the cluster, its log and its socket.  The
# cluster is made by Debian's `postgresql` package's initdb with a random
# password (scram-sha-256) for the role `bench`; it listens on 127.0.0.1 only,
# on a free port.  Run as root, the server runs as the `postgres` user
# (initdb refuses root).  Exit 1 when no server can be started.
set -euo pipefail
cmd=${1:?usage: pg-test-server.sh start|stop DIR}
dir=${2:?usage: pg-test-server.sh start|stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pg-test-server: no PostgreSQL server installed (apt-get install postgresql)" >&2
    exit 1
fi
owner() {
    # From /: the postgres user may not enter the caller's folder (a root-only temporary clone).
    if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

case $cmd in
start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    ( umask 077; printf '%s\n' "$password" > "$dir/pw" )
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir/pw"
    if ! owner "$bin/initdb" -D "$dir/data" -U bench --pwfile="$dir/pw" -A scram-sha-256 \
            --no-sync >"$dir/initdb.log" 2>&1; then
        rm -f "$dir/pw"
        echo "pg-test-server: initdb failed (see $dir/initdb.log)" >&2
        exit 1
    fi
    rm -f "$dir/pw"
    for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 30000))
        if owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
                -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null; then
            echo "export XFD_BENCH_TEST_PG_URL='postgresql://bench:$password@127.0.0.1:$port/postgres'"
            exit 0
        fi
    done
    echo "pg-test-server: the server did not start (see $dir/server.log)" >&2
    exit 1
    ;;
stop)
    [ -d "$dir/data" ] && owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
*)
    echo "usage: pg-test-server.sh start|stop DIR" >&2
    exit 1
    ;;
esac
