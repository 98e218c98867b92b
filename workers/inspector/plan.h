/* plan.h - the requests a batch still needs.
 *
 * A batch normally goes out as ONE request; rows of a text too long for one
 * request go out as several (batch_cut). When the service rejects a request
 * as invalid (HTTP 400), its range is bisected until the poison rows stand
 * alone: a range of one row that is still rejected is poison and is
 * dead-lettered, every other row is inspected. k poison rows among n cost
 * at most about 2k·log2(n) extra requests. */
#ifndef DLP_PLAN_H
#define DLP_PLAN_H

#include <stddef.h>

#include "batch.h"

struct plan_range {
        size_t lo, hi; /* rows [lo, hi) */
};

struct plan {
        struct plan_range *ranges; /* in sending order */
        size_t n, cap;
};

/* Plans the requests for all rows of \p b. DLP_OK or DLP_ERR_NOMEM. */
int plan_make(struct plan *p, const struct batch *b);
void plan_free(struct plan *p);
int plan_empty(const struct plan *p);
/* The next request's rows; the plan must not be empty. */
struct plan_range plan_head(const struct plan *p);
/* The head was answered: drop it. */
void plan_done(struct plan *p);
/* The head was rejected as invalid: returns 1 after splitting it into two
 * halves (sent next, in order), or 0 if it is a single row — the caller
 * kills that row and calls plan_done(). DLP_ERR_NOMEM on failure. */
int plan_bisect(struct plan *p);

#endif
