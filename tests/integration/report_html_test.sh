#!/usr/bin/env bash
# report_html_test.sh ISMOD ISMO: the management-review pack as HTML, checked
# in a real browser. Starts ismod on free loopback ports (as cli_test.sh),
# imports examples/register.yaml plus one objective whose title needs escaping
# and whose values are huge and negative, pushes samples, writes
# `ismo report --format html -o pack.html`, renders it in headless Chromium
# (--dump-dom, private profile, time-out) and checks in the rendered DOM that
# every objective of the register has its section (id "objective-<ID>") with
# an inline <svg> chart, with one sample point (circle.sample) per sample.
# The checker is run on two broken copies of the DOM first (a chart removed,
# an objective removed) and must fail on both, so it can fail.
# Without chromium: fails when CI is set (tests/install-deps.sh installs it),
# else skips (exit 77) with a message.
set -u
ISMOD=${1:?usage: report_html_test.sh ISMOD ISMO}
ISMO=${2:?usage: report_html_test.sh ISMOD ISMO}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/../lib.sh"

CHROMIUM=${CHROMIUM:-}
if [ -z "$CHROMIUM" ]; then
    CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
fi
if [ -z "$CHROMIUM" ]; then
    if [ -n "${CI:-}" ]; then
        echo "FAIL - chromium is not installed (tests/install-deps.sh installs Debian's chromium package)"
        exit 1
    fi
    echo "SKIP - chromium is not installed: run tests/install-deps.sh (or apt-get install chromium) to run this test"
    exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ismo-report-html.XXXXXX")
