/* test_dlp_sim_inspect.c - dlp-sim reads the inspector's usual request in
 * one pass (table.c) and everything else with jansson; both must give the
 * same answer, byte for byte but for the clock (createTime and the
 * findingId made from it). Each body below is answered both ways and the
 * answers compared; the test also says which reader took it, so a body
 * meant for the one-pass reader cannot slip to the general one unnoticed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sim.h"
#include "sim_answer.h"

#define CFG                                                                    \
        "\"inspectConfig\":{\"infoTypes\":[{\"name\":\"CREDIT_CARD_NUMBER\"}," \
        "{\"name\":\"US_SOCIAL_SECURITY_NUMBER\"},{\"name\":\"EMAIL_"          \
        "ADDRESS\"},{\"name\":\"AWS_CREDENTIALS\"}],\"customInfoTypes\":[{"    \
        "\"infoType\":{\"name\":\"SLACK_TOKEN\"},\"regex\":{\"pattern\":"      \
        "\"xox[abposr]-[A-Za-z0-9-]{10,}\"},\"likelihood\":\"VERY_LIKELY\"}]," \
        "\"minLikelihood\":\"POSSIBLE\",\"includeQuote\":true,\"limits\":{"    \
        "\"maxFindingsPerRequest\":3000}}"
#define HEAD                                                                   \
        "{\"item\":{\"table\":{\"headers\":[{\"name\":\"text\"}],\"rows\":["
#define ROW(s) "{\"values\":[{\"stringValue\":\"" s "\"}]}"
#define TAIL   "]}}," CFG "}"

/* Answered by the one-pass reader. */
static const char *const usual[] = {
    /* the inspector's request, a finding of every kind */
    HEAD ROW("deploy the canary") "," ROW(
        "card 4111 1111 1111 1111 and "
        "mail me at user1@example.com") "," ROW("ssn 536-22-1234 "
                                                "key "
                                                "AKIAIOSFODNN7EXAMP"
                                                "LE") "," ROW("toke"
                                                              "n "
                                                              "xoxb"
                                                              "-123"
                                                              "4567"
                                                              "890-"
                                                              "abcd"
                                                              "ef") TAIL,
    /* escapes, before and inside findings; a header's name escaped */
    "{\"item\":{\"table\":{\"headers\":[{\"name\":\"te\\\"xt\"}],"
    "\"rows\":[" ROW(
        "a\\\"b\\\\c\\/d\\n\\tmail a@b.co\\r\\b\\f 4111-1111-1111-1111") TAIL,
    /* every escape inside a finding's quote */
    HEAD ROW("<a\\\"b\\\\c\\/d\\n\\te\\r\\b\\f>") "]}},\"inspectConfig\":{"
                                                  "\"customInfoTypes\":[{"
                                                  "\"infoType\":{\"name\":"
                                                  "\"ANGLED\"},\"regex\":{"
                                                  "\"pattern\":\"<[^>]*>\"}}"
                                                  "],\"includeQuote\":true}"
                                                  "}",
    /* UTF-8 before a finding (its codepointRange counts characters) */
    HEAD ROW("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac user@example.org") TAIL,
    /* white space everywhere, members in another order */
    " {\r\n \"inspectConfig\" : {\"includeQuote\":true} ,\t\"item\" : "
    "{ "
    "\"table\" : { \"rows\" : [ { \"values\" : [ { \"stringValue\" : "
    "\"x "
    "a@b.co\" } , {\"stringValue\":\"4111111111111111\"} ] } ] , "
    "\"headers\" "
    ": [ { \"name\" : \"a\" } , { } ] } } , \"parent\" : 5 , "
    "\"locationId\" "
    ": \"global\" }\n",
    /* no headers, an empty row, an empty table, no config */
    "{\"item\":{\"table\":{\"rows\":[{},{\"values\":[]}," ROW("a@b.co") "]}}}",
    "{\"item\":{\"table\":{}}}",
    "{\"item\":{\"table\":{\"headers\":[],\"rows\":[{},{}]}}}",
    /* a poisoned row, a finding limit, a bad config, an unknown
       template */
    HEAD ROW("ok") "," ROW("bad DLP_SIM_POISON here") TAIL,
    HEAD ROW("a@b.co c@d.co e@f.co") "]}},\"inspectConfig\":{\"limits\":{"
                                     "\"maxFindingsPerRequest\":2}}}",
    HEAD ROW("x") "]}},\"inspectConfig\":{\"infoTypes\":[{\"name\":"
                  "\"NOPE\"}]}}",
    HEAD ROW("x") "]}},\"inspectConfig\":{\"minLikelihood\":\"SOMETIMES\"}}",
    HEAD ROW("x") "]}},\"inspectTemplateName\":\"projects/p/"
                  "inspectTemplates/t\"}",
    HEAD ROW("x") "]}},\"inspectConfig\":null}",
    /* members other than the item are jansson's, duplicates and all */
    HEAD ROW("a@b.co") "]}},\"inspectConfig\":{\"includeQuote\":true,"
                       "\"includeQuote\":false}}",
};

