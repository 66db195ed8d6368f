#!/usr/bin/env bash
# Integration test of ismo-agent against a real ismod (ctest label "integration").
#
#   agent_test.sh ISMOD ISMO_AGENT HELPER [ISMO_CLI]   (ISMO_CLI: also check `ismo status`)
#
# 1. start ismod on free loopback ports with a temporary data dir;
# 2. create objectives (HELPER, a small libismo client); start the agent with
#    two 1 s collectors and the log-event.sh hook; wait for samples;
# 3. create an objective due in 1 day (it-ops) and one of another function
#    (hr): the hook must run once for the it-ops reminder and never for hr;
#    A third collector measures an objective created only later: its samples
#    are parked (NOT_FOUND), then stored once the objective exists.
# 4. kill -9 ismod; the agent keeps measuring into its spool; kill -9 the
#    agent too and restart it (the spool and the sequence survive);
# 5. restart ismod on the same data dir and ports; the spool drains;
# 5b. ismod stops, a second ismod (same data dir, other ports) stores a
#    reminder of the agent's function, ismod restarts: the heartbeat's seq
#    makes the agent catch up and run the hook (catch_up_s is 3600 here);
# 6. retire one objective: its further samples are refused (CONFLICT) and
#    kept in state_dir/rejected;
# 7. SIGTERM the agent; every sample the agent spooled is stored exactly
#    once (sample ids unique) or listed as rejected, none missing; no hook
#    ran twice.
# Bounded: every wait has a deadline; a trap kills what we started.
set -u
ISMOD=${1:?ismod path}
AGENT=${2:?ismo-agent path}
HELPER=${3:?agent_test_helper path}
CLI=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
HOOK="$HERE/../../examples/agents/hooks/log-event.sh"

T=$(mktemp -d /tmp/ismo-agent-it-XXXXXX)
ISMOD_PID=""
AGENT_PID=""
cleanup() {
    [ -n "$AGENT_PID" ] && kill -9 "$AGENT_PID" 2>/dev/null
    [ -n "$ISMOD_PID" ] && kill -9 "$ISMOD_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    echo "---- agent log (tail) ----"; tail -n 40 "$T/agent.log" 2>/dev/null
    echo "---- ismod log (tail) ----"; tail -n 20 "$T/ismod.log" 2>/dev/null
    exit 1
}
PORT=$(pick_port) || fail "no free port"
EP="tcp://127.0.0.1:$PORT"
PUB="tcp://127.0.0.1:$((PORT + 1))"

start_ismod() {
    "$ISMOD" --data-dir "$T/data" --insecure --endpoint "$EP" --pub-endpoint "$PUB" --tick-ms 200 \
        >>"$T/ismod.log" 2>&1 &
    ISMOD_PID=$!
    wait_for 10 "$HELPER" ping "$EP" || fail "ismod did not answer on $EP"
}
start_agent() {
    ISMO_HOOK_LOG="$T/hook.log" "$AGENT" --config "$T/agent.yaml" --log-level debug \
        >>"$T/agent.out" 2>>"$T/agent.log" &
    AGENT_PID=$!
}
stored_ids() { "$HELPER" ids "$EP" "$1"; }
count_stored() { stored_ids "$1" | grep -c . ; }
at_least() { [ "$(count_stored "$1")" -ge "$2" ]; }
spool_bytes() { stat -c %s "$T/state/spool" 2>/dev/null || echo 0; }
spool_empty() { [ "$(spool_bytes)" -le 32 ]; }
hook_ran_for() { grep -q "objective=$1 reminder=deadline_approaching" "$T/hook.log" 2>/dev/null; }

cat >"$T/agent.yaml" <<YAML
agent:
  name: it-web1
  function: it-ops
  state_dir: $T/state
server:
  endpoint: "$EP"
  pub_endpoint: "$PUB"
  timeout_ms: 1000
  retry_min_ms: 200
  retry_max_ms: 1500
  not_found_retry_s: 1
collectors:
  - name: avail
    objective: OBJ-AGT-AVAIL
    command: "echo 99.5"
    interval_s: 1
    timeout_s: 2
  - name: counter
    objective: OBJ-AGT-COUNT
    command: "echo \$(( \$(date +%s) % 7 ))"
    interval_s: 1
    timeout_s: 2
  - name: late
    objective: OBJ-AGT-LATE
    command: "echo 7"
    interval_s: 1
    timeout_s: 2
