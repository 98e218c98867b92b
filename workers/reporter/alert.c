/* alert.c - Block Kit alerts, digests and alert records (see alert.h). */
#include "alert.h"
#include "schema.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const char *str(const json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));
        return s ? s : "";
}

/* \p src as mrkdwn text into \p dst (capacity \p cap): Slack reads &, <
 * and > as control characters, so a user name, an event id or a quote
 * holding "<!everyone>" would ping the whole channel; escaped, it is shown
 * as typed. Cut at a character (never inside an entity) when it does not
 * fit. Returns the bytes written. */
static size_t esc(char *dst, size_t cap, const char *src)
{
        size_t n = 0;

        for (; *src; src++) {
                const char *rep = *src == '&'   ? "&amp;"
                                  : *src == '<' ? "&lt;"
                                  : *src == '>' ? "&gt;"
                                                : NULL;
                size_t l = rep ? strlen(rep) : 1;

                if (n + l + 1 > cap)
                        break;
                if (rep)
                        memcpy(dst + n, rep, l);
                else
                        dst[n] = *src;
                n += l;
        }
        n = dlp_utf8_trim(dst, n);
        dst[n] = '\0';
        return n;
}

/* Distinct info types in order of first appearance (new reference). */
static json_t *info_types(const json_t *findings)
{
        json_t *types = json_array(), *f, *t;
        size_t i, j;

        json_array_foreach(findings, i, f)
        {
                const char *name = str(f, "info_type");
                int seen = 0;
                json_array_foreach(types, j, t) seen |=
                    !strcmp(json_string_value(t), name);
                if (!seen)
                        json_array_append_new(types, json_string(name));
        }
        return types;
}

/* "CREDIT_CARD_NUMBER ×2, EMAIL_ADDRESS ×1", as mrkdwn */
static void type_counts(const json_t *findings, char *out, size_t size)
{
        json_t *types = info_types(findings), *t, *f;
        size_t i, j, len = 0;

        out[0] = '\0';
        json_array_foreach(types, i, t)
        {
                char name[128];
                size_t count = 0;
                json_array_foreach(findings, j, f) count +=
                    !strcmp(str(f, "info_type"), json_string_value(t));
                esc(name, sizeof(name), json_string_value(t));
                len += dlp_fmt(out + len, size - len, "%s%s ×%zu",
                               i ? ", " : "", name, count);
        }
        json_decref(types);
}

static void who_of(const json_t *ins, char *out, size_t size)
{
        char id[96];

        if (*str(ins, "user")) {
                esc(id, sizeof(id), str(ins, "user"));
                dlp_fmt(out, size, "<@%s>", id);
        } else if (*str(ins, "bot_id")) {
                esc(id, sizeof(id), str(ins, "bot_id"));
                dlp_fmt(out, size, "bot %s", id);
        } else
                dlp_fmt(out, size, "unknown");
}

/* "<!date^1700000000^{date_short_pretty} {time}|1700000000.000100>" when
 * ts starts with seconds, else ts as text: nothing of ts but digits goes
 * inside the date's control sequence. */
static void when_of(const json_t *ins, char *out, size_t size)
{
        const char *ts = str(ins, "ts");
        size_t digits = strspn(ts, "0123456789");
        char shown[96];

        esc(shown, sizeof(shown), ts);
        if (digits == 0 || digits > 12)
                dlp_fmt(out, size, "%s", shown);
        else
                dlp_fmt(out, size, "<!date^%.*s^{date_short_pretty} {time}|%s>",
                        (int)digits, ts, shown);
}

/* The entry of ins.files with id \p id, or NULL. */
static const json_t *file_by_id(const json_t *ins, const char *id)
{
        json_t *file;
        size_t i;

        json_array_foreach(json_object_get(ins, "files"), i, file)
        {
                if (!strcmp(str(file, "id"), id))
                        return file;
        }
        return NULL;
}

/* \p n bytes for a person: "812 B", "10.0 KiB", "2.0 MiB", "1.5 GiB". */
static void human_size(json_int_t n, char *out, size_t size)
{
        static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
        double v = (double)n;
        int u = -1;

        if (n < 1024) {
                dlp_fmt(out, size, "%lld B", (long long)n);
                return;
        }
        while (v >= 1024 && u < 3) {
                v /= 1024;
                u++;
        }
        dlp_fmt(out, size, "%.1f %s", v, units[u]);
}

/* A file as mrkdwn: "file <https://…|report.csv> (text/csv, 2.0 MiB)".
 * What is known of it only; the name linked only when the link is an
 * http(s) URL, because anything else between < and > could be a mention
 * ("<!channel|x>") however it is escaped. */
