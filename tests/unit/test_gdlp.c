/* test_gdlp.c - the Google DLP v2 answer parser on proto3 JSON as Google
 * may write it: enums as names or numbers, int64 as strings or numbers,
 * zero values omitted; answers that cannot be used are refused whole,
 * findings that cannot be located are dropped and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gdlp.h"
#include "util.h"

#include "gdlp_fixture.h"

struct seen {
        int n;
        struct backend_finding f[8];
        char likelihood[8][32];
};

static void collect(void *ctx, const struct backend_finding *gf)
{
        struct seen *s = ctx;

        if (s->n < 8) {
                s->f[s->n] = *gf;
                snprintf(s->likelihood[s->n], 32, "%s", gf->likelihood);
                s->n++;
        }
}

static int parse(const char *body, size_t nrows, struct seen *s,
                 struct backend_answer *info)
{
        char errstr[256];

        memset(s, 0, sizeof(*s));
        return gdlp_parse_result(body, strlen(body), nrows, collect, s, info,
                                 errstr, sizeof(errstr));
}

#define FINDING(likelihood, range, row)                                        \
        "{\"infoType\":{\"name\":\"EMAIL_ADDRESS\"},"                          \
        "\"likelihood\":" likelihood ",\"location\":{\"byteRange\":" range     \
        ",\"contentLocations\":[{\"recordLocation\":{\"tableLocation\":" row   \
        "}}]}}"

static void test_enums_as_names_or_numbers(void **state)
{
        struct seen s;
        struct backend_answer info;
        const char *body = "{\"result\":{\"findings\":[" FINDING(
            "\"LIKELY\"", "{\"end\":\"3\"}",
            "{}") "," FINDING("5", "{\"end\":\"3\"}",
                              "{}") "," FINDING("3", "{\"end\":\"3\"}",
                                                "{}") "]}}";

        (void)state;
        assert_int_equal(parse(body, 1, &s, &info), DLP_OK);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.likelihood[0], "LIKELY");
        assert_string_equal(s.likelihood[1], "VERY_LIKELY");
        assert_string_equal(s.likelihood[2], "POSSIBLE");
}

static void test_int64_as_strings_or_numbers(void **state)
{
        struct seen s;
        struct backend_answer info;
        const char *body = "{\"result\":{\"findings\":[" FINDING(
            "4", "{\"start\":\"2\",\"end\":\"7\"}",
            "{\"rowIndex\":\"1\"}") "," FINDING("4", "{\"start\":2,\"end\":7}",
                                                "{\"rowIndex\":2}") "," FINDING("4",
                                                                                "{\"end\":7.0}",
                                                                                "{}") "]}}";

        (void)state;
        assert_int_equal(parse(body, 3, &s, &info), DLP_OK);
        assert_int_equal(s.n, 3);
        assert_int_equal(s.f[0].row, 1);
        assert_int_equal(s.f[0].start, 2);
        assert_int_equal(s.f[0].end, 7);
        assert_int_equal(s.f[1].row, 2);
        assert_int_equal(s.f[1].start, 2);
        assert_int_equal(s.f[2].row, 0); /* omitted zero */
        assert_int_equal(s.f[2].start, 0);
        assert_int_equal(s.f[2].end, 7);
        assert_int_equal(info.dropped, 0);
}

/* A rowIndex that is no row sent makes the whole answer unusable: nothing
 * of it is merged. */
static void test_bad_row_index_refuses_the_answer(void **state)
{
        static const char *const rows[] = {
            "{\"rowIndex\":\"1x\"}", "{\"rowIndex\":\"\"}",
            "{\"rowIndex\":\"-1\"}", "{\"rowIndex\":3}",
            "{\"rowIndex\":1.5}",    "{\"rowIndex\":true}"};
        char body[512];
        struct seen s;
        struct backend_answer info;

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                snprintf(body, sizeof(body),
                         "{\"result\":{\"findings\":[" FINDING(
                             "4", "{\"end\":1}", "{}") "," FINDING("4",
                                                                   "{\"end\":"
                                                                   "1}",
                                                                   "%s") "]}}",
                         rows[i]);
                assert_int_equal(parse(body, 3, &s, &info), DLP_ERR_PARSE);
                assert_int_equal(s.n, 0);
        }
}

