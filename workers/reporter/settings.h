/* settings.h - dlp-reporter's settings: the struct its table fills.
 * The table itself (settings.c) is the only list of them; it drives the
 * environment, the flags, --help and the README's table. */
#ifndef DLP_REPORTER_SETTINGS_H
#define DLP_REPORTER_SETTINGS_H

#include "config.h"

struct reporter_config {
        struct dlp_common_config common; /* first: the loader needs it */
        char *api_url;
        char *token;
        char *channel;
        char *group;
        long timeout_ms;
        double retry_max_s;
        long workers;
        long channel_interval_ms;
        char *min_likelihood;
        char *alert_types;
        char *ignore_types;
        char *watch_channels;
        char *skip_channels;
        int bots;
        int uninspected_files;
        char *link_base;
        long dedupe_capacity;
        double dedupe_window_s;
        long max_pending;
        char *actions_file;
        char *admin_token;
        long action_workers;
        double tier3_per_min;
};

#endif
