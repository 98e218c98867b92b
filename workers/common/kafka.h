/* kafka.h - Kafka clients configured the dlpfleet way, and dead letters.
 *
 * Producers are idempotent with acks=all: a record counts as written only
 * when its delivery report says so. Consumers never auto-commit and use an
 * eager assignor (librdkafka 2.0.2 has cooperative-sticky bugs, DESIGN §7).
 * Properties passed through from KAFKA_* / --kafka are applied last, so an
 * operator can override any default.
 *
 * Threads: producing is safe from any thread (the collector produces on
 * its HTTP threads). Each handle is polled by one thread, the worker's main
 * thread, and callbacks — delivery reports, rebalances, statistics — run on
 * the thread that polls, so what only they and that thread touch needs no
 * lock: struct dlp_delivery is plain counters, for the thread that both
 * produces and polls; struct dlp_kafka_stats is atomics because the admin
 * endpoint reads them from its HTTP thread. */
#ifndef DLP_KAFKA_H
#define DLP_KAFKA_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>

#include "config.h"

/* Called on every assignment change, before the consumer (un)assigns:
 * \p err is RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS or
 * RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS. */
typedef void (*dlp_rebalance_fn)(void *opaque, rd_kafka_resp_err_t err,
                                 const rd_kafka_topic_partition_list_t *parts);

/* A producer for worker \p client_id. \p dr_msg_cb receives delivery
 * reports (opaque = \p opaque); \p extra is NULL or a NULL-terminated list of
 * name, value pairs applied before the passed-through properties. Returns
 * NULL and fills errstr (naming the property) on failure. */
rd_kafka_t *dlp_kafka_producer_new(
    const struct dlp_common_config *cc, const char *client_id,
    const char *const *extra,
    void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
    void *opaque, char *errstr, size_t errstr_size);

/* A consumer in \p group subscribed to \p topic (NULL: not subscribed,
 * the caller assigns), manual commits, eager assignment; \p on_rebalance
 * may be NULL. */
rd_kafka_t *dlp_kafka_consumer_new(const struct dlp_common_config *cc,
                                   const char *client_id, const char *group,
                                   const char *topic, const char *const *extra,
                                   dlp_rebalance_fn on_rebalance, void *opaque,
                                   char *errstr, size_t errstr_size);

/* What librdkafka's statistics say of a consumer (every 5 s): the lag of
 * its assigned partitions (high watermark minus committed offset, summed),
 * messages fetched, brokers up. Read by the admin endpoint. */
struct dlp_kafka_stats {
        atomic_ulong consumer_lag;
        atomic_ulong rx_msgs;
        atomic_ulong brokers_up;
};
/* The statistics of a consumer made by dlp_kafka_consumer_new(). */
struct dlp_kafka_stats *dlp_kafka_consumer_stats(rd_kafka_t *consumer);

/* Leaves the group (rd_kafka_consumer_close: revocation runs, so finished
 * work can be committed), destroys the consumer and frees what
 * dlp_kafka_consumer_new() attached to it. */
void dlp_kafka_consumer_destroy(rd_kafka_t *consumer);

/* A dead letter must always be writable, whatever the poison record holds
 * (DESIGN §13): a record that cannot be dead-lettered stops its stream.
 * So the reason is made valid UTF-8 and bounded, the original value is kept
 * up to DEADLETTER_ORIGINAL_MAX bytes (a bigger one is cut, and the reason
 * says so: with base64 the record stays under Kafka's default 1 MB), and a
 * key that is not UTF-8 text or is longer than DEADLETTER_KEY_MAX bytes is
 * left out (null, and the dead letter has no key). */
#define DEADLETTER_REASON_MAX   512
#define DEADLETTER_ORIGINAL_MAX 524288
#define DEADLETTER_KEY_MAX      1024
/* The reason a dead letter carries when the given one cannot be used. */
#define DEADLETTER_FALLBACK_REASON "unprocessable record (reason unavailable)"

struct dlp_deadletter {
        char reason[DEADLETTER_REASON_MAX + 96]; /* valid UTF-8, not empty */
        char *value;     /* the dlp.deadletter/1 JSON text (free()) */
        const void *key; /* the Kafka key: orig's, or NULL */
        size_t key_len;
};
/* Builds the dead letter of \p orig for \p stage (see above); \p
 * original_max is how many bytes of the original to keep (at most
 * DEADLETTER_ORIGINAL_MAX). Falls back to DEADLETTER_FALLBACK_REASON when
 * the record cannot be built with \p reason. Returns DLP_OK, or
 * DLP_ERR_NOMEM when even that fails. */
int dlp_deadletter_build(struct dlp_deadletter *dl, const char *stage,
                         const rd_kafka_message_t *orig, const char *reason,
                         size_t original_max);

/* Produces a dead-letter record for \p orig (stage names the worker) with
 * the reason, as a dlp.deadletter/1 JSON value plus dlp-* headers. The
 * delivery report reaches the producer's dr_msg_cb with \p msg_opaque. If
 * the broker-bound record is too large it goes again without the
 * original. Returns DLP_OK, or DLP_ERR_KAFKA / DLP_ERR_NOMEM. */
int dlp_kafka_deadletter(rd_kafka_t *producer, const char *topic,
                         const char *stage, const rd_kafka_message_t *orig,
                         const char *reason, void *msg_opaque);

/* Produces \p rec (borrowed) as compact JSON to \p topic, keyed by \p key
 * (NUL-terminated); its delivery report reaches the producer's dr_msg_cb
 * with \p msg_opaque. Returns DLP_OK; DLP_ERR_NOMEM; DLP_ERR_RETRY when
 * the producer's queue is full (poll, then try again); DLP_ERR_KAFKA
 * otherwise. On failure \p errstr says why and nothing was queued. */
int dlp_kafka_produce_json(rd_kafka_t *producer, const char *topic,
                           const char *key, const json_t *rec, void *msg_opaque,
                           char *errstr, size_t errstr_size);

/* Counts the delivery reports of what a worker produced: pass
 * dlp_delivery_report as the producer's dr_msg_cb with a struct
 * dlp_delivery as its opaque, call dlp_delivery_sent() for each record
 * handed to the producer, and dlp_delivery_wait() before committing. */
struct dlp_delivery {
        long outstanding; /* produced, no report yet */
        long failed;      /* reports with an error */
};
void dlp_delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                         void *opaque);
void dlp_delivery_sent(struct dlp_delivery *d);
/* Flushes (without waiting out linger.ms) until every counted record has
 * its report; DLP_OK, or DLP_ERR_KAFKA if any failed so far. */
int dlp_delivery_wait(rd_kafka_t *producer, struct dlp_delivery *d);

/* Waits until every produced record has a delivery report or the stop
 * deadline passes; returns the number still outstanding. */
int dlp_kafka_drain(rd_kafka_t *producer, int timeout_ms);

#endif
