#!/usr/bin/env bash
# The reporter on a real Kafka broker, against slack-sim:
#
#   A. slack-sim answering 500 to every third call, and 429 (Retry-After)
#      because the reporter is set to post faster than Slack allows: every
#      alert is eventually posted, none twice
#   B. kill -9 of the reporter mid-run, then a restart: no alert lost
#      (every event is in a Slack message and has an alert record);
#      duplicates counted (target 0: the dedupe set is rebuilt from the
#      alerts topic on start)
#
# Inspection records go straight onto the inspected topic
# (tests/tools/gen_inspections.py); each phase has its own topics and group.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN_BASE=${FLEET_RUN_DIR:-$ROOT/.run/e2e-reporter}

phase() { reporter_phase "$1" 12 "${@:2}"; } # NAME [slack-sim VAR=VALUE...]
reporter() { fleet_start_reporter "$1" KAFKA_SESSION_TIMEOUT_MS=6000 "${@:2}"; } # NAME [VAR=VALUE...]
load() { "$FLEET_PY" "$ROOT/tests/tools/gen_inspections.py" "$@" |
        kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_INSPECTED" -K '\t'; }
alert_ids() { kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_ALERTS" -o beginning -e -q -f '%k\n' 2>/dev/null; }
all_alerted() { [ "$(alert_ids | sort -u | wc -l)" -ge "$1" ]; }
# every event id in exactly (or at least) one Slack message
slack_events() { # N PREFIX MODE(exact|atleast)
        curl -s "$SLACK/_sim/messages" >"$FLEET_RUN/slack.json"
        "$FLEET_PY" - "$FLEET_RUN/slack.json" "$@" <<'PY'
import collections, json, re, sys
msgs = json.load(open(sys.argv[1]))["messages"]
n, prefix, mode = int(sys.argv[2]), sys.argv[3], sys.argv[4]
seen = collections.Counter()
for m in msgs:
    seen.update(set(re.findall(prefix + r"[0-9]{7}", json.dumps(m["body"]))))
missing = n - len(seen)
doubled = sum(1 for c in seen.values() if c > 1)
print("       %d Slack messages carry %d events; missing %d, in two messages %d"
      % (len(msgs), len(seen), missing, doubled))
open(sys.argv[1] + ".dups", "w").write(str(doubled))
sys.exit(0 if missing == 0 and (mode == "atleast" or doubled == 0) else 1)
PY
}

# --- A: 500s and 429s ---------------------------------------------------------
phase A SLACK_SIM_FAIL_EVERY=3
reporter reporter DLP_CHANNEL_INTERVAL_MS=200
load 300 --prefix EvA --rate 30 # trickling in: many small posts
check wait_until 180 "300 alert records" all_alerted 300 "phase A: every event has an alert record"
sleep 1
check slack_events 300 EvA exact "phase A: every event in exactly one Slack message despite the faults"
stats=$(curl -s "$SLACK/_sim/stats")
faults=$(echo "$stats" | "$FLEET_PY" -c 'import json,sys; s=json.load(sys.stdin); print(s["injected_faults"], s["rate_limited"])')
echo "       slack-sim: injected 500s and 429s: $faults"
check test "${faults%% *}" -gt 0 "phase A: slack-sim did inject 500s"
check test "${faults##* }" -gt 0 "phase A: slack-sim did answer 429s"
check test "$(alert_ids | wc -l)" = 300 "phase A: one alert record per event"
check fleet_down "phase A: stopped cleanly"

# --- B: kill -9 and restart ---------------------------------------------------
phase B
load 3000 --prefix EvB --rate 300 &
loader=$!
reporter reporter-1
# mid-run: once it has posted and recorded some alerts, with more to come
wait_until 60 "the first alerts" all_alerted 1
fleet_kill reporter-1
echo "       killed the reporter (SIGKILL) with $(alert_ids | sort -u | wc -l) events alerted"
wait "$loader"
reporter reporter-2
check wait_until 240 "3000 alert records" all_alerted 3000 "phase B: every event alerted after the restart"
sleep 1
check slack_events 3000 EvB atleast "phase B: no alert lost (every event in a Slack message)"
dups=$(cat "$FLEET_RUN/slack.json.dups")
echo "       duplicates after kill -9 and restart: $dups events in two messages (target 0)"
grep -h "read back" "$FLEET_RUN/reporter-2.log" | sed 's/.*"msg":"\([^"]*\)".*/       \1/'
check fleet_down "phase B: stopped cleanly"

trap - EXIT
check_summary "e2e reporter"
