/* event.c - envelope to dlp.event/1 (see event.h). */
#include "event.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

/* Copies string field \p key from \p src to \p dst when present. */
static void copy_str(json_t *dst, json_t *src, const char *key)
{
        json_t *v = json_object_get(src, key);

        if (json_is_string(v))
                json_object_set(dst, key, v);
}

/* Keeps the metadata of shared files that a later stage may fetch and
 * inspect; never their content. */
static json_t *files_of(json_t *files)
{
        json_t *out = json_array(), *f;
        size_t i;

        json_array_foreach(files, i, f)
        {
                json_t *o;

                if (!json_is_string(json_object_get(f, "id")))
                        continue;
                o = json_object();
                copy_str(o, f, "id");
                copy_str(o, f, "name");
                copy_str(o, f, "mimetype");
                copy_str(o, f, "url_private");
                if (json_is_integer(json_object_get(f, "size")))
                        json_object_set(o, "size", json_object_get(f, "size"));
                json_array_append_new(out, o);
        }
        return out;
}

static const char *kind_of(const char *subtype, const struct event_opts *opts,
                           char *why, size_t why_size)
{
        static const char *const plain[] = {"thread_broadcast", "file_share",
                                            "me_message", "message_changed"};

        if (!subtype)
                return "message";
        for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
                if (!strcmp(subtype, plain[i]))
                        return plain[i];
        if (!strcmp(subtype, "bot_message")) {
                if (opts->include_bots)
                        return "bot_message";
                snprintf(why, why_size, "bot_message (bots not inspected)");
                return NULL;
        }
        snprintf(why, why_size, "message subtype %.*s: nothing to inspect",
                 (int)dlp_utf8_prefix(subtype, 64), subtype);
        return NULL;
}

enum event_verdict event_from_envelope(json_t *env,
                                       const struct event_opts *opts,
                                       json_t **record, const char **event_id,
                                       char *why, size_t why_size)
{
        json_t *ev, *msg, *rec, *files;
        const char *type, *kind, *channel, *ts, *id, *team;
        char derived_id[160];
        json_int_t event_time;

        *record = NULL;
        if (!json_is_object(env)) {
                snprintf(why, why_size, "envelope is not a JSON object");
                return EVENT_INVALID;
        }
        type = str(env, "type");
        if (type && !strcmp(type, "event_callback")) {
                ev = json_object_get(env, "event");
                if (!json_is_object(ev)) {
                        snprintf(why, why_size,
                                 "event_callback without an event object");
                        return EVENT_INVALID;
                }
        } else if (type && !strcmp(type, "message")) {
                ev = env; /* a bare event, as in exports and replays */
        } else {
                const char *t = type ? type : "(none)";
                snprintf(why, why_size, "envelope type %.*s: not an event",
                         (int)dlp_utf8_prefix(t, 64), t);
                return type ? EVENT_SKIP : EVENT_INVALID;
        }

        type = str(ev, "type");
        if (!type || strcmp(type, "message") != 0) {
                const char *t = type ? type : "(none)";
                snprintf(why, why_size, "event type %.*s: not inspected",
                         (int)dlp_utf8_prefix(t, 64), t);
                return EVENT_SKIP;
        }
        kind = kind_of(str(ev, "subtype"), opts, why, why_size);
        if (!kind)
                return EVENT_SKIP;

        /* message_changed carries the new message in "message"; its
         * previous text is history and not re-inspected */
        msg = ev;
        if (!strcmp(kind, "message_changed")) {
                msg = json_object_get(ev, "message");
                if (!json_is_object(msg)) {
                        snprintf(why, why_size,
                                 "message_changed without a message object");
                        return EVENT_INVALID;
                }
        }
        channel = str(ev, "channel");
        ts = str(msg, "ts");
        if (!ts)
                ts = str(ev, "ts");
        if (!channel || !ts) {
                snprintf(why, why_size, "message event without %s",
                         !channel ? "channel" : "ts");
                return EVENT_INVALID;
        }
        if (strlen(channel) > DLP_ID_MAX || strlen(ts) > DLP_ID_MAX) {
                snprintf(why, why_size, "%s over %d bytes",
                         strlen(channel) > DLP_ID_MAX ? "channel" : "ts",
                         DLP_ID_MAX);
                return EVENT_INVALID;
        }
        if (json_object_get(msg, "text") &&
            !json_is_string(json_object_get(msg, "text"))) {
                snprintf(why, why_size, "message text is not a string");
                return EVENT_INVALID;
        }

        id = ev == env ? NULL : str(env, "event_id");
        if (ev != env && (!id || !*id)) {
                /* an empty id would dedupe every such event together */
                snprintf(why, why_size, "envelope without event_id");
                return EVENT_INVALID;
        }
        if (id && strlen(id) > DLP_ID_MAX) {
                snprintf(why, why_size, "event_id over %d bytes", DLP_ID_MAX);
                return EVENT_INVALID;
        }
        if (!id) {
                /* "EvR" + channel + ts digits: stable across replays (so
                 * duplicates share a key) and shaped like Slack's ids */
                size_t n =
                    dlp_fmt(derived_id, sizeof(derived_id), "EvR%s", channel);
                for (const char *p = ts; *p && n + 1 < sizeof(derived_id); p++)
                        if (*p != '.')
                                derived_id[n++] = *p;
                derived_id[n] = '\0';
                id = derived_id;
        }
        team = str(env, "team_id");
        if (!team)
                team = str(ev, "team");
        if (!team)
                team = str(msg, "team");
        if (!team || strlen(team) > DLP_ID_MAX) {
                snprintf(why, why_size, team ? "team_id over 255 bytes"
                                             : "event without team_id");
                return EVENT_INVALID;
        }
        if (json_is_integer(json_object_get(env, "event_time")))
                event_time =
                    json_integer_value(json_object_get(env, "event_time"));
        else
                event_time = (json_int_t)strtoll(ts, NULL, 10);

        rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
                        "schema", "dlp.event/1", "event_id", id, "team_id",
                        team, "channel", channel, "ts", ts, "event_time",
                        event_time, "kind", kind, "text",
                        str(msg, "text") ? str(msg, "text") : "", "received_at",
                        opts->received_at, "source", opts->source);
        if (!rec) {
                snprintf(why, why_size, "out of memory");
                return EVENT_INVALID;
        }
        copy_str(rec, msg, "user");
        copy_str(rec, msg, "bot_id");
        copy_str(rec, msg, "thread_ts");
        copy_str(rec, env, "api_app_id");
        copy_str(rec, ev, "channel_type");
        files = json_object_get(msg, "files");
        if (json_is_array(files) && json_array_size(files) > 0)
                json_object_set_new(rec, "files", files_of(files));
        *record = rec;
        *event_id = str(rec, "event_id");
        return EVENT_PRODUCE;
}

enum event_verdict event_from_line(const char *line, size_t len,
                                   const struct event_opts *opts,
                                   json_t **record, const char **event_id,
                                   char *why, size_t why_size)
{
        json_error_t jerr;
        json_t *env = json_loadb(line, len, 0, &jerr);
        enum event_verdict v;

        *record = NULL;
        if (!env) { /* never jerr.text: it quotes the line */
                char jwhy[128];
                dlp_json_error(&jerr, jwhy, sizeof(jwhy));
                snprintf(why, why_size, "malformed JSON: %s", jwhy);
                return EVENT_INVALID;
        }
        /* the record holds its own references to what it took from env */
        v = event_from_envelope(env, opts, record, event_id, why, why_size);
        json_decref(env);
        return v;
}
