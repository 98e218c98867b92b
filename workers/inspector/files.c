/* files.c - the fetch stage: files downloaded by a few threads off the
 * slot path (see files.h). */
#include "files.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "file_fetch.h"
#include "httpc.h"
#include "log.h"
#include "util.h"

#define SETUP_LOG_EVERY_MS (5 * 60 * 1000) /* one line, not one per file */
#define INFO_TIMEOUT_MS    10000           /* files.info is a small answer */
#define INFO_MAX_BYTES     (1024 * 1024)   /* a file object is a few KiB */

struct files {
        struct files_opts o;
        struct files_metrics m;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        pthread_t *threads;
        int nthreads;
        int stopping;     /* under lock */
        atomic_int abort; /* downloads in progress stop */
        struct file_job *pending, *pending_tail; /* fetching, submit order */
        struct file_job *ready, *ready_tail;     /* fetched, finish order */
        atomic_ulong in_memory;  /* files from submit to their job's free */
        atomic_ulong bytes_held; /* their reserved bytes */
        atomic_llong last_setup_log_ms;
};

static void list_push(struct file_job **head, struct file_job **tail,
                      struct file_job *job)
{
        job->next = NULL;
        if (*tail)
                (*tail)->next = job;
        else
                *head = job;
        *tail = job;
}

static void list_remove(struct file_job **head, struct file_job **tail,
                        struct file_job *job)
{
        struct file_job *prev = NULL;

        for (struct file_job *j = *head; j; prev = j, j = j->next) {
                if (j != job)
                        continue;
                if (prev)
                        prev->next = j->next;
                else
                        *head = j->next;
                if (*tail == j)
                        *tail = prev;
                j->next = NULL;
                return;
        }
}

static void release(void *ctx, size_t n, size_t bytes)
{
        struct files *fs = ctx;

        atomic_fetch_sub(&fs->bytes_held, bytes);
        atomic_fetch_sub(&fs->in_memory, n);
        atomic_store(&fs->m.in_flight, atomic_load(&fs->in_memory));
}

/* Sleeps up to \p ms unless the stage stops; 0 when it stops. */
static int stage_sleep(struct files *fs, long ms)
{
        struct timespec ts;
        int stopping;

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&fs->lock);
        while (!fs->stopping &&
               pthread_cond_timedwait(&fs->wake, &fs->lock, &ts) == 0)
                ;
        stopping = fs->stopping;
        pthread_mutex_unlock(&fs->lock);
        return !stopping;
}

/* A token that cannot read files: loud once in a while, counted always. */
static void setup_error(struct files *fs, struct file_item *it,
                        const char *what)
{
        long long now = (long long)dlp_mono_ms();
        long long last = atomic_load(&fs->last_setup_log_ms);

        atomic_fetch_add(&fs->m.setup_errors, 1);
        if ((last == 0 || now - last >= SETUP_LOG_EVERY_MS) &&
            atomic_compare_exchange_strong(&fs->last_setup_log_ms, &last, now))
                LOG_ERROR(
                    "files are not inspected: %s. Give the Slack app the "
                    "files:read scope and reinstall it (SLACK_BOT_TOKEN); "
                    "the records say which files were not inspected "
                    "(logged once every 5 minutes, counted in "
                    "dlp_inspector_file_setup_errors_total)",
                    what);
        file_item_fail(it, FILE_WHY_NO_ACCESS, "%s", what);
}

/* Sorts a reason of file_fetch into the metric's kinds. */
static enum file_why why_of(const char *reason)
{
        static const struct {
                const char *prefix;
                enum file_why why;
        } kinds[] = {
            {"too large", FILE_WHY_TOO_LARGE},
            {"unsupported", FILE_WHY_UNSUPPORTED},
            {"deleted", FILE_WHY_DELETED},
            {"external", FILE_WHY_EXTERNAL},
            {"access denied", FILE_WHY_NO_ACCESS},
            {"no download URL", FILE_WHY_NO_ACCESS},
        };

        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
                if (!strncmp(reason, kinds[i].prefix, strlen(kinds[i].prefix)))
                        return kinds[i].why;
        return FILE_WHY_FAILED;
}

