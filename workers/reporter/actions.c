/* actions.c - notify, remove, tombstone, note (see actions.h). */
#include "actions.h"
#include "dedupe.h"
#include "err.h"
#include "httpc.h"
#include "log.h"
#include "notice.h"
#include "schema.h"
#include "slack.h"
#include "util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const kind_names[] = {"notify", "remove", "tombstone",
                                         "note", "remove_file"};

/* A queue of tasks that share a Slack limit: one call in flight, then
 * interval_ms before the next; a 429 or a transient error holds only it. */
struct lane {
        char key[96];
        long interval_ms;
        struct action_task *head, *tail;
        int busy;
        int64_t next_ms;
        int attempt; /* failed calls in a row */
        struct lane *next;
};

/* A user's DM channel, once conversations.open gave it: later notices
 * skip the Tier 3 call. */
struct dm {
        char user[32], channel[64];
        struct dm *next;
};
#define DM_CACHE_MAX 10000

struct actions {
        const struct actions_config *cfg;
        pthread_mutex_t lock; /* guards lanes, done list, outstanding, stop */
        pthread_cond_t cond;
        struct lane *lanes;
        struct action_task *done_head, *done_tail;
        size_t outstanding;
        int stop;
        pthread_t *threads;
        long n_threads;
        struct dedupe *ledger; /* "event_id#step" done or under way */
        struct dm *dms;        /* under lock */
        size_t n_dms;
        struct actions_counters c;
};

/* ---- the ledger ---------------------------------------------------------- */

static void ledger_key(char *out, size_t size, const char *event_id,
                       const char *step)
{
        snprintf(out, size, "%s#%s", event_id, step);
}

/* Claims \p step of \p event_id; DEDUPE_NEW means: do it. */
static enum dedupe_verdict ledger_claim(struct actions *a, const char *event_id,
                                        const char *step)
{
        char key[320]; /* ids are at most 255 bytes */

        ledger_key(key, sizeof(key), event_id, step);
        return dedupe_claim(a->ledger, key, dlp_wall_s());
}

static void ledger_finish(struct actions *a, const char *event_id,
                          const char *step, int done)
{
        char key[320]; /* ids are at most 255 bytes */

        ledger_key(key, sizeof(key), event_id, step);
        dedupe_finish(a->ledger, key, done);
}

/* Marks \p step done whatever it was. */
static void ledger_mark(struct actions *a, const char *event_id,
                        const char *step)
{
        ledger_claim(a, event_id, step);
        ledger_finish(a, event_id, step, 1);
}

static int ledger_done(struct actions *a, const char *event_id,
                       const char *step)
{
        char key[320]; /* ids are at most 255 bytes */

        ledger_key(key, sizeof(key), event_id, step);
        return dedupe_peek(a->ledger, key) == DEDUPE_DONE;
}

/* The ledger's name of a task's step: its kind, and for a file's removal
 * the file too ("remove_file:F123"), so each file is deleted once. */
static const char *step_of(const struct action_task *t, char *buf, size_t size)
{
        if (t->kind != ACT_REMOVE_FILE)
                return kind_names[t->kind];
        snprintf(buf, size, "remove_file:%s", t->file_id);
        return buf;
}

/* ---- lanes and tasks ----------------------------------------------------- */

static void task_free(struct action_task *t)
{
        if (!t)
                return;
        json_decref(t->ins);
        json_decref(t->findings);
        free(t);
}

static const char *str(const json_t *o, const char *k)
{
        return json_string_value(json_object_get(o, k));
}

/* The DM channel of \p user, or NULL. Caller holds the lock. */
static const char *dm_find(struct actions *a, const char *user)
{
        for (struct dm *d = a->dms; user && d; d = d->next)
                if (!strcmp(d->user, user))
                        return d->channel;
        return NULL;
}