subscription:
  kinds: [reminder]
  hook: "$HOOK"
  hook_timeout_s: 5
  # no periodic catch-up and no reconnect for a missing heartbeat within the
  # test: a start, a published event (doorbell) or a heartbeat whose seq is
  # beyond what the agent has seen must make it catch up
  catch_up_s: 3600
  heartbeat_timeout_s: 600
YAML

step "start ismod on $EP / $PUB"
start_ismod
DAY_MS=86400000
"$HELPER" put "$EP" OBJ-AGT-AVAIL it-ops $((90 * DAY_MS)) || fail "put OBJ-AGT-AVAIL"
"$HELPER" put "$EP" OBJ-AGT-COUNT it-ops $((90 * DAY_MS)) || fail "put OBJ-AGT-COUNT"

step "start the agent; samples arrive"
start_agent
wait_for 15 at_least OBJ-AGT-AVAIL 3 || fail "no samples of OBJ-AGT-AVAIL stored"
wait_for 10 at_least OBJ-AGT-COUNT 3 || fail "no samples of OBJ-AGT-COUNT stored"

step "a reminder of the agent's function runs the hook; another function's does not"
"$HELPER" put "$EP" OBJ-AGT-DUE it-ops $((DAY_MS - 60000)) || fail "put OBJ-AGT-DUE"
"$HELPER" put "$EP" OBJ-HR-DUE hr $((DAY_MS - 60000)) || fail "put OBJ-HR-DUE"
wait_for 20 hook_ran_for OBJ-AGT-DUE || fail "the hook did not run for OBJ-AGT-DUE's reminder"

step "samples of an objective not imported yet are parked, then stored once it exists"
wait_for 10 sh -c "[ \$(stat -c %s '$T/state/parked') -gt 32 ]" || fail "nothing parked for OBJ-AGT-LATE"
n=$(stored_ids OBJ-AGT-LATE 2>/dev/null | grep -c .)
[ "${n:-0}" -eq 0 ] || fail "OBJ-AGT-LATE stored before it existed"
"$HELPER" put "$EP" OBJ-AGT-LATE it-ops $((90 * DAY_MS)) || fail "put OBJ-AGT-LATE"
wait_for 10 at_least OBJ-AGT-LATE 3 || fail "parked samples of OBJ-AGT-LATE not stored after import"

step "ismod crashes; the agent spools"
kill -9 "$ISMOD_PID"; wait "$ISMOD_PID" 2>/dev/null; ISMOD_PID=""
sleep 3
[ "$(spool_bytes)" -gt 32 ] || fail "nothing spooled while ismod was down"

step "the agent crashes too, and is restarted while ismod is still down"
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; AGENT_PID=""
start_agent
sleep 3
grep -q "samples (.* bytes) waiting from before" "$T/agent.log" || fail "the restarted agent found no spool"

step "ismod restarts on the same data dir and ports; the spool drains"
start_ismod
wait_for 30 spool_empty || fail "spool not drained after ismod came back ($(spool_bytes) bytes)"
wait_for 10 sh -c "[ \$(stat -c %s '$T/state/parked') -le 32 ]" || fail "parked spool not drained"
sleep 1.5

step "a reminder published while the agent's subscription was away runs the hook (heartbeat gap)"
# ismod stops; a second ismod on the same data dir and other ports stores a
# reminder of the agent's function (published where the agent does not
# listen); ismod restarts on its ports: its heartbeat (newest stored seq) is
# the agent's only way to learn of the missed event
kill -TERM "$ISMOD_PID"; wait "$ISMOD_PID" 2>/dev/null; ISMOD_PID=""
PORT2=$(pick_port) || fail "no free port"
"$ISMOD" --data-dir "$T/data" --insecure --endpoint "tcp://127.0.0.1:$PORT2" \
    --pub-endpoint "tcp://127.0.0.1:$((PORT2 + 1))" --tick-ms 200 >>"$T/ismod2.log" 2>&1 &
ISMOD_PID=$!
wait_for 10 "$HELPER" ping "tcp://127.0.0.1:$PORT2" || fail "second ismod did not answer"
"$HELPER" put "tcp://127.0.0.1:$PORT2" OBJ-AGT-GAP it-ops $((DAY_MS - 60000)) || fail "put OBJ-AGT-GAP"
wait_for 10 grep -q "reminder #[0-9]* OBJ-AGT-GAP" "$T/ismod2.log" || fail "no reminder of OBJ-AGT-GAP stored"
kill -TERM "$ISMOD_PID"; wait "$ISMOD_PID" 2>/dev/null; ISMOD_PID=""
hook_ran_for OBJ-AGT-GAP && fail "the hook ran for OBJ-AGT-GAP before ismod was back"
start_ismod
wait_for 20 hook_ran_for OBJ-AGT-GAP || fail "the hook did not run for the reminder missed while away"
grep -q "heartbeat seq [0-9]* > [0-9]*: catching up" "$T/agent.log" ||
    fail "the agent did not catch up on the heartbeat"

