/* test_httpd.c - the shared HTTP server over a real loopback socket: whole
 * bodies to the handler, 413 before reading an over-long body, a chunked
 * body over the limit cut off, and a suspended request completed later;
 * and the door's defences: connection limits per client address and in
 * total, the whole-request deadline (slow headers, slow body; a suspended
 * request exempt), the body budget, and the head check before the body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "httpd.h"

#define LIMIT 1024

/* written on the server's threads, read on the test's: atomics, so the
 * hand-over is ordered (and ThreadSanitizer sees it) */
static _Atomic(struct dlp_http_pending *) parked;
static atomic_size_t last_len;
static atomic_int handled;

static int handler(void *opaque, struct dlp_http_req *req,
                   struct dlp_http_resp *resp)
{
        handled++;
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

/* Completes the parked request after 50 ms (600 ms if \p arg). */
static void *complete_later(void *arg)
{
        struct dlp_http_resp resp = {0};

        while (!parked)
                usleep(1000);
        usleep(arg ? 600000 : 50000);
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

/* --- the door's defences -------------------------------------------- */

static struct dlp_httpd_counters counters;

static struct dlp_httpd *start_opts(struct dlp_httpd_opts o)
{
        char err[128];
        struct dlp_httpd *h;

        memset(&counters, 0, sizeof(counters));
        o.addr = "127.0.0.1:0";
        o.max_body = LIMIT;
        o.counters = &counters;
        h = dlp_httpd_start_opts(&o, handler, NULL, err, sizeof(err));
        assert_non_null(h);
        return h;
}

/* A connected socket from \p src (a loopback address) to the server. */
static int connect_from(int port, const char *src)
{
        struct sockaddr_in sin = {0}, from = {0};
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        assert_true(fd >= 0);
        from.sin_family = AF_INET;
        inet_pton(AF_INET, src, &from.sin_addr);
        assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
        assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        return fd;
}

/* Sends \p req on \p fd and returns what comes back within \p wait_s
 * (until the close or the wait ends), "" if nothing. */
static char *ask(int fd, const char *req, int wait_s)
{
        static char buf[4096];
        struct timeval tv = {wait_s, 0};
        size_t got = 0;
        ssize_t r;

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        (void)!send(fd, req, strlen(req), MSG_NOSIGNAL);
        while (got < sizeof(buf) - 1 &&
               (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
                got += (size_t)r;
                if (strstr(buf, "\r\n\r\n")) /* short answers: enough */
                        break;
        }
        buf[got] = '\0';
        return buf;
}

/* 1 if the server closed \p fd within \p wait_s, without a word. */
static int closed_by_server(int fd, int wait_s)
{
        char c;
        struct timeval tv = {wait_s, 0};
        ssize_t r;

        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        r = read(fd, &c, 1);
        return r == 0 || (r < 0 && errno == ECONNRESET);
}

static void wait_gauge(atomic_ulong *g, unsigned long want)
{
        for (int i = 0; i < 5000 && atomic_load(g) != want; i++)
                usleep(1000);
        assert_int_equal(atomic_load(g), want);
}

static const char GET_OK[] = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

static void test_per_client_limit_closes_the_extra_connection(void **state)
{
        struct dlp_httpd *h = start_opts(
            (struct dlp_httpd_opts){.max_connections_per_client = 2});
        int port = dlp_httpd_port(h);
        int a = connect_from(port, "127.0.0.1"),
            b = connect_from(port, "127.0.0.1");
        int c, other;

        wait_gauge(&counters.connections, 2);
        c = connect_from(port, "127.0.0.1");
        assert_true(closed_by_server(c, 5));
        /* the two within the limit are served, and so is another address */
        assert_non_null(strstr(ask(a, GET_OK, 5), "HTTP/1.1 200"));
        assert_non_null(strstr(ask(b, GET_OK, 5), "HTTP/1.1 200"));
        other = connect_from(port, "127.0.0.2");
        assert_non_null(strstr(ask(other, GET_OK, 5), "HTTP/1.1 200"));
        close(a);
        close(b);
        close(c);
        close(other);
        dlp_httpd_stop(h);
}

static void test_total_limit_makes_the_next_wait(void **state)
{
        struct dlp_httpd *h = start_opts(
            (struct dlp_httpd_opts){.threads = 1, .max_connections = 2});
        int port = dlp_httpd_port(h);
        int a = connect_from(port, "127.0.0.1"),
            b = connect_from(port, "127.0.0.2");
        int c;

        assert_int_equal(dlp_httpd_max_connections(h), 2);
        wait_gauge(&counters.connections, 2);
        c = connect_from(port, "127.0.0.3");
        /* not accepted: its request waits in the listen backlog... */
        assert_string_equal(ask(c, GET_OK, 1), "");
        /* ...until a slot frees */
        close(a);
        assert_non_null(strstr(ask(c, "", 5), "HTTP/1.1 200"));
        close(b);
        close(c);
        dlp_httpd_stop(h);
}

/* Sends \p head, then one byte of \p trickle every 50 ms; returns 1 if the
 * server closed the connection within 10 s. */
static int trickle_until_closed(int port, const char *head, const char *trickle)
{
        int fd = connect_from(port, "127.0.0.1");
        int closed = 0;

        (void)!send(fd, head, strlen(head), MSG_NOSIGNAL);
        for (int i = 0; i < 200 && !closed; i++) {
                char c;
                ssize_t r;

                usleep(50000);
                if (send(fd, trickle + (size_t)i % strlen(trickle), 1,
                         MSG_NOSIGNAL) < 0)
                        closed = 1;
                r = recv(fd, &c, 1, MSG_DONTWAIT);
                if (r == 0 ||
                    (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
                        closed = 1;
        }
        close(fd);
        return closed;
}

static void test_request_deadline_closes_slow_headers_and_bodies(void **state)
{
        /* the idle timeout alone (60 s) would never close a trickle */
        struct dlp_httpd *h = start_opts((struct dlp_httpd_opts){
            .request_timeout_ms = 300, .idle_timeout_s = 60});
        int port = dlp_httpd_port(h);

        handled = 0;
        assert_true(trickle_until_closed(port,
                                         "POST /x HTTP/1.1\r\nHost: t\r\n",
                                         "X-Slow: aaaaaaaaaaaaaaaaaaaa\r\n"));
        assert_true(trickle_until_closed(
            port, "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n",
            "b"));
        assert_true(atomic_load(&counters.timed_out) >= 2);
        assert_int_equal(handled, 0);
        dlp_httpd_stop(h);
}

static void test_suspended_request_outlives_the_deadline(void **state)
{
        struct dlp_httpd *h =
            start_opts((struct dlp_httpd_opts){.request_timeout_ms = 200});
        int fd = connect_from(dlp_httpd_port(h), "127.0.0.1");
        pthread_t t;

        parked = NULL;
        pthread_create(&t, NULL, complete_later, (void *)1);
        /* completed after 600 ms, three deadlines later */
        assert_non_null(strstr(ask(fd,
                                   "POST /later HTTP/1.1\r\nHost: t\r\n"
                                   "Content-Length: 2\r\n\r\n{}",
                                   5),
                               "HTTP/1.1 202"));
        pthread_join(t, NULL);
        /* and the connection, kept alive, is served again */
        assert_non_null(strstr(ask(fd, GET_OK, 5), "HTTP/1.1 200"));
        close(fd);
        dlp_httpd_stop(h);
}

static void test_body_budget_refuses_then_recovers(void **state)
{
        /* budget 2 KiB; over 256 bytes is large: at most 1 KiB of those */
        struct dlp_httpd *h = start_opts((struct dlp_httpd_opts){
            .body_budget = 2 * LIMIT, .body_small = 256});
        int port = dlp_httpd_port(h);
        int a = connect_from(port, "127.0.0.1");
        char body[1001], *got;
        const char big[] =
            "POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n";
        int b;

        memset(body, 'x', 1000);
        body[1000] = '\0';
        /* a announces 1000 bytes and sends none yet: they are reserved */
        (void)!send(a, big, strlen(big), MSG_NOSIGNAL);
        wait_gauge(&counters.body_bytes, 1000);
        /* another large body does not fit in the large half: 503 at once */
        b = connect_from(port, "127.0.0.2");
        got = ask(b, big, 5);
        assert_non_null(strstr(got, "HTTP/1.1 503"));
        assert_non_null(strstr(got, "Retry-After: 1"));
        close(b);
        assert_int_equal(atomic_load(&counters.refused_budget), 1);
        /* a small one still fits */
        b = connect_from(port, "127.0.0.2");
        assert_non_null(strstr(ask(b,
                                   "POST /x HTTP/1.1\r\nHost: t\r\n"
                                   "Content-Length: 2\r\n\r\n{}",
                                   5),
                               "HTTP/1.1 200"));
        close(b);
        /* a finishes; its bytes come back to the budget */
        assert_non_null(strstr(ask(a, body, 5), "HTTP/1.1 200"));
        assert_int_equal(last_len, 1000);
        wait_gauge(&counters.body_bytes, 0);
        b = connect_from(port, "127.0.0.2");
        (void)!send(b, big, strlen(big), MSG_NOSIGNAL);
        assert_non_null(strstr(ask(b, body, 5), "HTTP/1.1 200"));
        close(a);
        close(b);
        dlp_httpd_stop(h);
}

static int head_guard(void *opaque, const struct dlp_http_req *req,
                      struct dlp_http_resp *resp)
{
        assert_null(req->body); /* nothing read yet */
        if (dlp_http_req_header(req, "X-Ok"))
                return DLP_OK;
        dlp_http_resp_text(resp, 401, "");
        return DLP_ERR_AUTH;
}

static void test_head_check_answers_before_the_body(void **state)
{
        struct dlp_httpd *h =
            start_opts((struct dlp_httpd_opts){.head = head_guard});
        int fd = connect_from(dlp_httpd_port(h), "127.0.0.1");
        const char announce[] = "POST /x HTTP/1.1\r\nHost: t\r\n"
                                "Content-Length: 1000\r\n\r\n";

        handled = 0;
        /* the body is announced and never sent: the answer comes anyway */
        assert_non_null(strstr(ask(fd, announce, 5), "HTTP/1.1 401"));
        assert_int_equal(handled, 0);
        assert_int_equal(atomic_load(&counters.refused_early), 1);
        assert_int_equal(atomic_load(&counters.body_bytes), 0);
        close(fd);
        fd = connect_from(dlp_httpd_port(h), "127.0.0.1");
        assert_non_null(strstr(ask(fd,
                                   "POST /x HTTP/1.1\r\nHost: t\r\nX-Ok: 1\r\n"
                                   "Content-Length: 2\r\n\r\n{}",
                                   5),
                               "HTTP/1.1 200"));
        assert_int_equal(handled, 1);
        close(fd);
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
            cmocka_unit_test(test_per_client_limit_closes_the_extra_connection),
            cmocka_unit_test(test_total_limit_makes_the_next_wait),
            cmocka_unit_test(
                test_request_deadline_closes_slow_headers_and_bodies),
            cmocka_unit_test(test_suspended_request_outlives_the_deadline),
            cmocka_unit_test(test_body_budget_refuses_then_recovers),
            cmocka_unit_test(test_head_check_answers_before_the_body),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
