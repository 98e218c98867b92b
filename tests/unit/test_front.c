/* test_front.c - every way a request is refused at the collector's door,
 * and the one way in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "front.h"
#include "slack_sig.h"

#define SECRET "8f742231b10e8888abcd99yyyzzz85a5"
#define BODY   "{\"type\":\"event_callback\"}"
#define NOW    1763900000

static const char *const secrets[] = {SECRET};
static const struct front_policy policy = {secrets, 1, 300};
static char ts[16], sig[SLACK_SIG_LEN + 1];

static struct front_request good(void)
{
        snprintf(ts, sizeof(ts), "%d", NOW);
        slack_sig_compute(SECRET, ts, BODY, strlen(BODY), sig);
        return (struct front_request){
            "POST", "/slack/events", "application/json; charset=utf-8", ts, sig,
            BODY,   strlen(BODY)};
}

/* The HTTP status a request gets; 0 when it may be handled. */
static int status_of(int err, const struct front_refusal *no)
{
        if (err == DLP_OK)
                return 0;
        assert_int_equal(err, DLP_ERR_REFUSED);
        assert_non_null(no->reason);
        return no->status;
}

static int check(struct front_request r)
{
        struct front_refusal no = {0, NULL};

        return status_of(front_check(&r, &policy, NOW, &no), &no);
}

static void test_signed_post_passes(void **state)
{
        struct front_request r = good();

        assert_int_equal(check(r), 0);
        r.content_type = NULL; /* tolerated */
        assert_int_equal(check(r), 0);
}

static void test_wrong_path_404(void **state)
{
        struct front_request r = good();

        r.path = "/slack/events/";
        assert_int_equal(check(r), 404);
}

static void test_wrong_method_405(void **state)
{
        struct front_request r = good();

        r.method = "GET";
        assert_int_equal(check(r), 405);
        r.method = "PUT";
        assert_int_equal(check(r), 405);
}

static void test_wrong_content_type_415(void **state)
{
        struct front_request r = good();

        r.content_type = "text/plain";
        assert_int_equal(check(r), 415);
        r.content_type = "application/x-www-form-urlencoded";
        assert_int_equal(check(r), 415);
}

static void test_bad_signatures_401_without_detail(void **state)
{
        struct front_request r = good();
        struct front_refusal no = {0, NULL};

        r.signature = NULL;
        assert_int_equal(status_of(front_check(&r, &policy, NOW, &no), &no),
                         401);
        assert_string_equal(no.reason, "");
        r = good();
        r.body = "{\"type\":\"event_callback\" }"; /* tampered */
        r.body_len = strlen(r.body);
        assert_int_equal(check(r), 401);
        r = good();
        assert_int_equal(
            status_of(front_check(&r, &policy, NOW + 301, &no), &no), 401);
        r = good();
        r.timestamp = NULL;
        assert_int_equal(check(r), 401);
}

static int check_head(struct front_request r)
{
        struct front_refusal no = {0, NULL};

        r.body = NULL; /* not read yet */
        r.body_len = 0;
        return status_of(front_check_head(&r, &policy, NOW, &no), &no);
}

/* The headers alone refuse what they can, before any body byte is read;
 * a well-formed signature passes there whatever its content: the HMAC
 * waits for the body. */
static void test_head_refuses_unsigned_and_stale(void **state)
{
        struct front_request r = good();
        char upper[SLACK_SIG_LEN + 1];

        assert_int_equal(check_head(r), 0);
        r.signature = NULL;
        assert_int_equal(check_head(r), 401);
        r = good();
        r.timestamp = NULL;
        assert_int_equal(check_head(r), 401);
        r = good();
        snprintf(ts, sizeof(ts), "%d", NOW - 301); /* stale */
        assert_int_equal(check_head(r), 401);
        snprintf(ts, sizeof(ts), "%d", NOW + 301); /* from the future */
        assert_int_equal(check_head(r), 401);
        r = good();
        r.signature = "v1=0123"; /* wrong form */
        assert_int_equal(check_head(r), 401);
        memcpy(upper, sig, sizeof(upper));
        upper[10] = 'g'; /* right length, not hex */
        r.signature = upper;
        assert_int_equal(check_head(r), 401);
        r = good();
        memcpy(upper, sig, sizeof(upper));
        for (char *p = upper + 3; *p; p++)
                if (*p >= 'a' && *p <= 'f')
                        *p = (char)(*p - 'a' + 'A');
        r.signature = upper; /* Slack writes lowercase hex */
        assert_int_equal(check_head(r), 401);
        r = good();
        memcpy(upper, sig, sizeof(upper));
        upper[10] = upper[10] == '0' ? '1' : '0';
        r.signature = upper; /* well formed, wrong: the HMAC's job */
        assert_int_equal(check_head(r), 0);
        assert_int_equal(check(r), 401);
        r = good();
        r.path = "/other";
        assert_int_equal(check_head(r), 404);
        r = good();
        r.content_type = "text/plain";
        assert_int_equal(check_head(r), 415);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_signed_post_passes),
            cmocka_unit_test(test_wrong_path_404),
            cmocka_unit_test(test_wrong_method_405),
            cmocka_unit_test(test_wrong_content_type_415),
            cmocka_unit_test(test_bad_signatures_401_without_detail),
            cmocka_unit_test(test_head_refuses_unsigned_and_stale),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
