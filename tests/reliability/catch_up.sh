#!/usr/bin/env bash
# Subscriber catch-up (issue 5): an ismo-agent whose hook appends
# ISMO_EVENT_SEQ to a file must run the hook for every status event of its
# function, in order, once each:
#   A. the agent is stopped while 1,000 events are published (1,000 samples
#      that flip an objective's health), then restarted;
#   B. the agent's TCP connection to the PUB socket is silently dropped (no
#      FIN, no RST: iptables DROP both ways on the loopback PUB port, removed
#      in a trap) while another 1,000 are published, and later restored.
# The agent runs with catch_up_s 3600, so only a start, a doorbell or the
# heartbeat (gap / no heartbeat for 3 s -> reconnect) can make it catch up.
# When ismod publishes no heartbeat yet, B uses catch_up_s 5 and says so.
# B needs root and iptables; without them it is skipped with a message.
#
#   catch_up.sh ISMOD ISMO_AGENT REL_HELPER [ISMO_CLI]
set -u
ISMOD=${1:?ismod}; AGENT=${2:?ismo-agent}; HELPER=${3:?rel_helper}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
N=${ISMO_REL_EVENTS:-1000}

T=$(mktemp -d /tmp/ismo-rel-sub-XXXXXX)
ISMOD_PID=""; AGENT_PID=""; RULES=()
cleanup() {
    for r in "${RULES[@]}"; do iptables -D INPUT $r 2>/dev/null; done
    [ -n "$AGENT_PID" ] && kill -9 "$AGENT_PID" 2>/dev/null
    [ -n "$ISMOD_PID" ] && kill -9 "$ISMOD_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    echo "---- agent log (tail)"; grep -v 'hook: seq=' "$T/agent.log" 2>/dev/null | tail -n 20
    echo "---- ismod log (tail)"; tail -n 10 "$T/ismod.log" 2>/dev/null
    exit 1
}

PORT=$(pick_port) || fail "no free port"
EP="tcp://127.0.0.1:$PORT"; PUBPORT=$((PORT + 1)); PUB="tcp://127.0.0.1:$PUBPORT"
step "ismod on $EP; objective REL-SUB of function subs"
start_ismod "$T/data" "$T/ismod.log" || fail "ismod did not start"
"$HELPER" put "$EP" REL-SUB subs || fail "put"

HEARTBEAT=1
if ! "$HELPER" heartbeat "$PUB" 3 >/dev/null; then
    HEARTBEAT=0
    echo "NOTE: ismod publishes no \"heartbeat.\" message (not implemented yet?): part B relies on catch_up_s 5"
fi
write_config() { # write_config CATCH_UP_S
    cat >"$T/agent.yaml" <<YAML
agent:
  name: rel-sub
  function: subs
  state_dir: $T/state
server:
  endpoint: $EP
  pub_endpoint: $PUB
  timeout_ms: 1000
  retry_min_ms: 100
  retry_max_ms: 1000
subscription:
  kinds: [status]
  hook: 'echo "\$ISMO_EVENT_SEQ" >> $T/hook.seq'
  catch_up_s: $1
  heartbeat_timeout_s: 3
  max_event_age_s: 0
YAML
}
start_agent() {
    "$AGENT" --config "$T/agent.yaml" --log-level debug 2>>"$T/agent.log" &
    AGENT_PID=$!
}
# the hook file equals the stored status events of subs, in order
caught_up() {
    "$HELPER" events "$EP" subs status >"$T/want.seq" || return 1
    [ -s "$T/want.seq" ] && cmp -s "$T/want.seq" "$T/hook.seq"
}
check_once_in_order() {
    local what=$1 lines uniq
    lines=$(wc -l <"$T/hook.seq"); uniq=$(sort -un "$T/hook.seq" | wc -l)
    echo "$what: events stored $(wc -l <"$T/want.seq"), hook runs $lines, distinct $uniq"
    [ "$lines" -eq "$uniq" ] || fail "$what: a hook ran twice for one event"
    sort -n -c "$T/hook.seq" || fail "$what: hooks out of order"
    cmp -s "$T/want.seq" "$T/hook.seq" || fail "$what: hook runs differ from stored events"
}

write_config 3600
touch "$T/hook.seq"
start_agent
"$HELPER" flip "$EP" REL-SUB 10 >/dev/null || fail "flip"
wait_for 20 caught_up || fail "the running agent did not handle the first events"

step "A: agent stopped while $N events are published"
stop_pid "$AGENT_PID"; AGENT_PID=""
before=$(wc -l <"$T/hook.seq")
"$HELPER" flip "$EP" REL-SUB "$N" || fail "flip"
start_agent
wait_for 120 caught_up || { check_once_in_order A; fail "A: not caught up in 120 s"; }
check_once_in_order A
ran=$(( $(wc -l <"$T/hook.seq") - before ))
echo "A: $ran hooks ran after the restart for the $N events published while stopped"
[ "$ran" -eq "$N" ] || fail "A: $ran hooks for $N events"

step "B: the agent's PUB connection silently dropped while $N events are published"
if [ "$(id -u)" != 0 ] || ! command -v iptables >/dev/null || ! iptables -L INPUT -n >/dev/null 2>&1; then
    echo "SKIP B: needs root and a working iptables (apt-get install iptables)"
    echo "PASS (A only): $N events while stopped, each hook once, in order"
    exit 0
fi
if [ $HEARTBEAT = 0 ]; then
    stop_pid "$AGENT_PID"; AGENT_PID=""
    write_config 5
    start_agent
fi
wait_for 10 caught_up || fail "B: not caught up before the cut"
before=$(wc -l <"$T/hook.seq")
"$HELPER" flip "$EP" REL-SUB "$N" >/dev/null &
FLIP_PID=$!
# cut mid-stream: once the hook has seen a tenth of the new events
hooks_at_least() { [ "$(wc -l <"$T/hook.seq")" -ge "$1" ]; }
wait_for 30 hooks_at_least $((before + N / 10)) || fail "B: no events before the cut"
RULES=("-i lo -p tcp --dport $PUBPORT -j DROP" "-i lo -p tcp --sport $PUBPORT -j DROP")
for r in "${RULES[@]}"; do iptables -I INPUT $r || fail "iptables -I INPUT $r"; done
cut_at=$(wc -l <"$T/hook.seq")
echo "B: PUB port $PUBPORT dropped both ways (no FIN) after $((cut_at - before)) hooks"
wait "$FLIP_PID" || fail "B: flip failed"
sleep 8
for r in "${RULES[@]}"; do iptables -D INPUT $r; done
RULES=()
echo "B: rule removed after 8 s of silence"
wait_for 60 caught_up || { check_once_in_order B; fail "B: not caught up 60 s after the cut ended"; }
check_once_in_order B
ran=$(( $(wc -l <"$T/hook.seq") - before ))
echo "B: $ran hooks for the $N events published around the cut"
[ "$ran" -eq "$N" ] || fail "B: $ran hooks for $N events"
if [ $HEARTBEAT = 1 ]; then
    grep -q "no heartbeat on $PUB" "$T/agent.log" || fail "B: the agent did not notice the missing heartbeat"
    grep -m1 "no heartbeat on" "$T/agent.log"
fi
stop_pid "$AGENT_PID"; AGENT_PID=""
echo "PASS: 2 x $N events (stopped subscriber; silently dropped connection), each hook once, in order"
