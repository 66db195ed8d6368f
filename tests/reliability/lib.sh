# Shell helpers of tests/reliability/*.sh (sourced), on top of tests/lib.sh
# (step, pick_port, wait_for, stop_pid, ...). Expects: T (scratch dir),
# ISMOD, HELPER, EP, PUB. Every wait is bounded.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
# start_ismod DATADIR LOG [extra options...]: sets ISMOD_PID, waits for a ping
start_ismod() {
    local dir=$1 log=$2; shift 2
    "$ISMOD" --data-dir "$dir" --insecure --endpoint "$EP" --pub-endpoint "$PUB" "$@" >>"$log" 2>&1 &
    ISMOD_PID=$!
    wait_for 20 "$HELPER" ping "$EP"
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
