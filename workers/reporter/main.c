/* main.c - dlp-reporter: inspection records with findings -> Slack alerts
 * (chat.postMessage) and alert records.
 *
 * The main thread consumes, applies the policy and the dedupe set, and
 * queues each alert on its channel. A pool of workers posts: at most one
 * post in flight per channel, at most one per DLP_CHANNEL_INTERVAL_MS, 429
 * Retry-After honoured; when a channel's backlog holds several alerts they
 * go out as one digest, so nothing is dropped and the delay stays about one
 * interval. Back on the main thread, every posted alert becomes an alert
 * record (a permanent Slack refusal a dead letter); once Kafka has it, the
 * record's offset is finished, and each partition commits up to its first
 * unfinished record (watermark.h), so a slow alert is never skipped. On
 * start, the alerts topic of the last DLP_DEDUPE_WINDOW_S rebuilds the
 * dedupe set, so a redelivered inspection does not alert twice.
 *
 * The response policy (action_policy.h) may also ask to notify the author
 * and remove the message: actions.h runs those on its own threads, and
 * history.h reads back what was done, on start and on every assignment
 * (DESIGN §10). A record is finished when its alert and all its actions
 * are recorded. */
#include "action_policy.h"
#include "actions.h"
#include "admin.h"
#include "alert.h"
#include "config.h"
#include "dedupe.h"
#include "err.h"
#include "fleet.h"
#include "history.h"
#include "httpc.h"
#include "json_fast.h"
#include "kafka.h"
#include "log.h"
#include "policy.h"
#include "schema.h"
#include "settings.h"
#include "slack.h"
#include "util.h"
#include "watermark.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One inspection record on its way to Slack and back. */
struct item {
        struct rec_ref *ref;     /* the record's count of open outputs */
        rd_kafka_message_t *rkm; /* owned */
        json_t *ins;             /* the record */
        json_t *findings;        /* what the policy kept */
        json_t *uninspected;     /* files not inspected, alerted on */
        const char *event_id;    /* borrowed from ins */
        char ts[40];             /* the alert's Slack ts, once posted */
        char error[128];         /* a permanent refusal */
        struct item *next;
};

/* A Slack channel's queue: one post in flight, paced. */
struct chan {
        char id[64];
        struct item *head, *tail;
        size_t n;
        int busy;
        int64_t next_ms; /* no post before */
        int attempt;     /* failed posts in a row */
        struct chan *next;
};

/* Partition bookkeeping for commits. */
struct part {
        struct watermark *wm;
};

/* One consumed record whose outputs (its alert record or dead letter,
 * its action records) are not all in Kafka yet: it is finished when the
 * last one is. Main thread only (delivery reports run in its polls). */
struct rec_ref {
        int32_t partition;
        int64_t offset;
        int left;    /* outputs still to be written */
        int dropped; /* one was dropped: the record will be read again */
};

struct reporter {
        struct reporter_config cfg;
        struct policy policy;
        struct action_policy action_policy;
        struct actions_config actions_cfg;
        struct actions *actions;
        struct history *history;
        struct dedupe *dedupe;
        rd_kafka_t *consumer, *producer;
        struct dlp_delivery delivery;
        struct part *parts;
        size_t n_parts;
        /* shared with the workers */
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct chan *chans;
        struct item *done_head, *done_tail;
        atomic_ulong queued; /* items in channel queues or in flight */
        int stop_workers;
        pthread_t *threads;
        /* counters (read by the admin endpoint) */
        atomic_ulong records, alerts, posts, digests, dead, duplicates,
            below_policy, retries;
        unsigned long history_skipped; /* main thread: not alert records */
        struct dlp_hist post_latency;
        struct dlp_hist alert_delay;  /* inspected_at -> alert posted */
        struct dlp_hist remove_delay; /* message ts -> chat.delete ok */
};

static struct part *part_of(struct reporter *rep, int32_t p)
{
        if ((size_t)p >= rep->n_parts) {
                size_t n = (size_t)p + 1;
                struct part *np = realloc(rep->parts, n * sizeof(*np));
                if (!np)
                        return NULL;
                memset(np + rep->n_parts, 0, (n - rep->n_parts) * sizeof(*np));
                rep->parts = np;
                rep->n_parts = n;
        }
        if (!rep->parts[p].wm)
                rep->parts[p].wm = watermark_new();
        return rep->parts[p].wm ? &rep->parts[p] : NULL;
}

/* The record at (p, offset) is finished: its alert record (or dead
 * letter) is in Kafka, or it needed none. */