SERVER_PID=
cleanup() {
    stop_pids 0.1 "$SERVER_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loopback_endpoints
export USER=report-test
unset ISMO_TZ

"$ISMOD" --data-dir "$TMP/data" --insecure --endpoint "$ISMO_ENDPOINT" --pub-endpoint "$ISMO_PUB_ENDPOINT" \
    --tick-ms 200 --no-sync true >"$TMP/ismod.log" 2>&1 &
SERVER_PID=$!
ismo() { "$ISMO" --timeout-ms 5000 "$@"; }
await_ping ismod "$SERVER_PID" "$TMP/ismod.log" "$ISMO" --timeout-ms 200 ping

# --- the register, an objective that needs escaping, samples -------------------
ismo import "$ROOT/examples/register.yaml" >"$TMP/import.out" 2>&1
check "import examples/register.yaml" test $? -eq 0
cat >"$TMP/nasty.yaml" <<'EOF'
objectives:
  - id: OBJ-ESC.1:x
    title: "Cut <b>\"bad\" & 'worse'</b> <script>alert(1)</script> losses"
    level: operational
    function: it-ops
    owner: "Ops <lead> & \"deputy\""
    metric: {name: "loss <eur>", unit: "EUR & <more>", direction: higher_is_better, aggregation: last}
    baseline: -1000000000000
    baseline_at: 2026-01-01
    target: 1000000000000000
    start: 2026-01-01
    deadline: 2026-12-31
    evaluation_method: "Sum of <losses> & gains"
    samples:
      - {at: 2026-03-31, value: -999999999999}
  - id: OBJ-ONE
    parent: OBJ-ESC.1:x
    title: One sample only
    level: operational
    function: hr
    owner: HR
    metric: {name: x, unit: "%", direction: higher_is_better, aggregation: last}
    baseline: 5
    baseline_at: 2026-01-01
    target: 5
    start: 2026-01-01
    deadline: 2026-12-31
    samples:
      - {at: 2026-05-01, value: 5}
EOF
ismo import "$TMP/nasty.yaml" >"$TMP/import2.out" 2>&1
check "import of the objectives that need escaping" test $? -eq 0 || cat "$TMP/import2.out"
{
    ismo push OBJ-AVAIL 99.95
    ismo push OBJ-AVAIL 99.97 --at 2026-11-01
    ismo push OBJ-PATCH-48H 50
    ismo push OBJ-ESC.1:x --at 2026-06-30 -- -5e14
} >"$TMP/push.out" 2>&1
check "4 samples pushed" test "$(grep -c '^accepted: ' "$TMP/push.out")" -eq 4

# the ids of the register and how many samples each has
grep -E '^  - id: ' "$ROOT/examples/register.yaml" | sed 's/^  - id: *//' >"$TMP/ids"
printf 'OBJ-ESC.1:x\nOBJ-ONE\n' >>"$TMP/ids"
ismo status -o json >"$TMP/status.json" 2>&1
check "register has objectives ($(wc -l <"$TMP/ids"))" test "$(wc -l <"$TMP/ids")" -ge 9

# --- the pack --------------------------------------------------------------------
ismo report --format html -o "$TMP/pack.html" >"$TMP/report.out" 2>&1
check "report --format html -o pack.html exits 0" test $? -eq 0 || cat "$TMP/report.out"
check "pack is self-contained: no script, no external resource" python3 - "$TMP/pack.html" <<'PY'
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
assert "<script" not in t.lower(), "a <script> element"
for pat in (r"<link\b", r"\bsrc\s*=", r"@import", r"url\(", r"href\s*=\s*\"(?!#)"):
    m = re.search(pat, t, re.I)
    assert not m, "external reference: " + t[max(0, m.start() - 40):m.end() + 40]
assert t.startswith("<!DOCTYPE html>")
PY

# --- render in headless Chromium ---------------------------------------------------
HOME="$TMP" timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --no-first-run --disable-extensions --user-data-dir="$TMP/chromium-profile" \
    --dump-dom "file://$TMP/pack.html" >"$TMP/dom.html" 2>"$TMP/chromium.err"
rc=$?
check "chromium rendered the pack (exit $rc)" test $rc -eq 0 -a -s "$TMP/dom.html"
[ $rc -eq 0 ] || tail -5 "$TMP/chromium.err"

cat >"$TMP/check_dom.py" <<'PY'
# check_dom.py DOM IDS STATUS_JSON: every objective has a section
# id="objective-<ID>" with an <svg> chart holding one circle.sample per sample.
import json, sys
from html.parser import HTMLParser

dom, ids_file, status_file = sys.argv[1:4]
ids = [l.strip() for l in open(ids_file) if l.strip()]
status = {s["objective_id"]: s for s in json.load(open(status_file))}

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []          # open elements: (tag, section id or None)
        self.sections = {}       # id -> {"svg": n, "circles": n, "h3": text}
        self.cur = None
        self.in_h3 = False
        self.scripts = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        sid = None
        if tag == "section" and "objective" in (a.get("class") or "").split():
            sid = a.get("id", "")
            self.sections[sid] = {"svg": 0, "circles": 0, "h3": ""}
            self.cur = sid
        if tag == "circle" and self.cur and "sample" in (a.get("class") or "").split() \
                and self.in_svg():
            self.sections[self.cur]["circles"] += 1
        if tag in ("br", "meta", "img", "input", "link", "hr", "wbr"):
            return  # HTML void elements have no end tag
        if tag == "svg" and self.cur:
            self.sections[self.cur]["svg"] += 1
        if tag == "h3" and self.cur:
            self.in_h3 = True
        self.stack.append((tag, sid))
    def in_svg(self):
        return any(t == "svg" for t, _ in self.stack)
    def handle_endtag(self, tag):
        if tag == "h3":
            self.in_h3 = False
        while self.stack:
            t, sid = self.stack.pop()
            if sid is not None:
                self.cur = None
            if t == tag:
                break
    def handle_data(self, data):
        if self.in_h3 and self.cur:
            self.sections[self.cur]["h3"] += data

p = P()
p.feed(open(dom, encoding="utf-8").read())
bad = []
if p.scripts:
    bad.append("the DOM holds %d <script> element(s)" % p.scripts)
for i in ids:
    sec = p.sections.get("objective-" + i)
    if sec is None:
        bad.append("no section for " + i)
        continue
    if sec["svg"] < 1:
        bad.append("no <svg> chart in the section of " + i)
        continue
    n = status.get(i, {}).get("total_samples", 0)
    if n > 0 and sec["circles"] < 1:
        bad.append("%s has %d samples but no sample point" % (i, n))
    if sec["circles"] != min(n, 2000):
        bad.append("%s: %d sample points for %d samples" % (i, sec["circles"], n))
if bad:
    print("\n".join("  " + b for b in bad))
    sys.exit(1)
print("  %d objectives, each with its chart; %d sample points" %
      (len(ids), sum(p.sections["objective-" + i]["circles"] for i in ids)))
PY

check "rendered DOM: every objective has its section and chart with its sample points" \
    python3 "$TMP/check_dom.py" "$TMP/dom.html" "$TMP/ids" "$TMP/status.json"

check "rendered DOM: the escaped title is text, exactly as written" python3 - "$TMP/dom.html" <<'PY'
import sys
from html.parser import HTMLParser
want = "OBJ-ESC.1:x: Cut <b>\"bad\" & 'worse'</b> <script>alert(1)</script> losses"
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.h3 = None; self.texts = []; self.tags = []
    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "h3": self.h3 = ""
    def handle_endtag(self, tag):
        if tag == "h3" and self.h3 is not None: self.texts.append(self.h3); self.h3 = None
    def handle_data(self, d):
        if self.h3 is not None: self.h3 += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
assert want in p.texts, [t for t in p.texts if "ESC" in t]
assert "b" not in p.tags and "script" not in p.tags, "markup from a title became elements"
PY

check "rendered DOM: sections in tree order (children after their parent, one level deeper)" \
    python3 - "$TMP/dom.html" "$TMP/status.json" <<'PY'
import json, re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
parent = {s["objective_id"]: s["parent_id"] for s in json.load(open(sys.argv[2]))}
secs = []  # (id, depth) in document order
for m in re.finditer(r'<section class="objective depth-(\d+)" id="objective-([^"]+)"', dom):
    secs.append((m.group(2), int(m.group(1))))
pos = {i: k for k, (i, _) in enumerate(secs)}
assert any(d >= 2 for _, d in secs), "the example register is a tree of three levels"
for k, (i, d) in enumerate(secs):
    p = parent.get(i) or ""
    if p in pos:
        pk, pd = pos[p], secs[pos[p]][1]
        assert pk < k and d == pd + 1, (i, d, p, pd)
        assert all(secs[j][1] > pd for j in range(pk + 1, k)), (i, p)
    else:
        assert d == 0, (i, d)
PY

cat >"$TMP/check_axis.py" <<'PY'
# check_axis.py PACK: y ticks are round (a 1/2/5 x 10^k step, labels multiples
# of it) in every chart; the ratio objective OBJ-TRAINING-NEWJOINERS has its
# sample points at 100 * value / total on its % axis (7 of 11 -> 63.64, ...)
# and its target line at 95, read back through the tick labels.
import math, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
bad = []
def charts():
    for m in re.finditer(r'<section class="objective[^"]*" id="objective-([^"]+)"', t):
        a = t.find("<svg", m.end()); b = t.find("</svg>", a)
        if a >= 0 and b > a:
            yield m.group(1), t[a:b]
NUM = r'(-?[\d.]+(?:e[-+]?\d+)?)'  # a y tick label (the dates of the x axis are not)
def ticks(svg):  # (value, y of its grid line)
    return [(float(v), float(y) - 4) for y, v in
            re.findall(r'<text class="tick" x="[-\d.]+" y="([-\d.]+)" text-anchor="end">' + NUM + '<', svg)]
def nice(step):
    e = math.floor(math.log10(step)); m = step / 10 ** e
    return any(abs(m - k) < 1e-6 for k in (1, 2, 5, 10))
n = 0
for oid, svg in charts():
    tk = ticks(svg)
    vals = sorted(v for v, _ in tk)
    if len(vals) < 2:
        bad.append("%s: %d y ticks" % (oid, len(vals))); continue
    step = vals[1] - vals[0]
    if not (step > 0 and nice(step)):
        bad.append("%s: y tick step %r is not 1/2/5 x 10^k (%r)" % (oid, step, vals)); continue
    for v in vals:
        if abs(v / step - round(v / step)) > 1e-6:
            bad.append("%s: y tick %r is not a multiple of %r" % (oid, v, step))
    n += 1
svg = dict(charts())["OBJ-TRAINING-NEWJOINERS"]
(v0, y0), (v1, y1) = sorted(ticks(svg))[:2]
val = lambda y: v0 + (y - y0) * (v1 - v0) / (y1 - y0)
got = [round(val(float(cy)), 1) for cy in re.findall(r'<circle class="sample" cx="[-\d.]+" cy="([-\d.]+)"', svg)]
want = [round(100 * a / b, 1) for a, b in ((7, 11), (10, 12), (12, 13), (5, 5), (6, 6))]
if any(abs(g - w) > 0.3 for g, w in zip(got, want)) or len(got) != len(want):
    bad.append("OBJ-TRAINING-NEWJOINERS: sample points at %r, want 100*value/total %r" % (got, want))
ty = re.search(r'<line class="target" x1="[-\d.]+" y1="([-\d.]+)"', svg)
if not ty or abs(val(float(ty.group(1))) - 95) > 0.3:
    bad.append("OBJ-TRAINING-NEWJOINERS: target line not at 95")
if "7 of 11 (63.64 %)" not in svg:
    bad.append("OBJ-TRAINING-NEWJOINERS: no sample titled '7 of 11 (63.64 %)'")
if bad:
    print("\n".join("  " + b for b in bad)); sys.exit(1)
print("  %d charts with round y ticks; ratio points at %r" % (n, got))
PY
check "pack: round y ticks; a ratio objective's points at 100*value/total on its % axis" \
    python3 "$TMP/check_axis.py" "$TMP/pack.html"
python3 - "$TMP/pack.html" "$TMP/rawratio.html" <<'PY'
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
# the same pack with OBJ-TRAINING-NEWJOINERS' first point at the raw count 7
s = t.index('id="objective-OBJ-TRAINING-NEWJOINERS"'); a = t.index("<svg", s); b = t.index("</svg>", a)
svg = t[a:b]
tk = sorted((float(v), float(y) - 4) for y, v in re.findall(
    r'<text class="tick" x="[-\d.]+" y="([-\d.]+)" text-anchor="end">(-?[\d.]+(?:e[-+]?\d+)?)<', svg))
(v0, y0), (v1, y1) = tk[:2]
raw = y0 + (7 - v0) * (y1 - y0) / (v1 - v0)
svg2 = re.sub(r'(<circle class="sample" cx="[-\d.]+" cy=")[-\d.]+', lambda m: m.group(1) + "%.2f" % raw, svg, count=1)
open(sys.argv[2], "w", encoding="utf-8").write(t[:a] + svg2 + t[b:])
PY
python3 "$TMP/check_axis.py" "$TMP/rawratio.html" >"$TMP/neg3.out" 2>&1
check "axis checker fails on a ratio point drawn at its raw count" test $? -ne 0
check "  ... and says so" grep -q "NEWJOINERS: sample points at \[7.0, " "$TMP/neg3.out"

# the checker must fail when a chart or an objective is missing
python3 - "$TMP/dom.html" "$TMP/nochart.html" "$TMP/noobj.html" <<'PY'
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
# drop the chart of OBJ-AVAIL, and (in the other copy) the whole section of OBJ-CERT
s = t.index('id="objective-OBJ-AVAIL"')
a = t.index("<svg", s); b = t.index("</svg>", a) + len("</svg>")
open(sys.argv[2], "w", encoding="utf-8").write(t[:a] + t[b:])
s = t.index('id="objective-OBJ-CERT"')
a = t.rindex("<section", 0, s); b = t.index("</section>", s) + len("</section>")
open(sys.argv[3], "w", encoding="utf-8").write(t[:a] + t[b:])
PY
python3 "$TMP/check_dom.py" "$TMP/nochart.html" "$TMP/ids" "$TMP/status.json" >"$TMP/neg1.out" 2>&1
check "checker fails when a chart is missing" test $? -ne 0
check "  ... and names it" grep -q "no <svg> chart in the section of OBJ-AVAIL" "$TMP/neg1.out"
python3 "$TMP/check_dom.py" "$TMP/noobj.html" "$TMP/ids" "$TMP/status.json" >"$TMP/neg2.out" 2>&1
check "checker fails when an objective is missing" test $? -ne 0
check "  ... and names it" grep -q "no section for OBJ-CERT" "$TMP/neg2.out"

# --- the other formats of the same pack ----------------------------------------------
ismo report --format csv -o "$TMP/pack.csv" >/dev/null 2>&1
check "report --format csv exits 0" test $? -eq 0
check "CSV: RFC 4180, one row per objective, the documented columns" python3 - "$TMP/pack.csv" "$TMP/ids" <<'PY'
import csv, sys
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\r\n"), "CRLF line ends"
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head = rows[0]
assert head[:3] == ["id", "title", "function"], head
assert "lifecycle" in head and "health" in head and "last_review_decision" in head
ids = [l.strip() for l in open(sys.argv[2]) if l.strip()]
got = {r[0]: dict(zip(head, r)) for r in rows[1:]}
assert sorted(got) == sorted(ids), (sorted(got), sorted(ids))
assert all(len(r) == len(head) for r in rows)
assert got["OBJ-ESC.1:x"]["title"] == "Cut <b>\"bad\" & 'worse'</b> <script>alert(1)</script> losses"
PY
ismo report -o "$TMP/pack.md" >/dev/null 2>&1
check "report (md, the default) still exits 0" test $? -eq 0
check "md pack has the period and the new sections" \
    grep -q "^Review period: " "$TMP/pack.md"
check "md pack: no review record yet gives 90 days, said in one parenthesis" \
    grep -q "^Review period: .* (the last 90 days: no review record yet)\.$" "$TMP/pack.md"
for s in "## Changes since the last review" "## Missed or stale measurements" "## Overdue actions" \
         "## Decisions carried forward" "## Reviews held in the period"; do
    check "md pack has '$s'" grep -q "^$s" "$TMP/pack.md"
done
ismo report --format pdf >/dev/null 2>&1
check "report --format pdf is a usage error (exit 2)" test $? -eq 2
ismo report --from 2026-06-01 --to 2026-05-01 >/dev/null 2>&1
check "report with --from after --to is a usage error (exit 2)" test $? -eq 2

# --- more samples than the chart keeps: the counts stay exact, the chart keeps the newest ---
python3 - "$TMP/many.yaml" <<'PY'
import datetime, sys
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
old = now - datetime.timedelta(days=200)
f = open(sys.argv[1], "w")
f.write("""objectives:
  - id: OBJ-MANY
    title: Many samples
    level: operational
    function: it-ops
    owner: Ops
    metric: {name: x, unit: "%", direction: higher_is_better, aggregation: last}
    baseline: 1
    baseline_at: 2026-01-01
    target: 5
    start: 2026-01-01
    deadline: 2027-12-31
    samples:
""")
fmt = "%Y-%m-%dT%H:%M:%SZ"
for i in range(20003):  # before the period (the last 90 days)
    f.write("      - {at: %s, value: 2}\n" % (old + datetime.timedelta(seconds=i)).strftime(fmt))
for d in (3, 2, 1):     # in the period
    f.write("      - {at: %s, value: 4}\n" % (now - datetime.timedelta(days=d)).strftime(fmt))
PY
ismo import "$TMP/many.yaml" >"$TMP/import3.out" 2>&1
check "import of 20006 samples" grep -q "accepted 20006" "$TMP/import3.out" || tail -3 "$TMP/import3.out"
ismo report --format csv -o "$TMP/many.csv" >/dev/null 2>&1
check "CSV: samples_in_period is exact past the chart's cap (3 of 20006)" python3 - "$TMP/many.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
r = {x[0]: dict(zip(rows[0], x)) for x in rows[1:]}["OBJ-MANY"]
assert r["samples_in_period"] == "3", r["samples_in_period"]
PY
ismo report --format html -o "$TMP/many.html" >/dev/null 2>&1
check "HTML: the chart holds the newest 20000 samples, the counts are exact" python3 - "$TMP/many.html" <<'PY'
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
s = t.index('id="objective-OBJ-MANY"'); e = t.find("<section", s + 1)
sec = t[s:e if e > 0 else len(t)]
assert "3 in the period, 20006 in all" in sec, re.findall(r"\d+ in the period, \d+ in all", sec)
assert 'data-samples="20000"' in sec, re.findall(r'data-samples="\d+"', sec)
# the newest sample (value 4) is drawn: the last point of the line is the highest
pts = re.search(r'<polyline class="line" points="([^"]+)"', sec).group(1).split()
ys = [float(p.split(",")[1]) for p in pts]
assert ys[-1] < ys[0], (ys[0], ys[-1])
PY

if [ $FAILS -ne 0 ]; then
    echo "$FAILS check(s) failed; ismod log:"; tail -20 "$TMP/ismod.log"
    exit 1
fi
echo "all checks passed"
