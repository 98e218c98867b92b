#!/usr/bin/env bash
# End to end on a real Kafka broker: the inspector inspects the contents of
# shared files (issue 12, DESIGN §14). slack-sim serves files.info and the
# downloads, dlp-sim inspects; events go in through the collector.
#
#   A  a 2 MiB CSV with a card number on line 5000 -> exactly one finding,
#      with the file's id, line 5000 and the offset in the file; the record
#      lists the file as inspected as text in several requests; one alert
#      naming the file and line 5000. A PDF with an SSN on page 2 -> one
#      byteItem request, one finding in the PDF, one alert naming it (no
#      page: Google's answer has no page field, DESIGN §14)
#   B  a file over DLP_FILE_MAX_BYTES -> "not inspected: too large" in the
#      record, and the metric
#   C  a token without files:read -> one clear error line and the set-up
#      metric; the message's own text is still inspected, nothing is taken
#      from the sign-in page
#   D  SIGTERM of the inspector in the middle of a (slow) download -> exit 0
#      and nothing committed; then kill -9 in the middle of it -> after a
#      restart the file is inspected (at least once)
#
# Needs a broker at DLPFLEET_KAFKA_BOOTSTRAP (CTest starts one).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

run_id=$(date +%s)-$$
export DLP_GROUP_ID=e2e-$run_id-inspector DLP_REPORTER_GROUP_ID=e2e-$run_id-reporter
NOFILES_TOKEN=xoxb-dlpfleet-test-nofiles
export SLACK_SIM_NOFILES_TOKEN=$NOFILES_TOKEN DLP_ALERT_UNINSPECTED_FILES=true
CAP=2200000 # DLP_FILE_MAX_BYTES: the 2 MiB CSV fits, the 2.3 MB dump does not
fleet_run_topics "${FLEET_RUN_DIR:-$ROOT/.run/e2e-files}" "e2e.$run_id" 4 \
        events inspected alerts deadletter
fleet_up "$BOOTSTRAP" 0 # the inspectors are this test's own, below

