#!/usr/bin/env bash
# Ingress throughput under load, next to nginx for scale (issue 3).
#
# On this machine, in one run: wrk drives nginx answering `return 200 '{}'`, then the chat
# endpoint of `switchboard connectors` on the embedded Kafka cluster, with the same threads,
# connections, duration and Lua script (a POST of a chat message whose message_id is unique per
# request, so every request is a new event). Prints both requests/s, the ratio (target: at
# least 0.4), the status codes, and checks that every 2xx is backed by a delivery report: the
# accepted counter on /metrics (counted after the delivery report) must equal the records on
# the inbound topic, and lie between wrk's 2xx count and that count plus the connections
# (requests still in flight when wrk stops are answered, and stored, but not counted by wrk).
#
#   bash benchmarks/ingress_vs_nginx.sh            # 2 threads, 64 connections, 15 s each
#   DURATION=30s CONNECTIONS=128 bash benchmarks/ingress_vs_nginx.sh
#
# Environment: THREADS, CONNECTIONS, DURATION (wrk), HTTP_THREADS (switchboard's
# --http-threads, default 2), NGINX_WORKERS (default: HTTP_THREADS), SB_PORT, NGINX_PORT, BUILD_DIR (default
# build-release), RELEASE_CXX_FLAGS (extra compiler flags, default none), SWITCHBOARD_BIN (a Release
# binary already built: skips the build), SB_ARGS (more flags for `switchboard connectors`,
# e.g. "--kafka-property linger.ms=0"). Exit status 0 when the delivery check passes (the
# ratio is reported, not enforced: it depends on the machine). Everything started here is
# stopped on exit.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-15s}"
HTTP_THREADS="${HTTP_THREADS:-2}"
NGINX_WORKERS="${NGINX_WORKERS:-$HTTP_THREADS}"
SB_PORT="${SB_PORT:-18080}"
NGINX_PORT="${NGINX_PORT:-18081}"
BUILD_DIR="${BUILD_DIR:-$repo/build-release}"

work="$(mktemp -d /tmp/switchboard-ingress-bench.XXXXXX)"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*"; }
die() { printf 'ingress_vs_nginx: %s\n' "$*" >&2; exit 1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Waits up to $2 seconds for `curl` to get status $3 from URL $1.
wait_for_status() {
  local url="$1" seconds="$2" want="$3" i
  for ((i = 0; i < seconds * 10; i++)); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" = "$want" ] && return 0
    sleep 0.1
  done
  return 1
}

# --- dependencies and build -----------------------------------------------------------------
bash "$repo/scripts/install-deps.sh" --bench
if [ -n "${SWITCHBOARD_BIN:-}" ]; then
  switchboard="$SWITCHBOARD_BIN"
else
  cmake -S "$repo" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS="${RELEASE_CXX_FLAGS:-}" >/dev/null
  cmake --build "$BUILD_DIR" --target switchboard
  switchboard="$BUILD_DIR/app/switchboard"
fi
port_free "$SB_PORT" || die "port $SB_PORT is taken (set SB_PORT)"
port_free "$NGINX_PORT" || die "port $NGINX_PORT is taken (set NGINX_PORT)"

# --- the request: a chat message, new message_id every time -------------------------------
# wrk runs one Lua state per thread; setup() numbers the threads so that ids never collide.
cat >"$work/chat.lua" <<'LUA'
local thread_count = 0
function setup(thread)
  thread:set("thread_id", thread_count)
  thread_count = thread_count + 1
end
local counter = 0
local headers = {["Content-Type"] = "application/json"}
function request()
  counter = counter + 1
  local id = string.format("bench-%d-%d", thread_id, counter)
  local body = '{"visitor_id":"v-' .. (counter % 1000) .. '","message_id":"' .. id
      .. '","text":"Hello, I was charged twice for order ' .. id .. ', can you help?"}'
  return wrk.format("POST", "/v1/chat/messages", headers, body)
end
LUA

# wrk's summary: "Requests/sec:" and "Non-2xx or 3xx responses:" (absent when there are none).
run_wrk() {
  local name="$1" url="$2"
  say ""
  say "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency -s chat.lua $url ($name)"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/chat.lua" "$url" |
    tee "$work/$name.wrk"
}
rps_of() { awk '/^Requests\/sec:/ {print $2}' "$work/$1.wrk"; }
total_of() { awk '/ requests in / {print $1}' "$work/$1.wrk"; }
non2xx_of() { awk '/Non-2xx or 3xx responses:/ {print $NF}' "$work/$1.wrk" | grep . || echo 0; }
errors_of() { grep -E '^ +Socket errors:' "$work/$1.wrk" || echo "  Socket errors: none"; }
# connect + read + write + timeout errors.
error_count() { errors_of "$1" | { grep -oE '[0-9]+' || true; } | awk '{s += $1} END {print s + 0}'; }

say "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"

# --- nginx --------------------------------------------------------------------------------
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
daemon off;
worker_processes $NGINX_WORKERS;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      default_type application/json;
      return 200 '{}';
    }
  }
}
NGINX
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
wait_for_status "http://127.0.0.1:$NGINX_PORT/v1/chat/messages" 10 200 || die "nginx did not start"
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/v1/chat/messages"
kill "${pids[-1]}" && wait "${pids[-1]}" 2>/dev/null || true
unset 'pids[-1]'

