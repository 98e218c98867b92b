/* main.c - dlp-inspector: events topic -> one DLP request per batch ->
 * inspection records, paced so that the whole fleet stays under the DLP
 * service's rate limit.
 *
 * The cycle (DESIGN §3, §4): poll into the open batch -> at an owned slot,
 * seal it and start ONE content:inspect request, without waiting for the
 * answers of the batches already in flight (flight.h) -> as each answer
 * arrives, one inspection record per event (dead letters for poison) ->
 * delivery reports -> the batch's offsets are done, and each partition
 * commits up to its first batch not yet done (watermark.h). A crash
 * anywhere before the commit means the batch is inspected again
 * (at-least-once). */
#include "admin.h"
#include "batch.h"
#include "config.h"
#include "detect_config.h"
#include "err.h"
#include "files.h"
#include "fleet.h"
#include "flight.h"
#include "httpc.h"
#include "json_fast.h"
#include "kafka.h"
#include "log.h"
#include "pace.h"
#include "record.h"
#include "refill.h"
#include "settings.h"
#include "util.h"
#include "watermark.h"

#include <errno.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How often librdkafka 2.0 is woken to fetch while events are taken: the
 * prefetch must last that long at the inspector's rate (DESIGN §15). */
#define REFILL_INTERVAL_MS 20

/* How often finished batches' offsets are committed (at-least-once) or
 * their transaction is committed (exactly-once): DESIGN §4. */
#define COMMIT_INTERVAL_S 0.2

struct inspector {
        struct inspector_config cfg;
        rd_kafka_t *consumer, *producer;
        struct dlp_httpm *http;
        char url[1024];
        const char *token_file; /* DLP_API_TOKEN_FILE: re-read on change */
        struct timespec token_mtime;
        char instance[96];
        struct pace pace;
        struct backend backend; /* the DLP service's wire format */
        struct batch batch;     /* the open batch, filling until sealed */
        struct flights flights; /* sealed batches, requests in flight */
        struct files *files;    /* events whose files are being fetched */
        /* messages polled while the open batch could take no more */
        rd_kafka_message_t **carry;
        size_t n_carry, cap_carry;
        /* per partition of the events topic: the first offset not done */
        struct watermark *wm[PACE_MAX_PARTITIONS];
        int rejoining;      /* a commit said the group is rebalancing */
        double last_commit; /* wall time of the last commit (or try) */
        long long batch_seq;
        int64_t next_metadata_ms;
        /* delivery reports */
        struct dlp_delivery delivery; /* of results and dead letters */
        struct record_buf record;     /* the inspection record being written */
        /* counters */
        atomic_ulong events, requests, rows, rejected, retries, dead, findings,
            commits, refused_commits, late_slots, late_sends, unusable,
            dropped_findings, truncated_splits;
        atomic_ulong owned, partitions, in_flight, out_of_group; /* gauges */
        atomic_ulong last_request; /* unix time (s) of the last request */
        struct dlp_hist request_latency, send_lateness;
        /* messages polled, dead letters included: the refill thread's sign
         * that the prefetch is being drained (refill.h) */
        atomic_ulong polled;
        atomic_ulong fetch_wakes; /* counter */
};

static struct watermark *wm_of(struct inspector *ins, int partition)
{
        if (partition < 0 || partition >= PACE_MAX_PARTITIONS)
                return NULL;
        if (!ins->wm[partition])
                ins->wm[partition] = watermark_new();
        return ins->wm[partition];
}

static int in_parts(const rd_kafka_topic_partition_list_t *parts,
                    const char *topic, int partition)
{
        for (int p = 0; p < parts->cnt; p++)
                if (parts->elems[p].partition == partition &&
                    !strcmp(parts->elems[p].topic, topic))
                        return 1;
        return 0;
}

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
        if (dlp_grow(&ins->carry, &ins->cap_carry, ins->n_carry + 1,
                     sizeof(*ins->carry)) != DLP_OK) {
                LOG_ERROR("out of memory");
                dlp_stop_failure();
                rd_kafka_message_destroy(rkm);
                return;
        }
        ins->carry[ins->n_carry++] = rkm;
}

/* The open batch took \p rkm: its offset is pending until the batch is
 * done. */
static void track(struct inspector *ins, const rd_kafka_message_t *rkm)
{
        struct watermark *w = wm_of(ins, rkm->partition);

        if (!w || watermark_add(w, rkm->offset) != DLP_OK) {
                LOG_ERROR("out of memory");
                dlp_stop_failure();
        }
}

static void dead_letter(struct inspector *ins, rd_kafka_message_t *rkm,
                        const char *why)
{
        if (batch_add_dead(&ins->batch, rkm, why) == DLP_OK)
                track(ins, rkm);
        else {
                LOG_ERROR("out of memory");
                dlp_stop_failure();
                rd_kafka_message_destroy(rkm);
        }
}

/* An event with files goes to the fetch stage, its offset tracked at once
 * so that no commit passes it while its files download (DESIGN §14); with
 * no room for more files in memory it waits in the carry. Returns 0 when
 * the event has no files to fetch, or files are not fetched at all (no
 * SLACK_BOT_TOKEN). */
static int take_files(struct inspector *ins, rd_kafka_message_t *rkm,
                      json_t *ev)
{
        int err;
        struct file_job *job;

        if (!files_enabled(ins->files))
                return 0;
        job = file_job_new(ev, rkm, &err);
        if (!job && !err)
                return 0;
        if (!job || files_submit(ins->files, job) != DLP_OK) {
                if (job) { /* the message and event stay ours */
                        job->rkm = NULL;
                        job->event = NULL;
                }
                file_job_free(job);
                json_decref(ev);
                carry_push(ins, rkm);
                return 1;
        }
        track(ins, rkm);
        return 1;
}

