/* dedupe.h - event_ids seen recently: the collector answers Slack's
 * retries and repeated deliveries 200 without producing the event again;
 * the reporter posts no second alert for an event (also across restarts).
 *
 * Bounded memory: at most `capacity` ids, each kept for `window_s` seconds
 * or until it is the oldest when the table is full (under a load above
 * capacity / window_s events per second the window shrinks; the count of
 * early evictions says so). Ids are stored as 128-bit hashes. Only events
 * Kafka confirmed count as seen: an id whose produce failed is forgotten, so
 * Slack's retry produces it.
 *
 * Threads: every function but dedupe_new()/dedupe_free() may be called from
 * any thread; one mutex inside guards the table (the collector claims on
 * HTTP threads and finishes on the delivery-report thread). */
#ifndef DLP_DEDUPE_H
#define DLP_DEDUPE_H

#include <stddef.h>

enum dedupe_verdict {
        DEDUPE_NEW,     /* first sight: now pending, produce it */
        DEDUPE_PENDING, /* a produce of it is in flight */
        DEDUPE_DONE,    /* already in Kafka: answer 200, produce nothing */
};

struct dedupe;

/* NULL on allocation failure. */
struct dedupe *dedupe_new(size_t capacity, double window_s);
void dedupe_free(struct dedupe *d);

/* Looks \p id up at time \p now (seconds); a new id is recorded as
 * pending. */
enum dedupe_verdict dedupe_claim(struct dedupe *d, const char *id, double now);
/* What \p id is, without recording it: DEDUPE_NEW when unknown. */
enum dedupe_verdict dedupe_peek(struct dedupe *d, const char *id);
/* Ends the pending produce of \p id: \p stored != 0 marks it done, else it
 * is forgotten. */
void dedupe_finish(struct dedupe *d, const char *id, int stored);

/* Ids held now, and ids dropped before their window ended (table full). */
size_t dedupe_size(struct dedupe *d);
unsigned long dedupe_early_evictions(struct dedupe *d);

#endif