# inspector NAME TOKEN: one inspector fetching files with TOKEN
inspector() {
        fleet_start "$1" "${FLEET_ENV[@]}" "$(fleet_admin "$1")" \
                "DLP_API_URL=$FLEET_DLP_SIM" "DLP_GCP_PROJECT=dlpfleet-local" \
                "DLP_API_TOKEN=$FLEET_DLP_TOKEN" "DLP_GROUP_ID=$DLP_GROUP_ID" \
                "DLP_SESSION_TIMEOUT_MS=6000" \
                "SLACK_API_URL=$FLEET_SLACK_SIM/api" "SLACK_BOT_TOKEN=$2" \
                "DLP_FILE_MAX_BYTES=$CAP" -- "$FLEET_BIN/dlp-inspector"
}
metric() { # NAME METRIC
        curl -s "$(cat "$FLEET_RUN/$1.admin")/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

# --- the files, seeded in slack-sim ------------------------------------------
"$FLEET_PY" - "$FLEET_RUN" <<'PY'
import json, sys
run = sys.argv[1]
def lines(n, width, special=None):
    out = []
    for i in range(1, n + 1):
        if special and i in special:
            out.append(special[i])
        else:
            row = "row%05d,customer-%05d,plan gold,region west,status active," % (i, i)
            out.append((row + "x" * width)[:width])
    return "\n".join(out) + "\n"
# 2 MiB, the card on line 5000 (10,000 lines of 200 bytes + newline, then one long line)
csv = lines(10000, 200, {5000: ("row05000,customer-05000,card 4111 1111 1111 1111," + "x" * 200)[:200]})
csv = csv + "y" * (2 * 1024 * 1024 - len(csv) - 1) + "\n"
assert len(csv) == 2 * 1024 * 1024
card_at = csv.index("4111 1111 1111 1111")
assert csv[:card_at].count("\n") + 1 == 5000
files = {
    "F0CSV5000": {"name": "customers.csv", "mimetype": "text/csv", "filetype": "csv", "content": csv},
    "F0BIGDUMP": {"name": "dump.sql", "mimetype": "text/plain", "filetype": "sql", "content": "z" * 2300000},
    "F0SLOWTXT": {"name": "notes.txt", "mimetype": "text/plain", "filetype": "text",
                  "content": "meeting notes\nssn of the new hire 078-05-1120\n", "delay_ms": 4000},
}
for fid, f in files.items():
    with open("%s/%s.seed.json" % (run, fid), "w") as fh:
        json.dump(dict(f, id=fid, user="U0FILES01"), fh)
with open(run + "/expect.json", "w") as fh:
    json.dump({"card_at": card_at, "csv_size": len(csv)}, fh)
PY
"$FLEET_PY" "$ROOT/tests/tools/make_pdf.py" "$FLEET_RUN/contract.pdf" \
        "Services agreement|between the parties below" "Employee record|SSN 078-05-1120|signed" >/dev/null
"$FLEET_PY" - "$FLEET_RUN" <<'PY'
import base64, json, sys
run = sys.argv[1]
data = open(run + "/contract.pdf", "rb").read()
json.dump({"id": "F0PDFPAGE2", "user": "U0FILES01", "name": "contract.pdf", "mimetype": "application/pdf",
           "filetype": "pdf", "content_base64": base64.b64encode(data).decode()},
          open(run + "/F0PDFPAGE2.seed.json", "w"))
PY
for f in F0CSV5000 F0BIGDUMP F0SLOWTXT F0PDFPAGE2; do
        curl -sS -f --data-binary "@$FLEET_RUN/$f.seed.json" "$FLEET_SLACK_SIM/_sim/files" >/dev/null
done

# send EVENT_ID TEXT FILE_ID NAME MIMETYPE SIZE: one file_share through the collector
send() {
        "$FLEET_PY" - "$@" >"$FLEET_RUN/$1.jsonl" <<'PY'
import json, sys, time
eid, text, fid, name, mimetype, size = sys.argv[1:7]
now = int(time.time())
print(json.dumps({"type": "event_callback", "team_id": "T0FILES01", "api_app_id": "A0FILES01",
    "event_id": eid, "event_time": now, "event": {
        "type": "message", "subtype": "file_share", "channel": "C0FILES01", "channel_type": "channel",
        "user": "U0FILES01", "ts": "%d.%06d" % (now, abs(hash(eid)) % 1000000), "text": text,
        "files": [{"id": fid, "name": name, "title": name, "mimetype": mimetype, "size": int(size),
                   "url_private": "https://files.slack.com/files-pri/T0FILES01-%s/%s" % (fid, name)}]}}))
PY
        "$FLEET_PY" "$ROOT/tests/tools/send_events.py" --url "$FLEET_COLLECTOR_URL" \
                --secret "$FLEET_SIGNING_SECRET" --timeout-s 30 --expect-status 200 "$FLEET_RUN/$1.jsonl"
}
# record EVENT_ID: the (last) inspection of an event, or nothing yet
record() {
        topic_dump "$BOOTSTRAP" "$DLP_TOPIC_INSPECTED" "$FLEET_RUN/inspected.json"
        "$FLEET_PY" -c '
import json, sys
recs = [json.loads(json.loads(l)["payload"]) for l in open(sys.argv[1]) if l.strip()]
got = [r for r in recs if r.get("event_id") == sys.argv[2]]
if got: print(json.dumps(got[-1]))' "$FLEET_RUN/inspected.json" "$1"
}
has_record() { [ -n "$(record "$1")" ]; }
# expect EVENT_ID PYTHON_EXPR: the record r of the event satisfies the expression
expect() {
        record "$1" >"$FLEET_RUN/$1.record.json"
        "$FLEET_PY" -c '
import json, sys
r = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[3]))
f = [x for x in r["findings"] if x.get("file_id")]
t = [x for x in r["findings"] if not x.get("file_id")]
ok = eval("(" + sys.argv[2] + ")")
if not ok: print("       record: %s" % json.dumps(r)[:1500])
sys.exit(0 if ok else 1)' "$FLEET_RUN/$1.record.json" "$2" "$FLEET_RUN/expect.json"
}

# --- A and B: a card on line 5000 of a 2 MiB CSV; a file over the cap ----------
inspector inspector-1 "$FLEET_SLACK_TOKEN"
check send EvFILECSV0001 "the export" F0CSV5000 customers.csv text/csv 2097152 \
        "a 2 MiB CSV shared -> 200"
