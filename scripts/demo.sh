#!/usr/bin/env bash
# Against a running `scripts/up.sh`: an agent comes online, a customer writes in the web chat,
# and the routed assignment is read back from Kafka with kcat and decoded with protoc.
# The README's "Route a message" section, as one command.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${SWITCHBOARD_URL:-http://localhost:8080}

echo "waiting for $base/readyz ..."
for _ in $(seq 1 900); do
  curl -sf "$base/readyz" >/dev/null 2>&1 && break
  sleep 1
done
curl -sf "$base/readyz" >/dev/null || { echo "demo: switchboard is not ready at $base" >&2; exit 1; }
# The agent API's token: the one scripts/up.sh was given, or the one it made.
token=${SWITCHBOARD_AGENT_API_TOKEN:-$(cat .switchboard/agent-api-token 2>/dev/null || true)}
[ -n "$token" ] || { echo "demo: no agent API token (set SWITCHBOARD_AGENT_API_TOKEN)" >&2; exit 1; }

echo "+ agent alice comes online"
curl -s -XPOST "$base/v1/agents/alice/presence" -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $token" -d '{"presence":"available","capacities":{"chat":3}}'
echo
echo "+ a customer writes in the web chat"
curl -s -XPOST "$base/v1/chat/messages" -H 'Content-Type: application/json' \
  -d '{"visitor_id":"v-42","message_id":"m-1","text":"Hi, my order never arrived"}'
echo
echo "+ the assignment on switchboard.assignments.v1"
brokers=$(cat .switchboard/bootstrap)
# Without -e kcat waits for the first record: routing takes a moment after the 202.
timeout 60 kcat -b "$brokers" -C -t switchboard.assignments.v1 -o beginning -c 1 -q -f '%s' \
  | protoc --decode=switchboard.v1.Assignment -I schemas -I /usr/include \
      switchboard/v1/assignment.proto
