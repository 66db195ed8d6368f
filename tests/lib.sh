# Shared shell helpers of the test scripts (sourced, bash): tests/integration
# (register, report_html), tests/audit, tests/security, tests/agent and,
# through tests/reliability/lib.sh, tests/reliability. Loopback only; every
# wait is bounded.

# ---- checks: FAILS counts the failed ones ----
FAILS=0
ok() { echo "ok   - $*"; }
not_ok() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
check() { # check DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}
step() { echo "== $*"; }

# ---- ports ----
# Every port is drawn from 20000-32000, below the kernel's ephemeral range
# (32768-60999): a client reconnecting to a dead port in that range can
# connect to itself and hold the port (TCP self-connect).

# free_port: a port nothing is bound to (python3 binds it once to see).
free_port() {
    python3 -c 'import random, socket
for _ in range(500):
    p = random.randint(20000, 32000)
    try:
        s = socket.socket(); s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError:
        pass'
}
# loopback_endpoints: PORT and PUB_PORT two different free ports; exports
# ISMO_ENDPOINT and ISMO_PUB_ENDPOINT on them (what ismo and ismod read).
loopback_endpoints() {
    PORT=$(free_port)
    PUB_PORT=$(free_port)
    while [ "$PUB_PORT" = "$PORT" ]; do PUB_PORT=$(free_port); done
    export ISMO_ENDPOINT="tcp://127.0.0.1:$PORT"
    export ISMO_PUB_ENDPOINT="tcp://127.0.0.1:$PUB_PORT"
}
# port_free PORT: nothing answers on 127.0.0.1:PORT.
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
# pick_port: a port P with P and P + 1 free (an endpoint and its pub endpoint).
pick_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 12000))
        if port_free "$p" && port_free $((p + 1)); then echo "$p"; return 0; fi
    done
    return 1
}

# ---- waiting ----
# wait_for SECONDS COMMAND...: COMMAND until it succeeds, polled every 0.2 s.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    while [ $SECONDS -lt $deadline ]; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    return 1
}
# await_ping LABEL PID LOG COMMAND...: COMMAND (a ping) until it answers, 50
# tries 0.1 s apart, given up early when PID is gone (PID "": never). When it
# never answers: prints "LABEL did not come up:" and LOG, and exits 1.
await_ping() {
    local label=$1 pid=$2 log=$3; shift 3
    for _ in $(seq 1 50); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        if [ -n "$pid" ]; then kill -0 "$pid" 2>/dev/null || break; fi
        sleep 0.1
    done
    echo "$label did not come up:"; cat "$log"
    exit 1
}

# ---- stopping ----
# stop_pids POLL_S PID...: SIGTERM to each PID (empty ones and those already
# gone skipped), then each gets 50 polls POLL_S apart before SIGKILL; reaped.
stop_pids() {
    local poll=$1 pid
    local live=()
    shift
    for pid in "$@"; do
        if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then live+=("$pid"); fi
    done
    for pid in "${live[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep "$poll"; done
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    return 0
}
# stop_pid PID: SIGTERM, then SIGKILL after 10 s.
stop_pid() { stop_pids 0.2 "$1"; }
