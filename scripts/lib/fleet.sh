# fleet.sh - start, watch and stop a dlpfleet (sourced by scripts/demo.sh and
# the end-to-end tests, so both run the fleet the same way).
#
#   fleet_init RUNDIR          where logs and pid files go
#   fleet_start NAME ENV=V... -- CMD...   background process, log in RUNDIR/NAME.log
#   fleet_listen_addr NAME     waits for a tool's "listening on H:P" line
#   fleet_up BOOTSTRAP INSPECTORS   dlp-sim, slack-sim, collector, inspectors, reporter
#   fleet_down                 SIGTERM everything in reverse order; fails if any
#                              process exited badly
#   topic_count / topic_dump   read a topic from the beginning with kcat

FLEET_ROOT=${FLEET_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$FLEET_ROOT/scripts/lib/proc.sh"
FLEET_BIN=${FLEET_BIN:-$FLEET_ROOT/build/bin}
FLEET_PY=/usr/bin/python3 # Debian's, which has python3-jsonschema
FLEET_NAMES=()

# Test-only credentials: the simulators accept exactly these.
FLEET_SIGNING_SECRET=${FLEET_SIGNING_SECRET:-8f742231b10e8888abcd99yyyzzz85a5}
FLEET_SLACK_TOKEN=${FLEET_SLACK_TOKEN:-xoxb-dlpfleet-test-token}
FLEET_DLP_TOKEN=${FLEET_DLP_TOKEN:-ya29.dlpfleet-test-token}
FLEET_ALERT_CHANNEL=${FLEET_ALERT_CHANNEL:-C0DLPALERTS}

fleet_log() { printf '[fleet %s] %s\n' "$(date +%T)" "$*" >&2; }

fleet_init() {
        FLEET_RUN=$1
        mkdir -p "$FLEET_RUN"
        FLEET_NAMES=()
}

# DLP_ADMIN_ADDR for a worker: a free port, remembered in RUN/NAME.admin.
fleet_admin() { # NAME
        local port
        port=$(fleet_free_port)
        echo "http://127.0.0.1:$port" >"$FLEET_RUN/$1.admin"
        echo "DLP_ADMIN_ADDR=127.0.0.1:$port"
}

# fleet_start NAME [VAR=VALUE...] -- CMD [ARGS...]
fleet_start() {
        local name=$1 envs=()
        shift
        while [ $# -gt 0 ] && [ "$1" != "--" ]; do
                envs+=("$1")
                shift
        done
        shift
        env "${envs[@]}" "$@" >"$FLEET_RUN/$name.out" 2>"$FLEET_RUN/$name.log" &
        echo $! >"$FLEET_RUN/$name.pid"
        FLEET_NAMES+=("$name")
}

fleet_pid() { cat "$FLEET_RUN/$1.pid"; }

# SIGKILLs a process (a crash) and forgets it: fleet_down will not judge it.
fleet_kill() {
        local pid
        pid=$(fleet_pid "$1")
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        fleet_forget "$1"
}

# Forgets a process that is gone (fleet_kill, or fleet_stop already judged
# it): fleet_down will not stop or judge it again.
fleet_forget() {
        local i
        for i in "${!FLEET_NAMES[@]}"; do
                [ "${FLEET_NAMES[$i]}" = "$1" ] && unset 'FLEET_NAMES[i]'
        done
        FLEET_NAMES=("${FLEET_NAMES[@]}")
}

fleet_alive() { kill -0 "$(fleet_pid "$1")" 2>/dev/null; }

# Prints the address from a tool's first stdout line "listening on H:P" (the
# simulators listen on port 0 and say which port they got).
fleet_listen_addr() {
        local name=$1 i line
        for i in $(seq 1 100); do
                line=$(head -n 1 "$FLEET_RUN/$name.out" 2>/dev/null || true)
                case $line in
                "listening on "*)
                        echo "${line#listening on }"
                        return 0
                        ;;
                esac
                if ! fleet_alive "$name"; then
                        fleet_log "$name died at start:"
                        tail -n 20 "$FLEET_RUN/$name.log" >&2
                        return 1
                fi
                sleep 0.1
        done
        fleet_log "$name did not start listening"
        return 1
}

fleet_free_port() {
        "$FLEET_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until an HTTP endpoint answers at all (any status).
fleet_wait_http() {
        local url=$1 i
        for i in $(seq 1 100); do
                curl -s -o /dev/null --max-time 1 "$url" && return 0
                sleep 0.1
        done
        fleet_log "no answer from $url"
        return 1
}

# The environment every worker shares: brokers and topic names.
fleet_common_env() {
        FLEET_ENV=("KAFKA_BOOTSTRAP_SERVERS=$1"
                "DLP_TOPIC_EVENTS=${DLP_TOPIC_EVENTS:-dlp.events.v1}"
                "DLP_TOPIC_INSPECTED=${DLP_TOPIC_INSPECTED:-dlp.inspected.v1}"
                "DLP_TOPIC_ALERTS=${DLP_TOPIC_ALERTS:-dlp.alerts.v1}"
                "DLP_TOPIC_DEADLETTER=${DLP_TOPIC_DEADLETTER:-dlp.deadletter.v1}"
                "DLP_LOG_LEVEL=${DLP_LOG_LEVEL:-info}")
}

# fleet_up BOOTSTRAP INSPECTORS: the simulators, the collector, INSPECTORS
# inspectors and a reporter. Sets FLEET_COLLECTOR_URL, FLEET_DLP_SIM,
# FLEET_SLACK_SIM (base URLs).
fleet_up() {
        local bootstrap=$1 inspectors=${2:-2} addr port i
        fleet_common_env "$bootstrap"

        fleet_start dlp-sim "DLP_SIM_LISTEN_ADDR=127.0.0.1:0" \
                "DLP_SIM_TOKEN=$FLEET_DLP_TOKEN" -- "$FLEET_BIN/dlp-sim"
        addr=$(fleet_listen_addr dlp-sim) || return 1
        FLEET_DLP_SIM=http://$addr

        fleet_start slack-sim "SLACK_SIM_LISTEN_ADDR=127.0.0.1:0" \
                "SLACK_SIM_TOKEN=$FLEET_SLACK_TOKEN" -- "$FLEET_BIN/slack-sim"
        addr=$(fleet_listen_addr slack-sim) || return 1
        FLEET_SLACK_SIM=http://$addr

        port=$(fleet_free_port)
        fleet_start collector "${FLEET_ENV[@]}" "$(fleet_admin collector)" \
                "DLP_LISTEN_ADDR=127.0.0.1:$port" \
                "SLACK_SIGNING_SECRET=$FLEET_SIGNING_SECRET" \
                -- "$FLEET_BIN/dlp-collector"
        FLEET_COLLECTOR_URL=http://127.0.0.1:$port/slack/events
        fleet_wait_http "$FLEET_COLLECTOR_URL" || return 1

        for i in $(seq 1 "$inspectors"); do
                fleet_start "inspector-$i" "${FLEET_ENV[@]}" \
                        "$(fleet_admin "inspector-$i")" \
                        "DLP_API_URL=$FLEET_DLP_SIM" \
                        "DLP_GCP_PROJECT=dlpfleet-local" \
                        "DLP_API_TOKEN=$FLEET_DLP_TOKEN" \
                        "DLP_RATE_LIMIT=${DLP_RATE_LIMIT:-10}" \
                        "DLP_GROUP_ID=${DLP_GROUP_ID:-dlp-inspector}" \
                        -- "$FLEET_BIN/dlp-inspector"
        done
        fleet_start reporter "${FLEET_ENV[@]}" "$(fleet_admin reporter)" \
                "SLACK_API_URL=$FLEET_SLACK_SIM/api" \
                "SLACK_BOT_TOKEN=$FLEET_SLACK_TOKEN" \
                "DLP_ALERT_CHANNEL=$FLEET_ALERT_CHANNEL" \
                "DLP_REPORTER_GROUP_ID=${DLP_REPORTER_GROUP_ID:-dlp-reporter}" \
                -- "$FLEET_BIN/dlp-reporter"
        sleep 0.5
        for i in "${FLEET_NAMES[@]}"; do
                if ! fleet_alive "$i"; then
                        fleet_log "$i exited at start:"
                        tail -n 20 "$FLEET_RUN/$i.log" >&2
                        return 1
                fi
        done
}

# Stops every process with SIGTERM (graceful: consumers close, producers
# flush): all but the first started at once, then the first (the broker, in
# the demo), so that workers close against a live broker. Fails if one needed
# SIGKILL or exited non-zero.
fleet_down() {
        local rc=0 n=${#FLEET_NAMES[@]}
        [ "$n" -gt 0 ] || return 0
        fleet_stop "${FLEET_NAMES[@]:1}" || rc=1
        fleet_stop "${FLEET_NAMES[0]}" || rc=1
        FLEET_NAMES=()
        return $rc
}

fleet_stop() { # NAME...
        local rc=0 name pid status
        for name in "$@"; do
                kill -TERM "$(fleet_pid "$name")" 2>/dev/null || true
        done
        for name in "$@"; do
                pid=$(fleet_pid "$name")
                if ! proc_reap "$pid" 20; then
                        fleet_log "$name did not stop in 20 s: SIGKILLed"
                        rc=1
                fi
                status=0
                wait "$pid" 2>/dev/null || status=$?
                if [ "$status" -ne 0 ]; then
                        fleet_log "$name exited with status $status"
                        tail -n 5 "$FLEET_RUN/$name.log" >&2
                        rc=1
                fi
        done
        return $rc
}

topic_count() { # BOOTSTRAP TOPIC
        kcat -C -b "$1" -t "$2" -o beginning -e -q -f 'x\n' 2>/dev/null | wc -l
}

topic_dump() { # BOOTSTRAP TOPIC FILE: kcat -J lines
        kcat -C -b "$1" -t "$2" -o beginning -e -q -J >"$3" 2>/dev/null
}

# wait_until TIMEOUT_S DESCRIPTION COMMAND...: polls COMMAND every 0.5 s.
wait_until() {
        local timeout=$1 what=$2 end
        shift 2
        end=$((SECONDS + timeout))
        while [ $SECONDS -lt $end ]; do
                "$@" && return 0
                sleep 0.5
        done
        fleet_log "timed out after ${timeout}s waiting for $what"
        return 1
}

# The benchmarks' one prologue: fleet_bench_prepare NAME sets OUT (where
# the figures go: BENCH_OUT, else bench/results/) and WORK (.run/bench-NAME)
# and makes both, with WORK/runs.jsonl empty (where runs append their
# figures); installs, builds, starts the real broker, sets BOOTSTRAP, and
# stops whatever the fleet started when the script exits.
fleet_bench_prepare() {
        OUT=${BENCH_OUT:-$FLEET_ROOT/bench/results}
        WORK=$FLEET_ROOT/.run/bench-$1
        mkdir -p "$OUT" "$WORK"
        : >"$WORK/runs.jsonl"
        "$FLEET_ROOT/scripts/install-deps.sh"
        "$FLEET_ROOT/scripts/build.sh" "$FLEET_ROOT/build" >/dev/null
        "$FLEET_ROOT/scripts/kafka.sh" start >/dev/null
        BOOTSTRAP=$("$FLEET_ROOT/scripts/kafka.sh" bootstrap)
        trap 'fleet_down >/dev/null 2>&1 || true' EXIT
}

# A run of its own (e2e tests, benchmarks): fleet_init RUNDIR, emptied, and
# for each KIND (events, inspected, alerts, deadletter) the topic ID.KIND
# with PARTITIONS partitions, exported as DLP_TOPIC_<KIND>, so that runs
# never see each other's records. Sets FLEET_ENV (fleet_common_env).
fleet_run_topics() { # RUNDIR ID PARTITIONS KIND...
        local dir=$1 id=$2 partitions=$3 kind topics=()
        shift 3
        fleet_init "$dir"
        rm -f "$FLEET_RUN"/*
        for kind in "$@"; do
                export "DLP_TOPIC_${kind^^}=$id.$kind"
                topics+=("$id.$kind")
        done
        "$FLEET_ROOT/scripts/kafka.sh" create-topics "$partitions" "${topics[@]}" >/dev/null
        fleet_common_env "$BOOTSTRAP"
}

# A benchmark run's collector (bench/collector.sh, bench/door.sh) on an
# events topic of its own, ID.events (exported as DLP_TOPIC_EVENTS), logs
# in RUNDIR; VAR=VALUE... go to the collector. Returns once it answers
# HTTP; sets COLLECTOR_PORT and COLLECTOR_PID.
fleet_bench_collector() { # RUNDIR ID [VAR=VALUE...]
        local dir=$1 id=$2
        shift 2
        fleet_run_topics "$dir" "$id" 12 events
        COLLECTOR_PORT=$(fleet_free_port)
        fleet_start collector "${FLEET_ENV[@]}" "DLP_LISTEN_ADDR=127.0.0.1:$COLLECTOR_PORT" \
                "SLACK_SIGNING_SECRET=$FLEET_SIGNING_SECRET" "$@" -- "$FLEET_BIN/dlp-collector"
        fleet_wait_http "http://127.0.0.1:$COLLECTOR_PORT/slack/events"
        COLLECTOR_PID=$(fleet_pid collector)
}

# What a reporter runs against (the reporter's benchmarks and e2e tests):
# inspected, alerts and dead-letter topics of their own, ID.inspected ...
# with PARTITIONS partitions, and group ID (exported as DLP_TOPIC_* and
# DLP_REPORTER_GROUP_ID); slack-sim with the test token and VAR=VALUE...;
# logs in RUNDIR. Sets SLACK (slack-sim's base URL) and FLEET_ENV.
fleet_reporter_side() { # RUNDIR ID PARTITIONS [SLACK_SIM_VAR=VALUE...]
        local dir=$1 id=$2 partitions=$3
        shift 3
        fleet_run_topics "$dir" "$id" "$partitions" inspected alerts deadletter
        export DLP_REPORTER_GROUP_ID=$id
        fleet_start slack-sim SLACK_SIM_LISTEN_ADDR=127.0.0.1:0 "SLACK_SIM_TOKEN=$FLEET_SLACK_TOKEN" \
                "$@" -- "$FLEET_BIN/slack-sim"
        SLACK=http://$(fleet_listen_addr slack-sim)
}

# A reporter NAME on fleet_reporter_side's topics, group and slack-sim,
# alerting into the test channel; VAR=VALUE... go to it.
fleet_start_reporter() { # NAME [VAR=VALUE...]
        local name=$1
        shift
        fleet_start "$name" "${FLEET_ENV[@]}" "SLACK_API_URL=$SLACK/api" \
                "SLACK_BOT_TOKEN=$FLEET_SLACK_TOKEN" "DLP_ALERT_CHANNEL=$FLEET_ALERT_CHANNEL" \
                "DLP_REPORTER_GROUP_ID=$DLP_REPORTER_GROUP_ID" "$@" -- "$FLEET_BIN/dlp-reporter"
}

# Test bookkeeping: check CMD... DESCRIPTION runs CMD and prints ok/FAILED;
# check_summary NAME prints "NAME: N passed, M failed" and fails if any did.
CHECK_PASSED=0
CHECK_FAILED=0
check() {
        local what=${*: -1}
        if "${@:1:$#-1}"; then
                CHECK_PASSED=$((CHECK_PASSED + 1))
                echo "ok     $what"
        else
                CHECK_FAILED=$((CHECK_FAILED + 1))
                echo "FAILED $what"
        fi
}
check_summary() {
        echo "$1: $CHECK_PASSED passed, $CHECK_FAILED failed"
        [ "$CHECK_FAILED" -eq 0 ]
}
