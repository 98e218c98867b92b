/* main.c - dlp-inspector: events topic -> one DLP request per batch ->
 * inspection records, paced so that the whole fleet stays under the DLP
 * service's rate limit.
 *
 * The cycle (DESIGN §3): poll a batch -> wait for an owned slot -> ONE
 * content:inspect request -> one inspection record per event (dead letters
 * for poison) -> wait for every delivery report -> commit the batch's
 * offsets. A crash anywhere before the commit means the batch is inspected
 * again (at-least-once). */
#include "admin.h"
#include "batch.h"
#include "config.h"
#include "err.h"
#include "fleet.h"
#include "gdlp.h"
#include "httpc.h"
#include "kafka.h"
#include "log.h"
#include "pace.h"
#include "plan.h"
#include "settings.h"
#include "util.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct inspector {
        struct inspector_config cfg;
        rd_kafka_t *consumer, *producer;
        struct dlp_httpc *http;
        char url[1024];
        const char *token_file; /* DLP_API_TOKEN_FILE: re-read on change */
        struct timespec token_mtime;
        char instance[96];
        struct pace pace;
        struct batch batch;
        /* messages polled while the batch could take no more */
        rd_kafka_message_t **carry;
        size_t n_carry, cap_carry;
        /* the batch in flight: sealed once its first request went out */
        int sealed;
        int rejoining;    /* a commit said the group is rebalancing */
        struct plan plan; /* requests still to send */
        int attempt;      /* requests tried for this batch */
        double retry_at;  /* no request before this wall time */
        long long batch_seq;
        int64_t next_metadata_ms;
        /* delivery reports */
        struct dlp_delivery delivery; /* of results and dead letters */
        /* counters */
        atomic_ulong events, requests, rows, rejected, retries, dead, findings,
            commits, late_slots;
        atomic_ulong owned, partitions; /* gauges: slots are owned/P */
        struct dlp_hist request_latency;
};

static void carry_drop_partitions(struct inspector *ins,
                                  const rd_kafka_topic_partition_list_t *parts)
{
        size_t keep = 0;

        for (size_t i = 0; i < ins->n_carry; i++) {
                int gone = 0;
                for (int p = 0; p < parts->cnt; p++)
                        if (parts->elems[p].partition ==
                            ins->carry[i]->partition)
                                gone = 1;
                if (gone)
                        rd_kafka_message_destroy(ins->carry[i]);
                else
                        ins->carry[keep++] = ins->carry[i];
        }
        ins->n_carry = keep;
}

/* Assignment changes move slots at once. On revocation nothing unfinished is
 * committed: the batch's messages of revoked partitions are dropped and the
 * new owner reads them again. */
static void on_rebalance(void *opaque, rd_kafka_resp_err_t err,
                         const rd_kafka_topic_partition_list_t *parts)
{
        struct inspector *ins = opaque;
        int assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;

        ins->rejoining = 0;
        if (assign)
                atomic_store(&ins->owned, (unsigned long)parts->cnt);
        else
                atomic_store(&ins->owned, 0);
        for (int i = 0; i < parts->cnt; i++)
                if (!strcmp(parts->elems[i].topic,
                            ins->cfg.common.topic_events))
                        pace_own(&ins->pace, parts->elems[i].partition, assign);
        if (!assign) {
                batch_drop_partitions(&ins->batch, ins->cfg.common.topic_events,
                                      parts);
                carry_drop_partitions(ins, parts);
                ins->plan.n = 0;
                ins->sealed = 0;
        }
}

static void refresh_partitions(struct inspector *ins)
{
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt;
        rd_kafka_resp_err_t err;

        if (dlp_mono_ms() < ins->next_metadata_ms)
                return;
        ins->next_metadata_ms = dlp_mono_ms() + 30000;
        rkt = rd_kafka_topic_new(ins->consumer, ins->cfg.common.topic_events,
                                 NULL);
        err = rd_kafka_metadata(ins->consumer, 0, rkt, &md, 5000);
        rd_kafka_topic_destroy(rkt);
        if (err || md->topic_cnt != 1 || md->topics[0].err) {
                LOG_WARN("metadata of %s: %s", ins->cfg.common.topic_events,
                         err ? rd_kafka_err2str(err)
                         : md->topic_cnt == 1
                             ? rd_kafka_err2str(md->topics[0].err)
                             : "no topic");
                ins->next_metadata_ms = dlp_mono_ms() + 2000;
                if (!err)
                        rd_kafka_metadata_destroy(md);
                return;
        }
        if (md->topics[0].partition_cnt != ins->pace.nparts)
                LOG_INFO("%s has %d partitions: slot %.1f ms, %d slots per "
                         "round",
                         ins->cfg.common.topic_events,
                         md->topics[0].partition_cnt, ins->pace.slot_len * 1000,
                         md->topics[0].partition_cnt);
        pace_set_partitions(&ins->pace, md->topics[0].partition_cnt);
        atomic_store(&ins->partitions,
                     (unsigned long)md->topics[0].partition_cnt);
        rd_kafka_metadata_destroy(md);
}

