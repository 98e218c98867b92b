/* flight.c - batches in flight (see flight.h). */
#include "flight.h"
#include "err.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void flights_init(struct flights *fs, size_t max, int max_tries,
                  double retry_max_s)
{
        memset(fs, 0, sizeof(*fs));
        fs->max = max;
        fs->max_tries = max_tries;
        fs->retry_max_s = retry_max_s;
}

static void flight_free(struct flight *f)
{
        batch_clear(&f->batch);
        plan_free(&f->plan);
        free(f);
}

void flights_term(struct flights *fs)
{
        for (size_t i = 0; i < fs->n; i++)
                flight_free(fs->v[i]);
        free(fs->v);
        fs->v = NULL;
        fs->n = 0;
}

int flights_full(const struct flights *fs)
{
        return fs->n >= fs->max;
}

size_t flights_out(const struct flights *fs)
{
        size_t n = 0;

        for (size_t i = 0; i < fs->n; i++)
                n += fs->v[i]->out != 0;
        return n;
}

struct flight *flights_start(struct flights *fs, struct batch *b, long long seq)
{
        struct flight *f = calloc(1, sizeof(*f));
        struct flight **nv;

        if (!f)
                return NULL;
        nv = realloc(fs->v, (fs->n + 1) * sizeof(*nv));
        if (!nv) {
                free(f);
                return NULL;
        }
        fs->v = nv;
        f->batch = *b;
        if (plan_make(&f->plan, &f->batch) != DLP_OK) {
                plan_free(&f->plan);
                free(f);
                return NULL;
        }
        batch_init(b, f->batch.be, f->batch.max_items, f->batch.max_bytes);
        f->seq = seq;
        fs->v[fs->n++] = f;
        return f;
}

struct flight *flights_ready(const struct flights *fs, double t)
{
        for (size_t i = 0; i < fs->n; i++) {
                struct flight *f = fs->v[i];
                if (!f->out && !plan_empty(&f->plan) && f->retry_at <= t)
                        return f;
        }
        return NULL;
}

double flights_next_ready(const struct flights *fs)
{
        double t = -1;

        for (size_t i = 0; i < fs->n; i++) {
                const struct flight *f = fs->v[i];
                if (!f->out && !plan_empty(&f->plan) &&
                    (t < 0 || f->retry_at < t))
                        t = f->retry_at;
        }
        return t;
}

struct flight *flights_finished(const struct flights *fs)
{
        for (size_t i = 0; i < fs->n; i++)
                if (!fs->v[i]->out && !fs->v[i]->held && !fs->v[i]->writing &&
                    plan_empty(&fs->v[i]->plan))
                        return fs->v[i];
        return NULL;
}

struct flight *flights_written(const struct flights *fs)
{
        for (size_t i = 0; i < fs->n; i++)
                if (fs->v[i]->writing && fs->v[i]->unreported == 0)
                        return fs->v[i];
        return NULL;
}

size_t flights_writing(const struct flights *fs)
{
        size_t n = 0;

        for (size_t i = 0; i < fs->n; i++)
                n += fs->v[i]->writing != 0;
        return n;
}

void flights_remove(struct flights *fs, struct flight *f)
{
        for (size_t i = 0; i < fs->n; i++)
                if (fs->v[i] == f) {
                        memmove(fs->v + i, fs->v + i + 1,
                                (fs->n - i - 1) * sizeof(*fs->v));
                        fs->n--;
                        break;
                }
        flight_free(f);
}

int flight_has_partition(const struct flight *f, const char *topic,
                         int partition)
{
        for (size_t i = 0; i < f->batch.n_entries; i++) {
                const struct batch_entry *e = &f->batch.entries[i];
                /* a message already released was read from the worker's
                 * one topic */
                if (e->partition >= 0 && e->partition == partition &&
                    (!e->rkm ||
                     !strcmp(rd_kafka_topic_name(e->rkm->rkt), topic)))
                        return 1;
        }
        return 0;
}

char *flight_request(struct flight *f, double slot_start, size_t *len,
                     struct plan_range *r)
{
        char *body;

        *r = plan_head(&f->plan);
        body = batch_request(&f->batch, r->lo, r->hi, len);
        if (!body)
                return NULL;
        f->out = 1;
        f->attempt++;
        f->slot_start = slot_start;
        return body;
}

void flight_unsend(struct flight *f)
{
        f->out = 0;
        f->attempt--;
}

static void backoff(struct flights *fs, struct flight *f, double now,
                    double retry_after)
{
        f->retries++;
        f->retry_at = now + dlp_backoff(f->retries - 1, 0.5, fs->retry_max_s,
                                        retry_after, (double)rand() / RAND_MAX);
}

static void no_finding(void *ctx, const struct backend_finding *gf)
{
        (void)ctx;
        (void)gf;
}

/* A 200: merge its findings, or split a truncated range so that no
 * finding is lost, or count an unusable answer. */
