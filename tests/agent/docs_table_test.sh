#!/bin/sh
# docs_table_test.sh ISMO_AGENT DOCS_MD: the configuration table in docs/agent.md
# must be exactly `ismo-agent --help-config` (regenerate it from there).
set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed -n '/BEGIN CONFIG TABLE/,/END CONFIG TABLE/p' "$2" | sed '1d;$d' > "$tmp"
"$1" --help-config | diff -u "$tmp" - && echo "docs/agent.md configuration table is current"
