/* test_slack.c - reading Slack's answers: outcomes, and fields that stay
 * whole characters however long the answer's are (found by fuzz_slack_answer:
 * a cut ts made the alert record unbuildable and stopped the reporter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "slack.h"

static enum slack_outcome answer(long status, const char *body,
                                 struct slack_result *r)
{
        json_t *a;

        memset(r, 0, sizeof(*r));
        slack_answer(status, body, strlen(body), r, &a);
        if (r->outcome == SLACK_OK)
                assert_non_null(a);
        else
                assert_null(a);
        json_decref(a);
        return r->outcome;
}

static void test_outcomes(void **state)
{
        struct slack_result r;

        assert_int_equal(answer(200,
                                "{\"ok\":true,\"channel\":\"C1\","
                                "\"ts\":\"1763900413.000100\"}",
                                &r),
                         SLACK_OK);
        assert_string_equal(r.ts, "1763900413.000100");
        assert_int_equal(
            answer(200, "{\"ok\":false,\"error\":\"ratelimited\"}", &r),
            SLACK_RETRY);
        assert_int_equal(
            answer(200, "{\"ok\":false,\"error\":\"channel_not_found\"}", &r),
            SLACK_PERMANENT);
        assert_string_equal(r.error, "slack: channel_not_found");
        assert_int_equal(answer(200, "<html>502</html>", &r), SLACK_RETRY);
        assert_string_equal(r.error, "slack: unreadable answer");
        assert_int_equal(answer(503, "{\"ok\":true}", &r), SLACK_RETRY);
        assert_string_equal(r.error, "HTTP 503");
}

/* "x" then 100 "é": every cut of the field falls inside a character */
static char *long_multibyte(const char *head, const char *tail)
{
        static char body[512];
        size_t n = (size_t)snprintf(body, sizeof(body), "%sx", head);

        for (int i = 0; i < 100; i++)
                n += (size_t)snprintf(body + n, sizeof(body) - n, "\xc3\xa9");
        snprintf(body + n, sizeof(body) - n, "%s", tail);
        return body;
}

static void assert_utf8(const char *s)
{
        json_t *j = json_string(s); /* NULL when not UTF-8 */

        assert_non_null(j);
        json_decref(j);
}

static void test_long_fields_cut_at_characters(void **state)
{
        struct slack_result r;

        assert_int_equal(
            answer(200, long_multibyte("{\"ok\":true,\"ts\":\"", "\"}"), &r),
            SLACK_OK);
        assert_utf8(r.ts);
        assert_true(strlen(r.ts) >= sizeof(r.ts) - 2);
        assert_int_equal(
            answer(200, long_multibyte("{\"ok\":false,\"error\":\"", "\"}"),
                   &r),
            SLACK_PERMANENT);
        assert_utf8(r.error);
        assert_true(strlen(r.error) >= sizeof(r.error) - 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_outcomes),
            cmocka_unit_test(test_long_fields_cut_at_characters),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