static void set_str(char **dst, const json_t *v)
{
        if (!json_is_string(v))
                return;
        char *s = strdup(json_string_value(v));
        if (s) {
                free(*dst);
                *dst = s;
        }
}

/* files.info: the file object, or NULL with \p it failed. */
static json_t *files_info(struct files *fs, struct dlp_httpc *http,
                          struct file_item *it)
{
        char url[1024], errstr[256], reason[200];

        dlp_fmt(url, sizeof(url), "%s/files.info?file=%s", fs->o.api_url,
                it->id);
        for (int t = 1;; t++) {
                struct dlp_http_result res;
                json_t *file;
                long wait_ms;
                int rc = dlp_httpc_get(http, url, fs->o.token, &res, errstr,
                                       sizeof(errstr));

                switch (file_info_sort(rc == DLP_OK ? res.status : 0, res.body,
                                       res.body_len, &file, reason,
                                       sizeof(reason))) {
                case FILE_FETCH_OK:
                        dlp_http_result_free(&res);
                        return file;
                case FILE_FETCH_SETUP_ERROR:
                        setup_error(fs, it, reason);
                        dlp_http_result_free(&res);
                        return NULL;
                case FILE_FETCH_UNINSPECTABLE:
                        file_item_fail(it, why_of(reason), "%s", reason);
                        dlp_http_result_free(&res);
                        return NULL;
                case FILE_FETCH_RETRY:
                        break;
                }
                wait_ms = res.retry_after > 0 ? (long)(res.retry_after * 1000)
                                              : 500L << (t < 6 ? t : 6);
                dlp_http_result_free(&res);
                /* a timeout, 429 or 5xx: again, a bounded number of times */
                if (t >= fs->o.max_tries) {
                        file_item_fail(it, FILE_WHY_FAILED,
                                       "files.info failed %d times", t);
                        return NULL;
                }
                if (!stage_sleep(fs, wait_ms < 30000 ? wait_ms : 30000)) {
                        file_item_fail(it, FILE_WHY_FAILED, "stopping");
                        return NULL;
                }
        }
}

/* Fetches one file of a job: its contents or why not, into \p it. */
static void fetch_one(struct files *fs, struct file_fetcher *ff,
                      struct dlp_httpc *http, struct file_item *it)
{
        json_t *file;
        char reason[200];

        if (it->download) { /* the event's own file object will do */
                file = json_pack("{s:s}", "url_private_download", it->download);
                if (file && it->size >= 0)
                        json_object_set_new(file, "size",
                                            json_integer(it->size));
        } else if (!(file = files_info(fs, http, it)))
                return;
        if (!file) {
                file_item_fail(it, FILE_WHY_FAILED, "out of memory");
                return;
        }
        set_str(&it->name, json_object_get(file, "name"));
        set_str(&it->mimetype, json_object_get(file, "mimetype"));
        set_str(&it->filetype, json_object_get(file, "filetype"));
        set_str(&it->download, json_object_get(file, "url_private_download"));
        if (json_is_string(json_object_get(file, "permalink")))
                set_str(&it->link, json_object_get(file, "permalink"));
        else if (!it->link)
                set_str(&it->link, json_object_get(file, "url_private"));
        if (json_is_integer(json_object_get(file, "size")))
                it->size = json_integer_value(json_object_get(file, "size"));
        if (!file_fetch_precheck(file, fs->o.max_bytes, reason,
                                 sizeof(reason))) {
                json_decref(file);
                file_item_fail(it, why_of(reason), "%s", reason);
                return;
        }
        json_decref(file);
        for (int t = 1;; t++) {
                struct file_fetch_result res;
                int64_t t0 = dlp_mono_ms();
                long wait_ms;

                file_fetch(ff, it->download, fs->o.token, it->mimetype,
                           it->filetype, fs->o.max_bytes, &res);
                dlp_hist_observe(&fs->m.download_seconds,
                                 (double)(dlp_mono_ms() - t0) / 1000);
                switch (res.outcome) {
                case FILE_FETCH_OK:
                        atomic_fetch_add(&fs->m.fetched, 1);
                        atomic_fetch_add(&fs->m.bytes, res.len);
                        file_item_keep(it, res.data, res.len,
                                       res.sniff.kind == FILE_KIND_BYTES
                                           ? res.sniff.byte_type
                                           : NULL);
                        res.data = NULL; /* now the item's */
                        return;
                case FILE_FETCH_UNINSPECTABLE:
                        file_item_fail(it, why_of(res.reason), "%s",
                                       res.reason);
                        return;
                case FILE_FETCH_SETUP_ERROR:
                        setup_error(fs, it,
                                    res.http_status == 401
                                        ? "the bot token was refused (HTTP "
                                          "401)"
                                        : "the bot token lacks files:read");
                        return;
                case FILE_FETCH_RETRY:
                        break;
                }
                if (atomic_load(&fs->abort)) {
                        file_item_fail(it, FILE_WHY_FAILED, "stopping");
                        return;
                }
                if (t >= fs->o.max_tries) {
                        if (!strncmp(res.reason, "download timed out", 18))
                                file_item_fail(it, FILE_WHY_TIMED_OUT,
                                               "download timed out");
                        else
                                file_item_fail(it, FILE_WHY_FAILED,
                                               "download failed %d times: %s",
                                               t, res.reason);
                        return;
                }
                wait_ms = res.retry_after_s > 0 ? res.retry_after_s * 1000L
                                                : 500L << (t < 6 ? t : 6);
                if (!stage_sleep(fs, wait_ms < 30000 ? wait_ms : 30000)) {
                        file_item_fail(it, FILE_WHY_FAILED, "stopping");
                        return;
                }
        }
}

