/* test_batch.c - batch cutting by items and by exact request bytes, long
 * texts split into overlapping chunks, findings mapped back by rowIndex
 * (row 0 has none in Google's JSON) with offsets into the whole text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "err.h"
#include "gdlp.h"

#include "gdlp_fixture.h"

static json_t *event(const char *text)
{
        return json_pack("{s:s, s:s}", "schema", "dlp.event/1", "text", text);
}

static void test_cut_by_items(void **state)
{
        struct batch b;
        int added = 0;

        batch_init(&b, &be, 100, 524288);
        for (int i = 0; i < 250; i++) {
                json_t *ev = event("hello world");
                if (batch_add(&b, NULL, ev) != DLP_OK) {
                        json_decref(ev);
                        break;
                }
                added++;
        }
        assert_int_equal(added, 100);
        assert_int_equal(b.n_rows, 100);
        batch_clear(&b);
}

static void test_cut_by_bytes_is_exact(void **state)
{
        char text[501];
        struct batch b;
        size_t per_row, expect, len;
        char *req;

        memset(text, 'x', 500);
        text[500] = '\0';
        text[10] = '"'; /* escaping counts: 2 bytes */
        text[20] = '\n';
        text[30] = '\x01'; /* 6 bytes */
        per_row = gdlp_row_bytes(text, 500);
        assert_int_equal(per_row, gdlp_row_bytes("", 0) + 500 + 1 + 1 + 5);
        expect = (8192 - gdlp_envelope_bytes(&be)) / per_row;

        batch_init(&b, &be, 100, 8192);
        for (;;) {
                json_t *ev = event(text);
                if (batch_add(&b, NULL, ev) != DLP_OK) {
                        json_decref(ev);
                        break;
                }
        }
        assert_int_equal(b.n_rows, expect);
        req = batch_request(&b, 0, b.n_rows, &len);
        /* the accounting counts a comma for the first row too */
        assert_int_equal(len + 1, b.bytes);
        assert_true(len <= 8192);
        /* and the serialized request is valid JSON with every row */
        json_t *j = json_loadb(req, len, 0, NULL);
        assert_non_null(j);
        assert_int_equal(
            json_array_size(json_object_get(
                json_object_get(json_object_get(j, "item"), "table"), "rows")),
            expect);
        assert_string_equal(
            json_string_value(json_object_get(
                json_array_get(
                    json_object_get(
                        json_array_get(
                            json_object_get(
                                json_object_get(json_object_get(j, "item"),
                                                "table"),
                                "rows"),
                            0),
                        "values"),
                    0),
                "stringValue")),
            text);
        json_decref(j);
        free(req);
        batch_clear(&b);
}

static void test_empty_text_has_no_row(void **state)
{
        struct batch b;

        batch_init(&b, &be, 100, 524288);
        assert_int_equal(batch_add(&b, NULL, event("")), DLP_OK);
        assert_int_equal(b.n_entries, 1);
        assert_int_equal(b.n_rows, 0);
        batch_clear(&b);
}

