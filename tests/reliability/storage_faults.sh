#!/usr/bin/env bash
# Storage faults (issue 5):
#   a. map limit: ismod with --map-max-bytes 2MiB; push until a STORAGE_FULL
#      reply (not a crash); status and a read of every sample still work;
#      restart with 64MiB: writes accepted again; mdb_stat -a exits 0.
#   b. full disk: the data dir on an 8 MiB tmpfs the test mounts (root only;
#      skipped with a message otherwise), partly taken by a filler file; push
#      until STORAGE_FULL; ismod keeps serving reads; delete the filler:
#      writes accepted again; mdb_stat -a exits 0 and every stored sample is
#      read back (count = Status.total_samples, ids distinct), also after a
#      restart. The tmpfs is unmounted in a trap.
#
#   storage_faults.sh ISMOD ISMO_AGENT REL_HELPER [ISMO_CLI]
set -u
ISMOD=${1:?ismod}; AGENT=${2:?ismo-agent}; HELPER=${3:?rel_helper}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

T=$(mktemp -d /tmp/ismo-rel-disk-XXXXXX)
ISMOD_PID=""; MNT=""
cleanup() {
    [ -n "$ISMOD_PID" ] && kill -9 "$ISMOD_PID" 2>/dev/null
    wait 2>/dev/null
    [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    echo "---- ismod log (tail)"; tail -n 20 "$T/ismod.log" 2>/dev/null
    exit 1
}
command -v mdb_stat >/dev/null || fail "mdb_stat missing (apt-get install lmdb-utils)"

PORT=$(pick_port) || fail "no free port"
EP="tcp://127.0.0.1:$PORT"; PUB="tcp://127.0.0.1:$((PORT + 1))"

total_samples() { "$HELPER" status "$EP" | sed -n "s/^$1 .*total_samples=\([0-9]*\).*/\1/p"; }
reads_work() { # reads_work OBJ: status and every sample readable, counts agree
    local st cnt
    st=$(total_samples "$1") || return 1
    cnt=$("$HELPER" count "$EP" "$1") || return 1
    echo "  reads: $cnt; Status.total_samples $st"
    echo "$cnt" | grep -q ": $st samples read, $st distinct ids"
}

step "a. map limit: --map-max-bytes 2MiB"
start_ismod "$T/data" "$T/ismod.log" --map-size-bytes 1MiB --map-max-bytes 2MiB || fail "ismod did not start"
"$HELPER" put "$EP" REL-MAP disk || fail "put"
"$HELPER" fill "$EP" REL-MAP 500 400 || fail "a: no STORAGE_FULL reply"
kill -0 "$ISMOD_PID" || fail "a: ismod died"
reads_work REL-MAP || fail "a: reads after STORAGE_FULL"
grep -E "store: map size grown|storage full" "$T/ismod.log" | head -n 2 | sed 's/^/  log: /'
stop_pid "$ISMOD_PID"; ISMOD_PID=""
mdb_stat -a "$T/data" >"$T/mdb_stat_a.txt" 2>&1 || { cat "$T/mdb_stat_a.txt"; fail "a: mdb_stat -a failed"; }
echo "  mdb_stat -a: exit 0, $(grep -c 'Status of' "$T/mdb_stat_a.txt") databases"
step "a. restart with --map-max-bytes 64MiB"
start_ismod "$T/data" "$T/ismod.log" --map-max-bytes 64MiB || fail "ismod did not restart"
"$HELPER" push "$EP" REL-MAP 1000 || fail "a: writes refused after raising the limit"
reads_work REL-MAP || fail "a: reads after raising the limit"
stop_pid "$ISMOD_PID"; ISMOD_PID=""
mdb_stat -a "$T/data" >/dev/null 2>&1 || fail "a: mdb_stat -a failed at the end"
echo "a: PASS"

step "b. full disk: 8 MiB tmpfs"
if [ "$(id -u)" != 0 ]; then
    echo "SKIP b: mounting a tmpfs needs root"
    echo "PASS (a only)"
    exit 0
fi
mkdir -p "$T/mnt"
mount -t tmpfs -o size=8m tmpfs "$T/mnt" || { echo "SKIP b: mount -t tmpfs failed (no CAP_SYS_ADMIN?)"; echo "PASS (a only)"; exit 0; }
MNT="$T/mnt"
dd if=/dev/zero of="$MNT/filler" bs=1M count=3 status=none || fail "b: filler"
start_ismod "$MNT/data" "$T/ismod-b.log" || fail "b: ismod did not start on the tmpfs"
"$HELPER" put "$EP" REL-DISK disk || fail "b: put"
FAILED=""
if ! "$HELPER" fill "$EP" REL-DISK 500 400 2>"$T/fill_b.err"; then
    # keep going: the rest of b (reads, recovery, no damage) is still worth knowing
    FAILED="b: a full disk did not give STORAGE_FULL replies only ($(sort "$T/fill_b.err" | sed 's/^rel_helper: batch [0-9]*: //' | uniq -c | head -n 3 | tr -s ' \n' ' '))"
    echo "FAIL (continuing): $FAILED"
    grep -m2 -E "ERROR (store|server)" "$T/ismod-b.log" | sed 's/^/  log: /'
fi
echo "  tmpfs: $(df -k "$MNT" | awk 'NR==2 {print $3 " KiB used, " $4 " KiB free"}')"
kill -0 "$ISMOD_PID" || fail "b: ismod died on a full disk"
reads_work REL-DISK || fail "b: reads on a full disk"
"$HELPER" push "$EP" REL-DISK 500 >/dev/null 2>&1 && echo "  (a push of 500 still fitted)"
step "b. delete the filler; writes again"
rm -f "$MNT/filler"
"$HELPER" push "$EP" REL-DISK 1000 || fail "b: writes refused after freeing space"
reads_work REL-DISK || fail "b: reads after freeing space"
stop_pid "$ISMOD_PID"; ISMOD_PID=""
mdb_stat -a "$MNT/data" >"$T/mdb_stat_b.txt" 2>&1 || { cat "$T/mdb_stat_b.txt"; fail "b: mdb_stat -a failed"; }
echo "  mdb_stat -a: exit 0"
start_ismod "$MNT/data" "$T/ismod-b.log" || fail "b: ismod did not restart"
reads_work REL-DISK || fail "b: reads after restart"
echo "  data.mdb $(stat -c %s "$MNT/data/data.mdb") bytes"
stop_pid "$ISMOD_PID"; ISMOD_PID=""
[ -z "$FAILED" ] || fail "$FAILED"
echo "PASS: map limit and full disk give STORAGE_FULL replies, reads keep working, writes resume, no damage"
