#!/usr/bin/env bash
# Fuzz the SIP parsers (message, stream framing, URIs, SDP, crypto, digest challenges) with libFuzzer.
#
#   Tests/Fuzz/run.sh                      # run until stopped
#   Tests/Fuzz/run.sh -max_total_time=600  # ten minutes
#
# Any libFuzzer option may be given. The corpus grows in .build-fuzz/corpus; crashes land in
# .build-fuzz/artifacts and replay with `swift run SIPFuzz FILE`.
set -euo pipefail
cd "$(dirname "$0")/../.."

swift build -c release --product SIPFuzz --scratch-path .build-fuzz \
  -Xswiftc -DSIPTRUNK_FUZZ -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld 2>&1 | grep -vE '^\[[0-9]+/[0-9]+\]' || true
binary=.build-fuzz/release/SIPFuzz
[ -x "$binary" ] || { echo "fuzz build failed" >&2; exit 1; }

corpus=.build-fuzz/corpus
artifacts=.build-fuzz/artifacts
mkdir -p "$corpus" "$artifacts"
cp -n Tests/Fuzz/seeds/* Tests/SIPCoreTests/Fixtures/rfc4475/*.dat Tests/SIPCoreTests/Fixtures/rfc5118/*.sip "$corpus"/ 2>/dev/null || true

# Swift's own crash handler would swallow the crash file; AddressSanitizer reports instead.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
exec "$binary" -dict=Tests/Fuzz/sip.dict -use_value_profile=1 -max_len=8192 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$@" "$corpus"
