/* watermark.c - contiguous commit point over out-of-order completion
 * (see watermark.h). A ring of the taken offsets with a done flag each; the
 * finished prefix is popped as the commit point advances. */
#include "watermark.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

struct entry {
        int64_t offset;
        int done;
};

struct watermark {
        struct entry *ring;
        size_t cap, head, n;
        int64_t committable; /* next offset after the popped prefix, or -1 */
        int64_t last_reported;
};

struct watermark *watermark_new(void)
{
        struct watermark *w = calloc(1, sizeof(*w));

        if (w) {
                w->committable = -1;
                w->last_reported = -1;
        }
        return w;
}

void watermark_free(struct watermark *w)
{
        if (w)
                free(w->ring);
        free(w);
}

int watermark_add(struct watermark *w, int64_t offset)
{
        if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 64;
                struct entry *r = malloc(cap * sizeof(*r));
                if (!r)
                        return DLP_ERR_NOMEM;
                for (size_t i = 0; i < w->n; i++)
                        r[i] = w->ring[(w->head + i) % w->cap];
                free(w->ring);
                w->ring = r;
                w->cap = cap;
                w->head = 0;
        }
        w->ring[(w->head + w->n) % w->cap] = (struct entry){offset, 0};
        w->n++;
        return DLP_OK;
}

void watermark_done(struct watermark *w, int64_t offset)
{
        size_t lo = 0, hi = w->n;

        /* offsets increase along the ring: binary search */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int64_t o = w->ring[(w->head + mid) % w->cap].offset;
                if (o < offset)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < w->n && w->ring[(w->head + lo) % w->cap].offset == offset)
                w->ring[(w->head + lo) % w->cap].done = 1;
        while (w->n > 0 && w->ring[w->head].done) {
                w->committable = w->ring[w->head].offset + 1;
                w->head = (w->head + 1) % w->cap;
                w->n--;
        }
}

int64_t watermark_commit_point(struct watermark *w)
{
        if (w->committable < 0 || w->committable == w->last_reported)
                return -1;
        w->last_reported = w->committable;
        return w->committable;
}

int64_t watermark_contiguous(const struct watermark *w)
{
        return w->committable;
}

size_t watermark_pending(const struct watermark *w)
{
        return w->n;
}

void watermark_reset(struct watermark *w)
{
        w->head = w->n = 0;
        w->committable = w->last_reported = -1;
}
