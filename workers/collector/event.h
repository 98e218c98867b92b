/* event.h - Slack Events API envelopes into dlp.event/1 records.
 *
 * Decides, per envelope, whether there is something to inspect (a message
 * of an inspectable subtype), something to acknowledge and drop
 * (message_deleted, other event types) or a malformed request. */
#ifndef DLP_EVENT_H
#define DLP_EVENT_H

#include <jansson.h>
#include <stddef.h>

enum event_verdict {
        EVENT_PRODUCE, /* *record is a new dlp.event/1 record */
        EVENT_SKIP,    /* nothing to inspect; why says what */
        EVENT_INVALID, /* not a usable event; why says what is wrong */
};

struct event_opts {
        const char *source;      /* "events-api" or "replay" */
        const char *received_at; /* RFC 3339 */
        int include_bots;        /* bot_message is inspected */
};

/* Maps an event_callback envelope (borrowed) to a record. With a bare
 * message event (replay of exported events), event_id is derived from
 * channel and ts. On EVENT_PRODUCE, *record is a new reference and
 * *event_id borrows from it. */
enum event_verdict event_from_envelope(json_t *envelope,
                                       const struct event_opts *opts,
                                       json_t **record, const char **event_id,
                                       char *why, size_t why_size);

/* One line of a replay file (\p len bytes, JSON): parsed, then mapped as
 * event_from_envelope does; a line that is not JSON is EVENT_INVALID. */
enum event_verdict event_from_line(const char *line, size_t len,
                                   const struct event_opts *opts,
                                   json_t **record, const char **event_id,
                                   char *why, size_t why_size);

#endif