static void finished(struct reporter *rep, int32_t p, int64_t offset)
{
        struct part *pt = part_of(rep, p);

        if (pt)
                watermark_done(pt->wm, offset);
}

static struct rec_ref *ref_new(const rd_kafka_message_t *rkm)
{
        struct rec_ref *ref = calloc(1, sizeof(*ref));

        if (ref)
                *ref = (struct rec_ref){rkm->partition, rkm->offset, 1, 0};
        return ref;
}

/* One output of \p ref is written (\p done) or dropped (read again). */
static void ref_release(struct reporter *rep, struct rec_ref *ref, int done)
{
        if (!done)
                ref->dropped = 1;
        if (--ref->left > 0)
                return;
        if (!ref->dropped)
                finished(rep, ref->partition, ref->offset);
        free(ref);
}

static void ref_dropped(void *cookie, void *opaque)
{
        ref_release(opaque, cookie, 0);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque)
{
        struct reporter *rep = opaque;
        struct rec_ref *ref = rkm->_private;

        dlp_delivery_report(rk, rkm, &rep->delivery);
        /* a failed write leaves the record unfinished: never committed
         * (and the reporter stops) */
        if (!rkm->err && ref)
                ref_release(rep, ref, 1);
}

/* Produces \p rec; its delivery releases one output of \p ref. */
static int produce(struct reporter *rep, const char *topic, const char *key,
                   json_t *rec, struct rec_ref *ref)
{
        char why[256];
        int err = dlp_kafka_produce_json(rep->producer, topic, key, rec, ref,
                                         why, sizeof(why));

        if (err) {
                if (err != DLP_ERR_NOMEM)
                        LOG_EV(DLP_LOG_ERROR, key, "produce: %s", why);
                return err;
        }
        dlp_delivery_sent(&rep->delivery);
        return DLP_OK;
}

/* Dead-letters \p rkm; its delivery releases one output of \p ref. */
static void dead_letter(struct reporter *rep, const rd_kafka_message_t *rkm,
                        const char *why, struct rec_ref *ref)
{
        rep->dead++;
        if (dlp_kafka_deadletter(rep->producer,
                                 rep->cfg.common.topic_deadletter, "reporter",
                                 rkm, why, ref) == DLP_OK)
                dlp_delivery_sent(&rep->delivery);
        else
                ref_release(rep, ref, 0); /* unfinished: read again */
}

static void item_free(struct item *it)
{
        json_decref(it->findings);
        json_decref(it->uninspected);
        json_decref(it->ins);
        if (it->rkm)
                rd_kafka_message_destroy(it->rkm);
        free(it);
}

/* ---- the workers ------------------------------------------------------ */

static struct chan *chan_get(struct reporter *rep, const char *id)
{
        struct chan *c;

        for (c = rep->chans; c; c = c->next)
                if (!strcmp(c->id, id))
                        return c;
        c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        snprintf(c->id, sizeof(c->id), "%s", id);
        c->next = rep->chans;
        rep->chans = c;
        return c;
}

/* A channel with something to post and the right to post it now, or NULL
 * with *wait_ms set to when one may be. Caller holds the lock. */
static struct chan *next_ready(struct reporter *rep, int64_t now,
                               int64_t *wait_ms)
{
        *wait_ms = 1000;
        for (struct chan *c = rep->chans; c; c = c->next) {
                if (!c->n || c->busy)
                        continue;
                if (c->next_ms <= now)
                        return c;
                if (c->next_ms - now < *wait_ms)
                        *wait_ms = c->next_ms - now;
        }
        return NULL;
}

/* One digest of the first \p n queued items (n > 1), or NULL. */
static json_t *digest_of(struct reporter *rep, struct chan *c,
                         struct item *batch, size_t n, size_t *used)
{
        json_t *ins[ALERT_DIGEST_MAX], *findings[ALERT_DIGEST_MAX],
            *uninspected[ALERT_DIGEST_MAX];
        size_t k = 0;

        /* never read past the n-th item: the main thread may be appending
         * behind it */
        for (struct item *it = batch; k < n; k++) {
                ins[k] = it->ins;
                findings[k] = it->findings;
                uninspected[k] = it->uninspected;
                if (k + 1 < n)
                        it = it->next;
        }
        return alert_digest(ins, findings, uninspected, k, c->id,
                            rep->cfg.link_base, used);
}

/* Posts what a channel has queued: one alert, or a digest of several. */
static void post_batch(struct reporter *rep, struct dlp_httpc *http,
                       struct chan *c, struct item *batch, size_t n,
                       struct slack_result *r, size_t *used)
{
        json_t *msg = NULL;

