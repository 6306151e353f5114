#!/usr/bin/env bash
# Fails when product code can trap on input or I/O (issue 19): `try!`, `as!`, force-unwraps, and the Foundation
# calls that trap instead of throwing (FileHandle's non-throwing read and write, NSString path arithmetic).
# A line that must stay (a value proven present just above) says why with `// trap-check: <reason>`.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
report() { # title, hits
  if [ -n "$2" ]; then
    echo "$1:" >&2
    echo "$2" >&2
    status=1
  fi
}
# Code only: drop full-line comments, trailing comments and string literals before matching.
code_lines() {
  grep -rnE "$1" Sources --include='*.swift' \
    | grep -v 'trap-check:' \
    | sed -E 's#^([^:]+:[0-9]+:)(.*)$#\1\2#' \
    | awk -F: '{ line=$0; sub(/^[^:]+:[0-9]+:/, "", line); code=line; gsub(/"([^"\\]|\\.)*"/, "\"\"", code); sub(/\/\/.*$/, "", code); if (code ~ PATTERN) print $0 }' PATTERN="$1" \
    || true
}
report "try! (use do/catch and say what failed)" "$(code_lines 'try!')"
report "as! (use as? and handle the other case)" "$(code_lines '[^a-zA-Z_]as! ')"
report "force-unwrap (guard let, or ?? with a fallback)" "$(code_lines '[]A-Za-z0-9_)]![].), ]|[]A-Za-z0-9_)]!$')"
report "Foundation calls that trap on I/O errors (use PrivateFile / TerminalOutput)" \
  "$(code_lines 'readDataToEndOfFile|readData\(ofLength|FileHandle\.standard(Output|Error)\.write\(|deletingLastPathComponent|appendingPathComponent\(|FileHandle\(forReadingAtPath')"
exit $status
