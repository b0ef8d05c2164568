#!/usr/bin/env bash
# Configures and builds Switchboard with Ninja (and ccache when present) into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
build_type=${SWITCHBOARD_BUILD_TYPE:-RelWithDebInfo}
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
fi
cmake --build build "$@"
