#!/usr/bin/env bash
# smoke.sh - dlp-sim over a real socket with curl: findings in Google's
# shape, the strict 1 s window, the 400s, auth, fault injection, stats, a
# clean stop. Usage: tools/dlp-sim/smoke.sh path/to/dlp-sim
# Exits non-zero at the first failed check. Needs curl and python3.
set -euo pipefail

SIM=${1:?usage: smoke.sh path/to/dlp-sim}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
        for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
        rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }
# json FILE EXPR: evaluates a Python expression over the JSON in FILE as d
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# start NAME [ENV=V...]: starts dlp-sim on port 0, sets URL_NAME and PID_NAME
start() {
        local name=$1; shift
        env "$@" "$SIM" --listen-addr 127.0.0.1:0 >"$WORK/$name.out" 2>"$WORK/$name.err" &
        local pid=$! port=""
        PIDS+=("$pid")
        # the background child may not have opened its output file yet
        # (a loaded machine): a missing file is "not yet", not a failure
        for _ in $(seq 400); do
                port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/$name.out" 2>/dev/null || true)
                [ -n "$port" ] && break
                sleep 0.05
        done
        [ -n "$port" ] || fail "$name did not print 'listening on 127.0.0.1:PORT'"
        printf -v "BASE_$name" 'http://127.0.0.1:%s' "$port"
        printf -v "PID_$name" '%s' "$pid"
}

# stop NAME: SIGTERM, expect exit status 0 and no sanitizer report
stop() {
        local pid_var="PID_$1" rc=0
        kill -TERM "${!pid_var}"
        wait "${!pid_var}" || rc=$?
        [ "$rc" = 0 ] || fail "$1 exited with $rc on SIGTERM"
        if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error' "$WORK/$1.err"; then
                cat "$WORK/$1.err" >&2
                fail "$1: sanitizer report"
        fi
        ok "$1 stops cleanly on SIGTERM"
}

# post URL FILE OUT [curl args...]: prints the HTTP status
post() {
        local url=$1 file=$2 out=$3; shift 3
        curl -s -o "$out" -w '%{http_code}' "$@" --data-binary @"$file" "$url"
}

cat >"$WORK/table.json" <<'EOF'
{"item":{"table":{"headers":[{"name":"text"}],"rows":[
 {"values":[{"stringValue":"4111 1111 1111 1111 is my card"}]},
 {"values":[{"stringValue":"nothing here"}]},
 {"values":[{"stringValue":"café: ssn 123-45-6789"}]}]}},
 "inspectConfig":{"infoTypes":[{"name":"CREDIT_CARD_NUMBER"},{"name":"US_SOCIAL_SECURITY_NUMBER"}],
 "minLikelihood":"POSSIBLE","includeQuote":true,"limits":{"maxFindingsPerRequest":3000}}}
EOF

start main DLP_SIM_LATENCY_MS=20
INSPECT="$BASE_main/v2/projects/demo/locations/global/content:inspect"

# ---- findings in Google's shape
code=$(post "$INSPECT" "$WORK/table.json" "$WORK/r.json")
[ "$code" = 200 ] || fail "table: HTTP $code"
[ "$(json "$WORK/r.json" 'len(d["result"]["findings"])')" = 2 ] || fail "table: 2 findings expected"
f0=$(json "$WORK/r.json" 'json.dumps(d["result"]["findings"][0]["location"], separators=(",",":"))')
[ "$f0" = '{"byteRange":{"end":"19"},"codepointRange":{"end":"19"},"contentLocations":[{"recordLocation":{"fieldId":{"name":"text"},"tableLocation":{}}}]}' ] ||
        fail "row 0 location: $f0"
[ "$(json "$WORK/r.json" 'd["result"]["findings"][0]["quote"]')" = "4111 1111 1111 1111" ] || fail "quote"
f1=$(json "$WORK/r.json" 'json.dumps(d["result"]["findings"][1]["location"], separators=(",",":"))')
[ "$f1" = '{"byteRange":{"start":"11","end":"22"},"codepointRange":{"start":"10","end":"21"},"contentLocations":[{"recordLocation":{"fieldId":{"name":"text"},"tableLocation":{"rowIndex":"2"}}}]}' ] ||
        fail "row 2 location: $f1"
ok "card in row 0 (tableLocation {}, no start), SSN in row 2 after UTF-8 text"

curl -s -o "$WORK/r.json" --data-binary '{"item":{"value":"nothing"}}' "$BASE_main/v2/projects/demo/content:inspect"
[ "$(cat "$WORK/r.json")" = '{"result":{}}' ] || fail "no findings: $(cat "$WORK/r.json")"
ok 'no findings -> {"result":{}} (route without /locations/)'

