#!/bin/bash
# The stand-in Kafka image's entrypoint (see Dockerfile): KAFKA_* variables
# become server.properties the way apache/kafka's image maps them
# (KAFKA_FOO_BAR -> foo.bar, "__" -> "_", "___" -> "-"), KRaft storage is
# formatted once, then the broker runs in the foreground.
set -euo pipefail
CONF=/opt/kafka/config/server.properties
: "${CLUSTER_ID:=5L6g3nShT-eMCtK--X86sw}" # the real image's default too
: "${KAFKA_LOG_DIRS:=/var/lib/kafka/data}"
export KAFKA_LOG_DIRS

# JVM settings, not broker properties
skip=" KAFKA_HEAP_OPTS KAFKA_JVM_PERFORMANCE_OPTS KAFKA_OPTS KAFKA_LOG4J_OPTS KAFKA_GC_LOG_OPTS KAFKA_JMX_OPTS KAFKA_DEBUG KAFKA_VERSION "
: >"$CONF"
for name in $(compgen -e); do
        case $name in KAFKA_*) ;; *) continue ;; esac
        [[ $skip == *" $name "* ]] && continue
        key=${name#KAFKA_}
        key=${key,,}
        key=${key//___/-}
        key=${key//__/@}
        key=${key//_/.}
        key=${key//@/_}
        printf '%s=%s\n' "$key" "${!name}" >>"$CONF"
done

cat >/opt/kafka/config/log4j.properties <<'L4J'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
L4J

first_dir=${KAFKA_LOG_DIRS%%,*}
if [ ! -f "$first_dir/meta.properties" ]; then
        /opt/kafka/bin/kafka-storage.sh format -t "$CLUSTER_ID" -c "$CONF" --ignore-formatted
fi
# shellcheck disable=SC2086 # the options are word lists
exec java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms512m} -server -XX:+UseG1GC \
        -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dlog4j.configuration=file:/opt/kafka/config/log4j.properties \
        ${KAFKA_OPTS:-} -cp "/opt/kafka/libs/*" kafka.Kafka "$CONF"
