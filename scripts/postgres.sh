#!/usr/bin/env bash
# Sourced by scripts/test.sh: starts a throwaway PostgreSQL server (Debian's, installed by
# setup.sh) on a free loopback port with its own data directory, exports
# PAYOUT_SANDBOX_TEST_POSTGRES for the sandbox's tests (each test then makes a database of its
# own), and stops it and removes its directory when the script exits. As root, the server runs
# as the `postgres` user (initdb refuses root).
pg_bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "postgres.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2
  exit 1
fi
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_dir=$(mktemp -d /tmp/payout-pg.XXXXXX)
stop_postgres() {
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
[ "$(id -u)" = 0 ] && chown postgres: "$pg_dir"
# UTF-8 in the C locale, whatever locale the caller's environment names (one not generated on
# this machine would stop initdb; none would make the cluster SQL_ASCII).
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres --locale=C.UTF-8 -E UTF8 >/dev/null
if ! as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
  echo "postgres.sh: PostgreSQL did not start; its log:" >&2
  cat "$pg_dir/server.log" >&2 || true
  exit 1
fi
export PAYOUT_SANDBOX_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres"
