/* main.c - dlp-sim: settings, start-up and the stop sequence. */
#include "sim.h"
#include "config.h"
#include "err.h"
#include "httpd.h"
#include "log.h"
#include "util.h"

#include <stdio.h>

/* Bodies up to this size are read and answered with Google's "Content size
 * N exceeds limit" when over DLP_SIM_MAX_BYTES; the shared server answers
 * bigger ones 413 itself, unread (and they are not counted). */
#define SIM_BODY_READ_MIN (8L << 20)

/* The common settings (Kafka, topics) are in the table so that every
 * binary loads its settings the same way; dlp-sim uses only DLP_LOG_LEVEL
 * and DLP_ADMIN_ADDR of them. */
static const struct dlp_setting sim_settings[] = {
    DLP_COMMON_SETTINGS(struct sim_config),
    DLP_ADMIN_SETTING(struct sim_config),
    {"DLP_SIM_LISTEN_ADDR", "listen-addr", DLP_SET_STR, "127.0.0.1:8470", 0, 0,
     offsetof(struct sim_config, listen_addr),
     "host:port of the simulated DLP API (port 0 picks one; the first "
     "line on stdout says which)"},
    {"DLP_SIM_RATE_LIMIT", "rate-limit", DLP_SET_INT, "10", 1, 100000,
     offsetof(struct sim_config, rate_limit),
     "requests admitted in any sliding 1 s window; more get 429"},
    {"DLP_SIM_MAX_ROWS", "max-rows", DLP_SET_INT, "100", 1, 50000,
     offsetof(struct sim_config, max_rows),
     "table rows per request; more get 400"},
    {"DLP_SIM_MAX_BYTES", "max-bytes", DLP_SET_INT, "524288", 1, 67108864,
     offsetof(struct sim_config, max_bytes),
     "request body bytes; more get 400 \"Content size N exceeds limit\""},
    {"DLP_SIM_MAX_VALUES", "max-values", DLP_SET_INT, "50000", 1, 10000000,
     offsetof(struct sim_config, max_values),
     "table values (cells) per request; more get 400"},
    {"DLP_SIM_MAX_FINDINGS", "max-findings", DLP_SET_INT, "3000", 1, 1000000,
     offsetof(struct sim_config, max_findings),
     "findings per answer; the rest are cut with findingsTruncated"},
    {"DLP_SIM_TOKEN", "token", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(struct sim_config, token),
     "if set, requests need 'Authorization: Bearer <token>' (or "
     "X-Goog-Api-Key / ?key=), else 401"},
    {"DLP_SIM_LATENCY_MS", "latency-ms", DLP_SET_INT, "20", 0, 600000,
     offsetof(struct sim_config, latency_ms),
     "added service latency of admitted requests, ms: the median when "
     "DLP_SIM_LATENCY_SIGMA > 0"},
    {"DLP_SIM_LATENCY_SIGMA", "latency-sigma", DLP_SET_DOUBLE, "0", 0, 3,
     offsetof(struct sim_config, latency_sigma),
     "spread of the latency: each request waits median * exp(sigma * "
     "N(0,1)), lognormal like a real service (0: constant)"},
    {"DLP_SIM_THREADS", "threads", DLP_SET_INT, "4", 1, 64,
     offsetof(struct sim_config, threads), "HTTP server threads"},
    {"DLP_SIM_FAIL_EVERY", "fail-every", DLP_SET_INT, "0", 0, 1000000,
     offsetof(struct sim_config, fail_every),
     "fault injection: every Nth admitted request gets 503 UNAVAILABLE "
     "(0: off)"},
    {"DLP_SIM_POISON", "poison", DLP_SET_STR, "DLP_SIM_POISON", 0, 0,
     offsetof(struct sim_config, poison),
     "a request with a cell containing this marker gets 400 naming the "
     "row (empty: off)"},
};

static const struct dlp_config_spec sim_spec = {
    .worker = "dlp-sim",
    .summary = "Simulates Google Cloud DLP v2 content:inspect and enforces "
               "its limits strictly.",
    .settings = sim_settings,
    .cnt = sizeof(sim_settings) / sizeof(sim_settings[0]),
};

