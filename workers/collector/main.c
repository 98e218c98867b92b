/* main.c - dlp-collector: Slack Events API callbacks (or a JSONL replay)
 * into event records on Kafka.
 *
 * Delivery rule (DESIGN §3): Slack gets 200 only after the Kafka delivery
 * report for the event arrived; if Kafka cannot take it within the ack
 * deadline the answer is 503 and Slack retries. Waiting requests are
 * suspended, not parked on threads. */
#include "admin.h"
#include "config.h"
#include "dedupe.h"
#include "err.h"
#include "event.h"
#include "fleet.h"
#include "front.h"
#include "httpd.h"
#include "kafka.h"
#include "log.h"
#include "settings.h"
#include "slack_sig.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A body this size or smaller is an ordinary event (Slack's are a few KiB)
 * and may use the whole body budget; larger ones only half of it, so a
 * flood of large bodies cannot starve ordinary events (DESIGN §12). */
#define SMALL_BODY (64 * 1024)

/* An event waiting for Kafka's word, and the Slack request waiting for ours.
 * It lives until its delivery report arrives; the request is answered by
 * that report or, if Kafka is slower than the ack deadline, with 503 at the
 * deadline, whichever comes first. Reports and deadlines are both handled
 * on the main thread; the list is shared with the HTTP threads. */
struct waiting {
        struct dlp_http_pending *http;
        struct collector *col;
        int64_t start_ms, deadline_ms;
        int answered;                /* under collector.lock (see claim) */
        int linked;                  /* under collector.lock */
        struct waiting *prev, *next; /* in deadline order */
        char event_id[];             /* the whole key, for the dedupe */
};

struct collector {
        struct collector_config cfg;
        rd_kafka_t *rk;
        const char *secrets[2];
        size_t nsecrets;
        atomic_int closing;    /* refuse new events: we are stopping */
        atomic_ulong inflight; /* requests waiting for a delivery report */
        /* counters */
        atomic_ulong accepted, skipped, retries_seen, duplicates,
            duplicates_in_flight, refused_auth, refused_bad, failed_kafka;
        atomic_ulong skipped_by[EVENT_REASON_CNT]; /* skipped, by reason */
        struct dedupe *dedupe;          /* NULL: off (and in replay) */
        struct dlp_httpd_counters http; /* what the door refused */
        atomic_ulong answered_at_deadline;
        struct dlp_hist ack_latency; /* request in -> answer out */
        pthread_mutex_t lock;        /* of the waiting list */
        struct waiting *head, *tail;
        /* replay */
        long replay_delivered, replay_failed;
};

static void waiting_link(struct collector *col, struct waiting *w)
{
        pthread_mutex_lock(&col->lock);
        w->prev = col->tail;
        w->next = NULL;
        if (col->tail)
                col->tail->next = w;
        else
                col->head = w;
        col->tail = w;
        w->linked = 1;
        pthread_mutex_unlock(&col->lock);
}

/* Caller holds col->lock. */
static void waiting_unlink(struct collector *col, struct waiting *w)
{
        if (!w->linked)
                return;
        if (w->prev)
                w->prev->next = w->next;
        else
                col->head = w->next;
        if (w->next)
                w->next->prev = w->prev;
        else
                col->tail = w->prev;
        w->linked = 0;
}

/* Takes \p w off the list and the right to answer it: 1 for the first
 * caller only. A deadline (main thread), a delivery report (main thread)
 * and a failed produce (an HTTP thread) may race for one request; deciding
 * under the lock means it is completed once. Caller holds col->lock. */
static int claim_locked(struct collector *col, struct waiting *w)
{
        int mine = !w->answered;

        waiting_unlink(col, w);
        w->answered = 1;
        return mine;
}

static int claim(struct collector *col, struct waiting *w)
{
        int mine;

        pthread_mutex_lock(&col->lock);
        mine = claim_locked(col, w);
        pthread_mutex_unlock(&col->lock);
        return mine;
}

/* Completes the request: only after claim() said it is ours. */
static void answer(struct waiting *w, int status, const char *text)
{
        struct dlp_http_resp resp = {0};

        dlp_hist_observe(&w->col->ack_latency,
                         (double)(dlp_mono_ms() - w->start_ms) / 1000);
        dlp_http_resp_text(&resp, status, text);
        dlp_http_complete(w->http, &resp);
}

