#!/usr/bin/env bash
# End-to-end test of the container stack in docker/compose.yml:
#   base images (debootstrap, no registry) -> images -> ismod + import +
#   3 agents + watcher -> every objective fed by an agent has samples stored,
#   the watcher has printed a reminder event, ismod stops cleanly on SIGTERM.
# Exits 0 on success, non-zero on failure; always tears the stack down.
#
# Env:
#   ISMO_E2E_TIMEOUT_S      wait for samples + reminder (default 300)
#   ISMO_E2E_DOCKERD_WAIT_S wait for a dockerd this script starts (default 60)
#   ISMO_E2E_KEEP_DOCKERD=1 leave a dockerd started by this script running
#   ISMO_E2E_KEEP_STACK=1   do not tear the stack down (debugging)
#   ISMO_E2E_NETCUT_S       cut agent-it-ops off the network this long (default 120, 0 = skip)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COMPOSE_FILE="$REPO/docker/compose.yml"
PROJECT="ismo-e2e-$$"
TIMEOUT_S="${ISMO_E2E_TIMEOUT_S:-300}"
DOCKERD_WAIT_S="${ISMO_E2E_DOCKERD_WAIT_S:-60}"
OBJECTIVES=(OBJ-AVAIL OBJ-PENDING-UPDATES OBJ-TRAINING OBJ-FINES)
AGENTS=(agent-it-ops agent-hr agent-compliance)
# an event line of `ismo watch` whose kind is reminder, e.g.
#   #3 2026-01-01T00:00:00.000Z reminder it-ops OBJ-AVAIL metric_stale ...
REMINDER_RE='^#[0-9]+ .*(^| )reminder( |$)'
LOGDIR="$(mktemp -d /tmp/ismo-e2e.XXXXXX)"
START=$SECONDS
STARTED_DOCKERD_PID=""
STACK_UP=0
RESULT="FAIL"
CHECKS_PASSED=0
CHECKS_FAILED=0

step() { printf '[e2e %4ds] %s\n' "$((SECONDS - START))" "$*"; }
pass() { CHECKS_PASSED=$((CHECKS_PASSED + 1)); step "PASS: $*"; }
fail() { CHECKS_FAILED=$((CHECKS_FAILED + 1)); step "FAIL: $*"; }
die()  { fail "$*"; exit 1; }

# --- 1. tools ----------------------------------------------------------------
need_pkgs=()
command -v docker >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  need_pkgs+=(docker-compose)
fi
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing ${need_pkgs[*]} and not root to install them"
  step "installing ${need_pkgs[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >"$LOGDIR/apt.log" 2>&1 || { tail -n 20 "$LOGDIR/apt.log"; die "apt-get update failed"; }
  apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >>"$LOGDIR/apt.log" 2>&1 \
    || { tail -n 20 "$LOGDIR/apt.log"; die "apt-get install ${need_pkgs[*]} failed"; }
fi
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read 'ismo status -o json'"
if docker compose version >/dev/null 2>&1; then
  COMPOSE=(docker compose)
else
  COMPOSE=(docker-compose)
fi
DC=("${COMPOSE[@]}" -p "$PROJECT" -f "$COMPOSE_FILE")
step "compose: ${COMPOSE[*]} ($("${COMPOSE[@]}" version --short 2>/dev/null || echo '?')), project $PROJECT, logs in $LOGDIR"

# --- 2. docker daemon --------------------------------------------------------
if ! docker info >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "docker daemon not reachable and not root to start it"
  step "starting dockerd (log: $LOGDIR/dockerd.log)"
  # Detached from our stdout/stderr so that ctest does not wait on it.
  setsid nohup dockerd >"$LOGDIR/dockerd.log" 2>&1 </dev/null &
  STARTED_DOCKERD_PID=$!
  deadline=$((SECONDS + DOCKERD_WAIT_S))
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null; then
      tail -n 30 "$LOGDIR/dockerd.log"; die "dockerd exited"
    fi
    [ "$SECONDS" -lt "$deadline" ] || { tail -n 30 "$LOGDIR/dockerd.log"; die "dockerd not ready after ${DOCKERD_WAIT_S}s"; }
    sleep 1
  done
fi
step "docker daemon $(docker version --format '{{.Server.Version}}' 2>/dev/null) is up"

