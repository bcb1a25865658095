#!/usr/bin/env bash
# Load benchmark: the same handler unauthenticated and behind several kinds
# of authentication, measured with wrk on loopback.
#
#   bash benches/load.sh                 # 5 interleaved rounds of 5 s per route
#   ROUNDS=3 SECONDS_PER_RUN=3 bash benches/load.sh
#   ROUTES="/public /protected" bash benches/load.sh
#   WORKERS=2 SERVER_CPUS=0,1 WRK_CPUS=0,1 WRK_THREADS=2 bash benches/load.sh
#
# Each route gets its own server process (benches/bench_server.rs, release,
# $WORKERS workers, default 1) pinned to $SERVER_CPUS (default CPU 1); wrk
# ($WRK_THREADS threads, default 1, 32 connections) is pinned to $WRK_CPUS
# (default CPU 0). Rounds visit the routes in turn so drift hits all of them
# alike. Every request carries the route's credentials (the unauthenticated
# route gets the header routes' `Authorization` header, and ignores it).
# Printed per route: requests/s, p99 latency, server CPU per request (from
# /proc/<pid>/stat; in all, and in user mode alone), peak RSS (VmHWM), and
# ratios to the first route; then, per route, the median over rounds of its
# ratio and CPU difference to the first route in the same round.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONNECTIONS=${CONNECTIONS:-32}
WORKERS=${WORKERS:-1}
SERVER_CPUS=${SERVER_CPUS:-1}
WRK_CPUS=${WRK_CPUS:-0}
WRK_THREADS=${WRK_THREADS:-1}
read -r -a routes <<<"${ROUTES:-/public /protected /uncached/protected /handwritten /cookie/protected /uncached/cookie/protected /es256/protected /rs256/protected /handwritten/es256}"

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk from Debian's packages" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
cargo build --release -p actix-jwt-extended-tests --example bench_server --quiet
server=target/release/examples/bench_server

# Indexed by position, so that a route may be listed twice (an A/A run).
pid=() port=()
base=$((20000 + RANDOM % 20000))
for i in "${!routes[@]}"; do
  port[i]=$((base + i))
  PORT=${port[i]} WORKERS=$WORKERS taskset -c "$SERVER_CPUS" "$server" >"target/bench_server_$i.log" 2>&1 &
  pid[i]=$!
done
trap 'kill "${pid[@]}" 2>/dev/null || true; rm -f "${rounds_file:-}"' EXIT
for i in "${!routes[@]}"; do
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:${port[i]}/public" && break
    sleep 0.1
  done
done

