/* test_record.c - record.h: which records on the events topic the
 * inspector takes (and the dead-letter reason for the others), and the
 * dlp.inspection/1 record it writes, out-of-memory paths included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "oom.h"
#include "record.h"
#include "util.h"

#define CARD "4111 1111 1111 1111"

static json_t *event(void)
{
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
                         "schema", "dlp.event/1", "event_id", "Ev0REC1",
                         "team_id", "T0REC", "channel", "C0REC", "ts",
                         "1700000000.000100", "kind", "message", "text",
                         "my card " CARD, "user", "U0REC", "event_time",
                         (json_int_t)1700000000);
}

static void refused(json_t *ev, const char *reason_part)
{
        char why[256];

        assert_int_equal(record_event_check(ev, why, sizeof(why)),
                         DLP_ERR_INVALID);
        assert_non_null(strstr(why, reason_part));
        assert_null(strstr(why, CARD)); /* never the text */
        json_decref(ev);
}

static void test_event_check(void **state)
{
        char why[256], id[300];
        json_t *ev = event(), *parts;

        (void)state;
        assert_int_equal(record_event_check(ev, why, sizeof(why)), DLP_OK);
        json_decref(ev);
        refused(json_pack("[s]", CARD), "not a JSON object: wrong type");
        ev = event();
        json_object_set_new(ev, "schema", json_string("dlp.inspection/1"));
        refused(ev, "schema is dlp.inspection/1, not dlp.event/1");
        ev = event();
        json_object_del(ev, "schema");
        refused(ev, "schema is missing");
        ev = event();
        json_object_del(ev, "text");
        refused(ev, "text is missing");
        ev = event();
        json_object_set_new(ev, "channel", json_integer(5));
        refused(ev, "channel is missing, not a string or over 255 bytes");
        memset(id, 'A', sizeof(id) - 1);
        id[sizeof(id) - 1] = '\0';
        ev = event();
        json_object_set_new(ev, "event_id", json_string(id));
        refused(ev, "event_id is missing");
        /* a text may be long: only ids are bounded */
        ev = event();
        json_object_set_new(ev, "text", json_string(id));
        assert_int_equal(record_event_check(ev, why, sizeof(why)), DLP_OK);
        json_decref(ev);
        /* parts: a list of {where, text}, where a short label */
        ev = event();
        json_object_set_new(ev, "parts", json_string("attachment"));
        refused(ev, "parts is not a list");
        ev = event();
        json_object_set_new(ev, "parts",
                            json_pack("[{s:s}]", "where", "attachment 1"));
        refused(ev, "parts is not a list");
        ev = event();
        json_object_set_new(
            ev, "parts", json_pack("[{s:s, s:s}]", "where", id, "text", "x"));
        refused(ev, "parts is not a list");
        ev = event();
        parts = json_array();
        for (int i = 0; i < 257; i++)
                json_array_append_new(parts, json_pack("{s:s, s:s}", "where",
                                                       "block", "text", "x"));
        json_object_set_new(ev, "parts", parts);
        refused(ev, "parts is not a list");
        ev = event();
        json_object_set_new(
            ev, "parts",
            json_pack("[{s:s, s:s}]", "where", "attachment 1", "text", CARD));
        assert_int_equal(record_event_check(ev, why, sizeof(why)), DLP_OK);
        json_decref(ev);
        /* a reason cut inside a long multibyte schema stays UTF-8 */
        ev = event();
        json_object_set_new(ev, "schema",
                            json_string("ééééééééééééééééééééééééééééééé"));
        assert_int_equal(record_event_check(ev, why, sizeof(why)),
                         DLP_ERR_INVALID);
        assert_non_null(strstr(why, "éééé"));
        assert_null(strstr(why, "\xc3 ")); /* no half character */
        json_decref(ev);
}

/* The event's fields an inspection record carries (record.c). */
static const char *const copied[] = {"event_id", "team_id",   "channel",
                                     "ts",       "kind",      "user",
                                     "bot_id",   "event_time"};

/* The record written for \p e, parsed back: it must be one JSON object of
 * exactly buf->len bytes, written byte for byte as jansson dumps it
 * (compact, members in order, the same escapes), carrying every field of
 * the event as it was and never its text. */