teardown() {
  local rc=$?
  set +e
  if [ "$STACK_UP" -eq 1 ]; then
    if [ "$rc" -ne 0 ] || [ "$RESULT" != "PASS" ]; then
      step "diagnostics (stack state and last log lines)"
      "${DC[@]}" ps 2>&1
      "${DC[@]}" logs --no-color --tail=40 2>&1 | tail -n 250
    fi
    if [ "${ISMO_E2E_KEEP_STACK:-0}" = 1 ]; then
      step "ISMO_E2E_KEEP_STACK=1: leaving project $PROJECT up"
    else
      step "tearing down project $PROJECT (down -v)"
      "${DC[@]}" down -v --remove-orphans --timeout 20 >"$LOGDIR/down.log" 2>&1 \
        || { tail -n 20 "$LOGDIR/down.log"; rc=1; }
    fi
  fi
  if [ -n "$STARTED_DOCKERD_PID" ] && [ "${ISMO_E2E_KEEP_DOCKERD:-0}" != 1 ]; then
    step "stopping the dockerd this test started (pid $STARTED_DOCKERD_PID)"
    kill -TERM "$STARTED_DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$STARTED_DOCKERD_PID" 2>/dev/null || break; sleep 1; done
  fi
  [ "$rc" -eq 0 ] && [ "$RESULT" = "PASS" ] || rc=1
  echo
  echo "==== ismo compose e2e summary ===="
  echo "result:   $RESULT"
  echo "project:  $PROJECT"
  echo "duration: $((SECONDS - START))s"
  [ -s "$LOGDIR/summary.txt" ] && cat "$LOGDIR/summary.txt"
  echo "logs:     $LOGDIR"
  echo "e2e: $CHECKS_PASSED passed, $CHECKS_FAILED failed"
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# Stacks left by earlier runs that were killed (their pid is gone).
for p in $(docker ps -a --filter label=com.docker.compose.project --format '{{.Label "com.docker.compose.project"}}' | grep -E '^ismo-e2e-[0-9]+$' | sort -u); do
  kill -0 "${p#ismo-e2e-}" 2>/dev/null && continue
  step "removing stale project $p from an earlier, interrupted run"
  "${COMPOSE[@]}" -p "$p" -f "$COMPOSE_FILE" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || true
done

[ -f "$REPO/examples/register.yaml" ] || die "examples/register.yaml is missing (the stack imports it)"

# --- 3. base images ------------------------------------------------------------
step "base images (docker/build-base-images.sh)"
"$REPO/docker/build-base-images.sh" 2>&1 | sed 's/^/    /'
pass "base images debian:bookworm and debian:bookworm-slim present"

# --- 4. images -----------------------------------------------------------------
step "building images ismo/ismod:local and ismo/ismo-agent:local (log: $LOGDIR/build.log)"
if ! "${DC[@]}" build >"$LOGDIR/build.log" 2>&1; then
  tail -n 60 "$LOGDIR/build.log"
  die "image build failed"
fi
pass "images built"
# Keep the build stage tagged (its apt layer is the cache for the next run) and
# drop the stale, untagged images that earlier builds of this Dockerfile left.
docker build -q -f "$REPO/docker/Dockerfile" --target build -t ismo/ismo-build:local "$REPO" >>"$LOGDIR/build.log" 2>&1 || true
docker image prune -f --filter label=org.ismo.image >>"$LOGDIR/build.log" 2>&1 || true

# --- 5. stack ------------------------------------------------------------------
step "starting the stack"
STACK_UP=1
UP_MS="$(date +%s%3N)"
if ! "${DC[@]}" up -d --no-build >"$LOGDIR/up.log" 2>&1; then
  cat "$LOGDIR/up.log"
  die "compose up failed"
fi
pass "compose up"

cid() { "${DC[@]}" ps -q "$1" 2>/dev/null | head -n1; }

# --- CURVE is on by default: a plain client (no keys) gets no reply; the
# admin certificate the keygen one-shot made does; the secret files are 0600.
if "${DC[@]}" exec -T ismod env -u ISMO_SERVER_KEY -u ISMO_CERT \
     ismo --endpoint tcp://127.0.0.1:7770 --timeout-ms 2000 ping >"$LOGDIR/plain-ping.log" 2>&1; then
  fail "a plain client (no CURVE keys) was answered"
else
  pass "a plain client (no CURVE keys) is refused"
fi
if "${DC[@]}" exec -T ismod ismo --endpoint tcp://127.0.0.1:7770 ping >"$LOGDIR/curve-ping.log" 2>&1; then
  pass "CURVE client with the admin certificate answered"
else
  fail "CURVE client with the admin certificate not answered: $(tail -n1 "$LOGDIR/curve-ping.log")"
fi
modes="$("${DC[@]}" exec -T ismod sh -c 'stat -c %a /etc/ismo/keys/clients/*.cert_secret /etc/ismo/keys/server/server.cert_secret' 2>&1 | sort -u | tr '\n' ' ')"
if [ "$modes" = "600 " ]; then pass "secret key files are 0600"; else fail "secret key file modes: $modes"; fi

status_json() {
  "${DC[@]}" exec -T ismod ismo --endpoint tcp://127.0.0.1:7770 status -o json 2>"$LOGDIR/status.err"
}

# Reads `ismo status -o json` on stdin; prints
# "ID total_samples last_sample_ms health value" for every object carrying an
# objective_id (whatever the surrounding shape).
parse_status='
import json, sys
def walk(o):
    if isinstance(o, dict):
        if "objective_id" in o or "objectiveId" in o:
            oid = o.get("objective_id", o.get("objectiveId"))
            n = o.get("total_samples", o.get("totalSamples", 0)) or 0
            try: n = int(n)
            except (TypeError, ValueError): n = 0
            t = o.get("last_sample_ms", o.get("lastSampleMs", 0)) or 0
            try: t = int(t)
            except (TypeError, ValueError): t = 0
            yield oid, n, t, o.get("health"), o.get("value")
        for v in o.values(): yield from walk(v)
    elif isinstance(o, list):
        for v in o: yield from walk(v)
text = sys.stdin.read()
try:
    docs = [json.loads(text)]
except ValueError:
    docs = [json.loads(l) for l in text.splitlines() if l.strip().startswith(("{", "["))]
for d in docs:
    for oid, n, t, h, v in walk(d):
        print(oid, n, t, h, v)
'

step "waiting up to ${TIMEOUT_S}s for samples on ${OBJECTIVES[*]} and a reminder on the watcher"
deadline=$((SECONDS + TIMEOUT_S))
have_samples=0
have_reminder=0
last_report=""
while :; do
  # import must succeed; agents/ismod/watcher must keep running
  imp="$(cid import)"
  if [ -n "$imp" ]; then
    st="$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$imp" 2>/dev/null || true)"
    if [ "${st%% *}" = exited ] && [ "${st##* }" != 0 ]; then
      docker logs "$imp" 2>&1 | tail -n 30
      die "import exited with code ${st##* }"
    fi
  fi
  for svc in ismod watcher "${AGENTS[@]}"; do
    c="$(cid "$svc")"
    [ -n "$c" ] || continue
    rs="$(docker inspect -f '{{.RestartCount}}' "$c" 2>/dev/null || echo 0)"
    if [ "${rs:-0}" -gt 3 ]; then
      docker logs "$c" 2>&1 | tail -n 30
      die "$svc keeps restarting ($rs restarts)"
    fi
  done

  if [ "$have_samples" -eq 0 ]; then
    if status_json >"$LOGDIR/status.json" && python3 -c "$parse_status" <"$LOGDIR/status.json" >"$LOGDIR/status.txt" 2>"$LOGDIR/parse.err"; then
      # The register itself carries historic samples for some objectives:
      # only a sample newer than the start of the stack comes from an agent.
      missing=()
      for o in "${OBJECTIVES[@]}"; do
        read -r n t <<<"$(awk -v o="$o" '$1 == o { print $2, $3; exit }' "$LOGDIR/status.txt")" || true
        if [ "${n:-0}" -gt 0 ] && [ "${t:-0}" -ge "$UP_MS" ]; then :; else missing+=("$o"); fi
      done
      report="objectives without a fresh sample from an agent: ${missing[*]:-none}"
      if [ "${#missing[@]}" -eq 0 ]; then
        have_samples=1
        pass "every objective has fresh samples (total_samples): $(awk '{printf "%s=%s ", $1, $2}' "$LOGDIR/status.txt")"
      fi
    else
      report="status not available yet: $(tail -n 1 "$LOGDIR/status.err" "$LOGDIR/parse.err" 2>/dev/null | tr '\n' ' ' | cut -c1-200)"
    fi
    if [ "$have_samples" -eq 0 ] && [ "$report" != "$last_report" ]; then
      step "  $report"
      last_report="$report"
    fi
  fi

  if [ "$have_reminder" -eq 0 ]; then
    w="$(cid watcher)"
    if [ -n "$w" ] && docker logs "$w" 2>&1 | grep -Eq "$REMINDER_RE"; then
      have_reminder=1
      pass "watcher printed a reminder: $(docker logs "$w" 2>&1 | grep -E -m1 "$REMINDER_RE")"
    fi
  fi

  [ "$have_samples" -eq 1 ] && [ "$have_reminder" -eq 1 ] && break
  if [ "$SECONDS" -ge "$deadline" ]; then
    [ "$have_samples" -eq 1 ] || fail "not every objective got samples within ${TIMEOUT_S}s ($last_report)"
    [ "$have_reminder" -eq 1 ] || fail "no reminder event in the watcher's log within ${TIMEOUT_S}s"
    exit 1
  fi
  sleep 3
