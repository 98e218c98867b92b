/* front.c - request admission (see front.h). */
#include "front.h"
#include "err.h"
#include "slack_sig.h"

#include <string.h>
#include <strings.h>

static int refuse(struct front_refusal *no, int status, const char *reason)
{
        no->status = status;
        no->reason = reason;
        return DLP_ERR_REFUSED;
}

int front_check_head(const struct front_request *r,
                     const struct front_policy *p, time_t now,
                     struct front_refusal *no)
{
        if (strcmp(r->path, "/slack/events") != 0)
                return refuse(no, 404, "not found\n");
        if (strcmp(r->method, "POST") != 0)
                return refuse(no, 405, "method not allowed\n");
        /* Slack sends application/json; no header is tolerated, as curl
         * and older senders omit it */
        if (r->content_type &&
            strncasecmp(r->content_type, "application/json", 16) != 0)
                return refuse(no, 415, "expected application/json\n");
        if (slack_sig_check_head(r->timestamp, r->signature, now,
                                 p->tolerance_s) != DLP_OK)
                return refuse(no, 401, ""); /* no detail, by design */
        return DLP_OK;
}

int front_check(const struct front_request *r, const struct front_policy *p,
                time_t now, struct front_refusal *no)
{
        int err = front_check_head(r, p, now, no);

        if (err)
                return err;
        if (slack_sig_verify(p->secrets, p->nsecrets, r->timestamp,
                             r->signature, r->body, r->body_len, now,
                             p->tolerance_s) != DLP_OK)
                return refuse(no, 401, ""); /* no detail, by design */
        return DLP_OK;
}
