#!/usr/bin/env bash
# The architecture's import rules, checked two ways (issue 13):
#  1. every `import` in a target names a module the manifest declares for it (an allow-list read from
#     `swift package dump-package`, plus the platform's own modules) — an undeclared import fails;
#  2. no target declares a dependency the architecture table (README, "Architecture") keeps out of it.
# Usage: Tests/check-imports.sh [PACKAGE_ROOT]   (default: this repository)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"
# Its own scratch path: `swift test` holds the lock on .build while this runs from a test.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
swift package --scratch-path "$scratch" dump-package 2>/dev/null | python3 -c '
import json, os, re, sys

manifest = json.load(sys.stdin)
platform = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
            "Synchronization", "Testing", "XCTest", "_Concurrency", "Observation", "os"}
# What each product target may never depend on (the architecture table).
forbidden = {
    "SIPCore":      r"NIO.*|GRDB|Trunk.*|TUI.*|CNCursesW|SIPNetwork|SIPEngine|SIPRuntime",
    "SIPEngine":    r"NIO.*|GRDB|Trunk.*|TUI.*|CNCursesW|SIPNetwork|SIPRuntime",
    "SIPNetwork":   r"SIPEngine|SIPRuntime|GRDB|Trunk.*|TUI.*|CNCursesW",
    "SIPRuntime":   r"GRDB|Trunk.*|TUI.*|CNCursesW",
    "TrunkStore":   r"SIP.*|TUI.*|CNCursesW|Trunk(Core|Runtime|TUI|API)|NIO.*",
    "TrunkCore":    r"NIO.*|SIPRuntime|SIPNetwork|Hummingbird.*|TUI.*|CNCursesW|Trunk(Runtime|TUI|API)",
    "TrunkRuntime": r"TUI.*|CNCursesW|Trunk(TUI|API)|Hummingbird.*|GRDB",
    "TUIKit":       r"CNCursesW|Trunk.*|SIP.*|NIO.*|GRDB",
    "TUICurses":    r"Trunk.*|SIP.*|NIO.*|GRDB",
    "TrunkTUI":     r"CNCursesW|TUICurses|NIO.*|SIPNetwork|SIPRuntime|TrunkStore|GRDB",
    "TrunkAPI":     r"TUI.*|TrunkTUI|CNCursesW|TrunkStore|GRDB",
}
import_line = re.compile(r"^\s*(?:@testable\s+|@_exported\s+|(?:public|internal|package|private|fileprivate)\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z_][A-Za-z0-9_]*)")
failures = []
for target in manifest["targets"]:
    name = target["name"]
    declared = set()
    for dependency in target["dependencies"]:
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                declared.add(dependency[kind][0])
    if name in forbidden:
        for module in sorted(declared):
            if re.fullmatch(forbidden[name], module):
                failures.append(f"Package.swift: {name} declares {module}, which the architecture keeps out of it")
    if target["type"] == "system":
        continue
    path = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources", name)
    if not os.path.isdir(path):
        continue
    allowed = declared | platform | {name}
    for directory, _, files in os.walk(path):
        for file in sorted(files):
            if not file.endswith(".swift"):
                continue
            location = os.path.join(directory, file)
            with open(location, encoding="utf-8", errors="replace") as source:
                for number, line in enumerate(source, 1):
                    match = import_line.match(line)
                    if match and match.group(1) not in allowed:
                        failures.append(f"{location}:{number}: {name} imports {match.group(1)}, which Package.swift does not declare for it")
for failure in failures:
    print(failure, file=sys.stderr)
sys.exit(1 if failures else 0)
'
