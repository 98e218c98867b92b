/* file_job.h - the files of one event, from the event record to the
 * inspection record (DESIGN §14).
 *
 * A job is made from an event's "files" when the event is taken; the fetch
 * stage (files.h) fills each file's contents or the reason it was not
 * inspected; the batch then takes the job with its event (batch_add_files):
 * a text file's chunks and a byte file's one byteItem become rows, and
 * findings in them name the file (file_id, line for text). The job is
 * freed with its batch entry, after the event's record is written: that is
 * when its bytes leave memory. Contents are never logged, written to Kafka
 * or to disk; the record says per file whether it was inspected, how, or
 * why not.
 *
 * Not thread-safe: one thread at a time (the fetch stage hands a job from
 * its threads to the main thread under its own lock). */
#ifndef DLP_FILE_JOB_H
#define DLP_FILE_JOB_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "file_chunk.h"

/* Why a file was not inspected: a metric per reason. */
#define FILE_WHY(X)                                                            \
        X(TOO_LARGE, "too_large")                                              \
        X(UNSUPPORTED, "unsupported")                                          \
        X(DELETED, "deleted")                                                  \
        X(EXTERNAL, "external")                                                \
        X(NO_ACCESS, "no_access")                                              \
        X(TIMED_OUT, "timed_out")                                              \
        X(FAILED, "failed")
enum file_why {
        FILE_WHY_NONE = -1,
#define FILE_WHY_ENUM(name, label) FILE_WHY_##name,
        FILE_WHY(FILE_WHY_ENUM)
#undef FILE_WHY_ENUM
            FILE_WHY_COUNT
};
/* "too_large": the metric's label. */
const char *file_why_label(enum file_why why);

struct file_item {
        char *id, *name, *mimetype, *filetype; /* owned; id never NULL */
        char *link;     /* permalink, else url_private; owned, may be NULL */
        char *download; /* url_private_download once known; owned */
        long long size; /* -1: unknown */
        /* the outcome */
        int done;            /* fetched, or given up on */
        enum file_why why;   /* FILE_WHY_NONE: inspected */
        char reason[200];    /* when not inspected */
        unsigned char *data; /* the contents (owned); NULL when none */
        size_t len;
        const char *byte_type;   /* NULL: text, else a ByteContentItem type */
        struct file_lines lines; /* text: where each line starts */
        size_t rows;             /* rows (= DLP requests) it took */
};

struct file_job {
        rd_kafka_message_t *rkm; /* owned until the batch takes it */
        json_t *event;           /* owned until the batch takes it */
        struct file_item *v;
        size_t n;
        /* called once when the job is freed, with fetch_n and reserved:
         * the fetch stage's count of files and bytes in memory */
        void (*release)(void *ctx, size_t n, size_t bytes);
        void *release_ctx;
        /* the fetch stage's, under its lock */
        int cancelled;         /* its partition was revoked */
        size_t fetch_n;        /* the first fetch_n files are fetched and
                                * counted in memory; the rest were given
                                * up on at submit (too many) */
        size_t reserved;       /* bytes counted for its files at submit */
        size_t next_file;      /* the next file a thread takes */
        size_t files_left;     /* files not yet fetched or given up on */
        struct file_job *next; /* the stage's lists */
};

/* The files of \p event (its "files" array; entries without a valid id are
 * skipped), or NULL with *err DLP_OK when it has none, DLP_ERR_NOMEM when
 * out of memory. \p rkm and \p event stay the caller's until the job is
 * handed to a batch. */
struct file_job *file_job_new(json_t *event, rd_kafka_message_t *rkm, int *err);
/* Frees the job, its files' bytes, and (when set) its message and event;
 * calls release. NULL is fine. */
void file_job_free(struct file_job *job);

/* Marks \p it not inspected for \p why with a reason (printf format),
 * freeing its bytes. */
void file_item_fail(struct file_item *it, enum file_why why, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));
/* Keeps \p data (taken over) as the contents of \p it: text (\p byte_type
 * NULL, indexed by line) or bytes. DLP_OK or DLP_ERR_NOMEM (data freed,
 * the file failed). */
int file_item_keep(struct file_item *it, unsigned char *data, size_t len,
                   const char *byte_type);

/* The inspection record's "files" (dlp.inspection/1): a new array, or
 * NULL when out of memory. */
json_t *file_job_record(const struct file_job *job);

#endif
