/* slack.c - Slack Web API calls (see slack.h). */
#include "slack.h"
#include "err.h"
#include "util.h"

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

void slack_answer(long status, const char *body, size_t len,
                  struct slack_result *r, json_t **answer)
{
        json_t *a;
        const char *error;

        *answer = NULL;
        if (status != 200) {
                r->outcome = SLACK_RETRY;
                snprintf(r->error, sizeof(r->error), "HTTP %ld", status);
                return;
        }
        a = json_loadb(body, len, 0, NULL);
        error = json_string_value(json_object_get(a, "error"));
        if (json_is_true(json_object_get(a, "ok"))) {
                r->outcome = SLACK_OK;
                /* Slack's ts is digits; whatever an answer holds, a cut
                 * keeps whole characters (it goes into the alert record) */
                dlp_fmt(r->ts, sizeof(r->ts), "%s",
                        json_string_value(json_object_get(a, "ts")) ?: "");
                *answer = a;
                return;
        }
        dlp_fmt(r->error, sizeof(r->error), "slack: %s",
                error ? error : "unreadable answer");
        r->outcome = error && !transient(error) ? SLACK_PERMANENT : SLACK_RETRY;
        json_decref(a);
}

/* One call: a POST of \p body as JSON, or a GET of \p url (which carries
 * the arguments) when body is NULL; *answer is the parsed body of an HTTP
 * 200 (new reference). */
static void call(struct dlp_httpc *http, const char *url, const char *token,
                 const json_t *body, struct slack_result *r, json_t **answer)
{
        char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        struct dlp_http_result res;
        char errstr[512];
        int rc;

        memset(r, 0, sizeof(*r));
        r->retry_after = -1;
        *answer = NULL;
        if (body && !text) {
                r->outcome = SLACK_RETRY;
                snprintf(r->error, sizeof(r->error), "out of memory");
                return;
        }
        rc = text ? dlp_httpc_post_json(http, url, token, text, strlen(text),
                                        &res, errstr, sizeof(errstr))
                  : dlp_httpc_get(http, url, token, &res, errstr,
                                  sizeof(errstr));
        free(text);
        if (rc != DLP_OK) {
                r->outcome = SLACK_RETRY;
                dlp_fmt(r->error, sizeof(r->error), "%s", errstr);
                return;
        }
        r->retry_after = res.retry_after;
        slack_answer(res.status, res.body, res.body_len, r, answer);
        dlp_http_result_free(&res);
}

void slack_call(struct dlp_httpc *http, const char *api_url, const char *method,
                const char *token, const json_t *body, struct slack_result *r,
                json_t **answer)
{
        char url[1024];

        snprintf(url, sizeof(url), "%s/%s", api_url, method);
        call(http, url, token, body, r, answer);
}

/* Appends \p v to \p out percent-encoded (RFC 3986 unreserved kept). */
static void query_add(char *out, size_t size, const char *key, const char *v)
{
        size_t n = strlen(out);

        n += (size_t)snprintf(out + n, n < size ? size - n : 0,
                              "%s%s=", strchr(out, '?') ? "&" : "?", key);
        for (; *v && n + 4 < size; v++) {
                unsigned char c = (unsigned char)*v;
                if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || strchr("-._~", c))
                        out[n++] = (char)c;
                else
                        n += (size_t)snprintf(out + n, size - n, "%%%02X", c);
        }
        out[n < size ? n : size - 1] = '\0';
}

void slack_post(struct dlp_httpc *http, const char *api_url, const char *token,
                const json_t *msg, struct slack_result *r)
{
        char url[1024];
        json_t *answer;

        snprintf(url, sizeof(url), "%s/chat.postMessage", api_url);
        call(http, url, token, msg, r, &answer);
        json_decref(answer);
}

int slack_permalink(struct dlp_httpc *http, const char *api_url,
                    const char *token, const char *channel, const char *ts,
                    char *out, size_t out_size)
{
        char url[1024];
        json_t *answer;
        struct slack_result r;
        const char *link;

        /* a read method: Slack takes its arguments as query or form
         * parameters, not JSON (the official SDKs send a query) */
        snprintf(url, sizeof(url), "%s/chat.getPermalink", api_url);
        query_add(url, sizeof(url), "channel", channel ? channel : "");
        query_add(url, sizeof(url), "message_ts", ts ? ts : "");
        call(http, url, token, NULL, &r, &answer);
        link = json_string_value(json_object_get(answer, "permalink"));
        if (r.outcome == SLACK_OK && link)
                snprintf(out, out_size, "%s", link);
        json_decref(answer);
        return r.outcome == SLACK_OK && link ? DLP_OK : DLP_ERR_REJECTED;
}
