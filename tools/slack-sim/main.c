/* main.c - slack-sim: its settings table, start-up, and the stop on
 * SIGTERM/SIGINT. */
#include "slack_sim.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "fleet.h"
#include "httpd.h"
#include "log.h"
#include "util.h"

/* Bigger than any message Slack accepts (40,000 characters of text, 50
 * blocks of 3,000), even with every character \u-escaped, so such messages
 * are answered msg_too_long or invalid_blocks, not 413; and room for a
 * seeded file (POST /_sim/files) of 10 MiB in base64. */
#define SIM_MAX_BODY (24 * 1024 * 1024)

int main(int argc, char **argv)
{
        struct slack_sim_config conf;
        struct slack_sim *sim = NULL;
        struct dlp_httpd *httpd = NULL;
        char errstr[512], host[128];
        int port, err, rc = 1;

        memset(&conf, 0, sizeof(conf));
        dlp_log_init("slack-sim", DLP_LOG_INFO);
        err = dlp_config_load(&slack_sim_spec, &conf, argc, argv, errstr,
                              sizeof(errstr));
        if (err == DLP_ERR_HELP) {
                rc = 0;
                goto out;
        }
        if (err != DLP_OK) {
                LOG_ERROR("%s",
                          err == DLP_ERR_CONFIG ? errstr : dlp_strerror(err));
                rc = 2;
                goto out;
        }
        dlp_stop_install();

        sim = sim_new(&conf, errstr, sizeof(errstr));
        if (!sim) {
                LOG_ERROR("%s", errstr);
                rc = 2;
                goto out;
        }
        httpd = dlp_httpd_start(conf.listen_addr, (unsigned)conf.threads,
                                SIM_MAX_BODY, sim_handle, sim, errstr,
                                sizeof(errstr));
        if (!httpd) {
                LOG_ERROR("%s", errstr);
                goto out;
        }
        dlp_parse_hostport(conf.listen_addr, host, sizeof(host), &port);
        if (!strcmp(host, "localhost"))
                snprintf(host, sizeof(host), "127.0.0.1"); /* as httpd does */
        /* scripts started with port 0 read the port from this line */
        printf("listening on %s:%d\n", host, dlp_httpd_port(httpd));
        fflush(stdout);
        LOG_INFO("listening on %s:%d (rate %g/s per channel, burst %ld, "
                 "channels %s, fail every %ld)",
                 host, dlp_httpd_port(httpd), conf.rate, conf.burst,
                 conf.channels && *conf.channels ? conf.channels : "any",
                 conf.fail_every);

        while (!dlp_stopping)
                dlp_sleep_ms(1000);
        LOG_INFO("stopping");
        rc = 0;

        /* slow downloads still out are answered first (at most 60 s) */
        for (int i = 0; i < 6100 && sim && atomic_load(&sim->delayed) > 0; i++)
                dlp_sleep_ms(10);

out:
        dlp_httpd_stop(httpd); /* waits for the handlers; the late answers
                                  are done */
        sim_destroy(sim);
        dlp_config_free(&slack_sim_spec, &conf);
        return rc;
}
