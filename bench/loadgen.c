/* loadgen.c - dlp-loadgen: signed Slack Events API POSTs against a
 * collector, for bench/collector.sh.
 *
 * N threads, each with one keep-alive HTTP/1.1 connection, send unique
 * envelopes (event_id = prefix + thread + counter) signed like Slack for a
 * fixed time, closed loop, and record each request's latency. Prints one
 * JSON object: requests, answers by status, per second, p50/p99/max. */
#define _GNU_SOURCE /* memmem, strcasestr */
#include "err.h"
#include "slack_sig.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct options {
        char host[64];
        int port;
        char path[256];
        const char *secret;
        const char *prefix;
        int concurrency;
        double duration_s;
};

struct worker {
        const struct options *opt;
        int id;
        pthread_t thread;
        double *lat_ms;
        size_t n, cap;
        unsigned long status[6]; /* by hundreds: 0 = no answer */
};

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int connect_to(const struct options *o)
{
        struct sockaddr_in sin = {0};
        int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

        if (fd < 0)
                return -1;
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)o->port);
        inet_pton(AF_INET, o->host, &sin.sin_addr);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
        while (len > 0) {
                ssize_t w = write(fd, buf, len);
                if (w <= 0)
                        return -1;
                buf += w;
                len -= (size_t)w;
        }
        return 0;
}

/* Reads one response; returns its status, 0 on a broken connection. */
static int read_response(int fd, char *buf, size_t size)
{
        size_t len = 0;
        char *end = NULL;
        long body = 0;
        int status;

        while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
                ssize_t r = read(fd, buf + len, size - len - 1);
                if (r <= 0)
                        return 0;
                len += (size_t)r;
                buf[len] = '\0';
        }
        if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
                return 0;
        char *cl = strcasestr(buf, "Content-Length:");
        if (cl && cl < end)
                body = strtol(cl + 15, NULL, 10);
        size_t have = len - (size_t)(end + 4 - buf);
        while ((long)have < body) {
                ssize_t r = read(fd, buf, size - 1);
                if (r <= 0)
                        return 0;
                have += (size_t)r;
        }
        return status;
}

