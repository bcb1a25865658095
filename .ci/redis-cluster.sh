# Starts a three-node Redis Cluster (Debian's redis-server, no persistence)
# on free local ports whose cluster bus port (+10000) is free too, and waits
# until it serves. Source it with a working directory as $1; it sets
# cluster_pids (to kill when done) and exports REDIS_CLUSTER_URLS.
cluster_dir=${1:?a directory for the nodes}
cluster_ports=$(python3 - <<'PY'
import socket
ports = []
while len(ports) < 3:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    if port + 10000 > 65535 or port in ports:
        continue
    bus = socket.socket()
    try:
        bus.bind(("127.0.0.1", port + 10000))
    except OSError:
        continue
    finally:
        bus.close()
    ports.append(port)
print(" ".join(map(str, ports)))
PY
)
cluster_pids=()
cluster_nodes=()
for port in $cluster_ports; do
  rm -rf "${cluster_dir:?}/$port" && mkdir -p "$cluster_dir/$port"
  (cd "$cluster_dir/$port" && exec redis-server --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file nodes.conf --save "" --appendonly no >redis.log 2>&1) &
  cluster_pids+=("$!")
  cluster_nodes+=("127.0.0.1:$port")
done
for port in $cluster_ports; do
  for _ in $(seq 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.2
  done
done
redis-cli --cluster create "${cluster_nodes[@]}" --cluster-replicas 0 --cluster-yes \
  >"$cluster_dir/create.log" 2>&1
for port in $cluster_ports; do
  for _ in $(seq 100); do
    redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok' && break
    sleep 0.2
  done
  redis-cli -p "$port" cluster info | grep cluster_state
done
REDIS_CLUSTER_URLS=$(printf 'redis://%s,' "${cluster_nodes[@]}")
export REDIS_CLUSTER_URLS="${REDIS_CLUSTER_URLS%,}"
