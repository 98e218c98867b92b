#!/usr/bin/env bash
# The collector's door under attack (issue 9, DESIGN §12), on a real Kafka
# broker over real sockets, attacks from many loopback addresses
# (tests/tools/door_probe.py); signed events must get 200 throughout:
#
#   * idle connections from one address: those over the per-client limit
#     are closed at once, the rest held
#   * connections over the total limit are not accepted (the open
#     connections gauge stops at the limit)
#   * slow headers from many addresses: closed at the request deadline,
#     though they never stop sending
#   * 1 MiB bodies: unsigned ones refused (401) before the body; forged ones
#     past the body budget's large half refused (503) before the body
#   * the connection limit is capped below the file descriptor limit
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fleet_run_topics "${FLEET_RUN_DIR:-$ROOT/.run/e2e-door}" "e2e.$(date +%s)-$$" 12 events
# start_collector NAME VAR=VALUE...: on a free port, with an admin endpoint
start_collector() {
        local name=$1
        shift
        port=$(fleet_free_port)
        fleet_start "$name" "${FLEET_ENV[@]}" "DLP_LISTEN_ADDR=127.0.0.1:$port" \
                "$(fleet_admin "$name")" "SLACK_SIGNING_SECRET=$FLEET_SIGNING_SECRET" "$@" \
                -- "$FLEET_BIN/dlp-collector"
        fleet_wait_http "http://127.0.0.1:$port/slack/events"
        METRICS=$(cat "$FLEET_RUN/$name.admin")/metrics
        COLLECTOR=$name
}
metric() { curl -s "$METRICS" | awk -v m="$1" '$1 == m {print $2}'; }
# the limits, with a deadline that never strikes while they are checked
start_collector collector DLP_HTTP_MAX_CONNECTIONS=50 DLP_HTTP_MAX_CONNECTIONS_PER_CLIENT=20 \
        DLP_HTTP_REQUEST_TIMEOUT_MS=60000
n=0
probe() { # NAME ARGS...: door_probe.py with 3 signed events, result in RUN/NAME.json
        local name=$1
        shift
        n=$((n + 1))
        "$FLEET_PY" "$ROOT/tests/tools/gen_load.py" 3 --envelopes --prefix "EvDOOR$n" >"$FLEET_RUN/$name.jsonl"
        "$FLEET_PY" "$ROOT/tests/tools/door_probe.py" --addr "127.0.0.1:$port" \
                --secret "$FLEET_SIGNING_SECRET" --events "$FLEET_RUN/$name.jsonl" \
                --pid "$(fleet_pid "$COLLECTOR")" "$@" >"$FLEET_RUN/$name.json"
        echo "       $name: $(cat "$FLEET_RUN/$name.json")"
}
# q NAME EXPR: a Python expression over the probe's result r
q() { "$FLEET_PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
        "$FLEET_RUN/$1.json" "$2"; }

# --- per client: 40 idle connections from one address, limit 20 ----------
probe idle-one --mode idle --count 40 --sources 1 --settle-s 2 --hold-s 3 --reopen-s 60
check q idle-one 'r["attack"]["closed_by_server"] == 20 and r["attack"]["open_at_end"] == 20' \
        "per-client limit: 20 of 40 idle connections from one address closed at once, 20 held"
check q idle-one 'r["signed"]["status"] == {"200": 3}' "... and signed events got 200"

# --- in total: 60 idle connections from 60 addresses, limit 50 -------------
"$FLEET_PY" "$ROOT/tests/tools/door_probe.py" --addr "127.0.0.1:$port" --mode idle \
        --count 60 --sources 60 --settle-s 0 --hold-s 2.5 --reopen-s 60 >"$FLEET_RUN/idle-many.json" &
prober=$!
sleep 1.5
open_conns=$(metric dlp_collector_http_connections)
wait "$prober"
echo "       60 idle connections, the server holds $open_conns"
check test "$open_conns" = 50 "total limit: 60 connections made, 50 accepted"

# --- bodies: unsigned refused before the body, forged ones within budget ---
probe unsigned --mode body --sign none --count 20 --sources 20 --settle-s 2 --hold-s 3
check q unsigned 'set(r["attack"]["answers"]) == {"401"}' "1 MiB unsigned bodies: 401 from the headers"
check q unsigned 'r["signed"]["status"] == {"200": 3}' "... and signed events got 200"
# 16 MiB budget, large bodies only in its first half: 8 of 1 MiB at a time
probe forged --mode body --sign forged --count 20 --sources 20 --drip-bytes 4096 \
        --drip-s 0.5 --settle-s 2 --hold-s 3 --reopen-s 60
check q forged 'r["attack"]["answers"].get("503", 0) == 12' \
        "1 MiB bodies with forged signatures, sent slowly: 8 fit the budget's large half, 12 get 503"
check q forged 'r["signed"]["status"] == {"200": 3}' "... and signed events got 200"
check test "$(metric dlp_collector_http_refused_budget_total)" -ge 12 "... counted in http_refused_budget_total"
check fleet_stop collector "the collector stopped cleanly"

# --- slow headers: a byte every 0.5 s never trips the idle timeout ---------
start_collector deadline DLP_HTTP_REQUEST_TIMEOUT_MS=2000
probe slow-headers --mode slow-headers --count 30 --sources 30 --settle-s 1 --hold-s 6 --reopen-s 60
check q slow-headers 'r["attack"]["closed_by_server"] == 30' \
        "request deadline: 30 connections trickling headers all closed"
check q slow-headers 'r["signed"]["status"] == {"200": 3}' "... and signed events got 200"
check test "$(metric dlp_collector_http_timed_out_total)" -ge 30 "... counted in http_timed_out_total"

check fleet_stop deadline "the collector with a short deadline stopped cleanly"
FLEET_NAMES=()

# --- the connection limit stays below the descriptor limit -----------------
port=$(fleet_free_port)
fleet_start capped "${FLEET_ENV[@]}" "DLP_LISTEN_ADDR=127.0.0.1:$port" \
        "SLACK_SIGNING_SECRET=$FLEET_SIGNING_SECRET" DLP_HTTP_MAX_CONNECTIONS=4000 \
        -- bash -c 'ulimit -n 512 && exec "$0"' "$FLEET_BIN/dlp-collector"
fleet_wait_http "http://127.0.0.1:$port/slack/events"
check grep -q "at most 256 connections" "$FLEET_RUN/capped.log" \
        "ulimit -n 512: 4000 connections asked for, 256 allowed"
check fleet_down "the capped collector stopped cleanly"

trap - EXIT
check_summary "e2e door"
