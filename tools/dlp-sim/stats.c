/* stats.c - the strict sliding-window rate limiter and the counters of
 * dlp-sim, behind one mutex (the HTTP server runs a thread pool).
 *
 * The limiter keeps a ring of the timestamps of the last R admitted
 * requests. A request arriving at t is admitted iff fewer than R of them
 * lie in (t - 1 s, t], i.e. iff the ring is not full or its oldest entry
 * is at least 1 s old. So no window of 1 s, wherever it starts, ever holds
 * more than R admitted requests.
 *
 * max_requests_in_any_1s_window is exact for the same reason: the busiest
 * 1 s window can always be slid to end at an admitted request, so it is
 * the largest count of admitted requests in (t - 1 s, t] over every
 * admission t, which we compute at each admission from the ring.
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

struct sim_stats {
        pthread_mutex_t lock;
        int64_t (*clock_us)(void);
        long fail_every;

        /* limiter: timestamps of the last `rate` admitted requests */
        size_t rate;
        int64_t *ring;
        size_t ring_head; /* oldest entry */
        size_t ring_cnt;
        uint64_t serial; /* admitted since start; never reset */

        /* every authenticated arrival of the last second (growable ring) */
        int64_t *offered;
        size_t offered_head, offered_cnt, offered_cap;

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
        st->ring = calloc(st->rate, sizeof(*st->ring));
        st->rows_hist_len = (size_t)max_rows + 1;
        st->rows_hist = calloc(st->rows_hist_len, sizeof(*st->rows_hist));
        if (!st->ring || !st->rows_hist) {
                free(st->ring);
                free(st->rows_hist);
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
        free(st->ring);
        free(st->offered);
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

/* Enters an authenticated arrival at \p now in the offered window and
 * updates max_offered. Out of memory only loses precision of this metric. */
static void offered_add(struct sim_stats *st, int64_t now)
{
        while (st->offered_cnt > 0 &&
               st->offered[st->offered_head] <= now - WINDOW_US) {
                st->offered_head = (st->offered_head + 1) % st->offered_cap;
                st->offered_cnt--;
        }
        if (st->offered_cnt == st->offered_cap) {
                size_t cap = st->offered_cap ? st->offered_cap * 2 : 64;
                int64_t *n = malloc(cap * sizeof(*n));

                if (!n)
                        return;
                for (size_t i = 0; i < st->offered_cnt; i++)
                        n[i] = st->offered[(st->offered_head + i) %
                                           st->offered_cap];
                free(st->offered);
                st->offered = n;
                st->offered_cap = cap;
                st->offered_head = 0;
        }
        st->offered[(st->offered_head + st->offered_cnt) % st->offered_cap] =
            now;
        st->offered_cnt++;
        if (st->offered_cnt > st->max_offered)
                st->max_offered = st->offered_cnt;
}

void sim_stats_admit(struct sim_stats *st, struct sim_admission *adm)
{
        sim_stats_admit_at(st, INT64_MAX, adm);
}

void sim_stats_admit_at(struct sim_stats *st, int64_t arrival_us,
                        struct sim_admission *adm)
{
        int64_t now, wall, clock;
        uint64_t in_window = 0, recent;

        memset(adm, 0, sizeof(*adm));
        pthread_mutex_lock(&st->lock);
        clock = st->clock_us();
        now = arrival_us < clock ? arrival_us : clock;
        /* the ring is kept in time order: a request stamped before one
         * already taken (two server threads, each stamping before the
         * other took the lock) counts at the later stamp; the two are
         * within one thread's delay of each other */
        if (now < st->newest)
                now = st->newest;
        st->newest = now;
        if (clock - now > st->max_receive_delay)
                st->max_receive_delay = clock - now;
        wall = (int64_t)time(NULL);
        offered_add(st, now);
        if (st->ring_cnt == st->rate &&
            st->ring[st->ring_head] > now - WINDOW_US) {
                adm->retry_in_us = st->ring[st->ring_head] + WINDOW_US - now;
                st->outcomes[SIM_REJ_RATE_LIMITED]++;
                series_at(st, wall)->rate_limited++;
                pthread_mutex_unlock(&st->lock);
                return;
        }
        if (st->ring_cnt == st->rate) { /* the oldest left the window */
                st->ring_head = (st->ring_head + 1) % st->rate;
                st->ring_cnt--;
        }
        st->ring[(st->ring_head + st->ring_cnt) % st->rate] = now;
        st->ring_cnt++;
        st->serial++;
        st->admitted++;
        series_at(st, wall)->n++;

        /* admitted requests in (now - 1 s, now], counting only those since
         * the last reset (the newest `admitted` entries of the ring) */
        recent = st->admitted < st->ring_cnt ? st->admitted : st->ring_cnt;
        for (uint64_t k = 0; k < recent; k++) {
                size_t i = (st->ring_head + st->ring_cnt - 1 - k) % st->rate;

                if (st->ring[i] <= now - WINDOW_US)
                        break;
                in_window++;
        }
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
        st->offered_head = st->offered_cnt = 0;
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
        json_object_set_new(
            root, "max_receive_delay_ms",
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
