/* record.h - the records the inspector reads and writes, as JSON: whether
 * a record on the events topic is a dlp.event/1 it can inspect, and the
 * dlp.inspection/1 record written for an inspected event (schemas/).
 *
 * Pure: no Kafka, no clock, no I/O; the worker passes where a record came
 * from and when. Thread-safe (no state). */
#ifndef DLP_RECORD_H
#define DLP_RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"

/* Whether \p ev is a dlp.event/1 record the inspector can take: an object
 * with that schema, the identifying fields as strings of at most DLP_ID_MAX
 * bytes, a text, and parts (when present) a list of {where, text}. DLP_OK,
 * or DLP_ERR_INVALID with the reason for the dead letter in \p why (never
 * a quote of the record's text). */
int record_event_check(const json_t *ev, char *why, size_t why_size);

/* Where an event record was read: its source in the inspection record. */
struct record_source {
        const char *topic;
        int partition;
        int64_t offset;
};

/* A reusable output buffer: record_inspection() writes each record into
 * it, growing it as needed, so that a worker writing thousands of records
 * per second allocates only while its records grow. Zero-initialize;
 * record_buf_free() releases it. */
struct record_buf {
        char *p;
        size_t len, cap;
        int nomem; /* an allocation failed while writing */
        /* the record's Kafka key, its event_id: borrowed from the event,
         * NULL when it has none (the event check makes that never so) */
        const char *key;
        size_t key_len;
};
void record_buf_free(struct record_buf *buf);

/* The dlp.inspection/1 record for entry \p e, inspected by \p backend in
 * request \p batch_id (its \p attempt, >= 1) at \p now (RFC 3339 UTC):
 * the event's identifying fields, its merged (masked) findings, its files
 * and the source, as compact JSON written in one pass into \p buf (the
 * fields in that order, as jansson would dump them; no tree is built but
 * for findings and files, when there are any). The event's strings are
 * copied as they are, escaped: they must be UTF-8, as jansson's strings
 * are. Returns buf->p, buf->len bytes and NUL-terminated, valid until the
 * next call (and buf->key); NULL when out of memory. */
const char *record_inspection(struct record_buf *buf,
                              const struct batch_entry *e, const char *backend,
                              const char *batch_id, int attempt,
                              const char *now, const struct record_source *src);

#endif
