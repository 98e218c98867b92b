/* policy.h - which findings deserve an alert.
 *
 * From the settings: a minimum likelihood, info types to alert on (empty:
 * all) and to ignore, source channels to watch (empty: all) and to skip,
 * and whether bots' messages count. A record none of whose findings pass
 * makes no alert (and is committed).
 *
 * Threads: policy_init() and policy_free() on the main thread; in between
 * the policy is read-only and policy_filter() may run on any thread. */
#ifndef DLP_POLICY_H
#define DLP_POLICY_H

#include <jansson.h>

#define POLICY_MAX_LIST 64

struct policy {
        int min_likelihood; /* index in the likelihood scale */
        const char *alert_types[POLICY_MAX_LIST];
        size_t n_alert_types;
        const char *ignore_types[POLICY_MAX_LIST];
        size_t n_ignore_types;
        const char *watch_channels[POLICY_MAX_LIST];
        size_t n_watch_channels;
        const char *skip_channels[POLICY_MAX_LIST];
        size_t n_skip_channels;
        int bots;
        int uninspected_files; /* DLP_ALERT_UNINSPECTED_FILES (set after
                                * policy_init) */
        char *copies[4];       /* own the strings of the four lists */
};

/* Fills \p p from settings (comma-separated lists; NULL or "" = empty).
 * Returns DLP_OK, or DLP_ERR_CONFIG naming what is wrong in errstr. */
int policy_init(struct policy *p, const char *min_likelihood,
                const char *alert_types, const char *ignore_types,
                const char *watch_channels, const char *skip_channels, int bots,
                char *errstr, size_t errstr_size);
void policy_free(struct policy *p);

/* The index of a likelihood name on the scale LIKELIHOOD_UNSPECIFIED (0)
 * … VERY_LIKELY (5), or -1 when \p s is not one. */
int policy_likelihood_index(const char *s);

/* The findings of inspection record \p ins that pass (new reference; an
 * empty array when none does). */
json_t *policy_filter(const struct policy *p, const json_t *ins);

/* The entries of ins.files whose contents were not inspected
 * ("inspected": false), when the policy alerts on them and on the record's
 * source (channel, bots) at all (new reference; an empty array
 * otherwise). */
json_t *policy_uninspected(const struct policy *p, const json_t *ins);

#endif
