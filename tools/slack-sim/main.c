/* main.c - slack-sim: its settings table, start-up, and the stop on
 * SIGTERM/SIGINT. */
#include "slack_sim.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "httpd.h"
#include "log.h"
#include "util.h"

/* Bigger than any message Slack accepts (40,000 characters of text, 50
 * blocks of 3,000), even with every character \u-escaped, so such messages
 * are answered msg_too_long or invalid_blocks, not 413. */
#define SIM_MAX_BODY (2 * 1024 * 1024)

#define CONF struct slack_sim_config
static const struct dlp_setting sim_settings[] = {
    DLP_COMMON_SETTINGS(CONF),
    {"SLACK_SIM_LISTEN_ADDR", "listen-addr", DLP_SET_STR, "127.0.0.1:8471", 0,
     0, offsetof(CONF, listen_addr),
     "host:port to serve the Slack Web API on (port 0 picks one; the "
     "first stdout line says which)"},
    {"SLACK_SIM_TOKEN", "token", DLP_SET_SECRET, "xoxb-test-token", 0, 0,
     offsetof(CONF, token),
     "bot token every API call must carry (Authorization: Bearer …)"},
    {"SLACK_SIM_ADMIN_TOKEN", "admin-token", DLP_SET_SECRET,
     "xoxp-admin-token", 0, 0, offsetof(CONF, admin_token),
     "a workspace admin's user token: may delete anyone's messages and "
     "files"},
    {"SLACK_SIM_TIER3_PER_MIN", "tier3-per-min", DLP_SET_DOUBLE, "50", 0, 1e6,
     offsetof(CONF, tier3_per_min),
     "calls/min allowed per Tier 3 method (chat.delete, conversations.open, "
     "files.delete; 0 = no limit)"},
    {"SLACK_SIM_TIER3_BURST", "tier3-burst", DLP_SET_INT, "10", 1, 1e6,
     offsetof(CONF, tier3_burst), "token bucket size per Tier 3 method"},
    {"SLACK_SIM_RATE", "rate", DLP_SET_DOUBLE, "1.0", 0, 1e6,
     offsetof(CONF, rate),
     "messages/s allowed per channel (token bucket refill; 0 = no "
     "limit)"},
    {"SLACK_SIM_BURST", "burst", DLP_SET_INT, "3", 1, 1e6,
     offsetof(CONF, burst), "token bucket size per channel"},
    {"SLACK_SIM_CHANNELS", "channels", DLP_SET_STR, NULL, 0, 0,
     offsetof(CONF, channels),
     "comma list of the channel ids that exist (unset or empty: every "
     "id like C0123ABC, D…, G… exists)"},
    {"SLACK_SIM_FAIL_EVERY", "fail-every", DLP_SET_INT, "0", 0, 1e9,
     offsetof(CONF, fail_every),
     "answer every Nth API call HTTP 500 (fault injection; 0 = off)"},
    {"SLACK_SIM_THREADS", "threads", DLP_SET_INT, "4", 1, 64,
     offsetof(CONF, threads), "HTTP server threads"},
    {"SLACK_SIM_MAX_MESSAGES", "max-messages", DLP_SET_INT, "100000", 1, 1e7,
     offsetof(CONF, max_messages),
     "posted messages kept for /_sim/messages (the oldest go first)"},
};
#undef CONF

static int sim_config_validate(const void *config, char *errstr,
                               size_t errstr_size)
{
        const struct slack_sim_config *conf = config;
        char host[128];
        int port;

        if (dlp_parse_hostport(conf->listen_addr, host, sizeof(host), &port) !=
            DLP_OK) {
                snprintf(errstr, errstr_size,
                         "SLACK_SIM_LISTEN_ADDR (--listen-addr): '%s' is not "
                         "host:port",
                         conf->listen_addr);
                return DLP_ERR_CONFIG;
        }
        if (!conf->token || !*conf->token) {
                snprintf(errstr, errstr_size,
                         "SLACK_SIM_TOKEN (--token) must not be empty");
                return DLP_ERR_CONFIG;
        }
        return DLP_OK;
}

static const struct dlp_config_spec sim_spec = {
    .worker = "slack-sim",
    .summary = "Simulates the Slack Web API methods the reporter calls "
               "(chat.postMessage, chat.getPermalink, conversations.open) "
               "as strictly as Slack, and shows tests what was posted "
               "(GET /_sim/messages, GET /_sim/stats, POST /_sim/reset).",
    .settings = sim_settings,
    .cnt = sizeof(sim_settings) / sizeof(sim_settings[0]),
    .validate = sim_config_validate,
};

int main(int argc, char **argv)
{
        struct slack_sim_config conf;
        struct slack_sim *sim = NULL;
        struct dlp_httpd *httpd = NULL;
        char errstr[512], host[128];
        int port, err, rc = 1;

        memset(&conf, 0, sizeof(conf));
        dlp_log_init("slack-sim", DLP_LOG_INFO);
        err = dlp_config_load(&sim_spec, &conf, argc, argv, errstr,
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

out:
        dlp_httpd_stop(httpd); /* waits for the handlers; nothing suspends */
        sim_destroy(sim);
        dlp_config_free(&sim_spec, &conf);
        return rc;
}
