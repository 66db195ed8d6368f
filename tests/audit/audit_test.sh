#!/usr/bin/env bash
# audit_test.sh ISMOD ISMO: the audit trail against a real ismod on free
# loopback ports: the chain grows with changes, verifies online and (after
# export) offline; one byte changed in a stored record, by editing the LMDB
# file while ismod is stopped, is reported by 'ismo audit verify' with that
# record's seq; an altered export line is named by 'verify-file'.
set -u
ISMOD=${1:?usage: audit_test.sh ISMOD ISMO}
ISMO=${2:?usage: audit_test.sh ISMOD ISMO}
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ismo-audit-test.XXXXXX")
SERVER_PID=

stop_server() { stop_pids 0.1 "$SERVER_PID"; SERVER_PID=; }
cleanup() { stop_server; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

loopback_endpoints
export USER=audit-test
ismo() { "$ISMO" --timeout-ms 5000 "$@"; }

start_server() {
    "$ISMOD" --data-dir "$TMP/data" --insecure --endpoint "$ISMO_ENDPOINT" --pub-endpoint "$ISMO_PUB_ENDPOINT" \
        --tick-ms 200 --no-sync true --audit-checkpoint-every 5 >>"$TMP/ismod.log" 2>&1 &
    SERVER_PID=$!
    await_ping ismod "$SERVER_PID" "$TMP/ismod.log" "$ISMO" --timeout-ms 200 ping
}

start_server
check "audit.key created with mode 0600" test "$(stat -c %a "$TMP/data/audit.key")" = 600
check "audit.pub holds 64 hex digits" grep -qE '^[0-9a-f]{64}$' "$TMP/data/audit.pub"
PUB=$(cat "$TMP/data/audit.pub")

cat >"$TMP/reg.yaml" <<'YAML'
objectives:
  - id: AUD-1
    title: Patch critical vulnerabilities within 14 days
    function: it-ops
    owner: alice
    metric: {name: patch latency, unit: days, direction: lower_is_better, baseline: 30, target: 14}
    start: 2025-01-01
    deadline: 2030-12-31
YAML
ismo import "$TMP/reg.yaml" >"$TMP/imp.out" 2>&1
check "import exits 0" test $? -eq 0
ismo audit export -o "$TMP/e0.jsonl" 2>/dev/null
N0=$(wc -l <"$TMP/e0.jsonl")
for v in 25 20 18 12; do ismo push AUD-1 $v >/dev/null 2>&1; done
ismo show NO-SUCH-OBJECTIVE-zq7 >/dev/null 2>&1
check "refused request answered NOT_FOUND (exit 1)" test $? -eq 1
ismo explain NO-SUCH-EXPLAIN-zq8 >/dev/null 2>&1
ismo ack NO-SUCH-ACK-zq9 >/dev/null 2>&1
ismo audit export -o "$TMP/e1.jsonl" 2>"$TMP/export.err"
N1=$(wc -l <"$TMP/e1.jsonl")
check "chain grows with changes ($N0 -> $N1 records)" test "$N1" -gt "$N0"
check "objective version recorded" grep -q '"action":"objective.put","subject":"AUD-1"' "$TMP/e1.jsonl"
check "sample batches recorded with a digest" grep -q '"action":"samples.push","subject":"AUD-1","detail":"accepted 1, duplicates 0, rejected 0; sha256 ' "$TMP/e1.jsonl"
check "status change recorded" grep -q '"action":"event.status"' "$TMP/e1.jsonl"
check "refusal recorded" grep -q '"action":"request.refused","subject":"NO-SUCH-OBJECTIVE-zq7".*NOT_FOUND' "$TMP/e1.jsonl"
check "refused Explain names its objective" grep -q '"action":"request.refused","subject":"NO-SUCH-EXPLAIN-zq8".*NOT_FOUND' "$TMP/e1.jsonl"
check "refused Ack names its objective" grep -q '"action":"request.refused","subject":"NO-SUCH-ACK-zq9".*NOT_FOUND' "$TMP/e1.jsonl"
check "checkpoints every 5 records, signed" grep -q '"seq":6,.*"action":"checkpoint".*"signature":"[0-9a-f]\{128\}"' "$TMP/e1.jsonl"
check "export names the public key" grep -q "$PUB" "$TMP/export.err"

ismo audit verify >"$TMP/v1.out" 2>&1
check "audit verify: intact (exit 0)" test $? -eq 0
check "audit verify: counts the records" grep -q "audit trail intact: [0-9]* records checked" "$TMP/v1.out"

ismo audit verify-file "$TMP/e1.jsonl" --public-key "$TMP/data/audit.pub" >"$TMP/vf1.out" 2>&1
check "verify-file of the export: intact (exit 0)" test $? -eq 0
check "verify-file: checkpoints verified" grep -q "signed checkpoints verified" "$TMP/vf1.out"

# one line altered: the refusal's detail
BAD_SEQ=$(grep '"action":"request.refused"' "$TMP/e1.jsonl" | head -1 | sed 's/^{"seq":\([0-9]*\),.*/\1/')
sed 's/NO-SUCH-OBJECTIVE-zq7/NO-SUCH-OBJECTIVE-zq8/g' "$TMP/e1.jsonl" >"$TMP/e1-bad.jsonl"
ismo audit verify-file "$TMP/e1-bad.jsonl" --public-key "$PUB" >"$TMP/vf2.out" 2>&1
check "verify-file of an altered line exits 1" test $? -eq 1
check "verify-file names the altered seq $BAD_SEQ" grep -q "audit chain broken at seq $BAD_SEQ:" "$TMP/vf2.out"
# a deleted line
sed '3d' "$TMP/e1.jsonl" >"$TMP/e1-del.jsonl"
ismo audit verify-file "$TMP/e1-del.jsonl" --public-key "$PUB" >"$TMP/vf3.out" 2>&1
check "verify-file names a deleted record (seq 3)" grep -q "audit chain broken at seq 3:" "$TMP/vf3.out"
# another server's key
OTHER=$(printf '%064d' 0 | tr 0 a)
ismo audit verify-file "$TMP/e1.jsonl" --public-key "$OTHER" >"$TMP/vf4.out" 2>&1
check "verify-file with a wrong public key names the first checkpoint" grep -q "audit chain broken at seq 6: checkpoint signature" "$TMP/vf4.out"

# one byte changed in the stored record, by editing data.mdb with ismod stopped
ismo backup "$TMP/bk-marker-q3x9" >/dev/null 2>&1
check "backup exits 0" test $? -eq 0
ismo audit export -o "$TMP/e2.jsonl" 2>/dev/null
TAMPER_SEQ=$(grep '"action":"backup"' "$TMP/e2.jsonl" | grep 'bk-marker-q3x9' | sed 's/^{"seq":\([0-9]*\),.*/\1/')
check "backup recorded (seq $TAMPER_SEQ)" test -n "$TAMPER_SEQ"
stop_server
python3 - "$TMP/data/data.mdb" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
needle = b'bk-marker-q3x9'
n, i = 0, b.find(needle)
while i >= 0:                       # every copy (LMDB keeps old pages too)
    b[i + 3] ^= 0x20                # 'm' -> 'M': one byte of the stored record
    n += 1
    i = b.find(needle, i + 1)
open(p, 'wb').write(b)
print("flipped", n, "occurrence(s)")
PY
start_server
ismo audit verify >"$TMP/v2.out" 2>&1
rc=$?
check "audit verify after editing data.mdb exits 1" test $rc -eq 1
check "audit verify names seq $TAMPER_SEQ" grep -q "audit chain broken at seq $TAMPER_SEQ:" "$TMP/v2.out"
cat "$TMP/v2.out"
ismo audit export -o "$TMP/e3.jsonl" 2>/dev/null
ismo audit verify-file "$TMP/e3.jsonl" --public-key "$PUB" >"$TMP/vf5.out" 2>&1
check "verify-file of the tampered store's export names seq $TAMPER_SEQ" \
    grep -q "audit chain broken at seq $TAMPER_SEQ:" "$TMP/vf5.out"

if [ $FAILS -ne 0 ]; then
    echo "$FAILS check(s) failed; ismod log:"; tail -20 "$TMP/ismod.log"
    exit 1
fi
echo "all audit checks passed"
