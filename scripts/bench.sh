#!/usr/bin/env bash
# The benchmark (README "Benchmark"; issue 10 "Throughput", issue 12 "Load speed"), not a test.
# Two parts, both by default:
#
# - throughput: builds the release sandbox and its load generator (crates/bench), then for
#   SQLite (a fresh file) and PostgreSQL (a throwaway server, scripts/postgres.sh) starts the
#   sandbox and runs payout-bench against it, which prints GET flow and /healthz requests/s,
#   payouts/s for 1 app and for $APPS apps (p50 and p99 latency) and a quiet app's beside a
#   busy one, and checks the ledger exact through the API after each payout run.
# - load: builds the app and the minimal Leptos app (crates/minimal-app) with trunk (release),
#   serves each from its own release sandbox and runs payout-loadbench (crates/e2e), which
#   prints their wasm/JS/CSS sizes (raw, gzip, brotli) and the time from navigation to the first
#   screen usable in headless Chromium, cold cache, median of $LOAD_RUNS runs, on loopback and
#   under slow 4G, with the ratio app / minimal.
#
# The figures depend on the machine and on what else runs on it; the load generator and the
# browser share the box.
#
#   BENCH_PARTS="throughput load"       which parts, in order
#   BENCH_DATABASES="sqlite postgres"   which databases, in order (throughput)
#   BENCH_SECONDS=5                     seconds per measurement (throughput)
#   BENCH_CONCURRENCY=64                requests in flight at once (throughput)
#   APPS=8                              apps of the many-apps payout run (throughput)
#   LOAD_RUNS=7                         cold loads per page and network profile (load)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
# Each sandbox prints the credentials it generates, which the runs read; credentials in the
# environment (.data/credentials.env sourced, say) would make it print none.
unset PAYOUT_SANDBOX_CLIENT_ID PAYOUT_SANDBOX_API_KEY PAYOUT_SANDBOX_ORG_ID PAYOUT_SANDBOX_ORG_KEY
# What both parts need on a fresh machine: Debian's PostgreSQL (throughput), Chromium and the
# app's tools (load).
export NEED_BROWSER=1
# shellcheck source=scripts/setup.sh
source scripts/setup.sh >&2

echo "building the release sandbox and load generator" >&2
cargo build -q --release -p payout-sandbox -p payout-bench
work=$(mktemp -d /tmp/payout-bench.XXXXXX)
servers=()
trap 'kill "${servers[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/assets"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_sandbox LABEL DATABASE_URL ASSETS: starts the release sandbox and waits until it
# listens; sets $port and $server (its stdout is $work/LABEL.out).
start_sandbox() {
  local label=$1 url=$2 assets=$3
  port=$(free_port)
  "$target/release/payout-sandbox" --listen "127.0.0.1:$port" --database "$url" \
    --assets "$assets" --secrets-key-file "$work/secrets.key" \
    > "$work/$label.out" 2> "$work/$label.log" &
  server=$!
  servers+=("$server")
  for _ in $(seq 300); do
    grep -q '^listening:' "$work/$label.out" 2>/dev/null && return 0
    kill -0 "$server" 2>/dev/null || { cat "$work/$label.log" >&2; return 1; }
    sleep 0.1
  done
  echo "bench.sh: the sandbox ($label) did not start" >&2
  return 1
}

# bench LABEL DATABASE_URL: starts the sandbox on DATABASE_URL, runs the load generator, stops it.
bench() {
  local label=$1 url=$2 port server
  start_sandbox "$label" "$url" "$work/assets"
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

throughput() {
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
}

# load_speed: the app and the minimal Leptos app, each built by trunk (release, wasm-opt -Oz)
# and served by its own sandbox at /flow/{id} (the same page headers, compression and caching),
# loaded cold by payout-loadbench.
load_speed() {
  (
    trap 'kill "${servers[@]}" 2>/dev/null || true' EXIT
    echo "building the app and the minimal Leptos app (trunk, release)" >&2
    release_app --dist "$work/app" >&2
    # The minimal app at its smallest, built the same way: without the app's `erase_components`
    # (.cargo/config.toml), which makes a one-component app larger.
    (cd crates/minimal-app && APP_CFG= release_app --public-url /app/ --dist "$work/minimal" >&2)
    cargo build -q -p payout-e2e --bin payout-loadbench
    local port server client_id api_key link minimal
    start_sandbox load-minimal "sqlite://$work/load-minimal.sqlite" "$work/minimal"
    # Any flow id: the page is the same for every one, and this app fetches /healthz only.
    minimal="http://127.0.0.1:$port/flow/00000000-0000-4000-8000-000000000000"
    start_sandbox load-app "sqlite://$work/load-app.sqlite" "$work/app"
    client_id=$(sed -n 's/^client_id: //p' "$work/load-app.out")
    api_key=$(sed -n 's/^api_key: //p' "$work/load-app.out")
    # A flow for nobody yet: its first screen is sign-in, "Send code" its button.
    link=$(curl -fsS -u "$client_id:$api_key" -H 'content-type: application/json' \
      -d '{"steps": ["payout"]}' "http://127.0.0.1:$port/api/v2/flows" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["link"])')
    "$target/debug/payout-loadbench" --app "$link" --minimal "$minimal" \
      --app-dist "$work/app" --minimal-dist "$work/minimal" --runs "${LOAD_RUNS:-7}"
  )
}

echo "load: $(uptime | sed 's/.*load average/load average/'), $(nproc) cores" >&2
for part in ${BENCH_PARTS:-throughput load}; do
  case "$part" in
    throughput) throughput ;;
    load) load_speed ;;
    *) echo "bench.sh: unknown part $part (throughput or load)" >&2; exit 2 ;;
  esac
done
echo "load: $(uptime | sed 's/.*load average/load average/')" >&2
