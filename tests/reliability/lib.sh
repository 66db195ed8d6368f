# Shared shell helpers of tests/reliability/*.sh (sourced).
# Expects: T (scratch dir), ISMOD, HELPER. Every wait is bounded.
step() { echo "== $*"; }
port_free() { ! (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }
pick_port() {
    local p
    for _ in $(seq 1 100); do
        p=$((20000 + RANDOM % 12000))  # below the ephemeral range: no TCP self-connect
        if port_free "$p" && port_free $((p + 1)); then echo "$p"; return 0; fi
    done
    return 1
}
# wait_for SECONDS COMMAND...: poll every 0.2 s
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    while [ $SECONDS -lt $deadline ]; do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    return 1
}
# start_ismod DATADIR LOG [extra options...]: sets ISMOD_PID, waits for a ping
start_ismod() {
    local dir=$1 log=$2; shift 2
    "$ISMOD" --data-dir "$dir" --insecure --endpoint "$EP" --pub-endpoint "$PUB" "$@" >>"$log" 2>&1 &
    ISMOD_PID=$!
    wait_for 20 "$HELPER" ping "$EP"
}
stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 10 s
    local pid=$1
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}
# agent_config FILE NAME FUNCTION STATE_DIR OBJ... : collectors never due on their own
agent_config() {
    local f=$1 name=$2 fn=$3 dir=$4; shift 4
    {
        echo "agent:"
        echo "  name: $name"
        echo "  function: $fn"
        echo "  state_dir: $dir"
        echo "  batch_max_samples: 500"
        echo "server:"
        echo "  endpoint: $EP"
        echo "  pub_endpoint: $PUB"
        echo "  timeout_ms: 500"
        echo "  retry_min_ms: 50"
        echo "  retry_max_ms: 500"
        echo "collectors:"
        local i=0
        for o in "$@"; do
            i=$((i + 1))
            echo "  - name: c$i"
            echo "    objective: $o"
            echo "    command: echo 1"
            echo "    interval_s: 604800"
        done
    } >"$f"
}
