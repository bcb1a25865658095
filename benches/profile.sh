#!/usr/bin/env bash
# A CPU profile of one route of benches/bench_server.rs under load, as a
# flame graph: perf (Debian's linux-perf) samples the server while wrk
# drives it, inferno draws the graph.
#
#   bash benches/profile.sh                       # /protected, 10 s
#   ROUTE=/uncached/protected SECONDS_PER_RUN=5 bash benches/profile.sh
#
# The server is built with frame pointers and debug information in its own
# target directory (target/profile) and pinned to CPU 1, wrk to CPU 0, as in
# load.sh. Writes target/profile/<route>.svg and the folded stacks beside it;
# prints the share of samples in each of the crate's functions.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUTE=${ROUTE:-/protected}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
if ! command -v perf >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf wrk >/dev/null
fi
if ! command -v inferno-flamegraph >/dev/null 2>&1; then
  cargo install inferno --locked --quiet
fi
export CARGO_TARGET_DIR=target/profile
CARGO_PROFILE_RELEASE_DEBUG=true RUSTFLAGS="-C force-frame-pointers=yes" \
  cargo build --release -p actix-jwt-extended-tests --example bench_server --quiet
server=target/profile/release/examples/bench_server
name=$(echo "${ROUTE#/}" | tr / _)
out=target/profile/$name

port=$((20000 + RANDOM % 20000))
PORT=$port taskset -c 1 "$server" >"$out.tokens" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/public" && break
  sleep 0.1
done
credential() { awk -v name="$1" -v field="$2" '$1 == name {print $field}' "$out.tokens"; }
case $ROUTE in
  */cookie/*) headers=(-H "Cookie: access_token_cookie=$(credential cookie 2)" -H "X-CSRF-TOKEN: $(credential cookie 3)") ;;
  /es256/* | /handwritten/es256) headers=(-H "Authorization: Bearer $(credential es256 2)") ;;
  /rs256/*) headers=(-H "Authorization: Bearer $(credential rs256 2)") ;;
  *) headers=(-H "Authorization: Bearer $(credential hs256 2)") ;;
esac
# Warm up, then sample while the load runs.
taskset -c 0 wrk -t1 -c32 -d2s "${headers[@]}" "http://127.0.0.1:$port$ROUTE" >/dev/null
taskset -c 0 wrk -t1 -c32 -d"$((SECONDS_PER_RUN + 2))s" "${headers[@]}" "http://127.0.0.1:$port$ROUTE" >"$out.wrk" &
wrk_pid=$!
sleep 1
perf record -q -F 4999 -g --call-graph fp -p "$pid" -o "$out.perf" -- sleep "$SECONDS_PER_RUN" 2>/dev/null
wait $wrk_pid
perf script -i "$out.perf" 2>/dev/null | inferno-collapse-perf >"$out.folded"
inferno-flamegraph --title "bench_server $ROUTE" <"$out.folded" >"$out.svg"
echo "flame graph: $out.svg"
awk '{n = $NF; total += n; if ($0 ~ /actix_jwt_extended/) ours += n} END {printf "samples: %.0f, in actix_jwt_extended frames: %.1f%%\n", total, 100 * ours / total}' "$out.folded"