static void test_long_text_split_with_overlap(void **state)
{
        size_t n = 20000, nchunks;
        char *text = malloc(n + 1);
        struct chunk chunks[100];
        struct batch b;

        for (size_t i = 0; i < n; i++)
                text[i] = (char)('a' + i % 26);
        /* a multi-byte character near every cut must stay whole */
        for (size_t i = 100; i + 3 < n; i += 997)
                memcpy(text + i, "\xe2\x82\xac", 3); /* € */
        text[n] = '\0';
        assert_int_equal(
            batch_plan_chunks(&be, text, n, 4000, 256, chunks, 100, &nchunks),
            DLP_OK);
        assert_true(nchunks >= 6);
        assert_int_equal(chunks[0].base, 0);
        for (size_t i = 0; i < nchunks; i++) {
                assert_true(gdlp_escaped_len(text + chunks[i].base,
                                             chunks[i].len) <= 4000);
                /* starts and ends on character boundaries */
                assert_true(((unsigned char)text[chunks[i].base] & 0xC0) !=
                            0x80);
                if (i > 0) { /* overlapping, and progressing */
                        assert_true(chunks[i].base <
                                    chunks[i - 1].base + chunks[i - 1].len);
                        assert_true(chunks[i - 1].base + chunks[i - 1].len -
                                        chunks[i].base <=
                                    256);
                        assert_true(chunks[i].base > chunks[i - 1].base);
                }
        }
        assert_int_equal(chunks[nchunks - 1].base + chunks[nchunks - 1].len, n);
        /* too few chunks allowed: refused, not inspected in part */
        assert_int_equal(
            batch_plan_chunks(&be, text, n, 4000, 256, chunks, 3, &nchunks),
            DLP_ERR_TOOBIG);

        /* through the batch: the long event alone, split into rows */
        batch_init(&b, &be, 100, 4096);
        assert_int_equal(batch_add(&b, NULL, event(text)), DLP_OK);
        assert_true(b.n_rows > 1);
        /* its rows go out in several requests, each within the limit */
        size_t requests = 0, covered = 0;
        for (size_t lo = 0; lo < b.n_rows; requests++) {
                size_t hi = batch_cut(&b, lo), len;
                char *req = batch_request(&b, lo, hi, &len);
                assert_true(hi > lo);
                assert_true(len <= 4096);
                free(req);
                covered += hi - lo;
                lo = hi;
        }
        assert_int_equal(covered, b.n_rows);
        assert_true(requests > 1);
        /* and nothing else joins that batch */
        json_t *other = event("short");
        assert_int_equal(batch_add(&b, NULL, other), DLP_ERR_TOOBIG);
        json_decref(other);
        /* a text needing more rows than a batch may hold is dead */
        struct batch small;
        batch_init(&small, &be, 2, 4096);
        assert_int_equal(batch_add(&small, NULL, event(text)), DLP_OK);
        assert_int_equal(small.n_rows, 0);
        assert_true(small.entries[0].dead);
        batch_clear(&small);

        /* a finding in the second chunk maps to whole-text offsets, and
         * the same value seen by two overlapping chunks counts once */
        struct batch_sink sink = {&b, 0};
        size_t base1 = b.rows[1].base, base2 = b.rows[2].base;
        size_t abs = base2 + 10; /* inside chunk 1's tail and chunk 2 */
        assert_true(abs < base1 + b.rows[1].len);
        struct backend_finding f1 = {"EMAIL_ADDRESS",
                                     "LIKELY",
                                     "a@b.co",
                                     6,
                                     1,
                                     (long long)(abs - base1),
                                     (long long)(abs - base1 + 6)};
        struct backend_finding f2 = {
            "EMAIL_ADDRESS", "LIKELY", "a@b.co", 6, 2, 10, 16};
        batch_on_finding(&sink, &f1);
        batch_on_finding(&sink, &f2);
        json_t *findings = b.entries[0].findings;
        assert_int_equal(json_array_size(findings), 1);
        assert_int_equal(json_integer_value(json_object_get(
                             json_array_get(findings, 0), "byte_start")),
                         abs);
        batch_clear(&b);
        free(text);
}

/* Google omits zero values: a finding in row 0 has "tableLocation": {} and
 * a range starting at byte 0 has no "start". */
static const char answer[] =
    "{\"result\":{\"findings\":["
    "{\"quote\":\"4111 1111 1111 1111\",\"infoType\":{\"name\":"
    "\"CREDIT_CARD_NUMBER\"},\"likelihood\":\"VERY_LIKELY\",\"location\":"
    "{\"byteRange\":{\"end\":\"19\"},\"contentLocations\":[{"
    "\"recordLocation\":{\"fieldId\":{\"name\":\"text\"},"
    "\"tableLocation\":{}}}]}},"
    "{\"quote\":\"078-05-1120\",\"infoType\":{\"name\":"
    "\"US_SOCIAL_SECURITY_NUMBER\"},\"likelihood\":\"LIKELY\",\"location\":"
    "{\"byteRange\":{\"start\":\"4\",\"end\":\"15\"},\"contentLocations\":[{"
    "\"recordLocation\":{\"fieldId\":{\"name\":\"text\"},"
    "\"tableLocation\":{\"rowIndex\":\"2\"}}}]}}]}}";

