/* settings.h - dlp-inspector's settings: the struct its table fills.
 * The table itself (settings.c) is the only list of them; it drives the
 * environment, the flags, --help and the README's table. */
#ifndef DLP_INSPECTOR_SETTINGS_H
#define DLP_INSPECTOR_SETTINGS_H

#include "config.h"

struct inspector_config {
        struct dlp_common_config common; /* first: the loader needs it */
        char *api_url;
        char *project;
        char *location;
        char *token;
        char *group;
        double rate_limit;
        double rate_safety;
        long batch_max_items;
        long batch_max_bytes;
        long request_timeout_ms;
        double retry_max_s;
        int exactly_once;
        long session_timeout_ms;
        long max_in_flight;
        long prefetch_kbytes; /* 0: from the rate (main.c) */
        long answer_max_tries;
        long revoke_wait_ms;
        char *info_types; /* detect_config.h */
        char *inspect_template;
        char *inspect_config_file;
        char *slack_api_url; /* files (DESIGN §14) */
        char *slack_token;
        char *file_download_hosts;
        long file_max_bytes;
        long file_timeout_ms;
        long file_fetch_tries;
        long file_max_in_flight;
        long file_memory_bytes;
        long file_fetch_threads;
};

#endif
