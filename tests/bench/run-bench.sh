#!/usr/bin/env bash
# ismo-bench from a clean clone: install missing Debian packages, build a
# Release tree in build-bench/, run the benchmark (docs/performance.md).
# Arguments go to ismo-bench, e.g. --quick, --only scale, --json FILE.
# The figures are appended to bench-results.jsonl in the current directory
# unless --json says otherwise. A full run takes under 10 minutes on 2 cores.
set -euo pipefail
here="$(pwd)"
root="$(cd "$(dirname "$0")/../.." && pwd)"
jobs=$(nproc 2>/dev/null || echo 2)

"$root/tests/install-deps.sh"
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DISMO_TESTS=ON >/dev/null
cmake --build "$root/build-bench" -j"$jobs" --target ismo_bench ismo_cli ismo_agent
cd "$here"
exec "$root/build-bench/tests/bench/ismo-bench" "$@"
