#!/usr/bin/env bash
# Browser tests of the web UI: build chat-server, start it on a free port with a
# temporary data directory (SQLite), run the tests in e2e/tests with node's test
# runner driving Debian's Chromium through playwright-core, then stop the server.
#
#   bash e2e/run.sh            # everything (run e2e/install.sh once first)
#   E2E_PROFILE=release bash e2e/run.sh
#   CHROMIUM=/path/to/chrome bash e2e/run.sh
#   CHAT_SERVER_BIN=target/debug/chat-server bash e2e/run.sh   # use a built binary
#   bash e2e/run.sh tests/bugs.test.js                         # only these test files
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$here"

profile="${E2E_PROFILE:-dev}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
bin_dir="$target_dir/$([ "$profile" = dev ] && echo debug || echo "$profile")"

if [ ! -d node_modules/playwright-core ]; then
  echo "e2e: installing node packages (npm ci)"
  npm ci --no-audit --no-fund
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "e2e: no Chromium at ${CHROMIUM:-/usr/bin/chromium}; run e2e/install.sh" >&2
  exit 1
fi

if [ -n "${CHAT_SERVER_BIN:-}" ]; then
  server_bin="$CHAT_SERVER_BIN"
else
  echo "e2e: building chat-server ($profile)"
  (cd "$root" && CARGO_TARGET_DIR="$target_dir" cargo build --profile "$profile" -p chat-server)
  server_bin="$bin_dir/chat-server"
fi

mkdir -p artifacts
data_dir="$(mktemp -d)"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
url="http://127.0.0.1:$port"

# Every browser context is its own client address (support/browser.js sends an
# X-Forwarded-For that this trusted "proxy" passes on), as real users are: the
# per-address registration and login limits then apply per person, not to the suite.
"$server_bin" --port "$port" --data-dir "$data_dir" --trusted-proxy 127.0.0.1 --min-timeout-secs 1 --guests >artifacts/server.log 2>&1 &
server_pid=$!
cleanup() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  if node -e "fetch('$url/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "e2e: chat-server exited early:" >&2
    cat artifacts/server.log >&2
    exit 1
  fi
  sleep 0.2
done
echo "e2e: chat-server up at $url (log: e2e/artifacts/server.log)"

status=0
# The restart test stops the server and starts a new one like it.
CHAT_URL="$url" CHAT_SERVER_PID="$server_pid" CHAT_SERVER_EXE="$server_bin" CHAT_PORT="$port" CHAT_DATA_DIR="$data_dir" \
  node --test --test-concurrency=1 --test-reporter=spec "${@:-tests/}" || status=$?

# The server must stop cleanly on SIGTERM (graceful shutdown). The restart test may
# have stopped this one already (and stopped its successor itself).
kill -TERM "$server_pid" 2>/dev/null || true
if wait "$server_pid"; then
  echo "e2e: chat-server stopped cleanly"
else
  echo "e2e: chat-server exited with an error on SIGTERM" >&2
  status=1
fi
exit "$status"
