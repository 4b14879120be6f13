#!/usr/bin/env bash
# Deliveries per second across two nodes against one (issue "scale-out").
#
# Starts the example server as one node, then as two nodes, every node on the same
# PostgreSQL database (a fresh one, dropped afterwards) and the same Redis broker,
# and runs `chatload` against them: 1 room × 1,000 members, 100 publishers, closed
# loop. With two nodes, client i connects to node i mod 2, so every message crosses
# the broker to reach half of its recipients.
#
# On the 2-core benchmark machine both nodes are pinned to CPU 0 (the one node gets
# the same CPU budget as the pair) and the generator to CPU 1; PostgreSQL and Redis
# are not pinned. So this measures what the broker costs, not scale-out: on separate
# machines each node carries its own share of the deliveries.
#
#   benches/cluster.sh                      # needs PostgreSQL and Redis on loopback
#   DATABASE_URL=postgres://… REDIS_URL=redis://… DURATION=15 benches/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."

pg_admin="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
redis="${REDIS_URL:-redis://127.0.0.1:6379}"
duration="${DURATION:-15}"
out=benches/results/cluster
mkdir -p "$out"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release -p chat-server -p chatcore-benches --bins
bin="$target_dir/release"

db="chatcore_bench_cluster_$$"
base="${pg_admin%/*}"
psql "$pg_admin" -qc "CREATE DATABASE $db" >/dev/null
url="$base/$db"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  rm -f "$out/tokens-$db.json"
}
trap cleanup EXIT

start_node() { # port log
  taskset -c 0 "$bin/chat-server" --port "$1" --database-url "$url" --broker "$redis" \
    --bench-limits >"$2" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "node on port $1 did not start; see $2" >&2
  exit 1
}

run() { # label addrs json [server pid: its CPU and memory are reported]
  taskset -c 1 "$bin/chatload" run --addr "$2" --rooms 1 --members 1000 --publishers 100 \
    --rate max --duration "$duration" --users 100 --token-cache "$out/tokens-$db.json" \
    --label "$1" --json "$3" ${4:+--server-pid "$4"}
}

start_node 3201 "$out/node-a.log"
# One node (still with the Redis broker, so that the two runs differ only in the
# number of nodes).
run "1 node" 127.0.0.1:3201 "$out/one-node.json" "${pids[0]}"
start_node 3202 "$out/node-b.log"
run "2 nodes" 127.0.0.1:3201,127.0.0.1:3202 "$out/two-nodes.json"
