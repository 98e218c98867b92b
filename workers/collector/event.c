/* event.c - envelope to dlp.event/1 (see event.h). */
#include "event.h"
#include "schema.h"
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

const char *event_reason_key(enum event_reason r)
{
        static const char *const keys[] = {
#define EVENT_REASON_KEY(name, key) key,
            EVENT_REASONS(EVENT_REASON_KEY)
#undef EVENT_REASON_KEY
        };

        return (unsigned)r < EVENT_REASON_CNT ? keys[r] : "?";
}

/* ---- what a person sees ------------------------------------------------ */

/* Appends {"where": where, "text": text} unless text is empty. */
static int part_add(json_t *parts, const char *where, const char *text)
{
        if (!text || !*text)
                return 0;
        return json_array_append_new(
            parts, json_pack("{s:s, s:s}", "where", where, "text", text));
}

/* Appends \p n bytes of \p t to the growing string *buf. */
static void buf_add(char **buf, size_t *len, const char *t, size_t n)
{
        char *nb = realloc(*buf, *len + n + 1);

        if (!nb)
                return;
        memcpy(nb + *len, t, n);
        *len += n;
        nb[*len] = '\0';
        *buf = nb;
}

/* Appends \p t to the growing string *buf, after \p sep if it holds
 * something already; an empty \p t adds nothing (nor does a failed
 * allocation: the text lacks that piece, whole). */
static void buf_join(char **buf, size_t *len, const char *t, char sep)
{
        size_t n = t ? strlen(t) : 0;
        char *nb;

        if (!n || !(nb = realloc(*buf, *len + n + 2)))
                return;
        if (*len)
                nb[(*len)++] = sep;
        memcpy(nb + *len, t, n + 1);
        *len += n;
        *buf = nb;
}

/* Appends a rich_text element tree to \p buf written as Slack writes the
 * same message's text (mrkdwn): "&amp;" escapes, "<url|label>" links,
 * "<@U…>" mentions, ":emoji:"; a newline between top-level sections. So a
 * block that only mirrors the text is found in it and not inspected
 * twice. */
static void rich_text_flatten(json_t *el, char **buf, size_t *len)
{
        const char *type = str(el, "type"), *t;
        json_t *kids = json_object_get(el, "elements"), *k;
        char tmp[512];
        size_t i;

        if (!type)
                type = "";
        if (!strcmp(type, "text") && (t = str(el, "text"))) {
                for (; *t; t++) {
                        const char *e = *t == '&'   ? "&amp;"
                                        : *t == '<' ? "&lt;"
                                        : *t == '>' ? "&gt;"
                                                    : NULL;
                        if (e)
                                buf_add(buf, len, e, strlen(e));
                        else
                                buf_add(buf, len, t, 1);
                }
        } else if (!strcmp(type, "link") && str(el, "url")) {
                if (str(el, "text"))
                        dlp_fmt(tmp, sizeof(tmp), "<%s|%s>", str(el, "url"),
                                str(el, "text"));
                else
                        dlp_fmt(tmp, sizeof(tmp), "<%s>", str(el, "url"));
                buf_add(buf, len, tmp, strlen(tmp));
        } else if (!strcmp(type, "user") && str(el, "user_id")) {
                dlp_fmt(tmp, sizeof(tmp), "<@%s>", str(el, "user_id"));
                buf_add(buf, len, tmp, strlen(tmp));
        } else if (!strcmp(type, "channel") && str(el, "channel_id")) {
                dlp_fmt(tmp, sizeof(tmp), "<#%s>", str(el, "channel_id"));
                buf_add(buf, len, tmp, strlen(tmp));
        } else if (!strcmp(type, "emoji") && str(el, "name")) {
                dlp_fmt(tmp, sizeof(tmp), ":%s:", str(el, "name"));
                buf_add(buf, len, tmp, strlen(tmp));
        }
        json_array_foreach(kids, i, k)
        {
                rich_text_flatten(k, buf, len);
                if (!strcmp(type, "rich_text") && i + 1 < json_array_size(kids))
                        buf_add(buf, len, "\n", 1);
        }
}