static void test_row_index_mapping_including_row_0(void **state)
{
        struct batch b;
        const char *texts[] = {"4111 1111 1111 1111 is my card", "nothing",
                               "ssn 078-05-1120"};
        struct backend_answer info = {1, 0};
        char errstr[256];

        batch_init(&b, &be, 100, 524288);
        for (int i = 0; i < 3; i++)
                assert_int_equal(batch_add(&b, NULL, event(texts[i])), DLP_OK);
        struct batch_sink sink = {&b, 0};
        assert_int_equal(gdlp_parse_result(answer, strlen(answer), 3,
                                           batch_on_finding, &sink, &info,
                                           errstr, sizeof(errstr)),
                         DLP_OK);
        assert_false(info.truncated);
        assert_int_equal(json_array_size(b.entries[0].findings), 1);
        assert_int_equal(json_array_size(b.entries[1].findings), 0);
        assert_int_equal(json_array_size(b.entries[2].findings), 1);
        json_t *f0 = json_array_get(b.entries[0].findings, 0);
        assert_string_equal(json_string_value(json_object_get(f0, "info_type")),
                            "CREDIT_CARD_NUMBER");
        assert_int_equal(json_integer_value(json_object_get(f0, "byte_start")),
                         0);
        assert_int_equal(json_integer_value(json_object_get(f0, "byte_end")),
                         19);
        assert_string_equal(
            json_string_value(json_object_get(f0, "quote_masked")),
            "4111 \xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 "
            "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2 1111");
        /* never the raw quote */
        char *dump = json_dumps(b.entries[0].findings, 0);
        assert_null(strstr(dump, "4111 1111 1111 1111"));
        free(dump);
        json_t *f2 = json_array_get(b.entries[2].findings, 0);
        assert_int_equal(json_integer_value(json_object_get(f2, "byte_start")),
                         4);

        /* a sub-request of rows [1, 3): its row 0 is the batch's row 1 */
        struct batch b2;
        batch_init(&b2, &be, 100, 524288);
        for (int i = 0; i < 3; i++)
                batch_add(&b2, NULL, event(texts[i]));
        struct batch_sink sink2 = {&b2, 1};
        assert_int_equal(gdlp_parse_result(answer, strlen(answer), 2,
                                           batch_on_finding, &sink2, &info,
                                           errstr, sizeof(errstr)),
                         DLP_ERR_PARSE); /* row 2 does not exist in 2 rows */
        batch_clear(&b2);
        batch_clear(&b);
}

/* An event with parts: a row for its text and one per part, in order; a
 * finding in a part names it, with offsets into the part's text. */
static void test_parts_are_rows_of_their_own(void **state)
{
        static const char answer3[] =
            "{\"result\":{\"findings\":["
            "{\"infoType\":{\"name\":\"CREDIT_CARD_NUMBER\"},"
            "\"likelihood\":\"VERY_LIKELY\",\"quote\":\"4111111111111111\","
            "\"location\":{\"byteRange\":{\"start\":\"5\",\"end\":\"21\"},"
            "\"contentLocations\":[{\"recordLocation\":{\"tableLocation\":"
            "{\"rowIndex\":\"1\"}}}]}},"
            "{\"infoType\":{\"name\":\"EMAIL_ADDRESS\"},"
            "\"likelihood\":\"LIKELY\",\"quote\":\"a@b.co\","
            "\"location\":{\"byteRange\":{\"end\":\"6\"},"
            "\"contentLocations\":[{\"recordLocation\":{\"tableLocation\":"
            "{\"rowIndex\":\"2\"}}}]}}]}}";
        json_t *ev =
            json_pack("{s:s, s:s, s:[{s:s, s:s}, {s:s, s:s}]}", "schema",
                      "dlp.event/1", "text", "hello", "parts", "where",
                      "attachment 2", "text", "card 4111111111111111", "where",
                      "the file title of r.csv", "text", "a@b.co");
        struct backend_answer info = {0, 0};
        struct batch b;
        struct batch_sink sink = {&b, 0};
        char errstr[256], *req;
        size_t len;
        json_t *f, *rows, *parsed;

        batch_init(&b, &be, 100, 524288);
        assert_int_equal(batch_add(&b, NULL, ev), DLP_OK);
        assert_int_equal(b.n_rows, 3);
        assert_int_equal(b.rows[1].part, 0);
        req = batch_request(&b, 0, 3, &len);
        parsed = json_loads(req, 0, NULL);
        rows = json_object_get(
            json_object_get(json_object_get(parsed, "item"), "table"), "rows");
        assert_string_equal(
            json_string_value(json_object_get(
                json_array_get(
                    json_object_get(json_array_get(rows, 1), "values"), 0),
                "stringValue")),
            "card 4111111111111111");
        json_decref(parsed);
        free(req);
        assert_int_equal(gdlp_parse_result(answer3, strlen(answer3), 3,
                                           batch_on_finding, &sink, &info,
                                           errstr, sizeof(errstr)),
                         DLP_OK);
        assert_int_equal(json_array_size(b.entries[0].findings), 2);
        f = json_array_get(b.entries[0].findings, 0);
        assert_string_equal(json_string_value(json_object_get(f, "part")),
                            "attachment 2");
        assert_int_equal(json_integer_value(json_object_get(f, "byte_start")),
                         5);
        assert_int_equal(json_integer_value(json_object_get(f, "byte_end")),
                         21);
        f = json_array_get(b.entries[0].findings, 1);
        assert_string_equal(json_string_value(json_object_get(f, "part")),
                            "the file title of r.csv");
        assert_int_equal(json_integer_value(json_object_get(f, "byte_start")),
                         0);
        batch_clear(&b);
}

