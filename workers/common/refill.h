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

struct dlp_refill;

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
