/* notice.h - the texts of the actions (DESIGN §10): the author's notice,
 * the tombstone, the security channel's note that a message could not be
 * removed. Built from inspection records, which carry masked quotes only;
 * nothing here can recover a value. Pure functions, any thread. */
#ifndef DLP_NOTICE_H
#define DLP_NOTICE_H

#include <jansson.h>

/* The chat.postEphemeral / chat.postMessage arguments (new reference,
 * without channel and user) telling the author of \p ins what was found
 * among \p findings (borrowed), where, and what to do; \p removed says
 * whether the message is being taken down. Findings in a file's contents
 * name the file ("in the file customers.csv"). */
json_t *notice_author(const json_t *ins, const json_t *findings, int removed);

/* The tombstone's arguments (new reference, without channel): "A message
 * from @user was removed: it contained <types>[ in the file <name>]." */
json_t *notice_tombstone(const json_t *ins, const json_t *findings);

/* The security channel's note (new reference, without channel) that the
 * message of \p ins could not be removed, with Slack's \p error. */
json_t *notice_not_removed(const json_t *ins, const json_t *findings,
                           const char *error);

/* The distinct info types of \p findings, in order of first sight (new
 * reference). */
json_t *notice_info_types(const json_t *findings);

#endif