static enum flight_outcome answer_ok(struct flights *fs, struct flight *f,
                                     struct plan_range r,
                                     const struct dlp_http_result *res,
                                     double now, struct backend_answer *info,
                                     char *msg, size_t msg_size)
{
        char why[256];
        struct batch_sink sink = {&f->batch, r.lo};

        /* a dry run first: nothing is merged from an answer that cannot be
         * used, or that is cut short where smaller requests would not be */
        const struct backend *be = f->batch.be;

        if (be->ops->parse(res->body, res->body_len, r.hi - r.lo, no_finding,
                           NULL, info, why, sizeof(why)) != DLP_OK) {
                if (++f->unusable >= fs->max_tries) {
                        char reason[400];
                        dlp_fmt(reason, sizeof(reason),
                                "DLP answer unusable %d times: %s", f->unusable,
                                why);
                        batch_kill_rows(&f->batch, r.lo, r.hi, reason);
                        plan_done(&f->plan);
                        f->unusable = 0;
                        dlp_fmt(msg, msg_size, "%s", reason);
                        return FLIGHT_GAVE_UP;
                }
                dlp_fmt(msg, msg_size, "DLP answer unusable (try %d of %d): %s",
                        f->unusable, fs->max_tries, why);
                backoff(fs, f, now, -1);
                return FLIGHT_UNUSABLE;
        }
        f->unusable = 0;
        f->retries = 0;
        if (info->truncated && !plan_head_alone(&f->plan)) {
                if (plan_bisect(&f->plan) != DLP_OK)
                        return FLIGHT_NOMEM;
                dlp_fmt(msg, msg_size,
                        "findings of rows %zu..%zu truncated: inspecting "
                        "them again in halves",
                        r.lo, r.hi);
                return FLIGHT_SPLIT;
        }
        be->ops->parse(res->body, res->body_len, r.hi - r.lo, batch_on_finding,
                       &sink, info, why, sizeof(why));
        if (info->truncated) /* one row alone: what the service gives */
                batch_mark_truncated(&f->batch, r.lo, r.hi);
        plan_done(&f->plan);
        return FLIGHT_ANSWERED;
}

enum flight_outcome flight_answer(struct flights *fs, struct flight *f, int rc,
                                  const struct dlp_http_result *res, double now,
                                  struct backend_answer *info, char *msg,
                                  size_t msg_size)
{
        struct plan_range r = plan_head(&f->plan);
        enum backend_error kind;
        char err[512];

        memset(info, 0, sizeof(*info));
        f->out = 0;
        *msg = '\0';
        if (rc != DLP_OK) { /* no answer: timeout, connection */
                backoff(fs, f, now, -1);
                return FLIGHT_RETRY;
        }
        if (res->status == 200)
                return answer_ok(fs, f, r, res, now, info, msg, msg_size);
        kind = f->batch.be->ops->classify(res->status, res->body, res->body_len,
                                          err, sizeof(err));
        if (kind == BACKEND_INVALID) {
                /* some row is poison (Google: 400 INVALID_ARGUMENT). Halve the
                 * range until the culprit is alone; its event is dead-lettered
                 * with the service's message, the rest proceed. */
                f->retries = 0;
                if (plan_head_alone(&f->plan)) {
                        batch_kill_rows(&f->batch, r.lo, r.hi, err);
                        plan_done(&f->plan);
                        dlp_fmt(msg, msg_size, "row %zu is poison: %s", r.lo,
                                err);
                        return FLIGHT_POISON;
                }
                if (plan_bisect(&f->plan) != DLP_OK)
                        return FLIGHT_NOMEM;
                dlp_fmt(msg, msg_size,
                        "DLP rejected rows %zu..%zu (%s): bisecting", r.lo,
                        r.hi, err);
                return FLIGHT_BISECTED;
        }
        /* the service's own word to come back later (429, 5xx), or a
         * set-up problem (401/403/404) that may be fixed while we wait:
         * never drop the batch */
        dlp_fmt(msg, msg_size, "DLP answered %ld: %s", res->status, err);
        backoff(fs, f, now, res->retry_after);
        return kind == BACKEND_LATER ? FLIGHT_RETRY : FLIGHT_REFUSED;
}

/* The partition and offset of entry \p i: 1; 0 when it has no message
 * (nothing to commit); -1 for a partition outside \p n_parts (never
 * committable here, so its flight never goes in). */
static int entry_at(const struct flight *f, size_t i, size_t n_parts, size_t *p,
                    int64_t *off)
{
        const struct batch_entry *e = &f->batch.entries[i];

        if (e->partition < 0)
                return 0;
        if ((size_t)e->partition >= n_parts)
                return -1;
        *p = (size_t)e->partition;
        *off = e->offset;
        return 1;
}

size_t flights_txn_select(struct flights *fs, int64_t *cap, size_t n_parts)
{
        size_t n = 0, p;
        int64_t off;
        int changed, at;

        for (size_t k = 0; k < fs->n; k++)
                if (fs->v[k]->held)
                        fs->v[k]->held = 2;
        do {
                changed = 0;
                for (size_t k = 0; k < fs->n; k++) { /* left out: stops */
                        const struct flight *f = fs->v[k];
                        if (f->held != 1)
                                continue;
                        for (size_t i = 0; i < f->batch.n_entries; i++)
                                if (entry_at(f, i, n_parts, &p, &off) == 1 &&
                                    cap[p] >= 0 && off < cap[p])
                                        cap[p] = off;
                }
                for (size_t k = 0; k < fs->n; k++) { /* in: all below */
                        struct flight *f = fs->v[k];
                        if (f->held != 2)
                                continue;
                        for (size_t i = 0; i < f->batch.n_entries; i++) {
                                at = entry_at(f, i, n_parts, &p, &off);
                                if (at < 0 ||
                                    (at > 0 && (cap[p] < 0 || off >= cap[p]))) {
                                        f->held = 1;
                                        changed = 1;
                                        break;
                                }
                        }
                }
        } while (changed);
        for (size_t k = 0; k < fs->n; k++)
                n += fs->v[k]->held == 2;
        return n;
}
