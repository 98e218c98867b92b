#!/usr/bin/env bash
# The reporter's actions (DESIGN §10) on a real Kafka broker, against
# slack-sim, with messages seeded into slack-sim as their users wrote them:
#
#   A. a card in #general, policy alert+notify+remove (ephemeral notice):
#      one alert, one notice seen by the author only, the message deleted
#      by the admin token, a tombstone in #general; the records validate;
#      and a card in a file shared in #random: the alert names the file and
#      the line, the notice names it, the file is deleted once with
#      files.delete besides the message
#   B. the "admin" token is the bot's, which may not delete a user's
#      message: the remove record says cant_delete_message, no tombstone,
#      and a note in the security channel says it could not be removed
#   C. kill -9 of the reporter between actions (DM notices, slow lanes so
#      actions come in bursts; killed in a quiet moment after some were
#      recorded), then a restart: every action exactly once, none missing;
#      each user's DM opened once per reporter run, not once per notice
#
# Each phase has its own topics, group and slack-sim.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN_BASE=${FLEET_RUN_DIR:-$ROOT/.run/e2e-actions}
ADMIN_TOKEN=xoxp-e2e-admin-token

phase() { # NAME [slack-sim VAR=VALUE...]
        reporter_phase "$1" 6 "SLACK_SIM_ADMIN_TOKEN=$ADMIN_TOKEN" "${@:2}"
        PREFIX=Ev${1}ACT
}
policy() { # VIA: alert+notify+remove on cards anywhere, else alert
        cat >"$FLEET_RUN/actions.json" <<JSON
{"schema": "dlp.action-policy/1", "notify": {"via": "$1"},
 "rules": [{"name": "cards", "info_types": ["CREDIT_CARD_NUMBER"],
            "actions": ["alert", "notify", "remove"]},
           {"info_types": ["*"], "actions": ["alert"]}]}
JSON
}
reporter() { # NAME [VAR=VALUE...]
        fleet_start_reporter "$1" KAFKA_SESSION_TIMEOUT_MS=6000 \
                "DLP_ACTIONS_FILE=$FLEET_RUN/actions.json" "${@:2}"
}
files_check() { # the file deleted once by the admin, alert and notice name it
        topic_dump "$BOOTSTRAP" "$DLP_TOPIC_ALERTS" "$FLEET_RUN/alerts.json"
        "$FLEET_PY" - "$FLEET_RUN/alerts.json" "$SLACK" <<'PY'
import json, sys, urllib.request
recs = [json.loads(json.loads(l)["payload"]) for l in open(sys.argv[1]) if l.strip()]
recs = [r for r in recs if r["event_id"].startswith("EvAFILE")]
get = lambda path: json.load(urllib.request.urlopen(sys.argv[2] + path, timeout=10))
acts = sorted(r["action"] for r in recs if r["schema"] == "dlp.action/1")
assert acts == ["notify", "remove", "remove_file", "tombstone"], acts
rf = [r for r in recs if r.get("action") == "remove_file"][0]
assert rf["outcome"] == "ok" and rf["file_id"] == "F0ACT0000000", rf
alert = [r for r in recs if r["schema"] == "dlp.alert/1"]
assert len(alert) == 1 and alert[0]["file_ids"] == ["F0ACT0000000"], alert
files = get("/_sim/files")["files"]
assert [f["id"] for f in files if f.get("deleted_at")] == ["F0ACT0000000"], files
msgs = json.dumps(get("/_sim/messages")["messages"], ensure_ascii=False)
assert "in file <https://acme.slack.com/files/U0ACT000/F0ACT0000000/report.csv|report.csv> (text/csv, " in msgs, msgs
# a lone alert or a digest line: either way the file, its type and the line
assert "report.csv> (text/csv, 42 B), line 5" in msgs, msgs
assert "in the file report.csv" in msgs, msgs
assert "4111 1111 1111 1111" not in msgs.replace("my value is 4111 1111 1111 1111", "")
PY
}
seed() { "$FLEET_PY" "$ROOT/tests/tools/seed_messages.py" "$SLACK" --prefix "$PREFIX" "$@" |
        kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_INSPECTED" -K '\t'; }
actions_recorded() { kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_ALERTS" -o beginning -e -q -f '%s\n' 2>/dev/null |
        grep -c '"dlp.action/1"' || true; }
at_least() { [ "$(actions_recorded)" -ge "$1" ]; }
verify() { # N EXPECT [actions_check.py options]
        topic_dump "$BOOTSTRAP" "$DLP_TOPIC_ALERTS" "$FLEET_RUN/alerts.json"
        "$FLEET_PY" "$ROOT/tests/tools/actions_check.py" "$FLEET_RUN/alerts.json" "$SLACK" \
                "$1" "$PREFIX" "$FLEET_ALERT_CHANNEL" --expect "$2" "${@:3}"
}
validate() {
        "$FLEET_PY" "$ROOT/tests/tools/validate_records.py" --expect-schema dlp.alert/1 \
                --expect-schema dlp.action/1 --expect-count "$1" "$FLEET_RUN/alerts.json" \
                >"$FLEET_RUN/validate.out" 2>&1 || { cat "$FLEET_RUN/validate.out"; return 1; }
}

# --- A: alert, notify, remove -------------------------------------------------
phase A
policy ephemeral
reporter reporter SLACK_ADMIN_TOKEN=$ADMIN_TOKEN
seed 1 --channel C0GENERAL --users 1
seed 1 --channel C0RANDOM --users 1 --file --prefix EvAFILE
# alert records + notify, remove, tombstone records; for the file's event
# a remove_file record too
check wait_until 60 "7 action records" at_least 7 "phase A: notify, remove, remove_file and tombstone recorded"
sleep 1
check verify 1 removed --other-channel C0RANDOM "phase A: one alert, one notice to the author only, message deleted, one tombstone"
check files_check "phase A: a card in a shared file: the file deleted once (files.delete), the alert names file and line, the notice the file"
check validate 9 "phase A: the alert and action records validate (dlp.alert/1, dlp.action/1)"
check fleet_down "phase A: stopped cleanly"

# --- B: a token that may not delete -------------------------------------------
phase B
policy ephemeral
reporter reporter "SLACK_ADMIN_TOKEN=$FLEET_SLACK_TOKEN"
seed 1 --channel C0GENERAL --users 1
# notify, remove (failed), note
check wait_until 60 "3 action records" at_least 3 "phase B: notify, the refused remove and the note recorded"
sleep 1
check verify 1 refused "phase B: remove recorded as cant_delete_message, the security channel told it could not be removed, no tombstone"
check validate 4 "phase B: records validate"
check fleet_down "phase B: stopped cleanly"

# --- C: kill -9 between actions -------------------------------------------------
N=12
phase C
policy dm
reporter reporter-1 SLACK_ADMIN_TOKEN=$ADMIN_TOKEN DLP_CHANNEL_INTERVAL_MS=2500 DLP_TIER3_PER_MIN=24
seed $N --channel C0GENERAL --users 3
check wait_until 120 "6 action records" at_least 6 "phase C: actions under way"
# actions come every 2.5 s per lane: kill in a quiet moment, not inside one
before=$(actions_recorded)
while sleep 0.6; do
        now=$(actions_recorded)
        [ "$now" = "$before" ] && break
        before=$now
done
fleet_kill reporter-1
echo "       killed the reporter (SIGKILL) with $before of $((N * 3)) action records written"
reporter reporter-2 SLACK_ADMIN_TOKEN=$ADMIN_TOKEN DLP_CHANNEL_INTERVAL_MS=2500 DLP_TIER3_PER_MIN=24
check wait_until 240 "$((N * 3)) action records" at_least $((N * 3)) "phase C: every action recorded after the restart"
sleep 3
check verify $N removed "phase C: after kill -9 and restart, no action repeated, none missing"
check validate $((N * 4)) "phase C: exactly one record per alert and action, all valid"
opens=$(curl -s "$SLACK/_sim/stats" | "$FLEET_PY" -c 'import json,sys; print(json.load(sys.stdin)["tier3"]["conversations.open"]["calls"])')
echo "       conversations.open calls: $opens for $N DM notices to 3 users"
check test "$opens" -le 6 "phase C: a user's DM is opened once per reporter run, not per notice"
grep -h "read back" "$FLEET_RUN/reporter-2.log" | sed 's/.*"msg":"\([^"]*\)".*/       \1/'
check fleet_down "phase C: stopped cleanly"

trap - EXIT
check_summary "e2e actions"
