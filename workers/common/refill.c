/* refill.c - wakes librdkafka 2.0's fetch before its one-second timeout
 * (refill.h, DESIGN §15). */
#include "refill.h"

#include "util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* a request's answer waited for at most this long: also how long a stop
 * may wait for the thread */
#define REFILL_TIMEOUT_MS 500

struct dlp_refill {
        rd_kafka_t *consumer;         /* borrowed */
        const atomic_ulong *activity; /* borrowed */
        atomic_ulong *wakes;          /* borrowed */
        int interval_ms;
        atomic_int stop;
        pthread_t thread;
};

/* Asks each leader of the assigned partitions for their end offsets: a
 * ListOffsets request per leader broker, whose sending and answer wake
 * that broker's thread; the offsets themselves are not used. */
static void refill_wake(rd_kafka_t *consumer)
{
        rd_kafka_topic_partition_list_t *parts = NULL;

        if (rd_kafka_assignment(consumer, &parts) || !parts)
                return;
        if (parts->cnt > 0) {
                for (int i = 0; i < parts->cnt; i++)
                        parts->elems[i].offset = -1; /* the latest */
                (void)rd_kafka_offsets_for_times(consumer, parts,
                                                 REFILL_TIMEOUT_MS);
        }
        rd_kafka_topic_partition_list_destroy(parts);
}

void dlp_refill_gauge_init(struct dlp_refill_gauge *g, unsigned long activity,
                           int64_t now_ms)
{
        g->seen = activity;
        g->moved_at = now_ms - 1000;
        g->high = 0;
}

int dlp_refill_due(struct dlp_refill_gauge *g, size_t queue_len,
                   unsigned long activity, int64_t now_ms)
{
        if (activity != g->seen) {
                g->seen = activity;
                g->moved_at = now_ms;
        }
        g->high = queue_len > g->high ? queue_len : g->high - g->high / 64;
        return now_ms - g->moved_at < 1000 && g->high >= DLP_REFILL_MIN_HIGH &&
               4 * queue_len <= 3 * g->high;
}

static void *refill_main(void *arg)
{
        struct dlp_refill *r = arg;
        rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(r->consumer);
        struct dlp_refill_gauge g;

        dlp_refill_gauge_init(&g, atomic_load(r->activity), dlp_mono_ms());
        while (!atomic_load(&r->stop)) {
                if (dlp_refill_due(&g, q ? rd_kafka_queue_length(q) : 0,
                                   atomic_load(r->activity), dlp_mono_ms())) {
                        refill_wake(r->consumer);
                        atomic_fetch_add(r->wakes, 1);
                }
                /* not dlp_sleep_ms, which returns at once when a stop has
                 * begun: the stop may take seconds (revocation, delivery
                 * reports) and this loop must not spin meanwhile */
                struct timespec ts = {r->interval_ms / 1000,
                                      (long)(r->interval_ms % 1000) * 1000000L};
                nanosleep(&ts, NULL);
        }
        if (q)
                rd_kafka_queue_destroy(q);
        return NULL;
}

struct dlp_refill *dlp_refill_start(rd_kafka_t *consumer, int interval_ms,
                                    const atomic_ulong *activity,
                                    atomic_ulong *wakes)
{
        struct dlp_refill *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->consumer = consumer;
        r->activity = activity;
        r->wakes = wakes;
        r->interval_ms = interval_ms;
        atomic_init(&r->stop, 0);
        if (pthread_create(&r->thread, NULL, refill_main, r) != 0) {
                free(r);
                return NULL;
        }
        return r;
}

void dlp_refill_stop(struct dlp_refill *r)
{
        if (!r)
                return;
        atomic_store(&r->stop, 1);
        pthread_join(r->thread, NULL);
        free(r);
}
