#!/usr/bin/env bash
# One command for the broadcast comparison: builds the example server, both baselines
# and the load generator in release mode, raises the open-file limit, and runs
# `chatload compare` on CPU 1 (the servers run on CPU 0). Writes benches/results/
# (compare.json, throughput.svg, latency-100k.svg, server logs) and regenerates the
# broadcast tables in docs/BENCHMARKS.md.
#
#   benches/run.sh                 # full run (about 15 minutes)
#   benches/run.sh --quick         # a few seconds per scenario
#   benches/run.sh --only chatcore # one server
#
# chatcore on PostgreSQL is measured too (in a fresh database, dropped afterwards) at
# POSTGRES_URL, by default postgres://postgres@127.0.0.1:5432/postgres when
# `pg_isready` finds a server there; POSTGRES_URL= (empty) leaves it out.
#
# Any argument is passed to `chatload compare` (see `chatload compare --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

# 10,000 idle connections need 10,000 descriptors on each side, plus some.
want=25000
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  echo "note: the hard open-file limit is $hard (< $want); using it" >&2
  want=$hard
fi
ulimit -n "$want"

target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --release -p chat-server -p chatcore-benches --bins
bin="$target_dir/release"

pg_default=""
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_default="postgres://postgres@127.0.0.1:5432/postgres"
fi
pg_url="${POSTGRES_URL-$pg_default}"
pg_args=()
if [ -n "$pg_url" ]; then
  pg_args=(--postgres-url "$pg_url")
fi

if command -v taskset >/dev/null; then
  exec taskset -c 1 "$bin/chatload" compare --bin-dir "$bin" "${pg_args[@]}" "$@"
else
  echo "warning: taskset not found; nothing is pinned" >&2
  exec "$bin/chatload" compare --bin-dir "$bin" "${pg_args[@]}" "$@"
fi
