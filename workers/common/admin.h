/* admin.h - every worker's admin endpoint (DLP_ADMIN_ADDR):
 *
 *   GET /healthz  200 while the process serves at all
 *   GET /readyz   200 when Kafka answers a metadata request (and, for a
 *                 consumer, the group gave it partitions), else 503 + why;
 *                 checked every second on a thread of its own and answered
 *                 from that last verdict, so that neither probe ever waits
 *                 on Kafka (a liveness probe queued behind a 2 s metadata
 *                 request would fail Kubernetes' 1 s timeout and kill a
 *                 healthy pod during a Kafka outage)
 *   GET /metrics  Prometheus text format: the worker's counters, gauges and
 *                 histograms, from a table like the configuration's
 *
 * Threads: counters and histograms are atomics that the worker updates from
 * any of its threads; the endpoint reads them from its own HTTP thread.
 * dlp_admin_start() and dlp_admin_stop() belong to the main thread. */
#ifndef DLP_ADMIN_H
#define DLP_ADMIN_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stddef.h>

#define DLP_HIST_BUCKETS 12

/* A latency histogram in seconds with fixed buckets (5 ms .. 30 s). */
struct dlp_hist {
        atomic_ulong bucket[DLP_HIST_BUCKETS + 1]; /* last: +Inf */
        atomic_ulong sum_us;
        atomic_ulong count;
};
void dlp_hist_observe(struct dlp_hist *h, double seconds);

enum dlp_metric_type { DLP_COUNTER, DLP_GAUGE, DLP_HISTOGRAM };

struct dlp_metric {
        const char *name; /* dlp_inspector_requests_total */
        const char *help;
        enum dlp_metric_type type;
        const atomic_ulong *value;   /* COUNTER, GAUGE */
        const struct dlp_hist *hist; /* HISTOGRAM */
};

struct dlp_admin;

/* Starts serving on \p addr; \p producer and \p consumer (may be NULL) are
 * what readiness checks. The tables must outlive the endpoint. NULL and
 * errstr on failure. */
struct dlp_admin *dlp_admin_start(const char *addr, const char *worker,
                                  const struct dlp_metric *metrics, size_t n,
                                  rd_kafka_t *producer, rd_kafka_t *consumer,
                                  char *errstr, size_t errstr_size);
/* A consumer worker's endpoint (inspector, reporter), or NULL when there is
 * none. With \p addr NULL (DLP_ADMIN_ADDR unset) there is none to start.
 * /metrics shows \p metrics followed by what librdkafka's statistics say of
 * \p consumer (made by dlp_kafka_consumer_new()): dlp_<worker>_consumer_lag
 * with \p lag_help saying what the lag counts, dlp_<worker>_kafka_rx_msgs
 * and dlp_<worker>_kafka_brokers_up; readiness is dlp_admin_start()'s.
 * An endpoint that cannot start is said (log, naming DLP_ADMIN_ADDR) and
 * stops the worker as a failure (dlp_stop_failure): its probes would never
 * answer. The tables and \p lag_help must outlive the endpoint. */
struct dlp_admin *dlp_admin_start_consumer(const char *addr, const char *worker,
                                           const struct dlp_metric *metrics,
                                           size_t n, rd_kafka_t *producer,
                                           rd_kafka_t *consumer,
                                           const char *lag_help);
/* Readiness: 1 when ready, else 0 with \p why filled ("...\n"). May
 * block (it runs on the admin's checker thread, never on a request). */
typedef int (*dlp_ready_fn)(void *opaque, char *why, size_t why_size);
/* The same endpoint with another readiness check (tests; a worker whose
 * readiness is more than Kafka). */
struct dlp_admin *dlp_admin_start_check(const char *addr, const char *worker,
                                        const struct dlp_metric *metrics,
                                        size_t n, dlp_ready_fn ready,
                                        void *opaque, char *errstr,
                                        size_t errstr_size);
/* The port it listens on (for DLP_ADMIN_ADDR with port 0). */
int dlp_admin_port(const struct dlp_admin *admin);
/* With the Kafka readiness check: /readyz answers 503 with \p why while
 * *\p flag is non-zero (both must outlive the endpoint); \p admin may be
 * NULL. */
void dlp_admin_unready_when(struct dlp_admin *admin, const atomic_ulong *flag,
                            const char *why);
void dlp_admin_stop(struct dlp_admin *admin);

#endif
