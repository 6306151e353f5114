#!/usr/bin/env bash
# Captures every wizard step from the running program in tmux at 100x30: a text capture (.txt), an ANSI capture
# with colours (.ans) and, when `aha` and a headless `chromium` are installed (apt-get install aha chromium),
# a PNG of each. Usage: Screenshots/capture.sh   (builds nothing: run `swift build` first)
# Step 3 probes 127.0.0.1, where nothing answers SIP, so the captures show discovery's failure and the override.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=.build/debug/siptrunk
out=Screenshots
work=$(mktemp -d)
socket="$work/tmux.sock"
trap 'tmux -S "$socket" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
tmux -S "$socket" new-session -d -s shots -x 100 -y 30 "cd $work && env LANG=C.UTF-8 TERM=xterm-256color $PWD/$binary --db $work/db.sqlite --discovery-timeout 0.5; sleep 5"

wait_for() { # text
  for _ in $(seq 1 100); do
    tmux -S "$socket" capture-pane -p -t shots | grep -q -- "$1" && return 0
    sleep 0.1
  done
  echo "capture.sh: '$1' never appeared" >&2; tmux -S "$socket" capture-pane -p -t shots >&2; exit 1
}
shot() { # name
  tmux -S "$socket" capture-pane -p -t shots > "$out/$1.txt"
  tmux -S "$socket" capture-pane -p -e -t shots > "$out/$1.ans"
  if command -v aha >/dev/null && command -v chromium >/dev/null; then
    aha --black --title "$1" < "$out/$1.ans" | sed 's|<pre>|<pre style="font-family:DejaVu Sans Mono,monospace;font-size:14px;line-height:1.15">|' > "$work/$1.html"
    chromium --headless --disable-gpu --no-sandbox --window-size=920,560 --screenshot="$out/$1.png" "file://$work/$1.html" >/dev/null 2>&1
  fi
}
keys() { tmux -S "$socket" send-keys -t shots "$@"; }

wait_for "Step 1 of 8"; shot step1-direction
keys Enter; wait_for "Step 2 of 8"; keys -l "127.0.0.1"; wait_for "host 127.0.0.1"; shot step2-destination
keys Enter; wait_for "got a SIP answer\|Recommended"; shot step3-discovery
keys Down Down; keys Enter; wait_for "Step 4 of 8"; shot step4-firewall
keys Enter; wait_for "Step 5 of 8"; shot step5-authentication
keys Enter; wait_for "Step 6 of 8"; keys -l "+1 (415) 555-0100"; keys Enter; keys -l "4155550303"; keys Enter; keys -l "+1415"; wait_for "has 4 digits"; shot step6-numbers
keys BSpace BSpace BSpace BSpace BSpace; keys Down; keys DC; keys F5; wait_for "Attached"; keys Enter; wait_for "Step 7 of 8"; keys F5
wait_for "cannot reach\|failed\|refused"; shot step7-test-call
keys Enter; wait_for "Step 8 of 8"; shot step8-complete

# The dashboard on the demo data set (a second session, 100x30).
tmux -S "$socket" kill-session -t shots 2>/dev/null || true
$PWD/$binary demo --db "$work/demo.sqlite" >/dev/null
tmux -S "$socket" new-session -d -s shots -x 100 -y 30 "cd $work && env LANG=C.UTF-8 TERM=xterm-256color $PWD/$binary dashboard --no-monitor --db $work/demo.sqlite; sleep 5"
wait_for "SIP dashboard"; wait_for "100.0%"; shot dashboard-overview
keys Down Enter; wait_for "Uptime"; wait_for "average over 24 h"; shot dashboard-health
keys 2; wait_for "INVITE"; shot dashboard-trace
keys Enter J; wait_for "Via:"; shot dashboard-message
keys Escape; sleep 0.3; keys 3; wait_for "page 1 of"; shot dashboard-call-logs
keys 4; wait_for "SIP ports"; shot dashboard-firewall
keys 5; wait_for "Codecs"; shot dashboard-configuration
keys f; wait_for "Edit failover"; keys Space Down; keys -l "backup.acme.example"; shot dashboard-edit-failover
keys Escape; wait_for "Not saved"; keys o; wait_for "Edit codec order"; keys Down Down Down Down Space + + + +; shot dashboard-edit-codecs
keys Escape; wait_for "Not saved"; keys a; wait_for "Edit alerts"; keys Space Down C-u; keys -l "5000"; keys Enter; wait_for "outside"; shot dashboard-edit-alerts
# Alerts and failover (issue 15): the Alerts view, and the 3CX number that failed over to its backup.
keys Escape; wait_for "Not saved"; keys Escape; sleep 0.3
keys A; wait_for "Alerts ·"; wait_for "acknowledges it"; shot dashboard-alerts
keys Escape; sleep 0.3; keys /; keys -l "14155550111"; keys Enter; sleep 0.3; keys Enter; sleep 0.3; keys 1; wait_for "Calls go to"; shot dashboard-health-failover

# The port-request wizard (issue 18): the Porting view's "Port a number", step by step.
printf '%%PDF-1.4\n%%a phone bill\n' > "$work/bill.pdf"
keys Escape; sleep 0.3; keys Escape; sleep 0.3; keys Escape; sleep 0.3
keys P; wait_for "Port requests"; keys n; wait_for "1 of 4"
keys -l "+442079460000, +442079460001"; wait_for "+442079460001"; shot port-wizard-1-numbers
keys Enter; wait_for "2 of 4"
for value in "Acme Widgets Ltd" "Ada" "Lovelace" "ada@acme.example" "ACME-4471-09" "" "12 Analytical Row" "London" "Greater London" "N1 9GU" "GB"; do
  keys Down; [ -n "$value" ] && keys -l "$value"
done
wait_for "GB"; shot port-wizard-2-carrier
keys Enter; wait_for "3 of 4"; keys -l "$work/bill.pdf"; wait_for "bill.pdf"; shot port-wizard-3-document
keys Enter; wait_for "4 of 4"; keys -l "Ada Lovelace"; keys Down Space; wait_for "\[x\] on"; shot port-wizard-4-sign
keys Enter; wait_for "is submitted"; shot port-wizard-5-submitted

# The Letter of Authorization of a port request (issue 18), rendered from its PDF with pdftoppm (poppler-utils).
if command -v pdftoppm >/dev/null; then
  printf '%%PDF-1.4\n%%a phone bill\n' > "$work/bill.pdf"
  sid=$($PWD/$binary port document "$work/bill.pdf" --db "$work/port.sqlite" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["document_sid"])')
  target=$(date -d "+10 days" +%F)
  id=$(printf '{"phone_numbers":["+442079460000","+442079460001"],"target_port_date":"%s","documents":["%s"],"losing_carrier_information":{"customer_type":"business","business_name":"Acme Widgets Ltd","first_name":"Ada","last_name":"Lovelace","account_number":"ACME-4471-09","authorized_representative_email":"ada@acme.example","address":{"street":"12 Analytical Row","city":"London","state":"Greater London","zip":"N1 9GU","country":"GB"}}}' "$target" "$sid" \
    | $PWD/$binary port initiate --request - --db "$work/port.sqlite" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["port_request_id"])')
  $PWD/$binary port loa "$id" --output "$work/loa.pdf" --db "$work/port.sqlite" >/dev/null
  pdftoppm -png -r 72 -singlefile "$work/loa.pdf" "$out/port-loa"
fi
echo "captured $(ls $out/*.txt | wc -l) screens in $out/"
