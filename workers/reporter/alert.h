/* alert.h - inspection records into Slack alerts.
 *
 * An alert names who, where and when, and the info types found with counts,
 * likelihood and the masked quotes the inspector produced. The raw value
 * never reaches this stage (inspection records only carry masked quotes),
 * and nothing here tries to recover it.
 *
 * Threads: no state; the posting threads build messages from records that
 * no other thread changes meanwhile. */
#ifndef DLP_ALERT_H
#define DLP_ALERT_H

#include <jansson.h>

#define ALERT_MAX_FINDING_LINES 10
#define ALERT_SECTION_MAX       3000 /* Slack's limit for a section's text */

#define ALERT_DIGEST_MAX   500 /* events in one digest message */
#define ALERT_MAX_SECTIONS 46  /* with header and context: < 50 blocks */

/* The chat.postMessage body (new reference) alerting \p channel about the
 * inspection record \p ins (borrowed), its \p findings (those the policy
 * kept) and the \p uninspected entries of its files (those not inspected
 * that the settings alert on; NULL or empty: none), with a link to the
 * message (\p permalink may be NULL), or NULL when there is nothing to say.
 * A finding in a file names it (name, type, size, link) and where in it
 * (line, page when the record says). */
json_t *alert_message(const json_t *ins, const json_t *findings,
                      const json_t *uninspected, const char *channel,
                      const char *permalink);

/* One digest message for \p n records (\p findings[i] kept for ins[i],
 * \p uninspected[i] its files not inspected; \p uninspected may be NULL),
 * when a channel's backlog is
 * more than Slack's pace allows: a line per event, within Block Kit's
 * limits. Takes as many as fit, at most ALERT_DIGEST_MAX; *used says how
 * many. \p link_base builds permalinks (".../archives/C/p<ts>"). New
 * reference. */
json_t *alert_digest(json_t *const *ins, json_t *const *findings,
                     json_t *const *uninspected, size_t n, const char *channel,
                     const char *link_base, size_t *used);

/* The permalink Slack would give, built: link_base/archives/C/p<digits>. */
void alert_permalink(const char *link_base, const char *channel, const char *ts,
                     char *out, size_t out_size);

/* The dlp.alert/1 record (new reference) for an alert about \p findings
 * and \p uninspected files posted as \p slack_ts: file_ids names the
 * files the findings are in, uninspected_file_ids those said not
 * inspected. */
json_t *alert_record(const json_t *ins, const json_t *findings,
                     const json_t *uninspected, const char *channel,
                     const char *slack_ts, const char *posted_at);

/* The distinct file_id of \p findings, in order: the files the findings
 * are in (a new array; empty when none is in a file). */
json_t *alert_file_ids(const json_t *findings);

#endif
