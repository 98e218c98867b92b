/* settings.h - dlp-collector's settings: the struct its table fills.
 * The table itself (settings.c) is the only list of them; it drives the
 * environment, the flags, --help and the README's table. */
#ifndef DLP_COLLECTOR_SETTINGS_H
#define DLP_COLLECTOR_SETTINGS_H

#include "config.h"

struct collector_config {
        struct dlp_common_config common; /* first: the loader needs it */
        char *listen_addr;
        char *secret;
        char *secret_previous;
        long tolerance_s;
        long ack_timeout_ms;
        long max_body;
        long http_threads;
        long max_connections;
        long max_connections_per_client;
        long request_timeout_ms;
        long idle_timeout_s;
        long body_budget;
        int include_bots;
        char *replay;
        long dedupe_capacity;
        double dedupe_window_s;
};

#endif