static void dm_remember(struct actions *a, const char *user,
                        const char *channel)
{
        struct dm *d;

        pthread_mutex_lock(&a->lock);
        if (!dm_find(a, user) && a->n_dms < DM_CACHE_MAX &&
            strlen(user) < sizeof(d->user) &&
            strlen(channel) < sizeof(d->channel) &&
            (d = calloc(1, sizeof(*d)))) {
                snprintf(d->user, sizeof(d->user), "%s", user);
                snprintf(d->channel, sizeof(d->channel), "%s", channel);
                d->next = a->dms;
                a->dms = d;
                a->n_dms++;
        }
        pthread_mutex_unlock(&a->lock);
}

/* The lane a task waits in, and its pace. Caller holds the lock. */
static struct lane *lane_of(struct actions *a, const struct action_task *t)
{
        const struct actions_config *cfg = a->cfg;
        long tier3_ms =
            cfg->tier3_per_min > 0 ? (long)(60000.0 / cfg->tier3_per_min) : 0;
        char key[96];
        long interval;
        struct lane *l;

        if (t->kind == ACT_REMOVE) {
                snprintf(key, sizeof(key), "chat.delete");
                interval = tier3_ms;
        } else if (t->kind == ACT_REMOVE_FILE) {
                /* Tier 3 as well, its own bucket at Slack */
                snprintf(key, sizeof(key), "files.delete");
                interval = tier3_ms;
        } else if (t->kind == ACT_NOTIFY && cfg->via == NOTIFY_DM &&
                   dm_find(a, str(t->ins, "user"))) {
                /* the DM is known: a post in it */
                snprintf(key, sizeof(key), "post %s",
                         dm_find(a, str(t->ins, "user")));
                interval = cfg->channel_interval_ms;
        } else if (t->kind == ACT_NOTIFY && cfg->via == NOTIFY_DM) {
                /* the open is Tier 3 for the workspace */
                snprintf(key, sizeof(key), "conversations.open");
                interval = tier3_ms;
        } else if (t->kind == ACT_NOTE) {
                snprintf(key, sizeof(key), "post %s", cfg->alert_channel);
                interval = cfg->channel_interval_ms;
        } else {
                /* a tombstone, or an ephemeral: a post in the channel */
                snprintf(key, sizeof(key), "post %s",
                         str(t->ins, "channel") ?: "");
                interval = cfg->channel_interval_ms;
        }
        for (l = a->lanes; l; l = l->next)
                if (!strcmp(l->key, key))
                        return l;
        l = calloc(1, sizeof(*l));
        if (!l)
                return NULL;
        snprintf(l->key, sizeof(l->key), "%s", key);
        l->interval_ms = interval;
        l->next = a->lanes;
        a->lanes = l;
        return l;
}

/* Queues a new task; returns 1, or 0 when out of memory (the ledger then
 * forgets the step, so it is tried again when the record is read again). */
static size_t enqueue(struct actions *a, enum action_kind kind,
                      const json_t *ins, const json_t *findings,
                      const char *rule, int removing, const char *error,
                      const char *file_id, void *cookie)
{
        struct action_task *t = calloc(1, sizeof(*t));
        struct lane *l;
        char step[64];

        if (!t)
                goto fail;
        snprintf(t->file_id, sizeof(t->file_id), "%s", file_id ? file_id : "");
        t->kind = kind;
        t->ins = json_incref((json_t *)ins);
        t->findings = json_incref((json_t *)findings);
        t->event_id = str(ins, "event_id");
        t->cookie = cookie;
        t->removing = removing;
        snprintf(t->rule, sizeof(t->rule), "%s", rule ? rule : "");
        snprintf(t->reason, sizeof(t->reason), "%s", error ? error : "");
        pthread_mutex_lock(&a->lock);
        l = lane_of(a, t);
        if (l) {
                if (l->tail)
                        l->tail->next = t;
                else
                        l->head = t;
                l->tail = t;
                a->outstanding++;
                pthread_cond_signal(&a->cond);
        }
        pthread_mutex_unlock(&a->lock);
        if (l)
                return 1;
        task_free(t);
fail:
        LOG_EV(DLP_LOG_ERROR, str(ins, "event_id"), "%s: out of memory",
               kind_names[kind]);
        if (kind == ACT_REMOVE_FILE)
                snprintf(step, sizeof(step), "remove_file:%s",
                         file_id ? file_id : "");
        ledger_finish(a, str(ins, "event_id"),
                      kind == ACT_REMOVE_FILE ? step : kind_names[kind], 0);
        return 0;
}