static void test_result_shapes(void **state)
{
        struct batch b;
        struct backend_answer info;
        char errstr[256];
        const char *none = "{\"result\":{}}";
        const char *trunc = "{\"result\":{\"findingsTruncated\":true}}";
        const char *junk = "{\"error\":{\"code\":400}}";

        batch_init(&b, &be, 100, 524288);
        batch_add(&b, NULL, event("x"));
        struct batch_sink sink = {&b, 0};
        assert_int_equal(gdlp_parse_result(none, strlen(none), 1,
                                           batch_on_finding, &sink, &info,
                                           errstr, sizeof(errstr)),
                         DLP_OK);
        assert_int_equal(json_array_size(b.entries[0].findings), 0);
        assert_int_equal(gdlp_parse_result(trunc, strlen(trunc), 1,
                                           batch_on_finding, &sink, &info,
                                           errstr, sizeof(errstr)),
                         DLP_OK);
        assert_true(info.truncated);
        assert_int_equal(gdlp_parse_result(junk, strlen(junk), 1,
                                           batch_on_finding, &sink, &info,
                                           errstr, sizeof(errstr)),
                         DLP_ERR_PARSE);
        batch_clear(&b);
}

static void test_error_message(void **state)
{
        const char *e = "{\"error\":{\"code\":400,\"message\":\"Content size "
                        "600000 exceeds limit of 524288\",\"status\":"
                        "\"INVALID_ARGUMENT\"}}";
        char msg[256];

        gdlp_error_message(e, strlen(e), msg, sizeof(msg));
        assert_string_equal(msg, "INVALID_ARGUMENT: Content size 600000 "
                                 "exceeds limit of 524288");
}

static void test_kill_rows_marks_whole_event(void **state)
{
        struct batch b;
        batch_init(&b, &be, 100, 524288);
        batch_add(&b, NULL, event("a"));
        batch_add(&b, NULL, event("b"));
        batch_add(&b, NULL, event("c"));
        batch_kill_rows(&b, 1, 2, "INVALID_ARGUMENT: poison");
        assert_false(b.entries[0].dead);
        assert_true(b.entries[1].dead);
        assert_string_equal(b.entries[1].reason, "INVALID_ARGUMENT: poison");
        assert_false(b.entries[2].dead);
        batch_clear(&b);
}

/* Once its records are produced, a batch keeps its entries' partitions
 * and offsets (done when the delivery reports come) and nothing of its
 * events or their messages. */
static void test_release_written_keeps_the_offsets(void **state)
{
        struct batch b;

        (void)state;
        batch_init(&b, &be, 100, 524288);
        batch_add(&b, NULL, event("a card 4111 1111 1111 1111"));
        batch_add(&b, NULL, event("b"));
        batch_add_dead(&b, NULL, "not JSON");
        assert_int_equal(b.n_rows, 2);
        for (size_t i = 0; i < b.n_entries; i++) { /* as a message sets */
                assert_int_equal(b.entries[i].partition, -1);
                b.entries[i].partition = (int32_t)i + 4;
                b.entries[i].offset = (int64_t)i + 40;
        }
        batch_release_written(&b);
        assert_int_equal(b.n_entries, 3);
        assert_int_equal(b.n_rows, 0);
        assert_null(b.rows);
        for (size_t i = 0; i < b.n_entries; i++) {
                assert_null(b.entries[i].event);
                assert_null(b.entries[i].findings);
                assert_null(b.entries[i].text);
                assert_null(b.entries[i].rkm);
                assert_int_equal(b.entries[i].partition, (int32_t)i + 4);
                assert_int_equal(b.entries[i].offset, (int64_t)i + 40);
        }
        assert_true(b.entries[2].dead);
        batch_clear(&b); /* no double free (ASan) */
        assert_int_equal(b.n_entries, 0);
}

