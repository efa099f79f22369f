#!/usr/bin/env bash
# The README's run command: installs what is missing, builds the app (trunk, release) and the
# sandbox, starts the sandbox on 127.0.0.1 with a SQLite file, creates a demo user and flow,
# and prints the credentials, a flow link, the demo host page and a curl line. Ctrl-C stops it.
#
#   PORT=8080                        where the sandbox listens (127.0.0.1)
#   PAYOUT_SANDBOX_CLIENT_ID/_API_KEY fixed app credentials, PAYOUT_SANDBOX_ORG_ID/_ORG_KEY fixed
#                                    organization credentials; otherwise generated once and kept
#                                    in .data/credentials.env (git-ignored, mode 600)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mkdir -p .data
chmod 700 .data
# One run at a time: a second would install tools beside the first's, rebuild dist/ under its
# feet, truncate its log and (on another PORT) open the same SQLite file from a second process,
# whose writes the first's cache of flows would never see. The lock goes with this shell and
# the sandbox it starts (which holds it on if this shell is killed without its trap).
exec 9> .data/run.lock
if ! flock -n 9; then
  held=$(cat .data/sandbox.pid 2>/dev/null || true)
  # Named only while it is a sandbox that runs (the file outlives a run killed outright).
  if [ -z "$held" ] || [ "$(cat "/proc/$held/comm" 2>/dev/null)" != payout-sandbox ]; then
    held=
  fi
  echo "another run holds .data/run.lock: stop it first (Ctrl-C in its terminal${held:+; a sandbox left running is pid $held})" >&2
  exit 1
fi
rm -f .data/sandbox.pid
# shellcheck source=scripts/setup.sh
source scripts/setup.sh

port="${PORT:-8080}"
base="http://127.0.0.1:$port"
# And before minutes of building: the port must be free. (As the sandbox binds: address reuse
# on, so the last run's connections still closing do not count.)
if ! python3 -c 'import socket,sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
  echo "port $port is taken: stop what listens there, or pick another with PORT=…" >&2
  exit 1
fi

rand() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
if [ -z "${PAYOUT_SANDBOX_CLIENT_ID:-}" ] || [ -z "${PAYOUT_SANDBOX_API_KEY:-}" ]; then
  if [ ! -f .data/credentials.env ]; then
    (umask 077
     printf 'PAYOUT_SANDBOX_CLIENT_ID=pk_sandbox_%s\nPAYOUT_SANDBOX_API_KEY=sk_sandbox_%s\n' \
       "$(rand)" "$(rand)" > .data/credentials.env)
  fi
  set -a
  # shellcheck disable=SC1091
  source .data/credentials.env
  set +a
fi
# The organization's credentials (issue 10), kept beside the app's: a credentials file from
# before gets them appended once.
if [ -z "${PAYOUT_SANDBOX_ORG_ID:-}" ] || [ -z "${PAYOUT_SANDBOX_ORG_KEY:-}" ]; then
  touch .data/credentials.env && chmod 600 .data/credentials.env
  if ! grep -q '^PAYOUT_SANDBOX_ORG_KEY=' .data/credentials.env; then
    printf 'PAYOUT_SANDBOX_ORG_ID=org_sandbox_%s\nPAYOUT_SANDBOX_ORG_KEY=ok_sandbox_%s\n' \
      "$(rand)" "$(rand)" >> .data/credentials.env
  fi
  eval "$(grep -E '^PAYOUT_SANDBOX_ORG_(ID|KEY)=' .data/credentials.env | sed 's/^/export /')"
fi

say "building the app (trunk, release)"
# --quiet, not >/dev/null: trunk writes its errors to stdout too.
# Without RUST_LOG, which trunk reads as --log, and refuses beside --quiet.
(unset RUST_LOG; release_app --quiet)
say "building the sandbox"
cargo build -q -p payout-sandbox

# The last run's output goes first: its `listening:` line must not pass for this one's.
rm -f .data/sandbox.out
"${CARGO_TARGET_DIR:-$root/target}/debug/payout-sandbox" --listen "127.0.0.1:$port" --assets dist \
  --database "sqlite://$root/.data/sandbox.sqlite" --secrets-key-file "$root/.data/secrets.key" \
  > .data/sandbox.out 2> .data/sandbox.log &
server=$!
echo "$server" > .data/sandbox.pid
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -f .data/sandbox.pid' EXIT INT TERM

