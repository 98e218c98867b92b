#!/usr/bin/env bash
# Poison records on every topic a worker reads (issue 9): each is
# dead-lettered with a reason that says why without quoting it, and the
# stream goes on -- no crash, no crash loop, no retry for ever.
#
#   events topic (the inspector): invalid JSON holding a card number, a
#     long multibyte `schema` (a cut of it once failed the dead letter and
#     stopped the inspector on every restart), an event_id of 300 bytes, a
#     900 KB value (its base64 is over Kafka's 1 MB), bytes that are not
#     UTF-8 under a key that is not either; then a good event
#   inspected topic (the reporter): invalid JSON, an id of 300 bytes, and a
#     valid record whose fields hold "<!everyone>" and long multibyte
#     quotes (an alert, escaped: it pings no one); then a good record
#   alerts topic (read by the reporter on start): garbage keyed like a real
#     event, which must not suppress that event's alert
#
# Run it in the ASan+UBSan build too (CTest does, in scripts/test.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
id=$(date +%s)-$$
fleet_run_topics "${FLEET_RUN_DIR:-$ROOT/.run/e2e-poison}" "e2e.$id" 3 \
        events inspected alerts deadletter

quiet() { "$@" >"$FLEET_RUN/quiet.out" 2>&1 || { cat "$FLEET_RUN/quiet.out"; return 1; }; }
produce() { kcat -P -b "$BOOTSTRAP" -t "$1" -K '\t' -X message.max.bytes=1000000; }
count() { topic_count "$BOOTSTRAP" "$1"; }
dead_from() { # STAGE: dead letters written by that stage
        kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_DEADLETTER" -o beginning -e -q \
                -f '%h\n' 2>/dev/null | grep -c "dlp-stage=$1" || true
}
alive() { # every worker still running
        local name
        for name in "$@"; do
                fleet_alive "$name" || { fleet_log "$name died:"; tail -n 5 "$FLEET_RUN/$name.log" >&2; return 1; }
        done
}

# --- the poison, written before any worker starts ------------------------------
"$FLEET_PY" - "$FLEET_RUN" <<'PY'
import json, sys
run = sys.argv[1]
good = {"schema": "dlp.event/1", "team_id": "T0POISON", "channel": "C0POISON",
        "user": "U0POISON", "ts": "1763900000.000100", "event_time": 1763900000,
        "kind": "message", "received_at": "2026-12-01T00:00:00.000Z", "source": "replay"}
def ev(**kw):
    return json.dumps(dict(good, **kw), ensure_ascii=False)
events = [
    b"EvBADJSON\t{\"schema\":\"dlp.event/1\", 4111111111111111}",
    b"EvLONGSCHEMA\t" + ev(schema="\u20ac" * 100, event_id="EvLONGSCHEMA", text="x").encode(),
    b"EvLONGID\t" + ev(event_id="Ev" + "L" * 298, text="x").encode(),
    b"EvHUGE\t" + b"x" * 900000,
    b"\xff\xfe\t\xff\xfe not UTF-8 at all",
    b"EvGOOD1\t" + ev(event_id="EvGOOD1", text="card 4111 1111 1111 1111 please").encode(),
]
open(run + "/events.in", "wb").write(b"\n".join(events) + b"\n")

finding = {"info_type": "CREDIT_CARD_NUMBER", "likelihood": "VERY_LIKELY",
           "byte_start": 0, "byte_end": 19, "quote_masked": "4111 \u2022\u2022\u2022\u2022 \u2022\u2022\u2022\u2022 1111"}
ins = {"schema": "dlp.inspection/1", "team_id": "T0POISON", "channel": "C0POISON",
       "user": "U0POISON", "ts": "1763900000.000200", "kind": "message",
       "event_time": 1763900000, "findings": [finding],
       "inspected_at": "2026-12-01T00:00:00.000Z", "backend": "google-dlp-v2",
       "batch_id": "poison", "attempt": 1}
def rec(**kw):
    return json.dumps(dict(ins, **kw), ensure_ascii=False)
hostile_finding = dict(finding, info_type="X<!everyone>", quote_masked="<!here|\u20ac" + "\u20ac" * 400 + ">")
inspected = [
    b"EvBADJSON2\tnot json 4111111111111111",
    b"EvLONGID2\t" + rec(event_id="Ev" + "L" * 298).encode(),
    b"EvHOSTILE\t" + rec(event_id="EvHOSTILE", user="U1><!everyone", channel="C1<!channel>",
                        ts="1763900000.000300<!here>", findings=[hostile_finding] * 12).encode(),
    b"EvGOOD2\t" + rec(event_id="EvGOOD2").encode(),
]
open(run + "/inspected.in", "wb").write(b"\n".join(inspected) + b"\n")
# on the alerts topic: garbage keyed by a real event (EvGOOD2)
open(run + "/alerts.in", "wb").write(b"EvGOOD2\tnot an alert record\n\xff\t\xff\n")
PY
produce "$DLP_TOPIC_EVENTS" <"$FLEET_RUN/events.in"
produce "$DLP_TOPIC_INSPECTED" <"$FLEET_RUN/inspected.in"
produce "$DLP_TOPIC_ALERTS" <"$FLEET_RUN/alerts.in"

# --- the workers ------------------------------------------------------------------
fleet_start dlp-sim DLP_SIM_LISTEN_ADDR=127.0.0.1:0 "DLP_SIM_TOKEN=$FLEET_DLP_TOKEN" \
        -- "$FLEET_BIN/dlp-sim"