static json_t *inspection(struct record_buf *buf, const struct batch_entry *e)
{
        const struct record_source src = {"dlp.events.v1", 3, 42};
        const char *out = record_inspection(buf, e, "google-dlp-v2", "b-1", 0,
                                            "2026-12-01T00:00:00.000Z", &src);
        json_error_t jerr;
        json_t *rec;
        char *again;

        assert_non_null(out);
        assert_ptr_equal(out, buf->p);
        assert_int_equal(strlen(out), buf->len);
        rec = json_loadb(out, buf->len, JSON_REJECT_DUPLICATES, &jerr);
        assert_non_null(rec);
        assert_true(json_is_object(rec));
        again = json_dumps(rec, JSON_COMPACT);
        assert_string_equal(again, out);
        free(again);
        for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
                json_t *want = json_object_get(e->event, copied[i]);
                json_t *got = json_object_get(rec, copied[i]);

                if (want)
                        assert_true(json_equal(got, want));
                else
                        assert_null(got);
        }
        /* the record's key is the event's event_id */
        assert_int_equal(buf->key_len, json_string_length(json_object_get(
                                           e->event, "event_id")));
        assert_memory_equal(
            buf->key, json_string_value(json_object_get(e->event, "event_id")),
            buf->key_len);
        assert_null(json_object_get(rec, "text")); /* never the text */
        if (e->findings)
                assert_true(
                    json_equal(json_object_get(rec, "findings"), e->findings));
        else /* none found: the batch makes no list */
                assert_int_equal(
                    json_array_size(json_object_get(rec, "findings")), 0);
        assert_null(strstr(out, CARD));
        return rec;
}

static void test_inspection_record(void **state)
{
        struct record_buf buf = {0};
        struct batch_entry e = {0};
        json_t *rec;

        (void)state;
        e.event = event();
        e.findings = json_pack("[{s:s, s:s, s:i, s:i, s:s}]", "info_type",
                               "CREDIT_CARD_NUMBER", "likelihood",
                               "VERY_LIKELY", "byte_start", 8, "byte_end", 27,
                               "quote_masked", "4111 **** **** 1111");
        e.truncated = 1;
        rec = inspection(&buf, &e);
        assert_string_equal(json_string_value(json_object_get(rec, "schema")),
                            "dlp.inspection/1");
        assert_string_equal(json_string_value(json_object_get(rec, "event_id")),
                            "Ev0REC1");
        assert_int_equal(json_integer_value(json_object_get(rec, "event_time")),
                         1700000000);
        assert_null(json_object_get(rec, "bot_id")); /* not in the event */
        assert_null(json_object_get(rec, "files"));
        assert_int_equal(json_array_size(json_object_get(rec, "findings")), 1);
        assert_true(json_is_true(json_object_get(rec, "findings_truncated")));
        assert_string_equal(json_string_value(json_object_get(rec, "backend")),
                            "google-dlp-v2");
        assert_string_equal(json_string_value(json_object_get(rec, "batch_id")),
                            "b-1");
        assert_int_equal(json_integer_value(json_object_get(rec, "attempt")),
                         1); /* 0 tries is the first */
        assert_string_equal(
            json_string_value(json_object_get(rec, "inspected_at")),
            "2026-12-01T00:00:00.000Z");
        json_t *src = json_object_get(rec, "source");
        assert_string_equal(json_string_value(json_object_get(src, "topic")),
                            "dlp.events.v1");
        assert_int_equal(json_integer_value(json_object_get(src, "partition")),
                         3);
        assert_int_equal(json_integer_value(json_object_get(src, "offset")),
                         42);
        json_decref(rec);
        /* the usual record: no findings, not truncated; the buffer is
         * reused and the shorter record replaces the longer one */
        json_array_clear(e.findings);
        e.truncated = 0;
        rec = inspection(&buf, &e);
        assert_null(json_object_get(rec, "findings_truncated"));
        assert_int_equal(json_array_size(json_object_get(rec, "findings")), 0);
        json_decref(rec);
        json_decref(e.findings);
        e.findings = NULL; /* no finding: no list at all */
        json_decref(inspection(&buf, &e));
        record_buf_free(&buf);
        json_decref(e.event);
}

/* Ids and ts are only bounded in length by the event check: whatever they
 * hold, the record is JSON and carries them as they were. */
