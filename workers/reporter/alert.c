/* alert.c - Block Kit alert and alert record (see alert.h). */
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

json_t *alert_message(const json_t *ins, const char *channel)
{
        const json_t *findings = json_object_get(ins, "findings");
        json_t *types, *t, *blocks, *f;
        char summary[512] = "", lines[ALERT_SECTION_MAX + 1] = "", who[128],
             where[128], when[192], text[1024];
        size_t i, j, shown = 0, n = json_array_size(findings);

        if (n == 0)
                return NULL;
        types = info_types(findings);
        json_array_foreach(types, i, t)
        {
                size_t count = 0;
                json_array_foreach(findings, j, f) count +=
                    !strcmp(str(f, "info_type"), json_string_value(t));
                size_t len = strlen(summary);
                snprintf(summary + len, sizeof(summary) - len, "%s%s ×%zu",
                         i ? ", " : "", json_string_value(t), count);
        }
        json_array_foreach(findings, i, f)
        {
                if (shown == ALERT_MAX_FINDING_LINES)
                        break;
                char line[400];
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
        if (*str(ins, "user"))
                snprintf(who, sizeof(who), "<@%s>", str(ins, "user"));
        else if (*str(ins, "bot_id"))
                snprintf(who, sizeof(who), "bot %s", str(ins, "bot_id"));
        else
                snprintf(who, sizeof(who), "unknown");
        snprintf(where, sizeof(where), "<#%s>", str(ins, "channel"));
        /* Slack renders the date in the reader's time zone */
        snprintf(when, sizeof(when),
                 "<!date^%.10s^{date_short_pretty} {time}|%s>", str(ins, "ts"),
                 str(ins, "ts"));
        snprintf(text, sizeof(text), "DLP alert: %s in %s by %s", summary,
                 where, who);

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
            "context", "elements", "type", "mrkdwn", "text",
            str(ins, "event_id"));
        json_decref(types);
        if (!blocks)
                return NULL;
        return json_pack("{s:s, s:s, s:o, s:b}", "channel", channel, "text",
                         text, "blocks", blocks, "unfurl_links", 0);
}

json_t *alert_record(const json_t *ins, const char *channel,
                     const char *slack_ts, const char *posted_at)
{
        json_t *rec = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:s}", "schema",
            "dlp.alert/1", "event_id", str(ins, "event_id"), "team_id",
            str(ins, "team_id"), "source_channel", str(ins, "channel"),
            "alert_channel", channel, "slack_ts", slack_ts, "info_types",
            info_types(json_object_get(ins, "findings")), "findings_count",
            (json_int_t)json_array_size(json_object_get(ins, "findings")),
            "posted_at", posted_at, "event_ts", str(ins, "ts"));

        if (rec && *str(ins, "user"))
                json_object_set_new(rec, "user", json_string(str(ins, "user")));
        return rec;
}
