/* notice.c - texts of the actions (see notice.h). */
#include "notice.h"
#include "alert.h"

#include <stdio.h>
#include <string.h>

#define NOTICE_MAX_QUOTES 5

static const char *str(const json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));
        return s ? s : "";
}

/* Appends \p s to \p out escaped for mrkdwn: &, < and > are the three
 * characters Slack asks to escape (a masked quote may hold any of them).
 * What does not fit is left out whole: never half a UTF-8 character. */
static void append_escaped(char *out, size_t size, const char *s)
{
        size_t n = strlen(out);

        while (*s) {
                unsigned char c = (unsigned char)*s;
                const char *e = c == '&'   ? "&amp;"
                                : c == '<' ? "&lt;"
                                : c == '>' ? "&gt;"
                                           : NULL;
                size_t len = e           ? strlen(e)
                             : c >= 0xF0 ? 4
                             : c >= 0xE0 ? 3
                             : c >= 0xC0 ? 2
                                         : 1;
                size_t take = e ? 1 : len;

                if (!e && strnlen(s, len) < len)
                        break; /* a truncated character: stop */
                if (n + len + 1 > size)
                        break;
                memcpy(out + n, e ? e : s, len);
                n += len;
                s += take;
        }
        out[n] = '\0';
}

json_t *notice_info_types(const json_t *findings)
{
        json_t *types = json_array(), *f, *t;
        size_t i, j;

        json_array_foreach((json_t *)findings, i, f)
        {
                const char *type = str(f, "info_type");
                int seen = 0;
                json_array_foreach(types, j, t) seen |=
                    !strcmp(json_string_value(t), type);
                if (!seen && *type)
                        json_array_append_new(types, json_string(type));
        }
        return types;
}

/* "CREDIT_CARD_NUMBER, EMAIL_ADDRESS" */
static void types_line(const json_t *findings, char *out, size_t size)
{
        json_t *types = notice_info_types(findings), *t;
        size_t i;

        out[0] = '\0';
        json_array_foreach(types, i, t)
        {
                if (i)
                        append_escaped(out, size, ", ");
                append_escaped(out, size, json_string_value(t));
        }
        json_decref(types);
}

/* Appends " in the file customers.csv" / " in the files a.csv, b.pdf"
 * for the files the findings are in (their names from ins.files, else the
 * id), escaped, to \p out; nothing when none is in a file. */
static void files_line(const json_t *ins, const json_t *findings, char *out,
                       size_t size)
{
        json_t *seen = alert_file_ids(findings), *id, *file;
        size_t j, k;

        json_array_foreach(seen, j, id)
        {
                const char *name = json_string_value(id);

                json_array_foreach(json_object_get(ins, "files"), k, file)
                {
                        if (!strcmp(str(file, "id"), json_string_value(id)) &&
                            *str(file, "name"))
                                name = str(file, "name");
                }
                if (j == 0)
                        append_escaped(out, size,
                                       json_array_size(seen) > 1
                                           ? " in the files "
                                           : " in the file ");
                else
                        append_escaped(out, size, ", ");
                append_escaped(out, size, name);
        }
        json_decref(seen);
}

/* Who wrote it: <@U…>, or the bot id. */
static void who(const json_t *ins, char *out, size_t size)
{
        if (*str(ins, "user"))
                snprintf(out, size, "<@%s>", str(ins, "user"));
        else if (*str(ins, "bot_id"))
                snprintf(out, size, "bot %s", str(ins, "bot_id"));
        else
                snprintf(out, size, "someone");
}

json_t *notice_author(const json_t *ins, const json_t *findings, int removed)
{
        char text[2048], types[512];
        size_t i;
        json_t *f;

        types_line(findings, types, sizeof(types));
        snprintf(text, sizeof(text),
                 ":warning: Your message in <#%s> contains sensitive data: "
                 "*%s*",
                 str(ins, "channel"), types);
        json_array_foreach((json_t *)findings, i, f)
        {
                if (i == NOTICE_MAX_QUOTES)
                        break;
                if (!*str(f, "quote_masked"))
                        continue;
                append_escaped(text, sizeof(text), i ? ", `" : " (`");
                append_escaped(text, sizeof(text), str(f, "quote_masked"));
                append_escaped(text, sizeof(text), "`");
                if (i + 1 == json_array_size(findings) ||
                    i + 1 == NOTICE_MAX_QUOTES)
                        append_escaped(text, sizeof(text), ")");
        }
        files_line(ins, findings, text, sizeof(text));
        append_escaped(text, sizeof(text),
                       removed ? ". It has been removed by the data loss "
                                 "prevention policy. "
                               : ". Please delete it. ");
        append_escaped(text, sizeof(text),
                       "If it was a password, key or token, treat it as "
                       "leaked and replace it. Reference: ");
        append_escaped(text, sizeof(text), str(ins, "event_id"));
        return json_pack("{s:s}", "text", text);
}

json_t *notice_tombstone(const json_t *ins, const json_t *findings)
{
        char text[1536], types[512], by[96], in_files[512] = "";

        types_line(findings, types, sizeof(types));
        files_line(ins, findings, in_files, sizeof(in_files));
        who(ins, by, sizeof(by));
        snprintf(text, sizeof(text),
                 ":no_entry: A message from %s was removed: it contained "
                 "%s%s.",
                 by, types, in_files);
        return json_pack("{s:s}", "text", text);
}

json_t *notice_not_removed(const json_t *ins, const json_t *findings,
                           const char *error)
{
        char text[1024], types[512], by[96], why[160] = "";

        types_line(findings, types, sizeof(types));
        who(ins, by, sizeof(by));
        append_escaped(why, sizeof(why), error ? error : "unknown error");
        snprintf(text, sizeof(text),
                 ":warning: DLP could not remove the message from %s in <#%s> "
                 "(%s; event %s): %s. Remove it by hand.",
                 by, str(ins, "channel"), types, str(ins, "event_id"), why);
        return json_pack("{s:s}", "text", text);
}
