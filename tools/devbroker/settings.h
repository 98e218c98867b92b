/* settings.h - dlp-devbroker's settings: the struct its table fills.
 * The table itself (settings.c) is the only list of them; it drives the
 * environment, the flags, --help and the README's table. */
#ifndef DLP_DEVBROKER_SETTINGS_H
#define DLP_DEVBROKER_SETTINGS_H

#include "config.h"

struct devbroker_config {
        struct dlp_common_config common; /* first: the loader needs it */
        long brokers;
        long partitions;
};

#endif
