/* admin.c - /healthz, /readyz, /metrics (see admin.h). */
#include "admin.h"
#include "err.h"
#include "httpd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[DLP_HIST_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

struct dlp_admin {
        struct dlp_httpd *httpd;
        const char *worker;
        const struct dlp_metric *metrics;
        size_t n;
        rd_kafka_t *producer, *consumer;
};

void dlp_hist_observe(struct dlp_hist *h, double seconds)
{
        int i = 0;

        while (i < DLP_HIST_BUCKETS && seconds > bounds[i])
                i++;
        atomic_fetch_add(&h->bucket[i], 1);
        atomic_fetch_add(&h->sum_us, (unsigned long)(seconds * 1e6));
        atomic_fetch_add(&h->count, 1);
}

/* A growable text buffer for the exposition. */
struct text {
        char *p;
        size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
        va_list ap;
        int n;

        for (;;) {
                size_t room = t->cap - t->len;
                va_start(ap, fmt);
                n = vsnprintf(t->p ? t->p + t->len : NULL, room, fmt, ap);
                va_end(ap);
                if (n < 0)
                        return;
                if ((size_t)n < room) {
                        t->len += (size_t)n;
                        return;
                }
                size_t cap = (t->cap + (size_t)n + 1) * 2;
                char *np = realloc(t->p, cap);
                if (!np)
                        return;
                t->p = np;
                t->cap = cap;
        }
}

static void metrics(struct dlp_admin *a, struct dlp_http_resp *resp)
{
        struct text t = {0};
        static const char *const types[] = {"counter", "gauge", "histogram"};

        for (size_t i = 0; i < a->n; i++) {
                const struct dlp_metric *m = &a->metrics[i];
                put(&t, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
                    m->name, types[m->type]);
                if (m->type != DLP_HISTOGRAM) {
                        put(&t, "%s %lu\n", m->name, atomic_load(m->value));
                        continue;
                }
                unsigned long cum = 0;
                for (int b = 0; b <= DLP_HIST_BUCKETS; b++) {
                        cum += atomic_load(&m->hist->bucket[b]);
                        if (b < DLP_HIST_BUCKETS)
                                put(&t, "%s_bucket{le=\"%g\"} %lu\n", m->name,
                                    bounds[b], cum);
                        else
                                put(&t, "%s_bucket{le=\"+Inf\"} %lu\n", m->name,
                                    cum);
                }
                put(&t, "%s_sum %.6f\n%s_count %lu\n", m->name,
                    (double)atomic_load(&m->hist->sum_us) / 1e6, m->name,
                    atomic_load(&m->hist->count));
        }
        resp->status = 200;
        resp->body = t.p ? t.p : strdup("");
        resp->body_len = t.len;
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* Ready: Kafka answers, and a consumer has partitions. */
static int ready(struct dlp_admin *a, char *why, size_t size)
{
        const struct rd_kafka_metadata *md;
        rd_kafka_t *rk = a->consumer ? a->consumer : a->producer;

        if (rd_kafka_metadata(rk, 0, NULL, &md, 2000) != 0) {
                snprintf(why, size, "kafka does not answer\n");
                return 0;
        }
        rd_kafka_metadata_destroy(md);
        if (a->consumer) {
                rd_kafka_topic_partition_list_t *parts;
                int n = 0;
                if (rd_kafka_assignment(a->consumer, &parts) == 0) {
                        n = parts->cnt;
                        rd_kafka_topic_partition_list_destroy(parts);
                }
                if (n == 0) {
                        snprintf(why, size, "no partitions assigned\n");
                        return 0;
                }
        }
        return 1;
}

static int on_request(void *opaque, struct dlp_http_req *req,
                      struct dlp_http_resp *resp)
{
        struct dlp_admin *a = opaque;
        char why[128];

        if (strcmp(req->method, "GET") != 0)
                dlp_http_resp_text(resp, 405, "method not allowed\n");
        else if (!strcmp(req->path, "/healthz"))
                dlp_http_resp_text(resp, 200, "ok\n");
        else if (!strcmp(req->path, "/readyz")) {
                if (ready(a, why, sizeof(why)))
                        dlp_http_resp_text(resp, 200, "ready\n");
                else
                        dlp_http_resp_text(resp, 503, why);
        } else if (!strcmp(req->path, "/metrics"))
                metrics(a, resp);
        else
                dlp_http_resp_text(resp, 404, "not found\n");
        return DLP_OK;
}

struct dlp_admin *dlp_admin_start(const char *addr, const char *worker,
                                  const struct dlp_metric *m, size_t n,
                                  rd_kafka_t *producer, rd_kafka_t *consumer,
                                  char *errstr, size_t errstr_size)
{
        struct dlp_admin *a = calloc(1, sizeof(*a));

        if (!a) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        *a = (struct dlp_admin){NULL, worker, m, n, producer, consumer};
        a->httpd =
            dlp_httpd_start(addr, 1, 4096, on_request, a, errstr, errstr_size);
        if (!a->httpd) {
                free(a);
                return NULL;
        }
        return a;
}

void dlp_admin_stop(struct dlp_admin *a)
{
        if (!a)
                return;
        dlp_httpd_stop(a->httpd);
        free(a);
}
