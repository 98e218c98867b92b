/* test_slack_calls.c - the reporter's Slack Web API calls (slack.h) against a
 * canned server on a real socket: how each answer is sorted (ok, retry,
 * permanent), Retry-After, the posted ts, what went out on the wire, and the
 * permalink's query string. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "httpc.h"
#include "httpd.h"
#include "slack.h"

/* What the server answers next, and what it saw last. The handler runs on
 * the server's thread while the test waits in the client call, so a mutex
 * orders the two. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int next_status;
static const char *next_body;
static const char *next_retry_after;
static char seen_path[512], seen_auth[128], seen_body[1024];

static int handler(void *opaque, struct dlp_http_req *req,
                   struct dlp_http_resp *resp)
{
        const char *auth = dlp_http_req_header(req, "Authorization");
        const char *ch = dlp_http_req_query(req, "channel");
        const char *ts = dlp_http_req_query(req, "message_ts");

        pthread_mutex_lock(&lock);
        snprintf(seen_path, sizeof(seen_path), "%s %s channel=%s ts=%s",
                 req->method, req->path, ch ? ch : "-", ts ? ts : "-");
        snprintf(seen_auth, sizeof(seen_auth), "%s", auth ? auth : "");
        snprintf(seen_body, sizeof(seen_body), "%.*s", (int)req->body_len,
                 req->body ? req->body : "");
        dlp_http_resp_text(resp, next_status, next_body);
        resp->content_type = "application/json";
        if (next_retry_after)
                dlp_http_resp_header(resp, "Retry-After", "%s",
                                     next_retry_after);
        pthread_mutex_unlock(&lock);
        return DLP_OK;
}

struct fixture {
        struct dlp_httpd *httpd;
        struct dlp_httpc *http;
        char url[64];
};

static int setup(void **state)
{
        static struct fixture f;
        char err[128];

        f.httpd = dlp_httpd_start("127.0.0.1:0", 1, 1 << 16, handler, NULL, err,
                                  sizeof(err));
        assert_non_null(f.httpd);
        f.http = dlp_httpc_new(5000);
        assert_non_null(f.http);
        snprintf(f.url, sizeof(f.url), "http://127.0.0.1:%d/api",
                 dlp_httpd_port(f.httpd));
        *state = &f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        dlp_httpc_destroy(f->http);
        dlp_httpd_stop(f->httpd);
        return 0;
}

static void answer(int status, const char *body, const char *retry_after)
{
        pthread_mutex_lock(&lock);
        next_status = status;
        next_body = body;
        next_retry_after = retry_after;
        pthread_mutex_unlock(&lock);
}

static void post(struct fixture *f, struct slack_result *r)
{
        json_t *msg = json_pack("{s:s, s:s}", "channel", "C0ALERTS", "text",
                                "card 4111 •••• •••• 1111");

        slack_post(f->http, f->url, "xoxb-test", msg, r);
        json_decref(msg);
}

static void test_ok_gives_the_ts(void **state)
{
        struct fixture *f = *state;
        struct slack_result r;

        answer(200,
               "{\"ok\":true,\"channel\":\"C0ALERTS\",\"ts\":\"1.000200\"}",
               NULL);
        post(f, &r);
        assert_int_equal(r.outcome, SLACK_OK);
        assert_string_equal(r.ts, "1.000200");
        /* what went out: a JSON POST to the method, the bot token */
        pthread_mutex_lock(&lock);
        assert_non_null(strstr(seen_path, "POST /api/chat.postMessage"));
        assert_string_equal(seen_auth, "Bearer xoxb-test");
        assert_non_null(strstr(seen_body, "\"channel\":\"C0ALERTS\""));
        pthread_mutex_unlock(&lock);
}

static void test_429_is_retried_after_what_slack_asked(void **state)
{
        struct fixture *f = *state;
        struct slack_result r;

        answer(429, "{\"ok\":false,\"error\":\"ratelimited\"}", "7");
        post(f, &r);
        assert_int_equal(r.outcome, SLACK_RETRY);
        assert_true(r.retry_after > 6.9 && r.retry_after < 7.1);
}

static void test_5xx_is_retried(void **state)
{
        struct fixture *f = *state;
        struct slack_result r;

        answer(500, "oops", NULL);
        post(f, &r);
        assert_int_equal(r.outcome, SLACK_RETRY);
        assert_string_equal(r.error, "HTTP 500");
        assert_true(r.retry_after < 0);
}