/* The next file to fetch, under the lock: NULL when none. */
static struct file_job *next_task(struct files *fs, size_t *idx)
{
        for (struct file_job *j = fs->pending; j; j = j->next)
                if (j->next_file < j->fetch_n) {
                        *idx = j->next_file++;
                        return j;
                }
        return NULL;
}

/* One file done (under the lock): a job whose files are all done is
 * ready. */
static void file_done(struct files *fs, struct file_job *job)
{
        if (--job->files_left > 0)
                return;
        list_remove(&fs->pending, &fs->pending_tail, job);
        list_push(&fs->ready, &fs->ready_tail, job);
}

static void *fetch_thread(void *arg)
{
        struct files *fs = arg;
        struct file_fetcher *ff = file_fetcher_new(
            fs->o.timeout_ms, fs->o.api_url, fs->o.download_hosts);
        struct dlp_httpc *http =
            dlp_httpc_new(fs->o.timeout_ms < INFO_TIMEOUT_MS ? fs->o.timeout_ms
                                                             : INFO_TIMEOUT_MS);

        if (ff)
                file_fetcher_abort_on(ff, &fs->abort);
        if (http)
                dlp_httpc_set_max_body(http, INFO_MAX_BYTES);
        pthread_mutex_lock(&fs->lock);
        while (!fs->stopping) {
                struct file_job *job;
                size_t idx;
                int cancelled;

                if (!(job = next_task(fs, &idx))) {
                        pthread_cond_wait(&fs->wake, &fs->lock);
                        continue;
                }
                cancelled = job->cancelled;
                pthread_mutex_unlock(&fs->lock);
                if (cancelled)
                        file_item_fail(&job->v[idx], FILE_WHY_FAILED,
                                       "revoked");
                else if (!ff || !http)
                        file_item_fail(&job->v[idx], FILE_WHY_FAILED,
                                       "out of memory");
                else
                        fetch_one(fs, ff, http, &job->v[idx]);
                pthread_mutex_lock(&fs->lock);
                file_done(fs, job);
        }
        pthread_mutex_unlock(&fs->lock);
        file_fetcher_destroy(ff);
        dlp_httpc_destroy(http);
        return NULL;
}

