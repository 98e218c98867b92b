/* settings.c - dlp-devbroker's settings table: the only list of its
 * settings (see config.h; fleet.h says why every binary links every
 * table). */
#include "settings.h"
#include "err.h"
#include "fleet.h"

#include <stddef.h>
#include <stdio.h>

#define CFG struct devbroker_config
static const struct dlp_setting devbroker_settings[] = {
    DLP_COMMON_SETTINGS(CFG),
    {"DLP_DEVBROKER_BROKERS", "brokers", DLP_SET_INT, "1", 1, 9,
     offsetof(CFG, brokers), "mock brokers in the cluster"},
    {"DLP_DEVBROKER_PARTITIONS", "partitions", DLP_SET_INT, "12", 1, 1024,
     offsetof(CFG, partitions), "partitions of each pipeline topic"},
};
#undef CFG

const struct dlp_config_spec devbroker_spec = {
    .worker = "dlp-devbroker",
    .summary = "An in-memory Kafka (librdkafka mock cluster) with the four "
               "pipeline topics, for demos and fast tests.",
    .settings = devbroker_settings,
    .cnt = sizeof(devbroker_settings) / sizeof(devbroker_settings[0]),
    .fleet = dlp_fleet_specs,
};
