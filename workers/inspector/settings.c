/* settings.c - dlp-inspector's settings table: the only list of its
 * settings (see config.h; fleet.h says why every binary links every
 * table). */
#include "settings.h"
#include "detect_config.h"
#include "err.h"
#include "fleet.h"

#include <stddef.h>
#include <stdio.h>

#define CFG struct inspector_config
static const struct dlp_setting inspector_settings[] = {
    DLP_COMMON_SETTINGS(CFG),
    DLP_ADMIN_SETTING(CFG),
    {"DLP_API_URL", "api-url", DLP_SET_STR, "https://dlp.googleapis.com", 0, 0,
     offsetof(CFG, api_url), "base URL of the DLP service"},
    {"DLP_GCP_PROJECT", "gcp-project", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, project), "Google Cloud project of the requests",
     DLP_REQUIRED},
    {"DLP_GCP_LOCATION", "gcp-location", DLP_SET_STR, "global", 0, 0,
     offsetof(CFG, location), "Google Cloud location of the requests"},
    {"DLP_API_TOKEN", "api-token", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(CFG, token), "OAuth bearer token for the DLP service"},
    {"DLP_GROUP_ID", "group-id", DLP_SET_STR, "dlp-inspector", 0, 0,
     offsetof(CFG, group), "consumer group of the inspectors"},
    {"DLP_RATE_LIMIT", "rate-limit", DLP_SET_DOUBLE, "10", 0.01, 100000,
     offsetof(CFG, rate_limit),
     "requests/s allowed for the WHOLE cluster of inspectors"},
    {"DLP_RATE_SAFETY", "rate-safety", DLP_SET_DOUBLE, "0.97", 0.5, 0.999,
     offsetof(CFG, rate_safety),
     "fraction of the limit used, leaving room for jitter and clock skew"},
    {"DLP_BATCH_MAX_ITEMS", "batch-max-items", DLP_SET_INT, "100", 1, 10000,
     offsetof(CFG, batch_max_items), "rows per request"},
    {"DLP_BATCH_MAX_BYTES", "batch-max-bytes", DLP_SET_INT, "524288", 4096,
     67108864, offsetof(CFG, batch_max_bytes), "bytes per serialized request"},
    {"DLP_REQUEST_TIMEOUT_MS", "request-timeout-ms", DLP_SET_INT, "30000", 100,
     600000, offsetof(CFG, request_timeout_ms),
     "DLP request timeout (then retried)"},
    {"DLP_RETRY_MAX_S", "retry-max-s", DLP_SET_DOUBLE, "30", 0.1, 600,
     offsetof(CFG, retry_max_s), "longest backoff between retries"},
    {"DLP_EXACTLY_ONCE", "exactly-once", DLP_SET_BOOL, "false", 0, 0,
     offsetof(CFG, exactly_once),
     "write results and commit offsets in Kafka transactions, so "
     "read_committed consumers see each event's record once"},
    {"DLP_SESSION_TIMEOUT_MS", "session-timeout-ms", DLP_SET_INT, "10000", 6000,
     300000, offsetof(CFG, session_timeout_ms),
     "consumer group session timeout: how soon a dead inspector's "
     "partitions (and slots) move to the others"},
    {"DLP_MAX_IN_FLIGHT", "max-in-flight", DLP_SET_INT, "100", 1, 1000,
     offsetof(CFG, max_in_flight),
     "batches whose request is out or whose answer is being handled, at "
     "once: enough for 10 s of latency at 10 requests/s; each holds its "
     "events and one request of at most DLP_BATCH_MAX_BYTES"},
    {"DLP_PREFETCH_KBYTES", "prefetch-kbytes", DLP_SET_INT, "0", 0, 1048576,
     offsetof(CFG, prefetch_kbytes),
     "events fetched ahead of the batches, in KiB (librdkafka's "
     "queued.max.messages.kbytes); 0 sizes it from the rate: 8 KiB per "
     "request/s of DLP_RATE_LIMIT, at least 4096 and at most 32768. The "
     "inspector wakes librdkafka 2.0's fetch as the prefetch drains, so it "
     "needs to hold only a fraction of a second of events; memory grows "
     "with it"},
    {"DLP_ANSWER_MAX_TRIES", "answer-max-tries", DLP_SET_INT, "5", 1, 100,
     offsetof(CFG, answer_max_tries),
     "a 200 answer that cannot be used (not JSON, no result, a finding in "
     "no row sent) is retried this many times, then its rows are "
     "dead-lettered"},
    {"DLP_REVOKE_WAIT_MS", "revoke-wait-ms", DLP_SET_INT, "5000", 0, 60000,
     offsetof(CFG, revoke_wait_ms),
     "on revocation or stop, how long requests in flight may still be "
     "answered (then their batches are dropped for the next owner)"},
    {"DLP_INFO_TYPES", "info-types", DLP_SET_STR, DETECT_DEFAULT_INFO_TYPES, 0,
     0, offsetof(CFG, info_types),
     "comma-separated Google built-in info types to look for (empty: none "
     "of ours; see \"What is detected\")"},
    {"DLP_INSPECT_TEMPLATE", "inspect-template", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, inspect_template),
     "inspect template sent as inspectTemplateName: projects/P/"
     "inspectTemplates/T or projects/P/locations/L/inspectTemplates/T"},
    {"DLP_INSPECT_CONFIG_FILE", "inspect-config-file", DLP_SET_STR, NULL, 0, 0,
     offsetof(CFG, inspect_config_file),
     "JSON file holding a Google InspectConfig (custom regex and dictionary "
     "types, rule sets, likelihoods), merged with the two above and checked "
     "at start"},
    {"SLACK_API_URL", "slack-api-url", DLP_SET_STR, "https://slack.com/api", 0,
     0, offsetof(CFG, slack_api_url),
     "base URL of the Slack Web API (files.info for file contents)"},
    {"SLACK_BOT_TOKEN", "slack-bot-token", DLP_SET_SECRET, NULL, 0, 0,
     offsetof(CFG, slack_token),
     "Slack bot token with files:read, to fetch shared files; unset: the "
     "contents of files are not inspected (a warning at start)"},
    {"DLP_FILE_DOWNLOAD_HOSTS", "file-download-hosts", DLP_SET_STR,
     "files.slack.com", 0, 0, offsetof(CFG, file_download_hosts),
     "hosts besides SLACK_API_URL's that the bot token is sent to for a "
     "download (comma-separated, whole names); any other download URL is "
     "refused, and only https is used (DESIGN §14)"},
    {"DLP_FILE_MAX_BYTES", "file-max-bytes", DLP_SET_INT, "10485760", 1,
     104857600, offsetof(CFG, file_max_bytes),
     "largest file fetched and inspected; a larger one is recorded as not "
     "inspected (too large)"},
    {"DLP_FILE_TIMEOUT_MS", "file-timeout-ms", DLP_SET_INT, "60000", 100,
     600000, offsetof(CFG, file_timeout_ms),
     "one download of a file, in all (then retried)"},
    {"DLP_FILE_FETCH_TRIES", "file-fetch-tries", DLP_SET_INT, "3", 1, 20,
     offsetof(CFG, file_fetch_tries),
     "attempts at a file through timeouts, 429 and 5xx, then it is recorded "
     "as not inspected (download timed out)"},
    {"DLP_FILE_MAX_IN_FLIGHT", "file-max-in-flight", DLP_SET_INT, "20", 1, 1000,
     offsetof(CFG, file_max_in_flight),
     "files held in memory at once, from fetching until their record is "
     "written"},
    {"DLP_FILE_MEMORY_BYTES", "file-memory-bytes", DLP_SET_INT, "67108864",
     1048576, 17179869184, offsetof(CFG, file_memory_bytes),
     "bytes of files held in memory at once, counted by the sizes Slack "
     "states (DLP_FILE_MAX_BYTES when unknown); one event's files alone "
     "always fit"},
    {"DLP_FILE_FETCH_THREADS", "file-fetch-threads", DLP_SET_INT, "4", 1, 64,
     offsetof(CFG, file_fetch_threads),
     "threads downloading files, off the slot schedule"},
};
#undef CFG

const struct dlp_config_spec inspector_spec = {
    .worker = "dlp-inspector",
    .summary = "Inspects event records with the DLP service, one request "
               "per batch, paced cluster-wide.",
    .settings = inspector_settings,
    .cnt = sizeof(inspector_settings) / sizeof(inspector_settings[0]),
    .fleet = dlp_fleet_specs,
};
