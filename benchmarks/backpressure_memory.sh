#!/usr/bin/env bash
# Ingress memory while Kafka is down (issue 5, back-pressure): is RSS bounded by the in-flight
# limits, whatever the number of clients?
#
# Starts `switchboard kafka` (the embedded cluster) and `switchboard connectors` against it,
# warms up with one accepted chat message, then freezes the broker with SIGSTOP (a hung broker:
# its connections stay open and nothing is acknowledged, the worst case for buffering) and
# drives an ingress endpoint with wrk from CONNECTIONS connections for DURATION, each request
# a new message of about BODY_BYTES. RSS of the connectors process is sampled from
# /proc/PID/status every half second. Runs twice: with the default limits, then with the limits off
# (--max-inflight-requests 0 --max-inflight-bytes 0 --http-max-connections 0, and librdkafka's
# default 1 GiB queue: the behaviour before the limits), and prints RSS at rest, peak and plateau,
# the answers by status, and the back-pressure counters from /metrics.
#
#   bash benchmarks/backpressure_memory.sh
#   CONNECTIONS=4000 DURATION=60s bash benchmarks/backpressure_memory.sh
#
# Environment: CONNECTIONS (default 2048), THREADS (wrk, 2), DURATION (40s), CHANNEL (email:
# raw MIME on /v1/email/raw; or chat), BODY_BYTES (65536; chat takes at most 8192), SB_PORT
# (18090), SWITCHBOARD_BIN
# (default build/app/switchboard), LIMIT_ARGS (flags of the limited run, default none: the
# defaults), MODES ("limited unlimited"). Needs wrk and curl. Everything started here is
# stopped on exit (the broker is resumed first).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONNECTIONS="${CONNECTIONS:-2048}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-40s}"
BODY_BYTES="${BODY_BYTES:-65536}"
SB_PORT="${SB_PORT:-18090}"
CHANNEL="${CHANNEL:-email}"
MODES="${MODES:-limited unlimited}"
switchboard="${SWITCHBOARD_BIN:-$repo/build/app/switchboard}"
[ -x "$switchboard" ] || { echo "backpressure_memory: no $switchboard (set SWITCHBOARD_BIN)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "backpressure_memory: wrk is needed" >&2; exit 1; }
ulimit -n "$((CONNECTIONS + 1024))" 2>/dev/null || true

work="$(mktemp -d /tmp/switchboard-backpressure.XXXXXX)"
pids=()
kafka_pid=""
cleanup() {
  local pid
  [ -n "$kafka_pid" ] && kill -CONT "$kafka_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { printf 'backpressure_memory: %s\n' "$*" >&2; exit 1; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
metric() {
  curl -s --max-time 2 "http://127.0.0.1:$SB_PORT/metrics" | awk -v want="$1" '$1 == want {print $2; f = 1}
    END {if (!f) print 0}'
}

# One Lua state per wrk thread; ids never repeat, so every request is a new event.
# chat: a chat message whose text is BODY_BYTES long (at most 8192 characters);
# email: a raw RFC 5322 message (POST /v1/email/raw) with a BODY_BYTES plain-text body.
line="$(head -c 76 /dev/zero | tr '\0' 'x')"
if [ "$CHANNEL" = chat ]; then
  path=/v1/chat/messages
  cat >"$work/chat.lua" <<LUA
local thread_count = 0
function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end
local counter = 0
local headers = {["Content-Type"] = "application/json"}
local text = string.rep("x", $BODY_BYTES)
function request()
  counter = counter + 1
  local id = string.format("bp-%d-%d", thread_id, counter)
  local body = '{"visitor_id":"v-' .. (counter % 1000) .. '","message_id":"' .. id
      .. '","text":"' .. text .. '"}'
  return wrk.format("POST", "$path", headers, body)
end
LUA
else
  path=/v1/email/raw
  cat >"$work/chat.lua" <<LUA
local thread_count = 0
function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end
local counter = 0
local headers = {["Content-Type"] = "message/rfc822", ["Authorization"] = "Bearer bench-token"}
local text = string.rep("$line\r\n", math.floor($BODY_BYTES / 78) + 1)
function request()
  counter = counter + 1
  local id = string.format("bp-%d-%d", thread_id, counter)
  local body = "From: Customer " .. (counter % 1000) .. " <c" .. (counter % 1000)
      .. "@example.com>\r\nTo: support@example.com\r\nSubject: order " .. id
      .. "\r\nMessage-ID: <" .. id .. "@example.com>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000"
      .. "\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" .. text
  return wrk.format("POST", "$path", headers, body)
end
LUA
fi

run() {
  local mode="$1" args=()
  if [ "$mode" = unlimited ]; then
    # ...and librdkafka's own 1 GiB queue, as before these limits existed.
    args=(--max-inflight-requests 0 --max-inflight-bytes 0 --http-max-connections 0
      --kafka-property queue.buffering.max.kbytes=1048576)
  else
    # shellcheck disable=SC2206
    args=(${LIMIT_ARGS:-})
  fi
  rm -f "$work/bootstrap"
  "$switchboard" kafka --bootstrap-file "$work/bootstrap" >"$work/kafka-$mode.log" 2>&1 &
  kafka_pid=$!
  pids+=("$kafka_pid")
  for ((i = 0; i < 100; i++)); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
  [ -s "$work/bootstrap" ] || die "embedded Kafka did not start: $(cat "$work/kafka-$mode.log")"
  SWITCHBOARD_LOG=warn SWITCHBOARD_EMAIL_INBOUND_TOKEN=bench-token "$switchboard" connectors --brokers "$(cat "$work/bootstrap")" \
    --http-address 127.0.0.1 --http-port "$SB_PORT" "${args[@]}" >"$work/connectors-$mode.log" 2>&1 &
  local sb_pid=$!
  pids+=("$sb_pid")
  for ((i = 0; i < 300; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SB_PORT/readyz" || true)" = 200 ] && break
    sleep 0.1
  done
  local first
  first="$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$SB_PORT/v1/chat/messages" \
    -H 'Content-Type: application/json' -d '{"visitor_id":"v-0","message_id":"warm-up","text":"hi"}')"
  [ "$first" = 202 ] || die "$mode: the warm-up message was answered $first: $(cat "$work/connectors-$mode.log")"
  local rest
  rest="$(rss_kib "$sb_pid")"

  kill -STOP "$kafka_pid" # the broker hangs from here on
  : >"$work/rss-$mode"
  : >"$work/inflight-$mode"
  # RSS without forking (bash builtins only), so that a saturated machine still samples it.
  (
    exec 9<> <(:) # a descriptor nothing is written to: `read -t` on it is a fork-free sleep
    while [ -r "/proc/$sb_pid/status" ]; do
      while read -r key value _; do
        [ "$key" = VmRSS: ] && printf '%s\n' "$value" >>"$work/rss-$mode"
      done <"/proc/$sb_pid/status"
      read -r -t 0.5 -u 9 || true
    done
  ) &
  local sampler=$!
  # The in-flight gauge, best effort: unreadable while every connection is taken.
  (
    while kill -0 "$sb_pid" 2>/dev/null; do
      curl -s --max-time 0.5 "http://127.0.0.1:$SB_PORT/metrics" |
        awk '$1 == "switchboard_ingress_inflight_requests" {print $2}' >>"$work/inflight-$mode"
      sleep 0.5
    done
  ) &
  local gauge_sampler=$!
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 30s -s "$work/chat.lua" \
    "http://127.0.0.1:$SB_PORT$path" >"$work/wrk-$mode" 2>&1 || true
  local hwm backpressure unavailable accepted
  hwm="$(hwm_kib "$sb_pid")"
  backpressure="$(metric "switchboard_ingress_backpressure_total{channel=\"$CHANNEL\",limit=\"requests\"}") requests, $(metric "switchboard_ingress_backpressure_total{channel=\"$CHANNEL\",limit=\"bytes\"}") bytes"
  unavailable="$(metric "switchboard_ingress_requests_total{channel=\"$CHANNEL\",outcome=\"unavailable\"}")"
  accepted="$(metric "switchboard_ingress_requests_total{channel=\"$CHANNEL\",outcome=\"accepted\"}")"
  kill "$sampler" "$gauge_sampler" 2>/dev/null || true
  wait "$sampler" "$gauge_sampler" 2>/dev/null || true

  local samples peak plateau max_inflight
  samples="$(wc -l <"$work/rss-$mode")"
  peak="$(awk '{if ($1 > m) m = $1} END {print m + 0}' "$work/rss-$mode")"
  # Plateau: the median of the last third of the samples.
  plateau="$(awk '{print $1}' "$work/rss-$mode" | tail -n "$((samples / 3 + 1))" | sort -n |
    awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)] + 0}')"
  max_inflight="$(awk '{if ($1 > m) m = $1} END {print NR ? m + 0 : "unreadable (no free connection)"}' \
    "$work/inflight-$mode")"
  printf '\n== %s (%s)\n' "$mode" "${args[*]:-defaults: --max-inflight-requests 1024 --max-inflight-bytes 33554432 --http-max-connections 2048}"
  printf 'wrk -t%s -c%s -d%s, %s body %s bytes, broker stopped (SIGSTOP)\n' \
    "$THREADS" "$CONNECTIONS" "$DURATION" "$CHANNEL" "$BODY_BYTES"
  grep -E 'requests in|Requests/sec|Non-2xx|Socket errors' "$work/wrk-$mode" | sed 's/^ */  wrk: /'
  printf '  RSS at rest %s MiB; under load: peak %s MiB, plateau %s MiB (VmHWM %s MiB), %s samples\n' \
    "$(mib "$rest")" "$(mib "$peak")" "$(mib "$plateau")" "$(mib "$hwm")" "$samples"
  printf '  in flight (gauge) at most %s; answered 503 unavailable %s (of which back-pressure: %s); accepted %s\n' \
    "$max_inflight" "$unavailable" "$backpressure" "$accepted"

  kill -CONT "$kafka_pid"
  kill "$sb_pid" 2>/dev/null || true
  wait "$sb_pid" 2>/dev/null || true
  kill "$kafka_pid" 2>/dev/null || true
  wait "$kafka_pid" 2>/dev/null || true
  kafka_pid=""
}

printf 'load average: %s, %s CPUs, switchboard %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" "$(nproc)" "$switchboard"
for mode in $MODES; do run "$mode"; done
