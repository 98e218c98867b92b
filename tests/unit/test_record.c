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

static json_t *inspection(const struct batch_entry *e)
{
        const struct record_source src = {"dlp.events.v1", 3, 42};

        return record_inspection(e, "google-dlp-v2", "b-1", 0,
                                 "2026-12-01T00:00:00.000Z", &src);
}

static void test_inspection_record(void **state)
{
        struct batch_entry e = {0};
        json_t *rec;

        (void)state;
        e.event = event();
        e.findings = json_pack("[{s:s, s:s, s:i, s:i, s:s}]", "info_type",
                               "CREDIT_CARD_NUMBER", "likelihood",
                               "VERY_LIKELY", "byte_start", 8, "byte_end", 27,
                               "quote_masked", "4111 **** **** 1111");
        e.truncated = 1;
        rec = inspection(&e);
        assert_non_null(rec);
        assert_string_equal(json_string_value(json_object_get(rec, "schema")),
                            "dlp.inspection/1");
        assert_string_equal(json_string_value(json_object_get(rec, "event_id")),
                            "Ev0REC1");
        assert_string_equal(json_string_value(json_object_get(rec, "user")),
                            "U0REC");
        assert_int_equal(json_integer_value(json_object_get(rec, "event_time")),
                         1700000000);
        assert_null(json_object_get(rec, "bot_id")); /* not in the event */
        assert_null(json_object_get(rec, "text"));   /* never the text */
        assert_null(json_object_get(rec, "files"));
        assert_ptr_equal(json_object_get(rec, "findings"), e.findings);
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
        char *dump = json_dumps(rec, JSON_COMPACT);
        assert_null(strstr(dump, CARD));
        free(dump);
        json_decref(rec);
        e.truncated = 0;
        rec = inspection(&e);
        assert_null(json_object_get(rec, "findings_truncated"));
        json_decref(rec);
        /* out of memory anywhere: NULL, nothing leaked (ASan) */
        for (int n = 1;; n++) {
                oom_fail_nth(n);
                rec = inspection(&e);
                if (!oom_failures())
                        break;
                assert_null(rec);
        }
        oom_off();
        assert_non_null(rec);
        json_decref(rec);
        json_decref(e.event);
        json_decref(e.findings);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_event_check),
            cmocka_unit_test(test_inspection_record),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
