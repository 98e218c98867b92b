/* record.c - the event record check and the inspection record (record.h). */
#include "record.h"
#include "err.h"
#include "file_job.h"
#include "schema.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* dlp.event/1 parts (optional): a list of {where, text}, where a short
 * label (it goes into findings and alerts); at most 256 of them. */
static int parts_ok(const json_t *parts)
{
        size_t i;
        json_t *p;

        if (!parts)
                return 1;
        if (!json_is_array(parts) || json_array_size(parts) > 256)
                return 0;
        json_array_foreach(parts, i, p)
        {
                json_t *w = json_object_get(p, "where");

                if (!json_is_string(w) || !json_string_length(w) ||
                    json_string_length(w) > 200 ||
                    !json_is_string(json_object_get(p, "text")))
                        return 0;
        }
        return 1;
}

int record_event_check(const json_t *ev, char *why, size_t why_size)
{
        static const char *const required[] = {"event_id", "team_id", "channel",
                                               "ts",       "kind",    "text"};
        const char *schema;

        if (!json_is_object(ev)) {
                snprintf(why, why_size, "not a JSON object: wrong type");
                return DLP_ERR_INVALID;
        }
        schema = json_string_value(json_object_get(ev, "schema"));
        if (!schema || strcmp(schema, DLP_SCHEMA_EVENT) != 0) {
                schema = schema ? schema : "missing";
                snprintf(why, why_size, "schema is %.*s, not dlp.event/1",
                         (int)dlp_utf8_prefix(schema, 40), schema);
                return DLP_ERR_INVALID;
        }
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
                json_t *v = json_object_get(ev, required[i]);

                if (!json_is_string(v) ||
                    (strcmp(required[i], "text") != 0 &&
                     json_string_length(v) > DLP_ID_MAX)) {
                        snprintf(why, why_size,
                                 "not a valid dlp.event/1 record: %s is "
                                 "missing, not a string or over %d bytes",
                                 required[i], DLP_ID_MAX);
                        return DLP_ERR_INVALID;
                }
        }
        if (!parts_ok(json_object_get(ev, "parts"))) {
                snprintf(why, why_size,
                         "not a valid dlp.event/1 record: parts is not a "
                         "list of {where, text} strings");
                return DLP_ERR_INVALID;
        }
        return DLP_OK;
}

json_t *record_inspection(const struct batch_entry *e, const char *backend,
                          const char *batch_id, int attempt, const char *now,
                          const struct record_source *src)
{
        static const char *const copied[] = {"event_id", "team_id",   "channel",
                                             "ts",       "kind",      "user",
                                             "bot_id",   "event_time"};
        json_t *rec = json_object();
        int err = !rec;

        err = err || json_object_set_new(rec, "schema",
                                         json_string(DLP_SCHEMA_INSPECTION));
        for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
                json_t *v = json_object_get(e->event, copied[i]);

                err = err || (v && json_object_set(rec, copied[i], v));
        }
        err = err || json_object_set(rec, "findings", e->findings);
        err = err || (e->files && json_object_set_new(
                                      rec, "files", file_job_record(e->files)));
        err = err ||
              (e->truncated &&
               json_object_set_new(rec, "findings_truncated", json_true()));
        err = err ||
              json_object_set_new(rec, "inspected_at", json_string(now)) ||
              json_object_set_new(rec, "backend", json_string(backend)) ||
              json_object_set_new(rec, "batch_id", json_string(batch_id)) ||
              json_object_set_new(rec, "attempt",
                                  json_integer(attempt > 0 ? attempt : 1)) ||
              json_object_set_new(
                  rec, "source",
                  json_pack("{s:s, s:i, s:I}", "topic", src->topic, "partition",
                            src->partition, "offset", (json_int_t)src->offset));
        if (err) {
                json_decref(rec);
                return NULL;
        }
        return rec;
}
