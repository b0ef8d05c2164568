#!/usr/bin/env bash
# README command 2: install what is missing, build everything, and run the whole test suite
# (unit and integration tests; integration tests start the embedded Kafka cluster and real
# HTTP servers on loopback). .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j 2 --timeout 600
echo "test.sh: finished in $(( $(date +%s) - started )) s"