/* ---- Slack calls ------------------------------------------------------- */

static void set_answer(struct action_task *t, const char *method,
                       const struct slack_result *r, const char *channel,
                       const char *ts)
{
        snprintf(t->method, sizeof(t->method), "%s", method);
        t->ok = r->outcome == SLACK_OK;
        t->error[0] = '\0'; /* a transient error before this answer */
        if (!t->ok) {
                /* Slack's code without our "slack: " prefix */
                const char *e = r->error;
                if (!strncmp(e, "slack: ", 7))
                        e += 7;
                snprintf(t->error, sizeof(t->error), "%s", e);
        }
        snprintf(t->channel, sizeof(t->channel), "%s", channel ? channel : "");
        snprintf(t->ts, sizeof(t->ts), "%s", ts ? ts : "");
}

/* Posts \p msg (stolen) to \p channel, as an ephemeral to \p user when not
 * NULL. */
static void post(struct actions *a, struct dlp_httpc *http,
                 struct action_task *t, json_t *msg, const char *channel,
                 const char *user, struct slack_result *r)
{
        const char *method = user ? "chat.postEphemeral" : "chat.postMessage";
        json_t *answer = NULL;

        if (!msg) {
                r->outcome = SLACK_RETRY;
                snprintf(r->error, sizeof(r->error), "out of memory");
                return;
        }
        json_object_set_new(msg, "channel", json_string(channel));
        if (user)
                json_object_set_new(msg, "user", json_string(user));
        slack_call(http, a->cfg->api_url, method, a->cfg->bot_token, msg, r,
                   &answer);
        json_decref(msg);
        set_answer(t, method, r, channel,
                   str(answer, user ? "message_ts" : "ts"));
        json_decref(answer);
}

/* One attempt at \p t; r->outcome SLACK_RETRY means: again later. */
static void perform(struct actions *a, struct dlp_httpc *http,
                    struct action_task *t, struct slack_result *r)
{
        const char *channel = str(t->ins, "channel");
        const char *user = str(t->ins, "user");
        json_t *answer = NULL, *args;