SIM=http://$(fleet_listen_addr dlp-sim)
fleet_start slack-sim SLACK_SIM_LISTEN_ADDR=127.0.0.1:0 \
        "SLACK_SIM_TOKEN=$FLEET_SLACK_TOKEN" -- "$FLEET_BIN/slack-sim"
SLACK=http://$(fleet_listen_addr slack-sim)
inspector() {
        fleet_start "$1" "${FLEET_ENV[@]}" "DLP_API_URL=$SIM" DLP_GCP_PROJECT=e2e \
                "DLP_API_TOKEN=$FLEET_DLP_TOKEN" "DLP_GROUP_ID=e2e-$id-inspector" \
                -- "$FLEET_BIN/dlp-inspector"
}
inspector inspector
fleet_start reporter "${FLEET_ENV[@]}" "SLACK_API_URL=$SLACK/api" \
        "SLACK_BOT_TOKEN=$FLEET_SLACK_TOKEN" "DLP_ALERT_CHANNEL=$FLEET_ALERT_CHANNEL" \
        "DLP_REPORTER_GROUP_ID=e2e-$id-reporter" DLP_CHANNEL_INTERVAL_MS=0 -- "$FLEET_BIN/dlp-reporter"

# 5 dead letters from the inspector, 2 from the reporter; 3 alerts (EvGOOD1
# through the whole pipeline, EvHOSTILE, EvGOOD2)
settled() {
        alive inspector reporter &&
                [ "$(dead_from inspector)" -ge 5 ] && [ "$(dead_from reporter)" -ge 2 ] &&
                [ "$(count "$DLP_TOPIC_INSPECTED")" -ge 5 ] &&
                [ "$(kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_ALERTS" -o beginning -e -q \
                        -f '%k\n' 2>/dev/null | grep -c '^Ev\(GOOD1\|GOOD2\|HOSTILE\)$')" -ge 3 ]
}
check wait_until 120 "the poison to be dead-lettered" settled \
        "every poison record dead-lettered, every good one inspected and alerted; both workers alive"
check test "$(dead_from inspector)" = 5 "the inspector dead-lettered exactly the 5 poison events"
check test "$(dead_from reporter)" = 2 "the reporter dead-lettered exactly the 2 poison inspections"

topic_dump "$BOOTSTRAP" "$DLP_TOPIC_DEADLETTER" "$FLEET_RUN/deadletter.json"
check quiet "$FLEET_PY" "$ROOT/tests/tools/validate_records.py" --expect-schema dlp.deadletter/1 \
        --expect-count 7 "$FLEET_RUN/deadletter.json" "the dead letters validate (body, key and headers agree)"
reasons_ok() {
        "$FLEET_PY" - "$FLEET_RUN/deadletter.json" <<'PY'
import base64, json, sys
ok = True
for line in open(sys.argv[1], encoding="utf-8"):
    env = json.loads(line)
    rec = json.loads(env["payload"])
    reason, key = rec["reason"], rec.get("key")
    print("       %-12s %s" % ((key or "(none)")[:12], reason[:110]))
    if "4111111111111111" in reason:
        print("FAILED: the reason quotes the record"); ok = False
    if key == "EvHUGE" and "original cut" not in reason:
        print("FAILED: the huge record's reason does not say it was cut"); ok = False
    if key == "EvHUGE" and len(base64.b64decode(rec["original_base64"])) != 524288:
        print("FAILED: the huge record's original is not its first 512 KiB"); ok = False
    if key == "EvLONGSCHEMA" and "schema is \u20ac" not in reason:
        print("FAILED: the long schema is not named"); ok = False
sys.exit(0 if ok else 1)
PY
}
check reasons_ok "dead letters name the fault (never the token), the huge one says it was cut"
no_ping() {
        curl -s "$SLACK/_sim/messages" >"$FLEET_RUN/slack.json"
        ! grep -q '<!everyone\|<!here\|<!channel' "$FLEET_RUN/slack.json" &&
                grep -q '&lt;!everyone&gt;' "$FLEET_RUN/slack.json"
}
check no_ping "the hostile fields reach Slack escaped: no <!everyone>, <!here> or <!channel>"
check grep -q 'not a dlp.alert/1 record keyed by its event_id: ignored' "$FLEET_RUN/reporter.log" \
        "the reporter ignored the garbage on the alerts topic (and EvGOOD2 was alerted)"

# --- no crash loop: a restarted inspector goes on from its commit ---------------
check fleet_stop inspector "the inspector stops cleanly after the poison"
fleet_forget inspector
inspector inspector-2
printf 'EvGOOD3\t{"schema":"dlp.event/1","event_id":"EvGOOD3","team_id":"T0POISON","channel":"C0POISON","user":"U0POISON","ts":"1763900000.000400","event_time":1763900000,"kind":"message","text":"hello","received_at":"2026-12-01T00:00:00.000Z","source":"replay"}\n' |
        produce "$DLP_TOPIC_EVENTS"
after_restart() { alive inspector-2 reporter && [ "$(count "$DLP_TOPIC_INSPECTED")" -ge 6 ]; }
check wait_until 120 "the restarted inspector" after_restart "a restarted inspector inspects the next event"
check test "$(dead_from inspector)" = 5 "and dead-letters nothing twice"

check fleet_down "every worker stops cleanly (exit status 0)"
check_summary "e2e poison"
