/* fleet.h - the settings tables of every dlpfleet binary.
 *
 * Each binary's table lives in its own settings.c and is the only list of
 * that binary's settings. Every binary links all six (library dlpsettings)
 * because one env file or ConfigMap may serve the whole fleet: the loader
 * tolerates a DLP_* variable that belongs to another binary and refuses one
 * that belongs to none, a typo (config.h, dlp_config_spec.fleet). Adding a
 * binary means adding its spec here and in fleet.c. */
#ifndef DLP_FLEET_H
#define DLP_FLEET_H

#include "config.h"

extern const struct dlp_config_spec collector_spec;
extern const struct dlp_config_spec inspector_spec;
extern const struct dlp_config_spec reporter_spec;
extern const struct dlp_config_spec devbroker_spec;
extern const struct dlp_config_spec dlp_sim_spec;
extern const struct dlp_config_spec slack_sim_spec;

/* Every spec above, NULL-terminated. */
extern const struct dlp_config_spec *const dlp_fleet_specs[];

#endif