static void *run(void *arg)
{
        struct worker *w = arg;
        const struct options *o = w->opt;
        int64_t end = now_ns() + (int64_t)(o->duration_s * 1e9);
        char body[2048], req[4096], resp[8192], sig[SLACK_SIG_LEN + 1], ts[24];
        unsigned long seq = 0;
        int fd = -1;

        while (now_ns() < end) {
                int blen, rlen, status;
                int64_t t0;

                blen = snprintf(
                    body, sizeof(body),
                    "{\"token\":\"load\",\"team_id\":\"T0LOAD\","
                    "\"api_app_id\":\"A0LOAD\",\"event\":{\"type\":"
                    "\"message\",\"channel\":\"C0LOAD%02d\",\"user\":"
                    "\"U0LOAD%03lu\",\"text\":\"load test message %lu "
                    "from thread %d: deploy of the payments service "
                    "finished, latency back to normal, see the "
                    "dashboard for details and ping me if anything "
                    "looks off\",\"ts\":\"1763900000.%06lu\","
                    "\"event_ts\":\"1763900000.%06lu\",\"channel_type\":"
                    "\"channel\"},\"type\":\"event_callback\","
                    "\"event_id\":\"%s%02dx%lu\",\"event_time\":"
                    "1763900000}",
                    w->id % 20, seq % 300, seq, w->id, seq % 1000000,
                    seq % 1000000, o->prefix, w->id, seq);
                snprintf(ts, sizeof(ts), "%ld", (long)time(NULL));
                slack_sig_compute(o->secret, ts, body, (size_t)blen, sig);
                rlen = snprintf(req, sizeof(req),
                                "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
                                "Content-Type: application/json\r\n"
                                "X-Slack-Request-Timestamp: %s\r\n"
                                "X-Slack-Signature: %s\r\n"
                                "Content-Length: %d\r\n\r\n%s",
                                o->path, o->host, o->port, ts, sig, blen, body);
                seq++;
                if (fd < 0 && (fd = connect_to(o)) < 0) {
                        w->status[0]++;
                        usleep(10000);
                        continue;
                }
                t0 = now_ns();
                status = send_all(fd, req, (size_t)rlen) == 0
                             ? read_response(fd, resp, sizeof(resp))
                             : 0;
                if (status == 0) {
                        close(fd);
                        fd = -1;
                }
                w->status[status / 100 < 6 ? status / 100 : 0]++;
                if (w->n == w->cap) {
                        w->cap = w->cap ? w->cap * 2 : 65536;
                        w->lat_ms =
                            realloc(w->lat_ms, w->cap * sizeof(*w->lat_ms));
                        if (!w->lat_ms)
                                abort();
                }
                w->lat_ms[w->n++] = (double)(now_ns() - t0) / 1e6;
        }
        if (fd >= 0)
                close(fd);
        return NULL;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        struct options o = {.host = "127.0.0.1",
                            .port = 3000,
                            .path = "/slack/events",
                            .secret = getenv("SLACK_SIGNING_SECRET"),
                            .prefix = "EvLG",
                            .concurrency = 16,
                            .duration_s = 10};
        struct worker *ws;
        double *all;
        size_t total = 0, k = 0;
        unsigned long status[6] = {0};

        for (int i = 1; i + 1 < argc; i += 2) {
                if (!strcmp(argv[i], "--addr") &&
                    dlp_parse_hostport(argv[i + 1], o.host, sizeof(o.host),
                                       &o.port) != DLP_OK) {
                        fprintf(stderr, "--addr: host:port\n");
                        return 2;
                } else if (!strcmp(argv[i], "--concurrency"))
                        o.concurrency = atoi(argv[i + 1]);
                else if (!strcmp(argv[i], "--duration"))
                        o.duration_s = atof(argv[i + 1]);
                else if (!strcmp(argv[i], "--prefix"))
                        o.prefix = argv[i + 1];
                else if (!strcmp(argv[i], "--secret"))
                        o.secret = argv[i + 1];
        }
        if (!o.secret || o.concurrency < 1) {
                fprintf(stderr, "usage: dlp-loadgen --addr H:P --secret S "
                                "[--concurrency N] [--duration S] "
                                "[--prefix EvX]\n");
                return 2;
        }
        ws = calloc((size_t)o.concurrency, sizeof(*ws));
        for (int i = 0; i < o.concurrency; i++) {
                ws[i].opt = &o;
                ws[i].id = i;
                pthread_create(&ws[i].thread, NULL, run, &ws[i]);
        }
        for (int i = 0; i < o.concurrency; i++) {
                pthread_join(ws[i].thread, NULL);
                total += ws[i].n;
                for (int s = 0; s < 6; s++)
                        status[s] += ws[i].status[s];
        }
        all = malloc((total ? total : 1) * sizeof(*all));
        for (int i = 0; i < o.concurrency; i++) {
                memcpy(all + k, ws[i].lat_ms, ws[i].n * sizeof(*all));
                k += ws[i].n;
                free(ws[i].lat_ms);
        }
        qsort(all, total, sizeof(*all), cmp);
        printf("{\"concurrency\":%d,\"duration_s\":%g,\"requests\":%zu,"
               "\"status\":{\"2xx\":%lu,\"4xx\":%lu,\"5xx\":%lu,"
               "\"no_answer\":%lu},\"ok_per_s\":%.0f,\"p50_ms\":%.2f,"
               "\"p99_ms\":%.2f,\"max_ms\":%.2f}\n",
               o.concurrency, o.duration_s, total, status[2], status[4],
               status[5], status[0], (double)status[2] / o.duration_s,
               total ? all[total / 2] : 0, total ? all[total * 99 / 100] : 0,
               total ? all[total - 1] : 0);
        free(all);
        free(ws);
        return 0;
}
