/* batch.h - what one DLP request carries, and what came back for it.
 *
 * A batch holds up to max_items rows and a request of at most max_bytes
 * (the size is computed exactly, see backend.h). Each event becomes one row
 * for its text and one for each of its parts (attachments, blocks, files:
 * a finding never spans two), or more when a text alone would not fit a
 * request: then its text is
 * cut into overlapping chunks at character boundaries, the event fills a
 * batch of its own, its rows go out in as many requests as the byte limit
 * needs (batch_cut), and the chunks' findings are merged back with offsets
 * into the whole text. Events are never inspected in part: one needing more
 * rows than a batch may hold is dead-lettered. The batch owns its Kafka
 * messages until its records are written (batch_release_written) or it is
 * cleared. */
#ifndef DLP_BATCH_H
#define DLP_BATCH_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "file_job.h"

#define BATCH_CHUNK_OVERLAP 256 /* bytes shared by neighbouring chunks */
#define BATCH_MAX_SOURCES   257 /* an event's text and up to 256 parts */

struct batch_entry {
        rd_kafka_message_t *rkm; /* owned; NULL once the records are written
                                    (batch_release_written) */
        int32_t partition;       /* where rkm was read in the worker's one
                                    topic, kept after it is gone; -1: no
                                    message (nothing to commit) */
        int64_t offset;
        json_t *event;    /* parsed dlp.event/1, owned; NULL if dead */
        const char *text; /* borrowed from event */
        size_t text_len;
        size_t row_first, row_count;
        json_t *findings;       /* merged findings (masked), owned; NULL
                                   until the first (most events have none) */
        int truncated;          /* the service truncated findings */
        int dead;               /* dead-letter it */
        char reason[256];       /* why it is dead */
        struct file_job *files; /* its files' contents, owned; NULL: none */
};

struct batch_row {
        size_t entry;
        size_t base; /* byte offset of the cell in its text (src) */
        size_t len;
        size_t bytes;    /* what the row adds to a request: its text escaped
                            once, when the row is added; the request is
                            written from it without measuring again */
        const char *src; /* the event's text, a part or a file: borrowed */
        int part;        /* index in the event's parts, -1: its text */
        int file;        /* index in the entry's files, -1: not a file */
        const char *byte_type; /* a file's bytes (one request alone), NULL:
                                  text */
        size_t own_lo, own_hi; /* offsets in src whose findings it keeps:
                                  see file_chunk.h */
};

struct batch {
        const struct backend *be; /* the wire format: borrowed */
        size_t max_items, max_bytes;
        struct batch_entry *entries;
        size_t n_entries, cap_entries;
        struct batch_row *rows;
        size_t n_rows, cap_rows;
        size_t bytes; /* request bytes for all rows */
};

/* A chunk of a text: [base, base + len), keeping the findings that start
 * in [own_lo, own_hi). */
struct chunk {
        size_t base, len;
        size_t own_lo, own_hi;
        size_t bytes; /* what its row adds to a request (backend row_bytes) */
};

/* Cuts \p text into chunks whose rows each fit \p cell_budget escaped
 * bytes, neighbours overlapping by at least \p overlap bytes, never
 * splitting a UTF-8 character: file_chunk_plan() with the backend's cost,
 * the one chunker for message texts and text files. Returns DLP_OK, or
 * DLP_ERR_TOOBIG when more than \p max_chunks would be needed (or the
 * budget cannot hold the overlap). An empty text has zero chunks. */
int batch_plan_chunks(const struct backend *be, const char *text, size_t len,
                      size_t cell_budget, size_t overlap, struct chunk *out,
                      size_t max_chunks, size_t *n);

void batch_init(struct batch *b, const struct backend *be, size_t max_items,
                size_t max_bytes);
/* Frees everything, destroying the owned messages. */
void batch_clear(struct batch *b);
int batch_empty(const struct batch *b);

/* Adds an event (\p rkm and \p event are taken over on DLP_OK). Returns
 * DLP_ERR_TOOBIG, taking nothing, when the batch is not empty and the
 * event's rows do not fit: send this batch first. An event too big for any
 * batch is added as dead. */
int batch_add(struct batch *b, rd_kafka_message_t *rkm, json_t *event);
/* Adds an event with files (\p job, its message and event taken over on
 * DLP_OK, the job's fetch done): rows for the event's texts as batch_add(),
 * then each inspected file's: a text file's chunks (file offsets, line
 * index), a byte file's one byteItem row, which goes out in a request of
 * its own. A file that does not fit (more rows than a batch holds, a
 * byteItem over the request limit) is marked not inspected, with the
 * reason, rather than failing the event. DLP_ERR_TOOBIG as batch_add(),
 * taking nothing. */
int batch_add_files(struct batch *b, struct file_job *job);
/* Adds a message that goes to the dead letters with \p reason (taken over). */
int batch_add_dead(struct batch *b, rd_kafka_message_t *rkm,
                   const char *reason);
/* Marks every entry with a row in [lo, hi) dead with \p reason; a file's
 * row instead marks only that file not inspected, with the reason. */
void batch_kill_rows(struct batch *b, size_t lo, size_t hi, const char *reason);

/* End of the longest run of rows from \p lo whose request fits the byte
 * limit (at least one row): the next request is rows [lo, batch_cut()).
 * A file's bytes row is a request alone. */
size_t batch_cut(const struct batch *b, size_t lo);

/* Request for rows [lo, hi); new string, NULL on allocation failure. */
char *batch_request(const struct batch *b, size_t lo, size_t hi, size_t *len);

/* Merges one finding of the answer to rows [lo, ...): pass as the
 * backend_finding_fn with a struct batch_sink as ctx. */
struct batch_sink {
        struct batch *b;
        size_t lo;
};
void batch_on_finding(void *ctx, const struct backend_finding *f);

/* The batch's records were handed to the producer: frees what only they
 * needed (each entry's event, findings and files, the rows, whose texts
 * were the events', and the message itself: librdkafka frees a fetch
 * response with its last message), keeping each entry's partition and
 * offset, which are done once the delivery reports are in. A batch
 * waiting for its reports then holds neither its events' trees nor the
 * fetch responses they came in: at a high R, with the producer slow to
 * start or to acknowledge, up to DLP_MAX_IN_FLIGHT batches wait so
 * (DESIGN §4, §15). Nothing but batch_clear() may follow. */
void batch_release_written(struct batch *b);

/* Marks every entry with a row in [lo, hi) findings_truncated. */
void batch_mark_truncated(struct batch *b, size_t lo, size_t hi);

/* Removes the entries of the given partitions of \p topic (revoked). */
void batch_drop_partitions(struct batch *b, const char *topic,
                           const rd_kafka_topic_partition_list_t *parts);

#endif