struct files *files_new(const struct files_opts *o, char *errstr,
                        size_t errstr_size)
{
        struct files *fs = calloc(1, sizeof(*fs));

        if (!fs) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        fs->o = *o;
        if (fs->o.token && !*fs->o.token)
                fs->o.token = NULL;
        pthread_mutex_init(&fs->lock, NULL);
        pthread_cond_init(&fs->wake, NULL);
        if (!fs->o.token)
                return fs; /* nothing is fetched: no threads */
        fs->threads = calloc((size_t)o->threads, sizeof(*fs->threads));
        if (!fs->threads) {
                snprintf(errstr, errstr_size, "out of memory");
                files_destroy(fs);
                return NULL;
        }
        for (int i = 0; i < o->threads; i++) {
                if (pthread_create(&fs->threads[i], NULL, fetch_thread, fs)) {
                        snprintf(errstr, errstr_size,
                                 "cannot start a file fetching thread");
                        files_stop(fs);
                        files_destroy(fs);
                        return NULL;
                }
                fs->nthreads++;
        }
        return fs;
}

int files_enabled(const struct files *fs)
{
        return fs && fs->o.token != NULL;
}

/* The bytes the first \p take files of \p job may hold: the size Slack
 * states, capped at DLP_FILE_MAX_BYTES, or the cap when it states none.
 * A download is still cut at the cap, not at the stated size: a size that
 * lies can overshoot the budget by at most one cap per file. */
static size_t reserve_of(const struct files *fs, const struct file_job *job,
                         size_t take)
{
        size_t sum = 0;

        for (size_t i = 0; i < take; i++) {
                long long size = job->v[i].size;

                sum += size > 0 && (unsigned long long)size < fs->o.max_bytes
                           ? (size_t)size
                           : fs->o.max_bytes;
        }
        return sum;
}

int files_submit(struct files *fs, struct file_job *job)
{
        unsigned long held = atomic_load(&fs->in_memory);
        unsigned long bytes = atomic_load(&fs->bytes_held);
        /* a record may list any number of files (Slack shares at most
         * 10 per message): past the bound they are not fetched at all, or
         * one job alone would hold n × DLP_FILE_MAX_BYTES */
        size_t take =
            job->n < fs->o.max_in_flight ? job->n : fs->o.max_in_flight;

        if (!fs->o.token)
                return DLP_ERR_INVALID;
        size_t need = reserve_of(fs, job, take);

        if (held > 0 &&
            (held + take > fs->o.max_in_flight ||
             (fs->o.memory_bytes && bytes + need > fs->o.memory_bytes)))
                return DLP_ERR_TOOBIG;
        for (size_t i = take; i < job->n; i++)
                file_item_fail(&job->v[i], FILE_WHY_FAILED,
                               "too many files in one event: the first %zu "
                               "are inspected (DLP_FILE_MAX_IN_FLIGHT)",
                               take);
        job->fetch_n = take;
        job->reserved = need;
        atomic_fetch_add(&fs->bytes_held, need);
        atomic_fetch_add(&fs->in_memory, take);
        atomic_store(&fs->m.in_flight, atomic_load(&fs->in_memory));
        job->release = release;
        job->release_ctx = fs;
        job->next_file = 0;
        job->files_left = take;
        pthread_mutex_lock(&fs->lock);
        list_push(&fs->pending, &fs->pending_tail, job);
        pthread_cond_broadcast(&fs->wake);
        pthread_mutex_unlock(&fs->lock);
        return DLP_OK;
}

struct file_job *files_ready(struct files *fs)
{
        struct file_job *job;

        pthread_mutex_lock(&fs->lock);
        while ((job = fs->ready) && job->cancelled) {
                list_remove(&fs->ready, &fs->ready_tail, job);
                pthread_mutex_unlock(&fs->lock);
                file_job_free(job);
                pthread_mutex_lock(&fs->lock);
        }
        pthread_mutex_unlock(&fs->lock);
        return job;
}

void files_pop(struct files *fs)
{
        struct file_job *job;

        pthread_mutex_lock(&fs->lock);
        job = fs->ready;
        if (job)
                list_remove(&fs->ready, &fs->ready_tail, job);
        pthread_mutex_unlock(&fs->lock);
        for (size_t i = 0; job && i < job->n; i++)
                if (job->v[i].why != FILE_WHY_NONE)
                        atomic_fetch_add(&fs->m.not_inspected[job->v[i].why],
                                         1);
}

