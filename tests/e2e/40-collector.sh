#!/usr/bin/env bash
# The collector on a real Kafka broker, over real sockets:
#
#   * bad requests: wrong content type -> 415; Content-Length over the limit
#     -> 413 before the body is read; a chunked body over the limit -> the
#     connection is closed
#   * a repeated event_id (a Slack retry, or a second delivery) is answered
#     200 and produced once
#   * the broker stopped during a load and started again: every event that
#     got a 200 is in the topic afterwards, and every other answer was 503
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fleet_run_topics "${FLEET_RUN_DIR:-$ROOT/.run/e2e-collector}" "e2e.$(date +%s)-$$" 12 events
port=$(fleet_free_port)
URL=http://127.0.0.1:$port/slack/events
fleet_start collector "${FLEET_ENV[@]}" "DLP_LISTEN_ADDR=127.0.0.1:$port" \
        "SLACK_SIGNING_SECRET=$FLEET_SIGNING_SECRET" \
        SLACK_SIGNING_SECRET_PREVIOUS=the-previous-secret -- "$FLEET_BIN/dlp-collector"
fleet_wait_http "$URL"
send() { "$FLEET_PY" "$ROOT/tests/tools/send_events.py" --url "$URL" \
        --secret "$FLEET_SIGNING_SECRET" "$@"; }
keys() { kcat -C -b "$BOOTSTRAP" -t "$DLP_TOPIC_EVENTS" -o beginning -e -q -f '%k\n' 2>/dev/null; }

# --- bad requests over a real socket ---------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' "$@" "$URL" || true; }
check test "$(code -H 'Content-Type: text/plain' -d '{}')" = 415 "text/plain -> 415"
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$FLEET_RUN/big.json"
check test "$(code -H 'Content-Type: application/json' --data-binary @"$FLEET_RUN/big.json")" = 413 \
        "2 MiB with Content-Length -> 413"
chunked_closed() {
        # well-formed signature headers pass the check before the body (a
        # wrong HMAC is only found after it), so the body limit is what acts
        local rc=0 ts
        ts=$(date +%s)
        curl -s -o /dev/null -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
                -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: v0=$(printf '%064d' 0)" \
                --data-binary @"$FLEET_RUN/big.json" "$URL" || rc=$?
        [ "$rc" -eq 52 ] || [ "$rc" -eq 55 ] || [ "$rc" -eq 56 ] # empty reply / send / recv failure
}
check chunked_closed "2 MiB chunked -> connection closed without reading it all"

# --- a secret rotation: the previous secret still works, others do not ----
"$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 1 --envelopes --prefix EvROT >"$FLEET_RUN/rot.jsonl"
"$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 1 --envelopes --prefix EvBADROT >"$FLEET_RUN/badrot.jsonl"
send_as() { "$FLEET_PY" "$ROOT/tests/tools/send_events.py" --url "$URL" "$@" >"$FLEET_RUN/send-as.json"; }
check send_as --secret the-previous-secret --expect-status 200 "$FLEET_RUN/rot.jsonl" \
        "signed with SLACK_SIGNING_SECRET_PREVIOUS -> 200"
check send_as --secret some-other-secret --expect-status 401 "$FLEET_RUN/badrot.jsonl" \
        "signed with any other secret -> 401"

# --- duplicates ---------------------------------------------------------------
"$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 1 --envelopes --prefix EvDUP >"$FLEET_RUN/one.jsonl"
cat "$FLEET_RUN/one.jsonl" "$FLEET_RUN/one.jsonl" "$FLEET_RUN/one.jsonl" >"$FLEET_RUN/three.jsonl"
send_quiet() { send "$@" >"$FLEET_RUN/send-quiet.json"; }
check send_quiet --concurrency 1 --expect-status 200 "$FLEET_RUN/three.jsonl" \
        "the same event three times -> 200 each time"
check test "$(keys | grep -c EvDUP)" = 1 "... and produced once"

# --- the broker goes away under load ---------------------------------------
"$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 6000 --envelopes --prefix EvOUT >"$FLEET_RUN/load.jsonl"
send --concurrency 8 --retries 0 --timeout-s 120 --record "$FLEET_RUN/record.jsonl" \
        "$FLEET_RUN/load.jsonl" >"$FLEET_RUN/send.json" 2>&1 &
sender=$!
sleep 1.5
"$ROOT/scripts/kafka.sh" restart >"$FLEET_RUN/restart.log" 2>&1
wait "$sender" || true
echo "       sender: $(cat "$FLEET_RUN/send.json")"
keys | sort -u >"$FLEET_RUN/keys.txt"
outage() {
        "$FLEET_PY" - "$FLEET_RUN/record.jsonl" "$FLEET_RUN/keys.txt" <<'PY'
import collections, json, sys
rec = [json.loads(l) for l in open(sys.argv[1])]
stored = set(open(sys.argv[2]).read().split())
by = collections.Counter(r["status"] for r in rec)
ok = [r["event_id"] for r in rec if r["status"] == 200]
lost = [e for e in ok if e not in stored]
other = {s: n for s, n in by.items() if s not in (200, 503)}
print("       answers %s; 200s missing from the topic: %d; 503s that got in anyway: %d"
      % (dict(by), len(lost), sum(1 for r in rec if r["status"] == 503 and r["event_id"] in stored)))
sys.exit(0 if len(rec) == 6000 and not lost and not other and by[503] > 0 else 1)
PY
}
check outage "broker restarted under load: every 200 is in the topic, every other answer a 503 (and some were)"
check fleet_down "the collector stopped cleanly"

trap - EXIT
check_summary "e2e collector"
