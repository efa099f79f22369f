#!/usr/bin/env bash
# Checks the running sandbox against its own OpenAPI document with schemathesis (issue 9): every
# operation of /api/v2/openapi.json is called with generated requests, valid and invalid, with
# and without credentials; the run fails on any 5xx, any answer whose status, content type or
# body the document does not describe, and any operation that answers without its credentials.
# Each operation gets the credentials its security scheme names: the app's, the organization's
# (the `/api/v2/apps` operations, issue 10; with `Api-App-Id` naming the default app where an app
# operation is called with them) or the flow session's.
#
# Called by scripts/test.sh after the native tests (the sandbox binary is built by then); runs
# on its own too, after `source scripts/setup.sh` with NEED_BROWSER=1.
#   SCHEMATHESIS_EXAMPLES=25   generated cases per operation and phase
#   SCHEMATHESIS_WORKERS=1     threads calling the sandbox at once. One by default: with two,
#                              hypothesis (describing a strategy) and CPython 3.11's ast.parse
#                              raced now and then ("SystemError: AST constructor recursion depth
#                              mismatch", a Runtime Error of schemathesis's own, not the
#                              sandbox's), failing the run. Concurrency has tests of its own.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
st="${SCHEMATHESIS:-$HOME/.cache/payout-flows/tools/schemathesis/bin/st}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p payout-sandbox
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export PAYOUT_SANDBOX_CLIENT_ID="pk_schemathesis" PAYOUT_SANDBOX_API_KEY="sk_schemathesis_$RANDOM$RANDOM"
export PAYOUT_SANDBOX_ORG_ID="org_schemathesis" PAYOUT_SANDBOX_ORG_KEY="ok_schemathesis_$RANDOM$RANDOM"
"$target_dir/debug/payout-sandbox" --listen "127.0.0.1:$port" --assets "$work" \
  --database "sqlite://$work/sandbox.sqlite" --secrets-key-file "$work/secrets.key" \
  > "$work/out.log" 2> "$work/sandbox.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { cat "$work/sandbox.log" >&2; exit 1; }
  sleep 0.1
done

# A user with money, and a pre-authenticated flow session of every step for the flow endpoints.
auth="$PAYOUT_SANDBOX_CLIENT_ID:$PAYOUT_SANDBOX_API_KEY"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }
post() { curl -fsS -u "$auth" -H 'Content-Type: application/json' "$base$1" -d "$2"; }
user_id=$(post /api/v2/users '{"first_name": "Ada", "last_name": "Lovelace",
  "email": "ada@example.com", "country_code": "1", "phone_number": "4155550123"}' | json id)
post /api/v2/transfers "{\"amount\": -2500, \"user_id\": \"$user_id\"}" >/dev/null
flow_id=$(post /api/v2/flows "{\"user_id\": \"$user_id\", \"steps\": [\"compliance\",
  \"id-verification\", \"background-check\", \"manage-payments\", \"manage-payouts\", \"payout\"]}" \
  | json id)
token=$(curl -fsS -H 'Content-Type: application/json' "$base/api/flow/sessions" \
  -d "{\"flow_id\": \"$flow_id\"}" | json token)
app_id=$(curl -fsS -u "$auth" "$base/api/v2/app" | json id)

cat > "$work/schemathesis.toml" <<TOML
[auth.openapi.app]
username = "$PAYOUT_SANDBOX_CLIENT_ID"
password = "$PAYOUT_SANDBOX_API_KEY"

[auth.openapi.flow_session]
bearer = "$token"

[auth.openapi.organization]
username = "$PAYOUT_SANDBOX_ORG_ID"
password = "$PAYOUT_SANDBOX_ORG_KEY"

[auth.openapi.app_id]
api_key = "$app_id"
TOML

# From the scratch directory, so schemathesis's cache goes with it.
(cd "$work" && "$st" --config-file "$work/schemathesis.toml" run "$base/api/v2/openapi.json" \
  --url "$base" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-25}" \
  --workers "${SCHEMATHESIS_WORKERS:-1}" \
  --no-color \
  --report-dir "$work/report") \
  || { echo "--- sandbox log (last 50 lines)"; tail -50 "$work/sandbox.log"; exit 1; }
