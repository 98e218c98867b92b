#!/usr/bin/env bash
# Fetch, start and stop a REAL Apache Kafka broker for tests and benchmarks
# (docs/DESIGN.md §6): one combined KRaft broker+controller, loopback only.
#
#   scripts/kafka.sh fetch                          jars -> cache (once)
#   scripts/kafka.sh start                          clean broker, wait until ready
#   scripts/kafka.sh create-topics [PARTITIONS] TOPIC...   (default 12 partitions)
#   scripts/kafka.sh stop
#   scripts/kafka.sh restart                        stop, start again on the same data
#   scripts/kafka.sh status                         exit 0 iff our broker answers
#   scripts/kafka.sh bootstrap                      prints 127.0.0.1:PORT
#
# Environment:
#   DLPFLEET_KAFKA_CACHE            jar cache   (default ~/.cache/dlpfleet/kafka-<version>)
#   DLPFLEET_KAFKA_DIR              state, data and kafka.log (default /tmp/dlpfleet-kafka)
#   DLPFLEET_KAFKA_PORT             client listener      (default 19092)
#   DLPFLEET_KAFKA_CONTROLLER_PORT  KRaft controller     (default 19093)
#   DLPFLEET_KAFKA_HEAP             broker heap options  (default -Xms512m -Xmx512m)
#   DLPFLEET_KAFKA_START_TIMEOUT    seconds to wait for readiness (default 60)
#
# The broker is not a distribution tarball: Maven Central only carries the
# jars, so tests/kafka/pom.xml resolves them and we run the main classes with
# a plain classpath, doing what bin/kafka-server-start.sh would do.

set -euo pipefail

KAFKA_VERSION=3.9.1 # keep in sync with kafka.version in tests/kafka/pom.xml

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$ROOT/scripts/lib/proc.sh"
POM=$ROOT/tests/kafka/pom.xml
CACHE=${DLPFLEET_KAFKA_CACHE:-${HOME:-/root}/.cache/dlpfleet/kafka-$KAFKA_VERSION}
DIR=${DLPFLEET_KAFKA_DIR:-/tmp/dlpfleet-kafka}
PORT=${DLPFLEET_KAFKA_PORT:-19092}
CTRL_PORT=${DLPFLEET_KAFKA_CONTROLLER_PORT:-19093}
HEAP=${DLPFLEET_KAFKA_HEAP:--Xms512m -Xmx512m}
START_TIMEOUT=${DLPFLEET_KAFKA_START_TIMEOUT:-60}
BOOTSTRAP=127.0.0.1:$PORT

LIBS=$CACHE/libs
MARKER=$CACHE/.complete
PIDFILE=$DIR/kafka.pid
LOG=$DIR/kafka.log
PROPS=$DIR/server.properties
# Proof that $DIR is ours before we rm -rf it on every start.
OWNED=$DIR/.dlpfleet-kafka

# Short-lived tool JVMs (StorageTool, TopicCommand) spend most of their life
# starting up; C1 only and the serial GC take about a fifth off that here.
TOOL_JVM_OPTS=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto
	-Djava.awt.headless=true)
# What kafka-run-class.sh uses for the broker itself.
BROKER_JVM_OPTS=(-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
	-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
	-XX:MaxInlineLevel=15 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true)

