/* files.h - the inspector's fetch stage: the files of events, downloaded
 * off the slot path (DESIGN §14).
 *
 * An event with files is handed here when it is taken (its offset is
 * tracked in its partition's watermark at once, so no commit passes it).
 * A few threads, each with its own libcurl handle, ask Slack's files.info
 * for each file (unless the event already has url_private_download),
 * check it can be fetched, and download it streamed under DLP_FILE_MAX_BYTES
 * and a timeout, retrying transient failures a bounded number of times.
 * When every file of the event is fetched or given up on, the job is ready
 * and the main thread adds it to a batch (batch_add_files): its slots never
 * wait on a download. At most max_in_flight files are held from hand-over
 * to the moment their batch entry is freed (after the record is written),
 * so memory is bounded: a job that would go over waits in the caller's
 * carry. A token without files:read is a set-up error: one log line every
 * five minutes, a metric, and the files say so in the record; the event's
 * own texts are inspected as always.
 *
 * Threads: files_submit, files_ready, files_pop, files_drop_partitions,
 * files_stop and files_destroy belong to the main thread; the stage's
 * threads touch a job only between submit and ready, under the stage's
 * lock for the lists. Metrics are atomics, read by the admin thread. */
#ifndef DLP_FILES_H
#define DLP_FILES_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stddef.h>

#include "admin.h"
#include "batch.h"
#include "file_job.h"

struct files_opts {
        const char *api_url;  /* Slack Web API base: SLACK_API_URL */
        const char *token;    /* SLACK_BOT_TOKEN; NULL: no file is fetched */
        size_t max_bytes;     /* DLP_FILE_MAX_BYTES */
        long timeout_ms;      /* DLP_FILE_TIMEOUT_MS, one download */
        int max_tries;        /* DLP_FILE_FETCH_TRIES */
        size_t max_in_flight; /* DLP_FILE_MAX_IN_FLIGHT */
        int threads;          /* DLP_FILE_FETCH_THREADS */
        size_t memory_bytes;  /* DLP_FILE_MEMORY_BYTES; 0: no byte bound */
        const char *download_hosts; /* DLP_FILE_DOWNLOAD_HOSTS */
};

struct files_metrics {
        atomic_ulong fetched, bytes, setup_errors, in_flight;
        atomic_ulong not_inspected[FILE_WHY_COUNT];
        struct dlp_hist download_seconds;
};

struct files;

/* Starts the stage's threads (none without a token: not enabled). \p o's
 * strings must outlive it. NULL with errstr on failure. */
struct files *files_new(const struct files_opts *o, char *errstr,
                        size_t errstr_size);
/* Whether files are fetched at all: a token was given. Without one the
 * inspector inspects events as if they had no files (DESIGN §14). */
int files_enabled(const struct files *fs);
/* Takes \p job (its message and event too) and starts fetching its files:
 * DLP_OK; or DLP_ERR_TOOBIG, taking nothing, when its files would hold more
 * than max_in_flight in memory (one job alone always fits);
 * DLP_ERR_INVALID when files are not enabled. */
int files_submit(struct files *fs, struct file_job *job);
/* The oldest job whose files are all fetched or given up on, still owned
 * by the stage (files_pop when a batch took it); NULL if none. Jobs of
 * revoked partitions are freed here, never returned. */
struct file_job *files_ready(struct files *fs);
/* The job files_ready() returned was taken by a batch: counts its files
 * (fetched, not inspected by reason) and forgets it. */
void files_pop(struct files *fs);
/* Moves ready jobs into \p b, oldest first, while it takes them (a job
 * needing a batch of its own waits for the next one). Returns how many it
 * moved, or DLP_ERR_NOMEM. Main thread. */
int files_to_batch(struct files *fs, struct batch *b);
/* Jobs of these partitions of \p topic (all when \p parts is NULL) are
 * forgotten: their next owner reads the events again. */
void files_drop_partitions(struct files *fs, const char *topic,
                           const rd_kafka_topic_partition_list_t *parts);
/* Aborts the downloads, joins the threads and frees every job the stage
 * holds (before the consumer is closed: their messages go back first).
 * Files held by batches are released as those are freed. */
void files_stop(struct files *fs);
void files_destroy(struct files *fs);

/* The stage's metrics rows (dlp_inspector_files_*), at most \p max into
 * \p out; returns how many. They point into \p fs. */
size_t files_metrics(struct files *fs, struct dlp_metric *out, size_t max);

#endif
