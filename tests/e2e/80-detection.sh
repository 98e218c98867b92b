#!/usr/bin/env bash
# End to end on a real Kafka broker: what is looked for is the user's choice
# (issue 11). The inspectors run with DLP_INSPECT_CONFIG_FILE (a custom regex
# type, a dictionary type, an exclusion rule for a test card) and
# DLP_INSPECT_TEMPLATE, which dlp-sim resolves from DLP_SIM_TEMPLATES.
#
#   * the custom regex and the dictionary type find what they should
#   * the listed test card is excluded, another card is still found
#   * the template reaches dlp-sim and is applied (a type only it defines)
#   * a secret in an attachment and one in a file title each make an alert
#     that names the part ("in attachment 2", "in the file title of ...")
#   * an unfurl edit (message_changed, same text) makes no second record
#     and no second alert; a bot_message without a channel is answered 200
#   * a bad DLP_INSPECT_CONFIG_FILE (unknown field, bad regex, unknown info
#     type) stops the inspector at start-up, naming the file and the part
#
# Needs a broker at DLPFLEET_KAFKA_BOOTSTRAP (CTest starts one).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

run_id=$(date +%s)-$$
export DLP_GROUP_ID=e2e-$run_id-inspector DLP_REPORTER_GROUP_ID=e2e-$run_id-reporter
fleet_run_topics "${FLEET_RUN_DIR:-$ROOT/.run/e2e-detection}" "e2e.$run_id" 12 \
        events inspected alerts deadletter

TEMPLATE=projects/dlpfleet-local/locations/global/inspectTemplates/chat
cat >"$FLEET_RUN/inspect-config.json" <<'EOF'
{
  "customInfoTypes": [
    {"infoType": {"name": "EMPLOYEE_ID"}, "regex": {"pattern": "\\bEMP-[0-9]{6}\\b"}, "likelihood": "LIKELY"},
    {"infoType": {"name": "PROJECT_CODENAME"}, "dictionary": {"wordList": {"words": ["Project Falcon", "Bluebird"]}}}
  ],
  "ruleSet": [
    {"infoTypes": [{"name": "CREDIT_CARD_NUMBER"}],
     "rules": [{"exclusionRule": {"dictionary": {"wordList": {"words": ["4242 4242 4242 4242"]}},
                                  "matchingType": "MATCHING_TYPE_FULL_MATCH"}}]}
  ]
}
EOF
cat >"$FLEET_RUN/templates.json" <<EOF
{"inspectTemplates": [{"name": "$TEMPLATE",
  "inspectConfig": {"customInfoTypes": [{"infoType": {"name": "TICKET_ID"}, "regex": {"pattern": "TCK-[0-9]{5}"}}]}}]}
EOF
export DLP_INSPECT_CONFIG_FILE=$FLEET_RUN/inspect-config.json DLP_INSPECT_TEMPLATE=$TEMPLATE \
        DLP_SIM_TEMPLATES=$FLEET_RUN/templates.json

# --- a bad config stops start-up, naming the file and the part ------------
bad_start() { # CONFIG_JSON EXPECTED_TEXT
        printf '%s' "$1" >"$FLEET_RUN/bad.json"
        local rc=0
        DLP_INSPECT_CONFIG_FILE=$FLEET_RUN/bad.json timeout 20 "$FLEET_BIN/dlp-inspector" \
                --gcp-project p --bootstrap-servers "$BOOTSTRAP" >"$FLEET_RUN/bad.out" 2>&1 || rc=$?
        [ "$rc" = 2 ] && grep -qF "DLP_INSPECT_CONFIG_FILE $FLEET_RUN/bad.json: $2" "$FLEET_RUN/bad.out" ||
                { echo "rc=$rc"; cat "$FLEET_RUN/bad.out"; return 1; }
}
check bad_start '{"infoTypes":[],"minLikelyhood":"LIKELY"}' 'unknown field \"minLikelyhood\"' \
        "unknown field -> exit 2 naming the file and the field"
