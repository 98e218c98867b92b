/* kafka.c - client set-up and dead letters (see kafka.h). */
#include "kafka.h"
#include "err.h"
#include "log.h"
#include "schema.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct consumer_ctx {
        dlp_rebalance_fn fn;
        void *opaque;
        struct dlp_kafka_stats stats;
};

/* Sums what the admin endpoint shows out of librdkafka's statistics JSON. */
static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
        struct consumer_ctx *ctx = opaque;
        json_t *root = json_loadb(json, len, 0, NULL), *topic, *part, *b;
        const char *tname, *pname;
        unsigned long lag = 0, up = 0;

        if (!root)
                return 0;
        json_object_foreach(json_object_get(root, "topics"), tname, topic)
        {
                json_object_foreach(json_object_get(topic, "partitions"), pname,
                                    part)
                {
                        json_int_t l = json_integer_value(
                            json_object_get(part, "consumer_lag"));
                        if (strcmp(pname, "-1") != 0 && l > 0)
                                lag += (unsigned long)l;
                }
        }
        /* distinct broker ids: the bootstrap entry has none (-1) and the
         * group coordinator repeats a broker's */
        json_int_t seen[64];
        size_t nseen = 0;
        json_object_foreach(json_object_get(root, "brokers"), pname, b)
        {
                const char *state =
                    json_string_value(json_object_get(b, "state"));
                json_int_t id =
                    json_integer_value(json_object_get(b, "nodeid"));
                size_t k = 0;
                if (!state || strcmp(state, "UP") != 0 || id < 0)
                        continue;
                while (k < nseen && seen[k] != id)
                        k++;
                if (k == nseen && nseen < 64)
                        seen[nseen++] = id;
        }
        up = nseen;
        atomic_store(&ctx->stats.consumer_lag, lag);
        atomic_store(&ctx->stats.brokers_up, up);
        atomic_store(&ctx->stats.rx_msgs, (unsigned long)json_integer_value(
                                              json_object_get(root, "rxmsgs")));
        json_decref(root);
        return 0; /* we do not keep the buffer */
}

struct dlp_kafka_stats *dlp_kafka_consumer_stats(rd_kafka_t *consumer)
{
        struct consumer_ctx *ctx = rd_kafka_opaque(consumer);
        return &ctx->stats;
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
        enum dlp_log_level l = level <= 3   ? DLP_LOG_ERROR
                               : level <= 4 ? DLP_LOG_WARN
                               : level <= 6 ? DLP_LOG_INFO
                                            : DLP_LOG_DEBUG;
        DLP_LOG(l, NULL, "librdkafka %s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        if (rd_kafka_fatal_error(rk, NULL, 0) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                /* a fatal producer error (e.g. fenced): stop gracefully so
                 * nothing unfinished is committed */
                LOG_ERROR("kafka fatal error: %s", reason);
                dlp_stop_failure();
                return;
        }
        LOG_WARN("kafka error %s: %s",
                 rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static int set(rd_kafka_conf_t *conf, const char *name, const char *value,
               char *errstr, size_t errstr_size)
{
        char why[256];

        if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) !=
            RD_KAFKA_CONF_OK) {
                snprintf(errstr, errstr_size, "kafka property %s: %s", name,
                         why);
                return DLP_ERR_CONFIG;
        }
        return DLP_OK;
}

