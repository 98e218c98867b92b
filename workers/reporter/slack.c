/* slack.c - Slack Web API calls (see slack.h). */
#include "slack.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ok:false errors that go away by themselves; the others never will. */
static int transient(const char *error)
{
        static const char *const list[] = {
            "ratelimited",         "internal_error",  "fatal_error",
            "service_unavailable", "request_timeout", "team_added_to_org"};

        for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
                if (!strcmp(error, list[i]))
                        return 1;
        return 0;
}

/* One call; *answer is the parsed body of an HTTP 200 (new reference). */
static void call(struct dlp_httpc *http, const char *url, const char *token,
                 const json_t *body, struct slack_result *r, json_t **answer)
{
        char *text = json_dumps(body, JSON_COMPACT);
        struct dlp_http_result res;
        char errstr[512];

        memset(r, 0, sizeof(*r));
        r->retry_after = -1;
        *answer = NULL;
        if (!text) {
                r->outcome = SLACK_RETRY;
                snprintf(r->error, sizeof(r->error), "out of memory");
                return;
        }
        if (dlp_httpc_post_json(http, url, token, text, strlen(text), &res,
                                errstr, sizeof(errstr)) != DLP_OK) {
                free(text);
                r->outcome = SLACK_RETRY;
                snprintf(r->error, sizeof(r->error), "%.120s", errstr);
                return;
        }
        free(text);
        r->retry_after = res.retry_after;
        if (res.status != 200) {
                r->outcome = SLACK_RETRY;
                snprintf(r->error, sizeof(r->error), "HTTP %ld", res.status);
        } else {
                json_t *a = json_loadb(res.body, res.body_len, 0, NULL);
                const char *error =
                    json_string_value(json_object_get(a, "error"));
                if (json_is_true(json_object_get(a, "ok"))) {
                        r->outcome = SLACK_OK;
                        *answer = a;
                        a = NULL;
                } else {
                        snprintf(r->error, sizeof(r->error), "slack: %s",
                                 error ? error : "unreadable answer");
                        r->outcome = error && !transient(error)
                                         ? SLACK_PERMANENT
                                         : SLACK_RETRY;
                }
                json_decref(a);
        }
        dlp_http_result_free(&res);
}

void slack_post(struct dlp_httpc *http, const char *api_url, const char *token,
                const json_t *msg, struct slack_result *r)
{
        char url[1024];
        json_t *answer;

        snprintf(url, sizeof(url), "%s/chat.postMessage", api_url);
        call(http, url, token, msg, r, &answer);
        if (r->outcome == SLACK_OK)
                snprintf(r->ts, sizeof(r->ts), "%s",
                         json_string_value(json_object_get(answer, "ts"))
                             ?: "");
        json_decref(answer);
}

int slack_permalink(struct dlp_httpc *http, const char *api_url,
                    const char *token, const char *channel, const char *ts,
                    char *out, size_t out_size)
{
        char url[1024];
        json_t *answer, *body = json_pack("{s:s, s:s}", "channel", channel,
                                          "message_ts", ts);
        struct slack_result r;
        const char *link;

        snprintf(url, sizeof(url), "%s/chat.getPermalink", api_url);
        call(http, url, token, body, &r, &answer);
        json_decref(body);
        link = json_string_value(json_object_get(answer, "permalink"));
        if (r.outcome == SLACK_OK && link)
                snprintf(out, out_size, "%s", link);
        json_decref(answer);
        return r.outcome == SLACK_OK && link ? DLP_OK : DLP_ERR_REJECTED;
}
