#!/usr/bin/env bash
# The benchmark (README "Benchmark"; issue 10 "Throughput"), not a test: builds the release
# sandbox and its load generator (crates/bench), then for SQLite (a fresh file) and PostgreSQL
# (a throwaway server, scripts/postgres.sh) starts the sandbox and runs payout-bench against it,
# which prints GET flow and /healthz requests/s, payouts/s for 1 app and for $APPS apps (p50 and
# p99 latency), and checks the ledger exact through the API after each payout run. The figures
# depend on the machine and on what else runs on it; the load generator shares the box.
#
#   BENCH_DATABASES="sqlite postgres"   which databases, in order
#   BENCH_SECONDS=5                     seconds per measurement
#   BENCH_CONCURRENCY=64                requests in flight at once
#   APPS=8                              apps of the many-apps payout run
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"

echo "building the release sandbox and load generator" >&2
cargo build -q --release -p payout-sandbox -p payout-bench
work=$(mktemp -d /tmp/payout-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/assets"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench LABEL DATABASE_URL: starts the sandbox on DATABASE_URL, runs the load generator, stops it.
bench() {
  local label=$1 url=$2 port server
  port=$(free_port)
  "$target/release/payout-sandbox" --listen "127.0.0.1:$port" --database "$url" \
    --assets "$work/assets" --secrets-key-file "$work/secrets.key" > "$work/$label.out" 2> "$work/$label.log" &
  server=$!
  for _ in $(seq 300); do
    grep -q '^listening:' "$work/$label.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/$label.log" >&2; return 1; }
    sleep 0.1
  done
  local status=0 org_id org_key
  # A fresh database: the sandbox printed the organization's generated credentials.
  org_id=$(sed -n 's/^org_id: //p' "$work/$label.out")
  org_key=$(sed -n 's/^org_key: //p' "$work/$label.out")
  "$target/release/payout-bench" --base "http://127.0.0.1:$port" \
    --org-id "$org_id" --org-key "$org_key" \
    --label "$label" --seconds "${BENCH_SECONDS:-5}" --concurrency "${BENCH_CONCURRENCY:-64}" \
    --apps "${APPS:-8}" || status=$?
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  return "$status"
}

echo "load: $(uptime | sed 's/.*load average/load average/'), $(nproc) cores" >&2
for db in ${BENCH_DATABASES:-sqlite postgres}; do
  case "$db" in
    sqlite) bench sqlite "sqlite://$work/bench.sqlite" ;;
    postgres)
      (
        # shellcheck source=scripts/postgres.sh
        source scripts/postgres.sh
        bench postgres "$PAYOUT_SANDBOX_TEST_POSTGRES"
      )
      ;;
    *) echo "bench.sh: unknown database $db (sqlite or postgres)" >&2; exit 2 ;;
  esac
done
echo "load: $(uptime | sed 's/.*load average/load average/')" >&2
