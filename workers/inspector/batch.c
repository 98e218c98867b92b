/* batch.c - batch cutting, long-text chunks and finding merge (batch.h). */
#include "batch.h"
#include "err.h"
#include "mask.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int batch_plan_chunks(const struct backend *be, const char *text, size_t len,
                      size_t cell_budget, size_t overlap, struct chunk *out,
                      size_t max_chunks, size_t *n)
{
        struct file_chunks cs;
        int rc;

        *n = 0;
        rc = file_chunk_plan(text, len, cell_budget, overlap,
                             be->ops->cell_bytes, &cs);
        if (rc == DLP_ERR_INVALID)
                return DLP_ERR_TOOBIG;
        if (rc)
                return rc;
        if (cs.cnt > max_chunks) {
                file_chunks_free(&cs);
                return DLP_ERR_TOOBIG;
        }
        for (size_t i = 0; i < cs.cnt; i++)
                out[i] = (struct chunk){
                    cs.v[i].off, cs.v[i].len, cs.v[i].own_lo, cs.v[i].own_hi,
                    be->ops->row_bytes(text + cs.v[i].off, cs.v[i].len)};
        *n = cs.cnt;
        file_chunks_free(&cs);
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
        file_job_free(e->files);
}

void batch_release_written(struct batch *b)
{
        for (size_t i = 0; i < b->n_entries; i++) {
                struct batch_entry *e = &b->entries[i];

                if (e->rkm)
                        rd_kafka_message_destroy(e->rkm);
                e->rkm = NULL;
                json_decref(e->event);
                json_decref(e->findings);
                file_job_free(e->files);
                e->event = e->findings = NULL;
                e->files = NULL;
                e->text = NULL;
        }
        free(b->rows);
        b->rows = NULL;
        b->n_rows = b->cap_rows = 0;
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

/* Room for \p need items in an array of a batch: a full batch's worth at
 * once (max_items) rather than doubling up to it, so that a batch makes
 * one allocation per array, not eight reallocations of growing size. */
static int batch_grow(const struct batch *b, void *items, size_t *cap,
                      size_t need, size_t size)
{
        if (*cap == 0 && need < b->max_items)
                need = b->max_items;
        return dlp_grow(items, cap, need, size);
}

static struct batch_entry *entry_new(struct batch *b)
{
        if (batch_grow(b, &b->entries, &b->cap_entries, b->n_entries + 1,
                       sizeof(*b->entries)) != DLP_OK)
                return NULL;
        struct batch_entry *e = &b->entries[b->n_entries];
        memset(e, 0, sizeof(*e));
        e->row_first = b->n_rows;
        e->partition = -1;
        e->offset = -1;
        return e;
}

/* \p e takes \p rkm (NULL in the unit tests) and remembers where it was
 * read, for after the message is gone. */
static void entry_source(struct batch_entry *e, rd_kafka_message_t *rkm)
{
        e->rkm = rkm;
        if (rkm) {
                e->partition = rkm->partition;
                e->offset = rkm->offset;
        }
}

static int rows_reserve(struct batch *b, size_t extra)
{
        return batch_grow(b, &b->rows, &b->cap_rows, b->n_rows + extra,
                          sizeof(*b->rows));
}

int batch_add_dead(struct batch *b, rd_kafka_message_t *rkm, const char *reason)
{
        struct batch_entry *e = entry_new(b);

        if (!e)
                return DLP_ERR_NOMEM;
        entry_source(e, rkm);
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
        int part;              /* index in event.parts, -1 for the text */
        int file;              /* index in the job's files, -1: not a file */
        const char *byte_type; /* a file's bytes: a request of its own */
};

static size_t sources_of(json_t *event, struct source *out, size_t max)
{
        json_t *jt = json_object_get(event, "text"), *p;
        size_t n = 0, i;

        out[n++] = (struct source){json_string_value(jt),
                                   json_string_length(jt), -1, -1, NULL};
        json_array_foreach(json_object_get(event, "parts"), i, p)
        {
                json_t *pt = json_object_get(p, "text");

                if (n == max)
                        break;
                if (json_is_string(pt) && json_string_length(pt) > 0)
                        out[n++] = (struct source){json_string_value(pt),
                                                   json_string_length(pt),
                                                   (int)i, -1, NULL};
        }
        return n;
}

/* The files of \p job as sources, after the event's texts: text files
 * first, then byte files, whose rows each go out alone (batch_cut): the
 * table rows of the event stay one request. */
static size_t file_sources(struct file_job *job, struct source *out)
{
        size_t n = 0;

        for (int bytes = 0; job && bytes < 2; bytes++)
                for (size_t i = 0; i < job->n; i++) {
                        const struct file_item *it = &job->v[i];

                        if (it->why != FILE_WHY_NONE || !it->done ||
                            !!it->byte_type != bytes || it->len == 0)
                                continue;
                        out[n++] =
                            (struct source){(const char *)it->data, it->len, -1,
                                            (int)i, it->byte_type};
                }
        return n;
}

/* Rows of one source into chunks[*n...]: one row when it fits a request,
 * else overlapping chunks (*own_batch set). DLP_ERR_TOOBIG when the
 * batch's rows cannot hold it. */
static int plan_source(const struct batch *b, const struct source *s,
                       struct chunk *chunks, size_t *n, size_t *bytes,
                       int *own_batch)
{
        const struct backend *be = b->be;
        size_t envelope = be->ops->envelope_bytes(be);
        size_t room = b->max_bytes - envelope;
        size_t cell_budget = room - be->ops->row_bytes("", 0);
        size_t k = 0, row;
        int err;

        if (*n == b->max_items)
                return DLP_ERR_TOOBIG;
        if (s->byte_type) {
                if (be->ops->bytes_request_bytes(be, s->byte_type, s->len) >
                    b->max_bytes)
                        return DLP_ERR_TOOBIG;
                /* a request of its own: it takes the whole batch */
                chunks[(*n)++] =
                    (struct chunk){0, s->len, 0, s->len, b->max_bytes};
                *own_batch = 1;
                return DLP_OK;
        }
        /* the one pass over the text before its request is written */
        row = be->ops->row_bytes(s->text, s->len);
        if (row <= room) {
                chunks[(*n)++] = (struct chunk){0, s->len, 0, s->len, row};
                *bytes += row;
                return DLP_OK;
        }
        *own_batch = 1;
        err = batch_plan_chunks(be, s->text, s->len, cell_budget,
                                BATCH_CHUNK_OVERLAP, chunks + *n,
                                b->max_items - *n, &k);
        *n += k;
        return err;
}

/* Whether the sources surely need a batch of their own: a byteItem is a
 * request alone, and texts whose raw bytes exceed the room cannot take
 * fewer escaped bytes in rows. O(sources): nothing is cut or escaped. */
static int needs_own_batch(const struct source *src, size_t nsrc, size_t room)
{
        size_t raw = 0;

        for (size_t s = 0; s < nsrc; s++) {
                if (src[s].byte_type && src[s].len > 0)
                        return 1;
                raw += src[s].len;
                if (raw > room)
                        return 1;
        }
        return 0;
}

/* Room for the chunks of \p src: one per source, unless a text may need
 * cutting (even at six escaped bytes per byte, the worst, it may not fit
 * a request's room): then as many as a batch has rows. Small for nearly
 * every event: a few hundred bytes, not a batch's worth per event. */
static size_t chunks_needed(const struct batch *b, const struct source *src,
                            size_t nsrc)
{
        size_t room = b->max_bytes - b->be->ops->envelope_bytes(b->be) -
                      b->be->ops->row_bytes("", 0);

        for (size_t s = 0; s < nsrc; s++)
                if (!src[s].byte_type && src[s].len > room / 6)
                        return b->max_items + 1;
        return nsrc + 1 < b->max_items + 1 ? nsrc + 1 : b->max_items + 1;
}

/* add_entry's working arrays live on the stack for an ordinary event (a
 * text and a few parts, which need as few chunks): no allocation per
 * event; beyond, on the heap. */
#define ADD_SMALL 8

static void *scratch(void *small, size_t n, size_t size)
{
        return n <= ADD_SMALL ? small : malloc(n * size);
}

static void scratch_free(void *p, const void *small)
{
        if (p != small)
                free(p);
}

/* batch_add() and batch_add_files(): the event's rows, then its files'. */
static int add_entry(struct batch *b, rd_kafka_message_t *rkm, json_t *event,
                     struct file_job *job)
{
        size_t room = b->max_bytes - b->be->ops->envelope_bytes(b->be);
        /* sized to the event (a text, its parts, its files), written
         * before read: nothing to zero, per event */
        size_t n_parts = json_array_size(json_object_get(event, "parts"));
        size_t max_src =
            1 +
            (n_parts < BATCH_MAX_SOURCES - 1 ? n_parts
                                             : BATCH_MAX_SOURCES - 1) +
            (job ? job->n : 0);
        struct source src_small[ADD_SMALL];
        struct chunk chunks_small[ADD_SMALL];
        size_t chunk_src_small[ADD_SMALL];
        struct source *src = scratch(src_small, max_src, sizeof(*src));
        size_t nsrc, n = 0, bytes = 0, max_chunks;
        struct chunk *chunks = NULL;
        size_t *chunk_src = NULL;
        int own_batch = 0, err = DLP_OK;
        struct batch_entry *e;

        if (!src) {
                err = DLP_ERR_NOMEM;
                goto out;
        }
        nsrc = sources_of(event, src, max_src - (job ? job->n : 0));
        nsrc += file_sources(job, src + nsrc);
        if (b->n_entries > 0 && needs_own_batch(src, nsrc, room)) {
                /* known without planning: a job waiting for the next batch
                 * is offered again at every poll, and cutting megabytes
                 * into chunks each time kept the slots from being used */
                err = DLP_ERR_TOOBIG;
                goto out;
        }
        max_chunks = chunks_needed(b, src, nsrc);
        chunks = scratch(chunks_small, max_chunks, sizeof(*chunks));
        chunk_src = scratch(chunk_src_small, max_chunks, sizeof(*chunk_src));
        if (!chunks || !chunk_src) {
                err = DLP_ERR_NOMEM;
                goto out;
        }
        /* a row per text (each part its own cell, so a finding never spans
         * two parts); a text too long for one request is cut into
         * overlapping chunks, and the event goes in a batch of its own */
        for (size_t s = 0; s < nsrc && !err; s++) {
                size_t before = n, bytes_before = bytes;
                int own_before = own_batch;

                if (src[s].len == 0)
                        continue;
                err = plan_source(b, &src[s], chunks, &n, &bytes, &own_batch);
                if (err == DLP_ERR_TOOBIG && src[s].file >= 0) {
                        /* a file that cannot fit: not inspected, and the
                         * event's other texts and files still are */
                        struct file_item *it = &job->v[src[s].file];

                        if (src[s].byte_type)
                                file_item_fail(
                                    it, FILE_WHY_TOO_LARGE,
                                    "too large for one request: %zu bytes, "
                                    "DLP_BATCH_MAX_BYTES is %zu",
                                    it->len, b->max_bytes);
                        else
                                file_item_fail(
                                    it, FILE_WHY_TOO_LARGE,
                                    "too large: %zu bytes need more than the "
                                    "%zu rows of DLP_BATCH_MAX_ITEMS",
                                    it->len, b->max_items);
                        n = before;
                        bytes = bytes_before;
                        own_batch = own_before;
                        err = DLP_OK;
                        continue;
                }
                for (size_t c = before; c < n; c++)
                        chunk_src[c] = s;
        }
        if (!err && bytes > room)
                own_batch = 1; /* the parts together fill a request */
        if (own_batch && b->n_entries > 0 && !err) {
                err = DLP_ERR_TOOBIG;
                goto out;
        }
        if (err == DLP_ERR_NOMEM)
                goto out;
        if (err) {
                scratch_free(chunks, chunks_small);
                scratch_free(chunk_src, chunk_src_small);
                scratch_free(src, src_small);
                if (job) { /* the job's event and message go with it */
                        job->event = NULL;
                        job->rkm = NULL;
                        file_job_free(job);
                }
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
        entry_source(e, rkm);
        e->event = event;
        e->text = src[0].text;
        e->text_len = src[0].len;
        e->row_count = n;
        if (job) {
                for (size_t i = 0; i < job->n; i++)
                        job->v[i].rows = 0;
                job->event = NULL; /* the entry's now */
                job->rkm = NULL;
                e->files = job;
        }
        for (size_t i = 0; i < n; i++) {
                const struct source *sr = &src[chunk_src[i]];

                b->rows[b->n_rows++] = (struct batch_row){
                    b->n_entries,    chunks[i].base, chunks[i].len,
                    chunks[i].bytes, sr->text,       sr->part,
                    sr->file,        sr->byte_type,  chunks[i].own_lo,
                    chunks[i].own_hi};
                if (sr->file >= 0)
                        job->v[sr->file].rows++;
        }
        b->bytes =
            b->bytes + bytes > b->max_bytes ? b->max_bytes : b->bytes + bytes;
        b->n_entries++;
out:
        scratch_free(chunks, chunks_small);
        scratch_free(chunk_src, chunk_src_small);
        scratch_free(src, src_small);
        return err;
}

int batch_add(struct batch *b, rd_kafka_message_t *rkm, json_t *event)
{
        return add_entry(b, rkm, event, NULL);
}

int batch_add_files(struct batch *b, struct file_job *job)
{
        return add_entry(b, job->rkm, job->event, job);
}

void batch_kill_rows(struct batch *b, size_t lo, size_t hi, const char *reason)
{
        for (size_t r = lo; r < hi && r < b->n_rows; r++) {
                struct batch_entry *e = &b->entries[b->rows[r].entry];

                if (b->rows[r].file >= 0 && e->files) {
                        /* the file is not inspected; its event still is */
                        struct file_item *it = &e->files->v[b->rows[r].file];

                        if (it->why == FILE_WHY_NONE)
                                file_item_fail(it, FILE_WHY_FAILED,
                                               "refused by the DLP service: %s",
                                               reason);
                        continue;
                }
                if (e->dead)
                        continue;
                e->dead = 1;
                snprintf(e->reason, sizeof(e->reason), "%s", reason);
        }
}

size_t batch_cut(const struct batch *b, size_t lo)
{
        size_t hi = lo, bytes = b->be->ops->envelope_bytes(b->be);

        if (lo < b->n_rows && b->rows[lo].byte_type)
                return lo + 1; /* a byteItem is a request of its own */
        while (hi < b->n_rows && !b->rows[hi].byte_type &&
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

        if (n == 1 && b->rows[lo].byte_type) {
                const struct batch_row *r = &b->rows[lo];

                free(cells);
                free(lens);
                return b->be->ops->bytes_request(b->be, r->byte_type,
                                                 (const unsigned char *)r->src,
                                                 r->len, len);
        }
        if (cells && lens) {
                size_t size = b->be->ops->envelope_bytes(b->be);

                for (size_t i = 0; i < n; i++) {
                        const struct batch_row *r = &b->rows[lo + i];
                        cells[i] = r->src + r->base;
                        lens[i] = r->len;
                        size += r->bytes;
                }
                req = b->be->ops->request(b->be, cells, lens, n, size, len);
        }
        free(cells);
        free(lens);
        return req;
}

/* Is merged finding \p x in part \p where (NULL: the text) of file
 * \p file_id (NULL: none)? */
static int in_part(const json_t *x, const char *where, const char *file_id)
{
        const char *p = json_string_value(json_object_get(x, "part"));
        const char *f = json_string_value(json_object_get(x, "file_id"));

        if (file_id ? !f || strcmp(f, file_id) != 0 : f != NULL)
                return 0;
        return where ? p && !strcmp(p, where) : !p;
}

void batch_on_finding(void *ctx, const struct backend_finding *f)
{
        struct batch_sink *sink = ctx;
        struct batch *b = sink->b;
        const struct batch_row *r;
        struct batch_entry *e;
        const struct file_item *it = NULL;
        const char *where = NULL;
        char file_where[200];
        long long start, end;
        char masked[MASK_MAX_CHARS * 3 + 8];
        json_t *x;
        size_t i;

        if (sink->lo + f->row >= b->n_rows)
                return;
        r = &b->rows[sink->lo + f->row];
        e = &b->entries[r->entry];
        if (r->file >= 0 && e->files) {
                it = &e->files->v[r->file];
                dlp_fmt(file_where, sizeof(file_where), "file %s",
                        it->name && *it->name ? it->name : it->id);
                where = file_where;
        } else if (r->part >= 0)
                where = json_string_value(json_object_get(
                    json_array_get(json_object_get(e->event, "parts"),
                                   (size_t)r->part),
                    "where"));
        if (r->byte_type) {
                /* the service's textual representation of the file: its
                 * offsets are not the file's bytes, nothing to clamp */
                start = f->start;
                end = f->end;
        } else {
                /* the offsets are the service's word: a range past the
                 * cell (or near INT64_MAX, where base + offset overflows)
                 * is clamped to the cell; the finding itself is kept */
                start = (long long)r->base + (f->start < (long long)r->len
                                                  ? f->start
                                                  : (long long)r->len);
                end = (long long)r->base +
                      (f->end < (long long)r->len ? f->end : (long long)r->len);
                /* a value in an overlap counts in the chunk owning its
                 * start, a fragment at a chunk's edge in none (file_chunk.h) */
                if ((size_t)start < r->own_lo || ((size_t)start >= r->own_hi &&
                                                  r->own_hi < r->base + r->len))
                        return; /* (a range clamped to a row's end stays) */
        }
        json_array_foreach(e->findings, i, x)
        {
                if (json_integer_value(json_object_get(x, "byte_start")) ==
                        start &&
                    json_integer_value(json_object_get(x, "byte_end")) == end &&
                    !strcmp(json_string_value(json_object_get(x, "info_type")),
                            f->info_type) &&
                    in_part(x, where, it ? it->id : NULL))
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
        if (x && it) {
                json_object_set_new(x, "file_id", json_string(it->id));
                if (!r->byte_type && it->lines.cnt) {
                        struct file_chunk whole = {0, it->len, 0, it->len};
                        struct file_pos pos = file_chunk_locate(
                            &it->lines, &whole, (size_t)start);

                        json_object_set_new(x, "line",
                                            json_integer((json_int_t)pos.line));
                }
                if (f->page > 0)
                        json_object_set_new(x, "page", json_integer(f->page));
        }
        /* most events have none: the list is made with the first */
        if (!e->findings)
                e->findings = json_array();
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
                            parts->elems[p].partition == e->partition)
                                gone = 1;
                if (gone) {
                        entry_free(e);
                        continue;
                }
                /* re-add in order; a batch that fit before still fits */
                json_decref(e->findings);
                if (e->dead)
                        batch_add_dead(b, e->rkm, e->reason);
                else if (e->files) {
                        e->files->rkm = e->rkm;
                        e->files->event = e->event;
                        batch_add_files(b, e->files);
                } else
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
