#!/usr/bin/env bash
# The HTTP API under load (issue 17), with wrk from Debian (apt-get install wrk), both on this machine:
#   GET /v1/sip/numbers with 1,000 numbers and GET /v1/sip/status, 64 connections, 10 s each;
#   POST /v1/sip/attach of 100 new numbers, 4 connections, 10 s; the server's peak RSS.
#
#   swift build -c release --product siptrunk && Benchmarks/api-wrk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/release/siptrunk}"
work="$(mktemp -d)"
trap 'kill "${server:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
db="$work/api.sqlite"

# 1,000 numbers on 10 trunks (10 attaches of 100).
for trunk in $(seq 0 9); do
  numbers=$(python3 -c "print(' '.join('+1415%03d%04d' % (200 + $trunk, i) for i in range(100)))")
  # shellcheck disable=SC2086
  "$binary" trunks attach $numbers --endpoint pbx.example.com --trunk "bench$trunk" --db "$db" >/dev/null
done
key="$("$binary" api-key create --name bench --db "$db" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["key"])')"
"$binary" serve --db "$db" --listen 127.0.0.1:18099 >"$work/out" 2>/dev/null &
server=$!
for _ in $(seq 50); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done

auth="Authorization: Bearer $key"
echo "== GET /v1/sip/numbers (1,000 numbers), 64 connections"
wrk -t2 -c64 -d10s --latency -H "$auth" http://127.0.0.1:18099/v1/sip/numbers | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
echo "== GET /v1/sip/status, 64 connections"
wrk -t2 -c64 -d10s --latency -H "$auth" "http://127.0.0.1:18099/v1/sip/status?phone_number=%2B14152000001" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
echo "== POST /v1/sip/attach, 100 new numbers each, 4 connections"
WRK_BASE=100 wrk -t1 -c4 -d10s --latency -H "$auth" -s Benchmarks/api/attach.lua http://127.0.0.1:18099 | grep -E "Requests/sec|Latency|50%|99%|Non-2xx"
echo "== server peak RSS: $(grep VmHWM /proc/$server/status | awk '{print $2/1024 " MB"}')"
