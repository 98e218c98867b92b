/* test_json_fast.c - the fast loader gives json_loadb's answer for every
 * input: the same tree (key order too) or the same rejection; and it takes
 * the fast path for what records are made of, declining the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "json_fast.h"
#include "oom.h"

enum {
        REJECT,
        DECLINE,
        FAST
}; /* jansson rejects; jansson accepts and
      the fast path declines; or takes it */

struct sample {
        const char *text;
        size_t len; /* 0: strlen(text) */
        int want;
};

/* A dlp.event/1 record as tests/tools/gen_load.py writes them. */
#define LOAD_EVENT                                                             \
        "{\"schema\":\"dlp.event/1\",\"event_id\":\"X0000000\",\"team_id\":"   \
        "\"T0LOAD\",\"channel\":\"C0LOAD00\",\"user\":\"U0LOAD000\",\"ts\":"   \
        "\"1763900000.000000\",\"event_time\":1763900000,\"kind\":"            \
        "\"message\",\"text\":\"pipeline invoice incident mail me at "         \
        "user0@example.com\",\"received_at\":\"2026-11-23T00:00:00.000Z\","    \
        "\"source\":\"replay\"}"

static const struct sample samples[] = {
    {LOAD_EVENT, 0, FAST},
    {"{}", 0, FAST},
    {"[]", 0, FAST},
    {" \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n\t ", 0, FAST},
    {"[true,false,null,\"\",0,-0,-1,7]", 0, FAST},
    /* escapes */
    {"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 0, FAST},
    {"[\"\\u0041\\u00e9\\u20AC\\uffff\\u0001\"]", 0, FAST},
    {"[\"\\ud83d\\ude00 \\uD800\\uDC00 \\uDBFF\\uDFFF\"]", 0, FAST},
    {"{\"k\\u00e9y\":1,\"k\\u00e9y\":2}", 0, FAST}, /* escaped duplicate */
    {"[\"\\ud83d\"]", 0, REJECT},                   /* high alone */
    {"[\"\\ud83dx\"]", 0, REJECT},
    {"[\"\\ud83d\\u0041\"]", 0, REJECT}, /* high then not a low */
    {"[\"\\ude00\"]", 0, REJECT},        /* low first */
    {"[\"\\u0000\"]", 0, REJECT},        /* NUL without JSON_ALLOW_NUL */
    {"{\"\\u0000\":1}", 0, REJECT},
    {"[\"\\u00g0\"]", 0, REJECT},
    {"[\"\\u00e\"]", 0, REJECT},
    {"[\"\\x\"]", 0, REJECT},
    {"[\"\\'\"]", 0, REJECT},
    {"[\"a\tb\"]", 0, REJECT}, /* raw control character */
    {"[\"a\nb\"]", 0, REJECT},
    {"[\"\x7f\"]", 0, FAST}, /* DEL is not a control character here */
    /* UTF-8: every length, the edges of each range */
    {"[\"\xc2\x80 \xdf\xbf \xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf"
     " \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"]",
     0, FAST},
    {"[\"\xc0\xaf\"]", 0, REJECT},         /* overlong '/' */
    {"[\"\xc1\xbf\"]", 0, REJECT},         /* overlong */
    {"[\"\xe0\x9f\xbf\"]", 0, REJECT},     /* overlong 3 bytes */
    {"[\"\xf0\x8f\xbf\xbf\"]", 0, REJECT}, /* overlong 4 bytes */
    {"[\"\xed\xa0\x80\"]", 0, REJECT},     /* U+D800 encoded */
    {"[\"\xed\xbf\xbf\"]", 0, REJECT},     /* U+DFFF encoded */
    {"[\"\xf4\x90\x80\x80\"]", 0, REJECT}, /* above U+10FFFF */
    {"[\"\xf5\x80\x80\x80\"]", 0, REJECT},
    {"[\"\xff\"]", 0, REJECT},
    {"[\"\x80\"]", 0, REJECT},         /* continuation first */
    {"[\"\xe2\x82\"]", 0, REJECT},     /* cut before the quote */
    {"[\"\xe2\x82", 0, REJECT},        /* cut at the end */
    {"[\"\xf0\x9f\x98\"]", 0, REJECT}, /* cut 4-byte */
    {"[\"\xe2\x28\xa1\"]", 0, REJECT}, /* bad continuation */
    {"[\"\\n\xc3\"]", 0, REJECT},      /* after an escape */
    {"\xef\xbb\xbf{}", 0, REJECT},     /* a BOM */
    /* integers: 18 digits fast, 19 to jansson, overflow its to refuse */
    {"[123456789012345678,-123456789012345678]", 0, FAST},
    {"[1234567890123456789]", 0, DECLINE},
    {"[-9223372036854775808,9223372036854775807]", 0, DECLINE},
    {"[9223372036854775808]", 0, REJECT},
    {"[-9223372036854775809]", 0, REJECT},
    {"[00]", 0, REJECT},
    {"[01]", 0, REJECT},
    {"[-01]", 0, REJECT},
    {"[-]", 0, REJECT},
    {"[- 1]", 0, REJECT},
    {"[+1]", 0, REJECT},
    {"[1x]", 0, REJECT},
    {"[1true]", 0, REJECT},
    /* reals are jansson's */
    {"[1.5,-0.0,1e3,1E-2,2e+2]", 0, DECLINE},
    {"[1.]", 0, REJECT},
    {"[1e]", 0, REJECT},
    {"[.5]", 0, REJECT},
    /* literals */
    {"[truex]", 0, REJECT},
    {"[tru]", 0, REJECT},
    {"[nul", 0, REJECT},
    {"[True]", 0, REJECT},
    /* duplicates: the last value wins, the first place stays */
    {"{\"a\":1,\"b\":2,\"a\":{\"c\":[3]}}", 0, FAST},
    /* structure */
    {"", 0, REJECT},
    {" \n ", 0, REJECT},
    {"\"a\"", 0, REJECT}, /* not an object or array */
    {"1", 0, REJECT},
    {"null", 0, REJECT},
    {"{", 0, REJECT},
    {"[1,]", 0, REJECT},
    {"[,1]", 0, REJECT},
    {"{\"a\":1,}", 0, REJECT},
    {"{\"a\" 1}", 0, REJECT},
    {"{\"a\":}", 0, REJECT},
    {"{1:1}", 0, REJECT},
    {"{\"a\":1]", 0, REJECT},
    {"[1}", 0, REJECT},
    {"[1 2]", 0, REJECT},
    {"{\"a\":1} x", 0, REJECT}, /* trailing garbage */
    {"{} {}", 0, REJECT},
    {"[]\f", 0, REJECT}, /* not jansson's whitespace */
    {"[]\0", 3, REJECT}, /* a NUL after the value */
    {"[\"a\0b\"]", 7, REJECT},
    {"[1]\0garbage", 3, FAST}, /* only len bytes count */
};

