/* settings.c - dlp-reporter's settings table: the only list of its
 * settings (see config.h; fleet.h says why every binary links every
 * table). */
#include "settings.h"
#include "err.h"
#include "fleet.h"

#include <stddef.h>
#include <stdio.h>

#define CFG struct reporter_config
static const struct dlp_setting reporter_settings[] = {
    DLP_COMMON_SETTINGS(CFG),
    DLP_ADMIN_SETTING(CFG),
    {"SLACK_API_URL", "slack-api-url", DLP_SET_STR, "https://slack.com/api", 0,
     0, offsetof(CFG, api_url), "base URL of the Slack Web API"},
    {"SLACK_BOT_TOKEN", "slack-bot-token", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(CFG, token), "Slack bot token, xoxb-…", DLP_REQUIRED},
    {"DLP_ALERT_CHANNEL", "alert-channel", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, channel), "channel id that receives alerts", DLP_REQUIRED},
    {"DLP_REPORTER_GROUP_ID", "group-id", DLP_SET_STR, "dlp-reporter", 0, 0,
     offsetof(CFG, group), "consumer group of the reporters"},
    {"DLP_REPORTER_WORKERS", "workers", DLP_SET_INT, "4", 1, 64,
     offsetof(CFG, workers), "threads posting to Slack"},
    {"DLP_CHANNEL_INTERVAL_MS", "channel-interval-ms", DLP_SET_INT, "1000", 0,
     60000, offsetof(CFG, channel_interval_ms),
     "least time between two posts to one channel (Slack: about 1/s)"},
    {"DLP_MIN_LIKELIHOOD", "min-likelihood", DLP_SET_STR, "POSSIBLE", 0, 0,
     offsetof(CFG, min_likelihood),
     "findings less likely than this make no alert"},
    {"DLP_ALERT_INFO_TYPES", "alert-info-types", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, alert_types),
     "comma-separated info types to alert on (unset: all)"},
    {"DLP_IGNORE_INFO_TYPES", "ignore-info-types", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, ignore_types), "comma-separated info types to ignore"},
    {"DLP_WATCH_CHANNELS", "watch-channels", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, watch_channels),
     "comma-separated source channels to alert on (unset: all)"},
    {"DLP_SKIP_CHANNELS", "skip-channels", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, skip_channels),
     "comma-separated source channels never to alert on"},
    {"DLP_ALERT_BOTS", "alert-bots", DLP_SET_BOOL, "true", 0, 0,
     offsetof(CFG, bots), "alert on bots' messages"},
    {"DLP_ALERT_UNINSPECTED_FILES", "alert-uninspected-files", DLP_SET_BOOL,
     "false", 0, 0, offsetof(CFG, uninspected_files),
     "alert once per event on its files whose contents were not inspected "
     "(too large, unsupported, deleted, no files:read...), with the reason; "
     "off: the inspection record and the inspector's metrics say it"},
    {"DLP_SLACK_LINK_BASE", "slack-link-base", DLP_SET_STR, "https://slack.com",
     0, 0, offsetof(CFG, link_base),
     "workspace URL for links built when chat.getPermalink is not used "
     "(digests) or fails"},
    {"DLP_DEDUPE_CAPACITY", "dedupe-capacity", DLP_SET_INT, "100000", 1,
     10000000, offsetof(CFG, dedupe_capacity),
     "event_ids remembered so that no event is alerted twice"},
    {"DLP_DEDUPE_WINDOW_S", "dedupe-window-s", DLP_SET_DOUBLE, "86400", 1,
     2592000, offsetof(CFG, dedupe_window_s),
     "how far back the alerts topic is read on start, and how long an "
     "event_id is remembered"},
    {"DLP_MAX_PENDING", "max-pending", DLP_SET_INT, "20000", 100, 1000000,
     offsetof(CFG, max_pending),
     "alerts queued before the reporter stops reading for a while"},
    {"DLP_ACTIONS_FILE", "actions-file", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, actions_file),
     "JSON response policy: per info type, likelihood and channel, alert, "
     "notify the author and/or remove the message (unset: alert only)"},
    {"SLACK_ADMIN_TOKEN", "slack-admin-token", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(CFG, admin_token),
     "a workspace admin's user token, xoxp-…, for chat.delete (needed by "
     "remove)"},
    {"DLP_ACTION_WORKERS", "action-workers", DLP_SET_INT, "2", 1, 64,
     offsetof(CFG, action_workers),
     "threads taking actions (notify, remove), apart from the alert "
     "posters"},
    {"DLP_TIER3_PER_MIN", "tier3-per-min", DLP_SET_DOUBLE, "50", 1, 100000,
     offsetof(CFG, tier3_per_min),
     "calls/min per Tier 3 method (chat.delete, conversations.open)"},
    {"DLP_SLACK_TIMEOUT_MS", "slack-timeout-ms", DLP_SET_INT, "10000", 100,
     120000, offsetof(CFG, timeout_ms), "Slack request timeout"},
    {"DLP_RETRY_MAX_S", "retry-max-s", DLP_SET_DOUBLE, "30", 0.1, 240,
     offsetof(CFG, retry_max_s), "longest backoff between retries"},
};
#undef CFG

const struct dlp_config_spec reporter_spec = {
    .worker = "dlp-reporter",
    .summary = "Posts a Slack alert for every inspection record with "
               "findings.",
    .settings = reporter_settings,
    .cnt = sizeof(reporter_settings) / sizeof(reporter_settings[0]),
    .fleet = dlp_fleet_specs,
};