/* Errors come as HTTP 200 ok:false: some pass, the rest never will. */
static void test_ok_false_sorted(void **state)
{
        struct fixture *f = *state;
        struct slack_result r;
        static const struct {
                const char *error;
                enum slack_outcome outcome;
        } cases[] = {
            {"channel_not_found", SLACK_PERMANENT},
            {"not_in_channel", SLACK_PERMANENT},
            {"invalid_auth", SLACK_PERMANENT},
            {"invalid_blocks", SLACK_PERMANENT},
            {"ratelimited", SLACK_RETRY},
            {"internal_error", SLACK_RETRY},
            {"service_unavailable", SLACK_RETRY},
            {"request_timeout", SLACK_RETRY},
        };
        char body[128];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(body, sizeof(body), "{\"ok\":false,\"error\":\"%s\"}",
                         cases[i].error);
                answer(200, body, NULL);
                post(f, &r);
                assert_int_equal(r.outcome, cases[i].outcome);
                assert_non_null(strstr(r.error, cases[i].error));
                assert_string_equal(r.ts, "");
        }
}

static void test_unreadable_answer_is_retried(void **state)
{
        struct fixture *f = *state;
        struct slack_result r;

        answer(200, "<html>proxy error</html>", NULL);
        post(f, &r);
        assert_int_equal(r.outcome, SLACK_RETRY);
        assert_non_null(strstr(r.error, "unreadable"));
}

static void test_no_answer_is_retried(void **state)
{
        struct slack_result r;
        struct dlp_httpc *http = dlp_httpc_new(2000);
        json_t *msg = json_pack("{s:s}", "channel", "C1");

        /* nothing listens on port 1 */
        slack_post(http, "http://127.0.0.1:1/api", "xoxb-test", msg, &r);
        assert_int_equal(r.outcome, SLACK_RETRY);
        assert_true(r.error[0] != '\0');
        assert_null(strstr(r.error, "xoxb-test")); /* never the token */
        json_decref(msg);
        dlp_httpc_destroy(http);
}

static void test_permalink_is_a_get_with_query(void **state)
{
        struct fixture *f = *state;
        char link[256];

        answer(200,
               "{\"ok\":true,\"channel\":\"C0SRC\",\"permalink\":"
               "\"https://t.slack.com/archives/C0SRC/p1000200\"}",
               NULL);
        assert_int_equal(slack_permalink(f->http, f->url, "xoxb-test", "C0SRC",
                                         "1.000200", link, sizeof(link)),
                         DLP_OK);
        assert_string_equal(link,
                            "https://t.slack.com/archives/C0SRC/p1000200");
        pthread_mutex_lock(&lock);
        assert_string_equal(seen_path, "GET /api/chat.getPermalink "
                                       "channel=C0SRC ts=1.000200");
        assert_string_equal(seen_body, "");
        pthread_mutex_unlock(&lock);

        /* ok without a link, or an error: no link */
        answer(200, "{\"ok\":true}", NULL);
        assert_int_equal(slack_permalink(f->http, f->url, "xoxb-test", "C0SRC",
                                         "1.000200", link, sizeof(link)),
                         DLP_ERR_REJECTED);
        answer(200, "{\"ok\":false,\"error\":\"message_not_found\"}", NULL);
        assert_int_equal(slack_permalink(f->http, f->url, "xoxb-test", "C0SRC",
                                         "1.000200", link, sizeof(link)),
                         DLP_ERR_REJECTED);
}

static void test_call_returns_the_answer(void **state)
{
        struct fixture *f = *state;
        struct slack_result r;
        json_t *body = json_pack("{s:s}", "users", "U0AAA"), *a;

        answer(200, "{\"ok\":true,\"channel\":{\"id\":\"D0DM\"}}", NULL);
        slack_call(f->http, f->url, "conversations.open", "xoxb-test", body, &r,
                   &a);
        assert_int_equal(r.outcome, SLACK_OK);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(a, "channel"), "id")),
                            "D0DM");
        json_decref(a);
        pthread_mutex_lock(&lock);
        assert_non_null(strstr(seen_path, "POST /api/conversations.open"));
        pthread_mutex_unlock(&lock);
        /* a refusal hands back no answer */
        answer(200, "{\"ok\":false,\"error\":\"user_not_found\"}", NULL);
        slack_call(f->http, f->url, "conversations.open", "xoxb-test", body, &r,
                   &a);
        assert_int_equal(r.outcome, SLACK_PERMANENT);
        assert_null(a);
        json_decref(body);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_ok_gives_the_ts),
            cmocka_unit_test(test_429_is_retried_after_what_slack_asked),
            cmocka_unit_test(test_5xx_is_retried),
            cmocka_unit_test(test_ok_false_sorted),
            cmocka_unit_test(test_unreadable_answer_is_retried),
            cmocka_unit_test(test_no_answer_is_retried),
            cmocka_unit_test(test_permalink_is_a_get_with_query),
            cmocka_unit_test(test_call_returns_the_answer),
        };

        dlp_httpc_global_init();
        return cmocka_run_group_tests(tests, setup, teardown);
}