# ---- the strict window: a burst of 15 gives 10 + 5 x 429
curl -s -XPOST "$BASE_main/_sim/reset" >/dev/null
sleep 1.1 # let the requests above leave the window
seq 15 | xargs -P 15 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
        --data-binary @"$WORK/table.json" "$INSPECT" | sort | uniq -c >"$WORK/burst"
grep -q -E '^ *10 200$' "$WORK/burst" && grep -q -E '^ *5 429$' "$WORK/burst" ||
        fail "burst: $(cat "$WORK/burst")"
ok "burst of 15: 10 x 200, 5 x 429"
code=$(post "$INSPECT" "$WORK/table.json" "$WORK/r.json")
[ "$code" = 429 ] && [ "$(json "$WORK/r.json" 'd["error"]["status"]')" = RESOURCE_EXHAUSTED ] ||
        fail "429 body: $(cat "$WORK/r.json")"
ok "429 is RESOURCE_EXHAUSTED: $(json "$WORK/r.json" 'd["error"]["message"][:60]')..."
sleep 1.1

# ---- limits
python3 - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
t = lambda rows: {"item": {"table": {"headers": [{"name": "text"}], "rows": rows}}}
json.dump(t([{"values": [{"stringValue": "x" * 600000}]}]), open(w + "/big.json", "w"))
json.dump(t([{"values": [{"stringValue": "r"}]}] * 101), open(w + "/rows.json", "w"))
json.dump({"item": {"table": {"rows": [{"values": [{}] * 600}] * 100}}}, open(w + "/values.json", "w"))
rows = [{"values": [{"stringValue": "fine"}]}] * 10
rows[7] = {"values": [{"stringValue": "a DLP_SIM_POISON b"}]}
json.dump(t(rows), open(w + "/poison.json", "w"))
EOF
size=$(stat -c %s "$WORK/big.json")
code=$(post "$INSPECT" "$WORK/big.json" "$WORK/r.json")
[ "$code" = 400 ] && [ "$(json "$WORK/r.json" 'd["error"]["message"]')" = "Content size $size exceeds limit of 524288" ] ||
        fail "too big: $code $(cat "$WORK/r.json")"
ok "over-size body: 400 $(cat "$WORK/r.json")"
for c in rows:"Too many rows in table: 101 exceeds the limit of 100" \
        values:"Too many values in table: 60000 exceeds the limit of 50000" \
        poison:"Invalid argument: table row 7 contains the marker \"DLP_SIM_POISON\" (dlp-sim poison)"; do
        code=$(post "$INSPECT" "$WORK/${c%%:*}.json" "$WORK/r.json")
        [ "$code" = 400 ] && [ "$(json "$WORK/r.json" 'd["error"]["message"]')" = "${c#*:}" ] ||
                fail "${c%%:*}: $code $(cat "$WORK/r.json")"
        ok "${c%%:*}: 400 ${c#*:}"
done
code=$(curl -s -o "$WORK/r.json" -w '%{http_code}' --data-binary '{"item":' "$INSPECT")
[ "$code" = 400 ] && [ "$(json "$WORK/r.json" 'd["error"]["status"]')" = INVALID_ARGUMENT ] || fail "malformed"
ok "malformed JSON: 400 INVALID_ARGUMENT"

# ---- stats
curl -s "$BASE_main/_sim/stats" >"$WORK/s.json"
check() { [ "$(json "$WORK/s.json" "$1")" = "$2" ] || fail "stats: $1 = $(json "$WORK/s.json" "$1"), want $2"; }
check 'd["accepted"]' 10
check 'd["rejected_by_reason"]["rate_limited"]' 6
check 'd["rejected_by_reason"]["too_big"]' 1
check 'd["rejected_by_reason"]["too_many_rows"]' 1
check 'd["rejected_by_reason"]["too_many_values"]' 1
check 'd["rejected_by_reason"]["poison"]' 1
check 'd["rejected_by_reason"]["invalid"]' 1
check 'd["rejected"]' 11
check 'd["max_requests_in_any_1s_window"]' 10
check 'd["rows_total"]' 30
check 'd["findings_total"]' 20
check 'sum(s["n"] for s in d["requests_per_second"])' 15
ok "stats: $(json "$WORK/s.json" 'json.dumps({k: d[k] for k in ("accepted", "rejected", "rejected_by_reason", "max_requests_in_any_1s_window", "rows_total", "findings_total")})')"
stop main

# ---- inspect templates (DLP_SIM_TEMPLATES) and custom types over the wire
cat >"$WORK/templates.json" <<'EOF'
{"inspectTemplates":[{"name":"projects/demo/inspectTemplates/secrets",
 "inspectConfig":{"infoTypes":[{"name":"EMAIL_ADDRESS"}],
  "customInfoTypes":[{"infoType":{"name":"TICKET"},"regex":{"pattern":"TCK-[0-9]{3}"}}]}}]}