/* Answers 503 to every request whose deadline passed (all of them with
 * INT64_MAX); their events' reports may still come, and only settle the
 * dedupe state then. */
static void answer_late(struct collector *col, int64_t now_ms)
{
        pthread_mutex_lock(&col->lock);
        while (col->head && col->head->deadline_ms <= now_ms) {
                struct waiting *w = col->head;
                if (!claim_locked(col, w))
                        continue;
                atomic_fetch_add(&col->answered_at_deadline, 1);
                /* under the lock: a failed produce that frees w waits */
                answer(w, 503, "event not confirmed in time, retry\n");
        }
        pthread_mutex_unlock(&col->lock);
}

/* Delivery report: the moment an event is safe, or is not. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque)
{
        struct collector *col = opaque;
        struct waiting *w = rkm->_private;

        if (!w) { /* replay: no one is waiting */
                if (rkm->err) {
                        col->replay_failed++;
                        LOG_ERROR("replay: not written: %s",
                                  rd_kafka_err2str(rkm->err));
                } else
                        col->replay_delivered++;
                return;
        }
        /* the id the request claimed, whole (a key cut to a buffer once
         * left the real one pending: its retries got 503 for ever) */
        if (col->dedupe)
                dedupe_finish(col->dedupe, w->event_id, rkm->err == 0);
        if (rkm->err) {
                atomic_fetch_add(&col->failed_kafka, 1);
                LOG_EV(DLP_LOG_WARN, w->event_id,
                       "event not written, answering 503: %s",
                       rd_kafka_err2str(rkm->err));
                if (claim(col, w))
                        answer(w, 503, "event not stored, retry\n");
        } else {
                atomic_fetch_add(&col->accepted, 1);
                if (claim(col, w))
                        answer(w, 200, "");
        }
        free(w);
        atomic_fetch_sub(&col->inflight, 1);
}

static int produce(struct collector *col, json_t *record, const char *event_id,
                   void *msg_opaque)
{
        char why[256];
        int err = dlp_kafka_produce_json(col->rk, col->cfg.common.topic_events,
                                         event_id, record, msg_opaque, why,
                                         sizeof(why));

        if (err && err != DLP_ERR_NOMEM)
                LOG_EV(DLP_LOG_WARN, event_id, "produce: %s", why);
        return err;
}

static int handle_event(struct collector *col, struct dlp_http_req *req,
                        struct dlp_http_resp *resp)
{
        json_error_t jerr;
        json_t *env, *record;
        const char *type, *event_id;
        char why[256], now[40];
        struct event_opts opts = {.source = "events-api",
                                  .include_bots = col->cfg.include_bots};
        enum event_verdict v;
        enum event_reason reason;

