/* config.h - one configuration table per worker.
 *
 * Each worker describes its settings as rows of struct dlp_setting: the
 * environment name, the matching flag, type, bounds, default, the field it
 * fills and a help line. The same table loads the settings (defaults, then
 * environment, then flags), prints --help, prints the effective settings
 * with secrets masked, and generates the README's settings table, so these
 * cannot disagree. Settings shared by all workers come from
 * DLP_COMMON_SETTINGS().
 *
 * Threads: load (and free) on the main thread before any other thread
 * starts (loading sets the log level and reads the environment); the loaded
 * config is then read-only, and any thread may read it. */
#ifndef DLP_CONFIG_H
#define DLP_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum dlp_setting_type {
        DLP_SET_STR,    /* char *, owned by the config */
        DLP_SET_SECRET, /* char *, never printed; a NAME_FILE variant is read */
        DLP_SET_INT,    /* long */
        DLP_SET_DOUBLE, /* double */
        DLP_SET_BOOL,   /* int, 0 or 1 */
};

struct dlp_setting {
        const char *env;  /* "DLP_BATCH_MAX_ITEMS" */
        const char *flag; /* "batch-max-items" (used as --batch-max-items) */
        enum dlp_setting_type type;
        const char *def; /* default as text; NULL = unset */
        double min, max; /* bounds for INT and DOUBLE */
        size_t offset;   /* of the field in the worker's config struct */
        const char *help;
        int required; /* DLP_REQUIRED: a STR or SECRET that must be set */
};

#define DLP_REQUIRED 1

/* librdkafka properties passed through from KAFKA_X_Y=v (as x.y=v) and from
 * --kafka x.y=v flags; applied after dlpfleet's own defaults. */
struct dlp_kafka_props {
        size_t cnt;
        char **name;
        char **value;
};

/* The settings every worker has; embed as the first member `common`. */
struct dlp_common_config {
        char *bootstrap;
        char *topic_events;
        char *topic_inspected;
        char *topic_alerts;
        char *topic_deadletter;
        char *log_level;
        char *admin_addr; /* with DLP_ADMIN_SETTING */
        struct dlp_kafka_props kafka;
};

/* clang-format off */
#define DLP_COMMON_SETTINGS(type)                                              \
        {"KAFKA_BOOTSTRAP_SERVERS", "bootstrap-servers", DLP_SET_STR,          \
         "127.0.0.1:9092", 0, 0, offsetof(type, common.bootstrap),             \
         "Kafka brokers; any other KAFKA_X_Y=v (or --kafka x.y=v) sets "      \
         "librdkafka property x.y"},                                           \
        {"DLP_TOPIC_EVENTS", "topic-events", DLP_SET_STR, "dlp.events.v1",     \
         0, 0, offsetof(type, common.topic_events), "topic of event records"}, \
        {"DLP_TOPIC_INSPECTED", "topic-inspected", DLP_SET_STR,                \
         "dlp.inspected.v1", 0, 0, offsetof(type, common.topic_inspected),    \
         "topic of inspection records"},                                       \
        {"DLP_TOPIC_ALERTS", "topic-alerts", DLP_SET_STR, "dlp.alerts.v1",     \
         0, 0, offsetof(type, common.topic_alerts), "topic of alert records"}, \
        {"DLP_TOPIC_DEADLETTER", "topic-deadletter", DLP_SET_STR,              \
         "dlp.deadletter.v1", 0, 0, offsetof(type, common.topic_deadletter),  \
         "topic of dead-letter records"},                                      \
        {"DLP_LOG_LEVEL", "log-level", DLP_SET_STR, "info", 0, 0,              \
         offsetof(type, common.log_level), "debug, info, warn or error"}

/* For the binaries that serve admin.h's endpoints. */
#define DLP_ADMIN_SETTING(type)                                                \
        {"DLP_ADMIN_ADDR", "admin-addr", DLP_SET_STR, NULL, 0, 0,              \
         offsetof(type, common.admin_addr),                                    \
         "host:port of /metrics, /healthz, /readyz (unset: off)"}
/* clang-format on */

struct dlp_config_spec {
        const char *worker; /* "dlp-inspector" */
        const char *summary;
        const struct dlp_setting *settings;
        size_t cnt;
        /* Optional extra check after loading; fills errstr naming the
         * setting. */
        int (*validate)(const void *config, char *errstr, size_t errstr_size);
        /* Optional, NULL-terminated: the tables of the other binaries that
         * share this one's environment (fleet.h). A DLP_* variable in none
         * of them nor in this table is a typo and stops start-up; one of
         * theirs is tolerated. Without it only this table is known. */
        const struct dlp_config_spec *const *fleet;
};

/* Fills \p config (zeroed by the caller) from the spec's defaults, the
 * environment and argv. Returns DLP_OK; DLP_ERR_HELP after printing --help
 * (or, with --check-config, the effective settings, secrets masked) to
 * stdout; or DLP_ERR_CONFIG with errstr naming the setting at fault
 * (a bad value, or a DLP_REQUIRED setting left empty).
 * Also applies DLP_LOG_LEVEL to the logger. */
int dlp_config_load(const struct dlp_config_spec *spec, void *config, int argc,
                    char **argv, char *errstr, size_t errstr_size);

/* Prints the effective settings, secrets masked. */
void dlp_config_print(const struct dlp_config_spec *spec, const void *config,
                      FILE *fp);
/* Prints --help. */
void dlp_config_help(const struct dlp_config_spec *spec, FILE *fp);
/* Prints the settings as a Markdown table (for the README). */
void dlp_config_markdown(const struct dlp_config_spec *spec, FILE *fp);
/* Frees every string the config owns. */
void dlp_config_free(const struct dlp_config_spec *spec, void *config);

#endif
