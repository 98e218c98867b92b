/* stats.c - the strict sliding-window rate limiter and the counters of
 * dlp-sim, behind one mutex (the HTTP server runs a thread pool).
 *
 * The limiter keeps the arrival times of the requests admitted in the last
 * 2 s, sorted (a timeline). Arrivals are stamped before a thread takes the
 * lock, so one may come in earlier than one already admitted: it is put in
 * its place. A request arriving at t is admitted iff no R + 1 consecutive
 * admitted arrivals, t among them, lie within less than 1 s of each other.
 * So no window of 1 s, wherever it starts, ever holds more than R admitted
 * requests; for arrivals in order this is "fewer than R in (t - 1 s, t]".
 *
 * max_requests_in_any_1s_window is exact for the same reason: the busiest
 * 1 s window can always be slid to start at an admitted arrival, so it is
 * the largest count of arrivals in [a, a + 1 s) over the windows holding
 * each new arrival, computed at each admission from the timeline.
 * max_offered_in_any_1s_window does the same over every authenticated
 * request, 429s included (what the clients tried). */
#include "sim.h"
#include "err.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WINDOW_US  1000000
#define SERIES_LEN 3600 /* seconds of requests_per_second kept */

struct series_slot {
        int64_t t; /* unix second this slot holds, or 0 */
        uint32_t n;
        uint32_t rate_limited;
};

/* Times in ascending order, in a growable ring. */
struct timeline {
        int64_t *v;
        size_t head, cnt, cap;
};

static int64_t tl_at(const struct timeline *tl, size_t i)
{
        return tl->v[(tl->head + i) % tl->cap];
}

/* Forgets the times up to \p before. */
static void tl_prune(struct timeline *tl, int64_t before)
{
        while (tl->cnt > 0 && tl->v[tl->head] <= before) {
                tl->head = (tl->head + 1) % tl->cap;
                tl->cnt--;
        }
}

/* Where \p t goes: after every time <= t (searched from the newest, where
 * it nearly always goes). */
static size_t tl_place(const struct timeline *tl, int64_t t)
{
        size_t i = tl->cnt;

        while (i > 0 && tl_at(tl, i - 1) > t)
                i--;
        return i;
}

/* The i-th time were \p t inserted at \p pos. */
static int64_t tl_with(const struct timeline *tl, size_t pos, int64_t t,
                       size_t i)
{
        return i < pos ? tl_at(tl, i) : i == pos ? t : tl_at(tl, i - 1);
}

/* Inserts \p t at \p pos (tl_place). DLP_OK or DLP_ERR_NOMEM. */
static int tl_insert(struct timeline *tl, size_t pos, int64_t t)
{
        if (tl->cnt == tl->cap) {
                size_t cap = tl->cap ? tl->cap * 2 : 64;
                int64_t *n = malloc(cap * sizeof(*n));

                if (!n)
                        return DLP_ERR_NOMEM;
                for (size_t i = 0; i < tl->cnt; i++)
                        n[i] = tl_at(tl, i);
                free(tl->v);
                tl->v = n;
                tl->cap = cap;
                tl->head = 0;
        }
        for (size_t i = tl->cnt; i > pos; i--)
                tl->v[(tl->head + i) % tl->cap] = tl_at(tl, i - 1);
        tl->v[(tl->head + pos) % tl->cap] = t;
        tl->cnt++;
        return DLP_OK;
}

/* The most times from \p since on in any 1 s window [a, a + 1 s) that
 * holds the time at \p pos (just inserted). */
static uint64_t tl_busiest(const struct timeline *tl, size_t pos, int64_t since)
{
        int64_t t = tl_at(tl, pos), from = t - WINDOW_US;
        uint64_t best = 0;
        size_t i = 0, hi = pos, j = pos;

        if (since > from)
                from = since - 1;
        while (i < hi) { /* the first time after `from` */
                size_t mid = i + (hi - i) / 2;

                if (tl_at(tl, mid) > from)
                        hi = mid;
                else
                        i = mid + 1;
        }
        if (pos + 1 == tl->cnt) /* the newest (nearly always): one window */
                return pos - i + 1;
        for (; i <= pos; i++) {
                if (j < i)
                        j = i;
                while (j + 1 < tl->cnt &&
                       tl_at(tl, j + 1) < tl_at(tl, i) + WINDOW_US)
                        j++;
                if (j - i + 1 > best)
                        best = j - i + 1;
        }
        return best;
}

struct sim_stats {
        pthread_mutex_t lock;
        int64_t (*clock_us)(void);
        long fail_every;

        /* limiter: arrivals admitted in the last 2 s */
        size_t rate;
        struct timeline admitted_tl;
        uint64_t serial; /* admitted since start; never reset */

