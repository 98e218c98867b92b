#!/usr/bin/env bash
# The inspector on a real Kafka broker, against dlp-sim enforcing 10
# requests in any sliding second, strictly:
#
#   A. 3 inspectors inspect 5,000 events: every one, 0 rejected requests,
#      never more than 10 in a second
#   B. kill -9 of an inspector mid-run and a new one started (at least
#      once): every event still has an inspection record; duplicates counted
#   C. the same with DLP_EXACTLY_ONCE: a read_committed consumer sees every
#      event exactly once
#   D. poison events in batches: each lands in the dead-letter topic with
#      the service's reason; their batch-mates are inspected
#
# Events go straight onto the events topic (tests/tools/gen_load.py); each
# phase has its own topics, group and dlp-sim.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN_BASE=${FLEET_RUN_DIR:-$ROOT/.run/e2e-inspector}

phase() { # NAME: fresh topics, group and dlp-sim
        local id=$(date +%s)-$$-$1
        echo "--- phase $1"
        export DLP_GROUP_ID=e2e-$id
        fleet_run_topics "$RUN_BASE/$1" "e2e.$id" 12 events inspected alerts deadletter
        fleet_start dlp-sim DLP_SIM_LISTEN_ADDR=127.0.0.1:0 DLP_SIM_RATE_LIMIT=10 \
                -- "$FLEET_BIN/dlp-sim"
        SIM=http://$(fleet_listen_addr dlp-sim)
}
load() { # gen_load.py arguments
        "$FLEET_PY" "$ROOT/tests/tools/gen_load.py" "$@" |
                kcat -P -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -K '\t'
}
inspector() { # NAME [VAR=VALUE...]
        local name=$1
        shift
        fleet_start "$name" "${FLEET_ENV[@]}" "DLP_API_URL=$SIM" \
                DLP_GCP_PROJECT=e2e DLP_RATE_LIMIT=10 "$@" -- "$FLEET_BIN/dlp-inspector"
}
keys() { # read_committed, as a downstream consumer reads
        kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -f '%k\n' \
                -X isolation.level=read_committed 2>/dev/null
}
distinct() { keys "$DLP_TOPIC_INSPECTED" | sort -u | wc -l; }
records() { keys "$DLP_TOPIC_INSPECTED" | wc -l; }
# true once N distinct events are inspected; fails at once if a worker died
reached() {
        local name
        for name in "${FLEET_NAMES[@]}"; do
                fleet_alive "$name" || { fleet_log "$name died:"; tail -n 3 "$FLEET_RUN/$name.log" >&2; exit 1; }
        done
        [ "$(distinct)" -ge "$1" ]
}
stat() { curl -s "$SIM/_sim/stats" | "$FLEET_PY" -c "import json,sys; print(json.load(sys.stdin)$1)"; }
quiet_validate() {
        "$FLEET_PY" "$ROOT/tests/tools/validate_records.py" --expect-schema dlp.deadletter/1 \
                "$1" >"$FLEET_RUN/validate.out" 2>&1 || { cat "$FLEET_RUN/validate.out"; return 1; }
}
pacing_checks() {
        check test "$(stat "['rejected_by_reason']['rate_limited']")" = 0 \
                "phase $1: dlp-sim rejected no request for the rate"
        check test "$(stat "['max_requests_in_any_1s_window']")" -le 10 \
                "phase $1: never more than 10 requests in any second ($(stat "['max_requests_in_any_1s_window']"))"
}

# --- A: 3 inspectors, 5,000 events ----------------------------------------
phase A
load 5000 --prefix EvA
for i in 1 2 3; do inspector "inspector-$i"; done
check wait_until 120 "5,000 inspections" reached 5000 "phase A: 3 inspectors inspected all 5,000 events"
check test "$(distinct)" = 5000 "phase A: 5,000 distinct events, none lost"
echo "       requests $(stat "['accepted']"), rows per request $(stat "['rows_per_request']['mean']"), duplicates $(($(records) - $(distinct)))"
pacing_checks A
check fleet_down "phase A: every process stopped cleanly"

