#!/usr/bin/env bash
# dlp-collector --replay on a real Kafka broker: the sample JSONL goes into
# the events topic (message events produced, the rest skipped with a
# reason), records validate as source "replay", and a bad line makes the run
# fail naming the line, after producing everything else.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUN=${FLEET_RUN_DIR:-$ROOT/.run/e2e-replay}
mkdir -p "$RUN"
rm -f "$RUN"/*
topic=e2e.$(date +%s)-$$.replay
"$ROOT/scripts/kafka.sh" create-topics 12 "$topic" >/dev/null

replay() { # FILE -> summary on stdout, status in $RUN/status
        local st=0
        env KAFKA_BOOTSTRAP_SERVERS="$BOOTSTRAP" DLP_TOPIC_EVENTS="$topic" \
                "$FLEET_BIN/dlp-collector" --replay "$1" 2>>"$RUN/collector.log" || st=$?
        echo $st >"$RUN/status"
}
absent() { ! grep -q "$1" "$2"; }
quiet() { "$@" >"$RUN/quiet.out" 2>&1 || { cat "$RUN/quiet.out"; return 1; }; }
field() { "$FLEET_PY" -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }

want=$(field "$EXPECTED" "['counts']['inspectable']")
total=$(wc -l <"$SAMPLE")
replay "$SAMPLE" >"$RUN/summary.json"
check test "$(cat "$RUN/status")" = 0 "replay of the sample exits 0"
check test "$(field "$RUN/summary.json" "['read']")" = "$total" "read $total lines"
check test "$(field "$RUN/summary.json" "['produced']")" = "$want" "produced the $want message events"
check test "$(field "$RUN/summary.json" "['delivered']")" = "$want" "Kafka confirmed all $want"
check test "$(field "$RUN/summary.json" "['invalid']")" = 0 "no invalid line"
check test "$(field "$RUN/summary.json" "['skipped_by_reason']" | grep -c message_deleted)" = 1 \
        "skipped events are counted by reason (message_deleted among them)"
topic_dump "$BOOTSTRAP" "$topic" "$RUN/events.json"
check quiet "$FLEET_PY" "$ROOT/tests/tools/validate_records.py" --expect-schema dlp.event/1 \
        --expect-count "$want" "$RUN/events.json" "the records validate against dlp.event.1.json"
check test "$(grep -c '\\"source\\":\\"replay\\"' "$RUN/events.json")" = "$want" "every record says source replay"

# a bad line in the middle: the rest still goes in, the exit status says so
# (its bad token a card number: the log names the position, never the token)
{ head -n 5 "$SAMPLE"; echo '{"type":"event_callback", 4111111111111111'; sed -n 6,10p "$SAMPLE"; } >"$RUN/bad.jsonl"
replay "$RUN/bad.jsonl" >"$RUN/bad-summary.json"
check test "$(cat "$RUN/status")" != 0 "a malformed line makes the replay exit non-zero"
check grep -q 'line 6: malformed JSON' "$RUN/collector.log" "the error names line 6"
check grep -q 'line 6: malformed JSON: .* at byte' "$RUN/collector.log" "the error names the position"
check absent '4111111111111111' "$RUN/collector.log" "the error does not quote the bad token"
check test "$(field "$RUN/bad-summary.json" "['read']")" = 11 "the lines after it are still read"

check_summary "e2e replay"
