/* admin.c - /healthz, /readyz, /metrics (see admin.h). */
#include "admin.h"
#include "err.h"
#include "httpd.h"
#include "kafka.h"
#include "log.h"
#include "util.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bounds[DLP_HIST_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

#define READY_INTERVAL_MS 1000

struct dlp_admin {
        struct dlp_httpd *httpd;
        const char *worker;
        const struct dlp_metric *metrics;
        size_t n;
        rd_kafka_t *producer, *consumer;
        dlp_ready_fn ready;
        void *ready_opaque;
        /* the worker's own "not now" (dlp_admin_unready_when); the flag is
         * published after its reason */
        _Atomic(const atomic_ulong *) unready;
        const char *unready_why;
        /* the checker thread and its last verdict, under lock */
        pthread_t checker;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int stopping;
        int is_ready;
        char why[128];
        struct consumer_table *owned; /* dlp_admin_start_consumer's */
};

/* A consumer worker's table: its own rows, then the consumer's statistics
 * rows, whose names and help are kept here. */
struct consumer_table {
        char names[3][64];
        char lag_help[160];
        struct dlp_metric rows[];
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
        dlp_http_resp_take(resp, 200, t.p ? t.p : strdup(""), t.len,
                           "text/plain; version=0.0.4; charset=utf-8");
}

