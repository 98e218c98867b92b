/* front.c - request admission (see front.h). */
#include "front.h"
#include "err.h"
#include "slack_sig.h"

#include <string.h>
#include <strings.h>

int front_check_head(const struct front_request *r,
                     const struct front_policy *p, time_t now,
                     const char **reason)
{
        *reason = "";
        if (strcmp(r->path, "/slack/events") != 0) {
                *reason = "not found\n";
                return 404;
        }
        if (strcmp(r->method, "POST") != 0) {
                *reason = "method not allowed\n";
                return 405;
        }
        /* Slack sends application/json; no header is tolerated, as curl
         * and older senders omit it */
        if (r->content_type &&
            strncasecmp(r->content_type, "application/json", 16) != 0) {
                *reason = "expected application/json\n";
                return 415;
        }
        if (slack_sig_check_head(r->timestamp, r->signature, now,
                                 p->tolerance_s) != DLP_OK) {
                *reason = ""; /* no detail, by design */
                return 401;
        }
        return 0;
}

int front_check(const struct front_request *r, const struct front_policy *p,
                time_t now, const char **reason)
{
        int status = front_check_head(r, p, now, reason);

        if (status)
                return status;
        if (slack_sig_verify(p->secrets, p->nsecrets, r->timestamp,
                             r->signature, r->body, r->body_len, now,
                             p->tolerance_s) != DLP_OK) {
                *reason = ""; /* no detail, by design */
                return 401;
        }
        return 0;
}
