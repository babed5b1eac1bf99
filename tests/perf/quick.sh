#!/usr/bin/env bash
# Every measurement of docs/PERFORMANCE.md in a quick mode, so none of them can rot: builds the
# release binary and the benches, runs each briefly and prints its figures. Asserts nothing about
# time (the machine is shared); a bench that breaks fails the script.
# The full runs are `cargo bench` and `python3 tests/perf/pty_harness.py` (docs/PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
started=$(date +%s)
echo "== perf quick mode: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# One release build for all of it: benches build the onair binary too.
cargo bench --quiet --no-run
cargo bench --quiet --bench render -- --quick
cargo bench --quiet --bench aws_calls
cargo bench --quiet --bench bulk_start -- --quick
cargo bench --quiet --bench memory -- --quick
python3 tests/perf/pty_harness.py --bin "$target/release/onair" \
    --first-frame-runs 3 --idle-seconds 5 --presses 20

echo "== perf quick mode done in $(( $(date +%s) - started )) s"