static void check(const char *buf, size_t len, int want)
{
        json_error_t ej, ef;
        json_t *j = json_loadb(buf, len, 0, &ej);
        json_t *f = json_fast_loadb(buf, len, &ef);
        json_t *fast = json_fast_try(buf, len);

        if (want == REJECT) {
                assert_null(j);
                assert_null(f);
                assert_string_equal(ef.text, ej.text);
                assert_string_equal(ef.source, ej.source);
        } else {
                char *dj, *df;

                assert_non_null(j);
                assert_non_null(f);
                assert_true(json_equal(j, f));
                dj = json_dumps(j, JSON_COMPACT);
                df = json_dumps(f, JSON_COMPACT);
                assert_string_equal(df, dj); /* key order too */
                free(dj);
                free(df);
                assert_string_equal(ef.text, ej.text);
                assert_string_equal(ef.source, ej.source);
        }
        assert_int_equal(ef.line, ej.line);
        assert_int_equal(ef.column, ej.column);
        assert_int_equal(ef.position, ej.position);
        if (want == FAST) {
                assert_non_null(fast);
                assert_true(json_equal(j, fast));
        } else
                assert_null(fast);
        json_decref(j);
        json_decref(f);
        json_decref(fast);
}

/* Each sample in a buffer of exactly its length: under ASan a read past
 * the end (the Kafka payload has no NUL after it) is a report. */