        /* every authenticated arrival of the last 2 s */
        struct timeline offered_tl;
        int64_t reset_us; /* metrics count arrivals from here on */

        /* counters, zeroed by sim_stats_reset() */
        uint64_t admitted; /* since reset */
        uint64_t outcomes[SIM_OUTCOME_CNT];
        uint64_t max_window, max_offered;
        int64_t newest;            /* the latest arrival taken */
        int64_t max_receive_delay; /* us from arrival to this admission */
        uint64_t rows_total, findings_total, truncated_total;
        uint64_t rows_min, rows_max;
        uint64_t *rows_hist;                    /* [0, max_rows] */
        uint64_t byte_items[SIM_BYTE_TYPE_CNT]; /* accepted, by type */
        size_t rows_hist_len;
        int64_t since; /* unix second of start or reset */
        struct series_slot series[SERIES_LEN];
};

static const char *const outcome_keys[] = {"accepted",
#define SIM_REJECT_KEY(name, key) key,
                                           SIM_REJECTS(SIM_REJECT_KEY)
#undef SIM_REJECT_KEY
};

const char *sim_outcome_key(enum sim_outcome o)
{
        return (unsigned)o < SIM_OUTCOME_CNT ? outcome_keys[o] : "?";
}

static int64_t mono_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct sim_stats *sim_stats_new(long rate_limit, long max_rows, long fail_every)
{
        struct sim_stats *st = calloc(1, sizeof(*st));

        if (!st)
                return NULL;
        st->rate = (size_t)rate_limit;
        st->rows_hist_len = (size_t)max_rows + 1;
        st->rows_hist = calloc(st->rows_hist_len, sizeof(*st->rows_hist));
        if (!st->rows_hist) {
                free(st);
                return NULL;
        }
        pthread_mutex_init(&st->lock, NULL);
        st->clock_us = mono_us;
        st->fail_every = fail_every;
        st->since = (int64_t)time(NULL);
        return st;
}

void sim_stats_free(struct sim_stats *st)
{
        if (!st)
                return;
        pthread_mutex_destroy(&st->lock);
        free(st->admitted_tl.v);
        free(st->offered_tl.v);
        free(st->rows_hist);
        free(st);
}

void sim_stats_set_clock(struct sim_stats *st, int64_t (*clock_us)(void))
{
        st->clock_us = clock_us;
}

/* The slot of unix second \p t in the per-second series, cleared when it
 * held an older second. */
static struct series_slot *series_at(struct sim_stats *st, int64_t t)
{
        struct series_slot *s = &st->series[t % SERIES_LEN];

        if (s->t != t) {
                s->t = t;
                s->n = 0;
                s->rate_limited = 0;
        }
        return s;
}

/* Enters an authenticated arrival at \p t in the offered timeline and
 * updates max_offered. Out of memory only loses precision of this metric. */
static void offered_add(struct sim_stats *st, int64_t t)
{
        struct timeline *tl = &st->offered_tl;
        size_t pos = tl_place(tl, t);
        uint64_t n;

        if (tl_insert(tl, pos, t) != DLP_OK)
                return;
        n = tl_busiest(tl, pos, st->reset_us);
        if (n > st->max_offered)
                st->max_offered = n;
}

void sim_stats_admit(struct sim_stats *st, struct sim_admission *adm)
{
        sim_stats_admit_at(st, INT64_MAX, adm);
}

void sim_stats_admit_at(struct sim_stats *st, int64_t arrival_us,
                        struct sim_admission *adm)
{
        int64_t now, wall, clock;
        uint64_t in_window;
        struct timeline *tl;
        size_t pos;

        memset(adm, 0, sizeof(*adm));
        pthread_mutex_lock(&st->lock);
        clock = st->clock_us();
        now = arrival_us < clock ? arrival_us : clock;
        if (now > st->newest)
                st->newest = now;
        if (clock - now > st->max_receive_delay)
                st->max_receive_delay = clock - now;
        wall = (int64_t)time(NULL);
        /* windows holding t reach 1 s either side of it */
        tl_prune(&st->admitted_tl, st->newest - 2 * WINDOW_US);
        tl_prune(&st->offered_tl, st->newest - 2 * WINDOW_US);
        offered_add(st, now);
        tl = &st->admitted_tl;
        pos = tl_place(tl, now);
        /* R + 1 consecutive admissions, this one among them, within less
         * than 1 s: one window would hold R + 1 */
        for (size_t i = pos >= st->rate ? pos - st->rate : 0;
             i <= pos && i + st->rate <= tl->cnt; i++) {
                int64_t first = tl_with(tl, pos, now, i);

                if (tl_with(tl, pos, now, i + st->rate) - first < WINDOW_US) {
                        adm->retry_in_us = first + WINDOW_US - now;
                        if (adm->retry_in_us < 1)
                                adm->retry_in_us = 1;
                        st->outcomes[SIM_REJ_RATE_LIMITED]++;
                        series_at(st, wall)->rate_limited++;
                        pthread_mutex_unlock(&st->lock);
                        return;
                }
        }
        if (tl_insert(tl, pos, now) != DLP_OK) {
                /* no room to remember it: refuse rather than forget */
                adm->retry_in_us = WINDOW_US;
                st->outcomes[SIM_REJ_RATE_LIMITED]++;
                pthread_mutex_unlock(&st->lock);
                return;
        }
        st->serial++;
        st->admitted++;
        series_at(st, wall)->n++;
        in_window = tl_busiest(tl, pos, st->reset_us);
        if (in_window > st->max_window)
                st->max_window = in_window;

