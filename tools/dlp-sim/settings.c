/* settings.c - dlp-sim's settings table: the only list of its
 * settings (see config.h; fleet.h says why every binary links every
 * table). */
#include "sim.h"
#include "err.h"
#include "fleet.h"

#include <stddef.h>
#include <stdio.h>

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
    {"DLP_SIM_TEMPLATES", "templates", DLP_SET_STR, NULL, 0, 0,
     offsetof(struct sim_config, templates),
     "JSON file of inspect templates, {\"inspectTemplates\":[{\"name\","
     "\"inspectConfig\"}]}, that inspectTemplateName resolves to (unset: "
     "none)"},
};

const struct dlp_config_spec dlp_sim_spec = {
    .worker = "dlp-sim",
    .summary = "Simulates Google Cloud DLP v2 content:inspect and enforces "
               "its limits strictly.",
    .settings = sim_settings,
    .cnt = sizeof(sim_settings) / sizeof(sim_settings[0]),
    .fleet = dlp_fleet_specs,
};
