#!/usr/bin/env bash
# Fails when a target imports a module the architecture keeps out of it (see README, "Architecture").
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
check() { # target, forbidden-regex
  [ -d "Sources/$1" ] || return 0
  local hits
  hits=$(grep -rnE "^\s*(@testable )?import ($2)\b" "Sources/$1" || true)
  if [ -n "$hits" ]; then
    echo "Sources/$1 imports what the architecture keeps out of it:" >&2
    echo "$hits" >&2
    status=1
  fi
}
check SIPCore 'NIO[A-Za-z]*|GRDB|TrunkStore|TrunkCore|TUIKit|TUICurses|CNCursesW|SIPNetwork|SIPEngine|Foundation'
check SIPNetwork 'SIPEngine|GRDB|TrunkStore|TrunkCore|TUIKit|TUICurses|CNCursesW'
check SIPEngine 'NIO[A-Za-z]*|GRDB|TrunkStore|TrunkCore|TUIKit|TUICurses|CNCursesW'
check TrunkStore 'SIPCore|SIPEngine|SIPNetwork|TUIKit|TUICurses|CNCursesW'
check SIPRuntime 'GRDB|TrunkStore|TrunkCore|TUIKit|TUICurses|CNCursesW|TrunkTUI'
check TrunkCore 'NIO[A-Za-z]*|SIPRuntime|SIPNetwork|Hummingbird|TUIKit|TUICurses|CNCursesW'
check TUIKit 'CNCursesW|TrunkCore|SIPCore|SIPEngine|TrunkStore'
check TUICurses 'TrunkCore|SIPCore|SIPEngine|TrunkStore'
check TrunkTUI 'CNCursesW|TUICurses|NIO[A-Za-z]*|SIPNetwork|SIPRuntime'
check TrunkAPI 'TUIKit|TUICurses|TrunkTUI|CNCursesW'
exit $status
