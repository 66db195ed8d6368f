#!/bin/sh
# Percentage of staff whose security-awareness training is completed.
# Input: CSV with header "user,completed", completed in {yes,no,true,false,1,0}.
# Usage: training-completion.sh FILE
f="${1:?csv file}"
[ -r "$f" ] || { echo "cannot read $f" >&2; exit 1; }
awk -F, '
  NR == 1 && tolower($1) == "user" { next }
  NF < 2 || $1 ~ /^[[:space:]]*(#|$)/ { next }
  { v = tolower($2); gsub(/[[:space:]\r]/, "", v); n++
    if (v == "yes" || v == "true" || v == "1" || v == "y") done++ }
  END { if (n == 0) { print "no rows" > "/dev/stderr"; exit 1 }
        printf "%.1f\n", 100.0 * done / n }
' "$f"