/* Keeps a message the batch cannot take yet; it starts the next batch. */
static void carry_push(struct inspector *ins, rd_kafka_message_t *rkm)
{
        if (ins->n_carry == ins->cap_carry) {
                size_t cap = ins->cap_carry ? ins->cap_carry * 2 : 16;
                void *nc = realloc(ins->carry, cap * sizeof(*ins->carry));
                if (!nc) {
                        LOG_ERROR("out of memory");
                        dlp_stop_failure();
                        rd_kafka_message_destroy(rkm);
                        return;
                }
                ins->carry = nc;
                ins->cap_carry = cap;
        }
        ins->carry[ins->n_carry++] = rkm;
}

/* Parses a polled message into the batch, or into the carry when the batch
 * is full; anything that is not a dlp.event/1 record becomes a dead
 * letter. */
static void take(struct inspector *ins, rd_kafka_message_t *rkm)
{
        static const char *const required[] = {"event_id", "team_id", "channel",
                                               "ts",       "kind",    "text"};
        json_error_t jerr;
        json_t *ev;
        char why[256];
        const char *schema;

        ev = json_loadb(rkm->payload ? rkm->payload : "", rkm->len, 0, &jerr);
        if (!ev || !json_is_object(ev)) {
                char jwhy[128];
                if (!ev) /* never jerr.text: it quotes the record */
                        dlp_json_error(&jerr, jwhy, sizeof(jwhy));
                snprintf(why, sizeof(why), "not a JSON object: %s",
                         ev ? "wrong type" : jwhy);
                json_decref(ev);
                batch_add_dead(&ins->batch, rkm, why);
                return;
        }
        schema = json_string_value(json_object_get(ev, "schema"));
        if (!schema || strcmp(schema, "dlp.event/1") != 0) {
                schema = schema ? schema : "missing";
                snprintf(why, sizeof(why), "schema is %.*s, not dlp.event/1",
                         (int)dlp_utf8_prefix(schema, 40), schema);
                json_decref(ev);
                batch_add_dead(&ins->batch, rkm, why);
                return;
        }
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
                json_t *v = json_object_get(ev, required[i]);
                if (!json_is_string(v) ||
                    (strcmp(required[i], "text") != 0 &&
                     json_string_length(v) > DLP_ID_MAX)) {
                        snprintf(why, sizeof(why),
                                 "not a valid dlp.event/1 record: %s is "
                                 "missing, not a string or over %d bytes",
                                 required[i], DLP_ID_MAX);
                        json_decref(ev);
                        batch_add_dead(&ins->batch, rkm, why);
                        return;
                }
        }
        if (batch_add(&ins->batch, rkm, ev) == DLP_ERR_TOOBIG) {
                json_decref(ev);
                carry_push(ins, rkm);
                return;
        }
        ins->events++;
}

static int accepting(const struct inspector *ins)
{
        return !ins->sealed && ins->n_carry == 0;
}

/* Moves carried messages into a fresh batch, in order. */
static void take_carry(struct inspector *ins)
{
        size_t n = ins->n_carry;
        rd_kafka_message_t **c = ins->carry;

        if (ins->sealed || n == 0)
                return;
        ins->carry = NULL;
        ins->n_carry = ins->cap_carry = 0;
        /* once one waits, all after it wait too: a batch must never hold a
         * later offset of a partition than one still waiting, or its commit
         * would pass the waiting one */
        for (size_t i = 0; i < n; i++) {
                if (ins->n_carry > 0)
                        carry_push(ins, c[i]);
                else
                        take(ins, c[i]);
        }
        free(c);
}

/* Takes one polled message: into the batch while it takes more, else into
 * the carry. Returns 0 when the poll gave nothing. */