        /* a digest that cannot be built falls back to the first alert
         * alone, so that one bad record cannot hold the channel */
        if (n > 1 && !(msg = digest_of(rep, c, batch, n, used)))
                n = 1;
        if (n == 1) {
                char link[512];
                /* the real permalink when Slack gives it, else built */
                if (slack_permalink(
                        http, rep->cfg.api_url, rep->cfg.token,
                        json_string_value(
                            json_object_get(batch->ins, "channel")),
                        json_string_value(json_object_get(batch->ins, "ts")),
                        link, sizeof(link)) != DLP_OK)
                        alert_permalink(rep->cfg.link_base,
                                        json_string_value(json_object_get(
                                            batch->ins, "channel")),
                                        json_string_value(
                                            json_object_get(batch->ins, "ts")),
                                        link, sizeof(link));
                msg = alert_message(batch->ins, batch->findings,
                                    batch->uninspected, c->id, link);
                *used = 1;
        }
        if (!msg) {
                /* a record no retry can turn into an alert: dead letter,
                 * never a retry for ever */
                r->outcome = SLACK_PERMANENT;
                snprintf(r->error, sizeof(r->error), "cannot build alert");
                return;
        }
        slack_post(http, rep->cfg.api_url, rep->cfg.token, msg, r);
        json_decref(msg);
}

static void *worker(void *arg)
{
        struct reporter *rep = arg;
        struct dlp_httpc *http = dlp_httpc_new(rep->cfg.timeout_ms);

        pthread_mutex_lock(&rep->lock);
        while (!rep->stop_workers) {
                int64_t now = dlp_mono_ms(), wait_ms;
                struct chan *c = next_ready(rep, now, &wait_ms);
                struct item *batch, *it, *rest;
                struct slack_result r;
                size_t n, used = 0;

                if (!c) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
                        ts.tv_sec += wait_ms / 1000 + ts.tv_nsec / 1000000000;
                        ts.tv_nsec %= 1000000000;
                        pthread_cond_timedwait(&rep->cond, &rep->lock, &ts);
                        continue;
                }
                /* take the whole queue; a digest uses what fits */
                c->busy = 1;
                batch = c->head;
                n = c->n < ALERT_DIGEST_MAX ? c->n : ALERT_DIGEST_MAX;
                pthread_mutex_unlock(&rep->lock);

                int64_t t0 = dlp_mono_ms();
                post_batch(rep, http, c, batch, n, &r, &used);
                dlp_hist_observe(&rep->post_latency,
                                 (double)(dlp_mono_ms() - t0) / 1000);
                if (r.outcome == SLACK_OK) {
                        rep->posts++;
                        rep->digests += used > 1;
                } else if (r.outcome == SLACK_RETRY)
                        rep->retries++;

                pthread_mutex_lock(&rep->lock);
                c->busy = 0;
                if (r.outcome == SLACK_RETRY) {
                        double d = dlp_backoff(
                            ++c->attempt, 1.0, rep->cfg.retry_max_s,
                            r.retry_after, (double)rand() / RAND_MAX);
                        c->next_ms = dlp_mono_ms() + (int64_t)(d * 1000);
                        LOG_WARN("Slack post to %s failed (%s): again in "
                                 "%.1f s",
                                 c->id, r.error, d);
                        continue; /* the items stay queued */
                }
                c->attempt = 0;
                c->next_ms = dlp_mono_ms() + rep->cfg.channel_interval_ms;
                /* detach the posted (or refused) items, hand them back */
                rest = batch;
                for (size_t k = 0; k < used; k++) {
                        it = rest;
                        rest = it->next;
                        if (r.outcome == SLACK_OK)
                                snprintf(it->ts, sizeof(it->ts), "%s", r.ts);
                        else
                                snprintf(it->error, sizeof(it->error), "%s",
                                         r.error);
                        it->next = NULL;
                        if (rep->done_tail)
                                rep->done_tail->next = it;
                        else
                                rep->done_head = it;
                        rep->done_tail = it;
                }
                c->head = rest;
                if (!rest)
                        c->tail = NULL;
                c->n -= used;
        }
        pthread_mutex_unlock(&rep->lock);
        dlp_httpc_destroy(http);
        return NULL;
}

/* ---- the main thread ---------------------------------------------------- */

