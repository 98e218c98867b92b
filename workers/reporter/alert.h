/* alert.h - inspection records into Slack alerts.
 *
 * An alert names who, where and when, and the info types found with counts,
 * likelihood and the masked quotes the inspector produced. The raw value
 * never reaches this stage (inspection records only carry masked quotes),
 * and nothing here tries to recover it. */
#ifndef DLP_ALERT_H
#define DLP_ALERT_H

#include <jansson.h>

#define ALERT_MAX_FINDING_LINES 10
#define ALERT_SECTION_MAX       3000 /* Slack's limit for a section's text */

/* The chat.postMessage body (new reference) alerting \p channel about the
 * inspection record \p ins (borrowed), or NULL when it has no findings. */
json_t *alert_message(const json_t *ins, const char *channel);

/* The dlp.alert/1 record (new reference) for an alert posted as
 * \p slack_ts. */
json_t *alert_record(const json_t *ins, const char *channel,
                     const char *slack_ts, const char *posted_at);

#endif