int files_to_batch(struct files *fs, struct batch *b)
{
        struct file_job *job;
        int n = 0, rc;

        while ((job = files_ready(fs)) != NULL) {
                rc = batch_add_files(b, job);
                if (rc == DLP_ERR_TOOBIG)
                        break; /* the next batch */
                if (rc != DLP_OK)
                        return rc;
                files_pop(fs);
                n++;
        }
        return n;
}

static int job_in(const struct file_job *job, const char *topic,
                  const rd_kafka_topic_partition_list_t *parts)
{
        if (!parts)
                return 1;
        for (int p = 0; p < parts->cnt; p++)
                if (job->rkm &&
                    parts->elems[p].partition == job->rkm->partition &&
                    !strcmp(parts->elems[p].topic, topic))
                        return 1;
        return 0;
}

void files_drop_partitions(struct files *fs, const char *topic,
                           const rd_kafka_topic_partition_list_t *parts)
{
        if (!fs)
                return;
        pthread_mutex_lock(&fs->lock);
        for (struct file_job *j = fs->pending; j; j = j->next)
                j->cancelled |= job_in(j, topic, parts);
        for (struct file_job *j = fs->ready; j; j = j->next)
                j->cancelled |= job_in(j, topic, parts);
        pthread_mutex_unlock(&fs->lock);
        files_ready(fs); /* frees the ready ones now */
}

void files_stop(struct files *fs)
{
        struct file_job *j;

        if (!fs)
                return;
        pthread_mutex_lock(&fs->lock);
        fs->stopping = 1;
        atomic_store(&fs->abort, 1);
        pthread_cond_broadcast(&fs->wake);
        pthread_mutex_unlock(&fs->lock);
        for (int i = 0; i < fs->nthreads; i++)
                pthread_join(fs->threads[i], NULL);
        fs->nthreads = 0;
        while ((j = fs->pending)) {
                list_remove(&fs->pending, &fs->pending_tail, j);
                file_job_free(j);
        }
        while ((j = fs->ready)) {
                list_remove(&fs->ready, &fs->ready_tail, j);
                file_job_free(j);
        }
}

void files_destroy(struct files *fs)
{
        if (!fs)
                return;
        files_stop(fs);
        pthread_mutex_destroy(&fs->lock);
        pthread_cond_destroy(&fs->wake);
        free(fs->threads);
        free(fs);
}

size_t files_metrics(struct files *fs, struct dlp_metric *out, size_t max)
{
        static const char *const why_names[] = {
#define FILE_WHY_METRIC(name, label)                                           \
        "dlp_inspector_files_not_inspected_" label "_total",
            FILE_WHY(FILE_WHY_METRIC)
#undef FILE_WHY_METRIC
        };
        struct dlp_metric rows[6 + FILE_WHY_COUNT] = {
            {"dlp_inspector_files_fetched_total",
             "files downloaded whole and kept for inspection", DLP_COUNTER,
             &fs->m.fetched, NULL},
            {"dlp_inspector_file_bytes_fetched_total",
             "bytes of the files downloaded", DLP_COUNTER, &fs->m.bytes, NULL},
            {"dlp_inspector_file_setup_errors_total",
             "files not fetched because the bot token cannot read files "
             "(no files:read scope, refused)",
             DLP_COUNTER, &fs->m.setup_errors, NULL},
            {"dlp_inspector_files_in_flight",
             "files held from hand-over to fetching until their record is "
             "written (at most DLP_FILE_MAX_IN_FLIGHT)",
             DLP_GAUGE, &fs->m.in_flight, NULL},
            {"dlp_inspector_file_download_seconds",
             "time of one download attempt", DLP_HISTOGRAM, NULL,
             &fs->m.download_seconds},
        };
        size_t n = 5;

        for (int w = 0; w < FILE_WHY_COUNT; w++)
                rows[n++] = (struct dlp_metric){
                    why_names[w],
                    "files of events whose contents were not inspected, by "
                    "reason (the record says why)",
                    DLP_COUNTER, &fs->m.not_inspected[w], NULL};
        if (n > max)
                n = max;
        memcpy(out, rows, n * sizeof(*out));
        return n;
}
