/* test_admin.c - the admin endpoint's probes never wait on a slow
 * readiness check (issue 9: /healthz queued 1.8 s behind /readyz with
 * Kafka down, past Kubernetes' 1 s probe timeout); a consumer worker's
 * endpoint shows its own rows and its consumer's statistics, and one that
 * cannot start stops the worker. Nothing here needs a broker. */
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
#include "kafka.h"
#include "util.h"

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

/* GET \p path into \p buf (the whole answer, headers included); the
 * status code, or 0 if no answer came within 20 s (a bound for a broken
 * build, not a timing assertion). */
static int get_into(int port, const char *path, char *buf, size_t size)
{
        struct sockaddr_in sin = {0};
        struct timeval tv = {20, 0};
        char req[128];
        int fd = socket(AF_INET, SOCK_STREAM, 0), status = 0;
        size_t len = 0;
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
        while (len < size - 1 && (r = read(fd, buf + len, size - 1 - len)) > 0)
                len += (size_t)r;
        buf[len] = '\0';
        if (len > 12)
                sscanf(buf, "HTTP/1.1 %d", &status);
        close(fd);
        return status;
}

static int get(int port, const char *path)
{
        char buf[512];

        return get_into(port, path, buf, sizeof(buf));
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

static rd_kafka_t *consumer(void)
{
        struct dlp_common_config cc;
        char err[256];
        rd_kafka_t *rk;

        memset(&cc, 0, sizeof(cc));
        cc.bootstrap = "127.0.0.1:1"; /* nothing listens: nothing is sent */
        rk = dlp_kafka_consumer_new(&cc, "test", "test-group", "test-topic",
                                    NULL, NULL, NULL, err, sizeof(err));
        assert_non_null(rk);
        return rk;
}

/* /metrics: the worker's rows, then the consumer's statistics under the
 * worker's name, each with its help and current value. */
static void test_consumer_endpoint_shows_kafka_statistics(void **state)
{
        static atomic_ulong events = 5;
        const struct dlp_metric rows[] = {
            {"dlp_test_events_total", "events taken", DLP_COUNTER, &events,
             NULL},
        };
        rd_kafka_t *rk = consumer();
        struct dlp_kafka_stats *ks = dlp_kafka_consumer_stats(rk);
        static char body[8192];
        struct dlp_admin *a;

        atomic_store(&ks->consumer_lag, 7);
        atomic_store(&ks->rx_msgs, 8);
        atomic_store(&ks->brokers_up, 9);
        a = dlp_admin_start_consumer("127.0.0.1:0", "test", rows, 1, NULL, rk,
                                     "records of its partitions not committed");
        assert_non_null(a);
        assert_int_equal(dlp_stopping, 0);
        assert_int_equal(
            get_into(dlp_admin_port(a), "/metrics", body, sizeof(body)), 200);
        const char *want[] = {
            "# HELP dlp_test_events_total events taken\n"
            "# TYPE dlp_test_events_total counter\n"
            "dlp_test_events_total 5\n",
            "# HELP dlp_test_consumer_lag records of its partitions not "
            "committed (librdkafka statistics, every 5 s)\n"
            "# TYPE dlp_test_consumer_lag gauge\n"
            "dlp_test_consumer_lag 7\n",
            "# HELP dlp_test_kafka_rx_msgs messages fetched from Kafka\n"
            "# TYPE dlp_test_kafka_rx_msgs counter\n"
            "dlp_test_kafka_rx_msgs 8\n",
            "# HELP dlp_test_kafka_brokers_up brokers connected\n"
            "# TYPE dlp_test_kafka_brokers_up gauge\n"
            "dlp_test_kafka_brokers_up 9\n",
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                assert_non_null(strstr(body, want[i]));
        /* the worker's rows first */
        assert_true(strstr(body, want[0]) < strstr(body, want[1]));
        /* no broker: not ready, and the reason says so */
        assert_int_equal(get(dlp_admin_port(a), "/readyz"), 503);
        dlp_admin_stop(a);
        dlp_kafka_consumer_destroy(rk);
}

/* Without DLP_ADMIN_ADDR there is no endpoint and nothing is wrong; an
 * address that cannot be served stops the worker as a failure. */
static void test_consumer_endpoint_absent_or_failing(void **state)
{
        rd_kafka_t *rk = consumer();

        assert_null(
            dlp_admin_start_consumer(NULL, "test", NULL, 0, NULL, rk, "lag"));
        assert_int_equal(dlp_stopping, 0);
        assert_null(dlp_admin_start_consumer("no-such-host.invalid:x", "test",
                                             NULL, 0, NULL, rk, "lag"));
        assert_int_equal(dlp_stopping, DLP_STOP_FAILURE);
        dlp_stopping = 0;
        dlp_kafka_consumer_destroy(rk);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_probes_never_wait_on_the_check),
            cmocka_unit_test(test_consumer_endpoint_shows_kafka_statistics),
            cmocka_unit_test(test_consumer_endpoint_absent_or_failing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
