#!/usr/bin/env bash
# config_example_test.sh ISMOD EXAMPLE: examples/ismod.yaml lists exactly the
# keys of `ismod --help` (but config), in the same order, each with the
# default --help prints; and with every key uncommented it is a config file
# ismod accepts (`ismod --config FILE --help` exits 0; a bad value would not).
# The file is checked against a broken copy first, so the check can fail.
set -u
ISMOD=${1:?usage: config_example_test.sh ISMOD EXAMPLE}
EXAMPLE=${2:?usage: config_example_test.sh ISMOD EXAMPLE}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ismo-config-example.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
FAILS=0
check() { # check DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@"; then echo "ok   - $d"; else echo "FAIL - $d"; FAILS=$((FAILS + 1)); fi
}

"$ISMOD" --help >"$TMP/help.txt"
check "ismod --help exits 0" test $? -eq 0
cat >"$TMP/compare.py" <<'PY'
import re, sys
help_rows = []
for l in open(sys.argv[1]):
    m = re.match(r"  --(\S+)\s+.* \(default: ([^;]*?)(; bounds [^)]*)?\)$", l.rstrip("\n"))
    if m and m.group(1) != "config":
        d = m.group(2)
        help_rows.append((m.group(1).replace("-", "_"), "" if d == "none" else d))
ex_rows = []
for l in open(sys.argv[2]):
    m = re.match(r"# ([a-z][a-z0-9_]*): (.*)$", l.rstrip("\n"))
    if m:
        v = m.group(2)
        if len(v) >= 2 and v[0] == v[-1] == '"':
            v = v[1:-1]
        ex_rows.append((m.group(1), v))
if len(help_rows) < 20:
    sys.exit("only %d options parsed from ismod --help" % len(help_rows))
if help_rows != ex_rows:
    hk = [k for k, _ in help_rows]; ek = [k for k, _ in ex_rows]
    print("  missing in the example:", [k for k in hk if k not in ek])
    print("  not in ismod --help:", [k for k in ek if k not in hk])
    print("  other default or order:", [(a, b) for a, b in zip(help_rows, ex_rows) if a != b][:3])
    sys.exit(1)
PY
check "examples/ismod.yaml: the keys and defaults of ismod --help, in order" \
    python3 "$TMP/compare.py" "$TMP/help.txt" "$EXAMPLE"
# the comparison must fail on a copy with one key dropped and one default changed
grep -v '^# max_batch: ' "$EXAMPLE" | sed 's/^# tick_ms: 1s$/# tick_ms: 2s/' >"$TMP/broken.yaml"
python3 "$TMP/compare.py" "$TMP/help.txt" "$TMP/broken.yaml" >"$TMP/broken.out" 2>&1
check "  ... the check fails on a broken copy" test $? -ne 0
check "  ... and names the missing key" grep -q "max_batch" "$TMP/broken.out"

sed 's/^# \([a-z][a-z0-9_]*: \)/\1/' "$EXAMPLE" >"$TMP/all.yaml"
"$ISMOD" --config "$TMP/all.yaml" --help >/dev/null 2>"$TMP/all.err"
check "every key uncommented: ismod accepts the file" test $? -eq 0 || cat "$TMP/all.err"
printf 'tick_ms: 1\n' >"$TMP/bad.yaml"
"$ISMOD" --config "$TMP/bad.yaml" --help >/dev/null 2>&1
check "  ... while an out-of-bounds value is refused" test $? -ne 0

if [ $FAILS -ne 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
fi
echo "all checks passed"