# --- switchboard: embedded Kafka, then the connectors process against it -----------------
"$switchboard" kafka --bootstrap-file "$work/bootstrap" >"$work/kafka.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do [ -s "$work/bootstrap" ] && break; sleep 0.1; done
[ -s "$work/bootstrap" ] || die "embedded Kafka did not start: $(cat "$work/kafka.log")"
brokers="$(cat "$work/bootstrap")"
SWITCHBOARD_LOG=warn "$switchboard" connectors --brokers "$brokers" --http-address 127.0.0.1 \
  --http-port "$SB_PORT" --http-threads "$HTTP_THREADS" ${SB_ARGS:-} >"$work/connectors.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$SB_PORT"
wait_for_status "$base/readyz" 30 200 || die "switchboard connectors did not start: $(cat "$work/connectors.log")"
# One request first: proves the body is accepted (202) and connects the producer.
first="$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$base/v1/chat/messages" \
  -H 'Content-Type: application/json' \
  -d '{"visitor_id":"v-first","message_id":"first","text":"warm-up"}')"
[ "$first" = 202 ] || die "a chat message was answered $first, not 202"
run_wrk switchboard "$base/v1/chat/messages"

# --- figures ------------------------------------------------------------------------------
nginx_rps="$(rps_of nginx)"
sb_rps="$(rps_of switchboard)"
say ""
say "== results ($THREADS wrk threads, $CONNECTIONS connections, $DURATION each; nginx $NGINX_WORKERS workers, switchboard $HTTP_THREADS HTTP threads${SB_ARGS:+, $SB_ARGS})"
say "nginx        requests/s: $nginx_rps  (responses: $(total_of nginx), non-2xx/3xx: $(non2xx_of nginx))"
say "switchboard  requests/s: $sb_rps  (responses: $(total_of switchboard), non-2xx/3xx: $(non2xx_of switchboard))"
say "nginx       $(errors_of nginx | sed 's/^ *//')"
say "switchboard $(errors_of switchboard | sed 's/^ *//')"
ratio="$(awk -v a="$sb_rps" -v b="$nginx_rps" 'BEGIN {printf "%.3f", a / b}')"
verdict="$(awk -v r="$ratio" 'BEGIN {print (r >= 0.4 ? "meets" : "BELOW")}')"
say "ratio switchboard/nginx: $ratio ($verdict the target of 0.4)"

# --- every 2xx backed by a delivery report -------------------------------------------------
# Let the last answers go out, then read the counters until they stop moving.
metric() {
  curl -s "$base/metrics" | awk -v want="$1" '$1 == want {printf "%d\n", $2; found = 1}
    END {if (!found) print 0}'
}
accepted_name='switchboard_ingress_requests_total{channel="chat",outcome="accepted"}'
accepted=-1
for ((i = 0; i < 50; i++)); do
  now="$(metric "$accepted_name")"
  [ "$now" = "$accepted" ] && break
  accepted="$now"
  sleep 0.2
done
say ""
say "switchboard ingress outcomes (/metrics):"
curl -s "$base/metrics" | grep -E '^switchboard_ingress_requests_total\{channel="chat"' | sed 's/^/  /'
# Records written: the sum of the partitions' end offsets (no transactions, so one offset per
# record). The embedded cluster keeps only ~5 MiB per partition, so a long run can drop the
# oldest records: reading them all back (kcat -C, one line per record: partition and offset,
# as the values are binary protobuf) is printed next to it, not compared.
topic=switchboard.inbound.v1
partitions="$(kcat -b "$brokers" -L -t "$topic" | grep -c '^ *partition ')"
query=()
for ((p = 0; p < partitions; p++)); do query+=(-t "$topic:$p:-1"); done
records="$(timeout 60 kcat -b "$brokers" -Q "${query[@]}" | awk '{s += $NF} END {print s + 0}')"
retained="$(timeout 120 kcat -b "$brokers" -C -t "$topic" -o beginning -e -q -f '%p %o\n' | wc -l)"
wrk_2xx=$(($(total_of switchboard) - $(non2xx_of switchboard)))
answered_2xx=$((wrk_2xx + 1)) # + the first request
# Requests wrk gave up on (timeouts, socket errors) may still have been stored and answered.
slack=$((CONNECTIONS + $(error_count switchboard)))
say "2xx seen by wrk (+1 first request): $answered_2xx"
say "accepted on /metrics (after delivery report): $accepted"
say "records written to $topic (end offsets of its $partitions partitions): $records"
say "records read back with kcat -C (the embedded cluster keeps ~5 MiB per partition): $retained"
ok=1
if [ "$accepted" -ne "$records" ]; then
  say "MISMATCH: accepted counter $accepted != records $records"
  ok=0
fi
if [ "$answered_2xx" -gt "$accepted" ] || [ "$accepted" -gt $((answered_2xx + slack)) ]; then
  say "MISMATCH: accepted $accepted is not within [2xx, 2xx + connections + socket errors] = [$answered_2xx, $((answered_2xx + slack))]"
  ok=0
fi
if [ "$ok" = 1 ]; then
  say "delivery check: OK, every 2xx backed by a record ($((accepted - answered_2xx)) more were stored and answered after wrk stopped counting)"
else
  say "delivery check: FAILED"
  exit 1
fi
