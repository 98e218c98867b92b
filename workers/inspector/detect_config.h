/* detect_config.h - what the inspector asks the DLP service to look for.
 *
 * Three settings make the detection part of every request (DESIGN §11):
 *   DLP_INFO_TYPES           comma-separated Google built-in info types;
 *   DLP_INSPECT_TEMPLATE     an inspect template the security team keeps
 *                            in Google's console, sent as
 *                            inspectTemplateName (Google merges the
 *                            request's inspectConfig into it);
 *   DLP_INSPECT_CONFIG_FILE  a Google InspectConfig in its JSON form
 *                            (custom regex and dictionary types, rule sets,
 *                            likelihoods, minLikelihood).
 * They are merged into one InspectConfig: the file's, then the listed
 * built-ins it does not name yet, then the Slack-token custom type unless
 * the file defines SLACK_TOKEN itself; includeQuote is always on (quotes
 * are masked, never stored raw) and maxFindingsPerRequest defaults to
 * Google's 3000. The result is checked at start-up with icfg.h, so a bad
 * file stops the inspector with a message naming the file and the bad
 * part, never a stream of 400s later.
 *
 * The product is a JSON fragment of request members,
 *   "inspectTemplateName":"…","inspectConfig":{…}
 * which the request builder writes after the item; its bytes count in the
 * request-size budget like any other byte of the envelope. */
#ifndef DLP_DETECT_CONFIG_H
#define DLP_DETECT_CONFIG_H

#include <stddef.h>

/* Google's built-ins the inspector asked for before these settings: the
 * default of DLP_INFO_TYPES. */
#define DETECT_DEFAULT_INFO_TYPES                                              \
        "CREDIT_CARD_NUMBER,US_SOCIAL_SECURITY_NUMBER,EMAIL_ADDRESS,"          \
        "AWS_CREDENTIALS"

struct detect_config {
        char *fragment; /* the request members, NUL-terminated */
        size_t fragment_len;
        size_t custom_types; /* custom info types sent (for the log) */
        size_t info_types;   /* built-in info types sent */
};

/* Builds \p dc from the three settings (each NULL or "" when unset; an
 * empty \p info_types sends no built-in of ours). Returns DLP_OK, or
 * DLP_ERR_CONFIG with errstr naming the setting (and for the file, the
 * file and the bad part: "DLP_INSPECT_CONFIG_FILE x.json:
 * customInfoTypes[2].regex.pattern: bad regex ..."), or DLP_ERR_NOMEM. */
int detect_config_init(struct detect_config *dc, const char *info_types,
                       const char *template_name, const char *config_file,
                       char *errstr, size_t errstr_size);
void detect_config_free(struct detect_config *dc);

/* 1 if \p name is an inspect template name Google accepts the form of:
 * projects/P/inspectTemplates/T, projects/P/locations/L/inspectTemplates/T,
 * or the same under organizations/O. */
int detect_template_name_ok(const char *name);

#endif