/* The visible text of one block (a new string, or NULL for none). */
static char *block_text(json_t *b)
{
        const char *type = str(b, "type");
        char *buf = NULL;
        size_t len = 0;
        json_t *v;
        size_t i;

        if (!type)
                return NULL;
        if (!strcmp(type, "rich_text")) {
                rich_text_flatten(b, &buf, &len);
                return buf;
        }
        if (!strcmp(type, "section") || !strcmp(type, "header")) {
                const char *t = str(json_object_get(b, "text"), "text");
                json_t *fields = json_object_get(b, "fields");

                buf_join(&buf, &len, t, '\n');
                json_array_foreach(fields, i, v)
                    buf_join(&buf, &len, str(v, "text"), '\n');
                return buf;
        }
        if (!strcmp(type, "context")) {
                json_array_foreach(json_object_get(b, "elements"), i, v)
                    buf_join(&buf, &len, str(v, "text"), ' ');
                return buf;
        }
        return NULL;
}

json_t *event_parts(json_t *msg)
{
        static const char *const att_fields[] = {"pretext", "author_name",
                                                 "title", "text"};
        json_t *parts = json_array(), *a, *f, *b;
        const char *text = str(msg, "text");
        char where[160];
        size_t i, k;
        int err = 0;

        if (!parts)
                return NULL;
        err |= part_add(parts, "text", text);
        json_array_foreach(json_object_get(msg, "attachments"), i, a)
        {
                for (k = 0; k < sizeof(att_fields) / sizeof(att_fields[0]);
                     k++) {
                        snprintf(where, sizeof(where), "attachment %zu %s",
                                 i + 1, att_fields[k]);
                        err |= part_add(parts, where, str(a, att_fields[k]));
                }
                json_array_foreach(json_object_get(a, "fields"), k, f)
                {
                        snprintf(where, sizeof(where),
                                 "attachment %zu field %zu title", i + 1,
                                 k + 1);
                        err |= part_add(parts, where, str(f, "title"));
                        snprintf(where, sizeof(where),
                                 "attachment %zu field %zu value", i + 1,
                                 k + 1);
                        err |= part_add(parts, where, str(f, "value"));
                }
                snprintf(where, sizeof(where), "attachment %zu footer", i + 1);
                err |= part_add(parts, where, str(a, "footer"));
                /* the fallback is what notifications show: inspected when
                 * it says something the attachment's text does not */
                if (str(a, "fallback") &&
                    (!str(a, "text") ||
                     strcmp(str(a, "fallback"), str(a, "text")))) {
                        snprintf(where, sizeof(where),
                                 "attachment %zu fallback", i + 1);
                        err |= part_add(parts, where, str(a, "fallback"));
                }
        }
        json_array_foreach(json_object_get(msg, "blocks"), i, b)
        {
                char *bt = block_text(b);

                /* Slack mirrors a typed message in a rich_text block: only
                 * text that the message text does not hold is new */
                if (bt && (!text || !strstr(text, bt))) {
                        snprintf(where, sizeof(where), "block %zu", i + 1);
                        err |= part_add(parts, where, bt);
                }
                free(bt);
        }
        json_array_foreach(json_object_get(msg, "files"), i, f)
        {
                /* named as an alert says it: "the file title of a.csv" */
                const char *name = str(f, "name");
                char shown[96];

                if (name)
                        dlp_fmt(shown, sizeof(shown), "%.*s",
                                (int)dlp_utf8_prefix(name, 80), name);
                else
                        dlp_fmt(shown, sizeof(shown), "file %zu", i + 1);
                dlp_fmt(where, sizeof(where), "the file title of %s", shown);
                err |= part_add(parts, where, str(f, "title"));
                dlp_fmt(where, sizeof(where), "the file name %s", shown);
                err |= part_add(parts, where, name);
                dlp_fmt(where, sizeof(where), "the preview of %s", shown);
                err |= part_add(parts, where, str(f, "preview"));
        }
        if (err) {
                json_decref(parts);
                return NULL;
        }
        return parts;
}

