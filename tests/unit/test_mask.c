/* test_mask.c - masked quotes keep enough to recognise a finding and never
 * the value itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "mask.h"

#define D "\xe2\x80\xa2"

static const char *mask(const char *q)
{
        static char out[512];
        mask_quote(q, strlen(q), out, sizeof(out));
        return out;
}

static void test_card_keeps_first_and_last_four(void **state)
{
        assert_string_equal(mask("4111 1111 1111 1111"),
                            "4111 " D D D D " " D D D D " 1111");
        assert_string_equal(mask("4111-1111-1111-1111"),
                            "4111-" D D D D "-" D D D D "-1111");
}

static void test_ssn_keeps_last_four(void **state)
{
        assert_string_equal(mask("078-05-1120"), D D D "-" D D "-1120");
}

static void test_short_values_fully_masked(void **state)
{
        assert_string_equal(mask("abc1234"), D D D D D D D);
        assert_string_equal(mask(""), "");
}

static void test_secrets_do_not_survive(void **state)
{
        const char *values[] = {"AKIAIOSFODNN7EXAMPLE",
                                "xoxb-123456789012-1234567890123-AbCdEfGhIjKl",
                                "jane.doe@example.com", "378282246310005"};

        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                const char *m = mask(values[i]);
                size_t kept = 0;
                assert_null(strstr(m, values[i]));
                for (const char *p = m; *p; p++)
                        kept += (*p >= '0' && *p <= '9') ||
                                (*p >= 'a' && *p <= 'z') ||
                                (*p >= 'A' && *p <= 'Z');
                assert_true(kept <= 8);
        }
}

static void test_multibyte_and_length_cap(void **state)
{
        char longq[300];
        const char *m;

        assert_string_equal(mask("\xc3\xa9t\xc3\xa9"), D D D);
        memset(longq, 'a', sizeof(longq) - 1);
        longq[sizeof(longq) - 1] = '\0';
        m = mask(longq);
        assert_non_null(strstr(m, "\xe2\x80\xa6")); /* … */
        assert_true(strlen(m) <= MASK_MAX_CHARS * 3 + 3);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_card_keeps_first_and_last_four),
            cmocka_unit_test(test_ssn_keeps_last_four),
            cmocka_unit_test(test_short_values_fully_masked),
            cmocka_unit_test(test_secrets_do_not_survive),
            cmocka_unit_test(test_multibyte_and_length_cap),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
