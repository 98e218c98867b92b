/* record.c - the event record check and the inspection record (record.h). */
#include "record.h"
#include "err.h"
#include "file_job.h"
#include "schema.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

void record_buf_free(struct record_buf *buf)
{
        free(buf->p);
        memset(buf, 0, sizeof(*buf));
}

/* Room for \p n more bytes and the NUL; 0 when out of memory (remembered:
 * every later write is skipped). */
static int buf_room(struct record_buf *buf, size_t n)
{
        if (!buf->nomem && buf->len + n + 1 > buf->cap &&
            dlp_grow(&buf->p, &buf->cap, buf->len + n + 1, 1) != DLP_OK)
                buf->nomem = 1;
        return !buf->nomem;
}

static void put(struct record_buf *buf, const char *s, size_t n)
{
        if (buf_room(buf, n)) {
                memcpy(buf->p + buf->len, s, n);
                buf->len += n;
        }
}

#define PUT_LIT(buf, lit) put(buf, lit, sizeof(lit) - 1)

/* A JSON string: room for the worst case (every byte a 6-byte escape;
 * ids are short and the buffer is reused), then the shared escaper in one
 * pass. */
static void put_str(struct record_buf *buf, const char *s, size_t n)
{
        if (n > (SIZE_MAX - 3) / 6) {
                buf->nomem = 1;
                return;
        }
        if (buf_room(buf, 6 * n + 2)) {
                buf->p[buf->len++] = '"';
                buf->len += dlp_json_escape_into(buf->p + buf->len, s, n);
                buf->p[buf->len++] = '"';
        }
}

static void put_int(struct record_buf *buf, long long v)
{
        char num[24];
        size_t at = sizeof(num);
        /* the magnitude as unsigned: -LLONG_MIN does not fit a long long */
        unsigned long long m =
            v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

        do {
                num[--at] = (char)('0' + m % 10);
                m /= 10;
        } while (m);
        if (v < 0)
                num[--at] = '-';
        put(buf, num + at, sizeof(num) - at);
}

/* Any other value (findings, files, an event field of an unexpected type)
 * as jansson dumps it. */
static void put_json(struct record_buf *buf, const json_t *v)
{
        size_t flags = JSON_COMPACT | JSON_ENCODE_ANY, room, need;

        if (!buf_room(buf, 0))
                return;
        /* into the room the reused buffer has (nearly always enough), and
         * again when it was not; jansson allocates while dumping, so
         * either may fail: 0 */
        room = buf->cap - buf->len - 1;
        need = json_dumpb(v, buf->p + buf->len, room, flags);
        if (need > room && buf_room(buf, need))
                need = json_dumpb(v, buf->p + buf->len, need, flags);
        if (need == 0 || buf->nomem || buf->len + need + 1 > buf->cap)
                buf->nomem = 1;
        else
                buf->len += need;
}

static void put_value(struct record_buf *buf, const json_t *v)
{
        if (json_is_string(v))
                put_str(buf, json_string_value(v), json_string_length(v));
        else if (json_is_integer(v))
                put_int(buf, (long long)json_integer_value(v));
        else
                put_json(buf, v);
}

const char *record_inspection(struct record_buf *buf,
                              const struct batch_entry *e, const char *backend,
                              const char *batch_id, int attempt,
                              const char *now, const struct record_source *src)
{
        /* the event's fields the record carries, in the record's order */
        static const struct {
                const char *name;
                size_t len;
                const char *member;
        } copied[] = {
#define COPIED(name) {name, sizeof(name) - 1, ",\"" name "\":"}
            COPIED("event_id"), COPIED("team_id"),    COPIED("channel"),
            COPIED("ts"),       COPIED("kind"),       COPIED("user"),
            COPIED("bot_id"),   COPIED("event_time"),
#undef COPIED
        };
        enum { N_COPIED = sizeof(copied) / sizeof(copied[0]) };
        const json_t *val[N_COPIED] = {0};
        const char *key;
        size_t key_len;
        json_t *v;

        /* one walk over the event's members, not a hash lookup per field:
         * at thousands of records per second the lookups cost more than
         * writing the record */
        json_object_keylen_foreach((json_t *)e->event, key, key_len, v)
        {
                for (size_t i = 0; i < N_COPIED; i++)
                        if (key_len == copied[i].len &&
                            !memcmp(key, copied[i].name, key_len)) {
                                val[i] = v;
                                break;
                        }
        }
        buf->len = 0;
        buf->nomem = 0;
        buf->key = json_string_value(val[0]);
        buf->key_len = json_string_length(val[0]);
        PUT_LIT(buf, "{\"schema\":\"" DLP_SCHEMA_INSPECTION "\"");
        for (size_t i = 0; i < N_COPIED; i++) {
                if (!val[i])
                        continue;
                put(buf, copied[i].member, strlen(copied[i].member));
                put_value(buf, val[i]);
        }
        PUT_LIT(buf, ",\"findings\":");
        if (json_array_size(e->findings) == 0)
                PUT_LIT(buf, "[]"); /* nearly every record */
        else
                put_json(buf, e->findings);
        if (e->files) {
                json_t *files = file_job_record(e->files);

                if (!files)
                        buf->nomem = 1;
                PUT_LIT(buf, ",\"files\":");
                if (files)
                        put_json(buf, files);
                json_decref(files);
        }
        if (e->truncated)
                PUT_LIT(buf, ",\"findings_truncated\":true");
        PUT_LIT(buf, ",\"inspected_at\":");
        put_str(buf, now, strlen(now));
        PUT_LIT(buf, ",\"backend\":");
        put_str(buf, backend, strlen(backend));
        PUT_LIT(buf, ",\"batch_id\":");
        put_str(buf, batch_id, strlen(batch_id));
        PUT_LIT(buf, ",\"attempt\":");
        put_int(buf, attempt > 0 ? attempt : 1);
        PUT_LIT(buf, ",\"source\":{\"topic\":");
        put_str(buf, src->topic, strlen(src->topic));
        PUT_LIT(buf, ",\"partition\":");
        put_int(buf, src->partition);
        PUT_LIT(buf, ",\"offset\":");
        put_int(buf, (long long)src->offset);
        PUT_LIT(buf, "}}");
        if (buf->nomem)
                return NULL;
        buf->p[buf->len] = '\0';
        return buf->p;
}