static int take_polled(struct inspector *ins, int timeout_ms)
{
        rd_kafka_message_t *rkm =
            rd_kafka_consumer_poll(ins->consumer, timeout_ms);

        if (!rkm)
                return 0;
        if (rkm->err) {
                if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        LOG_WARN("consume: %s", rd_kafka_message_errstr(rkm));
                rd_kafka_message_destroy(rkm);
        } else if (accepting(ins))
                take(ins, rkm);
        else /* the start of the next batch */
                carry_push(ins, rkm);
        return 1;
}

/* Polls the consumer until wall time \p deadline, filling the batch while
 * it takes more; serves rebalances either way. Close to the deadline it only
 * takes what is already fetched, without blocking. */
static void poll_until(struct inspector *ins, double deadline)
{
        while (!dlp_stopping) {
                double left = deadline - dlp_wall_s();

                if (!accepting(ins) &&
                    ins->n_carry >= 2 * ins->batch.max_items) {
                        /* enough waiting for the next batch: leave the rest
                         * in librdkafka's queue (its heartbeats go on) */
                        if (left > 0.002)
                                dlp_sleep_ms(
                                    left > 0.1 ? 100 : (int64_t)(left * 1000));
                        if (left <= 0.1)
                                break;
                        continue;
                }
                if (left <= 0.002) {
                        if (!accepting(ins) || !take_polled(ins, 0))
                                break;
                        continue;
                }
                take_polled(ins,
                            left > 0.102 ? 100 : (int)((left - 0.002) * 1000));
        }
}

static void sleep_until(double t)
{
        struct timespec ts;
        double now = dlp_wall_s();

        if (t <= now)
                return;
        ts.tv_sec = (time_t)t;
        ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
        while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) ==
               EINTR)
                ;
}

static void backoff(struct inspector *ins, double retry_after)
{
        double d;

        ins->attempt++;
        ins->retries++;
        d = dlp_backoff(ins->attempt - 1, 0.5, ins->cfg.retry_max_s,
                        retry_after, (double)rand() / RAND_MAX);
        ins->retry_at = dlp_wall_s() + d;
        LOG_INFO("retrying batch in %.2f s (attempt %d)", d, ins->attempt + 1);
}

/* A token file that a sidecar or workload identity refreshes is read again
 * when it changes; the old token stays if the new one cannot be read. */
static void refresh_token(struct inspector *ins)
{
        struct stat st;
        char errstr[256];
        char *token;

        if (!ins->token_file || stat(ins->token_file, &st) != 0 ||
            (st.st_mtim.tv_sec == ins->token_mtime.tv_sec &&
             st.st_mtim.tv_nsec == ins->token_mtime.tv_nsec))
                return;
        token = dlp_read_file(ins->token_file, NULL, errstr, sizeof(errstr));
        if (!token) {
                LOG_WARN("DLP_API_TOKEN_FILE: %s (keeping the old token)",
                         errstr);
                return;
        }
        free(ins->cfg.token);
        ins->cfg.token = token;
        ins->token_mtime = st.st_mtim;
        LOG_INFO("DLP_API_TOKEN_FILE changed: token reloaded");
}