done

# --- 6. extras: hooks ran, clean SIGTERM ---------------------------------------
hooks=0
for a in "${AGENTS[@]}"; do
  c="$(cid "$a")"
  n="$(docker logs "$c" 2>&1 | grep -c '^ismo-event ' || true)"
  hooks=$((hooks + n))
done
step "  reminder hooks run by the agents so far: $hooks (informational)"
{
  echo "objectives (id total_samples last_sample_ms health value):"
  sed 's/^/  /' "$LOGDIR/status.txt"
  echo "watcher events: $(docker logs "$(cid watcher)" 2>&1 | grep -c . || true) lines, first reminder:"
  echo "  $(docker logs "$(cid watcher)" 2>&1 | grep -E -m1 "$REMINDER_RE")"
  echo "watcher reminder events: $(docker logs "$(cid watcher)" 2>&1 | grep -Ec "$REMINDER_RE" || true)"
  echo "agent hook runs: $hooks"
} >"$LOGDIR/summary.txt"

# --- 6a. network cut (issue "Reliability"): an agent loses the network for
# ISMO_E2E_NETCUT_S seconds while its collectors run; afterwards every sample it
# collected meanwhile is stored, none twice (its sample ids carry a sequence
# number: the stored ones must be unique and without gaps).
NETCUT_S="${ISMO_E2E_NETCUT_S:-120}"
if [ "$NETCUT_S" -gt 0 ]; then
  cut_agent=agent-it-ops
  ac="$(cid "$cut_agent")"
  net="$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{"\n"}}{{end}}' "$ac" | head -n1)"
  [ -n "$net" ] || die "cannot find the network of $cut_agent"
  agent_samples() {
    for o in OBJ-AVAIL OBJ-PENDING-UPDATES; do
      "${DC[@]}" exec -T ismod ismo --endpoint tcp://127.0.0.1:7770 samples "$o" -o json 2>>"$LOGDIR/samples.err" \
        || return 1
    done
  }
  check_samples='
