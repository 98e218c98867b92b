/* fleet.c - the list of every binary's settings table (see fleet.h). */
#include "fleet.h"

#include <stddef.h>

const struct dlp_config_spec *const dlp_fleet_specs[] = {
    &collector_spec, &inspector_spec, &reporter_spec, &devbroker_spec,
    &dlp_sim_spec,   &slack_sim_spec, NULL,
};