/* Prints "listening on host:port" as the first line on stdout, so that a
 * script that started us with port 0 learns the port. */
static void announce(const char *listen_addr, int port)
{
        char host[128];
        int ignored;

        if (dlp_parse_hostport(listen_addr, host, sizeof(host), &ignored))
                snprintf(host, sizeof(host), "127.0.0.1");
        printf("listening on %s:%d\n", host, port);
        fflush(stdout);
}

int main(int argc, char **argv)
{
        struct sim_config conf = {0};
        struct sim sim = {0};
        struct dlp_httpd *httpd = NULL, *admin = NULL;
        char errstr[512];
        size_t max_read;
        int err, rc = 1;

        dlp_log_init("dlp-sim", DLP_LOG_INFO);
        err = dlp_config_load(&sim_spec, &conf, argc, argv, errstr,
                              sizeof(errstr));
        if (err == DLP_ERR_HELP) {
                dlp_config_free(&sim_spec, &conf);
                return 0;
        }
        if (err) {
                LOG_ERROR("%s",
                          err == DLP_ERR_CONFIG ? errstr : dlp_strerror(err));
                dlp_config_free(&sim_spec, &conf);
                return 2;
        }
        dlp_stop_install();

        sim.conf = &conf;
        sim.limits.max_bytes = (size_t)conf.max_bytes;
        sim.limits.max_rows = (size_t)conf.max_rows;
        sim.limits.max_values = (size_t)conf.max_values;
        sim.limits.max_findings = (size_t)conf.max_findings;
        sim.limits.poison = conf.poison;
        sim.stats =
            sim_stats_new(conf.rate_limit, conf.max_rows, conf.fail_every);
        if (!sim.stats) {
                LOG_ERROR("out of memory");
                goto out;
        }
        sim.delay = sim_delay_start(conf.latency_ms, conf.latency_sigma, errstr, sizeof(errstr));
        if (!sim.delay) {
                LOG_ERROR("%s", errstr);
                goto out;
        }
        max_read = conf.max_bytes * 2 > SIM_BODY_READ_MIN
                       ? (size_t)conf.max_bytes * 2
                       : (size_t)SIM_BODY_READ_MIN;
        httpd =
            dlp_httpd_start(conf.listen_addr, (unsigned)conf.threads, max_read,
                            sim_handle, &sim, errstr, sizeof(errstr));
        if (!httpd) {
                LOG_ERROR("DLP_SIM_LISTEN_ADDR: %s", errstr);
                goto out;
        }
        if (conf.common.admin_addr && *conf.common.admin_addr) {
                admin = dlp_httpd_start(conf.common.admin_addr, 1, 0,
                                        sim_handle_admin, &sim, errstr,
                                        sizeof(errstr));
                if (!admin) {
                        LOG_ERROR("DLP_ADMIN_ADDR: %s", errstr);
                        goto out;
                }
                LOG_INFO("admin endpoints (/healthz, /readyz, /metrics) on "
                         "port %d",
                         dlp_httpd_port(admin));
        }
        announce(conf.listen_addr, dlp_httpd_port(httpd));
        LOG_INFO("listening on port %d: rate limit %ld/s, max %ld rows, %ld "
                 "bytes, %ld values, %ld findings, latency %ld ms (sigma %g)%s",
                 dlp_httpd_port(httpd), conf.rate_limit, conf.max_rows,
                 conf.max_bytes, conf.max_values, conf.max_findings,
                 conf.latency_ms, conf.latency_sigma,
                 conf.token && *conf.token ? ", token required" : "");

        while (dlp_sleep_ms(1000) == DLP_OK)
                ;
        LOG_INFO("stopping");
        rc = 0;
out:
        /* answers still waiting for their latency go out now; the server
         * needs every suspended request completed before it stops */
        sim_delay_stop(sim.delay);
        dlp_httpd_stop(admin);
        dlp_httpd_stop(httpd);
        sim_delay_free(sim.delay);
        sim_stats_free(sim.stats);
        dlp_config_free(&sim_spec, &conf);
        return rc;
}