static void file_label(const json_t *file, char *out, size_t size)
{
        const char *link = str(file, "link");
        json_t *bytes = json_object_get(file, "size");
        char name[256], elink[600], type[128] = "", sz[32] = "", meta[200] = "";

        esc(name, sizeof(name),
            *str(file, "name") ? str(file, "name") : str(file, "id"));
        if (*str(file, "mimetype"))
                esc(type, sizeof(type), str(file, "mimetype"));
        if (json_is_integer(bytes) && json_integer_value(bytes) >= 0)
                human_size(json_integer_value(bytes), sz, sizeof(sz));
        if (*type || *sz)
                dlp_fmt(meta, sizeof(meta), " (%s%s%s)", type,
                        *type && *sz ? ", " : "", sz);
        if (!strncmp(link, "https://", 8) || !strncmp(link, "http://", 7)) {
                esc(elink, sizeof(elink), link);
                /* '|' ends the URL part of a link: keep it out of the URL */
                if (!strchr(elink, '|')) {
                        dlp_fmt(out, size, "file <%s|%s>%s", elink, name, meta);
                        return;
                }
        }
        dlp_fmt(out, size, "file %s%s", name, meta);
}

/* Where a finding is, after " in": a file ("file <link|report.csv>
 * (text/csv, 2.0 MiB), line 5000" or ", page 2" when the record says), a
 * part of the message ("attachment 2"), or "" for the message's text. */
static void part_of(const json_t *ins, const json_t *f, char *out, size_t size)
{
        const json_t *file =
            *str(f, "file_id") ? file_by_id(ins, str(f, "file_id")) : NULL;
        json_t *line = json_object_get(f, "line"),
               *page = json_object_get(f, "page");
        char where[900];
        size_t n;

        out[0] = '\0';
        if (file)
                file_label(file, where, sizeof(where));
        else if (*str(f, "part"))
                esc(where, sizeof(where), str(f, "part"));
        else
                return;
        n = dlp_fmt(out, size, " in %s", where);
        if (json_is_integer(line) && json_integer_value(line) > 0)
                n += dlp_fmt(out + n, size - n, ", line %lld",
                             (long long)json_integer_value(line));
        if (json_is_integer(page) && json_integer_value(page) > 0)
                dlp_fmt(out + n, size - n, ", page %lld",
                        (long long)json_integer_value(page));
}

/* "• file <link|dump.sql> (text/plain, 12.0 MiB) was not inspected: too
 * large: …" for each of \p uninspected (files entries), at most
 * ALERT_MAX_FINDING_LINES of them; appends to \p out of \p len bytes and
 * returns the new length. */
static size_t uninspected_lines(const json_t *uninspected, char *out,
                                size_t len, size_t size)
{
        json_t *file;
        size_t i;

        json_array_foreach(uninspected, i, file)
        {
                char label[900], reason[256], line[1300];

                if (i == ALERT_MAX_FINDING_LINES) {
                        len += dlp_fmt(out + len, size - len,
                                       "…and %zu more files not inspected\n",
                                       json_array_size(uninspected) - i);
                        break;
                }
                file_label(file, label, sizeof(label));
                esc(reason, sizeof(reason),
                    *str(file, "reason") ? str(file, "reason")
                                         : "no reason given");
                dlp_fmt(line, sizeof(line), "• %s was not inspected: %s\n",
                        label, reason);
                if (len + strlen(line) > ALERT_SECTION_MAX - 40)
                        break;
                len += dlp_fmt(out + len, size - len, "%s", line);
        }
        return len;
}

/* An edit (kind message_changed) is said to be one: the reader looks for
 * the message's new version, and an edit alerts only when the text a
 * person sees changed (the collector skips unfurls). */
static const char *edit_note(const json_t *ins)
{
        return strcmp(str(ins, "kind"), "message_changed") ? "" : " (an edit)";
}