EOF
start tpl DLP_SIM_LATENCY_MS=0 DLP_SIM_RATE_LIMIT=100 "DLP_SIM_TEMPLATES=$WORK/templates.json"
INSPECT="$BASE_tpl/v2/projects/demo/content:inspect"
curl -s -o "$WORK/r.json" --data-binary '{"inspectTemplateName":"projects/demo/inspectTemplates/secrets",
 "inspectConfig":{"includeQuote":true},"item":{"value":"TCK-123 a@b.co 4111111111111111"}}' "$INSPECT"
got=$(json "$WORK/r.json" '" ".join(f["infoType"]["name"] + "=" + f["quote"] for f in d["result"]["findings"])')
[ "$got" = "TICKET=TCK-123 EMAIL_ADDRESS=a@b.co" ] || fail "template: $got"
ok "template resolved and merged with the request's inspectConfig: $got"
code=$(curl -s -o "$WORK/r.json" -w '%{http_code}' --data-binary '{"inspectTemplateName":"projects/demo/inspectTemplates/nope","item":{"value":"x"}}' "$INSPECT")
[ "$code" = 404 ] && [ "$(json "$WORK/r.json" 'd["error"]["status"]')" = NOT_FOUND ] || fail "unknown template: $code"
ok "unknown template: 404 NOT_FOUND"
code=$(curl -s -o "$WORK/r.json" -w '%{http_code}' --data-binary '{"inspectConfig":{"infoTypes":[{"name":"SLACK_TOKEN"}]},"item":{"value":"x"}}' "$INSPECT")
[ "$code" = 400 ] && [ "$(json "$WORK/r.json" 'd["error"]["message"]')" = 'Invalid built-in info type name "SLACK_TOKEN".' ] ||
        fail "unknown built-in: $code $(cat "$WORK/r.json")"
ok "unknown built-in info type: 400 $(json "$WORK/r.json" 'd["error"]["message"]')"
code=$(curl -s -o "$WORK/r.json" -w '%{http_code}' --data-binary '{"inspectConfig":{"customInfoTypes":[{"infoType":{"name":"A"},"regex":{"pattern":"(x"}}]},"item":{"value":"x"}}' "$INSPECT")
[ "$code" = 400 ] && json "$WORK/r.json" 'd["error"]["message"]' | grep -q 'customInfoTypes\[0\].regex.pattern: bad regex' ||
        fail "bad regex: $code $(cat "$WORK/r.json")"
ok "bad regex: 400 $(json "$WORK/r.json" 'd["error"]["message"]')"
# byteItem: the text types are read as text, a PDF's text is extracted
# (poppler), the other types are accepted with no findings
B64=$(printf 'name,card\nZo\xc3\xab,4111 1111 1111 1111\n' | base64 -w0)
curl -s -o "$WORK/r.json" --data-binary "{\"inspectConfig\":{\"includeQuote\":true},\"item\":{\"byteItem\":{\"type\":\"CSV\",\"data\":\"$B64\"}}}" "$INSPECT"
got=$(json "$WORK/r.json" '" ".join(f["infoType"]["name"] + "@" + f["location"]["byteRange"]["start"] for f in d["result"]["findings"])')
[ "$got" = "CREDIT_CARD_NUMBER@15" ] || fail "byteItem CSV: $got $(cat "$WORK/r.json")"
ok "byteItem CSV: read as text: $got"
# PDFs made here, deterministically (tests/tools/make_pdf.py)
MKPDF=$(dirname "$0")/../../tests/tools/make_pdf.py
python3 "$MKPDF" "$WORK/ssn.pdf" "Quarterly report|Nothing to see on this page." "Employee record|SSN 838-35-4680, start date 2025-12-03"
python3 "$MKPDF" "$WORK/clean.pdf" "Quarterly report|Nothing to see on this page." "Page two|Still nothing sensitive here."
pdf_item() { printf '{"inspectConfig":{"includeQuote":true},"item":{"byteItem":{"type":"%s","data":"%s"}}}' "$1" "$(base64 -w0 "$2")" >"$WORK/pdf.json"; }
pdf_item PDF "$WORK/ssn.pdf"
code=$(post "$INSPECT" "$WORK/pdf.json" "$WORK/r.json")
got=$(json "$WORK/r.json" '" ".join(f["infoType"]["name"] + "|" + f["quote"] + "|" + json.dumps(f["location"], sort_keys=True) for f in d["result"].get("findings", []))')
[ "$code" = 200 ] && [ "$got" = 'US_SOCIAL_SECURITY_NUMBER|838-35-4680|{"byteRange": {"end": "77", "start": "66"}, "contentLocations": [{"documentLocation": {"fileOffset": "62"}}]}' ] ||
        fail "byteItem PDF with an SSN on page 2: $code $got $(cat "$WORK/r.json")"
