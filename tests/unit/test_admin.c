/* test_admin.c - the admin endpoint's probes never wait on a slow
 * readiness check (issue 9: /healthz queued 1.8 s behind /readyz with
 * Kafka down, past Kubernetes' 1 s probe timeout). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"

/* A readiness check that blocks until the test releases it: Kafka that
 * does not answer, for as long as the test likes. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static int gate_open, checks;

static int slow_ready(void *opaque, char *why, size_t size)
{
        pthread_mutex_lock(&gate_lock);
        checks++;
        while (!gate_open)
                pthread_cond_wait(&gate_cond, &gate_lock);
        pthread_mutex_unlock(&gate_lock);
        return 1;
}

/* GET \p path; the status code, or 0 if no answer came within 20 s (a
 * bound for a broken build, not a timing assertion). */
static int get(int port, const char *path)
{
        struct sockaddr_in sin = {0};
        struct timeval tv = {20, 0};
        char req[128], buf[512];
        int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
        ssize_t r;

        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
        assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                 path);
        (void)!write(fd, req, strlen(req));
        r = read(fd, buf, sizeof(buf) - 1);
        if (r > 12) {
                buf[r] = '\0';
                sscanf(buf, "HTTP/1.1 %d", &status);
        }
        close(fd);
        return status;
}

static void test_probes_never_wait_on_the_check(void **state)
{
        char err[128];
        struct dlp_admin *a = dlp_admin_start_check(
            "127.0.0.1:0", "test", NULL, 0, slow_ready, NULL, err, sizeof(err));
        int port, status = 0;

        assert_non_null(a);
        port = dlp_admin_port(a);
        /* the check is stuck: both probes answer all the same */
        assert_int_equal(get(port, "/readyz"), 503);
        assert_int_equal(get(port, "/healthz"), 200);
        assert_int_equal(get(port, "/readyz"), 503);
        assert_int_equal(get(port, "/healthz"), 200);
        /* once the check can answer, readiness follows */
        pthread_mutex_lock(&gate_lock);
        gate_open = 1;
        pthread_cond_broadcast(&gate_cond);
        pthread_mutex_unlock(&gate_lock);
        for (int i = 0; i < 200 && status != 200; i++) {
                status = get(port, "/readyz");
                if (status != 200)
                        usleep(50000);
        }
        assert_int_equal(status, 200);
        assert_true(checks >= 1);
        dlp_admin_stop(a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_probes_never_wait_on_the_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