json_t *alert_message(const json_t *ins, const json_t *findings,
                      const json_t *uninspected, const char *channel,
                      const char *permalink)
{
        json_t *blocks, *f;
        char summary[512],
            lines[ALERT_SECTION_MAX + 1] = "", who[128], where[128], when[192],
                                      text[1024], context[768], id[128],
                                      link[512];
        size_t i, shown = 0, n = json_array_size(findings), len = 0,
                  u = json_array_size(uninspected);

        if (n == 0 && u == 0)
                return NULL;
        type_counts(findings, summary, sizeof(summary));
        if (u)
                dlp_fmt(summary + strlen(summary),
                        sizeof(summary) - strlen(summary),
                        "%s%zu file%s not inspected", n ? ", " : "", u,
                        u == 1 ? "" : "s");
        json_array_foreach(findings, i, f)
        {
                char line[1300], type[96], likelihood[48], quote[256], in[1000];

                if (shown == ALERT_MAX_FINDING_LINES)
                        break;
                esc(type, sizeof(type), str(f, "info_type"));
                esc(likelihood, sizeof(likelihood), str(f, "likelihood"));
                esc(quote, sizeof(quote), str(f, "quote_masked"));
                part_of(ins, f, in, sizeof(in));
                dlp_fmt(line, sizeof(line), "• *%s* (%s)%s: `%s`\n", type,
                        likelihood, in, quote);
                if (len + strlen(line) > ALERT_SECTION_MAX - 40)
                        break;
                len += dlp_fmt(lines + len, sizeof(lines) - len, "%s", line);
                shown++;
        }
        if (shown < n)
                len += dlp_fmt(lines + len, sizeof(lines) - len,
                               "…and %zu more\n", n - shown);
        uninspected_lines(uninspected, lines, len, sizeof(lines));
        who_of(ins, who, sizeof(who));
        esc(id, sizeof(id), str(ins, "channel"));
        dlp_fmt(where, sizeof(where), "<#%s>", id);
        /* Slack renders the date in the reader's time zone */
        when_of(ins, when, sizeof(when));
        dlp_fmt(text, sizeof(text), "DLP alert: %s in %s by %s%s", summary,
                where, who, edit_note(ins));
        esc(id, sizeof(id), str(ins, "event_id"));
        if (permalink) {
                esc(link, sizeof(link), permalink);
                dlp_fmt(context, sizeof(context), "<%s|View the message> · %s",
                        link, id);
        } else
                dlp_fmt(context, sizeof(context), "%s", id);

        blocks = json_pack(
            "[{s:s, s:{s:s, s:s}},"
            " {s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]},"
            " {s:s, s:{s:s, s:s}},"
            " {s:s, s:[{s:s, s:s}]}]",
            "type", "header", "text", "type", "plain_text", "text",
            n == 0            ? "Shared files were not inspected"
            : *edit_note(ins) ? "Sensitive data edited into a Slack message"
                              : "Sensitive data posted in Slack",
            /* who / where / when / what */
            "type", "section", "fields", "type", "mrkdwn", "text", who, "type",
            "mrkdwn", "text", where, "type", "mrkdwn", "text", when, "type",
            "mrkdwn", "text", summary,
            /* the masked findings, the files not inspected */
            "type", "section", "text", "type", "mrkdwn", "text", lines, "type",
            "context", "elements", "type", "mrkdwn", "text", context);
        if (!blocks)
                return NULL;
        return json_pack("{s:s, s:s, s:o, s:b}", "channel", channel, "text",
                         text, "blocks", blocks, "unfurl_links", 0);
}

void alert_permalink(const char *link_base, const char *channel, const char *ts,
                     char *out, size_t out_size)
{
        size_t n =
            dlp_fmt(out, out_size, "%s/archives/%s/p", link_base, channel);

        for (; ts && *ts && n + 1 < out_size; ts++)
                if (*ts != '.')
                        out[n++] = *ts;
        if (n < out_size)
                out[n] = '\0';
}

static json_t *section(const char *text)
{
        return json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text",
                         "type", "mrkdwn", "text", text);
}