        env = json_loadb(req->body, req->body_len, 0, &jerr);
        if (!env || !json_is_object(env)) {
                char jwhy[128] = "not an object";
                atomic_fetch_add(&col->refused_bad, 1);
                if (!env) /* never jerr.text: it quotes the body */
                        dlp_json_error(&jerr, jwhy, sizeof(jwhy));
                snprintf(why, sizeof(why), "malformed JSON: %s\n", jwhy);
                json_decref(env);
                dlp_http_resp_text(resp, 400, why);
                return DLP_OK;
        }
        type = json_string_value(json_object_get(env, "type"));
        if (type && !strcmp(type, "url_verification")) {
                const char *ch =
                    json_string_value(json_object_get(env, "challenge"));
                if (ch)
                        dlp_http_resp_text(resp, 200, ch);
                else
                        dlp_http_resp_text(resp, 400,
                                           "url_verification without "
                                           "challenge\n");
                json_decref(env);
                return DLP_OK;
        }
        dlp_rfc3339_now(now, sizeof(now));
        opts.received_at = now;
        v = event_from_envelope(env, &opts, &record, &event_id, &reason, why,
                                sizeof(why));
        if (v != EVENT_PRODUCE) {
                /* an unknown shape too: a 400 would make Slack retry it and
                 * count toward disabling the app's subscription */
                atomic_fetch_add(&col->skipped, 1);
                atomic_fetch_add(&col->skipped_by[reason], 1);
                if (v == EVENT_INVALID)
                        LOG_WARN("acknowledged an envelope of unknown shape: "
                                 "%s",
                                 why);
                else
                        LOG_DEBUG("acknowledged without producing: %s", why);
                dlp_http_resp_text(resp, 200, "");
                json_decref(env);
                return DLP_OK;
        }
        if (dlp_http_req_header(req, "X-Slack-Retry-Num"))
                atomic_fetch_add(&col->retries_seen, 1);
        switch (col->dedupe ? dedupe_claim(col->dedupe, event_id, dlp_wall_s())
                            : DEDUPE_NEW) {
        case DEDUPE_DONE: /* a retry or a repeat: it is in Kafka already */
                atomic_fetch_add(&col->duplicates, 1);
                LOG_EV(DLP_LOG_DEBUG, event_id, "duplicate, not produced");
                dlp_http_resp_text(resp, 200, "");
                json_decref(record);
                json_decref(env);
                return DLP_OK;
        case DEDUPE_PENDING: /* its twin is being stored: come back later */
                atomic_fetch_add(&col->duplicates_in_flight, 1);
                dlp_http_resp_text(resp, 503, "being stored, retry\n");
                json_decref(record);
                json_decref(env);
                return DLP_OK;
        case DEDUPE_NEW:
                break;
        }

        /* suspend before producing: the report may arrive at once */
        struct waiting *w = calloc(1, sizeof(*w) + strlen(event_id) + 1);
        if (!w) {
                if (col->dedupe)
                        dedupe_finish(col->dedupe, event_id, 0);
                dlp_http_resp_text(resp, 503, "out of memory, retry\n");
                json_decref(record);
                json_decref(env);
                return DLP_OK;
        }
        atomic_fetch_add(&col->inflight, 1);
        w->http = dlp_http_req_suspend(req);
        w->col = col;
        w->start_ms = dlp_mono_ms();
        w->deadline_ms = w->start_ms + col->cfg.ack_timeout_ms;
        memcpy(w->event_id, event_id, strlen(event_id) + 1);
        waiting_link(col, w);
        if (produce(col, record, event_id, w) != DLP_OK) {
                struct dlp_http_resp busy = {0};
                atomic_fetch_add(&col->failed_kafka, 1);
                if (col->dedupe)
                        dedupe_finish(col->dedupe, event_id, 0);
                /* no report will come; the deadline may have answered
                 * already (a slow thread), and then it is done with w */
                if (claim(col, w)) {
                        dlp_http_resp_text(&busy, 503,
                                           "event not stored, retry\n");
                        dlp_http_complete(w->http, &busy);
                }
                free(w);
                atomic_fetch_sub(&col->inflight, 1);
        }
        json_decref(record);
        json_decref(env);
        return DLP_HTTP_PENDING;
}

/* The door (front.h): 0 when \p req may come in, else the status already
 * written into \p resp. With \p whole the body is in and the signature's
 * HMAC is checked too; without, only what the headers alone can refuse
 * (404, 405, 415, and 401 for a missing, malformed or stale signature),
 * before a body byte is read (DESIGN §12). */
static int admit(struct collector *col, const struct dlp_http_req *req,
                 int whole, struct dlp_http_resp *resp)
{
        const struct front_request fr = {
            .method = req->method,
            .path = req->path,
            .content_type = dlp_http_req_header(req, "Content-Type"),
            .timestamp = dlp_http_req_header(req, "X-Slack-Request-Timestamp"),
            .signature = dlp_http_req_header(req, "X-Slack-Signature"),
            .body = req->body,
            .body_len = req->body_len,
        };
        const struct front_policy policy = {col->secrets, col->nsecrets,
                                            col->cfg.tolerance_s};
        struct front_refusal no;
        int status;

        if (atomic_load(&col->closing)) {
                dlp_http_resp_text(resp, 503, "shutting down, retry\n");
                return 503;
        }
        if ((whole ? front_check(&fr, &policy, time(NULL), &no)
                   : front_check_head(&fr, &policy, time(NULL), &no)) == DLP_OK)
                return 0;
        status = no.status;
        if (status == 401)
                atomic_fetch_add(&col->refused_auth, 1);
        dlp_http_resp_text(resp, status, no.reason);
        if (status == 405)
                dlp_http_resp_header(resp, "Allow", "POST");
        return status;
}

