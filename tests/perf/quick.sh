#!/usr/bin/env bash
# Every measurement of docs/PERFORMANCE.md in a quick mode, so none of them can rot: builds the
# release binary and the benches, runs each briefly and prints its figures. Asserts nothing about
# time (the machine is shared); a bench that breaks fails the script.
# The full runs are `cargo bench` and `python3 tests/perf/pty_harness.py` (docs/PERFORMANCE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
# The test run passes ONAIR_PERF_PROFILE=dev: it reuses the test build instead of a cold release
# build of the AWS SDK crates (most of CI's time otherwise). Its figures only show nothing rotted;
# the figures in docs/PERFORMANCE.md come from the release profile.
profile="${ONAIR_PERF_PROFILE:-release}"
bin_dir="$target/release"
[ "$profile" = release ] || bin_dir="$target/debug"
started=$(date +%s)
echo "== perf quick mode ($profile profile): $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# One build for all of it: the bench build also builds the onair binary and copies it to $bin_dir.
# A separate `cargo build --bin onair` would rebuild the whole AWS SDK a second time, because the
# dev-dependencies' test-util features make the test build's crates differ (6 min in CI).
cargo bench --quiet --profile "$profile" --no-run
cargo bench --quiet --profile "$profile" --bench render -- --quick
cargo bench --quiet --profile "$profile" --bench aws_calls
cargo bench --quiet --profile "$profile" --bench bulk_start -- --quick
cargo bench --quiet --profile "$profile" --bench memory -- --quick
cargo bench --quiet --profile "$profile" --bench soak -- --quick
cargo bench --quiet --profile "$profile" --bench serve -- --quick
python3 tests/perf/pty_harness.py --bin "$bin_dir/onair" \
    --first-frame-runs 3 --idle-seconds 5 --presses 20

echo "== perf quick mode done in $(( $(date +%s) - started )) s"