/* Turns posted alerts into alert records, refusals into dead letters. */
static void drain_done(struct reporter *rep)
{
        struct item *it, *list;
        char now[40];

        pthread_mutex_lock(&rep->lock);
        list = rep->done_head;
        rep->done_head = rep->done_tail = NULL;
        pthread_mutex_unlock(&rep->lock);
        dlp_rfc3339_now(now, sizeof(now));
        while ((it = list)) {
                list = it->next;
                pthread_mutex_lock(&rep->lock);
                rep->queued--;
                pthread_mutex_unlock(&rep->lock);
                if (it->error[0]) {
                        LOG_EV(DLP_LOG_ERROR, it->event_id, "alert refused: %s",
                               it->error);
                        dedupe_finish(rep->dedupe, it->event_id, 0);
                        dead_letter(rep, it->rkm, it->error, it->ref);
                } else {
                        json_t *rec =
                            alert_record(it->ins, it->findings, it->uninspected,
                                         rep->cfg.channel, it->ts, now);
                        dedupe_finish(rep->dedupe, it->event_id, 1);
                        double born = dlp_rfc3339_parse(json_string_value(
                            json_object_get(it->ins, "inspected_at")));
                        if (born > 0)
                                dlp_hist_observe(&rep->alert_delay,
                                                 dlp_wall_s() - born);
                        rep->alerts++;
                        if (!rec ||
                            produce(rep, rep->cfg.common.topic_alerts,
                                    it->event_id, rec, it->ref) != DLP_OK) {
                                /* the alert is out, its record is not:
                                 * stop before committing past it */
                                LOG_EV(DLP_LOG_ERROR, it->event_id,
                                       "cannot write the alert record");
                                dlp_stop_failure();
                        }
                        json_decref(rec);
                }
                item_free(it);
        }
}

/* The ids an alert and its record carry are strings of at most DLP_ID_MAX
 * bytes where present (event_id and channel must be). */
static int ids_fit(const json_t *ins)
{
        static const char *const ids[] = {"event_id", "channel", "team_id",
                                          "ts",       "user",    "bot_id"};

        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
                json_t *v = json_object_get(ins, ids[i]);
                if ((!v && i < 2) || (v && !json_is_string(v)) ||
                    json_string_length(v) > DLP_ID_MAX)
                        return 0;
        }
        return 1;
}

/* Turns the actions Slack answered into action records; a removal's
 * record may queue its tombstone or note. */
static void drain_actions(struct reporter *rep)
{
        struct action_task *t, *list = actions_take_done(rep->actions);

        while ((t = list)) {
                struct rec_ref *ref = t->cookie;
                json_t *rec = actions_record(t, rep->action_policy.notify_via);

                list = t->next;
                if (t->kind == ACT_REMOVE && t->ok) {
                        double born = atof(
                            json_string_value(json_object_get(t->ins, "ts"))
                                ?: "0");
                        if (born > 0)
                                dlp_hist_observe(&rep->remove_delay,
                                                 t->answered_at - born);
                }
                if (!t->ok)
                        LOG_EV(DLP_LOG_WARN, t->event_id,
                               "%s refused by Slack: %s", t->method, t->error);
                if (!rec || produce(rep, rep->cfg.common.topic_alerts,
                                    t->event_id, rec, ref) != DLP_OK) {
                        /* done in Slack, not on record: stop before
                         * committing past it */
                        LOG_EV(DLP_LOG_ERROR, t->event_id,
                               "cannot write the action record");
                        dlp_stop_failure();
                        ref_release(rep, ref, 0);
                        actions_recorded(rep->actions, t, 0);
                } else
                        /* what follows a removal is one more output */
                        ref->left += (int)actions_recorded(rep->actions, t, 1);
                json_decref(rec);
        }
}

