#!/usr/bin/env bash
# schemathesis against a live `siptrunk serve` (issue 17): every operation of the committed OpenAPI document with
# bounded examples; fails on a 5xx, an undocumented status, or a response that violates the schema. (A schema-valid
# request refused by a business rule — a number that does not exist in its country — is not a failure.)
#
# The server runs in a network namespace of its own with only loopback: the API probes and calls the hosts its clients
# name, and generated hosts must never reach another machine.
#
#   Tests/API/schemathesis.sh [.build/debug/siptrunk] [examples per operation, default 25]
set -euo pipefail
cd "$(dirname "$0")/../.."
binary="${1:-.build/debug/siptrunk}"
examples="${2:-25}"
if [ -z "${SIPTRUNK_IN_NETNS:-}" ]; then
  exec env SIPTRUNK_IN_NETNS=1 unshare --net "$0" "$binary" "$examples"
fi
ip link set lo up

work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
"$binary" demo --db "$work/api.sqlite" >/dev/null
key="$("$binary" api-key create --name schemathesis --db "$work/api.sqlite" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["key"])')"
# DNS goes to a closed loopback port: names fail at once instead of waiting for a resolver that is not there.
"$binary" serve --db "$work/api.sqlite" --listen 127.0.0.1:18090 --dns-server 127.0.0.1:9 --discovery-timeout 0.2 \
  >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 50); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done

schemathesis run http://127.0.0.1:18090/v1/openapi.json \
  --header "Authorization: Bearer $key" \
  --max-examples "$examples" --generation-deterministic \
  --checks all --exclude-checks positive_data_acceptance \
  --request-timeout 20

kill -TERM "$server"
wait "$server"
if grep -q "status=5" "$work/serve.log"; then
  echo "the server answered 5xx:" >&2
  grep "status=5" "$work/serve.log" >&2
  exit 1
fi
echo "schemathesis: no failures; $(grep -c ' request' "$work/serve.log") requests served"