static void test_unusable_shapes(void **state)
{
        struct seen s;
        struct backend_answer info;

        (void)state;
        assert_int_equal(parse("{}", 1, &s, &info), DLP_ERR_PARSE);
        assert_int_equal(parse("", 1, &s, &info), DLP_ERR_PARSE);
        assert_int_equal(parse("[]", 1, &s, &info), DLP_ERR_PARSE);
        assert_int_equal(parse("{\"result\":{\"findings\":{}}}", 1, &s, &info),
                         DLP_ERR_PARSE);
        assert_int_equal(parse("{\"result\":{}}", 1, &s, &info), DLP_OK);
        assert_int_equal(s.n, 0);
}

/* A finding without a usable location is dropped and counted; the rest of
 * the answer stands. */
static void test_bad_location_dropped_and_counted(void **state)
{
        struct seen s;
        struct backend_answer info;
        const char *body = "{\"result\":{\"findings\":[" FINDING(
            "4", "{\"start\":\"9\",\"end\":\"3\"}",
            "{}") "," FINDING("4", "{\"start\":\"x\",\"end\":\"3\"}",
                              "{}") "," FINDING("4", "{\"start\":-2,\"end\":3}",
                                                "{}") "," FINDING("4",
                                                                  "{\"end\":"
                                                                  "\"3\"}",
                                                                  "{}") "]}}";

        (void)state;
        assert_int_equal(parse(body, 1, &s, &info), DLP_OK);
        assert_int_equal(s.n, 1);
        assert_int_equal(info.dropped, 3);
}

static void test_truncated_flag(void **state)
{
        struct seen s;
        struct backend_answer info;

        (void)state;
        assert_int_equal(
            parse("{\"result\":{\"findingsTruncated\":true}}", 1, &s, &info),
            DLP_OK);
        assert_true(info.truncated);
        assert_int_equal(parse("{\"result\":{}}", 1, &s, &info), DLP_OK);
        assert_false(info.truncated);
}

/* What to look for is injected as request members; the request's size is
 * still known before it is built. */
static void test_injected_request_members(void **state)
{
        struct backend mine;
        char errstr[256];
        const char *cell = "mail me at a@b.example";
        size_t len, n = strlen(cell);
        json_t *req,
            *members = json_pack("{s:s, s:{s:s}}", "inspectTemplateName",
                                 "projects/p/inspectTemplates/t",
                                 "inspectConfig", "minLikelihood", "LIKELY");

        (void)state;
        assert_int_equal(backend_init(&mine, &gdlp_backend_ops, members, errstr,
                                      sizeof(errstr)),
                         DLP_OK);
        char *body = mine.ops->request(&mine, &cell, &n, 1,
                                       mine.ops->envelope_bytes(&mine) +
                                           mine.ops->row_bytes(cell, n),
                                       &len);
        assert_non_null(body);
        /* row_bytes counts a separating comma the first row lacks */
        assert_int_equal(len + 1, mine.ops->envelope_bytes(&mine) +
                                      mine.ops->row_bytes(cell, n));
        req = json_loads(body, 0, NULL);
        assert_non_null(req);
        assert_string_equal(
            json_string_value(json_object_get(req, "inspectTemplateName")),
            "projects/p/inspectTemplates/t");
        assert_string_equal(
            json_string_value(json_object_get(
                json_object_get(req, "inspectConfig"), "minLikelihood")),
            "LIKELY");
        assert_non_null(json_object_get(req, "item"));
        json_decref(req);
        free(body);
        backend_term(&mine);
        /* the default asks for the built-ins and the Slack token */
        body = be.ops->request(
            &be, &cell, &n, 1,
            be.ops->envelope_bytes(&be) + be.ops->row_bytes(cell, n), &len);
        req = json_loads(body, 0, NULL);
        assert_non_null(json_object_get(json_object_get(req, "inspectConfig"),
                                        "customInfoTypes"));
        json_decref(req);
        free(body);
        assert_int_equal(backend_init(&mine, &gdlp_backend_ops, json_array(),
                                      errstr, sizeof(errstr)),
                         DLP_ERR_CONFIG);
}