/* Takes one consumed inspection record. */
static void take(struct reporter *rep, rd_kafka_message_t *rkm)
{
        struct part *pt = part_of(rep, rkm->partition);
        json_t *ins, *findings, *alerted = NULL, *acted = NULL, *uninspected;
        const char *schema, *id, *rule;
        struct rec_ref *ref;
        unsigned acts;
        struct item *it;
        struct chan *c;

        rep->records++;
        ref = ref_new(rkm);
        if (!ref || !pt || watermark_add(pt->wm, rkm->offset) != DLP_OK) {
                LOG_ERROR("out of memory");
                dlp_stop_failure();
                free(ref);
                rd_kafka_message_destroy(rkm);
                return;
        }
        ins = json_fast_loadb(rkm->payload ? rkm->payload : "", rkm->len, NULL);
        schema = json_string_value(json_object_get(ins, "schema"));
        id = json_string_value(json_object_get(ins, "event_id"));
        if (!json_is_object(ins) || !schema ||
            strcmp(schema, DLP_SCHEMA_INSPECTION) != 0 || !id ||
            !json_is_array(json_object_get(ins, "findings")) || !ids_fit(ins)) {
                json_decref(ins);
                dead_letter(rep, rkm,
                            "not a valid dlp.inspection/1 record (or an id "
                            "over 255 bytes)",
                            ref);
                rd_kafka_message_destroy(rkm);
                return;
        }
        findings = policy_filter(&rep->policy, ins);
        acts = action_policy_decide(&rep->action_policy, ins, findings,
                                    &alerted, &acted, &rule);
        json_decref(findings);
        /* files not inspected are alerted on with the findings, or alone:
         * one alert per event either way, so the dedupe set keeps it once */
        uninspected = policy_uninspected(&rep->policy, ins);
        if (!acts && !json_array_size(uninspected))
                rep->below_policy++;
        /* ref->left holds 1 until every output is counted in */
        if ((acts & ACTION_ALERT) || json_array_size(uninspected)) {
                if (dedupe_claim(rep->dedupe, id, dlp_wall_s()) == DEDUPE_NEW) {
                        it = calloc(1, sizeof(*it));
                        if (!it) {
                                dedupe_finish(rep->dedupe, id, 0);
                                dlp_stop_failure();
                        } else {
                                it->ref = ref;
                                it->rkm = rkm;
                                it->ins = json_incref(ins);
                                it->findings = alerted ? json_incref(alerted)
                                                       : json_array();
                                it->uninspected = json_incref(uninspected);
                                it->event_id = id;
                                rkm = NULL; /* now owned by it */
                                ref->left++;
                                pthread_mutex_lock(&rep->lock);
                                c = chan_get(rep, rep->cfg.channel);
                                if (c) {
                                        if (c->tail)
                                                c->tail->next = it;
                                        else
                                                c->head = it;
                                        c->tail = it;
                                        c->n++;
                                        rep->queued++;
                                        pthread_cond_signal(&rep->cond);
                                }
                                pthread_mutex_unlock(&rep->lock);
                                if (!c) {
                                        dlp_stop_failure();
                                        ref->left--;
                                        item_free(it);
                                }
                        }
                } else
                        rep->duplicates++; /* alerted, or being alerted */
        }
        if (acts & (ACTION_NOTIFY | ACTION_REMOVE))
                ref->left += (int)actions_submit(rep->actions, ins, acted, acts,
                                                 rule, ref);
        json_decref(alerted);
        json_decref(acted);
        json_decref(uninspected);
        json_decref(ins);
        if (rkm)
                rd_kafka_message_destroy(rkm);
        ref_release(rep, ref, 1);
}

static void commit(struct reporter *rep, int sync)
{
        rd_kafka_topic_partition_list_t *offs =
            rd_kafka_topic_partition_list_new(4);
        rd_kafka_resp_err_t err;

        for (size_t p = 0; p < rep->n_parts; p++) {
                int64_t cp = rep->parts[p].wm
                                 ? watermark_commit_point(rep->parts[p].wm)
                                 : -1;
                if (cp >= 0)
                        rd_kafka_topic_partition_list_add(
                            offs, rep->cfg.common.topic_inspected, (int32_t)p)
                            ->offset = cp;
        }
        if (offs->cnt > 0) {
                err = rd_kafka_commit(rep->consumer, offs, !sync);
                if (err)
                        LOG_WARN("commit: %s", rd_kafka_err2str(err));
        }
        rd_kafka_topic_partition_list_destroy(offs);
}

/* Waits until every queued or in-flight alert is finished (posted and
 * recorded, or refused), bounded by \p timeout_ms; with \p drop, first
 * forgets what no worker has started (it is read again later). */
static void settle(struct reporter *rep, int drop, int64_t timeout_ms)
{
        int64_t end = dlp_mono_ms() + timeout_ms;

        if (drop) {
                pthread_mutex_lock(&rep->lock);
                for (struct chan *c = rep->chans; c; c = c->next) {
                        if (c->busy) /* in flight: let it finish */
                                continue;
                        while (c->head) {
                                struct item *it = c->head;
                                c->head = it->next;
                                dedupe_finish(rep->dedupe, it->event_id, 0);
                                ref_release(rep, it->ref, 0);
                                item_free(it);
                                rep->queued--;
                        }
                        c->tail = NULL;
                        c->n = 0;
                }
                pthread_mutex_unlock(&rep->lock);
                actions_drop_queued(rep->actions, ref_dropped, rep);
        }
        for (;;) {
                size_t queued;
                int busy = 0;

                drain_done(rep);
                drain_actions(rep);
                rd_kafka_poll(rep->producer, 10);
                pthread_mutex_lock(&rep->lock);
                queued = rep->queued + actions_outstanding(rep->actions);
                for (struct chan *c = rep->chans; c; c = c->next)
                        busy |= c->busy;
                pthread_mutex_unlock(&rep->lock);
                if ((drop ? !busy && queued == 0 : queued == 0) ||
                    dlp_mono_ms() > end)
                        break;
                dlp_sleep_ms(20);
        }
        dlp_delivery_wait(rep->producer, &rep->delivery);
}

