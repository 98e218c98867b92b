/* test_file_fetch.c - downloading a Slack file into memory (file_fetch.h)
 * from a server on a real socket that answers as Slack's file server
 * does: the file, the sign-in page with status 200 for a token without
 * files:read, 404 once deleted, 403, 429 with Retry-After, a file over the
 * cap; and the sorting of types (content-type sniffing) and of file
 * objects before any download. */
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
#include "file_fetch.h"
#include "httpc.h"
#include "httpd.h"

#define TOKEN "xoxb-files-test"
#define CAP   4096

static const char csv[] = "name,card\nZoë,4111 1111 1111 1111\n";
static const char pdf[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n";

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char seen_auth[128];
static int port; /* the server's */

static void body(struct dlp_http_resp *resp, int status, const char *type,
                 const void *data, size_t len)
{
        free(resp->body);
        resp->body = malloc(len + 1);
        assert_non_null(resp->body);
        memcpy(resp->body, data, len);
        resp->body_len = len;
        resp->status = status;
        resp->content_type = type;
}

/* Paths name the answer; a wrong token gets the sign-in page, as on
 * Slack. */
static int handler(void *opaque, struct dlp_http_req *req,
                   struct dlp_http_resp *resp)
{
        const char *auth = dlp_http_req_header(req, "Authorization");
        const char *p = req->path;
        static char big[CAP + 1];

        (void)opaque;
        pthread_mutex_lock(&lock);
        snprintf(seen_auth, sizeof(seen_auth), "%s", auth ? auth : "");
        pthread_mutex_unlock(&lock);
        if (!auth || strcmp(auth, "Bearer " TOKEN) != 0)
                body(resp, 200, "text/html; charset=utf-8",
                     "<!DOCTYPE html><html>Sign in</html>", 35);
        else if (!strcmp(p, "/f/cards.csv"))
                body(resp, 200, "text/csv", csv, sizeof(csv) - 1);
        else if (!strcmp(p, "/f/c.pdf"))
                body(resp, 200, "application/pdf", pdf, sizeof(pdf) - 1);
        else if (!strcmp(p, "/f/latin1.txt"))
                body(resp, 200, "text/plain", "caf\xe9\n", 5);
        else if (!strcmp(p, "/f/blob"))
                body(resp, 200, "application/octet-stream", "\x01\x02\x03", 3);
        else if (!strcmp(p, "/f/exact")) {
                memset(big, 'a', CAP);
                body(resp, 200, "text/plain", big, CAP);
        } else if (!strcmp(p, "/f/big")) {
                memset(big, 'a', CAP + 1);
                body(resp, 200, "text/plain", big, CAP + 1);
        } else if (!strcmp(p, "/f/away")) {
                /* the same server by another name: another host to curl */
                char to[96];

                snprintf(to, sizeof(to), "http://localhost:%d/f/cards.csv",
                         port);
                dlp_http_resp_text(resp, 302, "moved\n");
                dlp_http_resp_header(resp, "Location", "%s", to);
        } else if (!strcmp(p, "/f/to-file")) {
                dlp_http_resp_text(resp, 302, "moved\n");
                dlp_http_resp_header(resp, "Location", "file:///etc/passwd");
        } else if (!strcmp(p, "/f/denied"))
                dlp_http_resp_text(resp, 403, "forbidden\n");
        else if (!strcmp(p, "/f/busy")) {
                dlp_http_resp_text(resp, 429, "slow down\n");
                dlp_http_resp_header(resp, "Retry-After", "7");
        } else if (!strcmp(p, "/f/down"))
                dlp_http_resp_text(resp, 503, "down\n");
        else
                dlp_http_resp_text(resp, 404, "file not found\n");
        return DLP_OK;
}

struct fixture {
        struct dlp_httpd *httpd;
        struct file_fetcher *ff;
        char base[64], api[64];
};

static int setup(void **state)
{
        static struct fixture f;
        char err[128];

        assert_int_equal(dlp_httpc_global_init(), DLP_OK);
        f.httpd = dlp_httpd_start("127.0.0.1:0", 1, 1 << 16, handler, NULL, err,
                                  sizeof(err));
        assert_non_null(f.httpd);
        port = dlp_httpd_port(f.httpd);
        snprintf(f.api, sizeof(f.api), "http://127.0.0.1:%d/api",
                 dlp_httpd_port(f.httpd));
        f.ff = file_fetcher_new(10000, f.api, "files.slack.com");
        assert_non_null(f.ff);
        snprintf(f.base, sizeof(f.base), "http://127.0.0.1:%d/f/",
                 dlp_httpd_port(f.httpd));
        *state = &f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        file_fetcher_destroy(f->ff);
        dlp_httpd_stop(f->httpd);
        return 0;
}

static void fetch(struct fixture *f, const char *name, const char *token,
                  const char *mimetype, const char *filetype,
                  struct file_fetch_result *res)
{
        char url[128];

        snprintf(url, sizeof(url), "%s%s", f->base, name);
        assert_int_equal(
            file_fetch(f->ff, url, token, mimetype, filetype, CAP, res),
            DLP_OK);
}

static void test_text_file_comes_whole(void **state)
{
        struct file_fetch_result r;

        fetch(*state, "cards.csv", TOKEN, "text/csv", "csv", &r);
        assert_int_equal(r.outcome, FILE_FETCH_OK);
        assert_int_equal(r.http_status, 200);
        assert_int_equal(r.sniff.kind, FILE_KIND_TEXT);
        assert_string_equal(r.sniff.byte_type, "TEXT_UTF8");
        assert_int_equal(r.len, sizeof(csv) - 1);
        assert_memory_equal(r.data, csv, r.len);
        pthread_mutex_lock(&lock);
        assert_string_equal(seen_auth, "Bearer " TOKEN);
        pthread_mutex_unlock(&lock);
        file_fetch_result_free(&r);
}

static void test_pdf_is_a_byte_item(void **state)
{
        struct file_fetch_result r;

        fetch(*state, "c.pdf", TOKEN, "application/pdf", "pdf", &r);
        assert_int_equal(r.outcome, FILE_FETCH_OK);
        assert_int_equal(r.sniff.kind, FILE_KIND_BYTES);
        assert_string_equal(r.sniff.byte_type, "PDF");
        assert_memory_equal(r.data, pdf, sizeof(pdf) - 1);
        file_fetch_result_free(&r);
}

/* A token without files:read gets HTML with status 200: a set-up error,
 * never content, and the reason says what to fix without the token. */
static void test_login_page_is_a_setup_error(void **state)
{
        struct file_fetch_result r;

        fetch(*state, "cards.csv", "xoxb-no-files-read", "text/csv", "csv", &r);
        assert_int_equal(r.outcome, FILE_FETCH_SETUP_ERROR);
        assert_int_equal(r.http_status, 200);
        assert_null(r.data);
        assert_int_equal(r.len, 0);
        assert_non_null(strstr(r.reason, "files:read"));
        assert_null(strstr(r.reason, "xoxb"));
        file_fetch_result_free(&r);
}

static void test_not_inspectable_answers(void **state)
{
        struct file_fetch_result r;

        fetch(*state, "gone.csv", TOKEN, "text/csv", "csv", &r);
        assert_int_equal(r.outcome, FILE_FETCH_UNINSPECTABLE);
        assert_int_equal(r.http_status, 404);
        assert_non_null(strstr(r.reason, "deleted"));
        assert_null(r.data);

        fetch(*state, "denied", TOKEN, "text/csv", "csv", &r);
        assert_int_equal(r.outcome, FILE_FETCH_UNINSPECTABLE);
        assert_non_null(strstr(r.reason, "access denied"));

        fetch(*state, "big", TOKEN, "text/plain", "text", &r);
        assert_int_equal(r.outcome, FILE_FETCH_UNINSPECTABLE);
        assert_non_null(strstr(r.reason, "too large"));
        assert_null(r.data);

        fetch(*state, "latin1.txt", TOKEN, "text/plain", "text", &r);
        assert_int_equal(r.outcome, FILE_FETCH_UNINSPECTABLE);
        assert_non_null(strstr(r.reason, "not in UTF-8"));

        fetch(*state, "blob", TOKEN, "application/octet-stream", "binary", &r);
        assert_int_equal(r.outcome, FILE_FETCH_UNINSPECTABLE);
        assert_non_null(strstr(r.reason, "unsupported type"));
}

static void test_exactly_the_cap_fits(void **state)
{
        struct file_fetch_result r;

        fetch(*state, "exact", TOKEN, "text/plain", "text", &r);
        assert_int_equal(r.outcome, FILE_FETCH_OK);
        assert_int_equal(r.len, CAP);
        file_fetch_result_free(&r);
}

static void test_transient_answers_retry(void **state)
{
        struct file_fetch_result r;
        struct file_fetcher *ff;
        char url[64];

        fetch(*state, "busy", TOKEN, "text/plain", "text", &r);
        assert_int_equal(r.outcome, FILE_FETCH_RETRY);
        assert_int_equal(r.retry_after_s, 7);
        fetch(*state, "down", TOKEN, "text/plain", "text", &r);
        assert_int_equal(r.outcome, FILE_FETCH_RETRY);
        assert_int_equal(r.retry_after_s, -1);
        /* nobody listens on port 1 */
        snprintf(url, sizeof(url), "http://127.0.0.1:1/f/x");
        ff = file_fetcher_new(10000, "http://127.0.0.1:1/api", NULL);
        assert_non_null(ff);
        assert_int_equal(
            file_fetch(ff, url, TOKEN, "text/plain", "text", CAP, &r), DLP_OK);
        file_fetcher_destroy(ff);
        assert_int_equal(r.outcome, FILE_FETCH_RETRY);
        assert_int_equal(r.http_status, 0);
}

static void test_sniff(void **state)
{
        static const unsigned char png[] = "\x89PNG\r\n\x1a\n....";
        static const unsigned char bm_text[] = "BMW is a car\n";
        static const unsigned char env[] = "AWS_SECRET=abc\n";
        struct file_sniff s;

        (void)state;
        /* magic numbers win over names */
        s = file_sniff("text/plain", "text/plain", "text", png,
                       sizeof(png) - 1);
        assert_int_equal(s.kind, FILE_KIND_BYTES);
        assert_string_equal(s.byte_type, "IMAGE_PNG");
        /* "BM" alone is not a bitmap */
        s = file_sniff("text/plain", "text/plain", "text", bm_text,
                       sizeof(bm_text) - 1);
        assert_int_equal(s.kind, FILE_KIND_TEXT);
        s = file_sniff("image/bmp", "image/bmp", "bmp", bm_text, 2);
        assert_string_equal(s.byte_type, "IMAGE_BMP");
        /* a .env snippet served as octet-stream: Slack's filetype says text */
        s = file_sniff("application/octet-stream", "application/octet-stream",
                       "dotenv", env, sizeof(env) - 1);
        assert_int_equal(s.kind, FILE_KIND_TEXT);
        s = file_sniff(
            "application/octet-stream",
            "application/"
            "vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx", (const unsigned char *)"PK\x03\x04", 4);
        assert_string_equal(s.byte_type, "WORD_DOCUMENT");
        s = file_sniff("image/svg+xml", "image/svg+xml", "svg",
                       (const unsigned char *)"<svg/>", 6);
        assert_string_equal(s.byte_type, "IMAGE_SVG");
        /* overlong encodings and NULs are not UTF-8 text */
        s = file_sniff("text/plain", NULL, NULL,
                       (const unsigned char *)"\xc0\xaf", 2);
        assert_int_equal(s.kind, FILE_KIND_UNSUPPORTED);
        s = file_sniff("text/plain", NULL, NULL, (const unsigned char *)"a\0b",
                       3);
        assert_int_equal(s.kind, FILE_KIND_UNSUPPORTED);
        s = file_sniff("video/mp4", "video/mp4", "mp4",
                       (const unsigned char *)"....ftyp", 8);
        assert_int_equal(s.kind, FILE_KIND_UNSUPPORTED);
        assert_null(s.byte_type);
}

static void test_precheck(void **state)
{
        char why[200];
        json_t *f;

        (void)state;
        f = json_pack("{s:s,s:I,s:s}", "id", "F1", "size", (json_int_t)10,
                      "url_private_download", "http://x/f");
        assert_int_equal(file_fetch_precheck(f, CAP, why, sizeof(why)), 1);
        json_object_set_new(f, "size", json_integer(CAP + 1));
        assert_int_equal(file_fetch_precheck(f, CAP, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "too large"));
        json_object_set_new(f, "size", json_integer(10));
        json_object_set_new(f, "mode", json_string("tombstone"));
        assert_int_equal(file_fetch_precheck(f, CAP, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "deleted"));
        json_object_set_new(f, "mode", json_string("snippet"));
        assert_int_equal(file_fetch_precheck(f, CAP, why, sizeof(why)), 1);
        json_object_set_new(f, "is_external", json_true());
        json_object_set_new(f, "external_type", json_string("gdrive"));
        assert_int_equal(file_fetch_precheck(f, CAP, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "external file (gdrive)"));
        json_object_set_new(f, "is_external", json_false());
        json_object_del(f, "url_private_download");
        assert_int_equal(file_fetch_precheck(f, CAP, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "no download URL"));
        json_decref(f);
}

/* files.info's answers, as Slack gives them: the file, a token that
 * cannot read files (set-up), a file gone, transient trouble, and answers
 * that are not Slack's. */
static void test_files_info_answers(void **state)
{
        static const struct {
                long status;
                const char *body;
                enum file_fetch_outcome want;
                const char *reason;
        } cases[] = {
            {200, "{\"ok\":true,\"file\":{\"id\":\"F1\"}}", FILE_FETCH_OK, ""},
            {200,
             "{\"ok\":false,\"error\":\"missing_scope\",\"needed\":"
             "\"files:read\"}",
             FILE_FETCH_SETUP_ERROR, "the bot token lacks files:read"},
            {200, "{\"ok\":false,\"error\":\"invalid_auth\"}",
             FILE_FETCH_SETUP_ERROR,
             "the bot token was refused (invalid_auth)"},
            {200, "{\"ok\":false,\"error\":\"file_deleted\"}",
             FILE_FETCH_UNINSPECTABLE, "deleted before it was fetched"},
            {200, "{\"ok\":false,\"error\":\"file_not_found\"}",
             FILE_FETCH_UNINSPECTABLE, "deleted before it was fetched"},
            {200, "{\"ok\":false,\"error\":\"channel_not_found\"}",
             FILE_FETCH_UNINSPECTABLE, "files.info: channel_not_found"},
            {429, "{\"ok\":false,\"error\":\"ratelimited\"}", FILE_FETCH_RETRY,
             "files.info: HTTP error"},
            {200, "{\"ok\":false,\"error\":\"fatal_error\"}", FILE_FETCH_RETRY,
             "files.info: fatal_error"},
            {503, "<html>down</html>", FILE_FETCH_RETRY,
             "files.info: HTTP error"},
            {0, NULL, FILE_FETCH_RETRY, "files.info: no answer"},
            {200, "<html>card 4111 1111 1111 1111</html>", FILE_FETCH_RETRY,
             "files.info: not an answer of Slack's"},
            {200, "{\"ok\":true,\"file\":\"F1\"}", FILE_FETCH_RETRY,
             "files.info: not an answer of Slack's"},
            {404, "not found", FILE_FETCH_UNINSPECTABLE,
             "files.info answered HTTP 404"},
            /* a long code is cut on a character, never inside one
             * (fuzz_files: the 60th byte was the first of an é) */
            {200,
             "{\"ok\":false,\"error\":"
             "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3"
             "\xa9xyz\"}",
             FILE_FETCH_UNINSPECTABLE,
             "files.info: "
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
        };

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char reason[200];
                json_t *file = NULL;
                enum file_fetch_outcome o =
                    file_info_sort(cases[i].status, cases[i].body,
                                   cases[i].body ? strlen(cases[i].body) : 0,
                                   &file, reason, sizeof(reason));

                assert_int_equal(o, cases[i].want);
                assert_string_equal(reason, cases[i].reason);
                if (o == FILE_FETCH_OK) {
                        assert_string_equal(
                            json_string_value(json_object_get(file, "id")),
                            "F1");
                        json_decref(file);
                } else
                        assert_null(file);
        }
}

/* A client bounded at CAP bytes (the fetch stage's files.info client is,
 * at 1 MiB) takes an answer of CAP bytes and refuses one byte more,
 * without holding it. */
static void test_bounded_answer(void **state)
{
        struct fixture *f = *state;
        struct dlp_httpc *c = dlp_httpc_new(10000);
        struct dlp_http_result res;
        char url[128], err[256];

        assert_non_null(c);
        dlp_httpc_set_max_body(c, CAP);
        snprintf(url, sizeof(url), "%sexact", f->base);
        assert_int_equal(dlp_httpc_get(c, url, TOKEN, &res, err, sizeof(err)),
                         DLP_OK);
        assert_int_equal(res.body_len, CAP);
        dlp_http_result_free(&res);
        snprintf(url, sizeof(url), "%sbig", f->base);
        assert_int_equal(dlp_httpc_get(c, url, TOKEN, &res, err, sizeof(err)),
                         DLP_ERR_HTTP);
        assert_non_null(strstr(err, "answer over 4096 bytes"));
        assert_null(strstr(err, TOKEN));
        assert_true(res.body_len <= CAP);
        dlp_http_result_free(&res);
        dlp_httpc_destroy(c);
}

/* The token goes to SLACK_API_URL's host and DLP_FILE_DOWNLOAD_HOSTS over
 * https, nowhere else, whatever a record or an answer says. */
static void test_url_rule(void **state)
{
        static const char *const refused[] = {
            "https://evil.example/files-pri/T1-F1/download/a.csv",
            "https://files.slack.com.evil.example/x",
            "https://files.slack.com@evil.example/x",
            "https://evil.example\\@files.slack.com/x",
            "https://evil.example#@files.slack.com/x",
            "https://user:pw@files.slack.com/x",
            "http://files.slack.com/x", /* downgrade */
            "http://slack.com/api/x",   /* the API's host, plain */
            "file:///etc/passwd",
            "gopher://files.slack.com:70/_x",
            "ftp://files.slack.com/x",
            "dict://slack.com:11211/",
            "//files.slack.com/x",
            "files.slack.com/x",
            "",
            NULL,
        };
        static const char *const allowed[] = {
            "https://files.slack.com/files-pri/T1-F1/download/a.csv",
            "https://FILES.Slack.COM/x",
            "https://slack.com/x",
            "https://cdn.example/x",
        };
        const char *hosts = "files.slack.com, cdn.example";
        char why[200];

        (void)state;
        for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
                why[0] = 0;
                assert_int_equal(file_url_allowed(refused[i],
                                                  "https://slack.com/api",
                                                  hosts, why, sizeof(why)),
                                 0);
                assert_non_null(strstr(why, "download refused"));
        }
        for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
                assert_int_equal(file_url_allowed(allowed[i],
                                                  "https://slack.com/api",
                                                  hosts, why, sizeof(why)),
                                 1);
        /* plain http only at a plain-http SLACK_API_URL's own address */
        assert_int_equal(file_url_allowed("http://127.0.0.1:8471/f/a",
                                          "http://127.0.0.1:8471/api", "", why,
                                          sizeof(why)),
                         1);
        assert_int_equal(file_url_allowed("http://127.0.0.1:8472/f/a",
                                          "http://127.0.0.1:8471/api", "", why,
                                          sizeof(why)),
                         0);
        assert_int_equal(file_url_allowed("http://127.0.0.2:8471/f/a",
                                          "http://127.0.0.1:8471/api",
                                          "127.0.0.2", why, sizeof(why)),
                         0);
        /* no SLACK_API_URL worth the name: nothing goes anywhere */
        assert_int_equal(file_url_allowed("https://files.slack.com/x",
                                          "not a url", hosts, why, sizeof(why)),
                         0);
        /* a host that is not ASCII is shown bounded and valid */
        assert_int_equal(file_url_allowed("https://\xc3\xa9vil.example/x",
                                          "https://slack.com/api", NULL, why,
                                          sizeof(why)),
                         0);
        assert_non_null(strstr(why, "download refused"));
}