json_t *alert_digest(json_t *const *ins, json_t *const *findings,
                     json_t *const *uninspected, size_t n, const char *channel,
                     const char *link_base, size_t *used)
{
        json_t *blocks = json_array();
        char text[ALERT_SECTION_MAX + 1] = "", title[160], summary[256];
        size_t i, total = 0, sections = 0, len = 0;
        int failed = !blocks;

        if (n > ALERT_DIGEST_MAX)
                n = ALERT_DIGEST_MAX;
        for (i = 0; i < n && !failed; i++) {
                char counts[256], link[256], elink[512], who[96], line[2400],
                    chan[96], quote[256], id[128], in[1000];
                const json_t *un = uninspected ? uninspected[i] : NULL;
                size_t u = json_array_size(un);

                type_counts(findings[i], counts, sizeof(counts));
                alert_permalink(link_base, str(ins[i], "channel"),
                                str(ins[i], "ts"), link, sizeof(link));
                esc(elink, sizeof(elink), link);
                who_of(ins[i], who, sizeof(who));
                esc(chan, sizeof(chan), str(ins[i], "channel"));
                esc(quote, sizeof(quote),
                    str(json_array_get(findings[i], 0), "quote_masked"));
                esc(id, sizeof(id), str(ins[i], "event_id"));
                if (json_array_size(findings[i])) {
                        char more[64] = "";

                        part_of(ins[i], json_array_get(findings[i], 0), in,
                                sizeof(in));
                        if (u)
                                dlp_fmt(more, sizeof(more),
                                        " (+%zu file%s not inspected)", u,
                                        u == 1 ? "" : "s");
                        dlp_fmt(line, sizeof(line),
                                "• <#%s> %s%s: %s `%s`%s%s <%s|view> · %s\n",
                                chan, who, edit_note(ins[i]), counts, quote, in,
                                more, elink, id);
                } else {
                        char label[900], reason[256];
                        const json_t *file = json_array_get(un, 0);

                        file_label(file, label, sizeof(label));
                        esc(reason, sizeof(reason),
                            *str(file, "reason") ? str(file, "reason")
                                                 : "no reason given");
                        dlp_fmt(line, sizeof(line),
                                "• <#%s> %s: %s was not inspected: %s%s <%s|"
                                "view> · %s\n",
                                chan, who, label, reason,
                                u > 1 ? " (and more files)" : "", elink, id);
                }
                if (len + strlen(line) > ALERT_SECTION_MAX) {
                        if (sections + 1 == ALERT_MAX_SECTIONS)
                                break; /* the rest goes in the next digest */
                        /* a section that cannot be added fails the digest:
                         * its items must not count as alerted */
                        failed |=
                            json_array_append_new(blocks, section(text)) != 0;
                        sections++;
                        len = 0;
                        text[0] = '\0';
                }
                len += dlp_fmt(text + len, sizeof(text) - len, "%s", line);
                total += json_array_size(findings[i]);
        }
        if (*text && !failed)
                failed |= json_array_append_new(blocks, section(text)) != 0;
        if (failed) {
                json_decref(blocks);
                return NULL;
        }
        *used = i;
        snprintf(title, sizeof(title),
                 "Sensitive data posted in Slack: %zu messages", i);
        json_array_insert_new(blocks, 0,
                              json_pack("{s:s, s:{s:s, s:s}}", "type", "header",
                                        "text", "type", "plain_text", "text",
                                        title));
        json_array_append_new(
            blocks, json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context",
                              "elements", "type", "mrkdwn", "text",
                              "A digest: more findings than Slack lets "
                              "one channel show one by one."));
        snprintf(summary, sizeof(summary),
                 "DLP digest: %zu findings in %zu messages", total, i);
        return json_pack("{s:s, s:s, s:o, s:b}", "channel", channel, "text",
                         summary, "blocks", blocks, "unfurl_links", 0);
}

json_t *alert_file_ids(const json_t *findings)
{
        json_t *ids = json_array(), *f, *id;
        size_t i, j;

        json_array_foreach(findings, i, f)
        {
                int seen = 0;

                if (!*str(f, "file_id"))
                        continue;
                json_array_foreach(ids, j, id) seen |=
                    !strcmp(json_string_value(id), str(f, "file_id"));
                if (!seen)
                        json_array_append_new(ids,
                                              json_string(str(f, "file_id")));
        }
        return ids;
}

json_t *alert_record(const json_t *ins, const json_t *findings,
                     const json_t *uninspected, const char *channel,
                     const char *slack_ts, const char *posted_at)
{
        json_t *rec = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:s}", "schema",
            DLP_SCHEMA_ALERT, "event_id", str(ins, "event_id"), "team_id",
            str(ins, "team_id"), "source_channel", str(ins, "channel"),
            "alert_channel", channel, "slack_ts", slack_ts, "info_types",
            info_types(findings), "findings_count",
            (json_int_t)json_array_size(findings), "posted_at", posted_at,
            "event_ts", str(ins, "ts"));
        json_t *ids, *file;
        size_t i;

        if (!rec)
                return NULL;
        if (*str(ins, "user"))
                json_object_set_new(rec, "user", json_string(str(ins, "user")));
        ids = alert_file_ids(findings);
        if (json_array_size(ids))
                json_object_set(rec, "file_ids", ids);
        json_decref(ids);
        if (json_array_size(uninspected)) {
                ids = json_array();
                json_array_foreach(uninspected, i, file)
                    json_array_append_new(ids, json_string(str(file, "id")));
                json_object_set_new(rec, "uninspected_file_ids", ids);
        }
        return rec;
}