/* Left to the general reader: another shape, a fault, or what jansson
 * reads its own way. */
static const char *const general[] = {
    /* \u escapes (jansson decodes them), \u0000, a lone surrogate */
    HEAD ROW("caf\\u00e9 a@b.co") TAIL,
    HEAD ROW("a\\u0000b") TAIL,
    HEAD ROW("a\\ud800b") TAIL,
    "{\"\\u0069tem\":{\"table\":{\"rows\":[" ROW("a@b.co") "]}}}",
    /* bad UTF-8: overlong, a surrogate, cut short, a stray continuation */
    HEAD ROW("a\xc0\x80") TAIL,
    HEAD ROW("a\xed\xa0\x80") TAIL,
    HEAD ROW("a\xe2\x82") TAIL,
    HEAD ROW("a\x80") TAIL,
    /* a control character, a bad escape, trailing bytes, cut short */
    HEAD ROW("a\x01") TAIL,
    HEAD ROW("a\\x") TAIL,
    HEAD ROW("a") TAIL " x",
    HEAD ROW("a") "]}}",
    HEAD ROW("a"),
    /* duplicates: jansson keeps the last */
    "{\"item\":{\"table\":{}},\"item\":{\"table\":{\"rows\":[" ROW(
        "a@b.co") "]}}}",
    HEAD ROW("a") "]}},\"inspectConfig\":{},\"inspect_config\":{}}",
    /* other cells, other items, unknown members, refusals */
    HEAD "{\"values\":[{\"integerValue\":\"4111111111111111\"}]}" TAIL,
    HEAD "{\"values\":[{\"integerValue\":4111111111111111}]}" TAIL,
    HEAD "{\"values\":[{\"booleanValue\":true}]}" TAIL,
    HEAD "{\"values\":[{\"stringValue\":\"a\",\"integerValue\":\"1\"}]}" TAIL,
    HEAD "{\"values\":[{\"stringValue\":1}]}" TAIL,
    "{\"item\":{\"value\":\"a@b.co\"}}",
    "{\"item\":{\"table\":{\"rows\":[]},\"value\":\"a\"}}",
    "{\"item\":{\"table\":{\"rows\":[]}},\"nope\":1}",
    "{\"item\":{\"table\":{\"rows\":[],\"extra\":1}}}",
    HEAD ROW("a") ","
                  "{\"values\":[]}" TAIL,
    "{\"item\":{\"table\":{\"headers\":[{\"name\":\"a\",\"x\":1}],\"rows\":"
    "[" ROW("a") "]}}}",
    "[]",
    "",
    "{}",
    HEAD ROW("a") "]}},\"parent\":[1,}",
};

static struct sim_limits limits(int general_only)
{
        return (struct sim_limits){
            .max_bytes = 524288,
            .max_rows = 4,
            .max_values = 5,
            .max_findings = 3000,
            .poison = "DLP_SIM_POISON",
            .general_only = general_only,
        };
}

static void answer_free(struct sim_answer *a)
{
        json_decref(a->body);
        free(a->text);
}

/* Answers \p body under \p fast (the one-pass reader on) and with the
 * general reader only: the same answer. */
static void compare_with(const struct sim_limits *fast, const char *body)
{
        struct sim_limits slow = limits(1);
        struct sim_answer a, b;
        size_t len = strlen(body);
        char *da, *db;

        assert_int_equal(sim_inspect(fast, body, len, 7, &a), DLP_OK);
        assert_int_equal(sim_inspect(&slow, body, len, 7, &b), DLP_OK);
        assert_int_equal(a.status, b.status);
        assert_int_equal(a.outcome, b.outcome);
        assert_int_equal(a.rows, b.rows);
        assert_int_equal(a.findings, b.findings);
        assert_int_equal(a.truncated, b.truncated);
        da = sim_answer_unclocked(&a);
        db = sim_answer_unclocked(&b);
        if (!da || !db)
                fail_msg("no answer, or not jansson's text, for %s:\n%s\n%s",
                         body, a.text ? a.text : "-", b.text ? b.text : "-");
        if (strcmp(da, db))
                fail_msg("answers differ for %s:\n%s\n%s", body, da, db);
        free(da);
        free(db);
        answer_free(&a);
        answer_free(&b);
}

