/* test_slack_sig.c - the collector's signature check, starting from Slack's
 * own worked example (DESIGN §5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "slack_sig.h"
#include "util.h"

#define SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define TS     "1531420618"
#define EXPECTED                                                               \
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
#define NOW ((time_t)1531420618 + 10)

static char *body;
static size_t body_len;

static int load_body(void **state)
{
        char errstr[256];

        body =
            dlp_read_file(DLP_FIXTURE_BODY, &body_len, errstr, sizeof(errstr));
        if (!body)
                fprintf(stderr, "%s\n", errstr);
        return body ? 0 : -1;
}

static int free_body(void **state)
{
        free(body);
        return 0;
}

static const char *const one[] = {SECRET};

static void test_slack_worked_example_computes(void **state)
{
        char sig[SLACK_SIG_LEN + 1];

        assert_int_equal(slack_sig_compute(SECRET, TS, body, body_len, sig),
                         DLP_OK);
        assert_string_equal(sig, EXPECTED);
}

static void test_slack_worked_example_verifies(void **state)
{
        assert_int_equal(
            slack_sig_verify(one, 1, TS, EXPECTED, body, body_len, NOW, 300),
            DLP_OK);
}

static void test_tampered_body_fails(void **state)
{
        char *copy = strdup(body);

        copy[body_len / 2] ^= 1;
        assert_int_equal(
            slack_sig_verify(one, 1, TS, EXPECTED, copy, body_len, NOW, 300),
            DLP_ERR_AUTH);
        free(copy);
}

static void test_wrong_timestamp_fails(void **state)
{
        /* a different (fresh) timestamp with the old signature */
        assert_int_equal(slack_sig_verify(one, 1, "1531420619", EXPECTED, body,
                                          body_len, NOW, 300),
                         DLP_ERR_AUTH);
}

static void test_stale_and_future_fail(void **state)
{
        /* the signature is right, only the clock is off */
        assert_int_equal(slack_sig_verify(one, 1, TS, EXPECTED, body, body_len,
                                          1531420618 + 301, 300),
                         DLP_ERR_AUTH);
        assert_int_equal(slack_sig_verify(one, 1, TS, EXPECTED, body, body_len,
                                          1531420618 - 301, 300),
                         DLP_ERR_AUTH);
        /* and exactly at the edge it still passes */
        assert_int_equal(slack_sig_verify(one, 1, TS, EXPECTED, body, body_len,
                                          1531420618 + 300, 300),
                         DLP_OK);
}

static void test_missing_headers_fail(void **state)
{
        assert_int_equal(
            slack_sig_verify(one, 1, NULL, EXPECTED, body, body_len, NOW, 300),
            DLP_ERR_AUTH);
        assert_int_equal(
            slack_sig_verify(one, 1, TS, NULL, body, body_len, NOW, 300),
            DLP_ERR_AUTH);
        assert_int_equal(
            slack_sig_verify(one, 0, TS, EXPECTED, body, body_len, NOW, 300),
            DLP_ERR_AUTH);
}

static void test_malformed_values_fail(void **state)
{
        char upper[] = EXPECTED;

        for (char *p = upper + 3; *p; p++)
                if (*p >= 'a' && *p <= 'f')
                        *p = (char)(*p - 'a' + 'A');
        assert_int_equal(slack_sig_verify(one, 1, "15314206l8", EXPECTED, body,
                                          body_len, NOW, 300),
                         DLP_ERR_AUTH);
        assert_int_equal(
            slack_sig_verify(one, 1, TS, "v0=abc", body, body_len, NOW, 300),
            DLP_ERR_AUTH);
        assert_int_equal(
            slack_sig_verify(one, 1, TS, upper, body, body_len, NOW, 300),
            DLP_ERR_AUTH);
        assert_int_equal(slack_sig_verify(one, 1, TS, EXPECTED "0", body,
                                          body_len, NOW, 300),
                         DLP_ERR_AUTH);
}

static void test_wrong_secret_fails_and_rotation_passes(void **state)
{
        const char *const wrong[] = {"not-the-secret"};
        const char *const rotating[] = {"the-new-secret", SECRET};

        assert_int_equal(
            slack_sig_verify(wrong, 1, TS, EXPECTED, body, body_len, NOW, 300),
            DLP_ERR_AUTH);
        assert_int_equal(slack_sig_verify(rotating, 2, TS, EXPECTED, body,
                                          body_len, NOW, 300),
                         DLP_OK);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_slack_worked_example_computes),
            cmocka_unit_test(test_slack_worked_example_verifies),
            cmocka_unit_test(test_tampered_body_fails),
            cmocka_unit_test(test_wrong_timestamp_fails),
            cmocka_unit_test(test_stale_and_future_fail),
            cmocka_unit_test(test_missing_headers_fail),
            cmocka_unit_test(test_malformed_values_fail),
            cmocka_unit_test(test_wrong_secret_fails_and_rotation_passes),
        };
        return cmocka_run_group_tests(tests, load_body, free_body);
}
