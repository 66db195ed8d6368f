#!/usr/bin/env bash
# cli_test.sh ISMOD ISMO: black-box test of the ismo CLI against a real ismod
# on free loopback ports with a temporary data directory. Bounded in time
# (every CLI call has a short reply time-out; ctest adds 120 s); the server
# and the temporary directory are removed on exit, whatever happens.
set -u
ISMOD=${1:?usage: cli_test.sh ISMOD ISMO}
ISMO=${2:?usage: cli_test.sh ISMOD ISMO}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ismo-cli-test.XXXXXX")
SERVER_PID=
WATCH_PID=
FAILS=0

cleanup() {
    [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { echo "ok   - $*"; }
not_ok() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
check() { # check DESCRIPTION COMMAND...
    local d=$1; shift
    if "$@"; then ok "$d"; else not_ok "$d"; fi
}

free_port() {
    python3 -c 'import random, socket
# below the kernel ephemeral range (32768-60999): a client reconnecting to a
# dead port in that range can connect to itself and hold the port (TCP self-connect)
for _ in range(500):
    p = random.randint(20000, 32000)
    try:
        s = socket.socket(); s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError:
        pass'
}
PORT=$(free_port)
PUB_PORT=$(free_port)
while [ "$PUB_PORT" = "$PORT" ]; do PUB_PORT=$(free_port); done
export ISMO_ENDPOINT="tcp://127.0.0.1:$PORT"
export ISMO_PUB_ENDPOINT="tcp://127.0.0.1:$PUB_PORT"
export USER=cli-test

"$ISMOD" --data-dir "$TMP/data" --insecure --endpoint "$ISMO_ENDPOINT" --pub-endpoint "$ISMO_PUB_ENDPOINT" \
    --tick-ms 200 --no-sync true >"$TMP/ismod.log" 2>&1 &
SERVER_PID=$!

ismo() { "$ISMO" --timeout-ms 5000 "$@"; }

up=0
for _ in $(seq 1 50); do
    if "$ISMO" --timeout-ms 200 ping >"$TMP/ping.out" 2>&1; then up=1; break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ $up -ne 1 ]; then
    echo "ismod did not come up:"; cat "$TMP/ismod.log" "$TMP/ping.out"; exit 1
fi
check "ping answers" grep -q "^ismod " "$TMP/ping.out"

# --- import: YAML register, CSV register -----------------------------------
ismo import "$ROOT/examples/register.yaml" >"$TMP/imp1.out" 2>&1
check "import register.yaml exits 0" test $? -eq 0
check "import register.yaml creates 14 objectives" \
    grep -q "objectives: 14 (created 14, updated 0, unchanged 0, failed 0)" "$TMP/imp1.out"
ismo import "$ROOT/examples/register.yaml" >"$TMP/imp2.out" 2>&1
check "re-import of register.yaml: all unchanged, samples duplicates" \
    grep -q "objectives: 14 (created 0, updated 0, unchanged 14" "$TMP/imp2.out"
ismo import "$ROOT/examples/cenedril-register.csv" >"$TMP/imp3.out" 2>&1
check "import CSV register exits 0" test $? -eq 0
check "CSV register: 10 objectives created" grep -q "objectives: 10 (created 10" "$TMP/imp3.out"
check "CSV register: 'Pending audit' warned with line and column" \
    grep -q "cenedril-register.csv:6: Current Value: 'Pending audit'" "$TMP/imp3.out"

printf 'objectives:\n  - id: X-1\n    title: a\n    function: hr\n  - id: X-1\n    title: b\n    function: hr\n' >"$TMP/dup.yaml"
ismo import "$TMP/dup.yaml" >"$TMP/dup.out" 2>&1
rc=$?
check "duplicate ids refused (exit 1)" test $rc -eq 1
check "duplicate ids: both lines named" grep -q "first defined on line 2, again on line 5" "$TMP/dup.out"

# --- list / show --------------------------------------------------------------
ismo list >"$TMP/list.out" 2>&1
check "list shows 24 objectives" test "$(grep -c '^ *OBJ-' "$TMP/list.out")" -eq 24
ismo list --function hr >"$TMP/list-hr.out" 2>&1
check "list --function hr shows only the 3 hr objectives" \
    test "$(grep -c '^ *OBJ-' "$TMP/list-hr.out")" -eq 3 -a "$(grep -c -E '^ *(OBJ-TRAINING|OBJ-TRAINING-NEWJOINERS|OBJ-SEC-CULTURE) ' "$TMP/list-hr.out")" -eq 3
ismo show OBJ-PATCH-48H >"$TMP/show.out" 2>&1
check "show prints the plan" grep -q "Automate patch deployment for Linux servers" "$TMP/show.out"
check "show prints the status" grep -q "health:" "$TMP/show.out"
ismo show OBJ-2026-05 >"$TMP/show5.out" 2>&1
check "show prints import notes" grep -q "Current Value: 'Pending audit'" "$TMP/show5.out"
ismo show OBJ-NOPE >"$TMP/show-nope.out" 2>&1
rc=$?
check "show of an unknown id exits 1 with the server's message" \
    test $rc -eq 1 -a "$(grep -c 'ismo: show: .*NOT_FOUND' "$TMP/show-nope.out")" -eq 1

# --- push -------------------------------------------------------------------------
ismo push OBJ-AVAIL 99.95 >"$TMP/push.out" 2>&1
check "push accepted" grep -q "^accepted: OBJ-AVAIL" "$TMP/push.out"
ismo push OBJ-AVAIL NaN >"$TMP/nan.out" 2>&1
rc=$?
check "push NaN refused (exit 1) with a message" \
    test $rc -eq 1 -a "$(grep -c 'ismo: push: .*not a finite number' "$TMP/nan.out")" -eq 1
ismo push OBJ-AVAIL 99.9 --id fixed-id-1 >/dev/null 2>&1
ismo push OBJ-AVAIL 99.9 --id fixed-id-1 >"$TMP/dup-push.out" 2>&1
check "push with a stored sample id is a duplicate" grep -q "^duplicate:" "$TMP/dup-push.out"

# --- status -o json ----------------------------------------------------------------
ismo status -o json >"$TMP/status.json" 2>&1
check "status -o json is a JSON array of 24 with proto field names" python3 - "$TMP/status.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 24, len(a)
keys = {"objective_id", "health", "value", "progress", "expected_progress", "evaluated_ms",
        "last_sample_ms", "window_samples", "total_samples", "explanation", "next_deadline_ms",
        "reminders_outstanding", "title", "function", "owner", "target", "unit", "deadline_ms"}
for s in a:
    missing = keys - set(s)
    assert not missing, (s["objective_id"], missing)
by = {s["objective_id"]: s for s in a}
assert by["OBJ-CRIT-VULNS"]["health"] == "achieved", by["OBJ-CRIT-VULNS"]
assert by["OBJ-CRIT-VULNS"]["value"] == 39
# OBJ-PATCH-48H: mean of the register's samples inside the 90-day window
import datetime
hist = {"2026-03-31": 96, "2026-06-30": 72, "2026-09-30": 60, "2026-11-15": 55,
        "2026-11-22": 54, "2026-11-29": 52}
p = by["OBJ-PATCH-48H"]
day = 86400000
ms = lambda d: int(datetime.datetime.fromisoformat(d + "T00:00:00+00:00").timestamp() * 1000)
inwin = [v for d, v in hist.items() if p["evaluated_ms"] - 90 * day <= ms(d) <= p["evaluated_ms"]]
if inwin:
    assert abs(p["value"] - sum(inwin) / len(inwin)) < 1e-9, (p, inwin)
assert by["OBJ-AVAIL"]["health"] in ("on_track", "achieved"), by["OBJ-AVAIL"]
assert by["OBJ-2026-01"]["unit"] == "%" and by["OBJ-2026-01"]["target"] == 5
PY

# --- Upptime backfill: OBJ-AVAIL-CANVAS is missed at ~99.75 % ------------------
ismo import "$ROOT/examples/upptime-maryville.csv" --samples-for OBJ-AVAIL-CANVAS \
    --service canvas-lms >"$TMP/up1.out" 2>&1
check "upptime import exits 0" test $? -eq 0
check "upptime import: 297 daily samples accepted" grep -q "accepted 297, duplicates 0" "$TMP/up1.out"
ismo import "$ROOT/examples/upptime-maryville.csv" --samples-for OBJ-AVAIL-CANVAS \
    --service canvas-lms >"$TMP/up2.out" 2>&1
check "upptime re-import: duplicates, no new samples" grep -q "accepted 0, duplicates 297" "$TMP/up2.out"
ismo status -o json OBJ-AVAIL-CANVAS >"$TMP/canvas.json" 2>&1
check "OBJ-AVAIL-CANVAS is missed with value 99.7x" python3 - "$TMP/canvas.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))[0]
assert s["objective_id"] == "OBJ-AVAIL-CANVAS"
assert s["health"] == "missed", s
assert 99.70 <= s["value"] < 99.80, s
PY

# --- report --------------------------------------------------------------------------
ismo report -o "$TMP/report.md" >/dev/null 2>&1
check "report -o FILE exits 0" test $? -eq 0
check "report has the headings" \
    grep -q "^# Information security objectives" "$TMP/report.md"
for h in "## Summary" "## Objectives" "## Needs attention" "## Plans"; do
    check "report has '$h'" grep -q "^$h" "$TMP/report.md"
done
missing=0
for id in $(grep -o '^ *OBJ-[A-Z0-9-]*' "$TMP/list.out" | tr -d ' '); do
    grep -q "\*\*$id\*\*" "$TMP/report.md" || { echo "  missing in report: $id"; missing=1; }
done
check "report names every objective" test $missing -eq 0

# --- events / watch ------------------------------------------------------------------
ismo events --kind status >"$TMP/events.out" 2>&1
check "events lists status changes" grep -q "^#[0-9]* .* status " "$TMP/events.out"
ismo watch --count 1 --timeout-s 20 --function it-ops --kind status >"$TMP/watch.out" 2>&1 &
WATCH_PID=$!
sleep 1
ismo push OBJ-PENDING-UPDATES 3 >/dev/null 2>&1
wait "$WATCH_PID"
rc=$?
WATCH_PID=
check "watch --count 1 exits 0 after an event triggered by a push" test $rc -eq 0
check "watch printed the status change of OBJ-PENDING-UPDATES" \
    grep -q "^#[0-9]* .* status it-ops OBJ-PENDING-UPDATES " "$TMP/watch.out"
ismo watch --count 1 --timeout-s 1 --kind objective >"$TMP/watch2.out" 2>&1
check "watch with the count not reached exits 1 at the time-out" test $? -eq 1

# --- retire ---------------------------------------------------------------------------
ismo retire OBJ-2026-10 >"$TMP/retire0.out" 2>&1
check "retire without --reason is a usage error (exit 2)" test $? -eq 2
ismo retire OBJ-2026-10 --reason "merged into BCM programme" >"$TMP/retire.out" 2>&1
check "retire exits 0" grep -q "^retired: OBJ-2026-10" "$TMP/retire.out"
ismo list >"$TMP/list2.out" 2>&1
check "retired objective left out of list" test "$(grep -c '^ *OBJ-2026-10 ' "$TMP/list2.out")" -eq 0
ismo list --all >"$TMP/list3.out" 2>&1
check "list --all shows it as retired" grep -q "^ *OBJ-2026-10 .*retired" "$TMP/list3.out"

# --- history and lint ------------------------------------------------------------------
ismo history OBJ-2026-10 >"$TMP/history.out" 2>&1
check "history exits 0" test $? -eq 0
check "history lists both versions with who and why" \
    grep -q "^v2 .* merged into BCM programme" "$TMP/history.out"
check "history shows what changed" grep -q "retired: no -> yes" "$TMP/history.out"
ismo history NO-SUCH-ID >"$TMP/history2.out" 2>&1
check "history of an unknown id exits 1" test $? -eq 1
ismo lint >"$TMP/lint.out" 2>&1
check "lint exits 1 when objectives lack something" test $? -eq 1
check "lint names what the CSV register's objectives lack" \
    grep -q "^OBJ-2026-05: lacks .*plan (no action)" "$TMP/lint.out"
check "lint counts the complete ones" grep -q "complete (SMART, with a plan)" "$TMP/lint.out"
check "lint passes the example register's OBJ-PATCH-48H" test "$(grep -c '^OBJ-PATCH-48H:' "$TMP/lint.out")" -eq 0

# --- explain -----------------------------------------------------------------------------
ismo explain OBJ-PATCH-48H >"$TMP/explain.out" 2>&1
check "explain exits 0" test $? -eq 0
check "explain prints numbered rule lines" grep -q "^  1\. " "$TMP/explain.out"
check "explain prints the samples" grep -q "^samples (newest first, " "$TMP/explain.out"
ismo explain OBJ-PATCH-48H -o json >"$TMP/explain.json" 2>&1
ismo status -o json OBJ-PATCH-48H >"$TMP/explain-status.json" 2>&1
check "explain -o json: rules, samples newest first, the health of status" \
    python3 - "$TMP/explain.json" "$TMP/explain-status.json" <<'PY'
import json, sys
x = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))[0]
assert x["objective_id"] == "OBJ-PATCH-48H"
assert x["rules"] and all(isinstance(r, str) and r for r in x["rules"]), x["rules"]
t = [m["effective_ms"] for m in x["samples"]]
assert t and t == sorted(t, reverse=True), t
assert x["window_samples"] >= len(x["samples"])
assert x["health"] == s["health"], (x["health"], s["health"])
PY
ismo explain OBJ-NOPE >"$TMP/explain-nope.out" 2>&1
check "explain of an unknown objective exits 1" test $? -eq 1

