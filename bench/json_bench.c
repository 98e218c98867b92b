/* json_bench.c - µs per parse of records: json_loadb against the fast
 * loader (common/json_fast.c), on the same texts, single-threaded.
 *
 *   dlp-json-bench [FILE [SECONDS]]
 *
 * FILE: one record per line (a tab before the JSON, as gen_load.py writes
 * key<TAB>value, is skipped); default one dlp.event/1 load event. Prints
 * both figures, their ratio and how many records the fast path took. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_fast.h"

#define LOAD_EVENT                                                             \
        "{\"schema\":\"dlp.event/1\",\"event_id\":\"EvB0000000\",\"team_id\":" \
        "\"T0LOAD\",\"channel\":\"C0LOAD00\",\"user\":\"U0LOAD000\",\"ts\":"   \
        "\"1763900000.000000\",\"event_time\":1763900000,\"kind\":"            \
        "\"message\",\"text\":\"pipeline invoice incident pager consumer "     \
        "merge ticket incident kafka alert rollback review staging backlog "   \
        "pager index review lag staging incident branch query incident "       \
        "invoice incident query mail me at user0@example.com\","               \
        "\"received_at\":\"2026-11-23T00:00:00.000Z\",\"source\":\"replay\"}"

struct text {
        char *s;
        size_t len;
};

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parses every text over and over for about \p seconds; µs per parse. */
static double run(const struct text *t, size_t n, double seconds, int fast)
{
        double t0 = now_s(), t1;
        unsigned long parses = 0;

        do {
                for (size_t i = 0; i < n; i++) {
                        json_t *v =
                            fast ? json_fast_loadb(t[i].s, t[i].len, NULL)
                                 : json_loadb(t[i].s, t[i].len, 0, NULL);
                        json_decref(v);
                }
                parses += n;
                t1 = now_s();
        } while (t1 - t0 < seconds);
        return (t1 - t0) * 1e6 / (double)parses;
}

int main(int argc, char **argv)
{
        struct text *t = NULL;
        size_t n = 0, cap = 0, bytes = 0, taken = 0;
        double seconds = argc > 2 ? atof(argv[2]) : 2.0, slow, fast;
        char *line = NULL;
        size_t line_cap = 0;
        ssize_t got;

        if (argc > 1) {
                FILE *f = fopen(argv[1], "r");

                if (!f) {
                        perror(argv[1]);
                        return 1;
                }
                while ((got = getline(&line, &line_cap, f)) > 0) {
                        char *json = memchr(line, '\t', (size_t)got);

                        json = json ? json + 1 : line;
                        if (n == cap) {
                                cap = cap ? 2 * cap : 1024;
                                t = realloc(t, cap * sizeof(*t));
                                if (!t)
                                        return 1;
                        }
                        t[n].len = (size_t)(line + got - json);
                        t[n].s = malloc(t[n].len);
                        if (!t[n].s)
                                return 1;
                        memcpy(t[n].s, json, t[n].len);
                        n++;
                }
                free(line);
                fclose(f);
        } else {
                t = malloc(sizeof(*t));
                t->s = LOAD_EVENT;
                t->len = strlen(LOAD_EVENT);
                n = 1;
        }
        for (size_t i = 0; i < n; i++) {
                json_t *v = json_fast_try(t[i].s, t[i].len);

                taken += v != NULL;
                bytes += t[i].len;
                json_decref(v);
        }
        if (n == 0) {
                fprintf(stderr, "no records\n");
                return 1;
        }
        run(t, n, seconds / 4, 1); /* warm up */
        slow = run(t, n, seconds, 0);
        fast = run(t, n, seconds, 1);
        printf("records %zu (mean %zu bytes), fast path took %zu\n", n,
               bytes / n, taken);
        printf("json_loadb      %.3f us/parse\n", slow);
        printf("json_fast_loadb %.3f us/parse (%.1fx)\n", fast, slow / fast);
        return 0;
}
