/* test_deadletter.c - a dead letter can always be built, whatever the
 * poison record holds (issue 9): a reason cut mid-character or not UTF-8,
 * an empty reason, a huge value, a key that is not text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "kafka.h"

static rd_kafka_message_t message(const char *value, size_t len,
                                  const char *key, size_t key_len)
{
        rd_kafka_message_t m;

        memset(&m, 0, sizeof(m));
        m.payload = (void *)value;
        m.len = len;
        m.key = (void *)key;
        m.key_len = key_len;
        m.partition = 3;
        m.offset = 42;
        return m;
}

/* Builds, checks the invariants every dead letter keeps, returns the
 * parsed record (new reference). */
static json_t *build(const rd_kafka_message_t *m, const char *reason,
                     struct dlp_deadletter *dl)
{
        json_t *rec;

        assert_int_equal(dlp_deadletter_build(dl, "inspector", m, reason,
                                              DEADLETTER_ORIGINAL_MAX),
                         DLP_OK);
        rec = json_loads(dl->value, 0, NULL);
        assert_non_null(rec);
        assert_string_equal(json_string_value(json_object_get(rec, "reason")),
                            dl->reason);
        assert_true(strlen(dl->reason) > 0);
        assert_true(strlen(dl->value) < 1000000); /* Kafka's default max */
        free(dl->value);
        return rec;
}

static size_t decoded_len(json_t *rec)
{
        const char *b64 =
            json_string_value(json_object_get(rec, "original_base64"));
        size_t n = strlen(b64);
        unsigned char *out = malloc(n + 1);
        int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);

        free(out);
        assert_true(len >= 0);
        return (size_t)len - (n >= 1 && b64[n - 1] == '=') -
               (n >= 2 && b64[n - 2] == '=');
}

static void test_plain_dead_letter_keeps_everything(void **state)
{
        rd_kafka_message_t m = message("{\"x\":1}", 7, "Ev1", 3);
        struct dlp_deadletter dl;
        json_t *rec = build(&m, "schema is x, not dlp.event/1", &dl);

        assert_string_equal(dl.reason, "schema is x, not dlp.event/1");
        assert_string_equal(json_string_value(json_object_get(rec, "key")),
                            "Ev1");
        assert_int_equal(decoded_len(rec), 7);
        assert_int_equal(dl.key_len, 3);
        json_decref(rec);
}

/* "schema is %.40s" cut a multibyte character: json_pack refused the
 * reason and the inspector stopped, on every restart. */
static void test_reason_that_is_not_utf8_is_repaired(void **state)
{
        rd_kafka_message_t m = message("{}", 2, NULL, 0);
        struct dlp_deadletter dl;
        json_t *rec;

        rec = build(&m, "schema is \xe2\x82\xac\xe2\x82", &dl);
        assert_string_equal(dl.reason, "schema is \xe2\x82\xac??");
        assert_true(json_is_null(json_object_get(rec, "key")));
        json_decref(rec);
        rec = build(&m, "", &dl);
        assert_string_equal(dl.reason, DEADLETTER_FALLBACK_REASON);
        json_decref(rec);
        rec = build(&m, NULL, &dl);
        assert_string_equal(dl.reason, DEADLETTER_FALLBACK_REASON);
        json_decref(rec);
}

static void test_long_reason_is_cut_at_a_character(void **state)
{
        rd_kafka_message_t m = message("{}", 2, NULL, 0);
        struct dlp_deadletter dl;
        char reason[3000] = "";
        json_t *rec;

        for (int i = 0; i < 900; i++)
                strcat(reason, "\xe2\x82\xac");
        rec = build(&m, reason, &dl);
        assert_true(strlen(dl.reason) <= DEADLETTER_REASON_MAX);
        json_decref(rec);
}

/* base64 of a value near Kafka's 1 MB limit is over it: the dead letter
 * keeps a bounded prefix and says so. */
static void test_huge_value_is_cut_and_said_so(void **state)
{
        size_t len = 2 * 1024 * 1024;
        char *big = malloc(len);
        struct dlp_deadletter dl;
        json_t *rec;

        memset(big, 'a', len);
        rd_kafka_message_t m = message(big, len, "Ev1", 3);
        rec = build(&m, "not a JSON object", &dl);
        assert_int_equal(decoded_len(rec), DEADLETTER_ORIGINAL_MAX);
        assert_non_null(strstr(dl.reason, "original cut"));
        json_decref(rec);
        /* and without any original at all, when even that is too big */
        assert_int_equal(dlp_deadletter_build(&dl, "inspector", &m, "x", 0),
                         DLP_OK);
        rec = json_loads(dl.value, 0, NULL);
        assert_int_equal(decoded_len(rec), 0);
        json_decref(rec);
        free(dl.value);
        free(big);
}

static void test_key_that_is_not_text_is_left_out(void **state)
{
        char longkey[DEADLETTER_KEY_MAX + 1];
        struct dlp_deadletter dl;
        json_t *rec;

        rd_kafka_message_t m = message("{}", 2, "\xff\xfe", 2);
        rec = build(&m, "bad", &dl);
        assert_true(json_is_null(json_object_get(rec, "key")));
        assert_null(dl.key); /* the record's key and body agree */
        assert_non_null(strstr(dl.reason, "key of 2 bytes left out"));
        json_decref(rec);

        memset(longkey, 'k', sizeof(longkey));
        m = message("{}", 2, longkey, sizeof(longkey));
        rec = build(&m, "bad", &dl);
        assert_true(json_is_null(json_object_get(rec, "key")));
        assert_null(dl.key);
        json_decref(rec);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_plain_dead_letter_keeps_everything),
            cmocka_unit_test(test_reason_that_is_not_utf8_is_repaired),
            cmocka_unit_test(test_long_reason_is_cut_at_a_character),
            cmocka_unit_test(test_huge_value_is_cut_and_said_so),
            cmocka_unit_test(test_key_that_is_not_text_is_left_out),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
