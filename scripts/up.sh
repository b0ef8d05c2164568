#!/usr/bin/env bash
# README command 1: install what is missing, build, and start Switchboard with embedded
# Kafka on http://localhost:8080. Extra arguments go to `switchboard up` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh --target switchboard
exec ./build/app/switchboard up --bootstrap-file .switchboard/bootstrap "$@"
