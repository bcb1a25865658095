#!/usr/bin/env bash
# RedisStore against MemoryStore: the blocklist example's /protected under
# load, and how fast a revocation reaches another instance.
#
#   bash benches/store_load.sh            # 5 interleaved rounds of 5 s
#   ROUNDS=3 SECONDS_PER_RUN=3 TRIALS=30 bash benches/store_load.sh
#
# Three servers (release, one worker each, pinned to CPU 1): MemoryStore,
# RedisStore on one redis-server, RedisStore on a three-node cluster (both
# started here, no persistence). wrk (1 thread, 32 connections) is pinned to
# CPU 0 and visits the servers in turn. Then two more instances per Redis
# deployment for benches/propagation.py.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-32}
TRIALS=${TRIALS:-30}

for tool in wrk redis-server; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk redis-server >/dev/null
  fi
done
cargo build --release --example blocklist --features redis --quiet
server=target/release/examples/blocklist
mkdir -p target/bench

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no >target/bench/redis.log 2>&1 &
pids=("$!")
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
# shellcheck source=.ci/redis-cluster.sh
source .ci/redis-cluster.sh target/bench/redis-cluster >/dev/null
pids+=("${cluster_pids[@]}")
redis_url="redis://127.0.0.1:$redis_port/"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

declare -A port
# start NAME CPU ENV... : one blocklist instance with one worker.
start() {
  local name=$1 cpu=$2
  shift 2
  port[$name]=$(free_port)
  env -u REDIS_URL -u REDIS_CLUSTER_URLS "$@" WORKERS=1 PORT="${port[$name]}" RUST_LOG=warn \
    taskset -c "$cpu" "$server" >"target/bench/$name.log" 2>&1 &
  pids+=("$!")
  eval "pid_$name=$!"
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:${port[$name]}/protected" && return
    sleep 0.1
  done
  echo "error: $name did not start" >&2
  exit 1
}

stores=(memory redis cluster)
start memory 1
start redis 1 REDIS_URL="$redis_url"
start cluster 1 REDIS_CLUSTER_URLS="$REDIS_CLUSTER_URLS"
token=$(curl -s -X POST "http://127.0.0.1:${port[memory]}/login" -H 'Content-Type: application/json' \
  -d '{"username":"test","password":"test"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

declare -A requests p99s
for name in "${stores[@]}"; do requests[$name]=0; p99s[$name]=""; done
for round in $(seq "$ROUNDS"); do
  for name in "${stores[@]}"; do
    out=$(taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency \
      -H "Authorization: Bearer $token" "http://127.0.0.1:${port[$name]}/protected")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    if [ -n "$non2xx" ]; then echo "error: $name answered $non2xx non-2xx responses" >&2; exit 1; fi
    requests[$name]=$((requests[$name] + n))
    p99s[$name]="${p99s[$name]} $(echo "$out" | awk '$1 == "99%" {print $2}')"
    echo "round $round $name: $((n / SECONDS_PER_RUN)) req/s" >&2
  done
done

echo
echo "| store | req/s | p99 per round | ratio to MemoryStore |"
echo "| --- | ---: | --- | ---: |"
total=$((ROUNDS * SECONDS_PER_RUN))
for name in "${stores[@]}"; do
  rate=$((requests[$name] / total))
  ratio=$(python3 -c "print(f'{${requests[$name]} / ${requests[memory]}:.3f}')")
  echo "| $name | $rate |${p99s[$name]} | $ratio |"
done

echo
echo "Propagation to another instance (DELETE /logout on A, polling B):"
start redis_a 0 REDIS_URL="$redis_url"
start redis_b 1 REDIS_URL="$redis_url"
echo -n "one redis-server: "
python3 benches/propagation.py "http://127.0.0.1:${port[redis_a]}" "http://127.0.0.1:${port[redis_b]}" "$TRIALS"
start cluster_a 0 REDIS_CLUSTER_URLS="$REDIS_CLUSTER_URLS"
start cluster_b 1 REDIS_CLUSTER_URLS="$REDIS_CLUSTER_URLS"
echo -n "three-node cluster: "
python3 benches/propagation.py "http://127.0.0.1:${port[cluster_a]}" "http://127.0.0.1:${port[cluster_b]}" "$TRIALS"
