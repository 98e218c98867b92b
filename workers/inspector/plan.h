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
/* Whether the head is a single row: rejected as invalid, that row is the
 * poison — the caller kills it and calls plan_done() — and it cannot be
 * bisected. */
int plan_head_alone(const struct plan *p);
/* The head (of two rows or more) was rejected as invalid, or its findings
 * were truncated: splits it into two halves, sent next, in order. DLP_OK,
 * DLP_ERR_NOMEM, or DLP_ERR_INVALID for a single row (plan unchanged). */
int plan_bisect(struct plan *p);

#endif
