#!/usr/bin/env bash
# Kill loop (issue 5): three agents push 100,000 samples in total (ismo-agent
# --synthetic, the collectors' spool path) while ismod is killed with SIGKILL
# and restarted every ~2 s (up 1.4 s, down 0.6 s; at most MAX_CYCLES times). Afterwards the store
# must hold every sample the agents spooled exactly once: count, distinct ids,
# and an order-independent checksum of (id, value) compared with the agents'
# own lists (state_dir/synthetic), plus the sum of Status.total_samples.
#
#   kill_loop.sh ISMOD ISMO_AGENT REL_HELPER [ISMO_CLI]
# The agents are paced (--synthetic-rate) to spread the samples over ~24 s, so
# the run takes as long under AddressSanitizer as without (measured: 25.7 s
# under ASan for the full 100,000); ISMO_REL_TOTAL overrides the total.
set -u
ISMOD=${1:?ismod}; AGENT=${2:?ismo-agent}; HELPER=${3:?rel_helper}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
TOTAL=${ISMO_REL_TOTAL:-100000}
MAX_CYCLES=${ISMO_REL_CYCLES:-25}
LOAD_S=${ISMO_REL_LOAD_S:-24}     # the agents spread their samples over this many seconds
RATE=$(( (TOTAL / 3) / LOAD_S + 1 ))

T=$(mktemp -d /tmp/ismo-rel-kill-XXXXXX)
ISMOD_PID=""; PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    [ -n "$ISMOD_PID" ] && kill -9 "$ISMOD_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for a in a1 a2 a3; do echo "---- $a log (tail)"; tail -n 15 "$T/$a.log" 2>/dev/null; done
    echo "---- ismod log (tail)"; tail -n 20 "$T/ismod.log" 2>/dev/null
    exit 1
}

PORT=$(pick_port) || fail "no free port"
EP="tcp://127.0.0.1:$PORT"; PUB="tcp://127.0.0.1:$((PORT + 1))"
step "ismod on $EP; objectives REL-A REL-B REL-C"
start_ismod "$T/data" "$T/ismod.log" || fail "ismod did not start"
for o in REL-A REL-B REL-C; do "$HELPER" put "$EP" "$o" rel || fail "put $o"; done

N1=$((TOTAL / 3)); N2=$((TOTAL / 3)); N3=$((TOTAL - N1 - N2))
step "three agents, $N1 + $N2 + $N3 = $TOTAL synthetic samples at $RATE/s each"
i=0
for n in $N1 $N2 $N3; do
    i=$((i + 1))
    agent_config "$T/a$i.yaml" "rel-a$i" rel "$T/a$i" REL-A REL-B REL-C
    "$AGENT" --config "$T/a$i.yaml" --synthetic "$n" --synthetic-rate "$RATE" 2>"$T/a$i.log" &
    PIDS+=($!)
done

alive() { for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
cycles=0; busy_kills=0
start=$SECONDS
while [ $cycles -lt $MAX_CYCLES ] && alive; do
    sleep 1.4
    alive && busy_kills=$((busy_kills + 1))
    kill -9 "$ISMOD_PID"; wait "$ISMOD_PID" 2>/dev/null
    cycles=$((cycles + 1))
    sleep 0.6   # down long enough for requests to time out and the spools to grow
    start_ismod "$T/data" "$T/ismod.log" || fail "ismod did not restart (cycle $cycles)"
done
step "ismod killed and restarted $cycles times ($busy_kills while agents were still sending) in $((SECONDS - start)) s"
[ $busy_kills -ge 3 ] || fail "fewer than 3 kills overlapped the load; the test proves nothing"

deadline=$((SECONDS + 150))
for p in "${PIDS[@]}"; do
    while kill -0 "$p" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    kill -0 "$p" 2>/dev/null && fail "agent $p still sending after 150 s"
    wait "$p" || fail "agent $p exited with $?"
done
PIDS=()
for i in 1 2 3; do
    echo "agent a$i: $(grep -o 'stopped: .*' "$T/a$i.log" | tail -n1)"
done
refused=$(grep -ho 'refused [0-9]*)' "$T"/a?.log | head -n1)
dups=$(grep -ho 'stopped: .*' "$T"/a?.log | sed -n 's/.*duplicates \([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
noreply=$(cat "$T"/a?.log | grep -c 'no reply to a batch\|not sent')
echo "agents: $noreply batches unanswered or failed (kept and re-sent), $dups samples acknowledged as duplicates (stored before a kill, re-sent after)"
step "store against the agents' lists"
"$HELPER" verify "$EP" "$T/a1/synthetic" "$T/a2/synthetic" "$T/a3/synthetic" -- REL-A REL-B REL-C \
    || fail "store does not hold every spooled sample exactly once"
listed=$(cat "$T"/a?/synthetic | wc -l)
[ "$listed" -eq "$TOTAL" ] || fail "agents spooled $listed of $TOTAL ($refused)"
sum=$("$HELPER" status "$EP" | sed -n 's/.*total_samples=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s}')
echo "sum of Status.total_samples: $sum"
[ "$sum" -eq "$TOTAL" ] || fail "total_samples $sum != $TOTAL"
echo "PASS: $TOTAL samples from 3 agents, $cycles SIGKILL restarts of ismod, each sample stored exactly once"
