#!/usr/bin/env bash
# The README's test command, and what .ci/run calls: installs what is missing (including
# Debian's chromium and chromium-driver) and runs every check and test, stopping at the first
# failure: formatting, clippy (native and wasm32, warnings denied), native tests, the sandbox's
# tests again on a throwaway PostgreSQL, schemathesis
# against the running sandbox's OpenAPI document, browser tests
# of the app (wasm-bindgen-test in headless Chromium), a release trunk build, and the end-to-end
# tests of the sandbox and the built app in real Chromium.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export NEED_BROWSER=1
# shellcheck source=scripts/setup.sh
source scripts/setup.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

say "cargo fmt --check"
cargo fmt --all -- --check
say "clippy (native)"
cargo clippy -q --workspace --all-targets -- -D warnings
say "clippy (wasm32 app)"
cargo clippy -q -p payout-flows --target wasm32-unknown-unknown --all-targets -- -D warnings
say "native tests (model, sandbox, router)"
cargo test -q --workspace --exclude payout-e2e
say "the sandbox's tests again, on PostgreSQL (a throwaway server)"
(
  # shellcheck source=scripts/postgres.sh
  source scripts/postgres.sh
  cargo test -q -p payout-sandbox
)
say "the sandbox against its OpenAPI document (schemathesis)"
bash scripts/schemathesis.sh
say "browser tests of the app (wasm-bindgen-test, headless Chromium)"
cargo test -p payout-flows --target wasm32-unknown-unknown
say "release build of the app (trunk)"
release_app
say "end-to-end tests (sandbox + built app in Chromium)"
(
  # Two sandbox processes on one PostgreSQL deliver each webhook once (issue 10).
  # shellcheck source=scripts/postgres.sh
  source scripts/postgres.sh
  # The webhook tests spawn the sandbox binary itself: build it from this tree first.
  cargo build -q -p payout-sandbox
  PAYOUT_E2E_DIST="$root/dist" cargo test -q -p payout-e2e -- --test-threads=2
)
say "all tests passed"