/* A refused URL is never connected to: the server sees no request. */
static void test_refused_url_sends_nothing(void **state)
{
        struct fixture *f = *state;
        struct file_fetch_result r;
        char url[128];

        pthread_mutex_lock(&lock);
        strcpy(seen_auth, "none");
        pthread_mutex_unlock(&lock);
        /* the test server under another name than SLACK_API_URL's */
        snprintf(url, sizeof(url), "http://localhost:%d/f/cards.csv", port);
        assert_int_equal(
            file_fetch(f->ff, url, TOKEN, "text/csv", "csv", CAP, &r), DLP_OK);
        assert_int_equal(r.outcome, FILE_FETCH_UNINSPECTABLE);
        assert_null(r.data);
        assert_non_null(strstr(r.reason, "host localhost"));
        assert_null(strstr(r.reason, TOKEN));
        pthread_mutex_lock(&lock);
        assert_string_equal(seen_auth, "none");
        pthread_mutex_unlock(&lock);
}

/* A redirect to another host gets no token; one to file:// is not
 * followed. */
static void test_redirects_keep_the_token(void **state)
{
        struct file_fetch_result r;

        fetch(*state, "away", TOKEN, "text/csv", "csv", &r);
        pthread_mutex_lock(&lock);
        assert_string_equal(seen_auth, "");
        pthread_mutex_unlock(&lock);
        assert_int_not_equal(r.outcome, FILE_FETCH_OK);
        file_fetch_result_free(&r);
        fetch(*state, "to-file", TOKEN, "text/csv", "csv", &r);
        assert_int_equal(r.outcome, FILE_FETCH_RETRY);
        assert_non_null(strstr(r.reason, "download failed"));
        assert_null(r.data);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_files_info_answers),
            cmocka_unit_test(test_text_file_comes_whole),
            cmocka_unit_test(test_pdf_is_a_byte_item),
            cmocka_unit_test(test_login_page_is_a_setup_error),
            cmocka_unit_test(test_not_inspectable_answers),
            cmocka_unit_test(test_exactly_the_cap_fits),
            cmocka_unit_test(test_transient_answers_retry),
            cmocka_unit_test(test_sniff),
            cmocka_unit_test(test_precheck),
            cmocka_unit_test(test_bounded_answer),
            cmocka_unit_test(test_url_rule),
            cmocka_unit_test(test_refused_url_sends_nothing),
            cmocka_unit_test(test_redirects_keep_the_token),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