        adm->admitted = 1;
        adm->serial = st->serial;
        adm->fault =
            st->fail_every > 0 && st->serial % (uint64_t)st->fail_every == 0;
        pthread_mutex_unlock(&st->lock);
}

void sim_stats_count(struct sim_stats *st, enum sim_outcome outcome,
                     size_t rows, size_t findings, int truncated)
{
        if ((unsigned)outcome >= SIM_OUTCOME_CNT)
                return;
        pthread_mutex_lock(&st->lock);
        st->outcomes[outcome]++;
        if (outcome == SIM_ACCEPTED) {
                if (st->outcomes[SIM_ACCEPTED] == 1 || rows < st->rows_min)
                        st->rows_min = rows;
                if (rows > st->rows_max)
                        st->rows_max = rows;
                st->rows_total += rows;
                st->findings_total += findings;
                st->truncated_total += truncated ? 1 : 0;
                st->rows_hist[rows < st->rows_hist_len
                                  ? rows
                                  : st->rows_hist_len - 1]++;
        }
        pthread_mutex_unlock(&st->lock);
}

void sim_stats_count_byte_item(struct sim_stats *st, enum sim_byte_type t)
{
        if ((unsigned)t >= SIM_BYTE_TYPE_CNT || t == SIM_BT_NOT_BYTES)
                return;
        pthread_mutex_lock(&st->lock);
        st->byte_items[t]++;
        pthread_mutex_unlock(&st->lock);
}

void sim_stats_reset(struct sim_stats *st)
{
        pthread_mutex_lock(&st->lock);
        memset(st->byte_items, 0, sizeof(st->byte_items));
        st->admitted = 0;
        memset(st->outcomes, 0, sizeof(st->outcomes));
        st->max_window = st->max_offered = 0;
        st->max_receive_delay = 0;
        st->rows_total = st->findings_total = st->truncated_total = 0;
        st->rows_min = st->rows_max = 0;
        memset(st->rows_hist, 0, st->rows_hist_len * sizeof(*st->rows_hist));
        memset(st->series, 0, sizeof(st->series));
        st->reset_us = st->clock_us();
        st->since = (int64_t)time(NULL);
        pthread_mutex_unlock(&st->lock);
}

static uint64_t rejected_total(const struct sim_stats *st)
{
        uint64_t n = 0;

        for (int o = SIM_ACCEPTED + 1; o < SIM_OUTCOME_CNT; o++)
                n += st->outcomes[o];
        return n;
}

