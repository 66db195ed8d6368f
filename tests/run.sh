#!/usr/bin/env bash
# The whole ismo test suite, as CI runs it:
#   1. install missing Debian packages (tests/install-deps.sh --docker);
#   2. build (RelWithDebInfo, -Werror) and run every ctest test except the
#      docker-compose one: unit, integration, restart;
#   3. build again with AddressSanitizer + UndefinedBehaviorSanitizer and run
#      the same tests;
#   4. run the docker-compose end-to-end test (starts dockerd when none runs,
#      builds the base images locally with debootstrap).
# Exits non-zero on the first failure. ISMO_SKIP_E2E=1 skips step 4 (local use).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

echo "== dependencies"
tests/install-deps.sh --docker

echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DISMO_SANITIZE=OFF
cmake --build build -j"$jobs"

echo "== tests"
(cd build && ctest --output-on-failure -j"$jobs" -LE e2e)

echo "== tests under ASan+UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DISMO_SANITIZE=ON
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" -LE e2e)

if [ "${ISMO_SKIP_E2E:-0}" = "1" ]; then
  echo "== docker-compose end-to-end test skipped (ISMO_SKIP_E2E=1)"
else
  echo "== docker-compose end-to-end test"
  (cd build && ctest --output-on-failure -L e2e)
fi
echo "== all tests passed"