        memset(r, 0, sizeof(*r));
        r->retry_after = -1;
        switch (t->kind) {
        case ACT_NOTIFY:
                if (!user) { /* a bot's message: nobody to tell */
                        r->outcome = SLACK_PERMANENT;
                        snprintf(r->error, sizeof(r->error), "no_author");
                        set_answer(t,
                                   a->cfg->via == NOTIFY_DM
                                       ? "chat.postMessage"
                                       : "chat.postEphemeral",
                                   r, NULL, NULL);
                        return;
                }
                if (a->cfg->via == NOTIFY_EPHEMERAL) {
                        post(a, http, t,
                             notice_author(t->ins, t->findings, t->removing),
                             channel, user, r);
                        return;
                }
                {
                        char dm[64] = "";
                        const char *known;

                        pthread_mutex_lock(&a->lock);
                        known = dm_find(a, user);
                        if (known)
                                snprintf(dm, sizeof(dm), "%s", known);
                        pthread_mutex_unlock(&a->lock);
                        if (!dm[0]) {
                                args = json_pack("{s:s}", "users", user);
                                slack_call(http, a->cfg->api_url,
                                           "conversations.open",
                                           a->cfg->bot_token, args, r, &answer);
                                json_decref(args);
                                if (r->outcome != SLACK_OK) {
                                        set_answer(t, "chat.postMessage", r,
                                                   NULL, NULL);
                                        return;
                                }
                                snprintf(dm, sizeof(dm), "%s",
                                         str(json_object_get(answer, "channel"),
                                             "id")
                                             ?: "");
                                json_decref(answer);
                                if (dm[0])
                                        dm_remember(a, user, dm);
                        }
                        post(a, http, t,
                             notice_author(t->ins, t->findings, t->removing),
                             dm, NULL, r);
                }
                return;
        case ACT_REMOVE:
                args = json_pack("{s:s,s:s}", "channel", channel ?: "", "ts",
                                 str(t->ins, "ts") ?: "");
                slack_call(http, a->cfg->api_url, "chat.delete",
                           a->cfg->admin_token, args, r, &answer);
                json_decref(args);
                set_answer(t, "chat.delete", r, channel, str(t->ins, "ts"));
                json_decref(answer);
                return;
        case ACT_REMOVE_FILE:
                /* the admin's user token: a bot token may delete only its
                 * bot's files */
                args = json_pack("{s:s}", "file", t->file_id);
                slack_call(http, a->cfg->api_url, "files.delete",
                           a->cfg->admin_token, args, r, &answer);
                json_decref(args);
                set_answer(t, "files.delete", r, channel, str(t->ins, "ts"));
                json_decref(answer);
                return;
        case ACT_TOMBSTONE:
                post(a, http, t, notice_tombstone(t->ins, t->findings), channel,
                     NULL, r);
                return;
        case ACT_NOTE:
                post(a, http, t,
                     notice_not_removed(t->ins, t->findings, t->reason),
                     a->cfg->alert_channel, NULL, r);
                return;
        }
}

/* A lane with a task and the right to call now, or NULL with *wait_ms
 * set. Caller holds the lock. */
static struct lane *next_ready(struct actions *a, int64_t now, int64_t *wait_ms)
{
        *wait_ms = 1000;
        for (struct lane *l = a->lanes; l; l = l->next) {
                if (!l->head || l->busy)
                        continue;
                if (l->next_ms <= now)
                        return l;
                if (l->next_ms - now < *wait_ms)
                        *wait_ms = l->next_ms - now;
        }
        return NULL;
}

static void *worker(void *arg)
{
        struct actions *a = arg;
        struct dlp_httpc *http = dlp_httpc_new(a->cfg->timeout_ms);

        pthread_mutex_lock(&a->lock);
        while (!a->stop) {
                int64_t wait_ms;
                struct lane *l = next_ready(a, dlp_mono_ms(), &wait_ms);
                struct action_task *t;
                struct slack_result r;

                if (!l || !http) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
                        ts.tv_sec += wait_ms / 1000 + ts.tv_nsec / 1000000000;
                        ts.tv_nsec %= 1000000000;
                        pthread_cond_timedwait(&a->cond, &a->lock, &ts);
                        continue;
                }
                l->busy = 1;
                t = l->head;
                pthread_mutex_unlock(&a->lock);

                perform(a, http, t, &r);

                pthread_mutex_lock(&a->lock);
                l->busy = 0;
                if (r.outcome == SLACK_RETRY) {
                        double d = dlp_backoff(
                            ++l->attempt, 1.0, a->cfg->retry_max_s,
                            r.retry_after, (double)rand() / RAND_MAX);
                        l->next_ms = dlp_mono_ms() + (int64_t)(d * 1000);
                        a->c.retries++;
                        LOG_EV(DLP_LOG_WARN, t->event_id,
                               "%s (%s) failed (%s): again in %.1f s",
                               kind_names[t->kind], l->key, r.error, d);
                        continue; /* stays at the head of its lane */
                }
                l->attempt = 0;
                l->next_ms = dlp_mono_ms() + l->interval_ms;
                l->head = t->next;
                if (!l->head)
                        l->tail = NULL;
                t->next = NULL;
                t->answered_at = dlp_wall_s();
                if (a->done_tail)
                        a->done_tail->next = t;
                else
                        a->done_head = t;
                a->done_tail = t;
        }
        pthread_mutex_unlock(&a->lock);
        dlp_httpc_destroy(http);
        return NULL;
}