# --- B and C: kill -9 mid-run ------------------------------------------------
kill_run() { # PHASE [VAR=VALUE...]
        local ph=$1
        shift
        phase "$ph"
        load 5000 --prefix "Ev$ph"
        for i in 1 2 3; do inspector "inspector-$i" "$@"; done
        wait_until 60 "progress" reached 1000
        fleet_kill inspector-2
        echo "       killed inspector-2 (SIGKILL) at $(distinct) events; starting inspector-4"
        inspector inspector-4 "$@"
        check wait_until 180 "every event" reached 5000 "phase $ph: every event has an inspection record after the kill"
        sleep 2
        check test "$(distinct)" = 5000 "phase $ph: none lost"
        DUPS=$(($(records) - $(distinct)))
        echo "       inspection records $(records) for $(distinct) events: $DUPS duplicates"
        pacing_checks "$ph"
        check fleet_down "phase $ph: the others stopped cleanly"
}
kill_run B
echo "       at-least-once duplicates after kill -9: $DUPS (counted, not asserted)"
kill_run C DLP_EXACTLY_ONCE=true
check test "$DUPS" = 0 "phase C: exactly once: no duplicate for a read_committed consumer"

# --- D: poison ----------------------------------------------------------------
phase D
load 1000 --prefix EvD --poison 3 --poison-ids "$FLEET_RUN/poison.txt"
inspector inspector-1
check wait_until 120 "997 inspections and 3 dead letters" \
        eval '[ "$(distinct)" -ge 997 ] && [ "$(topic_count "$BOOTSTRAP" "$DLP_TOPIC_DEADLETTER")" -ge 3 ]' \
        "phase D: 997 events inspected and 3 dead letters"
sleep 1
check test "$(distinct)" = 997 "phase D: exactly the 997 good events inspected"
check test "$(keys "$DLP_TOPIC_INSPECTED" | grep -c -F -f "$FLEET_RUN/poison.txt")" = 0 \
        "phase D: no inspection record for a poison event"
topic_dump "$BOOTSTRAP" "$DLP_TOPIC_DEADLETTER" "$FLEET_RUN/deadletter.json"
poison_ok() {
        "$FLEET_PY" - "$FLEET_RUN/deadletter.json" "$FLEET_RUN/poison.txt" <<'PY'
import json, sys
recs = [json.loads(json.loads(l)["payload"]) for l in open(sys.argv[1]) if l.strip()]
want = set(open(sys.argv[2]).read().split())
ok = ({r["key"] for r in recs} == want and len(recs) == len(want)
      and all(r["stage"] == "inspector" and "INVALID_ARGUMENT" in r["reason"] for r in recs))
print("       dead letter reason: %s" % recs[0]["reason"] if recs else "none")
sys.exit(0 if ok else 1)
PY
}
check poison_ok "phase D: the poison events are the dead letters, with the service's reason"
check quiet_validate "$FLEET_RUN/deadletter.json" "phase D: dead letters validate against the schema"
check fleet_down "phase D: stopped cleanly"

# --- E: a refreshed token file is picked up without a restart -------------------
echo "--- phase E"
id=$(date +%s)-$$-E
export DLP_GROUP_ID=e2e-$id
fleet_run_topics "$RUN_BASE/E" "e2e.$id" 12 events inspected alerts deadletter
fleet_start dlp-sim DLP_SIM_LISTEN_ADDR=127.0.0.1:0 DLP_SIM_TOKEN=the-good-token -- "$FLEET_BIN/dlp-sim"
SIM=http://$(fleet_listen_addr dlp-sim)
echo stale-token >"$FLEET_RUN/token"
load 300 --prefix EvE
inspector inspector-1 "DLP_API_TOKEN_FILE=$FLEET_RUN/token" DLP_RETRY_MAX_S=1
unauthenticated() { [ "$(stat "['rejected_by_reason']['unauthenticated']")" -gt 0 ]; }
check wait_until 30 "a 401" unauthenticated "phase E: with the stale token, dlp-sim answers 401"
echo the-good-token >"$FLEET_RUN/token.new" && mv "$FLEET_RUN/token.new" "$FLEET_RUN/token"
check wait_until 60 "300 inspections" reached 300 "phase E: after the file changed, every event is inspected"
check grep -q "token reloaded" "$FLEET_RUN/inspector-1.log" "phase E: the inspector says it reloaded the token"
check fleet_down "phase E: stopped cleanly"

trap - EXIT
check_summary "e2e inspector"