static rd_kafka_conf_t *conf_new(const struct dlp_common_config *cc,
                                 const char *client_id,
                                 const char *const *defaults,
                                 const char *const *extra, char *errstr,
                                 size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();

        if (set(conf, "bootstrap.servers", cc->bootstrap, errstr,
                errstr_size) ||
            set(conf, "client.id", client_id, errstr, errstr_size))
                goto fail;
        for (const char *const *p = defaults; p && *p; p += 2)
                if (set(conf, p[0], p[1], errstr, errstr_size))
                        goto fail;
        for (const char *const *p = extra; p && *p; p += 2)
                if (set(conf, p[0], p[1], errstr, errstr_size))
                        goto fail;
        for (size_t i = 0; i < cc->kafka.cnt; i++)
                if (set(conf, cc->kafka.name[i], cc->kafka.value[i], errstr,
                        errstr_size))
                        goto fail;
        rd_kafka_conf_set_log_cb(conf, on_log);
        rd_kafka_conf_set_error_cb(conf, on_error);
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

rd_kafka_t *dlp_kafka_producer_new(
    const struct dlp_common_config *cc, const char *client_id,
    const char *const *extra,
    void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
    void *opaque, char *errstr, size_t errstr_size)
{
        static const char *const defaults[] = {
            "enable.idempotence", "true", "acks", "all",
            "linger.ms",          "5",    NULL};
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;

        conf = conf_new(cc, client_id, defaults, extra, errstr, errstr_size);
        if (!conf)
                return NULL;
        if (dr_msg_cb)
                rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
        rd_kafka_conf_set_opaque(conf, opaque);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
        if (!rk)
                rd_kafka_conf_destroy(conf);
        /* else conf is now owned by rk */
        return rk;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct consumer_ctx *ctx = opaque;

        if (ctx->fn)
                ctx->fn(ctx->opaque, err, parts);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                LOG_INFO("assigned %d partition(s)", parts->cnt);
                rd_kafka_assign(rk, parts);
        } else {
                LOG_INFO("revoked %d partition(s)", parts->cnt);
                rd_kafka_assign(rk, NULL);
        }
}

/* A worker's fetch.max.bytes (the inspector's 1 MiB) yields to a larger
 * message.max.bytes passed through by the user, which librdkafka would
 * otherwise refuse for a consumer; one the user set is left as set (and a
 * refusal names it). */
static int fetch_fits_messages(rd_kafka_conf_t *conf,
                               const struct dlp_common_config *cc, char *errstr,
                               size_t errstr_size)
{
        char fetch[32], msg[32];
        size_t nf = sizeof(fetch), nm = sizeof(msg);

        for (size_t i = 0; i < cc->kafka.cnt; i++)
                if (!strcmp(cc->kafka.name[i], "fetch.max.bytes"))
                        return DLP_OK;
        if (rd_kafka_conf_get(conf, "fetch.max.bytes", fetch, &nf) !=
                RD_KAFKA_CONF_OK ||
            rd_kafka_conf_get(conf, "message.max.bytes", msg, &nm) !=
                RD_KAFKA_CONF_OK)
                return DLP_OK;
        if (strtoll(fetch, NULL, 10) >= strtoll(msg, NULL, 10))
                return DLP_OK;
        return set(conf, "fetch.max.bytes", msg, errstr, errstr_size);
}

rd_kafka_t *dlp_kafka_consumer_new(const struct dlp_common_config *cc,
                                   const char *client_id, const char *group,
                                   const char *topic, const char *const *extra,
                                   dlp_rebalance_fn fn, void *opaque,
                                   char *errstr, size_t errstr_size)
{
        static const char *const defaults[] = {"enable.auto.commit",
                                               "false",
                                               "enable.auto.offset.store",
                                               "false",
                                               "auto.offset.reset",
                                               "earliest",
                                               "partition.assignment.strategy",
                                               "range",
                                               "statistics.interval.ms",
                                               "5000",
                                               NULL};
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_topic_partition_list_t *sub;
        struct consumer_ctx *ctx;
        rd_kafka_resp_err_t err;

        conf = conf_new(cc, client_id, defaults, extra, errstr, errstr_size);
        if (!conf)
                return NULL;
        if (set(conf, "group.id", group, errstr, errstr_size) ||
            fetch_fits_messages(conf, cc, errstr, errstr_size)) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        ctx = calloc(1, sizeof(*ctx)); /* freed by dlp_kafka_consumer_destroy */
        if (!ctx) {
                rd_kafka_conf_destroy(conf);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        ctx->fn = fn;
        ctx->opaque = opaque;
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
        rd_kafka_conf_set_stats_cb(conf, on_stats);
        rd_kafka_conf_set_opaque(conf, ctx);
        rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!rk) {
                rd_kafka_conf_destroy(conf);
                free(ctx);
                return NULL;
        }
        conf = NULL; /* now owned by rk */
        rd_kafka_poll_set_consumer(rk);
        if (!topic) /* the caller assigns partitions itself */
                return rk;
        sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (err) {
                snprintf(errstr, errstr_size, "subscribe to %s: %s", topic,
                         rd_kafka_err2str(err));
                rd_kafka_destroy(rk);
                free(ctx);
                return NULL;
        }
        return rk;
}

