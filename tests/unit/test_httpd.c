/* test_httpd.c - the shared HTTP server over a real loopback socket: whole
 * bodies to the handler, 413 before reading an over-long body, a chunked
 * body over the limit cut off, and a suspended request completed later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "httpd.h"

#define LIMIT 1024

static struct dlp_http_pending *parked;
static size_t last_len;

static int handler(void *opaque, struct dlp_http_req *req,
                   struct dlp_http_resp *resp)
{
        last_len = req->body_len;
        if (!strcmp(req->path, "/later")) {
                parked = dlp_http_req_suspend(req);
                return DLP_HTTP_PENDING;
        }
        dlp_http_resp_text(resp, 200, "ok\n");
        return DLP_OK;
}

static struct dlp_httpd *start(void)
{
        char err[128];
        struct dlp_httpd *h = dlp_httpd_start("127.0.0.1:0", 2, LIMIT, handler,
                                              NULL, err, sizeof(err));
        assert_non_null(h);
        return h;
}

/* Sends \p req, returns what came back (up to the close), "" if nothing. */
static char *exchange(int port, const char *req, size_t len)
{
        static char buf[8192];
        struct sockaddr_in sin = {0};
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        size_t got = 0;
        ssize_t r;
        struct timeval tv = {5, 0};

        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
        assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)!write(fd, req, len); /* the server may close early */
        while (got < sizeof(buf) - 1 &&
               (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
                got += (size_t)r;
        buf[got] = '\0';
        close(fd);
        return buf;
}

static void test_body_reaches_handler(void **state)
{
        struct dlp_httpd *h = start();
        const char req[] =
            "POST /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
            "Content-Length: 5\r\n\r\nhello";

        assert_non_null(strstr(
            exchange(dlp_httpd_port(h), req, sizeof(req) - 1), "HTTP/1.1 200"));
        assert_int_equal(last_len, 5);
        dlp_httpd_stop(h);
}

static void test_content_length_over_limit_413(void **state)
{
        struct dlp_httpd *h = start();
        char req[256];
        int n;

        last_len = 0;
        /* announce a big body, send none of it: the answer comes anyway */
        n = snprintf(
            req, sizeof(req),
            "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n",
            LIMIT * 100);
        assert_non_null(strstr(exchange(dlp_httpd_port(h), req, (size_t)n),
                               "HTTP/1.1 413"));
        assert_int_equal(last_len, 0); /* the handler never ran */
        dlp_httpd_stop(h);
}

static void test_chunked_over_limit_closed(void **state)
{
        struct dlp_httpd *h = start();
        char *req = malloc(LIMIT * 4);
        int n = snprintf(req, LIMIT * 4,
                         "POST /x HTTP/1.1\r\nHost: t\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n%x\r\n",
                         LIMIT * 2);

        memset(req + n, 'a', LIMIT * 2);
        n += LIMIT * 2;
        n += snprintf(req + n, 16, "\r\n0\r\n\r\n");
        last_len = 0;
        assert_null(strstr(exchange(dlp_httpd_port(h), req, (size_t)n),
                           "HTTP/1.1 200"));
        assert_int_equal(last_len, 0);
        free(req);
        dlp_httpd_stop(h);
}

static void *complete_later(void *arg)
{
        struct dlp_http_resp resp = {0};

        while (!parked)
                usleep(1000);
        usleep(50000);
        dlp_http_resp_text(&resp, 202, "done\n");
        dlp_http_complete(parked, &resp);
        return NULL;
}

static void test_suspended_request_completed_from_another_thread(void **state)
{
        struct dlp_httpd *h = start();
        const char req[] = "POST /later HTTP/1.1\r\nHost: t\r\n"
                           "Connection: close\r\nContent-Length: 2\r\n\r\n{}";
        pthread_t t;

        parked = NULL;
        pthread_create(&t, NULL, complete_later, NULL);
        assert_non_null(strstr(
            exchange(dlp_httpd_port(h), req, sizeof(req) - 1), "HTTP/1.1 202"));
        pthread_join(t, NULL);
        dlp_httpd_stop(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_body_reaches_handler),
            cmocka_unit_test(test_content_length_over_limit_413),
            cmocka_unit_test(test_chunked_over_limit_closed),
            cmocka_unit_test(
                test_suspended_request_completed_from_another_thread),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
