#!/usr/bin/env bash
# Load benchmark: the same handler unauthenticated and behind three kinds of
# authentication, measured with wrk on loopback.
#
#   bash benches/load.sh                 # 5 interleaved rounds of 5 s per route
#   ROUNDS=3 SECONDS_PER_RUN=3 bash benches/load.sh
#
# Each route gets its own server process (examples/bench_server.rs, release,
# one worker) pinned to CPU 1; wrk (1 thread, 32 connections) is pinned to
# CPU 0. Rounds visit the routes in turn so drift hits all of them alike.
# Printed per route: requests/s, p99 latency, server CPU per request (from
# /proc/<pid>/stat), peak RSS (VmHWM), and ratios to the unauthenticated route.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-32}

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release --example bench_server --quiet
server=target/release/examples/bench_server

routes=(/public /protected /uncached/protected /handwritten)
declare -A pid port
base=$((20000 + RANDOM % 20000))
token=""
for i in "${!routes[@]}"; do
  route=${routes[$i]}
  port[$route]=$((base + i))
  PORT=${port[$route]} taskset -c 1 "$server" >"target/bench_server_$i.log" 2>&1 &
  pid[$route]=$!
done
trap 'kill "${pid[@]}" 2>/dev/null || true' EXIT
for route in "${routes[@]}"; do
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:${port[$route]}/public" && break
    sleep 0.1
  done
done
token=$(head -n 1 target/bench_server_0.log)

ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

declare -A requests cpu p99s
for route in "${routes[@]}"; do requests[$route]=0; cpu[$route]=0; p99s[$route]=""; done

for round in $(seq "$ROUNDS"); do
  for route in "${routes[@]}"; do
    before=$(cpu_ticks "${pid[$route]}")
    out=$(taskset -c 0 wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency \
      -H "Authorization: Bearer $token" "http://127.0.0.1:${port[$route]}$route")
    after=$(cpu_ticks "${pid[$route]}")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    if [ -n "$non2xx" ]; then echo "error: $route answered $non2xx non-2xx responses" >&2; exit 1; fi
    # wrk prints 618.00us, 1.25ms or 2.00s: keep microseconds.
    p99=$(echo "$out" | awk '$1 == "99%" {v = $2; u = 1; if (v ~ /us$/) u = 1; else if (v ~ /ms$/) u = 1000; else if (v ~ /s$/) u = 1000000; sub(/[a-z]+$/, "", v); printf "%.0f", v * u}')
    requests[$route]=$((requests[$route] + n))
    cpu[$route]=$((cpu[$route] + after - before))
    p99s[$route]="${p99s[$route]} $p99"
    echo "round $round $route: $n requests, p99 ${p99}us" >&2
  done
done

total_seconds=$((ROUNDS * SECONDS_PER_RUN))
printf '\n%-22s %12s %14s %16s %12s %10s %10s\n' route "req/s" "worst p99 us" "CPU us/request" "peak RSS" "req/s x" "CPU x"
base_rps=$(echo "${requests[/public]} / $total_seconds" | bc -l)
base_cpu=$(echo "${cpu[/public]} * 1000000 / $ticks / ${requests[/public]}" | bc -l)
for route in "${routes[@]}"; do
  rps=$(echo "${requests[$route]} / $total_seconds" | bc -l)
  us=$(echo "${cpu[$route]} * 1000000 / $ticks / ${requests[$route]}" | bc -l)
  rss=$(awk '/VmHWM/ {print $2 " " $3}' "/proc/${pid[$route]}/status")
  p99_max=$(echo "${p99s[$route]}" | tr ' ' '\n' | sort -n | tail -n 1)
  printf '%-22s %12.0f %14s %16.2f %12s %10.3f %10.3f\n' "$route" "$rps" "$p99_max" "$us" "$rss" \
    "$(echo "$rps / $base_rps" | bc -l)" "$(echo "$us / $base_cpu" | bc -l)"
done
