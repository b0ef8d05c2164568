#!/usr/bin/env bash
# Installs the Debian 12 packages Switchboard needs to build, run and test, if missing.
# Safe to run any number of times: it asks apt only for what is not installed yet.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  # libraries
  librdkafka-dev libboost1.81-dev libboost-json1.81-dev protobuf-compiler libprotobuf-dev
  prometheus-cpp-dev librocksdb-dev libyaml-cpp-dev libssl-dev libgmime-3.0-dev libxml2-dev
  # routing-policy calendars: date/tz over the system time zone database
  libhowardhinnant-date-dev tzdata
  # tests and benchmarks; swaks is the real SMTP client the email ingress test speaks to
  libgtest-dev libgmock-dev libbenchmark-dev swaks
  # trying it out: kcat reads the topics, curl talks to the HTTP API
  kcat curl
  # ops checks (tests/ops): prometheus and promtool scrape and test the rules; PyYAML reads
  # the rendered Kubernetes manifests
  prometheus python3-yaml
  # the chaos harness (tests/chaos): reads the topics and decodes the Protobuf records
  python3-confluent-kafka python3-protobuf
)
# kubectl renders ops/k8s (kubectl kustomize); any kubectl already on PATH will do (a newer one
# from another package would conflict with Debian's kubernetes-client).
if ! command -v kubectl >/dev/null; then
  packages+=(kubernetes-client)
fi
# `--bench` adds what benchmarks/ingress_vs_nginx.sh drives: the load generator and the
# reference server it compares against.
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
  >/tmp/switchboard-apt.log 2>&1 || { tail -30 /tmp/switchboard-apt.log >&2; exit 1; }
echo "install-deps: done"