/* ---- the module ---------------------------------------------------------- */

struct actions *actions_new(const struct actions_config *cfg)
{
        struct actions *a = calloc(1, sizeof(*a));

        if (!a)
                return NULL;
        a->cfg = cfg;
        pthread_mutex_init(&a->lock, NULL);
        pthread_cond_init(&a->cond, NULL);
        /* a few steps per event: notify, remove, its outcome, tombstone or
         * note, and the wish to remove */
        a->ledger = dedupe_new(cfg->capacity * 5, cfg->window_s);
        a->threads = calloc((size_t)cfg->workers + 1, sizeof(pthread_t));
        if (!a->ledger || !a->threads) {
                actions_free(a);
                return NULL;
        }
        for (; a->n_threads < cfg->workers; a->n_threads++)
                if (pthread_create(&a->threads[a->n_threads], NULL, worker,
                                   a)) {
                        actions_free(a);
                        return NULL;
                }
        return a;
}

void actions_free(struct actions *a)
{
        if (!a)
                return;
        pthread_mutex_lock(&a->lock);
        a->stop = 1;
        pthread_cond_broadcast(&a->cond);
        pthread_mutex_unlock(&a->lock);
        for (long i = 0; i < a->n_threads; i++)
                pthread_join(a->threads[i], NULL);
        for (struct lane *l = a->lanes, *next; l; l = next) {
                next = l->next;
                for (struct action_task *t = l->head, *tn; t; t = tn) {
                        tn = t->next;
                        task_free(t);
                }
                free(l);
        }
        for (struct action_task *t = a->done_head, *tn; t; t = tn) {
                tn = t->next;
                task_free(t);
        }
        for (struct dm *d = a->dms, *dn; d; d = dn) {
                dn = d->next;
                free(d);
        }
        dedupe_free(a->ledger);
        free(a->threads);
        pthread_mutex_destroy(&a->lock);
        pthread_cond_destroy(&a->cond);
        free(a);
}

/* Queues the step that follows a removal, as its outcome says. */
static size_t follow_up(struct actions *a, const json_t *ins,
                        const json_t *findings, const char *rule, int removed,
                        const char *error, void *cookie)
{
        enum action_kind kind = removed ? ACT_TOMBSTONE : ACT_NOTE;

        if (ledger_claim(a, str(ins, "event_id"), kind_names[kind]) !=
            DEDUPE_NEW)
                return 0;
        /* the note quotes Slack's refusal */
        return enqueue(a, kind, ins, findings, rule, 1, error, NULL, cookie);
}

/* Whether \p file may be deleted for the record \p ins (DESIGN §14): a
 * Slack file id (F and capitals or digits, as the inspector takes them)
 * that the record's own files[] lists as inspected. A finding naming
 * any other id — a stray or forged record on the inspected topic — deletes
 * nothing: files.delete runs with the admin token, which can delete any
 * file of the workspace. */
static int file_deletable(const json_t *ins, const char *file)
{
        size_t n = strlen(file), i;
        json_t *f;

        if (n < 2 || n >= sizeof(((struct action_task *)0)->file_id) ||
            file[0] != 'F')
                return 0;
        for (i = 1; i < n; i++)
                if (!((file[i] >= 'A' && file[i] <= 'Z') ||
                      (file[i] >= '0' && file[i] <= '9')))
                        return 0;
        json_array_foreach(json_object_get(ins, "files"), i, f)
        {
                const char *listed = str(f, "id");

                if (listed && !strcmp(listed, file) &&
                    json_is_true(json_object_get(f, "inspected")))
                        return 1;
        }
        return 0;
}