log() { printf 'kafka.sh: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# --- prerequisites ---------------------------------------------------------

# A fresh Debian has neither; install only what is missing so that a machine
# that already has them is never touched.
apt_install() {
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "need root (or sudo) to apt-get install $*"
		sudo=(sudo)
	fi
	log "installing $* with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	# Wait for a concurrent apt/dpkg run instead of failing on its lock.
	local apt=(timeout 900 "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300)
	# An image with empty package lists fails the first attempt; only then
	# pay for an update.
	"${apt[@]}" install -y "$@" ||
		{ "${apt[@]}" update && "${apt[@]}" install -y "$@"; } ||
		die "apt-get install $* failed"
}

JAVA=
ensure_java() {
	if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
		JAVA=$JAVA_HOME/bin/java
	elif command -v java >/dev/null; then
		JAVA=$(command -v java)
	else
		apt_install openjdk-17-jre-headless maven
		JAVA=$(command -v java) || die "java still missing after install"
	fi
}

ensure_mvn() {
	command -v mvn >/dev/null || apt_install openjdk-17-jre-headless maven
	command -v mvn >/dev/null || die "mvn still missing after install"
}

# --- fetch -----------------------------------------------------------------

# The marker records what was fetched, so editing the pom (or the version)
# invalidates the cache instead of silently running stale jars.
fetch_stamp() { printf '%s %s\n' "$KAFKA_VERSION" "$(sha256sum <"$POM" | cut -d' ' -f1)"; }

cache_complete() { [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$(fetch_stamp)" ]; }

cmd_fetch() {
	cache_complete && return 0
	ensure_mvn
	mkdir -p "$CACHE"
	# Two test jobs fetching at once must not interleave in the same dir.
	exec 8>"$CACHE/.lock"
	flock -w 900 8 || die "timed out waiting for another fetch ($CACHE/.lock)"
	if cache_complete; then
		exec 8>&-
		return 0
	fi
	log "fetching Kafka $KAFKA_VERSION jars into $LIBS (Maven, ~/.m2 is reused)"
	local t0=$SECONDS tmp=$CACHE/libs.partial
	rm -rf "$tmp" "$LIBS" "$MARKER"
	# includeScope=runtime: the broker's own modules (kafka-server, -raft,
	# -metadata, ...) are runtime-scoped in the kafka_2.13 pom.
	timeout 1200 mvn -q -B -Dstyle.color=never -f "$POM" \
		dependency:copy-dependencies \
		-Dkafka.version="$KAFKA_VERSION" \
		-DincludeScope=runtime \
		-DoutputDirectory="$tmp" >"$CACHE/fetch.log" 2>&1 || {
		tail -n 40 "$CACHE/fetch.log" >&2
		die "mvn dependency:copy-dependencies failed (is Maven Central reachable?); see $CACHE/fetch.log"
	}
	ls "$tmp"/kafka_2.13-"$KAFKA_VERSION".jar "$tmp"/kafka-tools-"$KAFKA_VERSION".jar \
		"$tmp"/slf4j-reload4j-*.jar >/dev/null 2>&1 ||
		die "fetch incomplete: expected jars missing from $tmp"
	# Only a complete directory ever appears under the final name.
	mv "$tmp" "$LIBS"
	fetch_stamp >"$MARKER"
	exec 8>&-
	log "fetched $(find "$LIBS" -name '*.jar' | wc -l) jars in $((SECONDS - t0)) s"
}

# --- helpers ---------------------------------------------------------------

# Tools log only warnings, to stderr; without a config reload4j complains.
tools_log4j() {
	local f=$CACHE/tools-log4j.properties
	if [ ! -f "$f" ]; then
		cat >"$f.$$" <<-'EOF'
			log4j.rootLogger=WARN, stderr
			log4j.appender.stderr=org.apache.log4j.ConsoleAppender
			log4j.appender.stderr.Target=System.err
			log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
			log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
		EOF
		mv "$f.$$" "$f"
	fi
	printf '%s' "$f"
}

# Run a Kafka command-line tool, bounded in time.
run_tool() {
	local secs=$1
	shift
	timeout "$secs" "$JAVA" "${TOOL_JVM_OPTS[@]}" \
		-Dlog4j.configuration="file:$(tools_log4j)" \
		-cp "$LIBS/*" "$@"
}

# The pid file alone is not trusted: after a reboot or a crash the pid may
# belong to something else, so we check that it is a kafka.Kafka JVM running
# this very server.properties.
broker_pid() {
	local pid cmdline
	[ -f "$PIDFILE" ] || return 1
	pid=$(cat "$PIDFILE")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ $cmdline == *"kafka.Kafka $PROPS"* ]] || return 1
	printf '%s' "$pid"
}

# Something accepts TCP connections on the client port (ours or not).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# "Answers" means a metadata request succeeds and lists node 1: a socket
# that accepts is not enough, the broker must be unfenced to serve clients.
broker_answers() {
	local out
	if command -v kcat >/dev/null; then
		out=$(timeout 10 kcat -b "$BOOTSTRAP" -L -m 5 2>/dev/null) || return 1
		grep -qF "broker 1 at $BOOTSTRAP" <<<"$out"
	else
		ensure_java
		run_tool 30 org.apache.kafka.tools.TopicCommand \
			--bootstrap-server "$BOOTSTRAP" --list >/dev/null 2>&1
	fi
}

# Kafka cluster ids are 16 random bytes in unpadded base64url. Doing it here
# saves a JVM start (`StorageTool random-uuid`) per start; like Kafka, avoid a
# leading '-', which command-line parsers take for an option.
random_cluster_id() {
	local id
	while :; do
		id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
		[ "${id:0:1}" != - ] && break
	done
	printf '%s' "$id"
}

write_config() {
	cat >"$PROPS" <<-EOF
		# Generated by scripts/kafka.sh; rewritten on every start.
		# One combined KRaft node, loopback only.
		process.roles=broker,controller
		node.id=1
		controller.quorum.voters=1@127.0.0.1:$CTRL_PORT
		listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CTRL_PORT
		advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
		controller.listener.names=CONTROLLER
		inter.broker.listener.name=PLAINTEXT
		listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
		log.dirs=$DIR/data

		# Single node: every internal topic must live with one replica, or
		# consumer groups and transactions never become available.
		default.replication.factor=1
		min.insync.replicas=1
		offsets.topic.replication.factor=1
		transaction.state.log.replication.factor=1
		transaction.state.log.min.isr=1
		# Fewer internal partitions than the default 50: the first group join
		# and the first transaction create them, and tests wait for that.
		offsets.topic.num.partitions=12
		transaction.state.log.num.partitions=12

		# Tests need groups to settle at once and topics to exist only
		# when created on purpose (a typo must fail, not auto-create).
		group.initial.rebalance.delay.ms=0
		auto.create.topics.enable=false
		num.partitions=12

		# Sized for a 2-core machine; the data dir is wiped on every start,
		# so time-based retention never kicks in during a run and nothing is
		# deleted behind a delivery test's back.
		num.network.threads=2
		num.io.threads=4
		num.recovery.threads.per.data.dir=1
		log.segment.bytes=67108864
		log.index.size.max.bytes=2097152
	EOF
	cat >"$DIR/log4j.properties" <<-'EOF'
		# Everything to stdout, which start redirects to kafka.log, so JVM
		# errors and broker logs land in one file.
		log4j.rootLogger=INFO, stdout
		log4j.appender.stdout=org.apache.log4j.ConsoleAppender
		log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
		log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
		log4j.logger.kafka.request.logger=WARN
		log4j.logger.state.change.logger=WARN
	EOF
}

fail_start() {
	log "error: $*"
	if [ -f "$LOG" ]; then
		log "last lines of $LOG:"
		tail -n 40 "$LOG" >&2
	fi
	exit 1
}

# Serialise start/stop on one state dir; the lock lives next to the dir
# because the dir itself is wiped.
lock_dir() {
	mkdir -p "$(dirname "$DIR")"
	exec 9>"${DIR%/}.lock"
	flock -w 120 9 || die "timed out waiting for ${DIR%/}.lock"
}

# --- start / stop ----------------------------------------------------------

cmd_start() {
	lock_dir
	start_broker fresh
}

# Stops the broker and starts it again on the same data: an outage, for
# tests of what the workers do while Kafka is away.
cmd_restart() {
	lock_dir
	[ -e "$OWNED" ] && [ -d "$DIR/data" ] || die "no broker data in $DIR to restart on (use start)"
	stop_broker
	start_broker keep
}

start_broker() { # fresh | keep
	if broker_pid >/dev/null; then
		if broker_answers; then
			log "already running (pid $(broker_pid)) on $BOOTSTRAP"
			return 0
		fi
		log "pid $(broker_pid) is alive but not answering; restarting it"
		stop_broker
	fi
	if port_open "$PORT" || port_open "$CTRL_PORT"; then
		die "port $PORT or $CTRL_PORT on 127.0.0.1 is taken by another process"
	fi

	cmd_fetch
	ensure_java

	local t0=$SECONDS
	if [ "$1" = fresh ]; then
		# Never rm -rf a directory we did not create (DLPFLEET_KAFKA_DIR=~ typo).
		if [ -e "$DIR" ] && [ ! -e "$OWNED" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
			die "$DIR exists, is not empty and was not created by kafka.sh; refusing to wipe it"
		fi
		rm -rf "$DIR"
		mkdir -p "$DIR/data"
		: >"$OWNED"
		write_config
		run_tool 60 kafka.tools.StorageTool format \
			-t "$(random_cluster_id)" -c "$PROPS" >"$DIR/format.log" 2>&1 ||
			{ cat "$DIR/format.log" >&2; die "kafka storage format failed"; }
	fi

	# nohup: survive the terminal or CI step that ran `start`.
	# 8>&- 9>&-: the broker must not inherit (and hold forever) our locks.
	# shellcheck disable=SC2086 # HEAP is a list of JVM options
	nohup "$JAVA" $HEAP "${BROKER_JVM_OPTS[@]}" \
		-Dlog4j.configuration="file:$DIR/log4j.properties" \
		-cp "$LIBS/*" kafka.Kafka "$PROPS" \
		</dev/null >>"$LOG" 2>&1 8>&- 9>&- &
	local pid=$!
	echo "$pid" >"$PIDFILE"

	# Wait for the log line first (cheap to poll), then for a real
	# metadata answer from a client's point of view.
	local deadline=$((SECONDS + START_TIMEOUT))
	until grep -q 'Kafka Server started' "$LOG" 2>/dev/null && broker_answers; do
		kill -0 "$pid" 2>/dev/null || fail_start "broker exited during startup"
		if [ "$SECONDS" -ge "$deadline" ]; then
			stop_broker
			fail_start "broker not ready after ${START_TIMEOUT}s"
		fi
		sleep 0.2
	done
	log "broker pid $pid ready on $BOOTSTRAP in $((SECONDS - t0)) s (logs: $LOG)"
}

stop_broker() {
	local pid
	pid=$(broker_pid) || {
		rm -f "$PIDFILE"
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	# Controlled shutdown normally takes a few seconds; after 20 s the
	# broker is stuck and its data is thrown away on the next start anyway.
	proc_reap "$pid" 20 || log "broker pid $pid ignored SIGTERM for 20 s; killed it"
	rm -f "$PIDFILE"
	log "stopped broker pid $pid"
}

cmd_stop() {
	lock_dir
	if ! broker_pid >/dev/null; then
		rm -f "$PIDFILE"
		log "no broker running from $DIR"
		return 0
	fi
	stop_broker
}

cmd_status() {
	local pid
	pid=$(broker_pid) || {
		echo "stopped"
		return 1
	}
	if broker_answers; then
		echo "running pid $pid on $BOOTSTRAP"
	else
		echo "not answering (pid $pid)"
		return 1
	fi
}

# --- topics ----------------------------------------------------------------

cmd_create_topics() {
	local partitions=12
	if [[ ${1:-} =~ ^[0-9]+$ ]]; then
		partitions=$1
		shift
	fi
	[ "$#" -gt 0 ] || die "usage: kafka.sh create-topics [PARTITIONS] TOPIC..."
	cache_complete || die "Kafka jars not fetched; run 'kafka.sh start' first"
	# Without a broker the admin client would retry for its full timeout.
	port_open "$PORT" || die "no broker on $BOOTSTRAP; run 'kafka.sh start' first"
	ensure_java

	# TopicCommand creates one topic per run and every run is a JVM start,
	# so runs go in parallel, in batches of a few per core to bound memory.
	local tmp i j rc=0 batch
	local -a topics=("$@") pids
	batch=$(($(nproc) * 2))
	tmp=$(mktemp -d)
	for ((i = 0; i < ${#topics[@]}; i += batch)); do
		pids=()
		for ((j = i; j < i + batch && j < ${#topics[@]}; j++)); do
			run_tool 60 org.apache.kafka.tools.TopicCommand \
				--bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
				--topic "${topics[$j]}" --partitions "$partitions" \
				--replication-factor 1 >"$tmp/$j" 2>&1 &
			pids[j]=$!
		done
		for j in "${!pids[@]}"; do
			if ! wait "${pids[$j]}"; then
				log "creating topic ${topics[$j]} failed:"
				cat "$tmp/$j" >&2
				rc=1
			fi
		done
	done
	rm -rf "$tmp"
	[ "$rc" -eq 0 ] || exit 1
	wait_topics_visible "$partitions" "$@"
	log "topics ready ($partitions partitions): $*"
}

# CreateTopics returns once the controller has committed the topic, but the
# broker applies metadata asynchronously: a client asking right away can
# still get "unknown topic". Return only once the broker itself lists every
# topic with its partitions and a leader for each.
topics_visible() {
	local partitions=$1 out topic
	shift
	if command -v kcat >/dev/null; then
		out=$(timeout 10 kcat -b "$BOOTSTRAP" -L -m 5 2>/dev/null) || return 1
		[[ $out != *"leader -1"* ]] || return 1
		for topic in "$@"; do
			grep -qxF "  topic \"$topic\" with $partitions partitions:" <<<"$out" && continue
			grep -qxE "  topic \"${topic//./\\.}\" with [1-9][0-9]* partitions:" <<<"$out" && return 2
			return 1
		done
	else
		local regex
		# One JVM for all topics: --describe takes a regex.
		regex=$(printf '%s|' "$@" | sed 's/\./\\./g; s/|$//')
		out=$(run_tool 30 org.apache.kafka.tools.TopicCommand \
			--bootstrap-server "$BOOTSTRAP" --describe --topic "$regex" 2>/dev/null) || return 1
		[[ $out != *"Leader: none"* ]] || return 1
		for topic in "$@"; do
			grep -qE "^Topic: ${topic//./\\.}[[:space:]].*PartitionCount: ${partitions}[[:space:]]" <<<"$out" && continue
			grep -qE "^Topic: ${topic//./\\.}[[:space:]]" <<<"$out" && return 2
			return 1
		done
	fi
}

# --if-not-exists succeeds on a topic that already has another partition
# count; that is a test setup bug, reported at once (status 2 above).
wait_topics_visible() {
	local deadline=$((SECONDS + 30)) rc
	while :; do
		rc=0
		topics_visible "$@" || rc=$?
		case $rc in
		0) return 0 ;;
		2) die "a topic of [${*:2}] already exists with a partition count other than $1" ;;
		esac
		[ "$SECONDS" -lt "$deadline" ] || die "topics not visible in broker metadata after 30 s"
		sleep 0.1
	done
}

# --- main ------------------------------------------------------------------

usage() {
	sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

case ${1:-} in
fetch) cmd_fetch ;;
start) cmd_start ;;
restart) cmd_restart ;;
stop) cmd_stop ;;
status) cmd_status ;;
create-topics)
	shift
	cmd_create_topics "$@"
	;;
bootstrap) echo "$BOOTSTRAP" ;;
*) usage ;;
esac