# Ready when this sandbox says it listens (not when anything answers on the port: another
# server already there would pass for it while this one failed to bind).
for _ in $(seq 1 300); do
  grep -q '^listening:' .data/sandbox.out 2>/dev/null && break
  kill -0 $server 2>/dev/null || {
    cat .data/sandbox.log >&2
    echo "the sandbox did not start (is port $port taken? PORT=… picks another)" >&2
    exit 1
  }
  sleep 0.1
done
grep -q '^listening:' .data/sandbox.out || { echo "the sandbox did not start in 30 s" >&2; exit 1; }

auth="$PAYOUT_SANDBOX_CLIENT_ID:$PAYOUT_SANDBOX_API_KEY"
org_auth="$PAYOUT_SANDBOX_ORG_ID:$PAYOUT_SANDBOX_ORG_KEY"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
user_id=$(curl -fsS -u "$auth" -H 'Content-Type: application/json' "$base/api/v2/users" -d '{
  "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
  "country_code": "1", "phone_number": "4155550123"}' | json id)
# Give the demo user $25.00 to pay out (topping up the app's sandbox wallet first, so every
# run can), then a flow that manages payout methods, pays out, and returns here.
curl -fsS -u "$auth" -H 'Content-Type: application/json' "$base/api/v2/sandbox/refills" \
  -d '{"amount": 2500}' >/dev/null
curl -fsS -u "$auth" -H 'Content-Type: application/json' "$base/api/v2/transfers" \
  -d "{\"amount\": -2500, \"user_id\": \"$user_id\"}" >/dev/null
link=$(curl -fsS -u "$auth" -H 'Content-Type: application/json' "$base/api/v2/flows" -d "{
  \"steps\": [\"manage-payouts\", \"payout\", {\"name\": \"redirect\", \"redirect_url\": \"$base/\"}],
  \"user_id\": \"$user_id\"}" | json link)
# And a flow for someone new: sign in by phone, then the identity steps.
# The demo host gets a flow of its own: a link that names its user signs in only the first
# browser (or frame) to open it (issue 8).
demo_link=$(curl -fsS -u "$auth" -H 'Content-Type: application/json' "$base/api/v2/flows" -d "{
  \"steps\": [\"manage-payouts\", \"payout\"], \"user_id\": \"$user_id\"}" | json link)
onboarding=$(curl -fsS -u "$auth" -H 'Content-Type: application/json' "$base/api/v2/flows" -d '{
  "steps": ["compliance", "id-verification", "background-check", "manage-payouts"]}' | json link)

cat <<TXT

payout-flows sandbox is running at $base   (logs: .data/sandbox.log; Ctrl-C stops it)

  client_id:  $PAYOUT_SANDBOX_CLIENT_ID
  api_key:    $PAYOUT_SANDBOX_API_KEY
  org_id:     $PAYOUT_SANDBOX_ORG_ID      (the organization: creates and manages apps)
  org_key:    $PAYOUT_SANDBOX_ORG_KEY

  flow link:  $link
              (the demo user, with \$25.00 to pay out: add a payout method, pay out, come back
              here. The first browser to open it within 15 minutes is signed in; any other,
              or later, signs in with the demo user's phone: 1 / 415 555 0123, code 000000)
  onboarding: $onboarding
              (a new person: any phone number, e.g. 1 / 415 433 2334, code 000000; then tax
              data, ID pictures by file or camera, a background check; test values in README)
  demo host:  http://localhost:$port/demo?link=$demo_link
              (embeds the flow from another origin and lists the window messages it receives)
  API reference: $base/api/v2/docs   (OpenAPI 3.1: $base/api/v2/openapi.json)

  create another flow:
    curl -u '$auth' -H 'Content-Type: application/json' \\
      $base/api/v2/flows -d '{"steps": ["manage-payments", {"name": "redirect", "redirect_url": "https://example.com"}], "user_id": "$user_id"}'

  create another app (its api_key is shown in this answer only), and list the apps:
    curl -u '$org_auth' -H 'Content-Type: application/json' \\
      $base/api/v2/apps -d '{"name": "My New App"}'
    curl -u '$org_auth' $base/api/v2/apps

  pay the demo user out from the API (once they have a payout method), and read their wallet:
    curl -u '$auth' -H 'Content-Type: application/json' \\
      $base/api/v2/payouts -d '{"user_id": "$user_id", "amount": 500, "platform": "default", "fund": true, "idempotency_key": "demo-$user_id"}'
    curl -u '$auth' $base/api/v2/users/$user_id/wallet

TXT
wait $server