static int on_head(void *opaque, const struct dlp_http_req *req,
                   struct dlp_http_resp *resp)
{
        return admit(opaque, req, 0, resp) ? DLP_ERR_AUTH : DLP_OK;
}

static int on_request(void *opaque, struct dlp_http_req *req,
                      struct dlp_http_resp *resp)
{
        if (admit(opaque, req, 1, resp))
                return DLP_OK;
        return handle_event(opaque, req, resp);
}

#define C(field, name, help)                                                   \
        {                                                                      \
                "dlp_collector_" name, help, DLP_COUNTER, &col->field, NULL    \
        }

static int serve(struct collector *col)
{
        const struct dlp_metric metrics[] = {
            C(accepted, "events_accepted_total",
              "events in Kafka and answered 200"),
            C(skipped, "events_skipped_total",
              "events with nothing to inspect, answered 200"),
#define SKIP_METRIC(name, key)                                                 \
        C(skipped_by[EVENT_R_##name], "events_skipped_" key "_total",          \
          "events answered 200 without a record: " key),
            EVENT_REASONS(SKIP_METRIC)
#undef SKIP_METRIC
                C(duplicates, "duplicates_total",
                  "repeated event_ids answered 200 without producing"),
            C(duplicates_in_flight, "duplicates_in_flight_total",
              "repeated event_ids answered 503 while the first was stored"),
            C(retries_seen, "slack_retries_total",
              "requests carrying X-Slack-Retry-Num"),
            C(refused_auth, "refused_auth_total", "requests answered 401"),
            C(refused_bad, "refused_bad_total",
              "requests answered 400 (unparseable JSON)"),
            C(failed_kafka, "kafka_failures_total",
              "events Kafka did not take (answered 503)"),
            C(answered_at_deadline, "answered_at_deadline_total",
              "events answered 503 at the ack deadline"),
            {"dlp_collector_inflight", "requests waiting for Kafka", DLP_GAUGE,
             &col->inflight, NULL},
            {"dlp_collector_http_connections", "open HTTP connections",
             DLP_GAUGE, &col->http.connections, NULL},
            {"dlp_collector_http_body_bytes",
             "request body bytes reserved from DLP_HTTP_BODY_BUDGET_BYTES",
             DLP_GAUGE, &col->http.body_bytes, NULL},
            C(http.timed_out, "http_timed_out_total",
              "connections closed at DLP_HTTP_REQUEST_TIMEOUT_MS"),
            C(http.refused_budget, "http_refused_budget_total",
              "requests refused because the body budget was spent"),
            C(http.refused_early, "http_refused_early_total",
              "requests answered from their headers, body unread"),
            {"dlp_collector_ack_seconds",
             "from request to answer, for produced events", DLP_HISTOGRAM, NULL,
             &col->ack_latency},
        };
        struct dlp_admin *admin = NULL;
        char errstr[256];
        struct dlp_httpd *httpd;
        int64_t deadline;

        const struct dlp_httpd_opts http = {
            .addr = col->cfg.listen_addr,
            .threads = (unsigned)col->cfg.http_threads,
            .max_body = (size_t)col->cfg.max_body,
            .max_connections = (unsigned)col->cfg.max_connections,
            .max_connections_per_client =
                (unsigned)col->cfg.max_connections_per_client,
            .idle_timeout_s = (unsigned)col->cfg.idle_timeout_s,
            .request_timeout_ms = (unsigned)col->cfg.request_timeout_ms,
            .body_budget = (size_t)col->cfg.body_budget,
            .body_small = SMALL_BODY,
            .close_on_error = 1,
            .head = on_head,
            .counters = &col->http,
        };

        /* connections are descriptors: take all the kernel allows */
        dlp_raise_fd_limit();
        httpd = dlp_httpd_start_opts(&http, on_request, col, errstr,
                                     sizeof(errstr));
        if (!httpd) {
                LOG_ERROR("DLP_LISTEN_ADDR: %s", errstr);
                return DLP_ERR_CONFIG;
        }
        if (col->cfg.common.admin_addr &&
            !(admin =
                  dlp_admin_start(col->cfg.common.admin_addr, "collector",
                                  metrics, sizeof(metrics) / sizeof(metrics[0]),
                                  col->rk, NULL, errstr, sizeof(errstr)))) {
                LOG_ERROR("DLP_ADMIN_ADDR: %s", errstr);
                dlp_httpd_stop(httpd);
                return DLP_ERR_CONFIG;
        }
        LOG_INFO("listening on %s (at most %u connections), writing to %s",
                 col->cfg.listen_addr, dlp_httpd_max_connections(httpd),
                 col->cfg.common.topic_events);
        while (!dlp_stopping) {
                rd_kafka_poll(col->rk, 50); /* serves delivery reports */
                answer_late(col, dlp_mono_ms());
        }

        /* stop taking events, let every waiting request get its answer */
        atomic_store(&col->closing, 1);
        deadline = dlp_mono_ms() + col->cfg.ack_timeout_ms + 2000;
        while (atomic_load(&col->inflight) > 0 && dlp_mono_ms() < deadline) {
                rd_kafka_poll(col->rk, 50);
                answer_late(col, dlp_mono_ms());
        }
        answer_late(col, INT64_MAX); /* before the server goes */
        dlp_httpd_stop(httpd);
        dlp_admin_stop(admin);
        LOG_INFO("stopped: accepted=%lu skipped=%lu duplicates=%lu "
                 "duplicates_in_flight=%lu refused_auth=%lu refused_bad=%lu "
                 "failed_kafka=%lu answered_at_deadline=%lu retries_seen=%lu "
                 "dedupe_early_evictions=%lu",
                 atomic_load(&col->accepted), atomic_load(&col->skipped),
                 atomic_load(&col->duplicates),
                 atomic_load(&col->duplicates_in_flight),
                 atomic_load(&col->refused_auth),
                 atomic_load(&col->refused_bad),
                 atomic_load(&col->failed_kafka),
                 atomic_load(&col->answered_at_deadline),
                 atomic_load(&col->retries_seen),
                 col->dedupe ? dedupe_early_evictions(col->dedupe) : 0UL);
        return DLP_OK;
}
#undef C

static void count_reason(json_t *by_reason, const char *why)
{
        json_t *n = json_object_get(by_reason, why);

        json_object_set_new(by_reason, why,
                            json_integer(n ? json_integer_value(n) + 1 : 1));
}

/* Replays JSONL into the topic: every line is produced, skipped (with a
 * reason) or reported by line number; exit status says whether all went. */
static int replay(struct collector *col)
{
        const char *path = col->cfg.replay;
        FILE *fp = strcmp(path, "-") ? fopen(path, "r") : stdin;
        char *line = NULL, why[256], now[40];
        size_t cap = 0;
        ssize_t len;
        long lineno = 0, produced = 0, invalid = 0, first_bad = 0;
        json_t *by_reason = json_object();
        int tty = isatty(STDERR_FILENO);
        struct event_opts opts = {.source = "replay",
                                  .include_bots = col->cfg.include_bots};

        if (!fp) {
                LOG_ERROR("DLP_REPLAY: cannot open %s", path);
                json_decref(by_reason);
                return DLP_ERR_IO;
        }
        while (!dlp_stopping && (len = getline(&line, &cap, fp)) >= 0) {
                json_t *record;
                const char *event_id;
                enum event_verdict v;
                int err;

                lineno++;
                if (len <= 1 && (len == 0 || line[0] == '\n'))
                        continue;
                dlp_rfc3339_now(now, sizeof(now));
                opts.received_at = now;
                v = event_from_line(line, (size_t)len, &opts, &record,
                                    &event_id, why, sizeof(why));
                if (v == EVENT_SKIP)
                        count_reason(by_reason, why);
                else if (v == EVENT_INVALID) {
                        LOG_ERROR("%s line %ld: %s", path, lineno, why);
                        invalid++;
                        if (!first_bad)
                                first_bad = lineno;
                } else {
                        while ((err = produce(col, record, event_id, NULL)) ==
                               DLP_ERR_RETRY)
                                rd_kafka_poll(col->rk, 100); /* queue full */
                        if (err) {
                                LOG_ERROR("%s line %ld: cannot produce", path,
                                          lineno);
                                invalid++;
                                if (!first_bad)
                                        first_bad = lineno;
                        } else
                                produced++;
                        json_decref(record);
                }
                rd_kafka_poll(col->rk, 0);
                if (tty && lineno % 1000 == 0)
                        fprintf(stderr, "\rreplay: %ld lines, %ld produced",
                                lineno, produced);
        }
        free(line);
        if (fp != stdin)
                fclose(fp);
        if (tty)
                fputc('\n', stderr);
        dlp_kafka_drain(col->rk, 30000);

        json_t *summary = json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I, s:O}", "replay", path, "read",
            (json_int_t)lineno, "produced", (json_int_t)produced, "delivered",
            (json_int_t)col->replay_delivered, "invalid", (json_int_t)invalid,
            "failed", (json_int_t)col->replay_failed, "skipped_by_reason",
            by_reason);
        char *s = json_dumps(summary, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        json_decref(summary);
        json_decref(by_reason);
        if (first_bad)
                LOG_ERROR("%s: %ld bad line(s), first at line %ld", path,
                          invalid, first_bad);
        return invalid || col->replay_failed ||
                       col->replay_delivered != produced
                   ? DLP_ERR_INVALID
                   : DLP_OK;
}

