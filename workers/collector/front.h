/* front.h - the collector's front door: which requests may come in.
 *
 * One pure decision per request, in this order: the path (404), the method
 * (405), the content type (415), the signature (401, without detail). All
 * but the signature's HMAC is decided from the headers, before any body
 * byte is read (front_check_head); the HMAC needs the body (front_check).
 * Body size is enforced by the HTTP server before the body is read (413),
 * and JSON by the event mapping (400).
 *
 * Threads: no state of its own (the secrets are read-only after start);
 * called from the HTTP threads. */
#ifndef DLP_FRONT_H
#define DLP_FRONT_H

#include <stddef.h>
#include <time.h>

struct front_request {
        const char *method;
        const char *path;
        const char *content_type; /* NULL if absent */
        const char *timestamp;    /* X-Slack-Request-Timestamp */
        const char *signature;    /* X-Slack-Signature */
        const char *body;
        size_t body_len;
};

struct front_policy {
        const char *const *secrets; /* one, or two during a rotation */
        size_t nsecrets;
        long tolerance_s;
};

/* How to answer a refused request. */
struct front_refusal {
        int status;         /* HTTP status: 401, 404, 405 or 415 */
        const char *reason; /* the body's text; "" for 401, by design */
};

/* The decision from the headers alone (r->body is not looked at): path,
 * method, content type, and the signature headers' presence, form and
 * freshness. Same return as front_check(). */
int front_check_head(const struct front_request *r,
                     const struct front_policy *p, time_t now,
                     struct front_refusal *no);

/* Returns DLP_OK when the request may be handled, else DLP_ERR_REFUSED
 * with \p no saying how to answer. */
int front_check(const struct front_request *r, const struct front_policy *p,
                time_t now, struct front_refusal *no);

#endif