/* Sets rec.parts to what a person sees in \p msg besides its text (which
 * is rec.text): attachments, blocks, files. Left out when there is none.
 * Returns 0, or -1 when out of memory. */
static int record_parts(json_t *rec, json_t *msg)
{
        json_t *parts = event_parts(msg), *others;
        size_t i;
        json_t *p;

        if (!parts)
                return -1;
        others = json_array();
        json_array_foreach(parts, i, p)
        {
                if (strcmp(str(p, "where"), "text") &&
                    json_array_append(others, p)) {
                        json_decref(parts);
                        json_decref(others);
                        return -1;
                }
        }
        json_decref(parts);
        if (json_array_size(others) == 0) {
                json_decref(others);
                return 0;
        }
        return json_object_set_new(rec, "parts", others) ? -1 : 0;
}

/* Does \p parts hold part \p p (same where, same text)? */
static int parts_hold(json_t *parts, json_t *p)
{
        size_t i;
        json_t *q;

        json_array_foreach(parts, i, q) if (json_equal(p, q)) return 1;
        return 0;
}

/* Are all of \p msg's attachments that \p prev lacks link previews
 * (Slack's unfurls carry from_url)? Their text comes from the linked
 * page, not from the person, and the link itself is in the text that was
 * inspected when the message was posted. */
static int only_unfurls_added(json_t *msg, json_t *prev)
{
        json_t *now = json_object_get(msg, "attachments");
        json_t *before = json_object_get(prev, "attachments");
        size_t i;
        json_t *a;

        json_array_foreach(now, i, a)
        {
                if (json_is_array(before) && parts_hold(before, a))
                        continue;
                if (!json_is_string(json_object_get(a, "from_url")))
                        return 0;
        }
        return 1;
}

/* An edit (DESIGN §11): a record is made only when something a person
 * sees changed, other than a link preview being added; it then carries
 * only what changed (see edit_trim). Returns EVENT_PRODUCE, or EVENT_SKIP
 * with *reason and why filled. */
static enum event_verdict edit_verdict(json_t *ev, json_t *msg,
                                       enum event_reason *reason, char *why,
                                       size_t why_size)
{
        json_t *prev = json_object_get(ev, "previous_message");
        json_t *now_parts, *prev_parts, *p;
        const char *sub = str(msg, "subtype");
        int text_changed = 0, other_changed = 0, unlinked_changed = 0;
        size_t i;

        if (sub && !strcmp(sub, "tombstone")) {
                *reason = EVENT_R_TOMBSTONE;
                snprintf(why, why_size, "tombstone: the message was deleted");
                return EVENT_SKIP;
        }
        if (!json_is_object(prev))
                return EVENT_PRODUCE; /* nothing to compare with */
        now_parts = event_parts(msg);
        prev_parts = event_parts(prev);
        if (!now_parts || !prev_parts) {
                json_decref(now_parts);
                json_decref(prev_parts);
                return EVENT_PRODUCE; /* out of memory: inspect it all */
        }
        json_array_foreach(now_parts, i, p)
        {
                const char *where = str(p, "where");

                if (parts_hold(prev_parts, p))
                        continue;
                if (!strcmp(where, "text"))
                        text_changed = 1;
                else if (strncmp(where, "attachment ", 11))
                        unlinked_changed = 1; /* a block or a file */
                else
                        other_changed = 1;
        }
        json_decref(now_parts);
        json_decref(prev_parts);
        if (text_changed || unlinked_changed ||
            (other_changed && !only_unfurls_added(msg, prev)))
                return EVENT_PRODUCE;
        *reason = EVENT_R_UNCHANGED_EDIT;
        snprintf(why, why_size, "%s",
                 other_changed ? "edit only added a link preview (an unfurl)"
                               : "edit changed nothing inspectable");
        return EVENT_SKIP;
}

/* An edit's record carries only what changed: the text when it did (else
 * an empty text), the parts the previous message did not have. What was
 * there before was inspected then; inspecting it again would alert twice.
 * Returns 0, or -1 when out of memory. */