/* Sends the head range in the current slot and handles the answer. */
static void send_head(struct inspector *ins)
{
        struct plan_range r = plan_head(&ins->plan);
        struct dlp_http_result res;
        char errstr[512], msg[512];
        size_t len;
        char *body = batch_request(&ins->batch, r.lo, r.hi, &len);
        int err;

        if (!body) {
                LOG_ERROR("out of memory building a request");
                dlp_stop_failure();
                return;
        }
        ins->sealed = 1;
        ins->requests++;
        ins->rows += r.hi - r.lo;
        refresh_token(ins);
        err = dlp_httpc_post_json(ins->http, ins->url, ins->cfg.token, body,
                                  len, &res, errstr, sizeof(errstr));
        free(body);
        dlp_hist_observe(&ins->request_latency, res.elapsed_s);
        if (err) {
                LOG_WARN("DLP request failed: %s", errstr);
                backoff(ins, -1);
                return;
        }
        if (res.status == 200) {
                struct batch_sink sink = {&ins->batch, r.lo};
                int truncated;
                if (gdlp_parse_result(res.body, res.body_len, r.hi - r.lo,
                                      batch_on_finding, &sink, &truncated,
                                      errstr, sizeof(errstr)) != DLP_OK) {
                        LOG_WARN("DLP answer unusable: %s", errstr);
                        dlp_http_result_free(&res);
                        backoff(ins, -1);
                        return;
                }
                if (truncated)
                        for (size_t i = r.lo; i < r.hi; i++)
                                ins->batch.entries[ins->batch.rows[i].entry]
                                    .truncated = 1;
                plan_done(&ins->plan);
                LOG_DEBUG("inspected rows %zu..%zu in %.0f ms", r.lo, r.hi,
                          res.elapsed_s * 1000);
        } else if (res.status == 400) {
                /* INVALID_ARGUMENT: some row is poison. Halve the range
                 * until the culprit is alone; its event is dead-lettered
                 * with the service's message, the rest proceed. */
                gdlp_error_message(res.body, res.body_len, msg, sizeof(msg));
                switch (plan_bisect(&ins->plan)) {
                case 0: /* the culprit, alone */
                        batch_kill_rows(&ins->batch, r.lo, r.hi, msg);
                        plan_done(&ins->plan);
                        break;
                case 1:
                        LOG_WARN("DLP rejected rows %zu..%zu (%s): bisecting",
                                 r.lo, r.hi, msg);
                        break;
                default:
                        LOG_ERROR("out of memory");
                        dlp_stop_failure();
                }
        } else {
                /* 429 and 5xx are the service's own word to come back
                 * later; anything else (401/403/404) is a set-up problem
                 * that may be fixed while we wait: never drop the batch */
                gdlp_error_message(res.body, res.body_len, msg, sizeof(msg));
                if (res.status == 429)
                        ins->rejected++;
                DLP_LOG(res.status == 429 || res.status >= 500 ? DLP_LOG_WARN
                                                               : DLP_LOG_ERROR,
                        NULL, "DLP answered %ld: %s", res.status, msg);
                backoff(ins, res.retry_after);
        }
        dlp_http_result_free(&res);
}

static json_t *inspection_record(struct inspector *ins,
                                 const struct batch_entry *e,
                                 const char *batch_id, const char *now)
{
        static const char *const copied[] = {"event_id", "team_id",   "channel",
                                             "ts",       "kind",      "user",
                                             "bot_id",   "event_time"};
        json_t *rec = json_object();

        json_object_set_new(rec, "schema", json_string("dlp.inspection/1"));
        for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
                json_t *v = json_object_get(e->event, copied[i]);
                if (v)
                        json_object_set(rec, copied[i], v);
        }
        json_object_set(rec, "findings", e->findings);
        if (e->truncated)
                json_object_set_new(rec, "findings_truncated", json_true());
        json_object_set_new(rec, "inspected_at", json_string(now));
        json_object_set_new(rec, "backend", json_string("google-dlp-v2"));
        json_object_set_new(rec, "batch_id", json_string(batch_id));
        json_object_set_new(rec, "attempt", json_integer(ins->attempt));
        json_object_set_new(rec, "source",
                            json_pack("{s:s, s:i, s:I}", "topic",
                                      rd_kafka_topic_name(e->rkm->rkt),
                                      "partition", (int)e->rkm->partition,
                                      "offset", (json_int_t)e->rkm->offset));
        return rec;
}

/* Adds \p rkm to the batch's commit offsets (next offset per partition)
 * and rewind points (first offset per partition). */
static void track_offsets(rd_kafka_topic_partition_list_t *offsets,
                          rd_kafka_topic_partition_list_t *starts,
                          const rd_kafka_message_t *rkm)
{
        const char *topic = rd_kafka_topic_name(rkm->rkt);
        rd_kafka_topic_partition_t *tp;

        tp = rd_kafka_topic_partition_list_find(offsets, topic, rkm->partition);
        if (!tp) {
                tp = rd_kafka_topic_partition_list_add(offsets, topic,
                                                       rkm->partition);
                rd_kafka_topic_partition_list_add(starts, topic, rkm->partition)
                    ->offset = rkm->offset;
        }
        if (rkm->offset + 1 > tp->offset)
                tp->offset = rkm->offset + 1;
        tp = rd_kafka_topic_partition_list_find(starts, topic, rkm->partition);
        if (rkm->offset < tp->offset)
                tp->offset = rkm->offset;
}

/* Produces one inspection record per event and a dead letter per poison
 * record. */