check send EvFILEBIG0001 "the dump" F0BIGDUMP dump.sql text/plain 2300000 \
        "a 2.3 MB file shared -> 200"
check wait_until 60 "the CSV's record" has_record EvFILECSV0001 "the CSV's event is inspected"
check expect EvFILECSV0001 '
len(r["findings"]) == 1 and len(f) == 1 and f[0]["file_id"] == "F0CSV5000" and f[0]["line"] == 5000
and f[0]["info_type"] == "CREDIT_CARD_NUMBER" and f[0]["byte_start"] == e["card_at"]
and f[0]["byte_end"] == e["card_at"] + 19 and f[0]["part"] == "file customers.csv"
and "4111 1111 1111 1111" not in json.dumps(r)
and r["files"][0]["id"] == "F0CSV5000" and r["files"][0]["inspected"] is True
and r["files"][0]["as"] == "text" and r["files"][0]["requests"] >= 4' \
        "exactly one finding, in customers.csv at line 5000 and the card's offset; inspected as text in >= 4 requests; no raw card"
check wait_until 60 "the dump's record" has_record EvFILEBIG0001 "the big file's event is inspected"
check expect EvFILEBIG0001 '
r["files"][0]["inspected"] is False and r["files"][0]["reason"].startswith("too large: 2300000 bytes")
and "DLP_FILE_MAX_BYTES" in r["files"][0]["reason"] and not f' \
        "the file over the cap: \"not inspected: too large\" with the sizes in the record"
check test "$(metric inspector-1 dlp_inspector_files_not_inspected_too_large_total)" = 1 \
        "dlp_inspector_files_not_inspected_too_large_total counts it"
check test "$(metric inspector-1 dlp_inspector_files_fetched_total)" -ge 1 \
        "dlp_inspector_files_fetched_total counts the CSV"
check send EvFILEPDF0001 "the contract" F0PDFPAGE2 contract.pdf application/pdf \
        "$(stat -c %s "$FLEET_RUN/contract.pdf")" "a PDF shared -> 200"
check wait_until 60 "the PDF's record" has_record EvFILEPDF0001 "the PDF's event is inspected"
check expect EvFILEPDF0001 '
len(r["findings"]) == 1 and len(f) == 1 and f[0]["file_id"] == "F0PDFPAGE2"
and f[0]["info_type"] == "US_SOCIAL_SECURITY_NUMBER" and f[0]["part"] == "file contract.pdf"
and "line" not in f[0] and r["files"][0]["as"] == "bytes" and r["files"][0]["requests"] == 1' \
        "the PDF as one byteItem: one finding, its SSN, in contract.pdf"
alerts_for() { # EVENT_ID: alert records of the event
        topic_dump "$BOOTSTRAP" "$DLP_TOPIC_ALERTS" "$FLEET_RUN/alerts.json"
        "$FLEET_PY" -c '
import json, sys
recs = [json.loads(json.loads(l)["payload"]) for l in open(sys.argv[1]) if l.strip()]
print(sum(1 for r in recs if r.get("schema") == "dlp.alert/1" and r.get("event_id") == sys.argv[2]))' \
                "$FLEET_RUN/alerts.json" "$1"
}
two_alerts() { [ "$(alerts_for EvFILECSV0001)" -ge 1 ] && [ "$(alerts_for EvFILEPDF0001)" -ge 1 ]; }
check wait_until 60 "the alerts" two_alerts "the CSV and the PDF are alerted"
sleep 2 # a second alert for either would show up now
check test "$(alerts_for EvFILECSV0001)/$(alerts_for EvFILEPDF0001)" = 1/1 "one alert each"
slack_says() { # TEXT...: one posted message holds every TEXT
        curl -s "$FLEET_SLACK_SIM/_sim/messages" >"$FLEET_RUN/slack.json"
        "$FLEET_PY" -c '
import json, sys
msgs = [json.dumps(m["body"], ensure_ascii=False) for m in json.load(open(sys.argv[1]))["messages"]]
sys.exit(0 if any(all(t in m for t in sys.argv[2:]) for m in msgs) else 1)' "$FLEET_RUN/slack.json" "$@"
}
check slack_says customers.csv "line 5000" "the CSV's alert names the file and line 5000"
check slack_says contract.pdf US_SOCIAL_SECURITY_NUMBER "the PDF's alert names the file"
check slack_says dump.sql "not inspected" "the file over the cap is said not inspected in an alert"
check fleet_stop inspector-1 "inspector-1 stops cleanly on SIGTERM"
fleet_forget inspector-1

