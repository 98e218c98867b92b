/* history.h - what the reporters already did, read back from the alerts
 * topic: dlp.alert/1 records (alerts posted) and dlp.action/1 records
 * (actions taken). Read from the start of the window on start, then again
 * from where the last read ended on every partition assignment, so a
 * reporter learns what another one did before it was handed its
 * partitions (DESIGN §10).
 *
 * Not thread-safe: one thread (the reporter's main thread) uses it. */
#ifndef DLP_HISTORY_H
#define DLP_HISTORY_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"

struct history;

/* Called for each record read: \p key is its key (event_id), \p value its
 * parsed value or NULL when it is not JSON. */
typedef void (*history_fn)(const char *key, const json_t *value, void *opaque);

/* A reader of \p cc's alerts topic over the last \p window_s seconds
 * (\p cc is borrowed). NULL with errstr filled on failure. */
struct history *history_new(const struct dlp_common_config *cc, double window_s,
                            char *errstr, size_t errstr_size);
void history_free(struct history *h);

/* Reads from where the last call stopped (first call: the start of the
 * window) to the end of every partition, at most \p timeout_ms. Returns
 * the records read, or -1 when the topic's metadata could not be had; sets
 * *complete to whether every partition's end was reached. */
long history_catch_up(struct history *h, history_fn fn, void *opaque,
                      int64_t timeout_ms, int *complete);

#endif