static void produce_results(struct inspector *ins, const char *batch_id,
                            rd_kafka_topic_partition_list_t *offsets,
                            rd_kafka_topic_partition_list_t *starts)
{
        struct batch *b = &ins->batch;
        char now[40];

        dlp_rfc3339_now(now, sizeof(now));
        for (size_t i = 0; i < b->n_entries; i++) {
                struct batch_entry *e = &b->entries[i];
                rd_kafka_resp_err_t err;

                track_offsets(offsets, starts, e->rkm);
                if (e->dead) {
                        ins->dead++;
                        if (dlp_kafka_deadletter(
                                ins->producer, ins->cfg.common.topic_deadletter,
                                "inspector", e->rkm, e->reason, NULL) != DLP_OK)
                                ins->delivery.failed++;
                        else
                                dlp_delivery_sent(&ins->delivery);
                        continue;
                }
                json_t *rec = inspection_record(ins, e, batch_id, now);
                char *value = json_dumps(rec, JSON_COMPACT);
                const char *id =
                    json_string_value(json_object_get(e->event, "event_id"));
                json_decref(rec);
                ins->findings += json_array_size(e->findings);
                err =
                    value
                        ? rd_kafka_producev(
                              ins->producer,
                              RD_KAFKA_V_TOPIC(ins->cfg.common.topic_inspected),
                              RD_KAFKA_V_KEY(id, strlen(id)),
                              RD_KAFKA_V_VALUE(value, strlen(value)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
                              RD_KAFKA_V_END)
                        : RD_KAFKA_RESP_ERR__FAIL;
                if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                        /* poison that no retry can write: dead-letter it */
                        free(value);
                        ins->dead++;
                        if (dlp_kafka_deadletter(
                                ins->producer, ins->cfg.common.topic_deadletter,
                                "inspector", e->rkm,
                                "its inspection record is too large for Kafka",
                                NULL) != DLP_OK)
                                ins->delivery.failed++;
                        else
                                dlp_delivery_sent(&ins->delivery);
                } else if (err) {
                        free(value);
                        LOG_EV(DLP_LOG_ERROR, id, "produce: %s",
                               rd_kafka_err2str(err));
                        ins->delivery.failed++;
                } else
                        dlp_delivery_sent(&ins->delivery);
        }
}

/* At-least-once: wait for every delivery report, then commit. */
static void commit_after_delivery(struct inspector *ins, const char *batch_id,
                                  rd_kafka_topic_partition_list_t *offsets)
{
        rd_kafka_resp_err_t err;

        if (dlp_delivery_wait(ins->producer, &ins->delivery) != DLP_OK) {
                /* results are not all durable: commit nothing and stop; the
                 * batch is inspected again after a restart */
                LOG_ERROR("results of batch %s not all written: stopping "
                          "without commit",
                          batch_id);
                dlp_stop_failure();
                return;
        }
        err = rd_kafka_commit(ins->consumer, offsets, 0);
        if (err) {
                LOG_WARN("commit of batch %s: %s (its events will be "
                         "inspected again)",
                         batch_id, rd_kafka_err2str(err));
                /* the group moved on without us: every batch sent before
                 * we rejoin would be wasted quota and duplicates */
                if (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
                    err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
                    err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID)
                        ins->rejoining = 1;
        } else
                ins->commits++;
}

/* After an aborted transaction the batch's events must be read again:
 * rewind the partitions still assigned to the batch's first offsets and
 * forget what was polled after them. */
