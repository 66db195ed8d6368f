#!/usr/bin/env bash
# Agent spool quota (issue 5), both policies, with ismod away: an agent with
# spool_max_bytes 64KiB offers 3,000 synthetic samples (--synthetic --once)
# to an endpoint where nothing listens, then sends them once ismod is up.
#   refuse:      the samples beyond the quota are refused (counted, logged);
#                the store holds exactly the spooled ones (state_dir/synthetic);
#   drop_oldest: every sample is spooled and the oldest are dropped for room
#                (counted, logged with their ids); the store holds exactly the
#                spooled ones minus the dropped ones.
# Both agents report their lost count (agent.loss_objective SP-LOSS-<policy>)
# once ismod answers: the objective's newest sample is the count, with id
# "<agent>:lost:<count>"; a second run does not report it again.
#
#   spool_full.sh ISMOD ISMO_AGENT REL_HELPER [ISMO_CLI]
set -u
ISMOD=${1:?ismod}; AGENT=${2:?ismo-agent}; HELPER=${3:?rel_helper}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
N=3000

T=$(mktemp -d /tmp/ismo-rel-spool-XXXXXX)
ISMOD_PID=""
cleanup() {
    [ -n "$ISMOD_PID" ] && kill -9 "$ISMOD_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for p in refuse drop_oldest; do echo "---- $p log (tail)"; tail -n 8 "$T/$p.log" 2>/dev/null; done
    exit 1
}

PORT=$(pick_port) || fail "no free port"
EP="tcp://127.0.0.1:$PORT"; PUB="tcp://127.0.0.1:$((PORT + 1))"
for policy in refuse drop_oldest; do
    agent_config "$T/$policy.yaml" "rel-$policy" spool "$T/$policy" "SP-$policy"
    sed -i "s/^  batch_max_samples: 500/  batch_max_samples: 500\n  spool_max_bytes: 64KiB\n  spool_full: $policy\n  loss_objective: SP-LOSS-$policy/; s/timeout_ms: 1500/timeout_ms: 300/; s/command: echo 1/command: exit 1/" "$T/$policy.yaml"
    step "$policy: $N samples, quota 64KiB, ismod away"
    "$AGENT" --config "$T/$policy.yaml" --synthetic $N --once 2>"$T/$policy.log"
    rc=$?
    [ $rc = 2 ] || fail "$policy: --once with the server away exited $rc, not 2"
    grep -o 'done: .*' "$T/$policy.log" | tail -n1
done
refused=$(grep -c 'refused (' "$T/refuse.log")
dropped=$(grep -c 'dropped oldest sample' "$T/drop_oldest.log")
spooled_r=$(wc -l <"$T/refuse/synthetic"); spooled_d=$(wc -l <"$T/drop_oldest/synthetic")
echo "refuse: $spooled_r spooled, $refused refused; drop_oldest: $spooled_d spooled, $dropped dropped"
[ $((spooled_r + refused)) -eq $N ] && [ "$refused" -gt 0 ] || fail "refuse: counts do not add up"
[ "$spooled_d" -eq $N ] && [ "$dropped" -gt 0 ] || fail "drop_oldest: counts do not add up"
grep -m1 'refused (' "$T/refuse.log"
grep -m1 'dropped oldest sample' "$T/drop_oldest.log"

step "ismod up: the spools drain"
start_ismod "$T/data" "$T/ismod.log" || fail "ismod did not start"
for policy in refuse drop_oldest; do
    "$HELPER" put "$EP" "SP-$policy" spool || fail "put"
    "$HELPER" put "$EP" "SP-LOSS-$policy" spool || fail "put"
    "$AGENT" --config "$T/$policy.yaml" --once 2>>"$T/$policy.log" || fail "$policy: spool not drained"
done
"$HELPER" verify "$EP" "$T/refuse/synthetic" -- SP-refuse || fail "refuse: store != spooled samples"
sed -n 's/.*dropped oldest sample \([^ ]*\) .*/\1/p' "$T/drop_oldest.log" | sort >"$T/dropped.ids"
sort "$T/drop_oldest/synthetic" | join -v1 -t "$(printf '\t')" - "$T/dropped.ids" >"$T/kept"
"$HELPER" verify "$EP" "$T/kept" -- SP-drop_oldest || fail "drop_oldest: store != spooled minus dropped"
step "loss reports"
printf 'rel-refuse:lost:%s\tSP-LOSS-refuse\t%s\n' "$refused" "$refused" >"$T/loss.refuse"
printf 'rel-drop_oldest:lost:%s\tSP-LOSS-drop_oldest\t%s\n' "$dropped" "$dropped" >"$T/loss.drop_oldest"
for policy in refuse drop_oldest; do
    "$AGENT" --config "$T/$policy.yaml" --once 2>>"$T/$policy.log" || fail "$policy: second run"
    "$HELPER" verify "$EP" "$T/loss.$policy" -- "SP-LOSS-$policy" || fail "$policy: loss report missing or repeated"
    grep -m1 'reported .* samples lost' "$T/$policy.log"
done
echo "PASS: refuse kept the oldest $spooled_r and refused $refused; drop_oldest kept the newest $(wc -l <"$T/kept") and dropped $dropped; each stored once"