void dlp_kafka_consumer_destroy(rd_kafka_t *consumer)
{
        struct consumer_ctx *ctx;

        if (!consumer)
                return;
        ctx = rd_kafka_opaque(consumer);
        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
        free(ctx);
}

/* The record itself; NULL when out of memory. */
static char *deadletter_json(const char *stage, const rd_kafka_message_t *orig,
                             const char *reason, size_t keep, json_t *key)
{
        char ts[40];
        const char *otopic = orig->rkt ? rd_kafka_topic_name(orig->rkt) : "";
        char *b64 = dlp_base64(orig->payload ? orig->payload : "", keep);
        json_t *rec;
        char *value;

        if (!b64)
                return NULL;
        dlp_rfc3339_now(ts, sizeof(ts));
        rec =
            json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:O}", "schema",
                      DLP_SCHEMA_DEADLETTER, "stage", stage, "reason", reason,
                      "topic", otopic, "partition", (int)orig->partition,
                      "offset", (json_int_t)orig->offset, "original_base64",
                      b64, "failed_at", ts, "key", key);
        free(b64);
        if (!rec)
                return NULL;
        value = json_dumps(rec, JSON_COMPACT);
        json_decref(rec);
        return value;
}

int dlp_deadletter_build(struct dlp_deadletter *dl, const char *stage,
                         const rd_kafka_message_t *orig, const char *reason,
                         size_t original_max)
{
        size_t len = orig->payload ? orig->len : 0, keep = len, n;
        json_t *key = NULL;

        if (keep > original_max)
                keep = original_max;
        if (keep > DEADLETTER_ORIGINAL_MAX)
                keep = DEADLETTER_ORIGINAL_MAX;
        dl->key = NULL;
        dl->key_len = 0;
        /* the record's key and its body's "key" agree: both or neither */
        if (orig->key && orig->key_len <= DEADLETTER_KEY_MAX &&
            (key = json_stringn(orig->key, orig->key_len))) {
                dl->key = orig->key;
                dl->key_len = orig->key_len;
        }
        n = dlp_utf8_sanitize(dl->reason, DEADLETTER_REASON_MAX,
                              reason ? reason : "",
                              reason ? strlen(reason) : 0);
        if (n == 0)
                n = dlp_fmt(dl->reason, sizeof(dl->reason), "%s",
                            DEADLETTER_FALLBACK_REASON);
        if (keep < len)
                n += dlp_fmt(dl->reason + n, sizeof(dl->reason) - n,
                             " (original cut to its first %zu of %zu bytes)",
                             keep, len);
        if (orig->key && !key)
                dlp_fmt(dl->reason + n, sizeof(dl->reason) - n,
                        " (key of %zu bytes left out)", orig->key_len);
        dl->value = deadletter_json(stage, orig, dl->reason, keep,
                                    key ? key : json_null());
        if (!dl->value) { /* the last resort: a fixed reason, no original */
                dlp_fmt(dl->reason, sizeof(dl->reason), "%s",
                        DEADLETTER_FALLBACK_REASON);
                dl->value =
                    deadletter_json(stage, orig, dl->reason, 0, json_null());
        }
        json_decref(key);
        return dl->value ? DLP_OK : DLP_ERR_NOMEM;
}