# --- ack ------------------------------------------------------------------------------------
# OBJ-AVAIL-CANVAS is past its deadline and missed: ismod fired an OVERDUE reminder
for _ in $(seq 1 30); do
    ismo events --kind reminder >"$TMP/reminders.out" 2>&1
    grep -q " OBJ-AVAIL-CANVAS overdue " "$TMP/reminders.out" && break
    sleep 0.2
done
check "an OVERDUE reminder of OBJ-AVAIL-CANVAS was published, with its key" \
    grep -q " OBJ-AVAIL-CANVAS overdue .* key " "$TMP/reminders.out"
ismo ack OBJ-AVAIL-CANVAS --key no-such-key >"$TMP/ack-bad.out" 2>&1
check "ack of an unknown key exits 1" test $? -eq 1
ismo ack OBJ-AVAIL-CANVAS --note "vendor outage, see INC-4711" >"$TMP/ack.out" 2>&1
check "ack exits 0" test $? -eq 0
check "ack lists what it acknowledged" grep -q "^acknowledged [0-9]* reminders* of OBJ-AVAIL-CANVAS (event #" "$TMP/ack.out"
ismo ack OBJ-AVAIL-CANVAS >"$TMP/ack2.out" 2>&1
check "a second ack has nothing to acknowledge" grep -q "^nothing to acknowledge" "$TMP/ack2.out"
ismo events --kind ack >"$TMP/ack-events.out" 2>&1
check "the ack is an event with actor and note" \
    grep -q " ack it-ops OBJ-AVAIL-CANVAS acknowledged .* by cli-test: vendor outage" "$TMP/ack-events.out"
