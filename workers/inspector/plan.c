/* plan.c - request ranges and their bisection (see plan.h). */
#include "plan.h"
#include "err.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static int reserve(struct plan *p, size_t extra)
{
        return dlp_grow(&p->ranges, &p->cap, p->n + extra, sizeof(*p->ranges));
}

int plan_make(struct plan *p, const struct batch *b)
{
        p->n = 0;
        for (size_t lo = 0; lo < b->n_rows;) {
                size_t hi = batch_cut(b, lo);
                if (reserve(p, 1) != DLP_OK)
                        return DLP_ERR_NOMEM;
                p->ranges[p->n++] = (struct plan_range){lo, hi};
                lo = hi;
        }
        return DLP_OK;
}

void plan_free(struct plan *p)
{
        free(p->ranges);
        memset(p, 0, sizeof(*p));
}

int plan_empty(const struct plan *p)
{
        return p->n == 0;
}

struct plan_range plan_head(const struct plan *p)
{
        return p->ranges[0];
}

void plan_done(struct plan *p)
{
        memmove(p->ranges, p->ranges + 1, (p->n - 1) * sizeof(*p->ranges));
        p->n--;
}

int plan_head_alone(const struct plan *p)
{
        return p->ranges[0].hi - p->ranges[0].lo <= 1;
}

int plan_bisect(struct plan *p)
{
        struct plan_range r = p->ranges[0];
        size_t mid = r.lo + (r.hi - r.lo) / 2;

        if (plan_head_alone(p))
                return DLP_ERR_INVALID;
        if (reserve(p, 1) != DLP_OK)
                return DLP_ERR_NOMEM;
        memmove(p->ranges + 2, p->ranges + 1, (p->n - 1) * sizeof(*p->ranges));
        p->ranges[0] = (struct plan_range){r.lo, mid};
        p->ranges[1] = (struct plan_range){mid, r.hi};
        p->n++;
        return DLP_OK;
}
