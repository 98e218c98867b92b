/* slack.h - the Slack Web API calls the reporter makes, one attempt each;
 * the caller decides when to try again.
 *
 * Threads: no state of its own; the posting threads call it, each with its
 * own struct dlp_httpc (httpc.h). */
#ifndef DLP_SLACK_H
#define DLP_SLACK_H

#include <jansson.h>

#include "httpc.h"

enum slack_outcome {
        SLACK_OK,
        SLACK_RETRY,     /* 429, 5xx, transport error, transient ok:false */
        SLACK_PERMANENT, /* ok:false that retrying cannot fix */
};

struct slack_result {
        enum slack_outcome outcome;
        char ts[40];        /* SLACK_OK: the posted message's ts */
        char error[128];    /* why not */
        double retry_after; /* seconds Slack asked for, -1 if none */
};

/* Any write method (\p body is its JSON arguments, borrowed); *answer is
 * Slack's ok:true answer (new reference) or NULL. */
void slack_call(struct dlp_httpc *http, const char *api_url, const char *method,
                const char *token, const json_t *body, struct slack_result *r,
                json_t **answer);
/* Reads one answer: HTTP \p status and \p len bytes of \p body into \p r's
 * outcome, ts and error (the caller sets retry_after); on SLACK_OK,
 * *answer is the parsed body (new reference), else NULL. */
void slack_answer(long status, const char *body, size_t len,
                  struct slack_result *r, json_t **answer);
/* chat.postMessage with \p msg (borrowed). */
void slack_post(struct dlp_httpc *http, const char *api_url, const char *token,
                const json_t *msg, struct slack_result *r);
/* chat.getPermalink for (\p channel, \p ts), a GET with query parameters
 * (a read method: Slack reads no JSON body); DLP_OK with \p out filled. */
int slack_permalink(struct dlp_httpc *http, const char *api_url,
                    const char *token, const char *channel, const char *ts,
                    char *out, size_t out_size);

#endif
