#!/usr/bin/env bash
# Installs whatever this machine is missing to build, run and test payout-flows, at pinned
# versions, and prints nothing but progress. Idempotent: a second run only checks versions.
# Sourced by scripts/run.sh and scripts/test.sh; safe to run on its own.
#
#   NEED_BROWSER=1  also install Debian's chromium, chromium-driver and procps, its postgresql, and
#                   schemathesis in a virtualenv of its own (the test command sets it)
#
# Pins (see ../shared/TOOLCHAIN.md for why each one):
#   trunk 0.21.14            trunk 0.22 needs a newer rustc than 1.95
#   wasm-bindgen-cli         exactly the wasm-bindgen version in Cargo.lock
#   binaryen (wasm-opt) 132  from npm; Debian's binaryen 108 builds a wasm that renders blank
#   schemathesis 4.32.5      from PyPI into its own virtualenv, with every dependency pinned
#                            (scripts/schemathesis-requirements.txt); checks the sandbox against
#                            its OpenAPI document (scripts/schemathesis.sh)
#   axe-core 4.14.1          from the npm registry (the tarball, sha512-checked; no node needed):
#                            the e2e accessibility walk injects its axe.min.js (PAYOUT_E2E_AXE)
set -euo pipefail

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
SCHEMATHESIS_VERSION=4.32.5
AXE_VERSION=4.14.1
# The registry's `dist.integrity` for axe-core-$AXE_VERSION.tgz (npm view axe-core@$AXE_VERSION).
AXE_INTEGRITY=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# From the repository, whoever sources this: rustup then reads rust-toolchain.toml's pin.
cd "$root"
tools="${PAYOUT_FLOWS_TOOLS:-$HOME/.cache/payout-flows/tools}"
mkdir -p "$tools"
export PATH="$tools/binaryen/node_modules/.bin:$HOME/.cargo/bin:$PATH"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# The pinned toolchain (rust-toolchain.toml), with what it asks for: rustup installs it by
# itself only when allowed to (not with RUSTUP_AUTO_INSTALL=0).
toolchain=$(awk -F'"' '/^channel/ {print $2; exit}' "$root/rust-toolchain.toml")
# (grep without -q: reading to the end, it never leaves rustup writing to a closed pipe.)
if ! rustup toolchain list | grep "^$toolchain-" >/dev/null; then
  say "installing the Rust $toolchain toolchain"
  rustup toolchain install "$toolchain" --profile minimal \
    -c rustfmt,clippy,rust-src -t wasm32-unknown-unknown
fi

# The wasm target.
if ! rustup target list --installed | grep -x wasm32-unknown-unknown >/dev/null; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The standard library's source, which the app's release build compiles (release_app below):
# rust-toolchain.toml asks for it, but a rustup told not to install by itself
# (RUSTUP_AUTO_INSTALL=0) would leave it out.
if ! rustup component list --installed | grep -x rust-src >/dev/null; then
  say "adding the rust-src component"
  rustup component add rust-src
fi

