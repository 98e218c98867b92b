/* flight.h - the batches in flight: each sealed batch with the requests it
 * still needs, and what its answers did to it (DESIGN §4).
 *
 * A batch is sealed when its first request goes out and stays here until
 * every row has an answer (or is a dead letter); then the worker writes its
 * records and marks its offsets done in the partitions' watermarks. Up to
 * `max` batches are in flight at once, each with at most one request out,
 * so answers come back in any order. What a flight may do next is decided
 * here; when it may do it (which slot) is pace.h's job, and the HTTP and
 * Kafka sides are the worker's. Not thread-safe: the worker's main thread
 * owns it. */
#ifndef DLP_FLIGHT_H
#define DLP_FLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "httpc.h"
#include "plan.h"

struct flight {
        struct batch batch; /* owned */
        struct plan plan;   /* requests still to send; the head is out when
                               `out` is set */
        long long seq;      /* sealing order */
        int attempt;        /* requests sent for this batch */
        int retries;        /* consecutive failures: the backoff's exponent */
        int unusable;       /* consecutive unusable answers to the head */
        double retry_at;    /* no request before this wall time */
        int out;            /* a request is waiting for its answer */
        double slot_start;  /* of the request out */
        double sent_at;     /* when it was handed to the HTTP client */
        int held;           /* finished, its records wait for the batches
                               before it (exactly-once: one transaction
                               covers the contiguous done prefix) */
        int writing;        /* finished, its records produced: it is done
                               once `unreported` reaches 0 (at-least-once) */
        long unreported;    /* records produced, no delivery report yet */
};

struct flights {
        struct flight **v; /* oldest first */
        size_t n, max;
        int max_tries;      /* unusable answers before the rows are dead */
        double retry_max_s; /* longest backoff */
};

/* What an answer did, for the worker's counters and logs. */
enum flight_outcome {
        FLIGHT_ANSWERED, /* findings merged, the head is done */
        FLIGHT_SPLIT,    /* findingsTruncated: inspected again in halves */
        FLIGHT_BISECTED, /* 400: the range is halved to find the poison */
        FLIGHT_POISON,   /* 400 on one row: it is a dead letter */
        FLIGHT_RETRY,    /* 429, 5xx, transport error: later, same rows */
        FLIGHT_REFUSED,  /* 401/403/404...: a set-up problem, retried */
        FLIGHT_UNUSABLE, /* a 200 we cannot use: retried a bounded time */
        FLIGHT_GAVE_UP,  /* unusable max_tries times: the rows are dead */
        FLIGHT_NOMEM
};

void flights_init(struct flights *fs, size_t max, int max_tries,
                  double retry_max_s);
/* Frees every flight (their messages included). */
void flights_term(struct flights *fs);
int flights_full(const struct flights *fs);
/* Requests out. */
size_t flights_out(const struct flights *fs);

/* Seals \p b into a new flight (its contents are moved: *b is left empty
 * and reusable) and plans its requests. NULL on allocation failure, with
 * *b untouched. */
struct flight *flights_start(struct flights *fs, struct batch *b,
                             long long seq);
/* The oldest flight that may send its next request at wall time \p t:
 * nothing out, rows left, no backoff pending at t. NULL if none. */
struct flight *flights_ready(const struct flights *fs, double t);
/* The earliest time a flight will be ready (a backoff's end), or -1. */
double flights_next_ready(const struct flights *fs);
/* A flight with every row answered or dead, nothing out, not held and
 * not being written, or NULL. */
struct flight *flights_finished(const struct flights *fs);
/* A flight whose records are all written (every delivery report in), or
 * NULL. */
struct flight *flights_written(const struct flights *fs);
/* Flights whose records still wait for delivery reports. */
size_t flights_writing(const struct flights *fs);
/* Removes and frees \p f (its messages too). A flight being written must
 * not be removed before its last delivery report: the reports point to
 * it. */
void flights_remove(struct flights *fs, struct flight *f);
/* Exactly-once (DESIGN §4): which held flights the next transaction takes
 * (their held becomes 2) and how far it may commit each partition. \p cap
 * has one entry per partition (\p n_parts): on entry the contiguous done
 * point (-1: none), on return the point to commit. A held flight goes in
 * only when each of its offsets is below its partition's point; a held
 * flight left out stops every partition it has an event of at its first
 * offset there (its offsets were marked done when it finished), so no
 * offset is committed whose record is not written in this transaction or
 * an earlier one. Stopping a partition may leave out another flight,
 * hence the repeat. Returns how many flights go in. */
size_t flights_txn_select(struct flights *fs, int64_t *cap, size_t n_parts);
/* Does \p f hold a message of \p partition of \p topic? */
int flight_has_partition(const struct flight *f, const char *topic,
                         int partition);

/* The request for \p f's next range: a new string (free()), NULL on
 * allocation failure. Marks it out. */
char *flight_request(struct flight *f, double slot_start, size_t *len,
                     struct plan_range *r);
/* The answer to \p f's request out: \p rc and \p res as from
 * dlp_httpm_done(); \p now is the wall time. \p msg gets a line for the
 * log (never a quote), \p info what a 200 said. */
enum flight_outcome flight_answer(struct flights *fs, struct flight *f, int rc,
                                  const struct dlp_http_result *res, double now,
                                  struct backend_answer *info, char *msg,
                                  size_t msg_size);
/* The request built by flight_request() did not go out (its slot was
 * missed, or the client refused it): the same range goes again later. */
void flight_unsend(struct flight *f);

#endif