/* Ready file jobs into the open batch (files.h). */
static void files_into_batch(struct inspector *ins)
{
        int n = files_to_batch(ins->files, &ins->batch);

        if (n < 0) {
                LOG_ERROR("out of memory adding a file to a batch");
                if (batch_empty(&ins->batch))
                        dlp_stop_failure();
        } else
                ins->events += (unsigned long)n;
}

/* Parses a polled message into the batch, or into the carry when the batch
 * is full; anything that is not a dlp.event/1 record becomes a dead
 * letter. */
static void take(struct inspector *ins, rd_kafka_message_t *rkm)
{
        json_error_t jerr;
        json_t *ev;
        char why[256];
        int rc;

        ev = json_fast_loadb(rkm->payload ? rkm->payload : "", rkm->len, &jerr);
        if (!ev) {
                char jwhy[128];

                /* never jerr.text: it quotes the record */
                dlp_json_error(&jerr, jwhy, sizeof(jwhy));
                snprintf(why, sizeof(why), "not a JSON object: %s", jwhy);
                dead_letter(ins, rkm, why);
                return;
        }
        if (record_event_check(ev, why, sizeof(why)) != DLP_OK) {
                json_decref(ev);
                dead_letter(ins, rkm, why);
                return;
        }
        if (take_files(ins, rkm, ev))
                return;
        rc = batch_add(&ins->batch, rkm, ev);
        if (rc != DLP_OK) {
                /* it waits for the next batch, and every later event with
                 * it (take_carry), so no commit passes it; out of memory
                 * with nothing in the batch to free is a stop without
                 * commit: the next owner reads it again */
                if (rc != DLP_ERR_TOOBIG) {
                        LOG_ERROR("out of memory adding an event to a batch");
                        if (batch_empty(&ins->batch))
                                dlp_stop_failure();
                }
                json_decref(ev);
                carry_push(ins, rkm);
                return;
        }
        track(ins, rkm);
        ins->events++;
}

static int accepting(const struct inspector *ins)
{
        return ins->n_carry == 0;
}

