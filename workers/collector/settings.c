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
    {"DLP_INCLUDE_BOTS", "include-bots", DLP_SET_BOOL, "true", 0, 0,
     offsetof(CFG, include_bots), "inspect bot_message events"},
    {"DLP_DEDUPE_CAPACITY", "dedupe-capacity", DLP_SET_INT, "100000", 0,
     10000000, offsetof(CFG, dedupe_capacity),
     "event_ids remembered to answer repeats 200 without producing again "
     "(32 bytes each; 0: off)"},
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