/* Ranges the service may send: near INT64_MAX (base + offset overflowed)
 * and past the end of the cell. The finding stays, inside the cell. */
static void test_hostile_ranges_are_clamped_to_the_cell(void **state)
{
        static const char hostile[] =
            "{\"result\":{\"findings\":["
            "{\"infoType\":{\"name\":\"A\"},\"location\":{\"byteRange\":"
            "{\"start\":\"9223372036854775800\",\"end\":"
            "\"9223372036854775807\"},\"contentLocations\":[{"
            "\"recordLocation\":{\"tableLocation\":{\"rowIndex\":\"1\"}}}]}},"
            "{\"infoType\":{\"name\":\"B\"},\"location\":{\"byteRange\":"
            "{\"start\":2,\"end\":1000},\"contentLocations\":[{"
            "\"recordLocation\":{\"tableLocation\":{\"rowIndex\":\"1\"}}}]}}"
            "]}}";
        struct batch b;
        struct backend_answer info;
        char errstr[256];

        batch_init(&b, &be, 100, 524288);
        batch_add(&b, NULL, event("zero"));
        batch_add(&b, NULL, event("twelve bytes"));
        struct batch_sink sink = {&b, 0};
        assert_int_equal(gdlp_parse_result(hostile, strlen(hostile), 2,
                                           batch_on_finding, &sink, &info,
                                           errstr, sizeof(errstr)),
                         DLP_OK);
        json_t *fs = b.entries[1].findings, *f;
        size_t i;
        assert_int_equal(json_array_size(fs), 2);
        json_array_foreach(fs, i, f)
        {
                json_int_t s0 =
                    json_integer_value(json_object_get(f, "byte_start"));
                json_int_t e0 =
                    json_integer_value(json_object_get(f, "byte_end"));
                assert_true(0 <= s0 && s0 <= e0 && e0 <= 12);
        }
        batch_clear(&b);
}

/* jansson's message quotes the offending token ("invalid token near
 * '4111...'"): it must not reach a log or a dead letter. */
static void test_errors_never_quote_the_input(void **state)
{
        const char *bad = "{\"result\": 4111111111111111x}";
        const char *html = "<html>card 4111 1111 1111 1111 rejected</html>";
        char errstr[256], msg[256];
        struct batch b;
        struct backend_answer info;

        batch_init(&b, &be, 100, 524288);
        batch_add(&b, NULL, event("x"));
        struct batch_sink sink = {&b, 0};
        assert_int_equal(gdlp_parse_result(bad, strlen(bad), 1,
                                           batch_on_finding, &sink, &info,
                                           errstr, sizeof(errstr)),
                         DLP_ERR_PARSE);
        assert_null(strstr(errstr, "4111"));
        assert_non_null(strstr(errstr, "at byte"));
        gdlp_error_message(html, strlen(html), msg, sizeof(msg));
        assert_null(strstr(msg, "4111"));
        batch_clear(&b);
}

/* The service's message becomes a dead letter's reason: a cut must keep
 * whole characters, or the dead letter cannot be built. */
static void test_error_message_cut_keeps_whole_characters(void **state)
{
        const char *e = "{\"error\":{\"status\":\"INVALID_ARGUMENT\","
                        "\"message\":\"\u20ac\u20ac\u20ac\u20ac\u20ac\"}}";
        char msg[24]; /* "INVALID_ARGUMENT: " is 18 bytes, then 5 of 15 */

        gdlp_error_message(e, strlen(e), msg, sizeof(msg));
        assert_string_equal(msg, "INVALID_ARGUMENT: \xe2\x82\xac");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cut_by_items),
            cmocka_unit_test(test_cut_by_bytes_is_exact),
            cmocka_unit_test(test_empty_text_has_no_row),
            cmocka_unit_test(test_long_text_split_with_overlap),
            cmocka_unit_test(test_row_index_mapping_including_row_0),
            cmocka_unit_test(test_result_shapes),
            cmocka_unit_test(test_error_message),
            cmocka_unit_test(test_kill_rows_marks_whole_event),
            cmocka_unit_test(test_release_written_keeps_the_offsets),
            cmocka_unit_test(test_hostile_ranges_are_clamped_to_the_cell),
            cmocka_unit_test(test_errors_never_quote_the_input),
            cmocka_unit_test(test_error_message_cut_keeps_whole_characters),
            cmocka_unit_test(test_parts_are_rows_of_their_own),
        };
        return cmocka_run_group_tests(tests, gdlp_setup, gdlp_teardown);
}
