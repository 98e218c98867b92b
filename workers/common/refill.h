/* refill.h - keeps a consumer's prefetch queue filled on librdkafka 2.0.
 *
 * librdkafka stops fetching once the consumer's queue holds
 * queued.max.messages.kbytes, and 2.0's broker thread looks at the queue
 * again only when something wakes it: an operation for it, its socket, or
 * its one-second timeout. A worker that drains the queue faster than that
 * waits for the rest of the second with nothing to read, so the queue had
 * to hold a whole second of its rate, and memory grew with it (DESIGN
 * §15). A small thread asks the leaders of the assigned partitions for
 * their end offsets whenever the queue drains fast while the worker takes
 * messages: the request and its answer wake each leader's broker thread,
 * which then fetches again since the queue has room. (librdkafka 2.2 has this
 * as fetch.queue.backoff.ms.) The thread only calls librdkafka's thread-safe
 * functions on the consumer; nothing else is shared. */
#ifndef DLP_REFILL_H
#define DLP_REFILL_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct dlp_refill;

/* When to wake, one look at a time (the thread's whole decision, apart so
 * that it can be tested without a broker): the worker is taking messages
 * (\p activity moved within the last second) and the queue has fallen to
 * 3/4 of its recent high mark, which decays by 1/64 a look. A queue that
 * drains slower than that (a low rate, whose prefetch lasts many seconds)
 * follows its high mark down and is left to librdkafka's own look once a
 * second; one that drains faster, the case that needs it, is woken every
 * few looks. A queue whose high mark is under DLP_REFILL_MIN_HIGH
 * messages is never woken for: a worker that has caught up takes a
 * trickle as it comes, its queue is never near full, and librdkafka is
 * fetching already (waking it then only asks the brokers for nothing). */
#define DLP_REFILL_MIN_HIGH 64
struct dlp_refill_gauge {
        unsigned long seen; /* activity at the last look */
        int64_t moved_at;   /* when it last moved (ms, monotonic) */
        size_t high;        /* the queue's decaying high mark */
};
/* Idle until \p activity moves. */
void dlp_refill_gauge_init(struct dlp_refill_gauge *g, unsigned long activity,
                           int64_t now_ms);
/* One look: the queue holds \p queue_len messages; 1 when the fetch is to
 * be woken. */
int dlp_refill_due(struct dlp_refill_gauge *g, size_t queue_len,
                   unsigned long activity, int64_t now_ms);

/* Starts the thread for \p consumer (borrowed: it must outlive
 * dlp_refill_stop()), looking at its queue every \p interval_ms and waking
 * the fetch when it drains fast while \p activity (borrowed: a counter the
 * worker moves as it takes messages) moved within the last second; an idle
 * or slow worker's consumer is not asked. Each wake counts one in \p wakes
 * (borrowed, for a metric). NULL when the thread cannot start: the worker
 * runs without it, only with a slower refill. */
struct dlp_refill *dlp_refill_start(rd_kafka_t *consumer, int interval_ms,
                                    const atomic_ulong *activity,
                                    atomic_ulong *wakes);
/* Stops and joins the thread (at most one request's timeout), before the
 * consumer is closed. NULL is a no-op. */
void dlp_refill_stop(struct dlp_refill *r);

#endif