static void test_inspection_record_strings(void **state)
{
        static const char *const odd[] = {
            "Ev\"quoted\"",
            "back\\slash\\",
            "ctl\x01\x02\x08\x09\x0a\x0c\x0d\x1b\x1f|\x7f",
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8",
            "</script>/",
            "",
        };
        struct record_buf buf = {0};
        struct batch_entry e = {0};
        char id[DLP_ID_MAX + 1];

        (void)state;
        e.findings = json_array();
        for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
                json_t *rec;

                e.event = event();
                for (size_t k = 0; k < 7; k++) /* the string fields */
                        json_object_set_new(e.event, copied[k],
                                            json_string(odd[i]));
                rec = inspection(&buf, &e);
                assert_string_equal(
                    json_string_value(json_object_get(rec, "ts")), odd[i]);
                json_decref(rec);
                json_decref(e.event);
        }
        /* the longest id, every byte escaped six-fold */
        memset(id, 0x01, DLP_ID_MAX);
        id[DLP_ID_MAX] = '\0';
        e.event = event();
        json_object_set_new(e.event, "event_id", json_string(id));
        json_decref(inspection(&buf, &e));
        /* integers at their limits */
        json_object_set_new(e.event, "event_time", json_integer(INT64_MIN));
        json_decref(inspection(&buf, &e));
        json_object_set_new(e.event, "event_time", json_integer(INT64_MAX));
        json_decref(inspection(&buf, &e));
        json_object_set_new(e.event, "event_time", json_integer(0));
        json_decref(inspection(&buf, &e));
        /* a field of another type than the schema's is carried as it is */
        json_object_set_new(e.event, "event_time", json_real(1.5));
        json_object_set_new(e.event, "user", json_pack("{s:[i]}", "x", 1));
        json_decref(inspection(&buf, &e));
        json_decref(e.event);
        record_buf_free(&buf);
        json_decref(e.findings);
}

static void test_inspection_record_files(void **state)
{
        struct record_buf buf = {0};
        struct batch_entry e = {0};
        json_t *rec, *files;
        int err;

        (void)state;
        e.event = event();
        json_object_set_new(e.event, "files",
                            json_pack("[{s:s, s:s}, {s:s}]", "id", "F0A",
                                      "name", "a \"b\".csv", "id", "F0B"));
        e.files = file_job_new(e.event, NULL, &err);
        assert_non_null(e.files);
        e.files->event = NULL; /* the entry's */
        e.files->v[0].done = 1;
        e.files->v[0].rows = 1;
        file_item_fail(&e.files->v[1], FILE_WHY_DELETED,
                       "deleted before it was fetched");
        e.findings =
            json_pack("[{s:s, s:s, s:i, s:i, s:s, s:s, s:s}]", "info_type",
                      "EMAIL_ADDRESS", "likelihood", "LIKELY", "byte_start", 0,
                      "byte_end", 5, "quote_masked", "a***@", "part",
                      "file a.csv", "file_id", "F0A");
        rec = inspection(&buf, &e);
        files = file_job_record(e.files);
        assert_true(json_equal(json_object_get(rec, "files"), files));
        assert_int_equal(json_array_size(json_object_get(rec, "files")), 2);
        json_decref(files);
        json_decref(rec);
        /* out of memory anywhere, with findings and files: NULL, nothing
         * leaked (ASan); a fresh buffer each time, so that its growth
         * fails too */
        for (int n = 1;; n++) {
                struct record_buf fresh = {0};
                const struct record_source src = {"t", 0, 0};
                const char *out;

                oom_fail_nth(n);
                out = record_inspection(&fresh, &e, "google-dlp-v2", "b-1", 1,
                                        "2026-12-01T00:00:00Z", &src);
                if (!oom_failures()) {
                        oom_off();
                        assert_non_null(out);
                        record_buf_free(&fresh);
                        break;
                }
                oom_off();
                assert_null(out);
                record_buf_free(&fresh);
        }
        /* and a buffer that failed is usable again */
        json_decref(inspection(&buf, &e));
        record_buf_free(&buf);
        file_job_free(e.files);
        json_decref(e.event);
        json_decref(e.findings);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_event_check),
            cmocka_unit_test(test_inspection_record),
            cmocka_unit_test(test_inspection_record_strings),
            cmocka_unit_test(test_inspection_record_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