static rd_kafka_resp_err_t deadletter_send(rd_kafka_t *producer,
                                           const char *topic, const char *stage,
                                           const rd_kafka_message_t *orig,
                                           struct dlp_deadletter *dl,
                                           void *msg_opaque)
{
        char part[16], off[24];
        const char *otopic = orig->rkt ? rd_kafka_topic_name(orig->rkt) : "";
        rd_kafka_resp_err_t err;

        snprintf(part, sizeof(part), "%d", (int)orig->partition);
        snprintf(off, sizeof(off), "%lld", (long long)orig->offset);
        err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_KEY(dl->key, dl->key_len),
                                RD_KAFKA_V_VALUE(dl->value, strlen(dl->value)),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
                                RD_KAFKA_V_HEADER("dlp-stage", stage, -1),
                                RD_KAFKA_V_HEADER("dlp-reason", dl->reason, -1),
                                RD_KAFKA_V_HEADER("dlp-topic", otopic, -1),
                                RD_KAFKA_V_HEADER("dlp-partition", part, -1),
                                RD_KAFKA_V_HEADER("dlp-offset", off, -1),
                                RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
        if (err) {
                free(dl->value);
                dl->value = NULL;
        }
        return err;
}

int dlp_kafka_deadletter(rd_kafka_t *producer, const char *topic,
                         const char *stage, const rd_kafka_message_t *orig,
                         const char *reason, void *msg_opaque)
{
        const char *otopic = orig->rkt ? rd_kafka_topic_name(orig->rkt) : "";
        struct dlp_deadletter dl;
        rd_kafka_resp_err_t err;

        if (dlp_deadletter_build(&dl, stage, orig, reason,
                                 DEADLETTER_ORIGINAL_MAX) != DLP_OK) {
                LOG_ERROR("dead letter of %s [%d] @%lld: out of memory", otopic,
                          (int)orig->partition, (long long)orig->offset);
                return DLP_ERR_NOMEM;
        }
        err = deadletter_send(producer, topic, stage, orig, &dl, msg_opaque);
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE &&
            dlp_deadletter_build(&dl, stage, orig, reason, 0) == DLP_OK)
                /* message.max.bytes set below our bound: without the
                 * original, it always fits */
                err = deadletter_send(producer, topic, stage, orig, &dl,
                                      msg_opaque);
        if (err) {
                LOG_ERROR("dead letter to %s: %s", topic,
                          rd_kafka_err2str(err));
                return DLP_ERR_KAFKA;
        }
        LOG_WARN("dead-lettered %s [%d] @%lld: %s", otopic,
                 (int)orig->partition, (long long)orig->offset, dl.reason);
        return DLP_OK;
}

int dlp_kafka_produce_json(rd_kafka_t *producer, const char *topic,
                           const char *key, const json_t *rec, void *msg_opaque,
                           char *errstr, size_t errstr_size)
{
        char *value = json_dumps(rec, JSON_COMPACT);
        rd_kafka_resp_err_t err;

        if (!value) {
                snprintf(errstr, errstr_size, "out of memory");
                return DLP_ERR_NOMEM;
        }
        err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_KEY(key, strlen(key)),
                                RD_KAFKA_V_VALUE(value, strlen(value)),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
                                RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
        if (err) {
                free(value); /* not taken over on failure */
                snprintf(errstr, errstr_size, "%s", rd_kafka_err2str(err));
                return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? DLP_ERR_RETRY
                                                            : DLP_ERR_KAFKA;
        }
        return DLP_OK;
}

void dlp_delivery_report(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                         void *opaque)
{
        struct dlp_delivery *d = opaque;

        d->outstanding--;
        if (rkm->err) {
                d->failed++;
                LOG_ERROR("record not written to %s: %s",
                          rd_kafka_topic_name(rkm->rkt),
                          rd_kafka_err2str(rkm->err));
        }
}

void dlp_delivery_sent(struct dlp_delivery *d)
{
        d->outstanding++;
}

int dlp_delivery_wait(rd_kafka_t *producer, struct dlp_delivery *d)
{
        while (d->outstanding > 0)
                rd_kafka_flush(producer, 100);
        return d->failed ? DLP_ERR_KAFKA : DLP_OK;
}

int dlp_kafka_drain(rd_kafka_t *producer, int timeout_ms)
{
        rd_kafka_flush(producer, timeout_ms);
        return rd_kafka_outq_len(producer);
}
