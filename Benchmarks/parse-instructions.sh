#!/usr/bin/env bash
# Instructions per message of the SIP parser, counted by valgrind's callgrind (deterministic, unlike wall time on
# shared machines), over the 22 trunk messages in Benchmarks/corpus: a run with 0 iterations is subtracted from a
# run with N, for the framing-only path and the typed path (issue 20).
#
#   Benchmarks/parse-instructions.sh            # print the figures
#   Benchmarks/parse-instructions.sh --check    # also fail when a figure is over 110% of Benchmarks/parse-instructions.baseline
#
# valgrind 3.19 cannot read the DWARF Swift 6.3 emits, so it runs on a stripped copy of the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=200
swift build -c release --product ParseInstructions 2>&1 | grep -E "error|warning: unre" || true
binary=.build/release/ParseInstructions
[ -x "$binary" ] || { echo "parse-instructions: the harness did not build" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
strip -o "$work/harness" "$binary"
count() { # mode iterations
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$work/harness" "$1" "$2" Benchmarks/corpus 2>&1 >/dev/null \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
messages=$(ls Benchmarks/corpus/*.sip | wc -l)
status=0
for mode in parse typed; do
  base=$(count "$mode" 0)
  full=$(count "$mode" "$iterations")
  per=$(( (full - base) / (iterations * messages) ))
  echo "$mode: $per instructions per message ($messages messages x $iterations)"
  if [ "${1:-}" = "--check" ]; then
    limit=$(sed -n "s/^$mode \([0-9]*\)$/\1/p" Benchmarks/parse-instructions.baseline)
    if [ -n "$limit" ] && [ "$per" -gt $(( limit * 110 / 100 )) ]; then
      echo "parse-instructions: $mode costs $per instructions per message, over 110% of the baseline $limit" >&2
      status=1
    fi
  fi
done
exit $status
