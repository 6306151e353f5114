#!/usr/bin/env bash
# OPTIONS probes, siptrunk beside sipp, against the same kamailio on loopback, in one run (issue 20).
#
#   Benchmarks/probe-vs-sipp.sh              # 40,000 probes per side and transport
#   COUNT=100000 Benchmarks/probe-vs-sipp.sh
#   Benchmarks/probe-vs-sipp.sh --instructions   # instructions per probe instead, counted by callgrind
#
# siptrunk: `siptrunk probe --concurrency 64 --count N --timeout 32` (release build; a 32 s timeout is 64·T1 with
# T1 = 500 ms, the retransmission interval sipp's scenario uses: a shorter timeout shortens T1, and under
# callgrind's slowdown a 125 ms T1 retransmitted requests whose answers were merely waiting to be read, which moved
# the UDP count by ±5% between runs). sipp: its OPTIONS client scenario at
# `-r N` (as fast as kamailio answers), 64 calls in flight at most (`-l 64`), over UDP (`-t u1`, one socket) and
# TCP (`-t t1`, one connection). Each side's CPU (user + system) and peak RSS come from GNU time; CPU per probe
# is that CPU over the probes answered. kamailio (4 UDP workers, 2 TCP) is started here on 127.0.0.71 and
# stopped by its PID.
#
# --instructions: GNU time's CPU moves with the machine's load; callgrind's instruction counts do not. Each side runs
# under callgrind twice, with 2,200 and with 200 probes, and the difference over 2,000 is printed: start-up and
# exit cancel out. siptrunk runs from a stripped copy (valgrind 3.19 cannot read the DWARF Swift 6.3 emits); sipp's
# count includes its own polling loop.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-40000}
address=127.0.0.71
for tool in kamailio sipp /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "probe-vs-sipp: $tool is not installed" >&2; exit 1; }
done
swift build -c release --product siptrunk 2>&1 | grep -E "error|warning: unre" || true
siptrunk=$(swift build -c release --show-bin-path)/siptrunk
[ -x "$siptrunk" ] || { echo "probe-vs-sipp: siptrunk did not build" >&2; exit 1; }

work=$(mktemp -d)
kamailio_pid=""
cleanup() {
  local main
  main=$(cat "$work/kamailio.pid" 2>/dev/null || true)
  if [ -n "$main" ]; then kill "$main" 2>/dev/null || true; fi
  if [ -n "$kamailio_pid" ]; then kill "$kamailio_pid" 2>/dev/null || true; fi
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT

modules=/usr/lib/x86_64-linux-gnu/kamailio/modules
[ -e "$modules/sl.so" ] || modules=/usr/lib/aarch64-linux-gnu/kamailio/modules
[ -e "$modules/sl.so" ] || modules=/usr/lib/kamailio/modules
cat > "$work/kamailio.cfg" <<CFG
#!KAMAILIO
debug=1
log_stderror=yes
children=4
tcp_children=2
auto_aliases=no
listen=udp:$address:5060
listen=tcp:$address:5060
mpath="$modules/"
loadmodule "sl.so"
request_route {
    if (method=="OPTIONS") { sl_send_reply("200", "OK"); exit; }
    sl_send_reply("403", "Forbidden");
}
CFG
kamailio -DD -E -f "$work/kamailio.cfg" -Y "$work" -w "$work" -P "$work/kamailio.pid" -m 64 -M 8 >"$work/kamailio.log" 2>&1 &
kamailio_pid=$!
sleep 1.5

cat > "$work/options.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="OPTIONS probe">
  <send retrans="500">
    <![CDATA[
      OPTIONS sip:ping@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      Max-Forwards: 70
      From: <sip:probe@[local_ip]:[local_port]>;tag=[call_number]
      To: <sip:ping@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Contact: <sip:probe@[local_ip]:[local_port]>
      Accept: application/sdp
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
XML

# Prints "seconds cpu_seconds max_rss_kb" for a command, from GNU time.
measure() {
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || true
  awk '{ printf "%s %.3f %s\n", $1, $2 + $3, $4 }' "$work/time"
}

row() { # label transport answered seconds cpu rss
  awk -v label="$1" -v transport="$2" -v answered="$3" -v seconds="$4" -v cpu="$5" -v rss="$6" 'BEGIN {
    rate = (seconds > 0 ? answered / seconds : 0)
    printf "| %-9s | %-3s | %8d | %9.0f/s | %5.2f cores | %6.1f us | %7.1f MB |\n",
      label, transport, answered, rate, cpu / seconds, (answered > 0 ? cpu * 1e6 / answered : 0), rss / 1024 }'
}

if [ "${1:-}" = "--instructions" ]; then
  command -v valgrind >/dev/null || { echo "probe-vs-sipp: valgrind is not installed" >&2; exit 1; }
  strip -o "$work/siptrunk" "$siptrunk"
  instructions() { # command...: instructions the whole process executed
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
  }
  echo "| client    | on  | instructions per probe (2,200 probes minus 200, over 2,000) |"
  echo "|-----------|-----|------------------------------------------------------------|"
  for transport in udp tcp; do
    per_count=()
    for n in 200 2200; do
      per_count+=("$(instructions "$work/siptrunk" probe "$address:5060" --transport "$transport" --count "$n" --concurrency 64 --timeout 32)")
    done
    printf "| siptrunk  | %s | %d |\n" "$transport" $(( (per_count[1] - per_count[0]) / 2000 ))
    flag=u1
    [ "$transport" = tcp ] && flag=t1
    per_count=()
    for n in 200 2200; do
      per_count+=("$(instructions sipp "$address:5060" -sf "$work/options.xml" -t "$flag" -i 127.0.0.1 -p 0 \
        -r "$n" -rp 1000 -l 64 -m "$n" -nostdin -timeout 300s -timeout_error)")
    done
    printf "| sipp      | %s | %d |\n" "$transport" $(( (per_count[1] - per_count[0]) / 2000 ))
  done
  exit 0
fi

echo "| client    | on  | answered |      rate |        CPU | CPU/probe | peak RSS |"
echo "|-----------|-----|----------|-----------|------------|-----------|----------|"
for transport in udp tcp; do
  read -r seconds cpu rss < <(measure "$siptrunk" probe "$address:5060" --transport "$transport" \
    --count "$count" --concurrency 64 --timeout 32 --json)
  answered=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["flood"]["answered"])' "$work/out" 2>/dev/null || echo 0)
  row siptrunk "$transport" "$answered" "$seconds" "$cpu" "$rss"

  flag=u1
  [ "$transport" = tcp ] && flag=t1
  read -r seconds cpu rss < <(measure sipp "$address:5060" -sf "$work/options.xml" -t "$flag" -i 127.0.0.1 -p 0 \
    -r "$count" -rp 1000 -l 64 -m "$count" -trace_stat -stf "$work/sipp.csv" -nostdin -timeout 120s -timeout_error)
  answered=$(awk -F';' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "SuccessfulCall(C)") column = i } END { print $column + 0 }' "$work/sipp.csv" 2>/dev/null || echo 0)
  row sipp "$transport" "$answered" "$seconds" "$cpu" "$rss"
  rm -f "$work/sipp.csv"
done