# --- C: a token without files:read ---------------------------------------------
inspector inspector-2 "$NOFILES_TOKEN"
check send EvFILENORD001 "my card 5555 5555 5555 4444" F0CSV5000 customers.csv text/csv 2097152 \
        "a file shared while the token lacks files:read -> 200"
check wait_until 60 "its record" has_record EvFILENORD001 "the event is inspected"
check expect EvFILENORD001 '
len(t) == 1 and t[0]["info_type"] == "CREDIT_CARD_NUMBER" and not f
and r["files"][0]["inspected"] is False and r["files"][0]["reason"] == "the bot token lacks files:read"' \
        "the message's own card found; the file not inspected: the bot token lacks files:read; nothing from the file"
check test "$(metric inspector-2 dlp_inspector_file_setup_errors_total)" -ge 1 \
        "dlp_inspector_file_setup_errors_total counts it"
check grep -q 'files are not inspected: the bot token lacks files:read' "$FLEET_RUN/inspector-2.log" \
        "a clear error line in the log"
check fleet_stop inspector-2 "inspector-2 stops cleanly on SIGTERM"
fleet_forget inspector-2

# --- D: SIGTERM, then kill -9, in the middle of a slow download ----------------
downloads() { curl -s "$FLEET_SLACK_SIM/_sim/stats" | "$FLEET_PY" -c 'import json,sys; print(json.load(sys.stdin)["downloads"])'; }
started() { [ "$(downloads)" -gt "$before" ]; }
before=$(downloads)
inspector inspector-3 "$FLEET_SLACK_TOKEN"
check send EvFILESLOW001 "notes" F0SLOWTXT notes.txt text/plain 46 "a file served slowly (4 s) -> 200"
check wait_until 60 "the download to start" started "inspector-3 started the download"
check fleet_stop inspector-3 "SIGTERM with a file downloading: inspector-3 exits 0 without waiting for it"
fleet_forget inspector-3
check test -z "$(record EvFILESLOW001)" "stopped mid-download: no record, nothing committed"
before=$(downloads)
inspector inspector-4 "$FLEET_SLACK_TOKEN"
check wait_until 60 "the download to start again" started "inspector-4 started the download again"
fleet_kill inspector-4
check test -z "$(record EvFILESLOW001)" "killed mid-download: no record yet"
inspector inspector-5 "$FLEET_SLACK_TOKEN"
check wait_until 60 "the slow file's record" has_record EvFILESLOW001 "after a restart the event is inspected"
check expect EvFILESLOW001 '
len(f) == 1 and f[0]["info_type"] == "US_SOCIAL_SECURITY_NUMBER" and f[0]["line"] == 2
and r["files"][0]["inspected"] is True' \
        "the slow file is inspected after the restart: its SSN on line 2"

topic_dump "$BOOTSTRAP" "$DLP_TOPIC_INSPECTED" "$FLEET_RUN/inspected.json"
check "$FLEET_PY" "$ROOT/tests/tools/validate_records.py" --min-count 5 "$FLEET_RUN/inspected.json" \
        "every inspection record validates against schemas/"
check sh -c "! grep -rq '4111 1111 1111 1111\|078-05-1120' '$FLEET_RUN'/inspector-*.log '$FLEET_RUN'/reporter.log" \
        "no file contents in any log"

# --- the PDF's alert in full (dlp-sim reads the PDF's text with poppler) -----
check slack_says "|contract.pdf> (application/pdf, " US_SOCIAL_SECURITY_NUMBER \
        "the PDF's alert links the file and gives its type and size"
check sh -c "! grep -Eq 'contract\.pdf> \(application/pdf, [^)]*\), page' '$FLEET_RUN/slack.json'" \
        "no page is claimed for the PDF (Google's answer has no page field)"

trap - EXIT
check fleet_down "every process stopped cleanly on SIGTERM"
check_summary e2e.files
