#!/usr/bin/env bash
# security_test.sh ISMOD ISMO: issue 4's "Done when" lines for CURVE,
# authorization, event confidentiality and the handshake time-out, against a
# real ismod on free loopback ports, driven by the ismo CLI:
#   unknown key refused; plain client refused by a CURVE server; revoked key
#   refused without restart (file deleted; file rewritten with same-size
#   content and the directory's mtime put back); agent pushing to another
#   function's objective refused (PERMISSION_DENIED, audited); auditor write
#   refused; owner edits only its own objectives; a subscriber of function A
#   gets none of function B's events whatever it subscribes to; idle raw TCP
#   connections do not delay other clients' replies past the handshake time-out;
#   plain TCP refused on a non-loopback bind.
set -u
ISMOD=${1:?usage: security_test.sh ISMOD ISMO}
ISMO=${2:?usage: security_test.sh ISMOD ISMO}
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ismo-security-test.XXXXXX")
SERVER_PID=
HANDSHAKE_MS=1500

stop_server() { stop_pids 0.1 "$SERVER_PID"; SERVER_PID=; }
cleanup() { stop_server; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

loopback_endpoints
unset ISMO_SERVER_KEY ISMO_CERT
KEYS=$TMP/keys      # what keygen writes (public and secret halves)
CERTS=$TMP/certs    # ismod's certificate directory (public halves only)
mkdir -p "$CERTS"

# as NAME CMD...: run ismo with NAME's certificate
as() { local who=$1; shift; "$ISMO" --timeout-ms 3000 --server-key "$KEYS/server.cert" --cert "$KEYS/$who.cert_secret" "$@"; }
# exit code of a command, its stderr kept in $TMP/err
rc_of() { "$@" >"$TMP/out" 2>"$TMP/err"; echo $?; }

# ---- keygen ----
"$ISMO" keygen --server --out "$KEYS" >/dev/null || { echo "keygen --server failed"; exit 1; }
for spec in "boss admin" "itops agent it-ops" "hrbot agent hr" "audrey auditor" "alice owner" "bob owner" \
            "stranger admin" "rotor1 agent it-ops"; do
    set -- $spec
    "$ISMO" keygen "$1" --role "$2" ${3:+--functions "$3"} --out "$KEYS" >/dev/null || not_ok "keygen $1"
done
check "secret files are mode 0600" test "$(stat -c %a "$KEYS/itops.cert_secret")" = 600
check "public files hold no secret key" bash -c "! grep -q secret-key '$KEYS/itops.cert'"
check "keygen refuses to overwrite" bash -c "! '$ISMO' keygen itops --role agent --functions it-ops --out '$KEYS' 2>/dev/null"
for n in boss itops hrbot audrey alice bob; do cp "$KEYS/$n.cert" "$CERTS/"; done
cp "$KEYS/rotor1.cert" "$CERTS/rotor.cert"   # rewritten in place later

# ---- plain TCP only with --insecure, and never on a non-loopback bind ----
rc=$(rc_of "$ISMOD" --data-dir "$TMP/d0" --insecure --endpoint "tcp://0.0.0.0:$PORT" --pub-endpoint "tcp://127.0.0.1:$PUB_PORT")
check "--insecure on a non-loopback bind refused (exit $rc)" test "$rc" != 0
check "  and says why" grep -q "non-loopback" "$TMP/err"
rc=$(rc_of "$ISMOD" --data-dir "$TMP/d0" --insecure --certs-dir "$CERTS" --endpoint "$ISMO_ENDPOINT" --pub-endpoint "$ISMO_PUB_ENDPOINT")
check "--insecure with --certs-dir refused (exit $rc)" test "$rc" != 0
# the default is CURVE: no flags -> server key and an empty data_dir/certs are made; nobody gets in
"$ISMOD" --data-dir "$TMP/d1" --endpoint "$ISMO_ENDPOINT" --pub-endpoint "$ISMO_PUB_ENDPOINT" >"$TMP/d1.log" 2>&1 &
DEFAULT_PID=$!
for _ in $(seq 1 50); do [ -f "$TMP/d1/server.cert" ] && break; sleep 0.1; done
sleep 0.3
check "default start made data_dir/server.cert_secret (0600) and data_dir/certs" \
    bash -c "test \"\$(stat -c %a '$TMP/d1/server.cert_secret')\" = 600 && test -d '$TMP/d1/certs'"
rc=$(rc_of "$ISMO" --timeout-ms 1000 ping)
check "default (CURVE) server refuses a plain client (exit $rc)" test "$rc" = 3
rc=$(rc_of "$ISMO" --timeout-ms 1000 --server-key "$TMP/d1/server.cert" --cert "$KEYS/boss.cert_secret" ping)
check "default (CURVE) server refuses a key not in data_dir/certs (exit $rc)" test "$rc" = 3
cp "$KEYS/boss.cert" "$TMP/d1/certs/"
sleep 0.7
rc=$(rc_of "$ISMO" --timeout-ms 2000 --server-key "$TMP/d1/server.cert" --cert "$KEYS/boss.cert_secret" ping)
check "default (CURVE) server admits a certificate added to data_dir/certs (exit $rc)" test "$rc" = 0
kill "$DEFAULT_PID"; wait "$DEFAULT_PID" 2>/dev/null

# ---- start ismod with CURVE ----
"$ISMOD" --data-dir "$TMP/data" --endpoint "$ISMO_ENDPOINT" --pub-endpoint "$ISMO_PUB_ENDPOINT" \
    --curve-cert "$KEYS/server.cert_secret" --certs-dir "$CERTS" --handshake-ms "$HANDSHAKE_MS" \
    --tick-ms 200 --no-sync true >>"$TMP/ismod.log" 2>&1 &
SERVER_PID=$!
await_ping ismod "" "$TMP/ismod.log" as boss --timeout-ms 300 ping
ok "admin with a known certificate is answered"

# ---- authentication ----
rc=$(rc_of as stranger --timeout-ms 1500 ping)
check "unknown key refused (exit $rc = no reply)" test "$rc" = 3
check "  and ismod logged the refused key" grep -q "zap: refused key" "$TMP/ismod.log"
rc=$(rc_of "$ISMO" --timeout-ms 1500 ping)
check "plain client refused by a CURVE server (exit $rc)" test "$rc" = 3
rc=$(rc_of "$ISMO" --timeout-ms 1500 --server-key "$(sed -n 's/.*public-key = "\(.*\)"/\1/p' "$KEYS/server.cert")" \
           --cert "$KEYS/itops.cert_secret" ping)
check "server key given as Z85 text works (exit $rc)" test "$rc" = 0

# ---- register: it-ops owned by alice, hr owned by bob ----
cat >"$TMP/reg.yaml" <<'YAML'
objectives:
  - id: OBJ-IT
    title: Patch critical vulnerabilities within 48 hours
    level: tactical
    function: it-ops
    owner: alice
    metric: {name: patch_hours, unit: h, direction: lower_is_better, aggregation: last, window: 0, frequency: 30d}
    baseline: 120
    baseline_at: 2026-01-01
    target: 48
    start: 2026-01-01
    deadline: 2027-12-31
    evaluation_method: ticket system
  - id: OBJ-HR
    title: All staff complete awareness training
    level: tactical
    function: hr
    owner: bob
    metric: {name: training_pct, unit: "%", direction: higher_is_better, aggregation: last, window: 0, frequency: 30d}
    baseline: 60
    baseline_at: 2026-01-01
    target: 100
    start: 2026-01-01
    deadline: 2027-12-31
    evaluation_method: LMS export
YAML
rc=$(rc_of as boss import "$TMP/reg.yaml")
check "admin imports the register (exit $rc)" test "$rc" = 0 || cat "$TMP/err"

# ---- authorization ----
rc=$(rc_of as itops push OBJ-IT 50)
check "agent pushes to its own function's objective (exit $rc)" test "$rc" = 0
rc=$(rc_of as itops push OBJ-HR 99)
check "agent pushing to another function's objective refused (exit $rc)" test "$rc" = 1
check "  with PERMISSION_DENIED" grep -q PERMISSION_DENIED "$TMP/err"
n=$(as boss samples OBJ-HR -o json 2>/dev/null | grep -c '"value"')
check "  and nothing was stored for OBJ-HR ($n samples)" test "$n" = 0
rc=$(rc_of as itops retire OBJ-IT --reason x)
check "agent cannot retire (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
rc=$(rc_of as itops show OBJ-HR)
check "agent cannot read another function's objective (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
as itops list >"$TMP/list" 2>&1
check "agent's list holds only its function" bash -c "grep -q OBJ-IT '$TMP/list' && ! grep -q OBJ-HR '$TMP/list'"
as itops status >"$TMP/status" 2>&1
check "agent's status holds only its function" bash -c "grep -q OBJ-IT '$TMP/status' && ! grep -q OBJ-HR '$TMP/status'"
as itops events >"$TMP/events" 2>&1
check "agent's events hold only its function" bash -c "grep -q OBJ-IT '$TMP/events' && ! grep -q OBJ-HR '$TMP/events'"
rc=$(rc_of as audrey push OBJ-IT 40)
check "auditor write (push) refused (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
rc=$(rc_of as audrey retire OBJ-HR --reason x)
check "auditor write (retire) refused (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
sed 's/ticket system/ticket system, weekly/' "$TMP/reg.yaml" >"$TMP/reg2.yaml"
rc=$(rc_of as audrey import "$TMP/reg2.yaml")
check "auditor write (import) refused (exit $rc)" test "$rc" != 0
rc=$(rc_of as audrey status)
check "auditor reads everything (exit $rc)" bash -c "test $rc = 0 && grep -q OBJ-HR '$TMP/out' && grep -q OBJ-IT '$TMP/out'"
rc=$(rc_of as audrey audit verify)
check "auditor verifies the audit trail (exit $rc)" test "$rc" = 0
rc=$(rc_of as alice retire OBJ-HR --reason "not mine")
check "owner cannot retire another owner's objective (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
rc=$(rc_of as bob backup "$TMP/backup")
check "owner cannot back up (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
rc=$(rc_of as alice review add OBJ-HR --decision continue --note "not mine")
check "owner cannot record a review of another owner's objective (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
rc=$(rc_of as itops review add OBJ-IT --decision continue --note "agents do not review")
check "agent cannot record a review (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
rc=$(rc_of as bob review add OBJ-HR --decision continue --note "on plan")
check "owner records a review of its own objective (exit $rc)" test "$rc" = 0
rc=$(rc_of as itops review list)
check "agent's review list holds only its function (exit $rc)" bash -c "test $rc = 0 && ! grep -q OBJ-HR '$TMP/out'"
rc=$(rc_of as itops explain OBJ-HR)
check "agent cannot explain another function's objective (exit $rc)" bash -c "test $rc = 1 && grep -q PERMISSION_DENIED '$TMP/err'"
rc=$(rc_of as alice retire OBJ-IT --reason "done")
check "owner retires its own objective (exit $rc)" test "$rc" = 0
as boss audit export -o "$TMP/trail.jsonl" >/dev/null 2>&1
n=$(grep -c 'request.refused' "$TMP/trail.jsonl")
check "refusals are in the audit trail ($n records)" test "$n" -ge 8
check "  naming PERMISSION_DENIED and the authenticated peer" \
    bash -c "grep 'request.refused' '$TMP/trail.jsonl' | grep PERMISSION_DENIED | grep -q itops"
check "refusals are logged" grep -q "dispatch: refused audrey (auditor)" "$TMP/ismod.log"
check "the actor recorded is the certificate's name, not the claim" \
    bash -c "grep objective.retire '$TMP/trail.jsonl' | grep -q alice"

# ---- event confidentiality: itops (it-ops) subscribes every way it can ----
# (OBJ-IT is retired; a second it-ops objective carries its events)
sed -e '/id: OBJ-HR/,$d' -e 's/^  - id: OBJ-IT$/  - id: OBJ-IT2/' "$TMP/reg.yaml" >"$TMP/reg3.yaml"
as boss import "$TMP/reg3.yaml" >/dev/null 2>&1 || not_ok "import OBJ-IT2"
WATCHES="all:|hr:--function hr|status:--kind status|reminder:--kind reminder|objective:--kind objective|itops:--function it-ops"
IFS='|' read -ra W <<<"$WATCHES"
pids=()
for w in "${W[@]}"; do
    name=${w%%:*}; args=${w#*:}
    as itops watch $args --timeout-s 5 >"$TMP/watch.$name" 2>&1 &
    pids+=($!)
done
as audrey watch --timeout-s 5 >"$TMP/watch.auditor" 2>&1 &
pids+=($!)
sleep 1.5
for v in 10 99 20 98 30; do
    as boss push OBJ-HR "$v" >/dev/null 2>&1
    as boss push OBJ-IT2 "$((v + 40))" >/dev/null 2>&1
done
for p in "${pids[@]}"; do wait "$p"; done
for w in "${W[@]}"; do
    name=${w%%:*}
    check "it-ops subscriber ($name) got no hr event" bash -c "! grep -q ' hr ' '$TMP/watch.$name'"
done
check "it-ops subscriber ('') did get its own events" grep -q "OBJ-IT2" "$TMP/watch.all"
check "it-ops subscriber (--kind status) did get its own events" grep -q "OBJ-IT2" "$TMP/watch.status"
check "auditor subscriber got hr events" grep -q "OBJ-HR" "$TMP/watch.auditor"

# ---- revocation without restart ----
rm "$CERTS/itops.cert"
sleep 0.7
rc=$(rc_of as itops --timeout-ms 1500 ping)
check "revoked key (file deleted) refused without restart (exit $rc)" test "$rc" = 3
# same-size rewrite keeping the directory's and the file's mtime
rc=$(rc_of as rotor1 ping)
check "rotor1 admitted before the rotation (exit $rc)" test "$rc" = 0
"$ISMO" keygen rotor2 --role agent --functions it-ops --out "$KEYS" >/dev/null
touch -r "$CERTS" "$TMP/dir.ref"; touch -r "$CERTS/rotor.cert" "$TMP/file.ref"
size_before=$(stat -c %s "$CERTS/rotor.cert"); dmtime_before=$(stat -c %Y.%y "$CERTS")
cat "$KEYS/rotor2.cert" >"$CERTS/rotor.cert"
touch -r "$TMP/file.ref" "$CERTS/rotor.cert"; touch -r "$TMP/dir.ref" "$CERTS"
check "rotation kept the file size" test "$(stat -c %s "$CERTS/rotor.cert")" = "$size_before"
check "rotation kept the directory mtime" test "$(stat -c %Y.%y "$CERTS")" = "$dmtime_before"
sleep 0.7
rc=$(rc_of as rotor1 --timeout-ms 1500 ping)
check "rotated-out key refused without restart (exit $rc)" test "$rc" = 3
rc=$(rc_of as rotor2 ping)
check "rotated-in key admitted without restart (exit $rc)" test "$rc" = 0

sleep 0.6
as boss audit export -o "$TMP/trail2.jsonl" >/dev/null 2>&1
check "key changes are in the audit trail (revocation)" \
    bash -c "grep keys.change '$TMP/trail2.jsonl' | grep -q 'removed itops'"
check "key changes are in the audit trail (rotation)" \
    bash -c "grep keys.change '$TMP/trail2.jsonl' | grep 'removed rotor1' | grep -q 'added rotor2'"
rc=$(rc_of as audrey audit verify)
check "the trail still verifies (exit $rc)" test "$rc" = 0

# ---- idle raw TCP connections vs. the handshake time-out ----
python3 - "$PORT" "$HANDSHAKE_MS" >"$TMP/idle.out" 2>&1 <<'PY' &
import socket, sys, time
port, hs = int(sys.argv[1]), int(sys.argv[2]) / 1000.0
socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
t0 = time.monotonic()
closed = 0
for s in socks:
    s.settimeout(max(0.1, hs * 3 - (time.monotonic() - t0)))
    try:
        while s.recv(4096):
            pass
        closed += 1
    except socket.timeout:
        pass
print("closed %d of %d after %.2f s" % (closed, len(socks), time.monotonic() - t0))
PY
IDLE_PID=$!
sleep 0.3
worst=0
for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    as boss ping >/dev/null 2>&1 || not_ok "ping during idle connections failed"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$ms" -gt "$worst" ] && worst=$ms
done
check "20 idle raw TCP connections: slowest of 5 pings $worst ms < handshake $HANDSHAKE_MS ms" test "$worst" -lt "$HANDSHAKE_MS"
wait "$IDLE_PID"
check "ismod closed every idle connection after the handshake time-out ($(cat "$TMP/idle.out"))" \
    grep -q "closed 20 of 20" "$TMP/idle.out"

stop_server
if [ "$FAILS" -gt 0 ]; then
    echo "$FAILS check(s) failed; ismod log:"; tail -40 "$TMP/ismod.log"
    exit 1
fi
echo "all security checks passed"