ok "byteItem PDF: the SSN on page 2 found in the PDF's text: $got"
pdf_item PDF "$WORK/clean.pdf"
code=$(post "$INSPECT" "$WORK/pdf.json" "$WORK/r.json")
[ "$code" = 200 ] && [ "$(json "$WORK/r.json" 'len(d["result"].get("findings", []))')" = 0 ] || fail "byteItem PDF without: $code $(cat "$WORK/r.json")"
ok "byteItem PDF without an SSN: no findings"
pdf_item IMAGE_PNG "$WORK/ssn.pdf"
code=$(post "$INSPECT" "$WORK/pdf.json" "$WORK/r.json")
[ "$code" = 200 ] && [ "$(json "$WORK/r.json" 'len(d["result"].get("findings", []))')" = 0 ] || fail "byteItem IMAGE_PNG: $code $(cat "$WORK/r.json")"
ok "byteItem IMAGE_PNG: accepted, no findings (dlp-sim reads no images)"
code=$(curl -s -o "$WORK/r.json" -w '%{http_code}' --data-binary "{\"item\":{\"byte_item\":{\"type\":\"PDF\",\"data\":\"$B64\"}}}" "$INSPECT")
[ "$code" = 400 ] && json "$WORK/r.json" 'd["error"]["message"]' | grep -q 'could not read the PDF' || fail "byteItem PDF not a PDF: $code $(cat "$WORK/r.json")"
ok "byteItem PDF that is no PDF: 400 $(json "$WORK/r.json" 'd["error"]["message"]')"
curl -s -o "$WORK/s.json" "$BASE_tpl/_sim/stats"
got=$(json "$WORK/s.json" 'json.dumps(d["byte_items_by_type"], sort_keys=True)')
[ "$got" = '{"CSV": 1, "IMAGE_PNG": 1, "PDF": 2}' ] || fail "byte_items_by_type: $got"
ok "stats: accepted byteItems counted by type: $got"
code=$(curl -s -o "$WORK/r.json" -w '%{http_code}' --data-binary '{"item":{"byteItem":{"type":"ZIP","data":""}}}' "$INSPECT")
[ "$code" = 400 ] || fail "byteItem unknown type: $code"
code=$(curl -s -o "$WORK/r.json" -w '%{http_code}' --data-binary '{"item":{"byteItem":{"type":"TEXT_UTF8","data":"@@"}}}' "$INSPECT")
[ "$code" = 400 ] && json "$WORK/r.json" 'd["error"]["message"]' | grep -q 'Base64' || fail "byteItem bad base64: $code"
ok "byteItem: unknown type and bad base64 -> 400"
stop tpl
echo '{"inspectTemplates":[{"name":"t","inspectConfig":{"infoTypes":[{"name":"NOPE"}]}}]}' >"$WORK/bad-templates.json"
rc=0
"$SIM" --listen-addr 127.0.0.1:0 --templates "$WORK/bad-templates.json" >/dev/null 2>"$WORK/bad.err" || rc=$?
[ "$rc" = 2 ] && grep -q 'template t: inspectConfig.infoTypes\[0\]: unknown built-in info type' "$WORK/bad.err" ||
        fail "bad templates file: rc $rc $(cat "$WORK/bad.err")"
ok "a bad templates file stops start-up naming the template and the bad part"

# ---- auth and fault injection
start auth DLP_SIM_TOKEN=s3cret DLP_SIM_FAIL_EVERY=3 DLP_SIM_LATENCY_MS=0
INSPECT="$BASE_auth/v2/projects/demo/content:inspect"
[ "$(post "$INSPECT" "$WORK/table.json" /dev/null)" = 401 ] || fail "no token"
[ "$(post "$INSPECT" "$WORK/table.json" /dev/null -H 'Authorization: Bearer wrong')" = 401 ] || fail "wrong token"
codes=""
for _ in 1 2 3 4 5 6; do
        codes+="$(post "$INSPECT" "$WORK/table.json" /dev/null -H 'Authorization: Bearer s3cret') "
done
[ "$codes" = "200 200 503 200 200 503 " ] || fail "fail-every 3: $codes"
ok "token: 401 without it; fail-every 3: $codes"
curl -s "$BASE_auth/_sim/stats" >"$WORK/s.json"
check 'd["rejected_by_reason"]["unauthenticated"]' 2
check 'd["rejected_by_reason"]["injected_fault"]' 2
stop auth
echo "all checks passed"
