/* main.c - dlp-sim: settings, start-up and the stop sequence. */
#include "sim.h"
#include "config.h"
#include "err.h"
#include "fleet.h"
#include "httpd.h"
#include "log.h"
#include "util.h"

#include <stdio.h>

/* Bodies up to this size are read and answered with Google's "Content size
 * N exceeds limit" when over DLP_SIM_MAX_BYTES; the shared server answers
 * bigger ones 413 itself, unread (and they are not counted). */
#define SIM_BODY_READ_MIN (8L << 20)

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
        json_t *templates = NULL;
        char errstr[512];
        size_t max_read;
        int err, rc = 1;

        dlp_log_init("dlp-sim", DLP_LOG_INFO);
        err = dlp_config_load(&dlp_sim_spec, &conf, argc, argv, errstr,
                              sizeof(errstr));
        if (err == DLP_ERR_HELP) {
                dlp_config_free(&dlp_sim_spec, &conf);
                return 0;
        }
        if (err) {
                LOG_ERROR("%s",
                          err == DLP_ERR_CONFIG ? errstr : dlp_strerror(err));
                dlp_config_free(&dlp_sim_spec, &conf);
                return 2;
        }
        dlp_stop_install();

        sim.conf = &conf;
        sim.limits.max_bytes = (size_t)conf.max_bytes;
        sim.limits.max_rows = (size_t)conf.max_rows;
        sim.limits.max_values = (size_t)conf.max_values;
        sim.limits.max_findings = (size_t)conf.max_findings;
        sim.limits.poison = conf.poison;
        sim.limits.cfg_cache = sim_cfg_cache_new(); /* NULL: none kept */
        if (conf.templates && *conf.templates) {
                templates =
                    sim_templates_load(conf.templates, errstr, sizeof(errstr));
                if (!templates) {
                        LOG_ERROR("DLP_SIM_TEMPLATES: %s", errstr);
                        rc = 2;
                        goto out;
                }
                LOG_INFO("%zu inspect templates from %s",
                         json_object_size(templates), conf.templates);
        }
        sim.limits.templates = templates;
        sim.stats =
            sim_stats_new(conf.rate_limit, conf.max_rows, conf.fail_every);
        if (!sim.stats) {
                LOG_ERROR("out of memory");
                goto out;
        }
        sim.delay = sim_delay_start(conf.latency_ms, conf.latency_sigma, errstr,
                                    sizeof(errstr));
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
        if (!sim_pdf_available())
                LOG_WARN("built without poppler: PDF byteItems are accepted "
                         "and answered with no findings");

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
        json_decref(templates);
        sim_cfg_cache_free(sim.limits.cfg_cache);
        dlp_config_free(&dlp_sim_spec, &conf);
        return rc;
}