# trunk, pinned.
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (several minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli: must equal the wasm-bindgen in Cargo.lock, or trunk refuses (offline) and
# wasm-bindgen-test-runner fails on a schema mismatch.
wb_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' \
  "$root/Cargo.lock")
if [ -z "$wb_version" ]; then
  echo "setup: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (about two minutes, once)"
  # Not --locked: the locked tree asks for a webpki-roots the registry here does not serve.
  cargo install wasm-bindgen-cli --version "$wb_version"
fi

# wasm-opt from npm's binaryen, first on PATH (never Debian's 108).
if [ "$(wasm-opt --version 2>/dev/null | awk '{print $3}')" != "${BINARYEN_VERSION%%.*}" ]; then
  say "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
  npm install --silent --no-audit --no-fund --prefix "$tools/binaryen" "binaryen@$BINARYEN_VERSION"
fi

# From Debian, for the tests: Chromium and chromedriver (the browser tests), procps's pkill
# (with which a failed test's browser is stopped: crates/e2e, `Browser`'s drop), the
# PostgreSQL server (the sandbox's tests run on it too: scripts/postgres.sh) and Python's venv.
# One update and one install for whatever is missing.
debs=()
# Python, which the scripts use to read JSON and pick free ports (the run command too).
command -v python3 >/dev/null || debs+=(python3)
if [ "${NEED_BROWSER:-0}" = 1 ]; then
  { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; } || debs+=(chromium chromium-driver)
  command -v pkill >/dev/null || debs+=(procps)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || debs+=(postgresql)
  # schemathesis's virtualenv: Debian keeps venv's ensurepip in python3-venv.
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || debs+=(python3-venv)
fi
if [ "${#debs[@]}" -gt 0 ]; then
  say "installing Debian's ${debs[*]}"
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  # Through `env`: sudo would drop a variable set before it, and debconf could then ask.
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "${debs[@]}" >/dev/null
fi
# Debian's chromedriver, named: wasm-bindgen-test-runner would otherwise take the first
# geckodriver or safaridriver on PATH before it (and the e2e harness reads it too).
if [ "${NEED_BROWSER:-0}" = 1 ]; then
  export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
fi

# schemathesis, pinned, in a virtualenv of its own (the machine's Python stays untouched).
# Its dependencies are pinned too (scripts/schemathesis-requirements.txt, installed --no-deps); the
# virtualenv remembers the list's checksum and is made again when the list changes.
st_pins="$root/scripts/schemathesis-requirements.txt"
st_sum=$(sha256sum "$st_pins" | cut -d' ' -f1)
grep -qx "schemathesis==$SCHEMATHESIS_VERSION" "$st_pins" \
  || { echo "setup: $st_pins does not pin schemathesis $SCHEMATHESIS_VERSION" >&2; exit 1; }
if [ "${NEED_BROWSER:-0}" = 1 ] \
  && { [ "$("$tools/schemathesis/bin/st" --version 2>/dev/null | awk '{print $3}')" != "$SCHEMATHESIS_VERSION" ] \
    || [ "$(cat "$tools/schemathesis/pins.sha256" 2>/dev/null)" != "$st_sum" ]; }; then
  say "installing schemathesis $SCHEMATHESIS_VERSION and its pinned dependencies (PyPI, own virtualenv)"
  rm -rf "$tools/schemathesis"
  python3 -m venv "$tools/schemathesis"
  "$tools/schemathesis/bin/pip" install -q --disable-pip-version-check --no-deps -r "$st_pins"
  "$tools/schemathesis/bin/pip" check -q --disable-pip-version-check >/dev/null \
    || { echo "setup: schemathesis's pinned dependencies do not fit together" >&2; exit 1; }
  echo "$st_sum" > "$tools/schemathesis/pins.sha256"
fi
export SCHEMATHESIS="$tools/schemathesis/bin/st"

# axe-core, pinned, for the e2e accessibility walk (crates/e2e/tests/a11y.rs): the registry's
# tarball, checked against its sha512 integrity before anything is unpacked.
axe_dir="$tools/axe-core-$AXE_VERSION"
if [ "${NEED_BROWSER:-0}" = 1 ] && [ ! -s "$axe_dir/axe.min.js" ]; then
  say "fetching axe-core $AXE_VERSION from the npm registry"
  axe_tgz=$(mktemp)
  curl -fsSL --retry 3 -o "$axe_tgz" \
    "https://registry.npmjs.org/axe-core/-/axe-core-$AXE_VERSION.tgz"
  got="sha512-$(openssl dgst -sha512 -binary "$axe_tgz" | base64 -w0)"
  if [ "$got" != "$AXE_INTEGRITY" ]; then
    rm -f "$axe_tgz"
    echo "setup: axe-core-$AXE_VERSION.tgz: integrity $got, expected $AXE_INTEGRITY" >&2
    exit 1
  fi
  # Unpacked aside, then moved in whole: an interrupted set-up leaves no half file behind.
  axe_tmp=$(mktemp -d "$tools/.axe.XXXXXX")
  tar -xzf "$axe_tgz" -C "$axe_tmp" --strip-components=1 package/axe.min.js
  mkdir -p "$axe_dir"
  mv "$axe_tmp/axe.min.js" "$axe_dir/axe.min.js"
  rm -rf "$axe_tgz" "$axe_tmp"
fi
export PAYOUT_E2E_AXE="$axe_dir/axe.min.js"

say "tools ready: $(trunk --version), $(wasm-bindgen --version), wasm-opt $(wasm-opt --version | awk '{print $3}')"

# The app's release build, everywhere the scripts make one (issue 12, "Load speed"): trunk,
# with the standard library compiled for the app's size profile (`-Zbuild-std`), panics that
# stop at once without their messages (`-Cpanic=immediate-abort`: no formatting code, no
# panic strings) and no source locations or `Debug` output compiled in. These are unstable
# flags of the pinned 1.95.0: RUSTC_BOOTSTRAP lets this one build take them; everything else
# (tests, the sandbox) builds as usual. A separate target directory, as the build scripts and
# proc macros see RUSTC_BOOTSTRAP too. PAYOUT_APP_PLAIN=1 builds with the shipped standard
# library and panic messages instead (for debugging a panic); `--cfg erase_components` is the
# app's (.cargo/config.toml), which RUSTFLAGS would otherwise drop; APP_CFG= leaves it out.
release_app() {
  # The caller's RUSTFLAGS are kept, after these; CARGO_ENCODED_RUSTFLAGS would override them
  # all, so it goes.
  if [ "${PAYOUT_APP_PLAIN:-0}" = 1 ]; then
    RUSTFLAGS="${APP_CFG---cfg erase_components}${RUSTFLAGS:+ $RUSTFLAGS}" \
      env -u CARGO_ENCODED_RUSTFLAGS trunk build --release "$@"
    return
  fi
  # trunk runs cargo offline (Trunk.toml), and -Zbuild-std then resolves the standard
  # library's own dependencies from cargo's cache, where a fresh machine has none of them yet
  # ("no matching package named `moto-rt` found"): fetched first (a no-op once there).
  RUSTC_BOOTSTRAP=1 cargo fetch --locked --quiet \
    --manifest-path "$(rustc --print sysroot)/lib/rustlib/src/rust/library/Cargo.toml"
  RUSTC_BOOTSTRAP=1 \
    CARGO_UNSTABLE_BUILD_STD=std,panic_abort \
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}/app-size" \
    RUSTFLAGS="${APP_CFG---cfg erase_components} -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none${RUSTFLAGS:+ $RUSTFLAGS}" \
    env -u CARGO_ENCODED_RUSTFLAGS trunk build --release "$@"
}