import json, sys
cut, restore = int(sys.argv[1]), int(sys.argv[2])
text = sys.stdin.read()
dec = json.JSONDecoder(); i = 0; items = []
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    obj, i = dec.raw_decode(text, i); items += obj
mine = [s for s in items if s["source"] == "agent:it-ops-agent"]
seqs = [int(s["sample_id"].rsplit(":", 1)[1]) for s in mine]
dups = len(seqs) - len(set(seqs))
gaps = (max(seqs) - min(seqs) + 1 - len(set(seqs))) if seqs else 0
during = sum(1 for s in mine if cut <= s["effective_ms"] <= restore)
print(len(mine), dups, gaps, during)
'
  step "cutting $cut_agent off network $net for ${NETCUT_S}s while its collectors run"
  cut_ms="$(date +%s%3N)"
  docker network disconnect "$net" "$ac" || die "docker network disconnect failed"
  sleep "$NETCUT_S"
  docker network connect "$net" "$ac" || die "docker network connect failed"
  restore_ms="$(date +%s%3N)"
  step "network restored; waiting up to 120s for the agent's spool to drain"
  # the pending-updates collector runs every 10 s: at least this many ran during the cut
  want=$(( NETCUT_S / 10 - 2 ))
  ok=0
  for _ in $(seq 1 40); do
    if agent_samples >"$LOGDIR/samples.json" && \
       read -r total dups gaps during < <(python3 -c "$check_samples" "$cut_ms" "$restore_ms" <"$LOGDIR/samples.json"); then
      if [ "$dups" -eq 0 ] && [ "$gaps" -eq 0 ] && [ "$during" -ge "$want" ]; then ok=1; break; fi
    fi
    sleep 3
  done
  if [ "$ok" -eq 1 ]; then
    pass "network cut ${NETCUT_S}s: $during samples collected during the cut are stored; $total samples of $cut_agent in all, 0 duplicates, 0 gaps in its sequence"
    echo "network cut: ${NETCUT_S}s, samples collected during the cut stored: $during, agent samples total: $total, duplicates: 0, sequence gaps: 0" >>"$LOGDIR/summary.txt"
  else
    docker logs "$ac" 2>&1 | tail -n 30
    die "after the network cut: samples ${total:-?}, duplicates ${dups:-?}, gaps ${gaps:-?}, collected during the cut and stored ${during:-?} (want >= $want)"
  fi
fi

step "stopping ismod with SIGTERM (20 s grace)"
ismod_c="$(cid ismod)"
"${DC[@]}" stop -t 20 ismod >"$LOGDIR/stop.log" 2>&1 || true
code="$(docker inspect -f '{{.State.ExitCode}}' "$ismod_c")"
if [ "$code" = 0 ]; then
  pass "ismod exited 0 on SIGTERM"
else
  docker logs "$ismod_c" 2>&1 | tail -n 20
  die "ismod exit code after SIGTERM: $code (137 = had to be killed)"
fi

RESULT="PASS"