check bad_start '{"customInfoTypes":[{"infoType":{"name":"A"},"regex":{"pattern":"(EMP"}}]}' \
        'customInfoTypes[0].regex.pattern: bad regex' "bad regex -> exit 2 naming the pattern's path"
check bad_start '{"infoTypes":[{"name":"CREDIT_CARD"}]}' 'infoTypes[0]: unknown built-in info type \"CREDIT_CARD\"' \
        "unknown info type -> exit 2 naming it"

# --- the fleet, with the config, the template and the templates file -------
fleet_up "$BOOTSTRAP" 2
check grep -q '"detection: 4 built-in and 3 custom info types, template ' "$FLEET_RUN/inspector-1.log" \
        "the inspector logs what it looks for"

now=$(date +%s)
"$FLEET_PY" - "$now" >"$FLEET_RUN/events.jsonl" <<'PY'
import json, sys
now = int(sys.argv[1])
def env(eid, event):
    return json.dumps({"type": "event_callback", "team_id": "T0DETECT1", "api_app_id": "A0DETECT1",
                       "event_id": eid, "event_time": now, "event": event})
def msg(ts, text, **kw):
    return dict({"type": "message", "channel": "C0DETECT1", "channel_type": "channel",
                 "user": "U0DETECT1", "ts": "%d.%06d" % (now, ts), "text": text}, **kw)
card_msg = msg(6, "card 4111111111111111 see <https://example.com/doc>")
unfurled = dict(card_msg, attachments=[{"from_url": "https://example.com/doc", "title": "Example Domain",
                                        "text": "This domain is for use in illustrative examples.",
                                        "fallback": "example.com: Example Domain"}])
lines = [
    env("EvDETEMP0001", msg(1, "welcome EMP-123456 to the team")),
    env("EvDETDICT001", msg(2, "status of project falcon, please")),
    env("EvDETTEST001", msg(3, "use the test card 4242 4242 4242 4242")),
    env("EvDETCARD001", msg(4, "real card 5555 5555 5555 4444")),
    env("EvDETTICK001", msg(5, "see ticket TCK-12345")),
    env("EvDETUNF0001", card_msg),
    env("EvDETUNF0002", {"type": "message", "subtype": "message_changed", "hidden": True,
                          "channel": "C0DETECT1", "channel_type": "channel", "ts": "%d.000900" % now,
                          "message": unfurled, "previous_message": card_msg}),
    env("EvDETBOTNC01", {"type": "message", "subtype": "bot_message", "ts": "%d.000010" % now,
                          "text": "Pushing is the answer", "bot_id": "BB12033", "username": "github"}),
    env("EvDETATTACH1", msg(7, "nightly report", attachments=[
        {"fallback": "all green", "text": "all green"},
        {"fallback": "refund", "text": "refund to card 5555 5555 5555 4444 failed"}])),
    env("EvDETFILE001", msg(8, "", subtype="file_share", files=[
        {"id": "F0DETECT01", "name": "report.csv", "title": "export for jane.doe@example.com",
         "mimetype": "text/csv", "size": 10}])),
]
print("\n".join(lines))
PY
check "$FLEET_PY" "$ROOT/tests/tools/send_events.py" --url "$FLEET_COLLECTOR_URL" \
        --secret "$FLEET_SIGNING_SECRET" --timeout-s 30 --expect-status 200 "$FLEET_RUN/events.jsonl" \
        "10 events (an unfurl edit, a bot_message without a channel) -> 200"

settled() {
        [ "$(topic_count "$BOOTSTRAP" "$DLP_TOPIC_INSPECTED")" -ge 8 ] &&
                [ "$(topic_count "$BOOTSTRAP" "$DLP_TOPIC_ALERTS")" -ge 7 ]
}
check wait_until 120 "8 inspections and 7 alerts" settled "the fleet settled"
sleep 3 # a second alert for the unfurl would show up now
for t in events inspected alerts; do
        var=DLP_TOPIC_${t^^}
        topic_dump "$BOOTSTRAP" "${!var}" "$FLEET_RUN/$t.json"