/* A record read back from the alerts topic: an alert record puts its
 * event in the dedupe set, an action record into the actions' ledger. */
static void learn(const char *key, const json_t *value, void *opaque)
{
        struct reporter *rep = opaque;
        const char *schema =
            json_string_value(json_object_get(value, "schema"));

        if (schema && !strcmp(schema, DLP_SCHEMA_ACTION)) {
                actions_learn(rep->actions, value);
                return;
        }
        /* only a real alert record says its event was alerted: garbage
         * keyed like an event would suppress that event's alert */
        const char *id = json_string_value(json_object_get(value, "event_id"));
        if (!schema || strcmp(schema, DLP_SCHEMA_ALERT) != 0 || !id ||
            strcmp(id, key) != 0) {
                if (rep->history_skipped++ == 0)
                        LOG_WARN("%s: a record that is not a dlp.alert/1 "
                                 "record keyed by its event_id: ignored",
                                 rep->cfg.common.topic_alerts);
                return;
        }
        if (dedupe_claim(rep->dedupe, key, dlp_wall_s()) == DEDUPE_NEW)
                dedupe_finish(rep->dedupe, key, 1);
}

/* Reads what was done since the last read (first: the window) into the
 * dedupe set and the ledger. */
static void catch_up(struct reporter *rep, const char *why)
{
        int complete = 0;
        long n;

        if (!rep->history)
                return;
        n = history_catch_up(rep->history, learn, rep, 60000, &complete);
        if (n >= 0)
                LOG_INFO("%s: %ld alert and action record(s) read back%s", why,
                         n, complete ? "" : " (incomplete: timed out)");
}

/* Eager rebalancing revokes everything: finish what is in flight, forget
 * what is only queued, commit the finished prefix, start over. On
 * assignment, first learn what the previous owners did (DESIGN §10). */
static void on_rebalance(void *opaque, rd_kafka_resp_err_t err,
                         const rd_kafka_topic_partition_list_t *parts)
{
        struct reporter *rep = opaque;

        (void)parts;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                catch_up(rep, "assigned");
                return;
        }
        if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
                return;
        settle(rep, 1, 30000);
        commit(rep, 1);
        for (size_t p = 0; p < rep->n_parts; p++)
                if (rep->parts[p].wm)
                        watermark_reset(rep->parts[p].wm);
}

