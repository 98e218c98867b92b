/* alert.c - Block Kit alerts, digests and alert records (see alert.h). */
#include "alert.h"

#include <stdio.h>
#include <string.h>

static const char *str(const json_t *o, const char *k)
{
        const char *s = json_string_value(json_object_get(o, k));
        return s ? s : "";
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

/* "CREDIT_CARD_NUMBER ×2, EMAIL_ADDRESS ×1" */
static void type_counts(const json_t *findings, char *out, size_t size)
{
        json_t *types = info_types(findings), *t, *f;
        size_t i, j, len = 0;

        out[0] = '\0';
        json_array_foreach(types, i, t)
        {
                size_t count = 0;
                json_array_foreach(findings, j, f) count +=
                    !strcmp(str(f, "info_type"), json_string_value(t));
                if (len < size)
                        len += (size_t)snprintf(out + len, size - len,
                                                "%s%s ×%zu", i ? ", " : "",
                                                json_string_value(t), count);
        }
        json_decref(types);
}

static void who_of(const json_t *ins, char *out, size_t size)
{
        if (*str(ins, "user"))
                snprintf(out, size, "<@%s>", str(ins, "user"));
        else if (*str(ins, "bot_id"))
                snprintf(out, size, "bot %s", str(ins, "bot_id"));
        else
                snprintf(out, size, "unknown");
}

json_t *alert_message(const json_t *ins, const json_t *findings,
                      const char *channel, const char *permalink)
{
        json_t *blocks, *f;
        char summary[512], lines[ALERT_SECTION_MAX + 1] = "", who[128],
                                                     where[128], when[192],
                                                     text[1024], context[768];
        size_t i, shown = 0, n = json_array_size(findings);

        if (n == 0)
                return NULL;
        type_counts(findings, summary, sizeof(summary));
        json_array_foreach(findings, i, f)
        {
                char line[400];

                if (shown == ALERT_MAX_FINDING_LINES)
                        break;
                snprintf(line, sizeof(line), "• *%s* (%s): `%s`\n",
                         str(f, "info_type"), str(f, "likelihood"),
                         str(f, "quote_masked"));
                if (strlen(lines) + strlen(line) > ALERT_SECTION_MAX - 40)
                        break;
                strcat(lines, line);
                shown++;
        }
        if (shown < n) {
                char more[64];
                snprintf(more, sizeof(more), "…and %zu more", n - shown);
                strcat(lines, more);
        }
        who_of(ins, who, sizeof(who));
        snprintf(where, sizeof(where), "<#%s>", str(ins, "channel"));
        /* Slack renders the date in the reader's time zone */
        snprintf(when, sizeof(when),
                 "<!date^%.10s^{date_short_pretty} {time}|%s>", str(ins, "ts"),
                 str(ins, "ts"));
        snprintf(text, sizeof(text), "DLP alert: %s in %s by %s", summary,
                 where, who);
        if (permalink)
                snprintf(context, sizeof(context), "<%s|View the message> · %s",
                         permalink, str(ins, "event_id"));
        else
                snprintf(context, sizeof(context), "%s", str(ins, "event_id"));

        blocks = json_pack(
            "[{s:s, s:{s:s, s:s}},"
            " {s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]},"
            " {s:s, s:{s:s, s:s}},"
            " {s:s, s:[{s:s, s:s}]}]",
            "type", "header", "text", "type", "plain_text", "text",
            "Sensitive data posted in Slack",
            /* who / where / when / what */
            "type", "section", "fields", "type", "mrkdwn", "text", who, "type",
            "mrkdwn", "text", where, "type", "mrkdwn", "text", when, "type",
            "mrkdwn", "text", summary,
            /* the masked findings */
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
        size_t n = (size_t)snprintf(out, out_size, "%s/archives/%s/p",
                                    link_base, channel);

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

json_t *alert_digest(json_t *const *ins, json_t *const *findings, size_t n,
                     const char *channel, const char *link_base, size_t *used)
{
        json_t *blocks = json_array();
        char text[ALERT_SECTION_MAX + 1] = "", title[160], summary[256];
        size_t i, total = 0, sections = 0;

        if (n > ALERT_DIGEST_MAX)
                n = ALERT_DIGEST_MAX;
        for (i = 0; i < n; i++) {
                char counts[256], link[256], who[96], line[768];

                type_counts(findings[i], counts, sizeof(counts));
                alert_permalink(link_base, str(ins[i], "channel"),
                                str(ins[i], "ts"), link, sizeof(link));
                who_of(ins[i], who, sizeof(who));
                snprintf(line, sizeof(line),
                         "• <#%s> %s: %s `%s` <%s|view> · %s\n",
                         str(ins[i], "channel"), who, counts,
                         str(json_array_get(findings[i], 0), "quote_masked"),
                         link, str(ins[i], "event_id"));
                if (strlen(text) + strlen(line) > ALERT_SECTION_MAX) {
                        if (sections + 1 == ALERT_MAX_SECTIONS)
                                break; /* the rest goes in the next digest */
                        json_array_append_new(blocks, section(text));
                        sections++;
                        text[0] = '\0';
                }
                strcat(text, line);
                total += json_array_size(findings[i]);
        }
        if (*text)
                json_array_append_new(blocks, section(text));
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

json_t *alert_record(const json_t *ins, const json_t *findings,
                     const char *channel, const char *slack_ts,
                     const char *posted_at)
{
        json_t *rec =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:s}",
                      "schema", "dlp.alert/1", "event_id", str(ins, "event_id"),
                      "team_id", str(ins, "team_id"), "source_channel",
                      str(ins, "channel"), "alert_channel", channel, "slack_ts",
                      slack_ts, "info_types", info_types(findings),
                      "findings_count", (json_int_t)json_array_size(findings),
                      "posted_at", posted_at, "event_ts", str(ins, "ts"));

        if (rec && *str(ins, "user"))
                json_object_set_new(rec, "user", json_string(str(ins, "user")));
        return rec;
}
