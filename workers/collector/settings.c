/* settings.c - dlp-collector's settings table: the only list of its
 * settings (see config.h; fleet.h says why every binary links every
 * table). */
#include "settings.h"
#include "err.h"
#include "fleet.h"

#include <stddef.h>
#include <stdio.h>

#define CFG struct collector_config
static const struct dlp_setting collector_settings[] = {
    DLP_COMMON_SETTINGS(CFG),
    DLP_ADMIN_SETTING(CFG),
    {"DLP_LISTEN_ADDR", "listen-addr", DLP_SET_STR, "127.0.0.1:3000", 0, 0,
     offsetof(CFG, listen_addr),
     "host:port of the Slack Events endpoint (POST /slack/events)"},
    {"SLACK_SIGNING_SECRET", "signing-secret", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(CFG, secret), "Slack app signing secret (required to serve)"},
    {"SLACK_SIGNING_SECRET_PREVIOUS", "signing-secret-previous", DLP_SET_SECRET,
     NULL, 0, 0, offsetof(CFG, secret_previous),
     "previous signing secret, also accepted during a rotation"},
    {"DLP_SIGNATURE_TOLERANCE_S", "signature-tolerance-s", DLP_SET_INT, "300",
     1, 3600, offsetof(CFG, tolerance_s),
     "accepted distance of X-Slack-Request-Timestamp from now, seconds"},
    {"DLP_ACK_TIMEOUT_MS", "ack-timeout-ms", DLP_SET_INT, "2500", 100, 60000,
     offsetof(CFG, ack_timeout_ms),
     "answer 503 when Kafka has not confirmed an event by then (Slack "
     "waits 3 s)"},
    {"DLP_MAX_BODY_BYTES", "max-body-bytes", DLP_SET_INT, "1048576", 1024,
     67108864, offsetof(CFG, max_body),
     "larger request bodies are refused with 413"},
    {"DLP_HTTP_THREADS", "http-threads", DLP_SET_INT, "2", 1, 64,
     offsetof(CFG, http_threads), "HTTP server threads"},
    {"DLP_HTTP_MAX_CONNECTIONS", "http-max-connections", DLP_SET_INT, "4000", 1,
     1000000, offsetof(CFG, max_connections),
     "open connections at most (capped below the file descriptor limit, "
     "ulimit -n less 256); more wait in the listen backlog"},
    {"DLP_HTTP_MAX_CONNECTIONS_PER_CLIENT", "http-max-connections-per-client",
     DLP_SET_INT, "200", 0, 1000000, offsetof(CFG, max_connections_per_client),
     "open connections from one client address; more are closed at once "
     "(0: no limit; behind a load balancer, whose connections come from few "
     "addresses, raise it or use 0)"},
    {"DLP_HTTP_REQUEST_TIMEOUT_MS", "http-request-timeout-ms", DLP_SET_INT,
     "5000", 100, 600000, offsetof(CFG, request_timeout_ms),
     "a whole request (request line, headers, body) must arrive within this "
     "of the connection or of its request line, else the connection is "
     "closed"},
    {"DLP_HTTP_IDLE_TIMEOUT_S", "http-idle-timeout-s", DLP_SET_INT, "30", 1,
     3600, offsetof(CFG, idle_timeout_s),
     "a keep-alive connection idle this long is closed (keep a load "
     "balancer's idle timeout below it)"},
    {"DLP_HTTP_BODY_BUDGET_BYTES", "http-body-budget-bytes", DLP_SET_INT,
     "16777216", 131072, 17179869184.0, offsetof(CFG, body_budget),
     "request bodies buffered at once, all connections together; over it "
     "503 before the body is read. Bodies over 64 KiB may fill only half of "
     "it. At least twice DLP_MAX_BODY_BYTES"},
    {"DLP_INCLUDE_BOTS", "include-bots", DLP_SET_BOOL, "true", 0, 0,
     offsetof(CFG, include_bots), "inspect bot_message events"},
    {"DLP_DEDUPE_CAPACITY", "dedupe-capacity", DLP_SET_INT, "100000", 0,
     10000000, offsetof(CFG, dedupe_capacity),
     "event_ids remembered to answer repeats 200 without producing again "
     "(96 to 160 bytes each: 11 MiB at 100000; 0: off)"},
    {"DLP_DEDUPE_WINDOW_S", "dedupe-window-s", DLP_SET_DOUBLE, "600", 1, 86400,
     offsetof(CFG, dedupe_window_s), "how long an event_id is remembered"},
    {"DLP_REPLAY", "replay", DLP_SET_STR, NULL, 0, 0, offsetof(CFG, replay),
     "replay JSONL envelopes (or bare message events) from FILE or - "
     "(stdin) into the topic, then exit"},
};
#undef CFG

static int validate_config(const void *config, char *errstr, size_t errstr_size)
{
        const struct collector_config *cfg = config;

        if (!cfg->replay && (!cfg->secret || !*cfg->secret)) {
                snprintf(errstr, errstr_size,
                         "SLACK_SIGNING_SECRET (--signing-secret) is required "
                         "to serve Slack events (or use --replay)");
                return DLP_ERR_CONFIG;
        }
        if (cfg->body_budget < 2 * cfg->max_body) {
                snprintf(errstr, errstr_size,
                         "DLP_HTTP_BODY_BUDGET_BYTES (%ld) must be at least "
                         "twice DLP_MAX_BODY_BYTES (%ld)",
                         cfg->body_budget, cfg->max_body);
                return DLP_ERR_CONFIG;
        }
        return DLP_OK;
}

const struct dlp_config_spec collector_spec = {
    .worker = "dlp-collector",
    .summary = "Receives Slack Events API callbacks (or replays JSONL) and "
               "writes each message event to Kafka.",
    .settings = collector_settings,
    .cnt = sizeof(collector_settings) / sizeof(collector_settings[0]),
    .fleet = dlp_fleet_specs,
    .validate = validate_config,
};