static void run(struct reporter *rep)
{
        int64_t next_commit = dlp_mono_ms() + 1000;

        while (!dlp_stopping) {
                size_t queued;

                pthread_mutex_lock(&rep->lock);
                queued = rep->queued;
                pthread_mutex_unlock(&rep->lock);
                if (queued < (size_t)rep->cfg.max_pending) {
                        /* short while actions are out: the window
                         * between Slack's answer and its record is what
                         * a kill -9 can repeat (DESIGN §10) */
                        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(
                            rep->consumer,
                            actions_outstanding(rep->actions) ? 5 : 50);
                        if (rkm && rkm->err) {
                                if (rkm->err !=
                                    RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                        LOG_WARN("consume: %s",
                                                 rd_kafka_message_errstr(rkm));
                                rd_kafka_message_destroy(rkm);
                        } else if (rkm)
                                take(rep, rkm);
                } else
                        dlp_sleep_ms(50); /* Slack is the bottleneck */
                drain_done(rep);
                drain_actions(rep);
                rd_kafka_poll(rep->producer, 0);
                if (rep->delivery.failed) {
                        LOG_ERROR("an alert record or dead letter was not "
                                  "written: stopping");
                        dlp_stop_failure();
                }
                if (dlp_mono_ms() >= next_commit) {
                        commit(rep, 0);
                        next_commit = dlp_mono_ms() + 1000;
                }
        }
}

int main(int argc, char **argv)
{
        struct reporter *rep = calloc(1, sizeof(*rep));
        char errstr[512];
        int rc;

        if (!rep)
                return 1;
        dlp_log_init("reporter", DLP_LOG_INFO);
        pthread_mutex_init(&rep->lock, NULL);
        pthread_cond_init(&rep->cond, NULL);
        rc = dlp_config_load(&reporter_spec, &rep->cfg, argc, argv, errstr,
                             sizeof(errstr));
        if (rc == DLP_ERR_HELP) {
                rc = 0;
                goto out_config;
        }
        if (!rc && policy_init(&rep->policy, rep->cfg.min_likelihood,
                               rep->cfg.alert_types, rep->cfg.ignore_types,
                               rep->cfg.watch_channels, rep->cfg.skip_channels,
                               rep->cfg.bots, errstr, sizeof(errstr)))
                rc = DLP_ERR_CONFIG;
        rep->policy.uninspected_files = rep->cfg.uninspected_files;
        if (!rc &&
            action_policy_load(&rep->action_policy, rep->cfg.actions_file,
                               errstr, sizeof(errstr)))
                rc = DLP_ERR_CONFIG;
        if (!rc && !rep->cfg.admin_token) {
                for (size_t i = 0; i < rep->action_policy.n_rules; i++)
                        if (rep->action_policy.rules[i].actions &
                            ACTION_REMOVE) {
                                snprintf(errstr, sizeof(errstr),
                                         "DLP_ACTIONS_FILE: rules[%zu] "
                                         "removes messages: set "
                                         "SLACK_ADMIN_TOKEN (or _FILE), a "
                                         "token that may delete them",
                                         i);
                                rc = DLP_ERR_CONFIG;
                                break;
                        }
        }
        if (rc) {
                LOG_ERROR("config: %s", errstr);
                rc = 2;
                goto out_config;
        }
        dlp_stop_install();
        srand((unsigned)getpid());
        rep->dedupe = dedupe_new((size_t)rep->cfg.dedupe_capacity,
                                 rep->cfg.dedupe_window_s);
        if (!rep->dedupe || dlp_httpc_global_init() != DLP_OK) {
                LOG_ERROR("cannot set up (memory, libcurl)");
                rc = 1;
                goto out_config;
        }
        rep->producer =
            dlp_kafka_producer_new(&rep->cfg.common, "dlp-reporter", NULL,
                                   on_delivery, rep, errstr, sizeof(errstr));
        if (!rep->producer) {
                LOG_ERROR("kafka producer: %s", errstr);
                rc = 2;
                goto out_config;
        }
        rep->actions_cfg = (struct actions_config){
            .api_url = rep->cfg.api_url,
            .bot_token = rep->cfg.token,
            .admin_token = rep->cfg.admin_token,
            .alert_channel = rep->cfg.channel,
            .via = rep->action_policy.notify_via,
            .workers = rep->cfg.action_workers,
            .timeout_ms = rep->cfg.timeout_ms,
            .channel_interval_ms = rep->cfg.channel_interval_ms,
            .tier3_per_min = rep->cfg.tier3_per_min,
            .retry_max_s = rep->cfg.retry_max_s,
            .capacity = (size_t)rep->cfg.dedupe_capacity,
            .window_s = rep->cfg.dedupe_window_s,
        };
        rep->actions = actions_new(&rep->actions_cfg);
        if (!rep->actions) {
                LOG_ERROR("cannot start the action workers");
                rc = 1;
                goto out_producer;
        }
        rep->history = history_new(&rep->cfg.common, rep->cfg.dedupe_window_s,
                                   errstr, sizeof(errstr));
        if (!rep->history)
                LOG_WARN("history: %s", errstr);
        catch_up(rep, "start");
        rep->consumer = dlp_kafka_consumer_new(
            &rep->cfg.common, "dlp-reporter", rep->cfg.group,
            rep->cfg.common.topic_inspected, NULL, on_rebalance, rep, errstr,
            sizeof(errstr));
        if (!rep->consumer) {
                LOG_ERROR("kafka consumer: %s", errstr);
                rc = 2;
                goto out_producer;
        }
        rep->threads = calloc((size_t)rep->cfg.workers, sizeof(pthread_t));
        for (long i = 0; rep->threads && i < rep->cfg.workers; i++)
                pthread_create(&rep->threads[i], NULL, worker, rep);
        LOG_INFO("reporting %s -> Slack channel %s with %ld worker(s)",
                 rep->cfg.common.topic_inspected, rep->cfg.channel,
                 rep->cfg.workers);

        struct actions_counters *acnt = actions_counters(rep->actions);
#define C(field, name, help)                                                   \
        {                                                                      \
                "dlp_reporter_" name, help, DLP_COUNTER, &rep->field, NULL     \
        }
        const struct dlp_metric metrics[] = {
            C(records, "records_total", "inspection records consumed"),
            C(alerts, "alerts_total", "events alerted (alert records)"),
            C(posts, "slack_posts_total", "Slack messages posted"),
            C(digests, "slack_digests_total",
              "of which digests of several alerts"),
            C(retries, "slack_retries_total",
              "posts to try again (429, 5xx, transient errors)"),
            C(dead, "dead_letters_total", "records sent to dead letters"),
            C(duplicates, "duplicates_total",
              "records whose event was alerted already"),
            C(below_policy, "below_policy_total",
              "records with no finding the policy alerts on"),
            {"dlp_reporter_notified_total", "authors told (action records)",
             DLP_COUNTER, &acnt->notified, NULL},
            {"dlp_reporter_removed_total", "messages removed", DLP_COUNTER,
             &acnt->removed, NULL},
            {"dlp_reporter_not_removed_total",
             "removals Slack refused (cant_delete_message, …)", DLP_COUNTER,
             &acnt->not_removed, NULL},
            {"dlp_reporter_tombstones_total", "tombstones posted", DLP_COUNTER,
             &acnt->tombstones, NULL},
            {"dlp_reporter_files_removed_total",
             "files deleted (files.delete) for findings in their contents",
             DLP_COUNTER, &acnt->files_removed, NULL},
            {"dlp_reporter_files_not_removed_total",
             "file deletions Slack refused (file_not_found, cant_delete_file, "
             "…)",
             DLP_COUNTER, &acnt->files_not_removed, NULL},
            {"dlp_reporter_action_failures_total",
             "notices, tombstones and notes Slack refused", DLP_COUNTER,
             &acnt->failed, NULL},
            {"dlp_reporter_action_retries_total",
             "action calls to try again (429, 5xx, transient errors)",
             DLP_COUNTER, &acnt->retries, NULL},
            {"dlp_reporter_actions_skipped_total",
             "actions already done or under way (ledger)", DLP_COUNTER,
             &acnt->skipped, NULL},
            {"dlp_reporter_queued", "alerts queued or being posted", DLP_GAUGE,
             &rep->queued, NULL},
            {"dlp_reporter_post_seconds", "Slack post latency", DLP_HISTOGRAM,
             NULL, &rep->post_latency},
            {"dlp_reporter_alert_delay_seconds",
             "from the inspection to the alert posted", DLP_HISTOGRAM, NULL,
             &rep->alert_delay},
            {"dlp_reporter_remove_delay_seconds",
             "from the message to its removal", DLP_HISTOGRAM, NULL,
             &rep->remove_delay},
        };
#undef C
        struct dlp_admin *admin = dlp_admin_start_consumer(
            rep->cfg.common.admin_addr, "reporter", metrics,
            sizeof(metrics) / sizeof(metrics[0]), rep->producer, rep->consumer,
            "inspection records not yet committed");

        run(rep);
        dlp_admin_stop(admin);

        /* finish what is in flight; what is only queued is read again */
        settle(rep, 1, 30000);
        pthread_mutex_lock(&rep->lock);
        rep->stop_workers = 1;
        pthread_cond_broadcast(&rep->cond);
        pthread_mutex_unlock(&rep->lock);
        for (long i = 0; rep->threads && i < rep->cfg.workers; i++)
                pthread_join(rep->threads[i], NULL);
        drain_done(rep);
        drain_actions(rep);
        dlp_delivery_wait(rep->producer, &rep->delivery);
        if (!rep->delivery.failed)
                commit(rep, 1);
        LOG_INFO("stopping: records=%lu alerts=%lu duplicates=%lu "
                 "below_policy=%lu dead=%lu",
                 rep->records, rep->alerts, rep->duplicates, rep->below_policy,
                 rep->dead);
        dlp_kafka_consumer_destroy(rep->consumer);
out_producer:
        actions_free(rep->actions); /* stops its workers */
        rep->actions = NULL;
        history_free(rep->history);
        if (dlp_kafka_drain(rep->producer, 10000) > 0)
                LOG_ERROR("records still unconfirmed at exit");
        rd_kafka_destroy(rep->producer);
out_config:
        for (struct chan *c = rep->chans, *next; c; c = next) {
                next = c->next;
                while (c->head) {
                        struct item *it = c->head;
                        c->head = it->next;
                        item_free(it);
                }
                free(c);
        }
        for (size_t p = 0; p < rep->n_parts; p++)
                watermark_free(rep->parts[p].wm);
        free(rep->parts);
        free(rep->threads);
        dedupe_free(rep->dedupe);
        policy_free(&rep->policy);
        action_policy_free(&rep->action_policy);
        dlp_config_free(&reporter_spec, &rep->cfg);
        pthread_mutex_destroy(&rep->lock);
        pthread_cond_destroy(&rep->cond);
        free(rep);
        return rc ? rc : dlp_stopping == DLP_STOP_FAILURE;
}
