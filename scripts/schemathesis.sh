#!/usr/bin/env bash
# Bounded API fuzzing: schemathesis against the OpenAPI document the chat-server
# serves, with every check (`--checks all`): fails on any 5xx, on any response that
# does not match the document, on a schema-valid request refused and on a
# schema-violating one accepted.
#
#   scripts/schemathesis.sh                 # build chat-server, install schemathesis if missing
#   CHAT_SERVER_BIN=path/to/chat-server scripts/schemathesis.sh
#   ST_MAX_EXAMPLES=100 ST_SEED=7 scripts/schemathesis.sh   # a longer or another pass
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-target}"
venv="$target/schemathesis-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  echo "schemathesis: installing into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis>=4.32,<5"
fi

bin="${CHAT_SERVER_BIN:-}"
if [ -z "$bin" ]; then
  cargo build --quiet -p chat-server
  bin="$target/debug/chat-server"
fi

work="$(mktemp -d)"
RUST_LOG="${RUST_LOG:-warn}" NO_COLOR=1 "$bin" --port 0 --memory >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
cleanup() {
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# It announces the real port: "chat-server listening on http://127.0.0.1:PORT (...)".
base=""
for _ in $(seq 1 200); do
  base="$(grep -o 'listening on http://[^ ]*' "$work/stdout" | head -n1 | sed 's/^listening on //' || true)"
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { echo "schemathesis: chat-server did not start" >&2; cat "$work/stdout" "$work/server.log" >&2; exit 1; }
api="$base/api"

# A user for the authenticated operations.
token="$(python3 - "$api" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(
    sys.argv[1] + "/auth/register",
    data=json.dumps({"username": "fuzzer", "password": "fuzzer-password"}).encode(),
    headers={"content-type": "application/json", "x-requested-with": "schemathesis"},
)
print(json.load(urllib.request.urlopen(req))["token"])
PY
)"

# Operations that end the fuzzer's own session or account are left out (they are
# covered by the test suite): everything after them would only test 401. So is the
# WebSocket handshake (GET /ws, its upgrade headers documented): it switches the
# connection to another protocol, which schemathesis does not speak (its HTTP client
# then reuses the upgraded connection); chatcore-axum's WebSocket tests and the
# ws_command fuzz target cover it. scripts/schemathesis.toml says which statuses count
# as refusals where the defaults would be wrong, and why.
status=0
"$venv/bin/schemathesis" --config-file scripts/schemathesis.toml run "$api/openapi.json" \
  --url "$api" \
  --header "Authorization: Bearer $token" \
  --header "X-Requested-With: schemathesis" \
  --checks all \
  --exclude-operation-id logout \
  --exclude-operation-id logout_all \
  --exclude-operation-id delete_me \
  --exclude-operation-id upgrade \
  --phases examples,coverage,fuzzing \
  --max-examples "${ST_MAX_EXAMPLES:-25}" \
  --seed "${ST_SEED:-1}" \
  --workers 1 \
  --max-time "${ST_MAX_TIME:-180}" \
  --report junit --report-dir "$target/schemathesis-report" \
  --warnings off \
  "$@" || status=$?
if grep -q "panicked" "$work/stdout" "$work/server.log"; then
  echo "schemathesis: the server panicked:" >&2
  grep -h -A5 "panicked" "$work/stdout" "$work/server.log" >&2
  exit 1
fi
exit $status