json_t *sim_stats_json(struct sim_stats *st)
{
        json_t *root = json_object(), *reasons = json_object();
        json_t *rpr = json_object(), *hist = json_object();
        json_t *series = json_array(), *bytes = json_object();
        int64_t now = (int64_t)time(NULL), from;
        uint64_t accepted;

        if (!root || !reasons || !rpr || !hist || !series || !bytes) {
                json_decref(bytes);
                json_decref(root);
                json_decref(reasons);
                json_decref(rpr);
                json_decref(hist);
                json_decref(series);
                return NULL;
        }
        pthread_mutex_lock(&st->lock);
        accepted = st->outcomes[SIM_ACCEPTED];
        json_object_set_new(root, "accepted",
                            json_integer((json_int_t)accepted));
        json_object_set_new(root, "rejected",
                            json_integer((json_int_t)rejected_total(st)));
        for (int o = SIM_ACCEPTED + 1; o < SIM_OUTCOME_CNT; o++)
                json_object_set_new(reasons, outcome_keys[o],
                                    json_integer((json_int_t)st->outcomes[o]));
        json_object_set_new(root, "rejected_by_reason", reasons);
        json_object_set_new(root, "admitted",
                            json_integer((json_int_t)st->admitted));
        json_object_set_new(root, "max_requests_in_any_1s_window",
                            json_integer((json_int_t)st->max_window));
        json_object_set_new(root, "max_offered_in_any_1s_window",
                            json_integer((json_int_t)st->max_offered));
        json_object_set_new(root, "max_receive_delay_ms",
                            json_real((double)st->max_receive_delay / 1000.0));
        json_object_set_new(root, "rows_total",
                            json_integer((json_int_t)st->rows_total));
        json_object_set_new(rpr, "min", json_integer((json_int_t)st->rows_min));
        json_object_set_new(
            rpr, "mean",
            json_real(accepted ? (double)st->rows_total / (double)accepted
                               : 0.0));
        json_object_set_new(rpr, "max", json_integer((json_int_t)st->rows_max));
        for (size_t r = 0; r < st->rows_hist_len; r++) {
                char key[24];

                if (!st->rows_hist[r])
                        continue;
                snprintf(key, sizeof(key), "%zu", r);
                json_object_set_new(hist, key,
                                    json_integer((json_int_t)st->rows_hist[r]));
        }
        json_object_set_new(rpr, "histogram", hist);
        json_object_set_new(root, "rows_per_request", rpr);
        json_object_set_new(root, "findings_total",
                            json_integer((json_int_t)st->findings_total));
        json_object_set_new(root, "findings_truncated_requests",
                            json_integer((json_int_t)st->truncated_total));
        for (int t = SIM_BT_NOT_BYTES + 1; t < SIM_BYTE_TYPE_CNT; t++)
                if (st->byte_items[t])
                        json_object_set_new(
                            bytes, sim_byte_type_name((enum sim_byte_type)t),
                            json_integer((json_int_t)st->byte_items[t]));
        json_object_set_new(root, "byte_items_by_type", bytes);
        from = now - (SERIES_LEN - 1) > st->since ? now - (SERIES_LEN - 1)
                                                  : st->since;
        for (int64_t t = from; t <= now; t++) {
                const struct series_slot *s = &st->series[t % SERIES_LEN];
                int live = s->t == t;

                json_array_append_new(
                    series,
                    json_pack("{s:I, s:I, s:I}", "t", (json_int_t)t, "n",
                              (json_int_t)(live ? s->n : 0), "rate_limited",
                              (json_int_t)(live ? s->rate_limited : 0)));
        }
        json_object_set_new(root, "requests_per_second", series);
        json_object_set_new(root, "since", json_integer((json_int_t)st->since));
        pthread_mutex_unlock(&st->lock);
        return root;
}

char *sim_stats_metrics(struct sim_stats *st)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *fp = open_memstream(&buf, &len);

        if (!fp)
                return NULL;
        pthread_mutex_lock(&st->lock);
        fprintf(fp, "# HELP dlp_sim_requests_total content:inspect requests "
                    "by outcome\n# TYPE dlp_sim_requests_total counter\n");
        for (int o = 0; o < SIM_OUTCOME_CNT; o++)
                fprintf(fp, "dlp_sim_requests_total{outcome=\"%s\"} %llu\n",
                        outcome_keys[o], (unsigned long long)st->outcomes[o]);
        fprintf(fp,
                "# TYPE dlp_sim_admitted_total counter\n"
                "dlp_sim_admitted_total %llu\n"
                "# TYPE dlp_sim_rows_total counter\n"
                "dlp_sim_rows_total %llu\n"
                "# TYPE dlp_sim_findings_total counter\n"
                "dlp_sim_findings_total %llu\n"
                "# TYPE dlp_sim_max_requests_in_any_1s_window gauge\n"
                "dlp_sim_max_requests_in_any_1s_window %llu\n"
                "# TYPE dlp_sim_max_offered_in_any_1s_window gauge\n"
                "dlp_sim_max_offered_in_any_1s_window %llu\n",
                (unsigned long long)st->admitted,
                (unsigned long long)st->rows_total,
                (unsigned long long)st->findings_total,
                (unsigned long long)st->max_window,
                (unsigned long long)st->max_offered);
        fprintf(fp, "# HELP dlp_sim_byte_items_total accepted byteItem "
                    "requests by type\n# TYPE dlp_sim_byte_items_total "
                    "counter\n");
        for (int t = SIM_BT_NOT_BYTES + 1; t < SIM_BYTE_TYPE_CNT; t++)
                fprintf(fp, "dlp_sim_byte_items_total{type=\"%s\"} %llu\n",
                        sim_byte_type_name((enum sim_byte_type)t),
                        (unsigned long long)st->byte_items[t]);
        pthread_mutex_unlock(&st->lock);
        if (fclose(fp) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
