#!/usr/bin/env bash
# Backup under load (issue 5): `ismo backup DIR` while two clients push
# samples; restore = a second ismod with --data-dir DIR. The restored server
# must answer, for the copy's last_seq point:
#   - the same events 1..last_seq as the source (seq, kind, objective);
#   - for every objective no load touched, the same status as the source
#     (health, value, total_samples, last sample time);
#   - for the loaded ones, a status consistent with its own samples
#     (total_samples = samples read back, ids distinct) and no more samples
#     than the source;
# then, with the load stopped, a second backup (restored with the source's
# audit key) restores to a server whose status equals the source's objective
# by objective and whose audit trail verifies. mdb_stat -a on both copies.
#
#   backup.sh ISMOD ISMO_AGENT REL_HELPER ISMO_CLI
set -u
ISMOD=${1:?ismod}; AGENT=${2:?ismo-agent}; HELPER=${3:?rel_helper}; CLI=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

if [ -z "$CLI" ] || ! "$CLI" --help 2>&1 | grep -q "backup"; then
    echo "SKIP: 'ismo backup' does not exist in this build (BackupRequest / ismo backup DIR missing)"
    exit 0
fi
T=$(mktemp -d /tmp/ismo-rel-backup-XXXXXX)
ISMOD_PID=""; R_PID=""; LOADS=()
cleanup() {
    for p in "${LOADS[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$R_PID" ] && kill -9 "$R_PID" 2>/dev/null
    [ -n "$ISMOD_PID" ] && kill -9 "$ISMOD_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    echo "---- ismod log (tail)"; tail -n 10 "$T/ismod.log" 2>/dev/null
    echo "---- restored ismod log (tail)"; tail -n 10 "$T/restore.log" 2>/dev/null
    exit 1
}

PORT=$(pick_port) || fail "no free port"
EP="tcp://127.0.0.1:$PORT"; PUB="tcp://127.0.0.1:$((PORT + 1))"
SRC_EP=$EP
step "source ismod on $EP; 6 objectives, 2 of them under load"
start_ismod "$T/data" "$T/ismod.log" || fail "ismod did not start"
for o in BK-1 BK-2 BK-3 BK-4 BK-LOAD-1 BK-LOAD-2; do "$HELPER" put "$EP" "$o" bk || fail "put $o"; done
for o in BK-1 BK-2 BK-3 BK-4; do "$HELPER" push "$EP" "$o" 2000 >/dev/null || fail "push $o"; done
"$HELPER" flip "$EP" BK-2 7 >/dev/null || fail "flip"
for o in BK-LOAD-1 BK-LOAD-2; do
    "$HELPER" load "$EP" "$o" 30 >"$T/$o.load" 2>&1 &
    LOADS+=($!)
done
sleep 2

restore_start() { # restore_start DIR: ismod on the copy, other ports
    local rp; rp=$(pick_port) || fail "no free port"
    EP="tcp://127.0.0.1:$rp"; PUB="tcp://127.0.0.1:$((rp + 1))"
    start_ismod "$1" "$T/restore.log" || fail "restored ismod did not start on $1"
    R_PID=$ISMOD_PID; R_EP=$EP
    EP=$SRC_EP; ISMOD_PID=$SRC_PID
}
SRC_PID=$ISMOD_PID

step "backup 1, under load"
"$CLI" --endpoint "$SRC_EP" backup "$T/backup1" | tee "$T/backup1.out" || fail "ismo backup under load"
seq1=$(sed -n 's/.*events up to seq \([0-9]*\).*/\1/p' "$T/backup1.out")
[ -n "$seq1" ] || fail "no last_seq in the backup output"
sleep 1
for p in "${LOADS[@]}"; do kill "$p"; wait "$p"; done
LOADS=()
cat "$T"/BK-LOAD-*.load
mdb_stat -a "$T/backup1" >/dev/null 2>&1 || fail "mdb_stat -a on backup 1"
restore_start "$T/backup1"
"$HELPER" events "$SRC_EP" "" all | awk -v s="$seq1" '$1 <= s' >"$T/src.events"
"$HELPER" events "$R_EP" "" all >"$T/r1.events"
cmp -s "$T/src.events" "$T/r1.events" || { diff "$T/src.events" "$T/r1.events" | head; fail "events 1..$seq1 differ"; }
echo "backup 1: events 1..$seq1 identical ($(wc -l <"$T/r1.events") events)"
"$HELPER" status "$SRC_EP" >"$T/src.status" || fail "status (source)"
"$HELPER" status "$R_EP" >"$T/r1.status" || fail "status (restored 1)"
same=0
for o in BK-1 BK-2 BK-3 BK-4; do
    a=$(grep "^$o " "$T/src.status"); b=$(grep "^$o " "$T/r1.status")
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "restored status of $o differs: source '$a', restored '$b'"
    same=$((same + 1))
done
for o in BK-LOAD-1 BK-LOAD-2; do
    st=$(grep "^$o " "$T/r1.status" | sed -n 's/.*total_samples=\([0-9]*\).*/\1/p')
    src=$(grep "^$o " "$T/src.status" | sed -n 's/.*total_samples=\([0-9]*\).*/\1/p')
    cnt=$("$HELPER" count "$R_EP" "$o") || fail "read $o from the restored server"
    echo "backup 1: $o: restored total_samples $st of the source's $src; $cnt"
    echo "$cnt" | grep -q ": $st samples read, $st distinct ids" || fail "$o: restored status and samples disagree"
    [ "$st" -le "$src" ] || fail "$o: restored has more samples than the source"
    [ "$st" -gt 0 ] || fail "$o: the backup holds no load samples; the load did not overlap"
done
echo "backup 1: $same idle objectives with identical status; 2 loaded objectives consistent"
kill "$R_PID"; wait "$R_PID" 2>/dev/null; R_PID=""

step "backup 2, load stopped: every objective's status equal"
"$CLI" --endpoint "$SRC_EP" backup "$T/backup2" | tee "$T/backup2.out" || fail "ismo backup"
mdb_stat -a "$T/backup2" >/dev/null 2>&1 || fail "mdb_stat -a on backup 2"
echo "source data.mdb $(stat -c %s "$T/data/data.mdb") bytes; compacted copy $(stat -c %s "$T/backup2/data.mdb") bytes"
# restore = the copy plus the audit key (the backup holds data.mdb only)
for k in audit.key audit.pub; do [ -f "$T/data/$k" ] && cp -p "$T/data/$k" "$T/backup2/"; done
restore_start "$T/backup2"
"$HELPER" status "$SRC_EP" >"$T/src.status" || fail "status (source)"
"$HELPER" status "$R_EP" >"$T/r2.status" || fail "status (restored 2)"
diff "$T/src.status" "$T/r2.status" || fail "restored status differs"
echo "backup 2: $(wc -l <"$T/r2.status") objectives, status identical:"
sed 's/^/  /' "$T/r2.status"
if "$CLI" --help 2>&1 | grep -q "audit verify"; then
    "$CLI" --endpoint "$R_EP" audit verify | tee "$T/audit.out" || fail "audit verify on the restored server"
    grep -q "intact" "$T/audit.out" || fail "restored audit trail not intact"
fi
# the restored server takes writes
"$HELPER" push "$R_EP" BK-1 10 >/dev/null || fail "the restored server refuses writes"
"$CLI" --endpoint "$SRC_EP" backup "$T/backup2" >/dev/null 2>&1 && fail "backup into an existing directory was accepted"
echo "PASS: backup under load restores consistently; quiescent backup restores to identical status"