/* A file as one byteItem: the exact size announced, the bytes in base64
 * under Google's type name, the same members as a table request; a type
 * that is not a ByteContentItem name is refused. Its answer has no
 * tableLocation and is read as one row. */
static void test_byte_item_request_and_answer(void **state)
{
        static const unsigned char pdf[] = "%PDF-1.4\n\x00\xff binary\n";
        size_t len = 0, dlen = 0;
        char *req;
        json_t *root;
        unsigned char *decoded;

        (void)state;
        req = gdlp_bytes_request_build(&be, "PDF", pdf, sizeof(pdf) - 1, &len);
        assert_non_null(req);
        assert_int_equal(len, strlen(req));
        assert_int_equal(len,
                         gdlp_bytes_request_bytes(&be, "PDF", sizeof(pdf) - 1));
        root = json_loads(req, 0, NULL);
        assert_non_null(root);
        assert_string_equal(
            json_string_value(json_object_get(
                json_object_get(json_object_get(root, "item"), "byteItem"),
                "type")),
            "PDF");
        decoded = dlp_base64_decode(
            json_string_value(json_object_get(
                json_object_get(json_object_get(root, "item"), "byteItem"),
                "data")),
            &dlen);
        assert_non_null(decoded);
        assert_int_equal(dlen, sizeof(pdf) - 1);
        assert_memory_equal(decoded, pdf, dlen);
        free(decoded);
        /* what to look for: the same as in every table request */
        assert_non_null(json_object_get(json_object_get(root, "inspectConfig"),
                                        "infoTypes"));
        assert_null(json_object_get(json_object_get(root, "item"), "table"));
        json_decref(root);
        free(req);
        /* sizes for every length (base64 padding) */
        for (size_t n = 0; n < 8; n++) {
                req = gdlp_bytes_request_build(&be, "IMAGE_PNG", pdf, n, &len);
                assert_non_null(req);
                assert_int_equal(len,
                                 gdlp_bytes_request_bytes(&be, "IMAGE_PNG", n));
                free(req);
        }
        assert_null(gdlp_bytes_request_build(&be, "pdf\"}", pdf, 3, &len));
        assert_null(gdlp_bytes_request_build(&be, "", pdf, 3, &len));

        /* the answer: byteRange in the service's text of the file,
         * documentLocation instead of a table row */
        struct seen s;
        struct backend_answer info;
        const char *body =
            "{\"result\":{\"findings\":[{\"infoType\":{\"name\":"
            "\"US_SOCIAL_SECURITY_NUMBER\"},\"likelihood\":\"LIKELY\","
            "\"location\":{\"byteRange\":{\"start\":\"1804\",\"end\":"
            "\"1815\"},\"contentLocations\":[{\"containerName\":\"file\","
            "\"documentLocation\":{\"fileOffset\":\"1804\"}}]}}]}}";
        assert_int_equal(parse(body, 1, &s, &info), DLP_OK);
        assert_int_equal(s.n, 1);
        assert_int_equal(s.f[0].row, 0);
        assert_int_equal(s.f[0].start, 1804);
        assert_int_equal(s.f[0].end, 1815);
        assert_int_equal(s.f[0].page, 0); /* Google says no page */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_enums_as_names_or_numbers),
            cmocka_unit_test(test_int64_as_strings_or_numbers),
            cmocka_unit_test(test_bad_row_index_refuses_the_answer),
            cmocka_unit_test(test_unusable_shapes),
            cmocka_unit_test(test_bad_location_dropped_and_counted),
            cmocka_unit_test(test_truncated_flag),
            cmocka_unit_test(test_injected_request_members),
            cmocka_unit_test(test_byte_item_request_and_answer),
        };
        return cmocka_run_group_tests(tests, gdlp_setup, gdlp_teardown);
}