int main(int argc, char **argv)
{
        struct collector col;
        char errstr[512], timeout[24];
        int err;

        memset(&col, 0, sizeof(col));
        pthread_mutex_init(&col.lock, NULL);
        dlp_log_init("collector", DLP_LOG_INFO);
        err = dlp_config_load(&collector_spec, &col.cfg, argc, argv, errstr,
                              sizeof(errstr));
        if (err == DLP_ERR_HELP) {
                dlp_config_free(&collector_spec, &col.cfg);
                return 0;
        }
        if (err) {
                LOG_ERROR("config: %s", errstr);
                dlp_config_free(&collector_spec, &col.cfg);
                return 2;
        }
        if (col.cfg.secret)
                col.secrets[col.nsecrets++] = col.cfg.secret;
        if (col.cfg.secret_previous && *col.cfg.secret_previous)
                col.secrets[col.nsecrets++] = col.cfg.secret_previous;
        dlp_stop_install();

        /* the ack deadline is the producer's message timeout: a report,
         * good or bad, always arrives before it */
        snprintf(timeout, sizeof(timeout), "%ld", col.cfg.ack_timeout_ms);
        /* linger 1 ms: Slack waits on every event; under load batches
         * fill without lingering anyway */
        const char *extra[] = {"message.timeout.ms", timeout, "linger.ms", "1",
                               NULL};
        col.rk = dlp_kafka_producer_new(
            &col.cfg.common, "dlp-collector", col.cfg.replay ? NULL : extra,
            on_delivery, &col, errstr, sizeof(errstr));
        if (!col.rk) {
                LOG_ERROR("kafka producer: %s", errstr);
                dlp_config_free(&collector_spec, &col.cfg);
                return 2;
        }
        if (!col.cfg.replay && col.cfg.dedupe_capacity > 0) {
                col.dedupe = dedupe_new((size_t)col.cfg.dedupe_capacity,
                                        col.cfg.dedupe_window_s);
                if (!col.dedupe) {
                        LOG_ERROR("DLP_DEDUPE_CAPACITY: cannot allocate %ld "
                                  "entries",
                                  col.cfg.dedupe_capacity);
                        rd_kafka_destroy(col.rk);
                        dlp_config_free(&collector_spec, &col.cfg);
                        return 2;
                }
        }
        err = col.cfg.replay ? replay(&col) : serve(&col);

        if (dlp_kafka_drain(col.rk, 10000) > 0)
                LOG_ERROR("%d event(s) not confirmed by Kafka at exit",
                          rd_kafka_outq_len(col.rk));
        rd_kafka_destroy(col.rk);
        dedupe_free(col.dedupe);
        dlp_config_free(&collector_spec, &col.cfg);
        return err || dlp_stopping == DLP_STOP_FAILURE ? 1 : 0;
}
