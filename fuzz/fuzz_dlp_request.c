/* fuzz_dlp_request.c - the DLP request builder (inspector/gdlp.c) and the
 * batch cutter behind it (inspector/batch.c), on any texts events may carry
 * and any request limits; and the inspection record written for each event
 * (inspector/record.c), whose ids and ts are the same texts. Input: one
 * byte of max items, two of max bytes, then the texts separated by 0x1e. */
#include "batch.h"
#include "err.h"
#include "fuzz.h"
#include "gdlp_backend.h"
#include "record.h"

#include <string.h>

/* Every request of the batch: within the byte limit, of exactly the size
 * the cutter computed, JSON whose rows are the cells' bytes. */
static void check_requests(const struct batch *b)
{
        size_t lo = 0;

        while (lo < b->n_rows) {
                size_t hi = batch_cut(b, lo), len = 0, bytes = 0;
                char *req;
                json_t *root, *rows;

                FUZZ_CHECK(hi > lo && hi <= b->n_rows);
                for (size_t r = lo; r < hi; r++)
                        bytes += b->rows[r].bytes;
                req = batch_request(b, lo, hi, &len);
                FUZZ_CHECK(req && strlen(req) == len);
                /* rows are counted with a comma each; the first has none */
                FUZZ_CHECK(len == gdlp_envelope_bytes(fuzz_gdlp()) + bytes - 1);
                FUZZ_CHECK(len <= b->max_bytes);
                root = json_loadb(req, len, JSON_ALLOW_NUL, NULL);
                FUZZ_CHECK(root != NULL);
                rows = json_object_get(
                    json_object_get(json_object_get(root, "item"), "table"),
                    "rows");
                FUZZ_CHECK(json_array_size(rows) == hi - lo);
                for (size_t r = lo; r < hi; r++) {
                        const struct batch_row *row = &b->rows[r];
                        json_t *cell = json_object_get(
                            json_array_get(
                                json_object_get(json_array_get(rows, r - lo),
                                                "values"),
                                0),
                            "stringValue");
                        FUZZ_CHECK(json_string_length(cell) == row->len);
                        FUZZ_CHECK(!memcmp(
                            json_string_value(cell),
                            b->entries[row->entry].text + row->base, row->len));
                }
                json_decref(root);
                free(req);
                lo = hi;
        }
}

/* The chunks of each entry cover its whole text, in order. */
static void check_chunks(const struct batch *b)
{
        for (size_t i = 0; i < b->n_entries; i++) {
                const struct batch_entry *e = &b->entries[i];
                size_t covered = 0;

                if (e->dead) {
                        FUZZ_CHECK(*e->reason);
                        continue;
                }
                FUZZ_CHECK(e->row_count > 0 || e->text_len == 0);
                for (size_t r = e->row_first; r < e->row_first + e->row_count;
                     r++) {
                        FUZZ_CHECK(b->rows[r].entry == i);
                        FUZZ_CHECK(b->rows[r].base <= covered);
                        FUZZ_CHECK(b->rows[r].base + b->rows[r].len > covered);
                        covered = b->rows[r].base + b->rows[r].len;
                }
                FUZZ_CHECK(covered == e->text_len);
        }
}

/* Each entry's inspection record: JSON (NULs in a string included), as
 * jansson would dump it, with the event's ids and ts as they were. */
static void check_records(const struct batch *b, struct record_buf *buf)
{
        static const char *const ids[] = {"event_id", "ts", "user"};
        const struct record_source src = {"t", 0, 0};

        for (size_t i = 0; i < b->n_entries; i++) {
                const struct batch_entry *e = &b->entries[i];
                const char *out;
                json_t *rec;
                char *again;

                if (e->dead)
                        continue;
                out = record_inspection(buf, e, "google-dlp-v2", "b-1", 1,
                                        "2026-12-01T00:00:00Z", &src);
                FUZZ_CHECK(out && strlen(out) == buf->len); /* NULs escaped */
                rec = json_loadb(out, buf->len, JSON_ALLOW_NUL, NULL);
                FUZZ_CHECK(json_is_object(rec));
                for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
                        FUZZ_CHECK(
                            json_equal(json_object_get(rec, ids[k]),
                                       json_object_get(e->event, ids[k])));
                FUZZ_CHECK(!json_object_get(rec, "text"));
                again = json_dumps(rec, JSON_COMPACT);
                FUZZ_CHECK(again && !strcmp(again, out));
                free(again);
                json_decref(rec);
        }
}

static void flush(struct batch *b, struct record_buf *buf)
{
        check_chunks(b);
        check_requests(b);
        check_records(b, buf);
        batch_clear(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_input in = {(const char *)data, (const char *)data + size};
        size_t max_items, max_bytes;
        struct record_buf buf = {0};
        struct batch b;

        if (size < 3)
                return 0;
        max_items = 1 + data[0] % 32;
        /* from a request that holds one small row up to ~16 KB */
        max_bytes = gdlp_envelope_bytes(fuzz_gdlp()) + gdlp_row_bytes("", 0) +
                    8 + ((size_t)data[1] << 8 | data[2]) % 16384;
        in.p += 3;
        batch_init(&b, fuzz_gdlp(), max_items, max_bytes);
        while (in.p < in.end) {
                size_t len;
                char *text = fuzz_field(&in, '\x1e', 0, &len);
                json_t *ev = json_object(), *t = json_stringn(text, len);
                int err;

                free(text);
                if (!t) { /* not UTF-8: not a text a record can hold */
                        json_decref(ev);
                        continue;
                }
                json_object_set_new(ev, "text", t);
                /* the event check bounds ids in length only */
                json_object_set(ev, "event_id", t);
                json_object_set(ev, "ts", t);
                json_object_set(ev, "user", t);
                err = batch_add(&b, NULL, ev);
                if (err == DLP_ERR_TOOBIG) {
                        flush(&b, &buf);
                        err = batch_add(&b, NULL, ev);
                }
                FUZZ_CHECK(err == DLP_OK);
        }
        flush(&b, &buf);
        record_buf_free(&buf);
        return 0;
}