/* Queues files.delete of each file \p findings are in (file_id), once per
 * file and event, if file_deletable(). */
static size_t remove_files(struct actions *a, const json_t *ins,
                           const json_t *findings, const char *rule,
                           void *cookie)
{
        const char *id = str(ins, "event_id");
        json_t *f;
        size_t i, n = 0;
        char step[64];

        json_array_foreach((json_t *)findings, i, f)
        {
                const char *file = str(f, "file_id");

                if (!file || !file_deletable(ins, file))
                        continue;
                snprintf(step, sizeof(step), "remove_file:%s", file);
                if (ledger_claim(a, id, step) == DEDUPE_NEW)
                        n += enqueue(a, ACT_REMOVE_FILE, ins, findings, rule, 1,
                                     NULL, file, cookie);
        }
        return n;
}

size_t actions_submit(struct actions *a, const json_t *ins,
                      const json_t *findings, unsigned actions,
                      const char *rule, void *cookie)
{
        const char *id = str(ins, "event_id");
        size_t n = 0;

        if (!id)
                return 0;
        if (actions & ACTION_NOTIFY) {
                if (ledger_claim(a, id, "notify") == DEDUPE_NEW)
                        n += enqueue(a, ACT_NOTIFY, ins, findings, rule,
                                     !!(actions & ACTION_REMOVE), NULL, NULL,
                                     cookie);
                else
                        a->c.skipped++;
        }
        if (actions & ACTION_REMOVE) {
                enum dedupe_verdict v = ledger_claim(a, id, "remove");
                if (v == DEDUPE_NEW)
                        n += enqueue(a, ACT_REMOVE, ins, findings, rule, 1,
                                     NULL, NULL, cookie);
                else if (v == DEDUPE_DONE) {
                        /* removed or refused before a crash or a
                         * rebalance: only what followed may be missing */
                        a->c.skipped++;
                        if (ledger_done(a, id, "removed"))
                                n += follow_up(a, ins, findings, rule, 1, NULL,
                                               cookie);
                        else if (ledger_done(a, id, "not-removed"))
                                n += follow_up(a, ins, findings, rule, 0,
                                               "see the remove record", cookie);
                } else
                        a->c.skipped++;
                n += remove_files(a, ins, findings, rule, cookie);
        }
        return n;
}

struct action_task *actions_take_done(struct actions *a)
{
        struct action_task *list;

        pthread_mutex_lock(&a->lock);
        list = a->done_head;
        a->done_head = a->done_tail = NULL;
        pthread_mutex_unlock(&a->lock);
        return list;
}

json_t *actions_record(const struct action_task *t, enum notify_via via)
{
        json_t *rec, *slack, *types = notice_info_types(t->findings);
        char now[40];

        dlp_rfc3339_now(now, sizeof(now));
        slack = json_pack("{s:s,s:b}", "method", t->method, "ok", t->ok);
        if (slack && !t->ok)
                json_object_set_new(
                    slack, "error",
                    json_string(t->error[0] ? t->error : "unknown"));
        if (slack && t->channel[0])
                json_object_set_new(slack, "channel", json_string(t->channel));
        if (slack && t->ts[0])
                json_object_set_new(slack, "ts", json_string(t->ts));
        rec = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s}", "schema",
                        DLP_SCHEMA_ACTION, "event_id", t->event_id ?: "",
                        "team_id", str(t->ins, "team_id") ?: "",
                        "source_channel", str(t->ins, "channel") ?: "",
                        "event_ts", str(t->ins, "ts") ?: "", "action",
                        kind_names[t->kind], "outcome", t->ok ? "ok" : "failed",
                        "slack", slack, "at", now);
        if (!rec) {
                json_decref(types);
                return NULL;
        }
        if (str(t->ins, "user"))
                json_object_set_new(rec, "user",
                                    json_string(str(t->ins, "user")));
        if (t->kind == ACT_NOTIFY)
                json_object_set_new(
                    rec, "via",
                    json_string(via == NOTIFY_DM ? "dm" : "ephemeral"));
        if (t->rule[0])
                json_object_set_new(rec, "rule", json_string(t->rule));
        if (t->kind == ACT_REMOVE_FILE)
                json_object_set_new(rec, "file_id", json_string(t->file_id));
        if (json_array_size(types))
                json_object_set(rec, "info_types", types);
        json_decref(types);
        return rec;
}

