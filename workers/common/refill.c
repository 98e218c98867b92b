/* refill.c - wakes librdkafka 2.0's fetch before its one-second timeout
 * (refill.h, DESIGN §15). */
#include "refill.h"

#include "util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

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

/* Wakes the fetch when the worker is taking messages and the queue has
 * fallen to 3/4 of its recent high mark, which decays by 1/64 a tick: a
 * queue that drains slower than that (a low rate, whose prefetch lasts
 * many seconds) follows its high mark down and is left to librdkafka's own
 * look once a second; one that drains faster, the case that needs it, is
 * refilled every few ticks. */
static void *refill_main(void *arg)
{
        struct dlp_refill *r = arg;
        rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(r->consumer);
        unsigned long seen = atomic_load(r->activity);
        int64_t moved_at = dlp_mono_ms();
        size_t high = 0;

        while (!atomic_load(&r->stop)) {
                unsigned long now = atomic_load(r->activity);
                size_t len = q ? rd_kafka_queue_length(q) : 0;

                if (now != seen) {
                        seen = now;
                        moved_at = dlp_mono_ms();
                }
                high = len > high ? len : high - high / 64;
                if (dlp_mono_ms() - moved_at < 1000 && 4 * len <= 3 * high) {
                        refill_wake(r->consumer);
                        atomic_fetch_add(r->wakes, 1);
                }
                dlp_sleep_ms(r->interval_ms);
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
