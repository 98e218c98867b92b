/* event.h - Slack Events API envelopes into dlp.event/1 records.
 *
 * Decides, per envelope, whether there is something to inspect (a message
 * of an inspectable subtype), something to acknowledge and drop
 * (message_deleted, other event types) or a malformed request.
 *
 * Threads: no state; called from the HTTP threads and the replay loop. */
#ifndef DLP_EVENT_H
#define DLP_EVENT_H

#include <jansson.h>
#include <stddef.h>

enum event_verdict {
        EVENT_PRODUCE, /* *record is a new dlp.event/1 record */
        EVENT_SKIP,    /* nothing to inspect; why says what */
        EVENT_INVALID, /* a shape the collector does not know; why says
                        * what is wrong. Over HTTP it is answered 200 and
                        * counted all the same: a 400 makes Slack retry and
                        * counts toward disabling the subscription, and only
                        * unparseable JSON deserves one. */
};

/* Why an envelope made no record: a bounded set, so each has its own
 * counter (second column: the counter's name part). */
#define EVENT_REASONS(X)                                                       \
        X(NOT_EVENT, "not_event")           /* envelope type not a callback */ \
        X(EVENT_TYPE, "event_type")         /* not a message event */          \
        X(SUBTYPE, "subtype")               /* nothing to inspect */           \
        X(BOTS_OFF, "bots_off")             /* DLP_INCLUDE_BOTS=false */       \
        X(UNCHANGED_EDIT, "unchanged_edit") /* an edit changing no part */     \
        X(TOMBSTONE, "tombstone")           /* "This message was deleted." */  \
        X(UNKNOWN_SHAPE, "unknown_shape")   /* EVENT_INVALID */

enum event_reason {
#define EVENT_REASON_ENUM(name, key) EVENT_R_##name,
        EVENT_REASONS(EVENT_REASON_ENUM)
#undef EVENT_REASON_ENUM
            EVENT_REASON_CNT
};

/* "unchanged_edit" for EVENT_R_UNCHANGED_EDIT. */
const char *event_reason_key(enum event_reason r);

struct event_opts {
        const char *source;      /* "events-api" or "replay" */
        const char *received_at; /* RFC 3339 */
        int include_bots;        /* bot_message is inspected */
};

/* Maps an event_callback envelope (borrowed) to a record. With a bare
 * message event (replay of exported events), event_id is derived from
 * channel and ts. On EVENT_PRODUCE, *record is a new reference and
 * *event_id borrows from it; otherwise *reason (if not NULL) says which
 * counter the envelope belongs to.
 *
 * message_changed: an edit whose inspectable parts (event_parts()) equal
 * the previous message's is skipped (Slack sends one when it unfurls a
 * link: inspecting it again would alert twice), and so is a tombstone (a
 * deleted parent of a thread). A real edit is a record of kind
 * message_changed with the new text. */
enum event_verdict event_from_envelope(json_t *envelope,
                                       const struct event_opts *opts,
                                       json_t **record, const char **event_id,
                                       enum event_reason *reason, char *why,
                                       size_t why_size);

/* Everything a person sees in message \p msg (borrowed), in display
 * order, as a new array of {"where": W, "text": T}: W is "text", then for
 * attachment N (from 1) "attachment N pretext", "... author_name",
 * "... title", "... text", "... field K title", "... field K value",
 * "... footer", "... fallback" (only when it differs from the attachment's
 * text), then "block N" for a section, header or context block's text and
 * a rich_text block flattened, when it does not occur in the message text,
 * then for each file "the file title of NAME", "the file name NAME", "the
 * preview of NAME" (NAME cut at 80 bytes; "file N" without a name): an
 * alert says "in " and the label. Empty strings are left out. NULL when
 * out of memory. A record carries all but "text" as its "parts". */
json_t *event_parts(json_t *msg);

/* One line of a replay file (\p len bytes, JSON): parsed, then mapped as
 * event_from_envelope does; a line that is not JSON is EVENT_INVALID. */
enum event_verdict event_from_line(const char *line, size_t len,
                                   const struct event_opts *opts,
                                   json_t **record, const char **event_id,
                                   char *why, size_t why_size);

#endif