size_t actions_recorded(struct actions *a, struct action_task *t, int stored)
{
        size_t n = 0;

        char step[64];

        pthread_mutex_lock(&a->lock);
        a->outstanding--;
        pthread_mutex_unlock(&a->lock);
        ledger_finish(a, t->event_id, step_of(t, step, sizeof(step)), stored);
        switch (t->kind) {
        case ACT_REMOVE_FILE:
                t->ok ? a->c.files_removed++ : a->c.files_not_removed++;
                break;
        case ACT_NOTIFY:
                t->ok ? a->c.notified++ : a->c.failed++;
                break;
        case ACT_REMOVE:
                t->ok ? a->c.removed++ : a->c.not_removed++;
                break;
        case ACT_TOMBSTONE:
                t->ok ? a->c.tombstones++ : a->c.failed++;
                break;
        case ACT_NOTE:
                t->ok ? a->c.notes++ : a->c.failed++;
                break;
        }
        if (stored && t->kind == ACT_REMOVE) {
                ledger_mark(a, t->event_id, t->ok ? "removed" : "not-removed");
                n = follow_up(a, t->ins, t->findings, t->rule, t->ok, t->error,
                              t->cookie);
        }
        task_free(t);
        return n;
}

size_t actions_drop_queued(struct actions *a,
                           void (*dropped)(void *cookie, void *opaque),
                           void *opaque)
{
        struct action_task *list = NULL;
        size_t n = 0;

        pthread_mutex_lock(&a->lock);
        for (struct lane *l = a->lanes; l; l = l->next) {
                /* a busy lane's head is being called: let it finish */
                struct action_task **pp =
                    l->busy && l->head ? &l->head->next : &l->head;
                while (*pp) {
                        struct action_task *t = *pp;
                        *pp = t->next;
                        t->next = list;
                        list = t;
                        n++;
                }
                l->tail = l->head; /* the busy head, or none */
        }
        a->outstanding -= n;
        pthread_mutex_unlock(&a->lock);
        while (list) {
                struct action_task *t = list;
                list = t->next;
                char step[64];

                ledger_finish(a, t->event_id, step_of(t, step, sizeof(step)),
                              0);
                dropped(t->cookie, opaque);
                task_free(t);
        }
        return n;
}

size_t actions_outstanding(struct actions *a)
{
        size_t n;

        pthread_mutex_lock(&a->lock);
        n = a->outstanding;
        pthread_mutex_unlock(&a->lock);
        return n;
}

void actions_learn(struct actions *a, const json_t *rec)
{
        const char *schema = str(rec, "schema"), *id = str(rec, "event_id");
        const char *action = str(rec, "action"), *outcome = str(rec, "outcome");

        if (!schema || strcmp(schema, DLP_SCHEMA_ACTION) || !id || !action ||
            !outcome)
                return;
        for (size_t k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); k++)
                if (!strcmp(action, kind_names[k]))
                        ledger_mark(a, id, kind_names[k]);
        if (!strcmp(action, "remove"))
                ledger_mark(a, id,
                            strcmp(outcome, "ok") ? "not-removed" : "removed");
        if (!strcmp(action, "remove_file") && str(rec, "file_id")) {
                char step[64];

                snprintf(step, sizeof(step), "remove_file:%s",
                         str(rec, "file_id"));
                ledger_mark(a, id, step);
        }
}

struct actions_counters *actions_counters(struct actions *a)
{
        return &a->c;
}
