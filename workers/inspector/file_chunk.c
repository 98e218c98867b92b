/* file_chunk.c - a text file cut into request-sized pieces, findings
 * mapped back (see file_chunk.h). */
#include "file_chunk.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "util.h"

static int is_continuation(unsigned char c)
{
        return (c & 0xC0) == 0x80;
}

/* The end of the longest run of whole characters from \p start whose cost
 * fits \p budget. */
static size_t fit_end(const char *text, size_t len, size_t start, size_t budget,
                      file_chunk_cost_fn cost)
{
        size_t end = start, spent = 0;

        if (!cost) /* the last character the budget cuts short goes */
                return len - start <= budget
                           ? len
                           : start + dlp_utf8_trim(text + start, budget);
        while (end < len) {
                size_t cl = dlp_utf8_len((unsigned char)text[end]), c;

                if (end + cl > len)
                        cl = len - end;
                c = cost(text + end, cl);
                if (spent + c > budget)
                        break;
                spent += c;
                end += cl;
        }
        return end;
}

int file_chunk_plan(const char *text, size_t len, size_t budget, size_t overlap,
                    file_chunk_cost_fn cost, struct file_chunks *out)
{
        struct file_chunk *v = NULL;
        size_t cnt = 0, cap = 0, start = 0;

        out->v = NULL;
        out->cnt = 0;
        if (budget < 2 * overlap + 8)
                return DLP_ERR_INVALID;
        while (start < len) {
                size_t end, next;

                if (dlp_grow(&v, &cap, cnt + 1, sizeof(*v)) != DLP_OK) {
                        free(v);
                        return DLP_ERR_NOMEM;
                }
                end = fit_end(text, len, start, budget, cost);
                if (end == start) { /* one character costs over the budget */
                        free(v);
                        return DLP_ERR_INVALID;
                }
                v[cnt].off = start;
                v[cnt].len = end - start;
                v[cnt].own_lo = cnt ? v[cnt - 1].own_hi : 0;
                v[cnt].own_hi = len;
                cnt++;
                if (end == len)
                        break;
                /* back to a character boundary: the overlap only grows.
                 * Without a cost, start moves on (end - start >= budget -
                 * 3); with one, a chunk of expensive characters may be
                 * shorter than twice the overlap: it then has none, so
                 * start always moves on */
                next = end - start > 2 * overlap ? end - overlap : end;
                while (next > start && next < end &&
                       is_continuation((unsigned char)text[next]))
                        next--;
                v[cnt - 1].own_hi = next + (end - next) / 2;
                start = next;
        }
        out->v = v;
        out->cnt = cnt;
        return DLP_OK;
}

void file_chunks_free(struct file_chunks *c)
{
        free(c->v);
        c->v = NULL;
        c->cnt = 0;
}

int file_chunk_owns(const struct file_chunk *c, size_t local)
{
        size_t at = c->off + local;

        return at >= c->own_lo && at < c->own_hi;
}

int file_lines_index(const char *text, size_t len, struct file_lines *out)
{
        size_t steps = len / FILE_LINES_STEP + 1, nl = 0, start = 0;

        memset(out, 0, sizeof(*out));
        out->before = malloc(steps * sizeof(*out->before));
        out->line_at = malloc(steps * sizeof(*out->line_at));
        if (!out->before || !out->line_at) {
                file_lines_free(out);
                return DLP_ERR_NOMEM;
        }
        for (size_t k = 0; k < steps; k++) {
                size_t lo = k * FILE_LINES_STEP, hi = lo + FILE_LINES_STEP < len
                                                          ? lo + FILE_LINES_STEP
                                                          : len;
                const char *p = text + lo;

                out->before[k] = nl;
                out->line_at[k] = start;
                while (p < text + hi &&
                       (p = memchr(p, '\n', (size_t)(text + hi - p)))) {
                        nl++;
                        start = (size_t)(++p - text);
                }
        }
        out->text = text;
        out->len = len;
        out->cnt = nl + 1;
        return DLP_OK;
}

void file_lines_free(struct file_lines *l)
{
        free(l->before);
        free(l->line_at);
        memset(l, 0, sizeof(*l));
}

struct file_pos file_chunk_locate(const struct file_lines *l,
                                  const struct file_chunk *c, size_t local)
{
        struct file_pos pos = {c->off + local, 1, 1};
        size_t o, k, line, start;
        const char *p;

        if (!l->cnt || !l->before)
                return pos;
        o = pos.offset < l->len ? pos.offset : l->len;
        k = o / FILE_LINES_STEP;
        line = l->before[k];
        start = l->line_at[k];
        /* the newlines between the checkpoint and the offset */
        for (p = l->text + k * FILE_LINES_STEP;
             p < l->text + o &&
             (p = memchr(p, '\n', (size_t)(l->text + o - p)));) {
                line++;
                start = (size_t)(++p - l->text);
        }
        pos.line = line + 1;
        pos.column = pos.offset - start + 1;
        return pos;
}
