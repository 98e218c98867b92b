/* file_job.c - the files of one event (see file_job.h). */
#include "file_job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "util.h"

const char *file_why_label(enum file_why why)
{
        static const char *const labels[] = {
#define FILE_WHY_LABEL(name, label) label,
            FILE_WHY(FILE_WHY_LABEL)
#undef FILE_WHY_LABEL
        };

        return why >= 0 && why < FILE_WHY_COUNT ? labels[why] : "none";
}

static char *dup_str(const json_t *v)
{
        return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* A Slack file id: F and capitals or digits (dlp.event/1). */
static int id_ok(const char *id)
{
        size_t n = id ? strlen(id) : 0;

        if (n < 2 || n > 32 || id[0] != 'F')
                return 0;
        for (size_t i = 1; i < n; i++)
                if (!((id[i] >= 'A' && id[i] <= 'Z') ||
                      (id[i] >= '0' && id[i] <= '9')))
                        return 0;
        return 1;
}

struct file_job *file_job_new(json_t *event, rd_kafka_message_t *rkm, int *err)
{
        json_t *files = json_object_get(event, "files"), *f;
        struct file_job *job;
        size_t i, n = 0;

        *err = DLP_OK;
        json_array_foreach(files, i, f) n +=
            id_ok(json_string_value(json_object_get(f, "id")));
        if (n == 0)
                return NULL;
        job = calloc(1, sizeof(*job));
        if (!job || !(job->v = calloc(n, sizeof(*job->v)))) {
                free(job);
                *err = DLP_ERR_NOMEM;
                return NULL;
        }
        json_array_foreach(files, i, f)
        {
                struct file_item *it = &job->v[job->n];
                const json_t *size = json_object_get(f, "size");

                if (!id_ok(json_string_value(json_object_get(f, "id"))))
                        continue;
                job->n++;
                it->why = FILE_WHY_NONE;
                it->id = dup_str(json_object_get(f, "id"));
                it->name = dup_str(json_object_get(f, "name"));
                it->mimetype = dup_str(json_object_get(f, "mimetype"));
                it->link = dup_str(json_object_get(f, "permalink"));
                if (!it->link)
                        it->link = dup_str(json_object_get(f, "url_private"));
                it->download =
                    dup_str(json_object_get(f, "url_private_download"));
                it->size =
                    json_is_integer(size) ? json_integer_value(size) : -1;
                if (!it->id) {
                        file_job_free(job);
                        *err = DLP_ERR_NOMEM;
                        return NULL;
                }
        }
        job->rkm = rkm;
        job->event = event;
        return job;
}

static void item_free(struct file_item *it)
{
        free(it->id);
        free(it->name);
        free(it->mimetype);
        free(it->filetype);
        free(it->link);
        free(it->download);
        free(it->data);
        file_lines_free(&it->lines);
}

void file_job_free(struct file_job *job)
{
        if (!job)
                return;
        for (size_t i = 0; i < job->n; i++)
                item_free(&job->v[i]);
        if (job->release)
                job->release(job->release_ctx, job->fetch_n, job->reserved);
        if (job->rkm)
                rd_kafka_message_destroy(job->rkm);
        json_decref(job->event);
        free(job->v);
        free(job);
}

void file_item_fail(struct file_item *it, enum file_why why, const char *fmt,
                    ...)
{
        va_list ap;

        it->done = 1;
        it->why = why;
        va_start(ap, fmt);
        dlp_vfmt(it->reason, sizeof(it->reason), fmt, ap);
        va_end(ap);
        if (!it->reason[0])
                dlp_fmt(it->reason, sizeof(it->reason), "not inspected");
        free(it->data);
        it->data = NULL;
        it->len = 0;
        it->rows = 0;
        file_lines_free(&it->lines);
}

int file_item_keep(struct file_item *it, unsigned char *data, size_t len,
                   const char *byte_type)
{
        free(it->data);
        it->data = data;
        it->len = len;
        it->byte_type = byte_type;
        it->done = 1;
        it->why = FILE_WHY_NONE;
        if (!byte_type &&
            file_lines_index((const char *)data, len, &it->lines) != DLP_OK) {
                file_item_fail(it, FILE_WHY_FAILED, "out of memory");
                return DLP_ERR_NOMEM;
        }
        return DLP_OK;
}

json_t *file_job_record(const struct file_job *job)
{
        json_t *a = json_array();
        int err = !a;

        for (size_t i = 0; !err && i < job->n; i++) {
                const struct file_item *it = &job->v[i];
                json_t *o = json_object();

                /* a record missing a member would break its schema: any
                 * allocation failing fails the whole */
                err =
                    !o || json_array_append_new(a, o) ||
                    json_object_set_new(o, "id", json_string(it->id)) ||
                    (it->name &&
                     json_object_set_new(o, "name", json_string(it->name))) ||
                    (it->mimetype &&
                     json_object_set_new(o, "mimetype",
                                         json_string(it->mimetype))) ||
                    (it->size >= 0 &&
                     json_object_set_new(o, "size", json_integer(it->size))) ||
                    (it->link &&
                     json_object_set_new(o, "link", json_string(it->link))) ||
                    json_object_set_new(o, "inspected",
                                        json_boolean(it->why == FILE_WHY_NONE));
                if (err)
                        break;
                if (it->why != FILE_WHY_NONE)
                        err = json_object_set_new(o, "reason",
                                                  json_string(it->reason));
                else
                        err = json_object_set_new(o, "as",
                                                  json_string(it->byte_type
                                                                  ? "bytes"
                                                                  : "text")) ||
                              json_object_set_new(
                                  o, "requests",
                                  json_integer((json_int_t)it->rows));
        }
        if (err) {
                json_decref(a);
                return NULL;
        }
        return a;
}