step "samples of a retired objective are refused by the server and kept in state_dir/rejected"
"$HELPER" retire "$EP" OBJ-AGT-COUNT || fail "retire OBJ-AGT-COUNT"
wait_for 10 grep -q "OBJ-AGT-COUNT.*CONFLICT" "$T/state/rejected" ||
    fail "no rejected line for the retired OBJ-AGT-COUNT"

step "SIGTERM the agent"
kill -TERM "$AGENT_PID"
for _ in $(seq 1 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$AGENT_PID" 2>/dev/null && fail "agent did not stop within 5 s of SIGTERM"
wait "$AGENT_PID"; rc=$?; AGENT_PID=""
[ "$rc" -eq 0 ] || fail "agent exit status $rc"
grep -q "agent: stopped:" "$T/agent.log" || fail "no 'stopped' line"

step "every spooled sample is stored exactly once, or kept as rejected"
for obj in OBJ-AGT-AVAIL OBJ-AGT-COUNT OBJ-AGT-LATE; do
    stored_ids "$obj" | sort >"$T/stored.$obj" || fail "list samples $obj"
    sed -n "s/.*agent: sample \(it-web1:[0-9]*\) $obj=.* spooled.*/\1/p" "$T/agent.log" | sort \
        >"$T/spooled.$obj"
    dups=$(uniq -d "$T/stored.$obj")
    [ -z "$dups" ] || fail "$obj: sample ids stored twice: $dups"
    cut -f2,3 "$T/state/rejected" 2>/dev/null | awk -v o="$obj" '$2 == o { print $1 }' | sort \
        >"$T/rejected.$obj"
    both=$(comm -12 "$T/rejected.$obj" "$T/stored.$obj")
    [ -z "$both" ] || fail "$obj: stored and also rejected: $both"
    missing=$(sort -m "$T/stored.$obj" "$T/rejected.$obj" | comm -23 "$T/spooled.$obj" -)
    [ -z "$missing" ] || fail "$obj: spooled but neither stored nor rejected: $missing"
    # a kill -9 between the spool's fsync and the log line may leave one id unlogged
    extra=$(comm -13 "$T/spooled.$obj" "$T/stored.$obj" | grep -vc '^it-web1:' || true)
    [ "$extra" -eq 0 ] || fail "$obj: stored ids not from this agent"
    unlogged=$(comm -13 "$T/spooled.$obj" "$T/stored.$obj" | grep -c . || true)
    [ "$unlogged" -le 1 ] || fail "$obj: $unlogged stored samples the agent never logged"
    echo "   $obj: $(grep -c . "$T/spooled.$obj") spooled, $(grep -c . "$T/stored.$obj") stored" \
        "(unique), $(grep -c . "$T/rejected.$obj") rejected"
done
# the server's own count agrees (ismo status, when the CLI was built)
if [ -n "$CLI" ]; then
    for obj in OBJ-AGT-AVAIL OBJ-AGT-LATE; do
        total=$("$CLI" --endpoint "$EP" status --function it-ops -o json | tr -d ' \n' |
            grep -o "\"objective_id\":\"$obj\"[^}]*" | sed -n 's/.*"total_samples":\([0-9]*\).*/\1/p')
        [ "$total" = "$(grep -c . "$T/stored.$obj")" ] ||
            fail "$obj: ismo status says total_samples=$total, ListSamples gave $(grep -c . "$T/stored.$obj")"
    done
    echo "   ismo status agrees"
fi
# sequence numbers were never reused across the restart
all=$(cat "$T"/stored.* | sort | uniq -d)
[ -z "$all" ] || fail "a sample id used for two objectives: $all"

step "hooks: once per event, only the agent's function"
seqs=$(sed -n 's/^hook: seq=\([0-9]*\) .*/\1/p' "$T/hook.log" | sort | uniq -d)
[ -z "$seqs" ] || fail "the hook ran twice for event(s) $seqs"
grep -q "function=hr" "$T/hook.log" && fail "the hook ran for another function's event"
grep "OBJ-AGT-DUE" "$T/hook.log" | head -3
echo "PASS"
