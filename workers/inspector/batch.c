/* batch.c - batch cutting, long-text chunks and finding merge (batch.h). */
#include "batch.h"
#include "err.h"
#include "mask.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steps back from \p pos to the start of the character holding it. */
static size_t char_start(const char *text, size_t pos)
{
        while (pos > 0 && ((unsigned char)text[pos] & 0xC0) == 0x80)
                pos--;
        return pos;
}

int batch_plan_chunks(const struct backend *be, const char *text, size_t len,
                      size_t cell_budget, size_t overlap, struct chunk *out,
                      size_t max_chunks, size_t *n)
{
        size_t base = 0;

        *n = 0;
        while (base < len) {
                size_t end = base, esc = 0;

                while (end < len) {
                        size_t cl = dlp_utf8_len((unsigned char)text[end]);
                        size_t e;
                        if (end + cl > len)
                                cl = len - end;
                        e = be->ops->cell_bytes(text + end, cl);
                        if (esc + e > cell_budget)
                                break;
                        esc += e;
                        end += cl;
                }
                if (end == base || *n == max_chunks)
                        return DLP_ERR_TOOBIG;
                out[(*n)++] = (struct chunk){base, end - base};
                if (end >= len)
                        break;
                /* the next chunk repeats the tail of this one, so that a
                 * value across the cut is seen whole in one of them */
                size_t next = end - base > overlap * 2
                                  ? char_start(text, end - overlap)
                                  : end;
                base = next > base ? next : end;
        }
        return DLP_OK;
}

void batch_init(struct batch *b, const struct backend *be, size_t max_items,
                size_t max_bytes)
{
        memset(b, 0, sizeof(*b));
        b->be = be;
        b->max_items = max_items;
        b->max_bytes = max_bytes;
        b->bytes = be->ops->envelope_bytes(be);
}

static void entry_free(struct batch_entry *e)
{
        if (e->rkm)
                rd_kafka_message_destroy(e->rkm);
        json_decref(e->event);
        json_decref(e->findings);
}

void batch_clear(struct batch *b)
{
        for (size_t i = 0; i < b->n_entries; i++)
                entry_free(&b->entries[i]);
        free(b->entries);
        free(b->rows);
        batch_init(b, b->be, b->max_items, b->max_bytes);
}

int batch_empty(const struct batch *b)
{
        return b->n_entries == 0;
}

static struct batch_entry *entry_new(struct batch *b)
{
        if (b->n_entries == b->cap_entries) {
                size_t cap = b->cap_entries ? b->cap_entries * 2 : 64;
                struct batch_entry *ne = realloc(b->entries, cap * sizeof(*ne));
                if (!ne)
                        return NULL;
                b->entries = ne;
                b->cap_entries = cap;
        }
        struct batch_entry *e = &b->entries[b->n_entries];
        memset(e, 0, sizeof(*e));
        e->row_first = b->n_rows;
        return e;
}

static int rows_reserve(struct batch *b, size_t extra)
{
        if (b->n_rows + extra > b->cap_rows) {
                size_t cap = (b->n_rows + extra) * 2;
                struct batch_row *nr = realloc(b->rows, cap * sizeof(*nr));
                if (!nr)
                        return DLP_ERR_NOMEM;
                b->rows = nr;
                b->cap_rows = cap;
        }
        return DLP_OK;
}

int batch_add_dead(struct batch *b, rd_kafka_message_t *rkm, const char *reason)
{
        struct batch_entry *e = entry_new(b);

        if (!e)
                return DLP_ERR_NOMEM;
        e->rkm = rkm;
        e->dead = 1;
        snprintf(e->reason, sizeof(e->reason), "%s", reason);
        b->n_entries++;
        return DLP_OK;
}

/* The texts of an event, in row order: its text, then each of its parts
 * (dlp.event/1 "parts": what a person sees besides the text). */
struct source {
        const char *text;
        size_t len;
        int part; /* index in event.parts, -1 for the text */
};

static size_t sources_of(json_t *event, struct source *out, size_t max)
{
        json_t *jt = json_object_get(event, "text"), *p;
        size_t n = 0, i;

        out[n++] =
            (struct source){json_string_value(jt), json_string_length(jt), -1};
        json_array_foreach(json_object_get(event, "parts"), i, p)
        {
                json_t *pt = json_object_get(p, "text");

                if (n == max)
                        break;
                if (json_is_string(pt) && json_string_length(pt) > 0)
                        out[n++] =
                            (struct source){json_string_value(pt),
                                            json_string_length(pt), (int)i};
        }
        return n;
}