static void rewind_batch(struct inspector *ins,
                         rd_kafka_topic_partition_list_t *starts)
{
        rd_kafka_error_t *error;

        carry_drop_partitions(ins, starts);
        error = rd_kafka_seek_partitions(ins->consumer, starts, 5000);
        if (error) {
                LOG_WARN("rewind after abort: %s (revoked partitions are "
                         "read again by their new owner)",
                         rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
}

/* Exactly-once: results and input offsets commit in one transaction, so a
 * read_committed consumer sees each batch's records once or not at all. */
static void commit_transaction(struct inspector *ins, const char *batch_id,
                               rd_kafka_topic_partition_list_t *offsets,
                               rd_kafka_topic_partition_list_t *starts)
{
        rd_kafka_consumer_group_metadata_t *cgmd =
            rd_kafka_consumer_group_metadata(ins->consumer);
        rd_kafka_error_t *error;
        int tries = 0;

        error = rd_kafka_send_offsets_to_transaction(ins->producer, offsets,
                                                     cgmd, 30000);
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        if (!error)
                error = rd_kafka_commit_transaction(ins->producer, 30000);
        while (error && rd_kafka_error_is_retriable(error) && tries++ < 3) {
                rd_kafka_error_destroy(error);
                error = rd_kafka_commit_transaction(ins->producer, 30000);
        }
        if (!error) {
                ins->commits++;
                ins->delivery.outstanding = 0;
                return;
        }
        LOG_WARN("transaction of batch %s: %s", batch_id,
                 rd_kafka_error_string(error));
        if (rd_kafka_error_txn_requires_abort(error)) {
                rd_kafka_error_t *abort_error =
                    rd_kafka_abort_transaction(ins->producer, 30000);
                if (abort_error) {
                        LOG_ERROR("abort: %s",
                                  rd_kafka_error_string(abort_error));
                        rd_kafka_error_destroy(abort_error);
                        dlp_stop_failure();
                } else
                        rewind_batch(ins, starts);
        } else {
                LOG_ERROR("fatal transaction error: stopping");
                dlp_stop_failure();
        }
        rd_kafka_error_destroy(error);
        /* the aborted records' reports are failures by design */
        rd_kafka_poll(ins->producer, 0);
        ins->delivery.outstanding = 0;
        ins->delivery.failed = 0;
}

/* Writes every result and commits the batch's offsets once they are
 * durable, then starts a new batch. */
static void finish_batch(struct inspector *ins)
{
        struct batch *b = &ins->batch;
        char batch_id[160];
        rd_kafka_topic_partition_list_t *offsets, *starts;

        snprintf(batch_id, sizeof(batch_id), "%s-%lld", ins->instance,
                 ++ins->batch_seq);
        offsets = rd_kafka_topic_partition_list_new(4);
        starts = rd_kafka_topic_partition_list_new(4);
        if (ins->cfg.exactly_once) {
                rd_kafka_error_t *error =
                    rd_kafka_begin_transaction(ins->producer);
                if (error) {
                        LOG_ERROR("begin transaction: %s",
                                  rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                        dlp_stop_failure();
                        goto out;
                }
                produce_results(ins, batch_id, offsets, starts);
                commit_transaction(ins, batch_id, offsets, starts);
        } else {
                produce_results(ins, batch_id, offsets, starts);
                commit_after_delivery(ins, batch_id, offsets);
        }
        LOG_DEBUG("batch %s: %zu events, %zu rows, attempt %d", batch_id,
                  b->n_entries, b->n_rows, ins->attempt);
out:
        rd_kafka_topic_partition_list_destroy(offsets);
        rd_kafka_topic_partition_list_destroy(starts);
        batch_clear(b);
        ins->sealed = 0;
        ins->plan.n = 0;
        ins->attempt = 0;
        ins->retry_at = 0;
}

static void run(struct inspector *ins)
{
        int64_t last_report = dlp_mono_ms();

        while (!dlp_stopping) {
                long long slot;
                double start, now;

                refresh_partitions(ins);
                take_carry(ins);
                if (ins->rejoining) { /* send nothing until reassigned */
                        poll_until(ins, dlp_wall_s() + 0.1);
                        continue;
                }
                if (batch_empty(&ins->batch)) {
                        /* nothing to send: wait for work, not for slots */
                        take_polled(ins, 100);
                        continue;
                }
                /* the next owned slot, and none before a retry is due */
                now = dlp_wall_s();
                slot = pace_next_owned(
                    &ins->pace,
                    pace_slot_at(&ins->pace,
                                 ins->retry_at > now ? ins->retry_at : now) +
                        1);
                if (slot < 0) { /* no partitions: nothing to do but wait */
                        poll_until(ins, dlp_wall_s() + 0.1);
                        continue;
                }
                start = pace_slot_start(&ins->pace, slot);
                poll_until(ins, start);
                if (dlp_stopping)
                        break;
                if (batch_empty(&ins->batch))
                        continue;
                if (ins->batch.n_rows == 0) { /* only dead or empty texts */
                        finish_batch(ins);
                        continue;
                }
                if (dlp_wall_s() < ins->retry_at)
                        continue;
                if (!ins->sealed) {
                        if (plan_make(&ins->plan, &ins->batch) != DLP_OK)
                                break;
                        if (ins->attempt == 0)
                                ins->attempt = 1;
                }
                sleep_until(start);
                /* ownership may have moved during the poll; and a slot
                 * started too late is given up, not squeezed in */
                if (!pace_may_start(&ins->pace, slot, dlp_wall_s())) {
                        if (ins->pace.owned[pace_slot_owner(&ins->pace, slot)])
                                ins->late_slots++;
                        continue;
                }
                pace_mark_used(&ins->pace, slot);
                send_head(ins);
                if (plan_empty(&ins->plan) && ins->sealed)
                        finish_batch(ins);
                if (dlp_mono_ms() - last_report > 10000) {
                        last_report = dlp_mono_ms();
                        LOG_INFO("events=%lu requests=%lu rejected=%lu "
                                 "retries=%lu dead=%lu findings=%lu",
                                 ins->events, ins->requests, ins->rejected,
                                 ins->retries, ins->dead, ins->findings);
                }
        }
}

int main(int argc, char **argv)
{
        struct inspector *ins = calloc(1, sizeof(*ins));
        char errstr[512], host[64] = "inspector", txn_id[160], session[24];
        int rc = 0;

        if (!ins)
                return 1;
        dlp_log_init("inspector", DLP_LOG_INFO);
        rc = dlp_config_load(&inspector_spec, &ins->cfg, argc, argv, errstr,
                             sizeof(errstr));
        if (rc == DLP_ERR_HELP) {
                rc = 0;
                goto out_config;
        }
        if (rc) {
                LOG_ERROR("config: %s", errstr);
                rc = 2;
                goto out_config;
        }
        dlp_stop_install();
        ins->token_file = getenv("DLP_API_TOKEN_FILE");
        if (ins->token_file) { /* loaded once by the config: note its age */
                struct stat st;
                if (stat(ins->token_file, &st) == 0)
                        ins->token_mtime = st.st_mtim;
        }
        gethostname(host, sizeof(host) - 1);
        snprintf(ins->instance, sizeof(ins->instance), "%s-%d", host,
                 (int)getpid());
        srand((unsigned)(getpid() ^ time(NULL)));
        snprintf(ins->url, sizeof(ins->url),
                 "%s/v2/projects/%s/locations/%s/content:inspect",
                 ins->cfg.api_url, ins->cfg.project, ins->cfg.location);
        pace_init(&ins->pace, ins->cfg.rate_limit, ins->cfg.rate_safety);
        batch_init(&ins->batch, (size_t)ins->cfg.batch_max_items,
                   (size_t)ins->cfg.batch_max_bytes);
        if (dlp_httpc_global_init() != DLP_OK ||
            !(ins->http = dlp_httpc_new(ins->cfg.request_timeout_ms))) {
                LOG_ERROR("cannot set up libcurl");
                rc = 1;
                goto out_config;
        }
        /* a transactional id per process: zombies are fenced through the
         * consumer group generation (KIP-447); a killed inspector's open
         * transaction is aborted by the broker after the timeout */
        snprintf(txn_id, sizeof(txn_id), "dlp-inspector-%s", ins->instance);
        const char *txn_props[] = {"transactional.id", txn_id,
                                   "transaction.timeout.ms", "10000", NULL};
        ins->producer = dlp_kafka_producer_new(
            &ins->cfg.common, "dlp-inspector",
            ins->cfg.exactly_once ? txn_props : NULL, dlp_delivery_report,
            &ins->delivery, errstr, sizeof(errstr));
        if (!ins->producer) {
                LOG_ERROR("kafka producer: %s", errstr);
                rc = 2;
                goto out_http;
        }
        if (ins->cfg.exactly_once) {
                rd_kafka_error_t *error =
                    rd_kafka_init_transactions(ins->producer, 30000);
                if (error) {
                        LOG_ERROR("DLP_EXACTLY_ONCE: cannot start "
                                  "transactions: %s",
                                  rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                        rc = 2;
                        goto out_producer;
                }
        }
        snprintf(session, sizeof(session), "%ld", ins->cfg.session_timeout_ms);
        /* prefetch bounded for the memory target; pause/resume is never
         * used: on librdkafka < 2.4 an app pause survives re-assignment and
         * resuming an unpaused partition refetches from a stale offset
         * (librdkafka #4637), i.e. duplicates */
        const char *consumer_props[] = {
            "session.timeout.ms", session, "queued.max.messages.kbytes", "4096",
            /* eager, and it interleaves partitions over members, so an
             * inspector's slots are spread out instead of consecutive */
            "partition.assignment.strategy", "roundrobin", NULL};
        ins->consumer = dlp_kafka_consumer_new(
            &ins->cfg.common, "dlp-inspector", ins->cfg.group,
            ins->cfg.common.topic_events, consumer_props, on_rebalance, ins,
            errstr, sizeof(errstr));
        if (!ins->consumer) {
                LOG_ERROR("kafka consumer: %s", errstr);
                rc = 2;
                goto out_producer;
        }
        LOG_INFO("inspecting %s -> %s at %g req/s cluster-wide (x%.2f), %ld "
                 "items / %ld bytes per request, %s",
                 ins->cfg.common.topic_events, ins->cfg.common.topic_inspected,
                 ins->cfg.rate_limit, ins->cfg.rate_safety,
                 ins->cfg.batch_max_items, ins->cfg.batch_max_bytes,
                 ins->cfg.exactly_once ? "exactly once" : "at least once");

        struct dlp_kafka_stats *kstats =
            dlp_kafka_consumer_stats(ins->consumer);
#define C(field, name, help)                                                   \
        {                                                                      \
                "dlp_inspector_" name, help, DLP_COUNTER, &ins->field, NULL    \
        }
        const struct dlp_metric metrics[] = {
            C(events, "events_total", "event records taken into batches"),
            C(requests, "requests_total", "DLP requests sent: the slots used"),
            C(rows, "rows_total", "rows sent (batch size = rows / requests)"),
            C(rejected, "rejected_total", "DLP answers 429"),
            C(retries, "retries_total", "batches retried after a failure"),
            C(dead, "dead_letters_total", "records sent to dead letters"),
            C(findings, "findings_total", "findings written"),
            C(commits, "commits_total", "batches committed"),
            C(late_slots, "late_slots_total",
              "owned slots given up because the start was late"),
            {"dlp_inspector_owned_partitions",
             "partitions assigned: this inspector owns that many of "
             "every partitions slots",
             DLP_GAUGE, &ins->owned, NULL},
            {"dlp_inspector_partitions", "partitions of the events topic",
             DLP_GAUGE, &ins->partitions, NULL},
            {"dlp_inspector_consumer_lag",
             "events of its partitions not yet committed (librdkafka "
             "statistics, every 5 s)",
             DLP_GAUGE, &kstats->consumer_lag, NULL},
            {"dlp_inspector_kafka_rx_msgs", "messages fetched from Kafka",
             DLP_COUNTER, &kstats->rx_msgs, NULL},
            {"dlp_inspector_kafka_brokers_up", "brokers connected", DLP_GAUGE,
             &kstats->brokers_up, NULL},
            {"dlp_inspector_request_seconds", "DLP request latency",
             DLP_HISTOGRAM, NULL, &ins->request_latency},
        };
#undef C
        struct dlp_admin *admin = NULL;
        if (ins->cfg.common.admin_addr &&
            !(admin = dlp_admin_start(
                  ins->cfg.common.admin_addr, "inspector", metrics,
                  sizeof(metrics) / sizeof(metrics[0]), ins->producer,
                  ins->consumer, errstr, sizeof(errstr)))) {
                LOG_ERROR("DLP_ADMIN_ADDR: %s", errstr);
                dlp_stop_failure();
        }

        run(ins);
        dlp_admin_stop(admin);

        /* an unfinished batch is not committed: its events come back */
        LOG_INFO("stopping: events=%lu requests=%lu rejected=%lu retries=%lu "
                 "dead=%lu findings=%lu commits=%lu late_slots=%lu",
                 ins->events, ins->requests, ins->rejected, ins->retries,
                 ins->dead, ins->findings, ins->commits, ins->late_slots);
        /* the messages go before the consumer (librdkafka wants them back
         * first), and the batch and carry are left empty: closing the
         * consumer runs the revocation, which drops them again */
        batch_clear(&ins->batch);
        for (size_t i = 0; i < ins->n_carry; i++)
                rd_kafka_message_destroy(ins->carry[i]);
        ins->n_carry = 0;
        dlp_kafka_consumer_destroy(ins->consumer);
out_producer:
        if (dlp_kafka_drain(ins->producer, 10000) > 0)
                LOG_ERROR("records still unconfirmed at exit");
        rd_kafka_destroy(ins->producer);
out_http:
        dlp_httpc_destroy(ins->http);
out_config:
        dlp_config_free(&inspector_spec, &ins->cfg);
        free(ins->carry);
        plan_free(&ins->plan);
        free(ins);
        return rc ? rc : dlp_stopping == DLP_STOP_FAILURE;
}