# The server prints `<name> <token> [<csrf>]` per credential.
credential() { awk -v name="$1" -v field="$2" '$1 == name {print $field}' target/bench_server_0.log; }
bearer="Authorization: Bearer $(credential hs256 2)"
headers() { # route -> the request headers, one per line
  case $1 in
    */cookie/*) printf 'Cookie: access_token_cookie=%s\nX-CSRF-TOKEN: %s\n' "$(credential cookie 2)" "$(credential cookie 3)" ;;
    /es256/* | /handwritten/es256) echo "Authorization: Bearer $(credential es256 2)" ;;
    /rs256/*) echo "Authorization: Bearer $(credential rs256 2)" ;;
    *) echo "$bearer" ;;
  esac
}
for i in "${!routes[@]}"; do
  route=${routes[i]}
  args=()
  while IFS= read -r line; do args+=(-H "$line"); done < <(headers "$route")
  code=$(curl -s -o /dev/null -w '%{http_code}' "${args[@]}" "http://127.0.0.1:${port[i]}$route")
  if [ "$code" != 200 ]; then echo "error: $route answered $code before the run" >&2; exit 1; fi
done

ticks=$(getconf CLK_TCK)
# utime + stime, and utime alone: the server's own code runs in user mode,
# while loopback TCP (part of it the client's, processed on the server's
# CPU) is system time that moves with how requests happen to batch.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
user_ticks() { awk '{print $14}' "/proc/$1/stat"; }

requests=() cpu=() user=() p99s=()
rounds_file=$(mktemp)
for i in "${!routes[@]}"; do requests[i]=0; cpu[i]=0; user[i]=0; p99s[i]=""; done

for round in $(seq "$ROUNDS"); do
  for i in "${!routes[@]}"; do
    route=${routes[i]}
    args=()
    while IFS= read -r line; do args+=(-H "$line"); done < <(headers "$route")
    before=$(cpu_ticks "${pid[i]}") user_before=$(user_ticks "${pid[i]}")
    out=$(taskset -c "$WRK_CPUS" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency \
      "${args[@]}" "http://127.0.0.1:${port[i]}$route")
    after=$(cpu_ticks "${pid[i]}") user_after=$(user_ticks "${pid[i]}")
    n=$(echo "$out" | awk '/requests in/ {print $1}')
    non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
    if [ -n "$non2xx" ]; then echo "error: $route answered $non2xx non-2xx responses" >&2; exit 1; fi
    # wrk prints 618.00us, 1.25ms or 2.00s: keep microseconds.
    p99=$(echo "$out" | awk '$1 == "99%" {v = $2; u = 1; if (v ~ /us$/) u = 1; else if (v ~ /ms$/) u = 1000; else if (v ~ /s$/) u = 1000000; sub(/[a-z]+$/, "", v); printf "%.0f", v * u}')
    requests[i]=$((requests[i] + n))
    cpu[i]=$((cpu[i] + after - before))
    user[i]=$((user[i] + user_after - user_before))
    p99s[i]="${p99s[i]} $p99"
    echo "$round $i $n $((after - before)) $((user_after - user_before))" >>"$rounds_file"
    echo "round $round $route: $n requests, p99 ${p99}us" >&2
  done
done

total_seconds=$((ROUNDS * SECONDS_PER_RUN))
printf '\n%-28s %10s %13s %15s %16s %12s %8s %8s\n' route "req/s" "worst p99 us" "CPU us/request" "user us/request" "peak RSS" "req/s x" "CPU x"
base_rps=$(echo "${requests[0]} / $total_seconds" | bc -l)
base_cpu=$(echo "${cpu[0]} * 1000000 / $ticks / ${requests[0]}" | bc -l)
for i in "${!routes[@]}"; do
  rps=$(echo "${requests[i]} / $total_seconds" | bc -l)
  us=$(echo "${cpu[i]} * 1000000 / $ticks / ${requests[i]}" | bc -l)
  user_us=$(echo "${user[i]} * 1000000 / $ticks / ${requests[i]}" | bc -l)
  rss=$(awk '/VmHWM/ {print $2 " " $3}' "/proc/${pid[i]}/status")
  p99_max=$(echo "${p99s[i]}" | tr ' ' '\n' | sort -n | tail -n 1)
  printf '%-28s %10.0f %13s %15.2f %16.2f %12s %8.3f %8.3f\n' "${routes[i]}" "$rps" "$p99_max" "$us" "$user_us" "$rss" \
    "$(echo "$rps / $base_rps" | bc -l)" "$(echo "$us / $base_cpu" | bc -l)"
done

# The machine's speed drifts between rounds more than authentication costs:
# each route against the first one in the same round, then the median over
# rounds.
echo
python3 - "$rounds_file" "$ticks" "${routes[@]}" <<'PY'
import statistics, sys
path, ticks, routes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rounds = {}
for line in open(path):
    r, i, n, cpu, user = map(int, line.split())
    rounds.setdefault(r, {})[i] = (n, cpu * 1e6 / ticks / n, user * 1e6 / ticks / n)
print(f"{'per-round medians, against ' + routes[0]:<44} {'req/s x':>8} {'CPU us +':>9} {'user us +':>10}")
for i, route in enumerate(routes):
    ratios = [rs[i][0] / rs[0][0] for rs in rounds.values()]
    cpu = [rs[i][1] - rs[0][1] for rs in rounds.values()]
    user = [rs[i][2] - rs[0][2] for rs in rounds.values()]
    print(f"{route:<44} {statistics.median(ratios):>8.3f} {statistics.median(cpu):>+9.2f} {statistics.median(user):>+10.2f}")
PY
