#!/usr/bin/env bash
# README command 1: install what is missing, build, and start Switchboard with embedded
# Kafka on http://localhost:8080. Extra arguments go to `switchboard up` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh --target switchboard
# The agent API does not start without a token: SWITCHBOARD_AGENT_API_TOKEN when set, else one
# made on the first run and kept in .switchboard/agent-api-token (owner-only), where demo.sh and
# the README's curl commands read it.
if [ -z "${SWITCHBOARD_AGENT_API_TOKEN:-}" ]; then
  token_file=.switchboard/agent-api-token
  mkdir -p .switchboard
  if [ ! -s "$token_file" ]; then
    (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file")
  fi
  SWITCHBOARD_AGENT_API_TOKEN="$(cat "$token_file")"
  export SWITCHBOARD_AGENT_API_TOKEN
  echo "agent API token: $token_file (send 'Authorization: Bearer <token>')"
fi
# malloc on transparent huge pages, as the container image runs it (core/malloc_huge_pages.h),
# unless the caller set GLIBC_TUNABLES themselves.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"
exec ./build/app/switchboard up --bootstrap-file .switchboard/bootstrap "$@"