ismo ack OBJ-NOPE >/dev/null 2>&1
check "ack of an unknown objective exits 1" test $? -eq 1

# --- review add / list -----------------------------------------------------------------------
ismo review add OBJ-PATCH-48H --decision adjust >/dev/null 2>&1
check "review add without --note is a usage error (exit 2)" test $? -eq 2
ismo review add OBJ-PATCH-48H --decision maybe --note x >/dev/null 2>&1
check "review add with an unknown decision is a usage error (exit 2)" test $? -eq 2
ismo review add OBJ-NOPE --decision continue --note x >/dev/null 2>&1
check "review add of an unknown objective exits 1" test $? -eq 1
# dated a moment ago (a review cannot predate the objective's first version, imported above)
REV_MS=$(python3 -c 'import time; print(int(time.time() * 1000) - 1)')
REV_ISO=$(python3 -c 'import sys, datetime; ms = int(sys.argv[1]); print(datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000))' "$REV_MS")
ismo review add OBJ-PATCH-48H --decision adjust --note 'target 36 h from 2027 <ok> & "fine"' \
    --date "@$REV_MS" >"$TMP/review.out" 2>&1
check "review add exits 0" test $? -eq 0
check "review add prints the stored record" \
    grep -q "^review #[0-9]* of OBJ-PATCH-48H recorded: adjust on $REV_ISO by cli-test" "$TMP/review.out"