/* Ready: Kafka answers, and a consumer has partitions. */
static int kafka_ready(void *opaque, char *why, size_t size)
{
        struct dlp_admin *a = opaque;
        const struct rd_kafka_metadata *md;
        rd_kafka_t *rk = a->consumer ? a->consumer : a->producer;

        if (rd_kafka_metadata(rk, 0, NULL, &md, 2000) != 0) {
                snprintf(why, size, "kafka does not answer\n");
                return 0;
        }
        rd_kafka_metadata_destroy(md);
        const atomic_ulong *unready = atomic_load(&a->unready);
        if (unready && atomic_load(unready)) {
                snprintf(why, size, "%s\n", a->unready_why);
                return 0;
        }
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

/* Checks readiness now and then, off the request threads. */
static void *checker(void *arg)
{
        struct dlp_admin *a = arg;

        pthread_mutex_lock(&a->lock);
        while (!a->stopping) {
                char why[sizeof(a->why)] = "";
                struct timespec ts;
                int r;

                pthread_mutex_unlock(&a->lock);
                r = a->ready(a->ready_opaque, why, sizeof(why));
                pthread_mutex_lock(&a->lock);
                a->is_ready = r;
                memcpy(a->why, why, sizeof(why));
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += READY_INTERVAL_MS / 1000;
                while (!a->stopping &&
                       pthread_cond_timedwait(&a->cond, &a->lock, &ts) == 0)
                        ;
        }
        pthread_mutex_unlock(&a->lock);
        return NULL;
}

static int on_request(void *opaque, struct dlp_http_req *req,
                      struct dlp_http_resp *resp)
{
        struct dlp_admin *a = opaque;
        char why[sizeof(a->why)];
        int ok;

        if (strcmp(req->method, "GET") != 0)
                dlp_http_resp_text(resp, 405, "method not allowed\n");
        else if (!strcmp(req->path, "/healthz"))
                dlp_http_resp_text(resp, 200, "ok\n");
        else if (!strcmp(req->path, "/readyz")) {
                pthread_mutex_lock(&a->lock);
                ok = a->is_ready;
                memcpy(why, a->why, sizeof(why));
                pthread_mutex_unlock(&a->lock);
                if (ok)
                        dlp_http_resp_text(resp, 200, "ready\n");
                else
                        dlp_http_resp_text(resp, 503, why);
        } else if (!strcmp(req->path, "/metrics"))
                metrics(a, resp);
        else
                dlp_http_resp_text(resp, 404, "not found\n");
        return DLP_OK;
}

static struct dlp_admin *admin_start(const char *addr, const char *worker,
                                     const struct dlp_metric *m, size_t n,
                                     dlp_ready_fn ready, void *opaque,
                                     rd_kafka_t *producer, rd_kafka_t *consumer,
                                     char *errstr, size_t errstr_size)
{
        struct dlp_admin *a = calloc(1, sizeof(*a));

        if (!a) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        a->producer = producer;
        a->consumer = consumer;
        a->worker = worker;
        a->metrics = m;
        a->n = n;
        a->ready = ready;
        a->ready_opaque = opaque ? opaque : a;
        snprintf(a->why, sizeof(a->why), "not checked yet\n");
        pthread_mutex_init(&a->lock, NULL);
        pthread_cond_init(&a->cond, NULL);
        if (pthread_create(&a->checker, NULL, checker, a) != 0) {
                snprintf(errstr, errstr_size, "cannot start a thread");
                goto fail;
        }
        a->httpd =
            dlp_httpd_start(addr, 1, 4096, on_request, a, errstr, errstr_size);
        if (!a->httpd) {
                pthread_mutex_lock(&a->lock);
                a->stopping = 1;
                pthread_cond_signal(&a->cond);
                pthread_mutex_unlock(&a->lock);
                pthread_join(a->checker, NULL);
                goto fail;
        }
        return a;
fail:
        pthread_cond_destroy(&a->cond);
        pthread_mutex_destroy(&a->lock);
        free(a);
        return NULL;
}

struct dlp_admin *dlp_admin_start_check(const char *addr, const char *worker,
                                        const struct dlp_metric *m, size_t n,
                                        dlp_ready_fn ready, void *opaque,
                                        char *errstr, size_t errstr_size)
{
        return admin_start(addr, worker, m, n, ready, opaque, NULL, NULL,
                           errstr, errstr_size);
}

struct dlp_admin *dlp_admin_start(const char *addr, const char *worker,
                                  const struct dlp_metric *m, size_t n,
                                  rd_kafka_t *producer, rd_kafka_t *consumer,
                                  char *errstr, size_t errstr_size)
{
        return admin_start(addr, worker, m, n, kafka_ready, NULL, producer,
                           consumer, errstr, errstr_size);
}

struct dlp_admin *dlp_admin_start_consumer(const char *addr, const char *worker,
                                           const struct dlp_metric *m, size_t n,
                                           rd_kafka_t *producer,
                                           rd_kafka_t *consumer,
                                           const char *lag_help)
{
        const struct dlp_kafka_stats *ks = dlp_kafka_consumer_stats(consumer);
        struct consumer_table *t;
        struct dlp_admin *a = NULL;
        char errstr[256] = "out of memory";

        if (!addr)
                return NULL;
        t = calloc(1, sizeof(*t) + (n + 3) * sizeof(t->rows[0]));
        if (t) {
                snprintf(t->names[0], sizeof(t->names[0]),
                         "dlp_%s_consumer_lag", worker);
                snprintf(t->names[1], sizeof(t->names[1]),
                         "dlp_%s_kafka_rx_msgs", worker);
                snprintf(t->names[2], sizeof(t->names[2]),
                         "dlp_%s_kafka_brokers_up", worker);
                snprintf(t->lag_help, sizeof(t->lag_help),
                         "%s (librdkafka statistics, every 5 s)", lag_help);
                if (n)
                        memcpy(t->rows, m, n * sizeof(*m));
                t->rows[n] =
                    (struct dlp_metric){t->names[0], t->lag_help, DLP_GAUGE,
                                        &ks->consumer_lag, NULL};
                t->rows[n + 1] = (struct dlp_metric){
                    t->names[1], "messages fetched from Kafka", DLP_COUNTER,
                    &ks->rx_msgs, NULL};
                t->rows[n + 2] =
                    (struct dlp_metric){t->names[2], "brokers connected",
                                        DLP_GAUGE, &ks->brokers_up, NULL};
                a = admin_start(addr, worker, t->rows, n + 3, kafka_ready, NULL,
                                producer, consumer, errstr, sizeof(errstr));
        }
        if (!a) {
                LOG_ERROR("DLP_ADMIN_ADDR: %s", errstr);
                dlp_stop_failure();
                free(t);
                return NULL;
        }
        a->owned = t; /* the endpoint's from now on */
        return a;
}

int dlp_admin_port(const struct dlp_admin *a)
{
        return dlp_httpd_port(a->httpd);
}

void dlp_admin_unready_when(struct dlp_admin *a, const atomic_ulong *flag,
                            const char *why)
{
        if (!a)
                return;
        a->unready_why = why;
        atomic_store(&a->unready, flag);
}

void dlp_admin_stop(struct dlp_admin *a)
{
        if (!a)
                return;
        dlp_httpd_stop(a->httpd);
        pthread_mutex_lock(&a->lock);
        a->stopping = 1;
        pthread_cond_signal(&a->cond);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->checker, NULL);
        pthread_cond_destroy(&a->cond);
        pthread_mutex_destroy(&a->lock);
        free(a->owned);
        free(a);
}