static void compare(const char *body, int expect_one_pass)
{
        struct sim_limits fast = limits(0);
        struct sim_table t;

        if (sim_table_read(body, strlen(body), 4, 5, &t) != expect_one_pass)
                fail_msg("%s read in one pass: %s",
                         expect_one_pass ? "not" : "wrongly", body);
        sim_table_free(&t);
        compare_with(&fast, body);
}

static void test_usual_requests_answered_alike(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++)
                compare(usual[i], 1);
}

static void test_other_requests_left_to_jansson(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(general) / sizeof(general[0]); i++)
                compare(general[i], 0);
}

/* The limits are the general reader's to say: one row or one value over
 * is left to it, and it refuses. */
static void test_limits_left_to_jansson(void **state)
{
        static const char five_rows[] =
            HEAD ROW("a") "," ROW("b") "," ROW("c") "," ROW("d") "," ROW("e")
                TAIL;
#define CELL "{\"stringValue\":\"a\"}"
        static const char five_values[] =
            "{\"item\":{\"table\":{\"rows\":[{\"values\":[" CELL "," CELL
            "," CELL "," CELL "," CELL "]}]}}}";
        static const char six_values[] =
            "{\"item\":{\"table\":{\"rows\":[{\"values\":[" CELL "," CELL
            "," CELL "," CELL "," CELL "," CELL "]}]}}}";
        struct sim_limits lim = limits(0);
        struct sim_answer a;

        (void)state;
        compare(five_rows, 0);
        assert_int_equal(sim_inspect(&lim, five_rows, strlen(five_rows), 1, &a),
                         DLP_OK);
        assert_int_equal(a.outcome, SIM_REJ_TOO_MANY_ROWS);
        answer_free(&a);
        compare(five_values, 1);
        compare(six_values, 0);
        assert_int_equal(
            sim_inspect(&lim, six_values, strlen(six_values), 1, &a), DLP_OK);
        assert_int_equal(a.outcome, SIM_REJ_TOO_MANY_VALUES);
        answer_free(&a);
}

/* The configs the one-pass reader keeps (by their bytes) answer as the
 * general reader does, the first time and when kept; a refused one is
 * refused each time; more configs than are kept still answer right. */
static void test_kept_configs_answer_alike(void **state)
{
        struct sim_limits fast = limits(0);
        char body[512];

        (void)state;
        fast.cfg_cache = sim_cfg_cache_new();
        assert_non_null(fast.cfg_cache);
        for (int round = 0; round < 2; round++)
                for (size_t i = 0; i < sizeof(usual) / sizeof(usual[0]); i++)
                        compare_with(&fast, usual[i]);
        for (int i = 0; i < 40; i++) {
                /* i % 20 distinct limits: some truncate, each seen twice */
                snprintf(
                    body, sizeof(body),
                    HEAD ROW(
                        "a@b.co c@d.co e@f.co 4111111111111111") "]}},"
                                                                 "\"inspectConf"
                                                                 "ig\":{"
                                                                 "\"includeQuot"
                                                                 "e\":%s,"
                                                                 "\"limits\":{"
                                                                 "\"maxFindings"
                                                                 "PerRequest\":"
                                                                 "%d}}}",
                    i % 2 ? "true" : "false", i % 20 + 1);
                compare_with(&fast, body);
        }
        sim_cfg_cache_free(fast.cfg_cache);
}

/* jansson's error text quotes the body near the fault, here the first
 * byte of a two-byte character: the refusal still has its body (it once
 * had none, and the request went on to be inspected and answered 200). */
static void test_refusal_quoting_a_cut_character(void **state)
{
        static const char body[] =
            "{\"item\":{\"value\":\"caf\\u0\xd0\x98 a@b.co\"}}";
        struct sim_limits lim = limits(0);
        struct sim_answer a;
        const char *msg;

        (void)state;
        assert_int_equal(sim_inspect(&lim, body, strlen(body), 1, &a), DLP_OK);
        assert_int_equal(a.status, 400);
        assert_int_equal(a.outcome, SIM_REJ_INVALID);
        msg = json_string_value(
            json_object_get(json_object_get(a.body, "error"), "message"));
        assert_non_null(msg);
        assert_non_null(strstr(msg, "Invalid JSON payload received."));
        answer_free(&a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_usual_requests_answered_alike),
            cmocka_unit_test(test_other_requests_left_to_jansson),
            cmocka_unit_test(test_limits_left_to_jansson),
            cmocka_unit_test(test_kept_configs_answer_alike),
            cmocka_unit_test(test_refusal_quoting_a_cut_character),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
