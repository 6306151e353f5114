#!/usr/bin/env bash
# Capture cost (issue 16), both sides in one run on this machine:
#   1. HEP over UDP on loopback into `siptrunk capture`: MESSAGES (default 500,000) SIP messages at RATE (default
#      50,000/s); CPU per message of the capture process, kernel drops, time until every message is stored.
#   2. `siptrunk trace import` of a 100,000-message pcap next to `sngrep -N -q -I` on the same file: wall time and
#      peak RSS (GNU time).
#
#   swift build -c release --product siptrunk && Benchmarks/capture-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
binary="$(pwd)/${1:-.build/release/siptrunk}"
messages="${2:-500000}"
rate="${3:-50000}"
work="$(mktemp -d)"
trap 'kill "${capture:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
traffic=Benchmarks/capture/traffic.py

echo "== HEP over UDP: $messages messages at $rate/s"
"$binary" trunks attach +14155550100 --direction inbound --db "$work/hep.sqlite" >/dev/null
"$binary" capture --hep 127.0.0.1:19999 --db "$work/hep.sqlite" --json >"$work/capture.jsonl" 2>"$work/capture.err" &
capture=$!
sleep 1
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$capture/stat"; }
before=$(cpu)
start=$(date +%s.%N)
python3 "$traffic" hep 127.0.0.1 19999 "$messages" "$rate"
sent=$(date +%s.%N)
# Until every message is stored (or 120 s).
for _ in $(seq 1200); do
  stored=$(python3 -c "import sqlite3; print(sqlite3.connect('$work/hep.sqlite').execute('select coalesce(sum(stored),0) from capture_source').fetchone()[0])")
  [ "$stored" -ge "$messages" ] && break
  sleep 0.1
done
done_at=$(date +%s.%N)
after=$(cpu)
python3 - "$work/hep.sqlite" "$before" "$after" "$ticks" "$start" "$sent" "$done_at" "$messages" <<'PY'
import sqlite3, sys
db, before, after, ticks, start, sent, done, n = sys.argv[1], *map(float, sys.argv[2:8]), int(sys.argv[8])
row = sqlite3.connect(db).execute("select received, stored, skipped, kernel_drops, calls from capture_source").fetchone()
cpu = (after - before) / ticks
print(f"received {row[0]}, stored {row[1]}, skipped {row[2]}, kernel drops {row[3]}, calls {row[4]}")
print(f"sending took {sent - start:.2f} s ({n / (sent - start):,.0f}/s); all stored after {done - start:.2f} s")
print(f"capture CPU {cpu:.2f} s = {cpu / n * 1e6:.1f} us per message")
PY
echo "capture peak RSS: $(awk '/VmHWM/ {print $2 / 1024 " MB"}' "/proc/$capture/status")"
kill -TERM "$capture"; wait "$capture" || true

echo "== trace import of a 100,000-message pcap vs sngrep"
python3 "$traffic" pcap "$work/bench.pcap" 100000
ls -la "$work/bench.pcap" | awk '{print "   file: " $5 " bytes"}'
"$binary" trunks attach +14155550100 --direction inbound --db "$work/import.sqlite" >/dev/null
/usr/bin/time -f "   siptrunk trace import: %e s wall, %U s user, %S s sys, %M KB peak RSS" "$binary" trace import "$work/bench.pcap" --db "$work/import.sqlite" >/dev/null
if command -v sngrep >/dev/null; then
  /usr/bin/time -o "$work/sngrep.time" -f "   sngrep -N -q -I:         %e s wall, %U s user, %S s sys, %M KB peak RSS" \
    sngrep -N -q -I "$work/bench.pcap" >/dev/null 2>&1 </dev/null || true
  cat "$work/sngrep.time"
else
  echo "   (sngrep not installed: apt-get install sngrep)"
fi