int batch_add(struct batch *b, rd_kafka_message_t *rkm, json_t *event)
{
        size_t row_overhead = b->be->ops->row_bytes("", 0);
        size_t room = b->max_bytes - b->be->ops->envelope_bytes(b->be);
        size_t cell_budget = room - row_overhead;
        struct source src[BATCH_MAX_SOURCES];
        size_t nsrc = sources_of(event, src, BATCH_MAX_SOURCES);
        struct chunk *chunks;
        int *chunk_src;
        size_t n = 0, bytes = 0;
        int own_batch = 0, err = DLP_OK;
        struct batch_entry *e;

        chunks = calloc(b->max_items + 1, sizeof(*chunks));
        chunk_src = calloc(b->max_items + 1, sizeof(*chunk_src));
        if (!chunks || !chunk_src) {
                free(chunks);
                free(chunk_src);
                return DLP_ERR_NOMEM;
        }
        /* a row per text (each part its own cell, so a finding never spans
         * two parts); a text too long for one request is cut into
         * overlapping chunks, and the event goes in a batch of its own */
        for (size_t s = 0; s < nsrc && !err; s++) {
                size_t k = 0;

                if (src[s].len == 0)
                        continue;
                if (n == b->max_items) {
                        err = DLP_ERR_TOOBIG;
                        break;
                }
                if (b->be->ops->row_bytes(src[s].text, src[s].len) <= room) {
                        chunks[n] = (struct chunk){0, src[s].len};
                        k = 1;
                        bytes += b->be->ops->row_bytes(src[s].text, src[s].len);
                } else {
                        own_batch = 1;
                        err =
                            batch_plan_chunks(b->be, src[s].text, src[s].len,
                                              cell_budget, BATCH_CHUNK_OVERLAP,
                                              chunks + n, b->max_items - n, &k);
                }
                for (size_t c = 0; c < k; c++)
                        chunk_src[n + c] = (int)s;
                n += k;
        }
        if (!err && bytes > room)
                own_batch = 1; /* the parts together fill a request */
        if (own_batch && b->n_entries > 0 && !err) {
                err = DLP_ERR_TOOBIG;
                goto out;
        }
        if (err) {
                free(chunks);
                free(chunk_src);
                json_decref(event);
                return batch_add_dead(b, rkm,
                                      "text too long to inspect within the "
                                      "request limits");
        }
        if (own_batch)
                bytes = b->max_bytes; /* nothing else joins this batch */
        if (b->n_entries > 0 &&
            (b->n_rows + n > b->max_items || b->bytes + bytes > b->max_bytes)) {
                err = DLP_ERR_TOOBIG;
                goto out;
        }
        if (rows_reserve(b, n) != DLP_OK || !(e = entry_new(b))) {
                err = DLP_ERR_NOMEM;
                goto out;
        }
        e->rkm = rkm;
        e->event = event;
        e->text = src[0].text;
        e->text_len = src[0].len;
        e->findings = json_array();
        e->row_count = n;
        for (size_t i = 0; i < n; i++) {
                const struct source *sr = &src[chunk_src[i]];

                b->rows[b->n_rows++] = (struct batch_row){
                    b->n_entries,
                    chunks[i].base,
                    chunks[i].len,
                    row_overhead +
                        b->be->ops->cell_bytes(sr->text + chunks[i].base,
                                               chunks[i].len),
                    sr->text,
                    sr->part};
        }
        b->bytes =
            b->bytes + bytes > b->max_bytes ? b->max_bytes : b->bytes + bytes;
        b->n_entries++;
out:
        free(chunks);
        free(chunk_src);
        return err;
}

void batch_kill_rows(struct batch *b, size_t lo, size_t hi, const char *reason)
{
        for (size_t r = lo; r < hi && r < b->n_rows; r++) {
                struct batch_entry *e = &b->entries[b->rows[r].entry];
                if (e->dead)
                        continue;
                e->dead = 1;
                snprintf(e->reason, sizeof(e->reason), "%s", reason);
        }
}