static void test_samples(void **state)
{
        for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
                const struct sample *s = &samples[i];
                size_t len = s->len ? s->len : strlen(s->text);
                char *buf = malloc(len ? len : 1);

                print_message("sample %zu\n", i);
                memcpy(buf, s->text, len);
                check(buf, len, s->want);
                free(buf);
        }
}

static void test_values(void **state)
{
        const char *text = "{\"a\":1,\"b\":\"\\u00e9\\ud83d\\ude00\","
                           "\"a\":-123456789012345678}";
        json_t *v = json_fast_try(text, strlen(text));

        assert_non_null(v);
        assert_int_equal(json_object_size(v), 2);
        assert_int_equal(json_integer_value(json_object_get(v, "a")),
                         -123456789012345678LL);
        assert_string_equal(json_string_value(json_object_get(v, "b")),
                            "\xc3\xa9\xf0\x9f\x98\x80");
        json_decref(v);
}

/* Cut anywhere, the load event is rejected as jansson rejects it. */
static void test_every_cut(void **state)
{
        const char *ev = LOAD_EVENT;
        size_t len = strlen(ev);

        for (size_t n = 0; n < len; n++) {
                char *buf = malloc(n ? n : 1);

                memcpy(buf, ev, n);
                check(buf, n, REJECT);
                free(buf);
        }
}

static char *nested(int depth, size_t *len)
{
        char *s = malloc(2 * (size_t)depth + 1);

        memset(s, '[', (size_t)depth);
        memset(s + depth, ']', (size_t)depth);
        *len = 2 * (size_t)depth;
        return s;
}

/* The fast path's depth limit is far below jansson's; past it jansson
 * decides, up to its own limit and beyond. */
static void test_depth(void **state)
{
        static const struct {
                int depth, want;
        } cases[] = {{JSON_FAST_MAX_DEPTH, FAST},
                     {JSON_FAST_MAX_DEPTH + 1, DECLINE},
                     {JSON_PARSER_MAX_DEPTH, DECLINE},
                     {JSON_PARSER_MAX_DEPTH + 1, REJECT}};

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t len;
                char *s = nested(cases[i].depth, &len);

                check(s, len, cases[i].want);
                free(s);
        }
}

/* A string long enough for the escape area to be allocated (not the
 * lexer's own), with keys kept there while their values are parsed. */
static void test_long_escaped(void **state)
{
        size_t n = 5000, len = 0;
        char *s = malloc(n * 8 + 64);

        len += (size_t)sprintf(s, "{\"k\\n\":{\"k\\t\":\"");
        for (size_t i = 0; i < n; i++) {
                const char *piece = i % 2 ? "\\u00e9" : "\xc3\xa9x";

                memcpy(s + len, piece, strlen(piece));
                len += strlen(piece);
        }
        len += (size_t)sprintf(s + len, "\",\"k\\t\":\"\\\\\"}}");
        check(s, len, FAST);
        free(s);
}

/* Out of memory anywhere: NULL (jansson's own out-of-memory answer after
 * the fast path gave up), or the whole tree; never a leak (ASan). */
static void test_oom(void **state)
{
        const char *text = "{\"a\":[1,\"x\\ny\",{\"b\":null}],\"c\\u00e9\":2}";
        json_t *want = json_loads(text, 0, NULL), *v;

        for (int n = 1;; n++) {
                oom_fail_nth(n);
                v = json_fast_loadb(text, strlen(text), NULL);
                if (!oom_failures()) {
                        oom_off();
                        assert_true(json_equal(v, want));
                        json_decref(v);
                        break;
                }
                oom_off();
                assert_true(!v || json_equal(v, want));
                json_decref(v);
        }
        json_decref(want);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_samples),      cmocka_unit_test(test_values),
            cmocka_unit_test(test_every_cut),    cmocka_unit_test(test_depth),
            cmocka_unit_test(test_long_escaped), cmocka_unit_test(test_oom),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
