#!/usr/bin/env bash
# The whole test suite, set-up included: what the README tells you to run and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

bash tests/setup.sh
cargo fmt --all -- --check
.venv/bin/cfn-lint docs/aws/foundation.yaml
cargo clippy --all-targets --quiet -- -D warnings
# Unit tests, integration tests on the simulator, snapshot tests, AWS wire tests against moto's
# server (each test starts its own), and the end-to-end tests of the real binary in tmux.
cargo test --all-targets --no-fail-fast
# The performance measurements in a quick mode (figures printed, no time asserted), so the benches
# and the PTY harness can't rot; the full runs are in docs/PERFORMANCE.md.
ONAIR_PERF_PROFILE=dev bash tests/perf/quick.sh