size_t batch_cut(const struct batch *b, size_t lo)
{
        size_t hi = lo, bytes = b->be->ops->envelope_bytes(b->be);

        while (hi < b->n_rows &&
               (hi == lo || bytes + b->rows[hi].bytes <= b->max_bytes)) {
                bytes += b->rows[hi].bytes;
                hi++;
        }
        return hi;
}

char *batch_request(const struct batch *b, size_t lo, size_t hi, size_t *len)
{
        size_t n = hi - lo;
        const char **cells = calloc(n ? n : 1, sizeof(*cells));
        size_t *lens = calloc(n ? n : 1, sizeof(*lens));
        char *req = NULL;

        if (cells && lens) {
                for (size_t i = 0; i < n; i++) {
                        const struct batch_row *r = &b->rows[lo + i];
                        cells[i] = r->src + r->base;
                        lens[i] = r->len;
                }
                req = b->be->ops->request(b->be, cells, lens, n, len);
        }
        free(cells);
        free(lens);
        return req;
}

/* Is merged finding \p x in part \p where (NULL: the text)? */
static int in_part(const json_t *x, const char *where)
{
        const char *p = json_string_value(json_object_get(x, "part"));

        return where ? p && !strcmp(p, where) : !p;
}

void batch_on_finding(void *ctx, const struct backend_finding *f)
{
        struct batch_sink *sink = ctx;
        struct batch *b = sink->b;
        const struct batch_row *r;
        struct batch_entry *e;
        const char *where = NULL;
        long long start, end;
        char masked[MASK_MAX_CHARS * 3 + 8];
        json_t *x;
        size_t i;

        if (sink->lo + f->row >= b->n_rows)
                return;
        r = &b->rows[sink->lo + f->row];
        e = &b->entries[r->entry];
        if (r->part >= 0)
                where = json_string_value(json_object_get(
                    json_array_get(json_object_get(e->event, "parts"),
                                   (size_t)r->part),
                    "where"));
        /* the offsets are the service's word: a range past the cell (or
         * near INT64_MAX, where base + offset overflows) is clamped to the
         * cell; the finding itself is kept */
        start = (long long)r->base +
                (f->start < (long long)r->len ? f->start : (long long)r->len);
        end = (long long)r->base +
              (f->end < (long long)r->len ? f->end : (long long)r->len);
        /* a value inside an overlap is reported by both chunks */
        json_array_foreach(e->findings, i, x)
        {
                if (json_integer_value(json_object_get(x, "byte_start")) ==
                        start &&
                    json_integer_value(json_object_get(x, "byte_end")) == end &&
                    !strcmp(json_string_value(json_object_get(x, "info_type")),
                            f->info_type) &&
                    in_part(x, where))
                        return;
        }
        mask_quote(f->quote ? f->quote : "", f->quote ? f->quote_len : 0,
                   masked, sizeof(masked));
        x = json_pack("{s:s, s:s, s:I, s:I, s:s}", "info_type", f->info_type,
                      "likelihood", f->likelihood, "byte_start",
                      (json_int_t)start, "byte_end", (json_int_t)end,
                      "quote_masked", masked);
        if (x && where) /* its offsets count the part's text */
                json_object_set_new(x, "part", json_string(where));
        json_array_append_new(e->findings, x);
}

void batch_drop_partitions(struct batch *b, const char *topic,
                           const rd_kafka_topic_partition_list_t *parts)
{
        struct batch old = *b;

        batch_init(b, old.be, old.max_items, old.max_bytes);
        for (size_t i = 0; i < old.n_entries; i++) {
                struct batch_entry *e = &old.entries[i];
                int gone = 0;

                for (int p = 0; p < parts->cnt; p++)
                        if (!strcmp(parts->elems[p].topic, topic) &&
                            parts->elems[p].partition == e->rkm->partition)
                                gone = 1;
                if (gone) {
                        entry_free(e);
                        continue;
                }
                /* re-add in order; a batch that fit before still fits */
                json_decref(e->findings);
                if (e->dead)
                        batch_add_dead(b, e->rkm, e->reason);
                else
                        batch_add(b, e->rkm, e->event);
        }
        free(old.entries);
        free(old.rows);
}

void batch_mark_truncated(struct batch *b, size_t lo, size_t hi)
{
        for (size_t i = lo; i < hi && i < b->n_rows; i++)
                b->entries[b->rows[i].entry].truncated = 1;
}