done
curl -s "$FLEET_DLP_SIM/_sim/stats" >"$FLEET_RUN/dlp-stats.json"
curl -s "$FLEET_SLACK_SIM/_sim/messages" >"$FLEET_RUN/slack.json"
check "$FLEET_PY" - "$FLEET_RUN" <<'PY' "inspections: custom regex, dictionary, exclusion, template; one record per message"
import json, sys
run = sys.argv[1]
def records(name):
    return [json.loads(json.loads(l)["payload"]) for l in open("%s/%s.json" % (run, name)) if l.strip()]
events = {r["event_id"] for r in records("events")}
found = {r["event_id"]: sorted({f["info_type"] for f in r.get("findings", [])}) for r in records("inspected")}
want = {"EvDETEMP0001": ["EMPLOYEE_ID"], "EvDETDICT001": ["PROJECT_CODENAME"],
        "EvDETTEST001": [], "EvDETCARD001": ["CREDIT_CARD_NUMBER"],
        "EvDETTICK001": ["TICKET_ID"], "EvDETUNF0001": ["CREDIT_CARD_NUMBER"],
        "EvDETATTACH1": ["CREDIT_CARD_NUMBER"], "EvDETFILE001": ["EMAIL_ADDRESS"]}
ok = True
for eid, types in want.items():
    got = found.get(eid)
    print("       %s: %s" % (eid, got))
    if got != types:
        print("       want %s" % types); ok = False
parts = {r["event_id"]: [(f.get("part"), f["byte_start"], f["byte_end"]) for f in r.get("findings", [])]
         for r in records("inspected")}
for eid, want_parts in (("EvDETATTACH1", [("attachment 2 text", 15, 34)]),
                        ("EvDETFILE001", [("the file title of report.csv", 11, 31)])):
    print("       %s: %s" % (eid, parts.get(eid)))
    if parts.get(eid) != want_parts:
        print("       want %s" % want_parts); ok = False
for eid in ("EvDETUNF0002", "EvDETBOTNC01"):
    if eid in events or eid in found:
        print("       %s made a record" % eid); ok = False
stats = json.load(open(run + "/dlp-stats.json"))
if stats["rejected"]:
    print("       dlp-sim rejected %s" % stats["rejected_by_reason"]); ok = False
sys.exit(0 if ok else 1)
PY
alerts_for() { "$FLEET_PY" -c '
import json, sys
recs = [json.loads(json.loads(l)["payload"]) for l in open(sys.argv[1]) if l.strip()]
n = sum(1 for r in recs if r.get("schema") == "dlp.alert/1" and r.get("event_id") == sys.argv[2])
print(n)' "$FLEET_RUN/alerts.json" "$1"; }
check test "$(alerts_for EvDETUNF0001)" = 1 "the card message alerted once, its unfurl edit not again"
check test "$(alerts_for EvDETTEST001)" = 0 "no alert for the excluded test card"
slack_says() { "$FLEET_PY" -c '
import json, sys
msgs = json.load(open(sys.argv[1]))["messages"]
sys.exit(0 if any(sys.argv[2] in json.dumps(m["body"], ensure_ascii=False) for m in msgs) else 1)' "$FLEET_RUN/slack.json" "$1"; }
check slack_says " in attachment 2" "the alert for the attachment says \"in attachment 2\""
check slack_says "in the file title of report.csv" "the alert for the file title says \"in the file title of report.csv\""
skipped_metric() { curl -s "$(cat "$FLEET_RUN/collector.admin")/metrics" |
        awk -v m="$1" '$1 == m { print $2 }'; }
check test "$(skipped_metric dlp_collector_events_skipped_unchanged_edit_total)" = 1 \
        "the collector counted the unfurl under unchanged_edit"
check test "$(skipped_metric dlp_collector_events_skipped_unknown_shape_total)" = 1 \
        "the collector counted the bot_message without a channel under unknown_shape"

check fleet_down "every process stopped cleanly on SIGTERM"
check_summary e2e.detection
