#!/bin/sh
# Print the single number held in FILE (e.g. count of regulatory fines); fail
# if the file is missing or does not hold a number.
f="${1:?file}"
[ -r "$f" ] || { echo "cannot read $f" >&2; exit 1; }
v="$(grep -v '^[[:space:]]*#' "$f" | tr -d '[:space:]')"
case "$v" in
  ''|*[!0-9.-]*) echo "not a number in $f: '$v'" >&2; exit 1 ;;
esac
echo "$v"
