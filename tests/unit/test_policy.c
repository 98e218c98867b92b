/* test_policy.c - which findings make an alert. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "err.h"
#include "policy.h"

static json_t *record(const char *channel, int bot)
{
        json_t *r = json_pack(
            "{s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "channel", channel,
            "findings", "info_type", "CREDIT_CARD_NUMBER", "likelihood",
            "VERY_LIKELY", "info_type", "EMAIL_ADDRESS", "likelihood",
            "POSSIBLE", "info_type", "SLACK_TOKEN", "likelihood", "LIKELY");
        json_object_set_new(r, bot ? "bot_id" : "user",
                            json_string(bot ? "B1" : "U1"));
        return r;
}

static size_t kept(const struct policy *p, json_t *r)
{
        json_t *k = policy_filter(p, r);
        size_t n = json_array_size(k);

        json_decref(k);
        json_decref(r);
        return n;
}

static void test_defaults_keep_all(void **state)
{
        struct policy p;
        char err[128];

        assert_int_equal(policy_init(&p, "POSSIBLE", NULL, "", NULL, NULL, 1,
                                     err, sizeof(err)),
                         DLP_OK);
        assert_int_equal(kept(&p, record("C1", 0)), 3);
        assert_int_equal(kept(&p, record("C1", 1)), 3);
        policy_free(&p);
}

static void test_likelihood_and_types(void **state)
{
        struct policy p;
        char err[128];

        policy_init(&p, "LIKELY", NULL, NULL, NULL, NULL, 1, err, sizeof(err));
        assert_int_equal(kept(&p, record("C1", 0)), 2); /* not the e-mail */
        policy_free(&p);
        policy_init(&p, "POSSIBLE", "CREDIT_CARD_NUMBER, SLACK_TOKEN",
                    "SLACK_TOKEN", NULL, NULL, 1, err, sizeof(err));
        assert_int_equal(kept(&p, record("C1", 0)), 1); /* only the card */
        policy_free(&p);
}

static void test_channels_and_bots(void **state)
{
        struct policy p;
        char err[128];

        policy_init(&p, "POSSIBLE", NULL, NULL, "C1,C2", "C2", 0, err,
                    sizeof(err));
        assert_int_equal(kept(&p, record("C1", 0)), 3);
        assert_int_equal(kept(&p, record("C2", 0)), 0); /* skipped */
        assert_int_equal(kept(&p, record("C3", 0)), 0); /* not watched */
        assert_int_equal(kept(&p, record("C1", 1)), 0); /* bots off */
        policy_free(&p);
        /* list entries are trimmed on both sides */
        policy_init(&p, "POSSIBLE", NULL, NULL, " C1 ,\tC2\t", "C2 \n", 1, err,
                    sizeof(err));
        assert_int_equal(kept(&p, record("C1", 0)), 3);
        assert_int_equal(kept(&p, record("C2", 0)), 0); /* skipped */
        policy_free(&p);
}

/* Files whose contents were not inspected, when the setting is on and the
 * source is alerted on at all. */
static size_t uninspected(const struct policy *p, const char *channel, int bot)
{
        json_t *r = record(channel, bot), *u;
        size_t n;

        json_object_set_new(
            r, "files",
            json_pack("[{s:s, s:b}, {s:s, s:b, s:s}, {s:s, s:b, s:s}]", "id",
                      "F1", "inspected", 1, "id", "F2", "inspected", 0,
                      "reason", "external file", "id", "F3", "inspected", 0,
                      "reason", "download timed out"));
        u = policy_uninspected(p, r);
        n = json_array_size(u);
        if (n)
                assert_string_equal(json_string_value(json_object_get(
                                        json_array_get(u, 0), "id")),
                                    "F2");
        json_decref(u);
        json_decref(r);
        return n;
}

static void test_uninspected_files(void **state)
{
        struct policy p;
        char err[128];

        (void)state;
        policy_init(&p, "POSSIBLE", NULL, NULL, NULL, "C2", 0, err,
                    sizeof(err));
        assert_int_equal(uninspected(&p, "C1", 0), 0); /* setting off */
        p.uninspected_files = 1;
        assert_int_equal(uninspected(&p, "C1", 0), 2);
        assert_int_equal(uninspected(&p, "C2", 0), 0); /* skipped */
        assert_int_equal(uninspected(&p, "C1", 1), 0); /* bots off */
        policy_free(&p);
}

static void test_bad_setting_named(void **state)
{
        struct policy p;
        char err[256];

        assert_int_equal(policy_init(&p, "SURE", NULL, NULL, NULL, NULL, 1, err,
                                     sizeof(err)),
                         DLP_ERR_CONFIG);
        assert_non_null(strstr(err, "DLP_MIN_LIKELIHOOD"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults_keep_all),
            cmocka_unit_test(test_likelihood_and_types),
            cmocka_unit_test(test_channels_and_bots),
            cmocka_unit_test(test_bad_setting_named),
            cmocka_unit_test(test_uninspected_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