ismo review add OBJ-PATCH-48H --decision adjust --note "too early" --date 2020-01-01 >"$TMP/review-early.out" 2>&1
check "review add dated before the objective existed exits 1" test $? -eq 1
ismo review add OBJ-TRAINING --decision continue --note "on plan" >/dev/null 2>&1
ismo review list OBJ-PATCH-48H -o json >"$TMP/reviews.json" 2>&1
check "review list -o json: the record as stored" python3 - "$TMP/reviews.json" "$REV_MS" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 1, a
r = a[0]
assert r["objective_id"] == "OBJ-PATCH-48H" and r["decision"] == "adjust", r
assert r["note"] == 'target 36 h from 2027 <ok> & "fine"', r
assert r["reviewer"] == "cli-test" and r["objective_version"] >= 1 and r["seq"] >= 1, r
assert r["reviewed_ms"] == int(sys.argv[2]), r
PY
ismo review list >"$TMP/reviews.out" 2>&1
check "review list shows both records" test "$(grep -c -E ' (OBJ-PATCH-48H|OBJ-TRAINING) ' "$TMP/reviews.out")" -eq 2
ismo report -o "$TMP/report2.md" >/dev/null 2>&1
check "report after a review record today: the default period still spans 30 days" \
    grep -q "^Review period: .*(the last 30 days: the last review record is more recent)" "$TMP/report2.md"
TO31=$(python3 -c 'import time; print(int(time.time() * 1000) + 31 * 86400000)')
ismo report --to "@$TO31" -o "$TMP/report3.md" >/dev/null 2>&1
check "report with the last review record over 30 days before --to: the period starts at it" \
    grep -q "^Review period: .*(since the last review record)" "$TMP/report3.md"
check "report carries the decision forward" \
    grep -q "^- \*\*OBJ-PATCH-48H\*\*: adjust on ${REV_ISO%%T*}" "$TMP/report2.md"
check "report lists the reviews held in the period" \
    grep -q ' \*\*OBJ-TRAINING\*\* continue by cli-test' "$TMP/report2.md"

# --- hostile text: escaped in the md pack, neutralised in the report CSV -----------------------
cat >"$TMP/hostile.yaml" <<'EOF'
objectives:
  - id: OBJ-HOSTILE
    title: "*bold* <b>x</b> [link](http://x) snake_case _em_"
    function: hostile
    owner: "=cmd|calc"
    metric: {name: m, unit: "@u", direction: higher_is_better, aggregation: last}
    baseline: -5
    baseline_at: 2026-01-01
    target: 10
    deadline: 2027-12-31
EOF
ismo import "$TMP/hostile.yaml" >"$TMP/hostile-imp.out" 2>&1
check "import of an objective with hostile text" test $? -eq 0
ismo review add OBJ-HOSTILE --decision continue --note '<b>&amp;</b>' >/dev/null 2>&1
ismo report --function hostile -o "$TMP/hostile.md" >/dev/null 2>&1
check "md pack: markup in user text is escaped, not markup" python3 - "$TMP/hostile.md" <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
assert "<b>" not in t and "&amp;" not in t.replace("\\&amp;", ""), "raw markup in the md pack"
assert "\\<b\\>\\&amp;\\</b\\>" in t, "the review note escaped"
assert "\\*bold\\* \\<b\\>x\\</b\\> \\[link\\](http://x) snake_case \\_em\\_" in t, "the title escaped"
assert "**OBJ-HOSTILE**" in t
PY
ismo report --function hostile --format csv -o "$TMP/hostile.csv" >/dev/null 2>&1
check "report CSV: text cells starting with = or @ get a quote; numbers and other text stay" \
    python3 - "$TMP/hostile.csv" <<'PY'
