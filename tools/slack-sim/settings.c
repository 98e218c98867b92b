/* settings.c - slack-sim's settings table: the only list of its
 * settings (see config.h; fleet.h says why every binary links every
 * table). */
#include "slack_sim.h"
#include "err.h"
#include "fleet.h"
#include "util.h"

#include <stddef.h>
#include <stdio.h>

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
    {"SLACK_SIM_ADMIN_TOKEN", "admin-token", DLP_SET_SECRET, "xoxp-admin-token",
     0, 0, offsetof(CONF, admin_token),
     "a workspace admin's user token: may delete anyone's messages and "
     "files"},
    {"SLACK_SIM_NOFILES_TOKEN", "nofiles-token", DLP_SET_SECRET,
     "xoxb-nofiles-token", 0, 0, offsetof(CONF, nofiles_token),
     "a bot token without the files:read scope: files.info answers "
     "missing_scope, a download gets Slack's HTML login page (status 200)"},
    {"SLACK_SIM_TIER4_PER_MIN", "tier4-per-min", DLP_SET_DOUBLE, "100", 0, 1e6,
     offsetof(CONF, tier4_per_min),
     "calls/min allowed per Tier 4 method (files.info; bucket of 20; 0 = "
     "no limit)"},
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

const struct dlp_config_spec slack_sim_spec = {
    .worker = "slack-sim",
    .summary = "Simulates the Slack Web API methods the reporter calls "
               "(chat.postMessage, chat.getPermalink, conversations.open) "
               "and serves files (files.info, url_private_download) as "
               "strictly as Slack, and shows tests what was posted "
               "(GET /_sim/messages, GET /_sim/stats, POST /_sim/reset).",
    .settings = sim_settings,
    .cnt = sizeof(sim_settings) / sizeof(sim_settings[0]),
    .fleet = dlp_fleet_specs,
    .validate = sim_config_validate,
};