/* Moves carried messages into a fresh batch, in order. */
static void take_carry(struct inspector *ins)
{
        size_t n = ins->n_carry;
        rd_kafka_message_t **c = ins->carry;

        if (n == 0)
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

/* A record of \p tag's (or NULL) was handed to the producer. */
static void sent(struct inspector *ins, struct flight *tag)
{
        dlp_delivery_sent(&ins->delivery);
        if (tag)
                tag->unreported++;
}

/* The producer's delivery reports: the worker's counts, and the flight
 * whose record it was (its msg_opaque; NULL in exactly-once mode, where
 * the transaction's commit waits for every report). Runs on the main
 * thread, from rd_kafka_poll() or a flush. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque)
{
        struct inspector *ins = opaque;
        struct flight *f = rkm->_private;

        dlp_delivery_report(rk, rkm, &ins->delivery);
        if (f)
                f->unreported--;
}

/* Produces one inspection record per event and a dead letter per poison
 * record of a finished flight; with \p tag (the flight, at-least-once) each
 * record's delivery report counts down tag->unreported. */
static void produce_results(struct inspector *ins, const struct flight *f,
                            const char *batch_id, struct flight *tag)
{
        const struct batch *b = &f->batch;
        char now[40];

        dlp_rfc3339_now(now, sizeof(now));
        for (size_t i = 0; i < b->n_entries; i++) {
                const struct batch_entry *e = &b->entries[i];
                rd_kafka_resp_err_t err;

                if (e->dead) {
                        ins->dead++;
                        if (dlp_kafka_deadletter(
                                ins->producer, ins->cfg.common.topic_deadletter,
                                "inspector", e->rkm, e->reason, tag) != DLP_OK)
                                ins->delivery.failed++;
                        else
                                sent(ins, tag);
                        continue;
                }
                const struct record_source src = {
                    rd_kafka_topic_name(e->rkm->rkt), (int)e->rkm->partition,
                    e->rkm->offset};
                const char *value =
                    record_inspection(&ins->record, e, f->batch.be->ops->name,
                                      batch_id, f->attempt, now, &src);
                const char *id = ins->record.key ? ins->record.key : "";
                ins->findings += json_array_size(e->findings);
                /* copied: librdkafka makes one allocation for the message
                 * and its copy, and the writer's buffer is reused */
                err =
                    value
                        ? rd_kafka_producev(
                              ins->producer,
                              RD_KAFKA_V_TOPIC(ins->cfg.common.topic_inspected),
                              RD_KAFKA_V_KEY(id, ins->record.key_len),
                              RD_KAFKA_V_VALUE((void *)value, ins->record.len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_OPAQUE(tag), RD_KAFKA_V_END)
                        : RD_KAFKA_RESP_ERR__FAIL;
                if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                        /* poison that no retry can write: dead-letter it */
                        ins->dead++;
                        if (dlp_kafka_deadletter(
                                ins->producer, ins->cfg.common.topic_deadletter,
                                "inspector", e->rkm,
                                "its inspection record is too large for Kafka",
                                tag) != DLP_OK)
                                ins->delivery.failed++;
                        else
                                sent(ins, tag);
                } else if (err) {
                        LOG_EV(DLP_LOG_ERROR, id, "produce: %s",
                               rd_kafka_err2str(err));
                        ins->delivery.failed++;
                } else
                        sent(ins, tag);
        }
}

/* The watermarks' new commit points (DESIGN §4: per partition, up to the
 * first batch not yet done, whatever order the answers came in); NULL when
 * none moved. */
static rd_kafka_topic_partition_list_t *commit_points(struct inspector *ins)
{
        rd_kafka_topic_partition_list_t *offsets = NULL;

        for (int p = 0; p < PACE_MAX_PARTITIONS; p++) {
                int64_t at;
                if (!ins->wm[p] ||
                    (at = watermark_commit_point(ins->wm[p])) < 0)
                        continue;
                if (!offsets)
                        offsets = rd_kafka_topic_partition_list_new(4);
                rd_kafka_topic_partition_list_add(
                    offsets, ins->cfg.common.topic_events, p)
                    ->offset = at;
        }
        return offsets;
}

static void mark_done(struct inspector *ins, const struct flight *f)
{
        for (size_t i = 0; i < f->batch.n_entries; i++) {
                const struct batch_entry *e = &f->batch.entries[i];
                struct watermark *w = wm_of(ins, e->partition);
                if (w)
                        watermark_done(w, e->offset);
        }
}

static void reset_to_committed(struct inspector *ins);

/* Exactly-once: the offsets a transaction commits, from
 * flights_txn_select()'s points (an unchanged one is committed again:
 * harmless); NULL when there are none. */
static rd_kafka_topic_partition_list_t *txn_points(struct inspector *ins,
                                                   const int64_t *cap)
{
        rd_kafka_topic_partition_list_t *offsets = NULL;

        for (int p = 0; p < PACE_MAX_PARTITIONS; p++) {
                if (!ins->wm[p] || cap[p] < 0)
                        continue;
                if (!offsets)
                        offsets = rd_kafka_topic_partition_list_new(4);
                rd_kafka_topic_partition_list_add(
                    offsets, ins->cfg.common.topic_events, p)
                    ->offset = cap[p];
        }
        return offsets;
}

/* Exactly-once: records and offsets move together, so a batch's records
 * may only be committed with its offsets: a finished batch is held until
 * every batch before it (per partition) is finished too, then one
 * transaction writes the records of the whole contiguous done prefix and
 * its commit points. A read_committed consumer sees each batch's records
 * once or not at all. After an abort everything in memory is dropped and
 * the partitions are read again from their committed offsets. */
static void commit_transaction(struct inspector *ins)
{
        rd_kafka_consumer_group_metadata_t *cgmd;
        rd_kafka_topic_partition_list_t *offsets;
        rd_kafka_error_t *error;
        char batch_id[160];
        int tries = 0, n = 0;

        int64_t cap[PACE_MAX_PARTITIONS];

        for (int p = 0; p < PACE_MAX_PARTITIONS; p++)
                cap[p] = ins->wm[p] ? watermark_contiguous(ins->wm[p]) : -1;
        n = (int)flights_txn_select(&ins->flights, cap, PACE_MAX_PARTITIONS);
        if (n == 0)
                return;
        error = rd_kafka_begin_transaction(ins->producer);
        if (error) {
                LOG_ERROR("begin transaction: %s",
                          rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                dlp_stop_failure();
                return;
        }
        for (size_t i = 0; i < ins->flights.n; i++) {
                struct flight *f = ins->flights.v[i];
                if (f->held != 2) /* not in this transaction */
                        continue;
                snprintf(batch_id, sizeof(batch_id), "%s-%lld", ins->instance,
                         f->seq);
                produce_results(ins, f, batch_id, NULL);
        }
        offsets = txn_points(ins, cap);
        cgmd = rd_kafka_consumer_group_metadata(ins->consumer);
        error = offsets ? rd_kafka_send_offsets_to_transaction(
                              ins->producer, offsets, cgmd, 30000)
                        : NULL;
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        if (offsets)
                rd_kafka_topic_partition_list_destroy(offsets);
        if (!error)
                error = rd_kafka_commit_transaction(ins->producer, 30000);
        while (error && rd_kafka_error_is_retriable(error) && tries++ < 3) {
                rd_kafka_error_destroy(error);
                error = rd_kafka_commit_transaction(ins->producer, 30000);
        }
        if (!error) {
                ins->commits++;
                ins->delivery.outstanding = 0;
                for (size_t i = 0; i < ins->flights.n;)
                        if (ins->flights.v[i]->held == 2)
                                flights_remove(&ins->flights,
                                               ins->flights.v[i]);
                        else
                                i++;
                return;
        }
        LOG_WARN("transaction of %d batches: %s", n,
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
                        reset_to_committed(ins);
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

/* At-least-once: commits what the watermarks allow (offsets of records
 * whose results were delivered). A commit the group refuses means it moved
 * on without us. */
static void commit_done(struct inspector *ins)
{
        rd_kafka_topic_partition_list_t *offsets = commit_points(ins);
        rd_kafka_resp_err_t err;

        if (!offsets)
                return;
        err = rd_kafka_commit(ins->consumer, offsets, 0);
        rd_kafka_topic_partition_list_destroy(offsets);
        if (!err) {
                ins->commits++;
                return;
        }
        LOG_WARN("commit: %s (its events will be inspected again)",
                 rd_kafka_err2str(err));
        /* the group moved on without us: every batch sent before we rejoin
         * would be wasted quota and duplicates; the consumer rejoins at its
         * next poll, which we keep making */
        if (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
            err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
            err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID) {
                ins->rejoining = 1;
                ins->refused_commits++;
                atomic_store(&ins->out_of_group, 1);
        }
}

/* Commits on an interval, not per batch: a synchronous commit is a round
 * trip to the coordinator, and at a high R a batch finishes every few
 * milliseconds (DESIGN §4). \p force: now (revocation, stop). */
static void commit_due(struct inspector *ins, int force)
{
        double now = dlp_wall_s();

        if (!force && now - ins->last_commit < COMMIT_INTERVAL_S)
                return;
        ins->last_commit = now;
        if (ins->cfg.exactly_once)
                commit_transaction(ins);
        else
                commit_done(ins);
}

/* At-least-once: a flight whose records all have their delivery reports is
 * done: its offsets are marked done in the watermarks and it is
 * forgotten. A record that could not be written stops the inspector
 * without marking anything done again: the events are inspected again
 * after a restart. */
static void reap_written(struct inspector *ins)
{
        struct flight *f;

        rd_kafka_poll(ins->producer, 0);
        if (ins->delivery.failed && dlp_stopping != DLP_STOP_FAILURE) {
                LOG_ERROR("results not all written: stopping without "
                          "committing them");
                dlp_stop_failure();
        }
        while ((f = flights_written(&ins->flights)) != NULL) {
                if (!ins->delivery.failed)
                        mark_done(ins, f);
                flights_remove(&ins->flights, f);
        }
}

/* Waits for every delivery report of the flights being written (they point
 * to their flight, so none may be freed before). */
static void drain_writes(struct inspector *ins)
{
        while (flights_writing(&ins->flights) > 0) {
                rd_kafka_flush(ins->producer, 100);
                reap_written(ins);
        }
}

/* Writes a finished flight's records: at-least-once they are produced now
 * and the flight is done when their delivery reports are in
 * (reap_written); in exactly-once mode it is held until the batches before
 * it are done and the next transaction takes it. */
static void finish_flight(struct inspector *ins, struct flight *f)
{
        char batch_id[160];

        LOG_DEBUG("batch %lld: %zu events, %zu rows, %d requests", f->seq,
                  f->batch.n_entries, f->batch.n_rows, f->attempt);
        if (ins->cfg.exactly_once) {
                mark_done(ins, f);
                f->held = 1;
        } else {
                snprintf(batch_id, sizeof(batch_id), "%s-%lld", ins->instance,
                         f->seq);
                f->writing = 1;
                produce_results(ins, f, batch_id, f);
                batch_release_written(&f->batch);
        }
}

/* Handles one answer of a request in flight. */
static void on_answer(struct inspector *ins, struct flight *f, int rc,
                      struct dlp_http_result *res, const char *errstr)
{
        struct backend_answer info;
        char msg[600];
        double late = res->sent_at - f->slot_start;
        enum flight_outcome out;

        /* lateness where the request actually left: its first bytes
         * written to the socket, connection set-up included (DESIGN §4) */
        if (res->sent_at > 0) {
                dlp_hist_observe(&ins->send_lateness, late > 0 ? late : 0);
                if (late > ins->pace.late)
                        ins->late_sends++;
        }
        dlp_hist_observe(&ins->request_latency, res->elapsed_s);
        out = flight_answer(&ins->flights, f, rc, res, dlp_wall_s(), &info, msg,
                            sizeof(msg));
        ins->dropped_findings += info.dropped;
        switch (out) {
        case FLIGHT_ANSWERED:
                LOG_DEBUG("batch %lld: answer in %.0f ms", f->seq,
                          res->elapsed_s * 1000);
                break;
        case FLIGHT_SPLIT:
                ins->truncated_splits++;
                LOG_INFO("batch %lld: %s", f->seq, msg);
                break;
        case FLIGHT_BISECTED:
        case FLIGHT_POISON:
                LOG_WARN("batch %lld: %s", f->seq, msg);
                break;
        case FLIGHT_RETRY:
        case FLIGHT_REFUSED:
                ins->retries++;
                if (rc != DLP_OK)
                        LOG_WARN("DLP request failed: %s", errstr);
                else {
                        if (res->status == 429)
                                ins->rejected++;
                        DLP_LOG(out == FLIGHT_RETRY ? DLP_LOG_WARN
                                                    : DLP_LOG_ERROR,
                                NULL, "%s", msg);
                }
                break;
        case FLIGHT_UNUSABLE:
                ins->unusable++;
                ins->retries++;
                LOG_WARN("batch %lld: %s", f->seq, msg);
                break;
        case FLIGHT_GAVE_UP:
                ins->unusable++;
                LOG_ERROR("batch %lld: %s: its rows go to the dead letters",
                          f->seq, msg);
                break;
        case FLIGHT_NOMEM:
                LOG_ERROR("out of memory");
                dlp_stop_failure();
                break;
        }
}

/* Takes every answer that arrived and, with \p finish, writes and commits
 * the flights that are done (a few ms: not just before a slot). Never
 * sends. */
static void serve_answers(struct inspector *ins, int finish)
{
        struct dlp_http_result res;
        char errstr[512];
        struct flight *f;
        int rc;

        while ((f = dlp_httpm_done(ins->http, &res, &rc, errstr,
                                   sizeof(errstr))) != NULL) {
                on_answer(ins, f, rc, &res, errstr);
                dlp_http_result_free(&res);
        }
        while (finish && (f = flights_finished(&ins->flights)) != NULL &&
               dlp_stopping != DLP_STOP_FAILURE)
                finish_flight(ins, f);
        reap_written(ins);
        if (finish && !ins->rejoining)
                commit_due(ins, 0);
        atomic_store(&ins->in_flight, (unsigned long)ins->flights.n);
}

/* Abandons the flights holding messages of \p parts (all when NULL): their
 * requests are cancelled, their messages dropped. */
static void abandon_flights(struct inspector *ins,
                            const rd_kafka_topic_partition_list_t *parts)
{
        drain_writes(ins);
        for (size_t i = 0; i < ins->flights.n;) {
                struct flight *f = ins->flights.v[i];
                int hit = !parts;
                for (int p = 0; !hit && p < parts->cnt; p++)
                        hit = flight_has_partition(f, parts->elems[p].topic,
                                                   parts->elems[p].partition);
                if (!hit) {
                        i++;
                        continue;
                }
                if (f->out)
                        dlp_httpm_cancel(ins->http, f);
                flights_remove(&ins->flights, f);
        }
        atomic_store(&ins->in_flight, (unsigned long)ins->flights.n);
}

/* Waits up to DLP_REVOKE_WAIT_MS for the answers of the requests out
 * (their quota is spent) and finishes what is done: produced, delivered
 * and committed. Sends nothing. */
static void settle_flights(struct inspector *ins)
{
        int64_t end = dlp_mono_ms() + ins->cfg.revoke_wait_ms;

        serve_answers(ins, 1);
        while (flights_out(&ins->flights) > 0 && dlp_mono_ms() < end &&
               dlp_stopping != DLP_STOP_FAILURE) {
                dlp_httpm_wait(ins->http, 20);
                serve_answers(ins, 1);
        }
        drain_writes(ins);
        if (!ins->rejoining)
                commit_due(ins, 1);
}

/* Drops everything in memory (flights, the open batch, the carry, the
 * watermarks) and reads the assigned partitions again from their committed
 * offsets: after an aborted transaction, or a revocation that left
 * partitions whose messages were in abandoned flights. */
static void reset_to_committed(struct inspector *ins)
{
        rd_kafka_topic_partition_list_t *assigned = NULL;
        rd_kafka_error_t *error;

        abandon_flights(ins, NULL);
        files_drop_partitions(ins->files, NULL, NULL);
        batch_clear(&ins->batch);
        for (size_t i = 0; i < ins->n_carry; i++)
                rd_kafka_message_destroy(ins->carry[i]);
        ins->n_carry = 0;
        for (int p = 0; p < PACE_MAX_PARTITIONS; p++)
                if (ins->wm[p])
                        watermark_reset(ins->wm[p]);
        if (rd_kafka_assignment(ins->consumer, &assigned) || !assigned)
                return;
        if (assigned->cnt > 0 &&
            !rd_kafka_committed(ins->consumer, assigned, 10000)) {
                for (int i = 0; i < assigned->cnt; i++)
                        if (assigned->elems[i].offset < 0)
                                assigned->elems[i].offset =
                                    RD_KAFKA_OFFSET_STORED;
                error = rd_kafka_seek_partitions(ins->consumer, assigned, 5000);
                if (error) {
                        LOG_WARN("rewind to the committed offsets: %s",
                                 rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                }
        }
        rd_kafka_topic_partition_list_destroy(assigned);
}

/* Assignment changes move slots at once. On revocation the requests in
 * flight get a bounded time to be answered (their quota is spent): what
 * finishes is produced and committed while we still own it; the rest is
 * dropped for the new owner, and nothing is produced for a revoked
 * partition afterwards. */
static void on_rebalance(void *opaque, rd_kafka_resp_err_t err,
                         const rd_kafka_topic_partition_list_t *parts)
{
        struct inspector *ins = opaque;
        int assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
        const char *topic = ins->cfg.common.topic_events;

        ins->rejoining = 0;
        atomic_store(&ins->out_of_group, 0);
        if (!assign) {
                rd_kafka_topic_partition_list_t *left = NULL;

                settle_flights(ins);
                abandon_flights(ins, parts);
                batch_drop_partitions(&ins->batch, topic, parts);
                carry_drop_partitions(ins, parts);
                files_drop_partitions(ins->files, topic, parts);
                for (int i = 0; i < parts->cnt; i++)
                        if (!strcmp(parts->elems[i].topic, topic) &&
                            wm_of(ins, parts->elems[i].partition))
                                watermark_reset(
                                    ins->wm[parts->elems[i].partition]);
                /* an abandoned flight may have held messages of partitions
                 * we keep (never with the eager assignor, which revokes
                 * all): those are read again from their commit */
                if (!rd_kafka_assignment(ins->consumer, &left) && left) {
                        int kept = 0;
                        for (int i = 0; i < left->cnt; i++)
                                kept |= !in_parts(parts, left->elems[i].topic,
                                                  left->elems[i].partition);
                        rd_kafka_topic_partition_list_destroy(left);
                        if (kept)
                                reset_to_committed(ins);
                }
        }
        if (assign)
                atomic_store(&ins->owned, (unsigned long)parts->cnt);
        else
                atomic_store(&ins->owned, 0);
        for (int i = 0; i < parts->cnt; i++)
                if (!strcmp(parts->elems[i].topic, topic))
                        pace_own(&ins->pace, parts->elems[i].partition, assign);
}

/* Takes one polled message: into the open batch while it takes more, else
 * into the carry. Returns 0 when the poll gave nothing. */
static int take_polled(struct inspector *ins, int timeout_ms)
{
        rd_kafka_message_t *rkm =
            rd_kafka_consumer_poll(ins->consumer, timeout_ms);

        if (!rkm)
                return 0;
        atomic_fetch_add_explicit(&ins->polled, 1, memory_order_relaxed);
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

/* Enough is waiting for the next batch: leave the rest in librdkafka's
 * queue. */
static int backlogged(const struct inspector *ins)
{
        return !accepting(ins) && ins->n_carry >= 2 * ins->batch.max_items;
}

/* Something to send: a flight due again, or a batch and room to start it. */
static int work_ready(struct inspector *ins, double now)
{
        return flights_ready(&ins->flights, now) ||
               (!batch_empty(&ins->batch) && !flights_full(&ins->flights));
}

/* Until wall time \p deadline: takes answers, fills the open batch, and
 * serves the group protocol. The consumer is polled at least every 100 ms
 * whatever the batches are doing (one message at most, when backlogged):
 * a rebalance is only ever served from a poll, and a member that stops
 * polling falls out of the group. With \p for_work, it returns as soon
 * as there is something to send. */
static void serve_until(struct inspector *ins, double deadline, int for_work)
{
        int64_t last_poll = dlp_mono_ms();

        while (!dlp_stopping) {
                double left = deadline - dlp_wall_s();
                int wait_ms;

                /* waiting for work ends when there is some: a fetch that
                 * arrives while the batch is empty must not wait out the
                 * 100 ms (at R = 1,000 that was most of the time) */
                if (for_work && work_ready(ins, dlp_wall_s()))
                        break;

                /* writing and committing a batch takes a few ms: not in
                 * the last 30 ms before a slot, which must start on time */
                serve_answers(ins, left > 0.03);
                if (left > 0.03) /* a large file's rows take ms: not now */
                        files_into_batch(ins);
                if (left <= 0.003) {
                        /* slots a few ms apart (a high R): what is fetched
                         * is still taken, without blocking, but never
                         * past the slot */
                        while (!backlogged(ins) &&
                               dlp_wall_s() < deadline - 0.0005 &&
                               take_polled(ins, 0))
                                ;
                        break;
                }
                wait_ms = left > 0.102 ? 100 : (int)((left - 0.002) * 1000);
                if (dlp_httpm_running(ins->http) > 0) {
                        /* answers first: wake on them, poll Kafka between */
                        dlp_httpm_wait(ins->http, wait_ms < 5 ? wait_ms : 5);
                        wait_ms = 0;
                }
                if (backlogged(ins) && !ins->rejoining) {
                        if (dlp_mono_ms() - last_poll >= 100) {
                                take_polled(ins, 0);
                                last_poll = dlp_mono_ms();
                        } else if (wait_ms > 0)
                                dlp_sleep_ms(wait_ms < 10 ? wait_ms : 10);
                        continue;
                }
                last_poll = dlp_mono_ms();
                /* what is fetched is taken at once, but never past the
                 * deadline: parsing a batch's events takes milliseconds */
                if (take_polled(ins, wait_ms))
                        while (!backlogged(ins) &&
                               dlp_wall_s() < deadline - 0.003 &&
                               take_polled(ins, 0))
                                ;
        }
}

/* Hands the request built for \p f to libcurl, which writes it to the
 * socket before returning when a connection is free. */
static void send_request(struct inspector *ins, struct flight *f, char *body,
                         size_t len, struct plan_range r)
{
        char errstr[512];

        ins->requests++;
        ins->rows += r.hi - r.lo;
        if (dlp_httpm_post_json(ins->http, ins->url, ins->cfg.token, body, len,
                                f, &f->sent_at, errstr,
                                sizeof(errstr)) != DLP_OK) {
                LOG_ERROR("DLP request not started: %s", errstr);
                flight_unsend(f);
                f->retry_at = dlp_wall_s() + 1;
                return;
        }
        atomic_store(&ins->last_request, (unsigned long)dlp_wall_s());
}

/* Seals the open batch into a flight, or NULL. */
static struct flight *seal(struct inspector *ins)
{
        struct flight *f;

        if (batch_empty(&ins->batch) || flights_full(&ins->flights))
                return NULL;
        f = flights_start(&ins->flights, &ins->batch, ++ins->batch_seq);
        if (!f) {
                LOG_ERROR("out of memory");
                dlp_stop_failure();
                return NULL;
        }
        atomic_store(&ins->in_flight, (unsigned long)ins->flights.n);
        return f;
}

static void run(struct inspector *ins)
{
        int64_t last_report = dlp_mono_ms();

        while (!dlp_stopping) {
                long long slot;
                double start, now, from;
                struct flight *f;
                struct plan_range r;
                size_t len;
                char *body;

                refresh_partitions(ins);
                refresh_token(ins);
                files_into_batch(ins); /* fetched before polled: older */
                take_carry(ins);
                serve_answers(ins, 1);
                if (dlp_mono_ms() - last_report > 10000) {
                        last_report = dlp_mono_ms();
                        LOG_INFO("events=%lu requests=%lu rejected=%lu "
                                 "retries=%lu dead=%lu findings=%lu "
                                 "in_flight=%zu late_sends=%lu",
                                 ins->events, ins->requests, ins->rejected,
                                 ins->retries, ins->dead, ins->findings,
                                 ins->flights.n, ins->late_sends);
                }
                if (ins->rejoining) { /* send nothing until reassigned */
                        serve_until(ins, dlp_wall_s() + 0.1, 0);
                        continue;
                }
                /* only dead letters or empty texts: nothing to send */
                if (!batch_empty(&ins->batch) && ins->batch.n_rows == 0 &&
                    seal(ins))
                        continue;
                now = dlp_wall_s();
                if (work_ready(ins, now))
                        from = now;
                else if ((from = flights_next_ready(&ins->flights)) < 0 ||
                         from > now + 0.1) {
                        /* nothing to send: wait for work, not for slots */
                        serve_until(ins, now + 0.1, 1);
                        continue;
                }
                /* what is already fetched fills the open batch first: at
                 * a high R a slot is always open, and a request per event
                 * would waste them */
                while (!backlogged(ins) && accepting(ins) &&
                       dlp_wall_s() < now + 0.002 && take_polled(ins, 0))
                        ;
                /* an owned slot still open now, else the next one; none
                 * before a retry is due */
                slot = pace_current(&ins->pace, from);
                if (slot < 0)
                        slot = pace_next_owned(
                            &ins->pace, pace_slot_at(&ins->pace, from) + 1);
                if (slot < 0) { /* no partitions: nothing to do but wait */
                        serve_until(ins, now + 0.1, 0);
                        continue;
                }
                start = pace_slot_start(&ins->pace, slot);
                serve_until(ins, start, 0);
                if (dlp_stopping || ins->rejoining)
                        continue;
                /* older batches first: their commits hold the others up */
                f = flights_ready(&ins->flights, start);
                if (!f && ins->batch.n_rows > 0)
                        f = seal(ins);
                if (!f)
                        continue;
                /* everything slow (serializing up to DLP_BATCH_MAX_BYTES)
                 * happens before the slot: at its start only the check and
                 * the hand-over to the socket are left */
                if (!(body = flight_request(f, start, &len, &r))) {
                        LOG_ERROR("out of memory building a request");
                        dlp_stop_failure();
                        break;
                }
                sleep_until(start);
                /* ownership may have moved during the poll; and a slot
                 * started too late is given up, not squeezed in */
                if (!pace_may_start(&ins->pace, slot, dlp_wall_s())) {
                        if (ins->pace.owned[pace_slot_owner(&ins->pace, slot)])
                                ins->late_slots++;
                        flight_unsend(f);
                        free(body);
                        continue;
                }
                pace_mark_used(&ins->pace, slot);
                send_request(ins, f, body, len, r);
        }
}

/* The fetch stage for files (files.h, DESIGN §14). */
static int files_init(struct inspector *ins, char *errstr, size_t errstr_size)
{
        const struct files_opts o = {
            .api_url = ins->cfg.slack_api_url,
            .token = ins->cfg.slack_token,
            .download_hosts = ins->cfg.file_download_hosts,
            .max_bytes = (size_t)ins->cfg.file_max_bytes,
            .timeout_ms = ins->cfg.file_timeout_ms,
            .max_tries = (int)ins->cfg.file_fetch_tries,
            .max_in_flight = (size_t)ins->cfg.file_max_in_flight,
            .threads = (int)ins->cfg.file_fetch_threads,
            .memory_bytes = (size_t)ins->cfg.file_memory_bytes,
        };

        ins->files = files_new(&o, errstr, errstr_size);
        if (!ins->files)
                return DLP_ERR_NOMEM;
        if (o.token && *o.token)
                LOG_INFO("files: fetched from %s by %d threads, up to %ld "
                         "bytes each, %ld files and %ld bytes in memory at "
                         "once",
                         o.api_url, o.threads, ins->cfg.file_max_bytes,
                         ins->cfg.file_max_in_flight,
                         ins->cfg.file_memory_bytes);
        else
                LOG_WARN("SLACK_BOT_TOKEN is not set: the contents of shared "
                         "files are not inspected (the events' texts are)");
        return DLP_OK;
}

/* What to look for (detect_config.h): the detection settings become the
 * members of every request, checked before anything is consumed. A config
 * that leaves no room for a row in DLP_BATCH_MAX_BYTES is refused too. */
static int detection_init(struct inspector *ins, char *errstr,
                          size_t errstr_size)
{
        struct detect_config dc;
        json_t *members;
        char *wrapped;
        size_t envelope;
        int rc;

        rc = detect_config_init(
            &dc, ins->cfg.info_types, ins->cfg.inspect_template,
            ins->cfg.inspect_config_file, errstr, errstr_size);
        if (rc)
                return rc;
        wrapped = malloc(dc.fragment_len + 3);
        if (!wrapped) {
                detect_config_free(&dc);
                snprintf(errstr, errstr_size, "out of memory");
                return DLP_ERR_NOMEM;
        }
        snprintf(wrapped, dc.fragment_len + 3, "{%s}", dc.fragment);
        members = json_loads(wrapped, 0, NULL);
        free(wrapped);
        if (!members) {
                detect_config_free(&dc);
                snprintf(errstr, errstr_size, "out of memory");
                return DLP_ERR_NOMEM;
        }
        rc = backend_init(&ins->backend, &gdlp_backend_ops, members, errstr,
                          errstr_size); /* members now owned by the backend */
        if (rc) {
                detect_config_free(&dc);
                return rc;
        }
        envelope = ins->backend.ops->envelope_bytes(&ins->backend);
        LOG_INFO("detection: %zu built-in and %zu custom info types%s%s; "
                 "%zu bytes of every request",
                 dc.info_types, dc.custom_types,
                 ins->cfg.inspect_template && *ins->cfg.inspect_template
                     ? ", template "
                     : "",
                 ins->cfg.inspect_template ? ins->cfg.inspect_template : "",
                 envelope);
        detect_config_free(&dc);
        if (envelope + 1024 > (size_t)ins->cfg.batch_max_bytes) {
                snprintf(errstr, errstr_size,
                         "DLP_INSPECT_CONFIG_FILE: the inspect config takes "
                         "%zu of the %ld bytes of DLP_BATCH_MAX_BYTES, leaving "
                         "no room for messages",
                         envelope, ins->cfg.batch_max_bytes);
                backend_term(&ins->backend);
                return DLP_ERR_CONFIG;
        }
        return DLP_OK;
}

int main(int argc, char **argv)
{
        struct inspector *ins = calloc(1, sizeof(*ins));
        char errstr[512], host[64] = "inspector", txn_id[160], session[24],
                          prefetch[24];
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
        if (detection_init(ins, errstr, sizeof(errstr)) != DLP_OK) {
                LOG_ERROR("%s", errstr);
                rc = 2;
                goto out_config;
        }
        batch_init(&ins->batch, &ins->backend, (size_t)ins->cfg.batch_max_items,
                   (size_t)ins->cfg.batch_max_bytes);
        if (files_init(ins, errstr, sizeof(errstr)) != DLP_OK) {
                LOG_ERROR("%s", errstr);
                rc = 1;
                goto out_config;
        }
        flights_init(&ins->flights, (size_t)ins->cfg.max_in_flight,
                     (int)ins->cfg.answer_max_tries, ins->cfg.retry_max_s);
        if (dlp_httpc_global_init() != DLP_OK ||
            !(ins->http = dlp_httpm_new(ins->cfg.request_timeout_ms,
                                        ins->cfg.max_in_flight))) {
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
        ins->producer =
            dlp_kafka_producer_new(&ins->cfg.common, "dlp-inspector",
                                   ins->cfg.exactly_once ? txn_props : NULL,
                                   on_delivery, ins, errstr, sizeof(errstr));
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
        snprintf(prefetch, sizeof(prefetch), "%ld",
                 pace_prefetch_kbytes(ins->cfg.prefetch_kbytes,
                                      ins->cfg.rate_limit));
        /* prefetch sized to the rate (pace_prefetch_kbytes), refilled as it
         * drains (refill.h); pause/resume is
         * never used: on librdkafka < 2.4 an app pause survives re-assignment
         * and resuming an unpaused partition refetches from a stale offset
         * (librdkafka #4637), i.e. duplicates */
        const char *consumer_props[] = {
            "session.timeout.ms", session, "queued.max.messages.kbytes",
            prefetch,
            /* a fetch response is one allocation, alive until the last of
             * its messages is destroyed, and one may arrive when the
             * prefetch is all but full: 1 MiB, not up to 1 MiB per
             * partition (DESIGN §15); a larger record still comes alone */
            "fetch.max.bytes", "1048576",
            /* a member learns of a rebalance (a member joining, leaving)
             * at its next heartbeat: until then a leaver's slots idle and
             * a joiner gets none. With librdkafka's 3 s, the first of 3
             * inspectors started together held all 12 partitions ~3 s and
             * drained partitions that went to another, which ran dry
             * 6.5-9 s before the others finished (DESIGN §4) */
            "heartbeat.interval.ms", "1000",
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
            C(commits, "commits_total",
              "offset commits (transactions in exactly-once mode), each "
              "covering the batches finished since the last"),
            C(refused_commits, "refused_commits_total",
              "commits refused because the group moved on without this "
              "member (each followed by a rejoin; the batches are inspected "
              "again)"),
            C(late_slots, "late_slots_total",
              "owned slots given up because the start was late"),
            C(late_sends, "late_sends_total",
              "requests whose bytes left later than the tolerated lateness "
              "after their slot's start (connection set-up included)"),
            C(unusable, "unusable_answers_total",
              "200 answers that could not be used (retried, then "
              "dead-lettered)"),
            C(dropped_findings, "dropped_findings_total",
              "findings without a usable location, dropped"),
            C(truncated_splits, "truncated_splits_total",
              "answers with findingsTruncated whose rows were inspected "
              "again in halves"),
            C(fetch_wakes, "fetch_wakes_total",
              "times librdkafka's fetch was woken because the prefetch "
              "drained fast (DESIGN §15)"),
            {"dlp_inspector_in_flight",
             "batches in flight (sealed, not yet written)", DLP_GAUGE,
             &ins->in_flight, NULL},
            {"dlp_inspector_out_of_group",
             "1 while a commit said the group moved on and the member is "
             "rejoining (it sends nothing then)",
             DLP_GAUGE, &ins->out_of_group, NULL},
            {"dlp_inspector_owned_partitions",
             "partitions assigned: this inspector owns that many of "
             "every partitions slots",
             DLP_GAUGE, &ins->owned, NULL},
            {"dlp_inspector_partitions", "partitions of the events topic",
             DLP_GAUGE, &ins->partitions, NULL},
            {"dlp_inspector_last_request_timestamp_seconds",
             "unix time of the last DLP request sent (0: none yet): with a "
             "backlog an inspector sends in each of its slots, so from then "
             "on its partitions had nothing left to inspect",
             DLP_GAUGE, &ins->last_request, NULL},
            {"dlp_inspector_request_seconds", "DLP request latency",
             DLP_HISTOGRAM, NULL, &ins->request_latency},
            {"dlp_inspector_send_lateness_seconds",
             "from a slot's start to the moment its request's bytes left",
             DLP_HISTOGRAM, NULL, &ins->send_lateness},
        };
#undef C
        struct dlp_metric all[64];
        size_t nall = sizeof(metrics) / sizeof(metrics[0]);
        memcpy(all, metrics, sizeof(metrics));
        nall += files_metrics(ins->files, all + nall,
                              sizeof(all) / sizeof(all[0]) - nall);
        struct dlp_admin *admin = dlp_admin_start_consumer(
            ins->cfg.common.admin_addr, "inspector", all, nall, ins->producer,
            ins->consumer, "events of its partitions not yet committed");
        dlp_admin_unready_when(admin, &ins->out_of_group,
                               "out of the consumer group after a failed "
                               "commit: rejoining");

        /* the refill thread stops before the consumer closes */
        struct dlp_refill *refill = dlp_refill_start(
            ins->consumer, REFILL_INTERVAL_MS, &ins->polled, &ins->fetch_wakes);
        if (!refill)
                LOG_WARN("no refill thread: the prefetch is refilled about "
                         "once a second");
        run(ins);
        dlp_refill_stop(refill);
        dlp_admin_stop(admin);

        /* answers in flight get the revocation's time; what finishes is
         * written and committed, an unfinished batch is not: its events
         * come back to the next owner */
        settle_flights(ins);
        abandon_flights(ins, NULL);
        LOG_INFO("stopping: events=%lu requests=%lu rejected=%lu retries=%lu "
                 "dead=%lu findings=%lu commits=%lu late_slots=%lu "
                 "late_sends=%lu fetch_wakes=%lu",
                 ins->events, ins->requests, ins->rejected, ins->retries,
                 ins->dead, ins->findings, ins->commits, ins->late_slots,
                 ins->late_sends, ins->fetch_wakes);
        /* the messages go before the consumer (librdkafka wants them back
         * first), and the batch and carry are left empty: closing the
         * consumer runs the revocation, which drops them again */
        batch_clear(&ins->batch);
        files_stop(ins->files); /* downloads aborted, their events dropped */
        for (size_t i = 0; i < ins->n_carry; i++)
                rd_kafka_message_destroy(ins->carry[i]);
        ins->n_carry = 0;
        dlp_kafka_consumer_destroy(ins->consumer);
out_producer:
        if (dlp_kafka_drain(ins->producer, 10000) > 0)
                LOG_ERROR("records still unconfirmed at exit");
        rd_kafka_destroy(ins->producer);
out_http:
        dlp_httpm_destroy(ins->http);
out_config:
        dlp_config_free(&inspector_spec, &ins->cfg);
        free(ins->carry);
        flights_term(&ins->flights);
        files_destroy(ins->files); /* after the batches holding its files */
        backend_term(&ins->backend);
        record_buf_free(&ins->record);
        for (int p = 0; p < PACE_MAX_PARTITIONS; p++)
                watermark_free(ins->wm[p]);
        free(ins);
        return rc ? rc : dlp_stopping == DLP_STOP_FAILURE;
}