import csv, sys
r = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))[0]
assert r["owner"] == "'=cmd|calc", r["owner"]
assert r["unit"] == "'@u", r["unit"]
assert r["baseline"] == "-5", r["baseline"]
assert r["last_review_note"] == "<b>&amp;</b>", r["last_review_note"]
assert r["title"].startswith("*bold*"), r["title"]
PY
check "report CSV: the columns in the documented order" python3 - "$TMP/hostile.csv" "$ROOT/docs/cli.md" <<'PY'
import csv, re, sys
head = next(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
doc = open(sys.argv[2], encoding="utf-8").read()
sec = doc[doc.index("**`csv`**: RFC 4180"):]
sec = sec[:sec.index("\n\n", sec.index("| column |"))]
cols = []
for line in sec.splitlines():
    if line.startswith("| `"):
        cols += re.findall(r"`([a-z_]+)`", line.split("|")[1])
assert cols == head, (cols, head)
PY

# --- as of a past instant, time zones, the tree --------------------------------------------------
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
cat >"$TMP/asof.yaml" <<'EOF'
objectives:
  - id: OBJ-ASOF
    title: As-of check
    level: strategic
    function: asof
    owner: CISO
    metric: {name: m, unit: count, direction: higher_is_better, aggregation: last}
    baseline: 0
    baseline_at: 2026-01-01
    target: 10
    start: 2026-01-01
    deadline: 2027-12-31
    evaluation_method: count
    plan:
      - {what: do it, resources: time, responsible: CISO, due: 2027-06-30}
  - id: OBJ-ASOF-CHILD
    parent: OBJ-ASOF
    title: As-of child
    level: tactical
    function: asof
    owner: CISO
    metric: {name: m, unit: count, direction: higher_is_better, aggregation: last}
    baseline: 0
    baseline_at: 2026-01-01
    target: 10
    start: 2026-01-01
    deadline: 2026-02-01
    evaluation_method: count
    plan:
      - {what: do it, resources: time, responsible: CISO, due: 2026-01-31}
EOF
T0=$(now_ms)
sleep 0.1
ismo import "$TMP/asof.yaml" >"$TMP/asof-imp.out" 2>&1
check "import of a parent and a child objective" test $? -eq 0
sleep 0.1
T1=$(now_ms)
sleep 0.1
sed 's/^    target: 10$/    target: 20/' "$TMP/asof.yaml" >"$TMP/asof2.yaml"
ismo import "$TMP/asof2.yaml" --reason "raise the target" >/dev/null 2>&1
ismo push OBJ-ASOF 7 >/dev/null 2>&1
ismo show OBJ-ASOF --as-of "@$T1" >"$TMP/asof-show.out" 2>&1
check "show --as-of: the version in force then" grep -q "^version: *1$" "$TMP/asof-show.out"
check "show --as-of: its target then" grep -q "^target: *>= 10 count" "$TMP/asof-show.out"
check "show --as-of: the status as of then" grep -q "^status as of " "$TMP/asof-show.out"
ismo show OBJ-ASOF >"$TMP/asof-now.out" 2>&1
check "show without --as-of: the current version" grep -q "^version: *2$" "$TMP/asof-now.out"
ismo show OBJ-ASOF --as-of "@$T0" >/dev/null 2>&1
check "show --as-of before the objective existed exits 1" test $? -eq 1
ismo show OBJ-ASOF --as-of 2026-13-45 >/dev/null 2>&1
check "show --as-of with a bad date is a usage error (exit 2)" test $? -eq 2
ismo status -o json --as-of "@$T1" OBJ-ASOF >"$TMP/asof-status.json" 2>&1
ismo status -o json OBJ-ASOF >"$TMP/asof-status-now.json" 2>&1
check "status --as-of: no sample then, the sample now" \
    python3 - "$TMP/asof-status.json" "$TMP/asof-status-now.json" "$T1" <<'PY'
import json, sys
then = json.load(open(sys.argv[1]))[0]
now = json.load(open(sys.argv[2]))[0]
assert then["as_of_ms"] == int(sys.argv[3]), then
assert then["total_samples"] == 0 and then["value"] is None, then
assert then["objective_version"] == 1, then
# the fields of the version in force then (target 10), not today's (20)
assert then["target"] == 10, then
assert now["target"] == 20, now
assert now["total_samples"] == 1 and now["value"] == 7, now
PY
ismo explain OBJ-ASOF --as-of "@$T1" -o json >"$TMP/asof-explain.json" 2>&1
check "explain --as-of: the version then, no samples" python3 - "$TMP/asof-explain.json" <<'PY'
import json, sys
x = json.load(open(sys.argv[1]))
assert x["objective_version"] == 1 and x["samples"] == [] and x["target"] == 10, x
PY
ismo report --format csv --to "@$T1" --function asof -o "$TMP/asof-report.csv" >/dev/null 2>&1
ismo report --format csv --to "@$T0" --function asof -o "$TMP/asof-report0.csv" >/dev/null 2>&1
check "report --to a past instant: the version in force then; objectives not yet created left out" \
    python3 - "$TMP/asof-report.csv" "$TMP/asof-report0.csv" <<'PY'
import csv, sys
rows = {r["id"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
assert sorted(rows) == ["OBJ-ASOF", "OBJ-ASOF-CHILD"], sorted(rows)
assert rows["OBJ-ASOF"]["target"] == "10", rows["OBJ-ASOF"]
assert list(csv.DictReader(open(sys.argv[2], newline=""))) == []
PY
ismo list --function asof >"$TMP/tree.out" 2>&1
check "list shows the child indented under its parent" python3 - "$TMP/tree.out" <<'PY'
import sys
rows = open(sys.argv[1]).read().splitlines()[1:]
ids = [r[:len(r) - len(r.lstrip())] + r.split()[0] for r in rows]
assert ids == ["OBJ-ASOF", "  OBJ-ASOF-CHILD"], ids
PY
ismo status -o json --function asof >"$TMP/tree.json" 2>&1
check "status: the parent's health rolls up the child's (missed)" python3 - "$TMP/tree.json" <<'PY'
import json, sys
l = json.load(open(sys.argv[1]))
assert [s["objective_id"] for s in l] == ["OBJ-ASOF", "OBJ-ASOF-CHILD"], l
a = {s["objective_id"]: s for s in l}
p, c = a["OBJ-ASOF"], a["OBJ-ASOF-CHILD"]
assert c["depth"] == 1 and p["depth"] == 0 and c["parent_id"] == "OBJ-ASOF", (p, c)
assert c["health"] == "missed", c
assert p["rollup_health"] == "missed" and p["children"] == 1, p
assert p["health"] != "missed", p
PY
ismo status OBJ-MTTD OBJ-CERT >"$TMP/kinds.out" 2>&1
check "status: a duration metric as '2h 30min' with its strict target '< 2h'" \
    grep -qE "^OBJ-MTTD +it-ops +[A-Z]+ +[A-Z_]+ +[A-Z_]+ +([0-9]+h ?)?([0-9]+min)? +< 2h " "$TMP/kinds.out"
check "status: a yes/no metric as yes/no" grep -qE "^OBJ-CERT +compliance +[A-Z]+ +[A-Z_]+ +[A-Z_]+ +(yes|no) +yes " "$TMP/kinds.out"
ismo --tz Europe/Berlin show OBJ-ASOF >"$TMP/tz.out" 2>&1
check "--tz Europe/Berlin: times with the zone's offset" grep -q "^updated: .*+01:00$" "$TMP/tz.out"
ISMO_TZ=America/New_York "$ISMO" --timeout-ms 5000 show OBJ-ASOF >"$TMP/tz2.out" 2>&1
check "ISMO_TZ=America/New_York: times with the zone's offset" grep -q "^updated: .*-05:00$" "$TMP/tz2.out"
check "the deadline stays the UTC day" grep -q "^deadline: *2027-12-31$" "$TMP/tz2.out"
ISMO_TZ=Mars/Base "$ISMO" status >"$TMP/tz3.out" 2>&1
check "an unknown zone is a usage error (exit 2)" test $? -eq 2
check "  ... with a clear message" grep -q "unknown time zone 'Mars/Base'" "$TMP/tz3.out"

ismo --tz Europe/Berlin history OBJ-ASOF >"$TMP/tz-hist.out" 2>&1
check "history --tz: version times with the zone's offset" grep -q "^v1  .*+01:00  by " "$TMP/tz-hist.out"
# a date-time without a zone is a wall time in the display zone (Berlin: UTC+1 in winter):
# a whole second after the import (T1) and already past (an --as-of after ismod's
# time is refused), as Berlin's wall time and as UTC's
AT=$((T1 / 1000 + 2))
for _ in $(seq 1 40); do [ "$(now_ms)" -gt $((AT * 1000 + 100)) ] && break; sleep 0.1; done
WALL_BERLIN=$(TZ=Europe/Berlin date -d "@$AT" +%Y-%m-%dT%H:%M:%S)
WALL_UTC=$(TZ=UTC date -d "@$AT" +%Y-%m-%dT%H:%M:%S)
ismo --tz Europe/Berlin status -o json --as-of "$WALL_BERLIN" OBJ-ASOF >"$TMP/tz-asof.json" 2>&1
ismo status -o json --as-of "$WALL_BERLIN" --tz Europe/Berlin OBJ-ASOF >"$TMP/tz-asof2.json" 2>&1
ismo status -o json --as-of "$WALL_UTC" OBJ-ASOF >"$TMP/tz-asof3.json" 2>&1
ismo --tz Europe/Berlin status -o json --as-of "${WALL_UTC}Z" OBJ-ASOF >"$TMP/tz-asof4.json" 2>&1
check "--as-of without a zone: read in --tz (wherever --tz stands), in UTC without --tz; Z stays UTC" \
    python3 - "$AT" "$TMP/tz-asof.json" "$TMP/tz-asof2.json" "$TMP/tz-asof3.json" "$TMP/tz-asof4.json" <<'PY'
import json, sys
want = int(sys.argv[1]) * 1000
got = [json.load(open(p))[0]["as_of_ms"] for p in sys.argv[2:]]
assert got == [want] * 4, (got, want)
PY
"$ISMO" --tz '' status >"$TMP/tz-empty.out" 2>&1
check "--tz '' is a usage error (exit 2)" test $? -eq 2
"$ISMO" status --tz= >"$TMP/tz-empty2.out" 2>&1
check "--tz= after the command is a usage error (exit 2)" test $? -eq 2
check "  ... with a clear message" grep -q "needs a time zone name" "$TMP/tz-empty2.out"

# --- ratio samples: push --total, explain and samples show value of total and the share ----------
ismo push OBJ-TRAINING-NEWJOINERS 3 --total 4 --id ratio-1 >"$TMP/ratio-push.out" 2>&1
check "push --total: accepted as 3 of 4" grep -q "^accepted: OBJ-TRAINING-NEWJOINERS = 3 of 4 " "$TMP/ratio-push.out"
ismo push OBJ-TRAINING-NEWJOINERS 3 --total 0 >/dev/null 2>&1
check "push --total 0 refused (exit 1)" test $? -eq 1
ismo explain OBJ-TRAINING-NEWJOINERS >"$TMP/ratio-explain.out" 2>&1
check "explain: a ratio sample as value of total with its share" grep -q " 3 of 4 (75 %) .* ratio-1" "$TMP/ratio-explain.out"
ismo samples OBJ-TRAINING-NEWJOINERS -o json >"$TMP/ratio-samples.json" 2>&1
check "samples -o json: the total of a ratio sample" python3 - "$TMP/ratio-samples.json" <<'PY'
import json, sys
a = {s["sample_id"]: s for s in json.load(open(sys.argv[1]))}
assert a["ratio-1"]["value"] == 3 and a["ratio-1"]["total"] == 4, a["ratio-1"]
PY
ismo --tz Europe/Berlin explain OBJ-PATCH-48H >"$TMP/explain-tz.out" 2>&1
check "explain --tz: says which zone its times are in" grep -q "^  times in: *Europe/Berlin " "$TMP/explain-tz.out"
check "explain --tz: the rule lines are labelled UTC" grep -q "^rules (in order of application; times in UTC):" "$TMP/explain-tz.out"
# a progress of 2e15 (2e17 %) keeps its % sign in the table
cat >"$TMP/huge.yaml" <<'EOF'
objectives:
  - id: OBJ-HUGE
    title: Huge progress
    function: huge
    owner: CISO
    metric: {name: m, unit: count, direction: higher_is_better, aggregation: last}
    baseline: 0
    baseline_at: 2026-01-01
    target: 1e-13
    start: 2026-01-01
    deadline: 2027-12-31
EOF
ismo import "$TMP/huge.yaml" >/dev/null 2>&1
ismo push OBJ-HUGE 200 >/dev/null 2>&1
ismo status OBJ-HUGE >"$TMP/huge.out" 2>&1
check "status: a huge progress is shown with its % sign (2e+17 %)" grep -q " 2e+17 % " "$TMP/huge.out"

# --- review dates are the UTC day they name (not the day before) ------------------------------
cat >"$TMP/revdate.yaml" <<'EOF'
objectives:
  - id: OBJ-REVDATE
    title: Review date check
    function: revdate
    owner: CISO
    metric: {name: m, unit: count, direction: higher_is_better, aggregation: last}
    target: 10
    start: 2026-01-01
    deadline: 2027-12-31
    review_dates: [2026-06-30]
EOF
ismo import "$TMP/revdate.yaml" >"$TMP/revdate-imp.out" 2>&1
check "import of an objective with a review date" test $? -eq 0
ismo --tz America/New_York show OBJ-REVDATE >"$TMP/revdate-show.out" 2>&1
check "show: review dates print the day they name (2026-06-30)" \
    grep -q "^review dates: *2026-06-30$" "$TMP/revdate-show.out"
for _ in $(seq 1 30); do
    ismo events --kind reminder >"$TMP/revdate-ev.out" 2>&1
    grep -q " OBJ-REVDATE review_due " "$TMP/revdate-ev.out" && break
    sleep 0.2
done
check "events: the REVIEW_DUE reminder is due on the review date's day" \
    grep -q " OBJ-REVDATE review_due due 2026-06-30 " "$TMP/revdate-ev.out"
check "ismod's reminder text names the review date's day" \
    grep -q "OBJ-REVDATE: review due 2026-06-30 " "$TMP/ismod.log"
sed 's/^    start: 2026-01-01$/    start: 2026-02-01/' "$TMP/revdate.yaml" >"$TMP/revdate2.yaml"
ismo import "$TMP/revdate2.yaml" --reason "later start" >/dev/null 2>&1
ismo history OBJ-REVDATE >"$TMP/revdate-hist.out" 2>&1
check "history: a start date is the day it names" grep -q "^    start: 2026-01-01 -> 2026-02-01$" "$TMP/revdate-hist.out"

# --- watch: events published while the subscription was down are caught up -------------------
# Three watches (unfiltered, --kind review, --function it-ops); ismod stops, a
# second ismod on the same data directory but other endpoints stores a review
# (published where no watch listens), and ismod restarts on the old endpoints.
# Its heartbeat (newest stored seq) must make each watch fetch the missed event
# with ListEvents; a heartbeat is not printed as an event.
ismo watch --timeout-s 30 --count 1 >"$TMP/wgap-all.out" 2>&1 &
WG1=$!
ismo watch --timeout-s 30 --count 1 --kind review >"$TMP/wgap-kind.out" 2>&1 &
WG2=$!
ismo watch --timeout-s 30 --count 1 --function it-ops >"$TMP/wgap-fn.out" 2>&1 &
WG3=$!
sleep 1
stop_ismod() {
    kill "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    SERVER_PID=
}
start_ismod() { # start_ismod ENDPOINT PUB_ENDPOINT [ISMOD OPTION...]
    local ep=$1 pep=$2; shift 2
    "$ISMOD" --data-dir "$TMP/data" --insecure --endpoint "$ep" --pub-endpoint "$pep" \
        --tick-ms 200 --no-sync true "$@" >>"$TMP/ismod.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 50); do
        "$ISMO" --endpoint "$ep" --timeout-ms 200 ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
stop_ismod
P2=$(free_port); P3=$(free_port)
check "second ismod on other endpoints comes up" start_ismod "tcp://127.0.0.1:$P2" "tcp://127.0.0.1:$P3"
"$ISMO" --endpoint "tcp://127.0.0.1:$P2" --timeout-ms 5000 review add OBJ-PENDING-UPDATES \
    --decision continue --note "while the watch was away" >/dev/null 2>&1
check "review stored by the second ismod" test $? -eq 0
stop_ismod
check "ismod restarts on its endpoints" start_ismod "$ISMO_ENDPOINT" "$ISMO_PUB_ENDPOINT"
for pid in $WG1 $WG2 $WG3; do
    WATCH_PID=$pid
    wait "$pid"
done
WATCH_PID=
for f in all kind fn; do
    check "watch ($f) printed the review missed while away" \
        grep -q "^#[0-9]* .* review it-ops OBJ-PENDING-UPDATES continue by cli-test .*: while the watch was away$" \
        "$TMP/wgap-$f.out"
    check "watch ($f) printed no heartbeat" test "$(grep -c heartbeat "$TMP/wgap-$f.out")" -eq 0
done

# --- user text on one line: control bytes escaped ----------------------------------------------
ismo review add OBJ-PENDING-UPDATES --decision continue \
    --note "$(printf 'two\nlines\ttab \033[31mred')" >/dev/null 2>&1
check "review with control bytes in its note stored" test $? -eq 0
ismo events --kind review >"$TMP/esc-events.out" 2>&1
check "events: the note's control bytes escaped on one line" \
    grep -q 'continue by cli-test .*: two\\nlines\\ttab \\x1b\[31mred$' "$TMP/esc-events.out"
check "events: no raw ESC byte" test "$(grep -c "$(printf '\033')" "$TMP/esc-events.out")" -eq 0
ismo review list OBJ-PENDING-UPDATES >"$TMP/esc-reviews.out" 2>&1
check "review list: the note on one line (blanks for line breaks), ESC escaped" \
    grep -qF 'two lines tab \x1b[31mred' "$TMP/esc-reviews.out"

ismo push OBJ-PENDING-UPDATES 4 --id esc-src --source "$(printf 'feed\033[2Jx')" >/dev/null 2>&1
ismo samples OBJ-PENDING-UPDATES >"$TMP/esc-samples.out" 2>&1
check "samples: a source's ESC escaped" grep -qF 'feed\x1b[2Jx' "$TMP/esc-samples.out"
ismo explain OBJ-PENDING-UPDATES >/dev/null 2>&1
check "explain answers after the escaped-source sample" test $? -eq 0

# --- push: values a double cannot hold are refused; -0 is 0 ------------------------------------
ismo push OBJ-PENDING-UPDATES 1e-400 >"$TMP/push-under.out" 2>&1
check "push 1e-400 (underflow) refused with exit 1" test $? -eq 1
check "push 1e-400: says out of range" grep -q "'1e-400' is out of the range of a number" "$TMP/push-under.out"
ismo push OBJ-PENDING-UPDATES 1e400 >"$TMP/push-over.out" 2>&1
check "push 1e400 (overflow) refused with exit 1" test $? -eq 1
check "push 1e400: says out of range" grep -q "'1e400' is out of the range of a number" "$TMP/push-over.out"
ismo push OBJ-PENDING-UPDATES "$(printf '1\033[2J')" >"$TMP/push-esc.out" 2>&1
check "push of a value with ESC: refused, the text escaped in the message" \
    grep -qF "'1\x1b[2J' is not a finite number" "$TMP/push-esc.out"
ismo status --as-of "$(printf 'x\033[2J')" >"$TMP/asof-esc.out" 2>&1
check "status --as-of with ESC: not a time, the text escaped in the message" \
    grep -qF "'x\x1b[2J' is not a time" "$TMP/asof-esc.out"
ismo push OBJ-PENDING-UPDATES --id neg-zero -- -0 >/dev/null 2>&1
check "push -- -0 accepted" test $? -eq 0
ismo samples OBJ-PENDING-UPDATES >"$TMP/negzero.out" 2>&1
check "samples: -0 shown as 0" grep -q "^[^ ].* 0  .* neg-zero$" "$TMP/negzero.out"
check "samples: no -0" test "$(grep -c -- ' -0 ' "$TMP/negzero.out")" -eq 0

# --- ids checked before they are sent (exit 2, the id escaped) ----------------------------------
BADID=$(printf 'X\377Y')
for cmd in "explain" "history" "show" "samples" "status" "review list" "ack" "push:1" "retire:--reason=x"; do
    args=${cmd#*:}; [ "$args" = "$cmd" ] && args=
    # shellcheck disable=SC2086
    ismo ${cmd%%:*} "$BADID" $args >"$TMP/badid.out" 2>&1
    rc=$?
    check "$cmd with a non-UTF-8 id: exit 2" test $rc -eq 2
    check "$cmd with a non-UTF-8 id: says so, id escaped" \
        grep -qF "'X\\xffY' is not a valid objective id" "$TMP/badid.out"
done

# --- times out of range, --as-of in the future -------------------------------------------------
ismo review add OBJ-PENDING-UPDATES --decision continue --note x --date 1960-01-01 >"$TMP/old.out" 2>&1
check "review add --date 1960-01-01: exit 2" test $? -eq 2
check "review add --date 1960-01-01: out of range" grep -q "'1960-01-01' is out of range (1970..9999" "$TMP/old.out"
ismo status --as-of 1960-01-01 >"$TMP/old2.out" 2>&1
check "status --as-of 1960-01-01: exit 2, out of range" \
    grep -q "'1960-01-01' is out of range (1970..9999" "$TMP/old2.out"
ismo status --as-of 2026-13-01 >"$TMP/old3.out" 2>&1
check "status --as-of 2026-13-01: still 'is not a time'" grep -q "'2026-13-01' is not a time" "$TMP/old3.out"
for cmd in "status" "show OBJ-PENDING-UPDATES" "explain OBJ-PENDING-UPDATES"; do
    # shellcheck disable=SC2086
    ismo $cmd --as-of 2099-01-01 >"$TMP/future.out" 2>&1
    rc=$?
    check "$cmd --as-of 2099-01-01: exit 2" test $rc -eq 2
    check "$cmd --as-of 2099-01-01: says it is after ismod's time" \
        grep -q "as-of: '2099-01-01' (2099-01-02T00:00:00.000Z) is after ismod's time" "$TMP/future.out"
done
ismo status --as-of "$(date -u +%F)" >/dev/null 2>&1
check "status --as-of today (its end still ahead): as of now, exit 0" test $? -eq 0

# --- report: ismod's clock, not the CLI's ---------------------------------------------------------
stop_ismod
check "ismod restarts 10 days ahead (--clock-offset-ms 10d)" \
    start_ismod "$ISMO_ENDPOINT" "$ISMO_PUB_ENDPOINT" --clock-offset-ms 10d
AHEAD=$(date -u -d "+10 days" +%F)
ismo report >"$TMP/report-ahead.md" 2>&1
check "report: generated at ismod's time" grep -q "^Generated $AHEAD" "$TMP/report-ahead.md"
check "report: the period ends at ismod's time" grep -q "^Review period: .* to $AHEAD" "$TMP/report-ahead.md"
ismo status --as-of "$(date -u -d "+5 days" +%F)" >/dev/null 2>&1
check "status --as-of 5 days ahead of this host, before ismod's time: exit 0" test $? -eq 0

# --- usage and a dead server ------------------------------------------------------------
"$ISMO" frobnicate >/dev/null 2>&1
check "unknown command exits 2" test $? -eq 2
DEAD=$(free_port)
"$ISMO" --endpoint "tcp://127.0.0.1:$DEAD" --timeout-ms 300 status >"$TMP/dead.out" 2>&1
rc=$?
check "dead server: exit 3" test $rc -eq 3
check "dead server: clear message" grep -q "ismo: status: .*no reply from tcp://127.0.0.1:$DEAD" "$TMP/dead.out"

# --insecure on tcp://localhost:PORT: ismod binds 127.0.0.1:PORT (libzmq cannot bind a host name)
LP=$(free_port)
LPUB=$(free_port)
while [ "$LPUB" = "$LP" ]; do LPUB=$(free_port); done
"$ISMOD" --data-dir "$TMP/data-localhost" --insecure --endpoint "tcp://localhost:$LP" \
    --pub-endpoint "tcp://localhost:$LPUB" --no-sync true >"$TMP/ismod-localhost.log" 2>&1 &
LPID=$!
ok=1
for _ in $(seq 1 50); do
    if "$ISMO" --endpoint "tcp://127.0.0.1:$LP" --timeout-ms 300 ping >/dev/null 2>&1; then ok=0; break; fi
    kill -0 "$LPID" 2>/dev/null || break
    sleep 0.1
done
check "ismod --insecure --endpoint tcp://localhost:PORT serves on 127.0.0.1:PORT" test $ok -eq 0 ||
    tail -3 "$TMP/ismod-localhost.log"
check "  ... and logs the rewrite" grep -q "endpoint tcp://localhost:$LP: binding tcp://127.0.0.1:$LP" \
    "$TMP/ismod-localhost.log"
kill "$LPID" 2>/dev/null
for _ in $(seq 1 50); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.1; done
kill -9 "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null

if [ $FAILS -ne 0 ]; then
    echo "$FAILS check(s) failed; ismod log:"; tail -20 "$TMP/ismod.log"
    exit 1
fi
echo "all checks passed"