static int edit_trim(json_t *rec, json_t *msg, json_t *prev)
{
        json_t *parts = json_object_get(rec, "parts"), *prev_parts, *kept, *p;
        const char *now = str(msg, "text"), *before = str(prev, "text");
        size_t i;

        if (!json_is_object(prev))
                return 0;
        if (now && before && !strcmp(now, before) &&
            json_object_set_new(rec, "text", json_string("")))
                return -1;
        if (!parts)
                return 0;
        if (!(prev_parts = event_parts(prev)) || !(kept = json_array())) {
                json_decref(prev_parts);
                return -1;
        }
        json_array_foreach(parts, i, p)
        {
                if (!parts_hold(prev_parts, p) && json_array_append(kept, p)) {
                        json_decref(prev_parts);
                        json_decref(kept);
                        return -1;
                }
        }
        json_decref(prev_parts);
        if (json_array_size(kept) == 0) {
                json_decref(kept);
                return json_object_del(rec, "parts") ? -1 : 0;
        }
        return json_object_set_new(rec, "parts", kept) ? -1 : 0;
}

static const char *kind_of(const char *subtype, const struct event_opts *opts,
                           enum event_reason *reason, char *why,
                           size_t why_size)
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
                *reason = EVENT_R_BOTS_OFF;
                snprintf(why, why_size, "bot_message (bots not inspected)");
                return NULL;
        }
        *reason = EVENT_R_SUBTYPE;
        snprintf(why, why_size, "message subtype %.*s: nothing to inspect",
                 (int)dlp_utf8_prefix(subtype, 64), subtype);
        return NULL;
}

static enum event_verdict map_envelope(json_t *env,
                                       const struct event_opts *opts,
                                       json_t **record, const char **event_id,
                                       enum event_reason *reason, char *why,
                                       size_t why_size)
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
                *reason = EVENT_R_NOT_EVENT;
                return type ? EVENT_SKIP : EVENT_INVALID;
        }

        type = str(ev, "type");
        if (!type || strcmp(type, "message") != 0) {
                const char *t = type ? type : "(none)";
                snprintf(why, why_size, "event type %.*s: not inspected",
                         (int)dlp_utf8_prefix(t, 64), t);
                *reason = EVENT_R_EVENT_TYPE;
                return EVENT_SKIP;
        }
        kind = kind_of(str(ev, "subtype"), opts, reason, why, why_size);
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
                if (edit_verdict(ev, msg, reason, why, why_size) == EVENT_SKIP)
                        return EVENT_SKIP;
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
                snprintf(why, why_size,
                         team ? "team_id over 255 bytes"
                              : "event without team_id");
                return EVENT_INVALID;
        }
        if (json_is_integer(json_object_get(env, "event_time")))
                event_time =
                    json_integer_value(json_object_get(env, "event_time"));
        else
                event_time = (json_int_t)strtoll(ts, NULL, 10);

        rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}",
                        "schema", DLP_SCHEMA_EVENT, "event_id", id, "team_id",
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
        if (record_parts(rec, msg) ||
            (!strcmp(kind, "message_changed") &&
             edit_trim(rec, msg, json_object_get(ev, "previous_message")))) {
                json_decref(rec);
                snprintf(why, why_size, "out of memory");
                return EVENT_INVALID;
        }
        *record = rec;
        *event_id = str(rec, "event_id");
        return EVENT_PRODUCE;
}

enum event_verdict event_from_envelope(json_t *env,
                                       const struct event_opts *opts,
                                       json_t **record, const char **event_id,
                                       enum event_reason *reason, char *why,
                                       size_t why_size)
{
        enum event_reason r = EVENT_R_UNKNOWN_SHAPE;
        enum event_verdict v =
            map_envelope(env, opts, record, event_id, &r, why, why_size);

        if (v == EVENT_INVALID)
                r = EVENT_R_UNKNOWN_SHAPE;
        if (reason)
                *reason = r;
        return v;
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
        v = event_from_envelope(env, opts, record, event_id, NULL, why,
                                why_size);
        json_decref(env);
        return v;
}
