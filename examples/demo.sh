#!/usr/bin/env bash
# ismo main job: the whole loop on this machine, start to finish, then clean up.
#   install missing Debian packages, build, start ismod (LMDB store in a temp
#   dir, loopback ports), start a watcher, import the example register, a real
#   public register and real availability history, start three agents (it-ops,
#   hr, compliance) measuring this host, then show the status board, the
#   reminders received, the management-review report and what `ismo lint`
#   finds; stop everything.
# Usage: examples/demo.sh            (finishes by itself in about a minute)
# Env:   ISMO_DEMO_KEEP=1 keeps the temp dir; ISMO_DEMO_SECONDS (default 20)
#        is how long the agents run before the board is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs=${ISMO_DEMO_SECONDS:-20}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "1/7 dependencies and build"
tests/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
ISMOD=$root/build/server/ismod
ISMO=$root/build/client/ismo
AGENT=$root/build/client/ismo-agent

work=$(mktemp -d /tmp/ismo-demo-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ "${ISMO_DEMO_KEEP:-0}" = "1" ]; then
    echo "demo files kept in $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import random, socket
# below the kernel ephemeral range (32768-60999): a client reconnecting to a
# dead port in that range can connect to itself and hold the port (TCP self-connect)
for _ in range(500):
    p = random.randint(20000, 32000)
    try:
        s = socket.socket(); s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError:
        pass'; }
export ISMO_ENDPOINT="tcp://127.0.0.1:$(free_port)"
export ISMO_PUB_ENDPOINT="tcp://127.0.0.1:$(free_port)"

say "2/7 ismod on $ISMO_ENDPOINT (events on $ISMO_PUB_ENDPOINT), data in $work/data"
"$ISMOD" --data-dir "$work/data" --insecure --endpoint "$ISMO_ENDPOINT" --pub-endpoint "$ISMO_PUB_ENDPOINT" \
  --tick-ms 1000 2>"$work/ismod.log" &
pids+=($!)
for _ in $(seq 1 50); do
  if "$ISMO" --timeout-ms 200 ping >/dev/null 2>&1; then break; fi
  sleep 0.1
done
"$ISMO" ping

say "3/7 watcher: every event, as it happens (log in $work/watcher.log)"
"$ISMO" watch --since 0 >"$work/watcher.log" 2>&1 &
pids+=($!)
sleep 0.5

say "4/7 import: the example register, a real public register, real availability history"
"$ISMO" --actor ismo-demo --reason "demo import" import examples/register.yaml \
  --policies examples/policies.yaml --risks examples/risks.csv
"$ISMO" --actor ismo-demo --reason "demo import" import examples/cenedril-register.csv
"$ISMO" --actor ismo-demo import examples/upptime-maryville.csv --samples-for OBJ-AVAIL-CANVAS --service canvas-lms

say "5/7 three agents measuring this host (it-ops, hr, compliance) for ${secs}s"
export ISMO_HOOKS_DIR="$root/examples/agents/hooks"
export ISMO_DATA_DIR="$root/examples/agents/data"
for f in it-ops hr compliance; do
  mkdir -p "$work/agent-$f"
  ISMO_AGENT_STATE_DIR="$work/agent-$f" ISMO_HOOK_LOG="$work/hooks-$f.log" \
    "$AGENT" --config "examples/agents/$f.yaml" >"$work/agent-$f.out" 2>"$work/agent-$f.log" &
  pids+=($!)
done
sleep "$secs"

say "6/7 status board (computed from samples, never typed in)"
"$ISMO" status
echo
echo "reminders received by the watcher:"
grep -i ' reminder ' "$work/watcher.log" | head -20 || true
echo "($(grep -ci ' reminder ' "$work/watcher.log" || true) reminders, $(wc -l <"$work/watcher.log") events in all)"
echo
echo "reminders run through the agents' hooks (their own function only):"
cat "$work"/hooks-*.log 2>/dev/null | head -12 || true

say "7/7 management-review report (ISO/IEC 27001:2022 9.3 input), and what the register still lacks"
"$ISMO" report
echo
echo "ismo lint (exit 1 is expected: the public register's objectives lack plans and"
echo "so stay DRAFT, and OBJ-SUPPLIER-REVIEWS is a deliberate draft):"
"$ISMO" lint || true

n_rem=$(grep -ci ' reminder ' "$work/watcher.log" || true)
if [ "${n_rem:-0}" -lt 1 ]; then
  echo "demo: FAILED: the watcher received no reminder" >&2
  exit 1
fi
say "done: ismod, agents and watcher stopped"
